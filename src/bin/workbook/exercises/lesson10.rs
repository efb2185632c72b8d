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
    vec![
        Exercise {
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
        },
        Exercise {
            id: "10b",
            title: "users first under a global limit",
            starter: "ex10b_users_first.rs",
            solution: "sol10b_users_first.rs",
            hints: [
                "Replay `--seed 0` and follow the user: it waits for a permit, and when a permit \
             comes free a background worker that also waits may take it first. The condition a \
             background worker waits on must also look at `users_waiting`.",
                "`wait_while` takes the condition to wait *while*: a user request waits while no \
             permit is free; a background worker waits while no permit is free *or* a user \
             request is waiting. `release` already wakes every waiter (notify_all), so each \
             looks at its own condition again.",
                "`let background = pool == Pool::Background;` then `self.changed.wait_while(&mut \
             state, |state| state.free == 0 || (background && state.users_waiting > 0));`.",
            ],
            timeout: TIMEOUT,
            check: check_users_first,
        },
    ]
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

/// The small size 10b's explorer runs: one permit, two background workers with a job each, one
/// user request.
const TINY_POOLS: [&str; 8] = [
    "--background",
    "2",
    "--jobs",
    "1",
    "--requests",
    "1",
    "--permits",
    "1",
];

/// 10b's outcome `(taken past a user, most inside, jobs done, requests done)`.
fn pools_outcome(outcome: &str) -> Option<[usize; 4]> {
    let inside = outcome.strip_prefix('(')?.strip_suffix(')')?;
    let numbers: Vec<usize> = inside
        .split(',')
        .map(|word| word.trim().parse().ok())
        .collect::<Option<_>>()?;
    numbers.try_into().ok()
}

/// Judges an outcome of 10b: nobody passed over, the limit kept, all the work done.
fn users_first(outcome: &str, permits: usize, jobs: usize, requests: usize) -> Result<(), String> {
    if outcome.starts_with("DEADLOCK") {
        return Err(format!(
            "the pools never finished: {outcome}: a worker that may not go yet must be woken \
             again when that changes (every release wakes every waiter: notify_all)"
        ));
    }
    let Some([past, most, done_jobs, done_requests]) = pools_outcome(outcome) else {
        return Err(format!(
            "the run ended with `{outcome}`, not (taken past a user, most inside, jobs, \
             requests): did a worker panic?"
        ));
    };
    if past > 0 {
        return Err(format!(
            "{past} permit(s) went to a background worker while the user's request waited: a \
             background worker must not take a freed permit while `users_waiting` is above 0"
        ));
    }
    if most > permits {
        return Err(format!(
            "{most} were inside at once with {permits} permits: every job and every request, the \
             user's too, must hold a permit"
        ));
    }
    if done_jobs != jobs || done_requests != requests {
        return Err(format!(
            "{done_jobs} of {jobs} background jobs and {done_requests} of {requests} requests \
             were done: users first must not stop the background work for good"
        ));
    }
    Ok(())
}

/// The limit's `taken_past_a_user` at its last unlock in the trace, if shown.
fn taken_past_in_the_trace(record: &Record) -> Option<usize> {
    let last = record
        .actions()
        .into_iter()
        .rev()
        .find(|row| row.action.starts_with("unlock limit ("))?;
    let rest = last.action.split("taken_past_a_user: ").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// 10b: in every schedule explored at the tiny size, in seeded replays at the default size (3
/// background workers x 2 jobs, 2 requests, 2 permits; also with sleeps of any length) and live
/// at a larger one: no permit goes to the background while the user waits (the outcome, and the
/// limit's own count at its last unlock in the trace), never more than the permits inside, every
/// job and request done, by four threads.
fn check_users_first(program: &Program) -> Result<(), Failure> {
    let invariant = "no permit goes to a background worker while a user request waits, never \
                     more than --permits inside, and all the work is done";
    judge::every_schedule(program, &TINY_POOLS, &BOUNDS, invariant, |outcome| {
        users_first(outcome, 1, 2, 1)
    })?;
    judge::seeded_replays(program, &[], SEEDS, invariant, |record| {
        judge::finished(record)?;
        judge::thread_count(record, 4)?;
        match taken_past_in_the_trace(record) {
            Some(0) => {}
            Some(past) => {
                return Err(format!(
                    "the limit counted {past} permit(s) taken by background workers while the \
                     user waited (`taken_past_a_user` at the last unlock of \"limit\")"
                ));
            }
            None => {
                return Err(
                    "the trace never shows the mutex \"limit\" unlocked with its state: keep \
                     the state in `Mutex::new(state).named(\"limit\")`"
                        .to_string(),
                );
            }
        }
        let (most, entered) = inside_from_the_trace(record);
        if most > 2 || entered.len() != 8 {
            return Err(format!(
                "the atomic \"inside\" saw {} entries, at most {most} at once: expected 8 (6 \
                 jobs and 2 requests), never more than 2 at once",
                entered.len()
            ));
        }
        users_first(&record.outcome(), 2, 6, 2)
    })?;
    judge::seeded_replays_with_any_delay(program, &[], SEEDS, invariant, |record| {
        users_first(&record.outcome(), 2, 6, 2)
    })?;
    let live = ["--jobs", "10", "--requests", "5"];
    judge::live_runs(program, &live, 2, |record| {
        judge::finished(record)?;
        users_first(&record.outcome(), 2, 30, 5)
    })
}
