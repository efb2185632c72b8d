//! Atomics: `std::sync::atomic`'s, where every operation is one turn in a replay.
//!
//! A `load` and a `store` are two turns, so another thread can act between them; `fetch_add`,
//! `swap` and `compare_exchange` are one, because the real instruction is indivisible too.
#![forbid(unsafe_code)]

use std::sync::OnceLock;

pub use std::sync::atomic::Ordering;

use crate::scheduler::Pending;
use crate::sync::{ATOMIC, replaying, reveal};

macro_rules! atomic_integer {
    ($name:ident, $std:ty, $value:ty) => {
        /// An atomic integer with `std`'s methods; in a replay every operation is a turn.
        #[derive(Default)]
        pub struct $name {
            inner: $std,
            name: OnceLock<String>,
        }

        impl $name {
            /// A new atomic holding `value`.
            pub const fn new(value: $value) -> $name {
                $name {
                    inner: <$std>::new(value),
                    name: OnceLock::new(),
                }
            }

            /// Gives the atomic the name the trace shows it by.
            pub fn named(self, name: &str) -> $name {
                let _ = self.name.set(name.to_string());
                self
            }

            fn turn(
                &self,
                what: &str,
            ) -> Option<(std::sync::Arc<crate::scheduler::Scheduler>, usize, String)> {
                let (scheduler, me) = replaying()?;
                let name = scheduler.object_name(
                    self as *const $name as usize,
                    self.name.get().map(String::as_str),
                    ATOMIC,
                );
                scheduler.turn(me, Pending::now(format!("{what} {name}")));
                Some((scheduler, me, name))
            }

            /// Reads the value.
            pub fn load(&self, order: Ordering) -> $value {
                let turn = self.turn("load");
                let value = self.inner.load(order);
                if let Some((scheduler, me, name)) = turn {
                    let text = format!("{name}.load() -> {}", reveal(&scheduler, value));
                    scheduler.record(me, text, None);
                }
                value
            }

            /// Writes the value.
            pub fn store(&self, value: $value, order: Ordering) {
                let turn = self.turn("store");
                self.inner.store(value, order);
                if let Some((scheduler, me, name)) = turn {
                    let text = format!("{name}.store({})", reveal(&scheduler, value));
                    scheduler.record(me, text, None);
                }
            }

            /// Writes `value` and returns the old value, in one indivisible step.
            pub fn swap(&self, value: $value, order: Ordering) -> $value {
                let turn = self.turn("swap");
                let old = self.inner.swap(value, order);
                if let Some((scheduler, me, name)) = turn {
                    let text = format!(
                        "{name}.swap({}) -> {}",
                        reveal(&scheduler, value),
                        reveal(&scheduler, old)
                    );
                    scheduler.record(me, text, None);
                }
                old
            }

            /// Adds `value` and returns the old value, in one indivisible step.
            pub fn fetch_add(&self, value: $value, order: Ordering) -> $value {
                let turn = self.turn("fetch_add");
                let old = self.inner.fetch_add(value, order);
                if let Some((scheduler, me, name)) = turn {
                    let text = format!("{name}.fetch_add({value}) -> {}", reveal(&scheduler, old));
                    scheduler.record(me, text, None);
                }
                old
            }

            /// Subtracts `value` and returns the old value, in one indivisible step.
            pub fn fetch_sub(&self, value: $value, order: Ordering) -> $value {
                let turn = self.turn("fetch_sub");
                let old = self.inner.fetch_sub(value, order);
                if let Some((scheduler, me, name)) = turn {
                    let text = format!("{name}.fetch_sub({value}) -> {}", reveal(&scheduler, old));
                    scheduler.record(me, text, None);
                }
                old
            }

            /// Stores `new` if the value is `current`, in one indivisible step; returns the value
            /// seen: `Ok` when it was `current`, `Err` otherwise.
            pub fn compare_exchange(
                &self,
                current: $value,
                new: $value,
                success: Ordering,
                failure: Ordering,
            ) -> Result<$value, $value> {
                let turn = self.turn("compare_exchange");
                let result = self.inner.compare_exchange(current, new, success, failure);
                if let Some((scheduler, me, name)) = turn {
                    let seen = match result {
                        Ok(seen) => format!("Ok({})", reveal(&scheduler, seen)),
                        Err(seen) => format!("Err({})", reveal(&scheduler, seen)),
                    };
                    let text = format!("{name}.compare_exchange({current}, {new}) -> {seen}");
                    scheduler.record(me, text, None);
                }
                result
            }

            /// The value, through a unique borrow.
            pub fn get_mut(&mut self) -> &mut $value {
                self.inner.get_mut()
            }

            /// The value, consuming the atomic.
            pub fn into_inner(self) -> $value {
                self.inner.into_inner()
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.inner.fmt(f)
            }
        }
    };
}

