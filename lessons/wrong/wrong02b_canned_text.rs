//! Wrong answer to 02b: prints what the solution prints, with no threads at all.
#![forbid(unsafe_code)]

fn main() {
    // What the solution printed once, without doing the work.
    println!("One worker panics ON PURPOSE: its message on stderr is expected.");
    println!("results: 12, 7, failed, 30");
    println!("sum of the numbers: 49");
}
