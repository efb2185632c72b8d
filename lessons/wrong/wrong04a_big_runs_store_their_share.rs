//! Wrong answer to 04a: right at the small sizes of the explorer and the replays, wrong on a big
//! run: from 1000 increments on, each thread counts its share on its own and then *stores* it
//! under the lock (`= mine`) instead of adding it (`+= mine`). Only a live run is that big: it
//! proves the live runs of the check count.
#![forbid(unsafe_code)]

use workbook::Cli;
use workbook::sync::Mutex;
use workbook::thread;

const PROGRAM: &str = "wrong04a_big_runs_store_their_share --manifest-path lessons/Cargo.toml";
const NAMES: [&str; 4] = ["a", "b", "c", "d"];
/// From this many increments on, a thread takes the "fast path".
const BIG: u64 = 1000;

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
                    if increments >= BIG {
                        // A big share: count it here, then hand it over under one lock.
                        let mut mine = 0;
                        for _ in 0..increments {
                            mine += 1;
                        }
                        // The mistake: this stores the share instead of adding it.
                        *counter.lock() = mine;
                        return;
                    }
                    for _ in 0..increments {
                        *counter.lock() += 1;
                    }
                })
                .expect("the thread starts");
        }
    });
    counter.into_inner()
}
