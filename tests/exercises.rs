//! Proves every exercise in the catalogue (`exercises::all()`): its starter and
//! solution exist, are binaries of `lessons/Cargo.toml`, share one `//!` task statement; it has
//! three hints; the solution passes its check, the starter fails it; clippy is quiet on both.
//! A starter or solution file without a catalogue entry fails too.
//!
//! A starter the student has edited (it differs from git's HEAD) is left out, so work in
//! progress never breaks `cargo test`; in a fresh clone, as in CI, every starter is tested.
//!
//! All exercise programs are built with one cargo run into `target/exercises` (not the outer
//! cargo's `target/debug`, whose lock `cargo test` holds), then checked in parallel.

// The grader lives in the `workbook` command (src/bin/workbook/exercises/), not in the library
// the lessons link; the tests include it the same way.
#[allow(dead_code)]
#[path = "../src/bin/workbook/exercises/mod.rs"]
mod exercises;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::thread;

use exercises::cargo::Exercises;
use exercises::{Exercise, Program};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The exercise programs under test: every solution, and every starter the student has not
/// edited (see [`exercises::edited_starters`]; a fresh clone, as in CI, has none edited).
fn programs() -> Vec<String> {
    let edited = exercises::edited_starters(&root());
    let mut bins = Vec::new();
    for exercise in exercises::all() {
        bins.push(exercise.solution_bin());
        if edited.iter().any(|name| name == exercise.starter) {
            println!(
                "{}: {} is edited (git diff): its starter is not tested",
                exercise.id, exercise.starter
            );
        } else {
            bins.push(exercise.starter_bin());
        }
    }
    bins.extend(WRONG_ANSWERS.iter().map(|(bin, ..)| bin.to_string()));
    bins
}

