//! Exercises of lesson 9 (job queue): retry with backoff (09a), and lose no job when a worker
//! dies (09b).
//!
//! Each check judges what the toolkit saw the student's own program do (see [`super::judge`]):
//! every schedule at a small size, seeded replays at a larger one (what main and the workers
//! sent and received on the channels named "queue" and "reports", and when, in virtual time;
//! which worker died), and live runs several at once.

use std::time::Duration;

use super::judge::{self, Record};
use super::{Exercise, Failure, Program};

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..4;

/// A check's limit per run: longer than the toolkit's stall timers.
const TIMEOUT: Duration = Duration::from_secs(20);

/// How many of each job's first tries fail in 09a (as in the program); 9 means every one.
const FAILURES: [u32; 5] = [0, 1, 0, 2, 9];
/// The backoff after a failed try 1, 2, 3, in milliseconds.
const BACKOFF: [f64; 3] = [10.0, 30.0, 60.0];

/// The exercises of lesson 9.
pub fn exercises() -> Vec<Exercise> {
    vec![
        Exercise {
            id: "09a",
            title: "retry with backoff",
            starter: "ex09a_retry_with_backoff.rs",
            solution: "sol09a_retry_with_backoff.rs",
            hints: [
                "A failed try with retries left is not the end of the job: main must remember it \
                 with the moment it is due again (now + its backoff), and send it into the queue \
                 when that moment comes. Keep a `Vec<(Instant, Job)>` of scheduled retries, with \
                 `workbook::time::Instant`.",
                "Main cannot sleep until a retry is due: reports arrive meanwhile. Wait with \
                 `reports.recv_timeout(due - now)` for the earliest `due`; on `Timeout`, go round \
                 the loop, where every retry with `due <= now` is sent into the queue.",
                "In the `Err` arm: `if job.try_number <= 3 { scheduled.push((Instant::now() + \
                 RETRY_INTERVALS[job.try_number as usize - 1], Job { try_number: \
                 job.try_number + 1, ..job })) } else { /* failed list */ }`; at the top of the \
                 loop, send the due ones and pick `recv` or `recv_timeout`.",
            ],
            timeout: TIMEOUT,
            check: check_retry_with_backoff,
        },
        Exercise {
            id: "09b",
            title: "lose no job",
            starter: "ex09b_lose_no_job.rs",
            solution: "sol09b_lose_no_job.rs",
            hints: [
                "Run `--seed 1` and read the end: main waits for a report about job 2 that will \
                 never come, because the only one who knew about job 2 was the worker that died. \
                 Something that outlives the worker's work must know which job it holds.",
                "When a thread panics, Rust unwinds its stack and runs the `Drop` of every value \
                 on it. A small struct that holds the job and a `&Sender<Report>`, created when \
                 the job is taken, can send the job back from its `drop`. Catching the panic is \
                 not the answer: a killed process cannot catch anything.",
                "Add `GivenBack(Job)` to `Report`; `struct InHand<'a> { job: Option<Job>, \
                 reports: &'a Sender<Report> }` whose `drop` sends `GivenBack` if `job` is still \
                 `Some`; set `in_hand.job = None` after `run_job`; in main, send a given-back job \
                 into the queue again with `given_back: true`.",
            ],
            timeout: TIMEOUT,
            check: check_lose_no_job,
        },
    ]
}

