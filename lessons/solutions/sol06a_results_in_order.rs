//! Exercise 06a, results in input order.
//!
//! Task: a pool of `--workers` threads (3 unless told otherwise) squares the first `--jobs`
//! numbers (8) of `INPUTS`. Main puts the position of each job in a bounded queue named "jobs";
//! each worker takes positions from it until it is closed, squares that input (some take longer
//! than others) and sends the square back through a channel named "results". Workers finish in
//! any order, and as written main keeps the squares in the order they arrive, so most places
//! hold the square of another input. Make place `i` of the returned list hold the square of
//! `INPUTS[i]`, in every schedule, without making the workers wait for each other: let each
//! result carry the position of its job, and let main put it in its place.
//!
//! Invariant: in every schedule and every live run, result `i` is `INPUTS[i]` squared, for
//! every `i`, and the workers still square several inputs at once.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex06a -- --jobs 3 --workers 2 --explore
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex06a -- --seed 3    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex06a                (live)
//! Check it: cargo run --bin workbook -- check 06a
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::sync::{NamedChannel, bounded, unbounded};
use workbook::{Cli, thread};

const PROGRAM: &str = "sol06a --manifest-path lessons/Cargo.toml";
/// The numbers to square, in input order (which is not the order of their values).
const INPUTS: [u64; 8] = [7, 3, 5, 0, 6, 1, 4, 2];

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 06a: results in input order");
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

/// Squares `inputs` on a pool of `workers` threads; returns the squares.
fn squares(inputs: &[u64], workers: usize) -> Vec<u64> {
    let (job_sender, job_receiver) = bounded::<usize>(2).named("jobs");
    // Each result carries the position of its job: (position, square).
    let (result_sender, result_receiver) = unbounded::<(usize, u64)>().named("results");
    thread::scope(|scope| {
        for number in 1..=workers {
            let (jobs, results) = (job_receiver.clone(), result_sender.clone());
            thread::Builder::new()
                .name(format!("worker{number}"))
                .spawn_scoped(scope, move || {
                    // Ends when the queue is closed and empty.
                    for position in jobs {
                        let square = square(inputs[position]);
                        results
                            .send((position, square))
                            .expect("main keeps the results' receiver");
                    }
                })
                .expect("the worker starts");
        }
        // Main keeps only the sending end of the jobs and the receiving end of the results.
        drop(job_receiver);
        drop(result_sender);
        for position in 0..inputs.len() {
            job_sender
                .send(position)
                .expect("the workers keep the receiver");
        }
        drop(job_sender); // close the queue: the workers stop once it is empty
        // The position puts each square in its place, whoever finished it first.
        let mut squares = vec![0; inputs.len()];
        for (position, square) in result_receiver {
            squares[position] = square;
        }
        squares
    })
}
