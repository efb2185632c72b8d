//! Grading: `workbook predict` (a lesson's hidden values, marked against the real replay and
//! recorded), `workbook report --json` (what a teacher grades from), `workbook report --class`
//! (a folder of students' files graded as `check --file` grades them), and `check --file` of
//! programs that loop, print without end or read stdin.
//!
//! Each test has a progress file and a TMPDIR of its own in a fresh temporary folder, and proves
//! that what it must not touch is byte-identical afterwards. The slow part is cargo building each
//! student's file; the tests that build run at once (their builds take turns on cargo's lock).

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use workbook::process::{Finished, run_command_with_timeout};

const WORKBOOK: &str = env!("CARGO_BIN_EXE_workbook");

/// No workbook command here may take longer; past it the test fails instead of hanging. Generous:
/// the first build of a student's file may compile the exercises' dependencies.
const LIMIT: Duration = Duration::from_secs(300);

/// Each run of a checked program is cut to this (`WORKBOOK_TIME_LIMIT_MS`): a program that
/// loops is stopped after it, not after the exercise's 8 s.
const RUN_LIMIT_MS: &str = "2500";

/// The real values of `lesson04 --seed 12 --part 2`'s nine hidden cells, in order (see the
/// snapshot `lesson04_predict_racy` for the table and `lesson04_seed_...` for the values).
const LESSON04_SEED12_PART2: [&str; 9] = ["0", "0", "1", "1", "2", "1", "1", "2", "2"];

/// A fresh folder with a progress file path and a TMPDIR of its own.
struct Desk {
    dir: tempfile::TempDir,
}

