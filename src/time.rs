//! A drop-in `std::time::Instant` that reads the virtual clock in a replay.
//!
//! Live, [`Instant`] is `std::time::Instant`. In a replay, `sleep` and the timeouts of
//! `recv_timeout` and `wait_for` run on the scheduler's virtual clock, so a program that
//! measures "how long until the next retry is due" must read that clock too, or it would mix
//! real time with virtual time. Reading the clock is not a turn: the virtual clock moves only
//! between turns, so a replay reads the same value every time.
#![forbid(unsafe_code)]

use std::ops::{Add, Sub};
use std::time::Duration;

use crate::scheduler;

/// A moment: real (live) or on the replay's virtual clock. Compare and subtract moments of the
/// same run only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(Moment);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Moment {
    Real(std::time::Instant),
    /// Time since the replay began.
    Virtual(Duration),
}

impl Instant {
    /// Now: the real clock live, the virtual clock in a replay.
    pub fn now() -> Instant {
        match scheduler::current() {
            Some((scheduler, _)) => Instant(Moment::Virtual(scheduler.clock())),
            None => Instant(Moment::Real(std::time::Instant::now())),
        }
    }

    /// How long from `earlier` to this moment; zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        match (self.0, earlier.0) {
            (Moment::Real(now), Moment::Real(then)) => now.saturating_duration_since(then),
            (Moment::Virtual(now), Moment::Virtual(then)) => now.saturating_sub(then),
            // A live moment against a replay's: they come from different runs.
            _ => Duration::ZERO,
        }
    }

    /// How long from `earlier` to this moment; zero if `earlier` is later (as std does since
    /// Rust 1.60).
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }

    /// How long since this moment.
    pub fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(*self)
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, duration: Duration) -> Instant {
        Instant(match self.0 {
            Moment::Real(moment) => Moment::Real(moment + duration),
            Moment::Virtual(moment) => Moment::Virtual(moment + duration),
        })
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}
