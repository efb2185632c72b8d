//! `RwLock`: parking_lot's, plus who holds it.
#![forbid(unsafe_code)]

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use crate::live::{self, WaitOn};
use crate::objects::{LockMeta, thread_key};
use crate::scheduler::{Granted, Pending, Scheduler, Until};
use crate::sync::{RWLOCK, replaying};

/// A reader-writer lock with parking_lot's API: many readers or one writer.
pub struct RwLock<T: ?Sized> {
    meta: Arc<LockMeta>,
    inner: parking_lot::RwLock<T>,
}

/// A shared (read) guard.
pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    inner: parking_lot::RwLockReadGuard<'a, T>,
}

/// A unique (write) guard.
pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    inner: parking_lot::RwLockWriteGuard<'a, T>,
}

impl<T> RwLock<T> {
    /// A new unlocked lock holding `value`.
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            meta: Arc::new(LockMeta::default()),
            inner: parking_lot::RwLock::new(value),
        }
    }

    /// Gives the lock the name the trace and deadlock reports show it by.
    pub fn named(self, name: &str) -> RwLock<T> {
        let _ = self.meta.name.set(name.to_string());
        self
    }

    /// The value, consuming the lock.
    pub fn into_inner(self) -> T {
        self.inner.into_inner()
    }
}

impl<T: ?Sized> RwLock<T> {
    fn name_in(&self, scheduler: &Scheduler) -> String {
        scheduler.object_name(
            Arc::as_ptr(&self.meta) as *const () as usize,
            self.meta.name(),
            RWLOCK,
        )
    }

    /// Takes the lock for reading, waiting while a writer holds it.
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        if let Some((scheduler, me)) = replaying() {
            let name = self.name_in(&scheduler);
            let mut pending =
                Pending::until(Until::NoWriter(self.meta.clone()), format!("read {name}"));
            pending.arrival = (self.meta.holder() != 0).then(|| format!("waits to read {name}"));
            scheduler.turn(me, pending);
            let inner = self.inner.read();
            self.meta.add_reader();
            scheduler.record(me, format!("read {name}"), None);
            return RwLockReadGuard { lock: self, inner };
        }
        let inner = match self.inner.try_read() {
            Some(inner) => inner,
            None => {
                let _waiting = live::wait(
                    || format!("read {}", self.meta.name().unwrap_or("a lock")),
                    WaitOn::Lock(self.meta.clone()),
                );
                loop {
                    if let Some(inner) = self.inner.try_read_for(live::POLL) {
                        break inner;
                    }
                    live::stop_if_cancelled();
                }
            }
        };
        self.meta.add_reader();
        RwLockReadGuard { lock: self, inner }
    }

    /// Takes the lock for writing, waiting while anyone holds it.
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        if let Some((scheduler, me)) = replaying() {
            let name = self.name_in(&scheduler);
            let mut pending =
                Pending::until(Until::LockFree(self.meta.clone()), format!("write {name}"));
            pending.arrival = (!self.meta.is_free()).then(|| format!("waits to write {name}"));
            scheduler.turn(me, pending);
            let inner = self.inner.write();
            self.meta.set_holder(thread_key());
            scheduler.record(me, format!("write {name}"), None);
            return RwLockWriteGuard { lock: self, inner };
        }
        let inner = match self.inner.try_write() {
            Some(inner) => inner,
            None => {
                let _waiting = live::wait(
                    || format!("write {}", self.meta.name().unwrap_or("a lock")),
                    WaitOn::Lock(self.meta.clone()),
                );
                loop {
                    if let Some(inner) = self.inner.try_write_for(live::POLL) {
                        break inner;
                    }
                    live::stop_if_cancelled();
                }
            }
        };
        self.meta.set_holder(thread_key());
        RwLockWriteGuard { lock: self, inner }
    }
}

impl<T: ?Sized> Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T: ?Sized> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        if let Some((scheduler, me)) = replaying() {
            let name = self.lock.name_in(&scheduler);
            let granted = scheduler.turn(me, Pending::now(format!("end read {name}")));
            self.lock.meta.remove_reader();
            if granted != Granted::Free {
                scheduler.record(me, format!("end read {name}"), None);
            }
            return;
        }
        self.lock.meta.remove_reader();
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        if let Some((scheduler, me)) = replaying() {
            let name = self.lock.name_in(&scheduler);
            let granted = scheduler.turn(me, Pending::now(format!("end write {name}")));
            self.lock.meta.set_holder(0);
            if granted != Granted::Free {
                scheduler.record(me, format!("end write {name}"), None);
            }
            return;
        }
        self.lock.meta.set_holder(0);
    }
}
