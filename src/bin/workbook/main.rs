//! `cargo run --bin workbook -- <command>`: the exercises' checker, hints, solutions, progress
//! and grading report.
//!
//! The exercises themselves are described in `src/bin/workbook/exercises/` (what each asks, its hints, its
//! check); this program builds a student's attempt (`lessons/exercises/exNNx_*.rs`, a binary of
//! the separate package `lessons/Cargo.toml`), runs the check, and remembers the result in one
//! small file it owns (`.workbook/progress.json`, git-ignored).
//!
//! Environment: `WORKBOOK_ROOT` names the repository (default: where this program was built,
//! else the nearest folder above the current one that has `lessons/Cargo.toml`);
//! `WORKBOOK_PROGRESS` names the progress file (default `.workbook/progress.json` in the root).
#![forbid(unsafe_code)]

// The grader (the exercise catalogue and its checks). Declared before the `println!` macros
// below, so it prints as a library would; `tests/exercises.rs` and `tests/workbook_cli.rs`
// include it too, and some of its items serve only them.
#[allow(dead_code)]
mod exercises;
mod progress;

// Every line this program prints goes through `say`: a full disk or a closed pipe ends it with
// one line at most, never a panic.
macro_rules! println {
    () => {
        $crate::say(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::say(format_args!("{}\n", format_args!($($arg)*)))
    };
}

// And every line on stderr is written or dropped: a closed stderr is no panic either.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

macro_rules! print {
    ($($arg:tt)*) => {
        $crate::say(format_args!($($arg)*))
    };
}

// Declared after the macros above: what it prints goes through `say` too.
mod grade;

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use serde_json::json;
use workbook::process;

use exercises::cargo::{CargoError, Exercises};
use exercises::{Exercise, Program};
use progress::{Progress, Status};

const HELP: &str = "\
workbook: check your exercises, ask for hints, see solutions, track your progress

Usage: cargo run --bin workbook -- <COMMAND>

Exit status: 0 done or shown; 1 not done (or refused, with the reason); 2 a command line or a
file the workbook cannot use; 3 the output cannot be written (one line on stderr); 141 the
reader of the output went away (nothing printed); 128+N killed by signal N, after removing what
the check had started.

Commands:
  list                 every exercise, with its status and the hints you used
  check ID             build and check one exercise (01a) or all of a lesson's (01); exit
                       status 0 when done, 1 when not. Done means: it builds, its checks pass,
                       and clippy has no warnings on it
  hint ID              the next of three hints: a nudge, the API to use, nearly the answer
  solution ID          the reference solution, once the exercise is done (or with --force)
  reset ID --yes       put the starter back (your version is saved in .workbook/backup/)
  report [--json]      your progress, as text for you or as JSON for your teacher
  predict LESSON --seed N
                       predict the values a lesson's replay hides (its --predict table), one
                       per line, then see them marked against the real replay; the score is
                       kept in your progress (exit status 0 when every value is right)
  help                 this text

Options:
  check ID --file PATH   check the file PATH as exercise ID instead of your starter, without
                         recording progress: for a teacher grading a student's file
  solution ID --force    show the solution even though the exercise is not done yet
  predict LESSON --seed N --part N
                         the replay of one part, for a lesson that has parts
  predict LESSON --seed N --answers FILE
                         the values from FILE (one a line) instead of typed ones
  report --class DIR [--only 04a,04b] [--json]
                         for a teacher: grade DIR/<student>/ex04a_mutex_counter.rs, ... (files
                         named like the starters, any subset) as `check --file` does, one row
                         per student; DIR and your progress are left untouched
  report --class DIR --html FILE
                         also write the same grades to FILE as one HTML page to open in a
                         browser (self-contained: no scripts, nothing fetched)

Your exercises are in lessons/exercises/; edit one, then check it, e.g.
  cargo run --bin workbook -- check 01a
Progress is kept in .workbook/progress.json (WORKBOOK_PROGRESS names another file).
";

/// The commands, as `help` names them.
const COMMANDS: [&str; 8] = [
    "list", "check", "hint", "solution", "reset", "report", "predict", "help",
];

/// A command line that makes no sense: printed as one `error:` line, exit status 2.
struct Usage(String);

/// What a command asks the process to end with.
type Outcome = Result<ExitCode, Usage>;

/// Exit status when the output cannot be written (a full disk): one line on stderr says so.
const OUTPUT_FAILED: u8 = 3;

/// Exit status when whoever reads the output stopped (`workbook list | head -1`), as a shell
/// reports a process killed by SIGPIPE; nothing is printed.
const OUTPUT_CLOSED: i32 = 141;

/// Writes `text` to stdout; when that fails, cleans up and ends the process (see
/// [`OUTPUT_FAILED`], [`OUTPUT_CLOSED`]).
fn say(text: std::fmt::Arguments) {
    if let Err(error) = std::io::stdout().lock().write_fmt(text) {
        output_failed(&error);
    }
}

fn output_failed(error: &std::io::Error) -> ! {
    process::cleanup::run_all();
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(OUTPUT_CLOSED);
    }
    let _ = writeln!(std::io::stderr(), "error: cannot write the output: {error}");
    std::process::exit(OUTPUT_FAILED.into());
}

