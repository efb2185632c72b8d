//! Exercises of lesson 1 (even/odd printers): three printers taking strict turns with a Mutex
//! and a Condvar (01a), and printers that stop early when a shared flag is raised (01b).
//!
//! Each check judges what the toolkit saw the student's own program do (see [`super::judge`]):
//! every schedule at a small size, seeded replays at a larger one (which thread printed which
//! number, who raised and who read the flag), the same replays with sleeps of any length, and
//! live runs several at once.

use std::time::Duration;

use super::judge::{self, Record};
use super::{Exercise, Failure, Program};

/// A check's limit per run: longer than the toolkit's stall timer
/// ([`workbook::scheduler::STALL_TIMEOUT`]), so a stuck replay reports its own diagnosis first, and
/// long enough for an explorer's few hundred schedules on a machine busy with other checks.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..6;

/// The printers of 01a, by column order: printer k prints the numbers that leave k when
/// divided by 3.
const PRINTERS: [&str; 3] = ["printer0", "printer1", "printer2"];

/// The exercises of lesson 1.
pub fn exercises() -> Vec<Exercise> {
    vec![
        Exercise {
            id: "01a",
            title: "three printers taking turns",
            starter: "ex01a_three_printers.rs",
            solution: "sol01a_three_printers.rs",
            hints: [
                "Each printer has to wait until the number it wants to print is the next one due, \
                 and it must not spin or nap while it waits: it sleeps until another printer \
                 tells it that the turn has moved. Run `--explore --up-to 3` to see the orders \
                 your printers can take.",
                "Add `let turn_passed = Condvar::new().named(\"turn passed\");` next to the Mutex \
                 `printed`. With the guard in hand, `turn_passed.wait_while(&mut printed, \
                 |printed| printed.len() as u64 != n)` lets the lock go while it sleeps and \
                 takes it back before it returns. After pushing n, wake the waiters.",
                "In the loop: `let mut printed = printed.lock(); turn_passed.wait_while(&mut \
                 printed, |printed| printed.len() as u64 != n); say!(...); printed.push(n); \
                 turn_passed.notify_all();`. Why `notify_all` and not `notify_one`, with three \
                 printers?",
            ],
            timeout: TIMEOUT,
            check: check_three_printers,
        },
        Exercise {
            id: "01b",
            title: "stop the printers early",
            starter: "ex01b_stop_early.rs",
            solution: "sol01b_stop_early.rs",
            hints: [
                "Nobody can stop a thread from the outside: a printer has to look at the flag \
                 itself, before each number it prints, and leave its loop when the flag is up. \
                 Guessing when the boss will raise it (counting numbers, timing naps) is not \
                 looking.",
                "Give each printer a reference to `stop` (`let stop = &stop;` before the `move` \
                 closure) and read it with `stop.load(Ordering::Relaxed)`; `break` out of the \
                 `for` loop when it is true.",
                "At the top of the printer's loop: `if stop.load(Ordering::Relaxed) { break; }`. \
                 The boss's `stop.store(true, Ordering::Relaxed)` stays as it is.",
            ],
            timeout: TIMEOUT,
            check: check_stop_early,
        },
    ]
}

/// The numbers printed, `print N` rows, with the thread that printed each.
fn prints(record: &Record) -> Result<Vec<(String, u64)>, String> {
    record
        .actions()
        .into_iter()
        .filter_map(|row| {
            let value = row.action.strip_prefix("print ")?.to_string();
            Some(match value.parse() {
                Ok(number) => Ok((row.thread, number)),
                Err(_) => Err(format!(
                    "{} printed `print {value}`, which is not a number",
                    row.thread
                )),
            })
        })
        .collect()
}

