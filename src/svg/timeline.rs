//! A replay's timeline as SVG (`--svg FILE` on any replay): built only with the `svg` feature
//! (`cargo run --features svg --bin lesson04 -- --seed 8 --svg timeline.svg`), so that a
//! student's first build does not compile it. See [`crate::svg`] for what the picture shows.

use std::fmt::Write as _;
use std::time::Duration;

use super::draw::{document, escape, wrap, write_or_exit};
use crate::cli::Flags;
use crate::run::Replayed;
use crate::scheduler::{Ending, format_time};

/// Height of one row of the timeline.
const ROW: i64 = 24;
/// Height of a box in a row.
const BOX: i64 = 18;
/// Width of one character of the 12 px monospace labels (a little more than most fonts need).
const CHAR: i64 = 8;
/// Width of the left axis (step and time).
const AXIS: i64 = 112;
/// Width of one lock bar and the gap after it.
const BAR: i64 = 6;
/// Height of the title and lane names above the rows.
const HEAD: i64 = 52;
/// The longest label drawn whole; longer ones end in `…` (the whole text is the tooltip).
const LONGEST_LABEL: usize = 40;

const LOCK_COLOURS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
];

/// `text` cut to `chars` characters, ending in `…` when cut.
fn clip(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(chars.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// A lock held by a thread from one row to another (or to the end: `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// The thread (column).
    pub thread: usize,
    /// The lock's name.
    pub lock: String,
    /// The row at which it was taken.
    pub from: usize,
    /// The row at which it was let go; `None`: still held at the end.
    pub to: Option<usize>,
    /// Its track beside the lane (0 is nearest the lane's edge).
    pub track: usize,
}

/// A span in which a thread could not go: from the row after its last one (or its arrival row,
/// such as `waits for B`) to its next row (or the end: `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    /// The thread (column).
    pub thread: usize,
    /// First row of the span.
    pub from: usize,
    /// The thread's next row; `None`: it never went again.
    pub to: Option<usize>,
    /// True for a sleep or a `compute` (time passes); false for a thread blocked on another.
    pub asleep: bool,
}

/// An arrow from the row that sent (or notified) to the row that received (or woke).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrow {
    /// The row of the `send` or `notify`.
    pub from: usize,
    /// The row of the `recv` or `woken`.
    pub to: usize,
    /// `"send"` or `"notify"`.
    pub kind: &'static str,
}

/// What the timeline draws besides the boxes, read from the trace's rows.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reading {
    /// Locks held.
    pub holds: Vec<Hold>,
    /// Waits.
    pub waits: Vec<Wait>,
    /// Messages and notifications.
    pub arrows: Vec<Arrow>,
}

/// The lock a row takes, if it takes one: `lock A`, `try_lock_for A`, `try_lock A: locked`,
/// `woken (lock m)`, `timed out on c (lock m)`, `write A`/`read A` of a read-write lock.
fn taken_lock(action: &str) -> Option<&str> {
    if let Some(name) = action.strip_prefix("try_lock ") {
        return name.strip_suffix(": locked");
    }
    if action.ends_with(": timed out") {
        return None;
    }
    if let Some(name) = action
        .strip_prefix("lock ")
        .or_else(|| action.strip_prefix("try_lock_for "))
    {
        return Some(name);
    }
    if action.starts_with("woken (lock ") || action.starts_with("timed out on ") {
        let start = action.rfind(" (lock ")? + " (lock ".len();
        return action[start..].strip_suffix(')');
    }
    None
}

/// Whether `action` lets go of `lock`: `unlock A`, `unlock A (value)`, `wait on c (unlock A)`,
/// `end write A`, `end read A`.
fn releases(action: &str, lock: &str) -> bool {
    action == format!("unlock {lock}")
        || action.starts_with(&format!("unlock {lock} ("))
        || (action.starts_with("wait on ") && action.ends_with(&format!(" (unlock {lock})")))
        || action == format!("end write {lock}")
        || action == format!("end read {lock}")
}

