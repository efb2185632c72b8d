//! `--interactive`: the room is the scheduler. Each test pipes the room's answers into a lesson
//! (one line each) and reads what it printed, within a time limit.

mod common;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{LIMIT, assert_rejected, stdout_of};

const LESSON04: &str = env!("CARGO_BIN_EXE_lesson04");
const LESSON05: &str = env!("CARGO_BIN_EXE_lesson05");

/// What a run printed and how it ended.
struct Played {
    code: Option<i32>,
    /// The signal that ended it, if one did.
    signal: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Starts `binary` with `args`, its stdin a pipe.
fn start(binary: &str, args: &[&str]) -> std::process::Child {
    Command::new(binary)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the lesson starts")
}

/// Reads a pipe to its end on a thread of its own.
fn reader(pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut pipe = pipe;
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Waits for `child` within [`LIMIT`] (killing it and failing past it), then collects its
/// output.
fn wait(mut child: std::process::Child) -> Played {
    let stdout = child.stdout.take().map(reader);
    let stderr = child.stderr.take().map(reader);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the lesson did not end within {LIMIT:?}");
        }
        // Polling the child, not ordering threads.
        std::thread::sleep(Duration::from_millis(5));
    };
    #[cfg(unix)]
    let signal = std::os::unix::process::ExitStatusExt::signal(&status);
    #[cfg(not(unix))]
    let signal = None;
    Played {
        code: status.code(),
        signal,
        stdout: stdout.map_or_else(String::new, |out| out.join().unwrap()),
        stderr: stderr.map_or_else(String::new, |err| err.join().unwrap()),
    }
}

/// Runs `binary` with `args`, `input` on its stdin (then end of input).
fn play_allowing_panics(binary: &str, args: &[&str], input: &str) -> Played {
    let mut child = start(binary, args);
    let mut stdin = child.stdin.take().unwrap();
    // A lesson that stops early closes its end: a failed write is then expected.
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    wait(child)
}

/// [`play_allowing_panics`], for a lesson that must not panic.
fn play(binary: &str, args: &[&str], input: &str) -> Played {
    let played = play_allowing_panics(binary, args, input);
    assert!(
        !played.stderr.contains("panicked"),
        "{args:?} panicked: {}",
        played.stderr
    );
    played
}

/// The value of the last line starting with `prefix`.
fn last_line<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .rev()
        .find_map(|line| line.strip_prefix(prefix))
        .unwrap_or_else(|| panic!("no line starting with {prefix:?} in:\n{text}"))
}

/// Part 2 of lesson 4, two threads each adding 2 with a load and a store: these answers let a
/// load by b and a's store cross, so one update is lost.
const LOSE_AN_UPDATE: &str = "1\n0\n2\n1\n2\n1\n1\n2\n2\n";

#[test]
fn lesson04_the_room_loses_an_update_and_is_told_so() {
    let played = play(LESSON04, &["--part", "2", "--interactive"], LOSE_AN_UPDATE);
    assert_eq!(played.code, Some(0), "{}", played.stderr);
    let out = &played.stdout;
    // Each ready thread's next operation, by number and name, at each choice.
    assert!(out.contains("step 2: who goes next?\n  0 main: spawn\n  1 a: load counter\n"));
    assert!(out.contains("  2 b: store counter\n"), "{out}");
    assert!(out.contains("final count 3 of 4, lost updates: 1"), "{out}");
    assert!(
        out.contains(
            "You broke it at step 4: from that choice on, even with no more interruptions, the \
             run ends with a result no uninterrupted run gives. This run ended with \"3\", which \
             no run without interruptions gives: each of the 3 runs in which every thread goes on \
             until it waits or ends gives \"4\"."
        ),
        "{out}"
    );
    let schedule = last_line(out, "choices: ");
    assert_eq!(schedule, "102121122");
    assert!(out.contains(&format!(
        "replay them: cargo run --bin lesson04 -- --part 2 --schedule {schedule}\n"
    )));
    // The schedule it prints replays what was played.
    let replayed = stdout_of(LESSON04, &["--part", "2", "--schedule", schedule]);
    assert!(replayed.contains("final count 3 of 4, lost updates: 1"));
    // The actions of the trace rows (cells with a letter in them), in order.
    let actions = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|line| line.contains(" | ") && !line.starts_with("step"))
            .flat_map(|line| line.split(" | ").skip(1))
            .map(|cell| {
                cell.trim()
                    .trim_end_matches(" |")
                    .trim_end_matches('|')
                    .trim()
                    .to_string()
            })
            .filter(|cell| cell.chars().any(|c| c.is_ascii_alphabetic()))
            .collect()
    };
    assert_eq!(
        actions(out),
        actions(&replayed),
        "the rows printed one by one are the replay's rows"
    );
    // The chapter shows the game, up to the lesson's own line about the count.
    let game = &out[..out.find("lost updates: 1\n").unwrap() + "lost updates: 1\n".len()];
    snapshot!("lesson04_interactive", game);
}

#[test]
fn lesson04_a_run_the_room_does_not_break_is_said_to_be_unchanged() {
    let played = play(
        LESSON04,
        &["--part", "3", "--interactive"],
        &"1\n2\n".repeat(30),
    );
    assert_eq!(played.code, Some(0));
    assert!(played.stdout.contains(
        "Outcome \"4\": a run without interruptions (each thread goes on until it waits or ends) \
         can end so too: your choices did not change the result."
    ));
    assert!(!played.stdout.contains("You broke it"));
}

