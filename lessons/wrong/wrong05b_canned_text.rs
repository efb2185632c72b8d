//! Wrong answer to 05b: prints what the solution prints, with no tellers.
#![forbid(unsafe_code)]

fn main() {
    // What the solution printed once, without doing the work.
    println!("balances: A 120, B 90, C 90");
}
