//! Lesson 3: a writer thread and a reader thread share a file.
//!
//! Part 1 lets them race. The writer creates a file and appends numbered lines, each in two
//! writes (half a line, then the rest), one write every 20 ms; the reader reads the whole file
//! every 40 ms. On paper they meet at the same moments; which of the two goes first then is up
//! to the operating system. If the reader comes first at the start, the file is not there yet;
//! if it reads between the two halves of a line, it sees half a line. Part 2 fixes it with a
//! handshake: after each complete line the writer sends the reader, over a channel, how many
//! bytes are complete; the reader waits for that message and trusts only that many bytes.
//!
//! The file lives in a fresh temporary directory, readable only by you (0700 on Unix), that is
//! removed at the end, also when the lesson fails; nothing is written in the current directory.
//!
//! Run it live:         cargo run --bin lesson03
//! Replay an order:     cargo run --bin lesson03 -- --seed 25
//! One part, by hand:   cargo run --bin lesson03 -- --part 1 --schedule 02221212
//! Every order:         cargo run --bin lesson03 -- --explore
#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::path::Path;
use std::time::Duration;

use workbook::fs::{self, File, TempDir};
use workbook::run::{Census, Ran};
use workbook::sync::{NamedChannel, unbounded};
use workbook::thread;
use workbook::{Cli, Flags, Mode};

const PROGRAM: &str = "lesson03";

/// In part 1 the writer writes a piece every `GAP`; the reader reads every two.
const GAP: Duration = Duration::from_millis(20);

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "a writer and a reader share a file: file not found, half lines, then a handshake",
    );
    cli.explorable();
    let lines = cli.number("--lines", "N", "the writer writes N lines", 2, 1..=20);
    let part = cli.number("--part", "N", "run only part N (0: both)", 0, 0..=2);
    let flags = cli.parse();
    let (lines, part) = (flags[lines], flags[part]);
    let schedule = matches!(
        &flags.mode,
        Mode::Replay {
            schedule: Some(_),
            ..
        }
    );
    if part == 0 && schedule {
        flags.refuse("--schedule replays one part: add --part 1 or --part 2");
    }
    if part != 2 {
        println!("Part 1: writer and reader race on one file");
        let ran = workbook::run(&for_part(&flags, 1), || in_a_fresh_directory(race, lines));
        summarise_race(&ran, &flags);
        println!();
    }
    if part != 1 {
        println!("Part 2: the writer tells the reader what is complete");
        let ran = workbook::run(&for_part(&flags, 2), || {
            in_a_fresh_directory(handshake, lines)
        });
        summarise_handshake(&ran, lines, &flags);
        println!();
    }
    println!("Read chapter 3 to see why: book/src/lesson03.md (or `mdbook serve book`).");
}

/// The flags of one part, so that the commands a replay prints replay that part alone.
fn for_part(flags: &Flags, part: u64) -> Flags {
    let mut flags = flags.clone();
    if !flags.was_given("--part") {
        flags.given.extend(["--part".to_string(), part.to_string()]);
    }
    flags
}

// ANCHOR: race
/// Part 1: nothing orders the reader's reads against the writer's writes. Returns what the
/// reader found, read by read.
fn race(path: &Path, lines: u64) -> thread::Result<Vec<String>> {
    thread::scope(|scope| {
        let writer = thread::Builder::new().name("writer".into());
        let writer = writer.spawn_scoped(scope, move || -> io::Result<()> {
            let mut file = create_new(path)?;
            for n in 1..=lines {
                for half in line_in_two_halves(n) {
                    thread::sleep(GAP);
                    file.write_all(half.as_bytes())?;
                }
            }
            Ok(())
        });
        let reader = thread::Builder::new().name("reader".into());
        let reader = reader.spawn_scoped(scope, move || {
            let mut found = Vec::new();
            for read in 0..=lines {
                if read > 0 {
                    thread::sleep(2 * GAP);
                }
                found.push(describe(fs::read_to_string(path), usize::MAX));
            }
            found
        });
        report_failure(writer.expect("a thread").join());
        reader.expect("a thread").join()
    })
}
// ANCHOR_END: race

