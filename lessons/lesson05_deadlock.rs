//! Lesson 5: a deadlock that always happens, is always detected, and never hangs.
//!
//! Two transfers run at the same time between two accounts, A and B. The transfer `A->B` locks
//! A, then B; the transfer `B->A` locks B, then A. A `Barrier` between the first lock and the
//! second makes sure that each one holds its first lock before it asks for its second, so every
//! live run deadlocks: each thread waits for a lock the other one holds, forever. A watchdog
//! (the main thread) sees the cycle in the lesson's own record of who holds and who waits,
//! explains it, and ends the process: the stuck threads can never be joined.
//!
//! Then two fixes: `--fix 1` takes the locks in one global order, `--fix 2` gives up the first
//! lock when the second does not come within a short time (`try_lock_for`), backs off, and
//! retries. Both finish on every run.
//!
//! Run it live:            cargo run --bin lesson05
//! The two fixes:          cargo run --bin lesson05 -- --fix 1     (and --fix 2)
//! Replay the way into it: cargo run --bin lesson05 -- --seed 3
//! With parking_lot's own deadlock detector as well:
//!                         cargo run --bin lesson05 --features deadlock-detection
//!
//! Exit status: 0 when the transfers finished (the fixes, and every replay: a replayed deadlock is
//! stopped by the scheduler and its threads unwind and are joined); 4 ([`DEADLOCK_EXIT`]) when
//! the live watchdog found threads stuck and ended the process with `std::process::exit`;
//! 2 for bad flags.
#![forbid(unsafe_code)]

use std::io::Write;
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use parking_lot::{Mutex, MutexGuard};
use workbook::{Actor, Cli, Mode, Outcome, Run};

const PROGRAM: &str = "lesson05";

/// The two transfers, one thread each: column 0 and column 1 of the trace.
const TRANSFERS: [&str; 2] = ["A->B", "B->A"];

/// Exit status of a live run whose threads were stuck: the watchdog ended the process.
const DEADLOCK_EXIT: i32 = 4;

/// The watchdog reports stuck threads within this time, whatever it has found by then.
const GIVE_UP_AFTER: Duration = Duration::from_secs(2);

/// How often the watchdog looks at the record of who holds and who waits.
const WATCH_EVERY: Duration = Duration::from_millis(20);

/// Fix 2: how long a transfer waits for its second lock before it backs off (live runs).
const PATIENCE: Duration = Duration::from_millis(10);

/// Fix 2: a transfer that has not got both locks after this many attempts gives up.
const MAX_ATTEMPTS: u32 = 20;

/// Which version of the transfers to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fix {
    /// Opposite lock order and a barrier in between: a certain deadlock.
    None = 0,
    /// Fix 1: both transfers lock A before B.
    LockOrder = 1,
    /// Fix 2: wait a short time for the second lock; if it does not come, let go and retry.
    Retry = 2,
}

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "two transfers lock two accounts in opposite order: a deadlock, detected; then two fixes",
    );
    let fix = cli.number(
        "--fix",
        "N",
        "0 = the deadlock, 1 = one global lock order, 2 = try_lock_for, back off and retry",
        0,
        0..=2,
    );
    let no_barrier = cli.switch(
        "--no-barrier",
        "leave the barrier out: then whether the transfers deadlock is a matter of luck",
    );
    let seeds = cli.number(
        "--seeds",
        "N",
        "replays only: how many seeds the summary table at the end shows",
        10,
        1..=1000,
    );
    cli.replay_only(
        "--seeds",
        "it sizes the seed table of a replay; a live run has none",
    );
    let flags = cli.parse();
    let with_barrier = !flags[no_barrier];
    let fix = match flags[fix] {
        0 => Fix::None,
        1 => Fix::LockOrder,
        _ => Fix::Retry,
    };

    let run = Run::new(PROGRAM, &flags, &TRANSFERS);
    match fix {
        Fix::None => println!(
            "Two transfers, A->B (10) and B->A (20), lock the two accounts in opposite order{}.",
            if with_barrier {
                ", with a barrier between the first lock and the second"
            } else {
                " (no barrier this time)"
            }
        ),
        Fix::LockOrder => println!(
            "Fix 1: both transfers lock A first, then B (one global order). They start together."
        ),
        Fix::Retry => println!(
            "Fix 2: each transfer waits only a short time for its second lock; if it does not \
             come, it lets go of the first, backs off, and tries again."
        ),
    }
    run.print_live_header();
    let bank = Bank::new();
    let attempts = transfers(&run, &bank, fix, with_barrier);
    let outcome = run.finish();
    report(&flags.mode, &bank, fix, &outcome, attempts);

    if flags.mode.is_replay() {
        println!();
        seed_table(fix, flags[seeds]);
    }
    println!();
    println!("Read chapter 5 to see why: book/src/lesson05.md (or `mdbook serve book`).");
}

