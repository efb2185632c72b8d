//! Wrong answer to 04a: takes the Mutex, but counts with a load and a store on a std atomic
//! outside it. Replays cannot cut between operations the toolkit does not see, so only the
//! live runs can catch it.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};

use workbook::Cli;
use workbook::sync::Mutex;
use workbook::thread;

const PROGRAM: &str = "wrong04a_lock_guards_nothing --manifest-path lessons/Cargo.toml";
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
    let lock = Mutex::new(0_u64).named("counter");
    // A std atomic: the toolkit does not see it, so no replay can cut between its operations.
    let count = AtomicU64::new(0);
    thread::scope(|scope| {
        for name in &NAMES[..threads as usize] {
            thread::Builder::new()
                .name(name.to_string())
                .spawn_scoped(scope, || {
                    for _ in 0..increments {
                        // The lock is taken, but the count lives elsewhere: the guard protects
                        // nothing, and the load and the store below can be cut in two.
                        drop(lock.lock());
                        let seen = count.load(Ordering::Relaxed);
                        count.store(seen + 1, Ordering::Relaxed);
                    }
                })
                .expect("the thread starts");
        }
    });
    count.load(Ordering::Relaxed)
}
