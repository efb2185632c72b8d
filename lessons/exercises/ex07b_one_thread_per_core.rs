//! Exercise 07b, one thread per core.
//!
//! Task: count the primes below `--chunks` x 1000 (1000 chunks: the primes below 1 000 000).
//! Counting never waits for anything, so a thread beyond the number of cores only waits for a
//! core. As written, the program starts one thread for every chunk: 1000 threads on a machine
//! with a few cores. Make it start exactly as many threads as the machine can run at once,
//! `thread::available_parallelism()`, each taking chunk numbers from a shared `AtomicUsize`
//! named "next" (as in 07a) until none is left, so that the work is spread over all of them.
//! Main only starts them and adds up what they found. Keep the answer right.
//!
//! Invariant: in every schedule and every live run, the total is the number of primes below
//! chunks x 1000 (78498 below 1 000 000), each chunk counted once; exactly
//! `available_parallelism()` threads besides main ran, and (with more than one core) more than
//! one of them counted chunks.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex07b -- --chunks 3 --explore
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex07b -- --chunks 12 --seed 1
//!     cargo run --release --manifest-path lessons/Cargo.toml --bin ex07b     (live)
//! Check it: cargo run --bin workbook -- check 07b
#![forbid(unsafe_code)]

use std::time::Instant;

use workbook::{Cli, thread};

const PROGRAM: &str = "ex07b --manifest-path lessons/Cargo.toml";
/// The numbers in one chunk.
const SIZE: u64 = 1000;

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 07b: one thread per core");
    cli.explorable();
    let chunks = cli.number(
        "--chunks",
        "N",
        "chunks of 1000 numbers to count",
        1000,
        1..=10_000,
    );
    let flags = cli.parse();
    let chunks = flags[chunks] as usize;
    let start = Instant::now();
    let ran = workbook::run(&flags, || count(chunks));
    if let Some(total) = ran.value {
        println!("primes below {}: {total}", chunks as u64 * SIZE);
        println!("took {:.1} ms", start.elapsed().as_secs_f64() * 1000.0);
    }
}

/// True when `n` is prime, by trial division over the odd numbers.
fn is_prime(n: u64) -> bool {
    if n < 2 || n % 2 == 0 {
        return n == 2;
    }
    let mut divisor = 3;
    while divisor * divisor <= n {
        if n % divisor == 0 {
            return false;
        }
        divisor += 2;
    }
    true
}

/// The primes in chunk number `chunk`.
fn count_primes(chunk: usize) -> u64 {
    let start = chunk as u64 * SIZE;
    (start..start + SIZE).filter(|&n| is_prime(n)).count() as u64
}

/// Counts the primes in chunks `0..chunks`; returns the total.
fn count(chunks: usize) -> u64 {
    thread::scope(|scope| {
        // TODO: one thread per chunk is far more threads than cores.
        let handles: Vec<_> = (0..chunks)
            .map(|chunk| {
                thread::Builder::new()
                    .name(format!("chunk{chunk}"))
                    .spawn_scoped(scope, move || count_primes(chunk))
                    .expect("the thread starts")
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("counting does not panic"))
            .sum()
    })
}
