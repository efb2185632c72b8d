//! Lesson 10: limits. At most K at once, and who gets to go first.
//!
//! Part 1 builds a semaphore (Rust's standard library has none) from a `Mutex` and a `Condvar`,
//! and shows that a permit comes back when its holder panics. Part 2 does the same with a bounded
//! channel of K tokens. Parts 3 and 4 share one global limit between a user-facing pool and a
//! background pool: first the naive way, where the background takes the freed permits while a
//! user waits, then with users first. Parts 5 and 6 show a lock that one thread keeps taking
//! back, then parking_lot's fair unlock. Part 7 (live only) compares the default worker counts.
//!
//! Run it live:                 cargo run --bin lesson10
//! Replay every part:           cargo run --bin lesson10 -- --seed 3
//! Replay one part:             cargo run --bin lesson10 -- --part 3 --seed 3
//! Search every schedule:       cargo run --bin lesson10 -- --explore
#![forbid(unsafe_code)]

use std::fmt;
use std::panic;
use std::time::{Duration, Instant};

use workbook::Mode;
use workbook::run::{Census, replay_schedule};
use workbook::scheduler::Ending;
use workbook::sync::{
    AtomicUsize, Condvar, Mutex, MutexGuard, NamedChannel, Ordering, Receiver, Sender, bounded,
};
use workbook::{Cli, Flags, thread};

const PROGRAM: &str = "lesson10";

// ANCHOR: semaphore
/// A counting semaphore: at most `permits` holders at once. The count of free permits lives in
/// a mutex; a thread that finds none waits on the condvar until a holder gives one back.
struct Semaphore {
    free: Mutex<usize>,
    given_back: Condvar,
}

/// One permit. Dropping it gives it back, also when its holder panics (the drop runs while the
/// panic unwinds), so a failed task can never leak a permit.
struct Permit<'a> {
    semaphore: &'a Semaphore,
}

impl Semaphore {
    fn new(permits: usize) -> Semaphore {
        Semaphore {
            free: Mutex::new(permits).named("permits"),
            given_back: Condvar::new().named("given_back"),
        }
    }

    fn acquire(&self) -> Permit<'_> {
        let mut free = self.free.lock();
        self.given_back.wait_while(&mut free, |free| *free == 0);
        *free -= 1;
        Permit { semaphore: self }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.semaphore.free.lock() += 1;
        self.semaphore.given_back.notify_one();
    }
}
// ANCHOR_END: semaphore

// ANCHOR: tokens
/// The same limit from a channel that holds K tokens: taking a token is `recv`, giving it back
/// is `send`. An empty channel makes `recv` wait, exactly like a count of zero.
struct Tokens {
    give: Sender<()>,
    take: Receiver<()>,
}

/// A token taken from [`Tokens`]; dropping it puts it back.
struct Token<'a> {
    tokens: &'a Tokens,
}

impl Tokens {
    fn new(permits: usize) -> Tokens {
        let (give, take) = bounded(permits).named("tokens");
        for _ in 0..permits {
            give.send(()).expect("the channel has room for every token");
        }
        Tokens { give, take }
    }

    fn acquire(&self) -> Token<'_> {
        self.take.recv().expect("self keeps a sender alive");
        Token { tokens: self }
    }
}

impl Drop for Token<'_> {
    fn drop(&mut self) {
        let _ = self.tokens.give.send(()); // never full: only taken tokens come back
    }
}
// ANCHOR_END: tokens

/// The payload of the panic a task raises on purpose.
struct OnPurpose;

/// What parts 1 and 2 saw: the most tasks inside at once, and how the tasks ended.
struct Limited {
    most_at_once: usize,
    finished: usize,
    panicked: usize,
}

impl fmt::Debug for Limited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "at most {} at once; {} finished, {} panicked",
            self.most_at_once, self.finished, self.panicked
        )
    }
}

