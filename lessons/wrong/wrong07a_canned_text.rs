//! Wrong answer to 07a: prints what the solution prints, with no threads and no counter.
#![forbid(unsafe_code)]

fn main() {
    // What the solution printed once, without doing the work.
    println!("primes below 600: 109");
}
