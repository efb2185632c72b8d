//! Drop-in threads: `std::thread`'s `spawn`, `scope`, `Builder`, `JoinHandle`, `sleep`.
//!
//! Live, each is the std function on a real OS thread, and the thread is known to the watchdog
//! by its name. In a replay a spawn, a join and a sleep are turns: main is a thread like the
//! others (column 0), a new thread runs only when the scheduler picks it, `sleep` waits on a
//! virtual clock, and threads still running when main returns are cut off where they stand.
//!
//! The name given with [`Builder::name`] is the thread's column in the trace.
#![forbid(unsafe_code)]

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

pub use std::thread::{Thread, ThreadId, available_parallelism, current, panicking};

use crate::live::{self, WaitOn};
use crate::scheduler::{Granted, Pending, Scheduler, Stopped, Until, current as replay};

/// Exit status of a program that could not start a thread (`spawn` rather than
/// `Builder::spawn`, which returns the error).
pub const SPAWN_FAILED_EXIT: i32 = 5;

/// The result of joining a thread: its value, or the payload of its panic.
pub type Result<T> = std::thread::Result<T>;

/// What the toolkit knows of a spawned thread: whether it has ended, for joins.
struct Done {
    name: String,
    column: Option<usize>,
    ended: parking_lot::Mutex<bool>,
    woken: parking_lot::Condvar,
    version: Arc<AtomicU64>,
    joined: AtomicBool,
}

impl Done {
    fn new(name: String, column: Option<usize>) -> Arc<Done> {
        Arc::new(Done {
            name,
            column,
            ended: parking_lot::Mutex::new(false),
            woken: parking_lot::Condvar::new(),
            version: Arc::new(AtomicU64::new(0)),
            joined: AtomicBool::new(false),
        })
    }

    fn end(&self) {
        *self.ended.lock() = true;
        self.version.fetch_add(1, Ordering::Relaxed);
        self.woken.notify_all();
    }

    /// Waits until the thread has ended: a turn in a replay; live, a wait the watchdog sees.
    fn wait(self: &Arc<Self>) {
        self.joined.store(true, Ordering::Relaxed);
        if let (Some((scheduler, me)), Some(column)) = (replay(), self.column) {
            let mut pending =
                Pending::until(Until::Finished(column), format!("join {}", self.name));
            let ended = *self.ended.lock();
            pending.arrival = (!ended).then(|| format!("waits for {} to finish", self.name));
            if scheduler.turn(me, pending) != Granted::Free {
                scheduler.record(me, format!("join {}", self.name), None);
            }
            return;
        }
        let mut ended = self.ended.lock();
        if *ended {
            return;
        }
        let me = self.clone();
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            me.woken.notify_all();
        });
        let _waiting = live::wait(
            || format!("join {}", self.name),
            WaitOn::Object {
                version: self.version.clone(),
                seen: self.version.load(Ordering::Relaxed),
                wake: Some(wake),
            },
        );
        while !*ended {
            if live::cancelled() {
                drop(ended);
                live::stop_if_cancelled();
                return;
            }
            self.woken.wait(&mut ended);
        }
    }
}

/// A thread's settings before it starts: its name (the trace column) and stack size.
#[derive(Debug, Default)]
pub struct Builder {
    name: Option<String>,
    stack_size: Option<usize>,
}

/// Everything a new thread needs to take part in a replay or be known to the watchdog.
struct Start {
    replay: Option<(Arc<Scheduler>, usize, usize)>,
    done: Arc<Done>,
}

impl Builder {
    /// A builder with no name and the default stack size.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// The thread's name: in `current().name()`, panic messages, the trace and deadlock reports.
    pub fn name(mut self, name: String) -> Builder {
        self.name = Some(name);
        self
    }

    /// The thread's stack size in bytes.
    pub fn stack_size(mut self, size: usize) -> Builder {
        self.stack_size = Some(size);
        self
    }

