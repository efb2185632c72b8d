//! Lesson 3: a writer thread and a reader thread share a file.
//!
//! Part 1 lets them race. The writer creates a file and appends numbered lines, each in two
//! writes (half a line, then the rest); the reader reads the whole file now and then and says
//! what it found. If the reader comes first, the file is not there yet; if it reads between the
//! two halves of a line, it sees half a line. Part 2 fixes it with a handshake: after each
//! complete line the writer sends the reader a message saying how many bytes are complete, and
//! the reader reads only when told, and only that much. Starting the writer first is not a fix:
//! it only makes the race rarer.
//!
//! The file lives in a fresh temporary directory that is removed at the end, also when the
//! lesson fails; nothing is written in the current directory.
//!
//! Run it live:         cargo run --bin lesson03
//! Replay an order:     cargo run --bin lesson03 -- --seed 1
//! One part only:       cargo run --bin lesson03 -- --part 2 --seed 1
#![forbid(unsafe_code)]

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::Path;
use std::thread;
use std::time::Duration;

use crossbeam_channel::Sender;
use parking_lot::Mutex;
use tempfile::TempDir;
use workbook::{Cli, Flags, Run};

const PROGRAM: &str = "lesson03";

/// Live, the writer takes this long between its writes; the reader reads a little less often.
const WRITE_GAP: Duration = Duration::from_millis(30);
const READ_GAP: Duration = Duration::from_millis(45);

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "a writer and a reader share a file: file not found, half lines, then a handshake",
    );
    let lines = cli.number("--lines", "N", "the writer writes N lines", 3, 1..=20);
    let part = cli.number(
        "--part",
        "N",
        "run only part N (0 runs both parts)",
        0,
        0..=2,
    );
    let flags = cli.parse();
    let lines = flags[lines];
    let wanted = |n: u64| flags[part] == 0 || flags[part] == n;
    // Both runs are created before anything is printed, so a bad --schedule prints nothing.
    let race_run = wanted(1).then(|| Run::new(PROGRAM, &flags, &["writer", "reader"]));
    let handshake_run = wanted(2).then(|| Run::new(PROGRAM, &flags, &["writer", "reader"]));

    if let Some(run) = race_run {
        println!("Part 1: writer and reader race on one file");
        let seen = in_a_fresh_directory(|dir| race(&run, dir, lines));
        run.finish();
        summarise_race(&seen, &flags);
        println!();
    }
    if let Some(run) = handshake_run {
        println!("Part 2: the writer tells the reader what is complete");
        let seen = in_a_fresh_directory(|dir| handshake(&run, dir, lines));
        run.finish();
        summarise_handshake(&seen, lines, &flags);
        println!();
    }
    println!("Read chapter 3 to see why: book/src/lesson03.md (or `mdbook serve book`).");
}

// ANCHOR: fresh_directory
/// Runs `work` with a fresh, private, empty directory, and removes the directory and everything
/// in it afterwards: when `work` returns, and also when it panics (`TempDir`'s drop removes it).
/// The directory is made under the system's temporary directory, never the current one.
fn in_a_fresh_directory<T>(work: impl FnOnce(&Path) -> T) -> T {
    let dir = match tempfile::Builder::new().prefix("lesson03-").tempdir() {
        Ok(dir) => dir,
        Err(error) => {
            eprintln!("error: could not make a temporary directory: {error}");
            std::process::exit(1);
        }
    };
    let result = work(dir.path());
    remove(dir); // before `run.finish()`, which may end the process on a bad --schedule
    result
}

fn remove(dir: TempDir) {
    let path = dir.path().to_path_buf();
    if let Err(error) = dir.close() {
        eprintln!("warning: could not remove {}: {error}", path.display());
    }
}

/// Creates the file the writer writes. `create_new` fails if anything, even a symbolic link, is
/// already at `path`: the writer never writes through a link it did not make.
fn create_new(path: &Path) -> io::Result<File> {
    File::options().write(true).create_new(true).open(path)
}
// ANCHOR_END: fresh_directory

