//! Wrong answer to 05b: never deadlocks, because it holds one lock at a time; but a transfer
//! no longer moves its money while holding both accounts.
#![forbid(unsafe_code)]

use workbook::sync::Mutex;
use workbook::{Cli, thread};

const PROGRAM: &str = "wrong05b_one_lock_at_a_time --manifest-path lessons/Cargo.toml";
const ACCOUNTS: [&str; 3] = ["A", "B", "C"];
/// The tellers: name (the trace column), from, to, amount.
const TELLERS: [(&str, usize, usize, i64); 4] = [
    ("A->B", 0, 1, 10),
    ("B->C", 1, 2, 20),
    ("C->A", 2, 0, 30),
    ("B->B", 1, 1, 5),
];

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 05b: transfers in any direction");
    cli.explorable();
    let rounds = cli.number(
        "--rounds",
        "N",
        "how many times each teller transfers",
        1,
        1..=1000,
    );
    let flags = cli.parse();
    let rounds = flags[rounds];
    let ran = workbook::run(&flags, || bank(rounds));
    if let Some(balances) = ran.value {
        println!(
            "balances: A {}, B {}, C {}",
            balances[0], balances[1], balances[2]
        );
    }
}

/// Every teller makes its transfer `rounds` times; returns the balances of A, B and C.
fn bank(rounds: u64) -> Vec<i64> {
    let accounts: Vec<Mutex<i64>> = ACCOUNTS
        .iter()
        .map(|name| Mutex::new(100).named(name))
        .collect();
    let accounts = &accounts;
    thread::scope(|scope| {
        for (name, from, to, amount) in TELLERS {
            thread::Builder::new()
                .name(name.to_string())
                .spawn_scoped(scope, move || {
                    for _ in 0..rounds {
                        transfer(accounts, from, to, amount);
                    }
                })
                .expect("the thread starts");
        }
    });
    accounts.iter().map(|account| *account.lock()).collect()
}

/// Moves `amount` from `from` to `to`, one account at a time: it never deadlocks, and the
/// balances end right, but between the two locks the money is in neither account.
fn transfer(accounts: &[Mutex<i64>], from: usize, to: usize, amount: i64) {
    *accounts[from].lock() -= amount;
    *accounts[to].lock() += amount;
}
