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
//! Every order at once: cargo run --bin lesson01 -- --part 2 --explore
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::sync::{Condvar, Mutex};
use workbook::thread::{self, Builder};
use workbook::{Cli, Mode, guess, say};

const PROGRAM: &str = "lesson01";

/// The whole live run of part 1 should take about this long, whatever `--up-to` is.
const LIVE_BUDGET: Duration = Duration::from_millis(2400);

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "even and odd printer threads, free-running and taking turns",
    );
    let up_to = cli.number("--up-to", "N", "print the numbers 0 to N", 10, 1..=1000);
    let part = cli.number("--part", "N", "run only part N (0 runs both)", 0, 0..=2);
    cli.explorable();
    let flags = cli.parse();
    let (up_to, mut part) = (flags[up_to], flags[part]);
    let scheduled = flags.given.iter().any(|arg| arg.starts_with("--schedule"));
    if scheduled && part == 0 {
        flags.refuse("--schedule gives the choices of one part: add --part 1 or --part 2");
    }
    if matches!(flags.mode, Mode::Explore { .. }) {
        if part == 1 {
            flags.refuse("--explore proves part 2's order; part 1 makes no promise to prove");
        }
        part = 2;
    }
    // The odd printer naps for `nap`, the even printer for twice that. Scaled so that a live run
    // ends within a few seconds: the even printer has up_to / 2 + 1 numbers to print.
    let nap = (LIVE_BUDGET / (2 * (up_to as u32 / 2 + 1))).min(Duration::from_millis(100));

    if part != 2 {
        println!("Part 1: two printers, no coordination");
        let ran = workbook::run(&flags.for_part("--part", 1), || free_running(up_to, nap));
        match &ran.replay {
            Some(replay) => {
                // Computed from this replay: when could more than one thread go?
                let mut times: Vec<String> = (replay.rows.iter())
                    .filter(|row| row.ready.len() > 1)
                    .map(|row| workbook::scheduler::format_time(row.time))
                    .collect();
                let choices = times.len();
                times.dedup();
                println!(
                    "This replay had {choices} choices, all at the instants {} of the virtual \
                     clock, when two threads could go at once (main starting a printer, or both \
                     printers awake together). In between, the naps alone decide the order, as \
                     they do live.",
                    times.join(", ")
                );
            }
            None => println!(
                "Live run: both printers wake at the same moment every {} ms (a tie), and the \
                 operating system decides which prints first, so this order can differ between \
                 runs.",
                (2 * nap).as_millis()
            ),
        }
        println!();
    }
    if part != 1 {
        println!("Part 2: strict turns, handed over with a Mutex and a Condvar");
        let ran = workbook::run(&flags.for_part("--part", 2), || strict_turns(up_to));
        let in_order: Vec<u64> = (0..=up_to).collect();
        if let Some(printed) = &ran.value {
            if flags.mode.is_predict() {
                // The order is what the student is guessing: no verdict.
            } else if *printed == in_order {
                println!("Checked: this run printed 0 to {up_to} in order.");
            } else {
                println!("This run printed {printed:?}: NOT 0 to {up_to} in order.");
            }
        }
        if let Some(census) = &ran.census {
            let only_in_order = census.outcome_set() == [format!("{in_order:?}")];
            if !only_in_order {
                println!("Some schedule prints the numbers out of order: see the census above.");
            } else if census.complete() {
                let schedules = census.schedules;
                println!("Proved: all {schedules} schedules print 0 to {up_to} in order.");
            } else {
                println!(
                    "Not proved: every schedule explored printed 0 to {up_to} in order, but the \
                     search was not complete (try a larger --preemptions)."
                );
            }
        }
        println!();
    }
    println!("Read chapter 1 to see why: book/src/lesson01.md (or `mdbook serve book`).");
}

// ANCHOR: printers
/// Part 1: each printer prints its own numbers and naps after each one.
fn free_running(up_to: u64, nap: Duration) {
    thread::scope(|scope| {
        let even = Builder::new().name("even".to_string());
        even.spawn_scoped(scope, || {
            for n in (0..=up_to).step_by(2) {
                say!("print {}", guess(n));
                thread::sleep(2 * nap); // the even printer naps twice as long
            }
        })
        .expect("the operating system starts a thread");
        let odd = Builder::new().name("odd".to_string());
        odd.spawn_scoped(scope, || {
            for n in (1..=up_to).step_by(2) {
                say!("print {}", guess(n));
                thread::sleep(nap);
            }
        })
        .expect("the operating system starts a thread");
    }); // the scope waits here until both threads have finished
}
// ANCHOR_END: printers

// ANCHOR: turns
/// Part 2: the printers take strict turns. Returns the numbers in the order they were printed.
fn strict_turns(up_to: u64) -> Vec<u64> {
    // The numbers printed so far: the next one to print is `printed.len()`.
    let printed = Mutex::new(Vec::new()).named("printed");
    let turn_passed = Condvar::new().named("turn passed");
    thread::scope(|scope| {
        for (name, first) in [("even", 0), ("odd", 1)] {
            let (printed, turn_passed) = (&printed, &turn_passed);
            let printer = Builder::new().name(name.to_string());
            printer
                .spawn_scoped(scope, move || {
                    for n in (first..=up_to).step_by(2) {
                        let mut printed = printed.lock();
                        // Until it is n's turn, sleep on the Condvar, with the lock released.
                        turn_passed.wait_while(&mut printed, |printed| printed.len() as u64 != n);
                        say!("print {}", guess(n));
                        printed.push(n); // only after printing, hand the turn on...
                        turn_passed.notify_all(); // ...and wake the other printer
                    }
                })
                .expect("the operating system starts a thread");
        }
    });
    printed.into_inner()
}
// ANCHOR_END: turns
