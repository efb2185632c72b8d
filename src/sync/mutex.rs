//! `Mutex`: parking_lot's, plus who holds it.
//!
//! [`MutexGuard::unlock_fair`] is parking_lot's fair unlock. Live it *is* parking_lot's: the
//! lock goes straight to the thread that has waited longest, so the unlocking thread cannot take
//! it back first. In a replay it is one turn, `unlock_fair`, that hands the lock to the longest
//! waiter among the threads blocked in `lock`/`try_lock_for` on it (in the order they began to
//! wait): from then on only that thread can take it. A plain unlock leaves the lock free for
//! whoever the schedule picks, the unlocking thread included. A thread taking its mutex back
//! after a condvar wait is not among the waiters a fair unlock hands to.
#![forbid(unsafe_code)]

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use crate::live::{self, WaitOn};
use crate::objects::{LockMeta, thread_key};
use crate::scheduler::{Granted, Pending, Scheduler, Until};
use crate::sync::{MUTEX, replaying, reveal};

/// A mutual-exclusion lock with parking_lot's API (no poisoning: `lock` returns the guard).
pub struct Mutex<T: ?Sized> {
    pub(crate) meta: Arc<LockMeta>,
    show: Option<fn(&T) -> String>,
    pub(crate) inner: parking_lot::Mutex<T>,
}

/// The guard of a locked [`Mutex`]: the lock is released when it drops.
pub struct MutexGuard<'a, T: ?Sized> {
    pub(crate) lock: &'a Mutex<T>,
    /// `None` only after [`MutexGuard::unlock_fair`] has released it.
    inner: Option<parking_lot::MutexGuard<'a, T>>,
}

impl<T> Mutex<T> {
    /// A new unlocked mutex holding `value`.
    pub fn new(value: T) -> Mutex<T> {
        Mutex {
            meta: Arc::new(LockMeta::default()),
            show: None,
            inner: parking_lot::Mutex::new(value),
        }
    }

    /// The mutex's value, consuming it.
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<T: fmt::Debug> Mutex<T> {
    /// Gives the mutex the name the trace and deadlock reports show it by; a replay's trace
    /// then also shows its value when it is unlocked.
    pub fn named(mut self, name: &str) -> Mutex<T> {
        let _ = self.meta.name.set(name.to_string());
        self.show = Some(|value| format!("{value:?}"));
        self
    }
}

impl<T: ?Sized> Mutex<T> {
    pub(crate) fn name_in(&self, scheduler: &Scheduler) -> String {
        scheduler.object_name(
            Arc::as_ptr(&self.meta) as *const () as usize,
            self.meta.name(),
            MUTEX,
        )
    }

    pub(crate) fn live_name(&self) -> String {
        self.meta.name().unwrap_or("a mutex").to_string()
    }

