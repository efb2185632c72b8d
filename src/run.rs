//! Running a part of a lesson: live, as a replay with its trace table, or under the explorer.
//!
//! ```no_run
//! use workbook::cli::Cli;
//! use workbook::sync::AtomicU64;
//! use workbook::thread;
//! use std::sync::atomic::Ordering;
//!
//! let flags = Cli::new("example", "one counter, two threads").parse();
//! let ran = workbook::run(&flags, || {
//!     let counter = AtomicU64::new(0).named("counter");
//!     thread::scope(|scope| {
//!         for _ in 0..2 {
//!             scope.spawn(|| counter.fetch_add(1, Ordering::Relaxed));
//!         }
//!     });
//!     counter.load(Ordering::Relaxed)
//! });
//! ```
//!
//! The body is ordinary threaded code on [`crate::thread`] and [`crate::sync`]; it runs on the
//! calling thread, which is `main`, column 0 of the trace. What it returns is the run's
//! *outcome*: the explorer counts schedules by it.
#![forbid(unsafe_code)]

use std::fmt::{self, Debug, Display};
use std::panic::{self, AssertUnwindSafe};

use crate::cli::Flags;
use crate::live;
use crate::mode::Mode;
use crate::record;
use crate::scheduler::{self, Chooser, Ending, Row, Scheduler, Stopped};
use crate::trace;

/// How a part ended, and what it returned.
pub struct Ran<R> {
    /// What the body returned; `None` when it was stopped (a deadlock) or explored.
    pub value: Option<R>,
    /// How it ended.
    pub ending: Ending,
    /// The replay, when it was one.
    pub replay: Option<Replayed>,
    /// The census, when it was explored.
    pub census: Option<Census>,
}

/// A finished replay: its trace and its choices.
#[derive(Clone, Debug)]
pub struct Replayed {
    /// Thread names, one per column (column 0 is `main`).
    pub threads: Vec<String>,
    /// The trace.
    pub rows: Vec<Row>,
    /// How it ended.
    pub ending: Ending,
    /// The choices, as `--schedule` digits.
    pub taken: String,
    /// Whether the virtual clock moved (the table then has a time column).
    pub slept: bool,
    /// Values hidden.
    pub predict: bool,
    /// A given schedule ran out before the end.
    pub ran_out: bool,
    /// Digits of a given schedule left over.
    pub unused_digits: usize,
}

impl Replayed {
    /// The trace table.
    pub fn table(&self) -> String {
        render(&self.threads, &self.rows, self.slept)
    }

    /// One line saying how the replay ended.
    pub fn outcome_line(&self) -> String {
        let steps = self.turns();
        match &self.ending {
            Ending::Finished => format!("every thread finished after {steps} steps"),
            Ending::CutOff(cut) => {
                let who: Vec<String> = cut
                    .iter()
                    .map(|(name, what)| format!("{name} (about to {what})"))
                    .collect();
                format!(
                    "main returned after {steps} steps and the process ended: cut off {}",
                    who.join(", ")
                )
            }
            Ending::Deadlock(stuck) => {
                let who: Vec<String> = stuck
                    .iter()
                    .map(|(name, what)| format!("{name} waits to {what}"))
                    .collect();
                format!(
                    "DEADLOCK after {steps} steps: nobody can run ({})",
                    who.join("; ")
                )
            }
            Ending::BadSchedule(message) => format!("the schedule stopped the replay: {message}"),
            Ending::Panicked(message) => format!("main panicked: {message}"),
            Ending::Watchdog(report) => report.clone(),
        }
    }

    /// How many turns the replay took (rows that are not turns, such as an unlock, not counted).
    pub fn turns(&self) -> usize {
        self.rows.iter().filter(|row| !row.ready.is_empty()).count()
    }

    /// The text of every row, in order (for tests and checks that look at what happened).
    pub fn actions(&self) -> Vec<(String, String)> {
        self.rows
            .iter()
            .map(|row| (self.threads[row.thread].clone(), row.action.clone()))
            .collect()
    }
}

