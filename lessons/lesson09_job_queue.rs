//! Lesson 9: a job queue with retries and a failed-jobs list.
//!
//! Jobs (simulated downloads: each sleeps a seeded latency, no network) go through a queue to a
//! few workers. Some downloads fail for a while and then work; some fail every time. A failed
//! job is retried after a backoff (rq's `Retry(max=3, interval=[10, 30, 60])`, in milliseconds
//! here instead of seconds); after its last retry it lands in the failed-jobs list with its
//! error. One worker dies mid-job on purpose: its job goes back to the queue and a new worker
//! takes its place. At the end every job is accounted for exactly once, done or failed.
//!
//! Part 1 runs 200 jobs live and measures jobs per second; part 2 runs 8 jobs on 3 workers,
//! small enough to replay (virtual time shows the retry schedule). Part 3 (`--redis URL`, built
//! with `--features redis`) runs the same jobs through a real Redis, with worker processes.
//!
//! Run it live:             cargo run --bin lesson09
//! Replay the small queue:  cargo run --bin lesson09 -- --seed 3
//! On a real Redis:         cargo run --features redis --bin lesson09 -- --redis redis://127.0.0.1:6379
#![forbid(unsafe_code)]

use std::fmt;
use std::panic;
use std::time::Duration;

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use workbook::scheduler::format_time;
use workbook::sync::{NamedChannel, Receiver, RecvTimeoutError, Sender, unbounded};
use workbook::thread::{self, Builder, ScopedJoinHandle};
use workbook::time::Instant;
use workbook::{Cli, guess, say};

#[cfg(feature = "redis")]
#[path = "lesson09/redis.rs"]
mod redis;

// ANCHOR: policy
/// rq's `Retry(max=3, interval=[10, 30, 60])`, in milliseconds instead of seconds: after the
/// first failure wait 10 ms, after the second 30 ms, after the third 60 ms; a job that fails a
/// fourth time goes to the failed-jobs list.
const RETRY_INTERVALS: [Duration; 3] = [
    Duration::from_millis(10),
    Duration::from_millis(30),
    Duration::from_millis(60),
];
const MAX_RETRIES: u32 = RETRY_INTERVALS.len() as u32;
// ANCHOR_END: policy

/// What one simulated download does: how long it takes, and how many of its first attempts
/// fail (`u32::MAX`: every one, as a page that does not exist).
#[derive(Clone, Debug)]
pub struct Download {
    pub latency: Duration,
    pub failures: u32,
}

// ANCHOR: download
/// Runs attempt number `attempt` (0 is the first) of a download: waits its latency (the
/// network), then fails if this attempt is one of those that fail.
pub fn download(spec: &Download, attempt: u32) -> Result<usize, String> {
    thread::sleep(spec.latency);
    match spec.failures {
        u32::MAX => Err("HTTP 404 Not Found".to_string()),
        failures if attempt < failures => Err("timed out".to_string()),
        _ => Ok(1000 + spec.latency.subsec_micros() as usize % 9000),
    }
}
// ANCHOR_END: download

/// The downloads of a run. The small run (8 jobs) has a fixed cast: job 2 fails once, job 4
/// twice, job 6 every time; a larger run draws its failures from a seeded generator (the same
/// every run): most work at once, some fail a few times, one in 25 every time.
pub fn make_downloads(count: usize, mean: Duration) -> Vec<Download> {
    let mut generator = ChaCha8Rng::seed_from_u64(9);
    let mean_micros = mean.as_micros() as u64;
    (0..count)
        .map(|index| {
            let latency = Duration::from_micros(
                mean_micros / 2 + u64::from(generator.next_u32()) % (mean_micros + 1),
            );
            let failures = if count == 8 {
                [0, 0, 1, 0, 2, 0, u32::MAX, 0][index]
            } else {
                match generator.next_u32() % 100 {
                    0..=3 => u32::MAX,
                    4..=7 => 3,
                    8..=13 => 2,
                    14..=25 => 1,
                    _ => 0,
                }
            };
            Download { latency, failures }
        })
        .collect()
}

/// A job in the queue: which download, how many times it has been tried, and whether it was
/// given back by a worker that died holding it.
#[derive(Clone, Copy)]
struct Job {
    id: usize,
    attempt: u32,
    given_back: bool,
}

/// The trace shows a job as `job 4`, `job 4 try 2` or `job 5 again`.
impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "job {}", self.id)?;
        if self.attempt > 0 {
            write!(f, " try {}", self.attempt + 1)?;
        }
        if self.given_back {
            write!(f, " again")?;
        }
        Ok(())
    }
}

