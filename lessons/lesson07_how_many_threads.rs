//! Lesson 7: how many threads?
//!
//! The same two jobs run on 1, 2, 4, ... up to 1000 threads, and the lesson measures the wall
//! time of each: a CPU-bound job (counting primes by trial division) and an I/O-bound job (many
//! short waits; a sleep stands in for the network). Part 1 shows that the CPU job stops getting
//! faster at the number of cores: Rust has no GIL, so threads really run in parallel, but no more
//! of them than there are cores. It also runs the same job with rayon's `par_iter`. Part 2 shows
//! that the I/O job keeps getting faster until the waiting is hidden, and that past that point
//! more threads only cost start-up time. Part 3 has three workers share a prime count by taking
//! chunk numbers from a shared atomic counter: small enough to replay and to explore.
//!
//! Run it:                 cargo run --release --bin lesson07          (the full sweep, ~30 s)
//! Quickly:                cargo run --release --bin lesson07 -- --quick   (a few seconds)
//! Replay who does what:   cargo run --bin lesson07 -- --seed 2
//! Every schedule:         cargo run --bin lesson07 -- --explore
#![forbid(unsafe_code)]

use std::fmt;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use workbook::sync::{AtomicUsize, Ordering, unbounded};
use workbook::{Cli, Mode, thread};

/// The numbers one job of the CPU-bound sweep looks at.
const CHUNK: u64 = 1000;

/// The wait of one I/O-bound task.
const LATENCY: Duration = Duration::from_millis(2);

/// Sizes of the two jobs, and the thread counts to try.
struct Plan {
    /// Count the primes below this number.
    primes_below: u64,
    /// Tasks of the I/O-bound job.
    io_tasks: usize,
    /// Thread counts, smallest first.
    threads: Vec<usize>,
    /// Each time is the median of this many runs.
    runs: usize,
}

impl Plan {
    fn new(quick: bool, max_threads: usize, runs: usize, cores: usize) -> Plan {
        let mut threads: Vec<usize> = if quick {
            vec![1, 2, 4, 16, 64, 256]
        } else {
            vec![1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000]
        };
        threads.push(cores);
        threads.retain(|&count| count <= max_threads);
        threads.push(max_threads.min(if quick { 256 } else { 1000 }));
        threads.sort_unstable();
        threads.dedup();
        Plan {
            primes_below: if quick { 300_000 } else { 5_000_000 },
            io_tasks: if quick { 100 } else { 1000 },
            threads,
            runs,
        }
    }
}

// ANCHOR: jobs
/// True when `n` is prime, by trial division: pure arithmetic, no memory traffic to speak of.
fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n % 2 == 0 {
        return n == 2;
    }
    let mut divisor = 3;
    while divisor * divisor <= n {
        if n % divisor == 0 {
            return false;
        }
        divisor += 2;
    }
    true
}

/// CPU-bound job number `chunk`: count the primes in its `CHUNK` numbers.
fn count_primes(chunk: usize, size: u64) -> u64 {
    let start = chunk as u64 * size;
    (start..start + size).filter(|&n| is_prime(n)).count() as u64
}

/// I/O-bound job: wait for the "network", which needs no CPU at all while it waits.
fn wait_for_io(_task: usize) -> u64 {
    thread::sleep(LATENCY);
    1
}
// ANCHOR_END: jobs

