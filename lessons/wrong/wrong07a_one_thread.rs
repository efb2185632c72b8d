//! Wrong answer to 07a: main counts every chunk itself: right total, no workers.
#![forbid(unsafe_code)]

use workbook::Cli;

const PROGRAM: &str = "wrong07a_one_thread --manifest-path lessons/Cargo.toml";
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

/// Counts the primes in chunks `0..chunks`; `workers` is ignored: main does it all.
fn count(chunks: usize, _workers: usize) -> u64 {
    (0..chunks).map(count_primes).sum()
}
