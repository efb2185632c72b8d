//! Wrong answer to 06b: main squares every input itself: no pool, so no queue to close.
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::{Cli, thread};

const PROGRAM: &str = "wrong06b_one_thread --manifest-path lessons/Cargo.toml";
/// The numbers to square, in input order (which is not the order of their values).
const INPUTS: [u64; 8] = [7, 3, 5, 0, 6, 1, 4, 2];

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 06b: close the queue");
    cli.explorable();
    let jobs = cli.number("--jobs", "N", "how many of the inputs to square", 8, 1..=8);
    let workers = cli.number("--workers", "N", "worker threads", 3, 1..=4);
    let flags = cli.parse();
    let inputs = &INPUTS[..flags[jobs] as usize];
    let workers = flags[workers] as usize;
    let ran = workbook::run(&flags, || squares(inputs, workers));
    if let Some(squares) = ran.value {
        for (position, square) in squares.iter().enumerate() {
            let input = inputs.get(position).copied().unwrap_or_default();
            println!("result {position}: {input} squared is {square}");
        }
    }
}

/// Squares `x`, slowly: some inputs take longer than others.
fn square(x: u64) -> u64 {
    thread::sleep(Duration::from_millis(1 + x % 3));
    x * x
}

/// Squares `inputs`; `workers` is ignored: main does every job itself.
fn squares(inputs: &[u64], _workers: usize) -> Vec<u64> {
    inputs.iter().map(|&x| square(x)).collect()
}
