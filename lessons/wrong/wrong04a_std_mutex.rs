//! Wrong answer to 04a: a `std::sync::Mutex`, invisible to the toolkit, held across a sleep: a
//! replay gets stuck on it, and the check must show the toolkit's diagnosis, not a bare timeout.
#![forbid(unsafe_code)]

use std::sync::Mutex;
use std::time::Duration;

use workbook::Cli;
use workbook::thread;

const PROGRAM: &str = "wrong04a_std_mutex --manifest-path lessons/Cargo.toml";
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
    let counter = Mutex::new(0_u64);
    thread::scope(|scope| {
        for name in &NAMES[..threads as usize] {
            thread::Builder::new()
                .name(name.to_string())
                .spawn_scoped(scope, || {
                    for _ in 0..increments {
                        // A std Mutex, which the toolkit cannot see, held across a nap.
                        let mut count = counter.lock().expect("not poisoned");
                        thread::sleep(Duration::from_millis(1));
                        *count += 1;
                    }
                })
                .expect("the thread starts");
        }
    });
    counter.into_inner().expect("not poisoned")
}
