//! Wrong answer to 07b: main does all the work and prints the core count.
#![forbid(unsafe_code)]

use std::time::Instant;

use workbook::{Cli, thread};

const PROGRAM: &str = "wrong07b_one_thread --manifest-path lessons/Cargo.toml";
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

/// Counts the primes in chunks `0..chunks`, all on main; says how many cores there are.
fn count(chunks: usize) -> u64 {
    let cores = thread::available_parallelism().map_or(1, |cores| cores.get());
    println!("threads started: {cores}");
    (0..chunks).map(count_primes).sum()
}
