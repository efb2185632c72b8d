//! Lesson 4: a shared counter, three ways.
//!
//! Part 1 is the program a Python programmer writes first: threads doing `counter += 1` on one
//! shared variable. Rust does not compile it (the data race is rejected; the program is kept in
//! `tests/compile_fail/`, and the tests check that rustc still refuses it). Part 2 is what safe
//! Rust *does* allow: an atomic counter read and written back in two separate operations. Every
//! access is defined behaviour, and still updates get lost, because another thread can write
//! between the read and the write. Part 3 fixes it with a `Mutex` (the read and the write happen
//! while holding the lock, so nobody can cut in), part 4 with `AtomicU64::fetch_add` (the
//! hardware does the read-add-write as one indivisible, atomic, operation).
//!
//! The counters are ordinary threaded Rust on `workbook::thread` and `workbook::sync`, the same
//! code in a live run, a replay and under the explorer.
//!
//! Run it live:              cargo run --bin lesson04
//! Replay an order:          cargo run --bin lesson04 -- --seed 8
//! Choose the turns:         cargo run --bin lesson04 -- --part 2 --schedule 01212
//! Guess before seeing:      cargo run --bin lesson04 -- --seed 12 --predict
//! Every schedule, counted:  cargo run --bin lesson04 -- --explore
//! Time the three versions:  cargo run --release --bin lesson04 -- --bench
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use workbook::run::{Census, replay_schedule};
use workbook::scheduler::Ending;
use workbook::sync::{AtomicU64, Barrier, Mutex, Ordering};
use workbook::{Cli, Flags, Mode, thread, trace};

const PROGRAM: &str = "lesson04";

/// A replay and the explorer run two threads that each add 2: small enough to read every turn
/// of the trace, and to run every schedule there is.
const SMALL: (usize, u64) = (2, 2);

/// How many times `--bench` runs each version; it reports the median.
const BENCH_ROUNDS: usize = 5;

