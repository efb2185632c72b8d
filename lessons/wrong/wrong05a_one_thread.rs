//! Wrong answer to 05a: one thread (main) eats every philosopher's meals.
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::sync::Mutex;
use workbook::{Cli, say, thread};

const PROGRAM: &str = "wrong05a_one_thread --manifest-path lessons/Cargo.toml";
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

/// Main eats every philosopher's meals, one philosopher after another; returns how many each ate.
fn dinner(seats: usize, meals: u64) -> Vec<u64> {
    let forks: Vec<Mutex<u64>> = (0..seats)
        .map(|fork| Mutex::new(0).named(&format!("fork {fork}")))
        .collect();
    (0..seats)
        .map(|seat| {
            let (left, right) = (seat, (seat + 1) % seats);
            for meal in 1..=meals {
                thread::sleep(THINK);
                let mut left_fork = forks[left].lock();
                let mut right_fork = forks[right].lock();
                say!("eat meal {meal}");
                *left_fork += 1;
                *right_fork += 1;
            }
            meals
        })
        .collect()
}
