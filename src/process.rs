//! Running a program with a time limit and collecting its output.
//!
//! Used by the tests and by `workbook check`: a lesson or a student's exercise that deadlocks is
//! killed when its time is up and reported, never waited for forever.
//!
//! A program the workbook checks is not trusted: [`Sandbox`] runs it in a scratch folder of its
//! own, with its own `HOME` and `TMPDIR`, a scrubbed environment, resource limits and its own
//! process group, killed whole when the run ends; on Linux with `bwrap` (bubblewrap) installed,
//! everything but the scratch folder is read-only and the network is cut.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// At most this much of each of a program's two outputs is kept; the rest is read and dropped
/// (so the program never blocks on a full pipe), and [`Finished::truncated`] says so.
pub const KEEP: usize = 16 << 20;

/// After the time limit, how long the output pipes are still read (what is already in them).
const DRAIN: Duration = Duration::from_millis(500);

/// What a program did within its time limit.
#[derive(Clone, Debug)]
pub struct Finished {
    /// Its exit status, or `None` when it was killed at the time limit (or by a signal).
    pub code: Option<i32>,
    /// True when it ran past the time limit and was killed.
    pub timed_out: bool,
    /// What it printed on stdout (at most [`KEEP`] bytes), as UTF-8 (invalid bytes replaced).
    pub stdout: String,
    /// What it printed on stderr (at most [`KEEP`] bytes).
    pub stderr: String,
    /// True when more was printed than was kept, or the output was still open at the limit.
    pub truncated: bool,
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

/// Runs a prepared `command` (stdin closed, output captured), killing it after `limit`. Its
/// output is read until it closes or the limit (plus a moment to drain) is reached, whichever
/// is first: a grandchild that keeps the output open never holds this up.
pub fn run_command_with_timeout(command: Command, limit: Duration) -> std::io::Result<Finished> {
    run(command, limit, false, &|| {})
}

/// [`run_command_with_timeout`], with the program in a process group of its own that is killed
/// whole when the run ends: at the limit, and also after a normal exit (so whatever it started
/// in the background goes with it). On other systems than Unix, only the program is killed.
pub fn run_group_with_timeout(command: Command, limit: Duration) -> std::io::Result<Finished> {
    run(command, limit, true, &|| {})
}

/// Runs `command` as the functions above say; `ended` is called once it has ended, before its
/// output is read to the end (to end whatever else holds that output open).
fn run(
    mut command: Command,
    limit: Duration,
    group: bool,
    ended: &dyn Fn(),
) -> std::io::Result<Finished> {
    #[cfg(unix)]
    if group {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let start = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let pid = child.id();
    if group {
        running::started(pid);
    }
    let (sender, outputs) = mpsc::channel();
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    for (index, stream) in [
        (0, Box::new(stdout) as Box<dyn Read + Send>),
        (1, Box::new(stderr)),
    ] {
        let sender = sender.clone();
        thread::spawn(move || {
            let _ = sender.send((index, read_capped(stream)));
        });
    }
    drop(sender);
    let mut timed_out = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() >= limit {
            timed_out = true;
            if group {
                kill_group(pid);
            }
            let _ = child.kill();
            break child.wait()?;
        }
        // Polling the child, not ordering threads: the interval only bounds how late we notice.
        thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    if group {
        // Whatever it left running in the background ends with it.
        kill_group(pid);
        running::ended(pid);
    }
    ended();
    let deadline = (start + limit).max(Instant::now()) + DRAIN;
    let mut kept: [Option<(Vec<u8>, bool)>; 2] = [None, None];
    while kept.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(Instant::now());
        match outputs.recv_timeout(left) {
            Ok((index, output)) => kept[index] = Some(output),
            // Still open at the limit (a grandchild holds it): stop reading; the reader thread
            // ends when the pipe closes.
            Err(_) => break,
        }
    }
    let truncated = kept
        .iter()
        .any(|output| output.as_ref().is_none_or(|o| o.1));
    let [stdout, stderr] = kept.map(|output| output.map(|o| o.0).unwrap_or_default());
    Ok(Finished {
        code: if timed_out { None } else { status.code() },
        timed_out,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        truncated,
        elapsed,
    })
}

/// Reads `stream` to its end, keeping the first [`KEEP`] bytes; true when more came.
fn read_capped(mut stream: impl Read) -> (Vec<u8>, bool) {
    let mut kept = Vec::new();
    let mut more = false;
    let mut buffer = vec![0; 64 << 10];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => {
                let room = KEEP - kept.len();
                if read > room {
                    more = true;
                }
                kept.extend_from_slice(&buffer[..read.min(room)]);
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    (kept, more)
}

/// Kills the process group `pgid` (`kill -KILL -- -pgid`: this crate uses no unsafe code).
fn kill_group(pgid: u32) {
    if cfg!(unix) {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{pgid}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Kills every process group still running that [`run_group_with_timeout`] started in this
/// process: for a program that is being interrupted.
pub fn kill_running_groups() {
    for pgid in running::all() {
        kill_group(pgid);
    }
}

/// What to undo when the process is interrupted (a signal): the registered tasks run, after
/// every running process group is killed.
pub mod cleanup {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};

    type Task = Box<dyn Fn() + Send>;

    static NEXT: AtomicU64 = AtomicU64::new(0);
    static TASKS: Mutex<Vec<(u64, Task)>> = Mutex::new(Vec::new());

    /// A registered task; dropping it unregisters it (the owner cleaned up itself).
    pub struct Registered(u64);

    /// Registers `task` to run if the process is interrupted before this is dropped.
    pub fn register(task: impl Fn() + Send + 'static) -> Registered {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        TASKS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((id, Box::new(task)));
        Registered(id)
    }

    impl Drop for Registered {
        fn drop(&mut self) {
            TASKS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|(id, _)| *id != self.0);
        }
    }

    /// Kills every running process group this process started, then runs every task.
    pub fn run_all() {
        super::kill_running_groups();
        let tasks = std::mem::take(&mut *TASKS.lock().unwrap_or_else(|e| e.into_inner()));
        for (_, task) in tasks {
            task();
        }
    }
}

/// True unless the process `pid` is known to be gone (known only on Linux, from `/proc`).
pub fn alive(pid: u32) -> bool {
    if !cfg!(target_os = "linux") || !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new("/proc").join(pid.to_string()).exists()
}

/// The pid in a name `<prefix><pid>-...` or `<prefix><pid>_...`.
pub fn pid_in(name: &str, prefix: &str) -> Option<u32> {
    let rest = name.strip_prefix(prefix)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = rest[digits.len()..].chars().next();
    if matches!(after, Some('-' | '_' | '.')) {
        digits.parse().ok()
    } else {
        None
    }
}

/// Cleans up after a process that was killed (even with SIGKILL) while it ran programs in
/// sandboxes in `tmp`: kills what still runs in each scratch folder whose maker is gone (found
/// by the `TMPDIR` in its environment, on Linux), then removes the folder.
pub fn sweep_stale(tmp: &Path) {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = pid_in(&name, RUN_PREFIX) else {
            continue;
        };
        if alive(pid) || !entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            continue;
        }
        let dir = entry.path();
        kill_running_in(&dir);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Kills every process whose environment names a folder of `dir` as its `TMPDIR` (Linux).
fn kill_running_in(dir: &Path) {
    let wanted = format!("TMPDIR={}", dir.join("tmp").display());
    let Ok(processes) = std::fs::read_dir("/proc") else {
        return;
    };
    for process in processes.flatten() {
        let name = process.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let Ok(environ) = std::fs::read(process.path().join("environ")) else {
            continue;
        };
        if environ
            .split(|&byte| byte == 0)
            .any(|var| var == wanted.as_bytes())
        {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &name])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
}

mod running {
    use std::sync::Mutex;

    static GROUPS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

    pub(super) fn started(pgid: u32) {
        GROUPS.lock().unwrap_or_else(|e| e.into_inner()).push(pgid);
    }

    pub(super) fn ended(pgid: u32) {
        GROUPS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|&g| g != pgid);
    }

    pub(super) fn all() -> Vec<u32> {
        GROUPS.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The resource limits of a sandboxed run (set with `prlimit`, when it is installed).
pub mod limits {
    /// Processes and threads (`RLIMIT_NPROC`: counted over all of the user's processes, and
    /// not enforced for root).
    pub const THREADS: u64 = 4096;
    /// Address space, in bytes (`RLIMIT_AS`).
    pub const MEMORY: u64 = 4 << 30;
    /// The largest file it may write, in bytes (`RLIMIT_FSIZE`); what it prints is capped by
    /// [`super::KEEP`] instead.
    pub const FILE: u64 = 64 << 20;
}

/// A scratch folder for running an untrusted program: `work/` (its working directory),
/// `home/` (its `HOME`) and `tmp/` (its `TMPDIR`), removed when dropped.
pub struct Sandbox {
    dir: tempfile::TempDir,
    _cleanup: cleanup::Registered,
}

/// The scratch folders of sandboxed runs are named `workbook-run-<pid>-...` (the pid of the
/// process that made them), so that [`sweep_stale`] can tell those of a process that is gone.
const RUN_PREFIX: &str = "workbook-run-";

impl Sandbox {
    /// A fresh scratch folder (in the system's temporary directory).
    pub fn new() -> std::io::Result<Sandbox> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("{RUN_PREFIX}{}-", std::process::id()))
            .tempdir()?;
        for sub in ["work", "home", "tmp"] {
            std::fs::create_dir(dir.path().join(sub))?;
        }
        let path = dir.path().to_path_buf();
        let _cleanup = cleanup::register(move || {
            let _ = std::fs::remove_dir_all(&path);
        });
        Ok(Sandbox { dir, _cleanup })
    }

    /// The scratch folder; the program may write anywhere in it.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `program` with `args` and only the environment variables `env` (plus `PATH`,
    /// `HOME`, `TMPDIR` and `LANG`), confined as the module says, killed with its whole process
    /// group after `limit`.
    pub fn run(
        &self,
        program: &Path,
        args: &[&str],
        env: &[(&str, &std::ffi::OsStr)],
        limit: Duration,
    ) -> std::io::Result<Finished> {
        let root = self.path();
        let mut wrapped: Vec<std::ffi::OsString> = Vec::new();
        if let Some(prlimit) = installed("prlimit") {
            wrapped.push(prlimit.into());
            wrapped.push(format!("--nproc={}", limits::THREADS).into());
            wrapped.push(format!("--as={}", limits::MEMORY).into());
            wrapped.push(format!("--fsize={}", limits::FILE).into());
            wrapped.push("--core=0".into());
            wrapped.push("--".into());
        }
        if let Some(bwrap) = bubblewrap() {
            wrapped.push(bwrap.into());
            for arg in [
                "--ro-bind",
                "/",
                "/",
                "--dev",
                "/dev",
                "--proc",
                "/proc",
                "--unshare-pid",
                "--unshare-net",
                "--die-with-parent",
            ] {
                wrapped.push(arg.into());
            }
            // /tmp stays read-only like the rest (a repository cloned there too); the program's
            // TMPDIR is in the scratch folder.
            wrapped.push("--bind".into());
            wrapped.push(root.into());
            wrapped.push(root.into());
            wrapped.push("--".into());
        }
        wrapped.push(program.into());
        wrapped.extend(args.iter().map(Into::into));
        let mut command = Command::new(&wrapped[0]);
        command
            .args(&wrapped[1..])
            .env_clear()
            .env("PATH", "/usr/local/bin:/usr/bin:/bin")
            .env("HOME", root.join("home"))
            .env("TMPDIR", root.join("tmp"))
            .env("LANG", "C.UTF-8")
            .envs(env.iter().copied())
            .current_dir(root.join("work"));
        let confined = bubblewrap().is_some();
        let mut finished = run(command, limit, true, &|| {
            if !confined {
                // A process that left the group (`setsid`) still has this sandbox's TMPDIR.
                kill_running_in(root);
            }
        })?;
        if confined && finished.code.is_some_and(|code| (129..160).contains(&code)) {
            // bwrap reports a program killed by signal N as status 128 + N: say it as it is
            // said without bwrap (a program that exits with 129..159 itself is taken as killed).
            finished.code = None;
        }
        Ok(finished)
    }
}

/// What protects the files around a sandboxed run, in a few words, for the teacher.
pub fn protection() -> String {
    let limits = if installed("prlimit").is_some() {
        "limits on threads, memory and file size"
    } else {
        "no resource limits (prlimit is not installed)"
    };
    match bubblewrap() {
        Some(_) => format!(
            "a scratch folder, all other files read-only and no network (bubblewrap), {limits}"
        ),
        None => format!(
            "a scratch folder and its own HOME and TMPDIR, but the rest of your files are NOT \
             protected (install bubblewrap for that), {limits}"
        ),
    }
}

/// `bwrap`, when it is installed and works here (it needs user namespaces).
fn bubblewrap() -> Option<PathBuf> {
    static BWRAP: OnceLock<Option<PathBuf>> = OnceLock::new();
    BWRAP
        .get_or_init(|| {
            if !cfg!(target_os = "linux") || std::env::var_os("WORKBOOK_NO_BWRAP").is_some() {
                return None;
            }
            let bwrap = installed("bwrap")?;
            let works = Command::new(&bwrap)
                .args(["--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid"])
                .args(["--unshare-net", "--die-with-parent", "--", "true"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
            works.then_some(bwrap)
        })
        .clone()
}

/// The full path of the program `name`, when it is on `PATH` (or in `/usr/bin`, `/bin`).
fn installed(name: &str) -> Option<PathBuf> {
    if !cfg!(unix) {
        return None;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
