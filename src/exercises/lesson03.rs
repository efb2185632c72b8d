//! Exercises of lesson 3 (a writer, a reader and a file): a Condvar handshake in which the
//! reader sees exactly one new line per read (03a), and a careful reader that counts only
//! complete lines of a writer it cannot change (03b).

use super::{Exercise, Failure, Program, STALL_SAFE_TIMEOUT, Table, finished_table, live_values};

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..12;

/// The exercises of lesson 3.
pub fn exercises() -> Vec<Exercise> {
    vec![
        Exercise {
            id: "03a",
            title: "a Condvar handshake",
            starter: "ex03a_condvar_handshake.rs",
            solution: "sol03a_condvar_handshake.rs",
            hints: [
                "Both threads must wait for each other: the reader until the next line is \
                 written, the writer until the reader has read the last one. Keep one shared \
                 record of how far each has got, and wake the other whenever it changes.",
                "Share a `parking_lot::Mutex` holding two counts (lines written, lines read) and \
                 a `parking_lot::Condvar`. Wait with `changed.wait_while(&mut guard, |p| ...)`, \
                 update the count, then `changed.notify_all()`. In a replay, tell the scheduler \
                 when each step may run with `me.step_when(label, ready, work)`, as lesson 1's \
                 strict turns do.",
                "Writer, line n: `me.step_when(\"write line\", || progress.lock().read == n - 1, \
                 || { let mut p = progress.lock(); changed.wait_while(&mut p, |p| p.read < n - \
                 1); /* write */ p.written = n; changed.notify_all(); n })`. Reader, read k: the \
                 same with `written >= k`, then `p.read = k`.",
            ],
            timeout: STALL_SAFE_TIMEOUT,
            check: check_condvar_handshake,
        },
        Exercise {
            id: "03b",
            title: "a careful reader",
            starter: "ex03b_careful_reader.rs",
            solution: "sol03b_careful_reader.rs",
            hints: [
                "Two things can be true when the reader looks: the file is not there yet, and \
                 the last line is only half written. Neither is an error for this reader.",
                "`fs::read(&path)` returns an `io::Result`; match on it, and treat an error whose \
                 `kind()` is `io::ErrorKind::NotFound` as zero lines. A complete line ends in \
                 `\\n`, so count the newline bytes instead of using `lines()`, which also counts a \
                 last line without its newline.",
                "`match fs::read(&path) { Ok(bytes) => bytes.iter().filter(|&&byte| byte == \
                 b'\\n').count().to_string(), Err(error) if error.kind() == \
                 io::ErrorKind::NotFound => \"0\".to_string(), Err(error) => format!(\"error: \
                 {error}\") }`",
            ],
            timeout: STALL_SAFE_TIMEOUT,
            check: check_careful_reader,
        },
    ]
}

fn columns(table: &Table, run: &str) -> Result<(usize, usize), Failure> {
    match (table.column("writer"), table.column("reader")) {
        (Some(writer), Some(reader)) => Ok((writer, reader)),
        _ => Err(Failure::new(format!(
            "{run} the trace should have the threads writer and reader; it has {}",
            table.actors.join(", ")
        ))),
    }
}

/// `1 line`, `2 lines`, ...
fn lines_text(k: usize) -> String {
    if k == 1 {
        "1 line".to_string()
    } else {
        format!("{k} lines")
    }
}

/// 03a: read k sees k lines, and line k + 1 is written only after read k.
fn check_condvar_handshake(program: &Program) -> Result<(), Failure> {
    const LINES: usize = 3;
    for seed in SEEDS {
        let seed = seed.to_string();
        let run = format!("with --seed {seed}");
        let out = program.run_ok(&["--seed", &seed])?;
        let table = finished_table(&out, &run)?;
        let (writer, reader) = columns(&table, &run)?;
        let reads: Vec<(usize, &str)> = table
            .steps
            .iter()
            .filter(|step| step.actor == reader)
            .filter_map(|step| step.value("read").map(|value| (step.number, value)))
            .collect();
        let writes: Vec<usize> = table
            .steps
            .iter()
            .filter(|step| step.actor == writer && step.is("write line"))
            .map(|step| step.number)
            .collect();
        if reads.len() != LINES || writes.len() != LINES {
            return Err(Failure::new(format!(
                "{run} expected {LINES} `write line` steps and {LINES} `read` steps, got {} and \
                 {}",
                writes.len(),
                reads.len()
            )));
        }
        for (k, (step, value)) in reads.iter().enumerate() {
            let expected = lines_text(k + 1);
            if *value != expected {
                return Err(Failure::new(format!(
                    "{run} read {} (step {step}) saw `{value}`, but read {} must see exactly \
                     `{expected}`",
                    k + 1,
                    k + 1
                )));
            }
            if let Some(&next_write) = writes.get(k + 1) {
                if next_write < *step {
                    return Err(Failure::new(format!(
                        "{run} line {} was written at step {next_write}, before the reader had \
                         read line {} (step {step}): the writer must wait for the reader",
                        k + 2,
                        k + 1
                    )));
                }
            }
        }
    }
    let run = "in a live run with --lines 5";
    let out = program.run_ok(&["--lines", "5"])?;
    let seen = live_values(&out, "read");
    let expected: Vec<String> = (1..=5).map(lines_text).collect();
    if seen != expected {
        return Err(Failure::expected(
            &format!("{run} the reader's reads"),
            expected.join(", "),
            seen.join(", "),
        ));
    }
    Ok(())
}

/// 03b: every count equals the complete lines written before it, in the trace.
fn check_careful_reader(program: &Program) -> Result<(), Failure> {
    for seed in SEEDS {
        let seed = seed.to_string();
        let run = format!("with --seed {seed}");
        let out = program.run_ok(&["--seed", &seed])?;
        let table = finished_table(&out, &run)?;
        let (writer, reader) = columns(&table, &run)?;
        let mut complete = 0;
        let mut counts = 0;
        for step in &table.steps {
            if step.actor == writer {
                if step
                    .value("write")
                    .is_some_and(|piece| piece.ends_with("\\n\""))
                {
                    complete += 1;
                }
            } else if step.actor == reader {
                let Some(count) = step.value("count") else {
                    continue;
                };
                counts += 1;
                if count != complete.to_string() {
                    return Err(Failure::new(format!(
                        "{run} at step {} the reader counted `{count}`, but the file held {} \
                         complete lines then{}",
                        step.number,
                        complete,
                        if complete == 0 && !written_before(&table, writer, step.number) {
                            " (it did not exist yet: that is 0 lines)"
                        } else {
                            " (a line without its newline is not complete)"
                        }
                    )));
                }
            }
        }
        if counts == 0 {
            return Err(Failure::new(format!(
                "{run} the reader has no `count` steps: keep `me.step(\"count\", ...)`"
            )));
        }
    }
    let run = "in a live run with --lines 5";
    let out = program.run_ok(&["--lines", "5"])?;
    let mut last = 0;
    for count in live_values(&out, "count") {
        let Ok(count) = count.parse::<u64>() else {
            return Err(Failure::new(format!(
                "{run} the reader reported `count {count}`, which is not a number"
            )));
        };
        if count < last || count > 5 {
            return Err(Failure::new(format!(
                "{run} the reader counted {count} after {last}: counts of an append-only file \
                 never go down, and never pass 5"
            )));
        }
        last = count;
    }
    Ok(())
}

/// True when the writer created its file before step `number`.
fn written_before(table: &Table, writer: usize, number: usize) -> bool {
    table
        .steps
        .iter()
        .any(|step| step.actor == writer && step.number < number && step.is("create file"))
}
