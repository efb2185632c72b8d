//! Wrong answer to 10a: late tasks sleep until the early ones should be done, instead of waiting
//! for a permit.
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::Cli;
use workbook::sync::{AtomicUsize, Condvar, Mutex, Ordering};
use workbook::thread;

const PROGRAM: &str = "wrong10a_sleep_instead_of_waiting";

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
        *free = free.saturating_sub(1);
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
                        // Late tasks nap until the early ones are done, instead of waiting.
                        let rounds = (number / permits) as u32;
                        thread::sleep(Duration::from_millis(21) * rounds);
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
