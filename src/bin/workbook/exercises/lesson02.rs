//! Exercises of lesson 2 (join): results collected in input order with `join` (02a), and a
//! panicking thread handled as an `Err` at join instead of taking main down (02b).
//!
//! Each check judges what the toolkit saw the student's own program do (see [`super::judge`]):
//! every schedule (also with sleeps of any length), seeded replays (which thread measured or
//! parsed what, which touched a shared object, which panicked), and live runs several at once.

use std::time::Duration;

use super::judge::{self, Record};
use super::{Exercise, Failure, Program};

/// A check's limit per run: longer than the toolkit's stall timer
/// ([`workbook::scheduler::STALL_TIMEOUT`]), so a stuck replay reports its own diagnosis first, and
/// long enough for an explorer's few hundred schedules on a machine busy with other checks.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..6;

/// 02a's words, as the exercise has them.
const WORDS: [&str; 4] = ["channel", "mutex", "thread", "join"];

/// 02b's texts, as the exercise has them; the third is not a number.
const TEXTS: [&str; 4] = ["12", "7", "x", "30"];

/// The exercises of lesson 2.
pub fn exercises() -> Vec<Exercise> {
    vec![
        Exercise {
            id: "02a",
            title: "results in the order of the inputs",
            starter: "ex02a_results_in_order.rs",
            solution: "sol02a_results_in_order.rs",
            hints: [
                "The order in which threads finish is up to the scheduler (and here, to the \
                 length of the words); the order of your handles is up to you. If every thread \
                 hands its result to its own handle, main can ask the handles one by one, in \
                 the order of the words.",
                "`Builder::spawn_scoped` returns (inside an `io::Result`) a \
                 `ScopedJoinHandle<T>`, where `T` is what the closure returns; `handle.join()` \
                 waits for that thread and gives `Ok(T)`. Make the closure end with `length`, \
                 and drop the Mutex.",
                "Inside `thread::scope`, `let handles: Vec<_> = words.iter().enumerate().map(|(index, \
                 word)| Builder::new().name(...).spawn_scoped(scope, move || { ...; length \
                 }).expect(...)).collect();` then return `handles.into_iter().map(|handle| \
                 handle.join().expect(\"...\")).collect()` from the scope.",
            ],
            timeout: TIMEOUT,
            check: check_results_in_order,
        },
        Exercise {
            id: "02b",
            title: "survive a panicking thread",
            starter: "ex02b_survive_a_panic.rs",
            solution: "sol02b_survive_a_panic.rs",
            hints: [
                "`join` does not panic when the thread panicked: it returns an `Err`. It is the \
                 `unwrap()` on that `Err` that turns the worker's panic into main's panic.",
                "`handle.join()` is a `thread::Result<u64>`: `Ok` with what the thread \
                 returned, or `Err` with the panic's payload. Decide what an `Err` means with \
                 `match`, or turn the `Result` into an `Option` with `.ok()`.",
                "Replace `.map(|handle| Some(handle.join().unwrap()))` with `.map(|handle| \
                 handle.join().ok())`: a panicked thread then counts as `None`, which main \
                 prints as `failed`.",
            ],
            timeout: TIMEOUT,
            check: check_survive_a_panic,
        },
    ]
}

/// 02a's outcome must be the lengths of the first `words` words, in the order of the words.
fn lengths_in_order(outcome: &str, words: usize) -> Result<(), String> {
    let lengths: Vec<usize> = WORDS[..words].iter().map(|word| word.len()).collect();
    let expected = format!("{lengths:?}");
    if outcome == expected {
        return Ok(());
    }
    let mut finishing = lengths.clone();
    finishing.sort_unstable();
    let mut got: Vec<usize> = outcome
        .trim_matches(|c| c == '[' || c == ']')
        .split(", ")
        .filter_map(|number| number.parse().ok())
        .collect();
    let order = format!("{got:?}");
    got.sort_unstable();
    if got == finishing {
        return Err(format!(
            "main's results were {order}, not {expected}: they are in the order the threads \
             finished, not in the order of the words"
        ));
    }
    Err(format!(
        "main's results were `{outcome}`: expected the lengths of the words in their order, \
         {expected}"
    ))
}

