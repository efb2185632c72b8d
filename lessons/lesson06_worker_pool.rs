//! Lesson 6: a worker pool over a bounded queue.
//!
//! Many slow tasks (simulated downloads: each waits a seeded latency, no network) can be run with
//! one thread per task, or with a fixed number of workers that pull jobs from a queue. Part 1
//! starts a thread per task, Part 2 runs the same tasks on a pool of workers fed through a
//! bounded `crossbeam_channel`. Both return the results in input order (each job carries its
//! index), and in both one task panics on purpose: it becomes a failed result, not a crash.
//! Part 3 shrinks the pool to 3 workers and 8 jobs so a replay can show who takes which job.
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
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, unbounded};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use workbook::{Cli, Run};

const PROGRAM: &str = "lesson06";

/// The pool part of a live run should take about this long, whatever `--tasks` and `--workers`.
const LIVE_BUDGET: Duration = Duration::from_millis(800);

/// The seed of the simulated latencies (the same on every run, so runs are comparable).
const LATENCY_SEED: u64 = 6;

/// One simulated download: its place in the input, how long the "network" takes, and whether it
/// is the task that panics on purpose.
#[derive(Clone, Debug)]
struct Task {
    index: usize,
    latency: Duration,
    bad: bool,
}

/// What a download brings back.
#[derive(Clone, Copy, Debug)]
struct Page {
    bytes: usize,
}

/// A task's result: the page, or why it failed.
type Fetched = Result<Page, String>;

/// The payload of the panic a bad task raises on purpose (see `quiet_on_purpose_panics`).
struct OnPurpose(&'static str);

/// "Downloads" one page: waits the task's latency (the network), then panics if the task is the
/// bad one, on purpose, to show what a pool does with a task that panics.
fn fetch(task: &Task, wait: impl FnOnce(Duration)) -> Page {
    wait(task.latency);
    if task.bad {
        panic::panic_any(OnPurpose("malformed URL"));
    }
    Page {
        bytes: 1000 + (task.index * 7919) % 9000,
    }
}

/// Turns a panic's payload into the failure message of a result.
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(OnPurpose(why)) = payload.downcast_ref::<OnPurpose>() {
        format!("panicked on purpose: {why}")
    } else if let Some(text) = payload.downcast_ref::<&str>() {
        format!("panicked: {text}")
    } else if let Some(text) = payload.downcast_ref::<String>() {
        format!("panicked: {text}")
    } else {
        "panicked".to_string()
    }
}

/// The lesson's own panics are on purpose and reported as failed results; the usual panic
/// message on stderr would only look like a crash. Every other panic is still reported.
fn quiet_on_purpose_panics() {
    let usual = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        if !info.payload().is::<OnPurpose>() {
            usual(info);
        }
    }));
}

/// The tasks, with seeded latencies around `mean` (from half to one and a half times it).
fn make_tasks(count: usize, mean: Duration, bad: usize) -> Vec<Task> {
    let mut generator = ChaCha8Rng::seed_from_u64(LATENCY_SEED);
    let mean_micros = mean.as_micros() as u64;
    (0..count)
        .map(|index| {
            let spread = u64::from(generator.next_u32()) % (mean_micros + 1);
            Task {
                index,
                latency: Duration::from_micros(mean_micros / 2 + spread),
                bad: index == bad,
            }
        })
        .collect()
}

/// How part 1 went: the results of the threads that ran, and the spawn error that stopped it.
struct PerTask {
    results: Vec<Fetched>,
    refused: Option<io::Error>,
    wall: Duration,
}

// ANCHOR: thread_per_task
/// Part 1: one thread per task. `Builder::spawn_scoped` returns an `io::Result`: when the OS
/// will not start another thread we stop spawning and keep what ran, instead of panicking as
/// `thread::spawn` would.
fn thread_per_task(tasks: &[Task]) -> PerTask {
    let start = Instant::now();
    let mut results = Vec::with_capacity(tasks.len());
    let mut refused = None;
    thread::scope(|scope| {
        let mut handles = Vec::with_capacity(tasks.len());
        for task in tasks {
            match thread::Builder::new().spawn_scoped(scope, move || fetch(task, thread::sleep)) {
                Ok(handle) => handles.push(handle),
                Err(error) => {
                    refused = Some(error);
                    break;
                }
            }
        }
        // Joining in spawn order gives the results in input order. A task that panicked
        // comes back from `join` as an `Err` holding the panic's payload.
        for handle in handles {
            results.push(handle.join().map_err(panic_message));
        }
    });
    PerTask {
        results,
        refused,
        wall: start.elapsed(),
    }
}
// ANCHOR_END: thread_per_task

