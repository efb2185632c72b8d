//! The replay scheduler behind the drop-in types in [`crate::thread`] and [`crate::sync`].
//!
//! In a replay every thread of the program is a real OS thread, but only one of them runs at a
//! time. Each operation on a shared object (lock, load, send, sleep, join, ...) first asks for a
//! *turn*: the thread says what it is about to do and on what (a `Pending`), then waits until the
//! scheduler picks it. Whether a thread *can* go is read from the object's own state (the lock's
//! holder, the channel's length, the barrier's generation, the joined thread's status), never from
//! a test the lesson writes. When more than one thread can go, that is a *choice*: a ChaCha8
//! generator (`--seed`), the next digit of `--schedule`, or the explorer decides.
//!
//! Time is virtual: `sleep(d)` waits until the clock reaches now + d, and when nobody can run the
//! clock jumps to the earliest wake-up. When nobody can run and nobody sleeps, that is a deadlock:
//! it is reported at once and every thread is stopped (it unwinds quietly, dropping its guards).
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::panic;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex, MutexGuard};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::objects::{ChannelMeta, LockMeta, thread_key};

/// How long a replay may go without any turn before it is declared stuck.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(5);

/// Test knob, off by default: whole seconds (1 to 5) that replace [`STALL_TIMEOUT`] in this
/// process, so a test can pause a replay past the timer without waiting 5 s. Any other value,
/// or none, leaves the 5 s.
pub const STALL_TIMEOUT_VAR: &str = "WORKBOOK_STALL_TIMEOUT_SECS";

/// The stall timer in force: [`STALL_TIMEOUT`], or a shorter one from [`STALL_TIMEOUT_VAR`].
pub fn stall_timeout() -> Duration {
    static TIMEOUT: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *TIMEOUT.get_or_init(|| stall_timeout_from(std::env::var(STALL_TIMEOUT_VAR).ok().as_deref()))
}

/// [`stall_timeout`] for a given value of [`STALL_TIMEOUT_VAR`].
fn stall_timeout_from(value: Option<&str>) -> Duration {
    value
        .and_then(|text| text.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .filter(|timeout| !timeout.is_zero() && *timeout <= STALL_TIMEOUT)
        .unwrap_or(STALL_TIMEOUT)
}

/// Exit status of a program whose replay got stuck on something the scheduler cannot see
/// (a `std` lock, stdin, ...).
pub const STALLED_EXIT: i32 = 3;

/// The payload a stopped thread unwinds with: never shown, never a panic message.
pub(crate) struct Stopped;

/// Number of replays under way in this process: zero means every type takes its live path
/// without looking at thread-local state.
static REPLAYS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static CURRENT: RefCell<Option<(Arc<Scheduler>, usize)>> = const { RefCell::new(None) };
}

/// The scheduler of the replay this thread belongs to, and its column, if any.
#[inline]
pub(crate) fn current() -> Option<(Arc<Scheduler>, usize)> {
    if REPLAYS.load(Ordering::Relaxed) == 0 {
        return None;
    }
    CURRENT.with(|current| current.borrow().clone())
}

pub(crate) fn set_current(value: Option<(Arc<Scheduler>, usize)>) {
    CURRENT.with(|current| *current.borrow_mut() = value);
}

/// True when values are to be hidden in this thread's replay (`--predict`).
pub(crate) fn predicting() -> bool {
    current().is_some_and(|(scheduler, _)| scheduler.predict)
}

/// What a thread waits for before its operation can go.
#[derive(Clone)]
pub(crate) enum Until {
    /// Nothing: it can go at once.
    Now,
    /// The lock is free (no holder, no readers).
    LockFree(Arc<LockMeta>),
    /// No writer holds the read-write lock.
    NoWriter(Arc<LockMeta>),
    /// The flag is set (a condvar waiter's "you were notified").
    Flag(Arc<AtomicBool>),
    /// The channel has a message or no sender is left.
    CanReceive(Arc<ChannelMeta>),
    /// The channel has room or no receiver is left.
    CanSend(Arc<ChannelMeta>),
    /// One of the channels has a message or has lost its last sender.
    AnyCanReceive(Vec<Arc<ChannelMeta>>),
    /// The counter has moved past the value (a barrier's generation).
    Moved(Arc<AtomicU64>, u64),
    /// The thread in that column has finished.
    Finished(usize),
    /// The virtual clock has reached this time.
    Clock(Duration),
}

