//! Exercise 02b, survive a panicking thread. Four threads each parse one text of `TEXTS` as a
//! number. The text "x" is not a number, and its thread panics: on purpose, leave the workers as
//! they are. As handed out, main joins each thread with `unwrap()`, so the worker's panic becomes
//! main's panic and the whole program dies (exit status 101). Make main handle the `Err` that
//! `join` returns instead: print `results: 12, 7, failed, 30` and `sum of the numbers: 49`, and
//! end normally, in every live run and every replay. The worker's own panic message on stderr is
//! expected; main must not panic.
#![forbid(unsafe_code)]

use std::thread;

use workbook::{Cli, Run};

const PROGRAM: &str = "ex02b --manifest-path lessons/Cargo.toml";
const TEXTS: [&str; 4] = ["12", "7", "x", "30"];
const NAMES: [&str; 4] = ["parse-0", "parse-1", "parse-2", "parse-3"];

fn main() {
    let flags = Cli::new(PROGRAM, "exercise 02b: survive a panicking thread").parse();
    let run = Run::new(PROGRAM, &flags, &NAMES);
    run.print_live_header();
    let results: Vec<Option<u64>> = thread::scope(|scope| {
        let run = &run;
        let handles: Vec<_> = NAMES
            .into_iter()
            .zip(TEXTS)
            .map(|(name, text)| scope.spawn(move || run.actor(name, |me| parse(me, text))))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .collect()
    });
    run.finish();
    report(&results);
}

/// A worker: parses `text`, and panics (on purpose) when it is not a number.
fn parse(me: &workbook::Actor<'_>, text: &str) -> u64 {
    let parsed: Option<u64> = text.parse().ok();
    me.step("parse", || {
        parsed.map_or("not a number".to_string(), |number| number.to_string())
    });
    parsed.unwrap_or_else(|| panic!("on purpose: {text:?} is not a number"))
}

/// Prints each result (`failed` for a thread that gave none) and the sum of the numbers.
fn report(results: &[Option<u64>]) {
    let shown: Vec<String> = results
        .iter()
        .map(|result| result.map_or("failed".to_string(), |number| number.to_string()))
        .collect();
    println!("results: {}", shown.join(", "));
    println!(
        "sum of the numbers: {}",
        results.iter().flatten().sum::<u64>()
    );
}
