//! Exercises of lesson 3 (a writer, a reader and a file): a Condvar handshake in which the
//! reader sees exactly one new line per read (03a), and a careful reader that counts only
//! complete lines of a writer it cannot change (03b).
//!
//! Each check judges what the toolkit saw the student's own program do (see [`super::judge`]):
//! every schedule at a small size (also with sleeps of any length), seeded replays at a larger
//! one (each write and each read of the file, in the order they happened, and what each read
//! found), and live runs several at once.

use std::time::Duration;

use super::judge::{self, Record};
use super::{Exercise, Failure, Program};

/// A check's limit per run: longer than the toolkit's stall timer
/// ([`workbook::scheduler::STALL_TIMEOUT`]), so a stuck replay reports its own diagnosis first, and
/// long enough for an explorer's few hundred schedules on a machine busy with other checks.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..6;

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
                 written, the writer until the reader has read the last one. `progress` already \
                 records how far each has got; what is missing is a way to sleep until the \
                 other has moved, and to wake the other after moving.",
                "Add `let changed = Condvar::new().named(\"changed\");`. Keep the guard of \
                 `progress` in a variable, wait with `changed.wait_while(&mut progress, \
                 |progress| ...)` (it lets the lock go while it sleeps), update the count, then \
                 `changed.notify_all()`.",
                "Writer, line n: `let mut progress = progress.lock(); changed.wait_while(&mut \
                 progress, |progress| progress.read < n - 1);` then the two writes, \
                 `progress.written = n; changed.notify_all();`. Reader, read k: the same with \
                 `progress.written < k`, then the read, `progress.read = k;` and the notify.",
            ],
            timeout: TIMEOUT,
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
                "`complete_lines` gets the `io::Result<String>` of the read; match on it, and \
                 treat an error whose `kind()` is `io::ErrorKind::NotFound` as zero lines. A \
                 complete line ends in `\\n`, so count the newlines instead of using `lines()`, \
                 which also counts a last line without its newline.",
                "`match read { Ok(text) => text.matches('\\n').count(), Err(error) if \
                 error.kind() == io::ErrorKind::NotFound => 0, Err(error) => { eprintln!(...); \
                 0 } }`",
            ],
            timeout: TIMEOUT,
            check: check_careful_reader,
        },
    ]
}

/// What a `read log.txt -> ...` row found: `None` for no file, else the complete lines and
/// whether half a line followed them. `Err` for a row that is not a read of log.txt.
fn read_found(action: &str) -> Option<Result<Option<(usize, bool)>, String>> {
    let found = action.strip_prefix("read log.txt -> ")?;
    if found == "Err(NotFound)" {
        return Some(Ok(None));
    }
    if found.starts_with("Err(") {
        return Some(Err(format!("a read of log.txt failed: {found}")));
    }
    // The text is shown as Rust writes a string literal: a newline is the two characters `\n`.
    let complete = found.matches("\\n").count();
    let half = !(found == "\"\"" || found.ends_with("\\n\""));
    Some(Ok(Some((complete, half))))
}

/// `1 line`, `2 lines`, ..., with `+ half a line` or `no file`.
fn found_text(found: Option<(usize, bool)>) -> String {
    match found {
        None => "no file".to_string(),
        Some((complete, half)) => format!(
            "{}{}",
            if complete == 1 {
                "1 line".to_string()
            } else {
                format!("{complete} lines")
            },
            if half { " + half a line" } else { "" }
        ),
    }
}

/// 03a's outcome must be `1 line, 2 lines, ...` up to `lines`.
fn one_more_line_each_read(outcome: &str, lines: u64) -> Result<(), String> {
    let expected: Vec<String> = (1..=lines as usize)
        .map(|k| found_text(Some((k, false))))
        .collect();
    let expected = expected.join(", ");
    if outcome == expected {
        return Ok(());
    }
    if outcome.starts_with("DEADLOCK") {
        return Err(format!(
            "the writer and the reader got stuck: {outcome}. Each wait must end when the other \
             has moved on, and each move must notify"
        ));
    }
    Err(format!(
        "the reader saw `{outcome}`: its k-th read must see exactly k complete lines, \
         `{expected}`"
    ))
}

