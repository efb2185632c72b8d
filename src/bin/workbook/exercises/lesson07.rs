//! Exercises of lesson 7 (how many threads?): handing out each chunk exactly once with one
//! indivisible `fetch_add` (07a), and one thread per core for CPU-bound work (07b).
//!
//! Each check judges what the toolkit saw the student's own program do (see [`super::judge`]):
//! every schedule at a small size, seeded replays at a larger one (how many threads ran, which
//! chunk numbers each took from the atomic named "next"), and live runs several at once.

use std::time::Duration;

use super::judge::{self, Record};
use super::{Exercise, Failure, Program};

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..6;

/// A check's limit per run: longer than the toolkit's stall timers, so a stuck replay reports
/// its own diagnosis first.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The exercises of lesson 7.
pub fn exercises() -> Vec<Exercise> {
    vec![
        Exercise {
            id: "07a",
            title: "hand out each chunk once",
            starter: "ex07a_take_each_chunk_once.rs",
            solution: "sol07a_take_each_chunk_once.rs",
            hints: [
                "Run `--chunks 3 --workers 2 --explore` and replay a schedule whose total is too \
                 big: two workers load the same chunk number before either stores the next one.",
                "An atomic can read and change a value in one indivisible operation: \
                 `AtomicUsize::fetch_add(1, ordering)` returns the old value and stores the old \
                 value plus one, and no other thread can come in between. `Relaxed` is enough.",
                "Replace the `load` and the `store` by one line: \
                 `let chunk = next.fetch_add(1, Ordering::Relaxed);` and keep the \
                 `if chunk >= chunks { return primes; }` after it.",
            ],
            timeout: TIMEOUT,
            check: check_each_chunk_once,
        },
        Exercise {
            id: "07b",
            title: "one thread per core",
            starter: "ex07b_one_thread_per_core.rs",
            solution: "sol07b_one_thread_per_core.rs",
            hints: [
                "Counting primes never waits, so a thread beyond the number of cores only waits \
                 for a core. Start `thread::available_parallelism()` threads and let each of \
                 them take chunks until there are none left.",
                "Share the next chunk number in `AtomicUsize::new(0).named(\"next\")` and let \
                 every thread loop: `let chunk = next.fetch_add(1, Ordering::Relaxed); if chunk \
                 >= chunks { return primes; }`, adding `count_primes(chunk)` to its own count.",
                "`let cores = thread::available_parallelism().map_or(1, |cores| cores.get());` \
                 then spawn `worker1` to `worker{cores}` with `thread::Builder`, each running \
                 that loop, and sum what their `join()`s return.",
            ],
            timeout: TIMEOUT,
            check: check_one_thread_per_core,
        },
    ]
}

/// The number of primes below `below`, by the sieve of Eratosthenes (not by the students'
/// trial division, so a shared mistake cannot agree with itself).
fn primes_below(below: u64) -> u64 {
    let below = below as usize;
    let mut prime = vec![true; below];
    for small in prime.iter_mut().take(2) {
        *small = false; // 0 and 1
    }
    let mut n = 2;
    while n * n < below {
        if prime[n] {
            for multiple in (n * n..below).step_by(n) {
                prime[multiple] = false;
            }
        }
        n += 1;
    }
    prime.iter().filter(|&&is| is).count() as u64
}

/// The outcome must be the number of primes below `below`.
fn right_total(outcome: &str, below: u64) -> Result<(), String> {
    let want = primes_below(below);
    match outcome.parse::<u64>() {
        Ok(total) if total == want => Ok(()),
        Ok(total) if total > want => Err(format!(
            "the total was {total}, but there are {want} primes below {below}: some chunk was \
             counted twice (two workers took the same chunk number)"
        )),
        Ok(total) => Err(format!(
            "the total was {total}, but there are {want} primes below {below}: some chunk was \
             never counted"
        )),
        Err(_) => Err(format!(
            "the run ended with `{outcome}`, not a count: expected {want} primes below {below}"
        )),
    }
}

/// What `thread` did on the atomic named "next".
fn on_next(record: &Record, thread: &str) -> Vec<String> {
    record
        .actions_of(thread)
        .into_iter()
        .filter(|action| action.starts_with("next.") || action.ends_with(" next"))
        .collect()
}

/// The chunk numbers `thread` took: the values before its `next.fetch_add(1)`s below `chunks`.
fn chunks_taken(record: &Record, thread: &str, chunks: usize) -> Vec<usize> {
    on_next(record, thread)
        .iter()
        .filter_map(|action| action.strip_prefix("next.fetch_add(1) -> "))
        .filter_map(|old| old.parse::<usize>().ok())
        .filter(|&chunk| chunk < chunks)
        .collect()
}

/// Every chunk `0..chunks` was taken by exactly one of the `workers`.
fn each_chunk_once(record: &Record, workers: &[String], chunks: usize) -> Result<(), String> {
    let mut takers: Vec<Vec<&str>> = vec![Vec::new(); chunks];
    for worker in workers {
        for chunk in chunks_taken(record, worker, chunks) {
            takers[chunk].push(worker);
        }
    }
    for (chunk, who) in takers.iter().enumerate() {
        match who.len() {
            1 => {}
            0 => {
                return Err(format!(
                    "no worker took chunk {chunk} with `next.fetch_add(1, ..)`: every chunk \
                     number is to be taken from the atomic named \"next\""
                ));
            }
            _ => {
                return Err(format!(
                    "chunk {chunk} was taken by {}: every chunk must be taken exactly once",
                    who.join(" and ")
                ));
            }
        }
    }
    Ok(())
}

