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
//! Each lesson's exercises live in a module of their own (`lesson01`, ...). A check reads a
//! replay's trace table back with [`tables`], and a live run's lines with [`live_values`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use workbook::process::{self, Finished};

pub mod cargo;
pub mod judge;
pub mod lesson01;
pub mod lesson02;
pub mod lesson03;
pub mod lesson04;
pub mod lesson05;
pub mod lesson06;
pub mod lesson07;
pub mod lesson08;
pub mod lesson09;
pub mod lesson10;

/// The time limit of a check's run of an exercise that has nothing slow to do: longer than
/// every stall timer of the toolkit ([`workbook::scheduler::STALL_TIMEOUT`], 5 s), so that a stuck program is reported by the toolkit's
/// own diagnosis (who holds, who waits, or what the running thread is blocked on), never by a
/// bare timeout.
pub const STALL_SAFE_TIMEOUT: Duration = Duration::from_secs(8);

/// Every exercise, in lesson order.
pub fn all() -> Vec<Exercise> {
    let mut exercises = Vec::new();
    exercises.extend(lesson01::exercises());
    exercises.extend(lesson02::exercises());
    exercises.extend(lesson03::exercises());
    exercises.extend(lesson04::exercises());
    exercises.extend(lesson05::exercises());
    exercises.extend(lesson06::exercises());
    exercises.extend(lesson07::exercises());
    exercises.extend(lesson08::exercises());
    exercises.extend(lesson09::exercises());
    exercises.extend(lesson10::exercises());
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
    command: String,
}

impl Program {
    /// The program at `path`, each run limited to `timeout`. A program named like an exercise
    /// binary (`ex04a`, `sol04a`) is run again by the student with
    /// `cargo run --manifest-path lessons/Cargo.toml --bin ex04a`; see [`Program::with_command`].
    pub fn new(path: impl Into<PathBuf>, timeout: Duration) -> Program {
        let path = path.into();
        let stem = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let command = if stem.starts_with("ex") || stem.starts_with("sol") {
            format!("cargo run --manifest-path lessons/Cargo.toml --bin {stem} --")
        } else {
            path.display().to_string()
        };
        Program {
            path,
            timeout,
            command,
        }
    }

    /// The same program, shown to the student as run by `command` (arguments follow it).
    pub fn with_command(mut self, command: impl Into<String>) -> Program {
        self.command = command.into();
        self
    }

    /// The command that runs this program with `args`, for the student to copy.
    pub fn command(&self, args: &[&str]) -> String {
        format!("{} {}", self.command, args.join(" "))
    }

    /// Runs the program with `args` and the environment variables `env` in `sandbox` (see
    /// [`process::Sandbox`]), recording what the toolkit saw into `record` (a path inside the
    /// sandbox; see [`workbook::record`]); fails unless it exits with 0.
    pub fn run_ok_recorded(
        &self,
        args: &[&str],
        env: &[(&str, &str)],
        sandbox: &process::Sandbox,
        record: &Path,
    ) -> Result<Finished, Failure> {
        let mut vars: Vec<(&str, &std::ffi::OsStr)> = env
            .iter()
            .map(|(name, value)| (*name, std::ffi::OsStr::new(*value)))
            .collect();
        vars.push((workbook::record::RECORD_VAR, record.as_os_str()));
        let finished = sandbox
            .run(&self.path, args, &vars, self.timeout)
            .map_err(|error| self.not_started(&error))?;
        self.judge_exit(args, finished)
    }

    fn not_started(&self, error: &std::io::Error) -> Failure {
        Failure(format!("could not start {}: {error}", self.path.display()))
    }

    /// Runs the program with `args`, in a sandbox of its own (see [`process::Sandbox`]). A run
    /// past the time limit is a failure that says the program may be deadlocked; any exit
    /// status is returned for the check to judge.
    pub fn run(&self, args: &[&str]) -> Result<Finished, Failure> {
        let sandbox = process::Sandbox::new()
            .map_err(|error| Failure(format!("no scratch directory: {error}")))?;
        let finished = sandbox
            .run(&self.path, args, &[], self.timeout)
            .map_err(|error| self.not_started(&error))?;
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
        self.judge_exit(args, finished)
            .map(|finished| finished.stdout)
    }

    /// `finished` when the program exited with 0; otherwise a failure with what it said.
    fn judge_exit(&self, args: &[&str], finished: Finished) -> Result<Finished, Failure> {
        if finished.timed_out {
            return Err(Failure(format!(
                "your program did not finish within {} s (run with {}), and the toolkit did not \
                 stop it either: is it waiting on something that is not a `workbook::sync` type \
                 (a `std` lock, stdin), or looping forever?",
                self.timeout.as_secs_f64(),
                args.join(" ")
            )));
        }
        if finished.code == Some(0) {
            return Ok(finished);
        }
        let said = finished
            .stderr
            .lines()
            .filter(|line| !line.trim().is_empty())
            .take(6);
        let said: Vec<String> = said.map(|line| shorten(line, 300)).collect();
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

/// `text` cut to at most `chars` characters, saying how much was left out.
pub fn shorten(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        None => text.to_string(),
        Some((at, _)) => format!("{}... ({} more bytes)", &text[..at], text.len() - at),
    }
}

/// The starters (file names in `lessons/exercises/`) that differ from the committed version,
/// by `git diff`: the ones a student has been working on. Empty when `root` is not a git clone
/// (or git is not installed). The tests that prove every starter fails its check skip these, so
/// a student's work in progress never breaks `cargo test`; a fresh clone (as in CI) has none.
pub fn edited_starters(root: &Path) -> Vec<String> {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "diff",
            "--name-only",
            "--relative",
            "HEAD",
            "--",
            "lessons/exercises",
        ])
        .output();
    match output {
        Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.trim().rsplit('/').next())
            .filter(|name| !name.is_empty())
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// One trace table printed by a replay, read back from a program's output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Thread names, one per column, in column order.
    pub actors: Vec<String>,
    /// The steps, in order.
    pub steps: Vec<TableStep>,
    /// The line after the table that says how the replay ended (empty if there is none).
    pub outcome: String,
}

