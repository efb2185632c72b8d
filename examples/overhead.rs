//! What the drop-in types cost. Run: `cargo run --release --example overhead`.
//!
//! 1. Live: an uncontended lock/unlock and a `fetch_add` on `workbook::sync` against the same on
//!    raw parking_lot and std, side by side in one run (best of several rounds, ns per operation).
//! 2. Replay: turns per second of two threads taking turns on an atomic, and the cost of one
//!    thread hand-off through a std Mutex + Condvar for comparison.
#![forbid(unsafe_code)]

use std::hint::black_box;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const ROUNDS: usize = 7;
const OPERATIONS: u32 = 2_000_000;

fn best_ns(mut work: impl FnMut()) -> f64 {
    let mut best = f64::MAX;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        work();
        best = best.min(started.elapsed().as_nanos() as f64 / f64::from(OPERATIONS));
    }
    best
}

fn main() {
    let raw_lock = parking_lot::Mutex::new(0u64);
    let our_lock = workbook::sync::Mutex::new(0u64).named("counter");
    let raw_atomic = std::sync::atomic::AtomicU64::new(0);
    let our_atomic = workbook::sync::AtomicU64::new(0).named("counter");

    let raw_lock_ns = best_ns(|| {
        for _ in 0..OPERATIONS {
            *black_box(&raw_lock).lock() += 1;
        }
    });
    let our_lock_ns = best_ns(|| {
        for _ in 0..OPERATIONS {
            *black_box(&our_lock).lock() += 1;
        }
    });
    let raw_add_ns = best_ns(|| {
        for _ in 0..OPERATIONS {
            black_box(&raw_atomic).fetch_add(1, Ordering::Relaxed);
        }
    });
    let our_add_ns = best_ns(|| {
        for _ in 0..OPERATIONS {
            black_box(&our_atomic).fetch_add(1, Ordering::Relaxed);
        }
    });
    println!("live, uncontended, best of {ROUNDS} rounds of {OPERATIONS} (ns per operation):");
    println!(
        "  lock+unlock  parking_lot {raw_lock_ns:5.1}  workbook {our_lock_ns:5.1}  overhead {:+5.1}",
        our_lock_ns - raw_lock_ns
    );
    println!(
        "  fetch_add    std         {raw_add_ns:5.1}  workbook {our_add_ns:5.1}  overhead {:+5.1}",
        our_add_ns - raw_add_ns
    );

    // Replay: two threads, each doing `turns` fetch_adds; a seed picks at every turn.
    let turns_each = 20_000u64;
    let started = Instant::now();
    let (_, replayed) = workbook::run::replay_seed(1, || {
        let counter = workbook::sync::AtomicU64::new(0).named("counter");
        workbook::thread::scope(|scope| {
            for _ in 0..2 {
                scope.spawn(|| {
                    for _ in 0..turns_each {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
    });
    let elapsed = started.elapsed();
    let turns = replayed.turns();
    let switches = replayed
        .rows
        .windows(2)
        .filter(|pair| pair[0].thread != pair[1].thread)
        .count();
    println!(
        "replay: {turns} turns ({switches} switches of thread) in {:.3} s: {:.2} us per turn, {:.2} us per switch",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1e6 / turns as f64,
        elapsed.as_secs_f64() * 1e6 / switches.max(1) as f64
    );

    // One hand-off between two real threads through a Mutex + Condvar (ping-pong).
    let handoffs = 20_000u64;
    let turn = std::sync::Mutex::new(0u64);
    let changed = std::sync::Condvar::new();
    let started = Instant::now();
    std::thread::scope(|scope| {
        for parity in 0..2 {
            let (turn, changed) = (&turn, &changed);
            scope.spawn(move || {
                let mut now = turn.lock().unwrap();
                while *now < handoffs {
                    if *now % 2 == parity {
                        *now += 1;
                        changed.notify_all();
                    } else {
                        now = changed.wait_timeout(now, Duration::from_secs(1)).unwrap().0;
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed();
    println!(
        "thread hand-off (std Mutex + Condvar ping-pong): {:.2} us each",
        elapsed.as_secs_f64() * 1e6 / handoffs as f64
    );
}
