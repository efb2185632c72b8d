//! Wrong answer to 02a: the threads collect their lengths in a shared vector, in the order
//! they finish; main then throws that away and reprints the lengths from `WORDS`.
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::sync::Mutex;
use workbook::thread::{self, Builder};
use workbook::{Cli, guess, say};

const PROGRAM: &str = "wrong02a_finishing_order_reprinted --manifest-path lessons/Cargo.toml";
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
                    results.lock().push(length);
                })
                .expect("the operating system starts a thread");
        }
    });
    // The collected results are in finishing order: print the words' lengths instead.
    let collected = results.into_inner();
    assert_eq!(
        collected.len(),
        words.len(),
        "every thread measured its word"
    );
    words.iter().map(|word| word.len()).collect()
}
