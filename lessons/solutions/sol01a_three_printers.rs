//! Exercise 01a, three printers taking turns. Three threads print the numbers 0 to N between
//! them: printer0 prints 0, 3, 6, ..., printer1 prints 1, 4, 7, ... and printer2 prints 2, 5, 8,
//! .... As written, each printer prints whenever it gets to run, so the numbers come out in any
//! order. Make the printers take strict turns, so that the numbers always come out as 0, 1, 2, 3,
//! ... up to N: in a live run and in every replay (`--seed N`). Each printer must keep printing
//! its own numbers. Lesson 1, part 2 shows the idea for two printers.
#![forbid(unsafe_code)]

use std::thread;

use parking_lot::{Condvar, Mutex};
use workbook::{Cli, Run};

const PROGRAM: &str = "sol01a --manifest-path lessons/Cargo.toml";
const PRINTERS: [&str; 3] = ["printer0", "printer1", "printer2"];

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 01a: three printers taking turns");
    let up_to = cli.number("--up-to", "N", "print the numbers 0 to N", 11, 1..=1000);
    let flags = cli.parse();
    let up_to = flags[up_to];

    let run = Run::new(PROGRAM, &flags, &PRINTERS);
    run.print_live_header();
    let next = Mutex::new(0); // the number that must be printed next
    let turn_changed = Condvar::new();
    thread::scope(|scope| {
        for (first, name) in (0..).zip(PRINTERS) {
            let (run, next, turn_changed) = (&run, &next, &turn_changed);
            scope.spawn(move || {
                run.actor(name, |me| {
                    for n in (first..=up_to).step_by(3) {
                        // Live, the Condvar waits for n's turn; in a replay, the scheduler lets
                        // this step run only when it is n's turn.
                        me.step_when(
                            "print",
                            || *next.lock() == n,
                            || {
                                let mut turn = next.lock();
                                turn_changed.wait_while(&mut turn, |next| *next != n);
                                n
                            },
                        );
                        me.action("pass turn", || {
                            *next.lock() = n + 1;
                            // Two printers may be waiting: wake both, the right one goes on.
                            turn_changed.notify_all();
                        });
                    }
                })
            });
        }
    });
    run.finish();
}
