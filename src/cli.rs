//! Command-line flags shared by every lesson.
//!
//! Every lesson understands `--seed N`, `--schedule DIGITS`, `--predict`, `--interactive` and
//! `--help`, and may add flags of its own. Bad input never panics: [`Cli::parse`] prints one
//! clear line and a hint on stderr and exits with status 2.
//!
//! ```
//! use workbook::cli::Cli;
//!
//! let mut cli = Cli::new("lesson01", "Even and odd printer threads.");
//! let up_to = cli.number("--up-to", "N", "print the numbers 0..=N", 10, 1..=1000);
//! let flags = cli.try_parse_from(["--seed", "7", "--up-to", "6"]).unwrap();
//! assert_eq!(flags[up_to], 6);
//! assert!(flags.mode.is_replay());
//! ```

use std::ffi::OsString;
use std::fmt;
use std::ops::{Index, RangeInclusive};

use crate::mode::Mode;

/// The largest seed accepted by `--seed`.
pub const MAX_SEED: u64 = u64::MAX;
/// The longest `--schedule` accepted (one digit a step).
pub const MAX_SCHEDULE_LEN: usize = 10_000;

/// The flags of one lesson: the shared ones plus the lesson's own.
pub struct Cli {
    program: String,
    about: String,
    options: Vec<Declared>,
    explorable: bool,
    preemptions: usize,
    /// What `--svg FILE` draws in a live run, if the lesson draws anything live ([`Cli::svg_live`]).
    svg_live: Option<String>,
}

/// Default of `--preemptions`: how many times the explorer may switch away from a thread that
/// could have gone on, per schedule.
pub const DEFAULT_PREEMPTIONS: usize = 10;
/// Default of `--max-schedules`.
pub const DEFAULT_MAX_SCHEDULES: usize = 20_000;

struct Declared {
    flag: String,
    value_name: Option<String>,
    help: String,
    kind: Kind,
    applies: Applies,
}

/// In which runs a lesson flag means something.
enum Applies {
    Always,
    /// Only live: refused in a replay, with the reason.
    LiveOnly(String),
    /// Only in a replay: refused in a live run, with the reason.
    ReplayOnly(String),
}

enum Kind {
    Number {
        default: u64,
        range: RangeInclusive<u64>,
    },
    Switch,
}

/// A handle to a number flag declared with [`Cli::number`]; index the parsed [`Flags`] with it.
#[derive(Clone, Copy, Debug)]
pub struct NumberFlag(usize);

/// A handle to an on/off flag declared with [`Cli::switch`]; index the parsed [`Flags`] with it.
#[derive(Clone, Copy, Debug)]
pub struct SwitchFlag(usize);

/// The parsed command line.
#[derive(Clone, Debug)]
pub struct Flags {
    /// Live run or deterministic replay.
    pub mode: Mode,
    /// The arguments as given, to print the command that reproduces this run.
    pub given: Vec<String>,
    program: String,
    numbers: Vec<u64>,
    switches: Vec<bool>,
    present: Vec<String>,
    interactive: bool,
    /// `--svg FILE`: where to write the picture (a replay's timeline, see [`crate::svg`]).
    pub svg: Option<std::path::PathBuf>,
}

/// What went wrong on the command line (or that help was asked for).
#[derive(Debug, PartialEq, Eq)]
pub enum CliError {
    /// `--help` or `-h`: not an error, but parsing stops.
    HelpRequested,
    /// A bad flag or value, in one line.
    Invalid(String),
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::HelpRequested => write!(f, "help requested"),
            CliError::Invalid(message) => write!(f, "{message}"),
        }
    }
}

impl Cli {
    /// Flags for the program `program` (its binary name), described in one line by `about`.
    pub fn new(program: &str, about: &str) -> Self {
        Cli {
            program: program.to_string(),
            about: about.to_string(),
            options: Vec::new(),
            explorable: false,
            preemptions: DEFAULT_PREEMPTIONS,
            svg_live: None,
        }
    }

    /// Accepts `--explore` (with `--preemptions N` and `--max-schedules N`): run the program
    /// under every schedule and print the census of outcomes instead of one trace.
    pub fn explorable(&mut self) {
        self.explorable = true;
    }

    /// Sets the default of `--preemptions` for this program (instead of [`DEFAULT_PREEMPTIONS`]),
    /// for a program whose complete search needs more.
    pub fn explore_preemptions(&mut self, bound: usize) {
        self.preemptions = bound;
    }