// ANCHOR: tasks
/// Runs `tasks` tasks, each on its own thread, each holding whatever `acquire` returns while it
/// works. Task 1 panics on purpose after taking its permit. Each task notes how many were inside
/// when it entered; the largest such count is the most that were ever inside at once.
fn limited_tasks<P>(tasks: usize, work: Duration, acquire: &(dyn Fn() -> P + Sync)) -> Limited {
    let inside = AtomicUsize::new(0).named("inside");
    thread::scope(|scope| {
        let handles: Vec<_> = (0..tasks)
            .map(|number| {
                let inside = &inside;
                thread::Builder::new()
                    .name(format!("task{number}"))
                    .spawn_scoped(scope, move || {
                        let _permit = acquire(); // given back when this closure ends, or unwinds
                        let entered = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        if number == 1 {
                            inside.fetch_sub(1, Ordering::SeqCst);
                            panic::panic_any(OnPurpose); // still holding its permit
                        }
                        thread::sleep(work);
                        inside.fetch_sub(1, Ordering::SeqCst);
                        entered
                    })
                    .expect("the OS starts a handful of threads")
            })
            .collect();
        let results: Vec<_> = handles.into_iter().map(|handle| handle.join()).collect();
        Limited {
            most_at_once: results.iter().flatten().copied().max().unwrap_or(0),
            finished: results.iter().filter(|result| result.is_ok()).count(),
            panicked: results.iter().filter(|result| result.is_err()).count(),
        }
    })
}
// ANCHOR_END: tasks

/// Which pool a task belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pool {
    User,
    Background,
}

// ANCHOR: global_limit
/// One global limit shared by two pools. With `users_first` off it is a plain semaphore: any
/// waiter may take a freed permit. With it on, a background task does not take a permit while a
/// user task waits for one.
struct GlobalLimit {
    state: Mutex<LimitState>,
    changed: Condvar,
    users_first: bool,
}

struct LimitState {
    free: usize,
    users_waiting: usize,
    /// Permits background tasks took while a user task was waiting.
    taken_past_a_user: usize,
}

/// How the trace shows the limit's state at each unlock.
impl fmt::Debug for LimitState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "free {}, users waiting {}, taken past a user {}",
            self.free, self.users_waiting, self.taken_past_a_user
        )
    }
}

impl GlobalLimit {
    fn new(permits: usize, users_first: bool) -> GlobalLimit {
        GlobalLimit {
            state: Mutex::new(LimitState {
                free: permits,
                users_waiting: 0,
                taken_past_a_user: 0,
            })
            .named("limit"),
            changed: Condvar::new().named("changed"),
            users_first,
        }
    }

    fn acquire(&self, pool: Pool) {
        let mut state = self.state.lock();
        if pool == Pool::User {
            state.users_waiting += 1;
        }
        let yield_to_users = self.users_first && pool == Pool::Background;
        self.changed.wait_while(&mut state, |state| {
            state.free == 0 || (yield_to_users && state.users_waiting > 0)
        });
        state.free -= 1;
        match pool {
            Pool::User => state.users_waiting -= 1,
            Pool::Background if state.users_waiting > 0 => state.taken_past_a_user += 1,
            Pool::Background => {}
        }
    }

    fn release(&self) {
        self.state.lock().free += 1;
        // Wake them all: with priority, a woken background task may not be allowed to go.
        self.changed.notify_all();
    }
}
// ANCHOR_END: global_limit

/// Sizes of part 3.
#[derive(Clone, Copy)]
struct Pools {
    permits: usize,
    background_workers: usize,
    background_jobs: usize,
    background_work: Duration,
    user_workers: usize,
    user_requests: usize,
    user_gap: Duration,
    user_work: Duration,
}

/// What part 3 saw. Its `Debug` (the outcome a replay and the explorer count) leaves out the
/// times, which are real time and mean something only live.
struct PoolRun {
    taken_past_a_user: usize,
    user_waits: Vec<Duration>,
    background_done: usize,
    background_finished_after: Duration,
}