/// What a worker tells main: how an attempt went, or that a worker died holding a job.
enum Report {
    Ran {
        job: Job,
        worker: String,
        result: Result<usize, String>,
    },
    Lost {
        job: Job,
        worker: String,
    },
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Report::Ran { job, result, .. } => match result {
                Ok(_) => write!(f, "{job:?} ok"),
                Err(why) => write!(f, "{job:?} failed ({why})"),
            },
            Report::Lost { job, worker } => write!(f, "{job:?} lost by {worker}"),
        }
    }
}

/// The payload of the panic a worker raises on purpose.
struct OnPurpose;

// ANCHOR: worker
/// A job a worker holds. If the worker dies before it says how the job went (its thread
/// panics: the `Drop` below runs as the panic unwinds), the job goes back to main as `Lost`,
/// to be queued again. This is the in-process form of Redis's processing list.
struct InHand<'a> {
    job: Option<Job>,
    reports: &'a Sender<Report>,
}

impl Drop for InHand<'_> {
    fn drop(&mut self) {
        if let Some(job) = self.job.take() {
            let worker = thread::current().name().unwrap_or("?").to_string();
            let _ = self.reports.send(Report::Lost { job, worker });
        }
    }
}

/// A worker: takes jobs from the queue until it is closed, runs each, and reports how it went.
/// `crash_on` is the job during whose first attempt this worker dies, on purpose.
fn work(queue: Receiver<Job>, reports: Sender<Report>, downloads: &[Download], crash_on: usize) {
    let worker = thread::current().name().unwrap_or("?").to_string();
    for job in queue {
        let mut in_hand = InHand {
            job: Some(job),
            reports: &reports,
        };
        if job.id == crash_on && job.attempt == 0 && !job.given_back {
            thread::sleep(downloads[job.id].latency / 2);
            panic::panic_any(OnPurpose); // as if the worker were killed mid-download
        }
        let result = download(&downloads[job.id], job.attempt);
        in_hand.job = None; // the job is no longer only in this worker's hands
        let report = Report::Ran {
            job,
            worker: worker.clone(),
            result,
        };
        if reports.send(report).is_err() {
            break; // main is gone
        }
    }
}
// ANCHOR_END: worker

/// Where every job ended up, as main saw it.
#[derive(Default)]
struct Ledger {
    /// (job, bytes, worker) of each job done.
    done: Vec<(usize, usize, String)>,
    /// (job, attempts, last error) of each job that failed its last retry.
    failed: Vec<(usize, u32, String)>,
    /// (job, attempt, due) of each retry scheduled.
    retries: Vec<(usize, u32, Duration)>,
    /// (job, worker) of each job a dying worker gave back.
    lost: Vec<(usize, String)>,
    /// The workers main joined, and whether each ended well.
    joined: Vec<(String, bool)>,
}

/// The outcome the explorer counts: which jobs were done and which failed.
impl fmt::Debug for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut done: Vec<usize> = self.done.iter().map(|(job, ..)| *job).collect();
        let mut failed: Vec<usize> = self.failed.iter().map(|(job, ..)| *job).collect();
        done.sort();
        failed.sort();
        write!(f, "done {done:?}, failed {failed:?}")
    }
}

impl Ledger {
    /// Jobs that are done or failed: settled for good.
    fn settled(&self) -> usize {
        self.done.len() + self.failed.len()
    }
}

