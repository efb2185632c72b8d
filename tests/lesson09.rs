//! lesson09: the in-process job queue. Replays are snapshotted and checked over many seeds for
//! the queue's invariants (each job settled exactly once, retries due at the backoff and not
//! sent before, the dying worker's job queued again and done, every worker joined); the live
//! run is checked by invariants only; bad input exits 2. The Redis part is tested in
//! `tests/lesson09_redis.rs`.

mod common;

use common::{assert_rejected, par_map, run, stdout_of};

const LESSON: &str = env!("CARGO_BIN_EXE_lesson09");

/// The trace table's rows as cells: step, time, ready, waiting, main, worker1..4.
fn rows(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .skip_while(|line| !line.starts_with("step |"))
        .skip(2)
        .take_while(|line| line.contains(" | "))
        .map(|line| {
            line.split('|')
                .map(|cell| cell.trim().to_string())
                .collect()
        })
        .collect()
}

/// "12.3 ms" or "0" as milliseconds.
fn millis(cell: &str) -> f64 {
    cell.trim_end_matches(" ms").parse().unwrap()
}

#[test]
fn replays_by_seed() {
    let outs = par_map(vec!["3", "3", "8"], |seed| {
        (seed, stdout_of(LESSON, &["--seed", seed]))
    });
    assert_eq!(outs[0].1, outs[1].1, "same seed, same bytes");
    for (seed, out) in &outs[1..] {
        snapshot!(format!("lesson09_seed_{seed}"), out.clone());
    }
}

#[test]
fn predict_hides_the_values() {
    let out = stdout_of(LESSON, &["--seed", "3", "--predict"]);
    for leak in [
        " ok",
        "try 2",
        "lost by",
        "(timed out)",
        "404",
        "retry at 2",
        "failed list: job",
        "exactly once",
    ] {
        assert!(!out.contains(leak), "{leak} leaked into --predict: {out}");
    }
    snapshot!("lesson09_predict", out);
}

/// What every replay must show, read from the trace: each job sent by main once at the start,
/// each retry sent only when it is due (its backoff after the failure), the dying worker's job
/// queued again, the queue closed only when all 8 jobs are settled, and the ledger's checks.
fn check_replay(seed: u64, out: &str) {
    let context = format!("seed {seed}: {out}");
    assert!(out.contains("every thread finished"), "{context}");
    assert!(
        out.contains("8 jobs: 7 done, 1 failed; 6 retries scheduled; 1 job given back"),
        "{context}"
    );
    for line in [
        "every job accounted for exactly once (done or failed): yes",
        "every failed job was tried 4 times (1 + 3 retries): yes",
        "every job that failed only a few times was retried and done: yes",
        "failed list: job 6, 4 attempts, last error: HTTP 404 Not Found",
        "joined 4 workers; died mid-job: worker",
    ] {
        assert!(out.contains(line), "{line:?} missing; {context}");
    }
    assert!(!out.contains("NO"), "{context}");
    let rows = rows(out);
    let mut due: Vec<(String, f64)> = Vec::new(); // (job as the trace names it, due time)
    let mut sent_first = 0;
    let mut closed_at = None;
    for row in &rows {
        assert_eq!(row.len(), 9, "seed {seed}: {row:?}");
        let (time, main) = (millis(&row[1]), &row[4]);
        let retry = main.starts_with("job ") && main.contains("): retry at ");
        if let Some((job, rest)) = main.split_once(" failed (").filter(|_| retry) {
            let (_, at) = rest.split_once("): retry at ").unwrap();
            let at = millis(at);
            // The backoff: 10, 30, 60 ms after the failure, by the try that failed.
            let tries = job.split(" try ").nth(1).map_or(1, |n| n.parse().unwrap());
            let backoff = [10.0, 30.0, 60.0][tries - 1];
            assert!((at - time - backoff).abs() < 0.01, "{row:?}; {context}");
            let next = format!("{} try {}", job.split(" try ").next().unwrap(), tries + 1);
            due.push((next, at));
        }
        if let Some(job) = main
            .strip_prefix("send ")
            .and_then(|rest| rest.strip_suffix(" on queue"))
        {
            if job.contains(" try ") {
                let (_, at) = due
                    .iter()
                    .find(|(name, _)| name == job)
                    .unwrap_or_else(|| panic!("{job} sent but never scheduled; {context}"));
                assert!(time >= *at, "{job} sent at {time} before due {at}");
            } else if !job.ends_with(" again") {
                sent_first += 1;
            }
        }
        if main == "drop the last sender of queue" {
            closed_at = Some(time);
        }
    }
    assert_eq!(sent_first, 8, "each job sent once at the start; {context}");
    assert_eq!(due.len(), 6, "{context}");
    assert!(
        rows.iter()
            .any(|row| row[4].ends_with(": queue it again") && row[4].contains("job 5")),
        "{context}"
    );
    let sent_again = rows.iter().any(|row| row[4] == "send job 5 again on queue");
    let done_again = rows
        .iter()
        .any(|row| row[4] == "recv job 5 again ok from reports");
    assert!(
        sent_again && done_again,
        "job 5 queued again and done; {context}"
    );
    // The last job settles at the last retry of job 6: 1 + 3 retries, backoffs included.
    assert!(closed_at.unwrap() > 100.0, "{context}");
    // Every worker, the new one included, sees the queue closed (the one that died does not).
    let disconnected = rows
        .iter()
        .flat_map(|row| &row[5..9])
        .filter(|cell| *cell == "recv on queue: disconnected")
        .count();
    assert_eq!(disconnected, 3, "{context}");
}

