//! Exercise 09a, retry with backoff.
//!
//! Task: `--workers` threads (2 unless told otherwise) run the first `--jobs` jobs (5) of a
//! small job queue. Main sends each job into a channel named "queue"; a worker takes it, runs
//! it (a simulated download: job 1 times out once, job 3 twice, job 4 every time) and reports
//! back on "reports". As written, main puts a job in the failed list at its first failure.
//! Retry it instead, like rq's `Retry(max=3, interval=[10, 30, 60])` in milliseconds: after a
//! failed try `k` (1, 2 or 3), schedule the job again, due `RETRY_INTERVALS[k - 1]` later, and
//! let main send it back into "queue" when it is due (a worker, any worker, then takes it).
//! Main must not sleep while reports may arrive: wait for the next report with
//! `recv_timeout`, no longer than until the next retry is due. A job that fails its fourth try
//! goes to the failed list.
//!
//! Invariant: in every schedule and every live run each job ends done or failed, once, after
//! exactly as many tries as the policy gives it; every retry goes back through "queue", sent by
//! main no earlier than its backoff after the failure.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex09a -- --jobs 2 --explore
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex09a -- --seed 3    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex09a                (live)
//! Check it: cargo run --bin workbook -- check 09a
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::sync::{NamedChannel, RecvTimeoutError, unbounded};
use workbook::time::Instant;
use workbook::{Cli, thread};

const PROGRAM: &str = "sol09a --manifest-path lessons/Cargo.toml";
/// rq's `Retry(max=3, interval=[10, 30, 60])`, in milliseconds.
const RETRY_INTERVALS: [Duration; 3] = [
    Duration::from_millis(10),
    Duration::from_millis(30),
    Duration::from_millis(60),
];
/// How many of each job's first tries fail (`u32::MAX`: every one).
const FAILURES: [u32; 5] = [0, 1, 0, 2, u32::MAX];

/// A job: its number and its try (1 is the first).
#[derive(Clone, Copy, Debug)]
struct Job {
    id: usize,
    try_number: u32,
}

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 09a: retry with backoff");
    cli.explorable();
    let jobs = cli.number("--jobs", "N", "how many jobs to run", 5, 1..=5);
    let workers = cli.number("--workers", "N", "worker threads", 2, 1..=3);
    let flags = cli.parse();
    let (jobs, workers) = (flags[jobs] as usize, flags[workers] as usize);
    let ran = workbook::run(&flags, || run_queue(jobs, workers));
    if let Some(ledger) = ran.value {
        println!("{ledger}");
    }
}

/// Runs a job's try: 5 ms of "network", then it works or fails.
fn download(job: Job) -> Result<(), String> {
    thread::sleep(Duration::from_millis(5));
    if job.try_number <= FAILURES[job.id] {
        Err("timed out".to_string())
    } else {
        Ok(())
    }
}

/// Runs `jobs` jobs on `workers` threads; returns how each ended, one line per job.
fn run_queue(jobs: usize, workers: usize) -> String {
    let (queue, queue_receiver) = unbounded::<Job>().named("queue");
    let (report_sender, reports) = unbounded::<(Job, Result<(), String>)>().named("reports");
    thread::scope(|scope| {
        for number in 1..=workers {
            let (queue, reports) = (queue_receiver.clone(), report_sender.clone());
            thread::Builder::new()
                .name(format!("worker{number}"))
                .spawn_scoped(scope, move || {
                    for job in queue {
                        let result = download(job);
                        reports.send((job, result)).expect("main keeps the reports");
                    }
                })
                .expect("the worker starts");
        }
        drop(report_sender);
        for id in 0..jobs {
            let job = Job { id, try_number: 1 };
            queue.send(job).expect("the workers keep the queue");
        }
        let mut ended: Vec<Option<String>> = vec![None; jobs];
        let mut scheduled: Vec<(Instant, Job)> = Vec::new();
        while ended.iter().any(Option::is_none) {
            // Send every retry whose time has come.
            let now = Instant::now();
            let (due, later): (Vec<_>, Vec<_>) =
                scheduled.into_iter().partition(|(at, _)| *at <= now);
            scheduled = later;
            for (_, job) in due {
                queue.send(job).expect("the workers keep the queue");
            }
            // Wait for a report, no longer than until the next retry is due.
            let report = match scheduled.iter().map(|(at, _)| *at).min() {
                Some(at) => reports.recv_timeout(at - now),
                None => reports.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            let (job, result) = match report {
                Ok(report) => report,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            match result {
                Ok(()) => ended[job.id] = Some(format!("done after {} tries", job.try_number)),
                Err(_) if job.try_number <= RETRY_INTERVALS.len() as u32 => {
                    let backoff = RETRY_INTERVALS[job.try_number as usize - 1];
                    let next = Job {
                        try_number: job.try_number + 1,
                        ..job
                    };
                    scheduled.push((Instant::now() + backoff, next));
                }
                Err(why) => {
                    ended[job.id] = Some(format!("failed after {} tries ({why})", job.try_number))
                }
            }
        }
        drop(queue); // every job has ended: the workers stop
        let lines: Vec<String> = ended
            .iter()
            .enumerate()
            .map(|(id, end)| format!("job {id} {}", end.as_deref().unwrap_or("never ended")))
            .collect();
        lines.join("; ")
    })
}
