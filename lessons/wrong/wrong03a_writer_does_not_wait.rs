//! Wrong answer to 03a: the reader waits for each line, but the writer never waits for the
//! reader, so a read can find two new lines, or half of the next one.
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::path::Path;

use tempfile::TempDir;
use workbook::Cli;
use workbook::fs::{self, File};
use workbook::sync::{Condvar, Mutex};
use workbook::thread::{self, Builder};

const PROGRAM: &str = "wrong03a_writer_does_not_wait --manifest-path lessons/Cargo.toml";

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