    /// Accepts `--svg FILE` in a live run too, where the lesson draws `what` itself (read
    /// [`Flags::svg`]); without this, `--svg` goes with a replay only.
    pub fn svg_live(&mut self, what: &str) {
        self.svg_live = Some(what.to_string());
    }

    /// Declares `--flag VALUE`, a whole number in `range`, `default` when absent.
    pub fn number(
        &mut self,
        flag: &str,
        value_name: &str,
        help: &str,
        default: u64,
        range: RangeInclusive<u64>,
    ) -> NumberFlag {
        assert!(flag.starts_with("--"), "flags are spelled --name");
        assert!(
            range.contains(&default),
            "the default of {flag} must lie in its range"
        );
        self.options.push(Declared {
            flag: flag.to_string(),
            value_name: Some(value_name.to_string()),
            help: help.to_string(),
            kind: Kind::Number { default, range },
            applies: Applies::Always,
        });
        NumberFlag(self.options.len() - 1)
    }

    /// Declares an on/off `--flag`.
    pub fn switch(&mut self, flag: &str, help: &str) -> SwitchFlag {
        assert!(flag.starts_with("--"), "flags are spelled --name");
        self.options.push(Declared {
            flag: flag.to_string(),
            value_name: None,
            help: help.to_string(),
            kind: Kind::Switch,
            applies: Applies::Always,
        });
        SwitchFlag(self.options.len() - 1)
    }

    /// Declares that the lesson flag `flag` means something only in a live run: given together
    /// with `--seed`, `--schedule` or `--predict`, it is refused with `why` instead of being
    /// silently ignored.
    pub fn live_only(&mut self, flag: &str, why: &str) {
        self.declared(flag).applies = Applies::LiveOnly(why.to_string());
    }

    /// Declares that the lesson flag `flag` means something only in a replay: given in a live run
    /// it is refused with `why`.
    pub fn replay_only(&mut self, flag: &str, why: &str) {
        self.declared(flag).applies = Applies::ReplayOnly(why.to_string());
    }

    fn declared(&mut self, flag: &str) -> &mut Declared {
        let Some(option) = self.options.iter_mut().find(|option| option.flag == flag) else {
            panic!("lesson bug: {flag} is not declared");
        };
        option
    }

    /// The text `--help` prints.
    pub fn help(&self) -> String {
        let mut text = format!(
            "{}: {}\n\nUsage: cargo run --bin {} -- [OPTIONS]\n\n",
            self.program, self.about, self.program
        );
        text.push_str("Options:\n");
        let mut rows: Vec<(String, String)> = vec![
            ("--seed N".into(), "replay: a seeded scheduler picks whose turn each step is".into()),
            (
                "--schedule DIGITS".into(),
                "replay: whose turn it is at each choice (a step where more than one thread is ready), e.g. 0110".into(),
            ),
            ("--predict".into(), "replay with the values hidden as ?, so you can guess first".into()),
            (
                "--interactive".into(),
                "replay where you choose: at each choice type who goes (u undoes, q stops); with --schedule, start from those choices".into(),
            ),
            (
                "--svg FILE".into(),
                match &self.svg_live {
                    Some(what) => format!("live: {what}; replay: also draw the timeline (one lane per thread) as SVG in FILE (needs --features svg)"),
                    None => "replay: also draw the timeline (one lane per thread, locks, waits, messages) as SVG in FILE (needs --features svg)".into(),
                },
            ),
        ];
        if self.explorable {
            rows.push((
                "--explore".into(),
                "run under every schedule and count the outcomes (a proof, when complete)".into(),
            ));
            rows.push((
                "--preemptions N".into(),
                format!("with --explore: at most N switches away from a thread that could go on (default {})", self.preemptions),
            ));
            rows.push((
                "--max-schedules N".into(),
                format!("with --explore: stop after N schedules (default {DEFAULT_MAX_SCHEDULES})"),
            ));
        }
        for option in &self.options {
            let left = match &option.value_name {
                Some(value) => format!("{} {value}", option.flag),
                None => option.flag.clone(),
            };
            let right = match &option.kind {
                Kind::Number { default, range } => format!(
                    "{} ({}..={}, default {default})",
                    option.help,
                    range.start(),
                    range.end()
                ),
                Kind::Switch => option.help.clone(),
            };
            rows.push((left, right));
        }
        rows.push(("-h, --help".into(), "print this help".into()));
        let width = rows.iter().map(|(left, _)| left.len()).max().unwrap_or(0);
        for (left, right) in rows {
            text.push_str(&format!("  {left:width$}  {right}\n"));
        }
        text.push_str(
            "\nWithout --seed or --schedule the lesson runs live: real threads, real timing,\n\
             output that may differ from run to run.\n",
        );
        text
    }

