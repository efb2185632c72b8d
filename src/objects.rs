//! What the toolkit knows about each shared object and each thread, for the replay scheduler and
//! the live watchdog: who holds a lock, how full a channel is, an object's name.
#![forbid(unsafe_code)]

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

static NEXT_THREAD_KEY: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static THREAD_KEY: Cell<u64> = const { Cell::new(0) };
}

/// A number for the calling thread, unique in this process and never 0.
#[inline]
pub(crate) fn thread_key() -> u64 {
    THREAD_KEY.with(|key| {
        let value = key.get();
        if value != 0 {
            return value;
        }
        let value = NEXT_THREAD_KEY.fetch_add(1, Ordering::Relaxed);
        key.set(value);
        value
    })
}

/// A lock's state as the toolkit sees it: who holds it (a thread key, 0 for nobody) and, for a
/// read-write lock, how many readers hold it. In a replay a mutex also keeps its waiters in the
/// order they began to wait, and the thread a fair unlock handed it to.
#[derive(Default)]
pub(crate) struct LockMeta {
    pub name: OnceLock<String>,
    holder: AtomicU64,
    readers: AtomicUsize,
    /// Replay only: the key of the thread a fair unlock handed the lock to, until it takes it.
    handed: AtomicU64,
    /// Replay only: keys of the threads waiting in `lock`, longest waiter first.
    waiters: parking_lot::Mutex<VecDeque<u64>>,
}

impl LockMeta {
    #[inline]
    pub fn holder(&self) -> u64 {
        self.holder.load(Ordering::Relaxed)
    }

    #[inline]
    pub fn set_holder(&self, key: u64) {
        self.holder.store(key, Ordering::Relaxed);
    }

    pub fn readers(&self) -> usize {
        self.readers.load(Ordering::Relaxed)
    }

    pub fn add_reader(&self) {
        self.readers.fetch_add(1, Ordering::Relaxed);
    }

    pub fn remove_reader(&self) {
        self.readers.fetch_sub(1, Ordering::Relaxed);
    }

    /// Free for anyone: nobody holds it and no fair unlock has handed it to a waiter.
    pub fn is_free(&self) -> bool {
        self.holder() == 0 && self.readers() == 0 && self.handed() == 0
    }

    /// Free for the thread `key`: free, or handed to it by a fair unlock.
    pub fn is_free_for(&self, key: u64) -> bool {
        let handed = self.handed();
        self.holder() == 0 && self.readers() == 0 && (handed == 0 || handed == key)
    }

    pub fn handed(&self) -> u64 {
        self.handed.load(Ordering::Relaxed)
    }

    /// A waiter begins to wait in `lock` (replay).
    pub fn enqueue(&self, key: u64) {
        self.waiters.lock().push_back(key);
    }

    /// A waiter stops waiting: it took the lock or timed out (replay). A lock handed to it is
    /// now its own.
    pub fn dequeue(&self, key: u64) {
        self.waiters.lock().retain(|&waiter| waiter != key);
        let _ = self
            .handed
            .compare_exchange(key, 0, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// A fair unlock (replay): the longest waiter, if any, gets the lock; nobody else may take
    /// it meanwhile. Returns its key.
    pub fn hand_to_longest_waiter(&self) -> Option<u64> {
        let longest = self.waiters.lock().front().copied()?;
        self.handed.store(longest, Ordering::Relaxed);
        Some(longest)
    }

    pub fn name(&self) -> Option<&str> {
        self.name.get().map(String::as_str)
    }
}

/// A channel's state as the toolkit sees it. `len` is kept in replays only (where one thread runs
/// at a time, so it always equals the real channel's length); the counts of senders and
/// receivers always.
#[doc(hidden)]
pub struct ChannelMeta {
    pub name: OnceLock<String>,
    pub capacity: Option<usize>,
    pub len: AtomicUsize,
    pub senders: AtomicUsize,
    pub receivers: AtomicUsize,
    /// Moves on every send, receive and disconnection: the watchdog's sign of progress.
    pub version: Arc<AtomicU64>,
}

impl ChannelMeta {
    pub fn new(capacity: Option<usize>) -> ChannelMeta {
        ChannelMeta {
            name: OnceLock::new(),
            capacity,
            len: AtomicUsize::new(0),
            senders: AtomicUsize::new(1),
            receivers: AtomicUsize::new(1),
            version: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn can_receive(&self) -> bool {
        self.len.load(Ordering::SeqCst) > 0 || self.senders.load(Ordering::SeqCst) == 0
    }

    pub fn can_send(&self) -> bool {
        self.capacity
            .is_none_or(|capacity| self.len.load(Ordering::SeqCst) < capacity)
            || self.receivers.load(Ordering::SeqCst) == 0
    }

    pub fn bump(&self) {
        self.version.fetch_add(1, Ordering::Relaxed);
    }
}