/// The explorer's result: each distinct outcome, how many schedules led to it, and one
/// schedule that reproduces it.
#[derive(Clone, Debug)]
pub struct Census {
    /// (outcome, schedules, a `--schedule` for it), in order of first appearance.
    pub outcomes: Vec<(String, usize, String)>,
    /// Schedules run.
    pub schedules: usize,
    /// The preemption bound used.
    pub preemptions: usize,
    /// Some schedule was skipped because it needed more preemptions than the bound.
    pub pruned: bool,
    /// The search stopped at the schedule cap.
    pub capped: bool,
    /// The program did not repeat itself under the same choices: the message.
    pub nondeterministic: Option<String>,
    /// For each outcome (same order as `outcomes`), the schedule of the fewest turns found
    /// that leads to it: the shortest interleaving to show a student.
    pub shortest: Vec<String>,
}

impl Census {
    /// True when every schedule was run: no bound cut any off and the cap was not reached.
    pub fn complete(&self) -> bool {
        !self.pruned && !self.capped && self.nondeterministic.is_none()
    }

    /// The distinct outcomes.
    pub fn outcome_set(&self) -> Vec<&str> {
        self.outcomes
            .iter()
            .map(|(outcome, _, _)| outcome.as_str())
            .collect()
    }

    /// The census as a table plus a line saying how complete the search was.
    pub fn report(&self, flags: Option<&Flags>) -> String {
        let mut rows = vec![vec![
            "outcome".to_string(),
            "schedules".to_string(),
            "reproduce with".to_string(),
        ]];
        for (outcome, count, schedule) in &self.outcomes {
            let reproduce = match flags {
                Some(flags) => flags.command_with_schedule(flags.program(), schedule),
                None => format!("--schedule {schedule}"),
            };
            let reproduce = if schedule.is_empty() {
                "(no choice: any replay)".to_string()
            } else {
                reproduce
            };
            rows.push(vec![outcome.clone(), count.to_string(), reproduce]);
        }
        let mut text = trace::table(&rows);
        text.push_str(&self.summary());
        text.push('\n');
        text
    }

    /// One line: how many schedules, and whether that was all of them.
    pub fn summary(&self) -> String {
        if let Some(message) = &self.nondeterministic {
            return format!(
                "explored {} schedules, then stopped: {message}",
                self.schedules
            );
        }
        let plural = if self.schedules == 1 { "" } else { "s" };
        if self.capped {
            format!(
                "explored {} schedule{plural} and stopped at the cap (--max-schedules): NOT \
                 complete, other outcomes may exist",
                self.schedules
            )
        } else if self.pruned {
            format!(
                "explored {} schedule{plural}: every schedule with at most {} preemption{} \
                 (--preemptions), NOT every schedule",
                self.schedules,
                self.preemptions,
                if self.preemptions == 1 { "" } else { "s" }
            )
        } else {
            format!(
                "explored {} schedule{plural}: complete, every schedule of this program",
                self.schedules
            )
        }
    }
}

/// The outcome of one explored or replayed run, as the census counts it.
pub(crate) fn outcome_text<R: Debug>(value: Option<&R>, ending: &Ending) -> String {
    let value = value.map(describe);
    match (value, ending) {
        (Some(value), Ending::Finished) => value.to_string(),
        (Some(value), Ending::CutOff(cut)) => {
            let names: Vec<&str> = cut.iter().map(|(name, _)| name.as_str()).collect();
            format!("{value} (cut off: {})", names.join(", "))
        }
        (_, Ending::Deadlock(stuck)) => {
            let who: Vec<String> = stuck
                .iter()
                .map(|(name, what)| format!("{name} waits to {what}"))
                .collect();
            format!("DEADLOCK ({})", who.join("; "))
        }
        (_, Ending::Panicked(message)) => format!("main panicked: {message}"),
        (_, Ending::BadSchedule(message)) => format!("bad schedule: {message}"),
        (_, Ending::Watchdog(report)) => report.clone(),
        (None, _) => "stopped".to_string(),
    }
}

/// An outcome as text: its `Debug` form, without the quotes of a string; `()` is "finished".
pub fn describe<R: Debug>(value: &R) -> String {
    let text = format!("{value:?}");
    if text == "()" {
        return "finished".to_string();
    }
    match text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    {
        Some(inner) if !inner.contains('"') => inner.to_string(),
        _ => text,
    }
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic".to_string()
    }
}