// ANCHOR: handshake
/// Part 2: after each complete line the writer sends how many bytes are complete; the reader
/// waits for that message, reads the file and trusts only that many bytes. No sleeps: the
/// handshake, not the timing, orders them.
fn handshake(path: &Path, lines: u64) -> thread::Result<Vec<String>> {
    let (complete_tx, complete_rx) = unbounded::<usize>().named("complete");
    thread::scope(|scope| {
        let writer = thread::Builder::new().name("writer".into());
        let writer = writer.spawn_scoped(scope, move || -> io::Result<()> {
            let mut file = create_new(path)?;
            let mut complete = 0;
            for n in 1..=lines {
                for half in line_in_two_halves(n) {
                    file.write_all(half.as_bytes())?;
                    complete += half.len();
                }
                // Only now is line n whole: tell the reader how many bytes it may trust.
                let _ = complete_tx.send(complete); // fails only when the reader is gone
            }
            Ok(())
        }); // returning drops complete_tx: the reader's loop below then ends
        let reader = thread::Builder::new().name("reader".into());
        let reader = reader.spawn_scoped(scope, move || {
            let mut found = Vec::new();
            for complete in complete_rx.iter() {
                found.push(describe(fs::read_to_string(path), complete));
            }
            found
        });
        report_failure(writer.expect("a thread").join());
        reader.expect("a thread").join()
    })
}
// ANCHOR_END: handshake

// ANCHOR: fresh_directory
/// A fresh, empty directory under the system's temporary directory (never the current one),
/// readable only by you (mode 0700 on Unix). Dropping the `TempDir` removes it and everything
/// in it, also when a panic unwinds past it; the toolkit removes it too when the lesson is
/// interrupted (Ctrl-C, `kill`, `| head -1`).
fn fresh_directory() -> TempDir {
    fs::temp_dir("lesson03-").unwrap_or_else(|error| {
        eprintln!("error: could not make a temporary directory: {error}");
        workbook::cleanup::exit(1);
    })
}

/// Creates the file the writer writes. `create_new` fails if anything, even a symbolic link, is
/// already at `path`: the writer never writes through a link it did not make.
fn create_new(path: &Path) -> io::Result<File> {
    File::options().append(true).create_new(true).open(path)
}

/// Runs a part with `log.txt` in a fresh directory, removes the directory, and lists what the
/// reader found: the part's outcome.
fn in_a_fresh_directory(part: fn(&Path, u64) -> thread::Result<Vec<String>>, lines: u64) -> String {
    let dir = fresh_directory();
    let found = part(&dir.path().join("log.txt"), lines);
    let path = dir.path().to_path_buf();
    if let Err(error) = dir.close() {
        eprintln!("warning: could not remove {}: {error}", path.display());
    }
    match found {
        Ok(found) if found.is_empty() => "nothing".into(),
        Ok(found) => found.join(", "),
        Err(_) => "the reader panicked".into(),
    }
}
// ANCHOR_END: fresh_directory

fn report_failure(writer: thread::Result<io::Result<()>>) {
    if let Ok(Err(error)) = writer {
        eprintln!("warning: the writer failed: {error}");
    }
}

/// Line `n`, split in the two pieces the writer writes one after the other.
fn line_in_two_halves(n: u64) -> [String; 2] {
    let line = format!("entry {n}\n");
    let (first, rest) = line.split_at(3);
    [first.to_string(), rest.to_string()]
}

/// What the reader found in the first `trusted` bytes of the file: no file, complete lines,
/// and maybe half of the next one.
fn describe(read: io::Result<String>, trusted: usize) -> String {
    let text = match read {
        Ok(text) => text,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return "no file".into(),
        Err(error) => return format!("error: {error}"),
    };
    let text = text.get(..trusted).unwrap_or(&text);
    let (complete, half) = match text.rfind('\n') {
        Some(end) => (text[..=end].lines().count(), &text[end + 1..]),
        None => (0, text),
    };
    let lines = match complete {
        1 => "1 line".to_string(),
        n => format!("{n} lines"),
    };
    match (complete, half) {
        (0, "") => "empty".into(),
        (0, half) => format!("half a line '{half}'"),
        (_, "") => lines,
        (_, half) => format!("{lines} + half '{half}'"),
    }
}

