//! lesson03: writer/reader file race. Replays are snapshotted; the handshake is checked in 100
//! seeds; live runs are checked by invariants; and no run leaves a file or directory behind.

mod common;

use std::path::Path;
use std::process::Command;

use common::{assert_rejected, load_the_cpu, stdout_of};
use workbook::process::{Finished, run_command_with_timeout};

const LESSON: &str = env!("CARGO_BIN_EXE_lesson03");

/// Splits the output at part 2 and drops the closing line, so each part can be snapshotted whole.
fn parts(out: &str) -> (&str, &str) {
    let at = out.find("Part 2").expect("the output has a part 2");
    let end = out
        .find("Read chapter 3")
        .expect("the output names its chapter");
    (
        out[..at].trim_end_matches('\n'),
        out[at..end].trim_end_matches('\n'),
    )
}

/// What the reader reported, read by read, from a replay table or a live run.
fn reads(section: &str) -> Vec<String> {
    section
        .lines()
        .filter_map(|line| {
            line.split(" read ")
                .nth(1)
                .or(line.trim().strip_prefix("read "))
        })
        .map(|found| found.trim_end_matches([' ', '|']).trim().to_string())
        .collect()
}

#[test]
fn replays_by_seed() {
    for seed in ["1", "12"] {
        let out = stdout_of(LESSON, &["--seed", seed]);
        let (race, handshake) = parts(&out);
        snapshot!(format!("lesson03_seed_{seed}_race"), race);
        snapshot!(format!("lesson03_seed_{seed}_handshake"), handshake);
    }
    // A seed where the reader never finds the file at all.
    let out = stdout_of(LESSON, &["--seed", "13", "--part", "1"]);
    assert!(out.contains("found no file in 4 of its 4 reads"), "{out}");
}

#[test]
fn predict_hides_the_values() {
    let out = stdout_of(LESSON, &["--seed", "1", "--predict"]);
    assert!(!out.contains("not found"), "a value leaked: {out}");
    assert!(
        !out.contains("never half a line"),
        "the verdict leaked: {out}"
    );
    assert!(out.contains("The reader saw ?."), "{out}");
    snapshot!("lesson03_predict", parts(&out).0);
}

#[test]
fn the_race_shows_a_missing_file_and_half_lines_in_some_seeds() {
    let (mut missing, mut half, mut clean) = (0, 0, 0);
    for seed in 0..30 {
        let out = stdout_of(LESSON, &["--seed", &seed.to_string(), "--part", "1"]);
        let seen = reads(&out);
        assert_eq!(seen.len(), 4, "{out}");
        missing += seen.iter().any(|found| found == "file not found") as u32;
        half += seen.iter().any(|found| found.contains("half a line")) as u32;
        let all_clean = seen
            .iter()
            .all(|found| !found.contains("not found") && !found.contains("half"));
        clean += all_clean as u32;
        // The summary says "not a crash" only when something went wrong.
        assert_eq!(
            out.contains("This time nothing went wrong."),
            all_clean,
            "{out}"
        );
        assert_eq!(out.contains("is not a crash"), !all_clean, "{out}");
    }
    assert!(
        missing > 0 && half > 0 && clean > 0,
        "30 seeds: {missing} with a missing file, {half} with half a line, {clean} clean"
    );
}

#[test]
fn with_the_handshake_the_reader_never_sees_a_missing_file_or_half_a_line() {
    let expected = ["1 line", "2 lines", "3 lines"];
    for seed in 0..100 {
        let out = stdout_of(LESSON, &["--seed", &seed.to_string(), "--part", "2"]);
        assert_eq!(reads(&out), expected, "seed {seed}:\n{out}");
        assert!(out.contains("every thread finished"), "{out}");
    }
    let out = stdout_of(LESSON, &["--seed", "5", "--part", "2", "--lines", "6"]);
    assert_eq!(reads(&out).len(), 6);
    assert_eq!(reads(&out)[5], "6 lines");
}

#[test]
fn same_seed_same_bytes_also_under_load() {
    let first = stdout_of(LESSON, &["--seed", "4", "--lines", "5"]);
    for _ in 0..5 {
        assert_eq!(stdout_of(LESSON, &["--seed", "4", "--lines", "5"]), first);
    }
    let _load = load_the_cpu();
    for _ in 0..5 {
        assert_eq!(stdout_of(LESSON, &["--seed", "4", "--lines", "5"]), first);
    }
}

