//! The `workbook` command, run as a student would: list, check (a failing starter, a passing
//! solution, a deadlock, a build error), hints in order, the solution refused before done,
//! reset, the JSON report, and clear errors with exit status 2.
//!
//! Every test keeps its progress file in a fresh temporary directory (`WORKBOOK_PROGRESS`) and
//! changes no file of the repository: passing and deadlocking attempts are checked with
//! `check ID --file PATH`, and `reset` runs on a temporary git repository (`WORKBOOK_ROOT`).

mod common;
// The grader lives in the `workbook` command (src/bin/workbook/exercises/), not in the library
// the lessons link; the tests include it the same way.
#[allow(dead_code)]
#[path = "../src/bin/workbook/exercises/mod.rs"]
mod exercises;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
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
        println!("some starters are edited: the check of a starter is not tested");
        return;
    }
    // Lesson 6's starters: their checks fail in the first schedules explored, so this test
    // is about the command, not about waiting for a check.
    let student = Student::new();
    let finished = student.run(&["check", "06a"]);
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
        finished
            .stdout
            .contains("the squares are not in the order of the jobs")
            && (finished.stdout.contains("--seed") || finished.stdout.contains("--schedule")),
        "the failure should say what went wrong and how to replay it: {}",
        finished.stdout
    );
    let report = student.report();
    let entry = exercise_in(&report, "06a");
    assert_eq!(entry["status"], "failing");
    assert!(
        entry["last_check"]
            .as_str()
            .is_some_and(|time| time.ends_with('Z'))
    );

    // A whole lesson: every exercise of it is checked, and it is not done.
    let finished = student.run(&["check", "06"]);
    assert_eq!(finished.code, Some(1));
    assert!(
        finished
            .stdout
            .contains("0 of 2 exercises of lesson 06 done"),
        "{}",
        finished.stdout
    );
    assert_eq!(exercise_in(&student.report(), "06b")["status"], "failing");
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
    // 07a and 07b, whose solutions clippy once refused under --file (the graded package lacked
    // `rust-version`), and 04a. Every solution's check is in tests/exercises.rs; here the point
    // is that a file is graded with the starter's build settings, not what each check does.
    let graded = ["04a", "07a", "07b"];
    // Independent checks: all at once, judged in catalogue order.
    let all = exercises::all();
    let student = &student;
    let runs: Vec<Finished> = std::thread::scope(|scope| {
        let running: Vec<_> = all
            .iter()
            .filter(|e| graded.contains(&e.id))
            .map(|exercise| {
                scope.spawn(move || {
                    let solution = exercise.solution_path(&root());
                    student.run(&["check", exercise.id, "--file", solution.to_str().unwrap()])
                })
            })
            .collect();
        running
            .into_iter()
            .map(|run| run.join().expect("a check --file panicked"))
            .collect()
    });
    for finished in runs {
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
    // The check's own limit is 20 s; WORKBOOK_TIME_LIMIT_MS shortens it (for tests only).
    let limit = Duration::from_secs(3).min(exercises::find("01a").unwrap().timeout);
    let started = std::time::Instant::now();
    let finished = run_with(
        &student,
        &["check", "01a", "--file", attempt.to_str().unwrap()],
        LIMIT,
        |command| {
            command.env("WORKBOOK_TIME_LIMIT_MS", "3000");
        },
    );
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
    let backups: Vec<_> = fs::read_dir(student.dir.path().join("backup"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(
        backups[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(exercise.starter),
        "{backups:?}"
    );
    assert_eq!(fs::read_to_string(&backups[0]).unwrap(), "// my attempt\n");
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

/// Runs `workbook ARGS` with `student`'s progress file, changed by `prepare`, within `limit`.
fn run_with(
    student: &Student,
    args: &[&str],
    limit: Duration,
    prepare: impl FnOnce(&mut Command),
) -> Finished {
    let mut command = Command::new(WORKBOOK);
    command
        .args(args)
        .env("WORKBOOK_PROGRESS", student.progress())
        .env("WORKBOOK_STUDENT", "ada")
        .env_remove("WORKBOOK_ROOT");
    prepare(&mut command);
    let finished = run_command_with_timeout(command, limit).expect("workbook starts");
    assert!(
        !finished.timed_out,
        "workbook {args:?} did not finish within {limit:?}"
    );
    assert!(
        !finished.stderr.contains("panicked"),
        "workbook {args:?} panicked: {}",
        finished.stderr
    );
    finished
}

/// True when bubblewrap works here (installed, and user namespaces allowed).
fn bubblewrap_works() -> bool {
    cfg!(target_os = "linux")
        && std::env::var_os("WORKBOOK_NO_BWRAP").is_none()
        && Command::new("bwrap")
            .args(["--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid"])
            .args(["--unshare-net", "--die-with-parent", "--", "true"])
            .output()
            .is_ok_and(|output| output.status.success())
}

#[test]
fn a_checked_program_runs_in_a_scratch_folder_with_its_own_home_and_environment() {
    let student = Student::new();
    let here = student.dir.path().join("here");
    fs::create_dir(&here).unwrap();
    fs::write(here.join("canary"), "still here").unwrap();
    // In the repository: with bubblewrap, read-only to the program.
    let outside = root()
        .join("target")
        .join(format!("sandbox-probe-{}", std::process::id()));
    let attempt = student.dir.path().join("ex01a_deleter.rs");
    fs::write(
        &attempt,
        format!(
            "//! Deletes everything in its working directory, and writes outside it.\n\
             fn main() {{\n    \
                 let here = std::env::current_dir().unwrap();\n    \
                 for entry in std::fs::read_dir(&here).unwrap().flatten() {{\n        \
                     let _ = std::fs::remove_dir_all(entry.path());\n        \
                     let _ = std::fs::remove_file(entry.path());\n    \
                 }}\n    \
                 let wrote = std::fs::write({outside:?}, \"x\").is_ok();\n    \
                 let var = |name: &str| std::env::var(name).unwrap_or_default();\n    \
                 eprintln!(\"cwd={{}}\", here.display());\n    \
                 eprintln!(\"home={{}} tmpdir={{}}\", var(\"HOME\"), var(\"TMPDIR\"));\n    \
                 eprintln!(\"secret={{}} wrote_outside={{wrote}}\", var(\"WORKBOOK_SECRET\"));\n    \
                 std::process::exit(1);\n\
             }}\n"
        ),
    )
    .unwrap();
    let finished = run_with(
        &student,
        &["check", "01a", "--file", attempt.to_str().unwrap()],
        LIMIT,
        |command| {
            command
                .current_dir(&here)
                .env("WORKBOOK_SECRET", "canary")
                .env("HOME", &here);
        },
    );
    assert_eq!(
        finished.code,
        Some(1),
        "{}{}",
        finished.stdout,
        finished.stderr
    );
    let out = &finished.stdout;
    assert!(out.contains("cwd="), "{out}");
    assert!(
        here.join("canary").exists(),
        "the program deleted the folder the check was run from:\n{out}"
    );
    assert!(!out.contains(&format!("cwd={}", here.display())), "{out}");
    assert!(!out.contains(&format!("home={}", here.display())), "{out}");
    assert!(out.contains("secret= "), "the environment leaked:\n{out}");
    assert!(out.contains("(The file runs in "), "{out}");
    println!("{out}");
    let wrote = fs::remove_file(&outside).is_ok();
    if bubblewrap_works() {
        assert!(out.contains("wrote_outside=false"), "{out}");
        assert!(!wrote, "the program wrote into the repository");
    } else {
        println!("bubblewrap does not work here: the read-only repository is not tested");
    }
}

#[test]
fn a_hint_taken_during_a_check_is_kept_and_two_checks_at_once_both_count() {
    use std::io::BufRead;
    if !exercises::edited_starters(&root()).is_empty() {
        println!("some starters are edited: the check of a starter is not tested");
        return;
    }
    let student = Student::new();
    let mut check = Command::new(WORKBOOK);
    check
        .args(["check", "01a"])
        .env("WORKBOOK_PROGRESS", student.progress())
        .env_remove("WORKBOOK_ROOT")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut check = check.spawn().expect("workbook starts");
    let mut lines = std::io::BufReader::new(check.stdout.take().unwrap()).lines();
    // Once it says what it checks, it has read the progress file; the hints come now.
    let mut checking = false;
    for line in lines.by_ref() {
        if line.unwrap_or_default().starts_with("Checking 01a") {
            checking = true;
            break;
        }
    }
    assert!(checking, "the check did not start");
    let hints = [student.run(&["hint", "01b"]), student.run(&["hint", "01a"])];
    let still_running = check.try_wait().unwrap().is_none();
    // Another check at once, of another exercise.
    let other = student.run(&["check", "01b"]);
    assert_eq!(other.code, Some(1), "{}{}", other.stdout, other.stderr);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = check.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = check.kill();
            panic!("check 01a did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(1));
    for hint in hints {
        assert_eq!(hint.code, Some(0), "{}", hint.stderr);
    }
    let report = student.report();
    assert_eq!(exercise_in(&report, "01a")["status"], "failing");
    assert_eq!(exercise_in(&report, "01b")["status"], "failing");
    assert_eq!(exercise_in(&report, "01b")["hints_used"], 1, "{report}");
    assert_eq!(exercise_in(&report, "01a")["hints_used"], 1, "{report}");
    if !still_running {
        println!("the check ended before the hints: the overlap was not tested this time");
    }
}

/// A git repository with lesson 1's starter of 01a committed (for `reset`), or `None` without git.
fn starter_repository() -> Option<(tempfile::TempDir, PathBuf, String)> {
    if Command::new("git").arg("--version").output().is_err() {
        println!("git is not installed: reset is not tested");
        return None;
    }
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
    for args in [
        &["init", "-q"][..],
        &["add", "."],
        &["commit", "-q", "-m", "starters"],
    ] {
        let status = Command::new("git")
            .arg("-C")
            .arg(repo.path())
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .output()
            .unwrap()
            .status;
        assert!(status.success(), "git {args:?}");
    }
    Some((repo, copy, starter))
}

#[test]
fn every_reset_keeps_its_own_backup() {
    let Some((repo, copy, starter)) = starter_repository() else {
        return;
    };
    let student = Student::new();
    for attempt in ["// attempt 1\n", "// attempt 2\n", "// attempt 3\n"] {
        fs::write(&copy, attempt).unwrap();
        let finished = student.run_in(Some(repo.path()), &["reset", "01a", "--yes"]);
        assert_eq!(finished.code, Some(0), "{}", finished.stderr);
        assert!(finished.stdout.contains("backup"), "{}", finished.stdout);
        assert_eq!(fs::read_to_string(&copy).unwrap(), starter);
    }
    let mut kept: Vec<String> = fs::read_dir(student.dir.path().join("backup"))
        .unwrap()
        .map(|entry| fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    kept.sort();
    assert_eq!(kept, ["// attempt 1\n", "// attempt 2\n", "// attempt 3\n"]);
}

#[cfg(unix)]
#[test]
fn reset_never_writes_through_a_symbolic_link() {
    let Some((repo, copy, _)) = starter_repository() else {
        return;
    };
    let student = Student::new();
    let elsewhere = tempfile::tempdir().unwrap();
    let precious = elsewhere.path().join("precious.rs");
    fs::write(&precious, "// precious\n").unwrap();
    // The exercise file is a link to a file elsewhere.
    fs::remove_file(&copy).unwrap();
    std::os::unix::fs::symlink(&precious, &copy).unwrap();
    let finished = student.run_in(Some(repo.path()), &["reset", "01a", "--yes"]);
    assert_eq!(finished.code, Some(1), "{}", finished.stdout);
    assert!(
        finished.stderr.contains("symbolic link"),
        "{}",
        finished.stderr
    );
    assert_eq!(fs::read_to_string(&precious).unwrap(), "// precious\n");
    // The backup folder is a link to a folder elsewhere.
    fs::remove_file(&copy).unwrap();
    fs::write(&copy, "// mine\n").unwrap();
    std::os::unix::fs::symlink(elsewhere.path(), student.dir.path().join("backup")).unwrap();
    let finished = student.run_in(Some(repo.path()), &["reset", "01a", "--yes"]);
    assert_eq!(finished.code, Some(1), "{}", finished.stdout);
    assert_eq!(fs::read_dir(elsewhere.path()).unwrap().count(), 1);
    assert_eq!(fs::read_to_string(&copy).unwrap(), "// mine\n");
}

#[test]
fn an_odd_progress_file_is_refused_and_left_as_it_is() {
    for odd in [
        r#"{"format": 99, "exercises": {}}"#,
        r#"{"format": 1, "exercises": {"01a": {"status": "weird"}}}"#,
        r#"{"format": 1, "exercises": {"01a": {"solved": "yes"}}}"#,
        r#"{"format": 1, "exercises": {"01a": {"hints_used": 7}}}"#,
    ] {
        let student = Student::new();
        fs::write(student.progress(), odd).unwrap();
        let finished = student.run(&["hint", "01b"]);
        assert_eq!(finished.code, Some(2), "{odd}: {}", finished.stdout);
        assert!(finished.stderr.contains("damaged"), "{}", finished.stderr);
        assert_eq!(fs::read_to_string(student.progress()).unwrap(), odd);
    }
}

#[cfg(unix)]
#[test]
fn saving_progress_keeps_the_files_mode_and_its_symbolic_link() {
    use std::os::unix::fs::PermissionsExt;
    let student = Student::new();
    let real = student.dir.path().join("real.json");
    fs::write(&real, r#"{"format": 1, "exercises": {}}"#).unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o644)).unwrap();
    std::os::unix::fs::symlink(&real, student.progress()).unwrap();
    let finished = student.run(&["hint", "01a"]);
    assert_eq!(finished.code, Some(0), "{}", finished.stderr);
    let link = fs::symlink_metadata(student.progress()).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    assert_eq!(
        fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o644
    );
    assert_eq!(exercise_in(&student.report(), "01a")["hints_used"], 1);
}

#[cfg(unix)]
#[test]
fn a_progress_path_that_is_not_a_regular_file_is_refused_at_once() {
    let student = Student::new();
    let fifo = student.dir.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    let mut paths = vec![PathBuf::from("/dev/full")];
    if made.is_ok_and(|status| status.success()) {
        paths.push(fifo);
    } else {
        println!("mkfifo failed: a FIFO progress path is not tested");
    }
    for path in paths {
        for args in [&["list"][..], &["hint", "01a"]] {
            let finished = run_with(&student, args, Duration::from_secs(20), |command| {
                command.env("WORKBOOK_PROGRESS", &path);
            });
            assert_eq!(finished.code, Some(2), "{path:?} {args:?}");
            assert!(
                finished.stderr.contains("not a regular file"),
                "{}",
                finished.stderr
            );
        }
    }
}

#[test]
fn a_background_process_holding_the_output_does_not_stretch_the_check() {
    let student = Student::new();
    let token = format!("{}.{}", 45, std::process::id());
    let attempt = student.dir.path().join("ex01a_background.rs");
    fs::write(
        &attempt,
        format!(
            "//! Leaves a process behind that holds the output open.\n\
             fn main() {{\n    \
                 let _ = std::process::Command::new(\"sleep\").arg(\"{token}\").spawn();\n    \
                 eprintln!(\"started sleep\");\n    \
                 std::process::exit(1);\n\
             }}\n"
        ),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let finished = student.run(&["check", "01a", "--file", attempt.to_str().unwrap()]);
    assert_eq!(
        finished.code,
        Some(1),
        "{}{}",
        finished.stdout,
        finished.stderr
    );
    assert!(
        finished.stdout.contains("started sleep"),
        "{}",
        finished.stdout
    );
    // Building one small file and one run; never the 45 s of the sleep.
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "took {:?}",
        started.elapsed()
    );
    let left = fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| {
            fs::read(entry.path().join("cmdline"))
                .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(&token))
        });
    assert!(!left, "the background `sleep {token}` outlived the check");
}

#[test]
fn a_huge_line_of_output_is_not_kept_whole() {
    let student = Student::new();
    let attempt = student.dir.path().join("ex01a_huge.rs");
    fs::write(
        &attempt,
        "//! Prints one 50 MB line and fails.\n\
         use std::io::Write;\n\
         fn main() {\n    \
             let line = vec![b'x'; 50 << 20];\n    \
             let _ = std::io::stderr().write_all(&line);\n    \
             std::process::exit(1);\n\
         }\n",
    )
    .unwrap();
    let finished = student.run(&["check", "01a", "--file", attempt.to_str().unwrap()]);
    assert_eq!(finished.code, Some(1), "{}", finished.stderr);
    assert!(finished.stdout.contains("xxxx"), "{}", finished.stdout);
    assert!(
        finished.stdout.len() < 100_000,
        "{} bytes of output",
        finished.stdout.len()
    );
}

#[test]
fn with_an_unwritable_progress_file_check_shows_every_verdict_then_the_error() {
    if !exercises::edited_starters(&root()).is_empty() {
        println!("some starters are edited: the check of a starter is not tested");
        return;
    }
    let student = Student::new();
    let file = student.dir.path().join("a-file");
    fs::write(&file, "").unwrap();
    let finished = run_with(&student, &["check", "06"], LIMIT, |command| {
        command.env("WORKBOOK_PROGRESS", file.join("progress.json"));
    });
    assert_eq!(finished.code, Some(2), "{}", finished.stdout);
    assert_eq!(
        finished.stdout.matches("NOT DONE").count(),
        2,
        "{}",
        finished.stdout
    );
    assert!(
        finished.stderr.contains("not saved") && finished.stderr.contains("a-file"),
        "{}",
        finished.stderr
    );
}

/// Processes whose command line contains `token`.
fn running_with(token: &str) -> usize {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            fs::read(entry.path().join("cmdline"))
                .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(token))
        })
        .count()
}

#[cfg(target_os = "linux")]
#[test]
fn a_killed_check_leaves_nothing_behind_once_the_workbook_runs_again() {
    let student = Student::new();
    let tmp = student.dir.path().join("tmp");
    fs::create_dir(&tmp).unwrap();
    let token = format!("77.{}", std::process::id());
    let attempt = student.dir.path().join("ex01a_lingers.rs");
    fs::write(
        &attempt,
        format!(
            "//! Starts a process in the background, then takes its time.\n\
             fn main() {{\n    \
                 let _ = std::process::Command::new(\"sleep\").arg(\"{token}\").spawn();\n    \
                 std::thread::sleep(std::time::Duration::from_secs(60));\n\
             }}\n"
        ),
    )
    .unwrap();
    let graded_by = |pid: u32| {
        ["", "deps", ".fingerprint"]
            .iter()
            .flat_map(|dir| fs::read_dir(root().join("target/exercises/debug").join(dir)))
            .flatten()
            .flatten()
            .filter(|entry| {
                let name = entry.file_name().to_string_lossy().into_owned();
                name.contains(&format!("graded_{pid}_")) || name.contains(&format!("graded-{pid}_"))
            })
            .count()
    };
    // SIGTERM: the workbook cleans up itself. SIGKILL (without bubblewrap, whose
    // --die-with-parent would end the program at once): the next run cleans up.
    for (signal, no_bwrap) in [("TERM", false), ("KILL", true)] {
        let mut command = Command::new(WORKBOOK);
        command
            .args(["check", "01a", "--file", attempt.to_str().unwrap()])
            .env("WORKBOOK_PROGRESS", student.progress())
            .env("TMPDIR", &tmp)
            .env_remove("WORKBOOK_ROOT")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if no_bwrap {
            command.env("WORKBOOK_NO_BWRAP", "1");
        }
        let mut check = command.spawn().unwrap();
        let started = std::time::Instant::now();
        while running_with(&token) == 0 {
            assert!(started.elapsed() < LIMIT, "the program never started");
            std::thread::sleep(Duration::from_millis(100));
        }
        let killed = Command::new("kill")
            .args(["-s", signal, &check.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        check.wait().unwrap();
        if signal == "KILL" {
            run_with(&student, &["list"], LIMIT, |command| {
                command.env("TMPDIR", &tmp);
            });
        }
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            running_with(&token),
            0,
            "after SIG{signal}: the program still runs"
        );
        let left: Vec<_> = fs::read_dir(&tmp).unwrap().flatten().collect();
        assert!(
            left.is_empty(),
            "after SIG{signal}: left in TMPDIR: {left:?}"
        );
        assert_eq!(
            graded_by(check.id()),
            0,
            "after SIG{signal}: graded_* left behind"
        );
    }
}

#[test]
fn output_to_a_full_device_or_a_closed_pipe_is_one_line_at_most() {
    if !Path::new("/dev/full").exists() {
        println!("no /dev/full here: a full device is not tested");
        return;
    }
    let student = Student::new();
    for args in [&["list"][..], &["help"], &["report"], &["hint", "01a"]] {
        let mut command = Command::new(WORKBOOK);
        command
            .args(args)
            .env("WORKBOOK_PROGRESS", student.progress())
            .env_remove("WORKBOOK_ROOT")
            .stdout(
                fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            );
        let output = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: cannot write the output"),
            "{stderr}"
        );
    }
    // A reader that stops at once: the output is bigger than a pipe holds.
    let mut list = Command::new(WORKBOOK)
        .args(["help"])
        .env("WORKBOOK_PROGRESS", student.progress())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(list.stdout.take());
    let output = list.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.lines().count() <= 1 && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert!(
        matches!(output.status.code(), Some(0 | 141)),
        "{:?}: {stderr}",
        output.status
    );
}

#[test]
fn a_check_waiting_for_the_build_lock_says_so() {
    let lock_path = root().join("target/exercises/debug/.cargo-lock");
    let Ok(file) = fs::OpenOptions::new().read(true).open(&lock_path) else {
        println!(
            "no {}: the exercises were never built here",
            lock_path.display()
        );
        return;
    };
    let student = Student::new();
    let solution = exercises::find("04a").unwrap().solution_path(&root());
    let mut lock = fd_lock::RwLock::new(file);
    let finished = {
        let Ok(_held) = lock.try_write() else {
            println!("another cargo holds the build lock: the message is not tested");
            return;
        };
        // Released after 3 s, while the check waits.
        let mut command = Command::new(WORKBOOK);
        command
            .args(["check", "04a", "--file", solution.to_str().unwrap()])
            .env("WORKBOOK_PROGRESS", student.progress())
            .env_remove("WORKBOOK_ROOT")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let child = command.spawn().unwrap();
        std::thread::sleep(Duration::from_secs(3));
        child
    };
    drop(lock);
    let output = finished.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("Waiting for another cargo that is building into target/exercises"),
        "{stdout}"
    );
}

#[test]
fn help_for_no_such_command_long_values_and_repeated_switches_exit_2() {
    let long = "x".repeat(100_000);
    for args in [
        &["help", "foo"][..],
        &["--help", "bogus"],
        &["bogus", "--help"],
        &["check", &long],
        &["report", "--json", "--json"],
        &["solution", "01a", "--force", "--force"],
    ] {
        common::assert_rejected(WORKBOOK, args);
        let finished = Student::new().run(args);
        assert!(
            finished.stderr.len() < 1000,
            "{} bytes of error",
            finished.stderr.len()
        );
    }
    for args in [&["help", "check"][..], &["check", "--help"]] {
        assert_eq!(Student::new().run(args).code, Some(0), "{args:?}");
    }
}

#[test]
fn a_file_named_with_a_quote_or_a_newline_is_graded_like_any_other() {
    let student = Student::new();
    let solution = exercises::find("01a").unwrap().solution_path(&root());
    // Two independent checks: both at once.
    let (student, solution) = (&student, &solution);
    std::thread::scope(|scope| {
        for name in ["it's \"mine\".rs", "two\nlines.rs"] {
            scope.spawn(move || {
                let file = student.dir.path().join(name);
                fs::copy(solution, &file).unwrap();
                let finished = student.run(&["check", "01a", "--file", file.to_str().unwrap()]);
                assert_eq!(finished.code, Some(0), "{name:?}: {}", finished.stdout);
            });
        }
    });
}

#[test]
fn a_cargo_that_fails_silently_is_not_blamed_on_the_student() {
    let student = Student::new();
    let solution = exercises::find("01a").unwrap().solution_path(&root());
    let finished = run_with(
        &student,
        &["check", "01a", "--file", solution.to_str().unwrap()],
        LIMIT,
        |command| {
            command.env("CARGO", "/bin/false");
        },
    );
    assert_eq!(finished.code, Some(2), "{}", finished.stdout);
    assert!(
        !finished.stdout.contains("does not build"),
        "{}",
        finished.stdout
    );
    assert!(
        finished.stderr.contains("cargo build failed"),
        "{}",
        finished.stderr
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_checked_program_runs_under_limits_on_memory_and_file_size() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        println!("prlimit is not installed: the resource limits are not tested");
        return;
    }
    let student = Student::new();
    let attempt = student.dir.path().join("ex01a_greedy.rs");
    fs::write(
        &attempt,
        "//! Asks for 6 GB of memory and writes a 100 MB file.\n\
         use std::io::Write;\n\
         fn main() {\n    \
             let mut memory: Vec<u8> = Vec::new();\n    \
             eprintln!(\"memory={}\", memory.try_reserve(6 << 30).is_ok());\n    \
             let mut file = std::fs::File::create(\"big\").unwrap();\n    \
             let block = vec![0u8; 1 << 20];\n    \
             let mut written = 0;\n    \
             while written < 100 && file.write_all(&block).is_ok() {\n        \
                 written += 1;\n    \
             }\n    \
             eprintln!(\"file={written}MB\");\n    \
             std::process::exit(1);\n\
         }\n",
    )
    .unwrap();
    let finished = student.run(&["check", "01a", "--file", attempt.to_str().unwrap()]);
    assert_eq!(finished.code, Some(1), "{}", finished.stdout);
    assert!(
        finished.stdout.contains("memory=false"),
        "6 GB were granted: {}",
        finished.stdout
    );
    // Past 64 MB, the write fails (or SIGXFSZ ends the program).
    assert!(
        !finished.stdout.contains("file=100MB"),
        "a 100 MB file was written: {}",
        finished.stdout
    );
}

#[test]
fn a_save_interrupted_by_a_kill_leaves_no_temporary_file_after_the_next_run() {
    let student = Student::new();
    // What a workbook killed while saving leaves: pid 4294967295 is never a live process.
    let left = student.dir.path().join(".progress-4294967295-a1b2c3.tmp");
    fs::write(&left, "{").unwrap();
    let ours = student.dir.path().join("notes.tmp");
    fs::write(&ours, "mine").unwrap();
    let finished = student.run(&["list"]);
    assert_eq!(finished.code, Some(0), "{}", finished.stderr);
    assert!(!left.exists(), "the temporary file is still there");
    assert!(
        ours.exists(),
        "a file that is not the workbook's was removed"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn an_error_with_stderr_closed_is_no_panic() {
    let output = Command::new(WORKBOOK)
        .args(["bogus"])
        .stderr(
            fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        )
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[cfg(target_os = "linux")]
#[test]
fn a_background_process_that_leaves_the_group_is_ended_too() {
    if Command::new("setsid").arg("--version").output().is_err() {
        println!("setsid is not installed: a process leaving the group is not tested");
        return;
    }
    let student = Student::new();
    let token = format!("46.{}", std::process::id());
    let attempt = student.dir.path().join("ex01a_setsid.rs");
    fs::write(
        &attempt,
        format!(
            "//! Starts a process in a session of its own, which holds the output.\n\
             fn main() {{\n    \
                 let _ = std::process::Command::new(\"setsid\").args([\"sleep\", \"{token}\"]).spawn();\n    \
                 std::thread::sleep(std::time::Duration::from_millis(200));\n    \
                 std::process::exit(1);\n\
             }}\n"
        ),
    )
    .unwrap();
    for no_bwrap in [false, true] {
        let started = std::time::Instant::now();
        let finished = run_with(
            &student,
            &["check", "01a", "--file", attempt.to_str().unwrap()],
            LIMIT,
            |command| {
                if no_bwrap {
                    command.env("WORKBOOK_NO_BWRAP", "1");
                }
            },
        );
        assert_eq!(finished.code, Some(1), "{}", finished.stdout);
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "{:?}",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            running_with(&token),
            0,
            "the `setsid sleep {token}` outlived the check"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_checked_program_cannot_start_thousands_of_threads() {
    let root_user = fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .any(|line| line.starts_with("Uid:") && line.split_whitespace().nth(1) == Some("0"))
    });
    if root_user {
        println!(
            "running as root, for whom RLIMIT_NPROC is not enforced: the thread limit is not tested"
        );
        return;
    }
    if Command::new("prlimit").arg("--version").output().is_err() {
        println!("prlimit is not installed: the thread limit is not tested");
        return;
    }
    let student = Student::new();
    let attempt = student.dir.path().join("ex01a_threads.rs");
    fs::write(
        &attempt,
        "//! Starts threads until it cannot.\n\
         fn main() {\n    \
             let mut started = 0;\n    \
             while started < 6000\n        \
                 && std::thread::Builder::new()\n            \
                     .stack_size(16 << 10)\n            \
                     .spawn(|| std::thread::sleep(std::time::Duration::from_secs(5)))\n            \
                     .is_ok()\n    \
             {\n        \
                 started += 1;\n    \
             }\n    \
             eprintln!(\"threads={started}\");\n    \
             std::process::exit(1);\n\
         }\n",
    )
    .unwrap();
    let finished = student.run(&["check", "01a", "--file", attempt.to_str().unwrap()]);
    assert_eq!(finished.code, Some(1), "{}", finished.stdout);
    assert!(
        finished.stdout.contains("threads=") && !finished.stdout.contains("threads=6000"),
        "{}",
        finished.stdout
    );
}

#[test]
fn a_program_killed_by_a_signal_is_said_to_be_so_with_or_without_bubblewrap() {
    let student = Student::new();
    let attempt = student.dir.path().join("ex01a_abort.rs");
    fs::write(&attempt, "fn main() {\n    std::process::abort();\n}\n").unwrap();
    for no_bwrap in [false, true] {
        let finished = run_with(
            &student,
            &["check", "01a", "--file", attempt.to_str().unwrap()],
            LIMIT,
            |command| {
                if no_bwrap {
                    command.env("WORKBOOK_NO_BWRAP", "1");
                }
            },
        );
        assert_eq!(finished.code, Some(1), "{}", finished.stdout);
        assert!(
            finished.stdout.contains("was killed by a signal"),
            "no_bwrap={no_bwrap}: {}",
            finished.stdout
        );
    }
}
