//! Lesson 2: what `join` does for you.
//!
//! Part 1: without `join`, `main` can return while a thread is still working, and returning
//! from `main` ends the whole process: the thread is cut off mid-work. Part 2: `join` waits.
//! Part 3: `join` hands back the thread's value, so results come back in the order of the
//! handles, whatever order the threads finished in. Part 4: a thread that panics does not take
//! `main` down; its `join` returns `Err`. Part 5: scoped threads borrow `main`'s local
//! variables, no `Arc` needed, and are joined when the scope ends. Threads get names with
//! `thread::Builder`.
//!
//! Run it live:          cargo run --bin lesson02
//! Replay an order:      cargo run --bin lesson02 -- --seed 3
//! One part only:        cargo run --bin lesson02 -- --part 3 --seed 3
//! The cut-off for real: cargo run --bin lesson02 -- --no-join
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::process::run_with_timeout;
use workbook::scheduler::Ending;
use workbook::thread::{self, Builder, JoinHandle};
use workbook::{Cli, guess, say};

const PROGRAM: &str = "lesson02";

/// The worker of parts 1 and 2 saves this many parts of its work, one at a time...
const PARTS: u64 = 5;
/// ...taking this long for each...
const SAVE_TIME: Duration = Duration::from_millis(100);
/// ...while `main` does this much work of its own before it joins or returns.
const MAIN_WORK: Duration = Duration::from_millis(150);

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "join: waiting, returned values, panics, scoped and named threads",
    );
    let part = cli.number("--part", "N", "run only part N (0 runs all)", 0, 0..=5);
    let no_join = cli.switch(
        "--no-join",
        "run only part 1, live: main returns without joining (the process really ends)",
    );
    cli.live_only(
        "--no-join",
        "a replay shows the cut-off in part 1: use --part 1",
    );
    let flags = cli.parse();
    let part = flags[part];
    if flags[no_join] {
        if part != 0 {
            flags.refuse("--no-join runs part 1 alone: leave out --part");
        }
        workbook::run(&flags, without_join);
        return; // this ends the process, and the worker with it, wherever it is
    }
    let scheduled = flags.given.iter().any(|arg| arg.starts_with("--schedule"));
    if scheduled && part == 0 {
        flags.refuse("--schedule gives the choices of one part: add --part N (1 to 5)");
    }
    let wanted = |n: u64| part == 0 || part == n;
    let predict = flags.mode.is_predict();

    if wanted(1) {
        println!("Part 1: main returns without joining its worker");
        if flags.mode.is_replay() {
            let ran = workbook::run(&flags.for_part("--part", 1), without_join);
            let replay = ran.replay.expect("a replay");
            let saved = (replay.actions().iter())
                .filter(|(who, what)| who == "worker" && what.starts_with("save part"))
                .count();
            let cut_off = matches!(replay.ending, Ending::CutOff(_));
            report_cut_off(predict, saved, cut_off);
        } else {
            without_join_in_a_child_process();
        }
        println!();
    }
    if wanted(2) {
        println!("Part 2: main joins its worker before it returns");
        let ran = workbook::run(&flags.for_part("--part", 2), with_join);
        if let (Some(saved), false) = (ran.value, predict) {
            println!("With join, main got the worker's answer: it saved {saved} of {PARTS} parts.");
        }
        println!();
    }
    if wanted(3) {
        println!("Part 3: join hands back each thread's value");
        let ran = workbook::run(&flags.for_part("--part", 3), values_in_input_order);
        if let Some(results) = ran.value {
            let results = flags.mode.reveal(results.join("; "));
            println!("main got the results in the order of the texts: {results}.");
        }
        println!();
    }
    if wanted(4) {
        println!("Part 4: a thread that panics, seen at join");
        println!(
            "The thread `checker` panics ON PURPOSE: its message on stderr (\"thread 'checker' \
             panicked at ...\") is expected."
        );
        let ran = workbook::run(&flags.for_part("--part", 4), panic_seen_at_join);
        if let Some(outcome) = ran.value {
            let outcome = flags.mode.reveal(outcome);
            println!("main got {outcome} from join, and went on.");
        }
        println!();
    }
    if wanted(5) {
        println!("Part 5: scoped threads borrow main's local variables");
        let ran = workbook::run(&flags.for_part("--part", 5), scoped_threads_borrow);
        if let Some((scores, totals)) = ran.value {
            let sum = flags.mode.reveal(totals.iter().sum::<i32>());
            let totals = flags.mode.reveal(format!("{totals:?}"));
            println!(
                "After the scope main still owns scores {scores:?}; the totals are {totals}, {sum} in all."
            );
        }
        println!();
    }
    println!("Read chapter 2 to see why: book/src/lesson02.md (or `mdbook serve book`).");
}

// ANCHOR: worker
/// The worker of parts 1 and 2: saves `PARTS` parts, then reports that it is done. Returns
/// how many parts it saved.
fn spawn_worker() -> JoinHandle<u64> {
    let worker = Builder::new().name("worker".to_string());
    let spawned = worker.spawn(|| {
        for part in 1..=PARTS {
            say!("save part {}", guess(part));
            thread::sleep(SAVE_TIME); // saving takes a while
        }
        say!("report done");
        PARTS
    });
    spawned.expect("the operating system starts a thread")
}
// ANCHOR_END: worker

