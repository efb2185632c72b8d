//! Wrong answer to 04c: one thread (main) serves every customer.
#![forbid(unsafe_code)]

use workbook::Cli;
use workbook::sync::{AtomicU64, Mutex, Ordering};

const PROGRAM: &str = "wrong04c_one_thread --manifest-path lessons/Cargo.toml";
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
    // Main serves every customer in turn.
    for _ in &NAMES[..customers] {
        let mut balance = account.lock();
        if *balance >= AMOUNT {
            *balance -= AMOUNT;
            withdrawals.fetch_add(1, Ordering::Relaxed);
        }
    }
    (account.into_inner(), withdrawals.load(Ordering::Relaxed))
}
