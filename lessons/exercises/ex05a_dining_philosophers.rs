//! Exercise 05a, five dining philosophers. Five philosophers sit around a round table with one
//! fork between each pair of neighbours: five forks in all. To eat, a philosopher needs both
//! forks next to them, the one on the left and the one on the right. As written, each one picks
//! up the left fork first and then the right one, and when all five pick up their left fork at
//! the same moment nobody can ever eat: a deadlock (`--seed 0` shows one). Change the program so
//! that it can never deadlock, in a live run or in any replay, while every philosopher still eats
//! every meal holding both of their forks and nobody else's. Keep the steps `pick up fork N`,
//! `eat` and `put down fork N`: the check reads them.
#![forbid(unsafe_code)]

use std::thread;
use std::time::Duration;

use parking_lot::Mutex;
use workbook::{Actor, Cli, Outcome, Run};

const PROGRAM: &str = "ex05a --manifest-path lessons/Cargo.toml";
const PHILOSOPHERS: [&str; 5] = ["plato", "kant", "hume", "locke", "marx"];
/// How long a philosopher thinks between meals (live runs only).
const THINK: Duration = Duration::from_millis(1);

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 05a: five dining philosophers");
    let meals = cli.number("--meals", "N", "meals each philosopher eats", 2, 1..=1000);
    let flags = cli.parse();
    let meals = flags[meals];

    // Fork i lies between philosopher i and philosopher i + 1 (and fork 4 between marx and plato).
    let forks: Vec<Mutex<()>> = (0..PHILOSOPHERS.len()).map(|_| Mutex::new(())).collect();
    let run = Run::new(PROGRAM, &flags, &PHILOSOPHERS);
    run.print_live_header();
    thread::scope(|scope| {
        for (seat, name) in PHILOSOPHERS.iter().enumerate() {
            let (run, forks) = (&run, &forks);
            scope.spawn(move || {
                run.actor(name, |me| {
                    let left = seat;
                    let right = (seat + 1) % PHILOSOPHERS.len();
                    for meal in 1..=meals {
                        me.sleep(THINK);
                        dine(me, forks, left, right, meal);
                    }
                })
            });
        }
    });
    match run.finish() {
        Outcome::Finished => println!("dinner is over: every philosopher ate {meals} meal(s)"),
        _ => println!("dinner never ended"),
    }
}

/// Picks up fork `first`, then fork `second`, eats meal `meal`, and puts both forks down.
fn dine(me: &Actor<'_>, forks: &[Mutex<()>], first: usize, second: usize, meal: u64) {
    let first_fork = me.lock(&format!("pick up fork {first}"), &forks[first]);
    let second_fork = me.lock(&format!("pick up fork {second}"), &forks[second]);
    me.step("eat", || meal);
    me.action(&format!("put down fork {second}"), || drop(second_fork));
    me.action(&format!("put down fork {first}"), || drop(first_fork));
}
