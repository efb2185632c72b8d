//! lesson01: even/odd printers. Replays and the explorer's census are snapshotted; live runs
//! are checked by invariants.

mod common;

use common::{assert_rejected, load_the_cpu, stdout_of};

const LESSON: &str = env!("CARGO_BIN_EXE_lesson01");

/// Splits the output at part 2, so the book can include each part's snapshot whole.
fn parts(out: &str) -> (&str, &str) {
    let at = out.find("Part 2").expect("the output has a part 2");
    (&out[..at], &out[at..])
}

/// The printed numbers of a replay's trace, in order, with the name of the thread that printed
/// each (from the table's header: `0 main`, `1 even`, `2 odd`).
fn printed(trace: &str) -> Vec<(String, u64)> {
    let mut names: Vec<String> = Vec::new();
    let mut found = Vec::new();
    for line in trace.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells[0] == "step" {
            names = cells
                .iter()
                .map(|cell| {
                    cell.trim_start_matches(|c: char| c.is_ascii_digit() || c == ' ')
                        .to_string()
                })
                .collect();
        }
        for (at, cell) in cells.iter().enumerate() {
            if let Some(number) = cell.strip_prefix("print ") {
                found.push((
                    names[at].clone(),
                    number.parse().expect("a number after print"),
                ));
            }
        }
    }
    found
}

/// The numbers printed by `thread`.
fn by(numbers: &[(String, u64)], thread: &str) -> Vec<u64> {
    numbers
        .iter()
        .filter(|(name, _)| name == thread)
        .map(|(_, n)| *n)
        .collect()
}

#[test]
fn replays_by_seed() {
    for seed in ["1", "7"] {
        let out = stdout_of(LESSON, &["--seed", seed]);
        let (free, turns) = parts(&out);
        snapshot!(format!("lesson01_seed_{seed}"), free);
        assert!(turns.contains("Checked: this run printed 0 to 10 in order."));
    }
    // Part 2 alone, short enough to read in the book.
    let out = stdout_of(LESSON, &["--part", "2", "--seed", "7", "--up-to", "4"]);
    snapshot!("lesson01_turns_seed_7_up_to_4", out);
}

#[test]
fn no_printer_runs_ahead_of_its_naps_in_any_seed() {
    // The old replays let the odd printer print five numbers while the even one napped once.
    // With virtual time the odd printer (nap 1) prints at most 3 numbers between two of the
    // even printer's (nap 2): one right after it, one a nap later, and one at the tie.
    let mut orders = std::collections::BTreeSet::new();
    let outs = common::par_map((0..200).collect(), |seed: u32| {
        (
            seed,
            stdout_of(LESSON, &["--part", "1", "--seed", &seed.to_string()]),
        )
    });
    for (seed, out) in outs {
        let numbers = printed(&out);
        let mut odd_in_a_row = 0;
        for (thread, _) in &numbers {
            odd_in_a_row = if thread == "odd" { odd_in_a_row + 1 } else { 0 };
            assert!(odd_in_a_row <= 3, "seed {seed}: odd ran ahead:\n{out}");
        }
        assert_eq!(by(&numbers, "even"), [0, 2, 4, 6, 8, 10], "seed {seed}");
        assert_eq!(by(&numbers, "odd"), [1, 3, 5, 7, 9], "seed {seed}");
        assert!(
            out.contains("choices, all at the instants 0, 200 ms, 400 ms"),
            "{out}"
        );
        orders.insert(numbers);
    }
    // Three ties with two orders each, and nothing else.
    assert_eq!(orders.len(), 8, "{orders:?}");
}

#[test]
fn strict_turns_print_in_order_in_every_seed() {
    let outs = common::par_map((0..30).collect(), |seed: u32| {
        (
            seed,
            stdout_of(LESSON, &["--part", "2", "--seed", &seed.to_string()]),
        )
    });
    for (seed, out) in outs {
        let numbers = printed(&out);
        let in_order: Vec<u64> = numbers.iter().map(|(_, n)| *n).collect();
        assert_eq!(
            in_order,
            (0..=10).collect::<Vec<_>>(),
            "seed {seed}:\n{out}"
        );
        assert_eq!(by(&numbers, "even"), [0, 2, 4, 6, 8, 10], "seed {seed}");
        assert_eq!(by(&numbers, "odd"), [1, 3, 5, 7, 9], "seed {seed}");
        assert!(out.contains("Checked: this run printed 0 to 10 in order."));
    }
}

#[test]
fn the_explorer_proves_strict_turns() {
    let out = stdout_of(LESSON, &["--explore", "--up-to", "4"]);
    assert!(!out.contains("Part 1"), "{out}");
    assert!(out.contains("complete, every schedule"), "{out}");
    assert!(
        out.contains("Proved: all 56 schedules print 0 to 4 in order."),
        "{out}"
    );
    snapshot!("lesson01_explore_up_to_4", out);
    // A bound that leaves schedules out (2 preemptions at 4; the default 10 does at 10, in
    // seconds rather than milliseconds): no proof is claimed.
    let out = stdout_of(LESSON, &["--explore", "--up-to", "4", "--preemptions", "2"]);
    assert!(
        out.contains("at most 2 preemptions (--preemptions), NOT every schedule"),
        "{out}"
    );
    assert!(
        out.contains("Not proved") && !out.contains("Proved:"),
        "{out}"
    );
}

