//! `Condvar`: parking_lot's, used with the drop-in [`Mutex`](super::Mutex).
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::live::{self, WaitOn};
use crate::objects::thread_key;
use crate::scheduler::{Granted, Pending, Scheduler, Until};
use crate::sync::{CONDVAR, MutexGuard, replaying};

struct Shared {
    inner: parking_lot::Condvar,
    name: OnceLock<String>,
    /// Moves on every notify: the watchdog's sign of progress.
    version: Arc<AtomicU64>,
    /// In a replay, the waiters in the order they began to wait: (column, "notified" flag).
    waiters: parking_lot::Mutex<VecDeque<(usize, Arc<AtomicBool>)>>,
}

/// A condition variable: wait until another thread changes the state behind a mutex and says so.
pub struct Condvar {
    shared: Arc<Shared>,
}

/// Whether [`Condvar::wait_for`] returned because its time ran out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WaitTimeoutResult(bool);

impl WaitTimeoutResult {
    /// True when the wait ended because the timeout elapsed.
    pub fn timed_out(&self) -> bool {
        self.0
    }
}

impl Default for Condvar {
    fn default() -> Condvar {
        Condvar::new()
    }
}

impl Condvar {
    /// A new condition variable.
    pub fn new() -> Condvar {
        Condvar {
            shared: Arc::new(Shared {
                inner: parking_lot::Condvar::new(),
                name: OnceLock::new(),
                version: Arc::new(AtomicU64::new(0)),
                waiters: parking_lot::Mutex::new(VecDeque::new()),
            }),
        }
    }

    /// Gives the condvar the name the trace and deadlock reports show it by.
    pub fn named(self, name: &str) -> Condvar {
        let _ = self.shared.name.set(name.to_string());
        self
    }

    fn name_in(&self, scheduler: &Scheduler) -> String {
        scheduler.object_name(
            Arc::as_ptr(&self.shared) as *const () as usize,
            self.shared.name.get().map(String::as_str),
            CONDVAR,
        )
    }

    /// Releases the guard's mutex and waits until notified, then takes the mutex back.
    pub fn wait<T: ?Sized>(&self, guard: &mut MutexGuard<'_, T>) {
        self.wait_until(guard, None);
    }

    /// Waits while `condition` holds for the guarded value (checked before each wait).
    pub fn wait_while<T: ?Sized, F>(&self, guard: &mut MutexGuard<'_, T>, mut condition: F)
    where
        F: FnMut(&mut T) -> bool,
    {
        while condition(&mut **guard) {
            self.wait(guard);
        }
    }

    /// Like [`Condvar::wait`], but gives up after `timeout` (virtual time in a replay).
    pub fn wait_for<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Duration,
    ) -> WaitTimeoutResult {
        WaitTimeoutResult(self.wait_until(guard, Some(timeout)))
    }