    /// Locks the mutex, waiting while another thread holds it.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        if let Some((scheduler, me)) = replaying() {
            return self
                .lock_in_replay(&scheduler, me, None)
                .expect("no deadline");
        }
        let key = thread_key();
        if let Some(inner) = self.inner.try_lock() {
            self.meta.set_holder(key);
            return MutexGuard::new(self, inner);
        }
        self.lock_slowly(key, None).expect("no deadline")
    }

    /// Locks the mutex if it is free, without waiting.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        if let Some((scheduler, me)) = replaying() {
            let name = self.name_in(&scheduler);
            scheduler.turn(me, Pending::now(format!("try_lock {name}")));
            // A lock a fair unlock handed to a waiter is not free, though nobody holds it yet.
            let inner = if self.meta.is_free_for(thread_key()) {
                self.inner.try_lock()
            } else {
                None
            };
            let took = inner.is_some();
            if took {
                self.meta.set_holder(thread_key());
            }
            let result = if took { "locked" } else { "busy" };
            scheduler.record(me, format!("try_lock {name}: {result}"), None);
            return inner.map(|inner| MutexGuard::new(self, inner));
        }
        let inner = self.inner.try_lock()?;
        self.meta.set_holder(thread_key());
        Some(MutexGuard::new(self, inner))
    }

    /// Locks the mutex, waiting at most `timeout` (virtual time in a replay).
    pub fn try_lock_for(&self, timeout: Duration) -> Option<MutexGuard<'_, T>> {
        if let Some((scheduler, me)) = replaying() {
            return self.lock_in_replay(&scheduler, me, Some(timeout));
        }
        let key = thread_key();
        if let Some(inner) = self.inner.try_lock() {
            self.meta.set_holder(key);
            return Some(MutexGuard::new(self, inner));
        }
        self.lock_slowly(key, Some(timeout))
    }

    /// True while some thread holds the lock.
    pub fn is_locked(&self) -> bool {
        self.inner.is_locked()
    }

    /// The value, through a unique borrow (no locking needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut()
    }

    #[cold]
    fn lock_slowly(&self, key: u64, timeout: Option<Duration>) -> Option<MutexGuard<'_, T>> {
        let started = std::time::Instant::now();
        // A wait with a time limit ends by itself: the watchdog must not count it as stuck.
        let waiting = timeout.is_none().then(|| {
            live::wait(
                || format!("lock {}", self.live_name()),
                WaitOn::Lock(self.meta.clone()),
            )
        });
        let inner = loop {
            let slice = match timeout {
                Some(timeout) => {
                    let left = timeout.saturating_sub(started.elapsed());
                    if left.is_zero() {
                        return None;
                    }
                    left.min(live::POLL)
                }
                None => live::POLL,
            };
            if let Some(inner) = self.inner.try_lock_for(slice) {
                break inner;
            }
            live::stop_if_cancelled();
        };
        drop(waiting);
        self.meta.set_holder(key);
        Some(MutexGuard::new(self, inner))
    }

    fn lock_in_replay(
        &self,
        scheduler: &Scheduler,
        me: usize,
        timeout: Option<Duration>,
    ) -> Option<MutexGuard<'_, T>> {
        let name = self.name_in(scheduler);
        let verb = if timeout.is_some() {
            "try_lock_for"
        } else {
            "lock"
        };
        let arrival =
            (!self.meta.is_free()).then(|| match scheduler.holder_name(self.meta.holder()) {
                Some(holder) => format!("waits for {name} (held by {holder})"),
                None => format!("waits for {name}"),
            });
        let mut pending =
            Pending::until(Until::LockFree(self.meta.clone()), format!("lock {name}"));
        pending.arrival = arrival;
        if let Some(timeout) = timeout {
            pending.deadline = Some(scheduler.clock() + timeout);
        }
        let key = thread_key();
        self.meta.enqueue(key);
        let granted = scheduler.turn(me, pending);
        self.meta.dequeue(key);
        match granted {
            Granted::TimedOut => {
                scheduler.record(me, format!("{verb} {name}: timed out"), None);
                None
            }
            Granted::Ready | Granted::Free => {
                let inner = self.inner.lock();
                self.meta.set_holder(key);
                scheduler.record(me, format!("{verb} {name}"), None);
                Some(MutexGuard::new(self, inner))
            }
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Mutex<T> {
        Mutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    fn new(lock: &'a Mutex<T>, inner: parking_lot::MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        MutexGuard {
            lock,
            inner: Some(inner),
        }
    }

    /// parking_lot's guard inside (for the condvar).
    pub(crate) fn inner_mut(&mut self) -> &mut parking_lot::MutexGuard<'a, T> {
        self.inner
            .as_mut()
            .expect("a guard is unlocked only when consumed")
    }

    /// Unlocks the mutex fairly: when threads wait for it, the one that has waited longest gets
    /// it, and the unlocking thread cannot take it back first (parking_lot's
    /// `MutexGuard::unlock_fair`). In a replay this is one turn that hands the lock to the
    /// longest waiter; see the module's documentation.
    pub fn unlock_fair(mut s: Self) {
        if let Some((scheduler, me)) = replaying() {
            let name = s.lock.name_in(&scheduler);
            let granted = scheduler.turn(me, Pending::now(format!("unlock_fair {name}")));
            s.lock.meta.set_holder(0);
            let handed = s.lock.meta.hand_to_longest_waiter();
            if granted != Granted::Free {
                let value = s.lock.show.map(|show| {
                    let inner = s.inner.as_ref().expect("not yet unlocked");
                    format!(" ({})", reveal(&scheduler, show(inner)))
                });
                let to = handed
                    .and_then(|key| scheduler.holder_name(key))
                    .map_or_else(|| ": nobody waits".to_string(), |who| format!(" to {who}"));
                let text = format!("unlock_fair {name}{}{to}", value.unwrap_or_default());
                scheduler.record(me, text, None);
            }
            drop(s.inner.take()); // one thread runs at a time: how it unlocks makes no difference
            return;
        }
        s.lock.meta.set_holder(0);
        if let Some(inner) = s.inner.take() {
            parking_lot::MutexGuard::unlock_fair(inner);
        }
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.inner
            .as_ref()
            .expect("a guard is unlocked only when consumed")
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.inner_mut()
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        if self.inner.is_none() {
            return; // released by unlock_fair
        }
        if let Some((scheduler, me)) = replaying() {
            // An unlock is a turn like a lock: another thread may try the lock just before it.
            let name = self.lock.name_in(&scheduler);
            let granted = scheduler.turn(me, Pending::now(format!("unlock {name}")));
            self.lock.meta.set_holder(0);
            if granted != Granted::Free {
                let text = match self.lock.show {
                    Some(show) => {
                        let inner = self.inner.as_ref().expect("not yet unlocked");
                        format!("unlock {name} ({})", reveal(&scheduler, show(inner)))
                    }
                    None => format!("unlock {name}"),
                };
                scheduler.record(me, text, None);
            }
            return;
        }
        self.lock.meta.set_holder(0);
    }
}

impl<T: ?Sized + fmt::Display> fmt::Display for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}