/// The channel a row sent a message on, if it did.
fn sent_on(action: &str) -> Option<&str> {
    if let Some(rest) = action.strip_prefix("try_send ") {
        let rest = rest.strip_suffix(": sent")?;
        return Some(rest.split(' ').next().unwrap_or(rest));
    }
    if !action.starts_with("send") || action.starts_with("send on ") && action.contains(": ") {
        return None;
    }
    if !(action.starts_with("send ") || action.starts_with("send\"")) {
        return None;
    }
    let at = action.rfind(" on ")?;
    Some(&action[at + " on ".len()..])
}

/// The channel a row received a message from, if it did.
fn received_from(action: &str) -> Option<&str> {
    if let Some(rest) = action.strip_prefix("try_recv ") {
        let at = rest.find(" ->")?;
        return Some(&rest[..at]);
    }
    if !action.starts_with("recv") || action.starts_with("recv on ") {
        return None;
    }
    let at = action.rfind(" from ")?;
    Some(&action[at + " from ".len()..])
}

/// The threads a `notify_one c (wakes a, b)` row woke, by name.
fn woken_by(action: &str) -> Vec<&str> {
    if !(action.starts_with("notify_one ") || action.starts_with("notify_all ")) {
        return Vec::new();
    }
    let Some(at) = action.rfind(" (wakes ") else {
        return Vec::new();
    };
    action[at + " (wakes ".len()..]
        .strip_suffix(')')
        .map(|names| names.split(", ").collect())
        .unwrap_or_default()
}

/// Reads the locks, waits and arrows out of a replay's rows.
pub fn read(replayed: &Replayed) -> Reading {
    let rows = &replayed.rows;
    let threads = replayed.threads.len();
    let mut reading = Reading::default();

    // Locks: per thread, the locks it holds now (index into `reading.holds`).
    let mut held: Vec<Vec<usize>> = vec![Vec::new(); threads];
    for (index, row) in rows.iter().enumerate() {
        let thread = row.thread;
        if thread >= threads {
            continue;
        }
        let let_go: Vec<usize> = held[thread]
            .iter()
            .copied()
            .filter(|&hold| releases(&row.action, &reading.holds[hold].lock))
            .collect();
        for hold in let_go {
            reading.holds[hold].to = Some(index);
            held[thread].retain(|&other| other != hold);
        }
        let rwlock = row
            .action
            .strip_prefix("write ")
            .or_else(|| row.action.strip_prefix("read "))
            .filter(|name| {
                // A read-write lock only when the same thread ends it later (a file's `read`
                // or `write to` is no lock).
                let end = format!("end {}", row.action);
                !name.contains(" -> ")
                    && rows[index + 1..]
                        .iter()
                        .any(|later| later.thread == thread && later.action == end)
            });
        if let Some(lock) = taken_lock(&row.action).or(rwlock) {
            let busy: Vec<usize> = held[thread]
                .iter()
                .map(|&hold| reading.holds[hold].track)
                .collect();
            let track = (0..).find(|track| !busy.contains(track)).unwrap_or(0);
            reading.holds.push(Hold {
                thread,
                lock: lock.to_string(),
                from: index,
                to: None,
                track,
            });
            held[thread].push(reading.holds.len() - 1);
        }
    }

    // Waits: between two rows of a thread, when its first row is an arrival (a row that is no
    // turn: `waits for A`, `sleep 200 ms`) or the thread is listed as waiting at a turn between.
    for thread in 0..threads {
        let own: Vec<usize> = (0..rows.len())
            .filter(|&index| rows[index].thread == thread)
            .collect();
        // Before its first row: a new thread whose first operation cannot go yet.
        let first = own.first().copied();
        if let Some(from) =
            (0..first.unwrap_or(rows.len())).find(|&index| rows[index].waiting.contains(&thread))
        {
            reading.waits.push(Wait {
                thread,
                from,
                to: first,
                asleep: false,
            });
        }
        for (position, &at) in own.iter().enumerate() {
            let next = own.get(position + 1).copied();
            let end = next.unwrap_or(rows.len());
            let arrival = rows[at].ready.is_empty() && is_arrival(&rows[at].action);
            let first_listed = (at + 1..end).find(|&index| rows[index].waiting.contains(&thread));
            let from = if arrival { Some(at) } else { first_listed };
            let deadlocked = next.is_none()
                && matches!(&replayed.ending, Ending::Deadlock(stuck)
                    if stuck.iter().any(|(name, _)| *name == replayed.threads[thread]));
            let from = match (from, deadlocked) {
                (Some(from), _) => Some(from),
                (None, true) => Some(at + 1),
                (None, false) => None,
            };
            if let Some(from) = from {
                let action = &rows[at].action;
                reading.waits.push(Wait {
                    thread,
                    from,
                    to: next,
                    asleep: action.starts_with("sleep ") || action.starts_with("compute "),
                });
            }
        }
    }

    // Messages: the n-th message sent on a channel is the n-th received from it.
    let mut channels: Vec<(String, Vec<usize>, Vec<usize>)> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let (name, sending) = match (sent_on(&row.action), received_from(&row.action)) {
            (Some(name), _) => (name, true),
            (None, Some(name)) => (name, false),
            (None, None) => continue,
        };
        let position = match channels.iter().position(|(seen, _, _)| seen == name) {
            Some(position) => position,
            None => {
                channels.push((name.to_string(), Vec::new(), Vec::new()));
                channels.len() - 1
            }
        };
        let entry = &mut channels[position];
        if sending {
            entry.1.push(index);
        } else {
            entry.2.push(index);
        }
    }
    for (_, sends, receives) in &channels {
        for (&from, &to) in sends.iter().zip(receives) {
            reading.arrows.push(Arrow {
                from,
                to,
                kind: "send",
            });
        }
    }

    // Notifications: to the woken thread's next `woken` row, when its name is unique.
    for (index, row) in rows.iter().enumerate() {
        for name in woken_by(&row.action) {
            let mut columns = replayed.threads.iter().enumerate();
            let Some((column, _)) = columns.find(|(_, thread)| *thread == name) else {
                continue;
            };
            if columns.any(|(_, thread)| thread == name) {
                continue; // two threads of that name: the trace does not say which
            }
            if let Some(to) = (index + 1..rows.len()).find(|&later| {
                rows[later].thread == column && rows[later].action.starts_with("woken (")
            }) {
                reading.arrows.push(Arrow {
                    from: index,
                    to,
                    kind: "notify",
                });
            }
        }
    }
    reading.arrows.sort_by_key(|arrow| (arrow.from, arrow.to));
    reading
}

