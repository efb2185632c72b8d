//! Exercise 05b, transfers in any direction.
//!
//! Task: three accounts, `Mutex<i64>`s named "A", "B" and "C", start with 100 each. Four teller
//! threads work at once, each repeating its transfer `--rounds` times (1 unless told otherwise):
//! A->B moves 10 from A to B, B->C moves 20, C->A moves 30, and B->B moves 5 from B to B
//! (people do pay themselves). As written, `transfer` locks the account it takes the money from
//! and then the one it pays into. That deadlocks in two ways: the three tellers of the ring can
//! each hold one account and wait for the next, and B->B waits for a lock it holds itself (a
//! `Mutex` cannot be locked twice). Rewrite `transfer` so that no mix of transfers can deadlock,
//! while every transfer still moves its money holding the locks of its accounts.
//!
//! Invariant: in every schedule and every live run, every transfer is made and the balances end
//! at A 100 + 20 x rounds, B and C 100 - 10 x rounds.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex05b -- --explore   (every schedule)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex05b -- --seed 0    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex05b -- --rounds 200  (live)
//! Check it: cargo run --bin workbook -- check 05b
#![forbid(unsafe_code)]

use workbook::sync::Mutex;
use workbook::{Cli, thread};

const PROGRAM: &str = "ex05b --manifest-path lessons/Cargo.toml";
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
    // TODO: tellers in a ring can each hold one account and wait for the next one; and when
    // `from == to` the second `lock` waits for a lock this thread already holds.
    let mut source = accounts[from].lock();
    let mut target = accounts[to].lock();
    *source -= amount;
    *target += amount;
}