/// 02a: every schedule of 4 words (virtual time), and of 2 with sleeps of any length, returns
/// the lengths in word order; seeded replays of 4 words have one thread per word measuring its
/// own word and touching no shared object, and main joining them in order; 2 live runs at once
/// return the lengths in order.
fn check_results_in_order(program: &Program) -> Result<(), Failure> {
    let invariant = "main's results are the lengths of the words in the order of the words, \
                     each measured by that word's own thread and handed back by `join`";
    judge::every_schedule(program, &["--words", "4"], &[], invariant, |outcome| {
        lengths_in_order(outcome, 4)
    })?;
    // Two words: the solution has 19 schedules here (1121 with three), all of them run.
    judge::every_schedule_with_any_delay(
        program,
        &["--words", "2"],
        &["--preemptions", "20"],
        invariant,
        |outcome| lengths_in_order(outcome, 2),
    )?;
    judge::seeded_replays(program, &["--words", "4"], SEEDS, invariant, |record| {
        judge::finished(record)?;
        judge::thread_count(record, 4)?;
        for (index, word) in WORDS.iter().enumerate() {
            let thread = format!("word-{index}");
            let actions = record.actions_of(&thread);
            let measured = format!("measure {word}: {}", word.len());
            if !actions.contains(&measured) {
                return Err(format!(
                    "thread {thread} did not measure {word:?} (no `{measured}` in its column; it \
                     did {}): each word is measured by its own thread, word-0 to word-3 in the \
                     order of the words",
                    listed(&actions)
                ));
            }
            if let Some(shared) = actions.iter().find(|action| touches_shared(action)) {
                return Err(format!(
                    "thread {thread} did `{shared}`: the threads share nothing here. Each \
                     returns its length, and main gets it from `join`; collecting into a shared \
                     vector gathers the results in the order the threads finish"
                ));
            }
        }
        let joins: Vec<String> = (record.actions_of("main").into_iter())
            .filter(|action| action.starts_with("join "))
            .collect();
        let in_order: Vec<String> = (0..4).map(|index| format!("join word-{index}")).collect();
        if joins != in_order {
            return Err(format!(
                "main joined {}: it should join word-0 to word-3, in the order of the words",
                listed(&joins)
            ));
        }
        lengths_in_order(&record.outcome(), 4)
    })?;
    judge::live_runs(program, &["--words", "4"], 2, |record| {
        judge::finished(record)?;
        lengths_in_order(&record.outcome(), 4)
    })
}

/// True when a row is an operation on a shared object (a lock, an atomic, a channel, a
/// Condvar), not a spawn, join, sleep or line of the program's own.
fn touches_shared(action: &str) -> bool {
    ["lock ", "unlock ", "wait on ", "notify", "send", "recv"]
        .iter()
        .any(|start| action.starts_with(start))
        || action.contains(".load(")
        || action.contains(".store(")
        || action.contains(".fetch_")
        || action.contains(".compare_exchange(")
}

/// 02b's outcome: each text's number in order, the panicked one as `None`.
fn failed_as_none(outcome: &str) -> Result<(), String> {
    const EXPECTED: &str = "[Some(12), Some(7), None, Some(30)]";
    if outcome == EXPECTED {
        return Ok(());
    }
    if outcome.starts_with("main panicked") {
        return Err(format!(
            "{outcome}: the worker's panic reached main through join. `join` returns `Err` for \
             a thread that panicked; handle it instead of unwrapping it"
        ));
    }
    Err(format!(
        "main returned {outcome}: expected {EXPECTED}, the numbers in the order of the texts \
         and `None` for the worker that panicked"
    ))
}

/// 02b: every schedule and seeded replays end with main's results `[Some(12), Some(7), None,
/// Some(30)]`; in the replays the worker given "x" (parse-2) panicked and no other did, one
/// thread per text; 2 live runs at once end normally with the same results.
fn check_survive_a_panic(program: &Program) -> Result<(), Failure> {
    let invariant = "the worker given \"x\" panics, the others return their numbers, and main \
                     ends normally with [Some(12), Some(7), None, Some(30)]";
    judge::every_schedule(program, &[], &[], invariant, failed_as_none)?;
    judge::seeded_replays(program, &[], SEEDS, invariant, |record| {
        if record.ending() == "panicked" {
            return failed_as_none(&record.outcome());
        }
        judge::finished(record)?;
        judge::thread_count(record, 4)?;
        for (index, text) in TEXTS.iter().enumerate() {
            let thread = format!("parse-{index}");
            let panicked = panicked(record, &thread);
            if text.parse::<u64>().is_err() && !panicked {
                return Err(format!(
                    "thread {thread}, given {text:?}, did not panic: leave the workers as they \
                     are (the one given \"x\" panics on purpose); main is the one to change"
                ));
            }
            if text.parse::<u64>().is_ok() && panicked {
                return Err(format!(
                    "thread {thread}, given {text:?}, panicked: only the worker given \"x\" \
                     should"
                ));
            }
        }
        failed_as_none(&record.outcome())
    })?;
    judge::live_runs(program, &[], 2, |record| {
        judge::finished(record)?;
        failed_as_none(&record.outcome())
    })
}

/// True when the thread called `thread` panicked in this replay.
fn panicked(record: &Record, thread: &str) -> bool {
    record
        .actions_of(thread)
        .iter()
        .any(|action| action == "panicked")
}

/// `a, b, c`, or `nothing`.
fn listed(actions: &[String]) -> String {
    if actions.is_empty() {
        return "nothing".to_string();
    }
    actions
        .iter()
        .map(|action| format!("`{action}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
