//! Judging a student's program by what the toolkit saw it do, not by what it printed.
//!
//! A check runs the program with `WORKBOOK_RECORD` set (see [`workbook::record`]) and reads back
//! the record of each `workbook::run`: under the explorer (every schedule at a small size), as
//! seeded replays (at a larger size: who did which operation, how many threads ran, the final
//! values), and live (several runs at once, so they load each other). When a check fails, the
//! failure shows the student's own failing interleaving: the shortest failing schedule the
//! explorer found, its trace table, the invariant it broke and the command that replays it.

use serde_json::Value;

use super::{Failure, Program};

/// One recorded run, as [`workbook::record`] wrote it.
#[derive(Clone, Debug)]
pub struct Record {
    json: Value,
}

/// One row of a recorded replay: the thread's name and what it did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    /// The thread's name (its column).
    pub thread: String,
    /// What it did: `lock counter`, `counter.fetch_add(1) -> 0`, `eat meal 1`, ...
    pub action: String,
}

/// One outcome of a census.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The outcome as text (`4`, `(40, 1)`, `DEADLOCK (...)`).
    pub outcome: String,
    /// How many schedules led to it.
    pub schedules: u64,
    /// The schedule of the fewest turns that led to it.
    pub shortest: String,
}

impl Record {
    fn text(&self, field: &str) -> String {
        self.json[field].as_str().unwrap_or_default().to_string()
    }

    /// `live`, `replay` or `explore`.
    pub fn mode(&self) -> String {
        self.text("mode")
    }

    /// `finished`, `cut off`, `deadlock`, `panicked`, `watchdog`, ...
    pub fn ending(&self) -> String {
        self.text("ending")
    }

    /// One line saying how it ended (the watchdog's report, for a live deadlock).
    pub fn ending_text(&self) -> String {
        self.text("ending_text")
    }

    /// The outcome, as the census counts it.
    pub fn outcome(&self) -> String {
        self.text("outcome")
    }

    /// The replay's trace table.
    pub fn table(&self) -> String {
        self.text("table")
    }

