//! Exercises of lesson 6 (worker pool): results in input order (06a), and closing the queue so
//! the workers stop (06b).
//!
//! Each check judges what the toolkit saw the student's own program do (see [`super::judge`]):
//! every schedule at a small size (also with sleeps of any length), seeded replays at a larger
//! one (how many workers ran, which thread received and sent what on the channels named "jobs"
//! and "results", how each worker's last `recv` ended), and live runs several at once.

use std::time::Duration;

use super::judge::{self, Record};
use super::{Exercise, Failure, Program};

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..6;

/// A check's limit per run: longer than the toolkit's stall timers, so a stuck replay (the
/// queue never closed) reports its own diagnosis first.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The inputs of both exercises, as in the programs: result `i` is `INPUTS[i]` squared.
const INPUTS: [u64; 8] = [7, 3, 5, 0, 6, 1, 4, 2];

/// The small size the explorer runs, and the larger one of the replays and live runs.
const SMALL: [&str; 4] = ["--jobs", "3", "--workers", "2"];
const LARGE: [&str; 4] = ["--jobs", "8", "--workers", "3"];

/// The exercises of lesson 6.
pub fn exercises() -> Vec<Exercise> {
    vec![
        Exercise {
            id: "06a",
            title: "results in input order",
            starter: "ex06a_results_in_order.rs",
            solution: "sol06a_results_in_order.rs",
            hints: [
                "Workers finish in any order, so the order in which results arrive says nothing \
                 about which job they belong to. The result itself has to say it. (Sorting the \
                 squares does not help: the inputs are not sorted.)",
                "Send a pair through the results channel: `unbounded::<(usize, u64)>()` and \
                 `results.send((position, square))`. Then main can put each square in its place \
                 in a `Vec` of length `inputs.len()`.",
                "In `squares`, replace the last line by `let mut squares = vec![0; inputs.len()]; \
                 for (position, square) in result_receiver { squares[position] = square; } \
                 squares`.",
            ],
            timeout: TIMEOUT,
            check: check_results_in_order,
        },
        Exercise {
            id: "06b",
            title: "close the queue",
            starter: "ex06b_close_the_queue.rs",
            solution: "sol06b_close_the_queue.rs",
            hints: [
                "A worker's `for position in jobs` ends only when the queue is empty *and* every \
                 sender is gone. As long as main's `job_sender` exists, a worker waits for the \
                 job that may still come. Run `--seed 0` and read who waits for what.",
                "Closing a channel is dropping its last `Sender`. Waiting with `recv_timeout` \
                 instead is a guess: a slow job or a busy machine makes a worker quit with work \
                 still queued, and the check looks at why each worker stopped.",
                "After the `for` loop that sends the jobs, write `drop(job_sender);`. The workers \
                 finish what is queued, their `recv` fails with disconnected, and they end.",
            ],
            timeout: TIMEOUT,
            check: check_close_the_queue,
        },
    ]
}

/// The squares of the first `jobs` inputs, in input order.
fn expected(jobs: usize) -> Vec<u64> {
    INPUTS[..jobs].iter().map(|x| x * x).collect()
}

/// The outcome must be the list of the squares of the first `jobs` inputs, in input order.
fn squares_in_order(outcome: &str, jobs: usize) -> Result<(), String> {
    let want = expected(jobs);
    let numbers: Option<Vec<u64>> = outcome
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .map(|inside| {
            inside
                .split(',')
                .map(str::trim)
                .filter(|word| !word.is_empty())
                .map(str::parse)
                .collect::<Result<Vec<u64>, _>>()
                .ok()
        })
        .unwrap_or(None);
    let Some(got) = numbers else {
        if outcome.starts_with("DEADLOCK") {
            return Err(format!(
                "the pool never ended: {outcome}: the workers still wait for a job that will \
                 never come"
            ));
        }
        let why = if outcome.contains("SendError") {
            " (main could not send a job: every worker had stopped already)"
        } else {
            ""
        };
        return Err(format!(
            "the run ended with `{outcome}`, not the list of squares{why}: expected {want:?}"
        ));
    };
    if got == want {
        return Ok(());
    }
    if got.len() != want.len() {
        return Err(format!(
            "the run returned {} squares, {got:?}, for {} jobs: expected {want:?}",
            got.len(),
            want.len()
        ));
    }
    let at = (0..want.len())
        .find(|&at| got[at] != want[at])
        .expect("the lists differ");
    Err(format!(
        "result {at} is {}, but input {at} is {}, whose square is {}: the squares are not in \
         the order of the jobs; each must go to the place of its job, whatever order the workers \
         finish in (got {got:?}, expected {want:?})",
        got[at], INPUTS[at], want[at]
    ))
}

