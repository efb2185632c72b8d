//! Live runs and deterministic replays of the same real threads.
//!
//! A lesson spawns ordinary `std::thread`s. Inside each, it claims an [`Actor`] (a named column of
//! the trace) and marks every step that matters with [`Actor::step`]. What a step does depends on
//! the mode:
//!
//! - **Live** (no flag): the step runs at once, on real threads with real timing, and prints a
//!   line in the thread's column. Output may differ from run to run.
//! - **Replay** (`--seed N` or `--schedule DIGITS`): every step is a *yield point*. Only one actor
//!   runs at a time; when it reaches its next step (or ends), the scheduler picks who goes next
//!   among the actors that can run: by a ChaCha8 generator seeded with `N` (choices derived from
//!   raw `next_u32()`, so the same seed gives the same turns on any machine), or by the digits of
//!   `--schedule`. The steps are recorded and printed as a trace table at the end.
//!
//! Only steps where more than one actor is ready are *choices*: they draw from the generator or
//! use one digit of the schedule. A step with one ready actor goes to it. So `--schedule 0110`
//! means "at the first four choices: thread 0, then 1, 1, 0", and a digit that names a thread
//! that is not ready at its choice (blocked, finished, or not there) stops the replay with an
//! error. When the digits run out, each later choice goes to the lowest-numbered ready thread.
//!
//! A step may say when it can run ([`Actor::step_when`], [`Actor::lock`]): an actor whose step
//! cannot run yet is *blocked*, and the scheduler does not pick it. When nobody can run and
//! somebody is blocked, the replay reports a deadlock at once and the blocked actors are stopped
//! (their closures unwind quietly, dropping any guards), so a replay never hangs.
//!
//! The readiness test of a blocked step must not block: use `!mutex.is_locked()`, `!rx.is_empty()`
//! or a read of an atomic, not a `lock()` that could wait.

use std::any::Any;
use std::fmt::Display;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::cli::Flags;
use crate::trace::{self, Row};

/// How long a replay waits without any progress before it declares itself stuck.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Exit status of a lesson whose replay got stuck on something the scheduler cannot see.
pub const STALLED_EXIT: i32 = 3;

/// Live run or replay, as chosen on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Real threads, real timing.
    Live,
    /// Deterministic turns chosen by a seed or a schedule; `predict` hides the values.
    Replay {
        /// The seed of the turn-choosing generator.
        seed: Option<u64>,
        /// The thread numbers of the turns, one digit a step.
        schedule: Option<Vec<usize>>,
        /// Print values as `?`.
        predict: bool,
    },
    /// Every schedule, up to a preemption bound and a cap (`--explore`).
    Explore {
        /// At most this many preemptions per schedule.
        preemptions: usize,
        /// At most this many schedules.
        max_schedules: usize,
    },
}

impl Mode {
    /// True for `--seed` and `--schedule` runs.
    pub fn is_replay(&self) -> bool {
        matches!(self, Mode::Replay { .. })
    }

    /// True when values are to be hidden (`--predict`).
    pub fn is_predict(&self) -> bool {
        matches!(self, Mode::Replay { predict: true, .. })
    }

    /// `value` as text, or `?` when the student is predicting.
    pub fn reveal(&self, value: impl Display) -> String {
        if self.is_predict() {
            "?".to_string()
        } else {
            value.to_string()
        }
    }
}

/// How a replay ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every actor finished (also the only outcome of a live run).
    Finished,
    /// Nobody could run and these actors were blocked: `(name, what it was waiting to do)`.
    Deadlock(Vec<(String, String)>),
    /// The `--schedule` named a thread that could not run, or that does not exist.
    BadSchedule(String),
}