/// The operation a thread is about to do.
pub(crate) struct Pending {
    /// What it waits for.
    pub until: Until,
    /// After this virtual time it goes anyway, timed out (`try_lock_for`, `recv_timeout`, ...).
    pub deadline: Option<Duration>,
    /// It must also find this lock free (a condvar waiter takes its mutex back).
    pub relock: Option<Arc<LockMeta>>,
    /// How to say that it waits, e.g. `lock B`: shown when it cannot go at once and in a deadlock.
    pub what: String,
    /// A row to print in its column when it cannot go at once (`sleep 200 ms`), if any.
    pub arrival: Option<String>,
}

impl Pending {
    /// An operation that can always go.
    pub fn now(what: impl Into<String>) -> Pending {
        Pending {
            until: Until::Now,
            deadline: None,
            relock: None,
            what: what.into(),
            arrival: None,
        }
    }

    /// An operation that waits for `until`.
    pub fn until(until: Until, what: impl Into<String>) -> Pending {
        Pending {
            until,
            ..Pending::now(what)
        }
    }
}

/// How a turn was granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Granted {
    /// What it waited for holds.
    Ready,
    /// Its deadline passed first.
    TimedOut,
    /// The replay is over (stopped or ended): do the operation for real, record nothing.
    Free,
}

/// One row of a replay's trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// The column (thread) of the row.
    pub thread: usize,
    /// Virtual time of the row.
    pub time: Duration,
    /// Threads that could have taken this turn; empty for rows that are not turns.
    pub ready: Vec<usize>,
    /// Threads that were waiting (blocked or asleep) at this turn.
    pub waiting: Vec<usize>,
    /// What the thread did, e.g. `load` or `lock A`.
    pub action: String,
    /// The value it saw or produced, hidden by `--predict`.
    pub value: Option<String>,
}

/// How the choices are made.
pub(crate) enum Chooser {
    Seeded(Box<ChaCha8Rng>),
    Schedule {
        digits: Vec<usize>,
        next: usize,
        ran_out: bool,
    },
    /// The explorer: follow `prefix` (option numbers), then option 0 (keep the running thread
    /// when it can go, otherwise the lowest-numbered ready thread). Records every choice.
    Explore {
        prefix: Vec<usize>,
        made: Vec<ExploreChoice>,
    },
    /// `--interactive`: follow `digits`, then stop the replay at the next choice, noting in
    /// `asked` each ready thread (column, name, what it is about to do) for the room to pick.
    /// With `then_keep`, go on instead without interruptions: the thread that ran last goes on
    /// while it can, otherwise the lowest-numbered ready thread.
    Pause {
        digits: Vec<usize>,
        next: usize,
        asked: Option<Vec<(usize, String, String)>>,
        then_keep: bool,
    },
}

/// The message of the stop at which a [`Chooser::Pause`] hands the choice to the room.
pub(crate) const PAUSED: &str = "paused at a choice for --interactive";

impl Chooser {
    pub fn seeded(seed: u64) -> Chooser {
        Chooser::Seeded(Box::new(ChaCha8Rng::seed_from_u64(seed)))
    }

    pub fn schedule(digits: &[usize]) -> Chooser {
        Chooser::Schedule {
            digits: digits.to_vec(),
            next: 0,
            ran_out: false,
        }
    }

    pub fn explore(prefix: Vec<usize>) -> Chooser {
        Chooser::Explore {
            prefix,
            made: Vec::new(),
        }
    }

    pub fn pause(digits: &[usize], then_keep: bool) -> Chooser {
        Chooser::Pause {
            digits: digits.to_vec(),
            next: 0,
            asked: None,
            then_keep,
        }
    }
}

/// One choice the explorer made: how many options it had, which it took, and whether taking a
/// non-zero option preempts a thread that could have gone on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ExploreChoice {
    pub options: usize,
    pub taken: usize,
    /// The thread that ran last could go on (it is option 0): any other option preempts it.
    pub keeps: bool,
}

impl ExploreChoice {
    pub fn preemptive(&self) -> bool {
        self.keeps && self.taken > 0
    }
}

/// How a replay ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Every thread finished.
    Finished,
    /// Main returned while these threads were still running; each is cut off where it stood
    /// (name, what it was about to do).
    CutOff(Vec<(String, String)>),
    /// Nobody could run: (name, what it waited for).
    Deadlock(Vec<(String, String)>),
    /// The `--schedule` named a thread that could not go.
    BadSchedule(String),
    /// A thread panicked outside any `join` (main itself): the message.
    Panicked(String),
    /// Live: the watchdog found a deadlock and stopped the waiting threads: its report.
    Watchdog(String),
}