/// 01a's outcome (the numbers in the order printed) must be 0 to `up_to` in order.
fn printed_in_order(outcome: &str, up_to: u64) -> Result<(), String> {
    let expected = format!("{:?}", (0..=up_to).collect::<Vec<u64>>());
    if outcome == expected {
        return Ok(());
    }
    if outcome.starts_with("DEADLOCK") {
        return Err(format!(
            "the printers got stuck: {outcome}. A printer woken when its number was not due \
             went back to waiting, and nobody was left to wake the one that was due"
        ));
    }
    let numbers: Option<Vec<u64>> = outcome
        .trim_matches(|c| c == '[' || c == ']')
        .split(", ")
        .map(|number| number.parse().ok())
        .collect();
    match numbers {
        Some(mut numbers) => {
            let order = format!("{numbers:?}");
            numbers.sort_unstable();
            if format!("{numbers:?}") == expected {
                Err(format!(
                    "the numbers came out as {order}, not 0 to {up_to} in order: the printers \
                     did not take turns"
                ))
            } else {
                Err(format!(
                    "the numbers printed were {order}: expected each of 0 to {up_to} once, in \
                     order"
                ))
            }
        }
        None => Err(format!(
            "the run ended with `{outcome}`: expected the numbers 0 to {up_to} in order"
        )),
    }
}

/// 01a: every schedule of --up-to 3 (also with sleeps of any length) prints 0 to 3 in order;
/// seeded replays of --up-to 11 have the three printers, each printing its own numbers, in
/// order, waiting on a Condvar rather than napping; 2 live runs at once of --up-to 60 print 0
/// to 60 in order.
fn check_three_printers(program: &Program) -> Result<(), Failure> {
    let invariant = "the numbers are printed as 0, 1, 2, ..., N, each by its own printer";
    let small = ["--up-to", "3"];
    let bound = ["--preemptions", "20"];
    judge::every_schedule(program, &small, &bound, invariant, |outcome| {
        printed_in_order(outcome, 3)
    })?;
    // With sleeps of any length, a program that times its printers with naps has many more
    // schedules; the cap keeps the check short (the solution has 358, all run).
    let capped = ["--preemptions", "20", "--max-schedules", "400"];
    judge::every_schedule_with_any_delay(program, &small, &capped, invariant, |outcome| {
        printed_in_order(outcome, 3)
    })?;
    judge::seeded_replays(program, &["--up-to", "11"], SEEDS, invariant, |record| {
        judge::finished(record)?;
        judge::thread_count(record, 3)?;
        let printed = prints(record)?;
        for (at, (thread, number)) in printed.iter().enumerate() {
            let own = &PRINTERS[(number % 3) as usize];
            if thread != own {
                return Err(format!(
                    "{thread} printed {number}, which is {own}'s: each printer prints its own \
                     numbers"
                ));
            }
            if *number != at as u64 {
                let order: Vec<String> = printed.iter().map(|(_, n)| n.to_string()).collect();
                return Err(format!(
                    "the numbers came out as {}: {number} was printed where {at} was due, so \
                     the printers did not take turns",
                    order.join(", ")
                ));
            }
        }
        if printed.len() != 12 {
            return Err(format!(
                "{} numbers were printed: expected 0 to 11, twelve of them",
                printed.len()
            ));
        }
        for printer in PRINTERS {
            let actions = record.actions_of(printer);
            if let Some(nap) = actions.iter().find(|action| action.starts_with("sleep")) {
                return Err(format!(
                    "{printer} did `{nap}`: a nap is not a turn. A printer waits on the \
                     Condvar until its number is due"
                ));
            }
        }
        let waited = record
            .actions()
            .iter()
            .any(|row| row.action.starts_with("wait on "));
        if !waited {
            return Err(
                "no printer ever waited on a Condvar: a printer whose number is not due yet \
                 must wait (`Condvar::wait_while`) until another printer hands the turn on"
                    .to_string(),
            );
        }
        printed_in_order(&record.outcome(), 11)
    })?;
    judge::live_runs(program, &["--up-to", "60"], 2, |record| {
        judge::finished(record)?;
        printed_in_order(&record.outcome(), 60)
    })
}