/// The recorded result of a replay: its steps and how it ended.
#[derive(Clone, Debug)]
pub struct Report {
    /// Thread names, one per column.
    pub actors: Vec<String>,
    /// Names of the watched values (extra columns).
    pub watches: Vec<String>,
    /// The steps, in order.
    pub rows: Vec<Row>,
    /// How it ended.
    pub outcome: Outcome,
    /// The choices made: whose turn it was at each step where more than one thread was ready.
    /// Given as `--schedule`, it replays this run.
    pub taken: String,
    /// Digits of a given schedule that were left over when the threads finished.
    pub unused_digits: usize,
    /// The seed, when the turns came from one.
    pub seed: Option<u64>,
    /// True when a given schedule ran out before the threads finished.
    pub schedule_ran_out: bool,
    /// Values hidden.
    pub predict: bool,
}

impl Report {
    /// The trace table.
    pub fn table(&self) -> String {
        trace::render(&self.actors, &self.watches, &self.rows, self.predict)
    }

    /// One line saying how the replay ended.
    pub fn outcome_line(&self) -> String {
        match &self.outcome {
            Outcome::Finished => {
                format!("every thread finished after {} steps", self.rows.len())
            }
            Outcome::Deadlock(blocked) => {
                let who: Vec<String> = blocked
                    .iter()
                    .map(|(name, waiting)| format!("{name} waits to {waiting}"))
                    .collect();
                format!(
                    "DEADLOCK after {} steps: nobody can run ({})",
                    self.rows.len(),
                    who.join("; ")
                )
            }
            Outcome::BadSchedule(message) => format!("the schedule stopped the replay: {message}"),
        }
    }
}

/// One run of a set of named threads, live or replayed.
pub struct Run {
    actors: Vec<String>,
    mode: Mode,
    command: Option<String>,
    program: Option<(String, Flags)>,
    scheduler: Option<Arc<Scheduler>>,
    live_width: usize,
}

/// A thread's handle on the run: its column in the trace, and its turns in a replay.
pub struct Actor<'run> {
    index: usize,
    run: &'run Run,
}

/// The payload a stopped actor unwinds with; caught by [`Run::actor`].
struct Stopped;

struct Scheduler {
    state: Mutex<State>,
    /// One per actor, so a turn wakes only the threads that have something to do.
    wakeups: Vec<Condvar>,
}

struct State {
    actors: Vec<Status>,
    claimed: Vec<bool>,
    epoch: u64,
    running: Option<usize>,
    ready_at_choice: Vec<usize>,
    chooser: Chooser,
    rows: Vec<Row>,
    taken: String,
    stopped: Option<Outcome>,
    watches: Vec<(String, Box<dyn Fn() -> String + Send>)>,
    last_change: Instant,
}

#[derive(Clone, Debug)]
enum Status {
    NotArrived,
    Waiting {
        label: String,
        /// A step with no readiness test can always run: it never needs re-checking.
        always_ready: bool,
        posted: Option<(u64, bool)>,
    },
    Running,
    Finished,
}

enum Chooser {
    Seeded(Box<ChaCha8Rng>),
    Schedule {
        steps: Vec<usize>,
        next: usize,
        ran_out: bool,
    },
}

impl Run {
    /// A run of threads named `actors` (column 0, 1, ...) in the mode `flags` chose.
    /// `program` is the lesson's binary name, for the "replay this" line.
    pub fn new(program: &str, flags: &Flags, actors: &[&str]) -> Run {
        if let Mode::Replay {
            schedule: Some(steps),
            ..
        } = &flags.mode
        {
            if let Some(&wanted) = steps.iter().find(|&&digit| digit >= actors.len()) {
                let names: Vec<String> = actors.iter().map(|name| name.to_string()).collect();
                eprintln!(
                    "error: --schedule names thread {wanted}, but the threads are {}",
                    numbered(&names)
                );
                eprintln!("Try `cargo run --bin {program} -- --help` for the flags.");
                std::process::exit(2);
            }
        }
        let mut run = Run::with_mode(&flags.mode, actors);
        run.command = Some(flags.command(program));
        run.program = Some((program.to_string(), flags.clone()));
        run
    }