/// Prints what the reader found in this run (`?` under `--predict`); returns it if revealed.
fn reader_found<'a>(ran: &'a Ran<String>, flags: &Flags) -> Option<&'a str> {
    let found = ran.value.as_deref()?;
    println!("The reader found: {}.", flags.mode.reveal(found));
    (!flags.mode.is_predict()).then_some(found)
}

fn summarise_race(ran: &Ran<String>, flags: &Flags) {
    if let Some(census) = &ran.census {
        let count = |what: &str| schedules_where(census, |found| found.contains(what));
        let (missing, half, all) = (count("no file"), count("half"), census.schedules);
        println!(
            "In {missing} of these {all} schedules the reader found no file; in {half} it found \
             half a line."
        );
    } else if let Some(found) = reader_found(ran, flags) {
        if found.contains("no file") || found.contains("half") {
            println!(
                "No file, or half a line: the reader read at a moment the writer did not expect."
            );
        } else {
            println!("This time nothing went wrong: the order was kind, the program is no better.");
        }
    }
}

fn summarise_handshake(ran: &Ran<String>, lines: u64, flags: &Flags) {
    let whole: Vec<String> = (1..=lines)
        .map(|n| describe(Ok("entry\n".repeat(n as usize)), usize::MAX))
        .collect();
    let whole = whole.join(", ");
    if let Some(census) = &ran.census {
        let good = schedules_where(census, |found| found == whole);
        if good < census.schedules {
            let bad = census.schedules - good;
            println!("In {bad} schedules the reader found something else: see above.");
        } else if census.complete() {
            println!(
                "In every schedule (all {good}) the reader found {whole}: never a missing file, \
                 never half a line."
            );
        } else {
            println!(
                "In all {good} schedules explored the reader found {whole}; the search was not \
                 complete."
            );
        }
    } else if let Some(found) = reader_found(ran, flags) {
        if found == whole {
            println!(
                "Never a missing file, never half a line in this run; --explore tries every order."
            );
        } else {
            println!("Something unexpected: see above.");
        }
    }
}

/// How many of the explored schedules ended with an outcome for which `test` holds.
fn schedules_where(census: &Census, test: impl Fn(&str) -> bool) -> usize {
    let outcomes = census.outcomes.iter();
    outcomes
        .filter(|(found, ..)| test(found))
        .map(|(_, n, _)| n)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn the_directory_is_readable_only_by_you() {
        use std::os::unix::fs::PermissionsExt;
        let dir = fresh_directory();
        let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    }

    #[test]
    fn the_directory_is_removed_also_when_the_work_panics() {
        let mut seen = None;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let dir = fresh_directory();
            seen = Some(dir.path().to_path_buf());
            create_new(&dir.path().join("log.txt")).unwrap();
            panic!("a failure in the middle of the lesson");
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
        std::fs::write(&victim, "keep me").unwrap();
        let path = dir.path().join("log.txt");
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        assert!(create_new(&path).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep me");
        // A dangling link is refused too: nothing is created where it points.
        let nowhere = dir.path().join("nowhere.txt");
        let dangling = dir.path().join("dangling.txt");
        std::os::unix::fs::symlink(&nowhere, &dangling).unwrap();
        assert!(create_new(&dangling).is_err());
        assert!(!nowhere.exists());
    }

    #[test]
    fn describe_names_complete_and_half_lines() {
        let read = |text: &str, trusted| describe(Ok(text.to_string()), trusted);
        let missing = io::Error::from(io::ErrorKind::NotFound);
        assert_eq!(describe(Err(missing), usize::MAX), "no file");
        assert_eq!(read("", usize::MAX), "empty");
        assert_eq!(read("ent", usize::MAX), "half a line 'ent'");
        assert_eq!(read("entry 1\n", usize::MAX), "1 line");
        assert_eq!(
            read("entry 1\nentry 2\nent", usize::MAX),
            "2 lines + half 'ent'"
        );
        assert_eq!(read("entry 1\nentry 2\nent", 16), "2 lines");
    }
}
