//! Exercise 10a, a semaphore that holds its limit.
//!
//! Task: `--tasks` tasks (3 unless told otherwise), each on its own thread, may run only while
//! holding one of `--permits` permits (2). As handed out, `Semaphore::acquire` does not wait and
//! the permit's `drop` gives nothing back, so every task goes in at once. Make `acquire` wait on
//! the condvar while no permit is free, then take one; make the permit's `drop` give it back and
//! wake a waiter. Keep the count in the mutex named "permits" and wait on the condvar named
//! "given_back"; leave the tasks as they are (each adds itself to the atomic "inside" while it
//! works).
//!
//! Invariant: in every schedule and every live run, never more than `--permits` tasks are inside
//! at once, and every task gets a permit and finishes.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex10a -- --explore   (every schedule)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex10a -- --seed 3    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex10a                (live)
//! Check it: cargo run --bin workbook -- check 10a
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::Cli;
use workbook::sync::{AtomicUsize, Condvar, Mutex, Ordering};
use workbook::thread;

const PROGRAM: &str = "ex10a --manifest-path lessons/Cargo.toml";

/// At most as many holders at once as it has permits.
struct Semaphore {
    free: Mutex<usize>,
    given_back: Condvar,
}

/// One permit; dropping it gives it back.
struct Permit<'a> {
    semaphore: &'a Semaphore,
}

impl Semaphore {
    fn new(permits: usize) -> Semaphore {
        Semaphore {
            free: Mutex::new(permits).named("permits"),
            given_back: Condvar::new().named("given_back"),
        }
    }

    fn acquire(&self) -> Permit<'_> {
        let mut free = self.free.lock();
        self.given_back.wait_while(&mut free, |free| *free == 0);
        *free -= 1;
        Permit { semaphore: self }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.semaphore.free.lock() += 1;
        self.semaphore.given_back.notify_one();
    }
}

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 10a: a semaphore that holds its limit");
    cli.explorable();
    let tasks = cli.number("--tasks", "N", "tasks, one thread each", 3, 1..=8);
    let permits = cli.number("--permits", "K", "at most K tasks at once", 2, 1..=8);
    let flags = cli.parse();
    let (tasks, permits) = (flags[tasks] as usize, flags[permits] as usize);
    let ran = workbook::run(&flags, || run_tasks(tasks, permits));
    if let Some((most, done)) = ran.value {
        println!("at most {most} inside at once (limit {permits}); {done} of {tasks} tasks done");
    }
}

/// Runs the tasks; returns the most that were inside at once and how many finished.
fn run_tasks(tasks: usize, permits: usize) -> (usize, usize) {
    let semaphore = Semaphore::new(permits);
    let inside = AtomicUsize::new(0).named("inside");
    thread::scope(|scope| {
        let handles: Vec<_> = (0..tasks)
            .map(|number| {
                let (semaphore, inside) = (&semaphore, &inside);
                thread::Builder::new()
                    .name(format!("task{number}"))
                    .spawn_scoped(scope, move || {
                        // Task i arrives i x 5 ms after the start; its work takes 10 ms.
                        thread::sleep(Duration::from_millis(5) * number as u32);
                        let _permit = semaphore.acquire();
                        let entered = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        thread::sleep(Duration::from_millis(10)); // the work
                        inside.fetch_sub(1, Ordering::SeqCst);
                        entered
                    })
                    .expect("the thread starts")
            })
            .collect();
        let seen: Vec<usize> = handles
            .into_iter()
            .flat_map(|handle| handle.join())
            .collect();
        (seen.iter().copied().max().unwrap_or(0), seen.len())
    })
}
