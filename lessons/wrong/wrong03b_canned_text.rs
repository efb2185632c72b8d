//! Wrong answer to 03b: prints what the solution prints, with no threads and no file.
#![forbid(unsafe_code)]

fn main() {
    // What the solution printed once, without doing the work.
    for count in [0, 0, 1, 2] {
        println!("reader: count {count}");
    }
    println!("the reader counted: 0, 0, 1, 2");
}