    /// A replay with `seed` that prints nothing by itself: for tables of many seeds.
    pub fn seeded(seed: u64, actors: &[&str]) -> Run {
        Run::with_mode(
            &Mode::Replay {
                seed: Some(seed),
                schedule: None,
                predict: false,
            },
            actors,
        )
    }

    /// A replay that follows `schedule` (thread numbers), then the lowest-numbered ready thread.
    pub fn scheduled(schedule: &[usize], actors: &[&str]) -> Run {
        Run::with_mode(
            &Mode::Replay {
                seed: None,
                schedule: Some(schedule.to_vec()),
                predict: false,
            },
            actors,
        )
    }

    /// A run in `mode`, with no command line to print.
    pub fn with_mode(mode: &Mode, actors: &[&str]) -> Run {
        assert!(
            !actors.is_empty() && actors.len() <= 10,
            "a run has 1 to 10 threads"
        );
        let names: Vec<String> = actors.iter().map(|name| name.to_string()).collect();
        let scheduler = match mode {
            Mode::Live | Mode::Explore { .. } => None,
            Mode::Replay { seed, schedule, .. } => {
                let chooser = match schedule {
                    Some(steps) => Chooser::Schedule {
                        steps: steps.clone(),
                        next: 0,
                        ran_out: false,
                    },
                    None => Chooser::Seeded(Box::new(ChaCha8Rng::seed_from_u64(seed.unwrap_or(0)))),
                };
                Some(Arc::new(Scheduler {
                    state: Mutex::new(State {
                        actors: vec![Status::NotArrived; names.len()],
                        claimed: vec![false; names.len()],
                        epoch: 0,
                        running: None,
                        ready_at_choice: Vec::new(),
                        chooser,
                        rows: Vec::new(),
                        taken: String::new(),
                        stopped: None,
                        watches: Vec::new(),
                        last_change: Instant::now(),
                    }),
                    wakeups: (0..names.len()).map(|_| Condvar::new()).collect(),
                }))
            }
        };
        let live_width = names
            .iter()
            .map(|name| name.len() + 4)
            .max()
            .unwrap_or(0)
            .max(14);
        Run {
            actors: names,
            mode: mode.clone(),
            command: None,
            program: None,
            scheduler,
            live_width,
        }
    }

    /// The mode of this run.
    pub fn mode(&self) -> &Mode {
        &self.mode
    }

    /// Adds a column to the replay trace showing `read()` after every step, e.g. a shared counter.
    /// `read` runs on the thread that just took its step: it must not block (use an atomic, or
    /// `try_lock`). Ignored in live runs.
    pub fn watch(&self, column: &str, read: impl Fn() -> String + Send + 'static) {
        if let Some(scheduler) = &self.scheduler {
            scheduler
                .state
                .lock()
                .watches
                .push((column.to_string(), Box::new(read)));
        }
    }

    /// In a live run, prints the header line naming the columns. Replays print at the end.
    pub fn print_live_header(&self) {
        if self.scheduler.is_none() {
            let mut line = String::new();
            for (index, name) in self.actors.iter().enumerate() {
                line.push_str(&format!(
                    "{:<width$}",
                    format!("{index} {name}"),
                    width = self.live_width
                ));
            }
            println!("{}", line.trim_end());
        }
    }

