//! Drop-in file operations: `std::fs`'s `File`, `OpenOptions`, `read_to_string` and `read`.
//!
//! Live, each is the std operation. In a replay each is one turn, so another thread can act
//! between two of them: a reader can open a file before the writer has created it, or read
//! between the two `write_all` calls a line is made of. The trace names a file by its file name
//! (`create log.txt`, `write "ent" to log.txt`, `read log.txt -> "ent"`); what a read or an open
//! finds is `?` under `--predict`.
#![forbid(unsafe_code)]

use std::io::{self, Read, Write};
use std::path::Path;

use crate::scheduler::{Pending, Scheduler};
use crate::sync::{replaying, reveal};

/// Takes a turn for `what` on the file at `path` (in a replay), runs `operation`, and records
/// the row that `row` makes of its result. Live, it only runs `operation`.
fn turn<T>(
    what: &str,
    path: &Path,
    operation: impl FnOnce() -> io::Result<T>,
    row: impl FnOnce(&Scheduler, &str, &io::Result<T>) -> String,
) -> io::Result<T> {
    let Some((scheduler, me)) = replaying() else {
        return operation();
    };
    let name = file_name(path);
    scheduler.turn(me, Pending::now(format!("{what} {name}")));
    let result = operation();
    let text = row(&scheduler, &name, &result);
    scheduler.record(me, text, None);
    result
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .unwrap_or(path.as_os_str())
        .to_string_lossy()
        .into_owned()
}

/// `Err(NotFound)` and the like: the kind of an error, which reads the same on every system.
fn error_kind(error: &io::Error) -> String {
    format!("Err({:?})", error.kind())
}

/// An open file; in a replay each `write` and `read` call on it is a turn.
#[derive(Debug)]
pub struct File {
    inner: std::fs::File,
    name: String,
}

impl File {
    /// Creates the file (or truncates it) for writing, like [`std::fs::File::create`].
    pub fn create(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
    }

    /// Opens the file for reading, like [`std::fs::File::open`].
    pub fn open(path: impl AsRef<Path>) -> io::Result<File> {
        OpenOptions::new().read(true).open(path)
    }

    /// Options to open a file with, like [`std::fs::File::options`].
    pub fn options() -> OpenOptions {
        OpenOptions::new()
    }
}

impl Write for File {
    /// One `write` call: one turn in a replay, shown with the bytes it wrote.
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let Some((scheduler, me)) = replaying() else {
            return self.inner.write(bytes);
        };
        scheduler.turn(me, Pending::now(format!("write to {}", self.name)));
        let result = self.inner.write(bytes);
        let text = match &result {
            Ok(written) => format!(
                "write {:?} to {}",
                String::from_utf8_lossy(&bytes[..*written]),
                self.name
            ),
            Err(error) => format!("write to {} -> {}", self.name, error_kind(error)),
        };
        scheduler.record(me, text, None);
        result
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl Read for File {
    /// One `read` call: one turn in a replay, shown with the bytes it read.
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let Some((scheduler, me)) = replaying() else {
            return self.inner.read(buffer);
        };
        scheduler.turn(me, Pending::now(format!("read {}", self.name)));
        let result = self.inner.read(buffer);
        let text = match &result {
            Ok(read) => format!(
                "read {} -> {}",
                self.name,
                reveal(
                    &scheduler,
                    format!("{:?}", String::from_utf8_lossy(&buffer[..*read]))
                )
            ),
            Err(error) => format!("read {} -> {}", self.name, error_kind(error)),
        };
        scheduler.record(me, text, None);
        result
    }
}

