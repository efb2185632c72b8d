//! The `workbook` command, run as a student would: list, check (a failing starter, a passing
//! solution, a deadlock, a build error), hints in order, the solution refused before done,
//! reset, the JSON report, and clear errors with exit status 2.
//!
//! Every test keeps its progress file in a fresh temporary directory (`WORKBOOK_PROGRESS`) and
//! changes no file of the repository: passing and deadlocking attempts are checked with
//! `check ID --file PATH`, and `reset` runs on a temporary git repository (`WORKBOOK_ROOT`).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use workbook::exercises;
use workbook::process::{Finished, run_command_with_timeout};

const WORKBOOK: &str = env!("CARGO_BIN_EXE_workbook");

/// Generous: the first check may compile the exercises' dependencies.
const LIMIT: Duration = Duration::from_secs(300);

/// A student: a progress file of their own, in a temporary directory.
struct Student {
    dir: tempfile::TempDir,
}

impl Student {
    fn new() -> Student {
        Student {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    fn progress(&self) -> PathBuf {
        self.dir.path().join("progress.json")
    }

    /// Runs `workbook ARGS` with this student's progress file.
    fn run(&self, args: &[&str]) -> Finished {
        self.run_in(None, args)
    }

    /// Runs `workbook ARGS` on the repository at `root` (the real one when `None`).
    fn run_in(&self, root: Option<&Path>, args: &[&str]) -> Finished {
        let mut command = Command::new(WORKBOOK);
        command
            .args(args)
            .env("WORKBOOK_PROGRESS", self.progress())
            .env("WORKBOOK_STUDENT", "ada");
        match root {
            Some(root) => command.env("WORKBOOK_ROOT", root),
            None => command.env_remove("WORKBOOK_ROOT"),
        };
        let finished = run_command_with_timeout(command, LIMIT).expect("workbook starts");
        assert!(!finished.timed_out, "workbook {args:?} did not finish");
        assert!(
            !finished.stderr.contains("panicked"),
            "workbook {args:?} panicked: {}",
            finished.stderr
        );
        finished
    }

    fn report(&self) -> Value {
        let finished = self.run(&["report", "--json"]);
        assert_eq!(finished.code, Some(0), "{}", finished.stderr);
        serde_json::from_str(&finished.stdout).expect("report --json is JSON")
    }
}

fn exercise_in<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["exercises"]
        .as_array()
        .expect("an exercises list")
        .iter()
        .find(|exercise| exercise["id"] == id)
        .unwrap_or_else(|| panic!("{id} is not in the report: {report}"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn help_lists_the_commands() {
    for args in [&["--help"][..], &["help"]] {
        let finished = Student::new().run(args);
        assert_eq!(finished.code, Some(0));
        for command in ["list", "check", "hint", "solution", "reset", "report"] {
            assert!(finished.stdout.contains(command), "{}", finished.stdout);
        }
    }
}

#[test]
fn list_shows_every_exercise_not_started() {
    let finished = Student::new().run(&["list"]);
    assert_eq!(finished.code, Some(0), "{}", finished.stderr);
    for exercise in exercises::all() {
        let line = finished
            .stdout
            .lines()
            .find(|line| line.trim_start().starts_with(exercise.id))
            .unwrap_or_else(|| panic!("{} is not listed:\n{}", exercise.id, finished.stdout));
        assert!(line.contains(exercise.title), "{line}");
        assert!(
            line.contains("not started") && line.contains("hints 0/3"),
            "{line}"
        );
    }
}

#[test]
fn check_of_the_starter_fails_and_says_why() {
    if !exercises::edited_starters(&root()).is_empty() {
        // The starters are the student's work in progress: checking them proves nothing.
        println!("lesson 1's starters are edited: the check of a starter is not tested");
        return;
    }
    let student = Student::new();
    let finished = student.run(&["check", "01a"]);
    assert_eq!(
        finished.code,
        Some(1),
        "{}{}",
        finished.stdout,
        finished.stderr
    );
    assert!(finished.stdout.contains("NOT DONE"), "{}", finished.stdout);
    assert!(
        // The replay command: a seed, or the explorer's schedule.
        finished.stdout.contains("did not take turns")
            && (finished.stdout.contains("--seed") || finished.stdout.contains("--schedule")),
        "the failure should say what went wrong and how to replay it: {}",
        finished.stdout
    );
    let report = student.report();
    let entry = exercise_in(&report, "01a");
    assert_eq!(entry["status"], "failing");
    assert!(
        entry["last_check"]
            .as_str()
            .is_some_and(|time| time.ends_with('Z'))
    );

    // A whole lesson: every exercise of it is checked, and it is not done.
    let finished = student.run(&["check", "01"]);
    assert_eq!(finished.code, Some(1));
    assert!(
        finished
            .stdout
            .contains("0 of 2 exercises of lesson 01 done"),
        "{}",
        finished.stdout
    );
    assert_eq!(exercise_in(&student.report(), "01b")["status"], "failing");
}

#[test]
fn a_failing_check_shows_the_students_own_interleaving_before_the_hint() {
    if !exercises::edited_starters(&root()).is_empty() {
        println!("some starters are edited: the check of a starter is not tested");
        return;
    }
    let student = Student::new();
    let finished = student.run(&["check", "04a"]);
    assert_eq!(
        finished.code,
        Some(1),
        "{}{}",
        finished.stdout,
        finished.stderr
    );
    let out = &finished.stdout;
    let order = [
        "NOT DONE: the final count was",
        "Your program's own interleaving, the shortest failing one found",
        "step | ready",
        "Invariant broken: the final count is threads x increments",
        "Replay it: cargo run --manifest-path lessons/Cargo.toml --bin ex04a -- --threads 2 \
         --increments 2 --schedule ",
        "Stuck? cargo run --bin workbook -- hint 04a",
    ];
    let mut from = 0;
    for piece in order {
        let Some(at) = out[from..].find(piece) else {
            panic!("expected `{piece}` after the text before it:\n{out}");
        };
        from += at + piece.len();
    }
}

#[test]
fn check_of_the_solution_passes() {
    let student = Student::new();
    // Lesson 1's, the exercises judged on behaviour (04a-05b), and 07a/07b, whose solutions
    // clippy once refused under --file (the graded package lacked `rust-version`).
    let graded = [
        "01a", "01b", "04a", "04b", "04c", "05a", "05b", "07a", "07b",
    ];
    for exercise in exercises::all().iter().filter(|e| graded.contains(&e.id)) {
        let solution = exercise.solution_path(&root());
        let finished = student.run(&["check", exercise.id, "--file", solution.to_str().unwrap()]);
        assert_eq!(
            finished.code,
            Some(0),
            "{}{}",
            finished.stdout,
            finished.stderr
        );
        assert!(finished.stdout.contains("DONE"), "{}", finished.stdout);
        assert!(!finished.stdout.contains("NOT DONE"), "{}", finished.stdout);
    }
    // Grading a file records nothing for the student.
    assert!(!student.progress().exists());
}

#[test]
fn a_deadlocked_attempt_ends_with_the_deadlock_message() {
    let student = Student::new();
    let attempt = student.dir.path().join("ex01a_deadlocked.rs");
    fs::write(
        &attempt,
        "//! Two threads each wait for the other's message: a deadlock.\n\
         use crossbeam_channel::bounded;\n\
         fn main() {\n    \
             let (to_a, for_a) = bounded::<u32>(0);\n    \
             let (to_b, for_b) = bounded::<u32>(0);\n    \
             std::thread::scope(|scope| {\n        \
                 scope.spawn(|| for_a.recv().map(|n| to_b.send(n)));\n        \
                 scope.spawn(|| for_b.recv().map(|n| to_a.send(n)));\n    \
             });\n\
         }\n",
    )
    .unwrap();
    let limit = exercises::find("01a").unwrap().timeout;
    let started = std::time::Instant::now();
    let finished = student.run(&["check", "01a", "--file", attempt.to_str().unwrap()]);
    assert_eq!(
        finished.code,
        Some(1),
        "{}{}",
        finished.stdout,
        finished.stderr
    );
    let message = format!(
        "your program did not finish within {} s",
        limit.as_secs_f64()
    );
    assert!(
        // A check that judges the record says the toolkit did not stop it (a std channel).
        finished.stdout.contains(&message)
            && (finished.stdout.contains("is it deadlocked?")
                || finished
                    .stdout
                    .contains("the toolkit did not stop it either")),
        "{}",
        finished.stdout
    );
    // The time limit, plus building one small file; never a hang.
    assert!(
        started.elapsed() < limit + Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn an_attempt_that_does_not_compile_is_a_build_error_not_a_crash() {
    let student = Student::new();
    let attempt = student.dir.path().join("ex01b_broken.rs");
    fs::write(&attempt, "fn main() {\n    let stop: bool = 1;\n}\n").unwrap();
    let finished = student.run(&["check", "01b", "--file", attempt.to_str().unwrap()]);
    assert_eq!(
        finished.code,
        Some(1),
        "{}{}",
        finished.stdout,
        finished.stderr
    );
    assert!(
        finished.stdout.contains("does not build"),
        "{}",
        finished.stdout
    );
    assert!(
        finished.stdout.contains("error[E0308]"),
        "{}",
        finished.stdout
    );
    assert!(
        finished.stdout.contains("ex01b_broken.rs:2"),
        "{}",
        finished.stdout
    );
}

#[test]
fn hints_come_one_tier_at_a_time_and_are_remembered() {
    let student = Student::new();
    let exercise = exercises::find("01a").unwrap();
    for tier in 1..=3 {
        let finished = student.run(&["hint", "01a"]);
        assert_eq!(finished.code, Some(0), "{}", finished.stderr);
        assert!(
            finished.stdout.contains(&format!("Hint {tier} of 3")),
            "{}",
            finished.stdout
        );
        let first_words: String = exercise.hints[tier - 1]
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            finished.stdout.contains(&first_words),
            "{}",
            finished.stdout
        );
        assert_eq!(exercise_in(&student.report(), "01a")["hints_used"], tier);
    }
    // After the third, the third again: there is no fourth.
    let finished = student.run(&["hint", "01a"]);
    assert!(finished.stdout.contains("Hint 3 of 3") && finished.stdout.contains("last hint"));
    assert_eq!(exercise_in(&student.report(), "01a")["hints_used"], 3);
    assert_eq!(exercise_in(&student.report(), "01b")["hints_used"], 0);
}

#[test]
fn the_solution_is_refused_until_the_exercise_is_done() {
    let student = Student::new();
    let finished = student.run(&["solution", "01a"]);
    assert_eq!(finished.code, Some(1));
    assert!(finished.stdout.is_empty(), "{}", finished.stdout);
    assert!(finished.stderr.contains("--force"), "{}", finished.stderr);

    let solution =
        fs::read_to_string(exercises::find("01a").unwrap().solution_path(&root())).unwrap();
    let finished = student.run(&["solution", "01a", "--force"]);
    assert_eq!(finished.code, Some(0));
    assert!(finished.stdout.contains(&solution));

    // Once a check has passed (as the progress file records it), no --force is needed.
    fs::write(
        student.progress(),
        r#"{"format": 1, "exercises": {"01a": {"status": "done", "hints_used": 0, "solved": true}}}"#,
    )
    .unwrap();
    let finished = student.run(&["solution", "01a"]);
    assert_eq!(finished.code, Some(0), "{}", finished.stderr);
    assert!(finished.stdout.contains(&solution));
}

#[test]
fn report_json_has_every_exercise_with_its_fields() {
    let student = Student::new();
    student.run(&["hint", "01b"]);
    let report = student.report();
    assert_eq!(report["student"], "ada");
    assert_eq!(report["total"], exercises::all().len());
    assert_eq!(report["done"], 0);
    for exercise in exercises::all() {
        let entry = exercise_in(&report, exercise.id);
        assert_eq!(entry["status"], "not started");
        assert!(entry["hints_used"].is_u64());
        assert!(entry["last_check"].is_null());
    }
    assert_eq!(exercise_in(&report, "01b")["hints_used"], 1);

    let finished = student.run(&["report"]);
    assert_eq!(finished.code, Some(0));
    let summary = format!(
        "0 of {} exercises done, 1 hint used",
        exercises::all().len()
    );
    assert!(finished.stdout.contains(&summary), "{}", finished.stdout);
}

#[test]
fn reset_restores_the_committed_starter_after_asking() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("git is not installed: reset is not tested");
        return;
    }
    let student = Student::new();
    let repo = tempfile::tempdir().unwrap();
    let exercise = exercises::find("01a").unwrap();
    let starter = fs::read_to_string(exercise.starter_path(&root())).unwrap();
    fs::create_dir_all(repo.path().join("lessons/exercises")).unwrap();
    fs::copy(
        root().join("lessons/Cargo.toml"),
        repo.path().join("lessons/Cargo.toml"),
    )
    .unwrap();
    let copy = exercise.starter_path(repo.path());
    fs::write(&copy, &starter).unwrap();
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .arg("-C")
            .arg(repo.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .unwrap()
            .status;
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "starters"]);
    fs::write(&copy, "// my attempt\n").unwrap();

    let finished = student.run_in(Some(repo.path()), &["reset", "01a"]);
    assert_eq!(finished.code, Some(1));
    assert!(finished.stderr.contains("--yes"), "{}", finished.stderr);
    assert_eq!(fs::read_to_string(&copy).unwrap(), "// my attempt\n");

    let finished = student.run_in(Some(repo.path()), &["reset", "01a", "--yes"]);
    assert_eq!(finished.code, Some(0), "{}", finished.stderr);
    assert_eq!(fs::read_to_string(&copy).unwrap(), starter);
    let backup = student.dir.path().join("backup").join(exercise.starter);
    assert_eq!(fs::read_to_string(backup).unwrap(), "// my attempt\n");
}

#[test]
fn bad_commands_and_ids_exit_2() {
    for args in [
        &[][..],
        &["bogus"],
        &["check"],
        &["check", "99z"],
        &["check", "01a", "01b"],
        &["hint", "01"],
        &["hint", "nope"],
        &["solution"],
        &["reset", "7x", "--yes"],
        &["report", "--yes"],
        &["list", "01"],
        &["check", "01a", "--file"],
        &["check", "01a", "--file", "/no/such/file.rs"],
        &["check", "01a", "--verbose"],
    ] {
        common::assert_rejected(WORKBOOK, args);
    }
}
