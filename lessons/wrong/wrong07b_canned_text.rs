//! Wrong answer to 07b: prints the core count and the answer, with no threads.
#![forbid(unsafe_code)]

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
    // What the solution printed once, without doing the work.
    println!("threads started: {cores}");
    println!("primes below 1000000: 78498");
}