    /// Runs `body` as the actor `name` on the current thread. Returns `None` when a replay stopped
    /// this actor (a deadlock, or a schedule that could not be followed); a real panic in `body`
    /// goes on unwinding, to be seen by `join`.
    pub fn actor<R>(&self, name: &str, body: impl FnOnce(&Actor<'_>) -> R) -> Option<R> {
        let Some(index) = self.actors.iter().position(|actor| actor == name) else {
            panic!(
                "lesson bug: {name:?} is not one of this run's threads {:?}",
                self.actors
            );
        };
        if let Some(scheduler) = &self.scheduler {
            let mut state = scheduler.state.lock();
            assert!(
                !state.claimed[index],
                "lesson bug: the actor {name:?} is claimed twice"
            );
            state.claimed[index] = true;
        }
        let actor = Actor { index, run: self };
        let result = panic::catch_unwind(AssertUnwindSafe(|| body(&actor)));
        drop(actor);
        match result {
            Ok(value) => Some(value),
            Err(payload) if payload.is::<Stopped>() => None,
            Err(payload) => panic::resume_unwind(payload),
        }
    }

    /// Ends the run once its threads are joined. A replay prints its trace table, how it ended,
    /// and the commands that reproduce it; a schedule that could not be followed is reported on
    /// stderr and the process exits with status 2. Returns how the run ended.
    pub fn finish(self) -> Outcome {
        if self.scheduler.is_none() {
            return Outcome::Finished;
        }
        let command = self.command.clone();
        let program = self.program.clone();
        let self_program = self.program.clone();
        let report = self.finish_quietly();
        print!("{}", report.table());
        println!("{}", report.outcome_line());
        if let Outcome::BadSchedule(message) = &report.outcome {
            eprintln!("error: {message}");
            std::process::exit(2);
        }
        if report.schedule_ran_out {
            println!(
                "(the schedule ran out: later choices went to the lowest-numbered ready thread)"
            );
        }
        if report.unused_digits > 0 {
            println!(
                "({} digits of the schedule were not needed)",
                report.unused_digits
            );
        }
        if report.taken.is_empty() {
            println!("no step had a choice: one thread was ready at every step");
        } else {
            match report.seed {
                Some(seed) => println!("seed {seed}; choices: {}", report.taken),
                None => println!("choices: {}", report.taken),
            }
        }
        if let Some(command) = command {
            println!("replay: {command}");
        }
        if let (Some((program, flags)), false) = (program, report.taken.is_empty()) {
            println!(
                "same choices by hand: {}",
                flags.command_with_schedule(&program, &report.taken)
            );
        }
        if let (true, Some((program, flags))) = (report.predict, &self_program) {
            println!(
                "values are hidden (--predict): guess them, then check with: {}",
                flags.command_revealed(program)
            );
        }
        report.outcome
    }

    /// Ends a replay and returns its report without printing anything. A live run reports no
    /// steps and the outcome [`Outcome::Finished`].
    pub fn finish_quietly(self) -> Report {
        let predict = self.mode.is_predict();
        let seed = match &self.mode {
            Mode::Replay {
                seed,
                schedule: None,
                ..
            } => *seed,
            _ => None,
        };
        let Some(scheduler) = self.scheduler else {
            return Report {
                actors: self.actors,
                watches: Vec::new(),
                rows: Vec::new(),
                outcome: Outcome::Finished,
                taken: String::new(),
                unused_digits: 0,
                seed: None,
                schedule_ran_out: false,
                predict,
            };
        };
        let mut state = scheduler.state.lock();
        let unfinished: Vec<usize> = (0..self.actors.len())
            .filter(|&index| !matches!(state.actors[index], Status::Finished))
            .collect();
        let outcome = match state.stopped.take() {
            Some(outcome) => outcome,
            None if unfinished.is_empty() => Outcome::Finished,
            None => {
                let names: Vec<&str> = unfinished
                    .iter()
                    .map(|&index| self.actors[index].as_str())
                    .collect();
                panic!("lesson bug: finish() before the threads {names:?} ended (join them first)")
            }
        };
        let (schedule_ran_out, unused_digits) = match &state.chooser {
            Chooser::Schedule {
                steps,
                next,
                ran_out,
            } => (*ran_out, steps.len() - *next),
            Chooser::Seeded(_) => (false, 0),
        };
        Report {
            actors: self.actors,
            watches: state.watches.iter().map(|(name, _)| name.clone()).collect(),
            rows: std::mem::take(&mut state.rows),
            outcome,
            taken: std::mem::take(&mut state.taken),
            unused_digits,
            seed,
            schedule_ran_out,
            predict,
        }
    }
}

impl Actor<'_> {
    /// This actor's name.
    pub fn name(&self) -> &str {
        &self.run.actors[self.index]
    }

