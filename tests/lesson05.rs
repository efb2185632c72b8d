//! lesson05: the deadlock. Replays and explorer censuses are snapshotted; live runs are checked
//! by invariants: the deadlock is found by the toolkit's watchdog every time, within 2 s, and the
//! lesson goes on; the fixes finish every time.

mod common;

use std::time::Duration;

use common::{assert_rejected, load_the_cpu, stdout_of};

const LESSON: &str = env!("CARGO_BIN_EXE_lesson05");

/// The exit status of a live run in which a part deadlocked (`workbook::live::DEADLOCK_EXIT`).
const DEADLOCK_EXIT: i32 = 4;

/// Splits a replay's output into the run itself and the table of seeds, without the final
/// chapter line, so the book can include each piece whole.
fn pieces(out: &str) -> (&str, &str) {
    let at = out
        .find("How seed")
        .or_else(|| out.find("(the table of seeds"))
        .expect("a replay prints a table of seeds");
    let end = out
        .find("Read chapter 5")
        .expect("the lesson names its chapter");
    (out[..at].trim_end(), out[at..end].trim_end())
}

/// The rows of the table of seeds: (seed, with the barrier, without the barrier).
fn seed_rows(out: &str) -> Vec<(u64, String, String)> {
    pieces(out)
        .1
        .lines()
        .filter_map(|line| {
            let mut cells = line.split(" | ").map(str::trim);
            let seed = cells.next()?.parse().ok()?;
            Some((seed, cells.next()?.to_string(), cells.next()?.to_string()))
        })
        .collect()
}

#[test]
fn replays_by_seed() {
    let out = stdout_of(LESSON, &["--fix", "0", "--seed", "3"]);
    let (run, seeds) = pieces(&out);
    assert!(
        run.contains("DEADLOCK after 7 steps: nobody can run"),
        "{run}"
    );
    assert!(run.contains("A->B waits to lock B, held by B->A"), "{run}");
    assert!(run.contains("B->A waits to lock A, held by A->B"), "{run}");
    snapshot!("lesson05_seed_3", run);
    snapshot!("lesson05_seeds", seeds);
    for (name, args) in [
        ("lesson05_fix1_seed_1", &["--fix", "1", "--seed", "1"][..]),
        ("lesson05_fix2_seed_3", &["--fix", "2", "--seed", "3"]),
    ] {
        snapshot!(name, pieces(&stdout_of(LESSON, args)).0);
    }
}

#[test]
fn replay_by_schedule() {
    // Without the barrier: A->B takes A, then B->A takes B, and it is over.
    let out = stdout_of(LESSON, &["--no-barrier", "--schedule", "012"]);
    assert!(out.contains("DEADLOCK after 4 steps"), "{out}");
    snapshot!("lesson05_schedule_012", pieces(&out).0);
}

/// The census of `--explore` for `args`, without the chapter line.
fn census(args: &[&str]) -> String {
    let mut all = vec!["--explore"];
    all.extend(args);
    let out = stdout_of(LESSON, &all);
    out[..out.find("Read chapter 5").unwrap()]
        .trim_end()
        .to_string()
}

#[test]
fn the_explorer_proves_the_fixes_and_finds_the_deadlock() {
    let deadlock = census(&["--fix", "0"]);
    assert!(deadlock.contains("complete, every schedule"), "{deadlock}");
    assert!(!deadlock.contains("A 110, B 90"), "{deadlock}");
    assert!(deadlock.contains("DEADLOCK"), "{deadlock}");
    snapshot!("lesson05_explore_deadlock", deadlock);

    let luck = census(&["--fix", "0", "--no-barrier"]);
    assert!(luck.contains("complete, every schedule"), "{luck}");
    assert!(
        luck.contains("DEADLOCK") && luck.contains("A 110, B 90"),
        "{luck}"
    );
    snapshot!("lesson05_explore_no_barrier", luck);

    for (fix, name) in [
        ("1", "lesson05_explore_fix1"),
        ("2", "lesson05_explore_fix2"),
    ] {
        for barrier in [&[][..], &["--no-barrier"]] {
            let mut args = vec!["--fix", fix];
            args.extend(barrier);
            let proof = census(&args);
            assert!(proof.contains("complete, every schedule"), "{proof}");
            let outcomes: Vec<&str> = proof
                .lines()
                .skip(2)
                .filter(|line| line.contains(" | "))
                .collect();
            assert_eq!(outcomes.len(), 1, "fix {fix} {barrier:?}: {proof}");
            assert!(outcomes[0].starts_with("A 110, B 90 "), "{proof}");
            if barrier.is_empty() {
                snapshot!(name, proof);
            }
        }
    }
}

/// The choices that keep fix 2 with equal back-offs in lockstep: the two transfers take strict
/// turns at every choice after the first.
fn lockstep() -> String {
    format!("1{}", "12".repeat(90))
}

