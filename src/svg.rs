//! Pictures as plain SVG text: a replay's timeline (`--svg FILE` on any replay) and a chart of
//! run time against thread count (lesson07's live sweep).
//!
//! The timeline has one lane per thread and one row per row of the trace table, top to bottom:
//! each turn is a box with its label; a thread holding a lock has a coloured bar beside its
//! boxes for as long as it holds it; a thread that waits (blocked or asleep) has a shaded span
//! until its next turn; arrows go from a `send` to the `recv` that got the message (channels
//! are first in, first out, so the n-th message sent on a channel is the n-th received) and
//! from a `notify` to the thread it woke (the trace names it). The left axis shows the step
//! and, when the lesson sleeps, the virtual time. Everything is computed from the trace alone,
//! in order, with whole numbers: the same replay gives the same bytes.
//!
//! The pictures are the `svg` feature
//! (`cargo run --features svg --bin lesson04 -- --part 2 --seed 8 --svg timeline.svg`), so that a
//! student's first `cargo run --bin lesson01` does not compile them. Without it, `--svg` is
//! refused before anything runs (exit 2), with the command that has `--features svg`; what is
//! always here is the chart's data ([`Point`], [`Series`]) and the two calls the toolkit and
//! lesson07 make ([`draw_chart`], and the timeline after each replay).
//!
//! No crate: the pictures are a few hundred lines of text.

use std::path::Path;
use std::time::Duration;

use crate::cli::Flags;
use crate::run::Replayed;

#[cfg(feature = "svg")]
mod draw;
#[cfg(feature = "svg")]
mod timeline;
#[cfg(feature = "svg")]
pub use draw::{chart, write_atomically, write_or_exit};
#[cfg(feature = "svg")]
pub use timeline::{Arrow, Hold, Reading, Wait, read, timelines};

/// Whether this build draws pictures (the `svg` feature).
pub const PICTURES: bool = cfg!(feature = "svg");

/// The one-line refusal of `--svg` in a build without the `svg` feature: the same command with
/// `--features svg`.
pub(crate) fn refusal(program: &str, given: &[String]) -> String {
    format!(
        "this build draws no pictures (they are the `svg` feature, left out of a first \
         build): cargo run --features svg --bin {program} -- {}",
        given.join(" ")
    )
}

/// Checks, before anything runs, that `--svg PATH` can be written: its folder exists and the
/// path is not a folder. The message is one line.
pub fn check_path(path: &Path) -> Result<(), String> {
    if path.as_os_str().is_empty() {
        return Err("--svg needs a file name, e.g. --svg timeline.svg".into());
    }
    if path.is_dir() {
        return Err(format!(
            "--svg {}: that is a folder; give a file name",
            path.display()
        ));
    }
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    if !directory.is_dir() {
        return Err(format!(
            "--svg {}: the folder {} does not exist",
            path.display(),
            directory.display()
        ));
    }
    Ok(())
}

/// Called by [`crate::run()`] after each replay it prints: when `--svg FILE` was given, adds the
/// replay to the picture and writes it. (Without the `svg` feature, `--svg` was refused by
/// [`crate::cli`] before anything ran.)
pub(crate) fn after_replay(flags: &Flags, replayed: &Replayed) {
    #[cfg(feature = "svg")]
    timeline::after_replay(flags, replayed);
    #[cfg(not(feature = "svg"))]
    let _ = (flags, replayed);
}

/// `--svg FILE` in a live run of lesson07: draws `series` as a chart (`chart`, with the feature)
/// and writes it to `path`, or ends the program with one `error:` line and status 2. In a build
/// without the `svg` feature the command line has refused `--svg` already; called anyway, it
/// ends the program with that same refusal.
pub fn draw_chart(
    flags: &Flags,
    path: &Path,
    title: &str,
    note: &str,
    series: &[Series],
    cores: usize,
) {
    #[cfg(feature = "svg")]
    write_or_exit(flags, path, &chart(title, note, series, cores));
    #[cfg(not(feature = "svg"))]
    {
        let _ = (path, title, note, series, cores);
        eprintln!("error: {}", refusal(flags.program(), &flags.given));
        crate::cleanup::exit(2);
    }
}

/// One measured point of a chart: a thread count and its times.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Threads.
    pub threads: usize,
    /// The median time of the runs.
    pub median: Duration,
    /// The fastest run.
    pub fastest: Duration,
    /// The slowest run.
    pub slowest: Duration,
}

/// One line of a chart: a job measured at several thread counts.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// What was measured, e.g. "CPU-bound: count the primes below 300000".
    pub name: String,
    /// The points, fewest threads first.
    pub points: Vec<Point>,
}
