//! Exercise 10b, users first under a global limit.
//!
//! Task: `--background` background workers (3 unless told otherwise) each do `--jobs` jobs (2),
//! and one user worker handles `--requests` requests (2), one every 5 ms. Every job and every
//! request needs one of `--permits` permits (2) of one global limit, the `GlobalLimit` below. As
//! handed out it is a plain semaphore: the background workers take every freed permit, and the
//! user's request waits behind them. Change `GlobalLimit::acquire` so that a background worker
//! does not take a permit while a user request is waiting for one (the count `users_waiting` is
//! kept for you). Keep the state in the mutex named "limit" and the counting as it is.
//!
//! Invariant: in every schedule and every live run, no permit goes to a background worker while
//! a user request waits (the limit's `taken_past_a_user` stays 0), never more than `--permits`
//! are inside at once, and every job and every request is done.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex10b -- --seed 3    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex10b -- --explore   (every schedule)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex10b                (live)
//! Check it: cargo run --bin workbook -- check 10b
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::Cli;
use workbook::sync::{AtomicUsize, Condvar, Mutex, Ordering};
use workbook::thread;

const PROGRAM: &str = "ex10b --manifest-path lessons/Cargo.toml";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pool {
    User,
    Background,
}

/// The state of the limit, shown in a replay's trace at every unlock of "limit".
#[derive(Debug)]
struct LimitState {
    free: usize,
    users_waiting: usize,
    taken_past_a_user: usize,
}

/// One global limit for both pools.
struct GlobalLimit {
    state: Mutex<LimitState>,
    changed: Condvar,
}

impl GlobalLimit {
    fn new(permits: usize) -> GlobalLimit {
        let state = LimitState {
            free: permits,
            users_waiting: 0,
            taken_past_a_user: 0,
        };
        GlobalLimit {
            state: Mutex::new(state).named("limit"),
            changed: Condvar::new().named("changed"),
        }
    }

    fn acquire(&self, pool: Pool) {
        let mut state = self.state.lock();
        if pool == Pool::User {
            state.users_waiting += 1;
        }
        let background = pool == Pool::Background;
        self.changed.wait_while(&mut state, |state| {
            state.free == 0 || (background && state.users_waiting > 0)
        });
        state.free -= 1;
        match pool {
            Pool::User => state.users_waiting -= 1,
            Pool::Background if state.users_waiting > 0 => state.taken_past_a_user += 1,
            Pool::Background => {}
        }
    }

    fn release(&self) {
        self.state.lock().free += 1;
        self.changed.notify_all();
    }
}

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 10b: users first under a global limit");
    cli.explorable();
    let background = cli.number("--background", "N", "background workers", 3, 1..=8);
    let jobs = cli.number("--jobs", "J", "jobs per background worker", 2, 1..=100);
    let requests = cli.number("--requests", "R", "requests of the user", 2, 1..=100);
    let permits = cli.number("--permits", "K", "permits of the global limit", 2, 1..=8);
    let flags = cli.parse();
    let sizes = Sizes {
        background: flags[background] as usize,
        jobs: flags[jobs] as usize,
        requests: flags[requests] as usize,
        permits: flags[permits] as usize,
    };
    let ran = workbook::run(&flags, || two_pools(sizes));
    if let Some((past, most, jobs, requests)) = ran.value {
        println!(
            "{past} permits went to background while the user waited; at most {most} inside; \
             {jobs} jobs and {requests} requests done"
        );
    }
}

#[derive(Clone, Copy)]
struct Sizes {
    background: usize,
    jobs: usize,
    requests: usize,
    permits: usize,
}

/// Runs both pools; returns (permits taken past a waiting user, most inside at once, background
/// jobs done, user requests done).
fn two_pools(sizes: Sizes) -> (usize, usize, usize, usize) {
    let limit = GlobalLimit::new(sizes.permits);
    let inside = AtomicUsize::new(0).named("inside");
    let (limit, inside) = (&limit, &inside);
    // Holds a permit for `work`; returns how many were inside when it entered.
    let work = move |pool: Pool, work: Duration| {
        limit.acquire(pool);
        let entered = inside.fetch_add(1, Ordering::SeqCst) + 1;
        thread::sleep(work);
        inside.fetch_sub(1, Ordering::SeqCst);
        limit.release();
        entered
    };
    let (most, jobs, requests) = thread::scope(|scope| {
        let workers: Vec<_> = (1..=sizes.background)
            .map(|number| {
                thread::Builder::new()
                    .name(format!("background{number}"))
                    .spawn_scoped(scope, move || {
                        (0..sizes.jobs)
                            .map(|_| work(Pool::Background, Duration::from_millis(10)))
                            .collect::<Vec<usize>>()
                    })
                    .expect("the thread starts")
            })
            .collect();
        let user = thread::Builder::new()
            .name("user".to_string())
            .spawn_scoped(scope, move || {
                (0..sizes.requests)
                    .map(|_| {
                        thread::sleep(Duration::from_millis(5)); // the next request arrives
                        work(Pool::User, Duration::from_millis(2))
                    })
                    .collect::<Vec<usize>>()
            })
            .expect("the thread starts");
        let mut entered: Vec<usize> = user.join().expect("the user does not panic");
        let requests = entered.len();
        let mut jobs = 0;
        for worker in workers {
            let done = worker.join().expect("a background worker does not panic");
            jobs += done.len();
            entered.extend(done);
        }
        (entered.into_iter().max().unwrap_or(0), jobs, requests)
    });
    let past = limit.state.lock().taken_past_a_user;
    (past, most, jobs, requests)
}
