//! Exercise 09a, retry with backoff.
//!
//! WRONG ANSWER (for the checker's tests): prints what a right answer prints, and runs nothing.
#![forbid(unsafe_code)]

fn main() {
    println!(
        "job 0 done after 1 tries; job 1 done after 2 tries; job 2 done after 1 tries; \
         job 3 done after 3 tries; job 4 failed after 4 tries (timed out)"
    );
}