/// How part 2 went.
struct Pooled {
    results: Vec<Fetched>,
    jobs_per_worker: Vec<usize>,
    refused: Option<io::Error>,
    wall: Duration,
}

// ANCHOR: pool
/// Part 2: `workers` threads pull jobs from a bounded queue until it is closed and empty.
fn worker_pool(tasks: &[Task], workers: usize) -> Pooled {
    let start = Instant::now();
    // At most `workers` jobs wait in the queue: a full queue makes the sender wait (backpressure).
    let (job_sender, job_receiver) = bounded::<&Task>(workers);
    let (result_sender, result_receiver) = unbounded::<(usize, Fetched)>();
    let mut results: Vec<Option<Fetched>> = vec![None; tasks.len()];
    let mut jobs_per_worker = Vec::new();
    let mut refused = None;
    thread::scope(|scope| {
        let mut handles = Vec::new();
        for _ in 0..workers {
            let (jobs, results) = (job_receiver.clone(), result_sender.clone());
            let worker = thread::Builder::new().spawn_scoped(scope, move || {
                let mut done = 0;
                // `for` over a receiver ends when the queue is closed (every sender dropped)
                // and empty: that is how a worker learns there is no more work.
                for task in jobs {
                    // A panicking task must not take its worker down: catch it here.
                    let fetched =
                        panic::catch_unwind(|| fetch(task, thread::sleep)).map_err(panic_message);
                    done += 1;
                    if results.send((task.index, fetched)).is_err() {
                        break; // nobody collects results any more
                    }
                }
                done
            });
            match worker {
                Ok(handle) => handles.push(handle),
                Err(error) => {
                    refused = Some(error);
                    break; // go on with the workers we have
                }
            }
        }
        // Main keeps only the sending end of the jobs and the receiving end of the results.
        drop(job_receiver);
        drop(result_sender);
        for task in tasks {
            // Blocks while the queue is full; fails only if every worker is gone.
            if job_sender.send(task).is_err() {
                break;
            }
        }
        drop(job_sender); // close the queue: workers finish what is queued, then stop
        for (index, fetched) in result_receiver {
            results[index] = Some(fetched); // the job's index puts its result in input order
        }
        for handle in handles {
            jobs_per_worker.push(handle.join().expect("a worker catches its tasks' panics"));
        }
    });
    Pooled {
        results: results.into_iter().flatten().collect(),
        jobs_per_worker,
        refused,
        wall: start.elapsed(),
    }
}
// ANCHOR_END: pool

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "a worker pool over a bounded queue against one thread per task",
    );
    let tasks_flag = cli.number(
        "--tasks",
        "N",
        "simulated downloads in the live parts 1 and 2",
        400,
        1..=10_000,
    );
    let workers_flag = cli.number(
        "--workers",
        "N",
        "worker threads in the live part 2",
        50,
        1..=1000,
    );
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
    quiet_on_purpose_panics();

    // Part 3's run is created first, so a bad --schedule is rejected before anything is printed.
    let names = ["main", "worker1", "worker2", "worker3"];
    let small_pool = Run::new(PROGRAM, &flags, &names);

    if flags.mode.is_replay() {
        println!("Parts 1 and 2 measure real time, so they run only live; a replay shows part 3.");
    } else {
        // Latencies are scaled so the pool takes about LIVE_BUDGET: ceil(tasks / workers) rounds.
        let rounds = task_count.div_ceil(workers) as u32;
        let mean =
            (LIVE_BUDGET / rounds).clamp(Duration::from_micros(200), Duration::from_millis(100));
        let tasks = make_tasks(task_count, mean, bad);
        live_parts(&tasks, workers, mean);
    }

    println!();
    println!("Part 3: a small pool, 3 workers and 8 jobs through a queue that holds 2");
    small_pool_part(small_pool, bad, &flags);
    println!();
    println!("Read chapter 6 to see why: book/src/lesson06.md (or `mdbook serve book`).");
}

