//! Drawing SVG text: the parts every picture shares (escaping, the document, writing a file
//! atomically) and lesson07's chart. Built with the `svg` feature only (see [`super`]).

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use super::{Point, Series};
use crate::cli::Flags;

/// Escapes text for SVG content and attributes.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// `text` in lines of at most about `width` characters, broken after `; `, `: `, `, ` or a
/// space.
pub(super) fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_inclusive(' ') {
        if !line.is_empty() && line.chars().count() + word.trim_end().chars().count() > width {
            lines.push(line.trim_end().to_string());
            line.clear();
        }
        line.push_str(word);
    }
    if !line.trim().is_empty() {
        lines.push(line.trim_end().to_string());
    }
    lines
}

pub(super) const STYLE: &str = "<style>
text { font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 12px; fill: #222; }
.title { font-weight: bold; font-size: 13px; }
.thread { font-weight: bold; }
.axis, .time, .legend { fill: #555; }
.time { fill: #7a4b00; }
.tick { stroke: #e0c080; stroke-dasharray: 2 3; }
.lane { fill: #f6f6f6; }
.box { fill: #ffffff; stroke: #888; }
.quiet { fill: #fafafa; stroke-dasharray: 3 2; }
.arrival { font-style: italic; fill: #a33; }
.calm { fill: #456; }
.blocked { fill: #f3d4d4; stroke: #c66; stroke-dasharray: 4 3; }
.asleep { fill: #e4ecf7; stroke: #89a; stroke-dasharray: 2 3; }
.arrow { stroke-width: 1.5; fill: none; }
.send { stroke: #1a7f37; }
.notify { stroke: #d9822b; }
.ending.bad { fill: #b00; font-weight: bold; }
</style>
<defs>
<marker id=\"head-send\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#1a7f37\"/></marker>
<marker id=\"head-notify\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#d9822b\"/></marker>
</defs>
";

pub(super) fn document(width: i64, height: i64, what: &str, body: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" \
         viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n{STYLE}{body}</svg>\n",
        escape(what)
    )
}

/// Writes `text` to `path` atomically: into a new folder beside it (`.NAME.PID.tmp/`, on the
/// same file system), then renamed over `path`, so a reader never sees half a picture. The
/// folder is registered with [`crate::cleanup`], so neither a failure nor Ctrl-C leaves it
/// behind.
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the path has no file name",
        )
    })?;
    let mut folder_name = std::ffi::OsString::from(".");
    folder_name.push(name);
    folder_name.push(format!(".{}.tmp", std::process::id()));
    let folder = path.with_file_name(folder_name);
    let ((), id) =
        crate::cleanup::create_registered(|| std::fs::create_dir(&folder), |()| folder.clone())?;
    let inside = folder.join("picture.svg");
    let written = std::fs::File::create(&inside)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&inside, path));
    let _ = std::fs::remove_dir_all(&folder);
    crate::cleanup::forget(id);
    written
}

/// Writes a picture for `--svg`, or ends the program with one `error:` line and status 2.
pub fn write_or_exit(flags: &Flags, path: &Path, text: &str) {
    if let Err(error) = write_atomically(path, text) {
        eprintln!("error: could not write --svg {}: {error}", path.display());
        eprintln!(
            "Try `cargo run --bin {} -- --help` for the flags.",
            flags.program()
        );
        crate::cleanup::exit(2);
    }
}

/// Run time against thread count: one panel per series (each with its own time axis, from 0,
/// or logarithmic when its times span more than 20 x),
/// thread counts on a log scale, the median as a line, the spread (fastest to slowest run) as a
/// bar, the core count as a dashed line. `note` says where the numbers come from.
pub fn chart(title: &str, note: &str, series: &[Series], cores: usize) -> String {
    const WIDTH: i64 = 640;
    const PANEL: i64 = 220;
    const LEFT: i64 = 70;
    const RIGHT: i64 = 24;
    const TOP: i64 = 56;
    let plot_width = WIDTH - LEFT - RIGHT;
    let most = series
        .iter()
        .flat_map(|one| one.points.iter().map(|point| point.threads))
        .chain([cores])
        .max()
        .unwrap_or(1)
        .max(2);
    // Thread counts on a log2 scale, in thousandths of a doubling (whole numbers only).
    let log = |threads: usize| -> i64 { ((threads.max(1) as f64).log2() * 1000.0).round() as i64 };
    let span = log(most).max(1);
    let x_of = |threads: usize| LEFT + log(threads) * plot_width / span;
    let mut body = String::new();
    let _ = writeln!(
        body,
        r#"<text class="title" x="8" y="20">{}</text>"#,
        escape(title)
    );
    let note_lines = wrap(note, 84);
    for (number, line) in note_lines.iter().enumerate() {
        let _ = writeln!(
            body,
            r#"<text class="legend" x="8" y="{}">{}</text>"#,
            38 + 16 * number as i64,
            escape(line)
        );
    }
    let top_of_panels = TOP + 16 * note_lines.len().saturating_sub(1) as i64;
    let mut desc = String::new();
    for (number, one) in series.iter().enumerate() {
        let top = top_of_panels + number as i64 * (PANEL + 40);
        let plot_top = top + 24;
        let plot_bottom = top + PANEL - 20;
        let height = plot_bottom - plot_top;
        let scale = TimeScale::new(&one.points);
        let y_of = |time: Duration| plot_bottom - scale.fraction_of(time) * height / 1000;
        let _ = writeln!(
            body,
            r#"<text class="thread" x="8" y="{}">{}{}</text>"#,
            top + 12,
            escape(&one.name),
            if scale.log {
                r#"<tspan class="legend" dx="8">(time on a log scale)</tspan>"#
            } else {
                ""
            }
        );
        let _ = writeln!(
            body,
            r#"<rect class="lane" x="{LEFT}" y="{plot_top}" width="{plot_width}" height="{height}"/>"#
        );
        for (tick, text) in &scale.ticks {
            let y = y_of(*tick);
            let _ = writeln!(
                body,
                r#"<line class="tick" x1="{LEFT}" y1="{y}" x2="{}" y2="{y}"/><text class="axis" x="8" y="{}">{text}</text>"#,
                LEFT + plot_width,
                y + 4
            );
        }
        // Thread-count ticks: every measured count.
        let mut counts: Vec<usize> = one.points.iter().map(|point| point.threads).collect();
        counts.dedup();
        for &threads in &counts {
            let x = x_of(threads);
            let _ = writeln!(
                body,
                r#"<text class="axis" x="{}" y="{}" text-anchor="middle">{threads}</text>"#,
                x,
                plot_bottom + 16
            );
        }
        let cores_x = x_of(cores);
        let _ = writeln!(
            body,
            r#"<line class="cores" x1="{cores_x}" y1="{}" x2="{cores_x}" y2="{plot_bottom}"/><text class="cores-label" x="{}" y="{}">{cores} cores</text>"#,
            plot_top - 4,
            cores_x + 4,
            plot_top + 12
        );
        let mut path = String::new();
        for point in &one.points {
            let x = x_of(point.threads);
            let _ = write!(
                path,
                "{}{x},{} ",
                if path.is_empty() { "M" } else { "L" },
                y_of(point.median)
            );
            let tip = format!(
                "{} thread{}: median {}, fastest {}, slowest {}",
                point.threads,
                if point.threads == 1 { "" } else { "s" },
                millis(point.median),
                millis(point.fastest),
                millis(point.slowest)
            );
            let _ = writeln!(
                body,
                r#"<line class="spread" x1="{x}" y1="{}" x2="{x}" y2="{}"/><circle class="median" cx="{x}" cy="{}" r="3.5"><title>{}</title></circle>"#,
                y_of(point.fastest),
                y_of(point.slowest),
                y_of(point.median),
                escape(&tip)
            );
            let _ = writeln!(desc, "{}: {tip}", one.name);
        }
        let _ = writeln!(body, r#"<path class="line" d="{}"/>"#, path.trim_end());
        let _ = writeln!(
            body,
            r#"<text class="axis" x="{}" y="{}" text-anchor="end">threads (log scale)</text>"#,
            LEFT + plot_width,
            plot_bottom + 32
        );
    }
    let height = top_of_panels + series.len() as i64 * (PANEL + 40) + 8;
    let legend_y = height - 14;
    let _ = writeln!(
        body,
        r#"<circle class="median key" cx="14" cy="{}" r="3.5"/><text class="legend" x="24" y="{legend_y}">median</text><line class="spread key" x1="100" y1="{}" x2="100" y2="{}"/><text class="legend" x="108" y="{legend_y}">fastest to slowest run</text>"#,
        legend_y - 4,
        legend_y - 10,
        legend_y + 2
    );
    let body = format!(
        "<desc>{}</desc>\n<style>.line {{ fill: none; stroke: #1f77b4; stroke-width: 2; }}\n\
         .median {{ fill: #1f77b4; }} .spread {{ stroke: #1f77b4; stroke-width: 6; stroke-opacity: 0.3; }}\n\
         .cores {{ stroke: #b00; stroke-dasharray: 5 4; }} .cores-label {{ fill: #b00; }}</style>\n{body}",
        desc.lines().map(escape).collect::<Vec<_>>().join("\n")
    );
    document(WIDTH, height, title, &body)
}

/// The time axis of one panel: linear from 0, or logarithmic when the times span more than
/// 20 x (so that 20 ms and 2 s both show).
struct TimeScale {
    log: bool,
    /// Linear: the top of the axis, in microseconds. Log: the decades shown, as powers of ten
    /// of microseconds (`low..high`).
    top: u128,
    low: i32,
    high: i32,
    /// (time, label) of each tick.
    ticks: Vec<(Duration, String)>,
}

impl TimeScale {
    fn new(points: &[Point]) -> TimeScale {
        let slowest = points
            .iter()
            .map(|point| point.slowest.max(point.median))
            .max()
            .unwrap_or(Duration::ZERO)
            .as_micros()
            .max(1);
        let fastest = points
            .iter()
            .map(|point| point.fastest.min(point.median))
            .min()
            .unwrap_or(Duration::ZERO)
            .as_micros()
            .max(1);
        if slowest >= 20 * fastest {
            let decade = |micros: u128| micros.checked_ilog10().unwrap_or(0) as i32;
            let low = decade(fastest);
            let high = decade(slowest - 1) + 1;
            let mut ticks = Vec::new();
            for power in low..=high {
                for factor in [1u128, 2, 5] {
                    let micros = factor * 10u128.pow(power as u32);
                    if micros <= 10u128.pow(high as u32) {
                        ticks.push((duration_of(micros), time_label(micros)));
                    }
                }
            }
            TimeScale {
                log: true,
                top: 0,
                low,
                high,
                ticks,
            }
        } else {
            let (divisor, unit) = if slowest >= 2_000_000 {
                (1_000_000u128, "s")
            } else {
                (1_000u128, "ms")
            };
            // Axis top: a round number of units at or above the slowest time.
            let units = slowest.div_ceil(divisor).max(1);
            let step = nice_step(units.div_ceil(4));
            let top = units.div_ceil(step) * step;
            let ticks = (0..=top / step)
                .map(|n| {
                    let tick = n * step;
                    (duration_of(tick * divisor), format!("{tick} {unit}"))
                })
                .collect();
            TimeScale {
                log: false,
                top: top * divisor,
                low: 0,
                high: 0,
                ticks,
            }
        }
    }

    /// Where `time` falls on the axis, in thousandths of its height from the bottom.
    fn fraction_of(&self, time: Duration) -> i64 {
        let micros = time.as_micros().max(1);
        if self.log {
            let position = ((micros as f64).log10() - f64::from(self.low))
                / f64::from(self.high - self.low).max(1.0);
            (position * 1000.0).round() as i64
        } else {
            (micros * 1000 / self.top.max(1)) as i64
        }
    }
}

fn duration_of(micros: u128) -> Duration {
    Duration::from_micros(u64::try_from(micros).unwrap_or(u64::MAX))
}

/// "20 ms", "1 s", "500 us".
fn time_label(micros: u128) -> String {
    if micros >= 1_000_000 {
        format!("{} s", micros / 1_000_000)
    } else if micros >= 1_000 {
        format!("{} ms", micros / 1_000)
    } else {
        format!("{micros} us")
    }
}

/// 1, 2 or 5 times a power of ten, at least `at_least`.
fn nice_step(at_least: u128) -> u128 {
    let mut power = 1u128;
    loop {
        for factor in [1, 2, 5] {
            if factor * power >= at_least {
                return factor * power;
            }
        }
        power *= 10;
    }
}

/// A time in milliseconds with one decimal, computed with whole numbers.
fn millis(time: Duration) -> String {
    let tenths = (time.as_micros() + 50) / 100;
    format!("{}.{} ms", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(1), 1);
        assert_eq!(nice_step(3), 5);
        assert_eq!(nice_step(130), 200);
        assert_eq!(millis(Duration::from_micros(12_345)), "12.3 ms");
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