impl Desk {
    fn new() -> Desk {
        let desk = Desk {
            dir: tempfile::tempdir().expect("a temporary directory"),
        };
        fs::create_dir(desk.tmp()).unwrap();
        desk
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn progress(&self) -> PathBuf {
        self.path().join("progress.json")
    }

    fn tmp(&self) -> PathBuf {
        self.path().join("tmp")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(WORKBOOK);
        command
            .args(args)
            .env("WORKBOOK_PROGRESS", self.progress())
            .env("WORKBOOK_STUDENT", "ada")
            .env("WORKBOOK_TIME_LIMIT_MS", RUN_LIMIT_MS)
            .env("TMPDIR", self.tmp())
            .env_remove("WORKBOOK_ROOT");
        command
    }

    /// Runs `workbook ARGS` with stdin closed.
    fn run(&self, args: &[&str]) -> Finished {
        finished(args, run_command_with_timeout(self.command(args), LIMIT))
    }

    /// Runs `workbook ARGS` with `input` on stdin (then closed).
    fn run_with_input(&self, args: &[&str], input: &str) -> Finished {
        let mut command = self.command(args);
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("workbook starts");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let started = Instant::now();
        let output = child.wait_with_output().unwrap();
        assert!(started.elapsed() < LIMIT);
        let finished = Finished {
            code: output.status.code(),
            timed_out: false,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            truncated: false,
            elapsed: started.elapsed(),
        };
        finished_ok(args, finished)
    }

    fn progress_json(&self) -> Value {
        serde_json::from_str(&fs::read_to_string(self.progress()).expect("a progress file"))
            .expect("the progress file is JSON")
    }
}

fn finished(args: &[&str], run: std::io::Result<Finished>) -> Finished {
    finished_ok(args, run.expect("workbook starts"))
}

fn finished_ok(args: &[&str], finished: Finished) -> Finished {
    assert!(!finished.timed_out, "workbook {args:?} did not finish");
    assert!(
        !finished.stderr.contains("panicked"),
        "workbook {args:?} panicked: {}",
        finished.stderr
    );
    finished
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir` (relative path -> bytes, and a symbolic link as its target).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in fs::read_dir(&at).unwrap().flatten() {
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            let key = path.strip_prefix(dir).unwrap().to_path_buf();
            if kind.is_dir() {
                files.insert(key, b"<dir>".to_vec());
                stack.push(path);
            } else if kind.is_symlink() {
                let target = fs::read_link(&path).unwrap();
                files.insert(key, target.display().to_string().into_bytes());
            } else {
                files.insert(key, fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// The build products of graded files in the shared target directory.
fn graded_products() -> Vec<String> {
    let debug = root().join("target/exercises/debug");
    ["", "deps", ".fingerprint"]
        .iter()
        .flat_map(|sub| {
            fs::read_dir(debug.join(sub))
                .into_iter()
                .flatten()
                .flatten()
        })
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("graded"))
        .collect()
}

fn assert_exit(finished: &Finished, code: i32) {
    assert_eq!(
        finished.code,
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        finished.stdout,
        finished.stderr
    );
}

/// Exit status 2 and one `error:` line first on stderr, containing `words`.
fn assert_refused(finished: &Finished, words: &str) {
    assert_exit(finished, 2);
    let first = finished.stderr.lines().next().unwrap_or("");
    assert!(
        first.starts_with("error: ") && first.contains(words),
        "expected `error: ...{words}...`, got:\n{}",
        finished.stderr
    );
}

fn lines(values: &[&str]) -> String {
    values.iter().map(|value| format!("{value}\n")).collect()
}

// ---------------------------------------------------------------------------------------------
// workbook predict

#[test]
fn predict_marks_each_hidden_value_against_the_real_replay_and_records_the_score() {
    let desk = Desk::new();
    let answers = desk.path().join("answers.txt");
    let args = [
        "predict",
        "04",
        "--seed",
        "12",
        "--part",
        "2",
        "--answers",
        answers.to_str().unwrap(),
    ];
    // One wrong value (the last), among blank lines that are not answers.
    let mut wrong = LESSON04_SEED12_PART2;
    wrong[8] = "4";
    fs::write(&answers, format!("\n{}\n", lines(&wrong))).unwrap();
    let first = desk.run(&args);
    assert_exit(&first, 1);
    let out = &first.stdout;
    assert!(
        out.contains("how it ends is hidden too (--predict)"),
        "the table is shown:\n{out}"
    );
    assert!(
        out.contains("right  step 3, thread b: counter.load() -> ?: you said 0, it is"),
        "{out}"
    );
    assert!(
        out.contains("WRONG  step 13, thread main: counter.load() -> ?: you said 4, it was 2"),
        "{out}"
    );
    assert!(
        out.contains("Score: 8 of 9 (lesson 04, seed 12, part 2)."),
        "{out}"
    );
    // All right: exit 0, and the second attempt is kept after the first.
    fs::write(&answers, lines(&LESSON04_SEED12_PART2)).unwrap();
    let second = desk.run(&args);
    assert_exit(&second, 0);
    assert!(second.stdout.contains("Score: 9 of 9"), "{}", second.stdout);
    assert!(!second.stdout.contains("WRONG"), "{}", second.stdout);
    let progress = desk.progress_json();
    let kept = progress["predictions"].as_array().expect("predictions");
    assert_eq!(kept.len(), 2, "{progress}");
    for (prediction, score) in kept.iter().zip([8, 9]) {
        assert_eq!(prediction["lesson"], "04");
        assert_eq!(prediction["seed"], 12);
        assert_eq!(prediction["part"], 2);
        assert_eq!(prediction["score"], score);
        assert_eq!(prediction["out_of"], 9);
        assert!(prediction["when"].as_str().unwrap().ends_with('Z'));
    }
    // What the teacher collects: the same scores, in the order they were made.
    let report = desk.run(&["report", "--json"]);
    assert_exit(&report, 0);
    let report: Value = serde_json::from_str(&report.stdout).unwrap();
    assert_eq!(report["format"], 2);
    assert_eq!(report["predictions"], progress["predictions"]);
}

#[test]
fn predict_asks_for_each_cell_by_step_and_thread_and_records_nothing_when_input_ends() {
    let desk = Desk::new();
    let args = ["predict", "04", "--seed", "12", "--part", "2"];
    let typed = desk.run_with_input(&args, &lines(&LESSON04_SEED12_PART2));
    assert_exit(&typed, 0);
    for asked in [
        "[1/9] step 3, thread b: counter.load() -> ? = 0",
        "[3/9] step 5, thread a: counter.store(?) = 1",
        "[9/9] step 13, thread main: counter.load() -> ? = 2",
    ] {
        assert!(
            typed.stdout.contains(asked),
            "not asked {asked:?}:\n{}",
            typed.stdout
        );
    }
    let recorded = fs::read(desk.progress()).unwrap();
    // Three values, then the end of the input: nothing recorded, exit status 1.
    let short = desk.run_with_input(&args, "0\n0\n1\n");
    assert_exit(&short, 1);
    assert!(
        short
            .stderr
            .contains("ended before every hidden value was given. Nothing was recorded"),
        "{}",
        short.stderr
    );
    assert_eq!(fs::read(desk.progress()).unwrap(), recorded);
    // The same from a file that is too short.
    let answers = desk.path().join("answers.txt");
    fs::write(&answers, "0\n").unwrap();
    let from_file = desk.run(&[&args[..], &["--answers", answers.to_str().unwrap()]].concat());
    assert_exit(&from_file, 1);
    assert!(
        from_file.stderr.contains("Nothing was recorded"),
        "{}",
        from_file.stderr
    );
    assert_eq!(fs::read(desk.progress()).unwrap(), recorded);
}

#[test]
fn predict_says_so_when_nothing_is_hidden_and_refuses_bad_input_with_one_line() {
    let desk = Desk::new();
    // Part 1 of lesson 4 shows what the compiler refuses: no replay value to predict.
    let nothing = desk.run(&["predict", "04", "--seed", "3", "--part", "1"]);
    assert_exit(&nothing, 0);
    assert!(
        nothing.stdout.contains("Nothing is hidden"),
        "{}",
        nothing.stdout
    );
    assert!(
        !desk.progress().exists(),
        "a prediction of nothing was recorded"
    );
    let answers = desk.path().join("too_many.txt");
    fs::write(&answers, lines(&["1"; 10])).unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["predict", "99", "--seed", "1"], "no lesson \"99\""),
        (vec!["predict", "4x", "--seed", "1"], "no lesson"),
        (vec!["predict", "04"], "needs the replay's seed"),
        (vec!["predict", "04", "--seed", "-1"], "is not a seed"),
        (
            vec!["predict", "04", "--seed", "1", "--part", "9"],
            "lesson04: --part",
        ),
        (
            vec!["predict", "04", "--seed", "1", "--seed", "2"],
            "given twice",
        ),
        (vec!["predict", "--seed", "1"], "needs a lesson"),
        (
            vec!["predict", "04", "--seed", "1", "--answers", "/no/such"],
            "--answers",
        ),
        (
            vec![
                "predict",
                "04",
                "--seed",
                "12",
                "--part",
                "2",
                "--answers",
                answers.to_str().unwrap(),
            ],
            "only 9 cells are hidden",
        ),
        (vec!["report", "--only", "04a"], "give --class too"),
        (vec!["check", "04a", "--seed", "1"], "does not take --seed"),
    ];
    let results = common::par_map(cases, |(args, words)| (desk.run(&args), args, words));
    for (finished, args, words) in results {
        assert_refused(&finished, words);
        assert!(
            finished.stdout.is_empty(),
            "{args:?} printed: {}",
            finished.stdout
        );
    }
    assert!(!desk.progress().exists());
}

#[test]
fn predict_without_the_lesson_built_says_how_to_build_it() {
    let desk = Desk::new();
    // The workbook alone, in a folder without the lessons beside it.
    let lonely = desk.path().join("workbook");
    fs::copy(WORKBOOK, &lonely).unwrap();
    // Another test's child may briefly hold the copy open for writing (between its fork and its
    // exec), and running it then fails with ETXTBSY: try again.
    let mut attempts = 0;
    let run = loop {
        let mut command = Command::new(&lonely);
        command
            .args(["predict", "04", "--seed", "12"])
            .env("WORKBOOK_ROOT", root())
            .env("WORKBOOK_PROGRESS", desk.progress())
            .env("TMPDIR", desk.tmp());
        match run_command_with_timeout(command, LIMIT) {
            Err(error) if error.raw_os_error() == Some(26) && attempts < 100 => attempts += 1,
            run => break run,
        }
    };
    let finished = finished(&["predict"], run);
    assert_refused(
        &finished,
        "lesson04 is not built: run `cargo build --bin lesson04`",
    );
}

// ---------------------------------------------------------------------------------------------
// workbook report --json

#[test]
fn report_json_has_attempts_first_and_last_check_hints_and_predictions() {
    let desk = Desk::new();
    // A file written before attempts were counted (format 1), with one check on 01b.
    fs::write(
        desk.progress(),
        r#"{"format": 1, "exercises": {
            "01a": {"status": "failing", "hints_used": 2, "attempts": 3,
                    "first_check": "2025-01-30T10:00:00Z", "last_check": "2025-01-31T09:15:02Z",
                    "last_failure": "expected 1, got 2", "solved": false},
            "01b": {"status": "done", "hints_used": 0, "last_check": "2025-01-29T08:00:00Z",
                    "solved": true}},
          "predictions": [{"lesson": "04", "seed": 11, "part": null, "score": 3, "out_of": 5,
                           "when": "2025-01-31T09:20:40Z"}]}"#,
    )
    .unwrap();
    let before = fs::read(desk.progress()).unwrap();
    let finished = desk.run(&["report", "--json"]);
    assert_exit(&finished, 0);
    let report: Value = serde_json::from_str(&finished.stdout).unwrap();
    assert_eq!(report["format"], 2);
    let exercise = |id: &str| {
        report["exercises"]
            .as_array()
            .unwrap()
            .iter()
            .find(|exercise| exercise["id"] == id)
            .unwrap()
            .clone()
    };
    let a = exercise("01a");
    assert_eq!(a["status"], "failing");
    assert_eq!(a["attempts"], 3);
    assert_eq!(a["hints_used"], 2);
    assert_eq!(a["first_check"], "2025-01-30T10:00:00Z");
    assert_eq!(a["last_check"], "2025-01-31T09:15:02Z");
    assert_eq!(a["last_failure"], "expected 1, got 2");
    // Before attempts were counted: at least the one check the file shows.
    let b = exercise("01b");
    assert_eq!(b["attempts"], 1);
    assert_eq!(b["first_check"], "2025-01-29T08:00:00Z");
    let never = exercise("02a");
    assert_eq!(never["attempts"], 0);
    assert!(never["first_check"].is_null() && never["last_check"].is_null());
    let predictions = report["predictions"].as_array().unwrap();
    assert_eq!(predictions.len(), 1);
    assert_eq!(predictions[0]["score"], 3);
    assert_eq!(predictions[0]["out_of"], 5);
    assert!(predictions[0]["part"].is_null());
    // The text report shows the same.
    let text = desk.run(&["report"]);
    assert!(
        text.stdout.contains("lesson 04 seed 11: 3 of 5"),
        "{}",
        text.stdout
    );
    assert_eq!(
        fs::read(desk.progress()).unwrap(),
        before,
        "report changed the file"
    );
    // A prediction that is not one is refused as damage, not dropped.
    fs::write(
        desk.progress(),
        r#"{"format": 2, "exercises": {}, "predictions": [{"lesson": "04"}]}"#,
    )
    .unwrap();
    assert_refused(&desk.run(&["report", "--json"]), "damaged");
}

// ---------------------------------------------------------------------------------------------
// workbook report --class

/// A student's file that never ends.
const LOOPS: &str = "//! Loops forever.\nfn main() {\n    let mut n: u64 = 0;\n    loop {\n        \
                     n = n.wrapping_add(1);\n        std::hint::black_box(n);\n    }\n}\n";

/// A student's file that does not compile.
const BROKEN: &str = "fn main() {\n    let count: u64 = \"three\";\n}\n";

/// A student's file that deletes everything in its working directory, then prints without end.
const DELETES_AND_PRINTS: &str = "//! Deletes what it can, then floods stdout.\n\
    fn main() {\n    \
        for entry in std::fs::read_dir(\".\").unwrap().flatten() {\n        \
            let _ = std::fs::remove_dir_all(entry.path());\n        \
            let _ = std::fs::remove_file(entry.path());\n    \
        }\n    \
        loop {\n        \
            println!(\"flood flood flood flood flood flood flood flood flood flood\");\n    \
        }\n\
    }\n";

/// A student whose name and whose compiler error are HTML: the page must show them as text.
const HOSTILE_STUDENT: &str = "zoe<b>&\"'";
const HOSTILE_ERROR: &str = "<script>alert(\"&\")</script>";

/// `text` as HTML text: what the page must show for it.
fn html_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Every tag the class page opens is closed, in order, and it has no other tags (a name or a
/// failure that was not escaped would show up as one).
fn assert_well_formed(page: &str) {
    const TAGS: [&str; 18] = [
        "html", "head", "title", "style", "body", "h1", "h2", "p", "div", "table", "thead",
        "tbody", "tr", "th", "td", "ul", "li", "code",
    ];
    let body = page
        .strip_prefix("<!DOCTYPE html>\n")
        .expect("the page starts with <!DOCTYPE html>");
    let mut open: Vec<String> = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find('<') {
        let end = rest[at..].find('>').expect("every < of a tag has its >") + at;
        let tag = &rest[at + 1..end];
        rest = &rest[end + 1..];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        if name == "meta" {
            continue;
        }
        assert!(
            TAGS.contains(&name.as_str()),
            "a tag the page does not emit: <{tag}>"
        );
        if tag.starts_with('/') {
            assert_eq!(
                open.pop().as_deref(),
                Some(name.as_str()),
                "</{name}> closes another tag"
            );
        } else {
            open.push(name.clone());
            if name == "style" {
                let close = rest.find("</style>").expect("the style ends");
                rest = &rest[close..];
            }
        }
    }
    assert!(open.is_empty(), "never closed: {open:?}");
}

/// The rows of the page's table: each student's name (as HTML) and the status of each cell.
fn page_grid(page: &str) -> Vec<(String, Vec<String>)> {
    let tbody = page
        .split_once("<tbody>")
        .and_then(|(_, rest)| rest.split_once("</tbody>"))
        .expect("the table has a body")
        .0;
    tbody
        .split("<tr>")
        .skip(1)
        .map(|row| {
            let name = row
                .split_once("<th scope=\"row\">")
                .and_then(|(_, rest)| rest.split_once("</th>"))
                .expect("a row starts with the student")
                .0
                .to_string();
            let statuses = row
                .split("data-status=\"")
                .skip(1)
                .map(|cell| {
                    let (status, rest) = cell.split_once('"').unwrap();
                    let shown = rest
                        .split_once('>')
                        .unwrap()
                        .1
                        .split_once("</td>")
                        .unwrap()
                        .0;
                    assert_eq!(status, shown, "a cell says another status than it shows");
                    status.to_string()
                })
                .collect();
            (name, statuses)
        })
        .collect()
}

/// Renders the page in headless Chromium, when there is one, and checks the table is in the DOM.
fn render_in_chromium(desk: &Desk, page: &Path, students: &[Value], exercises: usize) {
    let found = Command::new("sh")
        .args(["-c", "command -v chromium"])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
        .unwrap_or_default();
    if found.is_empty() {
        println!("skipped rendering the class page in Chromium: `chromium` is not installed");
        return;
    }
    let profile = desk.path().join("chromium");
    fs::create_dir_all(profile.join("tmp")).unwrap();
    let mut command = Command::new(found);
    command
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .env("HOME", &profile)
        .env("TMPDIR", profile.join("tmp"));
    let started = Instant::now();
    let rendered = run_command_with_timeout(command, Duration::from_secs(60)).unwrap();
    println!(
        "Chromium rendered the class page in {:?}",
        started.elapsed()
    );
    assert!(!rendered.timed_out, "chromium did not finish within 60 s");
    let dom = &rendered.stdout;
    // How the DOM serialises text: `&`, `<` and `>` escaped, quotes as they are.
    let text = |text: &str| {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    for student in students {
        let name = text(student["student"].as_str().unwrap());
        assert!(
            dom.contains(&format!("<th scope=\"row\">{name}</th>")),
            "no row for {name} in the DOM:\n{dom}"
        );
    }
    assert!(
        dom.contains(&format!("<code>error: {}</code>", text(HOSTILE_ERROR))),
        "the hostile error is not text in the DOM:\n{dom}"
    );
    let statuses: Vec<&str> = dom
        .split("data-status=\"")
        .skip(1)
        .map(|cell| cell.split_once('"').unwrap().0)
        .collect();
    let expected: Vec<&str> = students
        .iter()
        .flat_map(|student| student["exercises"].as_array().unwrap())
        .map(|cell| cell["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, expected, "the DOM's cells are not the JSON's");
    assert!(
        dom.contains("<table id=\"grades\">"),
        "no table in the DOM:\n{dom}\n{}",
        rendered.stderr
    );
    assert_eq!(
        dom.matches("data-status=").count(),
        students.len() * exercises,
        "{dom}"
    );
    // The hostile name is text in the DOM, not an element.
    assert!(!dom.contains("<b>") && !dom.contains("<script>"), "{dom}");
    assert!(dom.contains("zoe&lt;b&gt;&amp;"), "{dom}");
}

#[test]
fn report_class_grades_each_file_as_check_file_does_and_touches_nothing() {
    let desk = Desk::new();
    let class = desk.path().join("class");
    let solution = fs::read(root().join("lessons/solutions/sol02b_survive_a_panic.rs")).unwrap();
    for (student, file, text) in [
        ("alice", "ex02b_survive_a_panic.rs", solution.as_slice()),
        // Graded at the same time as alice's (two at once): it must not hurt hers.
        (
            "bob",
            "ex02b_survive_a_panic.rs",
            DELETES_AND_PRINTS.as_bytes(),
        ),
        ("bob", "ex02a_results_in_order.rs", BROKEN.as_bytes()),
        ("carol", "notes.txt", b"not an exercise".as_slice()),
        (
            HOSTILE_STUDENT,
            "ex02a_results_in_order.rs",
            format!("compile_error!({HOSTILE_ERROR:?});\nfn main() {{}}\n")
                .leak()
                .as_bytes(),
        ),
        (HOSTILE_STUDENT, "<i>&'.rs", b"misnamed".as_slice()),
    ] {
        fs::create_dir_all(class.join(student)).unwrap();
        fs::write(class.join(student).join(file), text).unwrap();
    }
    // Even a progress file the workbook would refuse as damaged is no matter to a class report.
    fs::write(desk.progress(), r#"{"format": 99}"#).unwrap();
    let progress_before = fs::read(desk.progress()).unwrap();
    let class_before = snapshot(&class);
    let products_before = graded_products();
    // The page replaces an older one by renaming: a second name of the old file keeps the old.
    let pages = desk.path().join("pages");
    fs::create_dir(&pages).unwrap();
    let page = pages.join("class.html");
    fs::write(&page, "the old page").unwrap();
    let old_name = desk.path().join("old.html");
    fs::hard_link(&page, &old_name).unwrap();
    let started = Instant::now();
    let finished = desk.run(&[
        "report",
        "--class",
        class.to_str().unwrap(),
        "--only",
        "02b,02a",
        "--json",
        "--html",
        page.to_str().unwrap(),
    ]);
    let took = started.elapsed();
    assert_exit(&finished, 0);
    println!("report --class of 4 students x 2 exercises (4 files) took {took:?}");
    let report: Value = serde_json::from_str(&finished.stdout).expect("--json is JSON alone");
    assert_eq!(report["kind"], "class");
    // The catalogue's order, whatever order --only named them in; students by name.
    assert_eq!(report["exercises"], serde_json::json!(["02a", "02b"]));
    let students = report["students"].as_array().unwrap();
    let names: Vec<&str> = students
        .iter()
        .map(|s| s["student"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob", "carol", HOSTILE_STUDENT]);
    let status = |student: usize, exercise: usize| {
        students[student]["exercises"][exercise]["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let grid: Vec<[String; 2]> = (0..4).map(|s| [status(s, 0), status(s, 1)]).collect();
    assert_eq!(
        grid,
        [
            ["missing".to_string(), "done".to_string()],
            ["does not build".to_string(), "not done".to_string()],
            ["missing".to_string(), "missing".to_string()],
            ["does not build".to_string(), "missing".to_string()],
        ],
        "{report:#}"
    );
    assert_eq!(students[0]["done"], 1);
    assert_eq!(students[1]["does_not_build"], 1);
    assert_eq!(students[2]["missing"], 2);
    assert_eq!(
        students[2]["not_graded"],
        serde_json::json!(["carol/notes.txt"])
    );
    assert_eq!(students[0]["not_graded"], serde_json::json!([]));
    let reason = |student: usize, exercise: usize| {
        students[student]["exercises"][exercise]["reason"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert!(reason(1, 0).contains("error[E0308]"), "{}", reason(1, 0));
    assert!(
        reason(1, 1).contains("did not finish within 2.5 s"),
        "{}",
        reason(1, 1)
    );
    assert_eq!(
        students[0]["exercises"][1]["file"],
        "alice/ex02b_survive_a_panic.rs"
    );
    // The page: the same grades, cell by cell, and the hostile name and error as text.
    let html = fs::read_to_string(&page).expect("the page is written");
    assert_eq!(
        fs::read_to_string(&old_name).unwrap(),
        "the old page",
        "the page was written in place, not renamed over the old one"
    );
    let left: Vec<_> = fs::read_dir(&pages)
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(left, ["class.html"], "left next to the page");
    println!("the class page is {} bytes", html.len());
    assert_well_formed(&html);
    let from_json: Vec<(String, Vec<String>)> = students
        .iter()
        .map(|student| {
            let statuses = student["exercises"]
                .as_array()
                .unwrap()
                .iter()
                .map(|cell| cell["status"].as_str().unwrap().to_string())
                .collect();
            (html_escaped(student["student"].as_str().unwrap()), statuses)
        })
        .collect();
    assert_eq!(page_grid(&html), from_json, "{html}");
    assert!(!html.contains("<script") && !html.contains("<b>") && !html.contains("src="));
    assert!(html.contains(&html_escaped(HOSTILE_ERROR)), "{html}");
    assert!(
        html.contains(&html_escaped("zoe<b>&\"'/<i>&'.rs")),
        "{html}"
    );
    assert!(
        html.contains("<td>0 of 2 done, 1 not done, 1 do not build, 0 missing</td>"),
        "bob's summary:\n{html}"
    );
    assert!(
        html.contains("mismatched types"),
        "bob's first line:\n{html}"
    );
    assert_eq!(
        html.lines()
            .filter(|line| line.contains("Generated"))
            .count(),
        1,
        "one line says when"
    );
    render_in_chromium(&desk, &page, students, 2);
    // Nothing touched, nothing left behind.
    assert_eq!(snapshot(&class), class_before, "the class folder changed");
    assert_eq!(fs::read(desk.progress()).unwrap(), progress_before);
    assert_eq!(
        fs::read_dir(desk.tmp()).unwrap().count(),
        0,
        "left in TMPDIR: {:?}",
        fs::read_dir(desk.tmp()).unwrap().collect::<Vec<_>>()
    );
    let left: Vec<String> = graded_products()
        .into_iter()
        .filter(|name| !products_before.contains(name))
        .collect();
    assert!(left.is_empty(), "left in target/exercises: {left:?}");
    // The table, for a teacher's eyes: one row per student, a summary line each.
    let text = desk.run(&[
        "report",
        "--class",
        class.to_str().unwrap(),
        "--only",
        "02a",
    ]);
    assert_exit(&text, 0);
    let out = &text.stdout;
    assert!(out.starts_with("student    02a"), "{out}");
    assert!(out.contains("alice      missing"), "{out}");
    assert!(out.contains("bob        does not build"), "{out}");
    assert!(
        out.contains("bob: 0 of 1 done, 0 not done, 1 do not build, 0 missing"),
        "{out}"
    );
    assert!(
        out.contains("bob 02a: error[E0308]: mismatched types"),
        "{out}"
    );
    assert!(
        out.contains("Not graded, named like no starter: carol/notes.txt"),
        "{out}"
    );
    assert_eq!(snapshot(&class), class_before);
}

#[test]
fn report_class_refuses_a_folder_it_cannot_use() {
    let desk = Desk::new();
    let empty = desk.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let empty = empty.to_str().unwrap();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["report", "--class", "/no/such/folder"],
            "no such folder",
        ),
        (vec!["report", "--class", empty], "no student folders"),
        (
            vec!["report", "--class", empty, "--only", "99z"],
            "no exercise or lesson",
        ),
        (vec!["report", "--html", "page.html"], "give --class too"),
    ];
    for (args, words) in cases {
        assert_refused(&desk.run(&args), words);
    }
    // A page that cannot be written is refused before any grading, and nothing is left.
    let class = desk.path().join("class");
    fs::create_dir_all(class.join("ann")).unwrap();
    let class = class.to_str().unwrap();
    let folder = desk.path().join("pages");
    fs::create_dir(&folder).unwrap();
    let no_folder = desk.path().join("no/such/page.html");
    for (page, words) in [
        (no_folder.to_str().unwrap(), "there is no folder"),
        (folder.to_str().unwrap(), "is a folder"),
        ("", "no file name"),
    ] {
        let refused = desk.run(&["report", "--class", class, "--only", "02b", "--html", page]);
        assert_refused(&refused, words);
        assert!(!refused.stderr.contains("Grading"), "{}", refused.stderr);
    }
    assert_eq!(fs::read_dir(&folder).unwrap().count(), 0);
    // The same grades give the same page, apart from the line that says when.
    let page = folder.join("page.html");
    let mut pages = Vec::new();
    for _ in 0..2 {
        let run = [
            "report",
            "--class",
            class,
            "--only",
            "02",
            "--html",
            page.to_str().unwrap(),
        ];
        assert_exit(&desk.run(&run), 0);
        let html = fs::read_to_string(&page).unwrap();
        assert_well_formed(&html);
        pages.push(
            html.lines()
                .filter(|line| !line.contains("Generated"))
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    assert_eq!(pages[0], pages[1]);
    assert_eq!(fs::read_dir(&folder).unwrap().count(), 1);
}

// ---------------------------------------------------------------------------------------------
// check --file of programs that misbehave (issue 11, item 9; the others are in workbook_cli.rs:
// a build error, thousands of threads, deleting the working directory)

/// Runs `check ID --file` on `text` as the student's file, with stdin an open pipe nobody
/// writes to (a program that waited on the workbook's stdin would wait forever), and proves the
/// file and the progress file byte-identical afterwards. Returns what it said and how long it took.
fn check_file_of(id: &str, text: &str) -> (Finished, Duration) {
    let desk = Desk::new();
    let file = desk.path().join("attempt.rs");
    fs::write(&file, text).unwrap();
    fs::write(desk.progress(), r#"{"format": 1, "exercises": {}}"#).unwrap();
    let progress = fs::read(desk.progress()).unwrap();
    let args = ["check", id, "--file", file.to_str().unwrap()];
    let mut command = desk.command(&args);
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().expect("workbook starts");
    let stdin = child.stdin.take();
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    let took = started.elapsed();
    let finished = finished_ok(
        &args,
        Finished {
            code: output.status.code(),
            timed_out: false,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            truncated: false,
            elapsed: took,
        },
    );
    assert_eq!(fs::read_to_string(&file).unwrap(), text, "the file changed");
    assert_eq!(fs::read(desk.progress()).unwrap(), progress);
    assert_eq!(
        fs::read_dir(desk.tmp()).unwrap().count(),
        0,
        "left in TMPDIR"
    );
    (finished, took)
}

#[test]
fn check_file_of_a_program_that_loops_prints_without_end_or_reads_stdin_ends_with_a_reason() {
    const READS_STDIN: &str = "//! Waits for a line on stdin.\nfn main() {\n    \
        let mut line = String::new();\n    \
        let read = std::io::stdin().read_line(&mut line);\n    \
        eprintln!(\"stdin gave {read:?}\");\n    \
        std::process::exit(1);\n}\n";
    const PRINTS: &str = "//! Prints without end.\nfn main() {\n    loop {\n        \
        println!(\"again and again and again and again and again and again\");\n    }\n}\n";
    let cases = vec![
        (LOOPS, "did not finish within 2.5 s"),
        (PRINTS, "did not finish within 2.5 s"),
        // Its stdin is closed: it reads nothing and goes on, never waits.
        (READS_STDIN, "stdin gave Ok(0)"),
    ];
    let results = common::par_map(cases, |(text, words)| (check_file_of("02b", text), words));
    for ((finished, took), words) in results {
        assert_exit(&finished, 1);
        assert!(finished.stdout.contains("NOT DONE"), "{}", finished.stdout);
        assert!(
            finished.stdout.contains(words),
            "no `{words}`:\n{}",
            finished.stdout
        );
        assert!(
            finished.stdout.len() < 100_000,
            "{} bytes",
            finished.stdout.len()
        );
        assert!(took < Duration::from_secs(60), "took {took:?}");
    }
}

#[test]
fn check_file_with_an_unknown_exercise_touches_nothing() {
    let desk = Desk::new();
    let file = desk.path().join("attempt.rs");
    fs::write(&file, BROKEN).unwrap();
    fs::write(desk.progress(), r#"{"format": 1, "exercises": {}}"#).unwrap();
    let progress = fs::read(desk.progress()).unwrap();
    for id in ["99z", "ex", "04q"] {
        assert_refused(
            &desk.run(&["check", id, "--file", file.to_str().unwrap()]),
            "no exercise or lesson",
        );
    }
    assert_eq!(fs::read_to_string(&file).unwrap(), BROKEN);
    assert_eq!(fs::read(desk.progress()).unwrap(), progress);
}

#[cfg(target_os = "linux")]
#[test]
fn predict_and_report_class_to_a_full_device_are_one_line_not_a_panic() {
    let desk = Desk::new();
    let answers = desk.path().join("answers.txt");
    fs::write(&answers, lines(&LESSON04_SEED12_PART2)).unwrap();
    let empty_class = desk.path().join("class");
    fs::create_dir_all(empty_class.join("ann")).unwrap();
    for args in [
        vec![
            "predict",
            "04",
            "--seed",
            "12",
            "--part",
            "2",
            "--answers",
            answers.to_str().unwrap(),
        ],
        vec![
            "report",
            "--class",
            empty_class.to_str().unwrap(),
            "--only",
            "02b",
        ],
    ] {
        let mut command = desk.command(&args);
        command
            .stdin(Stdio::null())
            .stdout(fs::File::create("/dev/full").unwrap())
            .stderr(Stdio::piped());
        let output = command.spawn().unwrap().wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            stderr
                .lines()
                .last()
                .is_some_and(|line| line.starts_with("error: cannot write the output")),
            "{args:?}: {stderr}"
        );
    }
    assert!(!desk.progress().exists(), "a score no one saw was recorded");
}