/// A row that says a thread cannot go yet (it is printed when the thread arrives, not when it
/// goes): `waits ...`, `sleep 200 ms`, `compute 5 ms`.
fn is_arrival(action: &str) -> bool {
    action.starts_with("waits")
        || (action.starts_with("sleep ") && !action.ends_with("(any delay)"))
        || (action.starts_with("compute ") && !action.ends_with("(any delay)"))
}

/// Lane geometry: where each lane starts, how wide it is, how many lock tracks it has.
struct Lanes {
    x: Vec<i64>,
    width: Vec<i64>,
    tracks: Vec<i64>,
    total: i64,
}

impl Lanes {
    fn new(replayed: &Replayed, reading: &Reading) -> Lanes {
        let count = replayed.threads.len();
        let mut tracks = vec![0i64; count];
        for hold in &reading.holds {
            tracks[hold.thread] = tracks[hold.thread].max(hold.track as i64 + 1);
        }
        let mut x = Vec::with_capacity(count);
        let mut width = Vec::with_capacity(count);
        let mut at = AXIS;
        for (column, name) in replayed.threads.iter().enumerate() {
            let longest = replayed
                .rows
                .iter()
                .filter(|row| row.thread == column)
                .map(|row| label(row).chars().count().min(LONGEST_LABEL))
                .chain([format!("{column} {name}").chars().count()])
                .max()
                .unwrap_or(0) as i64;
            let lane = tracks[column] * BAR + 12 + longest.max(8) * CHAR;
            x.push(at);
            width.push(lane);
            at += lane + 16;
        }
        Lanes {
            x,
            width,
            tracks,
            total: at,
        }
    }

    /// Left edge of the boxes of a lane (after its lock tracks).
    fn boxes(&self, column: usize) -> i64 {
        self.x[column] + self.tracks[column] * BAR
    }

