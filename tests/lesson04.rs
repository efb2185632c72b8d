//! lesson04: the shared counter. The compile-fail programs must still fail to compile; replays
//! and the explorer's census are snapshotted; the trace of every seed is checked against what
//! each counter's code does; live runs and `--bench` are checked by invariants only.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{assert_rejected, load_the_cpu, stdout_of};
use workbook::process::run_command_with_timeout;

const LESSON: &str = env!("CARGO_BIN_EXE_lesson04");

/// The piece of `out` from the line starting with `from` up to the line starting with `to`
/// (or the end), so the book can include each part's snapshot whole.
fn section<'a>(out: &'a str, from: &str, to: &str) -> &'a str {
    let start = if out.starts_with(from) {
        0
    } else {
        out.find(&format!("\n{from}"))
            .map(|at| at + 1)
            .unwrap_or_else(|| panic!("no {from:?} in:\n{out}"))
    };
    let end = out[start..]
        .find(&format!("\n{to}"))
        .map_or(out.len(), |at| start + at + 1);
    out[start..end].trim_end_matches('\n')
}

fn racy(out: &str) -> &str {
    section(out, "Part 2", "The racy counter under seeds")
}

fn mutex(out: &str) -> &str {
    section(out, "Part 3", "Part 4")
}

fn fetch_add(out: &str) -> &str {
    section(out, "Part 4", "Read chapter 4")
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

/// The rows of a trace table, in order: (thread column name, what it did).
fn turns(part: &str) -> Vec<(String, String)> {
    let mut lines = part.lines().skip_while(|line| !line.starts_with("step |"));
    let header: Vec<String> = lines
        .next()
        .expect("a trace table")
        .split('|')
        .map(|cell| cell.trim().to_string())
        .collect();
    let mut turns = Vec::new();
    for line in lines.skip(1).take_while(|line| line.contains('|')) {
        for (column, cell) in line.split('|').enumerate() {
            let name = &header[column];
            if name.chars().next().is_some_and(|c| c.is_ascii_digit()) && !cell.trim().is_empty() {
                let name = name.split_once(' ').unwrap().1.to_string();
                turns.push((name, cell.trim().to_string()));
            }
        }
    }
    turns
}

/// The number after `prefix` in `text`, up to the next non-digit.
fn number_after(text: &str, prefix: &str) -> Option<u64> {
    let rest = text.strip_prefix(prefix)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[test]
fn replay_of_seed_8_by_part() {
    let out = stdout_of(LESSON, &["--seed", "8"]);
    snapshot!("lesson04_seed_8_racy", racy(&out));
    snapshot!("lesson04_seed_8_mutex", mutex(&out));
    snapshot!("lesson04_seed_8_fetch_add", fetch_add(&out));
    snapshot!(
        "lesson04_seed_table",
        section(&out, "The racy counter under seeds", "Part 3")
    );
}

#[test]
fn the_classic_lost_update_by_schedule() {
    // main spawns both; a loads 0, b loads 0, a stores 1, b stores 1 over it: one update lost.
    let out = stdout_of(LESSON, &["--part", "2", "--schedule", "01212"]);
    assert!(!out.contains("Part 3"), "--part 2 runs part 2 only: {out}");
    let part = racy(&out);
    let done: Vec<(String, String)> = turns(part)
        .into_iter()
        .filter(|(_, what)| what.starts_with("counter."))
        .take(4)
        .collect();
    let expected = [
        ("a", "counter.load() -> 0"),
        ("b", "counter.load() -> 0"),
        ("a", "counter.store(1)"),
        ("b", "counter.store(1)"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(who, what)| (who.to_string(), what.to_string()))
        .collect();
    assert_eq!(done, expected, "{part}");
    assert_eq!(final_counts(&out), [(3, 4)]);
    snapshot!("lesson04_schedule_01212_racy", part);
}

#[test]
fn predict_hides_the_values() {
    // Seed 12: not one of the seeds the chapter shows the answer of.
    let out = stdout_of(LESSON, &["--seed", "12", "--predict"]);
    for line in out.lines() {
        for (marker, end) in [("-> ", ' '), ("store(", ')'), ("unlock counter (", ')')] {
            if let Some(at) = line.find(marker) {
                let value: String = line[at + marker.len()..]
                    .chars()
                    .take_while(|&c| c != end && c != '|')
                    .collect();
                assert_eq!(value.trim(), "?", "a value leaked into --predict: {line}");
            }
        }
        if let Some(rest) = line.strip_prefix("final count ") {
            assert!(rest.starts_with("? of 4, lost updates: ?"), "{line}");
        }
    }
    assert!(!out.contains("every thread finished"), "{out}");
    let table = section(&out, "The racy counter under seeds", "Part 3");
    for row in table.lines().skip(3) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!((cells[1], cells[2]), ("?", "?"), "{row}");
    }
    snapshot!("lesson04_predict_racy", racy(&out));
}

/// What each counter's code does, read back from the trace of every seed 0 to 19: the racy
/// threads store what they loaded plus one (so the count is the last store), the Mutex and
/// fetch_add see 0, 1, 2, 3 in turn, and both threads, a and b, do two increments each.
#[test]
fn every_seed_the_trace_is_the_code() {
    let mut racy_finals = BTreeSet::new();
    for seed in 0..20 {
        let out = stdout_of(LESSON, &["--seed", &seed.to_string()]);
        let counts = final_counts(&out);
        assert_eq!(counts.len(), 3, "three parts count: {out}");
        assert_eq!(counts[1], (4, 4), "seed {seed}: the Mutex lost an update");
        assert_eq!(counts[2], (4, 4), "seed {seed}: fetch_add lost an update");

        let mut seen = std::collections::HashMap::new();
        let mut last_store = 0;
        let mut per_thread = std::collections::HashMap::new();
        for (who, what) in turns(racy(&out)) {
            if let Some(value) = number_after(&what, "counter.load() -> ") {
                if who != "main" {
                    seen.insert(who.clone(), value);
                }
            } else if let Some(value) = number_after(&what, "counter.store(") {
                assert_eq!(
                    Some(&(value - 1)),
                    seen.get(&who),
                    "seed {seed}: {who} {what}"
                );
                last_store = value;
                *per_thread.entry(who).or_insert(0) += 1;
            }
        }
        assert_eq!(counts[0], (last_store, 4), "seed {seed}");
        assert_eq!(per_thread.len(), 2, "seed {seed}: two threads store");
        assert!(per_thread.values().all(|&n| n == 2), "seed {seed}");
        racy_finals.insert(last_store);

        for (part, prefix, first) in [
            (mutex(&out), "unlock counter (", 1),
            (fetch_add(&out), "counter.fetch_add(1) -> ", 0),
        ] {
            let mut per_thread = std::collections::HashMap::new();
            let values: Vec<u64> = turns(part)
                .into_iter()
                .filter_map(|(who, what)| {
                    let value = number_after(&what, prefix)?;
                    *per_thread.entry(who).or_insert(0) += 1;
                    Some(value)
                })
                .collect();
            assert_eq!(
                values,
                [first, first + 1, first + 2, first + 3],
                "seed {seed}: {part}"
            );
            assert_eq!(per_thread.len(), 2, "seed {seed}: {part}");
            assert!(
                per_thread.keys().all(|who| who == "a" || who == "b"),
                "{part}"
            );
        }
        // A lock is followed by its unlock before anyone else locks.
        let locks: Vec<String> = turns(mutex(&out))
            .into_iter()
            .filter(|(_, what)| what.contains("lock counter"))
            .map(|(who, what)| format!("{who} {}", what.split(' ').next().unwrap()))
            .collect();
        for pair in locks.chunks(2) {
            let who = pair[0].split(' ').next().unwrap();
            assert_eq!(
                pair,
                [format!("{who} lock"), format!("{who} unlock")],
                "{locks:?}"
            );
        }
    }
    assert!(
        racy_finals.len() > 1 && racy_finals.iter().any(|&count| count < 4),
        "20 seeds of the racy counter ended at {racy_finals:?}"
    );
}

/// The explorer's census of one part: (outcome, schedules, the reproducing arguments), and
/// the summary line.
fn census(part: &str) -> (Vec<(String, String)>, String) {
    let rows = part
        .lines()
        .skip_while(|line| !line.starts_with("outcome"))
        .skip(2)
        .take_while(|line| line.contains('|'))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let args = cells[2].split_once(" -- ").map_or("", |(_, args)| args);
            (cells[0].to_string(), args.to_string())
        })
        .collect();
    let summary = part
        .lines()
        .find(|line| line.starts_with("explored"))
        .unwrap_or_else(|| panic!("no summary: {part}"))
        .to_string();
    (rows, summary)
}