    /// The replay's threads, column 0 (`main`) first.
    pub fn threads(&self) -> Vec<String> {
        self.json["threads"]
            .as_array()
            .map(|names| {
                names
                    .iter()
                    .filter_map(|name| name.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Every row of the replay, in order.
    pub fn actions(&self) -> Vec<Action> {
        self.json["rows"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|row| Action {
                        thread: row["thread"].as_str().unwrap_or_default().to_string(),
                        action: row["action"].as_str().unwrap_or_default().to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The actions of the thread called `thread`.
    pub fn actions_of(&self, thread: &str) -> Vec<String> {
        self.actions()
            .into_iter()
            .filter(|action| action.thread == thread)
            .map(|action| action.action)
            .collect()
    }

    /// The census's outcomes (explore records).
    pub fn outcomes(&self) -> Vec<Outcome> {
        self.json["census"]["outcomes"]
            .as_array()
            .map(|outcomes| {
                outcomes
                    .iter()
                    .map(|outcome| Outcome {
                        outcome: outcome["outcome"].as_str().unwrap_or_default().to_string(),
                        schedules: outcome["schedules"].as_u64().unwrap_or_default(),
                        shortest: outcome["shortest"].as_str().unwrap_or_default().to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// How many schedules the explorer ran.
    pub fn schedules(&self) -> u64 {
        self.json["census"]["schedules"]
            .as_u64()
            .unwrap_or_default()
    }

    /// The explorer's one line on how complete its search was.
    pub fn summary(&self) -> String {
        self.json["census"]["summary"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

impl Program {
    /// Runs the program with `args` and returns the record of its one `workbook::run`. Fails
    /// when it does not exit with 0, or ran no part through `workbook::run`.
    pub fn observe(&self, args: &[&str]) -> Result<Record, Failure> {
        self.observe_with(args, &[])
    }

    /// Every record of one run of the program with `args` and `env`, oldest first; fails when
    /// it does not exit with 0.
    fn observe_all(&self, args: &[&str], env: &[(&str, &str)]) -> Result<Vec<Record>, Failure> {
        let sandbox = workbook::process::Sandbox::new()
            .map_err(|error| Failure::new(format!("no scratch directory: {error}")))?;
        let path = sandbox.path().join("record.jsonl");
        self.run_ok_recorded(args, env, &sandbox, &path)?;
        let records = workbook::record::read(&path);
        Ok(records.into_iter().map(|json| Record { json }).collect())
    }

    /// [`Program::observe`] with the environment variables `env` set too.
    pub fn observe_with(&self, args: &[&str], env: &[(&str, &str)]) -> Result<Record, Failure> {
        let mut records = self.observe_all(args, env)?;
        let Some(record) = records.pop() else {
            return Err(Failure::new(format!(
                "(run with {}) the toolkit saw nothing: your program must do its work inside \
                 `workbook::run(&flags, || ...)` with the threads and locks of `workbook::thread` \
                 and `workbook::sync`. The check judges what the threads do, not what is printed.",
                args.join(" ")
            )));
        };
        Ok(record)
    }
}

impl From<Value> for Record {
    fn from(json: Value) -> Record {
        Record { json }
    }
}

/// Runs the program under the explorer with `args` (and the explorer's own flags `bounds`, such
/// as `--preemptions 2`) and judges every outcome with `judge` (`Err` says what is wrong with
/// that outcome). On a wrong outcome, the failure shows the shortest failing schedule found:
/// its trace table, `invariant`, and the replay command.
pub fn every_schedule(
    program: &Program,
    args: &[&str],
    bounds: &[&str],
    invariant: &str,
    judge: impl Fn(&str) -> Result<(), String>,
) -> Result<(), Failure> {
    explore(program, args, bounds, &[], invariant, judge)
}

/// [`every_schedule`] again, with every sleep allowed to last any time
/// ([`workbook::thread::ANY_DELAY_VAR`]): as on a machine that may delay any thread by any amount.
/// A program that keeps its threads apart by sleeping for different lengths, instead of by
/// synchronising them, passes [`every_schedule`] (virtual time is exact) and fails this.
pub fn every_schedule_with_any_delay(
    program: &Program,
    args: &[&str],
    bounds: &[&str],
    invariant: &str,
    judge: impl Fn(&str) -> Result<(), String>,
) -> Result<(), Failure> {
    let env = [(workbook::thread::ANY_DELAY_VAR, "1")];
    explore(program, args, bounds, &env, invariant, |outcome| {
        judge(outcome).map_err(|reason| {
            format!(
                "{reason}, once a sleep may last longer than asked (a busy machine can delay \
                 any thread at any moment): your threads are kept apart by sleeps, not by \
                 synchronisation"
            )
        })
    })
}

fn explore(
    program: &Program,
    args: &[&str],
    bounds: &[&str],
    env: &[(&str, &str)],
    invariant: &str,
    judge: impl Fn(&str) -> Result<(), String>,
) -> Result<(), Failure> {
    let mut explore_args = args.to_vec();
    explore_args.push("--explore");
    explore_args.extend(bounds);
    let census = program
        .observe_with(&explore_args, env)
        .map_err(|failure| {
            if failure.0.contains("unknown flag --explore") {
                Failure::new(
                    "your program does not take --explore: call `cli.explorable()` before \
                 `cli.parse()`, so that the check can run it under every schedule",
                )
            } else {
                failure
            }
        })?;
    if census.mode() != "explore" {
        return Err(Failure::new(format!(
            "(run with {}) your program did not explore: call `cli.explorable()` before \
             `cli.parse()` and run the threads inside `workbook::run(&flags, || ...)`",
            explore_args.join(" ")
        )));
    }
    let mut failing: Vec<(Outcome, String)> = Vec::new();
    for outcome in census.outcomes() {
        if let Err(reason) = judge(&outcome.outcome) {
            failing.push((outcome, reason));
        }
    }
    if failing.is_empty() {
        return Ok(());
    }
    let failed: u64 = failing.iter().map(|(outcome, _)| outcome.schedules).sum();
    // The shortest failing interleaving: replay each candidate and keep the fewest steps.
    let mut best: Option<(usize, Record, &Outcome, &String)> = None;
    for (outcome, reason) in &failing {
        let mut replay_args = args.to_vec();
        let schedule = if outcome.shortest.is_empty() {
            "0".to_string()
        } else {
            outcome.shortest.clone()
        };
        replay_args.extend(["--schedule", &schedule]);
        let replay = program.observe_with(&replay_args, env)?;
        let steps = replay.table().lines().count();
        if best.as_ref().is_none_or(|(fewest, ..)| steps < *fewest) {
            best = Some((steps, replay, outcome, reason));
        }
    }
    let (_, replay, outcome, reason) = best.expect("at least one failing outcome");
    let schedule = if outcome.shortest.is_empty() {
        "0"
    } else {
        outcome.shortest.as_str()
    };
    let explored = format!(
        "{}{}",
        env.iter()
            .map(|(name, value)| format!("{name}={value} (sleeps of any length) and "))
            .collect::<String>(),
        explore_args.join(" ")
    );
    let replay_command = format!(
        "{}{}",
        env.iter()
            .map(|(name, value)| format!("{name}={value} "))
            .collect::<String>(),
        program.command(&[args, &["--schedule", schedule]].concat())
    );
    Err(Failure::new(format!(
        "{reason}\n\
         The explorer ran your program with {explored}: {summary}; {failed} of {total} \
         schedules break the rule.\n\
         Your program's own interleaving, the shortest failing one found:\n\n{table}\n{ending}\n\n\
         Invariant broken: {invariant}\n\
         Replay it: {command}\n",
        summary = census.summary(),
        total = census.schedules(),
        table = indent(&replay.table()),
        ending = indent(&replay.ending_text()),
        command = replay_command,
    )))
}

/// Runs seeded replays with `args` and judges each record with `judge`; on a failure, shows that
/// replay's trace, `invariant` and the command that replays it.
pub fn seeded_replays(
    program: &Program,
    args: &[&str],
    seeds: std::ops::Range<u64>,
    invariant: &str,
    judge: impl Fn(&Record) -> Result<(), String>,
) -> Result<(), Failure> {
    replays(program, args, seeds, &[], invariant, judge)
}

/// [`seeded_replays`] again, with every sleep allowed to last any time
/// ([`workbook::thread::ANY_DELAY_VAR`]): a program whose threads time each other with naps, where
/// the task asks them to look at a flag or wait for a signal, breaks the rule here.
pub fn seeded_replays_with_any_delay(
    program: &Program,
    args: &[&str],
    seeds: std::ops::Range<u64>,
    invariant: &str,
    judge: impl Fn(&Record) -> Result<(), String>,
) -> Result<(), Failure> {
    let env = [(workbook::thread::ANY_DELAY_VAR, "1")];
    replays(program, args, seeds, &env, invariant, |record| {
        judge(record).map_err(|reason| {
            format!(
                "{reason}, once a sleep may last longer than asked (a busy machine can delay \
                 any thread at any moment): your threads are timed by sleeps, not by \
                 synchronisation"
            )
        })
    })
}

/// The replay records of `seeds`, in order, from one run of the program with `--seed` the
/// first seed and [`workbook::run::SEEDS_VAR`] their number; `None` unless that run exits with
/// 0 and records one replay of each seed, last.
fn batch_of_replays(
    program: &Program,
    args: &[&str],
    seeds: std::ops::Range<u64>,
    env: &[(&str, &str)],
) -> Option<Vec<Record>> {
    let count = seeds
        .end
        .checked_sub(seeds.start)
        .filter(|count| *count > 1)?;
    let first = seeds.start.to_string();
    let count_text = count.to_string();
    let mut vars = env.to_vec();
    vars.push((workbook::run::SEEDS_VAR, &count_text));
    let records = program
        .observe_all(&[args, &["--seed", &first]].concat(), &vars)
        .ok()?;
    let tail = records.get(records.len().checked_sub(usize::try_from(count).ok()?)?..)?;
    let in_order = tail
        .iter()
        .zip(seeds)
        .all(|(record, seed)| record.mode() == "replay" && record.json["seed"] == seed);
    in_order.then(|| tail.to_vec())
}

fn replays(
    program: &Program,
    args: &[&str],
    seeds: std::ops::Range<u64>,
    env: &[(&str, &str)],
    invariant: &str,
    judge: impl Fn(&Record) -> Result<(), String>,
) -> Result<(), Failure> {
    let prefix: String = env
        .iter()
        .map(|(name, value)| format!("{name}={value} "))
        .collect();
    // All the seeds in one run of the program (see `workbook::run::SEEDS_VAR`); when that run
    // does not give one replay record per seed (it failed, or the program was not built on the
    // toolkit), each seed is run alone, so that a failure names its own seed and command.
    let mut batch = batch_of_replays(program, args, seeds.clone(), env).map(Vec::into_iter);
    for seed in seeds {
        let seed = seed.to_string();
        let run: Vec<&str> = [args, &["--seed", &seed]].concat();
        let record = match batch.as_mut().and_then(Iterator::next) {
            Some(record) => record,
            None => program.observe_with(&run, env)?,
        };
        if record.mode() != "replay" {
            return Err(Failure::new(format!(
                "(run with {}) your program did not replay: run the threads inside \
                 `workbook::run(&flags, || ...)`",
                run.join(" ")
            )));
        }
        if let Err(reason) = judge(&record) {
            return Err(Failure::new(format!(
                "{reason}\n\
                 Your program's own interleaving (replay with {prefix}{runs}):\n\n{table}\n\
                 {ending}\n\n\
                 Invariant broken: {invariant}\n\
                 Replay it: {prefix}{command}\n",
                runs = run.join(" "),
                table = indent(&record.table()),
                ending = indent(&record.ending_text()),
                command = program.command(&run),
            )));
        }
    }
    Ok(())
}

/// Runs the program live with `args`, `runs` times at once (so the runs load each other), and
/// judges each record with `judge`.
pub fn live_runs(
    program: &Program,
    args: &[&str],
    runs: usize,
    judge: impl Fn(&Record) -> Result<(), String> + Sync,
) -> Result<(), Failure> {
    let results: Vec<Result<Record, Failure>> = std::thread::scope(|scope| {
        let running: Vec<_> = (0..runs)
            .map(|_| scope.spawn(|| program.observe(args)))
            .collect();
        running
            .into_iter()
            .map(|run| {
                run.join()
                    .unwrap_or_else(|_| Err(Failure::new("a live run could not be judged")))
            })
            .collect()
    });
    for record in results {
        let record = record?;
        if let Err(reason) = judge(&record) {
            return Err(Failure::new(format!(
                "in a live run with {} ({runs} at once): {reason}\nRun it: {}\n",
                args.join(" "),
                program.command(args)
            )));
        }
    }
    Ok(())
}

/// Fails unless the record's threads are `main` and `expected` other threads.
pub fn thread_count(record: &Record, expected: usize) -> Result<(), String> {
    let threads = record.threads();
    let others = threads.len().saturating_sub(1);
    if others == expected {
        return Ok(());
    }
    if others == 0 {
        return Err(format!(
            "only main ran: the task asks for {expected} threads of its own, started with \
             `workbook::thread`"
        ));
    }
    Err(format!(
        "{others} threads besides main ran ({}): the task asks for {expected}",
        threads[1..].join(", ")
    ))
}

/// Fails unless the replay ended with every thread finished.
pub fn finished(record: &Record) -> Result<(), String> {
    if record.ending() == "finished" {
        return Ok(());
    }
    Err(format!(
        "the run did not end with every thread finished: {}",
        record.ending_text()
    ))
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("    {line}\n"))
        .collect::<String>()
        .trim_end_matches('\n')
        .to_string()
}