    /// This actor's column number (the digit `--schedule` uses for it).
    pub fn number(&self) -> usize {
        self.index
    }

    /// One step: in a replay, first wait for this actor's turn (a yield point); then run `work`
    /// and record `action` with the value it returns. In a live run, run `work` and print the line.
    pub fn step<T: Display>(&self, action: &str, work: impl FnOnce() -> T) -> T {
        self.turn(action, None);
        let value = work();
        self.record(action, Some(value.to_string()));
        value
    }

    /// Like [`Actor::step`], but in a replay the step can run only when `ready()` is true; until
    /// then the actor is blocked. `ready` must not block. Live runs ignore `ready`.
    pub fn step_when<T: Display>(
        &self,
        action: &str,
        ready: impl Fn() -> bool,
        work: impl FnOnce() -> T,
    ) -> T {
        self.turn(action, Some(&ready));
        let value = work();
        self.record(action, Some(value.to_string()));
        value
    }

    /// A step that records only `action`, no value: for taking a lock, sending a signal...
    pub fn action<T>(&self, action: &str, work: impl FnOnce() -> T) -> T {
        self.turn(action, None);
        let value = work();
        self.record(action, None);
        value
    }

    /// [`Actor::action`] that can run only when `ready()` is true (see [`Actor::step_when`]).
    pub fn action_when<T>(
        &self,
        action: &str,
        ready: impl Fn() -> bool,
        work: impl FnOnce() -> T,
    ) -> T {
        self.turn(action, Some(&ready));
        let value = work();
        self.record(action, None);
        value
    }

    /// Locks `mutex` as one step named `action` (e.g. `"lock A"`). In a replay the actor is blocked
    /// while another thread holds the lock, so a deadlock is detected instead of hanging.
    pub fn lock<'m, T>(
        &self,
        action: &str,
        mutex: &'m parking_lot::Mutex<T>,
    ) -> parking_lot::MutexGuard<'m, T> {
        self.action_when(action, || !mutex.is_locked(), || mutex.lock())
    }

    /// Sleeps for `duration` in a live run. In a replay it does nothing: the scheduler, not the
    /// clock, decides who goes next at the following step.
    pub fn sleep(&self, duration: Duration) {
        if self.run.scheduler.is_none() {
            std::thread::sleep(duration);
        }
    }

    /// The yield point of a step: in a replay, wait until the scheduler gives this actor the turn.
    /// `ready` is the step's readiness test; `None` means it can always run.
    fn turn(&self, label: &str, ready: Option<&dyn Fn() -> bool>) {
        let Some(scheduler) = &self.run.scheduler else {
            return;
        };
        let me = self.index;
        let mut state = scheduler.state.lock();
        if state.running == Some(me) {
            state.running = None;
            state.epoch += 1;
        }
        state.actors[me] = Status::Waiting {
            label: label.to_string(),
            always_ready: ready.is_none(),
            posted: None,
        };
        state.last_change = Instant::now();
        wake(scheduler, &state);
        loop {
            if state.stopped.is_some() {
                drop(state);
                panic::resume_unwind(Box::new(Stopped) as Box<dyn Any + Send>);
            }
            if state.running == Some(me) {
                return;
            }
            if state.running.is_none() {
                let epoch = state.epoch;
                let stale = matches!(
                    &state.actors[me],
                    Status::Waiting { always_ready: false, posted, .. }
                        if posted.map(|(seen, _)| seen) != Some(epoch)
                );
                if let (true, Some(ready)) = (stale, ready) {
                    // Nobody runs while the actors re-check whether they can go, so the answer
                    // is the same on every run; the scheduler lock is released so `ready` may
                    // look at anything that is not held across a step.
                    let can_run = MutexGuard::unlocked(&mut state, ready);
                    if state.epoch != epoch || state.running.is_some() {
                        continue;
                    }
                    if let Status::Waiting { posted, .. } = &mut state.actors[me] {
                        *posted = Some((epoch, can_run));
                    }
                    state.last_change = Instant::now();
                }
                choose(&mut state, &self.run.actors);
                if state.running.is_some() || state.stopped.is_some() {
                    wake(scheduler, &state);
                    continue;
                }
            }
            let timed_out = scheduler.wakeups[me]
                .wait_for(&mut state, Duration::from_millis(250))
                .timed_out();
            if timed_out && state.last_change.elapsed() > STALL_TIMEOUT {
                report_stall(&state, &self.run.actors);
            }
        }
    }

    fn record(&self, action: &str, value: Option<String>) {
        let Some(scheduler) = &self.run.scheduler else {
            let indent = self.index * self.run.live_width;
            println!(
                "{:indent$}{}",
                "",
                trace::cell(action, value.as_deref(), false)
            );
            return;
        };
        let mut state = scheduler.state.lock();
        if state.running != Some(self.index) {
            return; // the replay was stopped while this step ran
        }
        let watched = state.watches.iter().map(|(_, read)| read()).collect();
        let ready = state.ready_at_choice.clone();
        state.rows.push(Row {
            actor: self.index,
            ready,
            action: action.to_string(),
            value,
            watched,
        });
    }
}

