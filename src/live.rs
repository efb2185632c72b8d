//! The live watchdog: in a live run, nothing hangs.
//!
//! Every thread started with [`crate::thread`] is known here by name, and every time one of them
//! has to *wait* in a drop-in type (a contended lock, an empty channel, a condvar, a barrier, a
//! join) it says so here first. The uncontended paths never come here. A watchdog thread looks
//! every [`CHECK_EVERY`]:
//!
//! - a **cycle of lock waits** (A waits for a lock B holds while B waits for one A holds) is a
//!   deadlock;
//! - **every known thread waiting** with nothing moving on the objects they wait for (no notify,
//!   no message, no arrival, no thread ending) is a deadlock too, of condvars, channels,
//!   barriers or joins.
//!
//! Seen twice in a row, it is reported by thread and object names. Inside [`crate::run()`] the
//! waiting threads are then stopped (they unwind quietly, dropping their guards) and the run
//! returns the report, so a lesson goes on to its next part; anywhere else the process prints the
//! report and exits with [`DEADLOCK_EXIT`].
//!
//! Threads the toolkit did not start (plain `std::thread`, rayon's) are invisible to it: they
//! are never counted as waiting, so a program that mixes them in can only be reported late, never
//! wrongly, unless such a thread is the only one that could wake the others.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::objects::{LockMeta, thread_key};
use crate::scheduler::Stopped;

/// Exit status of a program whose live run deadlocked outside [`crate::run()`].
pub const DEADLOCK_EXIT: i32 = 4;

/// How often the watchdog looks.
pub const CHECK_EVERY: Duration = Duration::from_millis(20);

/// How long a waiting thread sleeps between looks at the cancel flag (locks and channels poll;
/// condvars, barriers and joins are woken).
pub(crate) const POLL: Duration = Duration::from_millis(20);

/// What a waiting thread waits on.
#[derive(Clone)]
pub(crate) enum WaitOn {
    /// A lock: stuck when its holder is stuck.
    Lock(Arc<LockMeta>),
    /// An object whose version moves when a waiter could be woken; stuck while it stays at `seen`
    /// and every thread waits.
    Object {
        version: Arc<AtomicU64>,
        seen: u64,
        wake: Option<Arc<dyn Fn() + Send + Sync>>,
    },
}

struct Waiting {
    what: String,
    on: WaitOn,
    serial: u64,
}

struct Known {
    name: String,
    waiting: Option<Waiting>,
}

#[derive(Default)]
struct Registry {
    threads: HashMap<u64, Known>,
    serial: u64,
}

static REGISTRY: OnceLock<Mutex<Registry>> = OnceLock::new();
static CANCELLED: AtomicBool = AtomicBool::new(false);
static RUNS: AtomicUsize = AtomicUsize::new(0);
static REPORT: Mutex<Option<String>> = Mutex::new(None);
static WATCHDOG: OnceLock<()> = OnceLock::new();
/// Threads spawned whose OS thread has not yet made itself known: they may still wake the others.
static STARTING: AtomicUsize = AtomicUsize::new(0);

fn registry() -> &'static Mutex<Registry> {
    REGISTRY.get_or_init(Mutex::default)
}

fn name_of_current() -> String {
    let thread = std::thread::current();
    match thread.name() {
        Some(name) => name.to_string(),
        None => format!("thread {}", thread_key()),
    }
}

/// Makes the calling thread known (under its std name), if it is not yet.
pub(crate) fn know_current() {
    let key = thread_key();
    let mut registry = registry().lock();
    registry.threads.entry(key).or_insert_with(|| Known {
        name: name_of_current(),
        waiting: None,
    });
}

/// A thread is being spawned: until [`thread_started`], nobody counts as stuck for lack of it.
pub(crate) fn thread_starting() {
    // The watchdog starts before the first thread of the program: then a program that runs
    // out of threads has its watchdog, or stops at once (it could not run without one).
    start_watchdog();
    STARTING.fetch_add(1, Ordering::SeqCst);
}

/// Starts the watchdog thread, once. If the operating system refuses it, the program stops with
/// one line and [`crate::thread::SPAWN_FAILED_EXIT`]: without it a deadlock would hang.
fn start_watchdog() {
    WATCHDOG.get_or_init(|| {
        let started = std::thread::Builder::new()
            .name("workbook watchdog".into())
            .stack_size(256 * 1024)
            .spawn(watch);
        if let Err(error) = started {
            crate::cleanup::spawn_failed(format_args!("{error} (the watchdog)"));
        }
    });
}

/// The spawned thread is known now (or could not be created).
pub(crate) fn thread_started() {
    STARTING.fetch_sub(1, Ordering::SeqCst);
}

/// Forgets the calling thread: it is ending.
pub(crate) fn forget_current() {
    let key = thread_key();
    registry().lock().threads.remove(&key);
}

/// True when the watchdog has found a deadlock and the waiting threads are to stop.
#[inline]
pub(crate) fn cancelled() -> bool {
    CANCELLED.load(Ordering::Relaxed)
}

/// Unwinds the calling thread quietly if the watchdog has stopped the run.
pub(crate) fn stop_if_cancelled() {
    if cancelled() && !std::thread::panicking() {
        std::panic::resume_unwind(Box::new(Stopped));
    }
}

/// The calling thread waits on `on` (to do `what`) until the guard drops.
pub(crate) fn wait(what: impl FnOnce() -> String, on: WaitOn) -> WaitGuard {
    start_watchdog();
    let key = thread_key();
    let mut registry = registry().lock();
    registry.serial += 1;
    let serial = registry.serial;
    let known = registry.threads.entry(key).or_insert_with(|| Known {
        name: name_of_current(),
        waiting: None,
    });
    known.waiting = Some(Waiting {
        what: what(),
        on,
        serial,
    });
    WaitGuard { key }
}

