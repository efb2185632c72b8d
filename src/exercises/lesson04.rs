//! Exercises of lesson 4 (the shared counter): the lost-update counter fixed with a Mutex (04a)
//! and with one atomic operation (04b), and a bank account's check-then-withdraw race (04c).

use std::time::Duration;

use super::{Exercise, Failure, Program, Table, finished_table};

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..8;

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
                 touch the counter at all.",
                "Make the counter a `parking_lot::Mutex<u64>` instead of an `AtomicU64`. In each \
                 increment take the lock with `let mut count = me.lock(\"lock\", counter);`, \
                 change `*count` in a step, and let the guard go (`drop`) before the next \
                 increment. Print `*counter.lock()` at the end.",
                "Inside the loop: `let mut count = me.lock(\"lock\", counter); me.step(\"add\", \
                 || { *count += 1; *count }); me.action(\"unlock\", || drop(count));` with \
                 `let counter = Mutex::new(0_u64);` before the scope.",
            ],
            timeout: Duration::from_secs(5),
            check: check_mutex_counter,
        },
        Exercise {
            id: "04b",
            title: "lost updates, fixed with fetch_add",
            starter: "ex04b_atomic_counter.rs",
            solution: "sol04b_atomic_counter.rs",
            hints: [
                "Two steps leave a gap between them, and another thread can store in that gap. \
                 The atomic types have operations that read, change and write back in one go.",
                "`AtomicU64::fetch_add(1, Ordering::Relaxed)` adds 1 indivisibly and returns \
                 the value from before the addition. `Relaxed` is enough: the counter orders \
                 nothing else.",
                "Replace the `load` and `store` steps by one: `me.step(\"fetch_add\", || \
                 counter.fetch_add(1, Ordering::Relaxed) + 1);`",
            ],
            timeout: Duration::from_secs(5),
            check: check_atomic_counter,
        },
        Exercise {
            id: "04c",
            title: "check the balance, then withdraw",
            starter: "ex04c_bank_account.rs",
            solution: "sol04c_bank_account.rs",
            hints: [
                "Each step takes the lock and lets go of it at its end, so between the `check` \
                 and the `withdraw` another customer can withdraw. What the check saw is stale \
                 by the time the withdrawal happens.",
                "Take the lock once, before the check, with `let mut account = \
                 me.lock(\"lock\", balance);`, use `*account` in both the check and the \
                 withdrawal, and let it go after the withdrawal (or after `refused`).",
                "`let mut account = me.lock(\"lock\", balance); let seen = me.step(\"check\", || \
                 *account); if seen >= AMOUNT { me.step(\"withdraw\", || { *account -= AMOUNT; \
                 withdrawals.fetch_add(1, Ordering::Relaxed); *account }); } else { ... } \
                 me.action(\"unlock\", || drop(account));`",
            ],
            timeout: Duration::from_secs(5),
            check: check_bank_account,
        },
    ]
}

/// The whole numbers after `prefix` on the line that starts with it: `final count 6 of 6`
/// gives `[6, 6]` for the prefix `final count`.
fn numbers_after(out: &str, prefix: &str, run: &str) -> Result<Vec<i64>, Failure> {
    let Some(line) = out.lines().rev().find(|line| line.starts_with(prefix)) else {
        return Err(Failure::new(format!(
            "{run} your program did not print the line `{prefix} ...`: keep the last println!"
        )));
    };
    Ok(line[prefix.len()..]
        .split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .filter_map(|word| word.parse().ok())
        .collect())
}

/// The final count a counter exercise printed, checked against threads x increments.
fn exact_count(out: &str, expected: i64, run: &str) -> Result<(), Failure> {
    let numbers = numbers_after(out, "final count", run)?;
    let Some(&count) = numbers.first() else {
        return Err(Failure::new(format!(
            "{run} the line `final count ...` has no number"
        )));
    };
    if count != expected {
        return Err(Failure::new(format!(
            "{run} the final count was {count}, expected {expected}: {} updates were lost",
            expected - count
        )));
    }
    Ok(())
}

