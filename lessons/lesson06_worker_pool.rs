//! Lesson 6: a worker pool over a bounded queue.
//!
//! Many slow tasks (simulated downloads: each sleeps a seeded latency, no network) can be run
//! with one thread per task, or with a fixed number of workers that pull jobs from a queue.
//! Part 1 starts a thread per task, part 2 runs the same tasks on a pool of workers fed through a
//! bounded channel. Both hand back the results in input order, and in both one task panics on
//! purpose: it becomes a failed result, not a crash. Part 3 runs the same pool with 3 workers and
//! 8 jobs, small enough to replay.
//!
//! Run it live:           cargo run --bin lesson06
//! Replay the small pool: cargo run --bin lesson06 -- --seed 4
//! See the OS refuse a thread (Linux, as a user other than root, whom the limit does not bind;
//! the limit counts every process and thread of your user, so leave room for the ones you run):
//!     cargo build --bin lesson06 && prlimit --nproc=300 target/debug/lesson06 --tasks 2000
#![forbid(unsafe_code)]

use std::any::Any;
use std::fmt;
use std::io;
use std::panic;
use std::time::{Duration, Instant};

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use workbook::sync::{NamedChannel, bounded, unbounded};
use workbook::{Cli, thread};

/// The pool part of a live run should take about this long, whatever `--tasks` and `--workers`.
const LIVE_BUDGET: Duration = Duration::from_millis(800);

/// One simulated download: its place in the input, how long the "network" takes, and whether it
/// is the task that panics on purpose.
#[derive(Debug)]
struct Task {
    index: usize,
    latency: Duration,
    bad: bool,
}

/// What came back for one task: which task it was, who ran it, and the page size or the failure.
struct Fetched {
    task: usize,
    ran_on: String,
    page: Result<usize, String>,
}

/// The trace shows a result as `job 3 ok` or `job 5 FAILED`.
impl fmt::Debug for Fetched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if self.page.is_ok() { "ok" } else { "FAILED" };
        write!(f, "job {} {how}", self.task)
    }
}

/// The payload of the panic a bad task raises on purpose (see `workbook::cleanup::quiet_panics_of`).
struct OnPurpose(&'static str);

// ANCHOR: fetch
/// "Downloads" one page: sleeps the task's latency (the network), then panics if the task is the
/// bad one, on purpose, to show what a pool does with a task that panics.
fn fetch(task: &Task) -> usize {
    thread::sleep(task.latency);
    if task.bad {
        panic::panic_any(OnPurpose("malformed URL"));
    }
    1000 + (task.index * 7919) % 9000
}

/// Runs `task` on this thread; its panic, if any, becomes a failed result.
fn run_task(task: &Task) -> Fetched {
    Fetched {
        task: task.index,
        ran_on: thread::current().name().unwrap_or("?").to_string(),
        page: panic::catch_unwind(|| fetch(task)).map_err(panic_message),
    }
}
// ANCHOR_END: fetch

/// Turns a panic's payload into the failure message of a result.
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast_ref::<OnPurpose>() {
        Some(OnPurpose(why)) => format!("panicked on purpose: {why}"),
        None => "panicked".to_string(),
    }
}

/// The tasks, with seeded latencies from half to one and a half times `mean`.
fn make_tasks(count: usize, mean: Duration, bad: usize) -> Vec<Task> {
    let mut generator = ChaCha8Rng::seed_from_u64(6);
    let mean_micros = mean.as_micros() as u64;
    (0..count)
        .map(|index| Task {
            index,
            latency: Duration::from_micros(
                mean_micros / 2 + u64::from(generator.next_u32()) % (mean_micros + 1),
            ),
            bad: index == bad,
        })
        .collect()
}

// ANCHOR: thread_per_task
/// Part 1: one thread per task. `Builder::spawn_scoped` returns an `io::Result`: when the OS
/// will not start another thread we stop spawning and keep what ran, instead of exiting as
/// `thread::spawn` would.
fn thread_per_task(tasks: &[Task]) -> (Vec<Fetched>, Option<io::Error>) {
    thread::scope(|scope| {
        let mut handles = Vec::new();
        let mut refused = None;
        for task in tasks {
            let name = format!("task{}", task.index);
            match thread::Builder::new()
                .name(name)
                .spawn_scoped(scope, || run_task(task))
            {
                Ok(handle) => handles.push(handle),
                Err(error) => {
                    refused = Some(error);
                    break;
                }
            }
        }
        // Joining in spawn order gives the results in input order.
        let results = handles
            .into_iter()
            .map(|handle| handle.join().expect("run_task catches the task's panic"))
            .collect();
        (results, refused)
    })
}
// ANCHOR_END: thread_per_task

/// How a pool run went: the results by input position, the jobs each worker did, and the
/// error that stopped the pool from starting more workers.
#[derive(Debug)]
struct Pooled {
    results: Vec<Option<Fetched>>,
    jobs_per_worker: Vec<usize>,
    refused: Option<io::Error>,
}