/// On SIGINT, SIGTERM or SIGHUP: kill the programs being checked, remove the scratch folders
/// and throwaway packages, and end as the signal would have (status 128 + its number).
#[cfg(not(unix))]
fn clean_up_when_interrupted() {}

/// On SIGINT, SIGTERM or SIGHUP: see above.
#[cfg(unix)]
fn clean_up_when_interrupted() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            process::cleanup::run_all();
            std::process::exit(128 + signal);
        }
    });
}

fn main() -> ExitCode {
    clean_up_when_interrupted();
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let outcome = run(args);
    if let Err(error) = std::io::stdout().flush() {
        output_failed(&error);
    }
    match outcome {
        Ok(code) => code,
        Err(Usage(message)) => {
            // A bad value is quoted in the message: never 100 KB of it.
            eprintln!("error: {}", exercises::shorten(&message, 300));
            eprintln!("Try `cargo run --bin workbook -- --help` for the commands.");
            ExitCode::from(2)
        }
    }
}

/// The parsed command line: a command, its positional arguments, and its flags.
#[derive(Default)]
struct Args {
    command: String,
    positional: Vec<String>,
    json: bool,
    force: bool,
    yes: bool,
    file: Option<PathBuf>,
    help: bool,
    seed: Option<String>,
    part: Option<String>,
    answers: Option<PathBuf>,
    class: Option<PathBuf>,
    only: Option<String>,
    html: Option<PathBuf>,
}

fn parse(args: Vec<OsString>) -> Result<Args, Usage> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut parsed = Args::default();
    let invalid = |error: lexopt::Error| Usage(error.to_string());
    let once = |given: &mut bool, flag: &str| {
        if std::mem::replace(given, true) {
            Err(Usage(format!("{flag} is given twice")))
        } else {
            Ok(())
        }
    };
    while let Some(arg) = parser.next().map_err(invalid)? {
        match arg {
            Short('h') | Long("help") => once(&mut parsed.help, "--help")?,
            Long("json") => once(&mut parsed.json, "--json")?,
            Long("force") => once(&mut parsed.force, "--force")?,
            Long("yes") => once(&mut parsed.yes, "--yes")?,
            Long("file") => {
                if parsed.file.is_some() {
                    return Err(Usage("--file is given twice".into()));
                }
                parsed.file = Some(PathBuf::from(parser.value().map_err(invalid)?));
            }
            Long(flag @ ("seed" | "part" | "only")) => {
                let flag = flag.to_string();
                let value = parser
                    .value()
                    .map_err(invalid)?
                    .into_string()
                    .map_err(|value| Usage(format!("{value:?} is not valid text")))?;
                let slot = match flag.as_str() {
                    "seed" => &mut parsed.seed,
                    "part" => &mut parsed.part,
                    _ => &mut parsed.only,
                };
                if slot.replace(value).is_some() {
                    return Err(Usage(format!("--{flag} is given twice")));
                }
            }
            Long(flag @ ("answers" | "class" | "html")) => {
                let flag = flag.to_string();
                let value = PathBuf::from(parser.value().map_err(invalid)?);
                let slot = match flag.as_str() {
                    "answers" => &mut parsed.answers,
                    "class" => &mut parsed.class,
                    _ => &mut parsed.html,
                };
                if slot.replace(value).is_some() {
                    return Err(Usage(format!("--{flag} is given twice")));
                }
            }
            Long(flag) => return Err(Usage(format!("unknown flag --{flag}"))),
            Short(letter) => return Err(Usage(format!("unknown flag -{letter}"))),
            Value(value) => {
                let value = value
                    .into_string()
                    .map_err(|value| Usage(format!("{value:?} is not valid text")))?;
                if parsed.command.is_empty() {
                    parsed.command = value;
                } else {
                    parsed.positional.push(value);
                }
            }
        }
    }
    Ok(parsed)
}

