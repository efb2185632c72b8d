//! Building the exercises package (`lessons/Cargo.toml`) with cargo, for `workbook check` and
//! for the tests that prove every exercise.
//!
//! The exercises build into a target directory of their own, `target/exercises`, so a build
//! started while the main package's cargo is running (`cargo run --bin workbook`, `cargo test`)
//! never waits for that cargo's lock on `target/debug`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use workbook::process::{Finished, run_command_with_timeout};

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
        self.cargo(&self.manifest(), &args, &[])
    }

    /// Runs clippy on `bins` (all when empty), every warning an error (`-D warnings`).
    pub fn clippy(&self, bins: &[String]) -> Result<(), CargoError> {
        let mut args = vec!["clippy".to_string(), "--keep-going".to_string()];
        args.extend(self.selection(bins));
        self.cargo(&self.manifest(), &args, &["-D", "warnings"])
    }

    /// Prepares to build `file` (any exercise attempt, e.g. a student's file a teacher grades)
    /// as a program of its own, with the exercises package's dependencies: a throwaway package
    /// in a temporary directory, built into the same target directory so nothing is compiled
    /// twice. Its build products are removed when the [`Graded`] is dropped.
    pub fn graded(&self, file: &Path) -> Result<Graded, CargoError> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let not_run = |error: std::io::Error| CargoError::NotRun(error.to_string());
        let file = fs::canonicalize(file)
            .map_err(|error| CargoError::NotRun(format!("{}: {error}", file.display())))?;
        let unique = format!(
            "{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let manifest = fs::read_to_string(self.manifest()).map_err(not_run)?;
        let root = fs::canonicalize(&self.root).map_err(not_run)?;
        // Graded exactly as the starter is: the same dependencies, the same oldest Rust
        // (`rust-version`, which also decides what clippy suggests) and the same lints.
        let mut dependencies = String::new();
        let mut lints = String::new();
        let mut rust_version = String::new();
        let mut section = String::new();
        for line in manifest.lines() {
            if line.trim_start().starts_with('[') {
                section = line.trim().to_string();
                if section.starts_with("[lints") {
                    lints.push_str(line);
                    lints.push('\n');
                }
                continue;
            }
            if section == "[package]" && line.trim_start().starts_with("rust-version") {
                rust_version = format!("{}\n", line.trim());
            } else if section == "[dependencies]" {
                dependencies.push_str(
                    &line.replace("path = \"..\"", &format!("path = {}", toml_string(&root))),
                );
                dependencies.push('\n');
            } else if section.starts_with("[lints") {
                lints.push_str(line);
                lints.push('\n');
            }
        }
        let dir = tempfile::Builder::new()
            .prefix(&format!("{GRADED_PREFIX}{}-", std::process::id()))
            .tempdir()
            .map_err(not_run)?;
        let cleanup = {
            let (debug, unique, path) = (
                self.target_dir.join("debug"),
                unique.clone(),
                dir.path().to_path_buf(),
            );
            workbook::process::cleanup::register(move || {
                let _ = fs::remove_dir_all(&path);
                remove_products(&debug, |name| graded_name(name) == Some(unique.as_str()));
            })
        };
        let bin = format!("graded_{unique}");
        let text = format!(
            "[package]\nname = \"graded-{unique}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\
             {rust_version}publish = false\nautolib = false\nautobins = false\n\
             autoexamples = false\nautotests = false\nautobenches = false\n\n[workspace]\n\n\
             [dependencies]\n{dependencies}\n{lints}\n[[bin]]\nname = \"{bin}\"\npath = {}\n",
            toml_string(&file)
        );
        fs::write(dir.path().join("Cargo.toml"), text).map_err(not_run)?;
        // The same dependency versions as the exercises package.
        let lock = self.root.join("lessons").join("Cargo.lock");
        if lock.is_file() {
            fs::copy(lock, dir.path().join("Cargo.lock")).map_err(not_run)?;
        }
        Ok(Graded {
            exercises: self.clone(),
            dir,
            unique,
            bin,
            _cleanup: cleanup,
        })
    }

    /// True when another cargo holds the lock on `target/exercises` (another check, or the
    /// tests): a build started now waits for it.
    pub fn build_lock_is_held(&self) -> bool {
        let Ok(file) = fs::OpenOptions::new()
            .read(true)
            .open(self.target_dir.join("debug").join(".cargo-lock"))
        else {
            return false;
        };
        let mut lock = fd_lock::RwLock::new(file);
        lock.try_write().is_err()
    }

    /// Removes what a killed check left behind: the build products of files graded by a
    /// process that is gone (`graded_<pid>_<n>` in `target/exercises`), and their throwaway
    /// packages in `tmp`.
    pub fn sweep_stale(&self, tmp: &Path) {
        let stale = |name: &str| {
            graded_name(name)
                .and_then(|unique| workbook::process::pid_in(unique, ""))
                .is_some_and(|pid| !workbook::process::alive(pid))
        };
        remove_products(&self.target_dir.join("debug"), stale);
        let Ok(entries) = fs::read_dir(tmp) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if workbook::process::pid_in(&name, GRADED_PREFIX)
                .is_some_and(|pid| !workbook::process::alive(pid))
            {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }

    fn selection(&self, bins: &[String]) -> Vec<String> {
        if bins.is_empty() {
            return vec!["--bins".to_string()];
        }
        bins.iter()
            .flat_map(|bin| ["--bin".to_string(), bin.clone()])
            .collect()
    }

    fn cargo(
        &self,
        manifest: &Path,
        args: &[String],
        rustc_args: &[&str],
    ) -> Result<(), CargoError> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .args(args)
            .arg("--manifest-path")
            .arg(manifest)
            .arg("--target-dir")
            .arg(&self.target_dir)
            .args(["--quiet", "--color", "never"])
            .current_dir(&self.root);
        if manifest != self.manifest() {
            // A throwaway package: no incremental cache to leave behind.
            command.env("CARGO_INCREMENTAL", "0");
        }
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
        // The code is to blame only when the compiler said so; cargo's own trouble (a manifest
        // it cannot read, a cargo that is not one) is the workbook's.
        if finished.stderr.contains("could not compile") || finished.stderr.contains("error[E") {
            return Err(CargoError::Rejected(first_errors(&finished.stderr)));
        }
        let said = first_errors(&finished.stderr);
        Err(CargoError::NotRun(format!(
            "cargo {} failed ({}){}",
            args[0],
            finished
                .code
                .map_or("killed by a signal".to_string(), |code| format!(
                    "exit status {code}"
                )),
            if said.trim().is_empty() {
                " and said nothing: is CARGO set to a cargo?".to_string()
            } else {
                format!(":\n{said}")
            }
        )))
    }
}