// ANCHOR: pool
/// Parts 2 and 3: `workers` threads pull jobs from a bounded queue until it is closed and empty.
fn worker_pool(tasks: &[Task], workers: usize) -> Pooled {
    // At most `workers` jobs wait in the queue: a full queue makes main wait (backpressure).
    let (job_sender, job_receiver) = bounded::<usize>(workers).named("jobs");
    let (result_sender, result_receiver) = unbounded::<Fetched>().named("results");
    thread::scope(|scope| {
        let mut handles = Vec::new();
        let mut refused = None;
        for number in 1..=workers {
            let (jobs, results) = (job_receiver.clone(), result_sender.clone());
            let worker = thread::Builder::new()
                .name(format!("worker{number}"))
                .spawn_scoped(scope, move || {
                    let mut done = 0;
                    // `for` over a receiver ends when the queue is closed (every sender
                    // dropped) and empty: that is how a worker learns there is no more work.
                    for index in jobs {
                        done += 1;
                        if results.send(run_task(&tasks[index])).is_err() {
                            break; // nobody collects results any more
                        }
                    }
                    done
                });
            match worker {
                Ok(handle) => handles.push(handle),
                Err(error) => {
                    refused = Some(error);
                    break;
                }
            }
        }
        // Main keeps only the sending end of the jobs and the receiving end of the results.
        drop(job_receiver);
        drop(result_sender);
        // A pool the OS would not give all its workers sends no job: the workers it has stop
        // at once, and main says why (fewer workers would make the run take many times longer).
        let jobs = if refused.is_some() { &[][..] } else { tasks };
        for task in jobs {
            if job_sender.send(task.index).is_err() {
                break; // every worker is gone
            }
        }
        drop(job_sender); // close the queue: workers finish what is queued, then stop
        let mut results: Vec<Option<Fetched>> = tasks.iter().map(|_| None).collect();
        for fetched in result_receiver {
            let index = fetched.task; // the job's index puts its result in input order
            results[index] = Some(fetched);
        }
        let jobs_per_worker = handles
            .into_iter()
            .map(|handle| handle.join().expect("run_task catches the task's panic"))
            .collect();
        Pooled {
            results,
            jobs_per_worker,
            refused,
        }
    })
}
// ANCHOR_END: pool

fn main() {
    let mut cli = Cli::new(
        "lesson06",
        "a worker pool over a bounded queue against one thread per task",
    );
    let tasks_flag = cli.number(
        "--tasks",
        "N",
        "simulated downloads, parts 1 and 2",
        400,
        1..=10_000,
    );
    let workers_flag = cli.number("--workers", "N", "worker threads in part 2", 50, 1..=1000);
    let bad_flag = cli.number(
        "--bad-task",
        "N",
        "the task that panics on purpose (none if N >= --tasks)",
        5,
        0..=10_000,
    );
    cli.live_only("--tasks", "it sizes parts 1 and 2, which run only live");
    cli.live_only("--workers", "it sizes parts 1 and 2, which run only live");
    let flags = cli.parse();
    let (task_count, workers) = (flags[tasks_flag] as usize, flags[workers_flag] as usize);
    let bad = flags[bad_flag] as usize;
    workbook::cleanup::quiet_panics_of::<OnPurpose>();

    if flags.mode.is_replay() {
        println!("Parts 1 and 2 measure real time, so they run only live; a replay shows part 3.");
    } else {
        // Latencies are scaled so the pool takes about LIVE_BUDGET: ceil(tasks / workers) rounds.
        let rounds = task_count.div_ceil(workers) as u32;
        let mean =
            (LIVE_BUDGET / rounds).clamp(Duration::from_micros(200), Duration::from_millis(100));
        let tasks = make_tasks(task_count, mean, bad);
        live_parts(&flags, &tasks, workers, mean);
    }

    println!();
    println!("Part 3: the same pool, small: 3 workers, 8 jobs, a queue that holds 3");
    let tasks = make_tasks(8, Duration::from_millis(20), bad);
    let ran = workbook::run(&flags, || worker_pool(&tasks, 3));
    if let Some(pool) = ran.value {
        stop_if_refused(&pool, 3);
        report_small_pool(&pool, &flags.mode);
    }
    println!();
    println!("Read chapter 6 to see why: book/src/lesson06.md (or `mdbook serve book`).");
}