fn run(args: Vec<OsString>) -> Outcome {
    let args = parse(args)?;
    if args.help || args.command.is_empty() || args.command == "help" {
        if args.command.is_empty() && !args.help {
            return Err(Usage("no command given".into()));
        }
        // `help CMD`, `--help CMD` and `CMD --help` name a command: it must be one.
        let named: Vec<&String> = if args.command == "help" {
            args.positional.iter().collect()
        } else {
            std::iter::once(&args.command)
                .filter(|command| !command.is_empty())
                .chain(&args.positional)
                .collect()
        };
        if let Some(bad) = named.iter().find(|name| !COMMANDS.contains(&name.as_str())) {
            return Err(Usage(format!(
                "no command {bad:?} to help with: the commands are {}",
                COMMANDS.join(", ")
            )));
        }
        if named.len() > 1 {
            return Err(Usage("help takes one command at a time".into()));
        }
        print!("{HELP}");
        return Ok(ExitCode::SUCCESS);
    }
    let (flags_allowed, ids): (&[&str], std::ops::RangeInclusive<usize>) =
        match args.command.as_str() {
            "list" => (&[], 0..=0),
            "check" => (&["--file"], 1..=1),
            "hint" => (&[], 1..=1),
            "solution" => (&["--force"], 1..=1),
            "reset" => (&["--yes"], 1..=1),
            "report" => (&["--json", "--class", "--only", "--html"], 0..=0),
            "predict" => (&["--seed", "--part", "--answers"], 1..=1),
            other => {
                return Err(Usage(format!(
                    "unknown command {other:?}: the commands are list, check, hint, solution, \
                     reset, report, predict"
                )));
            }
        };
    for (flag, given) in [
        ("--json", args.json),
        ("--force", args.force),
        ("--yes", args.yes),
        ("--file", args.file.is_some()),
        ("--seed", args.seed.is_some()),
        ("--part", args.part.is_some()),
        ("--answers", args.answers.is_some()),
        ("--class", args.class.is_some()),
        ("--only", args.only.is_some()),
        ("--html", args.html.is_some()),
    ] {
        if given && !flags_allowed.contains(&flag) {
            return Err(Usage(format!("{} does not take {flag}", args.command)));
        }
    }
    if !ids.contains(&args.positional.len()) {
        return Err(Usage(match (*ids.end(), args.positional.len()) {
            (0, _) => format!(
                "{} takes no exercise id, got {}",
                args.command,
                args.positional.join(" ")
            ),
            (_, 0) if args.command == "predict" => {
                "predict needs a lesson, e.g. `predict 04 --seed 11`".to_string()
            }
            (_, 0) => format!(
                "{} needs an exercise id, e.g. `{} 01a`",
                args.command, args.command
            ),
            _ => format!("{} takes one exercise id at a time", args.command),
        }));
    }
    if args.only.is_some() && args.class.is_none() {
        return Err(Usage(
            "--only picks the exercises of report --class DIR; give --class too".into(),
        ));
    }
    if args.html.is_some() && args.class.is_none() {
        return Err(Usage(
            "--html writes the page of report --class DIR; give --class too".into(),
        ));
    }
    // Grading a class reads and writes nothing of the teacher's own progress.
    let workbook = Workbook::open(args.class.is_none())?;
    let target = args.positional.first().map(String::as_str).unwrap_or("");
    match args.command.as_str() {
        "list" => workbook.list(),
        "check" => workbook.check(target, args.file.as_deref()),
        "hint" => workbook.hint(target),
        "solution" => workbook.solution(target, args.force),
        "reset" => workbook.reset(target, args.yes),
        "report" => match &args.class {
            Some(dir) => {
                workbook.class_report(dir, args.only.as_deref(), args.json, args.html.as_deref())
            }
            None => workbook.report(args.json),
        },
        "predict" => workbook.predict(grade::PredictRequest {
            lesson: target,
            seed: args.seed.as_deref(),
            part: args.part.as_deref(),
            answers: args.answers.as_deref(),
        }),
        _ => unreachable!("the command was matched above"),
    }
}