/// The proof: every schedule of 2 threads x 2 increments, run by the lesson's own code.
#[test]
fn explore_proves_the_fixes_and_finds_every_racy_count() {
    let out = stdout_of(LESSON, &["--explore"]);
    for (part, finals) in [
        (racy(&out), vec!["2", "3", "4"]),
        (mutex(&out), vec!["4"]),
        (fetch_add(&out), vec!["4"]),
    ] {
        let (rows, summary) = census(part);
        assert!(summary.contains(": complete,"), "{summary}");
        let mut outcomes: Vec<&str> = rows.iter().map(|(outcome, _)| outcome.as_str()).collect();
        outcomes.sort();
        assert_eq!(outcomes, finals, "{part}");
        // Each outcome replays from the schedule the census gives for it.
        for (outcome, args) in &rows {
            let args: Vec<&str> = args.split(' ').collect();
            let replay = stdout_of(LESSON, &args);
            assert_eq!(
                final_counts(&replay),
                [(outcome.parse().unwrap(), 4)],
                "{args:?}"
            );
        }
    }
    assert!(
        out.contains("every schedule ends at one of: 2, 3, 4"),
        "{out}"
    );
    assert_eq!(
        out.matches("every schedule ends at 4 of 4: exact").count(),
        2
    );
    snapshot!(
        "lesson04_explore",
        section(&out, "--explore", "Read chapter 4")
    );
}

