//! How a lesson runs, as chosen on the command line: live, as a replay, or under the explorer.
#![forbid(unsafe_code)]

use std::fmt::Display;

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