/// Runs `body` once as a replay driven by `chooser`; prints nothing.
fn replay_with<R>(chooser: Chooser, predict: bool, body: &dyn Fn() -> R) -> (Option<R>, Replayed) {
    let scheduler = Scheduler::start(chooser, predict);
    let result = panic::catch_unwind(AssertUnwindSafe(body));
    let (value, main_panic, payload) = match result {
        Ok(value) => (Some(value), None, None),
        Err(payload) if payload.is::<Stopped>() => (None, None, None),
        Err(payload) => (None, Some(panic_message(&*payload)), Some(payload)),
    };
    let (_, ran_out, unused_digits) = scheduler.chooser_report();
    let ended = scheduler.end(main_panic);
    let replayed = Replayed {
        threads: ended.names,
        rows: ended.rows,
        ending: ended.ending,
        taken: ended.taken,
        slept: ended.slept,
        predict,
        ran_out,
        unused_digits,
    };
    if let Some(payload) = payload {
        if !matches!(replayed.ending, Ending::Panicked(_)) {
            panic::resume_unwind(payload);
        }
    }
    (value, replayed)
}

/// Replays `body` with the turns chosen by a ChaCha8 generator seeded with `seed`; prints
/// nothing. For tables of many seeds and for tests.
pub fn replay_seed<R>(seed: u64, body: impl Fn() -> R) -> (Option<R>, Replayed) {
    replay_with(Chooser::seeded(seed), false, &body)
}

/// Replays `body` following the choices `digits` (then the lowest-numbered ready thread);
/// prints nothing.
pub fn replay_schedule<R>(digits: &[usize], body: impl Fn() -> R) -> (Option<R>, Replayed) {
    replay_with(Chooser::schedule(digits), false, &body)
}

/// Runs `body` under every schedule (depth-first over the choices, at most `preemptions`
/// preemptions per schedule, at most `max_schedules` schedules) and counts the outcomes.
pub fn explore<R: Debug>(preemptions: usize, max_schedules: usize, body: impl Fn() -> R) -> Census {
    let mut census = Census {
        outcomes: Vec::new(),
        schedules: 0,
        preemptions,
        pruned: false,
        capped: false,
        nondeterministic: None,
        shortest: Vec::new(),
    };
    // The turns of each outcome's shortest schedule, beside `census.shortest`.
    let mut fewest: Vec<usize> = Vec::new();
    let mut prefix: Vec<usize> = Vec::new();
    loop {
        let scheduler = Scheduler::start(Chooser::explore(prefix.clone()), false);
        let result = panic::catch_unwind(AssertUnwindSafe(&body));
        let (value, main_panic) = match result {
            Ok(value) => (Some(value), None),
            Err(payload) if payload.is::<Stopped>() => (None, None),
            Err(payload) => (None, Some(panic_message(&*payload))),
        };
        let (made, _, _) = scheduler.chooser_report();
        let ended = scheduler.end(main_panic);
        census.schedules += 1;
        if let Ending::BadSchedule(message) = &ended.ending {
            census.nondeterministic = Some(message.clone());
            return census;
        }
        let outcome = outcome_text(value.as_ref(), &ended.ending);
        let turns = ended
            .rows
            .iter()
            .filter(|row| !row.ready.is_empty())
            .count();
        match census
            .outcomes
            .iter()
            .position(|(seen, _, _)| *seen == outcome)
        {
            Some(index) => {
                census.outcomes[index].1 += 1;
                if turns < fewest[index] {
                    fewest[index] = turns;
                    census.shortest[index] = ended.taken.clone();
                }
            }
            None => {
                census.outcomes.push((outcome, 1, ended.taken.clone()));
                census.shortest.push(ended.taken.clone());
                fewest.push(turns);
            }
        }
        // Backtrack: the deepest choice with an option left that stays within the bound.
        let mut next: Option<(usize, usize)> = None;
        'search: for depth in (0..made.len()).rev() {
            let before = made[..depth]
                .iter()
                .filter(|choice| choice.preemptive())
                .count();
            for option in made[depth].taken + 1..made[depth].options {
                let preempts = made[depth].keeps && option > 0;
                if before + usize::from(preempts) <= preemptions {
                    next = Some((depth, option));
                    break 'search;
                }
                census.pruned = true;
            }
        }
        let Some((depth, option)) = next else {
            return census;
        };
        if census.schedules >= max_schedules {
            census.capped = true;
            return census;
        }
        prefix = made[..depth].iter().map(|choice| choice.taken).collect();
        prefix.push(option);
    }
}