/// The racy counts worked out a second way, without the explorer: every way to merge two
/// threads' [load, store, load, store] (70 of them), run step by step.
#[test]
fn the_explorer_agrees_with_brute_force() {
    let mut finals = BTreeSet::new();
    for who in 0u32..(1 << 8) {
        if who.count_ones() != 4 {
            continue;
        }
        let (mut counter, mut seen, mut next_is_load) = (0, [0u64; 2], [true; 2]);
        for step in 0..8 {
            let thread = ((who >> step) & 1) as usize;
            if next_is_load[thread] {
                seen[thread] = counter;
            } else {
                counter = seen[thread] + 1;
            }
            next_is_load[thread] = !next_is_load[thread];
        }
        finals.insert(counter.to_string());
    }
    let out = stdout_of(LESSON, &["--explore", "--part", "2"]);
    let explored: BTreeSet<String> = census(&out).0.into_iter().map(|(o, _)| o).collect();
    assert_eq!(explored, finals);
}

/// A bound too small to reach every schedule is said; the default reaches them all.
#[test]
fn explore_says_when_the_search_is_not_complete() {
    let out = stdout_of(LESSON, &["--explore", "--part", "2", "--preemptions", "6"]);
    let (_, summary) = census(&out);
    assert!(summary.contains("NOT every schedule"), "{summary}");
    assert!(out.contains("not every schedule was run"), "{out}");
    let out = stdout_of(LESSON, &["--explore", "--part", "2"]);
    assert!(out.contains("at most 10 preemptions"), "{out}");
    assert!(out.contains("complete, every schedule"), "{out}");
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
        &["--threads", "3", "--increments", "2000"],
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
    let out = stdout_of(
        LESSON,
        &["--part", "3", "--threads", "2", "--increments", "10"],
    );
    assert_eq!(final_counts(&out), [(20, 20)], "{out}");
}

#[test]
fn bench_prints_a_table_of_three_versions_and_reads_it_right() {
    let out = stdout_of(
        LESSON,
        &["--bench", "--threads", "2", "--increments", "2000"],
    );
    let mut measured = Vec::new();
    for (name, exact) in [
        ("racy load + store", false),
        ("Mutex", true),
        ("fetch_add", true),
    ] {
        let line = out
            .lines()
            .find(|line| line.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no row for {name}: {out}"));
        let cells: Vec<&str> = line.split(" | ").map(str::trim).collect();
        let nanos: f64 = cells[1].parse().expect("ns per increment is a number");
        assert!(nanos > 0.0, "{line}");
        let count: u64 = cells[2].split(' ').next().unwrap().parse().unwrap();
        if exact {
            assert_eq!(cells[2], "4000 of 4000", "{line}");
        }
        measured.push((name, cells[1].to_string(), 4000 - count));
    }
    let lost: Vec<String> = measured
        .iter()
        .map(|(name, _, lost)| match lost {
            1 => format!("{name} 1 update"),
            _ => format!("{name} {lost} updates"),
        })
        .collect();
    assert!(
        out.contains(&format!("Lost in the median round: {}.", lost.join(", "))),
        "{out}"
    );
    measured.sort_by(|a, b| a.1.parse::<f64>().unwrap().total_cmp(&b.1.parse().unwrap()));
    let order: Vec<String> = measured
        .iter()
        .map(|(name, nanos, _)| format!("{name} ({nanos} ns)"))
        .collect();
    assert!(
        out.contains(&format!("Fastest first on this run: {}.", order.join(", "))),
        "{out}"
    );
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
        &["--bench", "--part", "2"],
        &["--schedule", "0101"],
        &["--part", "1", "--schedule", "0"],
        &["--part", "5"],
        &["--part", "2", "--schedule", "2"],
        &["--part", "3", "--schedule", "0111111"],
        &["--explore", "--threads", "3"],
        &["--explore", "--seed", "1"],
        &["--seed", "x"],
        &["--yield-between"],
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
        (&["--explore", "--threads", "2"], "--threads"),
        (
            &["--explore", "--part", "2", "--increments", "5"],
            "--increments",
        ),
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
        "--explore",
        "--part",
        "--threads",
        "--increments",
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
