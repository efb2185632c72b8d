//! Wrong answer to 04c: the check and the withdrawal still take the lock separately; sleeps of
//! different lengths keep the customers apart, so every replay and nearly every live run ends
//! right, but nothing makes it so.
#![forbid(unsafe_code)]

use std::time::Duration;

use workbook::Cli;
use workbook::sync::{AtomicU64, Mutex, Ordering};
use workbook::thread;

const PROGRAM: &str = "wrong04c_two_locks_staggered --manifest-path lessons/Cargo.toml";
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
        for (turn, name) in NAMES[..customers].iter().enumerate() {
            let (account, withdrawals) = (&account, &withdrawals);
            thread::Builder::new()
                .name(name.to_string())
                .spawn_scoped(scope, move || {
                    // Customers take turns by the clock: each waits 10 ms longer than the last.
                    thread::sleep(Duration::from_millis(10 * turn as u64));
                    let seen = *account.lock();
                    if seen >= AMOUNT {
                        *account.lock() -= AMOUNT;
                        withdrawals.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .expect("the thread starts");
        }
    });
    (account.into_inner(), withdrawals.load(Ordering::Relaxed))
}
