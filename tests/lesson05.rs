//! lesson05: the deadlock. Replays are snapshotted; live runs are checked by invariants: the
//! deadlock demo is detected and ends by itself every time, the fixes finish every time.

mod common;

use std::time::Duration;

use common::{Finished, assert_rejected, load_the_cpu, stdout_of};

const LESSON: &str = env!("CARGO_BIN_EXE_lesson05");

/// The exit status of a live run whose watchdog found the threads stuck.
const DEADLOCK_EXIT: i32 = 4;

/// A live run of the deadlock ends within this time. With the opt-in `deadlock-detection`
/// feature the lesson also symbolises parking_lot's backtraces, about 0.4 s of CPU a run, which
/// several runs at once on a busy machine can stretch past 3 s.
const END_WITHIN: Duration = if cfg!(feature = "deadlock-detection") {
    Duration::from_secs(8)
} else {
    Duration::from_secs(3)
};

/// How many live runs go at once.
const AT_ONCE: usize = if cfg!(feature = "deadlock-detection") {
    2
} else {
    5
};

/// Splits a replay's output into the run itself and the table of seeds, without the final
/// chapter line, so the book can include each piece whole.
fn pieces(out: &str) -> (&str, &str) {
    let at = out
        .find("Seeds 0 to")
        .expect("a replay prints a table of seeds");
    let end = out
        .find("Read chapter 5")
        .expect("the lesson names its chapter");
    (&out[..at], out[at..end].trim_end())
}

/// The rows of the table of seeds: (seed, with the barrier, without the barrier).
fn seed_rows(out: &str) -> Vec<(u64, String, String)> {
    pieces(out)
        .1
        .lines()
        .filter_map(|line| {
            let mut cells = line.split(" | ").map(str::trim);
            let seed = cells.next()?.parse().ok()?;
            Some((seed, cells.next()?.to_string(), cells.next()?.to_string()))
        })
        .collect()
}

#[test]
fn replays_by_seed() {
    let out = stdout_of(LESSON, &["--seed", "3"]);
    let (run, seeds) = pieces(&out);
    assert!(
        run.contains("DEADLOCK after 6 steps: nobody can run"),
        "{run}"
    );
    snapshot!("lesson05_seed_3", run);
    snapshot!("lesson05_seeds", seeds);
    for (name, args) in [
        (
            "lesson05_no_barrier_seed_0",
            &["--no-barrier", "--seed", "0"][..],
        ),
        (
            "lesson05_no_barrier_seed_2",
            &["--no-barrier", "--seed", "2"],
        ),
        ("lesson05_fix1_seed_1", &["--fix", "1", "--seed", "1"]),
        ("lesson05_fix2_seed_3", &["--fix", "2", "--seed", "3"]),
    ] {
        snapshot!(name, pieces(&stdout_of(LESSON, args)).0);
    }
}

#[test]
fn replay_by_schedule() {
    // A->B takes A, then B->A takes B: the deadlock in two steps, no barrier needed.
    let out = stdout_of(LESSON, &["--no-barrier", "--schedule", "01"]);
    assert!(out.contains("DEADLOCK after 2 steps"), "{out}");
    assert!(
        out.contains("A->B waits to lock B; B->A waits to lock A"),
        "{out}"
    );
    snapshot!("lesson05_schedule_01", pieces(&out).0);
}

/// "01" repeated: the two transfers take strict turns, so every attempt collides.
fn alternating() -> String {
    "01".repeat(62)
}

#[test]
fn fix_2_livelocks_when_the_turns_alternate_and_gives_up() {
    let schedule = alternating();
    let out = stdout_of(LESSON, &["--fix", "2", "--schedule", &schedule]);
    let run = pieces(&out).0;
    assert!(run.contains("A->B GAVE UP after 20 attempts"), "{run}");
    assert!(run.contains("B->A GAVE UP after 20 attempts"), "{run}");
    assert!(run.contains("Balances: A 100, B 100"), "{run}");
    assert!(!run.contains("move "), "{run}");
    let lines: Vec<&str> = run.lines().collect();
    // The first three rounds of the table, and how it ended.
    snapshot!("lesson05_livelock_start", lines[1..21].join("\n"));
    let end = lines
        .iter()
        .position(|line| line.starts_with("every thread finished"))
        .expect("the replay finished");
    snapshot!("lesson05_livelock_end", lines[end..].join("\n"));
}

