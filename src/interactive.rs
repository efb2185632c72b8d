//! `--interactive`: the room is the scheduler.
//!
//! Like The Deadlock Empire, but on the lesson's own Rust. At every choice (a step where more
//! than one thread could go) the replay stops, shows each ready thread's next operation (its
//! number, its name, what it is about to do, read from the operation the thread has posted to
//! the scheduler), and reads one line from stdin:
//!
//! - a ready thread's number: that thread goes; the rows of the trace it produced are printed;
//! - `u`: undo the last choice (the replay runs again from the start with one choice fewer,
//!   which is exact because replays are deterministic);
//! - `q`: stop, and print the `--schedule` that replays what was played;
//! - anything else: say what is accepted, and ask again.
//!
//! Each step is a fresh replay of the whole part following the choices made so far, then
//! stopped at the next choice: nothing is ever undone by hand. At the end it prints how the
//! replay ended, whether it reached the lesson's point, and the `--schedule` command.
//!
//! The lesson's point is recognised in two ways, both computed: a deadlock is the toolkit's own
//! finding (nobody can run); any other outcome is compared with the outcomes of every run
//! *without interruptions* (the explorer with a preemption bound of 0: each thread goes on until
//! it waits or ends). An outcome no such run gives (lesson 4's lost update: 3 where every
//! uninterrupted run counts 4) is one the chosen interleaving caused, and it is said so, with
//! the step of the first choice after which the run, finished from there without interruptions,
//! still ends so (lesson 4: the step where one thread loads a value another has loaded and not
//! yet stored).
//!
//! It reads plain lines, so tests drive it through a pipe. End of input and `q` print the
//! schedule so far and exit with status 0; Ctrl-C at the prompt prints it too, then ends the
//! program by its signal as always ([`crate::cleanup`]: a shell shows status 130).
#![forbid(unsafe_code)]

use std::fmt::Debug;
use std::io::{self, BufRead, IsTerminal, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::OnceLock;

use parking_lot::Mutex;

use crate::cli::Flags;
use crate::mode::Mode;
use crate::run::{self, Ran, Replayed, outcome_text, panic_message};
use crate::scheduler::{Chooser, Ending, PAUSED, Scheduler, Stopped};

/// At most this many runs without interruptions are compared with the played outcome; past it
/// nothing is claimed.
pub const UNINTERRUPTED_CAP: usize = 2_000;

/// A ready thread at a choice: its column, its name, what it is about to do.
type Ready = (usize, String, String);

/// Panics of the lesson's threads, counted per replay: a lesson that panics a thread on purpose
/// (lesson 2) would print its message again in every replay of the same choices, so each is
/// printed once, the first time it comes; none while the uninterrupted runs are checked.
struct Panics {
    /// Panics in the replay under way.
    seen: usize,
    /// Panics printed so far (replays are deterministic: the first `printed` are known).
    printed: usize,
    /// Print none.
    quiet: bool,
}

impl Panics {
    /// Counts one more panic in the replay under way; true when it is to be printed.
    fn count_one(&mut self) -> bool {
        self.seen += 1;
        if self.quiet || self.seen <= self.printed {
            return false;
        }
        self.printed = self.seen;
        true
    }
}

static PANICS: Mutex<Panics> = Mutex::new(Panics {
    seen: 0,
    printed: 0,
    quiet: false,
});

/// Wraps the panic hook so that it prints each panic of a replay once (see [`Panics`]); the
/// toolkit's own verdicts (a closed pipe, a refused thread) go through as always.
fn print_each_panic_once() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let message = info
                .payload()
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| info.payload().downcast_ref::<&str>().copied())
                .unwrap_or("");
            if crate::cleanup::verdict(message).is_none() && !PANICS.lock().count_one() {
                return;
            }
            previous(info);
        }));
    });
}

/// One replay that followed the choices so far and stopped at the next choice (or ended).
struct Played<R> {
    value: Option<R>,
    replayed: Replayed,
    /// The ready threads of the choice it stopped at; `None` when it ran to its end.
    asked: Option<Vec<Ready>>,
}

/// Replays `body` following `digits`, then stops at the next choice.
fn replay_until_choice<R>(digits: &[usize], body: &dyn Fn() -> R) -> Played<R> {
    PANICS.lock().seen = 0;
    replay_following(digits, false, body)
}

