//! Exercise 07a, hand out each chunk once.
//!
//! Task: `--workers` threads (3 unless told otherwise) count the primes below `--chunks` x 100
//! (6 chunks: the primes below 600), a chunk of 100 numbers at a time. They share the number
//! of the next chunk to count in an `AtomicUsize` named "next". As written, a worker takes a
//! chunk with a `load` and then a `store` of that number plus one: two workers can load the
//! same number in between, both count that chunk, and the total comes out too big. Make taking
//! a chunk one indivisible operation on the atomic (no lock, no sleeps), so that no two workers
//! ever take the same chunk. Keep the workers and the atomic.
//!
//! Invariant: in every schedule and every live run, each chunk is counted by exactly one
//! worker, and the total is the number of primes below chunks x 100 (109 below 600).
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex07a -- --chunks 3 --workers 2 --explore
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex07a -- --seed 2    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex07a -- --chunks 2000 (live)
//! Check it: cargo run --bin workbook -- check 07a
#![forbid(unsafe_code)]

use workbook::sync::{AtomicUsize, Ordering};
use workbook::{Cli, thread};

const PROGRAM: &str = "ex07a --manifest-path lessons/Cargo.toml";
/// The numbers in one chunk.
const SIZE: u64 = 100;

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 07a: hand out each chunk once");
    cli.explorable();
    let chunks = cli.number(
        "--chunks",
        "N",
        "chunks of 100 numbers to count",
        6,
        1..=10_000,
    );
    let workers = cli.number("--workers", "N", "worker threads", 3, 1..=4);
    let flags = cli.parse();
    let (chunks, workers) = (flags[chunks] as usize, flags[workers] as usize);
    let ran = workbook::run(&flags, || count(chunks, workers));
    if let Some(total) = ran.value {
        println!("primes below {}: {total}", chunks as u64 * SIZE);
    }
}

/// True when `n` is prime, by trial division.
fn is_prime(n: u64) -> bool {
    n >= 2 && (2..n).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

/// The primes in chunk number `chunk`.
fn count_primes(chunk: usize) -> u64 {
    let start = chunk as u64 * SIZE;
    (start..start + SIZE).filter(|&n| is_prime(n)).count() as u64
}

/// Counts the primes in chunks `0..chunks` on `workers` threads that take chunk numbers from a
/// shared counter; returns the total.
fn count(chunks: usize, workers: usize) -> u64 {
    let next = AtomicUsize::new(0).named("next");
    thread::scope(|scope| {
        let handles: Vec<_> = (1..=workers)
            .map(|number| {
                let next = &next;
                thread::Builder::new()
                    .name(format!("worker{number}"))
                    .spawn_scoped(scope, move || {
                        let mut primes = 0;
                        loop {
                            // TODO: between this load and this store, another worker can load too.
                            let chunk = next.load(Ordering::Relaxed);
                            next.store(chunk + 1, Ordering::Relaxed);
                            if chunk >= chunks {
                                return primes;
                            }
                            primes += count_primes(chunk);
                        }
                    })
                    .expect("the worker starts")
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("counting does not panic"))
            .sum()
    })
}
