// Lesson 4, part 1, second try: share a `Cell`, whose `set` needs no `&mut`. rustc refuses
// this too: a `Cell` is not `Sync`, so two threads may not hold references to it.
// `tests/lesson04.rs` compiles this file and expects error E0277.
use std::cell::Cell;
use std::thread;

fn main() {
    let counter = Cell::new(0_u64);
    thread::scope(|scope| {
        scope.spawn(|| {
            for _ in 0..100_000 {
                counter.set(counter.get() + 1);
            }
        });
        scope.spawn(|| {
            for _ in 0..100_000 {
                counter.set(counter.get() + 1);
            }
        });
    });
    println!("{}", counter.get());
}
