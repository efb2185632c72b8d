//! Exercises of lesson 4 (the shared counter): the lost-update counter fixed with a Mutex (04a)
//! and with one atomic operation (04b), and a bank account's check-then-withdraw race (04c).
//!
//! Each check judges what the toolkit saw the student's own program do (see [`super::judge`]):
//! every schedule at a small size, seeded replays at a larger one (which thread did which
//! operation on which named object, how many threads ran), and live runs several at once.

use std::time::Duration;

use super::judge::{self, Record};
use super::{Exercise, Failure, Program};

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..6;

/// A check's limit per run: longer than the toolkit's stall timer
/// ([`workbook::scheduler::STALL_TIMEOUT`]), so a stuck replay reports its own diagnosis first.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The exercises of lesson 4.
pub fn exercises() -> Vec<Exercise> {
    vec![
        Exercise {
            id: "04a",
            title: "lost updates, fixed with a Mutex",
            starter: "ex04a_mutex_counter.rs",
            solution: "sol04a_mutex_counter.rs",
            hints: [
                "An update is lost when another thread stores between your load and your store. \
                 The load, the addition and the store must happen while no other thread can \
                 touch the counter at all. Run `--explore` to see every way it goes wrong.",
                "Make the counter a `workbook::sync::Mutex<u64>`: \
                 `let counter = Mutex::new(0_u64).named(\"counter\");`. `counter.lock()` returns \
                 a guard; while it lives, no other thread gets the lock. Return \
                 `counter.into_inner()` at the end.",
                "Inside the loop, one line: `*counter.lock() += 1;`. The guard is a temporary, \
                 dropped (the lock let go) at the end of that statement.",
            ],
            timeout: TIMEOUT,
            check: check_mutex_counter,
        },
        Exercise {
            id: "04b",
            title: "lost updates, fixed with fetch_add",
            starter: "ex04b_atomic_counter.rs",
            solution: "sol04b_atomic_counter.rs",
            hints: [
                "A load and a store are two operations, and another thread can store in the gap \
                 between them. The atomic types have operations that read, change and write \
                 back in one go.",
                "`AtomicU64::fetch_add(1, Ordering::Relaxed)` adds 1 indivisibly and returns \
                 the value from before the addition. `Relaxed` is enough: the counter orders \
                 nothing else.",
                "Replace the `load` and the `store` in the loop by one line: \
                 `counter.fetch_add(1, Ordering::Relaxed);`",
            ],
            timeout: TIMEOUT,
            check: check_atomic_counter,
        },
        Exercise {
            id: "04c",
            title: "check the balance, then withdraw",
            starter: "ex04c_bank_account.rs",
            solution: "sol04c_bank_account.rs",
            hints: [
                "Each `account.lock()` in the starter is a guard that is dropped at the end of \
                 its statement, so between the check and the withdrawal another customer can \
                 withdraw. What the check saw is stale by the time the withdrawal happens.",
                "Keep one guard in a variable: `let mut balance = account.lock();`, then use \
                 `*balance` for both the check and the withdrawal. The lock is let go when \
                 `balance` goes out of scope, after the withdrawal.",
                "`let mut balance = account.lock(); if *balance >= AMOUNT { *balance -= AMOUNT; \
                 withdrawals.fetch_add(1, Ordering::Relaxed); }`",
            ],
            timeout: TIMEOUT,
            check: check_bank_account,
        },
    ]
}

/// The final count must be threads x increments.
fn exact_count(outcome: &str, expected: u64) -> Result<(), String> {
    match outcome.parse::<u64>() {
        Ok(count) if count == expected => Ok(()),
        Ok(count) if count < expected => Err(format!(
            "the final count was {count}, expected {expected}: {} update{} lost",
            expected - count,
            if expected - count == 1 {
                " was"
            } else {
                "s were"
            }
        )),
        Ok(count) => Err(format!(
            "the final count was {count}, expected {expected}: more than every thread added"
        )),
        Err(_) => Err(format!(
            "the run ended with `{outcome}`, not a count: expected {expected}"
        )),
    }
}

/// The rows of `thread` that touch the object called `name` (`lock counter`,
/// `counter.fetch_add(1) -> 0`, `unlock counter (3)`, ...).
fn on_object(record: &Record, thread: &str, name: &str) -> Vec<String> {
    record
        .actions_of(thread)
        .into_iter()
        .filter(|action| {
            action.strip_prefix("lock ") == Some(name)
                || action.starts_with(&format!("unlock {name} ("))
                || action.starts_with(&format!("{name}."))
        })
        .collect()
}

/// 04a and 04b: every schedule of 2 threads x 2 increments ends at 4; seeded replays of 3 x 3
/// end at 9 with 3 threads, each doing its increments the way `each` asks; 2 live runs at once
/// of 4 x 20000 end at 80000.
fn check_counter(
    program: &Program,
    each: impl Fn(&Record, &str, u64) -> Result<(), String>,
) -> Result<(), Failure> {
    let invariant = "the final count is threads x increments (no update is lost)";
    judge::every_schedule(
        program,
        &["--threads", "2", "--increments", "2"],
        &["--preemptions", "10"],
        invariant,
        |outcome| exact_count(outcome, 4),
    )?;
    judge::seeded_replays(
        program,
        &["--threads", "3", "--increments", "3"],
        SEEDS,
        invariant,
        |record| {
            judge::finished(record)?;
            judge::thread_count(record, 3)?;
            for thread in &record.threads()[1..] {
                each(record, thread, 3)?;
            }
            exact_count(&record.outcome(), 9)
        },
    )?;
    judge::live_runs(
        program,
        &["--threads", "4", "--increments", "20000"],
        2,
        |record| {
            judge::finished(record)?;
            exact_count(&record.outcome(), 80_000)
        },
    )
}