/// An account: its name and its balance, behind its own lock.
struct Account {
    name: &'static str,
    balance: Mutex<i64>,
}

/// The two accounts, and the record of who holds and who waits for their locks.
struct Bank {
    accounts: [Account; 2],
    ledger: Ledger,
}

impl Bank {
    fn new() -> Bank {
        Bank {
            accounts: [
                Account {
                    name: name(0),
                    balance: Mutex::new(100),
                },
                Account {
                    name: name(1),
                    balance: Mutex::new(100),
                },
            ],
            ledger: Ledger::default(),
        }
    }

    fn balances(&self) -> String {
        // Only called when no transfer runs, so these locks are free.
        format!(
            "A {}, B {}",
            self.accounts[0].balance.lock(),
            self.accounts[1].balance.lock()
        )
    }

    // ANCHOR: lock
    /// Locks account `index` as one step, writing down first that `me` waits for it, then that
    /// `me` holds it: the watchdog reads these notes.
    fn lock(&self, me: &Actor<'_>, index: usize) -> MutexGuard<'_, i64> {
        let account = &self.accounts[index];
        self.ledger.waits(me.number(), account.name, Wait::Forever);
        let guard = me.lock(&format!("lock {}", account.name), &account.balance);
        self.ledger.holds(me.number(), account.name);
        guard
    }
    // ANCHOR_END: lock

    /// Fix 2: one attempt at account `index`, waiting at most `patience`. In a replay the
    /// patience is zero: the scheduler cannot let time pass while another thread waits, so the
    /// attempt fails at once if the lock is held.
    fn try_lock_for(
        &self,
        me: &Actor<'_>,
        index: usize,
        patience: Duration,
    ) -> Option<MutexGuard<'_, i64>> {
        let account = &self.accounts[index];
        self.ledger
            .waits(me.number(), account.name, Wait::AtMost(patience));
        let mut got = None;
        me.step(&format!("try lock {}", account.name), || {
            got = account.balance.try_lock_for(patience);
            if got.is_some() { "got it" } else { "busy" }
        });
        match got {
            Some(_) => self.ledger.holds(me.number(), account.name),
            None => self.ledger.gave_up(me.number()),
        }
        got
    }

    /// Unlocks account `index` as one step.
    fn unlock(&self, me: &Actor<'_>, index: usize, guard: MutexGuard<'_, i64>) {
        let name = self.accounts[index].name;
        me.action(&format!("unlock {name}"), || {
            self.ledger.releases(me.number(), name); // before the lock is free, never after
            drop(guard);
        });
    }
}

/// The moment both transfers meet. Live, it is a real `std::sync::Barrier` for two threads: the
/// first to arrive waits for the other. In a replay the scheduler plays the barrier: the step
/// "leave barrier" can run only once both have arrived (a real `wait` there would block a thread
/// the scheduler cannot see).
struct Meeting {
    barrier: Barrier,
    arrived: AtomicUsize,
    live: bool,
}

impl Meeting {
    fn new(live: bool) -> Meeting {
        Meeting {
            barrier: Barrier::new(TRANSFERS.len()),
            arrived: AtomicUsize::new(0),
            live,
        }
    }