#[test]
fn fix_2_with_equal_back_offs_livelocks_when_the_turns_alternate() {
    let schedule = lockstep();
    let args = ["--fix", "2", "--same-back-off", "--schedule", &schedule];
    let out = stdout_of(LESSON, &args);
    let run = pieces(&out).0;
    assert!(run.contains("A->B: GAVE UP") || run.contains("GAVE UP after 20 attempts"));
    assert_eq!(run.matches("GAVE UP after 20 attempts").count(), 2, "{run}");
    assert!(run.contains("Balances: A 100, B 100"), "{run}");
    assert!(!run.contains("moved"), "{run}");
    assert!(
        !run.contains("digits of the schedule were not needed"),
        "{run}"
    );
    let lines: Vec<&str> = run.lines().collect();
    // The first two rounds of the table, and how it ended.
    snapshot!("lesson05_livelock_start", lines[1..28].join("\n"));
    let end = lines
        .iter()
        .position(|line| line.starts_with("every thread finished"))
        .expect("the replay finished");
    snapshot!("lesson05_livelock_end", lines[end - 4..].join("\n"));
    // With different back-offs, the same turns cannot keep them in lockstep.
    let out = stdout_of(LESSON, &["--fix", "2", "--schedule", &schedule]);
    assert_eq!(out.matches("moved").count(), 2, "{out}");
}

#[test]
fn predict_gives_nothing_away() {
    for fix in ["0", "1", "2"] {
        let out = stdout_of(LESSON, &["--fix", fix, "--seed", "3", "--predict"]);
        for secret in [
            "DEADLOCK", "A 110", "Balances", "Neither", "finished", "after",
        ] {
            assert!(
                !out.contains(secret),
                "{secret} leaked into --predict: {out}"
            );
        }
        if fix == "0" {
            snapshot!("lesson05_predict", pieces(&out).0);
        }
    }
}

#[test]
fn with_the_barrier_every_seed_deadlocks_without_it_some_do() {
    let out = stdout_of(LESSON, &["--seed", "0", "--seeds", "200"]);
    let rows = seed_rows(&out);
    assert_eq!(rows.len(), 200);
    assert_eq!(rows.last().unwrap().0, 199);
    assert!(
        rows.iter()
            .all(|(_, with, _)| with == "DEADLOCK after 7 steps"),
        "the barrier makes the deadlock certain in every replay"
    );
    let deadlocks = rows
        .iter()
        .filter(|(_, _, without)| without.starts_with("DEADLOCK"))
        .count();
    assert!(
        (20..=180).contains(&deadlocks),
        "without the barrier it should be luck, but {deadlocks} of 200 seeds deadlocked"
    );
}

#[test]
fn both_fixes_finish_in_every_seed_from_0_to_199() {
    for fix in ["1", "2"] {
        let out = stdout_of(LESSON, &["--fix", fix, "--seed", "0", "--seeds", "200"]);
        let rows = seed_rows(&out);
        assert_eq!(rows.len(), 200, "fix {fix}");
        for (seed, with, without) in rows {
            assert!(
                with.starts_with("finished") && without.starts_with("finished"),
                "fix {fix}, seed {seed}: with the barrier {with:?}, without {without:?}"
            );
        }
    }
}

#[test]
fn a_replayed_fix_moves_the_money_once_each() {
    for fix in ["1", "2"] {
        for seed in ["0", "7", "42"] {
            let out = stdout_of(LESSON, &["--fix", fix, "--seed", seed]);
            let run = pieces(&out).0;
            assert!(run.contains("every thread finished"), "{run}");
            assert!(run.contains("Balances: A 110, B 90"), "{run}");
            // Each lock is taken as often as it is given back.
            for account in ["A", "B"] {
                let locks = run.matches(&format!("lock {account}\n")).count()
                    + run.matches(&format!("lock {account} ")).count()
                    + run.matches(&format!("try_lock_for {account} ")).count()
                    + run.matches(&format!("try_lock_for {account}\n")).count();
                let unlocks = run.matches(&format!("unlock {account} (")).count();
                assert!(locks >= unlocks && unlocks >= 1, "{run}");
            }
        }
    }
}

#[test]
fn same_seed_same_bytes_also_under_load() {
    let args = ["--fix", "2", "--seed", "5", "--seeds", "1"];
    let first = stdout_of(LESSON, &args);
    for _ in 0..3 {
        assert_eq!(stdout_of(LESSON, &args), first);
    }
    let _load = load_the_cpu();
    for _ in 0..3 {
        assert_eq!(stdout_of(LESSON, &args), first);
    }
}

/// How many milliseconds the lesson says the deadlocked part took.
fn part_took_ms(out: &str) -> u64 {
    let after = out
        .split("This part took ")
        .nth(1)
        .expect("a deadlocked part says how long it took");
    after
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("no time in {out}"))
}

