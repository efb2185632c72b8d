//! The student's progress: one small JSON file the `workbook` command owns
//! (`.workbook/progress.json`, git-ignored), never the exercise sources.
//!
//! ```json
//! {"format": 2, "exercises": {"01a": {"status": "done", "hints_used": 1, "attempts": 3,
//!   "first_check": "2025-01-30T14:02:11Z", "last_check": "2025-01-31T09:15:02Z",
//!   "last_failure": null, "solved": true}},
//!  "predictions": [{"lesson": "04", "seed": 11, "part": null, "score": 7, "out_of": 10,
//!   "when": "2025-01-31T09:20:40Z"}]}
//! ```
//!
//! A file without graded predictions is written as `"format": 1` (as before they existed), so
//! an older workbook still reads it; one with predictions is `"format": 2`, which an older
//! workbook refuses rather than silently dropping them.

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
    /// How many checks were made (0 in a file from before checks were counted, that shows
    /// a `last_check`: at least that one, so 1).
    pub attempts: u64,
    /// When the first check ran (UTC; the last check in a file from before it was kept).
    pub first_check: Option<String>,
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
            attempts: 0,
            first_check: None,
            last_check: None,
            last_failure: None,
            solved: false,
        }
    }
}

/// One graded prediction (`workbook predict`): a lesson's `--predict` replay, the student's
/// values for its hidden cells marked against the real replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prediction {
    /// The lesson: `04`.
    pub lesson: String,
    /// The replay's seed.
    pub seed: u64,
    /// The lesson's `--part`, when one was given.
    pub part: Option<u64>,
    /// How many hidden cells the student got right.
    pub score: u64,
    /// How many cells were hidden.
    pub out_of: u64,
    /// When (UTC).
    pub when: String,
}

impl Prediction {
    /// As the progress file and `report --json` write it.
    pub fn to_json(&self) -> Value {
        json!({
            "lesson": self.lesson,
            "seed": self.seed,
            "part": self.part,
            "score": self.score,
            "out_of": self.out_of,
            "when": self.when,
        })
    }
}

/// The progress file and what it holds.
pub struct Progress {
    path: PathBuf,
    entries: BTreeMap<String, Entry>,
    predictions: Vec<Prediction>,
}

/// The largest progress file read: anything larger is not one the workbook wrote.
const LARGEST: u64 = 16 << 20;

impl Progress {
    /// Reads the progress file at `path`; a missing file is no progress yet. A file that is
    /// not valid is an error that names it (it is never overwritten silently): bad JSON, but
    /// also a valid file with values the workbook never writes (`"format": 99`,
    /// `"status": "weird"`), and anything that is not a regular file (a FIFO, a device).
    pub fn load(path: &Path) -> Result<Progress, String> {
        let (entries, predictions) = read_entries(path)?;
        Ok(Progress {
            path: path.to_path_buf(),
            entries,
            predictions,
        })
    }

