//! Exercise 04b, fix the lost updates with one atomic operation. Each thread adds 1 to a shared
//! `AtomicU64` M times (`--threads`, `--increments`), but it does so in two steps, a `load` and
//! then a `store` of what it loaded plus one, and another thread can store in between: in some
//! replays the final count is less than threads x increments. Make the count exact in every
//! replay and every live run without a lock: replace the two steps by a single step that reads,
//! adds and writes as one indivisible operation, so that each increment is exactly one step of
//! the trace.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use workbook::{Cli, Run};

const PROGRAM: &str = "ex04b --manifest-path lessons/Cargo.toml";
const NAMES: [&str; 4] = ["a", "b", "c", "d"];

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "exercise 04b: fix the lost updates with one atomic operation",
    );
    let threads = cli.number("--threads", "N", "threads adding to the counter", 2, 1..=4);
    let increments = cli.number(
        "--increments",
        "M",
        "how many times each thread adds 1",
        3,
        1..=1000,
    );
    let flags = cli.parse();
    let (threads, increments) = (flags[threads] as usize, flags[increments]);
    let names = &NAMES[..threads];

    let counter = AtomicU64::new(0);
    let run = Run::new(PROGRAM, &flags, names);
    run.print_live_header();
    thread::scope(|scope| {
        for &name in names {
            let (run, counter) = (&run, &counter);
            scope.spawn(move || {
                run.actor(name, |me| {
                    for _ in 0..increments {
                        // TODO: another thread can store between this load and this store.
                        let seen = me.step("load", || counter.load(Ordering::Relaxed));
                        me.step("store", || {
                            counter.store(seen + 1, Ordering::Relaxed);
                            seen + 1
                        });
                    }
                })
            });
        }
    });
    run.finish();
    let count = counter.load(Ordering::Relaxed);
    let expected = threads as u64 * increments;
    println!("final count {} of {expected}", flags.mode.reveal(count));
}
