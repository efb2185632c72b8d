//! Wrong answer to 01a: wakes one waiting printer instead of all: with three printers the one
//! woken may not be the one due, and it goes back to sleep with nobody left to wake the other.
#![forbid(unsafe_code)]

use workbook::sync::{Condvar, Mutex};
use workbook::thread::{self, Builder};
use workbook::{Cli, guess, say};

const PROGRAM: &str = "wrong01a_notify_one --manifest-path lessons/Cargo.toml";
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
                        // Wake the next printer (or so it is hoped: any one waiter wakes).
                        turn_passed.notify_one();
                    }
                })
                .expect("the operating system starts a thread");
        }
    });
    printed.into_inner()
}
