//! Exercises of lesson 10 (limits): a semaphore that holds its limit (10a), and a global limit
//! that lets user requests go first (10b).
//!
//! Each check judges what the toolkit saw the student's own program do (see [`super::judge`]):
//! the explorer at a small size (the most tasks inside at once, every task done), seeded replays
//! at a larger one (the count of the atomic "inside" on every turn, who waited on the condvar),
//! and live runs several at once.

use std::time::Duration;

use super::judge::{self, Record};
use super::{Exercise, Failure, Program};

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..6;

/// A check's limit per run.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The explorer's bound: three threads of many turns each have too many schedules for a
/// complete search.
const BOUNDS: [&str; 2] = ["--preemptions", "2"];

/// The exercises of lesson 10.
pub fn exercises() -> Vec<Exercise> {
    vec![Exercise {
        id: "10a",
        title: "a semaphore that holds its limit",
        starter: "ex10a_semaphore.rs",
        solution: "sol10a_semaphore.rs",
        hints: [
            "Run `--explore` and read the outcomes: `(3, 3)` means three tasks were inside at \
             once with 2 permits. `acquire` must not return while the count of free permits is \
             zero, and whoever gives a permit back must add it to the count, or the waiters \
             wait forever.",
            "In `acquire`, `self.given_back.wait_while(&mut free, |free| *free == 0);` sleeps \
             until the count is above zero (and checks again after every wake-up), then \
             `*free -= 1;` takes the permit. A plain `if` instead of `wait_while` lets a woken \
             task go in after another took the permit it was woken for.",
            "In `drop`: `*self.semaphore.free.lock() += 1;` then \
             `self.semaphore.given_back.notify_one();`. The guard is dropped at the end of the \
             first statement, so the woken task can take the lock at once.",
        ],
        timeout: TIMEOUT,
        check: check_semaphore,
    }]
}

/// The outcome `(most, done)` of the program: the most tasks inside at once, and how many
/// tasks finished.
fn most_and_done(outcome: &str) -> Option<(usize, usize)> {
    let inside = outcome.strip_prefix('(')?.strip_suffix(')')?;
    let (most, done) = inside.split_once(',')?;
    Some((most.trim().parse().ok()?, done.trim().parse().ok()?))
}

/// Judges an outcome of `tasks` tasks under `permits` permits.
fn within_the_limit(outcome: &str, tasks: usize, permits: usize) -> Result<(), String> {
    if outcome.starts_with("DEADLOCK") {
        return Err(format!(
            "the tasks never finished: {outcome}: a permit that is given back must be added to \
             the count, and a waiter woken"
        ));
    }
    let Some((most, done)) = most_and_done(outcome) else {
        return Err(format!(
            "the run ended with `{outcome}`, not (most inside at once, tasks done): did a task \
             panic?"
        ));
    };
    if most > permits {
        return Err(format!(
            "{most} tasks were inside at once with {permits} permits: `acquire` let a task in \
             while no permit was free"
        ));
    }
    if done != tasks {
        return Err(format!(
            "{done} of {tasks} tasks finished: the others panicked. Did a task take a permit \
             that was not there (`*free -= 1` with none free overflows)? A woken task must look \
             at the count again: another may have taken the permit first"
        ));
    }
    Ok(())
}

/// The most tasks inside at once, read from the replay's `inside.fetch_add(1) -> N` rows, and
/// the tasks that entered.
fn inside_from_the_trace(record: &Record) -> (usize, Vec<String>) {
    let mut most = 0;
    let mut entered = Vec::new();
    for row in record.actions() {
        if let Some(before) = row.action.strip_prefix("inside.fetch_add(1) -> ") {
            most = most.max(before.trim().parse::<usize>().unwrap_or(usize::MAX - 1) + 1);
            entered.push(row.thread);
        }
    }
    (most, entered)
}

/// 10a: never more than K inside and every task done, in every schedule explored (3 tasks on 2
/// permits and on 1), in seeded replays of 6 tasks on 2 permits (also with sleeps of any length)
/// (read from the trace: each task entered once, the count of "inside" never above 2, and some task
/// waited on "given_back"), and live.
fn check_semaphore(program: &Program) -> Result<(), Failure> {
    let invariant = "never more than --permits tasks inside at once, and every task gets a \
                     permit and finishes";
    for permits in ["2", "1"] {
        let args = ["--tasks", "3", "--permits", permits];
        let limit: usize = permits.parse().expect("a number");
        judge::every_schedule(program, &args, &BOUNDS, invariant, |outcome| {
            within_the_limit(outcome, 3, limit)
        })?;
    }
    let large = ["--tasks", "6", "--permits", "2"];
    judge::seeded_replays_with_any_delay(program, &large, SEEDS, invariant, |record| {
        within_the_limit(&record.outcome(), 6, 2)
    })?;
    let waited = std::sync::atomic::AtomicBool::new(false);
    judge::seeded_replays(program, &large, SEEDS, invariant, |record| {
        judge::finished(record)?;
        judge::thread_count(record, 6)?;
        let (most, mut entered) = inside_from_the_trace(record);
        if most > 2 {
            return Err(format!(
                "the atomic \"inside\" counted {most} tasks inside at once with 2 permits"
            ));
        }
        entered.sort();
        entered.dedup();
        if entered.len() != 6 {
            return Err(format!(
                "{} of 6 tasks entered (added themselves to \"inside\"): leave the tasks as they \
                 are and make each take a permit",
                entered.len()
            ));
        }
        if (record.actions().iter()).any(|row| row.action.starts_with("wait on given_back")) {
            waited.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        within_the_limit(&record.outcome(), 6, 2)
    })?;
    if !waited.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(Failure::new(format!(
            "in {} replays of {} no task ever waited on the condvar \"given_back\", though \
             6 tasks share 2 permits: a task that finds no free permit must wait there until \
             one is given back",
            SEEDS.end - SEEDS.start,
            large.join(" ")
        )));
    }
    judge::live_runs(program, &large, 2, |record| {
        judge::finished(record)?;
        within_the_limit(&record.outcome(), 6, 2)
    })
}
