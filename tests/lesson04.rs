//! lesson04: the shared counter. The compile-fail programs must still fail to compile; replays
//! are snapshotted; live runs and `--bench` are checked by invariants only.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{assert_rejected, load_the_cpu, stdout_of};
use workbook::process::run_command_with_timeout;

const LESSON: &str = env!("CARGO_BIN_EXE_lesson04");

/// The piece of `out` from the line starting with `from` up to the line starting with `to`
/// (or the end), so the book can include each part's snapshot whole.
fn section<'a>(out: &'a str, from: &str, to: &str) -> &'a str {
    let start = out
        .find(&format!("\n{from}"))
        .map(|at| at + 1)
        .unwrap_or_else(|| panic!("no {from:?} in:\n{out}"));
    let end = out[start..]
        .find(&format!("\n{to}"))
        .map_or(out.len(), |at| start + at + 1);
    out[start..end].trim_end_matches('\n')
}

fn racy(out: &str) -> &str {
    section(out, "Part 2", "The racy counter under seeds")
}

/// Every `final count X of Y` line: (X, Y), in the order the parts print them.
fn final_counts(out: &str) -> Vec<(u64, u64)> {
    out.lines()
        .filter_map(|line| line.strip_prefix("final count "))
        .map(|rest| {
            let words: Vec<&str> = rest.split([' ', ',', ':']).collect();
            let count = words[0].parse().expect("a count after `final count`");
            let of = words[2].parse().expect("a number after `of`");
            (count, of)
        })
        .collect()
}

#[test]
fn replay_of_seed_3_by_part() {
    let out = stdout_of(LESSON, &["--seed", "3"]);
    snapshot!("lesson04_seed_3_racy", racy(&out));
    snapshot!("lesson04_seed_3_mutex", section(&out, "Part 3", "Part 4"));
    snapshot!("lesson04_seed_3_fetch_add", section(&out, "Part 4", "Read"));
    // The same for every seed and every schedule: the racy counter under seeds 0 to 9.
    snapshot!(
        "lesson04_seed_table",
        section(&out, "The racy counter under seeds", "Part 3")
    );
}

#[test]
fn the_classic_lost_update_by_schedule() {
    // a loads 0, b loads 0, a stores 1, b stores 1 over it: one update lost.
    let out = stdout_of(LESSON, &["--schedule", "0101"]);
    let part = racy(&out);
    assert!(part.contains("store 1 (stale)"), "{part}");
    snapshot!("lesson04_schedule_0101_racy", part);
}

#[test]
fn predict_hides_the_values() {
    let out = stdout_of(LESSON, &["--seed", "3", "--predict"]);
    for leak in [
        "load 0",
        "store 1",
        "final count 2",
        "add 1",
        "fetch_add 1",
        "exact in every replay",
    ] {
        assert!(
            !out.contains(leak),
            "a value leaked into --predict ({leak}): {out}"
        );
    }
    snapshot!("lesson04_predict_racy", racy(&out));
}

#[test]
fn every_seed_racy_loses_some_and_the_fixes_lose_none() {
    let mut racy_finals = std::collections::BTreeSet::new();
    for seed in 0..20 {
        let out = stdout_of(LESSON, &["--seed", &seed.to_string()]);
        let counts = final_counts(&out);
        assert_eq!(counts.len(), 3, "three parts count: {out}");
        let (racy, expected) = counts[0];
        assert_eq!(expected, 4);
        assert!((2..=4).contains(&racy), "seed {seed}: racy ended at {racy}");
        racy_finals.insert(racy);
        assert_eq!(counts[1], (4, 4), "seed {seed}: the Mutex lost an update");
        assert_eq!(counts[2], (4, 4), "seed {seed}: fetch_add lost an update");
        // Under the Mutex, a thread that wants the lock while the other holds it is not ready.
        let mutex = section(&out, "Part 3", "Part 4");
        let stale = racy_section_stale_stores(&out);
        assert_eq!(
            stale > 0,
            racy < 4,
            "seed {seed}: stale stores and lost updates"
        );
        assert!(!mutex.contains("stale"));
    }
    assert!(
        racy_finals.len() > 1 && racy_finals.iter().any(|&count| count < 4),
        "20 seeds of the racy counter ended at {racy_finals:?}"
    );
}

/// How many rows of the racy trace are stale stores.
fn racy_section_stale_stores(out: &str) -> usize {
    racy(out)
        .lines()
        .filter(|line| line.contains(" | ") && line.contains("(stale)"))
        .count()
}