/// Parts 1 and 2, timed, with the same tasks.
fn live_parts(flags: &workbook::Flags, tasks: &[Task], workers: usize, mean: Duration) {
    let total: Duration = tasks.iter().map(|task| task.latency).sum();
    let longest = tasks
        .iter()
        .map(|task| task.latency)
        .max()
        .unwrap_or_default();
    println!(
        "{} simulated downloads, each waiting {:.1?} to {:.1?} (seeded); {workers} workers in part 2.",
        tasks.len(),
        mean / 2,
        mean * 3 / 2,
    );
    println!(
        "Done one after another they would take {:.2} s (the sum of the latencies).",
        total.as_secs_f64()
    );

    println!();
    println!("Part 1: one thread per task");
    let start = Instant::now();
    let Some((results, refused)) = workbook::run(flags, || thread_per_task(tasks)).value else {
        return;
    };
    let wall = start.elapsed();
    let ran = results.len();
    match &refused {
        None => println!("  started {ran} threads, joined them all"),
        Some(error) => {
            println!(
                "  the OS refused to start thread {} of {}: {error}",
                ran + 1,
                tasks.len()
            );
            println!(
                "  {ran} threads had started and were joined: {ran} results; {} tasks never ran",
                tasks.len() - ran
            );
            println!(
                "  (Python says \"can't start new thread\". The pool below needs only {workers} threads.)"
            );
        }
    }
    let results: Vec<Option<Fetched>> = results.into_iter().map(Some).collect();
    report_results(&results, tasks.len());
    // Every thread waits at once, so the wait is the longest task's; starting thousands of
    // threads one by one also takes time, and then that is what the wall time shows.
    println!(
        "  wall time {:.2} s: {} the longest single task ({:.1?})",
        wall.as_secs_f64(),
        if wall < longest * 2 {
            "about"
        } else {
            "starting the threads took longer than"
        },
        longest,
    );

    println!();
    println!(
        "Part 2: {workers} workers pulling from a bounded queue (it holds at most {workers} jobs)"
    );
    let start = Instant::now();
    let Some(pool) = workbook::run(flags, || worker_pool(tasks, workers)).value else {
        return;
    };
    let wall = start.elapsed();
    let started = pool.jobs_per_worker.len();
    stop_if_refused(&pool, workers);
    report_results(&pool.results, tasks.len());
    report_jobs(&pool.jobs_per_worker, tasks.len());
    let rounds = tasks.len().div_ceil(started.max(1)) as u32;
    let ideal = mean * rounds;
    println!(
        "  wall time {:.2} s; ideal {rounds} round{} x {:.1?} mean latency = {:.2} s ({:.2} x ideal); {:.1} x faster than one after another",
        wall.as_secs_f64(),
        if rounds == 1 { "" } else { "s" },
        mean,
        ideal.as_secs_f64(),
        wall.as_secs_f64() / ideal.as_secs_f64(),
        total.as_secs_f64() / wall.as_secs_f64(),
    );
}

/// A pool that did not get all its workers sent no job (see `worker_pool`): one line on stderr
/// and the exit status of a refused thread.
fn stop_if_refused(pool: &Pooled, workers: usize) {
    if let Some(error) = &pool.refused {
        workbook::cleanup::spawn_failed(format_args!(
            "worker{} of {workers}: {error}; the pool stops (fewer workers would only take longer)",
            pool.jobs_per_worker.len() + 1
        ));
    }
}

/// Checks and prints what came back: is every result there, and in input order?
fn report_results(results: &[Option<Fetched>], tasks: usize) {
    // Result number `at` must be task number `at`, for every result that came back.
    let in_order =
        (results.iter().enumerate()).all(|(at, r)| r.as_ref().is_none_or(|r| r.task == at));
    let failed: Vec<&Fetched> = results
        .iter()
        .flatten()
        .filter(|r| r.page.is_err())
        .collect();
    let arrived = results.iter().flatten().count();
    println!(
        "  {arrived} results for {tasks} tasks, {}; {} ok, {} failed",
        if in_order {
            "in input order"
        } else {
            "NOT in input order"
        },
        arrived - failed.len(),
        failed.len()
    );
    for result in failed {
        let why = result.page.as_ref().unwrap_err();
        println!(
            "  task {} {why}, caught in its thread, which went on",
            result.task
        );
    }
}

/// Prints how many jobs each worker did, and whether they add up to every task.
fn report_jobs(jobs_per_worker: &[usize], tasks: usize) {
    let sum: usize = jobs_per_worker.iter().sum();
    let busy = jobs_per_worker.iter().filter(|&&jobs| jobs > 0).count();
    println!(
        "  joined {} worker{}: {busy} of them did jobs, {} to {} each, {sum} in all{}",
        jobs_per_worker.len(),
        if jobs_per_worker.len() == 1 { "" } else { "s" },
        jobs_per_worker.iter().min().unwrap_or(&0),
        jobs_per_worker.iter().max().unwrap_or(&0),
        if sum == tasks { "" } else { ": NOT every task" }
    );
}

/// Part 3's results, one line per job, with the worker that ran it.
fn report_small_pool(pool: &Pooled, mode: &workbook::Mode) {
    println!("Results by position, whoever ran them:");
    for (index, result) in pool.results.iter().enumerate() {
        let line = match result {
            None => "no result".to_string(),
            Some(Fetched { task, ran_on, page }) => match page {
                Ok(bytes) => format!("job {task} ok, {bytes} bytes, ran on {ran_on}"),
                Err(why) => format!("job {task} FAILED, {why}, ran on {ran_on}"),
            },
        };
        println!("  {index}: {}", mode.reveal(line));
    }
    if mode.is_predict() {
        println!("(the checks of the results are hidden too: --predict)");
    } else {
        report_results(&pool.results, pool.results.len());
        report_jobs(&pool.jobs_per_worker, pool.results.len());
    }
    if !mode.is_replay() {
        println!("(Live, who runs which job depends on timing and can differ from run to run.)");
    }
}
