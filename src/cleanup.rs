//! How a lesson ends when it cannot go on: one line on stderr, a documented exit status, and
//! nothing left behind.
//!
//! Every exit of the toolkit goes through [`exit`], which first removes the temporary folders
//! registered here (by [`crate::fs::temp_dir`]). The same removal runs when the process is
//! interrupted (SIGINT from Ctrl-C, SIGTERM, SIGHUP: the process then ends by that signal, as it
//! would have) and when output fails. The panic hook installed by [`crate::Cli::parse`] turns
//! the failures a student did not cause into one line and a status instead of a panic:
//!
//! | status | when |
//! | --- | --- |
//! | [`SPAWN_FAILED_EXIT`] (5) | the operating system refused a thread |
//! | [`OUTPUT_FAILED_EXIT`] (6) | the output could not be written (a full disk, `>/dev/full`) |
//! | [`BROKEN_PIPE_EXIT`] (141) | the reader of the output went away (`lesson01 \| head -1`) |
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::OnceLock;

use parking_lot::Mutex;

pub use crate::thread::SPAWN_FAILED_EXIT;

/// Exit status of a program whose output could not be written (a full device, an I/O error);
/// it says why in one line on stderr, if stderr can still be written.
pub const OUTPUT_FAILED_EXIT: i32 = 6;

/// Exit status of a program whose output pipe was closed by its reader: the status a shell
/// reports for a process killed by SIGPIPE. Nothing is printed.
pub const BROKEN_PIPE_EXIT: i32 = 141;

/// Folders to remove before the process ends, with the number that unregisters each.
struct Registry {
    next: u64,
    paths: Vec<(u64, PathBuf)>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next: 0,
    paths: Vec::new(),
});
static LISTENING: OnceLock<()> = OnceLock::new();
/// What to print on stdout if an interrupting signal comes now (`--interactive`'s schedule so
/// far), before the folders are removed and the process ends by the signal.
static LAST_WORDS: Mutex<Option<String>> = Mutex::new(None);

thread_local! {
    /// The last thread-spawn error this thread got from the toolkit, as `{:?}` and `{}`: a panic
    /// that carries it (`.expect(..)` on the result) is a spawn failure, not a bug.
    static SPAWN_ERROR: RefCell<Option<(String, String)>> = const { RefCell::new(None) };
}

/// Removes the registered folders, then ends the process with `code`.
pub fn exit(code: i32) -> ! {
    remove_registered();
    std::process::exit(code)
}

/// Prints `error: could not start a thread: {reason}` and exits with [`SPAWN_FAILED_EXIT`].
pub fn spawn_failed(reason: impl std::fmt::Display) -> ! {
    let _ = writeln!(io::stderr(), "error: could not start a thread: {reason}");
    exit(SPAWN_FAILED_EXIT)
}

/// Creates what `create` makes (a folder at the path it returns) and registers that folder for
/// removal at [`exit`] and on an interrupting signal, in one step: a signal never finds it made
/// but not yet registered. Returns the registration number for [`forget`].
pub(crate) fn create_registered<T>(
    create: impl FnOnce() -> io::Result<T>,
    path_of: impl FnOnce(&T) -> PathBuf,
) -> io::Result<(T, u64)> {
    listen_for_signals();
    let mut registry = REGISTRY.lock();
    let made = create()?;
    registry.next += 1;
    let id = registry.next;
    registry.paths.push((id, path_of(&made)));
    Ok((made, id))
}

/// The folder registered as `id` is gone (or is to be removed by its owner): forget it.
pub(crate) fn forget(id: u64) {
    REGISTRY.lock().paths.retain(|(at, _)| *at != id);
}

/// Removes every registered folder, holding the registry so that no new one appears meanwhile.
/// A thread of the program may still be writing in one: try a few times.
fn remove_registered() {
    let mut registry = REGISTRY.lock();
    for (_, path) in registry.paths.drain(..) {
        for _ in 0..20 {
            match std::fs::remove_dir_all(&path) {
                Err(error) if error.kind() != io::ErrorKind::NotFound => continue,
                _ => break,
            }
        }
    }
    // Keep the lock: the process is about to end, and nothing may register after this.
    std::mem::forget(registry);
}