    /// Parses the process's arguments. Prints help and exits 0 on `--help`; prints one line and
    /// exits 2 on bad input. Installs the panic hook of [`crate::cleanup`]: a closed output pipe,
    /// output that cannot be written and a refused thread end the program with one line and a
    /// documented status instead of a panic.
    pub fn parse(self) -> Flags {
        crate::cleanup::install_panic_hook();
        match self.try_parse_from(std::env::args_os().skip(1)) {
            Ok(flags) => flags,
            Err(CliError::HelpRequested) => {
                print!("{}", self.help());
                crate::cleanup::exit(0);
            }
            Err(CliError::Invalid(message)) => {
                eprintln!("error: {message}");
                eprintln!(
                    "Try `cargo run --bin {} -- --help` for the flags.",
                    self.program
                );
                crate::cleanup::exit(2);
            }
        }
    }

    /// Parses `args` (without the program name). Never panics, never exits.
    pub fn try_parse_from<I>(&self, args: I) -> Result<Flags, CliError>
    where
        I: IntoIterator,
        I::Item: Into<OsString>,
    {
        use lexopt::prelude::*;
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let given: Vec<String> = args
            .iter()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect();
        let mut parser = lexopt::Parser::from_args(args);
        let mut seed: Option<u64> = None;
        let mut schedule: Option<Vec<usize>> = None;
        let mut predict = false;
        let mut interactive = false;
        let mut explore = false;
        let mut preemptions: Option<u64> = None;
        let mut max_schedules: Option<u64> = None;
        let mut numbers: Vec<Option<u64>> = vec![None; self.options.len()];
        let mut switches = vec![false; self.options.len()];
        let mut present: Vec<String> = Vec::new();
        let mut svg: Option<std::path::PathBuf> = None;

        loop {
            let arg = parser
                .next()
                .map_err(|error| CliError::Invalid(error.to_string()))?;
            let Some(arg) = arg else { break };
            match arg {
                Short('h') | Long("help") => {
                    if parser.optional_value().is_some() {
                        return Err(CliError::Invalid("--help takes no value".into()));
                    }
                    return Err(CliError::HelpRequested);
                }
                Long("seed") => {
                    let text = value_text(&mut parser, "--seed")?;
                    if seed.is_some() {
                        return Err(CliError::Invalid("--seed is given twice".into()));
                    }
                    seed = Some(parse_whole_number("--seed", &text, 0..=MAX_SEED)?);
                }
                Long("schedule") => {
                    let text = value_text(&mut parser, "--schedule")?;
                    if schedule.is_some() {
                        return Err(CliError::Invalid("--schedule is given twice".into()));
                    }
                    schedule = Some(parse_schedule(&text)?);
                }
                Long("predict") => predict = true,
                Long("interactive") => interactive = true,
                Long("svg") => {
                    let value = parser
                        .value()
                        .map_err(|_| CliError::Invalid("--svg needs a file name".into()))?;
                    if svg.is_some() {
                        return Err(CliError::Invalid("--svg is given twice".into()));
                    }
                    svg = Some(value.into());
                }
                Long("explore") if self.explorable => explore = true,
                Long("preemptions") if self.explorable => {
                    let text = value_text(&mut parser, "--preemptions")?;
                    if preemptions.is_some() {
                        return Err(CliError::Invalid("--preemptions is given twice".into()));
                    }
                    preemptions = Some(parse_whole_number("--preemptions", &text, 0..=20)?);
                }
                Long("max-schedules") if self.explorable => {
                    let text = value_text(&mut parser, "--max-schedules")?;
                    if max_schedules.is_some() {
                        return Err(CliError::Invalid("--max-schedules is given twice".into()));
                    }
                    max_schedules =
                        Some(parse_whole_number("--max-schedules", &text, 1..=1_000_000)?);
                }
                Long(name) => {
                    let flag = format!("--{name}");
                    let Some(index) = self.options.iter().position(|option| option.flag == flag)
                    else {
                        return Err(CliError::Invalid(format!("unknown flag {flag}")));
                    };
                    match &self.options[index].kind {
                        Kind::Number { range, .. } => {
                            let text = value_text(&mut parser, &flag)?;
                            if numbers[index].is_some() {
                                return Err(CliError::Invalid(format!("{flag} is given twice")));
                            }
                            numbers[index] = Some(parse_whole_number(&flag, &text, range.clone())?);
                        }
                        Kind::Switch => switches[index] = true,
                    }
                    present.push(flag);
                }
                Short(letter) => {
                    return Err(CliError::Invalid(format!("unknown flag -{letter}")));
                }
                Value(value) => {
                    return Err(CliError::Invalid(format!(
                        "unexpected argument {:?}: every value follows a flag, e.g. --seed 7",
                        value.to_string_lossy()
                    )));
                }
            }
        }
        if seed.is_some() && schedule.is_some() {
            return Err(CliError::Invalid(
                "--seed and --schedule both choose the turns: give one of them".into(),
            ));
        }
        if explore && (seed.is_some() || schedule.is_some() || predict) {
            return Err(CliError::Invalid(
                "--explore runs every schedule: it takes no --seed, --schedule or --predict".into(),
            ));
        }
        if interactive && svg.is_some() {
            return Err(CliError::Invalid(
                "--svg draws a replay that runs by itself; with --interactive, play first, then \
                 draw what you played with --schedule DIGITS --svg FILE"
                    .into(),
            ));
        }
        if interactive && (explore || seed.is_some() || predict) {
            return Err(CliError::Invalid(
                "--interactive lets you choose every turn: it takes no --explore, --seed or \
                 --predict (add --schedule DIGITS to start from those choices)"
                    .into(),
            ));
        }
        if !explore && (preemptions.is_some() || max_schedules.is_some()) {
            return Err(CliError::Invalid(
                "--preemptions and --max-schedules go with --explore".into(),
            ));
        }
        let mut given = given;
        if predict && seed.is_none() && schedule.is_none() {
            // --predict alone replays seed 0; say so in every command the replay prints.
            given.extend(["--seed".to_string(), "0".to_string()]);
        }
        let mode = match (seed, schedule) {
            _ if explore => Mode::Explore {
                preemptions: preemptions.map_or(self.preemptions, |n| n as usize),
                max_schedules: max_schedules.map_or(DEFAULT_MAX_SCHEDULES, |n| n as usize),
            },
            (Some(seed), None) => Mode::Replay {
                seed: Some(seed),
                schedule: None,
                predict,
            },
            (None, Some(steps)) => Mode::Replay {
                seed: None,
                schedule: Some(steps),
                predict,
            },
            // --predict alone replays seed 0: the point is to guess before you see.
            (None, None) if predict => Mode::Replay {
                seed: Some(0),
                schedule: None,
                predict,
            },
            // --interactive alone: a replay whose choices are typed in.
            (None, None) if interactive => Mode::Replay {
                seed: None,
                schedule: None,
                predict: false,
            },
            _ => Mode::Live,
        };
        let numbers = numbers
            .into_iter()
            .zip(&self.options)
            .map(|(value, option)| match (&option.kind, value) {
                (_, Some(value)) => value,
                (Kind::Number { default, .. }, None) => *default,
                (Kind::Switch, None) => 0,
            })
            .collect();
        if let Some(path) = &svg {
            match &mode {
                Mode::Explore { .. } => {
                    return Err(CliError::Invalid(
                        "--svg draws one replay; --explore runs many: give --seed N instead".into(),
                    ));
                }
                Mode::Live if self.svg_live.is_none() => {
                    return Err(CliError::Invalid(
                        "--svg draws a replay's timeline: add --seed N or --schedule DIGITS".into(),
                    ));
                }
                _ => {}
            }
            if !crate::svg::PICTURES {
                return Err(CliError::Invalid(crate::svg::refusal(
                    &self.program,
                    &given,
                )));
            }
            crate::svg::check_path(path).map_err(CliError::Invalid)?;
        }
        for option in &self.options {
            if !present.contains(&option.flag) {
                continue;
            }
            match &option.applies {
                Applies::LiveOnly(why) if mode != Mode::Live => {
                    return Err(CliError::Invalid(format!(
                        "{} applies to live runs only, not with --seed, --schedule, --predict or --explore: {why}",
                        option.flag
                    )));
                }
                Applies::ReplayOnly(why) if !mode.is_replay() => {
                    return Err(CliError::Invalid(format!(
                        "{} applies to replays only (add --seed N): {why}",
                        option.flag
                    )));
                }
                _ => {}
            }
        }
        Ok(Flags {
            mode,
            given,
            program: self.program.clone(),
            numbers,
            switches,
            present,
            interactive,
            svg,
        })
    }
}