/// Replays `body` following `digits`, then stops at the next choice, or with `then_keep` goes
/// on without interruptions ([`Chooser::Pause`]).
fn replay_following<R>(digits: &[usize], then_keep: bool, body: &dyn Fn() -> R) -> Played<R> {
    let scheduler = Scheduler::start(Chooser::pause(digits, then_keep), false);
    let result = panic::catch_unwind(AssertUnwindSafe(body));
    let (value, main_panic, payload) = match result {
        Ok(value) => (Some(value), None, None),
        Err(payload) if payload.is::<Stopped>() => (None, None, None),
        Err(payload) => (None, Some(panic_message(&*payload)), Some(payload)),
    };
    let asked = scheduler.asked();
    let ended = scheduler.end(main_panic);
    let replayed = Replayed {
        threads: ended.names,
        rows: ended.rows,
        ending: ended.ending,
        taken: ended.taken,
        slept: ended.slept,
        predict: false,
        ran_out: false,
        unused_digits: 0,
    };
    if let Some(payload) = payload {
        if !matches!(replayed.ending, Ending::Panicked(_)) {
            panic::resume_unwind(payload);
        }
    }
    Played {
        value,
        replayed,
        asked,
    }
}

/// What one line of input asks for.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// This ready thread goes.
    Thread(usize),
    Undo,
    Quit,
    /// Not accepted here.
    Other,
}

/// Reads one answer from `line` at a choice among `ready`.
fn answer(line: &str, ready: &[Ready]) -> Answer {
    match line.trim() {
        "u" | "U" => Answer::Undo,
        "q" | "Q" => Answer::Quit,
        text => match text.parse::<usize>() {
            Ok(column) if ready.iter().any(|(at, _, _)| *at == column) => Answer::Thread(column),
            _ => Answer::Other,
        },
    }
}

/// The choices as `--schedule` digits (`*` for a thread numbered 10 or more, which a
/// `--schedule` cannot name).
fn digits_text(digits: &[usize]) -> String {
    digits
        .iter()
        .map(|&digit| char::from_digit(digit as u32, 10).unwrap_or('*'))
        .collect()
}

/// The lines that say how to replay the choices made so far (and how to go on from there).
fn schedule_lines(flags: &Flags, digits: &[usize], stopped: bool) -> String {
    if digits.is_empty() {
        return "no choice was made yet\n".to_string();
    }
    let text = digits_text(digits);
    if text.contains('*') {
        return format!(
            "choices: {text} (a thread numbered 10 or more cannot be written in --schedule)\n"
        );
    }
    let by_hand = flags.command_with_schedule(flags.program(), &text);
    let go_on = by_hand.replacen(" -- ", " -- --interactive ", 1);
    if stopped {
        format!("choices: {text}\nreplay them: {by_hand}\ngo on from there: {go_on}\n")
    } else {
        format!("choices: {text}\nreplay them: {by_hand}\n")
    }
}

/// Prints `text` on stdout and flushes it (output that cannot be written ends the program
/// through the toolkit's panic hook, as everywhere else).
fn show(text: &str) {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .expect("stdout can be written");
}

/// Stops the program at a prompt: says why, prints the schedule so far, exits.
fn stop(flags: &Flags, digits: &[usize], step: usize, why: &str) -> ! {
    crate::cleanup::on_interrupt(None);
    show(&format!(
        "{why}: stopped before step {step}\n{}",
        schedule_lines(flags, digits, true)
    ));
    crate::cleanup::exit(0)
}

/// Prints the rows of `replayed` from row `shown` on, as the trace table prints them (with the
/// table's header again whenever it changed: a new thread, a time column).
fn print_rows(replayed: &Replayed, shown: &mut usize, header: &mut String) {
    let rows = replayed.rows.len();
    if rows <= *shown {
        *shown = rows;
        return;
    }
    let table = run::render(&replayed.threads, &replayed.rows, replayed.slept);
    let lines: Vec<&str> = table.lines().collect();
    let mut text = String::new();
    if lines[0] != header.as_str() {
        *header = lines[0].to_string();
        text.push_str(lines[0]);
        text.push('\n');
        text.push_str(lines[1]);
        text.push('\n');
    }
    for line in &lines[2 + *shown..] {
        text.push_str(line);
        text.push('\n');
    }
    show(&text);
    *shown = rows;
}