/// What [`Scheduler::end`] hands back.
pub(crate) struct Ended {
    pub ending: Ending,
    pub rows: Vec<Row>,
    pub taken: String,
    pub names: Vec<String>,
    pub slept: bool,
}

pub(crate) struct Scheduler {
    state: Mutex<State>,
    /// Threads that still have an OS thread (have not returned from their wrapper).
    alive: Mutex<usize>,
    all_gone: Condvar,
    pub predict: bool,
}

struct Slot {
    name: String,
    key: u64,
    pending: Option<Pending>,
    finished: bool,
    wakeup: Arc<Condvar>,
}

struct State {
    slots: Vec<Slot>,
    running: usize,
    clock: Duration,
    slept: bool,
    chooser: Chooser,
    rows: Vec<Row>,
    taken: String,
    choice_ready: Vec<usize>,
    choice_waiting: Vec<usize>,
    stop: Option<Ending>,
    return_to: Option<usize>,
    turns: u64,
    names: Vec<(usize, String)>,
    counters: [usize; 6],
}

impl Scheduler {
    /// A replay whose main thread is the calling thread (column 0, `main`).
    pub fn start(chooser: Chooser, predict: bool) -> Arc<Scheduler> {
        let scheduler = Arc::new(Scheduler {
            state: Mutex::new(State {
                slots: vec![Slot {
                    name: "main".to_string(),
                    key: thread_key(),
                    pending: None,
                    finished: false,
                    wakeup: Arc::new(Condvar::new()),
                }],
                running: 0,
                clock: Duration::ZERO,
                slept: false,
                chooser,
                rows: Vec::new(),
                taken: String::new(),
                choice_ready: vec![0],
                choice_waiting: Vec::new(),
                stop: None,
                return_to: None,
                turns: 0,
                names: Vec::new(),
                counters: [0; 6],
            }),
            alive: Mutex::new(0),
            all_gone: Condvar::new(),
            predict,
        });
        REPLAYS.fetch_add(1, Ordering::SeqCst);
        set_current(Some((scheduler.clone(), 0)));
        scheduler
    }

    /// The name of an object, given by `.named(..)` or made up in order of first appearance.
    pub fn object_name(&self, address: usize, given: Option<&str>, kind: usize) -> String {
        if let Some(name) = given {
            return name.to_string();
        }
        let mut state = self.state.lock();
        if let Some((_, name)) = state.names.iter().find(|(at, _)| *at == address) {
            return name.clone();
        }
        const KINDS: [&str; 6] = ["mutex", "condvar", "atomic", "channel", "barrier", "rwlock"];
        state.counters[kind] += 1;
        let name = format!("{}{}", KINDS[kind], state.counters[kind]);
        state.names.push((address, name.clone()));
        name
    }

    /// Name of the thread in a column.
    pub fn thread_name(&self, column: usize) -> String {
        self.state.lock().slots[column].name.clone()
    }

    /// Name of the thread holding a lock, by its key.
    pub fn holder_name(&self, key: u64) -> Option<String> {
        let state = self.state.lock();
        state
            .slots
            .iter()
            .find(|slot| slot.key == key && key != 0)
            .map(|slot| slot.name.clone())
    }

    /// The current virtual time.
    pub fn clock(&self) -> Duration {
        self.state.lock().clock
    }

    /// Adds a thread (spawned by the running thread) and returns its column. It runs only when
    /// the spawner hands it the turn ([`Scheduler::hand_to_new`]).
    pub fn add_thread(&self, name: Option<&str>) -> usize {
        let mut state = self.state.lock();
        let column = state.slots.len();
        let name = name.map_or_else(|| format!("thread{column}"), str::to_string);
        state.slots.push(Slot {
            name,
            key: 0,
            pending: None,
            finished: false,
            wakeup: Arc::new(Condvar::new()),
        });
        *self.alive.lock() += 1;
        column
    }

    /// Called by a new thread before it runs anything: waits for its first turn.
    pub fn begin_thread(self: &Arc<Self>, me: usize) {
        set_current(Some((self.clone(), me)));
        let mut state = self.state.lock();
        state.slots[me].key = thread_key();
        self.wait_for_turn(&mut state, me);
        if state.stop.is_some() {
            drop(state);
            panic::resume_unwind(Box::new(Stopped));
        }
    }

