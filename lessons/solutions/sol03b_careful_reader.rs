//! Exercise 03b, a careful reader. The writer creates a log file in a fresh temporary directory
//! and appends lines to it, each line in two writes, and signals nobody: leave it as it is, as if
//! it were another program you cannot change. The reader looks at the file now and then and
//! reports how many lines it holds. As handed out, the reader crashes when the file is not there
//! yet, and counts half a line as a line. Make the reader report `0` while there is no file, and
//! count only complete lines (those that end in a newline): in every live run and every replay,
//! each number the reader reports must be the number of complete lines in the file at that
//! moment.
#![forbid(unsafe_code)]

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;
use std::thread;
use std::time::Duration;

use tempfile::TempDir;
use workbook::{Actor, Cli, Run};

const PROGRAM: &str = "sol03b --manifest-path lessons/Cargo.toml";
/// Live, the writer pauses this long between writes; the reader a little longer between reads.
const WRITE_GAP: Duration = Duration::from_millis(20);
const READ_GAP: Duration = Duration::from_millis(30);

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 03b: a careful reader");
    let lines = cli.number("--lines", "N", "the writer writes N lines", 3, 1..=20);
    let flags = cli.parse();
    let lines = flags[lines];
    let run = Run::new(PROGRAM, &flags, &["writer", "reader"]);
    let dir = fresh_directory();
    let path = dir.path().join("log.txt");
    run.print_live_header();
    thread::scope(|scope| {
        scope.spawn(|| run.actor("writer", |me| write(me, &path, lines)));
        scope.spawn(|| {
            run.actor("reader", |me| {
                for _ in 0..=lines {
                    me.step("count", || complete_lines(fs::read(&path)));
                    me.sleep(READ_GAP);
                }
            })
        });
    });
    let _ = dir.close(); // remove the directory before `finish`, which may end the process
    run.finish();
}

/// The number of complete lines: no file yet is 0 lines, and a last line without its newline
/// is not a line yet (the writer may be in the middle of it).
fn complete_lines(read: io::Result<Vec<u8>>) -> String {
    match read {
        Ok(bytes) => bytes
            .iter()
            .filter(|&&byte| byte == b'\n')
            .count()
            .to_string(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => "0".to_string(),
        Err(error) => format!("error: {error}"),
    }
}

/// The writer: leave it as it is. It creates the file, then writes each line in two pieces.
fn write(me: &Actor<'_>, path: &Path, lines: u64) {
    me.sleep(WRITE_GAP);
    let mut created = None;
    me.action("create file", || {
        created = File::options().write(true).create_new(true).open(path).ok();
    });
    let Some(mut file) = created else { return };
    for n in 1..=lines {
        let line = format!("entry {n}\n");
        let (first, rest) = line.split_at(3);
        for piece in [first, rest] {
            me.step("write", || {
                let _ = file.write_all(piece.as_bytes());
                format!("{piece:?}")
            });
            me.sleep(WRITE_GAP);
        }
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