fn value_text(parser: &mut lexopt::Parser, flag: &str) -> Result<String, CliError> {
    let value = parser
        .value()
        .map_err(|_| CliError::Invalid(format!("{flag} needs a value")))?;
    value
        .into_string()
        .map_err(|_| CliError::Invalid(format!("the value of {flag} is not valid text")))
}

/// Parses a whole number for `flag`, within `range`, with a message a student understands.
pub fn parse_whole_number(
    flag: &str,
    text: &str,
    range: RangeInclusive<u64>,
) -> Result<u64, CliError> {
    let outside = || {
        CliError::Invalid(format!(
            "{flag} must be a whole number from {} to {}, not {text:?}",
            range.start(),
            range.end()
        ))
    };
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(outside());
    }
    let value: u64 = text.parse().map_err(|_| outside())?;
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(outside())
    }
}

/// Parses `--schedule`: one decimal digit a step, each naming a thread by its column number.
pub fn parse_schedule(text: &str) -> Result<Vec<usize>, CliError> {
    if text.is_empty() {
        return Err(CliError::Invalid(
            "--schedule needs at least one digit, e.g. --schedule 0110".into(),
        ));
    }
    if text.len() > MAX_SCHEDULE_LEN {
        return Err(CliError::Invalid(format!(
            "--schedule is longer than {MAX_SCHEDULE_LEN} steps"
        )));
    }
    text.chars()
        .map(|digit| {
            digit.to_digit(10).map(|d| d as usize).ok_or_else(|| {
                CliError::Invalid(format!(
                    "--schedule takes only digits 0-9 (thread numbers), found {digit:?} in {text:?}"
                ))
            })
        })
        .collect()
}

