//! Exercise 07b, one thread per core. The program counts the primes below 1 000 000 in 1000
//! chunks, and starts one thread for every chunk: 1000 threads on a machine with a few cores,
//! most of which only wait for a turn. Make it start exactly as many threads as the machine has
//! cores (`std::thread::available_parallelism()`), each taking chunks until none is left, and
//! keep the answer right (78498 primes). It prints `threads started: N`; keep that line true.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Instant;

use workbook::Cli;

const PROGRAM: &str = "sol07b --manifest-path lessons/Cargo.toml";
const CHUNKS: u64 = 1000;
const SIZE: u64 = 1000;

fn is_prime(n: u64) -> bool {
    n >= 2 && (2..n).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

fn count_primes(chunk: u64) -> u64 {
    let start = chunk * SIZE;
    (start..start + SIZE).filter(|&n| is_prime(n)).count() as u64
}

fn main() {
    let flags = Cli::new(PROGRAM, "exercise 07b: one thread per core").parse();
    if flags.mode.is_replay() {
        eprintln!(
            "error: this exercise only runs live: leave out --seed, --schedule and --predict"
        );
        eprintln!("Try `cargo run --bin {PROGRAM} -- --help` for the flags.");
        std::process::exit(2);
    }
    let start = Instant::now();
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let next_chunk = AtomicU64::new(0);
    let mut threads_started = 0;
    let total: u64 = thread::scope(|scope| {
        let mut handles = Vec::new();
        for _ in 0..cores {
            let next_chunk = &next_chunk;
            handles.push(scope.spawn(move || {
                let mut primes = 0;
                loop {
                    let chunk = next_chunk.fetch_add(1, Ordering::Relaxed);
                    if chunk >= CHUNKS {
                        break primes;
                    }
                    primes += count_primes(chunk);
                }
            }));
            threads_started += 1;
        }
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap())
            .sum()
    });
    println!("threads started: {threads_started}");
    println!("primes below {}: {total}", CHUNKS * SIZE);
    println!("took {:.1} ms", start.elapsed().as_secs_f64() * 1000.0);
}
