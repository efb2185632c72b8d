//! lesson07: how many threads? The replay of who counts which chunk is snapshotted and checked
//! over many seeds, and explored (every schedule with up to 2 preemptions); the live sweep is checked for its shape (rows, columns, the same answer at
//! every thread count) and for lower bounds that hold under any load (a sleep never ends early),
//! never for exact times.

mod common;

use common::{assert_rejected, load_the_cpu, run, stdout_of};

const LESSON: &str = env!("CARGO_BIN_EXE_lesson07");

#[test]
fn replays_by_seed() {
    for seed in ["2", "5"] {
        let out = stdout_of(LESSON, &["--seed", seed]);
        assert_eq!(out, stdout_of(LESSON, &["--seed", seed]));
        snapshot!(format!("lesson07_seed_{seed}"), out);
    }
}

#[test]
fn predict_hides_the_values() {
    let out = stdout_of(LESSON, &["--seed", "2", "--predict"]);
    for leak in ["-> 0", "-> 1", "109", "[0", "counted once"] {
        assert!(!out.contains(leak), "{leak} leaked into --predict: {out}");
    }
    snapshot!("lesson07_predict", out);
}

#[test]
fn replay_by_schedule() {
    // Every choice goes to the lowest-numbered ready thread: worker1 counts everything.
    snapshot!(
        "lesson07_schedule_0",
        stdout_of(LESSON, &["--schedule", "0"])
    );
}

/// The chunk numbers the workers' `fetch_add`s handed out, in trace order.
fn handed_out(out: &str) -> Vec<usize> {
    out.lines()
        .flat_map(|line| line.split('|'))
        .filter_map(|cell| cell.trim().strip_prefix("next_chunk.fetch_add(1) -> "))
        .map(|chunk| chunk.parse().unwrap())
        .collect()
}

/// The chunks each worker counted, from "Chunks counted: worker1 [0, 2] (41 primes), ...".
fn counted_by(out: &str) -> Vec<Vec<usize>> {
    let line = out
        .lines()
        .find_map(|line| line.strip_prefix("Chunks counted: "))
        .expect("a chunks-counted line");
    line.split("), ")
        .map(|entry| {
            let list = entry.split_once('[').unwrap().1.split_once(']').unwrap().0;
            list.split(", ")
                .filter(|chunk| !chunk.is_empty())
                .map(|chunk| chunk.parse().unwrap())
                .collect()
        })
        .collect()
}

#[test]
fn every_seed_counts_each_chunk_once_and_the_work_is_shared() {
    let mut splits = std::collections::BTreeSet::new();
    let mut busy_most = 0;
    for seed in 0..30 {
        let out = stdout_of(LESSON, &["--seed", &seed.to_string()]);
        assert!(out.contains("every thread finished"), "seed {seed}: {out}");
        assert!(
            out.contains("Outcome: 109 primes, each chunk counted once\n"),
            "seed {seed}: {out}"
        );
        let mut chunks: Vec<usize> = handed_out(&out).into_iter().filter(|&c| c < 6).collect();
        chunks.sort();
        assert_eq!(
            chunks,
            (0..6).collect::<Vec<_>>(),
            "seed {seed}: each chunk once"
        );
        let who = counted_by(&out);
        assert_eq!(who.len(), 3, "seed {seed}: three workers: {out}");
        busy_most = busy_most.max(who.iter().filter(|mine| !mine.is_empty()).count());
        splits.insert(who);
    }
    assert!(
        busy_most >= 2,
        "in 30 seeds one worker always did all the work"
    );
    assert!(
        splits.len() > 10,
        "30 seeds gave only {} ways of sharing",
        splits.len()
    );
}

#[test]
fn the_explorer_finds_one_outcome() {
    // Every schedule with at most 2 preemptions: fetch_add hands out each chunk once in all of
    // them. (A load and a store instead of fetch_add gives chunks counted twice here.)
    let out = stdout_of(LESSON, &["--explore", "--preemptions", "2"]);
    let outcomes: Vec<&str> = out
        .lines()
        .filter(|line| line.contains(" primes"))
        .filter(|line| line.contains(" | "))
        .collect();
    assert_eq!(outcomes.len(), 1, "{out}");
    assert!(
        outcomes[0].starts_with("109 primes, each chunk counted once "),
        "{out}"
    );
    assert!(
        out.contains("every schedule with at most 2 preemptions"),
        "{out}"
    );
    snapshot!("lesson07_explore", out);
}

#[test]
fn same_seed_same_bytes_also_under_load() {
    let first = stdout_of(LESSON, &["--seed", "8"]);
    for _ in 0..5 {
        assert_eq!(stdout_of(LESSON, &["--seed", "8"]), first);
    }
    let _load = load_the_cpu();
    for _ in 0..5 {
        assert_eq!(stdout_of(LESSON, &["--seed", "8"]), first);
    }
}

