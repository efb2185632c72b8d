//! Wrong answer to 06a: main hands out one job and waits for its result before the next: in order, but the workers take turns.
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::sync::{NamedChannel, bounded, unbounded};
use workbook::{Cli, thread};

const PROGRAM: &str = "wrong06a_one_job_at_a_time --manifest-path lessons/Cargo.toml";
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
        // One job at a time: its result comes back before the next job goes out.
        let mut squares = Vec::new();
        for position in 0..inputs.len() {
            job_sender
                .send(position)
                .expect("the workers keep the receiver");
            let (_, square) = result_receiver.recv().expect("a worker answers");
            squares.push(square);
        }
        drop(job_sender);
        squares
    })
}