/// Clears a thread's wait when dropped.
pub(crate) struct WaitGuard {
    key: u64,
}

impl Drop for WaitGuard {
    fn drop(&mut self) {
        if let Some(known) = registry().lock().threads.get_mut(&self.key) {
            known.waiting = None;
        }
    }
}

/// A live run inside [`crate::run()`] begins: a deadlock found now stops its threads instead of
/// the process.
pub(crate) fn begin_run() {
    know_current();
    RUNS.fetch_add(1, Ordering::SeqCst);
}

/// The live run ends: returns the watchdog's report if it stopped the run. Waits (up to 2 s)
/// for the stopped threads to unwind first.
pub(crate) fn end_run() -> Option<String> {
    let report = REPORT.lock().take();
    if report.is_some() {
        let me = thread_key();
        let give_up = Instant::now() + Duration::from_secs(2);
        while Instant::now() < give_up {
            let others_waiting = registry()
                .lock()
                .threads
                .iter()
                .any(|(key, known)| *key != me && known.waiting.is_some());
            if !others_waiting {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        CANCELLED.store(false, Ordering::SeqCst);
    }
    RUNS.fetch_sub(1, Ordering::SeqCst);
    report
}

#[derive(PartialEq)]
struct Sighting {
    serials: Vec<u64>,
}

fn watch() {
    let mut last: Option<Sighting> = None;
    let mut since = Instant::now();
    loop {
        std::thread::sleep(CHECK_EVERY);
        if cancelled() {
            wake_all_waiters();
            continue;
        }
        let found = look();
        match (found, &last) {
            (Some((sighting, report)), Some(previous)) if *previous == sighting => {
                let after = since.elapsed();
                let report = format!(
                    "DEADLOCK found by the watchdog ({} ms after it first saw it): {report}",
                    after.as_millis().max(CHECK_EVERY.as_millis())
                );
                if RUNS.load(Ordering::SeqCst) == 0 {
                    eprintln!("{report}");
                    eprintln!(
                        "The program is stopped here (exit status {DEADLOCK_EXIT}) instead of \
                         hanging."
                    );
                    crate::cleanup::exit(DEADLOCK_EXIT);
                }
                *REPORT.lock() = Some(report);
                CANCELLED.store(true, Ordering::SeqCst);
                wake_all_waiters();
                last = None;
            }
            (Some((sighting, _)), _) => {
                if last.is_none() {
                    since = Instant::now();
                }
                last = Some(sighting);
            }
            (None, _) => last = None,
        }
    }
}

fn wake_all_waiters() {
    let wakers: Vec<Arc<dyn Fn() + Send + Sync>> = registry()
        .lock()
        .threads
        .values()
        .filter_map(|known| match &known.waiting {
            Some(Waiting {
                on: WaitOn::Object {
                    wake: Some(wake), ..
                },
                ..
            }) => Some(wake.clone()),
            _ => None,
        })
        .collect();
    for wake in wakers {
        wake();
    }
}

/// One look: a lock cycle, or every thread waiting with nothing moving.
fn look() -> Option<(Sighting, String)> {
    let registry = registry().lock();
    let name = |key: u64| {
        registry
            .threads
            .get(&key)
            .map_or_else(|| format!("thread {key}"), |known| known.name.clone())
    };
    // A cycle of lock waits: follow "waits for a lock held by" from each waiting thread.
    for (&start, _) in registry.threads.iter() {
        let mut path: Vec<u64> = Vec::new();
        let mut at = start;
        while let Some(Waiting {
            on: WaitOn::Lock(lock),
            ..
        }) = registry
            .threads
            .get(&at)
            .and_then(|known| known.waiting.as_ref())
        {
            let holder = lock.holder();
            if holder == 0 {
                break;
            }
            path.push(at);
            if let Some(position) = path.iter().position(|&key| key == holder) {
                let cycle = &path[position..];
                if !cycle.contains(&start) {
                    break;
                }
                let mut serials: Vec<u64> = Vec::new();
                let mut lines: Vec<String> = Vec::new();
                for &key in cycle {
                    let waiting = registry.threads[&key].waiting.as_ref()?;
                    serials.push(waiting.serial);
                    let WaitOn::Lock(lock) = &waiting.on else {
                        return None;
                    };
                    lines.push(format!(
                        "{} waits to {} (held by {})",
                        name(key),
                        waiting.what,
                        name(lock.holder())
                    ));
                }
                serials.sort_unstable();
                return Some((Sighting { serials }, lines.join("; ")));
            }
            at = holder;
            if path.len() > registry.threads.len() {
                break;
            }
        }
    }
    // Every thread waiting, and nothing moved on what they wait for.
    if registry.threads.is_empty() || STARTING.load(Ordering::SeqCst) > 0 {
        return None;
    }
    let mut serials = Vec::new();
    let mut lines = Vec::new();
    let mut keys: Vec<&u64> = registry.threads.keys().collect();
    keys.sort_unstable();
    for key in keys {
        let known = &registry.threads[key];
        let waiting = known.waiting.as_ref()?;
        match &waiting.on {
            WaitOn::Object { version, seen, .. } => {
                if version.load(Ordering::Relaxed) != *seen {
                    return None;
                }
            }
            // A lock held by nobody (being handed over) or by a thread the toolkit does not
            // know (which may be running) can still be had.
            WaitOn::Lock(lock) => {
                if !registry.threads.contains_key(&lock.holder()) {
                    return None;
                }
            }
        }
        serials.push(waiting.serial);
        lines.push(format!("{} waits to {}", known.name, waiting.what));
    }
    Some((
        Sighting { serials },
        format!("every thread is waiting: {}", lines.join("; ")),
    ))
}
