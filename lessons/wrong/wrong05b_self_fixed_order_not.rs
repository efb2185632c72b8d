//! Wrong answer to 05b: a transfer to the same account locks it once, but two accounts are
//! still locked in the order the money goes.
#![forbid(unsafe_code)]

use workbook::sync::Mutex;
use workbook::{Cli, thread};

const PROGRAM: &str = "wrong05b_self_fixed_order_not --manifest-path lessons/Cargo.toml";
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

/// Moves `amount` from account `from` to account `to`, holding both accounts' locks.
fn transfer(accounts: &[Mutex<i64>], from: usize, to: usize, amount: i64) {
    if from == to {
        let _account = accounts[from].lock();
        return;
    }
    // Still from, then to: the ring of tellers can deadlock.
    let mut source = accounts[from].lock();
    let mut target = accounts[to].lock();
    *source -= amount;
    *target += amount;
}