/// The repository, its exercises and the student's progress.
struct Workbook {
    root: PathBuf,
    package: Exercises,
    progress: Progress,
    all: Vec<Exercise>,
}

/// What a program's own trouble (not the student's) is reported as: exit status 2.
fn trouble(message: String) -> Usage {
    Usage(message)
}

impl Workbook {
    /// The workbook; its progress file is read (and what a killed save left next to it
    /// removed) only `with_progress`.
    fn open(with_progress: bool) -> Result<Workbook, Usage> {
        let root = locate_root()?;
        let progress_path = match std::env::var_os("WORKBOOK_PROGRESS") {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => root.join(".workbook").join("progress.json"),
        };
        let package = Exercises::new(&root);
        // What a check killed earlier (even with SIGKILL) left behind goes now.
        let tmp = std::env::temp_dir();
        process::sweep_stale(&tmp);
        package.sweep_stale(&tmp);
        let progress = if with_progress {
            progress::sweep_stale(&progress_path);
            Progress::load(&progress_path).map_err(trouble)?
        } else {
            Progress::unread(&progress_path)
        };
        Ok(Workbook {
            package,
            root,
            progress,
            all: exercises::all(),
        })
    }

    /// The exercises `target` names: one (`01a`) or a lesson's (`01`).
    fn select(&self, target: &str) -> Result<Vec<Exercise>, Usage> {
        let wanted = normalize(target);
        let found: Vec<Exercise> = self
            .all
            .iter()
            .filter(|exercise| exercise.id == wanted || exercise.lesson() == wanted)
            .copied()
            .collect();
        if found.is_empty() {
            return Err(Usage(format!(
                "no exercise or lesson {target:?}: ids are like 01a (one exercise) or 01 (a \
                 lesson); `cargo run --bin workbook -- list` shows them"
            )));
        }
        Ok(found)
    }

    /// The one exercise `target` names (a lesson is not accepted).
    fn one(&self, target: &str, command: &str) -> Result<Exercise, Usage> {
        let found = self.select(target)?;
        if found.len() == 1 && found[0].id == normalize(target) {
            return Ok(found[0]);
        }
        Err(Usage(format!(
            "{command} takes one exercise, like {}, not a lesson",
            found[0].id
        )))
    }

    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    fn list(&self) -> Outcome {
        let mut lesson = "";
        let width = self.all.iter().map(|e| e.title.len()).max().unwrap_or(0);
        for exercise in &self.all {
            if exercise.lesson() != lesson {
                lesson = exercise.lesson();
                println!(
                    "{}lesson {lesson} (book/src/lesson{lesson}.md)",
                    if lesson == self.all[0].lesson() {
                        ""
                    } else {
                        "\n"
                    }
                );
            }
            let entry = self.progress.entry(exercise.id);
            println!(
                "  {}  {:<width$}  {:<11}  hints {}/3  {}",
                exercise.id,
                exercise.title,
                entry.status.word(),
                entry.hints_used,
                self.relative(&exercise.starter_path(&self.root)),
            );
        }
        let done = self.count_done();
        println!();
        println!("{done} of {} exercises done.", self.all.len());
        println!(
            "Check one with `cargo run --bin workbook -- check 01a`, a lesson's with `check 01`."
        );
        Ok(ExitCode::SUCCESS)
    }

    fn count_done(&self) -> usize {
        self.all
            .iter()
            .filter(|exercise| self.progress.entry(exercise.id).status == Status::Done)
            .count()
    }