    fn std_builder(&self) -> std::thread::Builder {
        let mut builder = std::thread::Builder::new();
        if let Some(name) = &self.name {
            builder = builder.name(name.clone());
        }
        if let Some(size) = self.stack_size {
            builder = builder.stack_size(size);
        }
        builder
    }

    /// Before the OS thread exists: a turn and a column in a replay.
    fn prepare(&self) -> Start {
        match replay() {
            Some((scheduler, me)) => {
                scheduler.turn(me, Pending::now("spawn"));
                let column = scheduler.add_thread(self.name.as_deref());
                let name = scheduler.thread_name(column);
                Start {
                    replay: Some((scheduler, me, column)),
                    done: Done::new(name, Some(column)),
                }
            }
            None => {
                live::know_current();
                live::thread_starting();
                let name = self.name.clone().unwrap_or_else(|| "a thread".to_string());
                Start {
                    replay: None,
                    done: Done::new(name, None),
                }
            }
        }
    }

    /// After the OS thread was (or was not) created.
    fn started(start: &Start, result: &io::Result<()>) {
        if let Some((scheduler, me, column)) = &start.replay {
            match result {
                Ok(()) => {
                    scheduler.record(*me, format!("spawn {}", start.done.name), None);
                    scheduler.hand_to_new(*me, *column);
                }
                Err(error) => {
                    scheduler.record(
                        *me,
                        format!("spawn {} failed: {error}", start.done.name),
                        None,
                    );
                    scheduler.finish_unstarted(*column);
                }
            }
        } else if result.is_err() {
            live::thread_started(); // it never will
        }
    }

    /// Starts the thread; fails (with the OS's reason) when it cannot be created. A lesson that
    /// unwraps that error (`.expect(..)`) stops with the same one line and
    /// [`SPAWN_FAILED_EXIT`] as [`spawn`], through the panic hook of [`crate::cleanup`].
    pub fn spawn<F, T>(self, body: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let start = self.prepare();
        let run = wrap(&start, body);
        let result = self.std_builder().spawn(run);
        Builder::started(&start, &result.as_ref().map(|_| ()).map_err(clone_error));
        Ok(JoinHandle {
            inner: result?,
            done: start.done,
        })
    }

    /// Starts a scoped thread (see [`scope`]).
    pub fn spawn_scoped<'scope, 'env, F, T>(
        self,
        scope: &'scope Scope<'scope, 'env>,
        body: F,
    ) -> io::Result<ScopedJoinHandle<'scope, T>>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let start = self.prepare();
        let run = wrap(&start, body);
        let result = self.std_builder().spawn_scoped(scope.inner, run);
        Builder::started(&start, &result.as_ref().map(|_| ()).map_err(clone_error));
        let inner = result?;
        scope.spawned.lock().push(start.done.clone());
        Ok(ScopedJoinHandle {
            inner,
            done: start.done,
        })
    }
}

/// A copy of a spawn error for the bookkeeping; the original is noted, so that a panic carrying
/// it (`.expect(..)` on the result) is reported as the spawn failure it is.
fn clone_error(error: &io::Error) -> io::Error {
    crate::cleanup::note_spawn_error(error);
    io::Error::new(error.kind(), error.to_string())
}