/// One row of a [`Table`]: who took the step and what its cell says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableStep {
    /// The step number printed in the first column (from 1).
    pub number: usize,
    /// The column (thread number) of the thread that took the step.
    pub actor: usize,
    /// The cell's text: the action and its value, e.g. `print 3` or `raise flag`.
    pub text: String,
}

impl TableStep {
    /// The value of this step when its action is `action`: `Some("3")` for `print 3` and the
    /// action `print`; `None` for another action.
    pub fn value(&self, action: &str) -> Option<&str> {
        self.text
            .strip_prefix(action)
            .and_then(|rest| rest.strip_prefix(' '))
    }

    /// True when this step is `action` (with or without a value). The value cannot be told
    /// from the action's last words: `look at it 7` is also the action `look` with `at it 7`.
    pub fn is(&self, action: &str) -> bool {
        self.text == action || self.value(action).is_some()
    }
}

impl Table {
    /// True when the replay ended with every thread finished.
    pub fn finished(&self) -> bool {
        self.outcome.starts_with("every thread finished")
    }

    /// The column number of the thread called `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.actors.iter().position(|actor| actor == name)
    }

    /// The values of every `action` step, in order, with the column that took it.
    pub fn values(&self, action: &str) -> Vec<(usize, String)> {
        self.steps
            .iter()
            .filter_map(|step| {
                step.value(action)
                    .map(|value| (step.actor, value.to_string()))
            })
            .collect()
    }
}

/// The first trace table in `out`, which must show every thread finished. `run` names the run in
/// the failure (e.g. "with --seed 3").
pub fn finished_table(out: &str, run: &str) -> Result<Table, Failure> {
    let Some(table) = tables(out).into_iter().next() else {
        return Err(Failure::new(format!(
            "{run} your program printed no trace table: keep `run.finish()` after the threads"
        )));
    };
    if !table.finished() {
        return Err(Failure::new(format!(
            "{run} the replay did not end with every thread finished: {}",
            table.outcome
        )));
    }
    Ok(table)
}

/// Every trace table in `stdout`, in order (a program may replay more than one run).
/// A table starts with its header line `step | ready | 0 name | ...`.
pub fn tables(stdout: &str) -> Vec<Table> {
    let lines: Vec<&str> = stdout.lines().collect();
    let mut found = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let Some(rest) = lines[at].strip_prefix("step | ready | ") else {
            at += 1;
            continue;
        };
        let actors: Vec<String> = rest
            .split('|')
            .filter_map(|cell| {
                let (number, name) = cell.trim().split_once(' ')?;
                number.parse::<usize>().ok()?;
                Some(name.to_string())
            })
            .collect();
        at += 2; // the header and the rule under it
        let mut steps = Vec::new();
        while let Some(line) = lines.get(at) {
            // Cells are separated by `|`; trailing empty cells lose their spaces.
            let cells: Vec<&str> = line.split('|').collect();
            let Some(number) = cells.first().and_then(|cell| cell.trim().parse().ok()) else {
                break;
            };
            let taken = cells
                .iter()
                .enumerate()
                .skip(2)
                .take(actors.len())
                .find(|(_, cell)| !cell.trim().is_empty());
            if let Some((column, cell)) = taken {
                steps.push(TableStep {
                    number,
                    actor: column - 2,
                    text: cell.trim().to_string(),
                });
            }
            at += 1;
        }
        let outcome = lines.get(at).map_or("", |line| line.trim()).to_string();
        found.push(Table {
            actors,
            steps,
            outcome,
        });
    }
    found
}

/// The values of every `action` line a live run printed, in order: `["0", "1"]` for the lines
/// `print 0` and `    print 1`. Live runs print one step a line, indented by thread.
pub fn live_values(stdout: &str, action: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix(action)?.strip_prefix(' ')?;
            Some(rest.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_table_is_read_back() {
        let out = "\
Part 1
step | ready | 0 even  | 1 odd
-----+-------+---------+------------
   1 | 01    | print 0 |
   2 | 1     |         | look at it 7
every thread finished after 2 steps
replay: ...
";
        let found = tables(out);
        assert_eq!(found.len(), 1);
        let table = &found[0];
        assert_eq!(table.actors, ["even", "odd"]);
        assert_eq!(table.values("print"), [(0, "0".to_string())]);
        assert_eq!(table.steps[1].value("look at it"), Some("7"));
        assert!(table.steps[1].is("look at it") && !table.steps[1].is("look at i"));
        assert!(table.finished());
        assert_eq!(table.column("odd"), Some(1));
    }

    #[test]
    fn live_lines_are_read_back() {
        let out = "0 even        1 odd\nprint 0\n              print 1\nprinter 9\n";
        assert_eq!(live_values(out, "print"), ["0", "1"]);
    }
}