/// 03a: every schedule of 2 lines (also with sleeps of any length) has the reader see 1 line,
/// then 2; seeded replays of 4 lines show, row by row, each read seeing exactly one more line,
/// each line written only after the read before it, a Condvar wait and no naps; 2 live runs
/// at once of 5 lines see one more line each read.
fn check_condvar_handshake(program: &Program) -> Result<(), Failure> {
    let invariant = "the reader's k-th read sees exactly k complete lines, and line k + 1 is \
                     written only after that read";
    // The solution has 44 schedules; the cap keeps a wrong answer's check short.
    let bound = ["--preemptions", "20", "--max-schedules", "300"];
    judge::every_schedule(program, &["--lines", "2"], &bound, invariant, |outcome| {
        one_more_line_each_read(outcome, 2)
    })?;
    judge::every_schedule_with_any_delay(
        program,
        &["--lines", "2"],
        &bound,
        invariant,
        |outcome| one_more_line_each_read(outcome, 2),
    )?;
    judge::seeded_replays(program, &["--lines", "4"], SEEDS, invariant, |record| {
        judge::finished(record)?;
        handshake_rows(record, 4)?;
        one_more_line_each_read(&record.outcome(), 4)
    })?;
    judge::live_runs(program, &["--lines", "5"], 2, |record| {
        judge::finished(record)?;
        one_more_line_each_read(&record.outcome(), 5)
    })
}

/// 03a's rule on the rows of one replay of `lines` lines.
fn handshake_rows(record: &Record, lines: usize) -> Result<(), String> {
    judge::thread_count(record, 2)?;
    for name in ["writer", "reader"] {
        if !record.threads().iter().any(|thread| thread == name) {
            return Err(format!(
                "the threads should be writer and reader; this run had {}",
                record.threads()[1..].join(", ")
            ));
        }
        if let Some(nap) =
            (record.actions_of(name).iter()).find(|action| action.starts_with("sleep"))
        {
            return Err(format!(
                "the {name} did `{nap}`: a nap is not a turn. Each thread waits on the Condvar \
                 until the other has moved on"
            ));
        }
    }
    // Lines completed so far, counted from the writer's rows as they happen.
    let mut written = 0;
    let mut reads = 0;
    for row in record.actions() {
        if row.thread == "writer" && row.action.starts_with("write ") {
            let is_line_end = row.action.ends_with("\\n\" to log.txt");
            if !is_line_end && written > reads {
                return Err(format!(
                    "the writer began line {} (`{}`) before the reader had read line {written}: \
                     the writer must wait until the reader has read the line before",
                    written + 1,
                    row.action
                ));
            }
            if is_line_end {
                written += 1;
            }
        }
        if row.thread == "reader" {
            if let Some(found) = read_found(&row.action) {
                reads += 1;
                let found = found?;
                if found != Some((reads, false)) {
                    return Err(format!(
                        "read {reads} saw {}, but read {reads} must see exactly {}: the reader \
                         must wait until line {reads} is written, and the writer until the \
                         reader has read it",
                        found_text(found),
                        found_text(Some((reads, false)))
                    ));
                }
            }
        }
    }
    if reads != lines || written != lines {
        return Err(format!(
            "the writer completed {written} lines and the reader read {reads} times: expected \
             {lines} of each"
        ));
    }
    if !(record.actions().iter()).any(|row| row.action.starts_with("wait on ")) {
        return Err(
            "nobody ever waited on a Condvar: the reader waits (`Condvar::wait_while`) until \
             the line is written, the writer until it has been read"
                .to_string(),
        );
    }
    Ok(())
}

