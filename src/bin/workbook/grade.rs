//! Grading: a student's predictions of a lesson's hidden values (`workbook predict`), and a
//! whole class's exercise files in one command (`workbook report --class`).
//!
//! `predict` runs the lesson's own `--predict` replay, asks for the value of each hidden cell,
//! then runs the same replay revealed and marks each answer against what the lesson really
//! computed. The cells and their real values are read from the record the toolkit writes for
//! each run (`WORKBOOK_RECORD`, see [`workbook::record`]), never from the printed table or a
//! copy of it.

use std::io::{BufRead, IsTerminal, Write};

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use workbook::process;

use crate::exercises::Exercise;
use crate::progress::{self, Prediction};
use crate::{Outcome, Usage, Workbook, bounded, flush, normalize, trouble};

/// A file of a class, graded: its place in the table (student x exercise), grade and seconds.
type Graded = (usize, Grade, f64);

/// At most this many files of a class are graded at once (fewer on a machine with fewer cores).
const GRADERS: usize = 2;

/// How long one run of a lesson may take (a replay takes well under a second).
const LESSON_LIMIT: Duration = Duration::from_secs(60);

/// A value hidden as `?` in a `--predict` replay, and what the real replay shows there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// Which of the lesson's tables (from 1): a lesson may replay several parts.
    pub table: usize,
    /// The step number the table shows, or the step the row follows (a row that is no turn).
    pub step: String,
    /// The thread (column) of the cell.
    pub thread: String,
    /// The cell as the `--predict` table shows it, with this cell's `?` marked when it has more.
    pub shown: String,
    /// The real value.
    pub real: String,
}

impl Cell {
    /// Where the cell is, for the student: `table 1, step 3, thread b: counter.load() -> ?`.
    pub fn name(&self, tables: usize) -> String {
        let table = if tables > 1 {
            format!("table {}, ", self.table)
        } else {
            String::new()
        };
        format!(
            "{table}{}, thread {}: {}",
            self.step, self.thread, self.shown
        )
    }
}

/// The hidden cells of the replays recorded in `predicted` (run with `--predict`) with their
/// real values from `revealed` (the same replays without it). `Err` when the two are not the
/// same replays with values hidden.
pub fn hidden_cells(predicted: &[Value], revealed: &[Value]) -> Result<Vec<Cell>, String> {
    let differ = |what: &str| {
        format!("the revealed replay is not the --predict replay with the values shown ({what})")
    };
    if predicted.len() != revealed.len() {
        return Err(differ("they ran a different number of times"));
    }
    let mut cells = Vec::new();
    let mut table = 0;
    for (hidden, real) in predicted.iter().zip(revealed) {
        if hidden["mode"] != "replay" || real["mode"] != "replay" {
            continue;
        }
        table += 1;
        let empty = Vec::new();
        let hidden_rows = hidden["rows"].as_array().unwrap_or(&empty);
        let real_rows = real["rows"].as_array().unwrap_or(&empty);
        if hidden_rows.len() != real_rows.len() || hidden["threads"] != real["threads"] {
            return Err(differ(&format!("table {table} has other rows")));
        }
        let mut last_step = 0;
        for (hidden_row, real_row) in hidden_rows.iter().zip(real_rows) {
            let step = match hidden_row["step"].as_u64() {
                Some(step) => {
                    last_step = step;
                    format!("step {step}")
                }
                None => format!("after step {last_step}"),
            };
            let text = |row: &Value, key: &str| row[key].as_str().map(str::to_string);
            let thread = text(hidden_row, "thread").unwrap_or_default();
            if text(real_row, "thread").unwrap_or_default() != thread {
                return Err(differ(&format!("table {table}, {step}: another thread")));
            }
            let (action, real_action) = (
                text(hidden_row, "action").unwrap_or_default(),
                text(real_row, "action").unwrap_or_default(),
            );
            let (value, real_value) = (text(hidden_row, "value"), text(real_row, "value"));
            let mut cell = |shown: String, real: String| {
                cells.push(Cell {
                    table,
                    step: step.clone(),
                    thread: thread.clone(),
                    shown,
                    real,
                });
            };
            if action != real_action {
                let values = fill(&action, &real_action)
                    .ok_or_else(|| differ(&format!("table {table}, {step}: {action}")))?;
                let many = values.len() > 1;
                for (index, real) in values.into_iter().enumerate() {
                    let shown = if many {
                        format!("{action} (the {} ?)", ordinal(index + 1))
                    } else {
                        action.clone()
                    };
                    cell(shown, real);
                }
            }
            if let Some(value) = value
                && value != real_value.clone().unwrap_or_default()
            {
                if value != "?" {
                    return Err(differ(&format!("table {table}, {step}: {action} {value}")));
                }
                cell(format!("{action} ?"), real_value.unwrap_or_default());
            }
        }
    }
    Ok(cells)
}