// ANCHOR: racy
/// One thread's share of the work on the racy counter: read it, then write back what was read
/// plus one. Both accesses are atomic, so this is defined behaviour; but another thread may
/// write between the load and the store, and then this store erases that thread's update.
fn add_racy(counter: &AtomicU64, increments: u64) {
    for _ in 0..increments {
        let seen = counter.load(Ordering::Relaxed);
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

// ANCHOR: on_threads
/// Runs `work` on `threads` threads named a, b, c, ... and returns when every one of them has
/// finished: the scope joins them.
fn on_threads(threads: usize, work: impl Fn() + Sync) {
    thread::scope(|scope| {
        for letter in (b'a'..).take(threads) {
            thread::Builder::new()
                .name(char::from(letter).to_string())
                .spawn_scoped(scope, &work)
                .expect("the OS starts a thread");
        }
    });
}
// ANCHOR_END: on_threads

// ANCHOR: counters
/// Part 2: `threads` threads each add `increments` with a load and a store; the final count.
fn racy_count(threads: usize, increments: u64) -> u64 {
    let counter = AtomicU64::new(0).named("counter");
    on_threads(threads, || add_racy(&counter, increments));
    counter.load(Ordering::Relaxed)
}

/// Part 3: the same under a Mutex.
fn locked_count(threads: usize, increments: u64) -> u64 {
    let counter = Mutex::new(0).named("counter");
    on_threads(threads, || add_locked(&counter, increments));
    counter.into_inner()
}

/// Part 4: the same with fetch_add.
fn atomic_count(threads: usize, increments: u64) -> u64 {
    let counter = AtomicU64::new(0).named("counter");
    on_threads(threads, || add_atomic(&counter, increments));
    counter.load(Ordering::Relaxed)
}
// ANCHOR_END: counters

// The rest is plumbing: the flags, running each part live, as a replay or explored, the seed
// table and the benchmark.

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "a shared counter: the data race rustc rejects, the lost updates it allows, two fixes",
    );
    cli.explorable();
    let part = cli.number(
        "--part",
        "P",
        "run only part P (--schedule needs it: each part makes its own choices); 0 runs all",
        0,
        0..=4,
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
    let bench = cli.switch(
        "--bench",
        "time the racy, Mutex and fetch_add counters in ns per increment, then stop",
    );
    // Flags that a replay would silently ignore are refused instead, before anything is printed.
    let small = format!(
        "a replay always runs {} threads x {} increments",
        SMALL.0, SMALL.1
    );
    cli.live_only("--threads", &small);
    cli.live_only("--increments", &small);
    cli.live_only("--bench", "it measures real threads");
    let flags = cli.parse();
    if let Mode::Explore { .. } = flags.mode {
        for flag in ["--threads", "--increments", "--bench"] {
            if flags.was_given(flag) {
                flags.refuse(format!(
                    "{flag} applies to live runs only: --explore, like a replay, always runs {} \
                     threads x {} increments",
                    SMALL.0, SMALL.1
                ));
            }
        }
    }
    if flags[bench] && flags.was_given("--part") {
        flags.refuse("--bench times all three counters: it takes no --part");
    }
    if let Mode::Replay {
        schedule: Some(digits),
        ..
    } = &flags.mode
    {
        // Checked before anything is printed, so that a bad schedule leaves stdout clean.
        if !(2..=4).contains(&flags[part]) {
            flags.refuse("--schedule gives the choices of one part: add --part 2, 3 or 4");
        }
        let (_, replay) = replay_schedule(digits, || count(flags[part], SMALL));
        if let Ending::BadSchedule(message) = replay.ending {
            flags.refuse(message);
        }
    }

    if flags[bench] {
        benchmark(flags[threads] as usize, flags[increments]);
    } else if flags.mode == Mode::Live {
        let size = (flags[threads] as usize, flags[increments]);
        parts(&flags, flags[part], size);
    } else {
        parts(&flags, flags[part], SMALL);
    }
    println!();
    println!("Read chapter 4 to see why: book/src/lesson04.md (or `mdbook serve book`).");
}

/// The counter of part 2, 3 or 4.
fn count(part: u64, (threads, increments): (usize, u64)) -> u64 {
    match part {
        2 => racy_count(threads, increments),
        3 => locked_count(threads, increments),
        _ => atomic_count(threads, increments),
    }
}

const TITLES: [&str; 3] = [
    "Part 2: an atomic counter, loaded and stored in two steps (safe Rust, still wrong)",
    "Part 3: the same work under a Mutex",
    "Part 4: the same work with AtomicU64::fetch_add",
];

/// The parts (all, or the one `--part` names), live, as replays or explored.
fn parts(flags: &Flags, only: u64, size: (usize, u64)) {
    if only <= 1 {
        print_part_1();
    }
    let (threads, increments) = size;
    let expected = threads as u64 * increments;
    if let (&Mode::Explore { preemptions, .. }, false) = (&flags.mode, only == 1) {
        println!();
        println!("--explore: every schedule, with at most {preemptions} preemptions each");
    }
    for part in (2..=4).filter(|&part| only == 0 || only == part) {
        println!();
        println!("{}", TITLES[part as usize - 2]);
        println!("{threads} threads x {increments} increments");
        // The commands a replay prints to reproduce it name this part.
        let mut flags = flags.clone();
        if !flags.was_given("--part") {
            flags.given.extend(["--part".to_string(), part.to_string()]);
        }
        let ran = workbook::run(&flags, || count(part, size));
        report(&flags, ran.value, ran.census, expected);
        if part == 2 && flags.mode == Mode::Live {
            println!(
                "A live run differs from run to run: it may lose many updates, a few, or (by \
                 luck, e.g. with one thread or one core) none. Run it again."
            );
        }
        if part == 2 && flags.mode.is_replay() {
            println!();
            print_seed_table(&flags);
        }
    }
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

/// What a part found: this run's count (hidden under --predict), or what every schedule gave.
fn report(flags: &Flags, count: Option<u64>, census: Option<Census>, expected: u64) {
    if let Some(census) = census {
        let mut finals: Vec<&str> = census.outcome_set();
        finals.sort();
        match (census.complete(), finals.as_slice()) {
            (true, [only]) if *only == expected.to_string() => println!(
                "every schedule ends at {expected} of {expected}: exact, proved for this size"
            ),
            (true, _) => println!("every schedule ends at one of: {}", finals.join(", ")),
            (false, _) => println!("not every schedule was run: other final counts may exist"),
        }
    } else if let Some(count) = count {
        let lost = expected - count;
        println!(
            "final count {} of {expected}, lost updates: {}",
            flags.mode.reveal(count),
            flags.mode.reveal(lost)
        );
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
    let (threads, increments) = SMALL;
    for seed in 0..10 {
        let (count, replay) = workbook::run::replay_seed(seed, || racy_count(threads, increments));
        let count = count.expect("the racy counter always finishes");
        rows.push([
            seed.to_string(),
            flags.mode.reveal(count),
            flags.mode.reveal(threads as u64 * increments - count),
            replay.taken,
        ]);
    }
    print!("{}", trace::table(&rows));
}
// ANCHOR_END: seed_table

// ANCHOR: bench
/// Times the three ways to add (the same functions as parts 2 to 4) `BENCH_ROUNDS` times each on
/// `threads` threads adding `increments` each, and prints the median round's time per increment.
/// All threads hammer one counter: that is the contention.
fn benchmark(threads: usize, increments: u64) {
    let total = threads as u64 * increments;
    println!(
        "Timing {threads} threads x {increments} increments on one counter, median of {BENCH_ROUNDS} rounds"
    );
    if cfg!(debug_assertions) {
        println!("(a debug build: for real numbers, run with cargo run --release)");
    }
    let mut rows = vec![[
        "version".to_string(),
        "ns per increment".into(),
        "final count".into(),
    ]];
    let mut measured = Vec::new();
    let rounds = |work: &dyn Fn() -> (Duration, u64)| {
        let mut rounds: Vec<(Duration, u64)> = (0..BENCH_ROUNDS).map(|_| work()).collect();
        rounds.sort();
        rounds[BENCH_ROUNDS / 2]
    };
    let racy = rounds(&|| {
        let counter = AtomicU64::new(0);
        let time = timed_on_threads(threads, || add_racy(&counter, increments));
        (time, counter.load(Ordering::Relaxed))
    });
    let locked = rounds(&|| {
        let counter = Mutex::new(0);
        let time = timed_on_threads(threads, || add_locked(&counter, increments));
        (time, counter.into_inner())
    });
    let atomic = rounds(&|| {
        let counter = AtomicU64::new(0);
        let time = timed_on_threads(threads, || add_atomic(&counter, increments));
        (time, counter.load(Ordering::Relaxed))
    });
    for (name, (time, count)) in [
        ("racy load + store", racy),
        ("Mutex", locked),
        ("fetch_add", atomic),
    ] {
        let nanos = time.as_nanos() as f64 / total as f64;
        rows.push([
            name.to_string(),
            format!("{nanos:.1}"),
            format!("{count} of {total}"),
        ]);
        measured.push((name, nanos, total - count));
    }
    print!("{}", trace::table(&rows));
    // What these figures say, worked out from them rather than assumed.
    let lost: Vec<String> = measured
        .iter()
        .map(|(name, _, lost)| format!("{name} {}", updates(*lost)))
        .collect();
    println!("Lost in the median round: {}.", lost.join(", "));
    measured.sort_by(|a, b| a.1.total_cmp(&b.1));
    let order: Vec<String> = measured
        .iter()
        .map(|(name, nanos, _)| format!("{name} ({nanos:.1} ns)"))
        .collect();
    println!("Fastest first on this run: {}.", order.join(", "));
}
// ANCHOR_END: bench

/// Like `on_threads`, but each thread waits at a start line until all of them (and `main`) are
/// there, and the clock starts then: in a release build one thread's share can take less time
/// than starting the next thread, and they would hardly overlap.
fn timed_on_threads(threads: usize, work: impl Fn() + Sync) -> Duration {
    let start_line = Barrier::new(threads + 1);
    let started = thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                start_line.wait();
                work();
            });
        }
        start_line.wait();
        Instant::now()
    }); // the scope joins every thread before it returns
    started.elapsed()
}

/// "0 updates", "1 update", "3 updates".
fn updates(n: u64) -> String {
    if n == 1 {
        "1 update".to_string()
    } else {
        format!("{n} updates")
    }
}