    /// The spawner gives the new thread the turn at once, so that it runs up to its first
    /// operation (code that touches nothing shared); then the schedule goes on from there.
    pub fn hand_to_new(&self, spawner: usize, new: usize) {
        let mut state = self.state.lock();
        if state.stop.is_some() {
            return;
        }
        state.slots[new].pending = None;
        state.return_to = Some(spawner);
        state.running = new;
        state.slots[new].wakeup.notify_one();
        // The spawner now waits like any other thread; the new thread's first turn decides.
        self.wait_for_turn(&mut state, spawner);
        let stopped = state.stop.is_some();
        drop(state);
        if stopped && !std::thread::panicking() {
            panic::resume_unwind(Box::new(Stopped));
        }
    }

    /// Asks for a turn to do `pending`. Returns when this thread is picked; unwinds with
    /// [`Stopped`] when the replay is stopped meanwhile (deadlock, bad schedule, main returned).
    pub fn turn(&self, me: usize, pending: Pending) -> Granted {
        let mut state = self.state.lock();
        if state.stop.is_some() {
            return self.stopped(state);
        }
        if !self.can_go(&state, me, &pending) {
            if let Some(arrival) = &pending.arrival {
                let row = Row {
                    thread: me,
                    time: state.clock,
                    ready: Vec::new(),
                    waiting: Vec::new(),
                    action: arrival.clone(),
                    value: None,
                };
                state.rows.push(row);
            }
        }
        state.slots[me].pending = Some(pending);
        if let Some(spawner) = state.return_to.take() {
            // A new thread has run up to its first operation: back to the thread that spawned it.
            state.running = spawner;
            state.slots[spawner].wakeup.notify_one();
            self.wait_for_turn(&mut state, me);
        } else {
            self.schedule(&mut state, me);
        }
        if state.stop.is_some() {
            return self.stopped(state);
        }
        let pending = state.slots[me]
            .pending
            .take()
            .expect("a granted thread has its operation");
        let ready = self.ready(&state, me, &pending);
        if ready {
            Granted::Ready
        } else {
            Granted::TimedOut
        }
    }

    fn stopped(&self, state: MutexGuard<'_, State>) -> Granted {
        drop(state);
        if std::thread::panicking() {
            Granted::Free
        } else {
            panic::resume_unwind(Box::new(Stopped))
        }
    }

