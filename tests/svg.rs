//! `--svg FILE`: a replay's timeline and lesson07's chart, as SVG.
//!
//! The pictures the book shows (`book/src/pictures/*.svg`) are regenerated here and compared
//! byte for byte, like the snapshots: a picture that drifts from the program fails the test.
//! `INSTA_UPDATE=always cargo test --test svg` rewrites them.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{assert_rejected, run};
use workbook::svg::{Point, Series, chart};

const LESSON01: &str = env!("CARGO_BIN_EXE_lesson01");
const LESSON04: &str = env!("CARGO_BIN_EXE_lesson04");
const LESSON05: &str = env!("CARGO_BIN_EXE_lesson05");
const LESSON07: &str = env!("CARGO_BIN_EXE_lesson07");
const LESSON08: &str = env!("CARGO_BIN_EXE_lesson08");

/// Where the book's pictures live.
const PICTURES: &str = "book/src/pictures";

/// A fresh folder, removed when dropped.
fn folder() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

/// Runs `binary args --svg FILE` (which must succeed) and returns its stdout and the picture.
fn picture(binary: &str, args: &[&str]) -> (String, String) {
    let dir = folder();
    let path = dir.path().join("timeline.svg");
    let mut all: Vec<&str> = args.to_vec();
    let path_text = path.to_str().expect("a text path").to_string();
    all.extend(["--svg", &path_text]);
    let finished = run(binary, &all);
    assert_eq!(
        finished.code,
        Some(0),
        "{all:?}: {}{}",
        finished.stdout,
        finished.stderr
    );
    let svg = fs::read_to_string(&path).expect("the picture was written");
    let left: Vec<PathBuf> = fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(left, vec![path], "only the picture is left in its folder");
    (finished.stdout, svg)
}

/// Compares `svg` with the book's `pictures/NAME.svg`; with `INSTA_UPDATE=always`, writes it.
fn matches_the_book(name: &str, svg: &str) {
    let path = Path::new(PICTURES).join(format!("{name}.svg"));
    if std::env::var("INSTA_UPDATE").is_ok_and(|value| value == "always") {
        fs::create_dir_all(PICTURES).unwrap();
        fs::write(&path, svg).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path).unwrap_or_default();
    assert!(
        expected == svg,
        "{} differs from what the program draws now (or is missing): look at the change, then \
         `INSTA_UPDATE=always cargo test --test svg` rewrites it",
        path.display()
    );
}

/// The number in attribute `name` of one SVG element's line.
fn y(line: &str, name: &str) -> i64 {
    let start = line.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
    line[start..].split('"').next().unwrap().parse().unwrap()
}

/// How many times `needle` occurs in `svg`.
fn count(svg: &str, needle: &str) -> usize {
    svg.matches(needle).count()
}

/// A well-formed document, roughly: one root, balanced groups, no raw `<` or `&` in the text.
fn assert_well_formed(svg: &str) {
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.ends_with("</svg>\n"));
    assert_eq!(count(svg, "<svg"), 1);
    assert_eq!(count(svg, "<g "), count(svg, "</g>"));
    assert_eq!(count(svg, "<text"), count(svg, "</text>"));
    for piece in svg.split('&').skip(1) {
        assert!(
            ["amp;", "lt;", "gt;", "quot;", "#39;"]
                .iter()
                .any(|entity| piece.starts_with(entity)),
            "a raw & in the picture: &{}",
            &piece[..piece.len().min(20)]
        );
    }
}