/// The values that fill the `?`s of `pattern` to make `real`: `fill("print ?", "print 3")` is
/// `["3"]`. `None` when `real` does not have that shape (or two `?`s touch, which is ambiguous).
pub fn fill(pattern: &str, real: &str) -> Option<Vec<String>> {
    let parts: Vec<&str> = pattern.split('?').collect();
    let mut rest = real.strip_prefix(parts[0])?;
    let mut values = Vec::new();
    for (index, part) in parts.iter().enumerate().skip(1) {
        if index == parts.len() - 1 {
            values.push(rest.strip_suffix(part)?.to_string());
        } else {
            if part.is_empty() {
                return None;
            }
            let at = rest.find(part)?;
            values.push(rest[..at].to_string());
            rest = &rest[at + part.len()..];
        }
    }
    Some(values)
}

fn ordinal(n: usize) -> String {
    match n {
        1 => "1st".into(),
        2 => "2nd".into(),
        3 => "3rd".into(),
        n => format!("{n}th"),
    }
}

/// What `predict` was asked.
pub struct PredictRequest<'a> {
    pub lesson: &'a str,
    pub seed: Option<&'a str>,
    pub part: Option<&'a str>,
    pub answers: Option<&'a Path>,
}

/// The lesson's program, `lessonNN`, next to this one (where cargo builds both).
fn lesson_program(root: &Path, target: &str) -> Result<(String, PathBuf), Usage> {
    let wanted = normalize(target.trim_start_matches("lesson"));
    let unknown = || {
        Usage(format!(
            "no lesson {target:?}: lessons are numbered like 04 (see lessons/lessonNN_*.rs)"
        ))
    };
    if wanted.len() != 2 || !wanted.chars().all(|c| c.is_ascii_digit()) {
        return Err(unknown());
    }
    let source = std::fs::read_dir(root.join("lessons"))
        .map_err(|error| trouble(format!("cannot read lessons/: {error}")))?
        .flatten()
        .find(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with(&format!("lesson{wanted}_")) && name.ends_with(".rs")
        })
        .ok_or_else(unknown)?
        .path();
    let bin = format!("lesson{wanted}");
    let here = std::env::current_exe()
        .map_err(|error| trouble(format!("cannot tell where this program is: {error}")))?;
    let program = here
        .parent()
        .unwrap_or(Path::new("."))
        .join(format!("{bin}{}", std::env::consts::EXE_SUFFIX));
    // Built as this program was: `cargo run --release --bin workbook` looks in target/release.
    let release = here
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|profile| profile == "release");
    let build = format!(
        "cargo build {}--bin {bin}",
        if release { "--release " } else { "" }
    );
    if !program.is_file() {
        return Err(Usage(format!(
            "{bin} is not built: run `{build}`, then predict again"
        )));
    }
    let modified = |path: &Path| {
        std::fs::metadata(path)
            .and_then(|meta| meta.modified())
            .ok()
    };
    if let (Some(source_time), Some(built)) = (modified(&source), modified(&program))
        && source_time > built
    {
        // Both replays run the same program, so the marks are right for it; say it is old.
        eprintln!(
            "(note: {} changed after {bin} was built; `{build}` replays the current version)",
            source.strip_prefix(root).unwrap_or(&source).display()
        );
    }
    Ok((wanted, program))
}