    fn wait(&self, me: &Actor<'_>) {
        me.action("arrive at barrier", || {
            self.arrived.fetch_add(1, Ordering::SeqCst)
        });
        me.action_when(
            "leave barrier",
            || self.arrived.load(Ordering::SeqCst) == TRANSFERS.len(),
            || {
                if self.live {
                    self.barrier.wait();
                }
            },
        );
    }
}

// ANCHOR: deadlock
/// Moves `amount` from account `from` to account `to`: lock `from`, meet the other transfer,
/// lock `to`. With the other transfer going the opposite way, each now holds the lock the other
/// one needs.
fn transfer(me: &Actor<'_>, bank: &Bank, meeting: Option<&Meeting>, from: usize, to: usize) {
    let amount = amount_of(me);
    let mut source = bank.lock(me, from);
    if let Some(meeting) = meeting {
        meeting.wait(me); // both hold their first lock when they leave the barrier
    }
    let mut target = bank.lock(me, to);
    me.step(&format!("move {amount}"), || {
        *source -= amount;
        *target += amount;
        format!("{} {}, {} {}", name(from), *source, name(to), *target)
    });
    bank.unlock(me, to, target);
    bank.unlock(me, from, source);
}
// ANCHOR_END: deadlock

// ANCHOR: lock_order
/// Fix 1: every transfer locks the account with the lower number first, whichever way the
/// money goes. Two transfers can no longer each hold what the other needs: the one that gets
/// A first also gets B, while the other waits for A holding nothing.
fn transfer_in_order(
    me: &Actor<'_>,
    bank: &Bank,
    meeting: Option<&Meeting>,
    from: usize,
    to: usize,
) {
    let amount = amount_of(me);
    if let Some(meeting) = meeting {
        meeting.wait(me); // start together; the barrier may not sit between the two locks now
    }
    let (first, second) = (from.min(to), from.max(to));
    let mut first_guard = bank.lock(me, first);
    let mut second_guard = bank.lock(me, second);
    let (source, target) = if from == first {
        (&mut *first_guard, &mut *second_guard)
    } else {
        (&mut *second_guard, &mut *first_guard)
    };
    me.step(&format!("move {amount}"), || {
        *source -= amount;
        *target += amount;
        format!("{} {}, {} {}", name(from), *source, name(to), *target)
    });
    bank.unlock(me, second, second_guard);
    bank.unlock(me, first, first_guard);
}
// ANCHOR_END: lock_order

// ANCHOR: retry
/// Fix 2: lock `from`, then *try* to lock `to` for a short time. If it does not come, give
/// `from` back, wait a little (a different time for each transfer, longer after each failure,
/// so the two stop colliding), and start again. Returns the number of attempts, or `None` if it
/// gave up.
fn transfer_with_retry(
    me: &Actor<'_>,
    bank: &Bank,
    meeting: Option<&Meeting>,
    from: usize,
    to: usize,
    patience: Duration,
) -> Option<u32> {
    let amount = amount_of(me);
    for attempt in 1..=MAX_ATTEMPTS {
        let mut source = bank.lock(me, from);
        if attempt == 1 {
            if let Some(meeting) = meeting {
                meeting.wait(me); // the worst case again: both hold their first lock
            }
        }
        let Some(mut target) = bank.try_lock_for(me, to, patience) else {
            bank.unlock(me, from, source); // back off: let the other transfer have it
            me.sleep(Duration::from_millis(1 + 4 * me.number() as u64) * attempt);
            continue;
        };
        me.step(&format!("move {amount}"), || {
            *source -= amount;
            *target += amount;
            format!("{} {}, {} {}", name(from), *source, name(to), *target)
        });
        bank.unlock(me, to, target);
        bank.unlock(me, from, source);
        return Some(attempt);
    }
    None
}
// ANCHOR_END: retry

/// The name of account `index`: A or B.
fn name(index: usize) -> &'static str {
    ["A", "B"][index]
}

/// A->B moves 10, B->A moves 20.
fn amount_of(me: &Actor<'_>) -> i64 {
    10 * (me.number() as i64 + 1)
}