/// 01b's rule on one replay of --up-to `up_to`: after the boss's `stop.store(true)`, each
/// printer prints at most one more number and stops after reading the flag up; a printer that
/// stops before its last number must have read the flag up; each prints its own numbers.
fn stopped_on_the_flag(record: &Record, up_to: u64) -> Result<(), String> {
    judge::finished(record)?;
    judge::thread_count(record, 3)?;
    let rows = record.actions();
    for name in ["even", "odd", "boss"] {
        if !rows.iter().any(|row| row.thread == name) {
            return Err(format!(
                "the threads should be even, odd and boss; this run had {}",
                record.threads()[1..].join(", ")
            ));
        }
    }
    let Some(raised) = rows
        .iter()
        .position(|row| row.thread == "boss" && row.action == "stop.store(true)")
    else {
        return Err(
            "the boss never raised the flag: keep its `stop.store(true, Ordering::Relaxed)`"
                .to_string(),
        );
    };
    for (name, first) in [("even", 0), ("odd", 1)] {
        let mut before = Vec::new();
        let mut after = Vec::new();
        let mut saw_flag = false;
        for (at, row) in rows.iter().enumerate() {
            if row.thread != name {
                continue;
            }
            if row.action == "stop.load() -> true" {
                saw_flag = true;
            }
            if let Some(value) = row.action.strip_prefix("print ") {
                let number: u64 = value
                    .parse()
                    .map_err(|_| format!("{name} printed `print {value}`, not a number"))?;
                if saw_flag {
                    return Err(format!(
                        "the {name} printer read the flag up and still printed {number}: it \
                         should stop as soon as it sees the flag"
                    ));
                }
                if at < raised { &mut before } else { &mut after }.push(number);
            }
        }
        if after.len() > 1 {
            return Err(format!(
                "the boss raised the flag, and the {name} printer still printed {} numbers \
                 after it ({}): it should print at most one more, the one it was already on, \
                 and then stop",
                after.len(),
                list(&after)
            ));
        }
        let all: Vec<u64> = before.iter().chain(&after).copied().collect();
        let own: Vec<u64> = (first..=up_to).step_by(2).take(all.len()).collect();
        if all != own {
            return Err(format!(
                "the {name} printer printed {}: expected its own numbers {}",
                list(&all),
                list(&own)
            ));
        }
        let last_own = (first..=up_to).step_by(2).last().unwrap_or(first);
        if all.last() != Some(&last_own) && !saw_flag {
            return Err(format!(
                "the {name} printer stopped after {} without reading the flag up (no \
                 `stop.load() -> true` in its column): it must keep printing until it sees \
                 the flag raised, and stop because it saw it",
                all.last()
                    .map_or("printing nothing".to_string(), u64::to_string)
            ));
        }
    }
    Ok(())
}

/// 01b: every schedule of --up-to 30 (1 preemption) stops before printing all 31 numbers;
/// seeded replays of --up-to 200, with exact naps and with naps of any length, follow
/// [`stopped_on_the_flag`]; 2 live runs at once of --up-to 1000000 end well before the last
/// number.
fn check_stop_early(program: &Program) -> Result<(), Failure> {
    let invariant = "once the boss has raised the flag, each printer prints at most one more \
                     number and stops because it saw the flag; before that, no printer stops";
    let stopped_early = |outcome: &str, all: u64| match outcome.parse::<u64>() {
        Ok(printed) if printed < all => Ok(()),
        Ok(printed) => Err(format!(
            "the printers printed {printed} of {all} numbers: they did not stop when the boss \
             raised the flag"
        )),
        Err(_) => Err(format!(
            "the run ended with `{outcome}`: expected how many numbers were printed"
        )),
    };
    judge::every_schedule(
        program,
        &["--up-to", "30"],
        &["--preemptions", "1"],
        invariant,
        |outcome| stopped_early(outcome, 31),
    )?;
    let large = ["--up-to", "200"];
    judge::seeded_replays(program, &large, SEEDS, invariant, |record| {
        stopped_on_the_flag(record, 200)
    })?;
    judge::seeded_replays_with_any_delay(program, &large, SEEDS, invariant, |record| {
        stopped_on_the_flag(record, 200)
    })?;
    judge::live_runs(program, &["--up-to", "1000000"], 2, |record| {
        judge::finished(record)?;
        stopped_early(&record.outcome(), 1_000_001)
    })
}

/// `0, 2, 4` (at most 10 numbers, then `...`).
fn list(numbers: &[u64]) -> String {
    let mut text: Vec<String> = numbers.iter().take(10).map(u64::to_string).collect();
    if numbers.len() > 10 {
        text.push("...".to_string());
    }
    if text.is_empty() {
        return "nothing".to_string();
    }
    text.join(", ")
}