/// Line `n`, split in the two pieces the writer writes one after the other.
fn line_in_two_halves(n: u64) -> (String, String) {
    let line = format!("entry {n}\n");
    let (first, rest) = line.split_at(3);
    (first.to_string(), rest.to_string())
}

/// What the reader found in `bytes`: complete lines, and maybe part of the next one.
fn describe(bytes: &[u8]) -> String {
    let complete = bytes.iter().filter(|&&byte| byte == b'\n').count() as u64;
    let after_last = bytes.rsplit(|&byte| byte == b'\n').next().unwrap_or(&[]);
    let half = format!("half a line {:?}", String::from_utf8_lossy(after_last));
    match (complete, after_last.is_empty()) {
        (0, true) => "empty file".to_string(),
        (0, false) => half,
        (_, true) => count_lines(complete),
        (_, false) => format!("{} + {half}", count_lines(complete)),
    }
}

fn count_lines(n: u64) -> String {
    match n {
        1 => "1 line".to_string(),
        n => format!("{n} lines"),
    }
}

/// What one attempt to read the file gave: its contents described, or the error.
fn describe_read(read: io::Result<Vec<u8>>) -> String {
    match read {
        Ok(bytes) => describe(&bytes),
        Err(error) if error.kind() == io::ErrorKind::NotFound => "file not found".to_string(),
        Err(error) => format!("error: {error}"),
    }
}

/// Part 1: no coordination. Returns what the reader saw, read by read.
fn race(run: &Run, dir: &Path, lines: u64) -> Vec<String> {
    let path = dir.join("log.txt");
    let seen = Mutex::new(Vec::new());
    run.print_live_header();
    // ANCHOR: race
    thread::scope(|scope| {
        scope.spawn(|| {
            run.actor("writer", |me| {
                me.sleep(WRITE_GAP); // live, the writer takes a moment to get going
                let mut created = None;
                me.step("create file", || match create_new(&path) {
                    Ok(file) => {
                        created = Some(file);
                        "ok".to_string()
                    }
                    Err(error) => format!("failed: {error}"),
                });
                let Some(mut file) = created else { return };
                for n in 1..=lines {
                    let (first, rest) = line_in_two_halves(n);
                    for piece in [first, rest] {
                        me.step("write", || {
                            write_piece(&mut file, &piece);
                            format!("{piece:?}")
                        });
                        me.sleep(WRITE_GAP);
                    }
                }
            })
        });
        scope.spawn(|| {
            run.actor("reader", |me| {
                for _ in 0..=lines {
                    let found = me.step("read", || describe_read(fs::read(&path)));
                    seen.lock().push(found);
                    me.sleep(READ_GAP);
                }
            })
        });
    });
    // ANCHOR_END: race
    seen.into_inner()
}

/// Part 2: after each complete line, the writer sends the number of complete bytes; the reader
/// reads only when it has a message, and only that many bytes.
fn handshake(run: &Run, dir: &Path, lines: u64) -> Vec<String> {
    let path = dir.join("log.txt");
    let seen = Mutex::new(Vec::new());
    let (complete_tx, complete_rx) = crossbeam_channel::unbounded::<u64>();
    run.print_live_header();
    // ANCHOR: handshake
    thread::scope(|scope| {
        scope.spawn(|| write_and_signal(run, &path, lines, complete_tx));
        scope.spawn(|| {
            run.actor("reader", |me| {
                for _ in 0..lines {
                    // Wait for a message (in a replay: blocked until one is there).
                    let found = me.step_when(
                        "read",
                        || !complete_rx.is_empty(),
                        || match complete_rx.recv() {
                            Ok(complete) => describe_read(read_first(&path, complete)),
                            Err(_) => "the writer stopped early".to_string(),
                        },
                    );
                    seen.lock().push(found);
                }
            })
        });
    });
    // ANCHOR_END: handshake
    seen.into_inner()
}