// ANCHOR: queue
/// Runs `downloads` as jobs on `workers` threads. Main is the queue's keeper: it enqueues every
/// job, reads the workers' reports, schedules retries with backoff (rq's scheduler), keeps the
/// failed-jobs list (rq's `FailedJobRegistry`), puts back the job of a worker that died and
/// starts a new worker in its place. `tell` prints main's decisions as they happen.
fn job_queue(downloads: &[Download], workers: usize, crash_on: usize, tell: bool) -> Ledger {
    let (queue, queue_receiver) = unbounded::<Job>().named("queue");
    let (report_sender, reports) = unbounded::<Report>().named("reports");
    thread::scope(|scope| {
        let start = |name: String| -> ScopedJoinHandle<'_, ()> {
            let (jobs, reports) = (queue_receiver.clone(), report_sender.clone());
            let started = Builder::new()
                .name(name)
                .spawn_scoped(scope, move || work(jobs, reports, downloads, crash_on));
            started.unwrap_or_else(|error| workbook::cleanup::spawn_failed(error))
        };
        let mut handles: Vec<ScopedJoinHandle<'_, ()>> =
            (1..=workers).map(|n| start(format!("worker{n}"))).collect();
        for id in 0..downloads.len() {
            queue
                .send(Job {
                    id,
                    attempt: 0,
                    given_back: false,
                })
                .expect("main holds a receiver");
        }
        let started_at = Instant::now();
        let mut ledger = Ledger::default();
        let mut scheduled: Vec<(Instant, Job)> = Vec::new(); // rq's ScheduledJobRegistry
        while ledger.settled() < downloads.len() {
            // A retry whose time has come goes back to the queue.
            let now = Instant::now();
            let (due_now, later): (Vec<_>, Vec<_>) =
                scheduled.into_iter().partition(|(due, _)| *due <= now);
            scheduled = later;
            for (_, job) in due_now {
                queue.send(job).expect("main holds a receiver");
            }
            // Wait for a report, but no longer than until the next retry is due.
            let next_due = scheduled.iter().map(|(due, _)| *due).min();
            let report = match next_due {
                None => reports.recv().map_err(|_| RecvTimeoutError::Disconnected),
                Some(due) => reports.recv_timeout(due - now),
            };
            let report = match report {
                Ok(report) => report,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break, // cannot happen: main holds a sender
            };
            match report {
                Report::Ran {
                    job,
                    worker,
                    result: Ok(bytes),
                } => ledger.done.push((job.id, bytes, worker)),
                Report::Ran {
                    job,
                    result: Err(why),
                    ..
                } if job.attempt < MAX_RETRIES => {
                    let due = Instant::now() + RETRY_INTERVALS[job.attempt as usize];
                    if tell {
                        say!(
                            "{} failed ({}): retry at {}",
                            guess(format!("{job:?}")),
                            guess(&why),
                            guess(format_time(due - started_at))
                        );
                    }
                    let next = Job {
                        attempt: job.attempt + 1,
                        ..job
                    };
                    ledger
                        .retries
                        .push((job.id, next.attempt, due - started_at));
                    scheduled.push((due, next));
                }
                Report::Ran {
                    job,
                    result: Err(why),
                    ..
                } => {
                    if tell {
                        say!(
                            "{} failed its last retry: to the failed list",
                            guess(format!("{job:?}"))
                        );
                    }
                    ledger.failed.push((job.id, job.attempt + 1, why));
                }
                Report::Lost { job, worker } => {
                    if tell {
                        say!(
                            "{worker} died holding {}: queue it again",
                            guess(format!("{job:?}"))
                        );
                    }
                    let again = Job {
                        given_back: true,
                        ..job
                    };
                    queue.send(again).expect("main holds a receiver");
                    handles.push(start(format!("worker{}", handles.len() + 1)));
                    ledger.lost.push((job.id, worker));
                }
            }
        }
        drop(queue); // every job is settled: close the queue, and the workers stop
        for handle in handles {
            let name = handle.thread().name().unwrap_or("?").to_string();
            ledger.joined.push((name, handle.join().is_ok()));
        }
        ledger
    })
}
// ANCHOR_END: queue

/// What a run of the queue shows: checks computed from the ledger, never taken on trust.
struct Checked {
    /// Every job is in `done` or `failed`, and in only one of them, once.
    exactly_once: bool,
    /// Every failed job was tried 1 + MAX_RETRIES times.
    failed_after_last_retry: bool,
    /// Each job with `n` failing attempts (n <= MAX_RETRIES) is done, after n retries.
    retried_as_planned: bool,
}

fn check(ledger: &Ledger, downloads: &[Download]) -> Checked {
    let mut seen = vec![0; downloads.len()];
    for id in ledger.done.iter().map(|(job, ..)| *job) {
        seen[id] += 1;
    }
    for id in ledger.failed.iter().map(|(job, ..)| *job) {
        seen[id] += 1;
    }
    let retries_of = |id: usize| ledger.retries.iter().filter(|(job, ..)| *job == id).count();
    let retried_as_planned = downloads.iter().enumerate().all(|(id, spec)| {
        let done = ledger.done.iter().any(|(job, ..)| *job == id);
        let expected = spec.failures.min(MAX_RETRIES) as usize;
        retries_of(id) == expected && done == (spec.failures <= MAX_RETRIES)
    });
    Checked {
        exactly_once: seen.iter().all(|&count| count == 1),
        failed_after_last_retry: ledger
            .failed
            .iter()
            .all(|(_, attempts, _)| *attempts == MAX_RETRIES + 1),
        retried_as_planned,
    }
}

