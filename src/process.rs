//! Running a program with a time limit and collecting its output.
//!
//! Used by the tests and by `workbook check`: a lesson or a student's exercise that deadlocks is
//! killed when its time is up and reported, never waited for forever.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// What a program did within its time limit.
#[derive(Clone, Debug)]
pub struct Finished {
    /// Its exit status, or `None` when it was killed at the time limit (or by a signal).
    pub code: Option<i32>,
    /// True when it ran past the time limit and was killed.
    pub timed_out: bool,
    /// Everything it printed on stdout, as UTF-8 (invalid bytes replaced).
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
    /// How long it ran.
    pub elapsed: Duration,
}

/// Runs `program` with `args`, killing it after `limit`.
pub fn run_with_timeout(
    program: &Path,
    args: &[&str],
    limit: Duration,
) -> std::io::Result<Finished> {
    let mut command = Command::new(program);
    command.args(args);
    run_command_with_timeout(command, limit)
}

/// Runs a prepared `command` (stdin closed, output captured), killing it after `limit`.
pub fn run_command_with_timeout(
    mut command: Command,
    limit: Duration,
) -> std::io::Result<Finished> {
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let out_reader = thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stdout.read_to_end(&mut bytes);
        bytes
    });
    let err_reader = thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr.read_to_end(&mut bytes);
        bytes
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() >= limit {
            timed_out = true;
            let _ = child.kill();
            break child.wait()?;
        }
        // Polling the child, not ordering threads: the interval only bounds how late we notice.
        thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let stdout = out_reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(Finished {
        code: if timed_out { None } else { status.code() },
        timed_out,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        elapsed,
    })
}
