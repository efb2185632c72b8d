//! Exercise 09b, lose no job.
//!
//! Task: `--workers` threads (2 unless told otherwise) run the first `--jobs` jobs (4) of a
//! small job queue: main sends each job into a channel named "queue", a worker takes it, runs
//! it and reports on "reports"; main waits until every job is done. The worker that takes job 2
//! first dies halfway through it (its thread panics, as if the process were killed), and as
//! written job 2 is lost: main waits for it forever. Make a dying worker's job go back to main,
//! which sends it into "queue" again, so that another worker does it. Do not catch the panic:
//! a real crash cannot be caught, so the job must be given back on the way out of the dying
//! thread (`Drop` runs while a panic unwinds).
//!
//! Invariant: in every schedule and every live run, every job is done exactly once; job 2 is
//! given back once, by the worker that died, and done by another worker.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex09b -- --jobs 3 --explore
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex09b -- --seed 3    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex09b                (live)
//! Check it: cargo run --bin workbook -- check 09b
//!
//! WRONG ANSWER (for the checker's tests): the worker catches its own crash and runs the job again.
#![forbid(unsafe_code)]

use std::panic;
use std::time::Duration;

use workbook::sync::{NamedChannel, Sender, unbounded};
use workbook::{Cli, thread};

const PROGRAM: &str = "wrong09b_catches_its_panic --manifest-path lessons/Cargo.toml";
/// The job whose first worker dies halfway through it.
const DEADLY: usize = 2;

/// A job: its number, and whether a dying worker gave it back.
#[derive(Clone, Copy, Debug)]
struct Job {
    id: usize,
    given_back: bool,
}

/// What a worker tells main.
#[derive(Debug)]
enum Report {
    Done(Job),
    GivenBack(Job),
}

/// The payload of the panic a worker raises on purpose.
struct Crash;

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 09b: lose no job");
    cli.explorable();
    let jobs = cli.number("--jobs", "N", "how many jobs to run", 4, 3..=6);
    let workers = cli.number("--workers", "N", "worker threads", 2, 2..=3);
    let flags = cli.parse();
    // The crash is on purpose: keep its panic message off the screen.
    let usual = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !info.payload().is::<Crash>() {
            usual(info);
        }
    }));
    let (jobs, workers) = (flags[jobs] as usize, flags[workers] as usize);
    let ran = workbook::run(&flags, || run_queue(jobs, workers));
    if let Some(outcome) = ran.value {
        println!("{outcome}");
    }
}

/// Runs a job: 5 ms of work. The first worker to run job 2 dies halfway.
fn run_job(job: Job) {
    thread::sleep(Duration::from_millis(2));
    if job.id == DEADLY && !job.given_back {
        panic::panic_any(Crash);
    }
    thread::sleep(Duration::from_millis(3));
}

/// A job in a worker's hands: if the worker dies before it reports, `Drop` (which runs while
/// the panic unwinds) gives the job back to main.
struct InHand<'a> {
    job: Option<Job>,
    reports: &'a Sender<Report>,
}

impl Drop for InHand<'_> {
    fn drop(&mut self) {
        if let Some(job) = self.job.take() {
            let _ = self.reports.send(Report::GivenBack(job));
        }
    }
}

/// Runs `jobs` jobs on `workers` threads; returns how many times each job was done and which
/// jobs were given back.
fn run_queue(jobs: usize, workers: usize) -> String {
    let (queue, queue_receiver) = unbounded::<Job>().named("queue");
    let (report_sender, reports) = unbounded::<Report>().named("reports");
    thread::scope(|scope| {
        let mut handles = Vec::new();
        for number in 1..=workers {
            let (queue, reports) = (queue_receiver.clone(), report_sender.clone());
            let worker = thread::Builder::new()
                .name(format!("worker{number}"))
                .spawn_scoped(scope, move || {
                    for job in queue {
                        let mut in_hand = InHand {
                            job: Some(job),
                            reports: &reports,
                        };
                        if panic::catch_unwind(|| run_job(job)).is_err() {
                            run_job(Job {
                                given_back: true,
                                ..job
                            });
                        }
                        in_hand.job = None; // done: nothing to give back
                        let _ = reports.send(Report::Done(job));
                    }
                })
                .expect("the worker starts");
            handles.push(worker);
        }
        drop(report_sender);
        for id in 0..jobs {
            let job = Job {
                id,
                given_back: false,
            };
            queue.send(job).expect("a worker keeps the queue");
        }
        let mut done = vec![0; jobs];
        let mut given_back = Vec::new();
        while done.contains(&0) {
            match reports.recv() {
                Ok(Report::Done(job)) => done[job.id] += 1,
                Ok(Report::GivenBack(job)) => {
                    given_back.push(job.id);
                    let again = Job {
                        given_back: true,
                        ..job
                    };
                    queue.send(again).expect("a worker keeps the queue");
                }
                Err(_) => break, // every worker is gone
            }
        }
        drop(queue); // every job is done: the workers stop
        let died = handles
            .into_iter()
            .map(|handle| handle.join())
            .filter(Result::is_err)
            .count();
        let counts: Vec<String> = done
            .iter()
            .enumerate()
            .map(|(id, times)| format!("job {id} x{times}"))
            .collect();
        format!(
            "done: {}; given back: {given_back:?}; workers died: {died}",
            counts.join(", ")
        )
    })
}
