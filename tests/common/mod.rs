//! Helpers shared by the lesson tests: run a lesson binary as a subprocess with a time limit,
//! snapshot its replay output, check bad input, and load the CPU from another process.
#![allow(dead_code)] // each test file uses only some of these helpers

use std::process::{Child, Command};
use std::time::Duration;

pub use workbook::process::Finished;
use workbook::process::run_with_timeout;

/// No lesson run may take longer than this; past it the test fails instead of hanging.
pub const LIMIT: Duration = Duration::from_secs(20);

/// Runs a lesson binary (`env!("CARGO_BIN_EXE_lessonNN")`) with `args`, within [`LIMIT`].
pub fn run(binary: &str, args: &[&str]) -> Finished {
    let finished = run_with_timeout(binary.as_ref(), args, LIMIT)
        .unwrap_or_else(|error| panic!("could not start {binary}: {error}"));
    assert!(
        !finished.timed_out,
        "{binary} {args:?} did not finish within {LIMIT:?}"
    );
    finished
}

/// Runs a lesson that must succeed and returns its stdout.
pub fn stdout_of(binary: &str, args: &[&str]) -> String {
    let finished = run(binary, args);
    assert_eq!(
        finished.code,
        Some(0),
        "{binary} {args:?} failed:\n{}\n{}",
        finished.stdout,
        finished.stderr
    );
    assert!(!finished.stderr.contains("panicked"), "{}", finished.stderr);
    finished.stdout
}

/// Asserts that `args` is rejected: exit status 2, a one-line `error:` on stderr with a hint,
/// nothing on stdout, and no panic.
pub fn assert_rejected(binary: &str, args: &[&str]) {
    let finished = run(binary, args);
    assert_eq!(
        finished.code,
        Some(2),
        "{args:?} should exit 2; stderr: {}",
        finished.stderr
    );
    assert!(
        !finished.stderr.contains("panicked"),
        "{args:?} panicked: {}",
        finished.stderr
    );
    let first = finished.stderr.lines().next().unwrap_or("");
    assert!(
        first.starts_with("error: ") && first.len() > 10,
        "{args:?}: unclear error {first:?}"
    );
    assert!(
        finished.stderr.contains("--help"),
        "{args:?}: no hint: {}",
        finished.stderr
    );
    assert!(
        finished.stdout.is_empty(),
        "{args:?} printed on stdout: {}",
        finished.stdout
    );
}

/// Snapshots `value` as `tests/snapshots/NAME.snap` (the name starts with the lesson's binary
/// name, e.g. `lesson01_seed_3`); the book includes these files from line 4 on.
#[macro_export]
macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// Busy processes that load every core while they live; killed on drop.
pub struct CpuLoad(Vec<Child>);

/// Starts one busy process per core (the test binary itself, running [`burn_cpu_helper`]).
pub fn load_the_cpu() -> CpuLoad {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let exe = std::env::current_exe().expect("the test binary knows its path");
    let children = (0..cores)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--exact",
                    "common::burn_cpu_helper",
                    "--ignored",
                    "--nocapture",
                ])
                .env("WORKBOOK_BURN_CPU", "1")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("start a CPU load process")
        })
        .collect();
    CpuLoad(children)
}

impl Drop for CpuLoad {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Not a test: the busy loop behind [`load_the_cpu`]. Does nothing unless started by it, and
/// stops by itself after 60 s in case nobody kills it.
#[test]
#[ignore]
fn burn_cpu_helper() {
    if std::env::var_os("WORKBOOK_BURN_CPU").is_none() {
        return;
    }
    let start = std::time::Instant::now();
    let mut x: u64 = 1;
    while start.elapsed() < Duration::from_secs(60) {
        for _ in 0..100_000 {
            x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
        }
    }
}

/// Maps `f` over `items` in a few threads (the runs are independent child processes, so they
/// overlap their start-up and waiting), keeping the order of `items`. A panic in any run fails
/// the test.
pub fn par_map<I: Send, O: Send>(items: Vec<I>, f: impl Fn(I) -> O + Sync) -> Vec<O> {
    const THREADS: usize = 4;
    let per_thread = items.len().div_ceil(THREADS).max(1);
    let mut chunks: Vec<Vec<I>> = Vec::new();
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        chunks.push(items.by_ref().take(per_thread).collect());
    }
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || chunk.into_iter().map(f).collect::<Vec<O>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}
