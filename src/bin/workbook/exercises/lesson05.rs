//! Exercises of lesson 5 (deadlock): dining philosophers who must never deadlock (05a), and
//! transfers between any two accounts, including an account and itself (05b).
//!
//! Each check judges what the toolkit saw the student's own program do (see [`super::judge`]):
//! the explorer over every schedule with at most two preemptions at a small size (a deadlock
//! is an outcome of its own, with who holds and who waits), once on the virtual clock and once
//! with sleeps that may last any time (threads kept apart only by sleeping meet there), seeded replays at the full size
//! (who locked which named lock, and what each thread did while holding it), and live runs,
//! several at once, where the toolkit's watchdog reports a deadlock instead of hanging.

use std::time::Duration;

use super::judge::{self, Record};
use super::{Exercise, Failure, Program};

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..12;

/// A check's limit per run: longer than the toolkit's stall timer
/// ([`workbook::scheduler::STALL_TIMEOUT`]), so a stuck replay reports its own diagnosis first.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The philosophers of 05a, in seat order: philosopher `i` uses forks `i` and `i + 1` (mod N).
const PHILOSOPHERS: [&str; 5] = ["plato", "kant", "hume", "locke", "marx"];

/// The tellers of 05b and their transfers: (name, from, to), accounts A, B, C.
const TELLERS: [(&str, &str, &str); 4] = [
    ("A->B", "A", "B"),
    ("B->C", "B", "C"),
    ("C->A", "C", "A"),
    ("B->B", "B", "B"),
];

/// The exercises of lesson 5.
pub fn exercises() -> Vec<Exercise> {
    vec![
        Exercise {
            id: "05a",
            title: "five dining philosophers",
            starter: "ex05a_dining_philosophers.rs",
            solution: "sol05a_dining_philosophers.rs",
            hints: [
                "A deadlock needs a cycle: here every philosopher holds the fork on their left and \
                 waits for the one on their right, all the way round the table. You do not need \
                 to change every philosopher: break the ring in one place.",
                "Lesson 5's fix gives the locks one global order: every thread takes the \
                 lower-numbered lock first. Which philosopher's left fork has a higher number \
                 than their right one?",
                "Replace `let (first, second) = (left, right);` by \
                 `let (first, second) = (left.min(right), left.max(right));`. Only the last \
                 philosopher changes: fork 0 before the last fork.",
            ],
            timeout: TIMEOUT,
            check: check_philosophers,
        },
        Exercise {
            id: "05b",
            title: "transfers in any direction",
            starter: "ex05b_any_direction.rs",
            solution: "sol05b_any_direction.rs",
            hints: [
                "There are two deadlocks. Run `--explore` and read who waits for what: B->B \
                 waits for a lock that it holds itself, and the three tellers of the ring can \
                 each hold one account and wait for the next.",
                "A `Mutex` cannot be locked twice, not even by the thread that holds it: when \
                 `from == to`, lock the account once. For two different accounts, use one global \
                 order, as in lesson 5: lock the lower-numbered account first, whichever way the \
                 money goes.",
                "Start `transfer` with `if from == to { let _account = accounts[from].lock(); \
                 return; }`, then `let (first, second) = (from.min(to), from.max(to));`, lock \
                 `first` then `second`, and pick `source` and `target` out of the two guards by \
                 comparing `from` with `first`.",
            ],
            timeout: TIMEOUT,
            check: check_any_direction,
        },
    ]
}

/// The lock a row takes (`lock fork 0`, `try_lock_for fork 0`, `try_lock fork 0: locked`) or
/// lets go (`unlock fork 0 (3)`): (name, taken).
fn lock_change(action: &str) -> Option<(&str, bool)> {
    if let Some(rest) = action.strip_prefix("unlock ") {
        let name = rest.rsplit_once(" (").map_or(rest, |(name, _)| name);
        return Some((name, false));
    }
    if let Some(rest) = action.strip_prefix("lock ") {
        return Some((rest, true));
    }
    if let Some(rest) = action.strip_prefix("try_lock_for ") {
        return (!rest.ends_with(": timed out")).then_some((rest, true));
    }
    if let Some(rest) = action.strip_prefix("try_lock ") {
        return rest.strip_suffix(": locked").map(|name| (name, true));
    }
    None
}

/// Follows who holds which lock through a replay; calls `each(thread, action, held by thread)`
/// for every row.
fn follow_locks(
    record: &Record,
    mut each: impl FnMut(&str, &str, &[String]) -> Result<(), String>,
) -> Result<(), String> {
    let mut held: Vec<(String, String)> = Vec::new();
    for row in record.actions() {
        if let Some((name, taken)) = lock_change(&row.action) {
            if taken {
                if let Some((_, holder)) = held.iter().find(|(lock, _)| lock == name) {
                    return Err(format!(
                        "{} took {name} while {holder} held it: is it still a `workbook::sync::Mutex`?",
                        row.thread
                    ));
                }
                held.push((name.to_string(), row.thread.clone()));
            } else {
                held.retain(|(lock, _)| lock != name);
            }
        }
        let mine: Vec<String> = held
            .iter()
            .filter(|(_, holder)| *holder == row.thread)
            .map(|(lock, _)| lock.clone())
            .collect();
        each(&row.thread, &row.action, &mine)?;
    }
    Ok(())
}

/// Every philosopher ate every meal: `[m, m, ...]`.
fn everyone_ate(outcome: &str, seats: usize, meals: u64) -> Result<(), String> {
    let expected = format!("[{}]", vec![meals.to_string(); seats].join(", "));
    if outcome == expected {
        return Ok(());
    }
    if outcome.starts_with("DEADLOCK") {
        return Err(format!("dinner never ended: {outcome}"));
    }
    Err(format!(
        "the meals eaten, in seat order, were {outcome}: expected {expected}"
    ))
}

