//! Exercises of lesson 2 (join): results collected in input order with `join` (02a), and a
//! panicking thread handled as an `Err` at join instead of taking main down (02b).

use super::{Exercise, Failure, Program, STALL_SAFE_TIMEOUT, finished_table};

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..8;

/// The exercises of lesson 2.
pub fn exercises() -> Vec<Exercise> {
    vec![
        Exercise {
            id: "02a",
            title: "results in the order of the inputs",
            starter: "ex02a_results_in_order.rs",
            solution: "sol02a_results_in_order.rs",
            hints: [
                "The order in which threads finish is up to the scheduler; the order of your \
                 handles is up to you. If every thread hands its result to its own handle, main \
                 can ask the handles one by one, in the order of the words.",
                "`scope.spawn(...)` returns a `ScopedJoinHandle<T>`, where `T` is what the \
                 closure returns; `handle.join()` waits for that thread and gives `Ok(T)`. Here \
                 the closure returns what `run.actor(...)` returns: `Option<usize>`, with the \
                 value of the last step inside it.",
                "Inside `thread::scope`, collect `let handles: Vec<_> = ...map(|(name, word)| \
                 scope.spawn(move || run.actor(name, |me| { ...; me.step(\"measure\", || \
                 word.len()) }))).collect();` and return `handles.into_iter().map(|handle| \
                 handle.join().ok().flatten().unwrap_or(0)).collect()` from the scope.",
            ],
            timeout: STALL_SAFE_TIMEOUT,
            check: check_results_in_order,
        },
        Exercise {
            id: "02b",
            title: "survive a panicking thread",
            starter: "ex02b_survive_a_panic.rs",
            solution: "sol02b_survive_a_panic.rs",
            hints: [
                "`join` does not panic when the thread panicked: it returns an `Err`. It is the \
                 `unwrap()` on that `Err` that turns the worker's panic into main's panic.",
                "`handle.join()` is a `Result<Option<u64>, Box<dyn Any + Send>>`: `Ok` with \
                 what the thread returned, or `Err` with the panic's payload. Decide what an \
                 `Err` means with `match`, or with `unwrap_or`.",
                "Replace `.map(|handle| handle.join().unwrap())` with `.map(|handle| \
                 handle.join().unwrap_or(None))`: a panicked thread then counts as `None`, which \
                 `report` prints as `failed`.",
            ],
            timeout: STALL_SAFE_TIMEOUT,
            check: check_survive_a_panic,
        },
    ]
}

/// 02a: `results: [7, 5, 6, 4]` in every replay and in a live run, every thread finished.
fn check_results_in_order(program: &Program) -> Result<(), Failure> {
    const EXPECTED: &str = "results: [7, 5, 6, 4]";
    for seed in SEEDS {
        let seed = seed.to_string();
        let run = format!("with --seed {seed}");
        let out = program.run_ok(&["--seed", &seed])?;
        let table = finished_table(&out, &run)?;
        let measured = table.values("measure").len();
        if measured != 4 {
            return Err(Failure::expected(
                &format!("{run} `measure` steps in the trace"),
                4,
                measured,
            ));
        }
        results_line(&out, EXPECTED, &run)?;
    }
    let out = program.run_ok(&[])?;
    results_line(&out, EXPECTED, "in a live run")
}

/// The `results:` line of `out` must be exactly `expected`.
fn results_line(out: &str, expected: &str, run: &str) -> Result<(), Failure> {
    let prefix = expected.split(':').next().unwrap_or(expected);
    match out.lines().find(|line| line.starts_with(prefix)) {
        Some(line) if line.trim_end() == expected => Ok(()),
        Some(line) => Err(Failure::new(format!(
            "{run} your program printed `{}`, but the task asks for `{expected}`: the results \
             must come in the order of the inputs, whatever order the threads finished in",
            line.trim_end()
        ))),
        None => Err(Failure::new(format!(
            "{run} your program printed no `{prefix}:` line; it should print `{expected}`"
        ))),
    }
}

/// 02b: the program ends normally with the right results, and only the worker panicked.
fn check_survive_a_panic(program: &Program) -> Result<(), Failure> {
    let mut runs: Vec<Vec<String>> = SEEDS
        .map(|seed| vec!["--seed".to_string(), seed.to_string()])
        .collect();
    runs.push(Vec::new());
    for args in runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = if args.is_empty() {
            "in a live run".to_string()
        } else {
            format!("with {}", args.join(" "))
        };
        let finished = program.run(&args)?;
        if finished.stderr.contains("thread 'main'") && finished.stderr.contains("panicked") {
            let said: Vec<&str> = finished
                .stderr
                .lines()
                .skip_while(|line| !line.starts_with("thread 'main'"))
                .take(2)
                .collect();
            return Err(Failure::new(format!(
                "{run} main panicked: the worker's panic became main's. `join` gave an `Err`; \
                 handle it instead of unwrapping it:\n    {}",
                said.join("\n    ")
            )));
        }
        if finished.code != Some(0) {
            return Err(Failure::new(format!(
                "{run} your program exited with status {:?}; it should end normally",
                finished.code
            )));
        }
        results_line(&finished.stdout, "results: 12, 7, failed, 30", &run)?;
        results_line(&finished.stdout, "sum of the numbers: 49", &run)?;
        if finished.stderr.matches("panicked").count() != 1 {
            return Err(Failure::new(format!(
                "{run} expected exactly one panic on stderr (the worker's, on purpose), got:\n{}",
                finished.stderr
            )));
        }
    }
    Ok(())
}