    /// Records a row in this thread's column, for the turn it was just granted or for something
    /// it does without a turn (an unlock, a line of its own).
    pub fn record(&self, me: usize, action: impl Into<String>, value: Option<String>) {
        let mut state = self.state.lock();
        if state.stop.is_some() {
            return;
        }
        let (ready, waiting) = if state.running == me && !state.choice_ready.is_empty() {
            (
                std::mem::take(&mut state.choice_ready),
                std::mem::take(&mut state.choice_waiting),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        let row = Row {
            thread: me,
            time: state.clock,
            ready,
            waiting,
            action: action.into(),
            value,
        };
        state.rows.push(row);
    }

    /// The thread in column `me` has ended (returned or panicked): the next one goes.
    pub fn finish(&self, me: usize) {
        let mut state = self.state.lock();
        state.slots[me].finished = true;
        state.slots[me].pending = None;
        if state.stop.is_some() || me == 0 {
            return;
        }
        if let Some(spawner) = state.return_to.take() {
            state.running = spawner;
            state.slots[spawner].wakeup.notify_one();
        } else {
            self.pick_and_hand_over(&mut state, me);
        }
    }

    /// The OS thread of a spawned thread is about to return.
    pub fn exited(&self) {
        let mut alive = self.alive.lock();
        *alive -= 1;
        if *alive == 0 {
            self.all_gone.notify_all();
        }
    }

    /// Main has returned (or unwound): cuts off the threads still running, waits until every OS
    /// thread of the replay has ended, and returns the trace and how it ended.
    pub fn end(&self, main_panic: Option<String>) -> Ended {
        let mut state = self.state.lock();
        state.slots[0].finished = true;
        let ending = match state.stop.take() {
            Some(ending) => ending,
            None => {
                let running: Vec<(String, String)> = state
                    .slots
                    .iter()
                    .filter(|slot| !slot.finished)
                    .map(|slot| {
                        let what = slot
                            .pending
                            .as_ref()
                            .map_or_else(|| "run".to_string(), |pending| pending.what.clone());
                        (slot.name.clone(), what)
                    })
                    .collect();
                match main_panic {
                    Some(message) => Ending::Panicked(message),
                    None if running.is_empty() => Ending::Finished,
                    None => Ending::CutOff(running),
                }
            }
        };
        // Whatever is still there is stopped: it unwinds without taking turns.
        state.stop = Some(ending.clone());
        for slot in &state.slots {
            slot.wakeup.notify_all();
        }
        let ended = Ended {
            ending: ending.clone(),
            rows: std::mem::take(&mut state.rows),
            taken: std::mem::take(&mut state.taken),
            names: state.slots.iter().map(|slot| slot.name.clone()).collect(),
            slept: state.slept,
        };
        drop(state);
        let mut alive = self.alive.lock();
        let give_up = Instant::now() + Duration::from_secs(2);
        while *alive > 0 {
            if self.all_gone.wait_until(&mut alive, give_up).timed_out() {
                break; // a stopped thread is stuck outside the toolkit; leave it behind
            }
        }
        drop(alive);
        set_current(None);
        REPLAYS.fetch_sub(1, Ordering::SeqCst);
        ended
    }

    /// A thread whose OS thread could not be created: it never runs.
    pub fn finish_unstarted(&self, column: usize) {
        self.state.lock().slots[column].finished = true;
        self.exited();
    }

    /// The explorer's record of the choices made, and whether a given schedule ran out / how many
    /// digits it left.
    pub fn chooser_report(&self) -> (Vec<ExploreChoice>, bool, usize) {
        let state = self.state.lock();
        match &state.chooser {
            Chooser::Explore { made, .. } => (made.clone(), false, 0),
            Chooser::Schedule {
                digits,
                next,
                ran_out,
            } => (Vec::new(), *ran_out, digits.len().saturating_sub(*next)),
            Chooser::Seeded(_) | Chooser::Pause { .. } => (Vec::new(), false, 0),
        }
    }

    /// Where a [`Chooser::Pause`] stopped: the ready threads (column, name, what each is about
    /// to do), or `None` when the replay did not stop at a choice.
    pub fn asked(&self) -> Option<Vec<(usize, String, String)>> {
        match &self.state.lock().chooser {
            Chooser::Pause { asked, .. } => asked.clone(),
            _ => None,
        }
    }

    fn can_go(&self, state: &State, column: usize, pending: &Pending) -> bool {
        let ready = self.ready(state, column, pending);
        let timed_out = pending
            .deadline
            .is_some_and(|deadline| state.clock >= deadline);
        let relocked = pending.relock.as_ref().is_none_or(|lock| lock.is_free());
        (ready || timed_out) && relocked
    }

    /// Whether what the thread in `column` waits for holds.
    fn ready(&self, state: &State, column: usize, pending: &Pending) -> bool {
        match &pending.until {
            Until::Now => true,
            // A lock a fair unlock handed to this thread is free for it alone.
            Until::LockFree(lock) => lock.is_free_for(state.slots[column].key),
            Until::NoWriter(lock) => lock.holder() == 0,
            Until::Flag(flag) => flag.load(Ordering::SeqCst),
            Until::CanReceive(channel) => channel.can_receive(),
            Until::CanSend(channel) => channel.can_send(),
            Until::AnyCanReceive(channels) => channels.iter().any(|channel| channel.can_receive()),
            Until::Moved(counter, seen) => counter.load(Ordering::SeqCst) != *seen,
            Until::Finished(column) => state.slots[*column].finished,
            Until::Clock(time) => state.clock >= *time,
        }
    }

    /// The earliest virtual time at which a waiting thread wakes, if any.
    fn next_wakeup(&self, state: &State) -> Option<Duration> {
        state
            .slots
            .iter()
            .filter_map(|slot| slot.pending.as_ref())
            .flat_map(|pending| {
                let sleep = match pending.until {
                    Until::Clock(time) => Some(time),
                    _ => None,
                };
                [sleep, pending.deadline]
            })
            .flatten()
            .filter(|&time| time > state.clock)
            .min()
    }

    /// Picks who goes next (`me` has just posted its operation) and waits until it is `me`.
    fn schedule(&self, state: &mut MutexGuard<'_, State>, me: usize) {
        self.pick_and_hand_over(state, me);
        if state.stop.is_none() && state.running != me {
            self.wait_for_turn(state, me);
        }
    }

    /// Picks the next thread and wakes it, or stops the replay when nobody can go.
    fn pick_and_hand_over(&self, state: &mut MutexGuard<'_, State>, previous: usize) {
        loop {
            let ready: Vec<usize> = (0..state.slots.len())
                .filter(|&column| {
                    state.slots[column]
                        .pending
                        .as_ref()
                        .is_some_and(|pending| self.can_go(state, column, pending))
                })
                .collect();
            if ready.is_empty() {
                if let Some(time) = self.next_wakeup(state) {
                    state.clock = time;
                    state.slept = true;
                    continue;
                }
                self.stop_all(state, self.deadlock(state));
                return;
            }
            let waiting: Vec<usize> = (0..state.slots.len())
                .filter(|column| {
                    !state.slots[*column].finished
                        && state.slots[*column].pending.is_some()
                        && !ready.contains(column)
                })
                .collect();
            let chosen = if ready.len() == 1 {
                ready[0]
            } else {
                match self.choose(state, &ready, previous) {
                    Ok(chosen) => chosen,
                    Err(message) => {
                        self.stop_all(state, Ending::BadSchedule(message));
                        return;
                    }
                }
            };
            state.choice_ready = ready;
            state.choice_waiting = waiting;
            state.turns += 1;
            state.running = chosen;
            if chosen != previous {
                state.slots[chosen].wakeup.notify_one();
            }
            return;
        }
    }

    fn choose(
        &self,
        state: &mut MutexGuard<'_, State>,
        ready: &[usize],
        previous: usize,
    ) -> Result<usize, String> {
        let chosen = match &mut state.chooser {
            Chooser::Seeded(generator) => ready[generator.next_u32() as usize % ready.len()],
            Chooser::Schedule {
                digits,
                next,
                ran_out,
            } => match digits.get(*next) {
                Some(&digit) => {
                    *next += 1;
                    if !ready.contains(&digit) {
                        let choice = *next;
                        return Err(not_ready(state, ready, digit, choice));
                    }
                    digit
                }
                None => {
                    *ran_out = true;
                    ready[0]
                }
            },
            Chooser::Pause {
                digits,
                next,
                then_keep: true,
                ..
            } if *next >= digits.len() => {
                if ready.contains(&previous) {
                    previous
                } else {
                    ready[0]
                }
            }
            Chooser::Pause { digits, next, .. } => match digits.get(*next) {
                Some(&digit) => {
                    *next += 1;
                    if !ready.contains(&digit) {
                        let choice = *next;
                        return Err(not_ready(state, ready, digit, choice));
                    }
                    digit
                }
                None => {
                    let options = ready
                        .iter()
                        .map(|&column| {
                            let slot = &state.slots[column];
                            let what = slot.pending.as_ref().map_or("", |p| p.what.as_str());
                            (column, slot.name.clone(), what.to_string())
                        })
                        .collect();
                    if let Chooser::Pause { asked, .. } = &mut state.chooser {
                        *asked = Some(options);
                    }
                    return Err(PAUSED.to_string());
                }
            },
            Chooser::Explore { prefix, made } => {
                // Option 0 keeps the thread that ran last when it can go on; the others follow
                // in column order. Taking any other option while it could go on preempts it.
                let mut options: Vec<usize> = Vec::with_capacity(ready.len());
                let keeps = ready.contains(&previous);
                if keeps {
                    options.push(previous);
                }
                options.extend(ready.iter().copied().filter(|&column| column != previous));
                let taken = prefix.get(made.len()).copied().unwrap_or(0);
                if taken >= options.len() {
                    return Err(format!(
                        "the program did not repeat itself: choice {} had {} options the first \
                         time and {} now (does it read the clock, a random number or the \
                         environment?)",
                        made.len() + 1,
                        taken + 1,
                        options.len()
                    ));
                }
                made.push(ExploreChoice {
                    options: options.len(),
                    taken,
                    keeps,
                });
                options[taken]
            }
        };
        if chosen < 10 {
            state.taken.push(char::from(b'0' + chosen as u8));
        } else {
            state.taken.push('*');
        }
        Ok(chosen)
    }

    fn deadlock(&self, state: &State) -> Ending {
        let stuck: Vec<(String, String)> = state
            .slots
            .iter()
            .filter(|slot| !slot.finished)
            .filter_map(|slot| {
                let pending = slot.pending.as_ref()?;
                let mut what = pending.what.clone();
                let lock = match &pending.until {
                    Until::LockFree(lock) | Until::NoWriter(lock) => Some(lock),
                    _ => pending.relock.as_ref(),
                };
                if let Some(holder) = lock.map(|lock| lock.holder()).filter(|&key| key != 0) {
                    if let Some(owner) = state.slots.iter().find(|slot| slot.key == holder) {
                        what.push_str(&format!(", held by {}", owner.name));
                    }
                }
                Some((slot.name.clone(), what))
            })
            .collect();
        Ending::Deadlock(stuck)
    }

    fn stop_all(&self, state: &mut MutexGuard<'_, State>, ending: Ending) {
        state.stop = Some(ending);
        for slot in &state.slots {
            slot.wakeup.notify_all();
        }
    }

    /// Waits until `me` has the turn or the replay stops. A replay in which the running thread
    /// makes no turn for [`stall_timeout`] (counting only time this process was running) is
    /// stuck on something the scheduler cannot see: say so and exit.
    fn wait_for_turn(&self, state: &mut MutexGuard<'_, State>, me: usize) {
        let wakeup = state.slots[me].wakeup.clone();
        let mut seen = state.turns;
        let mut stalled = Duration::ZERO;
        let mut last = Instant::now();
        while state.running != me && state.stop.is_none() {
            let _ = wakeup.wait_for(state, Duration::from_millis(100));
            let now = Instant::now();
            let gap = now - last;
            last = now;
            if state.turns != seen {
                seen = state.turns;
                stalled = Duration::ZERO;
            } else if gap < Duration::from_millis(500) {
                // A longer gap means this process was paused (Ctrl-Z) or starved: not a stall.
                stalled += gap;
            }
            if stalled >= stall_timeout() && me == lowest_waiting(state) {
                let running = &state.slots[state.running].name;
                eprintln!(
                    "replay stuck: {running} has had the turn for {} s without reaching an \
                     operation the scheduler can see. Is it blocked on something that is not a \
                     workbook type (a std lock, stdin, a network call)?",
                    stall_timeout().as_secs()
                );
                crate::cleanup::exit(STALLED_EXIT);
            }
        }
    }
}

/// Why the choice number `choice` of a schedule, `digit`, cannot go: the threads that could.
fn not_ready(state: &State, ready: &[usize], digit: usize, choice: usize) -> String {
    let names: Vec<String> = ready
        .iter()
        .map(|&column| format!("{column} ({})", state.slots[column].name))
        .collect();
    let why = match state.slots.get(digit) {
        None => "there is no such thread".to_string(),
        Some(slot) if slot.finished => format!("{} has finished", slot.name),
        Some(slot) if slot.pending.is_none() => format!("{} has not started", slot.name),
        Some(slot) => format!(
            "{} is waiting to {}",
            slot.name,
            slot.pending.as_ref().map_or("", |p| p.what.as_str())
        ),
    };
    format!(
        "choice {choice} of --schedule is {digit}, but {why}; the threads that could go were {}",
        names.join(", ")
    )
}

/// The waiting thread with the lowest column reports a stall, so it is reported once.
fn lowest_waiting(state: &State) -> usize {
    (0..state.slots.len())
        .find(|&column| column != state.running && !state.slots[column].finished)
        .unwrap_or(0)
}

/// Formats a duration of virtual time for the trace: `0`, `150 ms`, `1.5 s`.
pub fn format_time(time: Duration) -> String {
    let millis = time.as_millis();
    if time.is_zero() {
        "0".to_string()
    } else if millis < 10_000 {
        if time.subsec_nanos() % 1_000_000 == 0 {
            format!("{millis} ms")
        } else {
            format!("{:.1} ms", time.as_secs_f64() * 1000.0)
        }
    } else {
        format!("{:.1} s", time.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stall_knob_only_shortens_the_timer() {
        assert_eq!(stall_timeout_from(None), STALL_TIMEOUT);
        assert_eq!(stall_timeout_from(Some("1")), Duration::from_secs(1));
        assert_eq!(stall_timeout_from(Some(" 3 ")), Duration::from_secs(3));
        for ignored in ["", "0", "6", "3600", "-1", "1.5", "soon"] {
            assert_eq!(
                stall_timeout_from(Some(ignored)),
                STALL_TIMEOUT,
                "{ignored:?}"
            );
        }
    }
}
