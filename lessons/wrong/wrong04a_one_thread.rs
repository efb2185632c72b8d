//! Wrong answer to 04a: one thread (main) does all the increments, under the lock.
#![forbid(unsafe_code)]

use workbook::Cli;
use workbook::sync::Mutex;

const PROGRAM: &str = "wrong04a_one_thread --manifest-path lessons/Cargo.toml";
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
    // Main does every thread's share itself: exact, but not concurrent.
    for _ in &NAMES[..threads as usize] {
        for _ in 0..increments {
            *counter.lock() += 1;
        }
    }
    counter.into_inner()
}