#[test]
fn replay_by_schedule() {
    snapshot!(
        "lesson01_schedule_0211",
        stdout_of(
            LESSON,
            &["--part", "1", "--schedule", "0211", "--up-to", "6"]
        )
    );
}

#[test]
fn predict_hides_the_values() {
    let out = stdout_of(LESSON, &["--seed", "7", "--predict"]);
    assert!(
        !out.contains("print 3") && !out.contains("in order") && !out.contains("[0"),
        "a value leaked into --predict: {out}"
    );
    snapshot!("lesson01_predict", parts(&out).0);
}

#[test]
fn a_schedule_naming_a_missing_thread_is_an_error_not_a_hang() {
    // lesson01 has threads 0 (main), 1 (even) and 2 (odd) only.
    let finished = common::run(LESSON, &["--part", "1", "--schedule", "0230"]);
    assert_eq!(finished.code, Some(2));
    assert!(finished.stderr.contains("is 3"), "{}", finished.stderr);
}

#[test]
fn same_seed_same_bytes_twenty_times_also_under_load() {
    // Twenty runs idle and twenty under load, a few at a time: they load the CPU themselves.
    let run = |_| stdout_of(LESSON, &["--seed", "11", "--up-to", "20"]);
    let first = run(());
    for out in common::par_map(vec![(); 20], run) {
        assert_eq!(out, first);
    }
    let _load = load_the_cpu();
    for out in common::par_map(vec![(); 20], run) {
        assert_eq!(out, first);
    }
}

/// The numbers printed in a live run's part, by thread: (even, odd, all in order).
fn live_numbers(section: &str) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
    let (mut even, mut odd, mut all) = (Vec::new(), Vec::new(), Vec::new());
    for line in section.lines() {
        let Some((who, number)) = line.split_once(": print ") else {
            continue;
        };
        let number: u64 = number.parse().expect("a number after print");
        match who {
            "even" => even.push(number),
            "odd" => odd.push(number),
            other => panic!("a line from {other}: {line}"),
        }
        all.push(number);
    }
    (even, odd, all)
}

#[test]
fn live_runs_keep_the_invariants() {
    // Three live runs at once: each takes about a second of real naps.
    let runs: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| stdout_of(LESSON, &["--up-to", "9"])))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("a live run"))
            .collect()
    });
    for out in runs {
        let (part1, part2) = out.split_once("Part 2").expect("two parts");
        let (even, odd, mut all) = live_numbers(part1);
        assert_eq!(even, [0, 2, 4, 6, 8], "the even printer keeps its order");
        assert_eq!(odd, [1, 3, 5, 7, 9], "the odd printer keeps its order");
        all.sort();
        assert_eq!(all, (0..=9).collect::<Vec<_>>(), "every number once");
        assert!(part1.contains("can differ between runs"));
        let (_, _, strict) = live_numbers(part2);
        assert_eq!(
            strict,
            (0..=9).collect::<Vec<_>>(),
            "strict turns, in order"
        );
        assert!(part2.contains("Checked: this run printed 0 to 9 in order."));
    }
}

#[test]
fn the_lesson_names_its_chapter() {
    assert!(stdout_of(LESSON, &["--seed", "0"]).contains("book/src/lesson01.md"));
}

#[test]
fn bad_input_exits_2_with_a_message() {
    for args in [
        &["--seed", "abc"][..],
        &["--seed", "-1"],
        &["--schedule", "0x2"],
        &["--schedule", ""],
        &["--schedule", "01"], // names no part
        &["--explore", "--part", "1"],
        &["--up-to", "0"],
        &["--up-to", "99999999999"],
        &["--part", "3"],
        &["--no-such-flag"],
        &["stray"],
        &["--seed"],
    ] {
        assert_rejected(LESSON, args);
    }
}

#[test]
fn help_lists_the_flags() {
    let out = stdout_of(LESSON, &["--help"]);
    for flag in [
        "--seed",
        "--schedule",
        "--predict",
        "--up-to",
        "--part",
        "--explore",
    ] {
        assert!(out.contains(flag), "--help does not mention {flag}");
    }
}

#[test]
fn the_printed_schedules_replay_the_same_steps() {
    let out = stdout_of(LESSON, &["--seed", "5", "--up-to", "8"]);
    let table = |text: &str| {
        text.lines()
            .take_while(|line| !line.starts_with("every thread"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (free, turns) = parts(&out);
    for part in [free, turns] {
        let line = part
            .lines()
            .find_map(|line| {
                line.strip_prefix("same choices by hand: cargo run --bin lesson01 -- ")
            })
            .expect("a replay prints the schedule that reproduces it");
        let args: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(table(&stdout_of(LESSON, &args)), table(part));
    }
}
