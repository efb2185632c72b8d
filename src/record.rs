//! What the toolkit saw, for a program that judges another one (the exercise checks).
//!
//! When the environment variable [`RECORD_VAR`] (`WORKBOOK_RECORD`) names a file, every
//! [`crate::run()`] appends one line of JSON to it, whatever the program prints:
//!
//! ```text
//! {"mode": "live" | "replay" | "explore",
//!  "threads": ["main", "a", ...],                   one per column (replays)
//!  "rows": [{"step": 3, "thread": "a", "action": "lock counter", "value": null}, ...]
//!                                                  (replays; "step" as in the table, null
//!                                                  for a row that is no turn)
//!  "ending": "finished" | "cut off" | "deadlock" | "bad schedule" | "panicked" | "watchdog",
//!  "ending_text": "every thread finished after 12 steps",
//!  "value": "4" | null,                           what the body returned (`run::describe`)
//!  "outcome": "4",                                as the explorer's census counts it
//!  "taken": "0110",                               the replay's choices
//!  "seed": 7 | null,                              the replay's seed (null: a --schedule)
//!  "table": "step | ready | ...",                 the replay's trace table
//!  "census": {"outcomes": [{"outcome": "3", "schedules": 5, "schedule": "01",
//!                           "shortest": "1"}], "schedules": 20, "complete": true,
//!             "summary": "explored 20 schedules: complete, ..."}}     (explore)
//! ```
//!
//! Nothing is recorded when the variable is unset; a file that cannot be written is reported
//! on stderr once and the program goes on.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::Path;

use serde_json::{Value, json};

use crate::run::{Census, Replayed};
use crate::scheduler::Ending;

/// The environment variable that names the record file.
pub const RECORD_VAR: &str = "WORKBOOK_RECORD";

/// One word for how a run ended.
pub fn ending_kind(ending: &Ending) -> &'static str {
    match ending {
        Ending::Finished => "finished",
        Ending::CutOff(_) => "cut off",
        Ending::Deadlock(_) => "deadlock",
        Ending::BadSchedule(_) => "bad schedule",
        Ending::Panicked(_) => "panicked",
        Ending::Watchdog(_) => "watchdog",
    }
}

/// Records a replay.
pub(crate) fn replay(
    value: Option<String>,
    outcome: String,
    replayed: &Replayed,
    seed: Option<u64>,
) {
    if !wanted() {
        return;
    }
    let mut step = 0;
    let rows: Vec<Value> = replayed
        .rows
        .iter()
        .map(|row| {
            // The step number the table shows: turns only (a row that is no turn has none).
            let turn = !row.ready.is_empty();
            step += usize::from(turn);
            json!({
                "step": if turn { Some(step) } else { None },
                "thread": replayed.threads[row.thread],
                "action": row.action,
                "value": row.value,
            })
        })
        .collect();
    append(json!({
        "mode": "replay",
        "threads": replayed.threads,
        "rows": rows,
        "ending": ending_kind(&replayed.ending),
        "ending_text": replayed.outcome_line(),
        "value": value,
        "outcome": outcome,
        "taken": replayed.taken,
        "seed": seed,
        "table": replayed.table(),
    }));
}

/// Records a live run.
pub(crate) fn live(value: Option<String>, outcome: String, ending: &Ending) {
    if !wanted() {
        return;
    }
    let text = match ending {
        Ending::Watchdog(report) => report.clone(),
        _ => "every thread finished".to_string(),
    };
    append(json!({
        "mode": "live",
        "ending": ending_kind(ending),
        "ending_text": text,
        "value": value,
        "outcome": outcome,
    }));
}

/// Records a census.
pub(crate) fn explore(census: &Census) {
    if !wanted() {
        return;
    }
    let outcomes: Vec<Value> = census
        .outcomes
        .iter()
        .zip(&census.shortest)
        .map(|((outcome, count, schedule), shortest)| {
            json!({
                "outcome": outcome,
                "schedules": count,
                "schedule": schedule,
                "shortest": shortest,
            })
        })
        .collect();
    append(json!({
        "mode": "explore",
        "ending": "finished",
        "census": {
            "outcomes": outcomes,
            "schedules": census.schedules,
            "complete": census.complete(),
            "summary": census.summary(),
        },
    }));
}

fn wanted() -> bool {
    std::env::var_os(RECORD_VAR).is_some_and(|path| !path.is_empty())
}

fn append(record: Value) {
    let Some(path) = std::env::var_os(RECORD_VAR) else {
        return;
    };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| writeln!(file, "{record}"));
    if let Err(error) = written {
        eprintln!(
            "(could not write the record {}: {error})",
            Path::new(&path).display()
        );
    }
}

/// Reads every record in `path`, in order; lines that are not JSON are skipped.
pub fn read(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}