/// Prints the ledger's counts and the checks.
fn report(ledger: &Ledger, downloads: &[Download]) {
    let checked = check(ledger, downloads);
    println!(
        "  {} jobs: {} done, {} failed; {} retries scheduled; {} job{} given back by a dying worker",
        downloads.len(),
        ledger.done.len(),
        ledger.failed.len(),
        ledger.retries.len(),
        ledger.lost.len(),
        if ledger.lost.len() == 1 { "" } else { "s" },
    );
    let yes_no = |ok: bool| if ok { "yes" } else { "NO" };
    println!(
        "  every job accounted for exactly once (done or failed): {}",
        yes_no(checked.exactly_once)
    );
    println!(
        "  every failed job was tried {} times (1 + {MAX_RETRIES} retries): {}",
        MAX_RETRIES + 1,
        yes_no(checked.failed_after_last_retry)
    );
    println!(
        "  every job that failed only a few times was retried and done: {}",
        yes_no(checked.retried_as_planned)
    );
    let died: Vec<&str> = ledger
        .joined
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| name.as_str())
        .collect();
    println!(
        "  joined {} workers; died mid-job: {}",
        ledger.joined.len(),
        if died.is_empty() {
            "none".to_string()
        } else {
            died.join(", ")
        }
    );
}

fn main() {
    #[cfg(feature = "redis")]
    if redis::wanted() {
        redis::main();
        return;
    }
    #[cfg(not(feature = "redis"))]
    refuse_redis_without_the_feature();

    let mut cli = Cli::new(
        "lesson09",
        "a job queue with retries and a failed-jobs list.\n\
         Part 3, on a real Redis: cargo run --features redis --bin lesson09 -- --redis URL\n\
         (its commands and flags: cargo run --features redis --bin lesson09 -- worker --help)",
    );
    let jobs_flag = cli.number("--jobs", "N", "jobs in part 1", 200, 1..=10_000);
    let workers_flag = cli.number("--workers", "N", "worker threads in part 1", 8, 1..=100);
    let crash_flag = cli.number(
        "--crash-job",
        "N",
        "the job whose first worker dies mid-job (none if N >= the jobs)",
        5,
        0..=10_000,
    );
    cli.live_only("--jobs", "it sizes part 1, which runs only live");
    cli.live_only("--workers", "it sizes part 1, which runs only live");
    let flags = cli.parse();
    let crash_on = flags[crash_flag] as usize;
    workbook::cleanup::quiet_panics_of::<OnPurpose>();

    if flags.mode.is_replay() {
        println!("Part 1 measures real time, so it runs only live; a replay shows part 2.");
    } else {
        let (jobs, workers) = (flags[jobs_flag] as usize, flags[workers_flag] as usize);
        let downloads = make_downloads(jobs, Duration::from_millis(4));
        println!("Part 1: {jobs} jobs on {workers} worker threads, in this process");
        let started = std::time::Instant::now();
        if let Some(ledger) =
            workbook::run(&flags, || job_queue(&downloads, workers, crash_on, false)).value
        {
            let wall = started.elapsed();
            report(&ledger, &downloads);
            let failed: Vec<String> = (ledger.failed.iter().take(5))
                .map(|(job, _, why)| format!("job {job} ({why})"))
                .collect();
            println!("  failed jobs (first 5): {}", failed.join(", "));
            println!(
                "  {:.2} s, {:.0} jobs per second (retries and backoff included), live on this machine",
                wall.as_secs_f64(),
                jobs as f64 / wall.as_secs_f64()
            );
        }
        println!();
    }

    println!("Part 2: 8 jobs on 3 workers; job 2 fails once, job 4 twice, job 6 every time;");
    println!("the worker that takes job 5 first dies halfway through it");
    let downloads = make_downloads(8, Duration::from_millis(15));
    let ran = workbook::run(&flags, || job_queue(&downloads, 3, crash_on, true));
    if let Some(ledger) = ran.value {
        if flags.mode.is_predict() {
            println!("(the ledger is hidden too: --predict)");
        } else {
            for (job, attempt, due) in &ledger.retries {
                println!(
                    "  retry {attempt} of job {job} due at {}",
                    format_time(*due)
                );
            }
            for (job, attempts, why) in &ledger.failed {
                println!("  failed list: job {job}, {attempts} attempts, last error: {why}");
            }
            for (job, worker) in &ledger.lost {
                println!("  {worker} died holding job {job}; the job went back to the queue");
            }
            report(&ledger, &downloads);
        }
    }
    println!();
    println!("Read chapter 9 to see why: book/src/lesson09.md (or `mdbook serve book`).");
}

/// Without the `redis` feature, the Redis part is not built: say how to turn it on.
#[cfg(not(feature = "redis"))]
fn refuse_redis_without_the_feature() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let redis_words = ["worker", "enqueue", "counts", "requeue"];
    let asks = args
        .iter()
        .any(|arg| arg == "--redis" || arg.starts_with("--redis="))
        || args
            .first()
            .is_some_and(|first| redis_words.contains(&first.as_str()));
    if asks {
        eprintln!(
            "error: the Redis part is built only with the `redis` feature: \
             cargo run --features redis --bin lesson09 -- {}",
            args.join(" ")
        );
        eprintln!("Try `cargo run --bin lesson09 -- --help` for the flags.");
        workbook::cleanup::exit(2);
    }
}
