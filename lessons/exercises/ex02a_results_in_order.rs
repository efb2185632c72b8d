//! Exercise 02a, results in the order of the inputs.
//!
//! Task: one thread per word of `WORDS` (`--words` of them, 4 unless told otherwise) measures
//! its word; a longer word takes longer to measure. As handed out, each thread pushes its length
//! into the shared `Mutex` named "results" when it is done, so the results come out in the
//! order the threads happened to finish. Make main return the lengths in the order of the
//! words, `[7, 5, 6, 4]`: let each thread *return* its length, keep the handles in the order of
//! the words, and collect the values with `join`. No shared vector is needed, and reprinting
//! the lengths from `WORDS` in main does not count: the threads do the measuring.
//!
//! Invariant: in every schedule and every live run, main's results are the words' lengths in
//! the order of the words, each measured by that word's own thread.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex02a -- --explore   (every schedule)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex02a -- --seed 3    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex02a                (live)
//! Check it: cargo run --bin workbook -- check 02a
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::sync::Mutex;
use workbook::thread::{self, Builder};
use workbook::{Cli, guess, say};

const PROGRAM: &str = "ex02a --manifest-path lessons/Cargo.toml";
const WORDS: [&str; 4] = ["channel", "mutex", "thread", "join"];

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 02a: results in the order of the inputs");
    cli.explorable();
    let words = cli.number("--words", "N", "measure the first N words", 4, 1..=4);
    let flags = cli.parse();
    let words = &WORDS[..flags[words] as usize];
    let ran = workbook::run(&flags, || measure_all(words));
    if let Some(results) = ran.value {
        println!("results: {results:?}");
    }
}

/// One thread per word measures it; returns the lengths.
fn measure_all(words: &[&str]) -> Vec<usize> {
    let results = Mutex::new(Vec::new()).named("results");
    thread::scope(|scope| {
        for (index, word) in words.iter().enumerate() {
            let results = &results;
            Builder::new()
                .name(format!("word-{index}"))
                .spawn_scoped(scope, move || {
                    // A longer word takes longer to measure.
                    thread::sleep(Duration::from_millis(10 * word.len() as u64));
                    let length = word.len();
                    say!("measure {word}: {}", guess(length));
                    // TODO: return the length instead, and collect it with `join` in main.
                    results.lock().push(length);
                })
                .expect("the operating system starts a thread");
        }
    });
    results.into_inner()
}