impl fmt::Debug for PoolRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} users served, {} background jobs done, {} permits went to background while a \
             user waited",
            self.user_waits.len(),
            self.background_done,
            self.taken_past_a_user
        )
    }
}

// ANCHOR: pools
/// A background pool that always has work and a user pool whose requests arrive now and then,
/// under one global limit. Each user request measures how long it waited for its permit.
fn two_pools(sizes: Pools, users_first: bool) -> PoolRun {
    let limit = GlobalLimit::new(sizes.permits, users_first);
    let start = Instant::now();
    let (user_waits, background_done) = thread::scope(|scope| {
        let limit = &limit;
        let background: Vec<_> = (1..=sizes.background_workers)
            .map(|number| {
                let worker = move || {
                    for _ in 0..sizes.background_jobs {
                        limit.acquire(Pool::Background);
                        thread::sleep(sizes.background_work);
                        limit.release();
                    }
                    sizes.background_jobs
                };
                let name = format!("background{number}");
                thread::Builder::new()
                    .name(name)
                    .spawn_scoped(scope, worker)
            })
            .collect();
        let users: Vec<_> = (1..=sizes.user_workers)
            .map(|number| {
                let worker = move || {
                    let mut waits = Vec::new();
                    for _ in 0..sizes.user_requests {
                        thread::sleep(sizes.user_gap); // the next request arrives
                        let arrived = Instant::now();
                        limit.acquire(Pool::User);
                        waits.push(arrived.elapsed());
                        thread::sleep(sizes.user_work);
                        limit.release();
                    }
                    waits
                };
                let name = format!("user{number}");
                thread::Builder::new()
                    .name(name)
                    .spawn_scoped(scope, worker)
            })
            .collect();
        let waits: Vec<Duration> = (users.into_iter().flatten())
            .flat_map(|user| user.join().expect("a user worker does not panic"))
            .collect();
        let done: usize = (background.into_iter().flatten())
            .map(|worker| worker.join().expect("a background worker does not panic"))
            .sum();
        (waits, done)
    });
    let state = limit.state.into_inner();
    PoolRun {
        taken_past_a_user: state.taken_past_a_user,
        user_waits,
        background_done,
        background_finished_after: start.elapsed(),
    }
}
// ANCHOR_END: pools

/// What part 4 saw.
struct Fairness {
    /// For each time the other thread wanted the lock: how many times the greedy thread took it
    /// while the other waited.
    passed_over: Vec<usize>,
    /// And how long the other thread waited (real time).
    waits: Vec<Duration>,
}

impl fmt::Debug for Fairness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let most = self.passed_over.iter().max().unwrap_or(&0);
        write!(
            f,
            "greedy took the lock back {most} times while other waited"
        )
    }
}

// ANCHOR: fairness
/// A greedy thread takes the lock again and again (at most `rounds` times), holding it for
/// `hold` each time; the other thread wants it `wants` times, `gap` apart. With `fair`, the greedy thread unlocks with
/// `MutexGuard::unlock_fair`: the lock goes to the thread that waits, not back to the greedy one.
fn greedy_and_other(sizes: LockSizes, fair: bool) -> Fairness {
    let LockSizes {
        rounds,
        wants,
        hold,
        gap,
    } = sizes;
    // The lock guards a count: how often the greedy thread took it while the other waited.
    let lock = Mutex::new(0usize).named("lock");
    let other_waits = workbook::sync::AtomicBool::new(false).named("other_waits");
    let other_done = workbook::sync::AtomicBool::new(false).named("other_done");
    thread::scope(|scope| {
        let greedy = || {
            for _ in 0..rounds {
                if other_done.load(Ordering::SeqCst) {
                    break;
                }
                let mut taken_past_other = lock.lock();
                if other_waits.load(Ordering::SeqCst) {
                    *taken_past_other += 1;
                }
                thread::sleep(hold); // work while holding the lock
                if fair {
                    MutexGuard::unlock_fair(taken_past_other);
                } else {
                    drop(taken_past_other);
                }
            }
        };
        let other = || {
            let (mut passed_over, mut waits) = (Vec::new(), Vec::new());
            for _ in 0..wants {
                thread::sleep(gap);
                let asked = Instant::now();
                other_waits.store(true, Ordering::SeqCst);
                let mut taken_past_me = lock.lock();
                other_waits.store(false, Ordering::SeqCst);
                waits.push(asked.elapsed());
                passed_over.push(std::mem::take(&mut *taken_past_me));
            }
            other_done.store(true, Ordering::SeqCst);
            Fairness { passed_over, waits }
        };
        let name = |name: &str| thread::Builder::new().name(name.to_string());
        let _greedy = name("greedy").spawn_scoped(scope, greedy);
        let other = name("other").spawn_scoped(scope, other);
        let other = other.expect("the OS starts two threads");
        other.join().expect("the other thread does not panic")
    })
}
// ANCHOR_END: fairness

