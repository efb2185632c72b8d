//! Exercise 04a, fix the lost updates with a Mutex. Each thread adds 1 to a shared counter M
//! times (`--threads`, `--increments`), but it does so in two steps, a `load` and then a `store`
//! of what it loaded plus one, and another thread can store in between: in some replays the
//! final count is less than threads x increments. Make the count exact in every replay and every
//! live run by keeping the counter in a `parking_lot::Mutex` and doing the read, the addition and
//! the write while holding the lock. Take the lock with `me.lock("lock", &counter)` so the replay
//! knows a thread that wants it must wait. (Exercise 04b does the same with an atomic.)
#![forbid(unsafe_code)]

use std::thread;

use parking_lot::Mutex;
use workbook::{Cli, Run};

const PROGRAM: &str = "sol04a --manifest-path lessons/Cargo.toml";
const NAMES: [&str; 4] = ["a", "b", "c", "d"];

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 04a: fix the lost updates with a Mutex");
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

    let counter = Mutex::new(0_u64);
    let run = Run::new(PROGRAM, &flags, names);
    run.print_live_header();
    thread::scope(|scope| {
        for &name in names {
            let (run, counter) = (&run, &counter);
            scope.spawn(move || {
                run.actor(name, |me| {
                    for _ in 0..increments {
                        // While this thread holds the guard, no other thread can read or write.
                        let mut count = me.lock("lock", counter);
                        me.step("add", || {
                            *count += 1;
                            *count
                        });
                        me.action("unlock", || drop(count));
                    }
                })
            });
        }
    });
    run.finish();
    let count = *counter.lock();
    let expected = threads as u64 * increments;
    println!("final count {} of {expected}", flags.mode.reveal(count));
}
