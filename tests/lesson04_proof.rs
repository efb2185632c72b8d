//! lesson04's proof: every schedule of 2 threads x 2 increments, explored by a model checker.
//!
//! The replays of lesson 4 show ten seeds; this explores *all* interleavings, with shuttle's
//! depth-first scheduler and no limit on the number of runs, so the sets of final counts below
//! are every count the three counters can end with, not a sample. The counters are written
//! with shuttle's `thread`, `sync::Mutex` and `sync::atomic` types: shuttle runs one thread at
//! a time and switches only at those operations, trying every choice at every switch.

mod common;

use std::collections::BTreeSet;

use shuttle::scheduler::DfsScheduler;
use shuttle::sync::atomic::{AtomicU64, Ordering};
use shuttle::sync::{Arc, Mutex};
use shuttle::{Runner, thread};

const THREADS: u64 = 2;
const INCREMENTS: u64 = 2;

// ANCHOR: models
/// Lesson 4's part 2: load, then store what was loaded plus one.
fn split_load_store() -> u64 {
    let counter = Arc::new(AtomicU64::new(0));
    run_threads(&counter, |counter| {
        let seen = counter.load(Ordering::Relaxed);
        counter.store(seen + 1, Ordering::Relaxed);
    });
    counter.load(Ordering::Relaxed)
}

/// Part 3: the read, the addition and the write under one lock.
fn under_a_mutex() -> u64 {
    let counter = Arc::new(Mutex::new(0));
    run_threads(&counter, |counter| *counter.lock().unwrap() += 1);
    *counter.lock().unwrap()
}

/// Part 4: one indivisible `fetch_add`.
fn with_fetch_add() -> u64 {
    let counter = Arc::new(AtomicU64::new(0));
    run_threads(&counter, |counter| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    counter.load(Ordering::Relaxed)
}

/// Spawns `THREADS` threads that each call `increment` `INCREMENTS` times, and joins them.
fn run_threads<C: Send + Sync + 'static>(counter: &Arc<C>, increment: fn(&C)) {
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let counter = Arc::clone(counter);
            thread::spawn(move || {
                for _ in 0..INCREMENTS {
                    increment(&counter);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}
// ANCHOR_END: models

// ANCHOR: explore
/// Runs `program` under every schedule (depth-first, no cap on the number of runs) and returns
/// every final count seen, and how many schedules there were.
fn every_final_count(program: fn() -> u64) -> (BTreeSet<u64>, usize) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let record = std::sync::Arc::clone(&seen);
    let exhaustive = DfsScheduler::new(None, false);
    let schedules = Runner::new(exhaustive, Default::default()).run(move || {
        let count = program();
        record.lock().unwrap().insert(count);
    });
    let counts = seen.lock().unwrap().clone();
    (counts, schedules)
}
// ANCHOR_END: explore

fn show(counts: &BTreeSet<u64>) -> String {
    let counts: Vec<String> = counts.iter().map(u64::to_string).collect();
    format!("{{{}}}", counts.join(", "))
}

/// The final counts of the split load/store, worked out independently by brute force: every way to
/// merge two threads' [load, store, load, store] sequences (70 of them), run step by step.
fn brute_force_split_load_store() -> BTreeSet<u64> {
    let steps = (THREADS * INCREMENTS * 2) as u32;
    let mut finals = BTreeSet::new();
    // Bit i of `who` says which thread takes step i; keep the merges where each takes half.
    for who in 0u32..(1 << steps) {
        if who.count_ones() != steps / 2 {
            continue;
        }
        let mut counter = 0;
        let mut seen = [0u64; 2];
        let mut next_is_load = [true; 2];
        for step in 0..steps {
            let thread = ((who >> step) & 1) as usize;
            if next_is_load[thread] {
                seen[thread] = counter;
            } else {
                counter = seen[thread] + 1;
            }
            next_is_load[thread] = !next_is_load[thread];
        }
        finals.insert(counter);
    }
    finals
}

#[test]
fn every_schedule_of_two_threads_adding_two() {
    let (racy, racy_schedules) = every_final_count(split_load_store);
    let (locked, locked_schedules) = every_final_count(under_a_mutex);
    let (atomic, atomic_schedules) = every_final_count(with_fetch_add);

    assert_eq!(racy, BTreeSet::from([2, 3, 4]));
    assert_eq!(locked, BTreeSet::from([4]));
    assert_eq!(atomic, BTreeSet::from([4]));
    // The search really was exhaustive: it found every count the brute force finds, and it ran
    // at least as many schedules as there are merges of the eight memory accesses.
    assert_eq!(racy, brute_force_split_load_store());
    assert!(racy_schedules >= 70, "only {racy_schedules} schedules");

    let report = format!(
        "every schedule of {THREADS} threads x {INCREMENTS} increments (shuttle DFS, no cap):\n\
         version              | final counts | schedules explored\n\
         ---------------------+--------------+-------------------\n\
         split load + store   | {:<12} | {racy_schedules}\n\
         Mutex                | {:<12} | {locked_schedules}\n\
         AtomicU64::fetch_add | {:<12} | {atomic_schedules}",
        show(&racy),
        show(&locked),
        show(&atomic),
    );
    snapshot!("lesson04_proof", report);
}
