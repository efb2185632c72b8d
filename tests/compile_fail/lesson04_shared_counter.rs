// Lesson 4, part 1: the Python way. Two threads each add 1 to a shared `counter`, the way
// `counter += 1` would be written in a Python thread. rustc refuses to compile this: both
// closures would borrow `counter` mutably at the same time, and that is a data race.
// `tests/lesson04.rs` compiles this file and expects error E0499.
use std::thread;

fn main() {
    let mut counter = 0;
    thread::scope(|scope| {
        scope.spawn(|| {
            for _ in 0..100_000 {
                counter += 1;
            }
        });
        scope.spawn(|| {
            for _ in 0..100_000 {
                counter += 1;
            }
        });
    });
    println!("{counter}");
}