/// 07a: every schedule of 2 workers and 3 chunks (at most 3 preemptions; also with sleeps of any
/// length, at most 2) ends with
/// 62 primes; in seeded replays of 3 workers and 6 chunks each worker touches "next" only with
/// `fetch_add(1)` and each chunk is taken once; 2 live runs at once of 4 workers and 2000
/// chunks count the primes below 200 000 right.
fn check_each_chunk_once(program: &Program) -> Result<(), Failure> {
    let invariant = "each chunk is counted by exactly one worker, and the total is the number \
                     of primes below chunks x 100";
    let small = ["--chunks", "3", "--workers", "2"];
    // At most 3 preemptions (515 schedules of the starter; 6 were 6746): a load+store take
    // counts a chunk twice with 1 preemption already, and every wrong answer in
    // lessons/wrong fails at 2.
    judge::every_schedule(
        program,
        &small,
        &["--preemptions", "3"],
        invariant,
        |outcome| right_total(outcome, 300),
    )?;
    judge::every_schedule_with_any_delay(
        program,
        &small,
        &["--preemptions", "2"],
        invariant,
        |outcome| right_total(outcome, 300),
    )?;
    judge::seeded_replays(
        program,
        &["--chunks", "6", "--workers", "3"],
        SEEDS,
        invariant,
        |record| {
            judge::finished(record)?;
            judge::thread_count(record, 3)?;
            let workers = record.threads()[1..].to_vec();
            for worker in &workers {
                let mut done = on_next(record, worker);
                done.dedup();
                let other = done
                    .iter()
                    .find(|action| !action.starts_with("next.fetch_add(1) -> "));
                if done.is_empty() || other.is_some() {
                    return Err(format!(
                        "{worker} did {}: taking a chunk should be one indivisible \
                         `fetch_add(1, ..)` on the atomic named \"next\", without a lock and \
                         without a separate load and store",
                        if done.is_empty() {
                            "nothing on the atomic named \"next\"".to_string()
                        } else {
                            done.join(", ")
                        }
                    ));
                }
            }
            each_chunk_once(record, &workers, 6)?;
            right_total(&record.outcome(), 600)
        },
    )?;
    judge::live_runs(
        program,
        &["--chunks", "2000", "--workers", "4"],
        2,
        |record| {
            judge::finished(record)?;
            right_total(&record.outcome(), 200_000)
        },
    )
}

/// 07b: every schedule of 3 chunks (bounded with more than 2 cores) ends with 430
/// primes; in seeded replays of 4 chunks per core and 3 more, exactly one thread per core ran
/// besides main, the chunks were each taken once, and (with more than one core) more than one
/// thread counted chunks; 2 live runs at once of the full million count 78498.
fn check_one_thread_per_core(program: &Program) -> Result<(), Failure> {
    let cores = std::thread::available_parallelism().map_or(1, |cores| cores.get());
    let invariant = format!(
        "one thread per core ({cores} on this machine, `available_parallelism()`) besides main, \
         the work spread over them, each chunk counted once, and the total right"
    );
    // With up to 2 cores the solution's search is complete (47 schedules); the cap keeps a
    // program with too many threads (or a machine with many cores) within the time limit.
    let bounds: &[&str] = if cores <= 2 {
        &["--max-schedules", "1000"]
    } else {
        &["--preemptions", "2", "--max-schedules", "300"]
    };
    judge::every_schedule(program, &["--chunks", "3"], bounds, &invariant, |outcome| {
        right_total(outcome, 3000)
    })?;
    let chunks = 4 * cores + 3;
    let chunks_text = chunks.to_string();
    judge::seeded_replays(
        program,
        &["--chunks", &chunks_text],
        SEEDS,
        &invariant,
        |record| {
            judge::finished(record)?;
            let threads = record.threads();
            let others = &threads[1..];
            if others.len() != cores {
                return Err(if others.is_empty() {
                    format!(
                        "only main ran: the task asks for one thread per core, {cores} on this \
                         machine (`thread::available_parallelism()`), started with \
                         `workbook::thread`"
                    )
                } else {
                    format!(
                        "{} threads besides main ran for {chunks} chunks: the task asks for \
                         one per core, {cores} on this machine \
                         (`thread::available_parallelism()`), whatever the number of chunks",
                        others.len()
                    )
                });
            }
            let working: Vec<&String> = others
                .iter()
                .filter(|worker| !chunks_taken(record, worker, chunks).is_empty())
                .collect();
            if working.len() < cores.min(2) {
                let who = working
                    .first()
                    .map_or("no thread".to_string(), |worker| format!("only {worker}"));
                return Err(format!(
                    "{who} took chunks from the atomic named \"next\" (`next.fetch_add(1, \
                     ..)`), of the {cores} threads: the work must be spread over all of them, \
                     each taking the next chunk until none is left"
                ));
            }
            each_chunk_once(record, others, chunks)?;
            right_total(&record.outcome(), chunks as u64 * 1000)
        },
    )?;
    judge::live_runs(program, &[], 2, |record| {
        judge::finished(record)?;
        right_total(&record.outcome(), 1_000_000)
    })
}