/// 04a: exact counts, and every thread takes the lock of the Mutex named "counter" for its
/// increments, and touches the counter no other way.
fn check_mutex_counter(program: &Program) -> Result<(), Failure> {
    check_counter(program, |record, thread, increments| {
        // The final value of the named object: the count must live inside the Mutex.
        let threads = record.threads().len() as u64 - 1;
        let last = record.actions().into_iter().rev().find_map(|row| {
            row.action
                .strip_prefix("unlock counter (")
                .and_then(|rest| rest.strip_suffix(')'))
                .map(str::to_string)
        });
        if let Some(value) = last {
            if value != (threads * increments).to_string() {
                return Err(format!(
                    "the Mutex named \"counter\" ended at {value}, but {} increments were \
                     asked for: the count must live inside the Mutex, changed only through \
                     its guard",
                    threads * increments
                ));
            }
        }
        let touches = on_object(record, thread, "counter");
        let locks = touches
            .iter()
            .filter(|action| action.as_str() == "lock counter")
            .count();
        if locks == 0 {
            return Err(format!(
                "thread {thread} never locked the Mutex named \"counter\": this exercise asks \
                 for a Mutex (`Mutex::new(0_u64).named(\"counter\")`), locked for each \
                 increment (04b is the one without a lock)"
            ));
        }
        if let Some(other) = touches.iter().find(|action| action.starts_with("counter.")) {
            return Err(format!(
                "thread {thread} did `{other}`: the counter is to be a Mutex, read and written \
                 only through its guard"
            ));
        }
        Ok(())
    })
}

/// 04b: exact counts, and each increment is exactly one `fetch_add` on the atomic named
/// "counter" (no lock, no load/store pair).
fn check_atomic_counter(program: &Program) -> Result<(), Failure> {
    check_counter(program, |record, thread, increments| {
        let touches = on_object(record, thread, "counter");
        let adds = touches
            .iter()
            .filter(|action| action.starts_with("counter.fetch_add(1)"))
            .count();
        let others: Vec<&String> = touches
            .iter()
            .filter(|action| !action.starts_with("counter.fetch_add(1)"))
            .collect();
        if !others.is_empty() || adds as u64 != increments {
            let done: Vec<&str> = touches.iter().map(String::as_str).collect();
            return Err(format!(
                "thread {thread} did {} for {increments} increments: each increment should be \
                 one indivisible `fetch_add(1, ..)` on the atomic named \"counter\", without a \
                 lock and without a separate load and store",
                if done.is_empty() {
                    "nothing on the counter".to_string()
                } else {
                    done.join(", ")
                }
            ));
        }
        Ok(())
    })
}

/// The account must end at 40 after exactly one withdrawal.
fn account_ends_right(outcome: &str) -> Result<(), String> {
    if outcome == "(40, 1)" {
        return Ok(());
    }
    let numbers: Vec<i64> = outcome
        .split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .filter_map(|word| word.parse().ok())
        .collect();
    match numbers[..] {
        [balance, withdrawals] => Err(format!(
            "the account ended with balance {balance} after {withdrawals} withdrawals of 60: \
             100 is enough for one customer only, so expected balance 40 after exactly 1"
        )),
        _ => Err(format!(
            "the run ended with `{outcome}`: expected (final balance, withdrawals) = (40, 1)"
        )),
    }
}

/// 04c: every schedule of 2 customers and seeded replays of 4 end at (40, 1); each customer is
/// its own thread and takes the account's lock exactly once; 2 live runs of 9 customers at
/// once end at (40, 1).
fn check_bank_account(program: &Program) -> Result<(), Failure> {
    let invariant = "the balance never goes below zero: exactly one customer withdraws, and \
                     the account ends at (40, 1)";
    judge::every_schedule(
        program,
        &["--customers", "2"],
        &["--preemptions", "10"],
        invariant,
        account_ends_right,
    )?;
    judge::seeded_replays(program, &["--customers", "4"], SEEDS, invariant, |record| {
        judge::finished(record)?;
        judge::thread_count(record, 4)?;
        for customer in &record.threads()[1..] {
            let locks = record
                .actions_of(customer)
                .iter()
                .filter(|action| action.as_str() == "lock account")
                .count();
            if locks != 1 {
                return Err(format!(
                    "customer {customer} took the lock of the Mutex named \"account\" {locks} \
                     times: the check and the withdrawal must be one critical section, under \
                     one lock taken once"
                ));
            }
        }
        account_ends_right(&record.outcome())
    })?;
    judge::live_runs(program, &["--customers", "9"], 2, |record| {
        judge::finished(record)?;
        account_ends_right(&record.outcome())
    })
}