// The rest is plumbing: sizes, flags, running each part live, as a replay or explored, and the
// reports.

/// Part 1 and 2 sizes: (tasks, permits, work per task). The explorer proves the limit on every
/// schedule of `PROOF_TASKS` (90 schedules for the semaphore, 16 for the tokens), and searches
/// `SMALL_TASKS` with a preemption bound.
const PROOF_TASKS: (usize, usize, Duration) = (2, 1, Duration::from_millis(10));
const SMALL_TASKS: (usize, usize, Duration) = (3, 2, Duration::from_millis(10));
const LIVE_TASKS: (usize, usize, Duration) = (20, 4, Duration::from_millis(20));

/// Parts 3 and 4 in a replay: 2 permits, three background workers with 2 jobs of 10 ms each, one
/// user worker with 2 requests: small enough to read, big enough to starve.
const SMALL_POOLS: Pools = Pools {
    permits: 2,
    background_workers: 3,
    background_jobs: 2,
    background_work: Duration::from_millis(10),
    user_workers: 1,
    user_requests: 2,
    user_gap: Duration::from_millis(5),
    user_work: Duration::from_millis(2),
};

/// Parts 3 and 4 live: 8 permits, twice as many background workers, who always have work, and
/// 4 user workers.
const LIVE_POOLS: Pools = Pools {
    permits: 8,
    background_workers: 16,
    background_jobs: 30,
    background_work: Duration::from_millis(5),
    user_workers: 4,
    user_requests: 20,
    user_gap: Duration::from_millis(12),
    user_work: Duration::from_millis(1),
};

/// Sizes of parts 5 and 6.
#[derive(Clone, Copy)]
struct LockSizes {
    /// At most this many turns of the greedy thread (it stops sooner when the other is done).
    rounds: usize,
    /// Times the other thread wants the lock.
    wants: usize,
    /// How long the greedy thread holds the lock each time.
    hold: Duration,
    /// How long the other thread waits before it wants the lock (again).
    gap: Duration,
}

const SMALL_FAIRNESS: LockSizes = LockSizes {
    rounds: 4,
    wants: 1,
    hold: Duration::from_millis(10),
    gap: Duration::from_millis(5),
};

const LIVE_FAIRNESS: LockSizes = LockSizes {
    rounds: 1_000_000,
    wants: 200,
    hold: Duration::from_micros(100),
    gap: Duration::from_micros(300),
};

/// The explorer's default preemption bound in parts 1 and 2 (`--preemptions` overrides it).
const PARTS_1_2_PREEMPTIONS: usize = 2;

