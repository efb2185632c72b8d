//! lesson02: join semantics. Replays are snapshotted part by part; live runs are checked by
//! invariants. Part 3 panics a thread on purpose: its message on stderr is expected, and is the
//! only panic allowed.

mod common;

use common::{assert_rejected, load_the_cpu};

const LESSON: &str = env!("CARGO_BIN_EXE_lesson02");

/// Runs lesson02, demands exit 0, and allows on stderr exactly the one deliberate panic of
/// part 3 (when part 3 runs) and no other.
fn output(args: &[&str]) -> String {
    // Without a backtrace, the deliberate panic costs nothing and its message stays short.
    let mut command = std::process::Command::new(LESSON);
    command.args(args).env("RUST_BACKTRACE", "0");
    let finished = workbook::process::run_command_with_timeout(command, common::LIMIT)
        .expect("lesson02 starts");
    assert!(!finished.timed_out, "lesson02 {args:?} did not finish");
    assert_eq!(
        finished.code,
        Some(0),
        "lesson02 {args:?} failed:\n{}\n{}",
        finished.stdout,
        finished.stderr
    );
    let panics = finished.stderr.matches("panicked").count();
    if finished.stdout.contains("Part 3") {
        assert_eq!(panics, 1, "one deliberate panic only:\n{}", finished.stderr);
        assert!(
            finished.stderr.contains("thread 'checker'")
                && finished
                    .stderr
                    .contains("on purpose: \"seven\" is not a number"),
            "the panic is not the deliberate one:\n{}",
            finished.stderr
        );
    } else {
        assert_eq!(panics, 0, "unexpected panic:\n{}", finished.stderr);
    }
    finished.stdout
}

/// The output's parts, keyed by their title's first word after "Part " (`1a`, `1b`, `2`, ...),
/// without the closing line that names the chapter.
fn parts(out: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    for line in out.lines() {
        if let Some(rest) = line.strip_prefix("Part ") {
            let key = rest.split(':').next().unwrap().to_string();
            found.push((key, String::new()));
        }
        if line.starts_with("Read chapter 2") {
            break;
        }
        if let Some((_, text)) = found.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    for (_, text) in &mut found {
        while text.ends_with("\n\n") {
            text.pop();
        }
    }
    found
}

fn part<'a>(parts: &'a [(String, String)], key: &str) -> &'a str {
    &parts
        .iter()
        .find(|(name, _)| name == key)
        .unwrap_or_else(|| panic!("no part {key}"))
        .1
}

#[test]
fn replays_by_seed() {
    for seed in ["3", "7"] {
        let out = output(&["--seed", seed]);
        let parts = parts(&out);
        let names = ["1a", "1b", "2", "3", "4"];
        assert_eq!(
            parts
                .iter()
                .map(|(name, _)| name.as_str())
                .collect::<Vec<_>>(),
            names
        );
        for (name, text) in &parts {
            let label = match name.as_str() {
                "1a" => "no_join",
                "1b" => "join",
                "2" => "values",
                "3" => "panic",
                _ => "scoped",
            };
            snapshot!(format!("lesson02_seed_{seed}_{label}"), text.as_str());
        }
    }
}

#[test]
fn a_lucky_seed_where_the_worker_finishes_first() {
    let out = output(&["--seed", "10", "--no-join"]);
    assert!(out.contains("luck, not a promise"), "{out}");
    snapshot!("lesson02_seed_10_no_join", out);
}

#[test]
fn predict_hides_the_values() {
    let out = output(&["--seed", "3", "--part", "2", "--predict"]);
    assert!(!out.contains("words (by"), "a value leaked: {out}");
    snapshot!("lesson02_predict_values", part(&parts(&out), "2"));
}

/// (parts saved, reported done) from part 1a's table or live lines; a step marked CUT OFF never
/// happened.
fn saved_and_done(text: &str) -> (usize, bool) {
    let happened = |line: &&str| !line.contains("CUT OFF");
    let saved = text
        .lines()
        .filter(happened)
        .filter(|line| {
            line.split("save part ")
                .nth(1)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        })
        .count();
    let done = text
        .lines()
        .filter(happened)
        .any(|line| line.contains("report done"));
    (saved, done)
}