/// Line counts the reader reported: `3` for "3 lines", and whether a half line came along.
fn counted(found: &str) -> (u64, bool) {
    let lines = found
        .split(' ')
        .next()
        .and_then(|first| first.parse().ok())
        .unwrap_or(0);
    (lines, found.contains("half a line"))
}

#[test]
fn live_runs_keep_the_invariants() {
    for _ in 0..2 {
        let out = stdout_of(LESSON, &["--lines", "4"]);
        let (race, handshake) = parts(&out);
        // The race: every read is something a reader can really see, and counts never go down
        // (the writer only appends).
        let mut last = 0;
        for found in reads(race) {
            assert!(
                found == "file not found"
                    || found == "empty file"
                    || found.contains("line")
                    || found.starts_with("half a line"),
                "{found:?}"
            );
            let (lines, _) = counted(&found);
            assert!(lines >= last, "the count went down: {race}");
            last = lines;
        }
        // The handshake: 1, 2, 3, 4 lines, never half a line, never a missing file.
        assert_eq!(
            reads(handshake),
            ["1 line", "2 lines", "3 lines", "4 lines"],
            "{handshake}"
        );
    }
}

/// Runs lesson03 with its temporary directory under `tmp` and `cwd` as its working directory.
fn run_in(tmp: &Path, cwd: &Path, args: &[&str]) -> Finished {
    let mut command = Command::new(LESSON);
    command.args(args).env("TMPDIR", tmp).current_dir(cwd);
    let finished = run_command_with_timeout(command, common::LIMIT).expect("lesson03 starts");
    assert!(!finished.timed_out, "lesson03 {args:?} did not finish");
    finished
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn twenty_live_runs_leave_nothing_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let (tmp, cwd) = (tmp.path(), cwd.path());
    // Twenty live runs at once (each mostly sleeps), some of them only the racing part, whose
    // reader may fail to find the file or read half a line.
    let live: Vec<Finished> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..20)
            .map(|index| {
                scope.spawn(move || match index % 3 {
                    0 => run_in(tmp, cwd, &["--part", "1"]),
                    1 => run_in(tmp, cwd, &["--lines", "2"]),
                    _ => run_in(tmp, cwd, &[]),
                })
            })
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });
    for finished in &live {
        assert_eq!(finished.code, Some(0), "{}", finished.stderr);
    }
    // Whether a live reader comes before the writer depends on timing, so it is not asserted
    // here: the replays prove it (seed 13, and `the_race_shows_a_missing_file_...`).
    // Failing runs: bad input, and a temporary directory that cannot be made.
    assert_eq!(run_in(tmp, cwd, &["--lines", "0"]).code, Some(2));
    assert_eq!(run_in(tmp, cwd, &["--schedule", "2"]).code, Some(2));
    let missing = tmp.join("does-not-exist");
    let failed = run_in(&missing, cwd, &["--seed", "1"]);
    assert_eq!(failed.code, Some(1), "{}", failed.stderr);
    assert!(
        failed
            .stderr
            .starts_with("error: could not make a temporary directory")
    );
    assert!(!missing.exists());
    assert!(
        entries(tmp).is_empty(),
        "left in TMPDIR: {:?}",
        entries(tmp)
    );
    assert!(
        entries(cwd).is_empty(),
        "left in the current directory: {:?}",
        entries(cwd)
    );
}

#[test]
fn the_lesson_names_its_chapter() {
    assert!(stdout_of(LESSON, &["--seed", "0"]).contains("book/src/lesson03.md"));
}

#[test]
fn bad_input_exits_2_with_a_message() {
    for args in [
        &["--seed", "abc"][..],
        &["--schedule", "0x2"],
        &["--schedule", ""],
        &["--schedule", "2"],
        &["--lines", "0"],
        &["--lines", "21"],
        &["--part", "3"],
        &["--no-such-flag"],
        &["stray"],
        &["--seed"],
    ] {
        assert_rejected(LESSON, args);
    }
}

#[test]
fn help_lists_the_flags() {
    let out = stdout_of(LESSON, &["--help"]);
    for flag in ["--seed", "--schedule", "--predict", "--lines", "--part"] {
        assert!(out.contains(flag), "--help does not mention {flag}");
    }
}
