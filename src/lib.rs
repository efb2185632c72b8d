//! The teaching toolkit the lessons share.
//!
//! A lesson is ordinary threaded Rust on [`thread`] and [`sync`]: drop-in types with the names and
//! methods of `std::thread`, `parking_lot`, `std::sync::atomic` and `crossbeam-channel`, which are
//! the real primitives in a live run and the turns of a deterministic replay. The toolkit removes
//! plumbing and nothing else: the concurrency being taught stays in the lesson files.
//!
//! - [`thread`], [`sync`], [`fs`]: the drop-in types (threads, locks, condvars, barriers,
//!   atomics, channels and `select!`, file operations).
//! - [`run()`]: runs one part of a lesson live, as a replay that prints its trace, or under the
//!   explorer (every schedule, with a census of outcomes); [`say!`] and [`guess`] for the
//!   lesson's own lines.
//! - [`scheduler`]: the replay scheduler (turns read from the objects' own state, virtual time,
//!   deadlock and cut-off); [`live`]: the live watchdog that names a deadlock instead of hanging.
//! - [`cli`]: the flags every lesson understands (`--seed`, `--schedule`, `--predict`,
//!   `--explore`, `--help`) plus a lesson's own, with one-line errors and exit status 2.
//! - [`cleanup`]: how a program ends when it cannot go on (a refused thread, output that cannot
//!   be written, Ctrl-C): one line, a documented exit status, no temporary folder left behind.
//! - [`time`]: a drop-in `Instant` that reads the virtual clock in a replay.
//! - [`trace`]: tables; [`process`]: running a program with a time limit, for tests and checks.
//! - [`interactive`]: `--interactive`, a replay in which the room chooses who goes next.
//! - [`svg`]: pictures as plain SVG text: a replay's timeline (`--svg FILE`), a chart of
//!   run times.
//! - [`mode`]: live, replay or explore, as the command line chose.
//! - [`record`]: what [`run()`] saw, written for the exercise checks. The checks themselves (the
//!   exercise catalogue) belong to the `workbook` command, `src/bin/workbook/exercises/`, not to
//!   this library: a lesson links only the toolkit.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cleanup;
pub mod cli;
pub mod fs;
pub mod interactive;
pub mod live;
pub mod mode;
#[doc(hidden)]
pub mod objects;
pub mod process;
pub mod record;
pub mod run;
pub mod scheduler;
pub mod svg;
pub mod sync;
pub mod thread;
pub mod time;
pub mod trace;

pub use run::{guess, run};

pub use cli::{Cli, Flags};
pub use mode::Mode;