    fn right(&self, column: usize) -> i64 {
        self.x[column] + self.width[column]
    }
}

fn label(row: &crate::scheduler::Row) -> String {
    match &row.value {
        Some(value) => format!("{} {value}", row.action),
        None => row.action.clone(),
    }
}

/// One replay's timeline, drawn with its top-left corner at (0, 0): the SVG elements and the
/// width and height they take.
fn timeline_group(title: &str, replayed: &Replayed) -> (String, i64, i64) {
    let reading = read(replayed);
    let lanes = Lanes::new(replayed, &reading);
    let rows = &replayed.rows;
    let y_of = |index: usize| HEAD + index as i64 * ROW;
    let bottom = y_of(rows.len());
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<text class="title" x="8" y="18">{}</text>"#,
        escape(title)
    );
    // Lanes and their names.
    for (column, name) in replayed.threads.iter().enumerate() {
        let _ = writeln!(
            out,
            r#"<rect class="lane" x="{}" y="{}" width="{}" height="{}"/>"#,
            lanes.x[column],
            HEAD - 4,
            lanes.width[column],
            bottom - HEAD + 8
        );
        let _ = writeln!(
            out,
            r#"<text class="thread" x="{}" y="{}">{}</text>"#,
            lanes.x[column],
            HEAD - 10,
            escape(&format!("{column} {name}"))
        );
    }
    // The axis: step numbers, and the virtual time where it moves.
    let _ = writeln!(
        out,
        r#"<text class="axis" x="8" y="{}">step{}</text>"#,
        HEAD - 10,
        if replayed.slept { "  time" } else { "" }
    );
    let mut step = 0;
    let mut last_time: Option<Duration> = None;
    for (index, row) in rows.iter().enumerate() {
        let y = y_of(index);
        if !row.ready.is_empty() {
            step += 1;
            let _ = writeln!(
                out,
                r#"<text class="axis" x="8" y="{}">{step}</text>"#,
                y + 16
            );
        }
        if replayed.slept && last_time != Some(row.time) {
            last_time = Some(row.time);
            let _ = writeln!(
                out,
                r#"<line class="tick" x1="44" y1="{y}" x2="{}" y2="{y}"/>"#,
                lanes.total - 16
            );
            let _ = writeln!(
                out,
                r#"<text class="time" x="44" y="{}">{}</text>"#,
                y + 16,
                escape(&format_time(row.time))
            );
        }
    }
    // Waits, under everything else.
    for wait in &reading.waits {
        let top = y_of(wait.from);
        let end = wait.to.map_or(bottom, y_of);
        if end <= top {
            continue;
        }
        let class = if wait.asleep { "asleep" } else { "blocked" };
        let left = lanes.boxes(wait.thread);
        let tip = format!(
            "{} {} until {}",
            replayed.threads[wait.thread],
            if wait.asleep { "asleep" } else { "blocked" },
            wait.to.map_or("the end".to_string(), |to| {
                let step = rows[..=to]
                    .iter()
                    .filter(|row| !row.ready.is_empty())
                    .count();
                format!("step {step}")
            })
        );
        let _ = writeln!(
            out,
            r#"<rect class="{class}" x="{left}" y="{top}" width="{}" height="{}"><title>{}</title></rect>"#,
            lanes.right(wait.thread) - left,
            end - top,
            escape(&tip)
        );
    }
    // Lock bars.
    let mut colours: Vec<&str> = Vec::new();
    for hold in &reading.holds {
        if !colours.contains(&hold.lock.as_str()) {
            colours.push(&hold.lock);
        }
    }
    let colour_of = |lock: &str| {
        let index = colours.iter().position(|seen| *seen == lock).unwrap_or(0);
        LOCK_COLOURS[index % LOCK_COLOURS.len()]
    };
    for hold in &reading.holds {
        let top = y_of(hold.from) + 2;
        let end = hold.to.map_or(bottom, |to| y_of(to) + ROW - 2);
        let x = lanes.x[hold.thread] + hold.track as i64 * BAR;
        let tip = format!(
            "{} holds {}{}",
            replayed.threads[hold.thread],
            hold.lock,
            if hold.to.is_none() { " to the end" } else { "" }
        );
        let _ = writeln!(
            out,
            r#"<rect class="lock" data-lock="{}" x="{x}" y="{top}" width="{}" height="{}" fill="{}"><title>{}</title></rect>"#,
            escape(&hold.lock),
            BAR - 2,
            end - top,
            colour_of(&hold.lock),
            escape(&tip)
        );
    }
    // The rows: a box for each turn (or row done without a choice), italic text for arrivals.
    for (index, row) in rows.iter().enumerate() {
        let column = row.thread.min(replayed.threads.len().saturating_sub(1));
        let y = y_of(index);
        let left = lanes.boxes(column) + 2;
        let text = label(row);
        let shown = clip(&text, LONGEST_LABEL);
        let tip = if shown == text {
            String::new()
        } else {
            format!("<title>{}</title>", escape(&text))
        };
        if row.ready.is_empty() && is_arrival(&row.action) {
            let calm = if row.action.starts_with("sleep ") || row.action.starts_with("compute ") {
                " calm"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                r#"<text class="arrival{calm}" x="{}" y="{}">{}{tip}</text>"#,
                left + 4,
                y + 15,
                escape(&shown)
            );
            continue;
        }
        let class = if row.ready.is_empty() {
            "box quiet"
        } else {
            "box"
        };
        let _ = writeln!(
            out,
            r#"<rect class="{class}" x="{left}" y="{}" width="{}" height="{BOX}" rx="3"/>"#,
            y + 3,
            lanes.right(column) - left - 2
        );
        let _ = writeln!(
            out,
            r#"<text class="label" x="{}" y="{}">{}{tip}</text>"#,
            left + 5,
            y + 16,
            escape(&shown)
        );
    }
    // Arrows, on top.
    for arrow in &reading.arrows {
        let (from, to) = (&rows[arrow.from], &rows[arrow.to]);
        let (x1, x2) = if from.thread == to.thread {
            continue;
        } else if from.thread < to.thread {
            (lanes.right(from.thread) - 4, lanes.boxes(to.thread) + 2)
        } else {
            (lanes.boxes(from.thread) + 2, lanes.right(to.thread) - 4)
        };
        let y1 = y_of(arrow.from) + ROW / 2;
        let y2 = y_of(arrow.to) + ROW / 2;
        let _ = writeln!(
            out,
            r#"<line class="arrow {}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" marker-end="url(#head-{})"/>"#,
            arrow.kind, arrow.kind
        );
    }
    // How it ended, and a legend.
    let mut y = bottom + 22;
    let ending = if replayed.predict {
        "how it ends is hidden too (--predict)".to_string()
    } else {
        replayed.outcome_line()
    };
    let class = if matches!(replayed.ending, Ending::Deadlock(_)) && !replayed.predict {
        "ending bad"
    } else {
        "ending"
    };
    let mut widest = 0;
    for line in wrap(&ending, 100) {
        widest = widest.max(line.chars().count() as i64);
        let _ = writeln!(
            out,
            r#"<text class="{class}" x="8" y="{y}">{}</text>"#,
            escape(&line)
        );
        y += 16;
    }
    y += 4;
    let mut x = 8;
    let mut legend = String::new();
    for lock in &colours {
        let _ = write!(
            legend,
            r#"<rect x="{x}" y="{}" width="{}" height="12" fill="{}"/><text class="legend" x="{}" y="{y}">holds {}</text>"#,
            y - 10,
            BAR - 2,
            colour_of(lock),
            x + 8,
            escape(lock)
        );
        x += 8 + (lock.chars().count() as i64 + 7) * 7;
    }
    let samples = [
        ("blocked", !reading.waits.iter().all(|wait| wait.asleep)),
        ("asleep", reading.waits.iter().any(|wait| wait.asleep)),
    ];
    for (class, shown) in samples {
        if shown {
            let _ = write!(
                legend,
                r#"<rect class="{class} key" x="{x}" y="{}" width="14" height="12"/><text class="legend" x="{}" y="{y}">{class}</text>"#,
                y - 10,
                x + 18
            );
            x += 18 + (class.len() as i64 + 2) * 7;
        }
    }
    for kind in ["send", "notify"] {
        if reading.arrows.iter().any(|arrow| arrow.kind == kind) {
            let words = if kind == "send" {
                "send -> recv"
            } else {
                "notify -> woken"
            };
            let _ = write!(
                legend,
                r#"<line class="arrow {kind} key" x1="{x}" y1="{}" x2="{}" y2="{}" marker-end="url(#head-{kind})"/><text class="legend" x="{}" y="{y}">{}</text>"#,
                y - 4,
                x + 20,
                y - 4,
                x + 26,
                escape(words)
            );
            x += 26 + (words.len() as i64 + 2) * 7;
        }
    }
    if !legend.is_empty() {
        out.push_str(&legend);
        out.push('\n');
    }
    let width = lanes.total.max(x + 8).max(16 + widest * CHAR);
    (out, width, y + 12)
}

