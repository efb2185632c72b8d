//! The exercise catalogue: what each exercise asks, its hints, and the check that decides
//! whether a student's program is done.
//!
//! An exercise `NNx` (e.g. `01a`) is two complete programs: the starter the student edits,
//! `lessons/exercises/exNNx_topic.rs`, and the reference solution,
//! `lessons/solutions/solNNx_topic.rs`. Both begin with the same `//!` task statement and are
//! binaries `exNNx` and `solNNx` of the separate package in `lessons/Cargo.toml`, so a starter
//! that does not compile never stops a lesson or another exercise from building.
//!
//! A check runs the built program (with a time limit) and compares what it printed against
//! what the task asks: replay traces where order matters, invariants where it does not.
//! Each lesson's exercises live in a module of their own (`lesson01`, ...).

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::process::{self, Finished};

pub mod lesson01;

/// Every exercise, in lesson order.
pub fn all() -> Vec<Exercise> {
    let mut exercises = Vec::new();
    exercises.extend(lesson01::exercises());
    exercises
}

/// Finds the exercise with this id (`01a`).
pub fn find(id: &str) -> Option<Exercise> {
    all().into_iter().find(|exercise| exercise.id == id)
}

/// One exercise.
#[derive(Clone, Copy, Debug)]
pub struct Exercise {
    /// Lesson number and letter: `01a`.
    pub id: &'static str,
    /// A few words naming the task.
    pub title: &'static str,
    /// File name of the starter in `lessons/exercises/` (`ex01a_three_printers.rs`).
    pub starter: &'static str,
    /// File name of the reference solution in `lessons/solutions/`.
    pub solution: &'static str,
    /// Three hints: a nudge, the API to use, nearly the answer.
    pub hints: [&'static str; 3],
    /// How long one run of the program may take before it counts as stuck.
    pub timeout: Duration,
    /// Decides whether the program is done; `Err` says what is wrong, in a student's words.
    pub check: fn(&Program) -> Result<(), Failure>,
}

impl Exercise {
    /// The lesson this exercise belongs to: `01`.
    pub fn lesson(&self) -> &'static str {
        &self.id[..2]
    }

    /// The binary name of the starter in the exercises package: `ex01a`.
    pub fn starter_bin(&self) -> String {
        format!("ex{}", self.id)
    }

    /// The binary name of the solution in the exercises package: `sol01a`.
    pub fn solution_bin(&self) -> String {
        format!("sol{}", self.id)
    }

    /// The starter's path, under the repository root `root`.
    pub fn starter_path(&self, root: &Path) -> PathBuf {
        root.join("lessons/exercises").join(self.starter)
    }

    /// The solution's path, under the repository root `root`.
    pub fn solution_path(&self, root: &Path) -> PathBuf {
        root.join("lessons/solutions").join(self.solution)
    }
}

/// Why a check failed, in words a student can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure(pub String);

impl Failure {
    /// A failure with this message.
    pub fn new(message: impl Into<String>) -> Failure {
        Failure(message.into())
    }

    /// "`what`: expected `expected`, got `got`".
    pub fn expected(
        what: &str,
        expected: impl std::fmt::Display,
        got: impl std::fmt::Display,
    ) -> Failure {
        Failure(format!("{what}: expected {expected}, got {got}"))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A built exercise program that a check can run.
pub struct Program {
    path: PathBuf,
    timeout: Duration,
}

impl Program {
    /// The program at `path`, each run limited to `timeout`.
    pub fn new(path: impl Into<PathBuf>, timeout: Duration) -> Program {
        Program {
            path: path.into(),
            timeout,
        }
    }

    /// Runs the program with `args`. A run past the time limit is a failure that says the
    /// program may be deadlocked; any exit status is returned for the check to judge.
    pub fn run(&self, args: &[&str]) -> Result<Finished, Failure> {
        let finished =
            process::run_with_timeout(&self.path, args, self.timeout).map_err(|error| {
                Failure(format!("could not start {}: {error}", self.path.display()))
            })?;
        if finished.timed_out {
            return Err(Failure(format!(
                "your program did not finish within {} s{}: is it deadlocked?",
                self.timeout.as_secs_f64(),
                if args.is_empty() {
                    String::new()
                } else {
                    format!(" (run with {})", args.join(" "))
                }
            )));
        }
        Ok(finished)
    }

    /// Runs the program with `args` and returns its stdout, failing unless it exits with 0.
    pub fn run_ok(&self, args: &[&str]) -> Result<String, Failure> {
        let finished = self.run(args)?;
        if finished.code == Some(0) {
            return Ok(finished.stdout);
        }
        let said = finished
            .stderr
            .lines()
            .filter(|line| !line.trim().is_empty())
            .take(6);
        let said: Vec<&str> = said.collect();
        let how = match finished.code {
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".to_string(),
        };
        Err(Failure(format!(
            "your program {how}{}{}",
            if args.is_empty() {
                String::new()
            } else {
                format!(" (run with {})", args.join(" "))
            },
            if said.is_empty() {
                String::new()
            } else {
                format!(":\n    {}", said.join("\n    "))
            }
        )))
    }
}