/// One file built as a program of its own (see [`Exercises::graded`]).
pub struct Graded {
    exercises: Exercises,
    dir: tempfile::TempDir,
    unique: String,
    bin: String,
    _cleanup: workbook::process::cleanup::Registered,
}

/// The throwaway packages of graded files are named `workbook-graded-<pid>-...`.
const GRADED_PREFIX: &str = "workbook-graded-";

/// `<pid>_<n>` of a build product of a graded file (`graded_12_0`, `graded-12_0-hash`,
/// `libgraded_12_0.rlib`...).
fn graded_name(name: &str) -> Option<&str> {
    let rest = ["graded_", "graded-", "libgraded_"]
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix))?;
    let end = rest
        .char_indices()
        .skip_while(|(_, c)| c.is_ascii_digit())
        .skip(1)
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(rest.len(), |(at, _)| at);
    let unique = &rest[..end];
    let (pid, n) = unique.split_once('_')?;
    (!pid.is_empty() && !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())).then_some(unique)
}

/// Removes the build products in `debug` (and its `deps`, `.fingerprint`, `incremental`) whose
/// names `ours` picks.
fn remove_products(debug: &Path, ours: impl Fn(&str) -> bool) {
    for dir in ["", "deps", ".fingerprint", "incremental"] {
        let Ok(entries) = fs::read_dir(debug.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if ours(&name) {
                let path = entry.path();
                let _ = if path.is_dir() {
                    fs::remove_dir_all(path)
                } else {
                    fs::remove_file(path)
                };
            }
        }
    }
}

impl Graded {
    /// Builds the file.
    pub fn build(&self) -> Result<(), CargoError> {
        let args = ["build".to_string(), "--bin".to_string(), self.bin.clone()];
        self.exercises.cargo(&self.manifest(), &args, &[])
    }

    /// Runs clippy on the file, every warning an error.
    pub fn clippy(&self) -> Result<(), CargoError> {
        let args = ["clippy".to_string(), "--bin".to_string(), self.bin.clone()];
        self.exercises
            .cargo(&self.manifest(), &args, &["-D", "warnings"])
    }

    /// The built program.
    pub fn executable(&self) -> PathBuf {
        self.exercises.executable(&self.bin)
    }

    fn manifest(&self) -> PathBuf {
        self.dir.path().join("Cargo.toml")
    }
}

impl Drop for Graded {
    /// Removes this file's build products from the shared target directory.
    fn drop(&mut self) {
        let unique = self.unique.as_str();
        remove_products(&self.exercises.target_dir.join("debug"), |name| {
            graded_name(name) == Some(unique)
        });
    }
}

/// `path` as a TOML basic string, every quote, backslash and control character escaped (a
/// file named with a newline or a quote is a file like any other).
fn toml_string(path: &Path) -> String {
    let mut quoted = String::from("\"");
    for c in path.display().to_string().chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
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