/// Fifty live runs of the deadlock, one after another: each is found by the watchdog, named by
/// thread and lock, ends within 2 s of its start, and the process exits with status 4.
#[test]
fn fifty_live_deadlocks_each_found_within_2_seconds() {
    // Four at a time: the runs are independent, and the watchdog must hold under that load too.
    let runs = common::par_map((0..50).collect(), |number: u32| {
        (number, common::run(LESSON, &["--fix", "0"]))
    });
    for (number, finished) in runs {
        let out = &finished.stdout;
        assert_eq!(
            finished.code,
            Some(DEADLOCK_EXIT),
            "run {number}: {out}\n{}",
            finished.stderr
        );
        assert!(finished.elapsed < Duration::from_secs(3), "run {number}");
        assert!(!finished.stderr.contains("panicked"), "{}", finished.stderr);
        assert!(out.contains("DEADLOCK found by the watchdog"), "{out}");
        assert!(out.contains("A->B waits to lock B (held by B->A)"), "{out}");
        assert!(out.contains("B->A waits to lock A (held by A->B)"), "{out}");
        assert!(part_took_ms(out) < 2000, "run {number}: {out}");
        assert!(
            !out.contains("Balances"),
            "no money moved in run {number}: {out}"
        );
        assert!(out.trim_end().ends_with("(or `mdbook serve book`)."));
    }
}

#[test]
fn a_live_run_goes_on_from_the_deadlock_to_both_fixes() {
    let finished = common::run(LESSON, &[]);
    let out = &finished.stdout;
    assert_eq!(finished.code, Some(DEADLOCK_EXIT), "{out}");
    let watchdog = out.find("DEADLOCK found by the watchdog").expect(out);
    let fix1 = out.find("Part 1.").expect(out);
    let fix2 = out.find("Part 2.").expect(out);
    assert!(watchdog < fix1 && fix1 < fix2, "{out}");
    assert_eq!(out.matches("Balances: A 110, B 90").count(), 2, "{out}");
}

#[test]
fn live_fixes_finish_every_time() {
    for fix in ["1", "2"] {
        for _ in 0..10 {
            let finished = common::run(LESSON, &["--fix", fix]);
            let out = &finished.stdout;
            assert_eq!(
                finished.code,
                Some(0),
                "fix {fix}: {out}\n{}",
                finished.stderr
            );
            assert!(
                finished.elapsed < Duration::from_secs(3),
                "fix {fix}: {out}"
            );
            assert!(!out.contains("DEADLOCK"), "fix {fix}: {out}");
            assert!(out.contains("Balances: A 110, B 90"), "{out}");
            if fix == "2" {
                assert_eq!(out.matches("A->B: moved 10 at attempt").count(), 1, "{out}");
                assert_eq!(out.matches("B->A: moved 20 at attempt").count(), 1, "{out}");
                // The barrier makes the first attempt collide: someone lets go at least once.
                assert!(out.contains("is busy: let go of"), "{out}");
            }
        }
    }
}

#[test]
fn live_without_the_barrier_finishes_or_is_detected() {
    for _ in 0..5 {
        let finished = common::run(LESSON, &["--fix", "0", "--no-barrier"]);
        let out = &finished.stdout;
        assert!(finished.elapsed < Duration::from_secs(3), "{out}");
        match finished.code {
            Some(0) => assert!(out.contains("Balances: A 110, B 90"), "{out}"),
            Some(DEADLOCK_EXIT) => assert!(out.contains("DEADLOCK found by the watchdog"), "{out}"),
            other => panic!("exit {other:?}: {out}\n{}", finished.stderr),
        }
    }
}

#[test]
fn a_schedule_naming_a_missing_thread_is_an_error_not_a_hang() {
    let finished = common::run(LESSON, &["--schedule", "0130"]);
    assert_eq!(finished.code, Some(2));
    assert!(finished.stderr.contains("thread"), "{}", finished.stderr);
}

#[test]
fn bad_input_exits_2_with_a_message() {
    for args in [
        &["--fix", "3"][..],
        &["--fix", "-1"],
        &["--fix", "one"],
        &["--fix"],
        &["--seeds", "0"],
        &["--seeds", "1001"],
        &["--seeds", "20"],
        &["--fix", "1", "--seeds=5"],
        &["--no-barrier=yes"],
        &["--seed", "abc"],
        &["--schedule", "0x2"],
        &["--seed", "1", "--schedule", "01"],
        &["--explore", "--seed", "1"],
        &["--explore", "--seeds", "5"],
        &["--fix", "1", "--same-back-off"],
        &["--seed", "1", "--same-back-off"],
        &["--no-such-flag"],
        &["stray"],
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
        "--explore",
        "--fix",
        "--no-barrier",
        "--same-back-off",
        "--seeds",
    ] {
        assert!(out.contains(flag), "--help does not mention {flag}");
    }
}