/// 03b's outcome: the counts, never a crash, never more than `lines`, never going down.
fn counts_make_sense(outcome: &str, lines: usize) -> Result<(), String> {
    if outcome == "the reader panicked" {
        return Err(
            "the reader panicked: when the file is not there yet it holds no lines, which is \
             not a reason to crash"
                .to_string(),
        );
    }
    let counts: Option<Vec<usize>> = outcome
        .split(", ")
        .map(|count| count.parse().ok())
        .collect();
    let Some(counts) = counts else {
        return Err(format!(
            "the run ended with `{outcome}`: expected the reader's counts"
        ));
    };
    if counts.len() != lines + 1 {
        return Err(format!(
            "the reader counted {} times ({outcome}): it reads {} times",
            counts.len(),
            lines + 1
        ));
    }
    if let Some(count) = counts.iter().find(|count| **count > lines) {
        return Err(format!(
            "the reader counted {count} lines, more than the {lines} the writer writes"
        ));
    }
    if counts.windows(2).any(|pair| pair[1] < pair[0]) {
        return Err(format!(
            "the reader's counts went down ({outcome}): the writer only appends"
        ));
    }
    Ok(())
}

/// 03b's rule on the rows of one replay: each `count N` of the reader follows its own read of
/// log.txt, and N is the number of complete lines that read found (0 for no file).
fn counts_match_reads(record: &Record, lines: usize) -> Result<(), String> {
    judge::thread_count(record, 2)?;
    let mut last_read: Option<Option<(usize, bool)>> = None;
    let mut counts = 0;
    for action in record.actions_of("reader") {
        if let Some(found) = read_found(&action) {
            last_read = Some(found?);
            continue;
        }
        let Some(count) = action.strip_prefix("count ") else {
            continue;
        };
        counts += 1;
        let Some(found) = last_read.take() else {
            return Err(format!(
                "the reader reported `count {count}` without reading the file first: it must \
                 count what a read of log.txt found, not guess"
            ));
        };
        let complete = found.map_or(0, |(complete, _)| complete);
        if count != complete.to_string() {
            return Err(format!(
                "the reader read the file and found {}, then reported `count {count}`: that \
                 is {complete} complete line{}",
                found_text(found),
                if complete == 1 { "" } else { "s" }
            ));
        }
    }
    if counts != lines + 1 {
        return Err(format!(
            "the reader reported {counts} counts: it reads and counts {} times",
            lines + 1
        ));
    }
    counts_make_sense(&record.outcome(), lines)
}

/// 03b: every schedule (also with sleeps of any length) ends without a crash, with sensible
/// counts; seeded replays of 3 lines, with exact naps and with naps of any length (more half
/// lines, more missing files), have each count match the read before it; 2 live runs at once.
fn check_careful_reader(program: &Program) -> Result<(), Failure> {
    let invariant = "each number the reader reports is the number of complete lines its read \
                     just before found (0 when there was no file), and the reader never crashes";
    let bound = ["--preemptions", "20", "--max-schedules", "300"];
    judge::every_schedule(program, &["--lines", "2"], &bound, invariant, |outcome| {
        counts_make_sense(outcome, 2)
    })?;
    judge::every_schedule_with_any_delay(
        program,
        &["--lines", "2"],
        &bound,
        invariant,
        |outcome| counts_make_sense(outcome, 2),
    )?;
    let args = ["--lines", "3"];
    judge::seeded_replays(program, &args, SEEDS, invariant, |record| {
        judge::finished(record)?;
        counts_match_reads(record, 3)
    })?;
    judge::seeded_replays_with_any_delay(program, &args, SEEDS, invariant, |record| {
        judge::finished(record)?;
        counts_match_reads(record, 3)
    })?;
    judge::live_runs(program, &args, 2, |record| {
        judge::finished(record)?;
        counts_make_sense(&record.outcome(), 3)
    })
}
