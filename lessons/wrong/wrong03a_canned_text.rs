//! Wrong answer to 03a: prints what the solution prints, with no threads and no file.
#![forbid(unsafe_code)]

fn main() {
    // What the solution printed once, without doing the work.
    println!("the reader saw: 1 line, 2 lines, 3 lines");
}
