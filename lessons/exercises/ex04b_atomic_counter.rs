//! Exercise 04b, fix the lost updates with one atomic operation.
//!
//! Task: `--threads` threads (2 unless told otherwise) each add 1 to a shared `AtomicU64` named
//! "counter" `--increments` times (3). As written, each increment is a `load` and then a `store`
//! of what was loaded plus one, and another thread can store in between: that update is lost.
//! Make each increment one indivisible read-add-write on the atomic, without a lock, so that it
//! is one operation (one step of the trace) instead of two. Keep the threads and the counter.
//!
//! Invariant: in every schedule and every live run, the final count is threads x increments.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex04b -- --explore   (every schedule)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex04b -- --seed 3    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex04b                (live)
//! Check it: cargo run --bin workbook -- check 04b
#![forbid(unsafe_code)]

use workbook::Cli;
use workbook::sync::{AtomicU64, Ordering};
use workbook::thread;

const PROGRAM: &str = "ex04b --manifest-path lessons/Cargo.toml";
const NAMES: [&str; 4] = ["a", "b", "c", "d"];

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "exercise 04b: fix the lost updates with one atomic operation",
    );
    cli.explorable();
    let threads = cli.number("--threads", "N", "threads adding to the counter", 2, 1..=4);
    let increments = cli.number(
        "--increments",
        "M",
        "how many times each adds 1",
        3,
        1..=100_000,
    );
    let flags = cli.parse();
    let (threads, increments) = (flags[threads], flags[increments]);
    let ran = workbook::run(&flags, || count(threads, increments));
    if let Some(count) = ran.value {
        println!("final count {count} of {}", threads * increments);
    }
}

/// Starts `threads` threads that each add 1 to the counter `increments` times; returns the count.
fn count(threads: u64, increments: u64) -> u64 {
    let counter = AtomicU64::new(0).named("counter");
    thread::scope(|scope| {
        for name in &NAMES[..threads as usize] {
            thread::Builder::new()
                .name(name.to_string())
                .spawn_scoped(scope, || {
                    for _ in 0..increments {
                        // TODO: another thread can store between this load and this store.
                        let seen = counter.load(Ordering::Relaxed);
                        counter.store(seen + 1, Ordering::Relaxed);
                    }
                })
                .expect("the thread starts");
        }
    });
    counter.load(Ordering::Relaxed)
}
