//! Wrong answer to 06a: prints what the solution prints, with no threads and no queue.
#![forbid(unsafe_code)]

fn main() {
    // What the solution printed once, without doing the work.
    for (position, input) in [7, 3, 5, 0, 6, 1, 4, 2].into_iter().enumerate() {
        println!("result {position}: {input} squared is {}", input * input);
    }
}
