//! Wrong answer to 01a: each printer prints n at n ticks, timed by naps, instead of waiting on a
//! Condvar: exact in virtual time, out of order once a nap can last longer than asked.
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::sync::Mutex;
use workbook::thread::{self, Builder};
use workbook::{Cli, guess, say};

const PROGRAM: &str = "wrong01a_naps_instead_of_condvar --manifest-path lessons/Cargo.toml";
/// How long one number's turn lasts.
const TICK: Duration = Duration::from_millis(10);
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
    thread::scope(|scope| {
        for (first, name) in (0..).zip(PRINTERS) {
            let printed = &printed;
            Builder::new()
                .name(name.to_string())
                .spawn_scoped(scope, move || {
                    // Number n's turn comes at n ticks: printer k starts k ticks late, and
                    // naps three ticks after each number, while the other two print theirs.
                    thread::sleep(TICK * first as u32);
                    for n in (first..=up_to).step_by(3) {
                        let mut printed = printed.lock();
                        say!("print {}", guess(n));
                        printed.push(n);
                        drop(printed);
                        thread::sleep(TICK * 3);
                    }
                })
                .expect("the operating system starts a thread");
        }
    });
    printed.into_inner()
}