impl Flags {
    /// The program's binary name, as given to [`Cli::new`].
    pub fn program(&self) -> &str {
        &self.program
    }

    /// The command that runs this lesson again with the same arguments.
    pub fn command(&self, program: &str) -> String {
        let mut command = format!("cargo run --bin {program}");
        if !self.given.is_empty() {
            command.push_str(" --");
            for arg in &self.given {
                command.push(' ');
                command.push_str(arg);
            }
        }
        command
    }
}

impl Flags {
    /// True with `--interactive`: every replay of [`crate::run()`] asks who goes at each choice.
    pub fn interactive(&self) -> bool {
        self.interactive
    }

    /// Whether the lesson flag `flag` was on the command line (not just its default).
    pub fn was_given(&self, flag: &str) -> bool {
        self.present.iter().any(|present| present == flag)
    }

    /// Refuses a combination of flags the parser cannot know about: prints one `error:` line and
    /// the hint, as for any bad input, and exits with status 2.
    pub fn refuse(&self, message: impl std::fmt::Display) -> ! {
        eprintln!("error: {message}");
        eprintln!(
            "Try `cargo run --bin {} -- --help` for the flags.",
            self.program
        );
        crate::cleanup::exit(2);
    }

    /// The command that runs the same replay with the values shown: this one without `--predict`.
    pub fn command_revealed(&self, program: &str) -> String {
        let kept: Vec<&str> = self
            .given
            .iter()
            .map(String::as_str)
            .filter(|arg| *arg != "--predict")
            .collect();
        let mut command = format!("cargo run --bin {program}");
        if !kept.is_empty() {
            command.push_str(" -- ");
            command.push_str(&kept.join(" "));
        }
        command
    }

