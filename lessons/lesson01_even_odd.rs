//! Lesson 1: two printer threads, one for even numbers and one for odd numbers.
//!
//! Part 1 lets them run side by side: the even printer naps twice as long as the odd one, so
//! the numbers come out interleaved, and wherever both wake at the same moment the order is up
//! to the operating system. Part 2 makes them take strict turns, 0, 1, 2, 3, ..., by handing
//! the turn back and forth through a `Mutex` and a `Condvar`.
//!
//! Run it live:         cargo run --bin lesson01
//! Replay an order:     cargo run --bin lesson01 -- --seed 7
//! Guess before seeing: cargo run --bin lesson01 -- --seed 7 --predict
#![forbid(unsafe_code)]

use std::thread;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use workbook::{Cli, Run};

const PROGRAM: &str = "lesson01";

/// The whole live run of part 1 should take about this long, whatever `--up-to` is.
const LIVE_BUDGET: Duration = Duration::from_millis(2400);

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "even and odd printer threads, free-running and taking turns",
    );
    let up_to = cli.number("--up-to", "N", "print the numbers 0 to N", 10, 1..=1000);
    let flags = cli.parse();
    let up_to = flags[up_to];
    // The odd printer naps for `nap`, the even printer for twice that. Scaled so that a live run
    // ends within a few seconds: the even printer has up_to / 2 + 1 numbers to print.
    let nap = (LIVE_BUDGET / (2 * (up_to as u32 / 2 + 1))).min(Duration::from_millis(100));

    let run = Run::new(PROGRAM, &flags, &["even", "odd"]);
    println!("Part 1: two printers, no coordination");
    run.print_live_header();
    // ANCHOR: printers
    thread::scope(|scope| {
        scope.spawn(|| {
            run.actor("even", |me| {
                for n in (0..=up_to).step_by(2) {
                    me.step("print", || n);
                    me.sleep(2 * nap); // the even printer naps twice as long
                }
            })
        });
        scope.spawn(|| {
            run.actor("odd", |me| {
                for n in (1..=up_to).step_by(2) {
                    me.step("print", || n);
                    me.sleep(nap);
                }
            })
        });
    }); // the scope waits here until both threads have finished
    // ANCHOR_END: printers
    run.finish();
    if !flags.mode.is_replay() {
        println!(
            "Live run: both printers wake at the same moment every {} ms (a tie), and the \
             operating system decides which prints first, so this order can differ between runs.",
            (2 * nap).as_millis()
        );
    }

    println!();
    println!("Part 2: strict turns, handed over with a Mutex and a Condvar");
    let run = Run::new(PROGRAM, &flags, &["even", "odd"]);
    run.print_live_header();
    // ANCHOR: turns
    let next = Mutex::new(0); // the number that must be printed next
    let turn_changed = Condvar::new();
    thread::scope(|scope| {
        for (name, first) in [("even", 0), ("odd", 1)] {
            let (run, next, turn_changed) = (&run, &next, &turn_changed);
            scope.spawn(move || {
                run.actor(name, |me| {
                    for n in (first..=up_to).step_by(2) {
                        // Wait until it is n's turn. In a replay the scheduler knows this step
                        // can run only then; live, the Condvar does the waiting.
                        me.step_when(
                            "print",
                            || *next.lock() == n,
                            || {
                                let mut turn = next.lock();
                                turn_changed.wait_while(&mut turn, |next| *next != n);
                                n
                            },
                        );
                        // Only after printing, hand the turn to the other thread.
                        me.action("pass turn", || {
                            *next.lock() = n + 1;
                            turn_changed.notify_all();
                        });
                    }
                })
            });
        }
    });
    // ANCHOR_END: turns
    run.finish();
    println!(
        "Part 2 prints 0 to {up_to} in order on every run and in every replay: each thread waits \
         for its turn before it prints."
    );
    println!();
    println!("Read chapter 1 to see why: book/src/lesson01.md (or `mdbook serve book`).");
}
