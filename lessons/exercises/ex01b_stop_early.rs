//! Exercise 01b, stop the printers early.
//!
//! Task: the even and odd printers would print every number up to N (`--up-to`, 1000 unless
//! told otherwise), napping a little after each one. After a moment the boss thread decides
//! that enough has been printed and raises the shared flag, the `AtomicBool` named "stop", but
//! nobody looks at it yet. Make each printer look at the flag before each number it prints and
//! stop as soon as it sees it raised. Threads cannot be killed from outside: they have to be
//! asked to stop, and check for it themselves. Keep the three threads, the naps and the boss.
//!
//! Invariant: in every replay and every live run, once the boss has raised the flag, each
//! printer prints at most one more number (the one it was already on) and stops because it saw
//! the flag; before that, no printer stops on its own.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex01b -- --seed 3 --up-to 30   (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex01b                          (live)
//! Check it: cargo run --bin workbook -- check 01b
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::sync::{AtomicBool, Ordering};
use workbook::thread::{self, Builder};
use workbook::{Cli, guess, say};

const PROGRAM: &str = "ex01b --manifest-path lessons/Cargo.toml";
/// A printer's nap after each number.
const NAP: Duration = Duration::from_millis(10);
/// How long the boss lets the printers print before raising the flag.
const BOSS_WAITS: Duration = Duration::from_millis(100);

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 01b: stop the printers early");
    cli.explorable();
    let up_to = cli.number(
        "--up-to",
        "N",
        "print at most the numbers 0 to N",
        1000,
        1..=1_000_000,
    );
    let flags = cli.parse();
    let up_to = flags[up_to];
    let ran = workbook::run(&flags, || print_until_stopped(up_to));
    if let Some(printed) = ran.value {
        println!(
            "both printers have stopped, after {printed} of {} numbers",
            up_to + 1
        );
    }
}

/// The printers print until told to stop; returns how many numbers they printed between them.
fn print_until_stopped(up_to: u64) -> u64 {
    let stop = AtomicBool::new(false).named("stop");
    thread::scope(|scope| {
        let printers: Vec<_> = [("even", 0), ("odd", 1)]
            .into_iter()
            .map(|(name, first)| {
                Builder::new()
                    .name(name.to_string())
                    .spawn_scoped(scope, move || {
                        let mut printed = 0;
                        for n in (first..=up_to).step_by(2) {
                            // TODO: stop here once the boss has raised the flag.
                            say!("print {}", guess(n));
                            printed += 1;
                            thread::sleep(NAP);
                        }
                        printed
                    })
                    .expect("the operating system starts a thread")
            })
            .collect();
        Builder::new()
            .name("boss".to_string())
            .spawn_scoped(scope, || {
                thread::sleep(BOSS_WAITS);
                stop.store(true, Ordering::Relaxed);
            })
            .expect("the operating system starts a thread");
        printers
            .into_iter()
            .map(|printer| printer.join().expect("a printer panicked"))
            .sum()
    })
}
