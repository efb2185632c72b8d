//! Exercise 06b, close the queue.
//!
//! Task: a pool of `--workers` threads (3 unless told otherwise) squares the first `--jobs`
//! numbers (8) of `INPUTS`, as in 06a: main puts the position of each job in a bounded queue
//! named "jobs", each worker takes positions from it (`for position in jobs`) and sends
//! `(position, square)` back through "results", and main puts each square in its place. But
//! nobody closes the queue: when the jobs run out, the workers wait for more forever, and main
//! waits for them. A replay reports the deadlock; live, the watchdog does. Close the queue once
//! every job is sent, so that each worker finishes what is queued, finds the queue closed and
//! empty, and stops, without a timeout: a worker must stop because the queue is closed, never
//! because it waited a while.
//!
//! Invariant: in every schedule and every live run, the pool ends with every square in its
//! place, and each worker stops because its `recv` found the queue closed (the last sender
//! dropped) and empty.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex06b -- --jobs 3 --workers 2 --explore
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex06b -- --seed 0    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex06b                (live)
//! Check it: cargo run --bin workbook -- check 06b
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::sync::{NamedChannel, bounded, unbounded};
use workbook::{Cli, thread};

const PROGRAM: &str = "ex06b --manifest-path lessons/Cargo.toml";
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
                    // Ends when the queue is closed (every sender dropped) and empty.
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
        // TODO: every job is sent; the workers should learn that no more will come.
        // The position puts each square in its place, whoever finished it first.
        let mut squares = vec![0; inputs.len()];
        for (position, square) in result_receiver {
            squares[position] = square;
        }
        squares
    })
}
