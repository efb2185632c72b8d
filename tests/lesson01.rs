//! lesson01: even/odd printers. Replays are snapshotted; live runs are checked by invariants.

mod common;

use common::{assert_rejected, load_the_cpu, stdout_of};

const LESSON: &str = env!("CARGO_BIN_EXE_lesson01");

/// Splits the output at part 2, so the book can include each part's snapshot whole.
fn parts(out: &str) -> (&str, &str) {
    let at = out.find("Part 2").expect("the output has a part 2");
    (&out[..at], &out[at..])
}

#[test]
fn replays_by_seed() {
    for seed in ["1", "3", "7"] {
        let out = stdout_of(LESSON, &["--seed", seed]);
        let (free, turns) = parts(&out);
        snapshot!(format!("lesson01_seed_{seed}"), free);
        snapshot!(format!("lesson01_seed_{seed}_turns"), turns);
    }
}

#[test]
fn strict_turns_are_the_same_in_every_seed() {
    let first = stdout_of(LESSON, &["--seed", "0"]);
    let first_turns = parts(&first).1.replace("seed 0", "seed N");
    for seed in 1..20 {
        let out = stdout_of(LESSON, &["--seed", &seed.to_string()]);
        let turns = parts(&out).1.replace(&format!("seed {seed}"), "seed N");
        assert_eq!(turns, first_turns);
    }
    assert!(first_turns.contains("no step had a choice"));
}

#[test]
fn replay_by_schedule() {
    snapshot!(
        "lesson01_schedule_0110",
        stdout_of(LESSON, &["--schedule", "0110", "--up-to", "6"])
    );
}

#[test]
fn predict_hides_the_values() {
    let out = stdout_of(LESSON, &["--seed", "7", "--predict"]);
    assert!(
        !out.contains("print 3"),
        "a value leaked into --predict: {out}"
    );
    snapshot!("lesson01_predict", parts(&out).0);
}

#[test]
fn a_schedule_naming_a_missing_thread_is_an_error_not_a_hang() {
    // lesson01 has threads 0 and 1 only.
    let finished = common::run(LESSON, &["--schedule", "0120"]);
    assert_eq!(finished.code, Some(2));
    assert!(finished.stderr.contains("thread 2"), "{}", finished.stderr);
}

#[test]
fn same_seed_same_bytes_twenty_times_also_under_load() {
    let first = stdout_of(LESSON, &["--seed", "11", "--up-to", "20"]);
    for _ in 0..20 {
        assert_eq!(stdout_of(LESSON, &["--seed", "11", "--up-to", "20"]), first);
    }
    let _load = load_the_cpu();
    for _ in 0..20 {
        assert_eq!(stdout_of(LESSON, &["--seed", "11", "--up-to", "20"]), first);
    }
}

#[test]
fn seeds_give_different_interleavings() {
    let outputs: std::collections::BTreeSet<String> = (0..10)
        .map(|seed| stdout_of(LESSON, &["--seed", &seed.to_string()]))
        .collect();
    assert!(
        outputs.len() > 5,
        "10 seeds gave only {} different traces",
        outputs.len()
    );
}

/// The numbers printed in a live run's part, by column: (even column, odd column, all in order).
fn live_numbers(section: &str) -> (Vec<u64>, Vec<u64>, Vec<u64>) {
    let (mut even, mut odd, mut all) = (Vec::new(), Vec::new(), Vec::new());
    for line in section.lines() {
        let Some(number) = line.trim().strip_prefix("print ") else {
            continue;
        };
        let number: u64 = number.parse().expect("a number after print");
        if line.starts_with(' ') {
            odd.push(number)
        } else {
            even.push(number)
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
        assert_eq!(
            even,
            [0, 2, 4, 6, 8],
            "the even printer keeps its own order"
        );
        assert_eq!(odd, [1, 3, 5, 7, 9], "the odd printer keeps its own order");
        all.sort();
        assert_eq!(
            all,
            (0..=9).collect::<Vec<_>>(),
            "every number exactly once"
        );
        assert!(part1.contains("can differ between runs"));
        let (_, _, strict) = live_numbers(part2);
        assert_eq!(
            strict,
            (0..=9).collect::<Vec<_>>(),
            "strict turns print 0..=9 in order"
        );
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
        &["--up-to", "0"],
        &["--up-to", "99999999999"],
        &["--no-such-flag"],
        &["stray"],
        &["--seed"],
        &["--schedule", "9"],
    ] {
        assert_rejected(LESSON, args);
    }
}

#[test]
fn help_lists_the_flags() {
    let out = stdout_of(LESSON, &["--help"]);
    for flag in ["--seed", "--schedule", "--predict", "--up-to"] {
        assert!(out.contains(flag), "--help does not mention {flag}");
    }
}

#[test]
fn the_printed_schedule_replays_the_same_steps() {
    let out = stdout_of(LESSON, &["--seed", "5", "--up-to", "8"]);
    let (free, _) = parts(&out);
    let line = free
        .lines()
        .find_map(|line| line.strip_prefix("same choices by hand: cargo run --bin lesson01 -- "))
        .expect("a replay prints the schedule that reproduces it");
    let args: Vec<&str> = line.split_whitespace().collect();
    let again = stdout_of(LESSON, &args);
    let table = |text: &str| {
        text.lines()
            .take_while(|line| !line.starts_with("every thread"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(table(parts(&again).0), table(free));
}
