//! Wrong answer to 02a: prints what the solution prints, with no threads at all.
#![forbid(unsafe_code)]

fn main() {
    // What the solution printed once, without doing the work.
    println!("results: [7, 5, 6, 4]");
}
