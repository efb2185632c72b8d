//! The drop-in types: live runs, replays, virtual time, deadlocks, cut-offs and the explorer,
//! each on a small ordinary program.

use std::time::Duration;

use workbook::run::{explore, replay_schedule, replay_seed};
use workbook::scheduler::Ending;
use workbook::sync::{
    AtomicU64, Barrier, Condvar, Mutex, NamedChannel, Ordering, bounded, unbounded,
};
use workbook::thread;

fn split_counter(threads: usize, increments: u64) -> u64 {
    let counter = AtomicU64::new(0).named("counter");
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..increments {
                    let seen = counter.load(Ordering::Relaxed);
                    counter.store(seen + 1, Ordering::Relaxed);
                }
            });
        }
    });
    counter.load(Ordering::Relaxed)
}

fn atomic_counter(threads: usize, increments: u64) -> u64 {
    let counter = AtomicU64::new(0).named("counter");
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..increments {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    counter.load(Ordering::Relaxed)
}

fn mutex_counter(threads: usize, increments: u64) -> u64 {
    let counter = Mutex::new(0u64).named("counter");
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                for _ in 0..increments {
                    let mut guard = counter.lock();
                    *guard += 1;
                }
            });
        }
    });
    counter.into_inner()
}

fn sorted(census: &workbook::run::Census) -> Vec<String> {
    let mut outcomes: Vec<String> = census.outcome_set().iter().map(|s| s.to_string()).collect();
    outcomes.sort();
    outcomes
}

#[test]
fn explorer_finds_exactly_the_lost_updates_of_a_split_load_and_store() {
    let census = explore(10, 100_000, || split_counter(2, 2));
    assert!(census.complete(), "{}", census.summary());
    assert_eq!(sorted(&census), ["2", "3", "4"]);
    let census = explore(10, 100_000, || atomic_counter(2, 2));
    assert!(census.complete());
    assert_eq!(sorted(&census), ["4"]);
    let census = explore(10, 100_000, || mutex_counter(2, 2));
    assert!(census.complete());
    assert_eq!(sorted(&census), ["4"]);
}

#[test]
fn each_outcome_replays_from_its_schedule() {
    let census = explore(10, 100_000, || split_counter(2, 2));
    for (outcome, _, schedule) in &census.outcomes {
        let digits: Vec<usize> = schedule
            .chars()
            .map(|c| c as usize - '0' as usize)
            .collect();
        let (value, _) = replay_schedule(&digits, || split_counter(2, 2));
        assert_eq!(value.unwrap().to_string(), *outcome);
    }
}

#[test]
fn the_same_seed_gives_the_same_trace() {
    for seed in 0..20 {
        let (a, first) = replay_seed(seed, || split_counter(3, 3));
        let (b, second) = replay_seed(seed, || split_counter(3, 3));
        assert_eq!(a, b);
        assert_eq!(first.table(), second.table());
    }
}

#[test]
fn live_runs_are_the_real_primitives() {
    assert_eq!(atomic_counter(4, 10_000), 40_000);
    assert_eq!(mutex_counter(4, 10_000), 40_000);
}

fn opposite_order() -> &'static str {
    let a = Mutex::new(100).named("A");
    let b = Mutex::new(100).named("B");
    thread::scope(|scope| {
        scope.spawn(|| {
            let _first = a.lock();
            let _second = b.lock();
        });
        scope.spawn(|| {
            let _first = b.lock();
            let _second = a.lock();
        });
    });
    "both done"
}

#[test]
fn a_deadlock_in_a_replay_is_reported_not_hung() {
    let census = explore(10, 100_000, opposite_order);
    assert!(census.complete());
    let outcomes = sorted(&census);
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert!(outcomes.iter().any(|o| o == "both done"));
    assert!(
        outcomes
            .iter()
            .any(|o| o.starts_with("DEADLOCK") && o.contains("held by")),
        "{outcomes:?}"
    );
}