/// How to open a file, like [`std::fs::OpenOptions`]; opening is one turn in a replay.
#[derive(Clone, Debug)]
pub struct OpenOptions {
    inner: std::fs::OpenOptions,
    writes: bool,
    creates: bool,
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl OpenOptions {
    /// No access and no creation, like [`std::fs::OpenOptions::new`].
    pub fn new() -> OpenOptions {
        OpenOptions {
            inner: std::fs::OpenOptions::new(),
            writes: false,
            creates: false,
        }
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.inner.read(read);
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.inner.write(write);
        self.writes |= write;
        self
    }

    /// Every write goes to the end of the file.
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.inner.append(append);
        self.writes |= append;
        self
    }

    /// Empty the file when it is opened.
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.inner.truncate(truncate);
        self
    }

    /// Create the file if it is not there.
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.inner.create(create);
        self.creates |= create;
        self
    }

    /// Create the file, and fail if anything (even a symbolic link) is already at the path.
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.inner.create_new(create_new);
        self.creates |= create_new;
        self
    }

    /// Opens the file at `path`: one turn in a replay.
    pub fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref();
        let what = if self.creates {
            "create"
        } else if self.writes {
            "open for writing"
        } else {
            "open"
        };
        let opened = turn(
            what,
            path,
            || self.inner.open(path),
            |scheduler: &Scheduler, name, result| match result {
                Ok(_) => format!("{what} {name} -> {}", reveal(scheduler, "Ok")),
                Err(error) => format!("{what} {name} -> {}", reveal(scheduler, error_kind(error))),
            },
        )?;
        Ok(File {
            inner: opened,
            name: file_name(path),
        })
    }
}

/// Reads the whole file into a string, like [`std::fs::read_to_string`]: one turn in a replay
/// (the read sees the file as it is at that turn).
pub fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let path = path.as_ref();
    turn(
        "read",
        path,
        || std::fs::read_to_string(path),
        |scheduler, name, result| match result {
            Ok(text) => format!("read {name} -> {}", reveal(scheduler, format!("{text:?}"))),
            Err(error) => format!("read {name} -> {}", reveal(scheduler, error_kind(error))),
        },
    )
}

/// Reads the whole file as bytes, like [`std::fs::read`]: one turn in a replay.
pub fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref();
    turn(
        "read",
        path,
        || std::fs::read(path),
        |scheduler, name, result| match result {
            Ok(bytes) => {
                let text = format!("{:?}", String::from_utf8_lossy(bytes));
                format!("read {name} -> {}", reveal(scheduler, text))
            }
            Err(error) => format!("read {name} -> {}", reveal(scheduler, error_kind(error))),
        },
    )
}

/// A fresh, empty folder under the system's temporary folder, made with
/// [`temp_dir`]. Dropping it removes it and everything in it (also when a panic unwinds past
/// it), and so does the toolkit when the program is interrupted (Ctrl-C, `kill`, a closed
/// output pipe) or ends through one of its exits: nothing is left behind.
#[derive(Debug)]
pub struct TempDir {
    dir: Option<tempfile::TempDir>,
    id: u64,
}

/// Makes a [`TempDir`] whose name starts with `prefix`, readable only by you (mode 0700 on
/// Unix). Not a turn in a replay: nothing else can see the folder yet.
pub fn temp_dir(prefix: &str) -> io::Result<TempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let (dir, id) =
        crate::cleanup::create_registered(|| builder.tempdir(), |dir| dir.path().to_path_buf())?;
    Ok(TempDir { dir: Some(dir), id })
}

impl TempDir {
    /// Where the folder is.
    pub fn path(&self) -> &Path {
        self.dir
            .as_ref()
            .expect("the folder is there until closed")
            .path()
    }

    /// Removes the folder now, and says whether that worked.
    pub fn close(mut self) -> io::Result<()> {
        // Removed before it is forgotten: a signal in between finds it registered.
        let closed = self.dir.take().map_or(Ok(()), tempfile::TempDir::close);
        crate::cleanup::forget(self.id);
        closed
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // tempfile's TempDir removes the folder when dropped; then it is forgotten.
        drop(self.dir.take());
        crate::cleanup::forget(self.id);
    }
}