/// The environment variable with which a checker asks a `--seed N` run for the replays of
/// seeds `N`, `N + 1`, ... `N + count - 1` in one process (`WORKBOOK_SEEDS=count`): each is
/// recorded ([`crate::record`]) as if run alone, and only the last is printed. One process
/// instead of `count` saves a checker the start of a sandboxed program per seed; a program
/// that is judged sees each replay start from nothing, as the explorer's runs do.
pub const SEEDS_VAR: &str = "WORKBOOK_SEEDS";

/// How many seeds [`SEEDS_VAR`] asks for: 1 when it is unset or not a number from 1 to 1000.
fn more_seeds() -> u64 {
    std::env::var(SEEDS_VAR)
        .ok()
        .and_then(|value| value.parse::<u64>().ok())
        .filter(|count| (1..=1000).contains(count))
        .unwrap_or(1)
}

/// Runs one part of a lesson as the command line asks: live, as a replay (printing its trace
/// table, how it ended and the commands that reproduce it), or under the explorer (printing the
/// census), or, with `--interactive`, as a replay whose choices are typed in
/// ([`crate::interactive`]). Bad schedules are reported as bad input (exit 2).
pub fn run<R: Debug>(flags: &Flags, body: impl Fn() -> R) -> Ran<R> {
    if flags.interactive() {
        return crate::interactive::play(flags, &body);
    }
    match &flags.mode {
        Mode::Live => run_live(&body),
        Mode::Explore {
            preemptions,
            max_schedules,
        } => {
            let census = explore(*preemptions, *max_schedules, &body);
            print!("{}", census.report(Some(flags)));
            record::explore(&census);
            Ran {
                value: None,
                ending: Ending::Finished,
                replay: None,
                census: Some(census),
            }
        }
        Mode::Replay {
            seed,
            schedule,
            predict,
        } => {
            let chooser = match schedule {
                Some(digits) => Chooser::schedule(digits),
                None => Chooser::seeded(seed.unwrap_or(0)),
            };
            let (value, replayed) = replay_with(chooser, *predict, &body);
            let seed = schedule.is_none().then(|| seed.unwrap_or(0));
            record::replay(
                value.as_ref().map(describe),
                outcome_text(value.as_ref(), &replayed.ending),
                &replayed,
                seed,
            );
            print_replay(flags, &replayed);
            crate::svg::after_replay(flags, &replayed);
            // A checker's batch (see [`SEEDS_VAR`]): the seeds after this one, each recorded
            // as if run alone, none printed.
            if let Some(first) = seed {
                for next in (first + 1..).take(more_seeds().saturating_sub(1) as usize) {
                    let (value, replayed) = replay_with(Chooser::seeded(next), *predict, &body);
                    record::replay(
                        value.as_ref().map(describe),
                        outcome_text(value.as_ref(), &replayed.ending),
                        &replayed,
                        Some(next),
                    );
                }
            }
            Ran {
                value,
                ending: replayed.ending.clone(),
                replay: Some(replayed),
                census: None,
            }
        }
    }
}

fn run_live<R: Debug>(body: &dyn Fn() -> R) -> Ran<R> {
    live::begin_run();
    let result = panic::catch_unwind(AssertUnwindSafe(body));
    let report = live::end_run();
    let value = match result {
        Ok(value) => Some(value),
        Err(payload) if payload.is::<Stopped>() => None,
        Err(payload) => panic::resume_unwind(payload),
    };
    let ending = match report {
        Some(report) => {
            println!("{report}");
            println!("The watchdog stopped the waiting threads, so the program goes on.");
            Ending::Watchdog(report)
        }
        None => Ending::Finished,
    };
    record::live(
        value.as_ref().map(describe),
        outcome_text(value.as_ref(), &ending),
        &ending,
    );
    Ran {
        value,
        ending,
        replay: None,
        census: None,
    }
}