const TITLES: [&str; 7] = [
    "Part 1: a semaphore from a Mutex and a Condvar",
    "Part 2: the same limit from a bounded channel of tokens",
    "Part 3: two pools under one global limit, the naive way",
    "Part 4: two pools under one global limit, users first",
    "Part 5: a lock one thread keeps taking back (plain unlock)",
    "Part 6: the same with parking_lot's fair unlock (MutexGuard::unlock_fair)",
    "Part 7: how many workers by default?",
];

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "limits: a semaphore, pools by priority under a global limit, a fair unlock",
    );
    cli.explorable();
    let part = cli.number(
        "--part",
        "P",
        "run only part P (--schedule needs it: each part makes its own choices); 0 runs all. \
         --explore proves parts 1 and 2 on every schedule of 2 tasks and 1 permit, then \
         searches 3 tasks on 2 permits with at most 2 preemptions unless --preemptions is \
         given; it skips 3 and 4 (too many schedules) and 7 (live only)",
        0,
        0..=7,
    );
    let tasks = cli.number(
        "--tasks",
        "N",
        "parts 1 and 2: how many tasks (0: 3 in a replay, 20 live)",
        0,
        0..=100,
    );
    let permits = cli.number(
        "--permits",
        "K",
        "parts 1 and 2: how many at once (0: 2 in a replay, 4 live)",
        0,
        0..=100,
    );
    let flags = cli.parse();
    workbook::cleanup::quiet_panics_of::<OnPurpose>();
    let only = flags[part];
    let sizes = (flags[tasks] as usize, flags[permits] as usize);
    if only == 7 && flags.mode != Mode::Live {
        flags.refuse("part 7 reads this machine's CPU count: it runs only live");
    }
    let exploring = matches!(flags.mode, Mode::Explore { .. });
    if exploring && (only == 3 || only == 4) {
        flags.refuse("parts 3 and 4 have too many schedules to explore: replay them with --seed");
    }
    if let Mode::Replay {
        schedule: Some(digits),
        ..
    } = &flags.mode
    {
        // Checked before anything is printed, so that a bad schedule leaves stdout clean.
        if !(1..=6).contains(&only) {
            flags.refuse("--schedule gives the choices of one part: add --part 1 to 6");
        }
        let ending = match only {
            1 | 2 => replay_schedule(digits, || small_tasks(only)).1.ending,
            3 | 4 => {
                replay_schedule(digits, || two_pools(SMALL_POOLS, only == 4))
                    .1
                    .ending
            }
            _ => {
                replay_schedule(digits, || small_fairness(only == 6))
                    .1
                    .ending
            }
        };
        if let Ending::BadSchedule(message) = ending {
            flags.refuse(message);
        }
    }
    let live = flags.mode == Mode::Live;
    let (mut pools, mut locks) = (Vec::new(), Vec::new());
    for part in (1..=7).filter(|&part| only == 0 || only == part) {
        if (part == 7 && !live) || (exploring && (part == 3 || part == 4)) {
            continue;
        }
        println!("{}", TITLES[part as usize - 1]);
        let flags = flags.for_part("--part", part);
        match part {
            1 | 2 => limited_part(&flags, part, sizes),
            3 | 4 => pools.extend(pools_part(&flags, part == 4)),
            5 | 6 => locks.extend(fairness_part(&flags, part == 6)),
            _ => default_workers(),
        }
        println!();
        if part == 4 && pools.len() == 2 {
            print_pool_table(&pools);
        }
        if part == 6 && locks.len() == 2 {
            print_lock_table(&locks);
        }
    }
    if exploring && only == 0 {
        println!("Parts 3 and 4 have too many schedules to explore: replay them with --seed.");
    }
    if !live && only == 0 {
        println!("Part 7 reads this machine's CPU count, so it runs only live.");
    }
    println!("Read chapter 10 to see why: book/src/lesson10.md (or `mdbook serve book`).");
}

/// Parts 1 and 2 at the replay's size.
fn small_tasks(part: u64) -> Limited {
    let (tasks, permits, work) = SMALL_TASKS;
    tasks_under_a_limit(part, tasks, permits, work)
}

/// Part 1 (a semaphore) or 2 (tokens). The limit is made inside the run, so that a replay sees
/// the tokens go into the channel.
fn tasks_under_a_limit(part: u64, tasks: usize, permits: usize, work: Duration) -> Limited {
    if part == 1 {
        let semaphore = Semaphore::new(permits);
        limited_tasks(tasks, work, &|| semaphore.acquire())
    } else {
        let tokens = Tokens::new(permits);
        limited_tasks(tasks, work, &|| tokens.acquire())
    }
}

