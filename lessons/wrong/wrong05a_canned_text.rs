//! Wrong answer to 05a: prints what the solution prints, with no philosophers.
#![forbid(unsafe_code)]

fn main() {
    // What the solution printed once, without doing the work.
    println!("dinner is over; meals eaten: [2, 2, 2, 2, 2]");
}