// ANCHOR: pool
/// Runs jobs `0..jobs` on a pool of `threads` threads that pull job numbers from a channel, and
/// adds up what the jobs return.
fn run_pool(threads: usize, jobs: usize, work: impl Fn(usize) -> u64 + Sync) -> u64 {
    let (sender, receiver) = unbounded();
    let work = &work;
    thread::scope(|scope| {
        let mut handles = Vec::with_capacity(threads);
        for _ in 0..threads {
            let receiver = receiver.clone();
            let spawned = thread::Builder::new()
                .spawn_scoped(scope, move || receiver.iter().map(work).sum::<u64>());
            match spawned {
                Ok(handle) => handles.push(handle),
                Err(error) => {
                    // Fewer threads than the row says would make its time a lie: stop. The
                    // queue is still empty, so closing it ends the workers already started.
                    let started = handles.len();
                    drop(sender);
                    handles.into_iter().for_each(|handle| drop(handle.join()));
                    workbook::cleanup::spawn_failed(format_args!(
                        "thread {} of {threads} of a measured row: {error}",
                        started + 1
                    ));
                }
            }
        }
        for job in 0..jobs {
            sender
                .send(job)
                .expect("the workers hold the receiver until the queue closes");
        }
        drop(sender); // every job is queued: close the queue so workers stop when it is empty
        handles
            .into_iter()
            .map(|handle| handle.join().expect("counting and sleeping do not panic"))
            .sum()
    })
}
// ANCHOR_END: pool

// ANCHOR: rayon
/// The same CPU-bound job with rayon: the one-liner a user would reach for first.
fn rayon_count(chunks: usize) -> u64 {
    (0..chunks)
        .into_par_iter()
        .map(|chunk| count_primes(chunk, CHUNK))
        .sum()
}
// ANCHOR_END: rayon

/// One measured row: thread count, median wall time, the job's answer, and the fastest and
/// slowest of the runs (the spread the `--svg` chart draws).
struct Row {
    threads: usize,
    time: Duration,
    answer: u64,
    fastest: Duration,
    slowest: Duration,
}

/// Runs `measure` `runs` times and keeps the median time (and the last answer).
fn median_of(runs: usize, measure: impl FnMut() -> u64) -> (Duration, u64) {
    let (times, answer) = times_of(runs, measure);
    (times[times.len() / 2], answer)
}

/// Runs `measure` `runs` times: every time, fastest first, and the last answer.
fn times_of(runs: usize, mut measure: impl FnMut() -> u64) -> (Vec<Duration>, u64) {
    let mut times = Vec::with_capacity(runs);
    let mut answer = 0;
    for _ in 0..runs {
        let start = Instant::now();
        answer = measure();
        times.push(start.elapsed());
    }
    times.sort();
    (times, answer)
}

/// Shows which measurement is running, on stderr, only when a person is watching a terminal.
fn progress(text: &str) {
    let mut stderr = std::io::stderr();
    if stderr.is_terminal() {
        let _ = write!(stderr, "\r\x1b[2K  measuring: {text}");
        let _ = stderr.flush();
    }
}

fn clear_progress() {
    let mut stderr = std::io::stderr();
    if stderr.is_terminal() {
        let _ = write!(stderr, "\r\x1b[2K");
        let _ = stderr.flush();
    }
}

/// Measures one job at every thread count of the plan, printing each row as soon as it is
/// measured (so a long sweep shows its progress). `ideal` is the best time `threads` could give.
fn sweep(
    plan: &Plan,
    job: &str,
    jobs: usize,
    work: &(dyn Fn(usize) -> u64 + Sync),
    ideal: Option<&dyn Fn(usize) -> Duration>,
) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    // The most threads of the sweep, started once with no jobs: if the OS refuses them, the
    // lesson stops now instead of after the smaller rows' measurements.
    run_pool(plan.threads.iter().copied().max().unwrap_or(1), 0, work);
    print_header(ideal.is_some());
    for &threads in &plan.threads {
        progress(&format!("{job}, {threads} threads, {} runs", plan.runs));
        let (times, answer) = times_of(plan.runs, || run_pool(threads, jobs, work));
        clear_progress();
        let row = Row {
            threads,
            time: times[times.len() / 2],
            answer,
            fastest: times[0],
            slowest: times[times.len() - 1],
        };
        let one_thread = rows.first().map_or(row.time, |first| first.time);
        print_row(&row, one_thread, ideal.map(|ideal| ideal(threads)));
        rows.push(row);
    }
    rows
}

const BAR: usize = 30;

fn print_header(with_ideal: bool) {
    let ideal = if with_ideal { " | vs ideal" } else { "" };
    println!(
        "threads |      time | {:<BAR$} |  speedup{ideal} | speedup bar (# per doubling)",
        "time bar (1 thread = full width)"
    );
}