#[test]
fn undo_replays_from_the_start_with_one_choice_fewer() {
    let plain = play(LESSON04, &["--part", "2", "--interactive"], LOSE_AN_UPDATE);
    // The same answers with a detour: choose, undo; and an undo of an undo-less start.
    let detour = format!("u\n1\n0\n2\nu\n{}", &LOSE_AN_UPDATE[4..]);
    let undone = play(LESSON04, &["--part", "2", "--interactive"], &detour);
    assert_eq!(undone.code, Some(0));
    assert!(
        undone
            .stdout
            .contains("nothing to undo: this is the first choice")
    );
    assert!(
        undone
            .stdout
            .contains("undone: the last choice is taken back")
    );
    assert_eq!(
        last_line(&undone.stdout, "choices: "),
        last_line(&plain.stdout, "choices: ")
    );
    let tail = |text: &str| text[text.find("every thread finished").unwrap()..].to_string();
    assert_eq!(tail(&undone.stdout), tail(&plain.stdout));
}

#[test]
fn q_stops_and_prints_the_schedule_so_far() {
    let played = play(LESSON04, &["--part", "2", "--interactive"], "1\n0\nq\n2\n");
    assert_eq!(played.code, Some(0));
    assert!(
        played
            .stdout
            .contains("q: stopped before step 4\nchoices: 10\n")
    );
    assert!(played.stdout.contains(
        "go on from there: cargo run --bin lesson04 -- --interactive --part 2 --schedule 10\n"
    ));
    assert!(!played.stdout.contains("final count"), "{}", played.stdout);
}

#[test]
fn end_of_input_stops_cleanly() {
    let played = play(LESSON04, &["--part", "2", "--interactive"], "");
    assert_eq!(played.code, Some(0));
    assert!(
        played
            .stdout
            .contains("end of input: stopped before step 2\nno choice was made yet\n")
    );
    let played = play(LESSON04, &["--part", "2", "--interactive"], "1\n");
    assert!(
        played
            .stdout
            .contains("end of input: stopped before step 3\nchoices: 1\n")
    );
}

#[test]
fn anything_else_is_answered_with_what_is_accepted() {
    let played = play(
        LESSON04,
        &["--part", "2", "--interactive"],
        "x\n5\n\n0 1\n1\nq\n",
    );
    assert_eq!(played.code, Some(0));
    for refused in ["\"x\"", "\"5\"", "\"\"", "\"0 1\""] {
        assert!(
            played.stdout.contains(&format!(
                "{refused} is not accepted here: type the number of a thread that is ready \
                 (0 or 1), u to undo the last choice, or q to stop"
            )),
            "{refused}: {}",
            played.stdout
        );
    }
    assert!(
        played
            .stdout
            .contains("q: stopped before step 3\nchoices: 1\n")
    );
}

#[test]
fn lesson05_the_room_makes_the_deadlock() {
    let played = play(LESSON05, &["--interactive", "--seeds", "1"], "1\n1\n");
    assert_eq!(played.code, Some(0));
    assert!(played.stdout.contains("DEADLOCK after 7 steps"));
    assert!(played.stdout.contains(
        "You made a deadlock: after step 7, main, A->B and B->A all wait and nobody can run"
    ));
    assert!(played.stdout.contains("choices: 11\n"));
    // Started from the choices it printed, the same deadlock comes without a question.
    let again = play(
        LESSON05,
        &["--interactive", "--seeds", "1", "--schedule", "11"],
        "",
    );
    assert!(!again.stdout.contains("who goes next"));
    assert!(again.stdout.contains("You made a deadlock: after step 7"));
}

#[test]
fn a_thread_that_panics_on_purpose_says_so_once_not_once_a_replay() {
    let lesson02 = env!("CARGO_BIN_EXE_lesson02");
    let played = play_allowing_panics(
        lesson02,
        &["--interactive", "--part", "4"],
        &"1\n2\n".repeat(10),
    );
    assert_eq!(played.code, Some(0), "{}", played.stderr);
    assert!(played.stdout.contains("main got Err("), "{}", played.stdout);
    assert_eq!(
        played.stderr.matches("panicked at").count(),
        1,
        "{}",
        played.stderr
    );
}

#[test]
fn combinations_that_make_no_sense_are_refused() {
    for args in [
        &["--interactive", "--explore"][..],
        &["--explore", "--interactive"],
        &["--interactive", "--seed", "3"],
        &["--interactive", "--predict"],
        &["--interactive", "--threads", "3"],
    ] {
        assert_rejected(LESSON04, args);
    }
    // A starting schedule that names a thread that cannot go is bad input too.
    assert_rejected(
        LESSON04,
        &["--part", "2", "--interactive", "--schedule", "9"],
    );
    assert!(stdout_of(LESSON04, &["--help"]).contains("--interactive"));
}

#[cfg(unix)]
#[test]
fn ctrl_c_at_the_prompt_prints_the_schedule_so_far() {
    let mut child = start(LESSON04, &["--part", "2", "--interactive"]);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"1\n").unwrap();
    // Read up to the second question, then interrupt while it waits for a line.
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let start = Instant::now();
    while !String::from_utf8_lossy(&seen).contains("step 3: who goes next?") {
        assert!(start.elapsed() < LIMIT, "no second question");
        let mut byte = [0; 256];
        let read = stdout.read(&mut byte).unwrap();
        assert!(read > 0, "ended early: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&byte[..read]);
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let rest = reader(stdout);
    let played = wait(child);
    let text = String::from_utf8_lossy(&seen).into_owned() + &rest.join().unwrap();
    drop(stdin);
    // Ended by the signal, as any program is (a shell shows 130), after printing.
    assert!(
        played.signal == Some(2) || played.code == Some(130),
        "{text}"
    );
    assert!(
        text.contains("interrupted (Ctrl-C): stopped before step 3\nchoices: 1\n"),
        "{text}"
    );
}
