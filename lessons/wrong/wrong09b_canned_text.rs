//! Exercise 09b, lose no job.
//!
//! WRONG ANSWER (for the checker's tests): prints what a right answer prints, and runs nothing.
#![forbid(unsafe_code)]

fn main() {
    println!("done: job 0 x1, job 1 x1, job 2 x1, job 3 x1; given back: [2]; workers died: 1");
}
