//! Wrong answer to 04c: prints what the solution prints, with no threads and no account.
#![forbid(unsafe_code)]

fn main() {
    // What the solution printed once, without doing the work.
    println!("final balance 40, withdrawals 1");
}
