//! Exercise 05a, five dining philosophers.
//!
//! Task: philosophers sit around a round table (`--philosophers`, 5 unless told otherwise),
//! with one fork between each pair of neighbours: fork i lies between philosopher i and the
//! next one, and the last fork closes the ring. To eat, a philosopher needs both forks next to
//! them. As written, each picks up the left fork and then the right one, and when all of them
//! hold their left fork at once nobody can ever eat: a deadlock (`--philosophers 3 --explore`
//! finds it). Change the order in which forks are picked up so that no schedule can deadlock,
//! whatever the timing: sleeping does not count as a fix. Keep the forks
//! (`Mutex`es named "fork N"), the threads (one per philosopher) and the line `say!("eat meal
//! {meal}")`, said while holding both forks.
//!
//! Invariant: in every schedule and every live run, dinner ends, and every philosopher eats
//! every meal (`--meals`, 2) holding both of their own forks and nobody else's.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex05a -- --philosophers 3 --explore
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex05a -- --seed 0    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex05a -- --meals 30  (live)
//! Check it: cargo run --bin workbook -- check 05a
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::sync::Mutex;
use workbook::{Cli, say, thread};

const PROGRAM: &str = "sol05a --manifest-path lessons/Cargo.toml";
const PHILOSOPHERS: [&str; 5] = ["plato", "kant", "hume", "locke", "marx"];
/// How long a philosopher thinks before each meal.
const THINK: Duration = Duration::from_millis(1);

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 05a: dining philosophers");
    cli.explorable();
    let seats = cli.number("--philosophers", "N", "philosophers at the table", 5, 2..=5);
    let meals = cli.number("--meals", "M", "meals each philosopher eats", 2, 1..=1000);
    let flags = cli.parse();
    let (seats, meals) = (flags[seats] as usize, flags[meals]);
    let ran = workbook::run(&flags, || dinner(seats, meals));
    if let Some(eaten) = ran.value {
        println!("dinner is over; meals eaten: {eaten:?}");
    }
}

/// Every philosopher eats `meals` meals; returns how many each ate, in seat order.
fn dinner(seats: usize, meals: u64) -> Vec<u64> {
    // Each fork counts the meals eaten with it.
    let forks: Vec<Mutex<u64>> = (0..seats)
        .map(|fork| Mutex::new(0).named(&format!("fork {fork}")))
        .collect();
    let forks = &forks;
    thread::scope(|scope| {
        let philosophers: Vec<_> = (0..seats)
            .map(|seat| {
                thread::Builder::new()
                    .name(PHILOSOPHERS[seat].to_string())
                    .spawn_scoped(scope, move || {
                        let left = seat;
                        let right = (seat + 1) % seats;
                        // One global order: the lower-numbered fork first. All but the last
                        // philosopher still start on the left; the last one, between the last
                        // fork and fork 0, starts on the right. So the philosophers can never
                        // each hold one fork and wait for the next: the cycle is broken.
                        let (first, second) = (left.min(right), left.max(right));
                        let mut eaten = 0;
                        for meal in 1..=meals {
                            thread::sleep(THINK);
                            let mut first_fork = forks[first].lock();
                            let mut second_fork = forks[second].lock();
                            say!("eat meal {meal}");
                            *first_fork += 1;
                            *second_fork += 1;
                            eaten += 1;
                        }
                        eaten
                    })
                    .expect("the thread starts")
            })
            .collect();
        philosophers
            .into_iter()
            .map(|philosopher| philosopher.join().unwrap_or(0))
            .collect()
    })
}