    /// Like [`Condvar::wait_while`], but gives up after `timeout`.
    pub fn wait_while_for<T: ?Sized, F>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        mut condition: F,
        timeout: Duration,
    ) -> WaitTimeoutResult
    where
        F: FnMut(&mut T) -> bool,
    {
        let started = Instant::now();
        let mut left = timeout;
        while condition(&mut **guard) {
            if self.wait_for(guard, left).timed_out() {
                return WaitTimeoutResult(condition(&mut **guard));
            }
            if replaying().is_none() {
                left = timeout.saturating_sub(started.elapsed());
            }
        }
        WaitTimeoutResult(false)
    }

    /// Returns true when it timed out.
    fn wait_until<T: ?Sized>(
        &self,
        guard: &mut MutexGuard<'_, T>,
        timeout: Option<Duration>,
    ) -> bool {
        if let Some((scheduler, me)) = replaying() {
            return self.wait_in_replay(&scheduler, me, guard, timeout);
        }
        let lock = guard.lock.meta.clone();
        let key = thread_key();
        let shared = self.shared.clone();
        let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            shared.inner.notify_all();
        });
        let name = self.shared.name.get().map_or("a condvar", String::as_str);
        // A wait with a timeout ends by itself: the watchdog need not know of it.
        let waiting = timeout.is_none().then(|| {
            live::wait(
                || format!("be notified on {name}"),
                WaitOn::Object {
                    version: self.shared.version.clone(),
                    seen: self.shared.version.load(Ordering::Relaxed),
                    wake: Some(wake),
                },
            )
        });
        live::stop_if_cancelled();
        lock.set_holder(0);
        let timed_out = match timeout {
            None => {
                self.shared.inner.wait(guard.inner_mut());
                false
            }
            Some(timeout) => self
                .shared
                .inner
                .wait_for(guard.inner_mut(), timeout)
                .timed_out(),
        };
        lock.set_holder(key);
        drop(waiting);
        live::stop_if_cancelled();
        timed_out
    }

    fn wait_in_replay<T: ?Sized>(
        &self,
        scheduler: &Scheduler,
        me: usize,
        guard: &mut MutexGuard<'_, T>,
        timeout: Option<Duration>,
    ) -> bool {
        let name = self.name_in(scheduler);
        let mutex = guard.lock.name_in(scheduler);
        let lock = guard.lock.meta.clone();
        scheduler.turn(me, Pending::now(format!("wait on {name}")));
        let notified = Arc::new(AtomicBool::new(false));
        self.shared.waiters.lock().push_back((me, notified.clone()));
        lock.set_holder(0);
        scheduler.record(me, format!("wait on {name} (unlock {mutex})"), None);
        let mut pending = Pending::until(
            Until::Flag(notified.clone()),
            format!("be notified on {name}"),
        );
        pending.relock = Some(lock.clone());
        if let Some(timeout) = timeout {
            pending.deadline = Some(scheduler.clock() + timeout);
        }
        let mut granted = Granted::Ready;
        parking_lot::MutexGuard::unlocked(guard.inner_mut(), || {
            granted = scheduler.turn(me, pending);
        });
        lock.set_holder(thread_key());
        let timed_out = granted == Granted::TimedOut && !notified.load(Ordering::SeqCst);
        if timed_out {
            self.shared
                .waiters
                .lock()
                .retain(|(_, flag)| !Arc::ptr_eq(flag, &notified));
            scheduler.record(me, format!("timed out on {name} (lock {mutex})"), None);
        } else {
            scheduler.record(me, format!("woken (lock {mutex})"), None);
        }
        timed_out
    }

    /// Wakes the thread that has waited longest, if any. Returns whether one was woken.
    pub fn notify_one(&self) -> bool {
        self.shared.version.fetch_add(1, Ordering::Relaxed);
        if let Some((scheduler, me)) = replaying() {
            return self.notify_in_replay(&scheduler, me, false) > 0;
        }
        self.shared.inner.notify_one()
    }

    /// Wakes every waiting thread. Returns how many were woken.
    pub fn notify_all(&self) -> usize {
        self.shared.version.fetch_add(1, Ordering::Relaxed);
        if let Some((scheduler, me)) = replaying() {
            return self.notify_in_replay(&scheduler, me, true);
        }
        self.shared.inner.notify_all()
    }

    fn notify_in_replay(&self, scheduler: &Scheduler, me: usize, all: bool) -> usize {
        let name = self.name_in(scheduler);
        let verb = if all { "notify_all" } else { "notify_one" };
        scheduler.turn(me, Pending::now(format!("{verb} {name}")));
        let mut waiters = self.shared.waiters.lock();
        let woken: Vec<(usize, Arc<AtomicBool>)> = if all {
            waiters.drain(..).collect()
        } else {
            waiters.pop_front().into_iter().collect()
        };
        drop(waiters);
        let names: Vec<String> = woken
            .iter()
            .map(|(column, flag)| {
                flag.store(true, Ordering::SeqCst);
                scheduler.thread_name(*column)
            })
            .collect();
        let text = if names.is_empty() {
            format!("{verb} {name} (nobody waits)")
        } else {
            format!("{verb} {name} (wakes {})", names.join(", "))
        };
        scheduler.record(me, text, None);
        woken.len()
    }
}

impl std::fmt::Debug for Condvar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Condvar { .. }")
    }
}
