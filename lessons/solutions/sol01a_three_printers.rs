//! Exercise 01a, three printers taking strict turns.
//!
//! Task: three threads, printer0, printer1 and printer2, print the numbers 0 to N (`--up-to`,
//! 11 unless told otherwise) between them: printer0 prints 0, 3, 6, ..., printer1 prints 1, 4,
//! 7, ... and printer2 prints 2, 5, 8, .... As written, each printer prints whenever it gets to
//! run, so the numbers come out in any order. Make the printers take strict turns with the
//! `Mutex` named "printed" and a `Condvar`: a printer waits on the Condvar until the number it
//! wants to print is the next one due, prints it, records it, and wakes the others. Keep the
//! three threads, each printing its own numbers; no sleeps (a nap is not a turn).
//! Lesson 1, part 2 shows the idea for two printers.
//!
//! Invariant: in every schedule and every live run, the numbers are printed as 0, 1, 2, ..., N,
//! each by its own printer.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex01a -- --explore --up-to 3   (every schedule)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex01a -- --seed 3              (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex01a                          (live)
//! Check it: cargo run --bin workbook -- check 01a
#![forbid(unsafe_code)]

use workbook::sync::{Condvar, Mutex};
use workbook::thread::{self, Builder};
use workbook::{Cli, guess, say};

const PROGRAM: &str = "sol01a --manifest-path lessons/Cargo.toml";
const PRINTERS: [&str; 3] = ["printer0", "printer1", "printer2"];

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 01a: three printers taking turns");
    cli.explorable();
    let up_to = cli.number("--up-to", "N", "print the numbers 0 to N", 11, 1..=1000);
    let flags = cli.parse();
    let up_to = flags[up_to];
    let ran = workbook::run(&flags, || take_turns(up_to));
    if let Some(printed) = ran.value {
        println!("printed in this order: {printed:?}");
    }
}

/// The three printers print 0 to `up_to` between them; returns the numbers in the order printed.
fn take_turns(up_to: u64) -> Vec<u64> {
    // The numbers printed so far: the next one due is `printed.len()`.
    let printed = Mutex::new(Vec::new()).named("printed");
    let turn_passed = Condvar::new().named("turn passed");
    thread::scope(|scope| {
        for (first, name) in (0..).zip(PRINTERS) {
            let (printed, turn_passed) = (&printed, &turn_passed);
            Builder::new()
                .name(name.to_string())
                .spawn_scoped(scope, move || {
                    for n in (first..=up_to).step_by(3) {
                        let mut printed = printed.lock();
                        // Until n is due, sleep on the Condvar with the lock let go.
                        turn_passed.wait_while(&mut printed, |printed| printed.len() as u64 != n);
                        say!("print {}", guess(n));
                        printed.push(n);
                        // Two printers may be waiting, and only one of them is due: wake both.
                        turn_passed.notify_all();
                    }
                })
                .expect("the operating system starts a thread");
        }
    });
    printed.into_inner()
}