    /// The progress file at `path`, not read: no progress, for a command that must not
    /// depend on the file (grading a class).
    pub fn unread(path: &Path) -> Progress {
        Progress {
            path: path.to_path_buf(),
            entries: BTreeMap::new(),
            predictions: Vec::new(),
        }
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What is known of exercise `id` (nothing yet is the default).
    pub fn entry(&self, id: &str) -> Entry {
        self.entries.get(id).cloned().unwrap_or_default()
    }

    /// Changes exercise `id`'s entry and writes the file. Under a lock on the file (another
    /// `workbook` may be checking another exercise at the same time), the file is read again,
    /// changed and written, so no other process's change is lost.
    pub fn update(&mut self, id: &str, change: impl FnOnce(&mut Entry)) -> Result<(), String> {
        let mut lock = self.lock_file()?;
        let _locked = lock
            .write()
            .map_err(|error| format!("cannot lock {}: {error}", self.path.display()))?;
        (self.entries, self.predictions) = read_entries(&self.path)?;
        change(self.entries.entry(id.to_string()).or_default());
        self.save()
    }

    /// Every graded prediction, in the order they were made.
    pub fn predictions(&self) -> &[Prediction] {
        &self.predictions
    }

    /// Adds a graded prediction and writes the file, under the same lock as [`Progress::update`].
    pub fn record_prediction(&mut self, prediction: Prediction) -> Result<(), String> {
        let mut lock = self.lock_file()?;
        let _locked = lock
            .write()
            .map_err(|error| format!("cannot lock {}: {error}", self.path.display()))?;
        (self.entries, self.predictions) = read_entries(&self.path)?;
        self.predictions.push(prediction);
        self.save()
    }

    /// Records the result of a check of `id` made now.
    pub fn record_check(&mut self, id: &str, failure: Option<String>) -> Result<(), String> {
        let now = now_utc();
        self.update(id, |entry| {
            entry.first_check.get_or_insert_with(|| now.clone());
            entry.last_check = Some(now);
            entry.attempts += 1;
            entry.status = if failure.is_some() {
                Status::Failing
            } else {
                Status::Done
            };
            entry.solved |= failure.is_none();
            entry.last_failure = failure;
        })
    }

    /// The file itself: where a symbolic link to it leads (the link is kept, never replaced).
    fn target(&self) -> PathBuf {
        fs::canonicalize(&self.path).unwrap_or_else(|_| self.path.clone())
    }

    fn dir(&self) -> PathBuf {
        match self.target().parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }

    /// The lock file `progress.json.lock` next to the file: `write()` on it waits for, then
    /// holds, the exclusive lock (an advisory `flock`, released when dropped or when the
    /// process ends, even killed). std's `File::lock` needs Rust 1.89; this package's
    /// `rust-version` is 1.85.
    fn lock_file(&self) -> Result<fd_lock::RwLock<fs::File>, String> {
        let dir = self.dir();
        let failed = |error: io::Error| format!("cannot write {}: {error}", self.path.display());
        fs::create_dir_all(&dir).map_err(failed)?;
        let mut name = self.target().file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(name))
            .map_err(failed)?;
        Ok(fd_lock::RwLock::new(file))
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
                        "attempts": entry.attempts,
                        "first_check": entry.first_check,
                        "last_check": entry.last_check,
                        "last_failure": entry.last_failure,
                        "solved": entry.solved,
                    }),
                )
            })
            .collect();
        if self.predictions.is_empty() {
            return json!({ "format": 1, "exercises": exercises });
        }
        let predictions: Vec<Value> = self.predictions.iter().map(Prediction::to_json).collect();
        json!({ "format": 2, "exercises": exercises, "predictions": predictions })
    }

    /// Writes the file whole: to a temporary file next to it, then renamed over it, so an
    /// interrupted write never leaves half a file. The file keeps its permissions (a new one is
    /// readable by all, as an editor would make it), and a symbolic link to it stays a link.
    fn save(&self) -> Result<(), String> {
        let failed = |error: io::Error| format!("cannot write {}: {error}", self.path.display());
        let target = self.target();
        let dir = self.dir();
        let text = serde_json::to_string_pretty(&self.to_json()).expect("JSON values serialise");
        let permissions = match fs::metadata(&target) {
            Ok(metadata) => metadata.permissions(),
            Err(_) => new_file_permissions(),
        };
        let mut temporary = tempfile::Builder::new()
            .prefix(&format!("{TEMPORARY_PREFIX}{}-", std::process::id()))
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(failed)?;
        io::Write::write_all(&mut temporary, format!("{text}\n").as_bytes()).map_err(failed)?;
        fs::set_permissions(temporary.path(), permissions).map_err(failed)?;
        temporary
            .persist(&target)
            .map_err(|error| failed(error.error))?;
        Ok(())
    }
}

/// Temporary files next to the progress file are `.progress-<pid>-....tmp`.
const TEMPORARY_PREFIX: &str = ".progress-";

