//! Lesson 2: what `join` does for you.
//!
//! Part 1: `join` waits. Without it, `main` can return while a thread is still working, and
//! returning from `main` ends the whole process: the thread is cut off mid-work. Part 2: `join`
//! hands back the thread's value, so results come back in the order of the handles, whatever
//! order the threads finished in. Part 3: a thread that panics does not take `main` down; its
//! `join` returns `Err`. Part 4: scoped threads borrow `main`'s local variables, no `Arc`
//! needed, and are joined when the scope ends. Threads get names with `thread::Builder`.
//!
//! Run it live:         cargo run --bin lesson02
//! Replay an order:     cargo run --bin lesson02 -- --seed 3
//! One part only:       cargo run --bin lesson02 -- --part 2 --seed 3
//! The cut-off for real: cargo run --bin lesson02 -- --no-join
#![forbid(unsafe_code)]

use std::fmt::Display;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use parking_lot::Mutex;
use workbook::process::run_with_timeout;
use workbook::{Cli, Flags, Run};

const PROGRAM: &str = "lesson02";

/// Part 1's worker saves this many parts of its work, one at a time.
const PARTS: u64 = 5;
/// Live, the worker takes this long to save one part...
const SAVE_TIME: Duration = Duration::from_millis(100);
/// ...and `main` does this much work of its own before it joins or returns.
const MAIN_WORK: Duration = Duration::from_millis(150);

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "join: waiting, returned values, panics, scoped and named threads",
    );
    let part = cli.number(
        "--part",
        "N",
        "run only part N (0 runs all parts)",
        0,
        0..=4,
    );
    let no_join = cli.switch(
        "--no-join",
        "run only part 1a: main returns without joining its worker (live, the process really ends)",
    );
    let flags = cli.parse();
    if flags[no_join] && flags[part] != 0 {
        eprintln!("error: --no-join runs part 1a alone: leave out --part");
        eprintln!("Try `cargo run --bin {PROGRAM} -- --help` for the flags.");
        std::process::exit(2);
    }
    if flags[no_join] {
        let run = Run::new(PROGRAM, &flags, &["main", "worker"]);
        without_join(run, &flags);
        return; // live, this ends the process while the worker is still saving
    }
    let wanted = |n: u64| flags[part] == 0 || flags[part] == n;
    // Every run is created before anything is printed, so a bad --schedule prints nothing.
    let part1 = wanted(1).then(|| {
        (
            Run::new(PROGRAM, &flags, &["main", "worker"]),
            Run::new(PROGRAM, &flags, &["main", "worker"]),
        )
    });
    let part2 = wanted(2).then(|| Run::new(PROGRAM, &flags, &COUNTERS));
    let part3 = wanted(3).then(|| Run::new(PROGRAM, &flags, &["main", "checker"]));
    let part4 = wanted(4).then(|| Run::new(PROGRAM, &flags, &["left", "right"]));

    if let Some((cut_off, joined)) = part1 {
        println!("Part 1a: main returns without joining its worker");
        if flags.mode.is_replay() {
            without_join(cut_off, &flags);
        } else {
            without_join_in_a_child_process();
        }
        println!();
        println!("Part 1b: main joins its worker before it returns");
        with_join(joined);
        println!();
    }
    if let Some(run) = part2 {
        println!("Part 2: join hands back each thread's value");
        values_in_input_order(run, &flags);
        println!();
    }
    if let Some(run) = part3 {
        println!("Part 3: a thread that panics, seen at join");
        panic_seen_at_join(run);
        println!();
    }
    if let Some(run) = part4 {
        println!("Part 4: scoped threads borrow main's local variables");
        scoped_threads_borrow(run);
        println!();
    }
    println!("Read chapter 2 to see why: book/src/lesson02.md (or `mdbook serve book`).");
}

// ANCHOR: worker
/// Part 1's worker: saves `PARTS` parts, then reports that it is done. Returns how many parts it
/// saved. `process_ended` is raised by main's last step; it matters only in a replay (see below).
fn spawn_worker(
    run: &Arc<Run>,
    process_ended: &Arc<AtomicBool>,
    done: &Arc<AtomicBool>,
) -> JoinHandle<u64> {
    let (run, process_ended, done) = (Arc::clone(run), Arc::clone(process_ended), Arc::clone(done));
    thread::spawn(move || {
        let mut saved = 0;
        run.actor("worker", |me| {
            for part in 1..=PARTS {
                me.step("save part", || {
                    unless_ended(&process_ended, part, || {
                        saved = part;
                    })
                });
                if saved < part {
                    return; // cut off: a real process would already be gone
                }
                me.sleep(SAVE_TIME);
            }
            me.step("report", || {
                unless_ended(&process_ended, "done", || {
                    done.store(true, Ordering::SeqCst);
                })
            });
        });
        saved
    })
}