#[test]
fn a_live_deadlock_is_found_by_the_watchdog_and_the_run_goes_on() {
    // The run goes on a thread of its own, so that a watchdog that never reports makes this test
    // fail after 5 s instead of hanging (the deadlocked threads are then left behind).
    let (done, ended) = std::sync::mpsc::channel();
    let started = std::time::Instant::now();
    std::thread::spawn(move || {
        let flags = workbook::Cli::new("test", "test")
            .try_parse_from::<[&str; 0]>([])
            .unwrap();
        let ran = workbook::run(&flags, || {
            let a = Mutex::new(0).named("A");
            let b = Mutex::new(0).named("B");
            let meeting = Barrier::new(2).named("meeting");
            thread::scope(|scope| {
                scope.spawn(|| {
                    let _first = a.lock();
                    meeting.wait();
                    let _second = b.lock();
                });
                scope.spawn(|| {
                    let _first = b.lock();
                    meeting.wait();
                    let _second = a.lock();
                });
            });
        });
        let _ = done.send(ran.ending);
    });
    let ending = ended
        .recv_timeout(Duration::from_secs(5))
        .expect("the watchdog did not end the deadlock within 5 s");
    assert!(started.elapsed() < Duration::from_secs(2));
    match ending {
        Ending::Watchdog(report) => {
            assert!(
                report.contains("lock B") && report.contains("lock A"),
                "{report}"
            )
        }
        other => panic!("expected a deadlock, got {other:?}"),
    }
}

#[test]
fn a_timed_lock_wait_is_never_reported_as_a_deadlock() {
    // Each thread holds one lock and waits at most 300 ms for the other's: a cycle for a while,
    // but one that ends by itself, so the watchdog (which looks every 20 ms) must not stop it.
    let flags = workbook::Cli::new("test", "test")
        .try_parse_from::<[&str; 0]>([])
        .unwrap();
    let ran = workbook::run(&flags, || {
        let a = Mutex::new(0).named("A");
        let b = Mutex::new(0).named("B");
        let meeting = Barrier::new(2).named("meeting");
        thread::scope(|scope| {
            for (first, second) in [(&a, &b), (&b, &a)] {
                let meeting = &meeting;
                scope.spawn(move || {
                    let _first = first.lock();
                    meeting.wait();
                    second.try_lock_for(Duration::from_millis(300)).is_some()
                });
            }
        });
    });
    assert_eq!(ran.ending, Ending::Finished);
}

#[test]
fn virtual_time_orders_sleepers_like_real_time() {
    // The fast sleeper prints 0..4 every 10 ms, the slow one once after 35 ms: whatever the seed,
    // the slow one's line comes after the fast one's fourth.
    for seed in 0..10 {
        let (_, replayed) = replay_seed(seed, || {
            let (tx, rx) = unbounded().named("log");
            thread::scope(|scope| {
                let fast = tx.clone();
                scope.spawn(move || {
                    for n in 0..5 {
                        fast.send(n).unwrap();
                        thread::sleep(Duration::from_millis(10));
                    }
                });
                let slow = tx.clone();
                scope.spawn(move || {
                    thread::sleep(Duration::from_millis(35));
                    slow.send(99).unwrap();
                });
            });
            drop(tx);
            rx.iter().collect::<Vec<_>>()
        });
        assert_eq!(replayed.ending, Ending::Finished);
        let sends: Vec<String> = replayed
            .actions()
            .into_iter()
            .filter(|(_, action)| action.starts_with("send"))
            .map(|(_, action)| action)
            .collect();
        assert_eq!(sends[4], "send 99 on log", "{sends:?}");
    }
}

#[test]
fn main_returning_cuts_off_a_detached_thread() {
    let (_, replayed) = replay_seed(1, || {
        let (tx, rx) = bounded::<u32>(1).named("parts");
        let _detached = thread::spawn(move || {
            for part in 0..3 {
                tx.send(part).unwrap();
            }
        });
        rx.recv().unwrap()
    });
    assert!(
        matches!(replayed.ending, Ending::CutOff(_)),
        "{:?}",
        replayed.ending
    );
}