/// Plausible wrong answers (`lessons/wrong/`, binaries of `lessons/Cargo.toml`) and the starters
/// of the exercises judged on behaviour: (binary, exercise, words the failure must contain).
/// Each must fail its exercise's check with the reason a student should read.
const WRONG_ANSWERS: &[(&str, &str, &str)] = &[
    ("ex01a", "01a", "the printers did not take turns"),
    (
        "ex01b",
        "01b",
        "they did not stop when the boss raised the flag",
    ),
    ("ex02a", "02a", "in the order the threads finished"),
    (
        "ex02b",
        "02b",
        "the worker's panic reached main through join",
    ),
    (
        "ex03a",
        "03a",
        "its k-th read must see exactly k complete lines",
    ),
    ("ex03b", "03b", "the reader panicked"),
    ("ex04a", "04a", "update"),
    ("wrong01a_canned_text", "01a", "the toolkit saw nothing"),
    (
        "wrong01a_naps_instead_of_condvar",
        "01a",
        "kept apart by sleeps, not by synchronisation",
    ),
    (
        "wrong01a_notify_one",
        "01a",
        "the printers got stuck: DEADLOCK",
    ),
    ("wrong01a_one_thread", "01a", "only main ran"),
    ("wrong01b_canned_text", "01b", "the toolkit saw nothing"),
    (
        "wrong01b_counts_instead_of_flag",
        "01b",
        "without reading the flag up",
    ),
    (
        "wrong01b_looks_once",
        "01b",
        "they did not stop when the boss raised the flag",
    ),
    ("wrong02a_canned_text", "02a", "the toolkit saw nothing"),
    (
        "wrong02a_finishing_order_reprinted",
        "02a",
        "did `lock results`",
    ),
    ("wrong02a_one_thread", "02a", "only main ran"),
    ("wrong02b_canned_text", "02b", "the toolkit saw nothing"),
    ("wrong02b_failed_counts_as_zero", "02b", "Some(0)"),
    ("wrong02b_worker_catches_its_panic", "02b", "did not panic"),
    ("wrong03a_canned_text", "03a", "the toolkit saw nothing"),
    (
        "wrong03a_naps_instead_of_condvar",
        "03a",
        "kept apart by sleeps, not by synchronisation",
    ),
    ("wrong03a_one_thread", "03a", "only main ran"),
    (
        "wrong03a_writer_does_not_wait",
        "03a",
        "its k-th read must see exactly k complete lines",
    ),
    ("wrong03b_canned_text", "03b", "the toolkit saw nothing"),
    (
        "wrong03b_counts_half_lines",
        "03b",
        "half a line, then reported `count 1`",
    ),
    (
        "wrong03b_guesses_from_the_clock",
        "03b",
        "without reading the file first",
    ),
    ("wrong04a_canned_text", "04a", "the toolkit saw nothing"),
    ("wrong04a_one_thread", "04a", "only main ran"),
    ("wrong04a_sleep_instead_of_lock", "04a", "update"),
    ("wrong04a_fetch_add", "04a", "never locked the Mutex"),
    (
        "wrong04a_lock_guards_nothing",
        "04a",
        "the Mutex named \"counter\" ended at 0",
    ),
    ("wrong04a_std_mutex", "04a", "replay stuck: b has"),
    (
        "wrong04a_big_runs_store_their_share",
        "04a",
        "in a live run with --threads 4 --increments 20000 (2 at once): the final count was \
         20000, expected 80000: 60000 updates were lost",
    ),
    ("ex04b", "04b", "update"),
    ("wrong04b_canned_text", "04b", "the toolkit saw nothing"),
    ("wrong04b_load_store_on_one_line", "04b", "update"),
    ("wrong04b_mutex", "04b", "one indivisible `fetch_add"),
    ("wrong04b_one_thread", "04b", "only main ran"),
    ("ex04c", "04c", "balance -20 after 2 withdrawals"),
    ("wrong04c_canned_text", "04c", "the toolkit saw nothing"),
    (
        "wrong04c_two_locks_staggered",
        "04c",
        "under one lock taken once",
    ),
    ("wrong04c_one_thread", "04c", "only main ran"),
    ("ex05a", "05a", "dinner never ended: DEADLOCK"),
    ("wrong05a_canned_text", "05a", "the toolkit saw nothing"),
    ("wrong05a_one_fork", "05a", "without holding fork"),
    ("wrong05a_one_thread", "05a", "only main ran"),
    (
        "wrong05a_staggered_by_sleeps",
        "05a",
        "kept apart by sleeps, not by synchronisation",
    ),
    ("ex05b", "05b", "the transfers never ended: DEADLOCK"),
    ("wrong05b_canned_text", "05b", "the toolkit saw nothing"),
    (
        "wrong05b_self_fixed_order_not",
        "05b",
        "the transfers never ended: DEADLOCK",
    ),
    (
        "wrong05b_order_fixed_self_not",
        "05b",
        "B->B waits to lock B, held by B->B",
    ),
    ("wrong05b_one_thread", "05b", "only main ran"),
    (
        "wrong05b_one_lock_at_a_time",
        "05b",
        "held accounts A and B together 0 times",
    ),
    ("ex06a", "06a", "not in the order of the jobs"),
    ("wrong06a_canned_text", "06a", "the toolkit saw nothing"),
    ("wrong06a_sorted", "06a", "not in the order of the jobs"),
    (
        "wrong06a_one_job_at_a_time",
        "06a",
        "the workers took turns",
    ),
    ("wrong06a_one_thread", "06a", "only main ran"),
    (
        "wrong06a_sleep_by_position",
        "06a",
        "kept apart by sleeps, not by synchronisation",
    ),
    ("ex06b", "06b", "the pool never ended: DEADLOCK"),
    ("wrong06b_canned_text", "06b", "the toolkit saw nothing"),
    (
        "wrong06b_recv_timeout",
        "06b",
        "stopped after `recv on jobs: timed out`",
    ),
    ("wrong06b_stop_when_empty", "06b", "main panicked"),
    ("wrong06b_one_thread", "06b", "only main ran"),
    ("ex07a", "07a", "some chunk was counted twice"),
    ("wrong07a_canned_text", "07a", "the toolkit saw nothing"),
    (
        "wrong07a_load_store_on_one_line",
        "07a",
        "some chunk was counted twice",
    ),
    (
        "wrong07a_mutex",
        "07a",
        "one indivisible `fetch_add(1, ..)`",
    ),
    ("wrong07a_one_thread", "07a", "only main ran"),
    (
        "wrong07a_big_runs_take_batches",
        "07a",
        "in a live run with --chunks 2000 --workers 4 (2 at once): the total was 17968, but \
         there are 17984 primes below 200000: some chunk was never counted",
    ),
    (
        "wrong07a_staggered_by_sleeps",
        "07a",
        "kept apart by sleeps, not by synchronisation",
    ),
    ("ex07b", "07b", "the task asks for one per core"),
    ("wrong07b_canned_text", "07b", "the toolkit saw nothing"),
    ("wrong07b_one_thread", "07b", "only main ran"),
    (
        "wrong07b_main_does_the_work",
        "07b",
        "no thread took chunks",
    ),
    (
        "wrong07b_two_per_core",
        "07b",
        "the task asks for one per core",
    ),
    (
        "ex08a",
        "08a",
        "images waited in the channel named \"downloads\"",
    ),
    ("wrong08a_canned_text", "08a", "the toolkit saw nothing"),
    ("wrong08a_one_thread", "08a", "only main ran"),
    (
        "wrong08a_bounded_too_big",
        "08a",
        "images waited in the channel named \"downloads\"",
    ),
    (
        "wrong08a_downloader_naps",
        "08a",
        "timed by sleeps, not by synchronisation",
    ),
    (
        "wrong08a_drains_into_a_vec",
        "08a",
        "processor held 2 images at once",
    ),
    ("ex08b", "08b", "the pipeline never ended: DEADLOCK"),
    ("wrong08b_canned_text", "08b", "the toolkit saw nothing"),
    ("wrong08b_one_thread", "08b", "only main ran"),
    (
        "wrong08b_one_sentinel_each",
        "08b",
        "stopped after `recv None from downloads`: a sentinel",
    ),
    (
        "wrong08b_recv_timeout",
        "08b",
        "not because it waited a while",
    ),
    (
        "ex09a",
        "09a",
        "goes to the failed list only after its fourth try",
    ),
    ("wrong09a_canned_text", "09a", "the toolkit saw nothing"),
    ("wrong09a_one_thread", "09a", "only main ran"),
    ("wrong09a_no_backoff", "09a", "a retry waits its backoff"),
    ("wrong09a_main_sleeps", "09a", "main slept"),
    ("wrong09a_three_tries", "09a", "failed after 3 tries"),
    (
        "wrong09a_retries_in_the_worker",
        "09a",
        "each retry goes back through the queue",
    ),
    ("ex09b", "09b", "job 2 was lost: its worker died"),
    ("wrong09b_canned_text", "09b", "the toolkit saw nothing"),
    ("wrong09b_one_thread", "09b", "only main ran"),
    ("wrong09b_catches_its_panic", "09b", "no worker died"),
    ("wrong09b_gives_back_always", "09b", "is done twice"),
    (
        "wrong09b_gives_up_waiting",
        "09b",
        "main stopped waiting for it",
    ),
    ("ex10a", "10a", "tasks were inside at once with 2 permits"),
    ("wrong10a_canned_text", "10a", "the toolkit saw nothing"),
    ("wrong10a_one_thread", "10a", "only main ran"),
    (
        "wrong10a_if_not_while",
        "10a",
        "tasks finished: the others panicked",
    ),
    ("wrong10a_no_notify", "10a", "the tasks never finished"),
    (
        "wrong10a_sleep_instead_of_waiting",
        "10a",
        "your threads are timed by sleeps",
    ),
    (
        "ex10b",
        "10b",
        "went to a background worker while the user's request waited",
    ),
    ("wrong10b_canned_text", "10b", "the toolkit saw nothing"),
    ("wrong10b_one_thread", "10b", "only main ran"),
    (
        "wrong10b_user_skips_the_limit",
        "10b",
        "the user's too, must hold a permit",
    ),
    ("wrong10b_notify_one", "10b", "the pools never finished"),
    (
        "wrong10b_naps_instead_of_priority",
        "10b",
        "your threads are timed by sleeps",
    ),
];

