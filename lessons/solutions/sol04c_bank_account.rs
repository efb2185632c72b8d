//! Exercise 04c, check the balance, then withdraw.
//!
//! Task: a bank account, a `Mutex<i64>` named "account", holds 100, and `--customers` customer
//! threads (3 unless told otherwise) each want to withdraw 60. A customer checks that the
//! balance is at least 60, then withdraws. Every access takes the lock, so there is no data
//! race; but the lock is let go between the check and the withdrawal, so two customers can both
//! see 100 and both withdraw. Make the check and the withdrawal one critical section: take the
//! account's lock once per customer, before the check, and hold it until after the withdrawal.
//!
//! Invariant: in every schedule and every live run the balance never goes below zero, exactly
//! one customer gets the money, and the program returns (final balance, withdrawals) = (40, 1).
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex04c -- --explore   (every schedule)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex04c -- --seed 3    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex04c                (live)
//! Check it: cargo run --bin workbook -- check 04c
#![forbid(unsafe_code)]

use workbook::Cli;
use workbook::sync::{AtomicU64, Mutex, Ordering};
use workbook::thread;

const PROGRAM: &str = "sol04c --manifest-path lessons/Cargo.toml";
const NAMES: [&str; 9] = [
    "ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal", "ivy",
];
/// What the account holds at the start.
const START: i64 = 100;
/// What every customer wants to withdraw.
const AMOUNT: i64 = 60;

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 04c: check the balance, then withdraw");
    cli.explorable();
    let customers = cli.number("--customers", "N", "customers withdrawing", 3, 2..=9);
    let flags = cli.parse();
    let customers = flags[customers] as usize;
    let ran = workbook::run(&flags, || bank(customers));
    if let Some((balance, withdrawals)) = ran.value {
        println!("final balance {balance}, withdrawals {withdrawals}");
    }
}

/// Every customer tries to withdraw `AMOUNT` once; returns (final balance, withdrawals made).
fn bank(customers: usize) -> (i64, u64) {
    let account = Mutex::new(START).named("account");
    let withdrawals = AtomicU64::new(0).named("withdrawals");
    thread::scope(|scope| {
        for name in &NAMES[..customers] {
            thread::Builder::new()
                .name(name.to_string())
                .spawn_scoped(scope, || {
                    // One guard from the check until after the withdrawal: nobody can change
                    // the balance in between.
                    let mut balance = account.lock();
                    if *balance >= AMOUNT {
                        *balance -= AMOUNT;
                        withdrawals.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .expect("the thread starts");
        }
    });
    (account.into_inner(), withdrawals.load(Ordering::Relaxed))
}
