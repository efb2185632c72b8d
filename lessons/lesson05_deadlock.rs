//! Lesson 5: a deadlock that always happens, is always detected, and never hangs.
//!
//! Two transfers run at the same time between two accounts, A and B. The transfer `A->B` locks
//! A, then B; the transfer `B->A` locks B, then A. A `Barrier` between the first lock and the
//! second makes sure that each one holds its first lock before it asks for its second, so every
//! live run deadlocks: each thread waits for a lock the other one holds, forever. The toolkit's
//! watchdog finds the cycle, names it, stops the two threads, and the lesson goes on.
//!
//! Then two fixes: fix 1 takes the locks in one global order; fix 2 gives up the first lock when
//! the second does not come within a short time (`try_lock_for`), backs off, and retries.
//!
//! Run it live (all three parts): cargo run --bin lesson05
//! One part:                      cargo run --bin lesson05 -- --fix 1     (0, 1 or 2)
//! Replay the way into it:        cargo run --bin lesson05 -- --fix 0 --seed 3
//! Every schedule:                cargo run --bin lesson05 -- --fix 1 --explore
//!
//! Exit status: 0 when the lesson ran to its end and no live part deadlocked (every replay and
//! every exploration ends with 0: they report a deadlock, they are not stuck in one); 4
//! ([`DEADLOCK_EXIT`]) when a live part deadlocked: the watchdog stopped it and the lesson went
//! on to the end, but that part never did its work; 2 for bad flags.
#![forbid(unsafe_code)]

use std::time::{Duration, Instant};

use workbook::live::DEADLOCK_EXIT;
use workbook::run::replay_seed;
use workbook::scheduler::Ending;
use workbook::sync::{Barrier, Mutex};
use workbook::{Cli, Mode, guess, say, thread, trace};

const PROGRAM: &str = "lesson05";

/// The accounts, by number: a transfer goes from one number to the other.
const ACCOUNTS: [&str; 2] = ["A", "B"];

/// Fix 2: how long a transfer waits for its second lock before it backs off.
const PATIENCE: Duration = Duration::from_millis(10);

/// Fix 2: a transfer that has not got both locks after this many attempts gives up.
const MAX_ATTEMPTS: u32 = 20;

/// The three parts of the lesson, as `--fix` numbers them.
const PARTS: [&str; 3] = [
    "The deadlock: A->B (10) and B->A (20) lock the two accounts in opposite order",
    "Fix 1: both transfers lock A first, then B (one global order)",
    "Fix 2: wait a short time for the second lock; if it does not come, let go, back off, retry",
];

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "two transfers lock two accounts in opposite order: a deadlock, detected; then two fixes",
    );
    let fix = cli.number(
        "--fix",
        "N",
        "the part: 0 = the deadlock, 1 = one global lock order, 2 = try_lock_for, back off and \
         retry (a live run without --fix runs all three)",
        0,
        0..=2,
    );
    let no_barrier = cli.switch(
        "--no-barrier",
        "leave the barrier out: then whether the transfers deadlock is a matter of luck",
    );
    let seeds = cli.number(
        "--seeds",
        "N",
        "replays only: how many seeds the summary table at the end shows",
        10,
        1..=1000,
    );
    cli.replay_only(
        "--seeds",
        "it sizes the seed table of a replay; a live run has none",
    );
    let same_back_off = cli.switch(
        "--same-back-off",
        "fix 2: both transfers back off for the same time, so they can stay in lockstep",
    );
    cli.explorable();
    let flags = cli.parse();
    let with_barrier = !flags[no_barrier];
    let same_back_off = flags[same_back_off];
    // Live, the lesson goes through all three parts; a replay or --explore runs one part.
    let parts: Vec<usize> = if flags.was_given("--fix") || flags.mode != Mode::Live {
        vec![flags[fix] as usize]
    } else {
        vec![0, 1, 2]
    };
    if same_back_off && !parts.contains(&2) {
        flags.refuse("--same-back-off changes fix 2 only: add --fix 2");
    }

    // ANCHOR: parts
    let mut deadlocked_live = false;
    for &part in &parts {
        println!("Part {part}. {}.", PARTS[part]);
        let started = Instant::now();
        let ran = workbook::run(&flags, || transfers(part, with_barrier, same_back_off));
        let took = started.elapsed();
        match (&ran.ending, &ran.value) {
            _ if flags.mode.is_predict() || ran.census.is_some() => {}
            (Ending::Watchdog(_), _) => {
                deadlocked_live = true;
                println!(
                    "This part took {} ms, from its start until the watchdog stopped it.",
                    took.as_millis()
                );
            }
            (_, Some(balances)) => println!("Balances: {balances} (they started at A 100, B 100)."),
            (_, None) => println!("The transfers never finished: the replay stopped them."),
        }
        println!();
    }
    // ANCHOR_END: parts
    if flags.mode.is_replay() {
        seed_table(
            parts[0],
            same_back_off,
            flags[seeds],
            flags.mode.is_predict(),
        );
        println!();
    }
    println!("Read chapter 5 to see why: book/src/lesson05.md (or `mdbook serve book`).");
    if deadlocked_live {
        std::process::exit(DEADLOCK_EXIT);
    }
}

