//! The student's progress: one small JSON file the `workbook` command owns
//! (`.workbook/progress.json`, git-ignored), never the exercise sources.
//!
//! ```json
//! {"format": 1, "exercises": {"01a": {"status": "done", "hints_used": 1,
//!   "last_check": "2025-01-31T09:15:02Z", "last_failure": null, "solved": true}}}
//! ```

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// How an exercise stands, after its last check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Never checked.
    NotStarted,
    /// The last check did not pass (or the program did not build).
    Failing,
    /// The last check passed, with clippy quiet.
    Done,
}

impl Status {
    /// The word used in `list`, `report` and the JSON report.
    pub fn word(self) -> &'static str {
        match self {
            Status::NotStarted => "not started",
            Status::Failing => "failing",
            Status::Done => "done",
        }
    }

    fn from_word(word: &str) -> Status {
        match word {
            "done" => Status::Done,
            "failing" => Status::Failing,
            _ => Status::NotStarted,
        }
    }
}

/// What the file remembers of one exercise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// After the last check.
    pub status: Status,
    /// How many of the three hints were shown.
    pub hints_used: usize,
    /// When the last check ran (UTC, `2025-01-31T09:15:02Z`).
    pub last_check: Option<String>,
    /// What the last failed check said.
    pub last_failure: Option<String>,
    /// True once a check has passed, even if a later one failed: the solution stays open.
    pub solved: bool,
}

impl Default for Entry {
    fn default() -> Entry {
        Entry {
            status: Status::NotStarted,
            hints_used: 0,
            last_check: None,
            last_failure: None,
            solved: false,
        }
    }
}

/// The progress file and what it holds.
pub struct Progress {
    path: PathBuf,
    entries: BTreeMap<String, Entry>,
}

impl Progress {
    /// Reads the progress file at `path`; a missing file is no progress yet. A file that is
    /// not valid is an error that names it (it is never overwritten silently).
    pub fn load(path: &Path) -> Result<Progress, String> {
        let mut progress = Progress {
            path: path.to_path_buf(),
            entries: BTreeMap::new(),
        };
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(progress),
            Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
        };
        let damaged = |why: &str| {
            format!(
                "the progress file {} is damaged ({why}); move it away to start afresh",
                path.display()
            )
        };
        let value: Value =
            serde_json::from_str(&text).map_err(|error| damaged(&error.to_string()))?;
        let Some(exercises) = value.get("exercises").and_then(Value::as_object) else {
            return Err(damaged("it has no \"exercises\" table"));
        };
        for (id, entry) in exercises {
            let text = |key: &str| entry.get(key).and_then(Value::as_str).map(str::to_string);
            progress.entries.insert(
                id.clone(),
                Entry {
                    status: Status::from_word(&text("status").unwrap_or_default()),
                    hints_used: entry
                        .get("hints_used")
                        .and_then(Value::as_u64)
                        .map_or(0, |used| used.min(3) as usize),
                    last_check: text("last_check"),
                    last_failure: text("last_failure"),
                    solved: entry
                        .get("solved")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                },
            );
        }
        Ok(progress)
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What is known of exercise `id` (nothing yet is the default).
    pub fn entry(&self, id: &str) -> Entry {
        self.entries.get(id).cloned().unwrap_or_default()
    }

    /// Changes exercise `id`'s entry and writes the file.
    pub fn update(&mut self, id: &str, change: impl FnOnce(&mut Entry)) -> Result<(), String> {
        change(self.entries.entry(id.to_string()).or_default());
        self.save()
    }

    /// Records the result of a check of `id` made now.
    pub fn record_check(&mut self, id: &str, failure: Option<String>) -> Result<(), String> {
        let now = now_utc();
        self.update(id, |entry| {
            entry.last_check = Some(now);
            entry.status = if failure.is_some() {
                Status::Failing
            } else {
                Status::Done
            };
            entry.solved |= failure.is_none();
            entry.last_failure = failure;
        })
    }

    /// The whole file as JSON.
    fn to_json(&self) -> Value {
        let exercises: serde_json::Map<String, Value> = self
            .entries
            .iter()
            .map(|(id, entry)| {
                (
                    id.clone(),
                    json!({
                        "status": entry.status.word(),
                        "hints_used": entry.hints_used,
                        "last_check": entry.last_check,
                        "last_failure": entry.last_failure,
                        "solved": entry.solved,
                    }),
                )
            })
            .collect();
        json!({ "format": 1, "exercises": exercises })
    }

    /// Writes the file whole: to a temporary file next to it, then renamed over it, so an
    /// interrupted write never leaves half a file.
    fn save(&self) -> Result<(), String> {
        let failed = |error: io::Error| format!("cannot write {}: {error}", self.path.display());
        let dir = match self.path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&dir).map_err(failed)?;
        let text = serde_json::to_string_pretty(&self.to_json()).expect("JSON values serialise");
        let mut temporary = tempfile::NamedTempFile::new_in(&dir).map_err(failed)?;
        io::Write::write_all(&mut temporary, format!("{text}\n").as_bytes()).map_err(failed)?;
        temporary
            .persist(&self.path)
            .map_err(|error| failed(error.error))?;
        Ok(())
    }
}

/// The time now, in UTC, as `2025-01-31T09:15:02Z`.
pub fn now_utc() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    utc(seconds)
}

/// `seconds` since 1970 as an ISO 8601 UTC time.
fn utc(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let of_day = seconds % 86_400;
    // Days to a civil date (Howard Hinnant's algorithm), valid for any date after 1970.
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let of_era = shifted - era * 146_097;
    let year_of_era = (of_era - of_era / 1460 + of_era / 36_524 - of_era / 146_096) / 365;
    let of_year = of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * of_year + 2) / 153;
    let day = of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_738_314_902), "2025-01-31T09:15:02Z");
    }

    #[test]
    fn progress_survives_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/progress.json");
        let mut progress = Progress::load(&path).unwrap();
        progress
            .update("01a", |entry| entry.hints_used = 2)
            .unwrap();
        progress
            .record_check("01a", Some("expected 1, got 2".into()))
            .unwrap();
        progress.record_check("01b", None).unwrap();
        let again = Progress::load(&path).unwrap();
        assert_eq!(again.entry("01a").hints_used, 2);
        assert_eq!(again.entry("01a").status, Status::Failing);
        assert!(!again.entry("01a").solved);
        assert!(again.entry("01b").solved);
        assert_eq!(again.entry("01c"), Entry::default());
    }

    #[test]
    fn a_damaged_file_is_an_error_not_a_reset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        fs::write(&path, "{ not json").unwrap();
        let error = Progress::load(&path).err().unwrap();
        assert!(error.contains("damaged"), "{error}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "{ not json");
    }
}