// ANCHOR: without_join
/// Part 1: main starts the worker, does its own work, and returns without joining.
fn without_join() {
    let _worker = spawn_worker(); // the handle is dropped at the end: nobody waits for it
    say!("own work");
    thread::sleep(MAIN_WORK);
    say!("return from main");
}
// ANCHOR_END: without_join

/// What part 1 showed: `saved` parts, and whether the worker was cut off. Under `--predict`
/// that is what the student is guessing, so it is not told.
fn report_cut_off(predict: bool, saved: usize, cut_off: bool) {
    if predict {
        println!(
            "main returned at the last step. Does the worker go on to save all {PARTS} parts and \
             report done? Guess, then check."
        );
    } else if cut_off {
        println!(
            "The worker saved {saved} of {PARTS} parts and never reported done: when main \
             returned, the process ended and took the worker with it."
        );
    } else {
        println!("This time the worker finished before main returned: luck, not a promise.");
    }
}

/// Part 1 live: run this program again as a child process with `--no-join`, because the
/// point is that the child's process ends when its main returns.
fn without_join_in_a_child_process() {
    println!("(in a child process: cargo run --bin {PROGRAM} -- --no-join)");
    let child = std::env::current_exe()
        .and_then(|me| run_with_timeout(&me, &["--no-join"], Duration::from_secs(10)));
    match child {
        Ok(finished) if finished.code == Some(0) => {
            print!("{}", finished.stdout);
            let saved = finished.stdout.matches("worker: save part").count();
            let done = finished.stdout.contains("worker: report done");
            report_cut_off(false, saved, !done);
        }
        Ok(finished) => println!("The child process failed: {}", finished.stderr.trim()),
        Err(error) => println!("Could not start the child process: {error}"),
    }
}

// ANCHOR: with_join
/// Part 2: the same worker, but main joins it before returning.
fn with_join() -> u64 {
    let worker = spawn_worker();
    say!("own work");
    thread::sleep(MAIN_WORK);
    // `join` blocks until the worker has finished, and hands back what it returned.
    let saved = worker.join().expect("the worker does not panic");
    say!("joined: the worker saved {} parts", guess(saved));
    saved
}
// ANCHOR_END: with_join

// ANCHOR: values
/// Part 3: three named threads each count the words of one text; main joins them in order.
fn values_in_input_order() -> Vec<String> {
    let texts = [
        "threads share one address space",
        "join waits",
        "scoped threads may borrow from their parent",
    ];
    let mut handles = Vec::new();
    for (index, text) in texts.into_iter().enumerate() {
        let counter = Builder::new().name(format!("count-{index}"));
        let spawned = counter.spawn(move || {
            // The first text is the slowest to fetch, so it is counted last.
            thread::sleep(Duration::from_millis(40) * (3 - index as u32));
            let words = text.split_whitespace().count();
            say!("counted {} words", guess(words));
            // The thread's own name, as given to the Builder.
            let me = thread::current().name().unwrap_or("unnamed").to_string();
            (me, words)
        });
        handles.push(spawned.expect("the operating system starts a thread"));
    }
    // Join in the order of the texts: each join waits for that thread, however long it takes.
    let mut results = Vec::new();
    for handle in handles {
        let (counted_by, words) = handle.join().expect("a counter does not panic");
        results.push(format!("{words} words (by {counted_by})"));
    }
    results
}
// ANCHOR_END: values

// ANCHOR: panic
/// Part 4: a named thread panics on purpose; main sees `Err` at join and goes on.
fn panic_seen_at_join() -> String {
    let checker = Builder::new().name("checker".to_string());
    let spawned = checker.spawn(|| {
        let input = "seven";
        match input.parse::<u32>() {
            Ok(number) => number,
            Err(_) => panic!("on purpose: {input:?} is not a number"),
        }
    });
    let checker = spawned.expect("the operating system starts a thread");
    match checker.join() {
        Ok(number) => format!("Ok({number})"),
        // The payload of a panic is usually a String (or a &str): the panic's message.
        Err(payload) => {
            let message = (payload.downcast_ref::<String>().cloned())
                .or_else(|| payload.downcast_ref::<&str>().map(|text| text.to_string()))
                .unwrap_or_else(|| "a panic without a message".to_string());
            format!("Err({message:?})")
        }
    }
}
// ANCHOR_END: panic

// ANCHOR: scoped
/// Part 5: two scoped threads sum the halves of a local vector into a local array.
fn scoped_threads_borrow() -> (Vec<i32>, [i32; 2]) {
    let scores = vec![3, 1, 4, 1, 5, 9, 2, 6]; // main's locals: no Arc, no clone
    let mut totals = [0; 2];
    let (left, right) = scores.split_at(scores.len() / 2);
    thread::scope(|scope| {
        let [left_total, right_total] = &mut totals; // one &mut each: no Mutex needed
        for (name, half, total) in [("left", left, left_total), ("right", right, right_total)] {
            let adder = Builder::new().name(name.to_string());
            let spawned = adder.spawn_scoped(scope, move || {
                for score in half {
                    *total += score;
                    say!("add {score}: total {}", guess(*total));
                }
            });
            spawned.expect("the operating system starts a thread");
        }
    }); // the scope joins both threads here, so the borrows end here
    (scores, totals)
}
// ANCHOR_END: scoped
