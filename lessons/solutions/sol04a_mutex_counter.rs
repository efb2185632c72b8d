//! Exercise 04a, fix the lost updates with a Mutex.
//!
//! Task: `--threads` threads (2 unless told otherwise) each add 1 to a shared counter
//! `--increments` times (3). As written, each increment is a `load` and then a `store` of what
//! was loaded plus one, and another thread can store in between: that update is lost. Keep the
//! counter in a `Mutex<u64>` named "counter" (`Mutex::new(0).named("counter")`) and do each
//! read, addition and write while holding its lock. Keep the threads: each adds its own share.
//! (Exercise 04b fixes the same race with one atomic operation instead.)
//!
//! Invariant: in every schedule and every live run, the final count is threads x increments.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex04a -- --explore   (every schedule)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex04a -- --seed 3    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex04a                (live)
//! Check it: cargo run --bin workbook -- check 04a
#![forbid(unsafe_code)]

use workbook::Cli;
use workbook::sync::Mutex;
use workbook::thread;

const PROGRAM: &str = "sol04a --manifest-path lessons/Cargo.toml";
const NAMES: [&str; 4] = ["a", "b", "c", "d"];

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 04a: fix the lost updates with a Mutex");
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
    let counter = Mutex::new(0_u64).named("counter");
    thread::scope(|scope| {
        for name in &NAMES[..threads as usize] {
            thread::Builder::new()
                .name(name.to_string())
                .spawn_scoped(scope, || {
                    for _ in 0..increments {
                        // While this thread holds the guard, no other thread can read or write
                        // the count; the guard is dropped (the lock let go) at the end of the line.
                        *counter.lock() += 1;
                    }
                })
                .expect("the thread starts");
        }
    });
    counter.into_inner()
}
