//! Lesson 4: a shared counter, three ways.
//!
//! Part 1 is the program a Python programmer writes first: threads doing `counter += 1` on one
//! shared variable. Rust does not compile it (the data race is rejected; the program is kept in
//! `tests/compile_fail/`, and the tests check that rustc still refuses it). Part 2 is what safe
//! Rust *does* allow: an atomic counter read and written back in two separate steps. Every access
//! is defined behaviour, and still updates get lost, because another thread can write between
//! the read and the write. Part 3 fixes it with a `parking_lot::Mutex` (the read and the write
//! become one step nobody can cut into), part 4 with `AtomicU64::fetch_add` (the hardware does
//! the read-add-write as one indivisible, atomic, operation).
//!
//! Run it live:          cargo run --bin lesson04
//! Replay an order:      cargo run --bin lesson04 -- --seed 3
//! Guess before seeing:  cargo run --bin lesson04 -- --seed 3 --predict
//! Time the three fixes: cargo run --release --bin lesson04 -- --bench
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use workbook::{Cli, Flags, Run, trace};

const PROGRAM: &str = "lesson04";

/// A replay shows two threads that each add 2: small enough to read every step of the trace,
/// and exactly the program whose every schedule `tests/lesson04_proof.rs` explores.
const REPLAY_THREADS: [&str; 2] = ["a", "b"];
const REPLAY_INCREMENTS: u64 = 2;

/// How many times `--bench` runs each version; it reports the median.
const BENCH_ROUNDS: usize = 5;

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "a shared counter: the data race rustc rejects, the lost updates it allows, two fixes",
    );
    let threads = cli.number(
        "--threads",
        "N",
        "live run and --bench: threads adding to the counter",
        4,
        1..=16,
    );
    let increments = cli.number(
        "--increments",
        "M",
        "live run and --bench: how many times each thread adds 1",
        100_000,
        1..=200_000,
    );
    let yield_between = cli.switch(
        "--yield-between",
        "live run: call thread::yield_now() between the racy load and store, to invite a \
         switch right there (more lost updates, slower)",
    );
    let bench = cli.switch(
        "--bench",
        "time the racy, Mutex and fetch_add counters in ns per increment, then stop",
    );
    // Flags that a replay would silently ignore are refused instead, before anything is printed.
    let replay_size = format!(
        "a replay always runs {} threads x {REPLAY_INCREMENTS} increments",
        REPLAY_THREADS.len()
    );
    cli.live_only("--threads", &replay_size);
    cli.live_only("--increments", &replay_size);
    cli.live_only(
        "--yield-between",
        "in a replay the seed or schedule decides where threads switch",
    );
    cli.live_only("--bench", "it measures real threads");
    let flags = cli.parse();
    if flags[bench] && flags[yield_between] {
        flags.refuse("--yield-between applies to live runs; --bench times the counters without it");
    }
    let (threads, increments) = (flags[threads], flags[increments]);

    if flags[bench] {
        benchmark(threads, increments);
    } else if flags.mode.is_replay() {
        replay(&flags);
    } else {
        live(threads, increments, flags[yield_between]);
    }
    println!();
    println!("Read chapter 4 to see why: book/src/lesson04.md (or `mdbook serve book`).");
}

// ANCHOR: racy
/// One thread's share of the work on the racy counter: read it, then write back what was read
/// plus one. Both accesses are atomic, so this is defined behaviour; but another thread may
/// write between the load and the store, and then this store erases that thread's update.
fn add_racy(counter: &AtomicU64, increments: u64, yield_between: bool) {
    for _ in 0..increments {
        let seen = counter.load(Ordering::Relaxed);
        if yield_between {
            thread::yield_now(); // --yield-between only: invite a switch right here
        }
        counter.store(seen + 1, Ordering::Relaxed);
    }
}
// ANCHOR_END: racy

