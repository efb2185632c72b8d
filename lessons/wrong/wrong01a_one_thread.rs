//! Wrong answer to 01a: main prints every number itself, in order, and starts no printer.
#![forbid(unsafe_code)]

use workbook::sync::Mutex;
use workbook::{Cli, guess, say};

const PROGRAM: &str = "wrong01a_one_thread --manifest-path lessons/Cargo.toml";

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

/// Prints 0 to `up_to` from main, one after another; returns them in the order printed.
fn take_turns(up_to: u64) -> Vec<u64> {
    let printed = Mutex::new(Vec::new()).named("printed");
    for n in 0..=up_to {
        let mut printed = printed.lock();
        say!("print {}", guess(n));
        printed.push(n);
    }
    printed.into_inner()
}
