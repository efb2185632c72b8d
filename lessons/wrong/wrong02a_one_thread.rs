//! Wrong answer to 02a: main measures every word itself, in order, and starts no thread.
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::thread;
use workbook::{Cli, guess, say};

const PROGRAM: &str = "wrong02a_one_thread --manifest-path lessons/Cargo.toml";
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

/// Main measures each word itself, in the order of the words.
fn measure_all(words: &[&str]) -> Vec<usize> {
    (words.iter())
        .map(|word| {
            thread::sleep(Duration::from_millis(10 * word.len() as u64));
            let length = word.len();
            say!("measure {word}: {}", guess(length));
            length
        })
        .collect()
}
