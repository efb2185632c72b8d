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
    if finished.stdout.contains("Part 4") {
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

/// The output's parts, keyed by their number after "Part " (`1`, `2`, ...),
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
    let labels = ["no_join", "join", "values", "panic", "scoped"];
    for seed in ["3", "7"] {
        let out = output(&["--seed", seed]);
        let parts = parts(&out);
        let names: Vec<&str> = parts.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["1", "2", "3", "4", "5"]);
        for ((_, text), label) in parts.iter().zip(labels) {
            // Only part 5 has choices that change its table: seed 7 adds part 5.
            if seed == "3" || label == "scoped" {
                snapshot!(format!("lesson02_seed_{seed}_{label}"), text.as_str());
            }
        }
    }
}

#[test]
fn predict_hides_the_values_and_the_cut_off() {
    let out = output(&["--seed", "3", "--predict"]);
    let parts = parts(&out);
    let no_join = part(&parts, "1");
    for leak in [
        "cut off",
        "never reported",
        "saved 2",
        "save part 2",
        "luck",
    ] {
        assert!(!no_join.contains(leak), "{leak:?} leaked: {no_join}");
    }
    assert!(
        !out.contains("words (by") && !out.contains("[9, 22]"),
        "a value leaked: {out}"
    );
    assert!(!out.contains("Err(\""), "a value leaked: {out}");
    snapshot!("lesson02_predict_no_join", no_join);
    snapshot!("lesson02_predict_values", part(&parts, "3"));
}

/// The rows of a replay's table as (thread, action), using the header's thread names.
fn rows(table: &str) -> Vec<(String, String)> {
    let mut names: Vec<String> = Vec::new();
    let mut found = Vec::new();
    for line in table.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells[0] == "step" {
            names = cells
                .iter()
                .map(|cell| {
                    cell.split_once(' ')
                        .map_or(*cell, |(_, name)| name)
                        .to_string()
                })
                .collect();
            continue;
        }
        let first_thread = names.iter().position(|name| name == "main");
        let Some(first_thread) = first_thread.filter(|_| cells.len() == names.len()) else {
            continue;
        };
        for at in first_thread..cells.len() {
            if !cells[at].is_empty() {
                found.push((names[at].clone(), cells[at].to_string()));
            }
        }
    }
    found
}

