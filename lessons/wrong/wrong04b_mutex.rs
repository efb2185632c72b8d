//! Wrong answer to 04b: exact, but with 04a's Mutex where 04b asks for one atomic operation.
#![forbid(unsafe_code)]

use workbook::Cli;
use workbook::sync::Mutex;
use workbook::thread;

const PROGRAM: &str = "wrong04b_mutex --manifest-path lessons/Cargo.toml";
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
