//! Wrong answer to 04a: exact, but with 04b's `fetch_add` where 04a asks for a Mutex.
#![forbid(unsafe_code)]

use workbook::Cli;
use workbook::sync::{AtomicU64, Ordering};
use workbook::thread;

const PROGRAM: &str = "wrong04a_fetch_add --manifest-path lessons/Cargo.toml";
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
    let counter = AtomicU64::new(0).named("counter");
    thread::scope(|scope| {
        for name in &NAMES[..threads as usize] {
            thread::Builder::new()
                .name(name.to_string())
                .spawn_scoped(scope, || {
                    for _ in 0..increments {
                        // Read, add and write as one indivisible operation: nothing to cut into.
                        // `Relaxed` is enough: the counter orders no other memory.
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .expect("the thread starts");
        }
    });
    counter.load(Ordering::Relaxed)
}