/// Removes the temporary files a workbook that was killed while saving left next to the
/// progress file at `path` (those of a process that is gone).
pub fn sweep_stale(path: &Path) {
    let dir = match fs::canonicalize(path)
        .ok()
        .as_deref()
        .unwrap_or(path)
        .parent()
    {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Ok(entries) = fs::read_dir(&dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tmp")
            && workbook::process::pid_in(&name, TEMPORARY_PREFIX)
                .is_some_and(|pid| !workbook::process::alive(pid))
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

#[cfg(unix)]
fn new_file_permissions() -> fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    fs::Permissions::from_mode(0o644)
}

#[cfg(not(unix))]
fn new_file_permissions() -> fs::Permissions {
    tempfile::NamedTempFile::new()
        .and_then(|file| file.as_file().metadata())
        .map(|metadata| metadata.permissions())
        .expect("a temporary file")
}

/// The entries of the progress file at `path` (none when it does not exist), refusing a file
/// the workbook did not write as it is.
fn read_entries(path: &Path) -> Result<(BTreeMap<String, Entry>, Vec<Prediction>), String> {
    let mut entries = BTreeMap::new();
    let damaged = |why: &str| {
        format!(
            "the progress file {} is damaged ({why}); move it away to start afresh",
            path.display()
        )
    };
    match fs::metadata(path) {
        // No file there (yet): no progress. A folder on the way that is a file is no file
        // either; writing will say so.
        Err(error)
            if matches!(
                error.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok((entries, Vec::new()));
        }
        Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
        Ok(metadata) if !metadata.is_file() => {
            return Err(format!(
                "the progress file {} is not a regular file; name another with \
                 WORKBOOK_PROGRESS",
                path.display()
            ));
        }
        Ok(metadata) if metadata.len() > LARGEST => {
            return Err(damaged(&format!("it is larger than {} MB", LARGEST >> 20)));
        }
        Ok(_) => {}
    }
    let mut text = String::new();
    let read = fs::File::open(path).and_then(|file| {
        io::Read::read_to_string(&mut io::Read::take(file, LARGEST + 1), &mut text)
    });
    match read {
        Ok(_) => {}
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok((entries, Vec::new())),
        Err(error) if error.kind() == io::ErrorKind::InvalidData => {
            return Err(damaged("it is not UTF-8 text"));
        }
        Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
    }
    if text.len() as u64 > LARGEST {
        return Err(damaged(&format!("it is larger than {} MB", LARGEST >> 20)));
    }
    let value: Value = serde_json::from_str(&text).map_err(|error| damaged(&error.to_string()))?;
    let format = value.get("format");
    if format != Some(&json!(1)) && format != Some(&json!(2)) {
        return Err(damaged("its \"format\" is not 1 or 2"));
    }
    let Some(exercises) = value.get("exercises").and_then(Value::as_object) else {
        return Err(damaged("it has no \"exercises\" table"));
    };
    for (id, entry) in exercises {
        let odd = |key: &str, what: &str| damaged(&format!("{id}'s \"{key}\" is not {what}"));
        let Some(fields) = entry.as_object() else {
            return Err(damaged(&format!("{id} is not a table")));
        };
        let text = |key: &str| -> Result<Option<String>, String> {
            match fields.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.clone())),
                Some(_) => Err(odd(key, "text")),
            }
        };
        let status = match fields.get("status") {
            None => Status::NotStarted,
            Some(word) => ["not started", "failing", "done"]
                .into_iter()
                .find(|known| word == known)
                .map(Status::from_word)
                .ok_or_else(|| odd("status", "\"not started\", \"failing\" or \"done\""))?,
        };
        let hints_used = match fields.get("hints_used") {
            None => 0,
            Some(used) => used
                .as_u64()
                .filter(|used| *used <= 3)
                .ok_or_else(|| odd("hints_used", "a number from 0 to 3"))?
                as usize,
        };
        let solved = match fields.get("solved") {
            None => false,
            Some(solved) => solved
                .as_bool()
                .ok_or_else(|| odd("solved", "true or false"))?,
        };
        let last_check = text("last_check")?;
        let attempts = match fields.get("attempts") {
            None => u64::from(last_check.is_some()),
            Some(attempts) => attempts
                .as_u64()
                .ok_or_else(|| odd("attempts", "a whole number"))?,
        };
        entries.insert(
            id.clone(),
            Entry {
                status,
                hints_used,
                attempts,
                first_check: text("first_check")?.or_else(|| last_check.clone()),
                last_check,
                last_failure: text("last_failure")?,
                solved,
            },
        );
    }
    let predictions = match value.get("predictions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) => list
            .iter()
            .map(|item| read_prediction(item).ok_or_else(|| damaged("a prediction is not valid")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(damaged("its \"predictions\" is not a list")),
    };
    Ok((entries, predictions))
}

/// One entry of `"predictions"`, or `None` when a field is missing or of the wrong kind.
fn read_prediction(item: &Value) -> Option<Prediction> {
    let part = match item.get("part")? {
        Value::Null => None,
        part => Some(part.as_u64()?),
    };
    Some(Prediction {
        lesson: item.get("lesson")?.as_str()?.to_string(),
        seed: item.get("seed")?.as_u64()?,
        part,
        score: item.get("score")?.as_u64()?,
        out_of: item.get("out_of")?.as_u64()?,
        when: item.get("when")?.as_str()?.to_string(),
    })
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
    fn every_check_counts_and_the_first_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("progress.json");
        let mut progress = Progress::load(&path).unwrap();
        progress.record_check("01a", Some("no".into())).unwrap();
        let first = Progress::load(&path).unwrap().entry("01a").first_check;
        assert!(first.is_some());
        progress.record_check("01a", None).unwrap();
        progress
            .record_prediction(Prediction {
                lesson: "04".into(),
                seed: 11,
                part: None,
                score: 3,
                out_of: 5,
                when: now_utc(),
            })
            .unwrap();
        let again = Progress::load(&path).unwrap();
        assert_eq!(again.entry("01a").attempts, 2);
        assert_eq!(again.entry("01a").first_check, first);
        assert_eq!(again.predictions().len(), 1);
        assert_eq!(again.predictions()[0].score, 3);
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