fn print_replay(flags: &Flags, replayed: &Replayed) {
    let program = flags.program();
    if let Ending::BadSchedule(message) = &replayed.ending {
        // Bad input: one line on stderr, nothing on stdout.
        eprintln!("error: {message}");
        eprintln!("Try `cargo run --bin {program} -- --help` for the flags.");
        crate::cleanup::exit(2);
    }
    print!("{}", replayed.table());
    if replayed.predict {
        println!("how it ends is hidden too (--predict)");
    } else {
        println!("{}", replayed.outcome_line());
    }
    if replayed.ran_out {
        println!("(the schedule ran out: later choices went to the lowest-numbered ready thread)");
    }
    if replayed.unused_digits > 0 {
        println!(
            "({} digits of the schedule were not needed)",
            replayed.unused_digits
        );
    }
    let seed = match &flags.mode {
        Mode::Replay {
            seed,
            schedule: None,
            ..
        } => Some(seed.unwrap_or(0)),
        _ => None,
    };
    if replayed.taken.is_empty() {
        println!("no step had a choice: one thread was ready at every step");
    } else {
        match seed {
            Some(seed) => println!("seed {seed}; choices: {}", replayed.taken),
            None => println!("choices: {}", replayed.taken),
        }
    }
    println!("replay: {}", flags.command(program));
    if !replayed.taken.is_empty() && !replayed.taken.contains('*') {
        println!(
            "same choices by hand: {}",
            flags.command_with_schedule(program, &replayed.taken)
        );
    }
    if replayed.predict {
        println!(
            "values are hidden (--predict): guess them, then check with: {}",
            flags.command_revealed(program)
        );
    }
}

/// Renders a replay's rows: step, time (when the clock moved), who was ready, one column per
/// thread.
pub fn render(threads: &[String], rows: &[Row], slept: bool) -> String {
    let waited = rows.iter().any(|row| !row.waiting.is_empty());
    let mut header: Vec<String> = vec!["step".into()];
    if slept {
        header.push("time".into());
    }
    header.push("ready".into());
    if waited {
        header.push("waiting".into());
    }
    header.extend(
        threads
            .iter()
            .enumerate()
            .map(|(column, name)| format!("{column} {name}")),
    );
    let list = |columns: &[usize]| {
        columns
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut table: Vec<Vec<String>> = vec![header];
    let mut step = 0;
    for row in rows {
        let turn = !row.ready.is_empty();
        let mut cells = Vec::new();
        if turn {
            step += 1;
            cells.push(step.to_string());
        } else {
            cells.push(String::new());
        }
        if slept {
            cells.push(scheduler::format_time(row.time));
        }
        cells.push(list(&row.ready));
        if waited {
            cells.push(list(&row.waiting));
        }
        for column in 0..threads.len() {
            if column == row.thread {
                cells.push(match &row.value {
                    Some(value) => format!("{} {value}", row.action),
                    None => row.action.clone(),
                });
            } else {
                cells.push(String::new());
            }
        }
        table.push(cells);
    }
    trace::table(&table)
}

/// A value the student is to predict: shown as `?` in a `--predict` replay.
pub fn guess<T: Display>(value: T) -> Guess<T> {
    Guess(value)
}

/// See [`guess`].
pub struct Guess<T>(T);

impl<T: Display> Display for Guess<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if scheduler::predicting() {
            f.write_str("?")
        } else {
            self.0.fmt(f)
        }
    }
}

/// What [`say!`](crate::say) does: in a replay, a turn and a row in this thread's column; live,
/// a line on stdout starting with the thread's name.
pub fn say(text: fmt::Arguments<'_>) {
    if let Some((scheduler, me)) = scheduler::current() {
        let text = text.to_string();
        scheduler.turn(me, scheduler::Pending::now(format!("say {text:?}")));
        scheduler.record(me, text, None);
        return;
    }
    let thread = std::thread::current();
    let name = thread.name().unwrap_or("thread");
    println!("{name}: {text}");
}

/// Prints a line of the lesson's own from a thread: `say!("print {}", guess(n))`. In a replay
/// it is a turn and a row of the trace (values wrapped in [`guess`] are `?` under `--predict`);
/// live it is a line starting with the thread's name.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::run::say(format_args!($($arg)*))
    };
}
