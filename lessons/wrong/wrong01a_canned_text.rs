//! Wrong answer to 01a: prints what the solution prints, with no threads at all.
#![forbid(unsafe_code)]

fn main() {
    // What the solution printed once, without doing the work.
    for (n, printer) in ["printer0", "printer1", "printer2"]
        .iter()
        .cycle()
        .take(12)
        .enumerate()
    {
        println!("{printer}: print {n}");
    }
    println!("printed in this order: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]");
}