/// The body of a new thread: takes part in the replay or tells the watchdog it exists, runs
/// `body`, and says when it has ended. A thread stopped by the toolkit returns `None`.
fn wrap<F, T>(start: &Start, body: F) -> impl FnOnce() -> Option<T> + use<F, T>
where
    F: FnOnce() -> T,
{
    let replay = start.replay.clone();
    let done = start.done.clone();
    move || match replay {
        Some((scheduler, _, column)) => {
            let result = panic::catch_unwind(AssertUnwindSafe(|| {
                scheduler.begin_thread(column);
                body()
            }));
            let value = match result {
                Ok(value) => Some(value),
                Err(payload) if payload.is::<Stopped>() => None,
                Err(payload) => {
                    scheduler.record(column, "panicked", None);
                    scheduler.finish(column);
                    done.end();
                    crate::scheduler::set_current(None);
                    scheduler.exited();
                    panic::resume_unwind(payload)
                }
            };
            scheduler.finish(column);
            done.end();
            crate::scheduler::set_current(None);
            scheduler.exited();
            value
        }
        None => {
            live::know_current();
            live::thread_started();
            let result = panic::catch_unwind(AssertUnwindSafe(body));
            // Ended before forgotten: a joiner must never look like the last thread waiting.
            done.end();
            live::forget_current();
            match result {
                Ok(value) => Some(value),
                Err(payload) if payload.is::<Stopped>() => None,
                Err(payload) => panic::resume_unwind(payload),
            }
        }
    }
}

fn spawn_or_exit<T>(result: io::Result<T>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => crate::cleanup::spawn_failed(error),
    }
}

/// Starts a thread running `body`. When the OS refuses a thread, prints why and exits with
/// [`SPAWN_FAILED_EXIT`] (std would panic); use [`Builder::spawn`] to handle it instead.
pub fn spawn<F, T>(body: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    spawn_or_exit(Builder::new().spawn(body))
}

/// Owns a spawned thread: `join` waits for it and returns its value (or its panic, as `Err`).
/// Dropping the handle detaches the thread.
pub struct JoinHandle<T> {
    inner: std::thread::JoinHandle<Option<T>>,
    done: Arc<Done>,
}

impl<T> JoinHandle<T> {
    /// Waits for the thread to end. Its value, or `Err` with the payload if it panicked.
    pub fn join(self) -> Result<T> {
        self.done.wait();
        finish_join(self.inner.join())
    }

    /// True once the thread has ended.
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// The thread's std handle (name, id).
    pub fn thread(&self) -> &Thread {
        self.inner.thread()
    }
}

fn finish_join<T>(result: Result<Option<T>>) -> Result<T> {
    match result {
        Ok(Some(value)) => Ok(value),
        // The joined thread was stopped by the toolkit, so this run is being stopped too.
        Ok(None) => panic::resume_unwind(Box::new(Stopped)),
        Err(payload) => Err(payload),
    }
}

/// Runs `body` with a scope in which threads may borrow local variables; every thread spawned
/// in it is joined before `scope` returns.
pub fn scope<'env, F, T>(body: F) -> T
where
    F: for<'scope> FnOnce(&'scope Scope<'scope, 'env>) -> T,
{
    std::thread::scope(|inner| {
        // The scope lives as long as the std scope; a few bytes per call are not freed.
        let ours: &Scope<'_, 'env> = Box::leak(Box::new(Scope {
            inner,
            spawned: parking_lot::Mutex::new(Vec::new()),
        }));
        let result = panic::catch_unwind(AssertUnwindSafe(|| body(ours)));
        let stopped = result
            .as_ref()
            .err()
            .is_some_and(|payload| payload.is::<Stopped>());
        if !stopped {
            // The implicit joins at the end of the scope are joins like the others.
            let unjoined: Vec<Arc<Done>> = ours
                .spawned
                .lock()
                .iter()
                .filter(|done| !done.joined.load(Ordering::Relaxed))
                .cloned()
                .collect();
            for done in unjoined {
                done.wait();
            }
        }
        match result {
            Ok(value) => value,
            Err(payload) => panic::resume_unwind(payload),
        }
    })
}

/// A scope for threads that borrow from the stack (see [`scope`]).
pub struct Scope<'scope, 'env: 'scope> {
    inner: &'scope std::thread::Scope<'scope, 'env>,
    spawned: parking_lot::Mutex<Vec<Arc<Done>>>,
}

impl<'scope> Scope<'scope, '_> {
    /// Starts a scoped thread. When the OS refuses a thread, prints why and exits with
    /// [`SPAWN_FAILED_EXIT`]; use [`Builder::spawn_scoped`] to handle it instead.
    pub fn spawn<F, T>(&'scope self, body: F) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        spawn_or_exit(Builder::new().spawn_scoped(self, body))
    }
}

