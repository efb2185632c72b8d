//! Wrong answer to 01b: each printer looks at the flag once, before its first number, and never
//! again.
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::sync::{AtomicBool, Ordering};
use workbook::thread::{self, Builder};
use workbook::{Cli, guess, say};

const PROGRAM: &str = "wrong01b_looks_once --manifest-path lessons/Cargo.toml";
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
                let stop = &stop; // the move closure below takes this reference, not the flag
                Builder::new()
                    .name(name.to_string())
                    .spawn_scoped(scope, move || {
                        let mut printed = 0;
                        // Look at the flag before starting.
                        if stop.load(Ordering::Relaxed) {
                            return printed;
                        }
                        for n in (first..=up_to).step_by(2) {
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