/// How each of the first `jobs` jobs of 09a must end.
fn expected_retries(jobs: usize) -> String {
    FAILURES[..jobs]
        .iter()
        .enumerate()
        .map(|(id, &failures)| match failures {
            0..=3 => format!("job {id} done after {} tries", failures + 1),
            _ => format!("job {id} failed after 4 tries (timed out)"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// 09a's outcome must be every job ending as the policy says.
fn retries_outcome(outcome: &str, jobs: usize) -> Result<(), String> {
    let want = expected_retries(jobs);
    if outcome == want {
        return Ok(());
    }
    if outcome.starts_with("DEADLOCK") {
        return Err(format!("the queue never finished: {outcome}"));
    }
    for (got, wanted) in outcome.split("; ").zip(want.split("; ")) {
        if got != wanted {
            let why = if got.contains("failed after 1 tries") {
                ": a job with retries left goes to the failed list only after its fourth try"
            } else {
                ""
            };
            return Err(format!(
                "the run ended with `{got}`, where the policy (3 retries after 10, 30 and 60 ms) \
                 gives `{wanted}`{why}"
            ));
        }
    }
    Err(format!("the run ended with `{outcome}`, expected `{want}`"))
}

/// The replay's rows with their virtual time in milliseconds: (time, thread, action), read from
/// the trace table, whose rows are the record's rows in order.
fn timed_actions(record: &Record) -> Vec<(f64, String, String)> {
    let table = record.table();
    let times = table.lines().skip(2).map(|line| {
        let cell = line.split('|').nth(1).unwrap_or("").trim().to_string();
        cell.trim_end_matches(" ms").parse::<f64>().unwrap_or(0.0)
    });
    times
        .zip(record.actions())
        .map(|(time, action)| (time, action.thread, action.action))
        .collect()
}

/// `Job { id: 1, try_number: 2 }` somewhere in `text`: (1, 2).
fn job_in(text: &str) -> Option<(usize, u32)> {
    let rest = text.split("id: ").nth(1)?;
    let id = rest
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    let try_number = rest
        .split("try_number: ")
        .nth(1)?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()?;
    Some((id, try_number))
}

/// A replay of 5 jobs on 2 workers: every retry goes back through "queue", sent by main no
/// earlier than its backoff after main heard of the failure; main never sleeps.
fn retries_replay(record: &Record) -> Result<(), String> {
    judge::finished(record)?;
    judge::thread_count(record, 2)?;
    retries_outcome(&record.outcome(), 5)?;
    let rows = timed_actions(record);
    if let Some((_, _, sleep)) = rows
        .iter()
        .find(|(_, thread, action)| thread == "main" && action.starts_with("sleep"))
    {
        return Err(format!(
            "main slept (`{sleep}`): while main sleeps, reports wait and the other retries \
             come late. Main waits with `recv_timeout`, no longer than until the next retry is \
             due"
        ));
    }
    let sends: Vec<(f64, usize, u32)> = rows
        .iter()
        .filter(|(_, thread, action)| {
            thread == "main" && action.starts_with("send ") && action.ends_with(" on queue")
        })
        .filter_map(|(time, _, action)| job_in(action).map(|(id, n)| (*time, id, n)))
        .collect();
    let tries: u32 = FAILURES.iter().map(|&f| f.min(3) + 1).sum();
    if sends.len() != tries as usize {
        return Err(format!(
            "main sent {} jobs into the channel named \"queue\"; the 5 jobs take {tries} tries \
             in all: each retry goes back through the queue, sent by main, so that any free \
             worker can take it (a worker that retries by itself holds the job through its \
             backoff)",
            sends.len()
        ));
    }
    for (sent, id, try_number) in sends.iter().filter(|(_, _, n)| *n > 1) {
        let failed = rows.iter().find(|(_, thread, action)| {
            thread == "main"
                && action.starts_with("recv ")
                && action.ends_with(" from reports")
                && action.contains("Err")
                && job_in(action) == Some((*id, try_number - 1))
        });
        let Some((heard, ..)) = failed else {
            return Err(format!(
                "main sent try {try_number} of job {id} into the queue without having received \
                 the failure of try {} from \"reports\"",
                try_number - 1
            ));
        };
        let backoff = BACKOFF[*try_number as usize - 2];
        if *sent + 0.05 < heard + backoff {
            return Err(format!(
                "try {try_number} of job {id} was sent into the queue at {sent} ms, {:.1} ms \
                 after main heard of the failed try {} at {heard} ms: its backoff is {backoff} \
                 ms; a retry waits its backoff before it goes back into the queue",
                sent - heard,
                try_number - 1
            ));
        }
    }
    Ok(())
}

/// 09a: every schedule of 2 jobs ends as the policy says; the replays of 5 jobs send each retry
/// through the queue after its backoff; live runs end as the policy says.
fn check_retry_with_backoff(program: &Program) -> Result<(), Failure> {
    let invariant = "each job ends done or failed once, after the tries the policy gives it; \
                     each retry goes back through \"queue\", sent by main no earlier than its \
                     backoff after the failure";
    judge::every_schedule(program, &["--jobs", "2"], &[], invariant, |outcome| {
        retries_outcome(outcome, 2)
    })?;
    judge::seeded_replays(program, &["--jobs", "5"], SEEDS, invariant, retries_replay)?;
    judge::live_runs(program, &["--jobs", "5"], 2, |record| {
        judge::finished(record)?;
        retries_outcome(&record.outcome(), 5)
    })
}

/// How 09b's run of `jobs` jobs must end.
fn expected_no_loss(jobs: usize) -> String {
    let counts: Vec<String> = (0..jobs).map(|id| format!("job {id} x1")).collect();
    format!(
        "done: {}; given back: [2]; workers died: 1",
        counts.join(", ")
    )
}

/// 09b's outcome: every job done once, job 2 given back once, one worker died.
fn no_loss_outcome(outcome: &str, jobs: usize) -> Result<(), String> {
    let want = expected_no_loss(jobs);
    if outcome == want {
        return Ok(());
    }
    if outcome.starts_with("DEADLOCK") {
        return Err(format!(
            "job 2 was lost: its worker died and main waits for it forever: {outcome}"
        ));
    }
    if outcome.contains("workers died: 0") {
        return Err(format!(
            "no worker died (`{outcome}`): the crash must end the worker's thread, as a real \
             crash would; do not catch it, give the job back on the way out"
        ));
    }
    if let Some(twice) = outcome
        .split(['[', ',', ';', ':'])
        .map(str::trim)
        .find(|part| part.starts_with("job ") && !part.ends_with(" x1"))
    {
        let why = if twice.ends_with(" x0") {
            "a job that is never done was lost: main stopped waiting for it"
        } else {
            "a job given back after it was done is done twice"
        };
        return Err(format!(
            "`{twice}` in `{outcome}`: every job must be done exactly once ({why})"
        ));
    }
    Err(format!("the run ended with `{outcome}`, expected `{want}`"))
}

/// A replay of 4 jobs on 2 workers: the worker that took job 2 first died (its thread
/// panicked); main sent job 2 into "queue" again, and the other worker took it.
fn no_loss_replay(record: &Record) -> Result<(), String> {
    judge::thread_count(record, 2)?;
    no_loss_outcome(&record.outcome(), 4)?;
    judge::finished(record)?;
    let job_2 = |action: &str| job_in_09b(action) == Some(2);
    let takers: Vec<String> = record
        .actions()
        .into_iter()
        .filter(|row| {
            row.thread != "main"
                && row.action.starts_with("recv ")
                && row.action.ends_with(" from queue")
                && job_2(&row.action)
        })
        .map(|row| row.thread)
        .collect();
    let sent = record
        .actions_of("main")
        .iter()
        .filter(|action| {
            action.starts_with("send ") && action.ends_with(" on queue") && job_2(action)
        })
        .count();
    if sent != 2 || takers.len() != 2 {
        return Err(format!(
            "main sent job 2 into the channel named \"queue\" {sent} times and workers took it \
             {} times: the job of the worker that died goes back through the queue once",
            takers.len()
        ));
    }
    let first = &takers[0];
    if !record
        .actions_of(first)
        .iter()
        .any(|action| action == "panicked")
    {
        return Err(format!(
            "{first} took job 2 first and did not die: the crash must end the worker's thread"
        ));
    }
    if takers[1] == *first {
        return Err(format!("{first} died, yet took job 2 again"));
    }
    Ok(())
}

/// The job number in a 09b message: `Job { id: 2, given_back: false }`.
fn job_in_09b(text: &str) -> Option<usize> {
    let rest = text.split("id: ").nth(1)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// 09b: every schedule of 3 jobs (at most 2 preemptions), the replays of 4, and live runs: every
/// job done once, the dying worker's job given back and done by another.
fn check_lose_no_job(program: &Program) -> Result<(), Failure> {
    let invariant = "every job is done exactly once; the job of the worker that died goes back \
                     through \"queue\" and another worker does it";
    let bounds = ["--preemptions", "2"];
    judge::every_schedule(program, &["--jobs", "3"], &bounds, invariant, |outcome| {
        no_loss_outcome(outcome, 3)
    })?;
    judge::seeded_replays(program, &["--jobs", "4"], SEEDS, invariant, no_loss_replay)?;
    judge::live_runs(program, &["--jobs", "4"], 2, |record| {
        judge::finished(record)?;
        no_loss_outcome(&record.outcome(), 4)
    })
}