#[test]
fn the_lock_serialises_the_threads() {
    // While a thread holds the lock, it is the only one ready: between its `lock` and its
    // `unlock` the `ready` column holds one thread.
    let out = stdout_of(LESSON, &["--seed", "5"]);
    let mutex = section(&out, "Part 3", "Part 4");
    let mut holder: Option<&str> = None;
    for line in mutex.lines().filter(|line| line.contains(" | ")) {
        let cells: Vec<&str> = line.split(" | ").map(str::trim).collect();
        if cells.len() < 4 || !cells[0].chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let (ready, a, b) = (cells[1], cells[2], cells[3]);
        let (who, action) = if a.is_empty() { ("1", b) } else { ("0", a) };
        if holder.is_some() {
            assert_eq!(Some(ready), holder, "a second thread was ready: {line}");
            assert_eq!(Some(who), holder, "another thread stepped in: {line}");
        }
        if action == "lock" {
            holder = Some(who);
        } else if action == "unlock" {
            holder = None;
        }
    }
}

#[test]
fn same_seed_same_bytes_also_under_load() {
    let first = stdout_of(LESSON, &["--seed", "9"]);
    for _ in 0..10 {
        assert_eq!(stdout_of(LESSON, &["--seed", "9"]), first);
    }
    let _load = load_the_cpu();
    for _ in 0..10 {
        assert_eq!(stdout_of(LESSON, &["--seed", "9"]), first);
    }
}

#[test]
fn live_runs_keep_the_invariants() {
    for args in [
        &[][..],
        &["--threads", "3", "--increments", "2000", "--yield-between"],
        &["--threads", "1", "--increments", "50"],
    ] {
        for _ in 0..2 {
            let out = stdout_of(LESSON, args);
            let counts = final_counts(&out);
            assert_eq!(counts.len(), 3, "{args:?}: {out}");
            let (racy, expected) = counts[0];
            assert!(
                racy <= expected,
                "{args:?}: racy counted {racy} of {expected}"
            );
            assert!(racy > 0, "{args:?}: at least the last store counts");
            assert_eq!(counts[1], (expected, expected), "{args:?}: Mutex");
            assert_eq!(counts[2], (expected, expected), "{args:?}: fetch_add");
            for line in out.lines().filter(|line| line.starts_with("final count")) {
                let (count, of) = final_counts(line)[0];
                assert!(
                    line.ends_with(&format!("lost updates: {}", of - count)),
                    "{line}"
                );
            }
        }
    }
}

#[test]
fn bench_prints_a_table_of_three_versions() {
    let out = stdout_of(
        LESSON,
        &["--bench", "--threads", "2", "--increments", "2000"],
    );
    for (name, exact) in [
        ("racy load + store", false),
        ("parking_lot::Mutex", true),
        ("AtomicU64::fetch_add", true),
    ] {
        let line = out
            .lines()
            .find(|line| line.starts_with(name))
            .unwrap_or_else(|| panic!("no row for {name}: {out}"));
        let cells: Vec<&str> = line.split(" | ").map(str::trim).collect();
        let nanos: f64 = cells[1].parse().expect("ns per increment is a number");
        assert!(nanos > 0.0, "{line}");
        if exact {
            assert_eq!(cells[2], "4000 of 4000", "{line}");
        }
    }
}

#[test]
fn the_lesson_names_its_chapter() {
    assert!(stdout_of(LESSON, &["--seed", "0"]).contains("book/src/lesson04.md"));
    assert!(stdout_of(LESSON, &["--increments", "10"]).contains("book/src/lesson04.md"));
}

#[test]
fn bad_input_exits_2_with_a_message() {
    for args in [
        &["--threads", "0"][..],
        &["--threads", "17"],
        &["--threads", "many"],
        &["--increments", "0"],
        &["--increments", "200001"],
        &["--increments", "-5"],
        &["--bench", "--seed", "1"],
        &["--bench", "--predict"],
        &["--schedule", "012"],
        &["--seed", "x"],
        &["--yield-between=yes"],
        &["stray"],
    ] {
        assert_rejected(LESSON, args);
    }
}