/// Owns a scoped thread.
pub struct ScopedJoinHandle<'scope, T> {
    inner: std::thread::ScopedJoinHandle<'scope, Option<T>>,
    done: Arc<Done>,
}

impl<T> ScopedJoinHandle<'_, T> {
    /// Waits for the thread to end. Its value, or `Err` with the payload if it panicked.
    pub fn join(self) -> Result<T> {
        self.done.wait();
        finish_join(self.inner.join())
    }

    /// True once the thread has ended.
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// The thread's std handle (name, id).
    pub fn thread(&self) -> &Thread {
        self.inner.thread()
    }
}

/// When this environment variable is set (to anything but empty), a replay lets every sleep
/// last any time: a sleep is a turn that orders nothing, as on a machine that may delay any
/// thread at any moment. The explorer then finds the schedules in which threads kept apart only
/// by sleeps of different lengths meet after all. The exercise checks use it; lessons do not.
pub const ANY_DELAY_VAR: &str = "WORKBOOK_ANY_DELAY";

fn any_delay() -> bool {
    static ANY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ANY.get_or_init(|| std::env::var_os(ANY_DELAY_VAR).is_some_and(|value| !value.is_empty()))
}

/// Sleeps for `duration`: real time live; in a replay, until the virtual clock has moved on by
/// `duration` (it jumps ahead when nobody else can run), or, with [`ANY_DELAY_VAR`] set, for
/// any time at all.
pub fn sleep(duration: Duration) {
    if let Some((scheduler, me)) = replay() {
        let what = format!("sleep {}", crate::scheduler::format_time(duration));
        if any_delay() {
            if scheduler.turn(me, Pending::now(what.clone())) != Granted::Free {
                scheduler.record(me, format!("{what} (any delay)"), None);
            }
            return;
        }
        let until = scheduler.clock() + duration;
        let mut pending = Pending::until(
            Until::Clock(until),
            format!("sleep {}", crate::scheduler::format_time(duration)),
        );
        if !duration.is_zero() {
            pending.arrival = Some(format!("sleep {}", crate::scheduler::format_time(duration)));
        }
        if scheduler.turn(me, pending) != Granted::Free {
            scheduler.record(me, "wake up", None);
        }
        return;
    }
    std::thread::sleep(duration);
}

/// Runs `work`, CPU work that takes about `cost`, and returns its value. Live it just runs
/// `work`: the computing itself takes the time. A replay runs one thread at a time, so
/// computing would take no virtual time at all; there `compute` is a turn that then holds this
/// thread for `cost` of virtual time, as a sleep does, so that a trace shows a stage that
/// computes overlapping with one that waits. (With [`ANY_DELAY_VAR`] set, for any time.)
pub fn compute<T>(cost: Duration, work: impl FnOnce() -> T) -> T {
    let value = work();
    if let Some((scheduler, me)) = replay() {
        let what = format!("compute {}", crate::scheduler::format_time(cost));
        if any_delay() {
            if scheduler.turn(me, Pending::now(what.clone())) != Granted::Free {
                scheduler.record(me, format!("{what} (any delay)"), None);
            }
            return value;
        }
        let mut pending = Pending::until(Until::Clock(scheduler.clock() + cost), what.clone());
        if !cost.is_zero() {
            pending.arrival = Some(what);
        }
        if scheduler.turn(me, pending) != Granted::Free {
            scheduler.record(me, "computed", None);
        }
    }
    value
}

/// Lets another thread run: a turn in a replay, a hint to the OS live.
pub fn yield_now() {
    if let Some((scheduler, me)) = replay() {
        if scheduler.turn(me, Pending::now("yield")) != Granted::Free {
            scheduler.record(me, "yield", None);
        }
        return;
    }
    std::thread::yield_now();
}
