//! Exercise 05b, transfers in any direction. Three accounts, A, B and C, start with 100 each.
//! Four tellers work at the same time, each repeating its transfer `--rounds` times (1 unless
//! you say otherwise): A->B moves 10 from A to B, B->C moves 20, C->A moves 30, and B->B moves 5
//! from B to B (people do pay themselves). As written, `transfer` locks the account it takes the
//! money from and then the one it pays into. That deadlocks in two ways: the three tellers in a
//! ring can each hold one account and wait for the next, and B->B waits for a lock it holds
//! itself (a `Mutex` cannot be locked twice). Rewrite `transfer` so that no mix of transfers can
//! ever deadlock, live or in any replay, and every transfer still moves its money while it holds
//! the locks of both its accounts. Keep the steps `lock X`, `move N` and `unlock X`: the check
//! reads them.
#![forbid(unsafe_code)]

use std::thread;

use parking_lot::Mutex;
use workbook::{Actor, Cli, Outcome, Run};

const PROGRAM: &str = "sol05b --manifest-path lessons/Cargo.toml";
const ACCOUNTS: [&str; 3] = ["A", "B", "C"];
/// The tellers: their names (the columns of the trace), and what each one moves: (from, to, amount).
const TELLERS: [&str; 4] = ["A->B", "B->C", "C->A", "B->B"];
const TRANSFERS: [(usize, usize, i64); 4] = [(0, 1, 10), (1, 2, 20), (2, 0, 30), (1, 1, 5)];

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 05b: transfers in any direction");
    let rounds = cli.number(
        "--rounds",
        "N",
        "how many times each teller transfers",
        1,
        1..=1000,
    );
    let flags = cli.parse();
    let rounds = flags[rounds];

    let accounts: Vec<Mutex<i64>> = ACCOUNTS.iter().map(|_| Mutex::new(100)).collect();
    let run = Run::new(PROGRAM, &flags, &TELLERS);
    run.print_live_header();
    thread::scope(|scope| {
        for (name, (from, to, amount)) in TELLERS.iter().zip(TRANSFERS) {
            let (run, accounts) = (&run, &accounts);
            scope.spawn(move || {
                run.actor(name, |me| {
                    for _ in 0..rounds {
                        transfer(me, accounts, from, to, amount);
                    }
                })
            });
        }
    });
    let outcome = run.finish();
    let balances: Vec<String> = ACCOUNTS
        .iter()
        .zip(&accounts)
        .map(|(name, balance)| format!("{name} {}", balance.lock()))
        .collect();
    println!("balances: {}", balances.join(", "));
    if outcome != Outcome::Finished {
        println!("(not every transfer was made)");
    }
}

/// Moves `amount` from account `from` to account `to`. Two rules make it deadlock-free: a
/// transfer to the same account locks it once, and two different accounts are always locked in
/// one global order, the lower-numbered first, whichever way the money goes.
fn transfer(me: &Actor<'_>, accounts: &[Mutex<i64>], from: usize, to: usize, amount: i64) {
    if from == to {
        // Paying yourself: one account, one lock. The balance does not change.
        let account = me.lock(&format!("lock {}", ACCOUNTS[from]), &accounts[from]);
        me.step(&format!("move {amount}"), || {
            format!("{} {}", ACCOUNTS[from], *account)
        });
        me.action(&format!("unlock {}", ACCOUNTS[from]), || drop(account));
        return;
    }
    let (first, second) = (from.min(to), from.max(to));
    let mut first_guard = me.lock(&format!("lock {}", ACCOUNTS[first]), &accounts[first]);
    let mut second_guard = me.lock(&format!("lock {}", ACCOUNTS[second]), &accounts[second]);
    let (source, target) = if from == first {
        (&mut *first_guard, &mut *second_guard)
    } else {
        (&mut *second_guard, &mut *first_guard)
    };
    me.step(&format!("move {amount}"), || {
        *source -= amount;
        *target += amount;
        format!(
            "{} {}, {} {}",
            ACCOUNTS[from], *source, ACCOUNTS[to], *target
        )
    });
    me.action(&format!("unlock {}", ACCOUNTS[second]), || {
        drop(second_guard)
    });
    me.action(&format!("unlock {}", ACCOUNTS[first]), || drop(first_guard));
}