/// From the first registered folder on, SIGINT, SIGTERM and SIGHUP remove the folders, then end
/// the process by the same signal (so a shell sees the usual "interrupted" status, 130, 143 or
/// 129). The listening thread is a plain thread, unknown to replays and to the watchdog.
fn listen_for_signals() {
    #[cfg(unix)]
    LISTENING.get_or_init(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let mut signals = match signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) {
            Ok(signals) => signals,
            Err(error) => {
                let _ = writeln!(io::stderr(), "warning: cannot watch for Ctrl-C: {error}");
                return;
            }
        };
        let listener = std::thread::Builder::new()
            .name("workbook signals".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                if let Some(signal) = signals.forever().next() {
                    remove_registered_then_die(signal);
                }
            });
        if let Err(error) = listener {
            spawn_failed(error);
        }
    });
}

/// Sets what an interrupting signal (Ctrl-C) prints on stdout before the program ends by it, or
/// nothing (`None`); from the first call on, the signals are watched as for a registered folder.
pub(crate) fn on_interrupt(last_words: Option<String>) {
    listen_for_signals();
    *LAST_WORDS.lock() = last_words;
}

#[cfg(unix)]
fn remove_registered_then_die(signal: i32) -> ! {
    if let Some(text) = LAST_WORDS.lock().take() {
        let mut out = io::stdout();
        let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    }
    remove_registered();
    let _ = signal_hook::low_level::emulate_default_handler(signal);
    // Only if the signal did not end the process: the shell's status for it.
    std::process::exit(128 + signal)
}

/// Remembers a spawn error this thread got, so that a panic carrying it is reported as one.
pub(crate) fn note_spawn_error(error: &io::Error) {
    SPAWN_ERROR.with(|noted| *noted.borrow_mut() = Some((format!("{error:?}"), error.to_string())));
}

/// The reason of a thread-spawn failure, if the panic `message` is one: std's own
/// (`failed to spawn thread: Os { .. }`, or a new thread's `failed to allocate an alternative
/// stack: ..`), rayon's pool that could not start, or a toolkit spawn
/// error unwrapped by the program.
fn spawn_failure(message: &str) -> Option<String> {
    if let Some(debug) = message.split("failed to spawn thread: ").nth(1) {
        return Some(reason_of_debug(debug));
    }
    // The thread was made, but std could not map its signal stack: no memory for a thread.
    if let Some(reason) = message.strip_prefix("failed to allocate an alternative stack: ") {
        return Some(reason.to_string());
    }
    // rayon's global pool could not start its threads (its first `par_iter` then panics).
    if message.contains("ThreadPoolBuildError") {
        if let Some(debug) = message.split("IOError(").nth(1) {
            return Some(reason_of_debug(debug));
        }
    }
    SPAWN_ERROR.with(|noted| {
        let noted = noted.borrow();
        let (debug, display) = noted.as_ref()?;
        (message.contains(debug.as_str()) || message.contains(display.as_str()))
            .then(|| display.clone())
    })
}

/// `Os { code: 11, kind: WouldBlock, message: "Resource temporarily unavailable" }` becomes
/// `Resource temporarily unavailable (os error 11)`, as `io::Error` displays it.
fn reason_of_debug(debug: &str) -> String {
    let field = |name: &str| {
        let start = debug.find(name)? + name.len();
        Some(&debug[start..])
    };
    let message = field("message: \"").and_then(|rest| rest.split('"').next());
    let code = field("code: ").and_then(|rest| {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        (!digits.is_empty()).then_some(digits)
    });
    match (message, code) {
        (Some(message), Some(code)) => format!("{message} (os error {code})"),
        (Some(message), None) => message.to_string(),
        _ => debug.trim().to_string(),
    }
}