    /// The command that replays the same lesson (same lesson flags) with the choices `schedule`
    /// (without `--explore` and its flags, which a replay refuses).
    pub fn command_with_schedule(&self, program: &str, schedule: &str) -> String {
        let mut kept: Vec<&str> = Vec::new();
        let mut skip_value = false;
        for arg in &self.given {
            if std::mem::take(&mut skip_value) {
                continue;
            }
            match arg.as_str() {
                "--seed" | "--schedule" | "--preemptions" | "--max-schedules" => skip_value = true,
                "--predict" | "--explore" | "--interactive" => {}
                other
                    if [
                        "--seed=",
                        "--schedule=",
                        "--preemptions=",
                        "--max-schedules=",
                    ]
                    .iter()
                    .any(|prefix| other.starts_with(prefix)) => {}
                other => kept.push(other),
            }
        }
        kept.extend(["--schedule", schedule]);
        format!("cargo run --bin {program} -- {}", kept.join(" "))
    }
}

impl Index<NumberFlag> for Flags {
    type Output = u64;
    fn index(&self, flag: NumberFlag) -> &u64 {
        &self.numbers[flag.0]
    }
}

impl Flags {
    /// The flags for one part of a lesson with several: unless `flag` (such as `--part`) was
    /// given, it is added with the value `part`, so the commands a replay of that part prints
    /// (`replay:`, `same choices by hand:`, the census) replay that part alone.
    pub fn for_part(&self, flag: &str, part: u64) -> Flags {
        let mut flags = self.clone();
        if !flags.was_given(flag) {
            flags.given.extend([flag.to_string(), part.to_string()]);
        }
        flags
    }

    /// These flags with the explorer's preemption bound set to `bound`, unless the command line
    /// gave `--preemptions`: for a part whose search needs a bound of its own (or none).
    pub fn with_default_preemptions(&self, bound: usize) -> Flags {
        let mut flags = self.clone();
        if let Mode::Explore { preemptions, .. } = &mut flags.mode {
            if !self.was_given("--preemptions") {
                *preemptions = bound;
            }
        }
        flags
    }
}

