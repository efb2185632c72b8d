//! The teacher's page (`book/src/teachers.md`) tells a teacher which commands to put on the
//! projector and what they show. Every such command that replays, predicts or explores is run
//! here on the built lesson: it must succeed, and a line of the form
//! `` - `cargo run --bin lesson04 -- --part 2 --seed 8`: shows "lost updates: 2" `` must print the
//! quoted words. Live runs (real timing, no fixed output) are left to the room.

mod common;

use common::par_map;
use std::collections::BTreeMap;
use std::time::Duration;
use workbook::process::run_with_timeout;

const PAGE: &str = "book/src/teachers.md";
const PREFIX: &str = "cargo run --bin lesson";

/// A command from the page: the lesson number, its arguments, and the words it is said to show.
#[derive(Debug, Clone)]
struct Command {
    lesson: String,
    args: Vec<String>,
    shows: Vec<String>,
}

/// The words in double quotes after `shows` on `line`, if it says what a command shows.
fn claimed_words(line: &str) -> Vec<String> {
    let Some((_, rest)) = line.split_once("`: shows ") else {
        return Vec::new();
    };
    rest.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// Every `cargo run --bin lessonNN -- ARGS` in backticks on the page, with its claims. A command
/// cited several times keeps every claim made about it.
fn commands(page: &str) -> Vec<Command> {
    let mut found: BTreeMap<String, Command> = BTreeMap::new();
    // Join the page into one string so a command wrapped over two lines is still found whole.
    for (index, piece) in page.split('`').enumerate() {
        if index % 2 == 0 {
            continue;
        }
        let piece = piece.split_whitespace().collect::<Vec<_>>().join(" ");
        let Some(rest) = piece.strip_prefix(PREFIX) else {
            continue;
        };
        let (lesson, args) = rest.split_once(' ').unwrap_or((rest, ""));
        let args: Vec<String> = match args.strip_prefix("--") {
            Some(args) => args.split_whitespace().map(str::to_string).collect(),
            None if args.is_empty() => Vec::new(),
            None => panic!("{PAGE}: `{piece}` has arguments without `--` before them"),
        };
        assert!(
            lesson.len() == 2 && lesson.chars().all(|c| c.is_ascii_digit()),
            "{PAGE}: `{piece}` does not name a lesson as lessonNN"
        );
        found.entry(piece.clone()).or_insert(Command {
            lesson: lesson.to_string(),
            args,
            shows: Vec::new(),
        });
    }
    for line in page.lines() {
        let words = claimed_words(line);
        if words.is_empty() {
            continue;
        }
        let command = line
            .split('`')
            .nth(1)
            .unwrap_or_else(|| panic!("{PAGE}: a claim without a command: {line}"));
        found
            .get_mut(command)
            .unwrap_or_else(|| panic!("{PAGE}: claim about an unknown command: {line}"))
            .shows
            .extend(words);
    }
    found.into_values().collect()
}

/// A command the test may run: a replay, a prediction or an exploration (never a live run, which
/// has no fixed output, and never `--svg` or `--bench`).
fn is_replayable(command: &Command) -> bool {
    let has = |flag: &str| command.args.iter().any(|arg| arg == flag);
    let replay = ["--seed", "--schedule", "--explore", "--interactive"]
        .iter()
        .any(|flag| has(flag));
    replay && !has("--svg") && !has("--bench")
}

fn binary(lesson: &str) -> &'static str {
    match lesson {
        "01" => env!("CARGO_BIN_EXE_lesson01"),
        "02" => env!("CARGO_BIN_EXE_lesson02"),
        "03" => env!("CARGO_BIN_EXE_lesson03"),
        "04" => env!("CARGO_BIN_EXE_lesson04"),
        "05" => env!("CARGO_BIN_EXE_lesson05"),
        "06" => env!("CARGO_BIN_EXE_lesson06"),
        "07" => env!("CARGO_BIN_EXE_lesson07"),
        "08" => env!("CARGO_BIN_EXE_lesson08"),
        "09" => env!("CARGO_BIN_EXE_lesson09"),
        "10" => env!("CARGO_BIN_EXE_lesson10"),
        other => panic!("{PAGE}: there is no lesson{other}"),
    }
}

#[test]
fn every_command_on_the_teachers_page_runs_and_shows_what_the_page_says() {
    let page = std::fs::read_to_string(PAGE).expect("the teacher's page exists");
    let all = commands(&page);
    let (runnable, live): (Vec<Command>, Vec<Command>) = all.into_iter().partition(is_replayable);
    for command in &live {
        assert!(
            command.shows.is_empty(),
            "{PAGE}: a live run cannot promise its output: {command:?}"
        );
    }
    for lesson in 1..=10 {
        let lesson = format!("{lesson:02}");
        assert!(
            runnable
                .iter()
                .any(|command| command.lesson == lesson && !command.shows.is_empty()),
            "{PAGE}: no checked claim about lesson{lesson}"
        );
    }
    // par_map gives each thread a run of neighbours: deal the commands out in four bundles,
    // the explorations (the slow ones) first, so that no thread gets them all.
    let (mut dealt, rest): (Vec<Command>, Vec<Command>) = runnable
        .into_iter()
        .partition(|command| command.args.iter().any(|arg| arg == "--explore"));
    dealt.extend(rest);
    let mut bundles: Vec<Vec<Command>> = vec![Vec::new(); 4];
    for (index, command) in dealt.into_iter().enumerate() {
        bundles[index % 4].push(command);
    }
    let failures: Vec<String> = par_map(bundles, |bundle| {
        bundle.into_iter().flat_map(check).collect::<Vec<String>>()
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(failures.is_empty(), "{PAGE}:\n{}", failures.join("\n"));
}

/// Runs one command from the page; what went wrong, if anything.
fn check(command: Command) -> Vec<String> {
    let args: Vec<&str> = command.args.iter().map(String::as_str).collect();
    let shown = format!(
        "cargo run --bin lesson{} -- {}",
        command.lesson,
        args.join(" ")
    );
    let finished = run_with_timeout(
        binary(&command.lesson).as_ref(),
        &args,
        Duration::from_secs(20),
    )
    .unwrap_or_else(|error| panic!("could not start lesson{}: {error}", command.lesson));
    if finished.code != Some(0) {
        return vec![format!(
            "`{shown}` ended with {:?} (timed out: {}):\n{}",
            finished.code, finished.timed_out, finished.stderr
        )];
    }
    command
        .shows
        .iter()
        .filter(|words| !finished.stdout.contains(words.as_str()))
        .map(|words| format!("`{shown}` does not show {words:?}"))
        .collect()
}

#[test]
fn the_summary_links_the_teachers_page() {
    let summary = std::fs::read_to_string("book/src/SUMMARY.md").unwrap();
    assert!(
        summary.contains("(teachers.md)"),
        "SUMMARY.md does not link teachers.md"
    );
}

#[test]
fn claims_are_read_from_the_quotes_after_shows() {
    let line = r#"- `cargo run --bin lesson04 -- --seed 8`: shows "lost updates: 2" and "4""#;
    assert_eq!(claimed_words(line), ["lost updates: 2", "4"]);
    let found = commands(line);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].lesson, "04");
    assert_eq!(found[0].args, ["--seed", "8"]);
    assert_eq!(found[0].shows, ["lost updates: 2", "4"]);
    assert!(is_replayable(&found[0]));
    assert!(!is_replayable(&commands("`cargo run --bin lesson04`")[0]));
}