/// How many wrong answers' checks run at once.
const WRONG_ANSWERS_AT_ONCE: usize = 8;

/// How many checks run at once in this file, across its tests (they run in parallel). A check's
/// explorer is CPU work with a time limit per run: thirty explorers at once on a small machine
/// would outlast that limit, so a check waits for a permit first.
const CHECKS_AT_ONCE: usize = 6;

/// Runs `exercise`'s check on `program` once a permit is free (see [`CHECKS_AT_ONCE`]).
fn judged(exercise: &Exercise, program: &Program) -> Result<(), exercises::Failure> {
    static RUNNING: std::sync::Mutex<usize> = std::sync::Mutex::new(0);
    static FREED: std::sync::Condvar = std::sync::Condvar::new();
    {
        let mut running = RUNNING.lock().unwrap();
        while *running >= CHECKS_AT_ONCE {
            running = FREED.wait(running).unwrap();
        }
        *running += 1;
    }
    let verdict =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (exercise.check)(program)));
    *RUNNING.lock().unwrap() -= 1;
    FREED.notify_one();
    verdict.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Builds the exercise programs under test once, in one cargo run, for all tests of this file.
fn built() -> &'static Exercises {
    static BUILT: OnceLock<Result<Exercises, String>> = OnceLock::new();
    let result = BUILT.get_or_init(|| {
        let package = Exercises::new(root());
        package
            .build(&programs())
            .map(|()| package.clone())
            .map_err(|error| error.to_string())
    });
    match result {
        Ok(package) => package,
        Err(error) => panic!("the exercises package does not build:\n{error}"),
    }
}

