//! Building the exercises package (`lessons/Cargo.toml`) with cargo, for `workbook check` and
//! for the tests that prove every exercise.
//!
//! The exercises build into a target directory of their own, `target/exercises`, so a build
//! started while the main package's cargo is running (`cargo run --bin workbook`, `cargo test`)
//! never waits for that cargo's lock on `target/debug`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::process::{Finished, run_command_with_timeout};

/// A cold build compiles every dependency; past this, the build counts as stuck.
pub const BUILD_LIMIT: Duration = Duration::from_secs(900);

/// The exercises package of one repository.
#[derive(Clone, Debug)]
pub struct Exercises {
    root: PathBuf,
    target_dir: PathBuf,
}

/// Why cargo did not produce what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CargoError {
    /// The code has errors (or clippy warnings, for [`Exercises::clippy`]): the first lines of
    /// what the compiler said.
    Rejected(String),
    /// Cargo could not be run or did not finish.
    NotRun(String),
}

impl std::fmt::Display for CargoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CargoError::Rejected(said) | CargoError::NotRun(said) => f.write_str(said),
        }
    }
}

impl Exercises {
    /// The exercises of the repository at `root`, built into `root/target/exercises`.
    pub fn new(root: impl Into<PathBuf>) -> Exercises {
        let root = root.into();
        let target_dir = root.join("target").join("exercises");
        Exercises { root, target_dir }
    }

    /// The repository root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `lessons/Cargo.toml`.
    pub fn manifest(&self) -> PathBuf {
        self.root.join("lessons").join("Cargo.toml")
    }

    /// Where the built program `bin` (`ex01a`) is.
    pub fn executable(&self, bin: &str) -> PathBuf {
        self.target_dir
            .join("debug")
            .join(format!("{bin}{}", std::env::consts::EXE_SUFFIX))
    }

    /// Builds the binaries `bins` (all of them when empty) in one cargo run.
    pub fn build(&self, bins: &[String]) -> Result<(), CargoError> {
        let mut args = vec!["build".to_string()];
        args.extend(self.selection(bins));
        self.cargo(&args, &[])
    }

    /// Runs clippy on `bins` (all when empty), every warning an error (`-D warnings`).
    pub fn clippy(&self, bins: &[String]) -> Result<(), CargoError> {
        let mut args = vec!["clippy".to_string(), "--keep-going".to_string()];
        args.extend(self.selection(bins));
        self.cargo(&args, &["-D", "warnings"])
    }

    fn selection(&self, bins: &[String]) -> Vec<String> {
        if bins.is_empty() {
            return vec!["--bins".to_string()];
        }
        bins.iter()
            .flat_map(|bin| ["--bin".to_string(), bin.clone()])
            .collect()
    }

    fn cargo(&self, args: &[String], rustc_args: &[&str]) -> Result<(), CargoError> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .args(args)
            .arg("--manifest-path")
            .arg(self.manifest())
            .arg("--target-dir")
            .arg(&self.target_dir)
            .args(["--quiet", "--color", "never"])
            .current_dir(&self.root);
        if !rustc_args.is_empty() {
            command.arg("--").args(rustc_args);
        }
        let finished: Finished = run_command_with_timeout(command, BUILD_LIMIT)
            .map_err(|error| CargoError::NotRun(format!("could not run cargo: {error}")))?;
        if finished.timed_out {
            return Err(CargoError::NotRun(format!(
                "cargo {} did not finish within {} s",
                args[0],
                BUILD_LIMIT.as_secs()
            )));
        }
        if finished.code == Some(0) {
            return Ok(());
        }
        Err(CargoError::Rejected(first_errors(&finished.stderr)))
    }
}

/// The first diagnostics of a failed build (from the first `error` or `warning` line on), at
/// most 30 lines: enough to act on, short enough to read.
pub fn first_errors(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    let start = lines
        .iter()
        .position(|line| line.starts_with("error") || line.starts_with("warning"))
        .unwrap_or(0);
    let mut shown: Vec<&str> = lines[start..].iter().take(30).copied().collect();
    while shown.last().is_some_and(|line| line.trim().is_empty()) {
        shown.pop();
    }
    let mut text = shown.join("\n");
    if lines.len() > start + 30 {
        text.push_str("\n...");
    }
    text
}