#[test]
fn condvar_handshake_and_join_values() {
    let body = || {
        let ready = Mutex::new(false).named("ready");
        let changed = Condvar::new().named("changed");
        thread::scope(|scope| {
            let waiter = scope.spawn(|| {
                let mut guard = ready.lock();
                changed.wait_while(&mut guard, |ready| !*ready);
                7
            });
            *ready.lock() = true;
            changed.notify_one();
            waiter.join().unwrap()
        })
    };
    let census = explore(10, 100_000, body);
    assert!(census.complete());
    assert_eq!(sorted(&census), ["7"]);
    assert_eq!(body(), 7);
}

#[test]
fn a_panic_arrives_at_join_as_err() {
    let body = || {
        let handle = thread::spawn(|| {
            if thread::current().name().is_none() {
                panic!("on purpose");
            }
            1
        });
        handle.join().is_err()
    };
    let (value, _) = replay_seed(0, body);
    assert_eq!(value, Some(true));
    assert!(body());
}

#[test]
#[ignore]
fn show() {
    let (_, r) = replay_seed(3, || split_counter(2, 2));
    println!("{}\n{}", r.table(), r.outcome_line());
    let (_, r) = replay_seed(3, opposite_order);
    println!("{}\n{}", r.table(), r.outcome_line());
    let census = explore(3, 100_000, || split_counter(2, 2));
    println!("{}", census.report(None));
    let census = explore(3, 100_000, || mutex_counter(2, 2));
    println!("{}", census.report(None));
    let (_, r) = replay_seed(5, || {
        let (tx, rx) = bounded(1).named("jobs");
        thread::scope(|scope| {
            scope.spawn(move || {
                for n in 0..3 {
                    tx.send(n).unwrap();
                    thread::sleep(Duration::from_millis(5));
                }
            });
            for n in rx {
                workbook::say!("got {}", workbook::guess(n));
            }
        });
    });
    println!("{}\n{}", r.table(), r.outcome_line());
}

/// A writer writes one line in two `write_all` calls; a reader reads the file once.
fn half_a_line(dir: &std::path::Path) -> String {
    use std::io::Write;
    use workbook::fs::{self, File};
    let path = dir.join("log.txt");
    let _ = std::fs::remove_file(&path);
    thread::scope(|scope| {
        scope.spawn(|| {
            let mut file = File::options()
                .append(true)
                .create_new(true)
                .open(&path)
                .unwrap();
            file.write_all(b"ab").unwrap();
            file.write_all(b"c\n").unwrap();
        });
        let reader = scope.spawn(|| match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) => format!("{:?}", error.kind()),
        });
        reader.join().unwrap()
    })
}

#[test]
fn a_read_can_land_between_two_writes_of_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let census = explore(10, 100_000, || half_a_line(dir.path()));
    assert!(census.complete(), "{}", census.summary());
    assert_eq!(sorted(&census), ["", "NotFound", "ab", r"abc\n"]);
    // Each file operation is a row of the trace.
    let (_, replayed) = replay_schedule(&[], || half_a_line(dir.path()));
    let actions: Vec<String> = replayed.actions().into_iter().map(|(_, a)| a).collect();
    for row in [
        "create log.txt -> Ok",
        "write \"ab\" to log.txt",
        "write \"c\\n\" to log.txt",
    ] {
        assert!(actions.iter().any(|action| action == row), "{actions:?}");
    }
    // Live, they are std's operations.
    let path = dir.path().join("log.txt");
    assert_eq!(workbook::fs::read_to_string(&path).unwrap(), "abc\n");
    // Opening and each `read` call are turns too.
    let (text, replayed) = replay_seed(0, || {
        use std::io::Read;
        let mut text = String::new();
        let mut file = workbook::fs::File::open(&path).unwrap();
        file.read_to_string(&mut text).unwrap();
        text
    });
    assert_eq!(text.as_deref(), Some("abc\n"));
    let actions: Vec<String> = replayed.actions().into_iter().map(|(_, a)| a).collect();
    assert_eq!(actions[0], "open log.txt -> Ok", "{actions:?}");
    assert!(
        actions.contains(&"read log.txt -> \"abc\\n\"".to_string()),
        "{actions:?}"
    );
}