fn print_row(row: &Row, one_thread: Duration, ideal: Option<Duration>) {
    let ratio = one_thread.as_secs_f64() / row.time.as_secs_f64();
    let time_bar = bar(row.time.as_secs_f64() / one_thread.as_secs_f64(), BAR);
    let speedup_bar = doublings(ratio);
    let ideal = match ideal {
        Some(ideal) => format!(" | {:>7.2} x", row.time.as_secs_f64() / ideal.as_secs_f64()),
        None => String::new(),
    };
    println!(
        "{:>7} | {:>9} | {time_bar:<BAR$} | {:>6.2} x{ideal} | {speedup_bar}",
        row.threads,
        show(row.time),
        ratio
    );
}

/// A bar of `fraction` x `width` characters; past full width it ends in `>`.
fn bar(fraction: f64, width: usize) -> String {
    let length = (fraction * width as f64).round() as usize;
    if length > width {
        format!("{}>", "#".repeat(width - 1))
    } else {
        "#".repeat(length.max(1))
    }
}

/// One `#` for a speedup of 1, one more for every doubling: 2 x is `##`, 4 x `###`, 512 x ten.
/// A slowdown (below 0.75 x) is shown as `-`.
fn doublings(speedup: f64) -> String {
    if speedup < 0.75 {
        return "-".to_string();
    }
    "#".repeat(1 + speedup.log2().round().max(0.0) as usize)
}

/// "1 thread", "4 threads".
fn count(threads: usize) -> String {
    if threads == 1 {
        "1 thread".to_string()
    } else {
        format!("{threads} threads")
    }
}