/// A flag that a run would ignore is refused, with a line that says where it applies.
#[test]
fn live_only_flags_are_refused_in_a_replay() {
    for (args, names) in [
        (&["--seed", "1", "--threads", "3"][..], "--threads"),
        (&["--predict", "--increments=5"], "--increments"),
        (&["--schedule", "0101", "--increments", "5"], "--increments"),
        (&["--seed", "2", "--yield-between"], "--yield-between"),
        (&["--bench", "--yield-between"], "--yield-between"),
    ] {
        assert_rejected(LESSON, args);
        let stderr = common::run(LESSON, args).stderr;
        assert!(
            stderr.starts_with(&format!("error: {names} applies to live runs")),
            "{args:?}: {stderr}"
        );
    }
    let stderr = common::run(LESSON, &["--seed", "1", "--threads", "3"]).stderr;
    assert!(
        stderr.contains("a replay always runs 2 threads x 2 increments"),
        "{stderr}"
    );
}

#[test]
fn help_lists_the_flags() {
    let out = stdout_of(LESSON, &["--help"]);
    for flag in [
        "--seed",
        "--schedule",
        "--predict",
        "--threads",
        "--increments",
        "--yield-between",
        "--bench",
    ] {
        assert!(out.contains(flag), "--help does not mention {flag}");
    }
}

// ---- Part 1: the programs rustc must reject ----

/// The rustc version whose messages the `lesson04_compile_error_*` snapshots hold. With another
/// rustc the error codes and headlines are still checked, but not the exact wording.
const SNAPSHOT_RUSTC: &str = "rustc 1.95.";

fn rustc() -> String {
    std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string())
}

/// Compiles `file` (under tests/compile_fail) as an edition-2024 binary in a fresh temporary
/// directory; returns rustc's exit status and its messages.
fn compile(file: &str) -> (Option<i32>, String) {
    let out_dir = tempfile::tempdir().expect("a temporary directory");
    let mut command = Command::new(rustc());
    command
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "bin",
            "--color",
            "never",
        ])
        .args(["--emit", "metadata", "--out-dir"])
        .arg(out_dir.path())
        .arg(Path::new("tests/compile_fail").join(file));
    let finished = run_command_with_timeout(command, Duration::from_secs(60))
        .unwrap_or_else(|error| panic!("could not run {}: {error}", rustc()));
    assert!(!finished.timed_out, "rustc took over a minute on {file}");
    (finished.code, finished.stderr)
}

/// The part of a diagnostic the chapter shows: the first error with its labelled source, up to
/// its first note (the notes point into the standard library, whose paths vary by machine),
/// and the closing `rustc --explain` line.
fn headline_block(stderr: &str) -> String {
    let mut block: Vec<&str> = stderr
        .lines()
        .skip_while(|line| !line.starts_with("error["))
        .take_while(|line| !line.starts_with("note:") && !line.is_empty())
        .collect();
    while block.last().is_some_and(|line| line.trim() == "|") {
        block.pop();
    }
    let mut text = block.join("\n");
    if let Some(explain) = stderr.lines().find(|line| line.contains("rustc --explain")) {
        text.push_str("\n\n");
        text.push_str(explain);
    }
    text
}

fn rustc_version() -> String {
    let out = Command::new(rustc())
        .arg("--version")
        .output()
        .expect("rustc --version runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn assert_rejected_by_rustc(file: &str, code: &str, headline: &str, snapshot_name: &str) {
    let (status, stderr) = compile(file);
    assert_eq!(
        status,
        Some(1),
        "{file} must fail to compile (rustc exits 1); rustc said:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("error[{code}]: {headline}")),
        "{file}: expected error[{code}]: {headline}; rustc said:\n{stderr}"
    );
    if rustc_version().starts_with(SNAPSHOT_RUSTC) {
        snapshot!(snapshot_name, headline_block(&stderr));
    } else {
        eprintln!("{snapshot_name}: not compared, recorded with {SNAPSHOT_RUSTC}x");
    }
}

#[test]
fn compile_fail_shared_counter_is_a_data_race_rustc_rejects() {
    assert_rejected_by_rustc(
        "lesson04_shared_counter.rs",
        "E0499",
        "cannot borrow `counter` as mutable more than once at a time",
        "lesson04_compile_error_shared_counter",
    );
}

#[test]
fn compile_fail_shared_cell_is_not_sync() {
    assert_rejected_by_rustc(
        "lesson04_shared_cell.rs",
        "E0277",
        "`Cell<u64>` cannot be shared between threads safely",
        "lesson04_compile_error_shared_cell",
    );
}