/// Parts 5 and 6 at the replay's size.
fn small_fairness(fair: bool) -> Fairness {
    greedy_and_other(SMALL_FAIRNESS, fair)
}

/// Parts 1 and 2. `sizes` are `--tasks` and `--permits` (0: the mode's own size).
fn limited_part(flags: &Flags, part: u64, sizes: (usize, usize)) {
    let (tasks, permits, work) = if flags.mode == Mode::Live {
        LIVE_TASKS
    } else {
        SMALL_TASKS
    };
    let given = (sizes.0 > 0 || sizes.1 > 0).then(|| {
        let tasks = if sizes.0 > 0 { sizes.0 } else { tasks };
        (tasks, if sizes.1 > 0 { sizes.1 } else { permits }, work)
    });
    if let (Mode::Explore { .. }, None) = (&flags.mode, given) {
        // First a proof: every schedule of the smallest case where the limit matters.
        let (tasks, permits, work) = PROOF_TASKS;
        let proof = sized(flags, tasks, permits).with_default_preemptions(usize::MAX);
        explore_limited(&proof, part, tasks, permits, work);
        println!();
        // Then the replay's size, too big for every schedule: a bounded search, said so.
        let bounded = flags.with_default_preemptions(PARTS_1_2_PREEMPTIONS);
        explore_limited(&bounded, part, SMALL_TASKS.0, SMALL_TASKS.1, work);
        return;
    }
    let (tasks, permits, work) = given.unwrap_or((tasks, permits, work));
    if let Mode::Explore { .. } = flags.mode {
        explore_limited(flags, part, tasks, permits, work);
        return;
    }
    println!(
        "{tasks} tasks, at most {permits} at once; each works {work:?}; task1 panics on purpose"
    );
    let start = Instant::now();
    let ran = workbook::run(flags, || tasks_under_a_limit(part, tasks, permits, work));
    let wall = start.elapsed();
    let Some(seen) = ran.value else { return };
    let mode = &flags.mode;
    println!(
        "most tasks inside at once: {} (limit {permits}); {} finished, {} panicked",
        mode.reveal(seen.most_at_once),
        mode.reveal(seen.finished),
        mode.reveal(seen.panicked),
    );
    if mode.is_predict() {
        return;
    }
    if seen.most_at_once <= permits && seen.finished + seen.panicked == tasks {
        println!(
            "this run kept the limit, and the panicking task's permit came back: every other \
             task got one"
        );
    } else {
        println!("this run did NOT keep the limit");
    }
    if *mode == Mode::Live {
        let rounds = (tasks - 1).div_ceil(permits) as u32;
        println!(
            "wall time {:.0} ms; ideal {rounds} rounds x {work:?} = {:.0} ms",
            millis(wall),
            millis(work * rounds)
        );
    }
}

/// The outcome parts 1 and 2 must always have.
fn limited(permits: usize, tasks: usize) -> Limited {
    Limited {
        most_at_once: permits,
        finished: tasks - 1,
        panicked: 1,
    }
}

