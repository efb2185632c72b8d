//! Exercise 07a, hand out each chunk once. Three workers count the primes below 600, a chunk of
//! 100 numbers at a time, and take the next chunk number from a shared counter. As handed out, a
//! worker reads the counter in one step and writes it back, plus one, in another: two workers can
//! read the same number in between, count the same chunk twice, and the total comes out too big.
//! Make taking a chunk a single indivisible step, so that in every replay (`--seed N`) each of
//! the chunks 0 to 5 is counted exactly once and the total is 109 primes.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread;

use workbook::{Cli, Run};

const PROGRAM: &str = "sol07a --manifest-path lessons/Cargo.toml";
const CHUNKS: usize = 6;
const SIZE: u64 = 100;

fn is_prime(n: u64) -> bool {
    n >= 2 && (2..n).take_while(|d| d * d <= n).all(|d| n % d != 0)
}

fn main() {
    let flags = Cli::new(PROGRAM, "exercise 07a: hand out each chunk once").parse();
    let run = Run::new(PROGRAM, &flags, &["worker1", "worker2", "worker3"]);
    run.print_live_header();
    let next_chunk = AtomicUsize::new(0);
    let total = AtomicU64::new(0);
    thread::scope(|scope| {
        for name in ["worker1", "worker2", "worker3"] {
            let (run, next_chunk, total) = (&run, &next_chunk, &total);
            scope.spawn(move || {
                run.actor(name, |me| {
                    loop {
                        // fetch_add reads and adds in one indivisible step: no two workers see the
                        // same number.
                        let chunk = me.step("take", || next_chunk.fetch_add(1, Ordering::SeqCst));
                        if chunk >= CHUNKS {
                            break;
                        }
                        me.step("count", || {
                            let start = chunk as u64 * SIZE;
                            let primes =
                                (start..start + SIZE).filter(|&n| is_prime(n)).count() as u64;
                            total.fetch_add(primes, Ordering::SeqCst);
                            format!("chunk {chunk}: {primes} primes")
                        });
                    }
                })
            });
        }
    });
    run.finish();
    println!("Primes below 600: {}", total.load(Ordering::SeqCst));
}