    fn check(mut self, target: &str, file: Option<&Path>) -> Outcome {
        let selected = self.select(target)?;
        if file.is_some() && selected.len() > 1 {
            return Err(Usage(format!(
                "--file checks one exercise, like {}, not a lesson",
                selected[0].id
            )));
        }
        if let Some(file) = file
            && !file.is_file()
        {
            return Err(Usage(format!(
                "--file {}: no such file (or not a file)",
                file.display()
            )));
        }
        if !self.root.join("target/exercises/debug").is_dir() {
            println!(
                "(The first check compiles the workbook's dependencies once: about a minute.)"
            );
        }
        if file.is_some() {
            println!("(The file runs in {}.)", process::protection());
        }
        let mut done = 0;
        // A progress file that cannot be written does not hide the verdicts: each is shown, and
        // the error after them.
        let mut unsaved: Option<String> = None;
        for (index, exercise) in selected.iter().enumerate() {
            if index > 0 {
                println!();
            }
            let verdict = match file {
                Some(file) => self.check_file(exercise, file)?.map_err(|f| bounded(&f)),
                None => {
                    let verdict = self.check_starter(exercise)?.map_err(|f| bounded(&f));
                    if let Err(error) = self
                        .progress
                        .record_check(exercise.id, verdict.clone().err())
                    {
                        unsaved.get_or_insert(error);
                    }
                    verdict
                }
            };
            match verdict {
                Ok(()) => {
                    done += 1;
                    println!("DONE: {} works, and clippy is quiet.", exercise.id);
                    if file.is_none() {
                        println!(
                            "Compare with the reference solution: cargo run --bin workbook -- \
                             solution {}",
                            exercise.id
                        );
                    }
                }
                Err(failure) => {
                    println!("NOT DONE: {failure}");
                    if file.is_none() {
                        let used = self.progress.entry(exercise.id).hints_used;
                        if used < 3 {
                            println!(
                                "Stuck? cargo run --bin workbook -- hint {} (hint {} of 3)",
                                exercise.id,
                                used + 1
                            );
                        }
                    }
                }
            }
        }
        if selected.len() > 1 {
            println!();
            println!(
                "{done} of {} exercises of lesson {} done.",
                selected.len(),
                selected[0].lesson()
            );
        }
        if file.is_some() {
            println!("(A check of --file records no progress.)");
        }
        if let Some(error) = unsaved {
            flush();
            eprintln!("error: the result was not saved: {error}");
            return Ok(ExitCode::from(2));
        }
        Ok(if done == selected.len() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }

    /// Builds, checks and lints the student's starter file. `Err` is what failed, for the student.
    fn check_starter(&self, exercise: &Exercise) -> Result<Result<(), String>, Usage> {
        let path = exercise.starter_path(&self.root);
        println!(
            "Checking {} ({}): {}",
            exercise.id,
            exercise.title,
            self.relative(&path)
        );
        flush();
        let bin = [exercise.starter_bin()];
        self.say_if_waiting();
        if let Some(failure) = cargo_failure(self.package.build(&bin), "does not build")? {
            return Ok(Err(failure));
        }
        let program = Program::new(self.package.executable(&bin[0]), exercise.timeout);
        if let Err(failure) = (exercise.check)(&program) {
            return Ok(Err(failure.to_string()));
        }
        if let Some(failure) = cargo_failure(self.package.clippy(&bin), "has clippy warnings")? {
            return Ok(Err(format!(
                "your program works, but clippy is not quiet yet:{}",
                failure.trim_start_matches("your program has clippy warnings:")
            )));
        }
        Ok(Ok(()))
    }

    /// Builds, checks and lints any file as `exercise`, recording nothing.
    fn check_file(&self, exercise: &Exercise, file: &Path) -> Result<Result<(), String>, Usage> {
        println!(
            "Checking {} as exercise {} ({})",
            file.display(),
            exercise.id,
            exercise.title
        );
        flush();
        self.say_if_waiting();
        Ok(match self.judge_file(exercise, file)? {
            grade::Grade::Done => Ok(()),
            grade::Grade::NotDone(why) | grade::Grade::DoesNotBuild(why) => Err(why),
            grade::Grade::Missing => Err(format!("{} is missing", file.display())),
        })
    }

    /// The grade of any file as `exercise`, printing and recording nothing: what `check --file`
    /// and `report --class` say.
    fn judge_file(&self, exercise: &Exercise, file: &Path) -> Result<grade::Grade, Usage> {
        let graded = self
            .package
            .graded(file)
            .map_err(|error| trouble(error.to_string()))?;
        if let Some(failure) = cargo_failure(graded.build(), "does not build")? {
            return Ok(grade::Grade::DoesNotBuild(failure));
        }
        // The commands a failure shows run the starter: this file is to be put there first.
        // WORKBOOK_TIME_LIMIT_MS (for tests, never set by default) shortens each run's time
        // limit; it can never lengthen it.
        let limit = std::env::var("WORKBOOK_TIME_LIMIT_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or(exercise.timeout, |ms| {
                exercise.timeout.min(std::time::Duration::from_millis(ms))
            });
        let program = Program::new(graded.executable(), limit).with_command(format!(
            "cargo run --manifest-path lessons/Cargo.toml --bin {} --",
            exercise.starter_bin()
        ));
        if let Err(failure) = (exercise.check)(&program) {
            return Ok(grade::Grade::NotDone(format!(
                "{}\n(The commands above run lessons/exercises/{}: copy this file there to \
                 replay them.)",
                failure.to_string().trim_end(),
                exercise.starter
            )));
        }
        if let Some(failure) = cargo_failure(graded.clippy(), "has clippy warnings")? {
            return Ok(grade::Grade::NotDone(failure));
        }
        Ok(grade::Grade::Done)
    }