atomic_integer!(AtomicU64, std::sync::atomic::AtomicU64, u64);
atomic_integer!(AtomicUsize, std::sync::atomic::AtomicUsize, usize);
atomic_integer!(AtomicI64, std::sync::atomic::AtomicI64, i64);

/// An atomic boolean with `std`'s methods; in a replay every operation is a turn.
#[derive(Default)]
pub struct AtomicBool {
    inner: std::sync::atomic::AtomicBool,
    name: OnceLock<String>,
}

impl AtomicBool {
    /// A new atomic holding `value`.
    pub const fn new(value: bool) -> AtomicBool {
        AtomicBool {
            inner: std::sync::atomic::AtomicBool::new(value),
            name: OnceLock::new(),
        }
    }

    /// Gives the atomic the name the trace shows it by.
    pub fn named(self, name: &str) -> AtomicBool {
        let _ = self.name.set(name.to_string());
        self
    }

    fn turn(
        &self,
        what: &str,
    ) -> Option<(std::sync::Arc<crate::scheduler::Scheduler>, usize, String)> {
        let (scheduler, me) = replaying()?;
        let name = scheduler.object_name(
            self as *const AtomicBool as usize,
            self.name.get().map(String::as_str),
            ATOMIC,
        );
        scheduler.turn(me, Pending::now(format!("{what} {name}")));
        Some((scheduler, me, name))
    }

    /// Reads the value.
    pub fn load(&self, order: Ordering) -> bool {
        let turn = self.turn("load");
        let value = self.inner.load(order);
        if let Some((scheduler, me, name)) = turn {
            let text = format!("{name}.load() -> {}", reveal(&scheduler, value));
            scheduler.record(me, text, None);
        }
        value
    }

    /// Writes the value.
    pub fn store(&self, value: bool, order: Ordering) {
        let turn = self.turn("store");
        self.inner.store(value, order);
        if let Some((scheduler, me, name)) = turn {
            let text = format!("{name}.store({})", reveal(&scheduler, value));
            scheduler.record(me, text, None);
        }
    }

    /// Writes `value` and returns the old value, in one indivisible step.
    pub fn swap(&self, value: bool, order: Ordering) -> bool {
        let turn = self.turn("swap");
        let old = self.inner.swap(value, order);
        if let Some((scheduler, me, name)) = turn {
            let text = format!("{name}.swap({value}) -> {}", reveal(&scheduler, old));
            scheduler.record(me, text, None);
        }
        old
    }

    /// Stores `new` if the value is `current`, in one indivisible step.
    pub fn compare_exchange(
        &self,
        current: bool,
        new: bool,
        success: Ordering,
        failure: Ordering,
    ) -> Result<bool, bool> {
        let turn = self.turn("compare_exchange");
        let result = self.inner.compare_exchange(current, new, success, failure);
        if let Some((scheduler, me, name)) = turn {
            let seen = match result {
                Ok(seen) => format!("Ok({})", reveal(&scheduler, seen)),
                Err(seen) => format!("Err({})", reveal(&scheduler, seen)),
            };
            let text = format!("{name}.compare_exchange({current}, {new}) -> {seen}");
            scheduler.record(me, text, None);
        }
        result
    }

    /// The value, consuming the atomic.
    pub fn into_inner(self) -> bool {
        self.inner.into_inner()
    }
}

impl std::fmt::Debug for AtomicBool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}