/// Part 3 (naive) or 4 (users first); live, the run's figures for the table.
fn pools_part(flags: &Flags, users_first: bool) -> Option<(&'static str, PoolRun)> {
    let live = flags.mode == Mode::Live;
    let sizes = if live { LIVE_POOLS } else { SMALL_POOLS };
    println!(
        "{} permits for everyone; {} background workers x {} jobs of {:?}; {} user worker{} x {} \
         requests, one every {:?} + {:?} of work",
        sizes.permits,
        sizes.background_workers,
        sizes.background_jobs,
        sizes.background_work,
        sizes.user_workers,
        if sizes.user_workers == 1 { "" } else { "s" },
        sizes.user_requests,
        sizes.user_gap,
        sizes.user_work,
    );
    let ran = workbook::run(flags, || two_pools(sizes, users_first));
    if let Some(census) = &ran.census {
        if users_first {
            let claim = "no background task took a permit while a user task waited";
            report_census(
                census,
                |outcome| outcome.ends_with(", 0 permits went to background while a user waited"),
                claim,
            );
        } else {
            report_outcome_count(census);
        }
    }
    let run = ran.value?;
    let mode = &flags.mode;
    println!(
        "permits that went to background while a user waited: {}",
        mode.reveal(run.taken_past_a_user)
    );
    let every_job = sizes.background_workers * sizes.background_jobs;
    if !mode.is_predict() {
        println!(
            "background jobs done: {} of {every_job}{}",
            run.background_done,
            if run.background_done == every_job {
                ""
            } else {
                ": NOT all"
            }
        );
    }
    if !live {
        return None;
    }
    println!(
        "user waits for a permit: p50 {:.2} ms, p99 {:.2} ms; background done after {:.0} ms",
        millis(percentile(&run.user_waits, 50)),
        millis(percentile(&run.user_waits, 99)),
        millis(run.background_finished_after),
    );
    Some((if users_first { "users first" } else { "naive" }, run))
}

/// Live: the users' waits and the background's finish, both ways, side by side.
fn print_pool_table(runs: &[(&str, PoolRun)]) {
    println!("Parts 3 and 4 side by side (measured live on this machine, one run each):");
    println!(
        "            | user wait p50 | user wait p99 | taken past a user | background done after"
    );
    for (title, run) in runs {
        println!(
            "{title:<11} | {:>10.2} ms | {:>10.2} ms | {:>17} | {:.0} ms",
            millis(percentile(&run.user_waits, 50)),
            millis(percentile(&run.user_waits, 99)),
            run.taken_past_a_user,
            millis(run.background_finished_after),
        );
    }
    let (naive, first) = (&runs[0].1, &runs[1].1);
    let every_job = LIVE_POOLS.background_workers * LIVE_POOLS.background_jobs;
    println!(
        "users first: the users' p99 wait {} in this run; {}",
        how_much_lower(
            percentile(&naive.user_waits, 99),
            percentile(&first.user_waits, 99)
        ),
        if first.background_done == every_job {
            "the background work still all done"
        } else {
            "the background work NOT all done"
        }
    );
    println!();
}

/// Part 5 (plain unlock) or 6 (fair unlock); live, the run's figures for the table.
fn fairness_part(flags: &Flags, fair: bool) -> Option<(&'static str, Fairness)> {
    let live = flags.mode == Mode::Live;
    let sizes = if live { LIVE_FAIRNESS } else { SMALL_FAIRNESS };
    let LockSizes {
        wants, hold, gap, ..
    } = sizes;
    println!(
        "greedy holds the lock {hold:?} at a time and takes it again at once; other wants it \
         {wants} time{}, {gap:?} after the last",
        if wants == 1 { "" } else { "s" }
    );
    let ran = workbook::run(flags, || greedy_and_other(sizes, fair));
    if let Some(census) = &ran.census {
        if fair {
            report_census(
                census,
                |outcome| outcome == "greedy took the lock back 0 times while other waited",
                "the greedy thread never took the lock back while other waited",
            );
        } else {
            report_outcome_count(census);
        }
    }
    let run = ran.value?;
    let mut passed = run.passed_over.clone();
    passed.sort_unstable();
    let most = passed.last().copied().unwrap_or(0);
    println!(
        "times greedy took the lock back while other waited: {}",
        flags.mode.reveal(if wants == 1 {
            most.to_string()
        } else {
            format!("p50 {}, most {most}", passed[passed.len() / 2])
        })
    );
    if !live {
        return None;
    }
    println!(
        "other's wait for the lock: p50 {:.3} ms, p99 {:.3} ms",
        millis(percentile(&run.waits, 50)),
        millis(percentile(&run.waits, 99)),
    );
    Some((if fair { "unlock_fair" } else { "plain unlock" }, run))
}