// ANCHOR: threads
/// Runs the two transfers on two threads. In a live run the main thread is the watchdog while
/// they run; if it finds them stuck it explains why and ends the process. Returns each
/// transfer's number of attempts (1 unless it retried; `None` if a replay stopped it).
fn transfers(run: &Run, bank: &Bank, fix: Fix, with_barrier: bool) -> [Option<u32>; 2] {
    let live = !run.mode().is_replay();
    let meeting = with_barrier.then(|| Meeting::new(live));
    let patience = if live { PATIENCE } else { Duration::ZERO };
    thread::scope(|scope| {
        let handles = [(0, 1), (1, 0)].map(|(from, to)| {
            let meeting = meeting.as_ref();
            scope.spawn(move || {
                run.actor(TRANSFERS[from], |me| match fix {
                    Fix::None => {
                        transfer(me, bank, meeting, from, to);
                        Some(1)
                    }
                    Fix::LockOrder => {
                        transfer_in_order(me, bank, meeting, from, to);
                        Some(1)
                    }
                    Fix::Retry => transfer_with_retry(me, bank, meeting, from, to, patience),
                })
                .flatten()
            })
        });
        if live {
            watchdog(bank, &handles);
        }
        handles.map(|handle| handle.join().expect("a transfer panicked"))
    })
}
// ANCHOR_END: threads