#[test]
fn predict_hides_the_values() {
    let out = stdout_of(LESSON, &["--fix", "1", "--seed", "3", "--predict"]);
    assert!(
        !out.contains("A 110"),
        "a value leaked into --predict: {out}"
    );
    snapshot!("lesson05_predict", pieces(&out).0);
}

#[test]
fn with_the_barrier_every_seed_deadlocks_without_it_some_do() {
    let out = stdout_of(LESSON, &["--seed", "0", "--seeds", "200"]);
    let rows = seed_rows(&out);
    assert_eq!(rows.len(), 200);
    assert_eq!(rows.last().unwrap().0, 199);
    assert!(
        rows.iter()
            .all(|(_, with, _)| with == "DEADLOCK after 6 steps"),
        "the barrier makes the deadlock certain in every replay"
    );
    let deadlocks = rows
        .iter()
        .filter(|(_, _, without)| without.starts_with("DEADLOCK"))
        .count();
    assert!(
        (20..=180).contains(&deadlocks),
        "without the barrier it should be luck, but {deadlocks} of 200 seeds deadlocked"
    );
}

#[test]
fn both_fixes_finish_in_every_seed_from_0_to_199() {
    for fix in ["1", "2"] {
        let out = stdout_of(LESSON, &["--fix", fix, "--seed", "0", "--seeds", "200"]);
        let rows = seed_rows(&out);
        assert_eq!(rows.len(), 200, "fix {fix}");
        for (seed, with, without) in rows {
            assert!(
                with.starts_with("finished") && without.starts_with("finished"),
                "fix {fix}, seed {seed}: with the barrier {with:?}, without {without:?}"
            );
        }
    }
}

#[test]
fn a_replayed_fix_shows_both_transfers_completing() {
    for fix in ["1", "2"] {
        for seed in ["0", "7", "42"] {
            let out = stdout_of(LESSON, &["--fix", fix, "--seed", seed]);
            let run = pieces(&out).0;
            // A->B moves 10 out of A, B->A moves 20 out of B, in either order.
            assert!(
                run.contains("move 10 A 90, B 110") || run.contains("move 10 A 110, B 90"),
                "{run}"
            );
            assert!(
                run.contains("move 20 B 80, A 120") || run.contains("move 20 B 90, A 110"),
                "{run}"
            );
            assert!(run.contains("every thread finished"), "{run}");
            assert!(
                run.contains("Both transfers completed: A 110, B 90"),
                "{run}"
            );
        }
    }
}

#[test]
fn same_seed_same_bytes_also_under_load() {
    let args = ["--fix", "2", "--seed", "5", "--seeds", "1"];
    let first = stdout_of(LESSON, &args);
    for _ in 0..5 {
        assert_eq!(stdout_of(LESSON, &args), first);
    }
    let _load = load_the_cpu();
    for _ in 0..3 {
        assert_eq!(stdout_of(LESSON, &args), first);
    }
}

/// Runs the lesson `runs` times with `args`, `at_once` runs at a time, and returns every result.
fn live_runs(args: &[&str], runs: usize, at_once: usize) -> Vec<Finished> {
    let mut all = Vec::new();
    while all.len() < runs {
        let batch = at_once.min(runs - all.len());
        let finished: Vec<Finished> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..batch)
                .map(|_| scope.spawn(|| common::run(LESSON, args)))
                .collect();
            handles
                .into_iter()
                .map(|handle| handle.join().expect("a run panicked"))
                .collect()
        });
        all.extend(finished);
    }
    all
}