#[test]
fn every_seed_keeps_the_queue_invariants() {
    let seeds: Vec<u64> = (0..24).collect();
    let outs = par_map(seeds, |seed| {
        (seed, stdout_of(LESSON, &["--seed", &seed.to_string()]))
    });
    let mut who_died = std::collections::BTreeSet::new();
    for (seed, out) in &outs {
        check_replay(*seed, out);
        let line = out
            .lines()
            .find(|line| line.contains("died mid-job"))
            .unwrap();
        who_died.insert(line.to_string());
    }
    // Virtual time fixes when things happen; the seed decides which worker takes which job.
    assert!(who_died.len() > 1, "24 seeds, always the same worker died");
}

#[test]
fn replay_by_schedule() {
    check_replay(0, &stdout_of(LESSON, &["--schedule", "0"]));
}

/// The number right after `label` in `text`.
fn number_after(text: &str, label: &str) -> f64 {
    let at = text
        .find(label)
        .unwrap_or_else(|| panic!("no {label:?} in {text}"));
    let rest = &text[at + label.len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(rest.len());
    rest[..end]
        .parse()
        .unwrap_or_else(|_| panic!("no number after {label:?}"))
}

#[test]
fn live_run_keeps_the_invariants() {
    let outs = par_map(
        vec![
            vec!["--jobs", "100", "--workers", "5"],
            vec!["--jobs", "30", "--workers", "1", "--crash-job", "0"],
        ],
        |args| stdout_of(LESSON, &args),
    );
    for out in &outs {
        let (part1, part2) = out.split_once("Part 2").expect("a part 2");
        for part in [part1, part2] {
            for line in [
                "every job accounted for exactly once (done or failed): yes",
                "every failed job was tried 4 times (1 + 3 retries): yes",
                "every job that failed only a few times was retried and done: yes",
                "1 job given back by a dying worker",
            ] {
                assert!(part.contains(line), "{line:?} missing: {part}");
            }
        }
        assert!(!out.contains("NO"), "{out}");
        assert!(
            number_after(part1, " s, ") > 0.0,
            "jobs per second: {part1}"
        );
    }
    // The seeded failures of 100 jobs: most are done, a few fail every time.
    let done = number_after(&outs[0], "100 jobs: ");
    assert!((80.0..100.0).contains(&done), "{}", outs[0]);
    assert!(outs[0].contains("joined 6 workers; died mid-job: worker"));
    // One worker that dies: its replacement does the rest.
    assert!(outs[1].contains("joined 2 workers; died mid-job: worker1\n"));
}

#[test]
fn no_crash_when_the_crash_job_is_past_the_end() {
    let out = stdout_of(LESSON, &["--seed", "1", "--crash-job", "8"]);
    assert!(out.contains("0 jobs given back"), "{out}");
    assert!(
        out.contains("joined 3 workers; died mid-job: none"),
        "{out}"
    );
}

#[test]
fn the_lesson_names_its_chapter() {
    assert!(stdout_of(LESSON, &["--seed", "0"]).contains("book/src/lesson09.md"));
}

#[test]
fn bad_input_exits_2_with_a_message() {
    let cases: Vec<&[&str]> = vec![
        &["--jobs", "0"],
        &["--jobs", "10001"],
        &["--workers", "0"],
        &["--workers", "many"],
        &["--crash-job", "-1"],
        &["--seed", "x"],
        &["--schedule", "01a"],
        &["--no-such-flag"],
        &["stray"],
        &["--seed", "4", "--jobs", "100"],
        &["--predict", "--workers", "3"],
    ];
    par_map(cases, |args| assert_rejected(LESSON, args));
}

/// Without the `redis` feature, asking for the Redis part says how to turn it on.
#[cfg(not(feature = "redis"))]
#[test]
fn the_redis_part_needs_its_feature() {
    for args in [
        &["--redis", "redis://127.0.0.1:6379"][..],
        &["worker", "--redis", "redis://127.0.0.1:6379"],
        &["counts"],
    ] {
        assert_rejected(LESSON, args);
        let finished = run(LESSON, args);
        assert!(
            finished.stderr.contains("--features redis"),
            "{}",
            finished.stderr
        );
    }
}

#[test]
fn a_schedule_naming_no_ready_thread_exits_2() {
    let finished = run(LESSON, &["--schedule", "0140"]);
    assert_eq!(finished.code, Some(2), "{}", finished.stderr);
    assert!(
        finished.stderr.starts_with("error: "),
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
        "--jobs",
        "--workers",
        "--crash-job",
    ] {
        assert!(out.contains(flag), "--help does not mention {flag}");
    }
}