/// The `//!` lines at the top of a file, joined.
fn statement(path: &Path) -> String {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    text.lines()
        .take_while(|line| line.starts_with("//!"))
        .map(|line| line.trim_start_matches("//!").trim())
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string()
}

/// The `.rs` files in `lessons/DIR`.
fn files_in(dir: &str) -> BTreeSet<String> {
    fs::read_dir(root().join("lessons").join(dir))
        .unwrap_or_else(|error| panic!("lessons/{dir}: {error}"))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".rs"))
        .collect()
}

#[test]
fn every_exercise_has_files_a_statement_and_three_hints() {
    let all = exercises::all();
    assert!(!all.is_empty(), "the catalogue is empty");
    let manifest = fs::read_to_string(root().join("lessons/Cargo.toml")).unwrap();
    let mut ids = BTreeSet::new();
    for exercise in &all {
        let id = exercise.id;
        assert!(
            id.len() == 3
                && id[..2].chars().all(|c| c.is_ascii_digit())
                && id[2..].chars().all(|c| c.is_ascii_lowercase()),
            "{id}: ids are two digits and a letter, like 01a"
        );
        assert!(ids.insert(id), "{id} is in the catalogue twice");
        assert!(!exercise.title.trim().is_empty(), "{id} has no title");
        assert!(
            exercise.starter.starts_with(&format!("ex{id}_")) && exercise.starter.ends_with(".rs"),
            "{id}: the starter is named ex{id}_topic.rs, not {}",
            exercise.starter
        );
        assert!(
            exercise.solution.starts_with(&format!("sol{id}_"))
                && exercise.solution.ends_with(".rs"),
            "{id}: the solution is named sol{id}_topic.rs, not {}",
            exercise.solution
        );
        let starter = exercise.starter_path(&root());
        let solution = exercise.solution_path(&root());
        assert!(starter.is_file(), "{id}: no starter {}", starter.display());
        assert!(
            solution.is_file(),
            "{id}: no solution {}",
            solution.display()
        );
        let task = statement(&starter);
        assert!(
            task.len() > 80,
            "{id}: the starter needs a one-paragraph `//!` task statement at the top"
        );
        assert_eq!(
            task,
            statement(&solution),
            "{id}: starter and solution must start with the same `//!` statement"
        );
        for (bin, dir, file) in [
            (exercise.starter_bin(), "exercises", exercise.starter),
            (exercise.solution_bin(), "solutions", exercise.solution),
        ] {
            let entry = format!("[[bin]]\nname = \"{bin}\"\npath = \"{dir}/{file}\"");
            assert!(
                manifest.contains(&entry),
                "{id}: lessons/Cargo.toml needs\n{entry}"
            );
        }
        let hints: BTreeSet<&str> = exercise.hints.iter().map(|hint| hint.trim()).collect();
        assert!(
            hints.len() == 3 && !hints.contains(""),
            "{id}: needs three different, non-empty hints (a nudge, the API, nearly the answer)"
        );
        assert!(
            !exercise.timeout.is_zero() && exercise.timeout.as_secs() <= 30,
            "{id}: a check's time limit is between 1 and 30 s"
        );
        // A stuck program must be reported by the toolkit (who holds, who waits), which takes
        // up to a stall timer plus the program's start: never by the check's bare time limit.
        let stall = workbook::scheduler::STALL_TIMEOUT;
        assert!(
            exercise.timeout >= stall + std::time::Duration::from_secs(3),
            "{id}: a check's time limit ({:?}) must be longer than every stall timer of the \
             toolkit ({stall:?}) plus a margin",
            exercise.timeout
        );
    }

    // Files without a catalogue entry.
    let starters: BTreeSet<String> = all.iter().map(|e| e.starter.to_string()).collect();
    let solutions: BTreeSet<String> = all.iter().map(|e| e.solution.to_string()).collect();
    let stray: Vec<String> = files_in("exercises")
        .difference(&starters)
        .chain(files_in("solutions").difference(&solutions))
        .cloned()
        .collect();
    assert!(
        stray.is_empty(),
        "files in lessons/exercises or lessons/solutions without a catalogue entry in \
         src/bin/workbook/exercises/: {stray:?}"
    );

    // Every lesson has at least two exercises.
    for entry in fs::read_dir(root().join("lessons")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(number) = name.strip_prefix("lesson").and_then(|rest| rest.get(..2)) {
            let count = all.iter().filter(|e| e.lesson() == number).count();
            assert!(
                count >= 2,
                "lesson {number} has {count} exercises; every lesson needs at least two"
            );
        }
    }
}