/// Runs `work` and shows `what`, unless main has returned: then (only ever in a replay) the
/// step would never happen in a real run, and the table shows it as `what: CUT OFF`.
fn unless_ended(process_ended: &AtomicBool, what: impl Display, work: impl FnOnce()) -> String {
    if process_ended.load(Ordering::SeqCst) {
        format!("{what}: CUT OFF")
    } else {
        work();
        what.to_string()
    }
}
// ANCHOR_END: worker

/// Part 1a. Live (`--no-join`), main returns and the process ends with the worker still
/// saving. A replay cannot end the process in the middle of its table, so main's last step
/// raises `process_ended` instead, and a worker step after it is shown as cut off: in a real
/// run that step would never happen.
fn without_join(run: Run, flags: &Flags) {
    let run = Arc::new(run);
    let process_ended = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    run.print_live_header();
    // ANCHOR: without_join
    let worker = spawn_worker(&run, &process_ended, &done);
    run.actor("main", |me| {
        me.action("own work", || ());
        me.sleep(MAIN_WORK);
        // No join here: main just returns.
        me.action("return from main", || {
            process_ended.store(true, Ordering::SeqCst)
        });
    });
    // ANCHOR_END: without_join
    if !flags.mode.is_replay() {
        return; // returning from main now ends the process, and the worker with it
    }
    // The replay joins, only so that the table is complete before it is printed.
    let saved = worker.join().unwrap_or(0);
    finish(run);
    let done = done.load(Ordering::SeqCst);
    if !done {
        println!(
            "A replay cannot end the process in the middle of its table, so it lets the worker's \
             thread end quietly (hence \"every thread finished\"); a worker step marked CUT OFF \
             is one that a real run would never reach."
        );
    }
    println!("{}", cut_off_summary(done, &flags.mode.reveal(saved)));
}

/// Part 1a live: run this program again as a child process with `--no-join`, because the
/// point is that the child's process ends when its main returns.
fn without_join_in_a_child_process() {
    println!("(in a child process: cargo run --bin {PROGRAM} -- --no-join)");
    let child = std::env::current_exe()
        .and_then(|me| run_with_timeout(&me, &["--no-join"], Duration::from_secs(10)));
    let finished = match child {
        Ok(finished) if finished.code == Some(0) => finished,
        Ok(finished) => {
            println!(
                "The child process did not end normally: {}",
                finished.stderr.trim()
            );
            return;
        }
        Err(error) => {
            println!("Could not start the child process: {error}");
            return;
        }
    };
    print!("{}", finished.stdout);
    let saved = finished
        .stdout
        .lines()
        .filter(|line| line.trim().starts_with("save part "))
        .count() as u64;
    let done = finished.stdout.contains("report done");
    println!("{}", cut_off_summary(done, &saved.to_string()));
}

/// What part 1a showed: `shown` parts saved, and whether the worker reported done.
fn cut_off_summary(done: bool, shown: &str) -> String {
    if done {
        "This time the worker finished before main returned: luck, not a promise. Try another \
         seed."
            .to_string()
    } else {
        format!(
            "The worker saved {shown} of {PARTS} parts and never reported done: when main \
             returned, the process ended and took the worker with it."
        )
    }
}

/// Part 1b: the same worker, but main joins it before returning.
fn with_join(run: Run) {
    let run = Arc::new(run);
    let process_ended = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    run.print_live_header();
    // ANCHOR: with_join
    let worker = spawn_worker(&run, &process_ended, &done);
    run.actor("main", |me| {
        me.action("own work", || ());
        me.sleep(MAIN_WORK);
        // `join` blocks until the worker has finished, and hands back what it returned.
        // (In a replay the step may run only once the worker is done: that is what join waits for.)
        me.step_when(
            "join worker: saved",
            || done.load(Ordering::SeqCst),
            || worker.join().unwrap_or(0),
        );
        me.action("return from main", || {
            process_ended.store(true, Ordering::SeqCst)
        });
    });
    // ANCHOR_END: with_join
    finish(run);
    println!("With join, the worker saves all {PARTS} parts, in every run and every replay.");
}

/// The threads of part 2: main and three counters.
const COUNTERS: [&str; 4] = ["main", "count-0", "count-1", "count-2"];