/// Plays one part of a lesson with the room as the scheduler: see the module's documentation.
pub(crate) fn play<R: Debug>(flags: &Flags, body: &dyn Fn() -> R) -> Ran<R> {
    print_each_panic_once();
    let mut digits: Vec<usize> = match &flags.mode {
        Mode::Replay {
            schedule: Some(given),
            ..
        } => given.clone(),
        _ => Vec::new(),
    };
    let echo = !io::stdin().is_terminal();
    let mut shown = 0;
    let mut header = String::new();
    let mut undone = false;
    loop {
        let played = replay_until_choice(&digits, body);
        let replayed = &played.replayed;
        let Some(ready) = played.asked else {
            if let Ending::BadSchedule(message) = &replayed.ending {
                // Only a given --schedule can name a thread that cannot go: bad input.
                flags.refuse(message);
            }
            print_rows(replayed, &mut shown, &mut header);
            finish(flags, body, &played.value, replayed);
            return Ran {
                value: played.value,
                ending: replayed.ending.clone(),
                replay: Some(played.replayed),
                census: None,
            };
        };
        debug_assert!(matches!(&replayed.ending, Ending::BadSchedule(m) if m == PAUSED));
        if std::mem::take(&mut undone) {
            shown = replayed.rows.len();
        }
        print_rows(replayed, &mut shown, &mut header);
        let step = replayed.turns() + 1;
        let numbers: Vec<String> = ready
            .iter()
            .map(|(column, _, _)| column.to_string())
            .collect();
        let mut prompt = format!("step {step}: who goes next?\n");
        for (column, name, what) in &ready {
            prompt.push_str(&format!("  {column} {name}: {what}\n"));
        }
        let accepted = match numbers.as_slice() {
            [first, second] => format!("{first} or {second}"),
            [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
            [] => String::new(),
        };
        prompt.push_str(&format!("type {accepted} (u: undo, q: stop) > "));
        crate::cleanup::on_interrupt(Some(format!(
            "\ninterrupted (Ctrl-C): stopped before step {step}\n{}",
            schedule_lines(flags, &digits, true)
        )));
        show(&prompt);
        loop {
            let mut line = String::new();
            let read = io::stdin().lock().read_line(&mut line);
            match read {
                Ok(0) => {
                    if echo {
                        show("\n");
                    }
                    stop(flags, &digits, step, "end of input")
                }
                Ok(_) if echo => show(&format!("{}\n", line.trim_end())),
                Ok(_) => {}
                // Not text (invalid UTF-8): not accepted; anything else ends the input.
                Err(error) if error.kind() == io::ErrorKind::InvalidData => {
                    if echo {
                        show("\n");
                    }
                }
                Err(_) => stop(flags, &digits, step, "input failed"),
            }
            match answer(&line, &ready) {
                Answer::Thread(column) => {
                    digits.push(column);
                    break;
                }
                Answer::Undo if digits.is_empty() => {
                    show(&format!(
                        "nothing to undo: this is the first choice\ntype {accepted} (u: undo, q: stop) > "
                    ));
                }
                Answer::Undo => {
                    digits.pop();
                    undone = true;
                    show("undone: the last choice is taken back (replayed from the start)\n");
                    break;
                }
                Answer::Quit => stop(flags, &digits, step, "q"),
                Answer::Other => show(&format!(
                    "{:?} is not accepted here: type the number of a thread that is ready ({accepted}), \
                     u to undo the last choice, or q to stop\n> ",
                    line.trim()
                )),
            }
        }
        crate::cleanup::on_interrupt(None);
    }
}

/// The end of a played replay: how it ended, whether it reached the lesson's point, and the
/// schedule that replays it.
fn finish<R: Debug>(flags: &Flags, body: &dyn Fn() -> R, value: &Option<R>, replayed: &Replayed) {
    let mut text = format!("{}\n", replayed.outcome_line());
    if let Some(point) = point(body, value, replayed) {
        text.push_str(&point);
        text.push('\n');
    }
    text.push_str(&schedule_lines(
        flags,
        &taken_digits(&replayed.taken),
        false,
    ));
    show(&text);
}

/// The digits of a replay's choices (`*` kept as a number that no `--schedule` can name).
fn taken_digits(taken: &str) -> Vec<usize> {
    taken
        .chars()
        .map(|digit| digit.to_digit(10).map_or(10, |digit| digit as usize))
        .collect()
}

/// Whether the played replay reached the lesson's point, said in one line, computed: a deadlock
/// (the scheduler found nobody could run), or an outcome no run without interruptions gives.
fn point<R: Debug>(body: &dyn Fn() -> R, value: &Option<R>, replayed: &Replayed) -> Option<String> {
    if let Ending::Deadlock(stuck) = &replayed.ending {
        let names: Vec<&str> = stuck.iter().map(|(name, _)| name.as_str()).collect();
        let who = match names.as_slice() {
            [rest @ .., last] if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => names.join(""),
        };
        return Some(format!(
            "You made a deadlock: after step {}, {who} all wait and nobody can run, so nobody \
             ever will.",
            replayed.turns(),
        ));
    }
    let value = value.as_ref()?;
    if !matches!(replayed.ending, Ending::Finished | Ending::CutOff(_)) {
        return None;
    }
    let played = outcome_text(Some(value), &replayed.ending);
    PANICS.lock().quiet = true;
    let census = run::explore(0, UNINTERRUPTED_CAP, body);
    PANICS.lock().quiet = false;
    if census.capped || census.nondeterministic.is_some() {
        return None;
    }
    let outcomes = census.outcome_set();
    let runs = census.schedules;
    let plural = if runs == 1 { "" } else { "s" };
    let quoted: Vec<String> = outcomes.iter().map(|text| quote(text)).collect();
    let decided = decided_at(body, replayed, &outcomes);
    if outcomes.contains(&played.as_str()) {
        // A part that returns nothing has no result to compare.
        (played != "finished").then(|| {
            format!(
                "Outcome {}: a run without interruptions (each thread goes on until it waits \
             or ends) can end so too: your choices did not change the result.",
                quote(&played)
            )
        })
    } else {
        Some(format!(
            "You broke it{decided}. This run ended with {played}, which no run without \
             interruptions gives: each of the {runs} run{plural} in which every thread goes on \
             until it waits or ends gives {}.",
            quoted.join(" or "),
            played = quote(&played),
            decided = decided.map_or_else(String::new, |step| format!(
                " at step {step}: from that choice on, even with no more interruptions, the run \
                 ends with a result no uninterrupted run gives"
            ))
        ))
    }
}

/// The step of the first choice of `replayed` after which the run ends with an outcome not in
/// `uninterrupted` even if no thread is interrupted again (its choices up to there, then each
/// thread going on until it waits or ends): where the room broke the program.
fn decided_at<R: Debug>(
    body: &dyn Fn() -> R,
    replayed: &Replayed,
    uninterrupted: &[&str],
) -> Option<usize> {
    let digits = taken_digits(&replayed.taken);
    // The step of each choice: turns are the rows with a `ready` list, choices those with more
    // than one ready thread.
    let mut steps = Vec::new();
    let mut step = 0;
    for row in &replayed.rows {
        if !row.ready.is_empty() {
            step += 1;
            if row.ready.len() > 1 {
                steps.push(step);
            }
        }
    }
    PANICS.lock().quiet = true;
    let found = (1..=digits.len().min(steps.len())).find(|&made| {
        let run = replay_following(&digits[..made], true, body);
        let outcome = outcome_text(run.value.as_ref(), &run.replayed.ending);
        !uninterrupted.contains(&outcome.as_str())
    });
    PANICS.lock().quiet = false;
    found.map(|made| steps[made - 1])
}

/// An outcome in quotes, unless it has quotes of its own (a `Debug` form).
fn quote(outcome: &str) -> String {
    if outcome.contains('"') {
        outcome.to_string()
    } else {
        format!("\"{outcome}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> Vec<Ready> {
        vec![
            (0, "main".into(), "join a".into()),
            (2, "b".into(), "load counter".into()),
        ]
    }

    #[test]
    fn answers() {
        assert_eq!(answer("2\n", &ready()), Answer::Thread(2));
        assert_eq!(answer(" 0 ", &ready()), Answer::Thread(0));
        assert_eq!(answer("1", &ready()), Answer::Other, "1 is not ready");
        assert_eq!(answer("u", &ready()), Answer::Undo);
        assert_eq!(answer("q\n", &ready()), Answer::Quit);
        for other in ["", "x", "-1", "99999999999999999999999", "0 2"] {
            assert_eq!(answer(other, &ready()), Answer::Other, "{other:?}");
        }
    }

    #[test]
    fn each_panic_is_printed_the_first_time_only() {
        let mut panics = Panics {
            seen: 0,
            printed: 0,
            quiet: false,
        };
        assert!(panics.count_one(), "the first panic of the first replay");
        panics.seen = 0; // the next replay, one choice further
        assert!(!panics.count_one(), "the same panic again");
        assert!(panics.count_one(), "a second panic, new in this replay");
        panics.seen = 0;
        panics.quiet = true; // the uninterrupted runs
        assert!(!panics.count_one() && !panics.count_one() && !panics.count_one());
    }

    #[test]
    fn digits_round_trip() {
        assert_eq!(digits_text(&[0, 1, 2]), "012");
        assert_eq!(digits_text(&[1, 12]), "1*");
        assert_eq!(taken_digits("01*"), vec![0, 1, 10]);
    }
}
