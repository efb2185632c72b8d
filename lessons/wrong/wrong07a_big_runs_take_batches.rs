//! Wrong answer to 07a: right at the small sizes of the explorer and the replays, wrong on a big
//! run: from 1000 chunks on, the workers take three chunks at a time and drop a last batch that
//! is shorter (2000 chunks: the last two are never counted). Only a live run is that big: it
//! proves the live runs of the check count.
#![forbid(unsafe_code)]

use workbook::sync::{AtomicUsize, Ordering};
use workbook::{Cli, thread};

const PROGRAM: &str = "wrong07a_big_runs_take_batches --manifest-path lessons/Cargo.toml";
/// The numbers in one chunk.
const SIZE: u64 = 100;
/// From this many chunks on, workers take a batch at a time.
const BIG: usize = 1000;
/// Chunks in a batch.
const BATCH: usize = 3;

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
                        if chunks >= BIG {
                            // Many chunks: take them three at a time, one `fetch_add` a batch.
                            loop {
                                let first = next.fetch_add(BATCH, Ordering::Relaxed);
                                // The mistake: a last batch shorter than three is dropped.
                                if first + BATCH > chunks {
                                    return primes;
                                }
                                primes += (first..first + BATCH).map(count_primes).sum::<u64>();
                            }
                        }
                        loop {
                            // Take and move on in one indivisible step: no two workers get
                            // the same number. `Relaxed` is enough: it orders nothing else.
                            let chunk = next.fetch_add(1, Ordering::Relaxed);
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