#[test]
fn replays_keep_the_invariants_in_every_seed() {
    let (mut cut_off, mut lucky) = (0, 0);
    for seed in 0..30 {
        let out = output(&["--seed", &seed.to_string()]);
        let parts = parts(&out);
        // 1a: the summary tells the truth about the table.
        let no_join = part(&parts, "1a");
        let (saved, done) = saved_and_done(no_join);
        if done {
            lucky += 1;
            assert!(no_join.contains("luck, not a promise"), "{no_join}");
            assert!(!no_join.contains("CUT OFF"));
        } else {
            cut_off += 1;
            assert!(no_join.contains(": CUT OFF"), "{no_join}");
            assert!(
                no_join.contains("lets the worker's thread end quietly"),
                "{no_join}"
            );
            assert!(
                no_join.contains(&format!("The worker saved {saved} of 5 parts")),
                "{no_join}"
            );
        }
        // 1b: with join the worker always finishes, and main returns last.
        let joined = part(&parts, "1b");
        assert_eq!(saved_and_done(joined), (5, true), "{joined}");
        assert!(joined.contains("join worker: saved 5"));
        let order: Vec<&str> = joined
            .lines()
            .filter(|line| line.contains("report done") || line.contains("return from main"))
            .collect();
        assert!(
            order.len() == 2 && order[0].contains("report done"),
            "{joined}"
        );
        // 2: results in the order of the texts.
        assert!(part(&parts, "2").contains(
            "main got the results in the order of the texts: 5 words (by count-0); \
             2 words (by count-1); 7 words (by count-2)."
        ));
        // 3: the panic arrives as Err, and main carries on.
        let panic = part(&parts, "3");
        assert!(panic.contains(r#"join checker Err("on purpose: \"seven\" is not a number")"#));
        assert!(panic.contains("carry on"));
        // 4: the scoped threads summed both halves.
        assert!(part(&parts, "4").contains("the totals are [9, 22], 31 in all"));
    }
    assert!(
        cut_off > 0 && lucky > 0,
        "30 seeds: {cut_off} cut off, {lucky} lucky"
    );
}

#[test]
fn same_seed_same_bytes_also_under_load() {
    let first = output(&["--seed", "11"]);
    for _ in 0..5 {
        assert_eq!(output(&["--seed", "11"]), first);
    }
    let _load = load_the_cpu();
    for _ in 0..5 {
        assert_eq!(output(&["--seed", "11"]), first);
    }
}

/// Whether a live worker is cut off depends on timing (150 ms of main's work against 100 ms a
/// part), so live runs check only what no timing can break; the replays above prove the cut-off.
#[test]
fn live_runs_keep_the_invariants() {
    for _ in 0..2 {
        let out = output(&[]);
        let parts = parts(&out);
        // 1a ran in a child process whose main returned without join.
        let no_join = part(&parts, "1a");
        assert!(no_join.contains("--no-join"), "{no_join}");
        assert!(no_join.contains("return from main"), "{no_join}");
        assert!(!no_join.contains("CUT OFF"), "{no_join}");
        let (saved, done) = saved_and_done(no_join);
        assert!(saved <= 5 && (!done || saved == 5), "{no_join}");
        if done {
            assert!(no_join.contains("luck, not a promise"), "{no_join}");
        } else {
            assert!(no_join.contains(&format!("The worker saved {saved} of 5 parts")));
        }
        // 1b: joined, so every part is saved before main returns.
        let joined = part(&parts, "1b");
        assert_eq!(saved_and_done(joined), (5, true), "{joined}");
        assert!(joined.contains("join worker: saved 5"));
        // 2: whatever order the threads finished in, main's joins come in input order.
        let joins: Vec<&str> = part(&parts, "2")
            .lines()
            .filter_map(|line| line.strip_prefix("join "))
            .collect();
        assert_eq!(
            joins,
            [
                "count-0 5 words (by count-0)",
                "count-1 2 words (by count-1)",
                "count-2 7 words (by count-2)"
            ]
        );
        let panic = part(&parts, "3");
        assert!(panic.contains("join checker Err("), "{panic}");
        assert!(part(&parts, "4").contains("the totals are [9, 22]"));
    }
}

/// Live `--no-join`: the process ends normally when main returns, and whatever the worker got
/// to print before that is its parts in order (how many is up to timing).
#[test]
fn no_join_live_exits_cleanly_after_main_returns() {
    let finished = common::run(LESSON, &["--no-join"]);
    assert_eq!(finished.code, Some(0), "{}", finished.stderr);
    assert!(finished.stderr.is_empty(), "{}", finished.stderr);
    let out = &finished.stdout;
    assert_eq!(out.matches("return from main").count(), 1, "{out}");
    let saves: Vec<&str> = out
        .lines()
        .filter_map(|line| line.trim().strip_prefix("save part "))
        .collect();
    let in_order: Vec<String> = (1..=saves.len()).map(|n| n.to_string()).collect();
    assert!(saves.len() <= 5 && saves == in_order, "{out}");
    assert!(!out.contains("report done") || saves.len() == 5, "{out}");
}

#[test]
fn the_lesson_names_its_chapter() {
    assert!(output(&["--seed", "0"]).contains("book/src/lesson02.md"));
}

#[test]
fn bad_input_exits_2_with_a_message() {
    for args in [
        &["--seed", "abc"][..],
        &["--seed", "-1"],
        &["--schedule", "0x2"],
        &["--schedule", ""],
        &["--schedule", "2"], // part 1 has threads 0 and 1 only
        &["--part", "5"],
        &["--part", "x"],
        &["--no-join", "--part", "2"],
        &["--no-such-flag"],
        &["stray"],
        &["--seed"],
    ] {
        assert_rejected(LESSON, args);
    }
}

#[test]
fn a_schedule_fits_the_part_it_is_for() {
    // Part 2 has four threads, so digit 3 is fine there.
    let out = output(&["--part", "2", "--schedule", "32"]);
    assert!(out.contains("choices: 32\n"), "{out}");
}

#[test]
fn help_lists_the_flags() {
    let out = output(&["--help"]);
    for flag in ["--seed", "--schedule", "--predict", "--part", "--no-join"] {
        assert!(out.contains(flag), "--help does not mention {flag}");
    }
}
