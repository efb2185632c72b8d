//! Wrong answer to 05b: one thread (main) makes every transfer.
#![forbid(unsafe_code)]

use workbook::Cli;
use workbook::sync::Mutex;

const PROGRAM: &str = "wrong05b_one_thread --manifest-path lessons/Cargo.toml";
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
    // Main makes every teller's transfers, one teller after another.
    for (_, from, to, amount) in TELLERS {
        for _ in 0..rounds {
            transfer(accounts, from, to, amount);
        }
    }
    accounts.iter().map(|account| *account.lock()).collect()
}

/// Moves `amount` from account `from` to account `to`, holding both accounts' locks. Two rules
/// make it deadlock-free: a transfer to the same account locks it once, and two different
/// accounts are always locked in one global order, the lower-numbered first, whichever way the
/// money goes.
fn transfer(accounts: &[Mutex<i64>], from: usize, to: usize, amount: i64) {
    if from == to {
        // Paying yourself: one account, one lock. The balance does not change.
        let mut account = accounts[from].lock();
        *account -= amount;
        *account += amount;
        return;
    }
    let (first, second) = (from.min(to), from.max(to));
    let mut first_guard = accounts[first].lock();
    let mut second_guard = accounts[second].lock();
    let (source, target) = if from == first {
        (&mut *first_guard, &mut *second_guard)
    } else {
        (&mut *second_guard, &mut *first_guard)
    };
    *source -= amount;
    *target += amount;
}
