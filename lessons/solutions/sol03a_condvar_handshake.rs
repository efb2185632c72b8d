//! Exercise 03a, a Condvar handshake between a writer and a reader of one file.
//!
//! Task: the writer creates `log.txt` in a fresh temporary directory and appends the lines
//! `entry 1`, `entry 2`, ... (`--lines`, 3 unless told otherwise), each in two writes; the
//! reader reads the whole file once per line and reports what it saw. As handed out, nothing
//! orders them: the reader may find no file at all, half a line, or several new lines at once.
//! Make them take turns with the `Mutex` named "progress" and a `Condvar` (as the printers of
//! lesson 1 do): the reader's k-th read waits until line k is written, and the writer waits
//! until the reader has read line k before it writes line k + 1. No sleeps: a nap is not a
//! turn. Keep the two threads, writer and reader.
//!
//! Invariant: in every schedule and every live run, the reader's k-th read sees exactly k
//! complete lines, and line k + 1 is written only after that read.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex03a -- --explore --lines 2   (every schedule)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex03a -- --seed 3              (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex03a                          (live)
//! Check it: cargo run --bin workbook -- check 03a
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::path::Path;

use tempfile::TempDir;
use workbook::Cli;
use workbook::fs::{self, File};
use workbook::sync::{Condvar, Mutex};
use workbook::thread::{self, Builder};

const PROGRAM: &str = "sol03a --manifest-path lessons/Cargo.toml";

/// How far the two threads have got: lines written, and lines the reader has read.
#[derive(Debug, Default)]
struct Progress {
    written: u64,
    read: u64,
}

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 03a: a Condvar handshake");
    cli.explorable();
    let lines = cli.number("--lines", "N", "the writer writes N lines", 3, 1..=20);
    let flags = cli.parse();
    let lines = flags[lines];
    let ran = workbook::run(&flags, || {
        let dir = fresh_directory();
        let found = handshake(&dir.path().join("log.txt"), lines);
        let _ = dir.close();
        found
    });
    if let Some(found) = ran.value {
        println!("the reader saw: {found}");
    }
}

/// The writer writes `lines` lines, the reader reads once per line; returns what each read saw.
fn handshake(path: &Path, lines: u64) -> String {
    let progress = Mutex::new(Progress::default()).named("progress");
    let changed = Condvar::new().named("changed");
    thread::scope(|scope| {
        Builder::new()
            .name("writer".to_string())
            .spawn_scoped(scope, || -> io::Result<()> {
                let mut file = File::options().append(true).create_new(true).open(path)?;
                for n in 1..=lines {
                    let mut progress = progress.lock();
                    // Line n only once the reader has read line n - 1.
                    changed.wait_while(&mut progress, |progress| progress.read < n - 1);
                    for half in line_in_two_halves(n) {
                        file.write_all(half.as_bytes())?;
                    }
                    progress.written = n;
                    changed.notify_all(); // line n is there
                }
                Ok(())
            })
            .expect("the operating system starts a thread");
        let reader = Builder::new()
            .name("reader".to_string())
            .spawn_scoped(scope, || {
                let mut found = Vec::new();
                for k in 1..=lines {
                    let mut progress = progress.lock();
                    // Read k only once line k is written.
                    changed.wait_while(&mut progress, |progress| progress.written < k);
                    found.push(describe(fs::read_to_string(path)));
                    progress.read = k;
                    changed.notify_all(); // line k has been read
                }
                found
            })
            .expect("the operating system starts a thread");
        match reader.join() {
            Ok(found) => found.join(", "),
            Err(_) => "the reader panicked".to_string(),
        }
    })
}

/// Line `n`, in the two pieces the writer writes one after the other.
fn line_in_two_halves(n: u64) -> [String; 2] {
    let line = format!("entry {n}\n");
    let (first, rest) = line.split_at(3);
    [first.to_string(), rest.to_string()]
}

/// What a read found: no file, complete lines, and maybe half of the next one.
fn describe(read: io::Result<String>) -> String {
    let text = match read {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return "no file".into(),
        Err(error) => return format!("error: {error}"),
    };
    let complete = text.matches('\n').count();
    let lines = match complete {
        1 => "1 line".to_string(),
        n => format!("{n} lines"),
    };
    if text.ends_with('\n') || text.is_empty() {
        lines
    } else {
        format!("{lines} + half a line")
    }
}

/// A fresh private directory under the system's temporary directory (never the current one).
fn fresh_directory() -> TempDir {
    tempfile::Builder::new()
        .prefix("ex03-")
        .tempdir()
        .unwrap_or_else(|error| {
            eprintln!("error: could not make a temporary directory: {error}");
            std::process::exit(1)
        })
}