/// Parts 1 and 2, timed, with the same tasks.
fn live_parts(tasks: &[Task], workers: usize, mean: Duration) {
    let total: Duration = tasks.iter().map(|task| task.latency).sum();
    let longest = tasks
        .iter()
        .map(|task| task.latency)
        .max()
        .unwrap_or_default();
    println!(
        "{} simulated downloads, each waiting {} to {} (seeded); {} workers in part 2.",
        tasks.len(),
        millis(mean / 2),
        millis(mean * 3 / 2),
        workers
    );
    println!(
        "Done one after another they would take {} (the sum of the latencies); nobody waits for that.",
        seconds(total)
    );

    println!();
    println!("Part 1: one thread per task");
    let part1 = thread_per_task(tasks);
    match &part1.refused {
        None => println!("  started {} threads, joined them all", part1.results.len()),
        Some(error) => {
            let ran = part1.results.len();
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
                "  (Python reports this as \"can't start new thread\". The pool below needs only {} threads.)",
                workers
            );
        }
    }
    report_results(
        &part1.results,
        tasks,
        "its thread's join() returned the panic as an Err",
    );
    // Every thread waits at once, so the wait is the longest task's; starting thousands of
    // threads one by one also takes time, and then that is what the wall time shows.
    let like_longest = part1.wall < longest * 2;
    let than_sum = if total > part1.wall * 2 {
        format!(", far less than the sum ({})", seconds(total))
    } else {
        String::new()
    };
    println!(
        "  wall time {}: {} the longest single task ({}){than_sum}",
        seconds(part1.wall),
        if like_longest {
            "about"
        } else {
            "starting the threads took longer than"
        },
        millis(longest),
    );

    println!();
    println!(
        "Part 2: {workers} workers pulling from a bounded queue (it holds at most {workers} jobs)"
    );
    let part2 = worker_pool(tasks, workers);
    let started = part2.jobs_per_worker.len();
    if let Some(error) = &part2.refused {
        println!(
            "  the OS refused to start worker {} of {workers}: {error}; the pool goes on with {started}",
            started + 1
        );
    }
    if started == 0 {
        println!("  not a single worker could start, so no task ran");
        return;
    }
    println!(
        "  started {started} workers, sent {} jobs, closed the queue, joined every worker",
        tasks.len()
    );
    report_results(
        &part2.results,
        tasks,
        "caught by catch_unwind in its worker, which went on to the next job",
    );
    let fewest = part2.jobs_per_worker.iter().min().copied().unwrap_or(0);
    let most = part2.jobs_per_worker.iter().max().copied().unwrap_or(0);
    println!("  jobs per worker: fewest {fewest}, most {most}");
    let rounds = tasks.len().div_ceil(started) as u32;
    let ideal = mean * rounds;
    let faster = total.as_secs_f64() / part2.wall.as_secs_f64();
    println!(
        "  wall time {}; ideal {} round{} x {} mean latency = {} ({:.2} x ideal); {}",
        seconds(part2.wall),
        rounds,
        if rounds == 1 { "" } else { "s" },
        millis(mean),
        seconds(ideal),
        part2.wall.as_secs_f64() / ideal.as_secs_f64(),
        if faster >= 1.5 {
            format!("{faster:.0} x faster than one after another")
        } else {
            format!("{faster:.2} x the speed of one after another")
        }
    );
}

/// Prints a few results in input order and counts the rest.
fn report_results(results: &[Fetched], tasks: &[Task], how_failure_came_back: &str) {
    let shown: Vec<String> = results
        .iter()
        .take(3)
        .enumerate()
        .map(|(index, result)| match result {
            Ok(page) => format!("task {index} ok ({} bytes)", page.bytes),
            Err(_) => format!("task {index} failed"),
        })
        .collect();
    println!(
        "  results in input order: {}, ... task {}",
        shown.join(", "),
        results.len().saturating_sub(1)
    );
    let failed: Vec<(usize, &String)> = results
        .iter()
        .enumerate()
        .filter_map(|(index, result)| result.as_ref().err().map(|why| (index, why)))
        .collect();
    let mut line = format!(
        "  {} of {} tasks ok, {} failed",
        results.len() - failed.len(),
        tasks.len(),
        failed.len()
    );
    for (index, why) in &failed {
        line.push_str(&format!(": task {index} {why} ({how_failure_came_back})"));
    }
    println!("{line}");
}

