//! Wrong answer to 01b: prints what the solution prints, with no threads and no flag.
#![forbid(unsafe_code)]

fn main() {
    // What the solution printed once, without doing the work.
    for n in 0..20 {
        let printer = if n % 2 == 0 { "even" } else { "odd" };
        println!("{printer}: print {n}");
    }
    println!("both printers have stopped, after 20 of 1001 numbers");
}
