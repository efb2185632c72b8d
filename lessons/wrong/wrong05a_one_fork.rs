//! Wrong answer to 05a: never deadlocks, because each philosopher eats holding only one fork.
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::sync::Mutex;
use workbook::{Cli, say, thread};

const PROGRAM: &str = "wrong05a_one_fork --manifest-path lessons/Cargo.toml";
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
                        let first = left.min(right);
                        let mut eaten = 0;
                        for meal in 1..=meals {
                            thread::sleep(THINK);
                            // No deadlock: each philosopher only ever takes one fork.
                            let mut first_fork = forks[first].lock();
                            say!("eat meal {meal}");
                            *first_fork += 1;
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