impl Index<SwitchFlag> for Flags {
    type Output = bool;
    fn index(&self, flag: SwitchFlag) -> &bool {
        &self.switches[flag.0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli() -> (Cli, NumberFlag, SwitchFlag) {
        let mut cli = Cli::new("lesson99", "test");
        let up_to = cli.number("--up-to", "N", "last", 10, 1..=1000);
        let fixed = cli.switch("--fixed", "fixed version");
        (cli, up_to, fixed)
    }

    fn error(args: &[&str]) -> String {
        let (cli, _, _) = cli();
        match cli.try_parse_from(args) {
            Err(CliError::Invalid(message)) => message,
            other => panic!("expected an error for {args:?}, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_live() {
        let (cli, up_to, fixed) = cli();
        let flags = cli.try_parse_from::<[&str; 0]>([]).unwrap();
        assert_eq!(flags.mode, Mode::Live);
        assert_eq!(flags[up_to], 10);
        assert!(!flags[fixed]);
    }

    #[test]
    fn lesson_flags_and_replay() {
        let (cli, up_to, fixed) = cli();
        let flags = cli
            .try_parse_from(["--up-to", "4", "--fixed", "--schedule", "0110"])
            .unwrap();
        assert_eq!(flags[up_to], 4);
        assert!(flags[fixed]);
        assert_eq!(
            flags.mode,
            Mode::Replay {
                seed: None,
                schedule: Some(vec![0, 1, 1, 0]),
                predict: false
            }
        );
        let flags = cli.try_parse_from(["--seed=3"]).unwrap();
        assert_eq!(
            flags.mode,
            Mode::Replay {
                seed: Some(3),
                schedule: None,
                predict: false
            }
        );
    }

    #[test]
    fn bad_input_is_one_clear_line() {
        assert!(error(&["--seed", "abc"]).contains("whole number"));
        assert!(error(&["--seed", "-1"]).contains("whole number"));
        assert!(error(&["--seed", "99999999999999999999999"]).contains("whole number"));
        assert!(error(&["--seed"]).contains("needs a value"));
        assert!(error(&["--schedule", "0x2"]).contains("digits"));
        assert!(error(&["--schedule", ""]).contains("at least one digit"));
        assert!(error(&["--up-to", "0"]).contains("from 1 to 1000"));
        assert!(error(&["--up-to", "99999999999"]).contains("from 1 to 1000"));
        assert!(error(&["--bogus"]).contains("unknown flag --bogus"));
        assert!(error(&["stray"]).contains("unexpected argument"));
        assert!(error(&["--seed", "1", "--schedule", "01"]).contains("one of them"));
        assert!(error(&["--fixed=yes"]).contains("--fixed"));
        assert!(error(&["--help=1"]).contains("no value"));
        for refused in [
            &["--interactive", "--seed", "3"][..],
            &["--interactive", "--predict"],
            &["--interactive", "--svg", "x.svg"],
            &["--seed=3", "--interactive"],
        ] {
            assert!(error(refused).contains("--interactive"), "{refused:?}");
        }
        for message in [error(&["--seed", "abc"]), error(&["-x"])] {
            assert!(!message.contains('\n'), "one line: {message}");
        }
    }

    #[test]
    fn the_command_by_hand_keeps_the_lesson_flags() {
        let (cli, _, _) = cli();
        let flags = cli
            .try_parse_from(["--seed", "3", "--up-to", "6", "--predict", "--fixed"])
            .unwrap();
        assert_eq!(
            flags.command_with_schedule("lesson99", "0110"),
            "cargo run --bin lesson99 -- --up-to 6 --fixed --schedule 0110"
        );
        let flags = cli.try_parse_from(["--schedule=01", "--up-to=6"]).unwrap();
        assert_eq!(
            flags.command_with_schedule("lesson99", "0110"),
            "cargo run --bin lesson99 -- --up-to=6 --schedule 0110"
        );
        // A census's "reproduce with" is a replay: the explorer's flags are left out.
        let (mut explorable, _, _) = super::tests::cli();
        explorable.explorable();
        let flags = explorable
            .try_parse_from(["--explore", "--preemptions", "2", "--up-to", "6"])
            .unwrap();
        assert_eq!(
            flags.command_with_schedule("lesson99", "0110"),
            "cargo run --bin lesson99 -- --up-to 6 --schedule 0110"
        );
    }

    #[test]
    fn interactive_is_a_replay_and_its_schedule_drops_it() {
        let (cli, _, _) = cli();
        let flags = cli
            .try_parse_from(["--interactive", "--up-to", "6"])
            .unwrap();
        assert!(flags.interactive() && flags.mode.is_replay());
        assert_eq!(
            flags.command_with_schedule("lesson99", "01"),
            "cargo run --bin lesson99 -- --up-to 6 --schedule 01"
        );
        let flags = cli
            .try_parse_from(["--interactive", "--schedule", "01"])
            .unwrap();
        assert!(flags.interactive());
        assert!(!cli.try_parse_from(["--seed", "1"]).unwrap().interactive());
    }

    #[test]
    fn predict_alone_names_its_seed() {
        let (cli, _, _) = cli();
        let flags = cli.try_parse_from(["--predict"]).unwrap();
        assert_eq!(
            flags.mode,
            Mode::Replay {
                seed: Some(0),
                schedule: None,
                predict: true
            }
        );
        assert_eq!(
            flags.command("lesson99"),
            "cargo run --bin lesson99 -- --predict --seed 0"
        );
        assert_eq!(
            flags.command_revealed("lesson99"),
            "cargo run --bin lesson99 -- --seed 0"
        );
    }

    #[test]
    fn live_only_and_replay_only_flags_are_refused_elsewhere() {
        let (mut cli, _, _) = cli();
        cli.live_only("--up-to", "a replay always counts to 10");
        cli.replay_only("--fixed", "only the replay has a fixed version");
        assert!(cli.try_parse_from(["--up-to", "5"]).is_ok());
        assert!(cli.try_parse_from(["--fixed", "--seed", "1"]).is_ok());
        let refused = |args: &[&str]| match cli.try_parse_from(args) {
            Err(CliError::Invalid(message)) => message,
            other => panic!("{args:?} should be refused, got {other:?}"),
        };
        assert!(refused(&["--seed", "1", "--up-to=5"]).contains("live runs only"));
        assert!(refused(&["--predict", "--up-to", "5"]).contains("counts to 10"));
        assert!(refused(&["--fixed"]).contains("replays only"));
        let flags = cli.try_parse_from(["--up-to=5"]).unwrap();
        assert!(flags.was_given("--up-to") && !flags.was_given("--fixed"));
    }

    #[test]
    fn help_is_requested_not_an_error() {
        let (cli, _, _) = cli();
        assert_eq!(
            cli.try_parse_from(["--help"]).unwrap_err(),
            CliError::HelpRequested
        );
        assert!(cli.help().contains("--up-to N"));
    }
}
