//! Exercise 02b, survive a panicking thread.
//!
//! Task: one thread per text of `TEXTS` (named parse-0 to parse-3) parses its text as a
//! number. The text "x" is not a number, and its thread panics: on purpose, leave the workers as
//! they are. As handed out, main joins each thread with `unwrap()`, so the worker's panic
//! becomes main's panic and the whole program dies. Make main handle the `Err` that `join`
//! returns instead: a thread that panicked counts as a failed result (`None`), the others as
//! their numbers, so main returns `[Some(12), Some(7), None, Some(30)]` and ends normally. The
//! worker's own panic message on stderr is expected; main must not panic.
//!
//! Invariant: in every schedule and every live run, the worker given "x" panics, every other
//! worker returns its number, and main ends normally with each result in the order of the
//! texts, the panicked one as `None`.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex02b -- --explore   (every schedule)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex02b -- --seed 3    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex02b                (live)
//! Check it: cargo run --bin workbook -- check 02b
#![forbid(unsafe_code)]

use workbook::thread::{self, Builder};
use workbook::{Cli, guess, say};

const PROGRAM: &str = "sol02b --manifest-path lessons/Cargo.toml";
const TEXTS: [&str; 4] = ["12", "7", "x", "30"];

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 02b: survive a panicking thread");
    cli.explorable();
    let flags = cli.parse();
    println!("One worker panics ON PURPOSE: its message on stderr is expected.");
    let ran = workbook::run(&flags, parse_all);
    if let Some(results) = ran.value {
        let shown: Vec<String> = (results.iter())
            .map(|result| result.map_or("failed".to_string(), |number| number.to_string()))
            .collect();
        println!("results: {}", shown.join(", "));
        println!(
            "sum of the numbers: {}",
            results.iter().flatten().sum::<u64>()
        );
    }
}

/// One thread per text parses it; returns each result in the order of the texts.
fn parse_all() -> Vec<Option<u64>> {
    thread::scope(|scope| {
        let handles: Vec<_> = (TEXTS.iter().enumerate())
            .map(|(index, text)| {
                Builder::new()
                    .name(format!("parse-{index}"))
                    .spawn_scoped(scope, move || parse(text))
                    .expect("the operating system starts a thread")
            })
            .collect();
        handles
            .into_iter()
            // A panicked thread gives `Err` at join: a failed result, not main's panic.
            .map(|handle| handle.join().ok())
            .collect()
    })
}

/// A worker: parses `text`, and panics (on purpose) when it is not a number.
fn parse(text: &str) -> u64 {
    match text.parse() {
        Ok(number) => {
            say!("parse {text:?}: {}", guess(number));
            number
        }
        Err(_) => panic!("on purpose: {text:?} is not a number"),
    }
}
