//! Wrong answer to 04b: one thread (main) does all the increments with fetch_add.
#![forbid(unsafe_code)]

use workbook::Cli;
use workbook::sync::{AtomicU64, Ordering};

const PROGRAM: &str = "wrong04b_one_thread --manifest-path lessons/Cargo.toml";
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
    // Main does every thread's share itself.
    for _ in &NAMES[..threads as usize] {
        for _ in 0..increments {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
    counter.load(Ordering::Relaxed)
}