/// Live: other's waits, plain and fair, side by side.
fn print_lock_table(runs: &[(&str, Fairness)]) {
    println!("Parts 5 and 6 side by side (measured live on this machine, one run each):");
    println!(
        "             | other's wait p50 | other's wait p99 | taken back while other waited, most"
    );
    for (title, run) in runs {
        println!(
            "{title:<12} | {:>13.3} ms | {:>13.3} ms | {}",
            millis(percentile(&run.waits, 50)),
            millis(percentile(&run.waits, 99)),
            run.passed_over.iter().max().unwrap_or(&0),
        );
    }
    println!(
        "the fair unlock: other's p99 wait {} in this run",
        how_much_lower(
            percentile(&runs[0].1.waits, 99),
            percentile(&runs[1].1.waits, 99)
        )
    );
    println!();
}

// ANCHOR: default_workers
/// Part 7: the default worker counts, on this machine.
fn default_workers() {
    let cpus = thread::available_parallelism().map_or(1, |n| n.get());
    println!("this machine: std::thread::available_parallelism() = {cpus}");
    println!(
        "  Python ThreadPoolExecutor before 3.8: CPUs x 5           = {}",
        cpus * 5
    );
    println!(
        "  Python ThreadPoolExecutor 3.8 on:     min(32, CPUs + 4)  = {}",
        (cpus + 4).min(32)
    );
    println!(
        "  rayon's global pool (RAYON_NUM_THREADS, else the CPUs)   = {}",
        rayon::current_num_threads()
    );
    println!(
        "Python's defaults are for I/O: threads that mostly wait. rayon's is for CPU work: one \
         thread per core. Lesson 7 measures both."
    );
}
// ANCHOR_END: default_workers

/// Prints whether every outcome of a census is good: a proof when the search was complete.
/// `flags` as if `--tasks` and `--permits` had been given: the commands a census prints then
/// replay that size.
fn sized(flags: &Flags, tasks: usize, permits: usize) -> Flags {
    flags
        .for_part("--tasks", tasks as u64)
        .for_part("--permits", permits as u64)
}

/// Parts 1 and 2 under the explorer at one size, and what the census proves.
fn explore_limited(flags: &Flags, part: u64, tasks: usize, permits: usize, work: Duration) {
    println!(
        "{tasks} tasks, at most {permits} at once; each works {work:?}; task1 panics on purpose"
    );
    let ran = workbook::run(flags, || tasks_under_a_limit(part, tasks, permits, work));
    if let Some(census) = &ran.census {
        let claim =
            format!("never more than {permits} at once, and the panicking task's permit came back");
        report_census(
            census,
            |outcome| outcome == format!("{:?}", limited(permits, tasks)),
            &claim,
        );
    }
}

fn report_census(census: &Census, is_good: impl Fn(&str) -> bool, claim: &str) {
    let all_good = census.outcome_set().iter().all(|outcome| is_good(outcome));
    match (all_good, census.complete()) {
        (true, true) => println!("proved: {claim}, in every schedule of this program"),
        (true, false) => {
            println!("{claim} in every schedule explored; that was NOT every schedule (see above)")
        }
        (false, _) => println!("NOT proved, some schedule breaks it: {claim}"),
    }
}

fn report_outcome_count(census: &Census) {
    let outcomes = census.outcome_set().len();
    println!(
        "{outcomes} different outcome{} (above)",
        if outcomes == 1 { "" } else { "s" }
    );
}

/// The nearest-rank percentile of some durations (zero for none).
fn percentile(values: &[Duration], percent: usize) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (percent * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn millis(time: Duration) -> f64 {
    time.as_secs_f64() * 1000.0
}

/// "12.3 x lower", or "NOT lower (0.8 x)" when it was not.
fn how_much_lower(before: Duration, after: Duration) -> String {
    let ratio = before.as_secs_f64() / after.as_secs_f64().max(1e-6);
    if ratio > 1.0 {
        format!("{ratio:.1} x lower")
    } else {
        format!("NOT lower ({ratio:.1} x)")
    }
}
