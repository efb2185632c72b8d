//! Wrong answer to 03a: main writes each line and reads it back itself; no writer, no reader.
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::path::Path;

use tempfile::TempDir;
use workbook::Cli;
use workbook::fs::{self, File};
use workbook::sync::Mutex;

const PROGRAM: &str = "wrong03a_one_thread --manifest-path lessons/Cargo.toml";

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

/// Main writes each line, then reads the file, one after the other.
fn handshake(path: &Path, lines: u64) -> String {
    let progress = Mutex::new(Progress::default()).named("progress");
    let Ok(mut file) = File::options().append(true).create_new(true).open(path) else {
        return "no file".to_string();
    };
    let mut found = Vec::new();
    for n in 1..=lines {
        for half in line_in_two_halves(n) {
            let _ = file.write_all(half.as_bytes());
        }
        progress.lock().written = n;
        found.push(describe(fs::read_to_string(path)));
        progress.lock().read = n;
    }
    found.join(", ")
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