// ANCHOR: watchdog
/// Watches the transfers until they finish. If the ledger shows a cycle (each thread waiting
/// for a lock another one holds), or if they are still running after [`GIVE_UP_AFTER`], it
/// prints who is stuck on what, and ends the process: a stuck thread can never be joined.
fn watchdog(bank: &Bank, handles: &[thread::ScopedJoinHandle<'_, Option<u32>>]) {
    let start = Instant::now();
    while !handles.iter().all(|handle| handle.is_finished()) {
        let cycle = bank.ledger.cycle();
        if cycle.is_some() || start.elapsed() > GIVE_UP_AFTER {
            let found = start.elapsed();
            println!();
            match cycle {
                Some(stuck) => {
                    println!(
                        "watchdog: DEADLOCK, found {} ms after the transfers started. Stuck:",
                        found.as_millis()
                    );
                    for line in &stuck {
                        println!("  {line}");
                    }
                    println!(
                        "  Each one waits for a lock that another one holds, and none of them \
                         lets go while it waits: a cycle, so none of them can ever go on."
                    );
                }
                None => {
                    println!(
                        "watchdog: the transfers are still running after {} s. The ledger: {}",
                        GIVE_UP_AFTER.as_secs(),
                        bank.ledger.describe()
                    );
                }
            }
            confirm_with_parking_lot(handles);
            println!(
                "The stuck threads can never finish, so they can never be joined: the lesson \
                 ends the process with std::process::exit({DEADLOCK_EXIT}), which stops them \
                 too (exit status {DEADLOCK_EXIT} means \"deadlock detected\")."
            );
            println!(
                "Two ways out: cargo run --bin {PROGRAM} -- --fix 1 (one lock order), or --fix 2 \
                 (try_lock_for, back off, retry)."
            );
            println!();
            println!("Read chapter 5 to see why: book/src/lesson05.md (or `mdbook serve book`).");
            let _ = std::io::stdout().flush();
            std::process::exit(DEADLOCK_EXIT);
        }
        thread::sleep(WATCH_EVERY); // polling: it only decides how soon the watchdog notices
    }
}
// ANCHOR_END: watchdog

// ANCHOR: parking_lot
/// With the workbook's `deadlock-detection` feature, asks parking_lot's own detector too. It
/// looks at every thread parked in a parking_lot lock, builds the same kind of graph, and
/// returns each cycle with a backtrace of every thread in it.
#[cfg(feature = "deadlock-detection")]
fn confirm_with_parking_lot(handles: &[thread::ScopedJoinHandle<'_, Option<u32>>]) {
    let start = Instant::now();
    // The threads may still be spinning for a moment before they park: look for up to 1 s.
    let cycles = loop {
        let cycles = parking_lot::deadlock::check_deadlock();
        if !cycles.is_empty() || start.elapsed() > Duration::from_secs(1) {
            break cycles;
        }
        thread::sleep(WATCH_EVERY);
    };
    if cycles.is_empty() {
        println!("parking_lot's detector found no cycle among threads parked in its locks.");
    }
    for cycle in &cycles {
        // Which of our transfers each stuck thread is, found by its ThreadId; in column order.
        let mut stuck: Vec<(usize, _)> = cycle
            .iter()
            .map(|thread| {
                let index = handles
                    .iter()
                    .position(|handle| handle.thread().id() == thread.thread_id());
                (index.unwrap_or(usize::MAX), thread)
            })
            .collect();
        stuck.sort_by_key(|(index, _)| *index);
        let names: Vec<&str> = stuck
            .iter()
            .map(|(index, _)| TRANSFERS.get(*index).copied().unwrap_or("another thread"))
            .collect();
        println!(
            "parking_lot's detector agrees: a cycle of {} threads: {}",
            cycle.len(),
            names.join(", ")
        );
        for ((_, stuck), name) in stuck.iter().zip(&names) {
            // The frames of this file, innermost first: where the thread asked for the lock.
            let places: Vec<String> = stuck
                .backtrace()
                .frames()
                .iter()
                .flat_map(|frame| frame.symbols())
                .filter(|symbol| {
                    symbol
                        .filename()
                        .is_some_and(|file| file.ends_with("lesson05_deadlock.rs"))
                })
                .take(2)
                .map(|symbol| {
                    let function = symbol
                        .name()
                        .map_or(String::new(), |name| format!("{name:#}"));
                    let function = function.trim_start_matches("lesson05::");
                    format!("{function} (line {})", symbol.lineno().unwrap_or(0))
                })
                .collect();
            println!(
                "  {name} is parked in {}",
                if places.is_empty() {
                    "a place its backtrace does not name".to_string()
                } else {
                    places.join(", called from ")
                }
            );
        }
    }
}

#[cfg(not(feature = "deadlock-detection"))]
fn confirm_with_parking_lot(_handles: &[thread::ScopedJoinHandle<'_, Option<u32>>]) {
    println!(
        "(parking_lot has a detector of its own; see it agree with: cargo run --bin {PROGRAM} \
         --features deadlock-detection)"
    );
}
// ANCHOR_END: parking_lot

/// How long a thread is prepared to wait for a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// `lock()`: until it comes, however long that is.
    Forever,
    /// `try_lock_for(d)`: at most `d`; after that it carries on without the lock.
    AtMost(Duration),
}

/// What one transfer holds and what it waits for.
#[derive(Clone, Debug, Default)]
struct Holding {
    holds: Vec<&'static str>,
    waits_for: Option<(&'static str, Wait)>,
}

// ANCHOR: ledger
/// The watchdog's view: for each thread, the locks it holds and the one it waits for. The
/// threads write it down themselves, "waits" before they ask for a lock, "holds" once they
/// have it, and "released" before they let go, so the ledger never shows a lock as free while
/// it is held.
#[derive(Default)]
struct Ledger {
    threads: Mutex<[Holding; 2]>,
}

impl Ledger {
    fn waits(&self, thread: usize, lock: &'static str, wait: Wait) {
        self.threads.lock()[thread].waits_for = Some((lock, wait));
    }

    fn holds(&self, thread: usize, lock: &'static str) {
        let mut threads = self.threads.lock();
        threads[thread].waits_for = None;
        threads[thread].holds.push(lock);
    }

    fn gave_up(&self, thread: usize) {
        self.threads.lock()[thread].waits_for = None;
    }

    fn releases(&self, thread: usize, lock: &'static str) {
        self.threads.lock()[thread]
            .holds
            .retain(|held| *held != lock);
    }

    /// A cycle of threads, each waiting without a time limit for a lock the next one holds,
    /// described one line a thread; `None` if there is no such cycle.
    fn cycle(&self) -> Option<Vec<String>> {
        let threads = self.threads.lock().clone();
        let holder_of = |lock: &str| threads.iter().position(|t| t.holds.contains(&lock));
        // Who does thread t wait for? Only a wait without a time limit can be stuck forever.
        let waits_on = |t: usize| match threads[t].waits_for {
            Some((lock, Wait::Forever)) => holder_of(lock).filter(|&holder| holder != t),
            _ => None,
        };
        for start in 0..threads.len() {
            // Follow "waits for the holder of" from `start`; coming back to it is a cycle.
            let mut path = vec![start];
            let mut current = start;
            while let Some(next) = waits_on(current) {
                if next == start {
                    return Some(
                        path.iter()
                            .map(|&t| {
                                let (lock, _) = threads[t].waits_for.expect("on the path");
                                format!(
                                    "{} holds lock {} and waits for lock {lock}, held by {}",
                                    TRANSFERS[t],
                                    threads[t].holds.join(", lock "),
                                    TRANSFERS[holder_of(lock).expect("on the path")]
                                )
                            })
                            .collect(),
                    );
                }
                if path.contains(&next) {
                    break; // a cycle that does not pass through `start`: found from another start
                }
                path.push(next);
                current = next;
            }
        }
        None
    }
    // ANCHOR_END: ledger

    fn describe(&self) -> String {
        let threads = self.threads.lock();
        let lines: Vec<String> = threads
            .iter()
            .enumerate()
            .map(|(t, holding)| {
                format!(
                    "{} holds [{}], waits for {:?}",
                    TRANSFERS[t],
                    holding.holds.join(", "),
                    holding.waits_for
                )
            })
            .collect();
        lines.join("; ")
    }
}

/// The summary after one run.
fn report(mode: &Mode, bank: &Bank, fix: Fix, outcome: &Outcome, attempts: [Option<u32>; 2]) {
    match outcome {
        Outcome::Finished if attempts.iter().all(Option::is_some) => {
            println!(
                "Both transfers completed: {} (they started at A 100, B 100).",
                mode.reveal(bank.balances())
            );
            if fix == Fix::Retry {
                for (name, attempts) in TRANSFERS.iter().zip(attempts) {
                    let attempts = attempts.map_or(String::new(), |n| n.to_string());
                    println!("  {name} needed {} attempt(s).", mode.reveal(attempts));
                }
            }
        }
        Outcome::Finished => {
            for (name, attempts) in TRANSFERS.iter().zip(attempts) {
                match attempts {
                    Some(n) => println!("{name} completed after {} attempt(s).", mode.reveal(n)),
                    None => println!(
                        "{name} GAVE UP after {MAX_ATTEMPTS} attempts: every time it held its first \
                         lock, the other transfer held its second. Its money did not move."
                    ),
                }
            }
            println!(
                "Balances: {}. Nobody was stuck, yet not everything got done: a livelock, \
                 broken only by giving up.",
                mode.reveal(bank.balances())
            );
        }
        Outcome::Deadlock(_) => println!(
            "Neither transfer completed: {}. The scheduler stopped both threads; their locks were \
             released as they unwound, so this replay ends instead of hanging.",
            mode.reveal(bank.balances())
        ),
        Outcome::BadSchedule(_) => {}
    }
}

// ANCHOR: seeds
/// Replays seeds 0 to `count - 1` quietly and prints how each ended, with and without the barrier.
fn seed_table(fix: Fix, count: u64) {
    let outcome = |seed: u64, with_barrier: bool| {
        let run = Run::seeded(seed, &TRANSFERS);
        let bank = Bank::new();
        let attempts = transfers(&run, &bank, fix, with_barrier);
        let report = run.finish_quietly();
        let steps = report.rows.len();
        match (report.outcome, attempts) {
            (Outcome::Finished, [Some(_), Some(_)]) => format!("finished after {steps} steps"),
            (Outcome::Finished, _) => format!("one GAVE UP after {steps} steps"),
            _ => format!("DEADLOCK after {steps} steps"),
        }
    };
    println!(
        "Seeds 0 to {} (cargo run --bin {PROGRAM} -- --fix {} --seed N, and --no-barrier):",
        count - 1,
        fix as u8
    );
    println!("seed | with the barrier         | without the barrier");
    println!("-----+--------------------------+-------------------------");
    for seed in 0..count {
        println!(
            "{seed:>4} | {:<24} | {}",
            outcome(seed, true),
            outcome(seed, false)
        );
    }
}
// ANCHOR_END: seeds