impl Drop for Actor<'_> {
    fn drop(&mut self) {
        let Some(scheduler) = &self.run.scheduler else {
            return;
        };
        let mut state = scheduler.state.lock();
        state.actors[self.index] = Status::Finished;
        if state.running == Some(self.index) || state.running.is_none() {
            if state.running == Some(self.index) {
                state.running = None;
            }
            state.epoch += 1;
            state.last_change = Instant::now();
            choose(&mut state, &self.run.actors);
        }
        wake(scheduler, &state);
    }
}

/// Wakes the actors that have something to do: the one whose turn it is, those that must re-check
/// whether their step can run, or everyone when the replay has stopped.
fn wake(scheduler: &Scheduler, state: &State) {
    for (index, status) in state.actors.iter().enumerate() {
        let concerned = state.stopped.is_some()
            || state.running == Some(index)
            || (state.running.is_none()
                && matches!(status, Status::Waiting { always_ready: false, posted, .. }
                    if posted.map(|(seen, _)| seen) != Some(state.epoch)));
        if concerned {
            scheduler.wakeups[index].notify_one();
        }
    }
}

/// Picks who takes the next turn, once every actor has arrived and said whether it can run.
fn choose(state: &mut State, names: &[String]) {
    if state.running.is_some() || state.stopped.is_some() {
        return;
    }
    let mut ready = Vec::new();
    let mut blocked = Vec::new();
    for (index, status) in state.actors.iter().enumerate() {
        match status {
            Status::NotArrived | Status::Running => return,
            Status::Waiting {
                always_ready: true, ..
            } => ready.push(index),
            Status::Waiting { posted: None, .. } => return,
            Status::Waiting {
                posted: Some((epoch, _)),
                ..
            } if *epoch != state.epoch => return,
            Status::Waiting {
                posted: Some((_, true)),
                ..
            } => ready.push(index),
            Status::Waiting { label, .. } => blocked.push((names[index].clone(), label.clone())),
            Status::Finished => {}
        }
    }
    if ready.is_empty() {
        if !blocked.is_empty() {
            state.stopped = Some(Outcome::Deadlock(blocked));
        }
        return;
    }
    let step = state.rows.len() + 1;
    if ready.len() == 1 {
        // Only one thread can run: nothing to choose, and no seed draw or schedule digit is used.
        let pick = ready[0];
        state.ready_at_choice = ready;
        state.running = Some(pick);
        state.actors[pick] = Status::Running;
        return;
    }
    let pick = match &mut state.chooser {
        Chooser::Seeded(generator) => ready[generator.next_u32() as usize % ready.len()],
        Chooser::Schedule {
            steps,
            next,
            ran_out,
        } => {
            if let Some(&wanted) = steps.get(*next) {
                *next += 1;
                if wanted >= names.len() {
                    state.stopped = Some(Outcome::BadSchedule(format!(
                        "step {step}: --schedule names thread {wanted}, but the threads are {}",
                        numbered(names)
                    )));
                    return;
                }
                if !ready.contains(&wanted) {
                    let why = match &state.actors[wanted] {
                        Status::Finished => "it has finished".to_string(),
                        Status::Waiting { label, .. } => {
                            format!("it is blocked (waiting to {label})")
                        }
                        _ => "it cannot run".to_string(),
                    };
                    state.stopped = Some(Outcome::BadSchedule(format!(
                        "step {step}: --schedule names thread {wanted} ({}), but {why}; ready: {}",
                        names[wanted],
                        ready
                            .iter()
                            .map(|index| index.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                    return;
                }
                wanted
            } else {
                *ran_out = true;
                ready[0]
            }
        }
    };
    state.taken.push_str(&pick.to_string());
    state.ready_at_choice = ready;
    state.running = Some(pick);
    state.actors[pick] = Status::Running;
}

fn numbered(names: &[String]) -> String {
    names
        .iter()
        .enumerate()
        .map(|(index, name)| format!("{index} ({name})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn report_stall(state: &State, names: &[String]) -> ! {
    let mut who = Vec::new();
    for (index, status) in state.actors.iter().enumerate() {
        let name = &names[index];
        match status {
            Status::NotArrived if !state.claimed[index] => {
                who.push(format!("{name} never started (no thread claimed it)"))
            }
            Status::NotArrived => who.push(format!("{name} has not reached its first step")),
            Status::Running => who.push(format!(
                "{name} is running but has not reached its next step"
            )),
            _ => {}
        }
    }
    eprintln!(
        "error: the replay made no progress for {} s: {}. A thread is probably blocked on \
         something the replay cannot see (a lock, channel or join outside a step).",
        STALL_TIMEOUT.as_secs(),
        who.join("; ")
    );
    std::process::exit(STALLED_EXIT);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::thread;

    /// Two threads each doing a split load/store three times; returns the table and final value.
    fn lost_updates(run: Run) -> (Report, u64) {
        let counter = AtomicU64::new(0);
        thread::scope(|scope| {
            for name in ["a", "b"] {
                let (run, counter) = (&run, &counter);
                scope.spawn(move || {
                    run.actor(name, |me| {
                        for _ in 0..3 {
                            let seen = me.step("load", || counter.load(Ordering::Relaxed));
                            me.step("store", || {
                                counter.store(seen + 1, Ordering::Relaxed);
                                seen + 1
                            });
                        }
                    })
                });
            }
        });
        (run.finish_quietly(), counter.load(Ordering::Relaxed))
    }

    #[test]
    fn same_seed_same_trace() {
        for seed in 0..20 {
            let (first, value) = lost_updates(Run::seeded(seed, &["a", "b"]));
            let (second, again) = lost_updates(Run::seeded(seed, &["a", "b"]));
            assert_eq!(first.table(), second.table());
            assert_eq!(value, again);
            assert_eq!(first.rows.len(), 12);
            assert_eq!(first.outcome, Outcome::Finished);
        }
    }

    #[test]
    fn seeds_explore_different_interleavings() {
        let finals: std::collections::BTreeSet<u64> = (0..40)
            .map(|seed| lost_updates(Run::seeded(seed, &["a", "b"])).1)
            .collect();
        assert!(
            finals.len() > 1,
            "40 seeds all gave the same final count: {finals:?}"
        );
        assert!(finals.iter().all(|&value| (2..=6).contains(&value)));
    }

    #[test]
    fn schedule_is_followed_then_lowest_ready() {
        let (report, value) = lost_updates(Run::scheduled(&[0, 1, 0, 1], &["a", "b"]));
        // a loads 0, b loads 0, a stores 1, b stores 1: one update lost.
        assert_eq!(&report.taken[..4], "0101");
        assert!(report.schedule_ran_out);
        assert_eq!(value, 5);
        // a's four remaining steps are choices (b is ready too); b's last four are not.
        assert_eq!(report.taken, "01010000");
        assert_eq!(report.rows.len(), 12);
    }

    #[test]
    fn schedule_naming_a_thread_that_cannot_run_is_an_error() {
        // Three threads; "a" finishes after 6 steps, then the schedule names it at a choice.
        let counter = AtomicU64::new(0);
        let run = Run::scheduled(&[0, 0, 0, 0, 0, 0, 0], &["a", "b", "c"]);
        thread::scope(|scope| {
            for name in ["a", "b", "c"] {
                let (run, counter) = (&run, &counter);
                scope.spawn(move || {
                    run.actor(name, |me| {
                        for _ in 0..6 {
                            me.step("add", || counter.fetch_add(1, Ordering::Relaxed));
                        }
                    })
                });
            }
        });
        match run.finish_quietly().outcome {
            Outcome::BadSchedule(message) => {
                assert!(
                    message.contains("step 7") && message.contains("finished"),
                    "{message}"
                )
            }
            other => panic!("expected a schedule error, got {other:?}"),
        }
        let (report, _) = lost_updates(Run::scheduled(&[5], &["a", "b"]));
        assert!(matches!(report.outcome, Outcome::BadSchedule(_)));
    }

    #[test]
    fn opposite_lock_order_deadlock_is_reported_not_hung() {
        let mut deadlocks = 0;
        for seed in 0..30 {
            let run = Run::seeded(seed, &["left", "right"]);
            let (first, second) = (parking_lot::Mutex::new(()), parking_lot::Mutex::new(()));
            thread::scope(|scope| {
                let (run, first, second) = (&run, &first, &second);
                scope.spawn(move || {
                    run.actor("left", |me| {
                        let _a = me.lock("lock A", first);
                        let _b = me.lock("lock B", second);
                    })
                });
                scope.spawn(move || {
                    run.actor("right", |me| {
                        let _b = me.lock("lock B", second);
                        let _a = me.lock("lock A", first);
                    })
                });
            });
            let report = run.finish_quietly();
            if let Outcome::Deadlock(blocked) = &report.outcome {
                deadlocks += 1;
                assert_eq!(blocked.len(), 2);
                assert!(report.outcome_line().contains("left waits to lock B"));
            }
            assert!(
                !first.is_locked() && !second.is_locked(),
                "guards are released"
            );
        }
        assert!(
            deadlocks > 0 && deadlocks < 30,
            "{deadlocks} of 30 seeds deadlocked"
        );
    }

    #[test]
    fn watch_adds_a_column() {
        let counter = Arc::new(AtomicU64::new(0));
        let run = Run::seeded(1, &["a", "b"]);
        let seen = Arc::clone(&counter);
        run.watch("counter", move || seen.load(Ordering::Relaxed).to_string());
        thread::scope(|scope| {
            for name in ["a", "b"] {
                let (run, counter) = (&run, &counter);
                scope.spawn(move || {
                    run.actor(name, |me| {
                        me.step("add", || counter.fetch_add(1, Ordering::Relaxed) + 1)
                    })
                });
            }
        });
        let report = run.finish_quietly();
        assert_eq!(
            report
                .rows
                .iter()
                .map(|row| row.watched[0].as_str())
                .collect::<Vec<_>>(),
            ["1", "2"]
        );
    }
}