/// One run of the lesson with `args`, its stdout and the records of its runs.
fn run_lesson(program: &Path, args: &[&str]) -> Result<(String, Vec<Value>), Usage> {
    let sandbox = process::Sandbox::new()
        .map_err(|error| trouble(format!("no scratch directory: {error}")))?;
    let record = sandbox.path().join("record.jsonl");
    let env = [(workbook::record::RECORD_VAR, record.as_os_str())];
    let finished = sandbox
        .run(program, args, &env, LESSON_LIMIT)
        .map_err(|error| trouble(format!("could not run {}: {error}", program.display())))?;
    let name = program
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    if finished.timed_out {
        return Err(trouble(format!(
            "{name} {} did not finish within {} s",
            args.join(" "),
            LESSON_LIMIT.as_secs()
        )));
    }
    if finished.code != Some(0) {
        // The lesson refuses a flag with one `error:` line: say it as ours.
        let said = finished
            .stderr
            .lines()
            .find_map(|line| line.strip_prefix("error: "))
            .map_or_else(
                || format!("{name} {} failed ({:?})", args.join(" "), finished.code),
                |said| format!("{name}: {said}"),
            );
        return Err(Usage(said));
    }
    Ok((finished.stdout, workbook::record::read(&record)))
}

impl Workbook {
    /// `predict LESSON --seed N [--part N] [--answers FILE]`.
    pub fn predict(mut self, request: PredictRequest) -> Outcome {
        let (lesson, program) = lesson_program(&self.root, request.lesson)?;
        let Some(seed) = request.seed else {
            return Err(Usage(format!(
                "predict needs the replay's seed, e.g. `predict {lesson} --seed 11`"
            )));
        };
        let seed: u64 = seed.parse().map_err(|_| {
            Usage(format!(
                "--seed {seed:?} is not a seed: a whole number from 0 to {}",
                u64::MAX
            ))
        })?;
        let part = match request.part {
            None => None,
            Some(part) => Some(
                part.parse::<u64>()
                    .map_err(|_| Usage(format!("--part {part:?} is not a part number, like 2")))?,
            ),
        };
        // Read the answers file first: a file the workbook cannot use is refused before anything.
        let from_file = match request.answers {
            None => None,
            Some(path) => Some(read_answers(path)?),
        };
        let seed_text = seed.to_string();
        let part_text = part.map(|part| part.to_string());
        let mut args = vec!["--seed", seed_text.as_str()];
        if let Some(part) = &part_text {
            args.extend(["--part", part.as_str()]);
        }
        let predict_args = [args.as_slice(), &["--predict"]].concat();
        let (shown, predicted) = run_lesson(&program, &predict_args)?;
        let names = cell_names(&predicted);
        let hidden = names.len();
        let command = format!(
            "cargo run --bin lesson{lesson} -- {}",
            predict_args.join(" ")
        );
        if from_file.is_none() || hidden == 0 {
            // With an answers file, the table comes once the file is known to fit it.
            print!("{shown}");
        }
        if hidden == 0 {
            println!();
            println!(
                "Nothing is hidden in `{command}`: there is nothing to predict. Try another seed or part."
            );
            return Ok(ExitCode::SUCCESS);
        }
        let answers = match from_file {
            Some(answers) => {
                if answers.len() < hidden {
                    eprintln!(
                        "The answers file has {} values; {hidden} cells are hidden. Nothing was \
                         recorded.",
                        answers.len()
                    );
                    return Ok(ExitCode::from(1));
                }
                if answers.len() > hidden {
                    return Err(Usage(format!(
                        "the answers file has {} values, but only {hidden} cells are hidden: is \
                         it for another lesson, seed or part?",
                        answers.len()
                    )));
                }
                print!("{shown}");
                answers
            }
            None => {
                println!();
                println!("Your prediction for each hidden value (one per line):");
                match ask(&names) {
                    Some(answers) => answers,
                    None => {
                        println!();
                        eprintln!(
                            "The input ended before every hidden value was given. Nothing was \
                             recorded."
                        );
                        return Ok(ExitCode::from(1));
                    }
                }
            }
        };
        let (_, revealed) = run_lesson(&program, &args)?;
        let cells = hidden_cells(&predicted, &revealed).map_err(trouble)?;
        if cells.len() != hidden {
            return Err(trouble(format!(
                "lesson{lesson} hides {hidden} values, but the revealed replay shows {}",
                cells.len()
            )));
        }
        let tables = cells.last().map_or(1, |cell| cell.table);
        println!();
        let mut right = 0;
        for (cell, answer) in cells.iter().zip(&answers) {
            let correct = answer.trim() == cell.real.trim();
            right += usize::from(correct);
            println!(
                "  {:<5}  {}: you said {}, {}",
                if correct { "right" } else { "WRONG" },
                cell.name(tables),
                answer,
                if correct {
                    "it is".to_string()
                } else {
                    format!("it was {}", cell.real)
                },
            );
        }
        println!();
        println!(
            "Score: {right} of {} (lesson {lesson}, seed {seed}{}).",
            cells.len(),
            part.map_or(String::new(), |part| format!(", part {part}"))
        );
        println!(
            "See the whole replay: cargo run --bin lesson{lesson} -- {}",
            args.join(" ")
        );
        self.progress
            .record_prediction(Prediction {
                lesson,
                seed,
                part,
                score: right as u64,
                out_of: cells.len() as u64,
                when: progress::now_utc(),
            })
            .map_err(trouble)?;
        Ok(if right == cells.len() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

/// Asks for the value of each cell `names` names on stdin; `None` when the input ends first.
/// Blank lines are not answers.
fn ask(names: &[String]) -> Option<Vec<String>> {
    let stdin = std::io::stdin();
    let typed = stdin.is_terminal();
    let mut lines = stdin.lock();
    let mut answers = Vec::new();
    while let Some(name) = names.get(answers.len()) {
        print!("  [{}/{}] {name} = ", answers.len() + 1, names.len());
        flush();
        let mut line = String::new();
        match lines.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let answer = line.trim();
        if !typed {
            // Piped in: show the answer, as a terminal would have.
            println!("{answer}");
        }
        if !answer.is_empty() {
            answers.push(answer.to_string());
        }
    }
    Some(answers)
}

/// The names of the hidden cells of the `--predict` records, in the order they are asked.
fn cell_names(predicted: &[Value]) -> Vec<String> {
    // The same walk as [`hidden_cells`], against itself with each `?` as its own value.
    let cells = hidden_cells(predicted, &reveal_marks(predicted)).unwrap_or_default();
    let tables = cells.last().map_or(1, |cell| cell.table);
    cells.iter().map(|cell| cell.name(tables)).collect()
}

/// `predicted` with every `?` replaced by a mark, so that [`hidden_cells`] finds each hidden
/// cell once.
fn reveal_marks(predicted: &[Value]) -> Vec<Value> {
    predicted
        .iter()
        .map(|record| {
            let mut record = record.clone();
            if let Some(rows) = record["rows"].as_array_mut() {
                for row in rows {
                    if let Some(action) = row["action"].as_str() {
                        row["action"] = json!(action.replace('?', "\u{1}"));
                    }
                    if row["value"] == "?" {
                        row["value"] = json!("\u{1}");
                    }
                }
            }
            record
        })
        .collect()
}

/// The answers in `path`: one a line, blank lines skipped.
fn read_answers(path: &Path) -> Result<Vec<String>, Usage> {
    let metadata = std::fs::metadata(path)
        .map_err(|error| Usage(format!("--answers {}: {error}", path.display())))?;
    if !metadata.is_file() || metadata.len() > 1 << 20 {
        return Err(Usage(format!(
            "--answers {}: not a text file of answers (one value a line)",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|error| Usage(format!("--answers {}: {error}", path.display())))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect())
}

/// How one student's file for one exercise fared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grade {
    /// It builds, its checks pass, clippy is quiet.
    Done,
    /// It builds, but a check fails (or clippy is not quiet): why.
    NotDone(String),
    /// It does not compile: what the compiler said.
    DoesNotBuild(String),
    /// The student handed in no file for this exercise.
    Missing,
}

impl Grade {
    /// The word the table and the JSON use.
    pub fn word(&self) -> &'static str {
        match self {
            Grade::Done => "done",
            Grade::NotDone(_) => "not done",
            Grade::DoesNotBuild(_) => "does not build",
            Grade::Missing => "missing",
        }
    }

    fn reason(&self) -> Option<&str> {
        match self {
            Grade::NotDone(why) | Grade::DoesNotBuild(why) => Some(why),
            Grade::Done | Grade::Missing => None,
        }
    }

    /// The first line of why, as the table and the page show it: for a build error, the
    /// compiler's first error, not our heading.
    fn first_line(&self) -> Option<String> {
        let why = self.reason()?;
        let first = match self {
            Grade::DoesNotBuild(_) => why.lines().find(|line| line.contains("error")),
            _ => None,
        }
        .or_else(|| why.lines().find(|line| !line.trim().is_empty()))?;
        Some(crate::exercises::shorten(first.trim(), 160))
    }
}

impl Workbook {
    /// `report --class DIR [--only IDS] [--json] [--html FILE]`: every student's files graded
    /// as `check --file` grades them; with `html`, also written to that file as a page.
    pub fn class_report(
        &self,
        dir: &Path,
        only: Option<&str>,
        as_json: bool,
        html: Option<&Path>,
    ) -> Outcome {
        let exercises: Vec<Exercise> = match only {
            None => self.all.clone(),
            Some(list) => {
                let mut chosen: Vec<Exercise> = Vec::new();
                for id in list.split(',').map(str::trim).filter(|id| !id.is_empty()) {
                    for exercise in self.select(id)? {
                        if !chosen.iter().any(|known| known.id == exercise.id) {
                            chosen.push(exercise);
                        }
                    }
                }
                if chosen.is_empty() {
                    return Err(Usage(
                        "--only names no exercise, e.g. --only 04a,04b".into(),
                    ));
                }
                // The catalogue's order, whatever order they were named in.
                self.all
                    .iter()
                    .filter(|exercise| chosen.iter().any(|known| known.id == exercise.id))
                    .copied()
                    .collect()
            }
        };
        if !dir.is_dir() {
            return Err(Usage(format!(
                "--class {}: no such folder (it holds one folder per student)",
                dir.display()
            )));
        }
        let mut students: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
            .map_err(|error| Usage(format!("--class {}: {error}", dir.display())))?
            .flatten()
            .filter(|entry| entry.path().is_dir())
            .map(|entry| {
                (
                    entry.file_name().to_string_lossy().into_owned(),
                    entry.path(),
                )
            })
            .filter(|(name, _)| !name.starts_with('.'))
            .collect();
        students.sort();
        if students.is_empty() {
            return Err(Usage(format!(
                "--class {}: no student folders in it (DIR/<student>/ex04a_mutex_counter.rs, ...)",
                dir.display()
            )));
        }
        // A page that cannot be written is said before minutes of grading, not after.
        if let Some(page) = html {
            write_page(page, None)?;
        }
        eprintln!(
            "Grading {} students x {} exercises; each file runs in {}.",
            students.len(),
            exercises.len(),
            process::protection()
        );
        let started = Instant::now();
        // Every (student, exercise) file, graded by a few workers at once: while cargo builds
        // one file (one build at a time: cargo's lock), the checks of another run.
        let jobs: Vec<(usize, usize, PathBuf)> = students
            .iter()
            .enumerate()
            .flat_map(|(student, (_, folder))| {
                exercises
                    .iter()
                    .enumerate()
                    .map(move |(exercise, known)| (student, exercise, folder.join(known.starter)))
            })
            .collect();
        let workers = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, GRADERS);
        let next = std::sync::atomic::AtomicUsize::new(0);
        let graded: Vec<Result<Vec<Graded>, Usage>> = std::thread::scope(|scope| {
            let running: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        while let Some((student, exercise, file)) =
                            jobs.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                        {
                            let index = student * exercises.len() + exercise;
                            if !file.is_file() {
                                done.push((index, Grade::Missing, 0.0));
                                continue;
                            }
                            let began = Instant::now();
                            let grade = self.judge_file(&exercises[*exercise], file)?;
                            let seconds = began.elapsed().as_secs_f64();
                            eprintln!(
                                "  {} {}: {} ({seconds:.1} s)",
                                students[*student].0,
                                exercises[*exercise].id,
                                grade.word()
                            );
                            done.push((index, grade, seconds));
                        }
                        Ok(done)
                    })
                })
                .collect();
            running
                .into_iter()
                .map(|worker| {
                    worker
                        .join()
                        .unwrap_or_else(|_| Err(trouble("a grader failed".into())))
                })
                .collect()
        });
        let mut cells: Vec<Option<(Grade, f64)>> = vec![None; jobs.len()];
        for worker in graded {
            for (index, grade, seconds) in worker? {
                cells[index] = Some((grade, seconds));
            }
        }
        let results: Vec<Vec<(Grade, Option<PathBuf>, f64)>> = cells
            .chunks(exercises.len().max(1))
            .zip(jobs.chunks(exercises.len().max(1)))
            .map(|(row, files)| {
                row.iter()
                    .zip(files)
                    .map(|(cell, (_, _, file))| {
                        let (grade, seconds) = cell.clone().unwrap_or((Grade::Missing, 0.0));
                        let file = (grade != Grade::Missing).then(|| file.clone());
                        (grade, file, seconds)
                    })
                    .collect()
            })
            .collect();
        let took = started.elapsed().as_secs_f64();
        // Files a student handed in that are named like no starter: not graded, but said.
        let unknown: Vec<Vec<String>> = students
            .iter()
            .map(|(name, folder)| {
                let mut names: Vec<String> = std::fs::read_dir(folder)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .filter(|file| !self.all.iter().any(|exercise| exercise.starter == file))
                    .map(|file| format!("{name}/{file}"))
                    .collect();
                names.sort();
                names
            })
            .collect();
        let relative = |file: &Option<PathBuf>| {
            file.as_ref()
                .map(|file| file.strip_prefix(dir).unwrap_or(file).display().to_string())
        };
        if let Some(page) = html {
            let names: Vec<&str> = students.iter().map(|(name, _)| name.as_str()).collect();
            let text = class_page(&ClassPage {
                folder: &dir.display().to_string(),
                generated: &progress::now_utc(),
                exercises: &exercises
                    .iter()
                    .map(|exercise| exercise.id)
                    .collect::<Vec<_>>(),
                students: &names,
                results: &results,
                unknown: &unknown,
                relative: &relative,
            });
            write_page(page, Some(&text))?;
            eprintln!("The page: {}", page.display());
        }
        if as_json {
            let students: Vec<Value> = students
                .iter()
                .zip(&results)
                .enumerate()
                .map(|(student, ((name, _), row))| {
                    let graded: Vec<Value> = exercises
                        .iter()
                        .zip(row)
                        .map(|(exercise, (grade, file, seconds))| {
                            json!({
                                "id": exercise.id,
                                "status": grade.word(),
                                "file": relative(file),
                                "reason": grade.reason().map(bounded),
                                "seconds": (seconds * 10.0).round() / 10.0,
                            })
                        })
                        .collect();
                    json!({
                        "student": name,
                        "done": count(row, "done"),
                        "not_done": count(row, "not done"),
                        "does_not_build": count(row, "does not build"),
                        "missing": count(row, "missing"),
                        "exercises": graded,
                        "not_graded": unknown[student],
                    })
                })
                .collect();
            let report = json!({
                "format": 1,
                "kind": "class",
                "generated": progress::now_utc(),
                "folder": dir.display().to_string(),
                "exercises": exercises.iter().map(|exercise| exercise.id).collect::<Vec<_>>(),
                "seconds": (took * 10.0).round() / 10.0,
                "students": students,
            });
            println!(
                "{}",
                serde_json::to_string_pretty(&report).expect("JSON values serialise")
            );
            return Ok(ExitCode::SUCCESS);
        }
        let width = students
            .iter()
            .map(|(name, _)| name.chars().count())
            .max()
            .unwrap_or(0)
            .max("student".len());
        let mut header = format!("{:<width$}", "student");
        for exercise in &exercises {
            header.push_str(&format!("  {:<14}", exercise.id));
        }
        println!("{}", header.trim_end());
        for ((name, _), row) in students.iter().zip(&results) {
            let mut line = format!("{name:<width$}");
            for (grade, _, _) in row {
                line.push_str(&format!("  {:<14}", grade.word()));
            }
            println!("{}", line.trim_end());
        }
        println!();
        for ((name, _), row) in students.iter().zip(&results) {
            println!(
                "{name}: {} of {} done, {} not done, {} do not build, {} missing",
                count(row, "done"),
                exercises.len(),
                count(row, "not done"),
                count(row, "does not build"),
                count(row, "missing"),
            );
        }
        let failed: Vec<String> = students
            .iter()
            .zip(&results)
            .flat_map(|((name, _), row)| {
                exercises
                    .iter()
                    .zip(row)
                    .filter_map(move |(exercise, (grade, _, _))| {
                        Some(format!("  {name} {}: {}", exercise.id, grade.first_line()?))
                    })
            })
            .collect();
        if !failed.is_empty() {
            println!();
            println!("Why (the first line; `check ID --file FILE` shows all of it):");
            for line in failed {
                println!("{line}");
            }
        }
        let unknown: Vec<String> = unknown.into_iter().flatten().collect();
        if !unknown.is_empty() {
            println!();
            println!(
                "Not graded, named like no starter: {}",
                crate::exercises::shorten(&unknown.join(", "), 1000)
            );
        }
        println!();
        println!(
            "Graded in {took:.0} s. Nothing was recorded: the class's files and your progress are \
             untouched."
        );
        Ok(ExitCode::SUCCESS)
    }
}