    /// Says so when the build will wait for another cargo (another check, the tests).
    fn say_if_waiting(&self) {
        if self.package.build_lock_is_held() {
            println!(
                "(Waiting for another cargo that is building into {} to finish: another check, \
                 or the tests.)",
                self.relative(&self.root.join("target/exercises"))
            );
            flush();
        }
    }

    fn hint(mut self, target: &str) -> Outcome {
        let exercise = self.one(target, "hint")?;
        let used = self.progress.entry(exercise.id).hints_used;
        let tier = (used + 1).min(3);
        let name = ["a nudge", "the API to use", "nearly the answer"][tier - 1];
        println!(
            "Hint {tier} of 3 for {} ({}), {name}:",
            exercise.id, exercise.title
        );
        println!();
        println!("{}", wrap(exercise.hints[tier - 1], 96, "  "));
        println!();
        if used >= 3 {
            println!(
                "That was the last hint. The solution opens once `check {}` passes.",
                exercise.id
            );
        } else {
            self.progress
                .update(exercise.id, |entry| entry.hints_used = tier)
                .map_err(trouble)?;
            if tier < 3 {
                println!(
                    "Still stuck? Ask again for hint {}: cargo run --bin workbook -- hint {}",
                    tier + 1,
                    exercise.id
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    fn solution(&self, target: &str, force: bool) -> Outcome {
        let exercise = self.one(target, "solution")?;
        let entry = self.progress.entry(exercise.id);
        if !entry.solved && !force {
            eprintln!(
                "The solution of {} opens once your exercise is done: run `cargo run --bin \
                 workbook -- check {}` until it passes (`hint {}` helps), or add --force to see \
                 it now.",
                exercise.id, exercise.id, exercise.id
            );
            return Ok(ExitCode::from(1));
        }
        let path = exercise.solution_path(&self.root);
        let text = std::fs::read_to_string(&path)
            .map_err(|error| trouble(format!("cannot read {}: {error}", path.display())))?;
        println!(
            "Reference solution of {} ({}): {}",
            exercise.id,
            exercise.title,
            self.relative(&path)
        );
        println!();
        print!("{text}");
        Ok(ExitCode::SUCCESS)
    }

    fn reset(&self, target: &str, yes: bool) -> Outcome {
        let exercise = self.one(target, "reset")?;
        let path = exercise.starter_path(&self.root);
        let relative = self.relative(&path);
        let backup_dir = self
            .progress
            .path()
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join("backup");
        if !yes {
            eprintln!(
                "reset {} replaces your {relative} with the starter as it was handed out (your \
                 version is kept in {}, every reset a new timestamped copy). To go ahead: cargo \
                 run --bin workbook -- reset {} --yes",
                exercise.id,
                backup_dir.display(),
                exercise.id
            );
            return Ok(ExitCode::from(1));
        }
        // Never through a symbolic link: the file it leads to may be anywhere.
        for (what, link) in [("your exercise", &path), ("the backup folder", &backup_dir)] {
            if std::fs::symlink_metadata(link).is_ok_and(|meta| meta.file_type().is_symlink()) {
                eprintln!(
                    "Cannot reset {}: {what} {} is a symbolic link, and reset does not write \
                     through links. Replace it with a plain file or folder first.",
                    exercise.id,
                    link.display()
                );
                return Ok(ExitCode::from(1));
            }
        }
        let pristine = match pristine_starter(&self.root, &relative) {
            Ok(text) => text,
            Err(why) => {
                eprintln!(
                    "Cannot reset {}: {why}. The starter as handed out is {relative} in the \
                     workbook's repository; copy it from there.",
                    exercise.id
                );
                return Ok(ExitCode::from(1));
            }
        };
        let current = std::fs::read(&path).ok();
        if current.as_deref() == Some(pristine.as_slice()) {
            println!("{relative} is already the starter as handed out; nothing to reset.");
            return Ok(ExitCode::SUCCESS);
        }
        if let Some(current) = current {
            let backup = save_backup(&backup_dir, exercise.starter, &current).map_err(|error| {
                trouble(format!(
                    "cannot save your version in {}: {error}",
                    backup_dir.display()
                ))
            })?;
            println!(
                "Saved your version as {} (every earlier one is kept there too).",
                backup.display()
            );
        }
        replace_file(&path, &pristine)
            .map_err(|error| trouble(format!("cannot write {relative}: {error}")))?;
        println!(
            "Restored {relative} to the starter. Check it again with: cargo run --bin workbook \
             -- check {}",
            exercise.id
        );
        Ok(ExitCode::SUCCESS)
    }

    fn report(&self, as_json: bool) -> Outcome {
        let done = self.count_done();
        if as_json {
            // Predictions are of a lesson's replay, not of an exercise: one list, every attempt
            // in the order made (the first is the honest guess; later ones come after the reveal).
            let predictions: Vec<serde_json::Value> = self
                .progress
                .predictions()
                .iter()
                .map(progress::Prediction::to_json)
                .collect();
            let exercises: Vec<serde_json::Value> = self
                .all
                .iter()
                .map(|exercise| {
                    let entry = self.progress.entry(exercise.id);
                    json!({
                        "id": exercise.id,
                        "lesson": exercise.lesson(),
                        "title": exercise.title,
                        "status": entry.status.word(),
                        "hints_used": entry.hints_used,
                        "attempts": entry.attempts,
                        "first_check": entry.first_check,
                        "last_check": entry.last_check,
                        "last_failure": entry.last_failure,
                    })
                })
                .collect();
            let report = json!({
                "format": 2,
                "generated": progress::now_utc(),
                "student": student(),
                "done": done,
                "total": self.all.len(),
                "exercises": exercises,
                "predictions": predictions,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&report).expect("JSON values serialise")
            );
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "Progress of {}",
            student().unwrap_or_else(|| "this workbook".into())
        );
        println!();
        for exercise in &self.all {
            let entry = self.progress.entry(exercise.id);
            println!(
                "  {}  {:<11}  hints {}/3  checks {:<3}  last check {}",
                exercise.id,
                entry.status.word(),
                entry.hints_used,
                entry.attempts,
                entry.last_check.as_deref().unwrap_or("never"),
            );
        }
        if !self.progress.predictions().is_empty() {
            println!();
            println!("Predictions (workbook predict):");
            for prediction in self.progress.predictions() {
                println!(
                    "  lesson {} seed {}{}: {} of {}  ({})",
                    prediction.lesson,
                    prediction.seed,
                    prediction
                        .part
                        .map_or(String::new(), |part| format!(" part {part}")),
                    prediction.score,
                    prediction.out_of,
                    prediction.when
                );
            }
        }
        let hints: usize = self
            .all
            .iter()
            .map(|exercise| self.progress.entry(exercise.id).hints_used)
            .sum();
        println!();
        println!(
            "{done} of {} exercises done, {hints} hint{} used.",
            self.all.len(),
            if hints == 1 { "" } else { "s" }
        );
        println!("For your teacher: cargo run --bin workbook -- report --json > report.json");
        Ok(ExitCode::SUCCESS)
    }
}

/// An exercise or lesson id as the catalogue spells it: `1a`, `ex01a` and `01A` mean `01a`.
fn normalize(target: &str) -> String {
    let wanted = target.trim().to_ascii_lowercase();
    let wanted = wanted.strip_prefix("ex").unwrap_or(&wanted);
    let digits = wanted.chars().take_while(char::is_ascii_digit).count();
    if digits == 1 {
        format!("0{wanted}")
    } else {
        wanted.to_string()
    }
}

/// Turns a cargo result into the student's failure message, or `None` when it succeeded.
fn cargo_failure(result: Result<(), CargoError>, what: &str) -> Result<Option<String>, Usage> {
    match result {
        Ok(()) => Ok(None),
        Err(CargoError::Rejected(said)) => Ok(Some(format!(
            "your program {what}:\n{}",
            indent(&said, "    ")
        ))),
        Err(CargoError::NotRun(why)) => Err(trouble(why)),
    }
}

/// The repository root: `WORKBOOK_ROOT`, else where this program was built, else the nearest
/// folder at or above the current one with `lessons/Cargo.toml`.
fn locate_root() -> Result<PathBuf, Usage> {
    let is_root = |dir: &Path| dir.join("lessons").join("Cargo.toml").is_file();
    if let Some(root) = std::env::var_os("WORKBOOK_ROOT").filter(|root| !root.is_empty()) {
        let root = PathBuf::from(root);
        return if is_root(&root) {
            Ok(root)
        } else {
            Err(trouble(format!(
                "WORKBOOK_ROOT={} has no lessons/Cargo.toml",
                root.display()
            )))
        };
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR"));
    if is_root(built) {
        return Ok(built.to_path_buf());
    }
    let here = std::env::current_dir().map_err(|error| trouble(error.to_string()))?;
    here.ancestors()
        .find(|dir| is_root(dir))
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            trouble("cannot find the workbook: run this inside its folder (the one with lessons/Cargo.toml)".into())
        })
}

/// The starter as handed out: the committed version, from git.
fn pristine_starter(root: &Path, relative: &str) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["show", &format!("HEAD:./{relative}")])
        .output()
        .map_err(|error| format!("it needs git, which could not be run ({error})"))?;
    if !output.status.success() {
        return Err(format!(
            "git does not know the committed version ({})",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(output.stdout)
}

/// Saves `text` as a new backup of `name` in `dir`: `name.2025-01-31T09-15-02Z` (with `.2`,
/// `.3`, ... when that exists), created anew, so no earlier backup and no link is written over.
fn save_backup(dir: &Path, name: &str, text: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let stamp = progress::now_utc().replace(':', "-");
    for attempt in 1.. {
        let backup = dir.join(if attempt == 1 {
            format!("{name}.{stamp}")
        } else {
            format!("{name}.{stamp}.{attempt}")
        });
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&backup)
        {
            Ok(mut file) => {
                file.write_all(text)?;
                return Ok(backup);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    unreachable!("some attempt's name is free")
}

/// Writes `text` as the file `path`: a new file renamed over it, so a symbolic link there is
/// replaced, never followed, and an interrupted write leaves the old file whole.
fn replace_file(path: &Path, text: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temporary = tempfile::Builder::new()
        .prefix(".reset-")
        .tempfile_in(dir)?;
    temporary.write_all(text)?;
    if let Ok(metadata) = std::fs::symlink_metadata(path)
        && metadata.is_file()
    {
        std::fs::set_permissions(temporary.path(), metadata.permissions())?;
    }
    temporary.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// A failure as shown and recorded: no line longer than 1000 characters, at most 200 lines (a
/// program that prints a 50 MB line gets a message of a few lines, in the report too).
fn bounded(failure: &str) -> String {
    let lines: Vec<&str> = failure.lines().collect();
    let mut text: Vec<String> = lines
        .iter()
        .take(200)
        .map(|line| exercises::shorten(line, 1000))
        .collect();
    if lines.len() > 200 {
        text.push(format!("... ({} more lines)", lines.len() - 200));
    }
    text.join("\n")
}

/// Who the report is of: `WORKBOOK_STUDENT`, else the login name.
fn student() -> Option<String> {
    ["WORKBOOK_STUDENT", "USER", "USERNAME"]
        .iter()
        .find_map(|name| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        })
}

fn flush() {
    let _ = std::io::stdout().flush();
}

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|line| format!("{by}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text` wrapped at `width` columns, each line starting with `by`.
fn wrap(text: &str, width: usize, by: &str) -> String {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(format!("{by}{line}"));
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(format!("{by}{line}"));
    }
    lines.join("\n")
}