/// 04a and 04b: the count is exact in every replay and live; `each` checks one thread's steps.
fn check_counter(
    program: &Program,
    each: impl Fn(&Table, usize, &str) -> Result<(), Failure>,
) -> Result<(), Failure> {
    const THREADS: i64 = 3;
    const INCREMENTS: i64 = 3;
    for seed in SEEDS {
        let seed = seed.to_string();
        let args = ["--seed", &seed, "--threads", "3", "--increments", "3"];
        let out = program.run_ok(&args)?;
        let run = format!("with {}", args.join(" "));
        let table = finished_table(&out, &run)?;
        exact_count(&out, THREADS * INCREMENTS, &run)?;
        if table.actors.len() != THREADS as usize {
            return Err(Failure::expected(
                &format!("{run} the threads in the trace"),
                THREADS,
                table.actors.len(),
            ));
        }
        for thread in 0..table.actors.len() {
            each(&table, thread, &run)?;
        }
    }
    let args = ["--threads", "4", "--increments", "250"];
    let out = program.run_ok(&args)?;
    exact_count(
        &out,
        1000,
        &format!("in a live run with {}", args.join(" ")),
    )
}

/// 04a: exact counts, and every thread takes the lock (a `lock` step).
fn check_mutex_counter(program: &Program) -> Result<(), Failure> {
    check_counter(program, |table, thread, run| {
        let locks = table
            .steps
            .iter()
            .filter(|step| step.actor == thread && step.is("lock"))
            .count();
        if locks == 0 {
            return Err(Failure::new(format!(
                "{run} thread {} never took the lock: this exercise asks for a Mutex, taken \
                 with `me.lock(\"lock\", counter)` (04b is the one without a lock)",
                table.actors[thread]
            )));
        }
        Ok(())
    })
}

/// 04b: exact counts, and each increment is exactly one step (no lock, no load/store pair).
fn check_atomic_counter(program: &Program) -> Result<(), Failure> {
    check_counter(program, |table, thread, run| {
        let steps: Vec<&str> = table
            .steps
            .iter()
            .filter(|step| step.actor == thread)
            .map(|step| step.text.as_str())
            .collect();
        if steps.len() != 3 {
            return Err(Failure::new(format!(
                "{run} thread {} took {} steps ({}) for 3 increments: each increment should be \
                 one indivisible step, without a lock",
                table.actors[thread],
                steps.len(),
                steps.join(", ")
            )));
        }
        Ok(())
    })
}

/// 04c: in every replay the balance never goes below zero and exactly one customer gets the
/// money; every customer checks the balance.
fn check_bank_account(program: &Program) -> Result<(), Failure> {
    for seed in SEEDS {
        let seed = seed.to_string();
        let args = ["--seed", &seed, "--customers", "3"];
        let out = program.run_ok(&args)?;
        let run = format!("with {}", args.join(" "));
        let table = finished_table(&out, &run)?;
        for (customer, name) in table.actors.iter().enumerate() {
            if !table
                .steps
                .iter()
                .any(|step| step.actor == customer && step.is("check"))
            {
                return Err(Failure::new(format!(
                    "{run} {name} never took a `check` step: keep the check of the balance"
                )));
            }
        }
        if let Some(step) = table.steps.iter().find(|step| {
            step.value("withdraw")
                .and_then(|value| value.parse::<i64>().ok())
                .is_some_and(|balance| balance < 0)
        }) {
            return Err(Failure::new(format!(
                "{run} at step {} `{}` left the balance below zero: that customer's check saw \
                 a balance that had changed by the time it withdrew",
                step.number, step.text
            )));
        }
        account_ends_right(&out, &run)?;
    }
    let args = ["--customers", "9"];
    let out = program.run_ok(&args)?;
    account_ends_right(&out, &format!("in a live run with {}", args.join(" ")))
}

/// The last line says `final balance 40, withdrawals 1`.
fn account_ends_right(out: &str, run: &str) -> Result<(), Failure> {
    let numbers = numbers_after(out, "final balance", run)?;
    match numbers[..] {
        [40, 1] => Ok(()),
        [balance, withdrawals] => Err(Failure::new(format!(
            "{run} the account ended with balance {balance} after {withdrawals} withdrawals of \
             60: expected balance 40 after exactly 1 (100 is enough for one customer only)"
        ))),
        _ => Err(Failure::new(format!(
            "{run} expected a line `final balance B, withdrawals W`"
        ))),
    }
}
