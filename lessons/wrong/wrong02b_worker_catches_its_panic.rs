//! Wrong answer to 02b: the worker catches its own panic with `catch_unwind`, so nothing
//! reaches join: the workers were to be left as they are.
#![forbid(unsafe_code)]

use workbook::thread::{self, Builder};
use workbook::{Cli, guess, say};

const PROGRAM: &str = "wrong02b_worker_catches_its_panic --manifest-path lessons/Cargo.toml";
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
            .map(|handle| handle.join().ok().filter(|number| *number != 0))
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
        Err(_) => {
            // Caught inside the worker: the thread ends normally with 0.
            std::panic::catch_unwind(|| panic!("on purpose: {text:?} is not a number")).unwrap_or(0)
        }
    }
}
