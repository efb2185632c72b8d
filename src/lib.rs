//! The teaching toolkit the lessons share.
//!
//! It removes plumbing and nothing else: the concurrency being taught stays in the lesson files,
//! which use `std::thread`, `parking_lot` and `crossbeam_channel` themselves.
//!
//! - [`cli`]: the flags every lesson understands (`--seed`, `--schedule`, `--predict`, `--help`)
//!   plus a lesson's own, with one-line errors and exit status 2 for bad input.
//! - [`replay`]: live runs and deterministic replays of the same real threads, with deadlock
//!   detection instead of hangs.
//! - [`trace`]: the trace table a replay prints.
//! - [`cleanup`]: how a lesson ends when it cannot go on (a refused thread, output that cannot
//!   be written, Ctrl-C): one line, a documented exit status, no temporary folder left behind.
//! - [`fs`]: drop-in file operations (`File`, `OpenOptions`, `read_to_string`), each a turn in a
//!   replay.
//! - [`process`]: running a program with a time limit, for tests and exercise checks.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cleanup;
pub mod cli;
pub mod exercises;
pub mod fs;
pub mod live;
#[doc(hidden)]
pub mod objects;
pub mod process;
pub mod replay;
pub mod run;
pub mod scheduler;
pub mod sync;
pub mod thread;
pub mod trace;

pub use run::{guess, run};

pub use cli::{Cli, Flags};
pub use replay::{Actor, Mode, Outcome, Report, Run};