/// What the class page shows: the same grades as the table and the JSON.
struct ClassPage<'a> {
    folder: &'a str,
    generated: &'a str,
    exercises: &'a [&'a str],
    students: &'a [&'a str],
    results: &'a [Vec<(Grade, Option<PathBuf>, f64)>],
    unknown: &'a [Vec<String>],
    relative: &'a dyn Fn(&Option<PathBuf>) -> Option<String>,
}

/// `text` with the characters HTML gives a meaning escaped, for an element or a quoted attribute.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// The stylesheet of the class page (inline: the page needs nothing else).
const PAGE_STYLE: &str = "\
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; }
.scroll { overflow-x: auto; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: left; white-space: nowrap; }
thead th { background: #eee; }
td.done { background: #d6f5d6; }
td.not-done { background: #fde2b8; }
td.does-not-build { background: #f7c6c6; }
td.missing { background: #f2f2f2; color: #777; }
code { font-size: 0.9em; white-space: pre-wrap; }
.generated { color: #777; }
";

/// The class report as one self-contained HTML page (inline style, no script, nothing
/// fetched). The same bytes for the same grades, apart from the line saying when.
fn class_page(page: &ClassPage) -> String {
    let mut html = String::new();
    let mut line = |text: String| {
        html.push_str(&text);
        html.push('\n');
    };
    let folder = escape(page.folder);
    line("<!DOCTYPE html>".into());
    line("<html lang=\"en\">".into());
    line("<head>".into());
    line("<meta charset=\"utf-8\">".into());
    line("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">".into());
    line(format!("<title>Class report: {folder}</title>"));
    line(format!("<style>\n{PAGE_STYLE}</style>"));
    line("</head>".into());
    line("<body>".into());
    line(format!("<h1>Class report: <code>{folder}</code></h1>"));
    line(format!(
        "<p>{} students x {} exercises, each file graded as <code>check ID --file FILE</code> \
         grades it.</p>",
        page.students.len(),
        page.exercises.len()
    ));
    line(format!(
        "<p class=\"generated\">Generated {}</p>",
        escape(page.generated)
    ));
    line("<div class=\"scroll\">".into());
    line("<table id=\"grades\">".into());
    let mut head = String::from("<thead><tr><th scope=\"col\">student</th>");
    for id in page.exercises {
        head.push_str(&format!("<th scope=\"col\">{}</th>", escape(id)));
    }
    head.push_str("<th scope=\"col\">summary</th></tr></thead>");
    line(head);
    line("<tbody>".into());
    for (name, row) in page.students.iter().zip(page.results) {
        let mut cells = format!("<tr><th scope=\"row\">{}</th>", escape(name));
        for (grade, file, _) in row {
            let word = grade.word();
            let title = (page.relative)(file)
                .map(|file| format!(" title=\"{}\"", escape(&file)))
                .unwrap_or_default();
            cells.push_str(&format!(
                "<td class=\"{}\" data-status=\"{word}\"{title}>{word}</td>",
                word.replace(' ', "-")
            ));
        }
        cells.push_str(&format!(
            "<td>{} of {} done, {} not done, {} do not build, {} missing</td></tr>",
            count(row, "done"),
            page.exercises.len(),
            count(row, "not done"),
            count(row, "does not build"),
            count(row, "missing"),
        ));
        line(cells);
    }
    line("</tbody>".into());
    line("</table>".into());
    line("</div>".into());
    let mut failures = Vec::new();
    for (name, row) in page.students.iter().zip(page.results) {
        for (id, (grade, file, _)) in page.exercises.iter().zip(row) {
            if let Some(first) = grade.first_line() {
                let file = (page.relative)(file).unwrap_or_default();
                failures.push(format!(
                    "<li>{} {} (<code>{}</code>, {}): <code>{}</code></li>",
                    escape(name),
                    escape(id),
                    escape(&file),
                    grade.word(),
                    escape(&first)
                ));
            }
        }
    }
    if !failures.is_empty() {
        line(
            "<h2>Why (the first line; <code>check ID --file FILE</code> shows all of it)</h2>"
                .into(),
        );
        line("<ul id=\"why\">".into());
        for failure in failures {
            line(failure);
        }
        line("</ul>".into());
    }
    let unknown: Vec<&String> = page.unknown.iter().flatten().collect();
    if !unknown.is_empty() {
        line("<h2>Not graded, named like no starter</h2>".into());
        line("<ul id=\"not-graded\">".into());
        for file in unknown {
            line(format!("<li><code>{}</code></li>", escape(file)));
        }
        line("</ul>".into());
    }
    line("</body>".into());
    line("</html>".into());
    html
}

/// Writes `text` to `path` whole: a temporary file in the same folder, renamed over `path`, so a
/// reader never sees half a page. With no text, only proves that it could be written there.
fn write_page(path: &Path, text: Option<&str>) -> Result<(), Usage> {
    let failed = |error: std::io::Error| {
        Usage(format!(
            "--html {}: cannot write it: {error}",
            path.display()
        ))
    };
    if path.is_dir() || path.file_name().is_none() {
        return Err(Usage(format!(
            "--html {path:?}: is a folder or no file name; name the page's file, e.g. class.html"
        )));
    }
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    if !folder.is_dir() {
        return Err(Usage(format!(
            "--html {}: there is no folder {}",
            path.display(),
            folder.display()
        )));
    }
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{name}-{}-", std::process::id()))
        .suffix(".tmp")
        .tempfile_in(folder)
        .map_err(failed)?;
    let Some(text) = text else {
        return Ok(());
    };
    // Interrupted (Ctrl-C) before the rename: the temporary file goes too.
    let unfinished = temporary.path().to_path_buf();
    let _cleanup = process::cleanup::register(move || {
        let _ = std::fs::remove_file(&unfinished);
    });
    temporary.write_all(text.as_bytes()).map_err(failed)?;
    temporary.as_file().sync_all().map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(temporary.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(failed)?;
    }
    temporary
        .persist(path)
        .map_err(|error| failed(error.error))?;
    Ok(())
}

fn count(row: &[(Grade, Option<PathBuf>, f64)], word: &str) -> usize {
    row.iter()
        .filter(|(grade, _, _)| grade.word() == word)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_values_are_read_from_the_real_text() {
        assert_eq!(fill("print ?", "print 3").unwrap(), ["3"]);
        assert_eq!(fill("a ? b ? c", "a 1 b 22 c").unwrap(), ["1", "22"]);
        assert_eq!(fill("took ?", "gave 3"), None);
        assert_eq!(fill("??", "12"), None);
    }

    #[test]
    fn cells_pair_hidden_rows_with_revealed_ones() {
        let hidden = json!({"mode": "replay", "threads": ["main", "a"], "rows": [
            {"step": 1, "thread": "a", "action": "counter.load() ->", "value": "?"},
            {"step": null, "thread": "a", "action": "print ?", "value": null},
            {"step": 2, "thread": "main", "action": "join a", "value": null}]});
        let real = json!({"mode": "replay", "threads": ["main", "a"], "rows": [
            {"step": 1, "thread": "a", "action": "counter.load() ->", "value": "0"},
            {"step": null, "thread": "a", "action": "print 7", "value": null},
            {"step": 2, "thread": "main", "action": "join a", "value": null}]});
        let cells = hidden_cells(std::slice::from_ref(&hidden), &[real]).unwrap();
        assert_eq!(cells.len(), 2);
        assert_eq!(cells[0].real, "0");
        assert_eq!(cells[0].name(1), "step 1, thread a: counter.load() -> ?");
        assert_eq!(cells[1].real, "7");
        assert_eq!(cells[1].step, "after step 1");
        let other = json!({"mode": "replay", "threads": ["main", "b"], "rows": []});
        assert!(hidden_cells(&[hidden], &[other]).is_err());
    }
}
