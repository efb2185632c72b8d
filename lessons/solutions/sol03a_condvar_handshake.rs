//! Exercise 03a, a Condvar handshake. The writer appends the lines `entry 1`, `entry 2`, ... to a
//! file in a fresh temporary directory, and the reader reads the file once per line and reports
//! what it saw. As handed out, nothing orders them: the reader may find no file at all, or several
//! new lines at once. Make them take turns with a `Mutex` and a `Condvar` (as the printers of
//! lesson 1 do): the reader's k-th read must see exactly k complete lines, and the writer must not
//! write line k+1 before the reader has read line k. So the reader reports `1 line`, `2 lines`,
//! `3 lines`, ... in every live run and every replay.
#![forbid(unsafe_code)]

use std::fs::{self, File};
use std::io::{self, Write};
use std::thread;
use std::time::Duration;

use parking_lot::{Condvar, Mutex};
use tempfile::TempDir;
use workbook::{Cli, Run};

const PROGRAM: &str = "sol03a --manifest-path lessons/Cargo.toml";
/// Live, each thread pauses this long after each of its steps.
const GAP: Duration = Duration::from_millis(20);

/// How far the two threads have got: lines written, and lines the reader has read.
#[derive(Default)]
struct Progress {
    written: u64,
    read: u64,
}

fn main() {
    let mut cli = Cli::new(PROGRAM, "exercise 03a: a Condvar handshake");
    let lines = cli.number("--lines", "N", "the writer writes N lines", 3, 1..=20);
    let flags = cli.parse();
    let lines = flags[lines];
    let run = Run::new(PROGRAM, &flags, &["writer", "reader"]);
    let dir = fresh_directory();
    let path = dir.path().join("log.txt");
    let progress = Mutex::new(Progress::default());
    let changed = Condvar::new();
    run.print_live_header();
    thread::scope(|scope| {
        scope.spawn(|| {
            run.actor("writer", |me| {
                let mut created = None;
                me.action("create file", || {
                    // create_new: never write through something already at the path.
                    created = File::options()
                        .write(true)
                        .create_new(true)
                        .open(&path)
                        .ok();
                });
                let Some(mut file) = created else { return };
                for n in 1..=lines {
                    // Line n may be written only once the reader has read line n - 1.
                    me.step_when(
                        "write line",
                        || progress.lock().read == n - 1,
                        || {
                            let mut progress = progress.lock();
                            changed.wait_while(&mut progress, |progress| progress.read < n - 1);
                            let _ = file.write_all(format!("entry {n}\n").as_bytes());
                            progress.written = n;
                            changed.notify_all();
                            n
                        },
                    );
                    me.sleep(GAP);
                }
            })
        });
        scope.spawn(|| {
            run.actor("reader", |me| {
                for k in 1..=lines {
                    // Read k may happen only once line k is written.
                    me.step_when(
                        "read",
                        || progress.lock().written >= k,
                        || {
                            let mut progress = progress.lock();
                            changed.wait_while(&mut progress, |progress| progress.written < k);
                            let seen = describe(fs::read(&path));
                            progress.read = k;
                            changed.notify_all();
                            seen
                        },
                    );
                    me.sleep(GAP);
                }
            })
        });
    });
    let _ = dir.close(); // remove the directory before `finish`, which may end the process
    run.finish();
}

/// What the reader found: complete lines, and maybe half of the next one; or the error.
fn describe(read: io::Result<Vec<u8>>) -> String {
    let bytes = match read {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return "file not found".into(),
        Err(error) => return format!("error: {error}"),
    };
    let complete = bytes.iter().filter(|&&byte| byte == b'\n').count();
    let lines = if complete == 1 {
        "1 line".to_string()
    } else {
        format!("{complete} lines")
    };
    if bytes.last().is_some_and(|&byte| byte != b'\n') {
        format!("{lines} + half a line")
    } else {
        lines
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