/// The timelines of one or more replays, stacked top to bottom, as a whole SVG document. Each
/// comes with its title (the command that replays it).
pub fn timelines(replays: &[(String, Replayed)]) -> String {
    let mut body = String::new();
    let mut width = 0;
    let mut height = 0;
    for (title, replayed) in replays {
        let (group, w, h) = timeline_group(title, replayed);
        let _ = writeln!(body, r#"<g transform="translate(0,{height})">"#);
        body.push_str(&group);
        body.push_str("</g>\n");
        width = width.max(w);
        height += h + 16;
    }
    document(width, height, "a replay's timeline", &body)
}

/// The replays of this process so far (each `--svg` picture shows all of them: a lesson that
/// replays several parts draws them one under the other).
static REPLAYS: std::sync::Mutex<Vec<(String, Replayed)>> = std::sync::Mutex::new(Vec::new());

/// Called by [`crate::run()`] after each replay it prints: when `--svg FILE` was given, adds the
/// replay to the picture and writes it.
pub(super) fn after_replay(flags: &Flags, replayed: &Replayed) {
    let Some(path) = &flags.svg else {
        return;
    };
    let text = {
        let mut replays = REPLAYS
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        replays.push((title(flags), replayed.clone()));
        timelines(&replays)
    };
    write_or_exit(flags, path, &text);
}

/// The command that replays this run, without `--svg` (so the picture does not depend on
/// where it is written).
fn title(flags: &Flags) -> String {
    let mut kept: Vec<&str> = Vec::new();
    let mut skip_value = false;
    for arg in &flags.given {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        match arg.as_str() {
            "--svg" => skip_value = true,
            other if other.starts_with("--svg=") => {}
            other => kept.push(other),
        }
    }
    let mut command = format!("cargo run --bin {}", flags.program());
    if !kept.is_empty() {
        command.push_str(" -- ");
        command.push_str(&kept.join(" "));
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_as_locks_messages_and_notifications() {
        assert_eq!(taken_lock("lock A"), Some("A"));
        assert_eq!(taken_lock("try_lock A: locked"), Some("A"));
        assert_eq!(taken_lock("try_lock A: busy"), None);
        assert_eq!(taken_lock("try_lock_for A: timed out"), None);
        assert_eq!(taken_lock("woken (lock m)"), Some("m"));
        assert!(releases("unlock A (3)", "A") && !releases("unlock AB", "A"));
        assert!(releases("wait on ready (unlock m)", "m"));
        assert_eq!(sent_on("send 3 on jobs"), Some("jobs"));
        assert_eq!(sent_on("send on jobs: no receiver left"), None);
        assert_eq!(sent_on("try_send jobs 3: sent"), Some("jobs"));
        assert_eq!(received_from("recv \"a from b\" from jobs"), Some("jobs"));
        assert_eq!(received_from("recv on jobs: disconnected"), None);
        assert_eq!(received_from("try_recv jobs -> 3"), Some("jobs"));
        assert_eq!(woken_by("notify_all c (wakes a, b)"), vec!["a", "b"]);
        assert!(woken_by("notify_one c (nobody waits)").is_empty());
        assert_eq!(clip("abcdef", 4), "abc…");
    }
}