/// 05a: no schedule of 3 philosophers (1 meal, at most 2 preemptions) deadlocks; in seeded
/// replays of 5 philosophers x 2 meals every philosopher is a thread of its own and eats each
/// meal holding exactly its own two forks; 2 live runs of 30 meals at once end.
fn check_philosophers(program: &Program) -> Result<(), Failure> {
    let invariant = "dinner ends: no schedule deadlocks, and every philosopher eats every meal \
                     holding both of their own forks";
    judge::every_schedule(
        program,
        &["--philosophers", "3", "--meals", "1"],
        &["--preemptions", "2"],
        invariant,
        |outcome| everyone_ate(outcome, 3, 1),
    )?;
    judge::every_schedule_with_any_delay(
        program,
        &["--philosophers", "3", "--meals", "1"],
        &["--preemptions", "2"],
        invariant,
        |outcome| everyone_ate(outcome, 3, 1),
    )?;
    judge::seeded_replays(program, &["--meals", "2"], SEEDS, invariant, |record| {
        judge::finished(record)?;
        judge::thread_count(record, 5)?;
        let mut meals = vec![0_u64; PHILOSOPHERS.len()];
        follow_locks(record, |thread, action, held| {
            let Some(seat) = PHILOSOPHERS.iter().position(|name| *name == thread) else {
                return Ok(());
            };
            let own = [
                format!("fork {seat}"),
                format!("fork {}", (seat + 1) % PHILOSOPHERS.len()),
            ];
            if let Some(fork) = held.iter().find(|fork| !own.contains(fork)) {
                return Err(format!(
                    "{thread} picked up {fork}, but {thread} sits between {} and {}",
                    own[0], own[1]
                ));
            }
            if action.starts_with("eat meal") {
                if let Some(fork) = own.iter().find(|fork| !held.contains(fork)) {
                    return Err(format!(
                        "{thread} said `{action}` without holding {fork}: a philosopher eats \
                         only with both forks in hand"
                    ));
                }
                meals[seat] += 1;
            }
            Ok(())
        })?;
        if let Some(seat) = meals.iter().position(|&eaten| eaten != 2) {
            return Err(format!(
                "{} said `eat meal ..` {} times for 2 meals: keep `say!(\"eat meal {{meal}}\")`, \
                 said once per meal while holding both forks",
                PHILOSOPHERS[seat], meals[seat]
            ));
        }
        everyone_ate(&record.outcome(), 5, 2)
    })?;
    judge::live_runs(program, &["--meals", "30"], 2, |record| {
        judge::finished(record)?;
        everyone_ate(&record.outcome(), 5, 30)
    })
}

/// The balances after `rounds` rounds of every transfer: `[A, B, C]`.
fn balances_right(outcome: &str, rounds: i64) -> Result<(), String> {
    let expected = format!(
        "[{}, {}, {}]",
        100 + 20 * rounds,
        100 - 10 * rounds,
        100 - 10 * rounds
    );
    if outcome == expected {
        return Ok(());
    }
    if outcome.starts_with("DEADLOCK") {
        return Err(format!("the transfers never ended: {outcome}"));
    }
    Err(format!(
        "the balances [A, B, C] ended at {outcome}: expected {expected}"
    ))
}

/// 05b: no schedule of one round (at most 1 preemption: four tellers make many) deadlocks or ends with wrong balances;
/// in seeded replays of 2 rounds every teller is a thread of its own and holds both of its
/// accounts at once (B->B: B) once a round; 2 live runs of 200 rounds at once end right.
fn check_any_direction(program: &Program) -> Result<(), Failure> {
    let invariant = "every transfer is made: no schedule deadlocks, and the balances end at \
                     A 100 + 20 x rounds, B and C 100 - 10 x rounds";
    judge::every_schedule(
        program,
        &["--rounds", "1"],
        &["--preemptions", "1"],
        invariant,
        |outcome| balances_right(outcome, 1),
    )?;
    judge::every_schedule_with_any_delay(
        program,
        &["--rounds", "1"],
        &["--preemptions", "1"],
        invariant,
        |outcome| balances_right(outcome, 1),
    )?;
    judge::seeded_replays(program, &["--rounds", "2"], SEEDS, invariant, |record| {
        judge::finished(record)?;
        judge::thread_count(record, TELLERS.len())?;
        // How many times each teller came to hold all of its accounts at once.
        let mut whole = [0_usize; TELLERS.len()];
        follow_locks(record, |thread, action, held| {
            let Some(teller) = TELLERS.iter().position(|(name, ..)| *name == thread) else {
                return Ok(());
            };
            let (_, from, to) = TELLERS[teller];
            if lock_change(action).is_some_and(|(_, taken)| taken)
                && [from, to]
                    .iter()
                    .all(|account| held.iter().any(|lock| lock == account))
            {
                whole[teller] += 1;
            }
            Ok(())
        })?;
        if let Some(teller) = whole.iter().position(|&count| count != 2) {
            let (name, from, to) = TELLERS[teller];
            let accounts = if from == to {
                format!("account {from}")
            } else {
                format!("accounts {from} and {to} together")
            };
            return Err(format!(
                "teller {name} held {accounts} {} times in 2 rounds: each transfer moves its \
                 money while holding the locks of its accounts (the Mutexes named \"A\", \"B\", \
                 \"C\"), so that nobody ever sees the money gone from one and not yet in the \
                 other",
                whole[teller]
            ));
        }
        balances_right(&record.outcome(), 2)
    })?;
    judge::live_runs(program, &["--rounds", "200"], 2, |record| {
        judge::finished(record)?;
        balances_right(&record.outcome(), 200)
    })
}