fn show(time: Duration) -> String {
    let ms = time.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

fn main() {
    let mut cli = Cli::new(
        "lesson07",
        "run time against thread count for a CPU-bound and an I/O-bound job",
    );
    let quick = cli.switch("--quick", "a smaller sweep that finishes in a few seconds");
    let runs = cli.number(
        "--runs",
        "N",
        "runs per measurement; the median is shown",
        3,
        1..=9,
    );
    let max_threads = cli.number(
        "--max-threads",
        "N",
        "the largest thread count tried",
        1000,
        1..=1000,
    );
    cli.live_only(
        "--quick",
        "it shapes the sweeps of parts 1 and 2, which run only live",
    );
    cli.live_only(
        "--runs",
        "it shapes the sweeps of parts 1 and 2, which run only live",
    );
    cli.live_only(
        "--max-threads",
        "it shapes the sweeps of parts 1 and 2, which run only live",
    );
    cli.explorable();
    cli.svg_live("draw parts 1 and 2 (run time against thread count) as an SVG chart in FILE");
    let flags = cli.parse();

    if flags.mode != Mode::Live {
        println!("Parts 1 and 2 measure real time, so they run only live; this run shows part 3.");
    } else {
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        let plan = Plan::new(
            flags[quick],
            flags[max_threads] as usize,
            flags[runs] as usize,
            cores,
        );
        let (cpu, io) = measure(&plan, cores);
        if let Some(path) = &flags.svg {
            draw(&flags, path, &plan, cores, &cpu, &io);
        }
    }

    println!();
    println!("Part 3: three workers share the primes below 600, 100 numbers at a time");
    let ran = workbook::run(&flags, || share_the_count(3, 6, 100));
    if let Some(shared) = &ran.value {
        report_share(shared, &flags.mode);
    }
    if flags.mode.is_replay() {
        println!(
            "A replay runs one thread at a time, the way Python's GIL runs Python code: it shows \
             who does what, never how fast. For speed, run the sweep live with --release."
        );
    }
    println!();
    println!("Read chapter 7 to see why: book/src/lesson07.md (or `mdbook serve book`).");
}

/// `--svg FILE` in a live run: the two sweeps as a chart, median and spread, cores marked.
fn draw(
    flags: &workbook::Flags,
    path: &std::path::Path,
    plan: &Plan,
    cores: usize,
    cpu: &[Row],
    io: &[Row],
) {
    use workbook::svg::{Point, Series, draw_chart};
    let points = |rows: &[Row]| -> Vec<Point> {
        rows.iter()
            .map(|row| Point {
                threads: row.threads,
                median: row.time,
                fastest: row.fastest,
                slowest: row.slowest,
            })
            .collect()
    };
    let series = [
        Series {
            name: format!(
                "Part 1, CPU-bound: count the primes below {}",
                plan.primes_below
            ),
            points: points(cpu),
        },
        Series {
            name: format!(
                "Part 2, I/O-bound: {} tasks that each wait {} ms",
                plan.io_tasks,
                LATENCY.as_millis()
            ),
            points: points(io),
        },
    ];
    let note = format!(
        "measured live on this machine: {cores} cores, {} build, {} per point",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        if plan.runs == 1 {
            "1 run".to_string()
        } else {
            format!("median of {} runs", plan.runs)
        }
    );
    draw_chart(
        flags,
        path,
        "lesson07: run time against thread count",
        &note,
        &series,
        cores,
    );
    println!("The chart of parts 1 and 2 is in {}.", path.display());
}

/// Parts 1 and 2: the sweeps, with a summary of what they show; returns their rows.
fn measure(plan: &Plan, cores: usize) -> (Vec<Row>, Vec<Row>) {
    println!("This machine has {cores} cores (thread::available_parallelism).");
    if cfg!(debug_assertions) {
        println!(
            "This is a debug build: the arithmetic is slow and the numbers are rough. \
             For real numbers: cargo run --release --bin lesson07"
        );
    }
    println!(
        "Each time is {}; other programs on this machine change the numbers.",
        if plan.runs == 1 {
            "from a single run".to_string()
        } else {
            format!("the median of {} runs", plan.runs)
        }
    );

    let chunks = plan.primes_below.div_ceil(CHUNK) as usize;
    println!();
    println!(
        "Part 1: CPU-bound: count the primes below {} ({chunks} jobs of {CHUNK} numbers)",
        plan.primes_below
    );
    let cpu = sweep(
        plan,
        "counting primes",
        chunks,
        &|chunk| count_primes(chunk, CHUNK),
        None,
    );
    let answers: Vec<u64> = cpu.iter().map(|row| row.answer).collect();
    if answers.windows(2).all(|pair| pair[0] == pair[1]) {
        println!(
            "Every thread count found the same answer: {} primes.",
            answers[0]
        );
    } else {
        println!("BUG: the thread counts disagree on the answer: {answers:?}");
    }
    rayon_count(1); // start rayon's thread pool before timing it, as a program would once
    let (rayon_time, rayon_answer) = median_of(plan.runs, || rayon_count(chunks));
    let one_thread = cpu[0].time;
    let best = cpu
        .iter()
        .min_by_key(|row| row.time)
        .expect("at least one row");
    let at_cores = cpu.iter().find(|row| row.threads == cores).unwrap_or(best);
    println!(
        "rayon par_iter (its pool has {} threads): {}, speedup {:.2} x, {} primes",
        rayon::current_num_threads(),
        show(rayon_time),
        one_thread.as_secs_f64() / rayon_time.as_secs_f64(),
        rayon_answer
    );
    println!(
        "Best: {}, {:.2} x faster than 1 thread, on {cores} cores. \
         At {} the hand-written pool takes {:.2} x rayon's time.",
        count(best.threads),
        one_thread.as_secs_f64() / best.time.as_secs_f64(),
        count(at_cores.threads),
        at_cores.time.as_secs_f64() / rayon_time.as_secs_f64()
    );

    println!();
    println!(
        "Part 2: I/O-bound: {} tasks that each wait {} ms",
        plan.io_tasks,
        LATENCY.as_millis()
    );
    let tasks = plan.io_tasks;
    let ideal = move |threads: usize| LATENCY * tasks.div_ceil(threads) as u32;
    let io = sweep(plan, "waiting", tasks, &wait_for_io, Some(&ideal));
    let best = io
        .iter()
        .min_by_key(|row| row.time)
        .expect("at least one row");
    println!(
        "Best: {}, {} ({:.2} x the ideal of {}). \
         Ideal = (tasks / threads, rounded up) x {} ms: the waits no thread count can avoid.",
        count(best.threads),
        show(best.time),
        best.time.as_secs_f64() / ideal(best.threads).as_secs_f64(),
        show(ideal(best.threads)),
        LATENCY.as_millis()
    );
    let close = io
        .iter()
        .take_while(|row| row.time.as_secs_f64() <= 1.15 * ideal(row.threads).as_secs_f64())
        .last();
    match close {
        Some(row) => println!(
            "Up to {} the pool stays within 1.15 x the ideal.",
            count(row.threads)
        ),
        None => println!("Not even 1 thread stayed within 1.15 x the ideal: is the machine busy?"),
    }
    if let Some(last) = io.last().filter(|last| last.threads > best.threads) {
        println!(
            "At {} threads: {}; the extra threads only cost time to start (and a stack each).",
            last.threads,
            show(last.time)
        );
    }
    (cpu, io)
}

// ANCHOR: share
/// Part 3: `workers` threads take chunk numbers from a shared counter until none is left. Each
/// worker's `join` returns the chunks it counted and the primes it found in them.
fn share_the_count(workers: usize, chunks: usize, size: u64) -> Shared {
    let next_chunk = AtomicUsize::new(0).named("next_chunk");
    let counted_by = thread::scope(|scope| {
        let handles: Vec<_> = (1..=workers)
            .map(|number| {
                let worker = thread::Builder::new().name(format!("worker{number}"));
                let spawned = worker.spawn_scoped(scope, || {
                    let (mut mine, mut primes) = (Vec::new(), 0);
                    loop {
                        // fetch_add hands out each chunk number exactly once, whoever asks first.
                        let chunk = next_chunk.fetch_add(1, Ordering::Relaxed);
                        if chunk >= chunks {
                            return (mine, primes);
                        }
                        primes += count_primes(chunk, size);
                        mine.push(chunk);
                    }
                });
                spawned.expect("the OS starts a few threads")
            })
            .collect();
        let joined = handles.into_iter().map(|handle| handle.join());
        joined
            .map(|mine| mine.expect("counting does not panic"))
            .collect()
    });
    Shared { chunks, counted_by }
}
// ANCHOR_END: share

/// What part 3 found: for each worker, the chunks it counted and their primes.
struct Shared {
    chunks: usize,
    counted_by: Vec<(Vec<usize>, u64)>,
}

/// The outcome the trace and the explorer show: the total, and whether every chunk was counted
/// exactly once (not who counted which: that differs from schedule to schedule).
impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let primes: u64 = self.counted_by.iter().map(|(_, primes)| primes).sum();
        let all: Vec<usize> = self
            .counted_by
            .iter()
            .flat_map(|(mine, _)| mine)
            .copied()
            .collect();
        let times = |chunk: usize| all.iter().filter(|&&c| c == chunk).count();
        let wrong: Vec<String> = (0..self.chunks)
            .filter(|&chunk| times(chunk) != 1)
            .map(|chunk| format!("{chunk} x{}", times(chunk)))
            .collect();
        if wrong.is_empty() {
            write!(f, "{primes} primes, each chunk counted once")
        } else {
            write!(
                f,
                "{primes} primes, NOT each chunk once: {}",
                wrong.join(", ")
            )
        }
    }
}

/// Part 3's report: who counted what (hidden under --predict), and the outcome.
fn report_share(shared: &Shared, mode: &Mode) {
    let who: Vec<String> = (shared.counted_by.iter().enumerate())
        .map(|(at, (mine, primes))| format!("worker{} {mine:?} ({primes} primes)", at + 1))
        .collect();
    println!("Chunks counted: {}", mode.reveal(who.join(", ")));
    println!("Outcome: {}", mode.reveal(format!("{shared:?}")));
    if !mode.is_replay() {
        println!("(Live, which worker takes which chunk depends on timing.)");
    }
}