// ANCHOR: mutex
/// The fix with a lock: `lock()` waits until no other thread holds the counter, and the read,
/// the addition and the write happen while this thread holds it. The guard unlocks at the end
/// of the statement.
fn add_locked(counter: &Mutex<u64>, increments: u64) {
    for _ in 0..increments {
        *counter.lock() += 1;
    }
}
// ANCHOR_END: mutex

// ANCHOR: fetch_add
/// The fix for a single number: `fetch_add` reads, adds and writes as one indivisible
/// operation, so no other thread can write in between. `Relaxed` is enough for a counter that
/// orders nothing else; the count is exact whatever the ordering.
fn add_atomic(counter: &AtomicU64, increments: u64) {
    for _ in 0..increments {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
// ANCHOR_END: fetch_add

// ANCHOR: start_together
/// Runs `work` on `threads` threads at once and returns how long they took together. Each
/// thread checks in and waits at the start line until `main` sees all of them there and lets
/// them go, so they really overlap; a thread that started early could otherwise finish its
/// share before the last one was even spawned.
fn on_threads(threads: u64, work: impl Fn() + Sync) -> Duration {
    let at_start_line = AtomicU64::new(0);
    let go = AtomicBool::new(false);
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                at_start_line.fetch_add(1, Ordering::AcqRel);
                while !go.load(Ordering::Acquire) {
                    thread::yield_now();
                }
                work();
            });
        }
        while at_start_line.load(Ordering::Acquire) < threads {
            thread::yield_now();
        }
        let started = Instant::now();
        go.store(true, Ordering::Release);
        started
    }) // the scope joins every thread before it returns
    .elapsed()
}
// ANCHOR_END: start_together

fn live(threads: u64, increments: u64, yield_between: bool) {
    let expected = threads * increments;
    print_part_1();

    println!();
    println!("Part 2: an atomic counter, loaded and stored in two steps (safe Rust, still wrong)");
    // ANCHOR: racy_live
    let counter = AtomicU64::new(0);
    on_threads(threads, || add_racy(&counter, increments, yield_between));
    let racy = counter.load(Ordering::Relaxed);
    // ANCHOR_END: racy_live
    let how = if yield_between {
        " (with thread::yield_now() between load and store)"
    } else {
        ""
    };
    println!("{threads} threads x {increments} increments{how}");
    print_count(racy, expected);
    println!(
        "A live run differs from run to run: it may lose many updates, a few, or (by luck, \
         e.g. with one thread or one core) none. Run it again, or try --yield-between."
    );

    println!();
    println!("Part 3: the same work under a parking_lot::Mutex");
    let counter = Mutex::new(0);
    on_threads(threads, || add_locked(&counter, increments));
    print_count(counter.into_inner(), expected);

    println!();
    println!("Part 4: the same work with AtomicU64::fetch_add");
    let counter = AtomicU64::new(0);
    on_threads(threads, || add_atomic(&counter, increments));
    print_count(counter.load(Ordering::Relaxed), expected);
    println!("Parts 3 and 4 count exactly {expected} on every run: no update can be lost.");
}

/// Part 1 is a program that does not compile, so the lesson can only point at it.
fn print_part_1() {
    println!("Part 1: the Python way, `counter += 1` from several threads, does not compile");
    println!(
        "  tests/compile_fail/lesson04_shared_counter.rs: error[E0499]: cannot borrow `counter` \
         as mutable more than once at a time"
    );
    println!(
        "  tests/compile_fail/lesson04_shared_cell.rs:    error[E0277]: `Cell<u64>` cannot be \
         shared between threads safely"
    );
    println!("  (`cargo test --test lesson04 compile_fail` checks that rustc still refuses both)");
}

fn print_count(count: u64, expected: u64) {
    println!(
        "final count {count} of {expected}, lost updates: {}",
        expected - count
    );
}