/// The outcome of taking a job from the queue, as the trace shows it.
enum Taken {
    Job(usize),
    Closed,
}

impl fmt::Display for Taken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Taken::Job(job) => write!(f, "job {job}"),
            Taken::Closed => write!(f, "none: closed"),
        }
    }
}

/// Part 3: the pool of part 2 in miniature, with every step marked for the replay.
fn small_pool_part(run: Run, bad: usize, flags: &workbook::Flags) {
    const JOBS: usize = 8;
    let tasks = make_tasks(JOBS, Duration::from_millis(20), bad);
    run.print_live_header();
    // ANCHOR: small_pool
    let (job_sender, job_receiver) = bounded::<usize>(2); // a job is the index of its task
    let closed = AtomicBool::new(false); // tells the replay the queue is closed; live ignores it
    let (result_sender, result_receiver) = unbounded::<(usize, &str, Fetched)>();
    let queue = job_receiver.clone();
    run.watch("queue", move || format!("{} waiting", queue.len()));
    thread::scope(|scope| {
        let (run, closed, tasks) = (&run, &closed, &tasks);
        scope.spawn(move || {
            run.actor("main", |me| {
                for task in tasks {
                    me.step_when(
                        "send",
                        || !job_sender.is_full(),
                        || {
                            job_sender
                                .send(task.index)
                                .expect("the workers hold the receiver");
                            format!("job {}", task.index)
                        },
                    );
                }
                me.action("close queue", || {
                    drop(job_sender);
                    closed.store(true, Ordering::SeqCst);
                });
            })
        });
        for name in ["worker1", "worker2", "worker3"] {
            let (jobs, results) = (job_receiver.clone(), result_sender.clone());
            scope.spawn(move || {
                run.actor(name, |me| {
                    loop {
                        let ready = || !jobs.is_empty() || closed.load(Ordering::SeqCst);
                        let taken = me.step_when("take", ready, || match jobs.recv() {
                            Ok(index) => Taken::Job(index),
                            Err(_) => Taken::Closed, // closed and empty: this worker is done
                        });
                        let Taken::Job(index) = taken else { break };
                        let task = &tasks[index];
                        // AssertUnwindSafe: after a panic we only read `me` to take the next step.
                        let fetched = panic::catch_unwind(AssertUnwindSafe(|| {
                            fetch(task, |latency| me.sleep(latency))
                        }))
                        .map_err(panic_message);
                        me.step("done", || {
                            let label = match &fetched {
                                Ok(_) => format!("job {index} ok"),
                                Err(_) => format!("job {index} FAILED"),
                            };
                            results
                                .send((index, name, fetched))
                                .expect("main holds the receiver");
                            label
                        });
                    }
                })
            });
        }
    });
    // ANCHOR_END: small_pool
    drop(result_sender);
    run.finish();
    let mut by_index: Vec<Option<(&str, Fetched)>> = vec![None; JOBS];
    for (index, name, fetched) in result_receiver {
        by_index[index] = Some((name, fetched));
    }
    println!("Results in input order, whoever ran them:");
    let mode = &flags.mode;
    for (index, entry) in by_index.iter().enumerate() {
        let Some((name, fetched)) = entry else {
            println!("  job {index}: no result (the replay stopped before it ran)");
            continue;
        };
        let what = match fetched {
            Ok(page) => format!("ok, {} bytes", page.bytes),
            Err(why) => format!("FAILED, {why}"),
        };
        println!(
            "  job {index}: {}  (ran on {})",
            mode.reveal(what),
            mode.reveal(name)
        );
    }
    if !mode.is_replay() {
        println!(
            "Live run: which worker takes which job depends on timing, so the columns above can \
             differ between runs; the results are in input order every time."
        );
    }
}

fn millis(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}
