//! Exercises of lesson 7 (how many threads?): handing out each chunk exactly once with one
//! indivisible step (07a), and one thread per core for CPU-bound work (07b).

use std::time::Duration;

use super::{Exercise, Failure, Program, STALL_SAFE_TIMEOUT, finished_table};

/// The exercises of lesson 7.
pub fn exercises() -> Vec<Exercise> {
    vec![
        Exercise {
            id: "07a",
            title: "hand out each chunk once",
            starter: "ex07a_take_each_chunk_once.rs",
            solution: "sol07a_take_each_chunk_once.rs",
            hints: [
                "Find a replay where two workers count the same chunk, and read the steps just \
                 before: what did each of them see when it read the counter?",
                "An atomic can read and change a value in one indivisible operation: \
                 `AtomicUsize::fetch_add(1, ordering)` returns the old value and stores the old \
                 value plus one, and no other thread can come in between.",
                "Replace the two steps `read next` and `write next` by one: `let chunk = \
                 me.step(\"take\", || next_chunk.fetch_add(1, Ordering::SeqCst));` and keep the \
                 `if chunk >= CHUNKS { break; }` after it.",
            ],
            timeout: STALL_SAFE_TIMEOUT,
            check: check_each_chunk_once,
        },
        Exercise {
            id: "07b",
            title: "one thread per core",
            starter: "ex07b_one_thread_per_core.rs",
            solution: "sol07b_one_thread_per_core.rs",
            hints: [
                "Counting primes never waits, so a thread beyond the number of cores only waits \
                 for a core. Start `available_parallelism()` threads and let each of them take \
                 chunks until there are none left.",
                "Share the next chunk number in an `AtomicU64` and let every thread loop: \
                 `let chunk = next_chunk.fetch_add(1, Ordering::Relaxed); if chunk >= CHUNKS \
                 { break; }` (or fill a crossbeam channel with the chunk numbers, as lesson 7's \
                 pool does).",
                "`let cores = thread::available_parallelism().map_or(1, |n| n.get());` then \
                 `for _ in 0..cores { handles.push(scope.spawn(move || { let mut primes = 0; \
                 loop { ... primes += count_primes(chunk); } })); threads_started += 1; }`.",
            ],
            timeout: Duration::from_secs(20),
            check: check_one_thread_per_core,
        },
    ]
}

/// 07a: in every replay each chunk 0..6 is counted exactly once, and the total is 109.
fn check_each_chunk_once(program: &Program) -> Result<(), Failure> {
    for seed in 0..12u64 {
        let seed = seed.to_string();
        let out = program.run_ok(&["--seed", &seed])?;
        let run = format!("with --seed {seed}");
        let table = finished_table(&out, &run)?;
        let mut counted = [0usize; 6];
        for (_, value) in table.values("count") {
            let chunk = value
                .strip_prefix("chunk ")
                .and_then(|rest| rest.split(':').next())
                .and_then(|chunk| chunk.parse::<usize>().ok());
            match chunk {
                Some(chunk) if chunk < 6 => counted[chunk] += 1,
                _ => {
                    return Err(Failure::new(format!(
                        "{run} a step says `count {value}`; keep the `count` step's value as \
                         `chunk K: P primes`"
                    )));
                }
            }
        }
        if let Some(chunk) = counted.iter().position(|&times| times != 1) {
            return Err(Failure::new(format!(
                "{run} chunk {chunk} was counted {} times; every chunk must be counted exactly \
                 once (counted: {counted:?})",
                counted[chunk]
            )));
        }
        if !out.contains("Primes below 600: 109\n") {
            return Err(Failure::new(format!(
                "{run} expected the line `Primes below 600: 109`"
            )));
        }
    }
    Ok(())
}

/// 07b: as many threads as cores, and the right answer.
fn check_one_thread_per_core(program: &Program) -> Result<(), Failure> {
    let out = program.run_ok(&[])?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = out
        .lines()
        .find_map(|line| line.strip_prefix("threads started: "))
        .and_then(|count| count.trim().parse::<usize>().ok());
    match started {
        None => {
            return Err(Failure::new(
                "your program should print `threads started: N`; keep that line",
            ));
        }
        Some(started) if started != cores => {
            return Err(Failure::expected(
                &format!("threads started, on this machine with {cores} cores"),
                cores,
                started,
            ));
        }
        Some(_) => {}
    }
    if !out.contains("primes below 1000000: 78498\n") {
        return Err(Failure::new(format!(
            "expected the line `primes below 1000000: 78498`; your program printed:\n{out}"
        )));
    }
    Ok(())
}
