//! Wrong answer to 04a: prints what the solution prints, with no threads and no counter.
#![forbid(unsafe_code)]

fn main() {
    // What the solution printed once, without doing the work.
    println!("final count 6 of 6");
}