// ANCHOR: racy_replay
/// Part 2 as a replay: the same load and store, each one step of the trace. The check before
/// the store only labels the trace: a store is "stale" when the counter is no longer the value
/// this thread loaded, i.e. it writes over another thread's update.
fn racy_replay(run: &Run, counter: &AtomicU64) {
    thread::scope(|scope| {
        for name in REPLAY_THREADS {
            scope.spawn(move || {
                run.actor(name, |me| {
                    for _ in 0..REPLAY_INCREMENTS {
                        let seen = me.step("load", || counter.load(Ordering::Relaxed));
                        me.step("store", || {
                            let stale = counter.load(Ordering::Relaxed) != seen;
                            counter.store(seen + 1, Ordering::Relaxed);
                            if stale {
                                format!("{} (stale)", seen + 1)
                            } else {
                                format!("{}", seen + 1)
                            }
                        });
                    }
                })
            });
        }
    });
}
// ANCHOR_END: racy_replay

// ANCHOR: mutex_replay
/// Part 3 as a replay: taking the lock is a step, and while one thread holds it the other
/// thread's `lock` step is blocked, so the `ready` column shows one thread only.
fn locked_replay(run: &Run, counter: &Mutex<u64>) {
    thread::scope(|scope| {
        for name in REPLAY_THREADS {
            scope.spawn(move || {
                run.actor(name, |me| {
                    for _ in 0..REPLAY_INCREMENTS {
                        let mut count = me.lock("lock", counter);
                        me.step("add", || {
                            *count += 1;
                            *count
                        });
                        me.action("unlock", || drop(count));
                    }
                })
            });
        }
    });
}
// ANCHOR_END: mutex_replay

/// Part 4 as a replay: one `fetch_add` is one step; there is nothing to cut into.
fn atomic_replay(run: &Run, counter: &AtomicU64) {
    thread::scope(|scope| {
        for name in REPLAY_THREADS {
            scope.spawn(move || {
                run.actor(name, |me| {
                    for _ in 0..REPLAY_INCREMENTS {
                        me.step("fetch_add", || counter.fetch_add(1, Ordering::Relaxed) + 1);
                    }
                })
            });
        }
    });
}

fn replay(flags: &Flags) {
    let expected = REPLAY_THREADS.len() as u64 * REPLAY_INCREMENTS;
    // Created before anything is printed, so a bad --schedule is rejected with a clean stdout.
    let run = Run::new(PROGRAM, flags, &REPLAY_THREADS);
    print_part_1();

    println!();
    println!(
        "Part 2: an atomic counter, loaded and stored in two steps; 2 threads x \
         {REPLAY_INCREMENTS} increments"
    );
    let counter = Arc::new(AtomicU64::new(0));
    let watched = Arc::clone(&counter);
    run.watch("counter", move || {
        watched.load(Ordering::Relaxed).to_string()
    });
    racy_replay(&run, &counter);
    run.finish();
    let count = counter.load(Ordering::Relaxed);
    println!(
        "final count {} of {expected}, lost updates: {}",
        flags.mode.reveal(count),
        flags.mode.reveal(expected - count)
    );
    println!(
        "A store marked (stale) writes over an update its thread never saw: that update is lost."
    );

    println!();
    print_seed_table(flags);

    println!();
    println!("Part 3: the same work under a parking_lot::Mutex");
    let run = Run::new(PROGRAM, flags, &REPLAY_THREADS);
    let counter = Arc::new(Mutex::new(0));
    let watched = Arc::clone(&counter);
    // The watch must not block: while a thread holds the lock, it shows "locked".
    run.watch("counter", move || match watched.try_lock() {
        Some(count) => count.to_string(),
        None => "locked".to_string(),
    });
    locked_replay(&run, &counter);
    run.finish();
    print_exact(flags, *counter.lock(), expected);

    println!();
    println!("Part 4: the same work with AtomicU64::fetch_add");
    let run = Run::new(PROGRAM, flags, &REPLAY_THREADS);
    let counter = Arc::new(AtomicU64::new(0));
    let watched = Arc::clone(&counter);
    run.watch("counter", move || {
        watched.load(Ordering::Relaxed).to_string()
    });
    atomic_replay(&run, &counter);
    run.finish();
    print_exact(flags, counter.load(Ordering::Relaxed), expected);
}