/// What a panic hook does with a panic `message`: nothing (`None`, the usual report), or end the
/// process with one line (maybe none) and a status.
pub(crate) fn verdict(message: &str) -> Option<(Option<String>, i32)> {
    for stream in ["stdout", "stderr"] {
        let Some(reason) = message
            .split(&format!("failed printing to {stream}: "))
            .nth(1)
        else {
            continue;
        };
        if reason.contains("Broken pipe") {
            return Some((None, BROKEN_PIPE_EXIT));
        }
        let line =
            (stream == "stdout").then(|| format!("error: could not write the output: {reason}"));
        return Some((line, OUTPUT_FAILED_EXIT));
    }
    let reason = spawn_failure(message)?;
    Some((
        Some(format!("error: could not start a thread: {reason}")),
        SPAWN_FAILED_EXIT,
    ))
}

/// Installs the panic hook every lesson gets from [`crate::Cli::parse`]: a closed output pipe
/// ends the program quietly ([`BROKEN_PIPE_EXIT`]), output that cannot be written and a thread
/// the operating system refused end it with one line on stderr ([`OUTPUT_FAILED_EXIT`],
/// [`SPAWN_FAILED_EXIT`]), from whichever thread, live or in a replay. A student did nothing
/// wrong there. Every other panic goes to the usual hook (lesson 2 panics a thread on purpose).
pub fn install_panic_hook() {
    let usual = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if let Some((line, code)) = verdict(message) {
            if let Some(line) = line {
                let _ = writeln!(io::stderr(), "{line}");
            }
            exit(code);
        }
        usual(info);
    }));
}

/// Panics whose payload is a `T` are a lesson's own, raised on purpose
/// (`std::panic::panic_any(T)`) and reported by the lesson itself: std's message for them on
/// stderr would only look like a crash. Every other panic is reported as before.
pub fn quiet_panics_of<T: 'static>() {
    let usual = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !info.payload().is::<T>() {
            usual(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_spawn_failures_are_recognised() {
        let message = "failed to spawn thread: Os { code: 11, kind: WouldBlock, message: \
                       \"Resource temporarily unavailable\" }";
        assert_eq!(
            verdict(message),
            Some((
                Some(
                    "error: could not start a thread: Resource temporarily unavailable \
                     (os error 11)"
                        .to_string()
                ),
                SPAWN_FAILED_EXIT
            ))
        );
        // A thread std made but could not give its signal stack (little address space left).
        let message =
            "failed to allocate an alternative stack: Cannot allocate memory (os error 12)";
        assert_eq!(
            verdict(message),
            Some((
                Some(
                    "error: could not start a thread: Cannot allocate memory (os error 12)"
                        .to_string()
                ),
                SPAWN_FAILED_EXIT
            ))
        );
    }

    #[test]
    fn a_noted_spawn_error_unwrapped_is_a_spawn_failure() {
        let error = io::Error::from_raw_os_error(11);
        assert_eq!(verdict(&format!("a thread: {error:?}")), None);
        note_spawn_error(&error);
        let (line, code) = verdict(&format!("the OS starts a thread: {error:?}")).unwrap();
        assert_eq!(code, SPAWN_FAILED_EXIT);
        assert!(line.unwrap().ends_with("(os error 11)"));
        assert_eq!(verdict("on purpose: \"seven\" is not a number"), None);
    }

    #[test]
    fn rayon_pool_failures_are_spawn_failures() {
        let message = "The global thread pool has not been initialized.: ThreadPoolBuildError { \
                       kind: IOError(Os { code: 11, kind: WouldBlock, message: \"Resource \
                       temporarily unavailable\" }) }";
        let (line, code) = verdict(message).unwrap();
        assert_eq!(code, SPAWN_FAILED_EXIT);
        assert_eq!(
            line.unwrap(),
            "error: could not start a thread: Resource temporarily unavailable (os error 11)"
        );
    }

    #[test]
    fn output_failures() {
        let full = "failed printing to stdout: No space left on device (os error 28)";
        assert_eq!(
            verdict(full),
            Some((
                Some(
                    "error: could not write the output: No space left on device (os error 28)"
                        .to_string()
                ),
                OUTPUT_FAILED_EXIT
            ))
        );
        let pipe = "failed printing to stdout: Broken pipe (os error 32)";
        assert_eq!(verdict(pipe), Some((None, BROKEN_PIPE_EXIT)));
        let stderr = "failed printing to stderr: No space left on device (os error 28)";
        assert_eq!(verdict(stderr), Some((None, OUTPUT_FAILED_EXIT)));
    }
}