#[test]
fn replays_keep_the_invariants_in_every_seed() {
    let mut interleaved = 0;
    for seed in 0..30 {
        let out = output(&["--seed", &seed.to_string()]);
        let parts = parts(&out);
        // 1: main returns at 150 ms, between the worker's second and third part: cut off.
        let no_join = part(&parts, "1");
        let saves = rows(no_join)
            .iter()
            .filter(|(who, what)| who == "worker" && what.starts_with("save part"))
            .count();
        assert_eq!(saves, 2, "{no_join}");
        assert!(!no_join.contains("report done"), "{no_join}");
        assert!(
            no_join.contains("the process ended: cut off worker"),
            "{no_join}"
        );
        assert!(
            no_join.contains("The worker saved 2 of 5 parts"),
            "{no_join}"
        );
        // 2: with join the worker always finishes, before main goes on.
        let joined = rows(part(&parts, "2"));
        let saves = joined
            .iter()
            .filter(|(who, what)| who == "worker" && what.starts_with("save part"))
            .count();
        assert_eq!(saves, 5);
        let done = joined
            .iter()
            .position(|(_, what)| what == "report done")
            .expect("done");
        let join = joined
            .iter()
            .position(|(_, what)| what == "join worker")
            .expect("join");
        assert!(done < join, "{joined:?}");
        assert!(part(&parts, "2").contains("it saved 5 of 5 parts"));
        // 3: the counters run at the same time (the first text is the slowest), and still
        // main gets the results in the order of the texts.
        let values = part(&parts, "3");
        let counted: Vec<String> = rows(values)
            .into_iter()
            .filter(|(_, what)| what.starts_with("counted"))
            .map(|(who, _)| who)
            .collect();
        assert_eq!(counted, ["count-2", "count-1", "count-0"], "{values}");
        assert!(
            values.contains("| 120 ms | 0     |         | join count-0"),
            "{values}"
        );
        assert!(values.contains(
            "main got the results in the order of the texts: 5 words (by count-0); \
             2 words (by count-1); 7 words (by count-2)."
        ));
        // 4: the panic arrives as Err, and main carries on.
        let panic = part(&parts, "4");
        assert!(panic.contains("panicked"), "{panic}");
        assert!(
            panic.contains(r#"main got Err("on purpose: \"seven\" is not a number") from join"#)
        );
        // 5: the scoped threads summed both halves, each its own.
        let scoped = part(&parts, "5");
        let adds: Vec<String> = rows(scoped)
            .into_iter()
            .filter(|(_, what)| what.starts_with("add"))
            .map(|(who, _)| who)
            .collect();
        assert_eq!(
            adds.iter().filter(|who| *who == "left").count(),
            4,
            "{scoped}"
        );
        assert_eq!(
            adds.iter().filter(|who| *who == "right").count(),
            4,
            "{scoped}"
        );
        assert!(scoped.contains("the totals are [9, 22], 31 in all"));
        // Nothing makes the two halves wait for each other: some seeds interleave them.
        if adds.windows(2).filter(|pair| pair[0] != pair[1]).count() > 1 {
            interleaved += 1;
        }
    }
    assert!(
        interleaved > 0,
        "no seed ran left and right at the same time"
    );
}

#[test]
fn a_schedule_gives_the_same_output_every_time() {
    for part in ["1", "2", "3", "4", "5"] {
        let first = output(&["--part", part, "--schedule", "0"]);
        for _ in 0..3 {
            assert_eq!(output(&["--part", part, "--schedule", "0"]), first);
        }
    }
    let _load = load_the_cpu();
    let first = output(&["--part", "3", "--schedule", "0"]);
    for _ in 0..3 {
        assert_eq!(output(&["--part", "3", "--schedule", "0"]), first);
    }
}

#[test]
fn the_printed_commands_are_accepted_and_replay_the_same_table() {
    let table = |text: &str| -> String {
        text.lines()
            .take_while(|line| {
                !line.starts_with("every thread") && !line.starts_with("main returned")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    for seed in ["5", "7"] {
        let out = output(&["--seed", seed]);
        for (_, text) in parts(&out) {
            for prefix in ["same choices by hand: ", "replay: "] {
                let Some(line) = text.lines().find_map(|line| line.strip_prefix(prefix)) else {
                    continue;
                };
                let args: Vec<&str> = line
                    .strip_prefix("cargo run --bin lesson02 -- ")
                    .expect("a command for lesson02")
                    .split_whitespace()
                    .collect();
                let again = output(&args);
                assert_eq!(table(&again), table(&text), "{line}");
            }
        }
    }
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

/// The numbers after `prefix` in a live part's lines, in order.
fn live_numbers(text: &str, prefix: &str) -> Vec<u64> {
    text.lines()
        .filter_map(|line| line.strip_prefix(prefix))
        .map(|rest| rest.parse().expect("a number"))
        .collect()
}

/// Whether a live worker is cut off depends on timing (150 ms of main's work against 100 ms a
/// part), so live runs check only what no timing can break; the replays above show the
/// cut-off the naps allow.
#[test]
fn live_runs_keep_the_invariants() {
    // Two live runs side by side: most of each is sleeping.
    for out in common::par_map(vec![(); 2], |_| output(&[])) {
        let parts = parts(&out);
        // 1 ran in a child process whose main returned without join.
        let no_join = part(&parts, "1");
        assert!(no_join.contains("--no-join"), "{no_join}");
        assert_eq!(
            no_join.matches("main: return from main").count(),
            1,
            "{no_join}"
        );
        let saved = live_numbers(no_join, "worker: save part ");
        assert_eq!(
            saved,
            (1..=saved.len() as u64).collect::<Vec<_>>(),
            "{no_join}"
        );
        if no_join.contains("worker: report done") {
            assert_eq!(saved.len(), 5);
            assert!(no_join.contains("luck, not a promise"), "{no_join}");
        } else {
            let summary = format!("The worker saved {} of 5 parts", saved.len());
            assert!(no_join.contains(&summary), "{no_join}");
        }
        // 2: joined, so every part is saved before main goes on.
        let joined = part(&parts, "2");
        assert_eq!(live_numbers(joined, "worker: save part "), [1, 2, 3, 4, 5]);
        let done = joined.find("worker: report done").expect("done");
        let after = joined
            .find("main: joined: the worker saved 5 parts")
            .expect("joined");
        assert!(done < after, "{joined}");
        // 3: whatever order the threads finished in, the results come in input order.
        let values = part(&parts, "3");
        for counter in [
            "count-0: counted 5",
            "count-1: counted 2",
            "count-2: counted 7",
        ] {
            assert!(values.contains(counter), "{values}");
        }
        assert!(
            values.contains("5 words (by count-0); 2 words (by count-1); 7 words (by count-2).")
        );
        assert!(part(&parts, "4").contains("main got Err("));
        let scoped = part(&parts, "5");
        assert_eq!(scoped.matches("left: add").count(), 4, "{scoped}");
        assert_eq!(scoped.matches("right: add").count(), 4, "{scoped}");
        assert!(scoped.contains("the totals are [9, 22], 31 in all"));
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
    assert_eq!(out.matches("main: return from main").count(), 1, "{out}");
    let saved = live_numbers(out, "worker: save part ");
    assert!(saved.len() <= 5, "{out}");
    assert_eq!(saved, (1..=saved.len() as u64).collect::<Vec<_>>(), "{out}");
    assert!(!out.contains("report done") || saved.len() == 5, "{out}");
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
        &["--schedule", "0"], // names no part
        &["--part", "6"],
        &["--part", "x"],
        &["--no-join", "--part", "2"],
        &["--no-join", "--seed", "1"],
        &["--no-such-flag"],
        &["stray"],
        &["--seed"],
    ] {
        assert_rejected(LESSON, args);
    }
}

#[test]
fn help_lists_the_flags() {
    let out = output(&["--help"]);
    for flag in ["--seed", "--schedule", "--predict", "--part", "--no-join"] {
        assert!(out.contains(flag), "--help does not mention {flag}");
    }
}