#[test]
fn the_command_by_hand_leaves_out_the_explorer_flags() {
    let mut cli = workbook::Cli::new("lesson99", "test");
    cli.explorable();
    let flags = cli
        .try_parse_from(["--explore", "--preemptions", "9", "--max-schedules=50"])
        .unwrap();
    assert_eq!(
        flags.command_with_schedule("lesson99", "01"),
        "cargo run --bin lesson99 -- --schedule 01"
    );
}

/// A checker's batch of seeds (`WORKBOOK_SEEDS`): one process records the replays of seeds
/// N, N+1, ... exactly as separate runs with each seed record them, and prints only the first.
#[test]
fn a_batch_of_seeds_records_what_separate_runs_record() {
    let lesson = env!("CARGO_BIN_EXE_lesson01");
    let scratch = tempfile::tempdir().unwrap();
    let run = |seed: &str, batch: Option<&str>, file: &str| {
        let path = scratch.path().join(file);
        let mut command = std::process::Command::new(lesson);
        command
            .args(["--seed", seed])
            .env(workbook::record::RECORD_VAR, &path);
        if let Some(count) = batch {
            command.env(workbook::run::SEEDS_VAR, count);
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{output:?}");
        let records = workbook::record::read(&path);
        (String::from_utf8(output.stdout).unwrap(), records)
    };
    let (printed, batch) = run("3", Some("3"), "batch.jsonl");
    let alone: Vec<(String, Vec<serde_json::Value>)> = (3..6)
        .map(|seed| run(&seed.to_string(), None, &format!("{seed}.jsonl")))
        .collect();
    // Each `workbook::run` of the program (lesson01 has several parts) records its three seeds.
    let calls = alone[0].1.len();
    assert!(calls > 0);
    assert_eq!(batch.len(), 3 * calls);
    for call in 0..calls {
        for (offset, (_, records)) in alone.iter().enumerate() {
            let record = &batch[call * 3 + offset];
            assert_eq!(record, &records[call], "call {call}, seed {}", 3 + offset);
            assert_eq!(record["seed"], 3 + offset as u64);
        }
        // Seeds 3 and 4 differ somewhere, or the test proves nothing about order.
        assert_ne!(batch[call * 3]["taken"], batch[call * 3 + 1]["taken"]);
    }
    assert_eq!(printed, alone[0].0, "the batch prints its first seed only");
}

#[test]
fn compute_runs_the_work_and_takes_virtual_time_only_in_a_replay() {
    // A thread computes for 30 ms while another sleeps 20 ms: in a replay the sleeper's line
    // comes first, because `compute` holds its thread for its cost of virtual time.
    let program = || {
        let (tx, rx) = unbounded().named("log");
        thread::scope(|scope| {
            let computer = tx.clone();
            scope.spawn(move || {
                let sum = thread::compute(Duration::from_millis(30), || (1..=10u64).sum::<u64>());
                computer.send(sum).unwrap();
            });
            let sleeper = tx.clone();
            scope.spawn(move || {
                thread::sleep(Duration::from_millis(20));
                sleeper.send(0).unwrap();
            });
        });
        drop(tx);
        rx.iter().collect::<Vec<u64>>()
    };
    for seed in 0..5 {
        let (value, replayed) = replay_seed(seed, program);
        assert_eq!(value, Some(vec![0, 55]), "seed {seed}");
        assert!(
            replayed
                .actions()
                .iter()
                .any(|(_, action)| action == "computed"),
            "{:?}",
            replayed.actions()
        );
        assert_eq!(
            replayed.rows.last().unwrap().time,
            Duration::from_millis(30)
        );
    }
    // Live, the work is simply done and returned.
    assert_eq!(thread::compute(Duration::from_secs(60), || 7), 7);
}

#[test]
fn select_takes_a_borrowed_receiver() {
    let (tx, rx) = bounded::<u32>(1).named("numbers");
    let borrowed = &rx;
    tx.send(3).unwrap();
    let got = workbook::select! {
        recv(borrowed) -> message => message.ok(),
    };
    assert_eq!(got, Some(3));
}

#[test]
fn instant_reads_the_virtual_clock_in_a_replay() {
    use workbook::time::Instant;
    // In a replay a 40 ms sleep moves the virtual clock by exactly 40 ms, and a recv_timeout
    // that waits until a deadline computed from `Instant` times out at that deadline.
    let (waited, replayed) = replay_seed(0, || {
        let start = Instant::now();
        thread::sleep(Duration::from_millis(40));
        let slept = start.elapsed();
        let (_sender, receiver) = unbounded::<u8>().named("never");
        let due = Instant::now() + Duration::from_millis(25);
        let _ = receiver.recv_timeout(due.saturating_duration_since(Instant::now()));
        (slept, Instant::now() - start, Instant::now() >= due)
    });
    assert!(matches!(replayed.ending, Ending::Finished));
    assert_eq!(
        waited,
        Some((Duration::from_millis(40), Duration::from_millis(65), true))
    );
    // Live it is the real clock: a sleep never ends early.
    let start = Instant::now();
    thread::sleep(Duration::from_millis(5));
    assert!(start.elapsed() >= Duration::from_millis(5));
}

/// A thread takes a lock `rounds` times; another wants it once. Returns how many times the
/// first took it while the second waited for it (the second says so just before `lock`).
fn passed_over(rounds: usize, fair: bool) -> usize {
    let lock = Mutex::new(0usize).named("lock");
    let waiting = workbook::sync::AtomicBool::new(false).named("waiting");
    thread::scope(|scope| {
        let greedy = thread::Builder::new()
            .name("greedy".into())
            .spawn_scoped(scope, || {
                let mut passed = 0;
                for _ in 0..rounds {
                    let mut guard = lock.lock();
                    *guard += 1;
                    // The other thread waits and has not had the lock yet.
                    passed += usize::from(waiting.load(Ordering::SeqCst) && *guard < 100);
                    if fair {
                        workbook::sync::MutexGuard::unlock_fair(guard);
                    } else {
                        drop(guard);
                    }
                }
                passed
            })
            .unwrap();
        thread::Builder::new()
            .name("other".into())
            .spawn_scoped(scope, || {
                waiting.store(true, Ordering::SeqCst);
                *lock.lock() += 100;
            })
            .unwrap();
        greedy.join().unwrap()
    })
}

#[test]
fn unlock_fair_hands_the_lock_to_the_longest_waiter() {
    // Plain unlock: the greedy thread may take the lock back every time, whoever waits.
    let census = explore(10, 100_000, || passed_over(4, false));
    assert!(census.complete(), "{}", census.summary());
    assert_eq!(sorted(&census), ["0", "1", "2", "3", "4"]);
    // Fair unlock: once the other thread waits, the next unlock hands it the lock.
    let census = explore(10, 100_000, || passed_over(4, true));
    assert!(census.complete(), "{}", census.summary());
    assert_eq!(sorted(&census), ["0", "1"]);
    // The trace says who got the lock; the lock is free again afterwards.
    let handed = (0..40).find_map(|seed| {
        let (value, replay) = replay_seed(seed, || passed_over(2, true));
        assert_eq!(replay.ending, Ending::Finished, "{}", replay.table());
        assert!(value.is_some_and(|passed| passed <= 1));
        let table = replay.table();
        table
            .contains("unlock_fair lock (1) to other")
            .then_some(table)
    });
    let table = handed.expect("some seed hands the lock over");
    let at = table.find("unlock_fair lock (1) to other").unwrap();
    assert!(table[at..].contains("lock lock"), "{table}");
    // Live it is parking_lot's fair unlock: the lock is released, the value kept.
    let lock = Mutex::new(5);
    let mut guard = lock.lock();
    *guard += 1;
    workbook::sync::MutexGuard::unlock_fair(guard);
    assert!(!lock.is_locked());
    assert_eq!(*lock.lock(), 6);
    thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..1000 {
                    let mut guard = lock.lock();
                    *guard += 1;
                    workbook::sync::MutexGuard::unlock_fair(guard);
                }
            });
        }
    });
    assert_eq!(lock.into_inner(), 4006);
}