/// The rows of the table that follows `title`: cells split at ` | `.
fn table_after(out: &str, title: &str) -> Vec<Vec<String>> {
    out.lines()
        .skip_while(|line| !line.starts_with(title))
        .skip(2) // the title and the header
        .take_while(|line| line.contains(" | "))
        .map(|line| {
            line.split(" | ")
                .map(|cell| cell.trim().to_string())
                .collect()
        })
        .collect()
}

/// "211.2 ms" or "2.09 s" in seconds.
fn seconds(cell: &str) -> f64 {
    let (number, unit) = cell.split_once(' ').unwrap();
    let number: f64 = number.parse().unwrap();
    if unit == "ms" {
        number / 1000.0
    } else {
        number
    }
}

#[test]
fn the_sweep_has_its_shape_and_never_beats_the_ideal() {
    let out = stdout_of(LESSON, &["--quick", "--runs", "1", "--max-threads", "16"]);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(out.contains(&format!("This machine has {cores} cores")));
    let mut expected: Vec<String> = [1, 2, 4, 16, cores]
        .into_iter()
        .filter(|&count| count <= 16)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|count| count.to_string())
        .collect();
    expected.dedup();

    let cpu = table_after(&out, "Part 1: CPU-bound");
    let threads: Vec<String> = cpu.iter().map(|row| row[0].clone()).collect();
    assert_eq!(threads, expected, "CPU rows: {out}");
    assert!(cpu.iter().all(|row| row.len() == 5), "{cpu:?}");
    assert_eq!(cpu[0][3], "1.00 x", "1 thread is the baseline");
    assert!(out.contains("Every thread count found the same answer: 25997 primes."));
    assert!(out.contains("rayon par_iter (its pool has"), "{out}");
    assert!(
        out.contains(", 25997 primes\n"),
        "rayon finds the same answer: {out}"
    );
    assert!(!out.contains("the OS started only"), "{out}");

    let io = table_after(&out, "Part 2: I/O-bound");
    let threads: Vec<String> = io.iter().map(|row| row[0].clone()).collect();
    assert_eq!(threads, expected, "I/O rows: {out}");
    for row in &io {
        assert_eq!(row.len(), 6, "{row:?}");
        // 100 waits of 2 ms shared by N threads: some thread waits ceil(100 / N) times.
        let count: u32 = row[0].parse().unwrap();
        let ideal = 0.002 * 100u32.div_ceil(count) as f64;
        assert!(
            seconds(&row[1]) >= ideal * 0.999,
            "faster than possible: {row:?}"
        );
        let ratio: f64 = row[4].trim_end_matches(" x").parse().unwrap();
        assert!(ratio >= 0.995, "{row:?}");
    }
    // The waits overlap: 16 threads wait 7 x 2 ms where 1 thread waits 100 x 2 ms. A sleeping
    // thread needs no CPU, so a 3 x margin holds under any load.
    let last = io.last().unwrap();
    assert!(
        seconds(&last[1]) * 3.0 < seconds(&io[0][1]),
        "16 threads did not overlap their waits: {io:?}"
    );
    let shared = counted_by(&out);
    assert_eq!(shared.len(), 3, "{out}");
    assert!(
        out.contains("Outcome: 109 primes, each chunk counted once\n"),
        "{out}"
    );
    assert!(out.contains("Part 3"));
}

#[test]
fn the_lesson_names_its_chapter() {
    assert!(stdout_of(LESSON, &["--seed", "0"]).contains("book/src/lesson07.md"));
}

#[test]
fn bad_input_exits_2_with_a_message() {
    for args in [
        &["--runs", "0"][..],
        &["--runs", "10"],
        &["--max-threads", "0"],
        &["--max-threads", "1001"],
        &["--max-threads", "lots"],
        &["--quick=yes"],
        &["--seed", "1", "--schedule", "0"],
        &["--explore", "--seed", "1"],
        &["--preemptions", "2"],
        &["--explore", "--quick"],
        &["stray"],
        &["--runs="],
        &["--runs", "3", "--runs=4"],
        &["--max-threads", "99999999999999999999999"],
        // The sweeps run only live: their flags would be silently ignored by a replay.
        &["--seed", "2", "--quick"],
        &["--runs=5", "--schedule", "0"],
        &["--predict", "--max-threads", "4"],
    ] {
        assert_rejected(LESSON, args);
    }
}

#[test]
fn a_schedule_naming_no_ready_thread_exits_2() {
    // The replay has begun when the bad digit is reached, so its first rows are printed.
    let finished = run(LESSON, &["--schedule", "3"]);
    assert_eq!(finished.code, Some(2), "{}", finished.stderr);
    assert!(
        finished.stderr.starts_with("error: ") && !finished.stderr.contains("panicked"),
        "{}",
        finished.stderr
    );
}

#[test]
fn help_lists_the_flags() {
    let out = stdout_of(LESSON, &["--help"]);
    for flag in [
        "--seed",
        "--schedule",
        "--predict",
        "--quick",
        "--runs",
        "--max-threads",
        "--explore",
    ] {
        assert!(out.contains(flag), "--help does not mention {flag}");
    }
}
