//! Exercises of lesson 1 (even/odd printers): three printers taking strict turns (01a), and
//! stopping printers early through a shared flag (01b).

use super::{Exercise, Failure, Program, STALL_SAFE_TIMEOUT, finished_table, live_values};

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..8;

/// The exercises of lesson 1.
pub fn exercises() -> Vec<Exercise> {
    vec![
        Exercise {
            id: "01a",
            title: "three printers taking turns",
            starter: "ex01a_three_printers.rs",
            solution: "sol01a_three_printers.rs",
            hints: [
                "Each printer has to wait until the number it wants to print is the next one due. \
                 Something shared must say which number that is, and a printer has to be woken \
                 when it changes.",
                "Share a `parking_lot::Mutex<u64>` holding the next number due and a \
                 `parking_lot::Condvar`. Wait with `condvar.wait_while(&mut guard, |next| *next != \
                 n)`, and after printing set the next number and call `notify_all()`. In a replay, \
                 tell the scheduler when the print may run with `me.step_when(label, ready, work)`.",
                "Inside the loop: `me.step_when(\"print\", || *next.lock() == n, || { let mut turn \
                 = next.lock(); turn_changed.wait_while(&mut turn, |next| *next != n); n });` then \
                 `me.action(\"pass turn\", || { *next.lock() = n + 1; turn_changed.notify_all(); \
                 });`. Why `notify_all` and not `notify_one`, with three printers?",
            ],
            timeout: STALL_SAFE_TIMEOUT,
            check: check_three_printers,
        },
        Exercise {
            id: "01b",
            title: "stop the printers early",
            starter: "ex01b_stop_early.rs",
            solution: "sol01b_stop_early.rs",
            hints: [
                "Nobody can stop a thread from the outside: a printer has to look at the flag \
                 itself, before each number it prints, and leave its loop when the flag is up.",
                "Give each printer a reference to `stop` (it is an `AtomicBool`) and read it with \
                 `stop.load(Ordering::Relaxed)`; `break` out of the `for` loop when it is true. \
                 Making the read a step (`me.step(\"look at flag\", || ...)`) shows it in replays.",
                "At the top of the printer's loop: `if me.step(\"look at flag\", || \
                 stop.load(Ordering::Relaxed)) { break; }`, and capture `stop` next to `run`: \
                 `let (run, stop) = (&run, &stop);`.",
            ],
            timeout: STALL_SAFE_TIMEOUT,
            check: check_stop_early,
        },
    ]
}

/// 01a: in every replay and live, the numbers come out as 0, 1, 2, ..., each printed by its own
/// printer (printer k prints the numbers that leave k when divided by 3).
fn check_three_printers(program: &Program) -> Result<(), Failure> {
    const UP_TO: u64 = 11;
    let expected: Vec<u64> = (0..=UP_TO).collect();
    for seed in SEEDS {
        let seed = seed.to_string();
        let out = program.run_ok(&["--seed", &seed, "--up-to", "11"])?;
        let run = format!("with --seed {seed} --up-to {UP_TO}");
        let table = finished_table(&out, &run)?;
        let mut printed = Vec::new();
        for (printer, value) in table.values("print") {
            let number = number(&value, &run)?;
            if number % 3 != printer as u64 {
                return Err(Failure::new(format!(
                    "{run} printer{printer} printed {number}, but printer{printer} prints only \
                     {printer}, {}, {}, ...",
                    printer + 3,
                    printer + 6
                )));
            }
            printed.push(number);
        }
        in_order(&printed, &expected, &run)?;
    }
    let out = program.run_ok(&["--up-to", "60"])?;
    let printed = live_values(&out, "print")
        .iter()
        .map(|value| number(value, "in a live run with --up-to 60"))
        .collect::<Result<Vec<u64>, Failure>>()?;
    in_order(
        &printed,
        &(0..=60).collect::<Vec<u64>>(),
        "in a live run with --up-to 60",
    )
}