/// Runs `exercise`'s check on the built program `bin`.
fn check(exercise: &Exercise, bin: &str) -> Result<(), exercises::Failure> {
    let program = Program::new(built().executable(bin), exercise.timeout);
    judged(exercise, &program)
}

/// An exercise, its solution's check, its starter's check.
/// (`None` for a starter the student has edited, which is not tested.)
type Verdict<'a> = (
    &'a Exercise,
    Result<(), exercises::Failure>,
    Option<Result<(), exercises::Failure>>,
);

#[test]
fn every_solution_passes_and_every_starter_fails() {
    built();
    let tested = programs();
    let tested = &tested;
    let all = exercises::all();
    let verdicts: Vec<Verdict> = thread::scope(|scope| {
        let running: Vec<_> = all
            .iter()
            .map(|exercise| {
                scope.spawn(move || {
                    // A starter listed in WRONG_ANSWERS is checked there, with the reason
                    // its failure must give: checking it here too would only repeat that run.
                    let bin = exercise.starter_bin();
                    let starter = (tested.contains(&bin)
                        && !WRONG_ANSWERS.iter().any(|(wrong, ..)| *wrong == bin))
                    .then(|| check(exercise, &bin));
                    (exercise, check(exercise, &exercise.solution_bin()), starter)
                })
            })
            .collect();
        running
            .into_iter()
            .map(|handle| handle.join().expect("a check panicked"))
            .collect()
    });
    let mut wrong = Vec::new();
    for (exercise, solution, starter) in verdicts {
        if let Err(failure) = solution {
            wrong.push(format!(
                "{}: the solution fails its check: {failure}",
                exercise.id
            ));
        }
        match starter {
            None => {}
            Some(Ok(())) => wrong.push(format!(
                "{}: the starter already passes its check",
                exercise.id
            )),
            Some(Err(failure)) => {
                // Shown with `--nocapture`: what a student sees on the untouched starter.
                println!("{}: the starter fails as it should: {failure}", exercise.id);
                assert!(
                    !failure.0.trim().is_empty(),
                    "{}: the starter's failure says nothing",
                    exercise.id
                )
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_wrong_answer_fails_with_the_reason_a_student_should_read() {
    let package = built();
    let edited = exercises::edited_starters(&root());
    let listed: BTreeSet<String> = WRONG_ANSWERS
        .iter()
        .filter(|(bin, ..)| bin.starts_with("wrong"))
        .map(|(bin, ..)| format!("{bin}.rs"))
        .collect();
    assert_eq!(
        files_in("wrong"),
        listed,
        "every file in lessons/wrong is in WRONG_ANSWERS"
    );
    let tested: Vec<(&str, &str, &str)> = WRONG_ANSWERS
        .iter()
        .filter(|(bin, id, _)| {
            let exercise = exercises::find(id).expect("a known exercise");
            !(bin.starts_with("ex") && edited.iter().any(|name| name == exercise.starter))
        })
        .copied()
        .collect();
    // A few checks at a time: each one's live runs still load each other, but fifty explorers
    // at once on a small machine would outlast any check's time limit. A pool of workers, each
    // taking the next wrong answer when its check ends: none waits for the slowest of a batch.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tested, next) = (&tested, &next);
    let mut verdicts: Vec<(&str, Result<(), exercises::Failure>, &str)> = thread::scope(|scope| {
        let workers: Vec<_> = (0..WRONG_ANSWERS_AT_ONCE)
            .map(|_| {
                scope.spawn(move || {
                    let mut verdicts = Vec::new();
                    while let Some(&(bin, id, reason)) =
                        tested.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                    {
                        let exercise = exercises::find(id).expect("a known exercise");
                        let program = Program::new(package.executable(bin), exercise.timeout);
                        verdicts.push((bin, judged(&exercise, &program), reason));
                    }
                    verdicts
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| worker.join().expect("a check panicked"))
            .collect()
    });
    verdicts.sort_by_key(|(bin, ..)| *bin);
    let mut wrong = Vec::new();
    for (bin, verdict, reason) in verdicts {
        match verdict {
            Ok(()) => wrong.push(format!("{bin} passes its check")),
            Err(failure) if !failure.0.contains(reason) => {
                wrong.push(format!("{bin} fails, but not with `{reason}`:\n{failure}"))
            }
            Err(failure) => println!("{bin}: {}", failure.0.lines().next().unwrap_or("")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// What `WORKBOOK_RECORD` records of a run (documented in `src/record.rs` and the exercises
/// chapter), read back the way the checks read it.
#[test]
fn the_record_holds_what_the_toolkit_saw() {
    let program = Program::new(
        built().executable("sol04a"),
        std::time::Duration::from_secs(20),
    );
    let replay = program
        .observe(&["--threads", "2", "--increments", "2", "--seed", "1"])
        .unwrap();
    assert_eq!(replay.mode(), "replay");
    assert_eq!(replay.threads(), ["main", "a", "b"]);
    assert_eq!(replay.ending(), "finished");
    assert_eq!(replay.outcome(), "4");
    let locks = replay
        .actions_of("b")
        .iter()
        .filter(|action| *action == "lock counter")
        .count();
    assert_eq!(locks, 2, "{:?}", replay.actions());
    assert!(replay.table().contains("| 1 a"), "{}", replay.table());
    let census = program
        .observe(&["--threads", "2", "--increments", "2", "--explore"])
        .unwrap();
    assert_eq!(census.mode(), "explore");
    let outcomes = census.outcomes();
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].outcome, "4");
    assert_eq!(outcomes[0].schedules, census.schedules());
    assert!(
        census.summary().contains("complete"),
        "{}",
        census.summary()
    );
    let live = program
        .observe(&["--threads", "2", "--increments", "100"])
        .unwrap();
    assert_eq!((live.mode(), live.outcome()), ("live".into(), "200".into()));
}

#[test]
fn every_chapter_lists_its_exercises_with_the_check_command() {
    for exercise in exercises::all() {
        let chapter = format!("book/src/lesson{}.md", exercise.lesson());
        let text = fs::read_to_string(root().join(&chapter))
            .unwrap_or_else(|error| panic!("{}: {chapter}: {error}", exercise.id));
        let command = format!("cargo run --bin workbook -- check {}", exercise.id);
        assert!(
            text.contains(&command),
            "{chapter} should list exercise {} with `{command}`",
            exercise.id
        );
        assert!(
            !text.contains(exercise.solution),
            "{chapter} should not point at the solution {}",
            exercise.solution
        );
    }
}

#[test]
fn clippy_is_quiet_on_every_starter_and_solution() {
    if let Err(error) = built().clippy(&programs()) {
        panic!("clippy -D warnings on lessons/Cargo.toml:\n{error}");
    }
}