/// Under --predict only the count's place is shown: "exact in every replay" would give it away.
fn print_exact(flags: &Flags, count: u64, expected: u64) {
    if flags.mode.is_predict() {
        println!("final count ? of {expected}");
    } else {
        println!("final count {count} of {expected}: exact in every replay");
    }
}

// ANCHOR: seed_table
/// Replays part 2 with seeds 0 to 9, quietly, and prints one line per seed.
fn print_seed_table(flags: &Flags) {
    println!("The racy counter under seeds 0 to 9:");
    let mut rows = vec![[
        "seed".to_string(),
        "final count".into(),
        "lost".into(),
        "choices".into(),
    ]];
    for seed in 0..10 {
        let run = Run::seeded(seed, &REPLAY_THREADS);
        let counter = AtomicU64::new(0);
        racy_replay(&run, &counter);
        let report = run.finish_quietly();
        let count = counter.load(Ordering::Relaxed);
        let expected = REPLAY_THREADS.len() as u64 * REPLAY_INCREMENTS;
        rows.push([
            seed.to_string(),
            flags.mode.reveal(count),
            flags.mode.reveal(expected - count),
            report.taken,
        ]);
    }
    print!("{}", trace::table(&rows));
}
// ANCHOR_END: seed_table

// ANCHOR: bench
/// Times each version on `threads` threads adding `increments` each, `BENCH_ROUNDS` times, and
/// prints the median time per increment. All threads hammer one counter: that is the contention.
fn benchmark(threads: u64, increments: u64) {
    let total = threads * increments;
    println!(
        "Timing {threads} threads x {increments} increments on one counter, median of {BENCH_ROUNDS} rounds"
    );
    if cfg!(debug_assertions) {
        println!("(a debug build: for real numbers, run with cargo run --release)");
    }
    let racy = median_of_rounds(|| {
        let counter = AtomicU64::new(0);
        let time = on_threads(threads, || add_racy(&counter, increments, false));
        (time, counter.load(Ordering::Relaxed))
    });
    let locked = median_of_rounds(|| {
        let counter = Mutex::new(0);
        let time = on_threads(threads, || add_locked(&counter, increments));
        (time, counter.into_inner())
    });
    let atomic = median_of_rounds(|| {
        let counter = AtomicU64::new(0);
        let time = on_threads(threads, || add_atomic(&counter, increments));
        (time, counter.load(Ordering::Relaxed))
    });
    let mut rows = vec![[
        "version".to_string(),
        "ns per increment".into(),
        "final count (last round)".into(),
    ]];
    for (name, (time, count)) in [
        ("racy load + store", racy),
        ("parking_lot::Mutex", locked),
        ("AtomicU64::fetch_add", atomic),
    ] {
        let per_increment = time.as_nanos() as f64 / total as f64;
        rows.push([
            name.to_string(),
            format!("{per_increment:.1}"),
            format!("{count} of {total}"),
        ]);
    }
    print!("{}", trace::table(&rows));
    println!(
        "Each time runs from the start line to the end of the last thread. The racy version is \
         fast because it skips the work of being right: it loses updates."
    );
}
// ANCHOR_END: bench

/// Runs `round` `BENCH_ROUNDS` times; returns the median time and the last round's count.
fn median_of_rounds(round: impl Fn() -> (Duration, u64)) -> (Duration, u64) {
    let mut times = Vec::new();
    let mut count = 0;
    for _ in 0..BENCH_ROUNDS {
        let (time, last) = round();
        times.push(time);
        count = last;
    }
    times.sort();
    (times[BENCH_ROUNDS / 2], count)
}