// ANCHOR: writer
/// The writer of part 2: the same two writes a line, then a message with the complete length.
fn write_and_signal(run: &Run, path: &Path, lines: u64, complete_tx: Sender<u64>) {
    run.actor("writer", |me| {
        let mut created = None;
        me.step("create file", || match create_new(path) {
            Ok(file) => {
                created = Some(file);
                "ok".to_string()
            }
            Err(error) => format!("failed: {error}"),
        });
        let Some(mut file) = created else {
            return; // dropping complete_tx tells the reader there is nothing more
        };
        let mut complete = 0;
        for n in 1..=lines {
            let (first, rest) = line_in_two_halves(n);
            for piece in [&first, &rest] {
                me.step("write", || {
                    write_piece(&mut file, piece);
                    format!("{piece:?}")
                });
                me.sleep(WRITE_GAP);
            }
            complete += (first.len() + rest.len()) as u64;
            // Only now is line n whole: tell the reader how many bytes it may trust.
            me.step("send", || {
                let _ = complete_tx.send(complete); // fails only if the reader is gone
                complete
            });
        }
    });
}

/// Reads the first `complete` bytes of the file: what the writer said is whole, and no more.
fn read_first(path: &Path, complete: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)?.take(complete).read_to_end(&mut bytes)?;
    Ok(bytes)
}
// ANCHOR_END: writer

fn write_piece(file: &mut File, piece: &str) {
    if let Err(error) = file.write_all(piece.as_bytes()) {
        eprintln!("warning: the writer could not write: {error}");
    }
}

fn summarise_race(seen: &[String], flags: &Flags) {
    let missing = seen
        .iter()
        .filter(|found| *found == "file not found")
        .count();
    let partial = seen
        .iter()
        .filter(|found| found.contains("half a line"))
        .count();
    println!(
        "The reader found no file in {} of its {} reads, and half a line in {}.",
        flags.mode.reveal(missing),
        seen.len(),
        flags.mode.reveal(partial)
    );
    let first = if missing + partial == 0 && !flags.mode.is_predict() {
        "This time nothing went wrong."
    } else {
        "A missing file or half a line is not a crash: the reader reports what it found."
    };
    println!(
        "{first} Which reads go wrong depends on the order, so it changes from run to run (live) \
         and from seed to seed (replay)."
    );
}

fn summarise_handshake(seen: &[String], lines: u64, flags: &Flags) {
    let expected: Vec<String> = (1..=lines).map(count_lines).collect();
    let seen_text = flags.mode.reveal(seen.join(", "));
    if flags.mode.is_predict() {
        println!("The reader saw {seen_text}.");
    } else if seen == expected.as_slice() {
        println!(
            "The reader saw {seen_text}: never a missing file, never half a line, in every run \
             and every seed."
        );
    } else {
        println!("The reader saw {seen_text}: something unexpected, see the table.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_is_removed_also_when_the_work_panics() {
        let mut seen = None;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            in_a_fresh_directory(|dir| {
                seen = Some(dir.to_path_buf());
                create_new(&dir.join("log.txt")).unwrap();
                panic!("a failure in the middle of the lesson");
            })
        }));
        assert!(result.is_err());
        let dir = seen.expect("the work ran");
        assert!(!dir.exists(), "{} was left behind", dir.display());
    }

    #[cfg(unix)]
    #[test]
    fn the_writer_never_writes_through_a_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        fs::write(&victim, "keep me").unwrap();
        let path = dir.path().join("log.txt");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        assert!(create_new(&path).is_err());
        assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me");
        // A dangling link is refused too: nothing is created where it points.
        let nowhere = dir.path().join("nowhere.txt");
        let dangling = dir.path().join("dangling.txt");
        std::os::unix::fs::symlink(&nowhere, &dangling).unwrap();
        assert!(create_new(&dangling).is_err());
        assert!(!nowhere.exists());
    }

    #[test]
    fn describe_names_complete_and_half_lines() {
        assert_eq!(describe(b""), "empty file");
        assert_eq!(describe(b"ent"), "half a line \"ent\"");
        assert_eq!(describe(b"entry 1\n"), "1 line");
        assert_eq!(
            describe(b"entry 1\nentry 2\nent"),
            "2 lines + half a line \"ent\""
        );
    }
}
