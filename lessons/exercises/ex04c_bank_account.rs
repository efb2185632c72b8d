//! Exercise 04c, check the balance, then withdraw. A bank account holds 100 and every customer
//! thread (`--customers`, 3 unless told otherwise) wants to withdraw 60. Each customer first
//! checks that the balance is at least 60, then withdraws. Every access takes the account's
//! lock, so there is no data race; but the lock is released between the check and the
//! withdrawal, and in some replays two customers both see 100, both withdraw, and the balance
//! ends at -20. Fix it so that in every replay and every live run the balance never goes below
//! zero and exactly one customer gets the money (the others are refused). Keep the `check`
//! and `withdraw` steps; hold the lock from before the check until after the withdrawal.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use parking_lot::Mutex;
use workbook::{Cli, Run};

const PROGRAM: &str = "ex04c --manifest-path lessons/Cargo.toml";
const NAMES: [&str; 9] = [
    "ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal", "ivy",
];
/// What the account holds at the start.
const START: i64 = 100;
/// What every customer wants to withdraw.
const AMOUNT: i64 = 60;

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 04c: check the balance, then withdraw");
    let customers = cli.number("--customers", "N", "customers withdrawing", 3, 2..=9);
    let flags = cli.parse();
    let names = &NAMES[..flags[customers] as usize];

    let balance = Mutex::new(START);
    let withdrawals = AtomicU64::new(0);
    let run = Run::new(PROGRAM, &flags, names);
    run.print_live_header();
    thread::scope(|scope| {
        for &name in names {
            let (run, balance, withdrawals) = (&run, &balance, &withdrawals);
            scope.spawn(move || {
                run.actor(name, |me| {
                    // Each step locks the account, and lets go of it at the end of the step.
                    let seen = me.step("check", || *balance.lock());
                    // TODO: another customer can withdraw between the check and the withdrawal.
                    if seen >= AMOUNT {
                        me.step("withdraw", || {
                            let mut account = balance.lock();
                            *account -= AMOUNT;
                            withdrawals.fetch_add(1, Ordering::Relaxed);
                            *account
                        });
                    } else {
                        me.action("refused", || ());
                    }
                })
            });
        }
    });
    run.finish();
    let balance = *balance.lock();
    let withdrawals = withdrawals.load(Ordering::Relaxed);
    println!(
        "final balance {}, withdrawals {}",
        flags.mode.reveal(balance),
        flags.mode.reveal(withdrawals)
    );
}