/// The most jobs any moment of the replay had in the hands of workers: a job is in a worker's
/// hands from its `recv N from jobs` to its next `send ... on results`.
fn most_in_flight(record: &Record) -> usize {
    let mut holding: Vec<String> = Vec::new();
    let mut most = 0;
    for row in record.actions() {
        if row.thread == "main" {
            continue;
        }
        if row.action.starts_with("recv ") && row.action.ends_with(" from jobs") {
            holding.push(row.thread);
            most = most.max(holding.len());
        } else if row.action.starts_with("send ") && row.action.ends_with(" on results") {
            if let Some(at) = holding.iter().position(|thread| *thread == row.thread) {
                holding.remove(at);
            }
        }
    }
    most
}

/// How many results main received from the channel named "results".
fn results_received(record: &Record) -> usize {
    record
        .actions_of("main")
        .iter()
        .filter(|action| action.starts_with("recv ") && action.ends_with(" from results"))
        .count()
}

/// What both checks ask of a replay of 8 jobs on 3 workers: it finished, three workers ran,
/// each result went from a worker through "results" to main, and the squares are in order.
fn pool_replay(record: &Record) -> Result<(), String> {
    judge::finished(record)?;
    judge::thread_count(record, 3)?;
    let received = results_received(record);
    if received != 8 {
        return Err(format!(
            "main received {received} results from the channel named \"results\" for 8 jobs: \
             each square is to be made by a worker and sent back to main through that channel"
        ));
    }
    squares_in_order(&record.outcome(), 8)
}

/// Every schedule at the small size (twice: with exact sleeps, and with sleeps of any length),
/// the seeded replays (judged by `replays`), then the live runs: the squares in input order.
fn explore_and_live(
    program: &Program,
    invariant: &str,
    replays: impl Fn(&Record) -> Result<(), String>,
) -> Result<(), Failure> {
    // With exact sleeps the search is complete (64 schedules for the solution); sleeps of any
    // length make many more orders possible, so that search is bounded (2 preemptions).
    judge::every_schedule(program, &SMALL, &[], invariant, |outcome| {
        squares_in_order(outcome, 3)
    })?;
    let bounds = ["--preemptions", "2"];
    judge::every_schedule_with_any_delay(program, &SMALL, &bounds, invariant, |outcome| {
        squares_in_order(outcome, 3)
    })?;
    judge::seeded_replays(program, &LARGE, SEEDS, invariant, replays)?;
    judge::live_runs(program, &LARGE, 2, |record| {
        judge::finished(record)?;
        squares_in_order(&record.outcome(), 8)
    })
}

/// 06a: the squares in input order in every schedule, every replay and every live run; in the
/// replays, three workers each work at once (at some moment at least two jobs are in workers'
/// hands), and main gets each result from the channel.
fn check_results_in_order(program: &Program) -> Result<(), Failure> {
    let invariant = "result i is INPUTS[i] squared, for every i, while the workers square \
                     several inputs at once";
    explore_and_live(program, invariant, |record| {
        pool_replay(record)?;
        let most = most_in_flight(record);
        if most < 2 {
            return Err(format!(
                "the workers took turns: never were two jobs in workers' hands at once (at most \
                 {most}). The order must come from the position each result carries, not from \
                 making the workers wait for each other"
            ));
        }
        Ok(())
    })
}

/// 06b: every schedule ends with the squares in order (no deadlock); in every replay every
/// worker stops because its `recv` found the queue closed and empty (not because it timed out),
/// which needs every sender of "jobs" dropped (main's, or a thread's it handed it to: either
/// closes the queue); live runs end with the squares.
fn check_close_the_queue(program: &Program) -> Result<(), Failure> {
    let invariant = "every worker stops because the queue is closed (every sender of it \
                     dropped) and empty, after all the jobs are done";
    explore_and_live(program, invariant, |record| {
        judge::finished(record)?;
        judge::thread_count(record, 3)?;
        for worker in &record.threads()[1..] {
            let on_jobs: Vec<String> = record
                .actions_of(worker)
                .into_iter()
                .filter(|action| action.contains(" jobs"))
                .collect();
            let last = on_jobs.last().map_or("nothing", String::as_str);
            if last != "recv on jobs: disconnected" {
                return Err(format!(
                    "{worker} stopped after `{last}`: a worker must stop because the queue is \
                     closed (its `recv` fails with disconnected once the last sender is \
                     dropped), not because it waited a while or found the queue empty for a \
                     moment: a slow job or a busy machine would make it quit with work still \
                     to come"
                ));
            }
        }
        pool_replay(record)
    })
}
