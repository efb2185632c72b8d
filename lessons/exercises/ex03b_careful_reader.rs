//! Exercise 03b, a careful reader.
//!
//! Task: the writer creates `log.txt` in a fresh temporary directory and appends lines to it
//! (`--lines`, 3 unless told otherwise), each line in two writes, napping between writes, and
//! signals nobody: leave it as it is, as if it were another program you cannot change. The
//! reader looks at the file now and then and reports how many lines it holds. As handed out,
//! the reader crashes when the file is not there yet, and counts half a line as a line. Fix
//! `complete_lines`: no file yet is 0 lines, and only a line that ends in a newline counts.
//! The reader must count what it read, not guess from the time.
//!
//! Invariant: in every schedule and every live run, each number the reader reports is the
//! number of complete lines in what its read just before found (0 when there was no file),
//! and the reader never crashes.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex03b -- --explore   (every schedule)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex03b -- --seed 3    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex03b                (live)
//! Check it: cargo run --bin workbook -- check 03b
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use tempfile::TempDir;
use workbook::fs::{self, File};
use workbook::thread::{self, Builder};
use workbook::{Cli, guess, say};

const PROGRAM: &str = "ex03b --manifest-path lessons/Cargo.toml";
/// The writer naps this long before each write; the reader a little longer after each read.
const WRITE_GAP: Duration = Duration::from_millis(20);
const READ_GAP: Duration = Duration::from_millis(30);

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 03b: a careful reader");
    cli.explorable();
    let lines = cli.number("--lines", "N", "the writer writes N lines", 3, 1..=20);
    let flags = cli.parse();
    let lines = flags[lines];
    let ran = workbook::run(&flags, || {
        let dir = fresh_directory();
        let counts = writer_and_reader(&dir.path().join("log.txt"), lines);
        let _ = dir.close();
        counts
    });
    if let Some(counts) = ran.value {
        println!("the reader counted: {counts}");
    }
}

/// The number of complete lines in what a read found.
fn complete_lines(read: io::Result<String>) -> usize {
    // TODO: no file yet is 0 lines, and a last line without its newline is not a line yet.
    read.expect("the file is there").lines().count()
}

/// The reader counts the lines `lines + 1` times while the writer writes; returns the counts.
fn writer_and_reader(path: &Path, lines: u64) -> String {
    thread::scope(|scope| {
        Builder::new()
            .name("writer".to_string())
            .spawn_scoped(scope, || write(path, lines))
            .expect("the operating system starts a thread");
        let reader = Builder::new()
            .name("reader".to_string())
            .spawn_scoped(scope, || {
                let mut counts = Vec::new();
                for _ in 0..=lines {
                    let count = complete_lines(fs::read_to_string(path));
                    say!("count {}", guess(count));
                    counts.push(count.to_string());
                    thread::sleep(READ_GAP);
                }
                counts
            })
            .expect("the operating system starts a thread");
        match reader.join() {
            Ok(counts) => counts.join(", "),
            Err(_) => "the reader panicked".to_string(),
        }
    })
}

/// The writer: leave it as it is. It creates the file, then writes each line in two pieces.
fn write(path: &Path, lines: u64) -> io::Result<()> {
    thread::sleep(WRITE_GAP);
    let mut file = File::options().append(true).create_new(true).open(path)?;
    for n in 1..=lines {
        let line = format!("entry {n}\n");
        let (first, rest) = line.split_at(3);
        for piece in [first, rest] {
            file.write_all(piece.as_bytes())?;
            thread::sleep(WRITE_GAP);
        }
    }
    Ok(())
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