/// Part 2: three named threads each count the words of one text; main joins them in order.
fn values_in_input_order(run: Run, flags: &Flags) {
    let texts = [
        "threads share one address space",
        "join waits",
        "scoped threads may borrow from their parent",
    ];
    let run = Arc::new(run);
    let counted: Arc<[AtomicBool; 3]> = Arc::default();
    let finished_order = Arc::new(Mutex::new(Vec::new()));
    run.print_live_header();
    // ANCHOR: values
    let mut handles = Vec::new();
    for (index, text) in texts.into_iter().enumerate() {
        let (run, counted, order) = (
            Arc::clone(&run),
            Arc::clone(&counted),
            Arc::clone(&finished_order),
        );
        let name = format!("count-{index}");
        let spawned = thread::Builder::new().name(name.clone()).spawn(move || {
            run.actor(&name, |me| {
                // Live, the first text is the slowest to fetch, so it is counted last.
                me.sleep(Duration::from_millis(40) * (3 - index as u32));
                let words = me.step("count words", || {
                    order.lock().push(index);
                    counted[index].store(true, Ordering::SeqCst);
                    text.split_whitespace().count()
                });
                // The thread's own name, as given to the Builder.
                let me_myself = thread::current().name().unwrap_or("unnamed").to_string();
                (me_myself, words)
            })
        });
        handles.push(started(spawned));
    }
    let mut results = Vec::new();
    run.actor("main", |me| {
        for (index, handle) in handles.into_iter().enumerate() {
            // Join in the order of the texts: each join waits for that thread, however long.
            let label = format!("join count-{index}");
            let result = me.step_when(
                &label,
                || counted[index].load(Ordering::SeqCst),
                || match handle.join() {
                    Ok(Some((counted_by, words))) => format!("{words} words (by {counted_by})"),
                    Ok(None) => "stopped by the replay".to_string(),
                    Err(_) => "the thread panicked".to_string(),
                },
            );
            results.push(result);
        }
    });
    // ANCHOR_END: values
    finish(run);
    let order: Vec<String> = finished_order
        .lock()
        .iter()
        .map(|index| format!("count-{index}"))
        .collect();
    let order = flags.mode.reveal(order.join(", "));
    println!("The threads finished counting in the order {order};");
    println!(
        "main got the results in the order of the texts: {}.",
        results
            .iter()
            .map(|result| flags.mode.reveal(result))
            .collect::<Vec<_>>()
            .join("; ")
    );
}

/// Part 3: a named thread panics on purpose; main sees `Err` at join and goes on.
fn panic_seen_at_join(run: Run) {
    println!(
        "The thread `checker` panics ON PURPOSE: its message on stderr (\"thread 'checker' \
         panicked at ...\") is expected."
    );
    let run = Arc::new(run);
    let checked = Arc::new(AtomicBool::new(false));
    run.print_live_header();
    // ANCHOR: panic
    let (checker_run, checker_checked) = (Arc::clone(&run), Arc::clone(&checked));
    let spawned = thread::Builder::new()
        .name("checker".to_string())
        .spawn(move || {
            checker_run.actor("checker", |me| {
                let input = "seven";
                let parsed = me.step("parse \"seven\"", || {
                    checker_checked.store(true, Ordering::SeqCst);
                    match input.parse::<u32>() {
                        Ok(_) => "a number",
                        Err(_) => "not a number",
                    }
                });
                if parsed == "not a number" {
                    panic!("on purpose: {input:?} is not a number");
                }
            })
        });
    let checker = started(spawned);
    run.actor("main", |me| {
        let outcome = me.step_when(
            "join checker",
            || checked.load(Ordering::SeqCst),
            || match checker.join() {
                Ok(_) => "Ok".to_string(),
                // The payload of a panic is usually a String (or a &str): the panic's message.
                Err(payload) => {
                    let message = payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|text| text.to_string()))
                        .unwrap_or_else(|| "a panic without a message".to_string());
                    format!("Err({message:?})")
                }
            },
        );
        // main decides what a failed thread means; here it reports it and carries on.
        me.action("carry on", || outcome);
    });
    // ANCHOR_END: panic
    finish(run);
    println!("main saw the panic as an Err value from join, and went on.");
}

/// Part 4: two scoped threads sum the halves of a local vector into a local array.
fn scoped_threads_borrow(run: Run) {
    run.print_live_header();
    // ANCHOR: scoped
    let scores = vec![3, 1, 4, 1, 5, 9, 2, 6]; // main's locals: no Arc, no clone
    let mut totals = [0; 2];
    let (left, right) = scores.split_at(scores.len() / 2);
    thread::scope(|scope| {
        let [left_total, right_total] = &mut totals; // one &mut each: no Mutex needed
        for (name, half, total) in [("left", left, left_total), ("right", right, right_total)] {
            let run = &run;
            let spawned =
                thread::Builder::new()
                    .name(name.to_string())
                    .spawn_scoped(scope, move || {
                        run.actor(name, |me| {
                            for score in half {
                                me.step("add", || {
                                    *total += score;
                                    *total
                                });
                            }
                        })
                    });
            started(spawned);
        }
    }); // the scope joins both threads here, so the borrows end here
    // ANCHOR_END: scoped
    run.finish();
    println!(
        "After the scope main still owns scores {scores:?}; the totals are {totals:?}, {} in all.",
        totals.iter().sum::<i32>()
    );
}

/// A spawned thread's handle, or a clear message and exit if the system could not start one.
fn started<T>(spawned: std::io::Result<T>) -> T {
    spawned.unwrap_or_else(|error| {
        eprintln!("error: the operating system could not start a thread: {error}");
        std::process::exit(1)
    })
}

/// Prints the replay's table once every thread holding the run has ended.
fn finish(run: Arc<Run>) {
    match Arc::into_inner(run) {
        Some(run) => {
            run.finish();
        }
        None => eprintln!("lesson bug: a thread still holds the run"),
    }
}