/// Fifty consecutive live runs, one after another, as the issue asks (about 1 s in all). With
/// parking_lot's detector compiled in, each run symbolises backtraces and takes longer, so that
/// build runs them a few at a time.
#[test]
fn fifty_live_runs_each_deadlock_and_are_detected_and_end_within_3_seconds() {
    let at_once = if cfg!(feature = "deadlock-detection") {
        AT_ONCE
    } else {
        1
    };
    let runs = live_runs(&[], 50, at_once);
    assert_eq!(runs.len(), 50);
    for (number, finished) in runs.iter().enumerate() {
        let out = &finished.stdout;
        assert!(
            finished.elapsed < END_WITHIN,
            "run {number} took {:?}",
            finished.elapsed
        );
        assert_eq!(
            finished.code,
            Some(DEADLOCK_EXIT),
            "run {number}: {out}\n{}",
            finished.stderr
        );
        assert!(!finished.stderr.contains("panicked"), "{}", finished.stderr);
        assert!(out.contains("watchdog: DEADLOCK"), "run {number}: {out}");
        assert!(detected_after_ms(out) < 2000, "run {number}: {out}");
        assert!(
            out.contains("A->B holds lock A and waits for lock B, held by B->A"),
            "run {number}: {out}"
        );
        assert!(
            out.contains("B->A holds lock B and waits for lock A, held by A->B"),
            "run {number}: {out}"
        );
        assert!(out.contains("std::process::exit(4)"), "run {number}: {out}");
        assert!(
            !out.contains("move "),
            "no money moved in run {number}: {out}"
        );
        assert!(out.trim_end().ends_with("(or `mdbook serve book`)."));
    }
    // What the watchdog says, for the book: the only part that varies is how soon it noticed.
    #[cfg(not(feature = "deadlock-detection"))]
    {
        let out = &runs[0].stdout;
        let report = &out[out.find("watchdog:").expect("a report")..];
        let millis = detected_after_ms(out);
        let report = report.replacen(&format!("found {millis} ms"), "found N ms", 1);
        snapshot!("lesson05_live_watchdog", report.trim_end());
    }
}

/// How many milliseconds after the start the watchdog says it found the deadlock.
fn detected_after_ms(out: &str) -> u64 {
    let before = out.split(" ms after the transfers started").next().unwrap();
    let millis = before.rsplit(' ').next().unwrap();
    millis
        .parse()
        .unwrap_or_else(|_| panic!("no detection time in {out}"))
}

/// The lines a live run printed in one column: column 0 starts at the margin.
fn live_column(out: &str, column: usize) -> Vec<&str> {
    out.lines()
        .filter(|line| {
            matches!(
                line.split_whitespace().next(),
                Some("lock" | "try" | "move" | "unlock")
            ) && (line.starts_with(' ') == (column == 1))
        })
        .map(str::trim)
        .collect()
}

#[test]
fn live_fixes_finish_every_time() {
    for fix in ["1", "2"] {
        for finished in live_runs(&["--fix", fix], 10, 5) {
            let out = &finished.stdout;
            assert_eq!(
                finished.code,
                Some(0),
                "fix {fix}: {out}\n{}",
                finished.stderr
            );
            assert!(
                finished.elapsed < Duration::from_secs(3),
                "fix {fix}: {out}"
            );
            assert!(!out.contains("watchdog"), "fix {fix}: {out}");
            assert!(
                out.contains("Both transfers completed: A 110, B 90"),
                "{out}"
            );
            for column in [0, 1] {
                let lines = live_column(out, column);
                let moves = lines.iter().filter(|line| line.starts_with("move")).count();
                assert_eq!(moves, 1, "fix {fix}: each transfer moves once: {out}");
                let locks = lines
                    .iter()
                    .filter(|line| line.starts_with("lock") || line.ends_with("got it"))
                    .count();
                let unlocks = lines.iter().filter(|l| l.starts_with("unlock")).count();
                assert_eq!(locks, unlocks, "every lock taken is given back: {out}");
            }
        }
    }
}