/// 01b: after the boss raises the flag, each printer prints at most one more number and stops;
/// before it, no printer stops on its own. Live, the program ends soon after the boss's nap.
fn check_stop_early(program: &Program) -> Result<(), Failure> {
    const UP_TO: u64 = 200;
    for seed in SEEDS {
        let seed = seed.to_string();
        let out = program.run_ok(&["--seed", &seed, "--up-to", "200"])?;
        let run = format!("with --seed {seed} --up-to {UP_TO}");
        let table = finished_table(&out, &run)?;
        let (Some(boss), Some(even), Some(odd)) = (
            table.column("boss"),
            table.column("even"),
            table.column("odd"),
        ) else {
            return Err(Failure::new(format!(
                "{run} the trace should have the threads even, odd and boss; it has {}",
                table.actors.join(", ")
            )));
        };
        let Some(raised) = table
            .steps
            .iter()
            .position(|step| step.actor == boss && step.is("raise flag"))
        else {
            return Err(Failure::new(format!(
                "{run} the boss never raised the flag: keep its `raise flag` step"
            )));
        };
        for (printer, name, first) in [(even, "even", 0), (odd, "odd", 1)] {
            let mut before = Vec::new();
            let mut after = Vec::new();
            for (index, step) in table.steps.iter().enumerate() {
                if step.actor != printer {
                    continue;
                }
                if let Some(value) = step.value("print") {
                    let number = number(value, &run)?;
                    if index < raised {
                        before.push(number);
                    } else {
                        after.push(number);
                    }
                }
            }
            if after.len() > 1 {
                return Err(Failure::new(format!(
                    "{run} the boss raised the flag at step {}, and the {name} printer still \
                     printed {} numbers after it ({}{}): it should print at most one more, the \
                     one it was already printing, and then stop",
                    table.steps[raised].number,
                    after.len(),
                    after
                        .iter()
                        .take(5)
                        .map(u64::to_string)
                        .collect::<Vec<_>>()
                        .join(", "),
                    if after.len() > 5 { ", ..." } else { "" }
                )));
            }
            let all: Vec<u64> = before.iter().chain(&after).copied().collect();
            let own: Vec<u64> = (first..=UP_TO).step_by(2).take(all.len()).collect();
            if all != own {
                return Err(Failure::expected(
                    &format!("{run} the {name} printer's numbers"),
                    list(&own),
                    list(&all),
                ));
            }
            let last_own = (first..=UP_TO).step_by(2).last().unwrap_or(first);
            let printer_steps_after = table.steps[raised..]
                .iter()
                .any(|step| step.actor == printer);
            if !printer_steps_after && before.last() != Some(&last_own) {
                return Err(Failure::new(format!(
                    "{run} the {name} printer stopped after {} before the boss raised the flag \
                     (step {}): it should keep printing until the flag is up",
                    before
                        .last()
                        .map_or("printing nothing".to_string(), u64::to_string),
                    table.steps[raised].number
                )));
            }
        }
    }
    // Live, the boss raises the flag after a short nap; a printer that stops on it ends long
    // before a million numbers.
    let out = program.run_ok(&["--up-to", "1000000"])?;
    if live_values(&out, "print").is_empty() {
        return Err(Failure::new(
            "in a live run with --up-to 1000000 no printer printed anything: they should print \
             until the boss raises the flag",
        ));
    }
    Ok(())
}

/// `value` as a number, or a failure saying the program printed something else.
fn number(value: &str, run: &str) -> Result<u64, Failure> {
    value.parse().map_err(|_| {
        Failure::new(format!(
            "{run} your program printed `print {value}`, which is not a number"
        ))
    })
}

/// Compares the printed numbers with the expected ones and names the first difference.
fn in_order(printed: &[u64], expected: &[u64], run: &str) -> Result<(), Failure> {
    if printed == expected {
        return Ok(());
    }
    let mut sorted = printed.to_vec();
    sorted.sort_unstable();
    if sorted != expected {
        return Err(Failure::expected(
            &format!("{run} the numbers printed (in any order)"),
            list(expected),
            list(&sorted),
        ));
    }
    let at = printed
        .iter()
        .zip(expected)
        .position(|(got, want)| got != want)
        .unwrap_or(0);
    Err(Failure::new(format!(
        "{run} the numbers came out as {}: {} was printed where {} was due, so the printers did \
         not take turns",
        list(printed),
        printed[at],
        expected[at]
    )))
}

/// `0, 1, 2` (at most 15 numbers, then `...`).
fn list(numbers: &[u64]) -> String {
    let mut text: Vec<String> = numbers.iter().take(15).map(u64::to_string).collect();
    if numbers.len() > 15 {
        text.push("...".to_string());
    }
    text.join(", ")
}
