//! `Barrier`: `std::sync::Barrier`'s API, built (as std builds it) from a mutex and a condvar,
//! so that the watchdog can see who waits and a replay can make each arrival a turn.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crate::live::{self, WaitOn};
use crate::scheduler::{Pending, Until};
use crate::sync::{BARRIER, replaying};

struct Shared {
    /// (threads arrived in this round, round number)
    state: parking_lot::Mutex<(usize, u64)>,
    all_arrived: parking_lot::Condvar,
    /// The round number, readable without the mutex: moves when a round is complete.
    generation: Arc<AtomicU64>,
    name: OnceLock<String>,
}

/// A meeting point: `wait` returns only when `n` threads have called it.
pub struct Barrier {
    n: usize,
    shared: Arc<Shared>,
}

/// What [`Barrier::wait`] returns: one of the threads of each round is the leader.
#[derive(Debug, Clone, Copy)]
pub struct BarrierWaitResult(bool);

impl BarrierWaitResult {
    /// True for exactly one thread of each round (the last to arrive).
    pub fn is_leader(&self) -> bool {
        self.0
    }
}

impl Barrier {
    /// A barrier for `n` threads.
    pub fn new(n: usize) -> Barrier {
        Barrier {
            n,
            shared: Arc::new(Shared {
                state: parking_lot::Mutex::new((0, 0)),
                all_arrived: parking_lot::Condvar::new(),
                generation: Arc::new(AtomicU64::new(0)),
                name: OnceLock::new(),
            }),
        }
    }

    /// Gives the barrier the name the trace and deadlock reports show it by.
    pub fn named(self, name: &str) -> Barrier {
        let _ = self.shared.name.set(name.to_string());
        self
    }

    /// Waits until `n` threads have arrived.
    pub fn wait(&self) -> BarrierWaitResult {
        if let Some((scheduler, me)) = replaying() {
            let name = scheduler.object_name(
                Arc::as_ptr(&self.shared) as *const () as usize,
                self.shared.name.get().map(String::as_str),
                BARRIER,
            );
            scheduler.turn(me, Pending::now(format!("arrive at {name}")));
            let (arrived, round, leader) = self.arrive();
            scheduler.record(
                me,
                format!("arrive at {name} ({arrived} of {})", self.n),
                None,
            );
            if leader {
                return BarrierWaitResult(true);
            }
            let mut pending = Pending::until(
                Until::Moved(self.shared.generation.clone(), round),
                format!("pass {name} ({arrived} of {} arrived)", self.n),
            );
            pending.arrival = Some(format!("waits at {name}"));
            scheduler.turn(me, pending);
            scheduler.record(me, format!("pass {name}"), None);
            return BarrierWaitResult(false);
        }
        let (_, round, leader) = self.arrive();
        if leader {
            return BarrierWaitResult(true);
        }
        let shared = self.shared.clone();
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            shared.all_arrived.notify_all();
        });
        let name = self.shared.name.get().map_or("a barrier", String::as_str);
        let _waiting = live::wait(
            || format!("pass {name}"),
            WaitOn::Object {
                version: self.shared.generation.clone(),
                seen: round,
                wake: Some(wake),
            },
        );
        let mut state = self.shared.state.lock();
        while state.1 == round {
            if live::cancelled() {
                drop(state);
                live::stop_if_cancelled();
                return BarrierWaitResult(false);
            }
            self.shared.all_arrived.wait(&mut state);
        }
        BarrierWaitResult(false)
    }

    /// Counts this thread in; the last of a round starts the next round and wakes the others.
    fn arrive(&self) -> (usize, u64, bool) {
        let mut state = self.shared.state.lock();
        let round = state.1;
        state.0 += 1;
        let arrived = state.0;
        if arrived >= self.n {
            state.0 = 0;
            state.1 += 1;
            self.shared.generation.store(state.1, Ordering::SeqCst);
            self.shared.all_arrived.notify_all();
            return (arrived, round, true);
        }
        (arrived, round, false)
    }
}

impl std::fmt::Debug for Barrier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Barrier {{ n: {} }}", self.n)
    }
}
