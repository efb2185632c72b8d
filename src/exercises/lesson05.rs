//! Exercises of lesson 5 (deadlock): five dining philosophers who must never deadlock (05a), and
//! transfers between any two accounts, including an account and itself (05b).
//!
//! Both checks replay the program with many seeds, where a deadlock is reported at once and
//! never hangs, and read the trace back: every replay must finish, and every `eat` or `move` must
//! happen while its thread holds the locks it needs (the check follows who holds which lock from
//! the `pick up`/`lock` and `put down`/`unlock` steps). Then one long live run must end within
//! the time limit.

use std::time::Duration;

use super::{Exercise, Failure, Program, Table, finished_table, live_values};

/// The seeds every replay check of this lesson tries. A starter deadlocks in most of them.
const SEEDS: std::ops::Range<u64> = 0..50;

/// The philosophers of 05a, in seat order: philosopher `i` uses forks `i` and `i + 1` (mod 5).
const PHILOSOPHERS: [&str; 5] = ["plato", "kant", "hume", "locke", "marx"];

/// The tellers of 05b and their transfers: (name, from, to, amount), accounts A, B, C.
const TELLERS: [(&str, &str, &str, i64); 4] = [
    ("A->B", "A", "B", 10),
    ("B->C", "B", "C", 20),
    ("C->A", "C", "A", 30),
    ("B->B", "B", "B", 5),
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
                 to change all five: break the ring in one place.",
                "Lesson 5's fix 1 gives the locks one global order: always take the lower-numbered \
                 one first. Which philosopher's left fork has a higher number than their right \
                 one? (Other ways work too: a waiter that lets only four sit down at once, or \
                 `try_lock_for` and back off, as in fix 2.)",
                "In the philosopher's closure, after `left` and `right`, write \
                 `let (first, second) = (left.min(right), left.max(right));` and call \
                 `dine(me, forks, first, second, meal)`. Only marx changes: fork 0 before fork 4.",
            ],
            timeout: Duration::from_secs(10),
            check: check_philosophers,
        },
        Exercise {
            id: "05b",
            title: "transfers in any direction",
            starter: "ex05b_any_direction.rs",
            solution: "sol05b_any_direction.rs",
            hints: [
                "There are two deadlocks. Replay `--seed 0` and read who waits for what: B->B \
                 waits for a lock that it holds itself, and the three tellers in a ring can each \
                 hold one account and wait for the next.",
                "A `Mutex` cannot be locked twice, not even by the thread that holds it: when \
                 `from == to`, lock the account once. For two different accounts, use one global \
                 order, as in lesson 5's fix 1: lock the lower-numbered account first, whichever \
                 way the money goes.",
                "Start `transfer` with `if from == to { let account = me.lock(..., \
                 &accounts[from]); me.step(\"move ...\", ...); me.action(\"unlock ...\", || \
                 drop(account)); return; }`, then `let (first, second) = (from.min(to), \
                 from.max(to));`, lock `first` then `second`, and pick `source` and `target` out \
                 of the two guards by comparing `from` with `first`.",
            ],
            timeout: Duration::from_secs(10),
            check: check_any_direction,
        },
    ]
}

/// 05a: every replay finishes, every philosopher eats meals 1 and 2 holding both of their own
/// forks, and nobody picks up a fork that somebody else holds. A live run of 30 meals each ends.
fn check_philosophers(program: &Program) -> Result<(), Failure> {
    for seed in SEEDS {
        let seed = seed.to_string();
        let run = format!("with --seed {seed}");
        let (table, _) = finished_replay(program, &["--seed", &seed], &run)?;
        same_threads(&table, &PHILOSOPHERS, &run)?;
        let mut locks = Locks::default();
        let mut meals: Vec<Vec<String>> = vec![Vec::new(); PHILOSOPHERS.len()];
        for step in &table.steps {
            let seat = step.actor;
            let name = PHILOSOPHERS[seat];
            let own = [
                seat.to_string(),
                ((seat + 1) % PHILOSOPHERS.len()).to_string(),
            ];
            if let Some(fork) = step.text.strip_prefix("pick up fork ") {
                if !own.iter().any(|mine| mine == fork) {
                    return Err(Failure::new(format!(
                        "{run} {name} picked up fork {fork} at step {}, but {name} sits between \
                         fork {} and fork {}",
                        step.number, own[0], own[1]
                    )));
                }
                locks.take(fork, seat, step.number, &PHILOSOPHERS, &run, "fork")?;
            } else if let Some(fork) = step.text.strip_prefix("put down fork ") {
                locks.give_back(fork, seat, step.number, &PHILOSOPHERS, &run, "fork")?;
            } else if let Some(meal) = step.value("eat") {
                for fork in &own {
                    if locks.holder(fork) != Some(seat) {
                        return Err(Failure::new(format!(
                            "{run} {name} ate at step {} without holding fork {fork}: a \
                             philosopher eats only with both forks in hand",
                            step.number
                        )));
                    }
                }
                meals[seat].push(meal.to_string());
            }
        }
        for (seat, eaten) in meals.iter().enumerate() {
            if eaten != &["1", "2"] {
                return Err(Failure::expected(
                    &format!("{run} the meals {} ate", PHILOSOPHERS[seat]),
                    "1, 2",
                    if eaten.is_empty() {
                        "none".to_string()
                    } else {
                        eaten.join(", ")
                    },
                ));
            }
        }
    }
    let out = program.run_ok(&["--meals", "30"])?;
    let eaten = live_values(&out, "eat").len();
    if eaten != 5 * 30 {
        return Err(Failure::expected(
            "in a live run with --meals 30, the number of meals eaten",
            5 * 30,
            eaten,
        ));
    }
    Ok(())
}