// ANCHOR: deadlock
/// Moves `amount` from account `from` to account `to`: lock `from`, meet the other transfer,
/// lock `to`. With the other transfer going the opposite way, each now holds the lock the other
/// one needs.
fn transfer(
    accounts: &[Mutex<i64>],
    from: usize,
    to: usize,
    amount: i64,
    meeting: Option<&Barrier>,
) {
    let mut source = accounts[from].lock();
    if let Some(meeting) = meeting {
        meeting.wait(); // both hold their first lock when they pass the barrier
    }
    let mut target = accounts[to].lock();
    *source -= amount;
    *target += amount;
}
// ANCHOR_END: deadlock

// ANCHOR: lock_order
/// Fix 1: every transfer locks the account with the lower number first, whichever way the
/// money goes. The one that gets A also gets B, while the other waits for A holding nothing.
fn transfer_in_order(
    accounts: &[Mutex<i64>],
    from: usize,
    to: usize,
    amount: i64,
    meeting: Option<&Barrier>,
) {
    if let Some(meeting) = meeting {
        meeting.wait(); // start together; between the two locks it would be a deadlock of its own
    }
    let first = accounts[from.min(to)].lock();
    let second = accounts[from.max(to)].lock();
    let (mut source, mut target) = if from < to {
        (first, second)
    } else {
        (second, first)
    };
    *source -= amount;
    *target += amount;
}
// ANCHOR_END: lock_order

// ANCHOR: retry
/// Fix 2: lock `from`, then *try* to lock `to` for a short time. If it does not come, give
/// `from` back, wait a little (`back_off`, longer after each failure), and start again. Returns
/// the attempt that worked, or `None`.
fn transfer_with_retry(
    accounts: &[Mutex<i64>],
    from: usize,
    to: usize,
    amount: i64,
    meeting: Option<&Barrier>,
    back_off: Duration,
) -> Option<u32> {
    for attempt in 1..=MAX_ATTEMPTS {
        let mut source = accounts[from].lock();
        if let (1, Some(meeting)) = (attempt, meeting) {
            meeting.wait(); // the worst case again: both hold their first lock
        }
        if let Some(mut target) = accounts[to].try_lock_for(PATIENCE) {
            *source -= amount;
            *target += amount;
            return Some(attempt);
        }
        say!("{} is busy: let go of {}", ACCOUNTS[to], ACCOUNTS[from]);
        drop(source); // let the other transfer have it
        thread::sleep(back_off * attempt);
    }
    None
}
// ANCHOR_END: retry

// ANCHOR: threads
/// Runs part `part`: the two transfers, one thread each, named by their direction. Returns the
/// balances once both have finished.
fn transfers(part: usize, with_barrier: bool, same_back_off: bool) -> String {
    let accounts = [Mutex::new(100).named("A"), Mutex::new(100).named("B")];
    let meeting = Barrier::new(2).named("meeting");
    let meeting = with_barrier.then_some(&meeting);
    thread::scope(|scope| {
        for (from, to, amount) in [(0, 1, 10), (1, 0, 20)] {
            let accounts = &accounts;
            // Fix 2: A->B backs off for 1 ms, B->A for 5 ms (both 1 ms with --same-back-off).
            let back_off_ms = if same_back_off { 1 } else { [1, 5][from] };
            let back_off = Duration::from_millis(back_off_ms);
            let name = format!("{}->{}", ACCOUNTS[from], ACCOUNTS[to]);
            let body = move || match part {
                0 => transfer(accounts, from, to, amount, meeting),
                1 => transfer_in_order(accounts, from, to, amount, meeting),
                _ => match transfer_with_retry(accounts, from, to, amount, meeting, back_off) {
                    Some(attempt) => say!("moved {amount} at attempt {}", guess(attempt)),
                    None => say!("GAVE UP after {MAX_ATTEMPTS} attempts"),
                },
            };
            thread::Builder::new()
                .name(name)
                .spawn_scoped(scope, body)
                .expect("the OS starts a thread");
        }
    });
    let [a, b] = accounts.map(Mutex::into_inner);
    format!("A {a}, B {b}")
}
// ANCHOR_END: threads

// ANCHOR: seeds
/// Replays seeds 0 to `count - 1` of part `part` quietly, with and without the barrier, and
/// prints how each ended. Under `--predict` it would give the answer away, so it says only that.
fn seed_table(part: usize, same_back_off: bool, count: u64, predict: bool) {
    if predict {
        println!("(the table of seeds is hidden too: run again without --predict)");
        return;
    }
    let seeds = match count {
        1 => "seed 0".to_string(),
        _ => format!("seeds 0 to {}", count - 1),
    };
    println!("How {seeds} of part {part} ended (--seed N):");
    let mut rows = vec![vec![
        "seed".to_string(),
        "with the barrier".to_string(),
        "without it (--no-barrier)".to_string(),
    ]];
    for seed in 0..count {
        let mut row = vec![seed.to_string()];
        for with_barrier in [true, false] {
            let (_, replayed) = replay_seed(seed, || transfers(part, with_barrier, same_back_off));
            let ended = match replayed.ending {
                Ending::Deadlock(_) => "DEADLOCK",
                Ending::Finished => "finished",
                _ => "stopped",
            };
            row.push(format!("{ended} after {} steps", replayed.turns()));
        }
        rows.push(row);
    }
    print!("{}", trace::table(&rows));
}
// ANCHOR_END: seeds
