//! Exercises of lesson 6 (worker pool): results in input order (06a), and closing the queue so
//! the workers stop (06b).

use super::{Exercise, Failure, Program, STALL_SAFE_TIMEOUT, finished_table};

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..8;

/// The exercises of lesson 6.
pub fn exercises() -> Vec<Exercise> {
    vec![
        Exercise {
            id: "06a",
            title: "results in input order",
            starter: "ex06a_results_in_order.rs",
            solution: "sol06a_results_in_order.rs",
            hints: [
                "Workers finish in any order, so the order in which results arrive says nothing \
                 about which job they belong to. The result itself has to say it.",
                "Send a pair through the results channel: `unbounded::<(usize, usize)>()` and \
                 `results.send((n, square))`. Then main can put each square in its place in a \
                 `Vec` of length `JOBS`.",
                "After `run.finish()`: `let mut squares = vec![0; JOBS]; for (n, square) in \
                 result_receiver { squares[n] = square; }`, then print `squares` with \
                 `enumerate()` as before.",
            ],
            timeout: STALL_SAFE_TIMEOUT,
            check: check_results_in_order,
        },
        Exercise {
            id: "06b",
            title: "close the queue",
            starter: "ex06b_close_the_queue.rs",
            solution: "sol06b_close_the_queue.rs",
            hints: [
                "A worker's `recv()` returns an error only when the queue is empty *and* every \
                 sender is gone. As long as main's `job_sender` exists, a worker waits for the \
                 job that may still come.",
                "Move the sender into main's thread instead of borrowing it, and after the last \
                 `send` drop it in a step of its own, e.g. `me.action(\"close queue\", || ...)`. \
                 Also set `closed` there: it is how a replay knows that `take` will not block.",
                "Remove `job_sender` from the borrowed tuple so the `move` closure takes it, and \
                 after the `for` loop write `me.action(\"close queue\", || { drop(job_sender); \
                 closed.store(true, Ordering::SeqCst); });`.",
            ],
            timeout: STALL_SAFE_TIMEOUT,
            check: check_close_the_queue,
        },
    ]
}

/// The `result N: S` lines, as (N, S), in the order printed.
fn result_lines(out: &str, run: &str) -> Result<Vec<(usize, usize)>, Failure> {
    let mut found = Vec::new();
    for line in out.lines() {
        let Some(rest) = line.strip_prefix("result ") else {
            continue;
        };
        let parsed = rest
            .split_once(": ")
            .and_then(|(n, square)| Some((n.parse().ok()?, square.trim().parse().ok()?)));
        match parsed {
            Some(pair) => found.push(pair),
            None => {
                return Err(Failure::new(format!(
                    "{run} the line {line:?} is not `result N: SQUARE`"
                )));
            }
        }
    }
    Ok(found)
}

/// Checks that the results are `result 0: 0` to `result 7: 49`, in order.
fn all_results_in_order(out: &str, run: &str) -> Result<(), Failure> {
    let found = result_lines(out, run)?;
    let expected: Vec<(usize, usize)> = (0..8).map(|n| (n, n * n)).collect();
    if found == expected {
        return Ok(());
    }
    let show = |pairs: &[(usize, usize)]| {
        pairs
            .iter()
            .map(|(n, square)| format!("result {n}: {square}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some((n, square)) = found.iter().find(|(n, square)| n * n != *square) {
        return Err(Failure::new(format!(
            "{run} your program printed `result {n}: {square}`, but {n} squared is {}; \
             all it printed: {}",
            n * n,
            show(&found)
        )));
    }
    Err(Failure::expected(
        &format!("{run} the results"),
        show(&expected),
        if found.is_empty() {
            "no `result` lines".to_string()
        } else {
            show(&found)
        },
    ))
}

/// Every replay finished (no deadlock) and printed a trace table.
fn finished_replay(program: &Program, seed: u64) -> Result<(String, String), Failure> {
    let seed = seed.to_string();
    let out = program.run_ok(&["--seed", &seed])?;
    let run = format!("with --seed {seed}");
    finished_table(&out, &run)?;
    Ok((out, run))
}

/// 06a: in every replay and live, `result N: N*N` for N = 0..8, in order.
fn check_results_in_order(program: &Program) -> Result<(), Failure> {
    for seed in SEEDS {
        let (out, run) = finished_replay(program, seed)?;
        all_results_in_order(&out, &run)?;
    }
    let out = program.run_ok(&[])?;
    all_results_in_order(&out, "in a live run")
}

/// 06b: every replay ends with every thread finished, and all results are printed; a live run
/// ends (within the time limit) with all results too.
fn check_close_the_queue(program: &Program) -> Result<(), Failure> {
    for seed in SEEDS {
        let (out, run) = finished_replay(program, seed).map_err(|failure| {
            if failure.0.contains("DEADLOCK") {
                Failure::new(format!(
                    "{failure}\n    (the workers are still waiting for a job that will never come)"
                ))
            } else {
                failure
            }
        })?;
        all_results_in_order(&out, &run)?;
    }
    let out = program.run_ok(&[])?;
    all_results_in_order(&out, "in a live run")
}