/// 05b: every replay finishes with A 120, B 90, C 90; every `move` happens while its teller
/// holds both of its accounts. A live run of 200 rounds ends with the right balances.
fn check_any_direction(program: &Program) -> Result<(), Failure> {
    let names: Vec<&str> = TELLERS.iter().map(|(name, ..)| *name).collect();
    for seed in SEEDS {
        let seed = seed.to_string();
        let run = format!("with --seed {seed}");
        let (table, out) = finished_replay(program, &["--seed", &seed], &run)?;
        same_threads(&table, &names, &run)?;
        let mut locks = Locks::default();
        let mut moved = vec![0; TELLERS.len()];
        for step in &table.steps {
            let (name, from, to, amount) = TELLERS[step.actor];
            if let Some(account) = step.text.strip_prefix("lock ") {
                locks.take(account, step.actor, step.number, &names, &run, "account")?;
            } else if let Some(account) = step.text.strip_prefix("unlock ") {
                locks.give_back(account, step.actor, step.number, &names, &run, "account")?;
            } else if step.is(&format!("move {amount}")) {
                for account in [from, to] {
                    if locks.holder(account) != Some(step.actor) {
                        return Err(Failure::new(format!(
                            "{run} {name} moved money at step {} without holding the lock of \
                             account {account}",
                            step.number
                        )));
                    }
                }
                moved[step.actor] += 1;
            }
        }
        if let Some(teller) = moved.iter().position(|&count| count != 1) {
            return Err(Failure::expected(
                &format!("{run} how many times {} moved money", TELLERS[teller].0),
                1,
                moved[teller],
            ));
        }
        balances(&out, 1, &run)?;
    }
    let out = program.run_ok(&["--rounds", "200"])?;
    balances(&out, 200, "in a live run with --rounds 200")
}

/// Runs a replay and returns its trace and everything it printed, failing unless every thread
/// finished.
fn finished_replay(
    program: &Program,
    args: &[&str],
    run: &str,
) -> Result<(Table, String), Failure> {
    let out = program.run_ok(args)?;
    let table = finished_table(&out, run)?;
    Ok((table, out))
}

/// Fails unless the trace has exactly these threads, in this order.
fn same_threads(table: &Table, names: &[&str], run: &str) -> Result<(), Failure> {
    if table.actors != names {
        return Err(Failure::expected(
            &format!("{run} the threads of the trace"),
            names.join(", "),
            table.actors.join(", "),
        ));
    }
    Ok(())
}

/// Fails unless the program's `balances:` line says what `rounds` rounds of transfers give.
fn balances(out: &str, rounds: i64, run: &str) -> Result<(), Failure> {
    let expected = format!(
        "balances: A {}, B {}, C {}",
        100 + 20 * rounds,
        100 - 10 * rounds,
        100 - 10 * rounds
    );
    let got = out
        .lines()
        .find(|line| line.starts_with("balances:"))
        .unwrap_or("no `balances:` line");
    if got != expected {
        return Err(Failure::expected(
            &format!("{run} the balances"),
            expected,
            got,
        ));
    }
    Ok(())
}

/// Who holds which lock, followed step by step through a trace.
#[derive(Default)]
struct Locks {
    held: Vec<(String, usize)>,
}

impl Locks {
    fn holder(&self, lock: &str) -> Option<usize> {
        self.held
            .iter()
            .find(|(name, _)| name == lock)
            .map(|(_, holder)| *holder)
    }

    fn take(
        &mut self,
        lock: &str,
        thread: usize,
        step: usize,
        names: &[&str],
        run: &str,
        what: &str,
    ) -> Result<(), Failure> {
        if let Some(holder) = self.holder(lock) {
            return Err(Failure::new(format!(
                "{run} {} took {what} {lock} at step {step} while {} held it: is it still a \
                 `Mutex`, locked with `me.lock`?",
                names[thread], names[holder]
            )));
        }
        self.held.push((lock.to_string(), thread));
        Ok(())
    }

    fn give_back(
        &mut self,
        lock: &str,
        thread: usize,
        step: usize,
        names: &[&str],
        run: &str,
        what: &str,
    ) -> Result<(), Failure> {
        if self.holder(lock) != Some(thread) {
            return Err(Failure::new(format!(
                "{run} {} put back {what} {lock} at step {step} without holding it",
                names[thread]
            )));
        }
        self.held.retain(|(name, _)| name != lock);
        Ok(())
    }
}