#[test]
fn the_lost_update_timeline_is_the_books_and_the_same_seed_gives_the_same_bytes() {
    let (out, svg) = picture(LESSON04, &["--part", "2", "--seed", "8"]);
    assert!(out.contains("final count 2 of 4"), "{out}");
    assert_well_formed(&svg);
    let (_, again) = picture(LESSON04, &["--part", "2", "--seed", "8"]);
    assert!(svg == again, "seed 8 drew two different pictures");
    let (_, other) = picture(LESSON04, &["--part", "2", "--seed", "3"]);
    assert!(svg != other, "seeds 8 and 3 drew the same picture");
    // One lane per thread, one box per turn, the turns' labels.
    for lane in ["0 main", "1 a", "2 b"] {
        assert!(svg.contains(&format!(">{lane}</text>")), "no lane {lane}");
    }
    let turns = out
        .lines()
        .take_while(|line| !line.starts_with("every thread finished"))
        .filter(|line| {
            line.split(" | ")
                .next()
                .is_some_and(|step| step.trim().parse::<u32>().is_ok())
        })
        .count();
    assert_eq!(count(&svg, r#"<rect class="box""#), turns);
    assert_eq!(count(&svg, ">counter.store(2)</text>"), 2);
    // main waits for `a` to finish from its arrival row to its join: one blocked span.
    assert_eq!(count(&svg, r#"<rect class="blocked" x"#), 1);
    assert!(
        !svg.contains(r#"class="time""#),
        "no time axis: the lesson does not sleep"
    );
    matches_the_book("lesson04_seed_8_racy", &svg);
}

/// The rows (top, bottom) of every bar of lock `lock` in the picture, in order.
fn bars(svg: &str, lock: &str) -> Vec<(i64, i64)> {
    svg.lines()
        .filter(|line| line.starts_with(&format!(r#"<rect class="lock" data-lock="{lock}""#)))
        .map(|line| (y(line, "y"), y(line, "y") + y(line, "height")))
        .collect()
}

#[test]
fn under_the_mutex_no_two_lock_bars_overlap_whatever_the_seed() {
    for seed in ["8", "1", "2", "5"] {
        let (out, svg) = picture(LESSON04, &["--part", "3", "--seed", seed]);
        let locks = out
            .lines()
            .filter(|line| line.contains("| lock counter"))
            .count();
        let held = bars(&svg, "counter");
        assert_eq!(held.len(), locks, "seed {seed}: one bar per lock");
        assert_eq!(locks, 4, "seed {seed}: 2 threads x 2 increments");
        for (number, &(top, bottom)) in held.iter().enumerate() {
            for &(other_top, other_bottom) in &held[number + 1..] {
                assert!(
                    bottom <= other_top || other_bottom <= top,
                    "seed {seed}: two threads hold counter at once: {held:?}"
                );
            }
        }
        if seed == "8" {
            // Step 4: `b` wants the lock `a` holds (the `waiting` column), before its first row.
            assert!(
                svg.contains("<title>b blocked until step 5</title>"),
                "{svg}"
            );
            matches_the_book("lesson04_seed_8_mutex", &svg);
        }
    }
}

#[test]
fn the_deadlock_timeline_shows_both_locks_held_and_every_thread_stuck() {
    let (out, svg) = picture(LESSON05, &["--fix", "0", "--seed", "3"]);
    assert!(out.contains("DEADLOCK after 7 steps"), "{out}");
    assert_well_formed(&svg);
    // A->B holds A and B->A holds B, each to the end.
    assert!(svg.contains(r#"data-lock="A" x="#));
    assert!(svg.contains("A-&gt;B holds A to the end"), "{svg}");
    assert!(svg.contains("B-&gt;A holds B to the end"), "{svg}");
    assert_eq!(count(&svg, r#"class="lock""#), 2);
    // Everyone is blocked at the end: main, A->B (twice: at the meeting, then at B), B->A.
    assert_eq!(count(&svg, r#"<rect class="blocked" x"#), 4);
    assert_eq!(count(&svg, " blocked until "), 4);
    for stuck in ["main", "A-&gt;B", "B-&gt;A"] {
        assert!(
            svg.contains(&format!("<title>{stuck} blocked until the end</title>")),
            "{stuck}"
        );
    }
    assert!(
        svg.contains("<title>A-&gt;B blocked until step 7</title>"),
        "at the meeting"
    );
    assert!(svg.contains(r#"class="ending bad""#));
    assert!(svg.contains(">DEADLOCK after 7 steps"));
    matches_the_book("lesson05_seed_3", &svg);
}

#[test]
fn predict_hides_how_it_ends_in_the_picture_too() {
    let (out, svg) = picture(LESSON05, &["--fix", "0", "--seed", "3", "--predict"]);
    assert!(out.contains("how it ends is hidden"), "{out}");
    assert!(!svg.contains("DEADLOCK"), "{svg}");
    assert!(svg.contains(">how it ends is hidden too (--predict)</text>"));
}

#[test]
fn messages_are_arrows_from_send_to_recv_and_time_is_on_the_axis() {
    let (out, svg) = picture(LESSON08, &["--part", "1", "--seed", "3"]);
    assert_well_formed(&svg);
    // Every message received is one arrow, from the row that sent it.
    let received = out
        .lines()
        .filter(|line| line.contains("| recv image"))
        .count();
    assert_eq!(received, 8, "{out}");
    assert_eq!(count(&svg, r#"<line class="arrow send""#), received);
    // Arrows point down the page: a message is received after it is sent.
    for line in svg
        .lines()
        .filter(|line| line.starts_with(r#"<line class="arrow send""#))
    {
        assert!(y(line, "y2") > y(line, "y1"), "{line}");
    }
    // The lesson sleeps: the axis shows the virtual time, and sleeps are marked.
    assert!(
        svg.contains(r#"<text class="time" x="44" y="68">0</text>"#),
        "{svg}"
    );
    assert!(svg.contains(">15.9 ms</text>"), "{svg}");
    assert!(count(&svg, r#"<rect class="asleep" x"#) >= 4);
}

#[test]
fn a_notify_is_an_arrow_to_the_thread_it_woke() {
    let (out, svg) = picture(LESSON01, &["--part", "2", "--seed", "7"]);
    assert_well_formed(&svg);
    let woken = out
        .lines()
        .filter(|line| line.contains("| woken (lock"))
        .count();
    assert!(woken > 0, "{out}");
    assert_eq!(count(&svg, r#"<line class="arrow notify""#), woken);
    // The condvar's lock is held between `lock`/`woken` and `unlock`/`wait on`: one bar per
    // `lock` and per `woken`, and every bar ends (the run finished).
    let taken = out
        .lines()
        .filter(|line| line.contains("| lock printed") || line.contains("| woken (lock printed)"))
        .count();
    assert_eq!(count(&svg, r#"data-lock="printed""#), taken);
    assert!(
        !svg.contains("to the end</title>"),
        "a lock held to the end: {svg}"
    );
    // A notify's arrow points down the page, to the row of the thread it woke.
    for line in svg
        .lines()
        .filter(|line| line.starts_with(r#"<line class="arrow notify""#))
    {
        assert!(y(line, "y2") > y(line, "y1"), "{line}");
    }
}

#[test]
fn every_replay_of_a_run_is_in_the_picture() {
    let (out, svg) = picture(LESSON04, &["--seed", "8"]);
    let replays = out
        .lines()
        .filter(|line| line.starts_with("replay: "))
        .count();
    assert!(replays >= 2, "{out}");
    assert_eq!(count(&svg, "<g transform="), replays);
    assert!(
        !svg.contains("--svg"),
        "the title does not depend on where it is written"
    );
}

#[test]
fn bad_svg_paths_and_runs_without_a_replay_are_refused() {
    let dir = folder();
    let missing = dir.path().join("no such folder").join("x.svg");
    let folder_path = dir.path().to_str().unwrap().to_string();
    let missing = missing.to_str().unwrap().to_string();
    assert_rejected(LESSON04, &["--seed", "1", "--svg", &missing]);
    assert_rejected(LESSON04, &["--seed", "1", "--svg", &folder_path]);
    assert_rejected(LESSON04, &["--seed", "1", "--svg", ""]);
    assert_rejected(LESSON04, &["--seed", "1", "--svg"]);
    assert_rejected(
        LESSON04,
        &["--seed", "1", "--svg", "a.svg", "--svg", "b.svg"],
    );
    // Live and the explorer have no single replay to draw (lesson07 draws its chart live).
    assert_rejected(LESSON04, &["--svg", "a.svg"]);
    assert_rejected(LESSON05, &["--explore", "--svg", "a.svg"]);
    assert_rejected(LESSON07, &["--explore", "--svg", "a.svg"]);
    // A name the file system refuses, found only when writing: one line, status 2, nothing left.
    let long = dir.path().join("x".repeat(300));
    let finished = run(
        LESSON04,
        &[
            "--part",
            "2",
            "--seed",
            "1",
            "--svg",
            long.to_str().unwrap(),
        ],
    );
    assert_eq!(finished.code, Some(2), "{}", finished.stderr);
    let lines: Vec<&str> = finished.stderr.lines().collect();
    assert!(
        lines[0].starts_with("error: could not write --svg "),
        "{lines:?}"
    );
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(!finished.stderr.contains("panicked"));
    assert_eq!(
        fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing left behind"
    );
}

#[test]
fn help_names_the_flag() {
    let out = run(LESSON04, &["--help"]).stdout;
    assert!(
        out.contains("--svg FILE") && out.contains("timeline"),
        "{out}"
    );
    let out = run(LESSON07, &["--help"]).stdout;
    assert!(out.contains("--svg FILE") && out.contains("chart"), "{out}");
}

fn ms(tenths: u64) -> Duration {
    Duration::from_micros(tenths * 100)
}

/// The book's chart: lesson07's full sweep (`cargo run --release --bin lesson07 -- --runs 5
/// --svg FILE`), measured once on a 2-core Linux VM on 2026-11-30 while other builds and tests
/// kept its cores busy (load average 27 at the start, 113 at the end), and copied here from the
/// chart's `<desc>`: (threads, median, fastest, slowest) in tenths of a millisecond.
const SAMPLE_CPU: [(usize, u64, u64, u64); 11] = [
    (1, 12078, 10108, 12761),
    (2, 11883, 10077, 12358),
    (4, 11297, 10580, 13722),
    (8, 11490, 10675, 12181),
    (16, 11649, 9915, 12875),
    (32, 10299, 10123, 12396),
    (64, 11441, 11268, 12514),
    (128, 10353, 9621, 11773),
    (256, 12069, 10783, 14507),
    (512, 14079, 11887, 15163),
    (1000, 14683, 11717, 16830),
];
const SAMPLE_IO: [(usize, u64, u64, u64); 11] = [
    (1, 23598, 22531, 26433),
    (2, 11452, 10425, 12137),
    (4, 5858, 5639, 6614),
    (8, 2622, 2612, 2655),
    (16, 1318, 1314, 1410),
    (32, 682, 679, 725),
    (64, 461, 368, 483),
    (128, 239, 237, 263),
    (256, 402, 302, 511),
    (512, 538, 448, 610),
    (1000, 1181, 917, 1429),
];
const SAMPLE_CORES: usize = 2;
const SAMPLE_NOTE: &str = "sample numbers: one --release --runs 5 sweep, 2-core Linux VM, 2026-11-30, cores busy with other work";

fn sample_chart() -> String {
    let series = |name: &str, rows: &[(usize, u64, u64, u64)]| Series {
        name: name.to_string(),
        points: rows
            .iter()
            .map(|&(threads, median, fastest, slowest)| Point {
                threads,
                median: ms(median),
                fastest: ms(fastest),
                slowest: ms(slowest),
            })
            .collect(),
    };
    chart(
        "lesson07: run time against thread count",
        SAMPLE_NOTE,
        &[
            series(
                "Part 1, CPU-bound: count the primes below 5000000",
                &SAMPLE_CPU,
            ),
            series(
                "Part 2, I/O-bound: 1000 tasks that each wait 2 ms",
                &SAMPLE_IO,
            ),
        ],
        SAMPLE_CORES,
    )
}

#[test]
fn the_books_chart_is_drawn_from_its_sample_numbers() {
    let svg = sample_chart();
    assert_well_formed(&svg);
    assert_eq!(svg, sample_chart(), "the same numbers draw the same bytes");
    assert_eq!(
        count(&svg, r#"<circle class="median" cx"#),
        SAMPLE_CPU.len() + SAMPLE_IO.len()
    );
    assert_eq!(count(&svg, r#"<line class="cores""#), 2);
    assert!(svg.contains(&format!(">{SAMPLE_CORES} cores</text>")));
    assert!(
        svg.contains(">sample numbers: one --release --runs 5 sweep"),
        "labelled"
    );
    assert!(svg.contains("2-core Linux VM"), "labelled with its machine");
    matches_the_book("lesson07_threads", &svg);
}

#[test]
fn lesson07_draws_its_live_sweep() {
    let dir = folder();
    let path = dir.path().join("chart.svg");
    let finished = run(
        LESSON07,
        &[
            "--quick",
            "--runs",
            "1",
            "--max-threads",
            "4",
            "--svg",
            path.to_str().unwrap(),
        ],
    );
    assert_eq!(finished.code, Some(0), "{}", finished.stderr);
    let svg = fs::read_to_string(&path).unwrap();
    assert_well_formed(&svg);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    assert!(svg.contains(&format!(">{cores} cores</text>")), "{svg}");
    assert!(svg.contains("measured live on this machine"));
    // One point per thread count measured, in each of the two parts.
    let measured = finished
        .stdout
        .lines()
        .filter(|line| {
            line.trim_start().starts_with(|c: char| c.is_ascii_digit()) && line.contains(" | ")
        })
        .count();
    assert_eq!(count(&svg, r#"<circle class="median" cx"#), measured);
    assert_eq!(count(&svg, "\">Part 1, CPU-bound"), 1);
    assert_eq!(count(&svg, "\">Part 2, I/O-bound"), 1);
}

#[test]
fn the_book_shows_pictures_that_exist_and_are_regenerated_here() {
    let this = fs::read_to_string("tests/svg.rs").unwrap();
    let mut shown = 0;
    for entry in fs::read_dir("book/src").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|ext| ext != "md") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        for piece in text.split("](pictures/").skip(1) {
            let file = piece.split(')').next().unwrap();
            assert!(
                Path::new(PICTURES).join(file).is_file(),
                "{}: no picture {file}",
                path.display()
            );
            let name = file.trim_end_matches(".svg");
            assert!(
                this.contains(&format!("matches_the_book(\"{name}\"")),
                "{}: {file} is not regenerated by a test",
                path.display()
            );
            shown += 1;
        }
    }
    assert!(shown >= 3, "the book shows {shown} pictures");
}
