//! Exercise 01b, stop the printers early. The even and odd printers would print every number up
//! to N (1000 unless `--up-to` says otherwise), napping a little between numbers. After a moment
//! the boss thread decides that enough has been printed and raises the shared `stop` flag, but
//! nobody looks at it yet. Make each printer stop soon after the flag is raised: it may finish
//! the number it is printing, but it must not start another one, and it must not stop before the
//! flag is raised. Threads cannot be killed from outside: they have to be asked to stop, and
//! check for it themselves. Use the flag (an `AtomicBool`), or a channel if you prefer.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use workbook::{Cli, Run};

const PROGRAM: &str = "ex01b --manifest-path lessons/Cargo.toml";
/// A printer's nap between two numbers (live runs only; replays do not sleep).
const NAP: Duration = Duration::from_millis(10);
/// How long the boss lets the printers print before raising the flag (live runs only).
const BOSS_WAITS: Duration = Duration::from_millis(100);

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 01b: stop the printers early");
    let up_to = cli.number(
        "--up-to",
        "N",
        "print at most the numbers 0 to N",
        1000,
        1..=1_000_000,
    );
    let flags = cli.parse();
    let up_to = flags[up_to];

    let stop = AtomicBool::new(false);
    let run = Run::new(PROGRAM, &flags, &["even", "odd", "boss"]);
    run.print_live_header();
    thread::scope(|scope| {
        for (name, first) in [("even", 0), ("odd", 1)] {
            let run = &run;
            scope.spawn(move || {
                run.actor(name, |me| {
                    for n in (first..=up_to).step_by(2) {
                        // TODO: stop here once the boss has raised the flag.
                        me.step("print", || n);
                        me.sleep(NAP);
                    }
                })
            });
        }
        scope.spawn(|| {
            run.actor("boss", |me| {
                me.sleep(BOSS_WAITS);
                me.action("raise flag", || stop.store(true, Ordering::Relaxed));
            })
        });
    });
    run.finish();
    println!("both printers have stopped");
}