#[test]
fn live_without_the_barrier_finishes_or_is_detected() {
    for finished in live_runs(&["--no-barrier"], 5, 5) {
        let out = &finished.stdout;
        assert!(finished.elapsed < Duration::from_secs(3), "{out}");
        match finished.code {
            Some(0) => assert!(out.contains("Both transfers completed"), "{out}"),
            Some(DEADLOCK_EXIT) => assert!(out.contains("watchdog: DEADLOCK"), "{out}"),
            other => panic!("exit {other:?}: {out}\n{}", finished.stderr),
        }
    }
}

#[test]
fn the_lesson_names_its_chapter() {
    assert!(stdout_of(LESSON, &["--seed", "0"]).contains("book/src/lesson05.md"));
    assert!(stdout_of(LESSON, &["--fix", "1"]).contains("book/src/lesson05.md"));
}

#[test]
fn a_schedule_naming_a_missing_thread_is_an_error_not_a_hang() {
    let finished = common::run(LESSON, &["--schedule", "0120"]);
    assert_eq!(finished.code, Some(2));
    assert!(finished.stderr.contains("thread 2"), "{}", finished.stderr);
    assert!(finished.stdout.is_empty(), "{}", finished.stdout);
}

#[test]
fn bad_input_exits_2_with_a_message() {
    for args in [
        &["--fix", "3"][..],
        &["--fix", "-1"],
        &["--fix", "one"],
        &["--fix"],
        &["--seeds", "0"],
        &["--seeds", "1001"],
        &["--seeds", "20"],
        &["--fix", "1", "--seeds=5"],
        &["--no-barrier=yes"],
        &["--seed", "abc"],
        &["--schedule", "0x2"],
        &["--schedule", "5"],
        &["--seed", "1", "--schedule", "01"],
        &["--no-such-flag"],
        &["stray"],
    ] {
        assert_rejected(LESSON, args);
    }
}

#[test]
fn help_lists_the_flags() {
    let out = stdout_of(LESSON, &["--help"]);
    for flag in [
        "--seed",
        "--schedule",
        "--predict",
        "--fix",
        "--no-barrier",
        "--seeds",
    ] {
        assert!(out.contains(flag), "--help does not mention {flag}");
    }
}

/// With the opt-in feature, parking_lot's own detector must agree with the watchdog. (CI runs
/// this file once more with `--features deadlock-detection`.)
#[cfg(feature = "deadlock-detection")]
#[test]
fn parking_lot_detector_agrees_when_enabled() {
    let runs = live_runs(&[], 5, AT_ONCE);
    for finished in &runs {
        let out = &finished.stdout;
        assert_eq!(finished.code, Some(DEADLOCK_EXIT), "{out}");
        assert!(finished.elapsed < END_WITHIN, "{out}");
        assert!(
            out.contains("parking_lot's detector agrees: a cycle of 2 threads: A->B, B->A"),
            "{out}"
        );
        assert!(out.contains("A->B is parked in Bank::lock"), "{out}");
        assert!(out.contains("called from transfer"), "{out}");
    }
    // For the book: the detector's lines, with line numbers (which move as the lesson is
    // edited) replaced by N.
    let out = &runs[0].stdout;
    let from = out.find("parking_lot's detector agrees").unwrap();
    let lines: Vec<String> = out[from..]
        .lines()
        .take(3)
        .map(|line| {
            let mut text = String::new();
            for (index, piece) in line.split("(line ").enumerate() {
                if index == 0 {
                    text.push_str(piece);
                } else {
                    let rest = piece.trim_start_matches(|c: char| c.is_ascii_digit());
                    text.push_str("(line N");
                    text.push_str(rest);
                }
            }
            text
        })
        .collect();
    snapshot!("lesson05_live_parking_lot", lines.join("\n"));
}
