//! Drop-in locks, condition variables, barriers, atomics and channels.
//!
//! The names and methods are those of `parking_lot` (`Mutex`, `RwLock`, `Condvar`),
//! `std::sync` (`Barrier`, the atomics) and `crossbeam_channel` (`bounded`, `unbounded`,
//! `select!`), so a lesson reads like ordinary Rust. The one addition is `.named("A")`, the same
//! for every type: the name the trace and the deadlock reports show the object by.
//!
//! In a live run each type *is* the real primitive, plus a little bookkeeping on the slow path
//! (a contended lock, an empty channel) so that the watchdog in [`crate::live`] can name a
//! deadlock. In a replay every operation is a turn of the scheduler ([`crate::scheduler`]).
#![forbid(unsafe_code)]

mod atomic;
mod barrier;
mod channel;
mod condvar;
mod mutex;
mod rwlock;

pub use atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
pub use barrier::{Barrier, BarrierWaitResult};
pub use channel::{
    IntoIter, Iter, NamedChannel, Receiver, RecvError, RecvTimeoutError, Selectable, SendError,
    SendTimeoutError, Sender, TryIter, TryRecvError, TrySendError, bounded, unbounded,
};
pub use condvar::{Condvar, WaitTimeoutResult};
pub use mutex::{Mutex, MutexGuard};
pub use rwlock::{RwLock, RwLockReadGuard, RwLockWriteGuard};

#[doc(hidden)]
pub use channel::select_index;

use std::sync::Arc;

use crate::scheduler::{Scheduler, current};

/// Object kinds, for made-up names (`mutex1`, `channel2`).
pub(crate) const MUTEX: usize = 0;
pub(crate) const CONDVAR: usize = 1;
pub(crate) const ATOMIC: usize = 2;
pub(crate) const CHANNEL: usize = 3;
pub(crate) const BARRIER: usize = 4;
pub(crate) const RWLOCK: usize = 5;

/// The replay this thread takes turns in, if any.
#[inline]
pub(crate) fn replaying() -> Option<(Arc<Scheduler>, usize)> {
    current()
}

/// `value` as text, or `?` under `--predict`.
pub(crate) fn reveal(scheduler: &Scheduler, value: impl std::fmt::Display) -> String {
    if scheduler.predict {
        "?".to_string()
    } else {
        value.to_string()
    }
}
