//! Exercises of lesson 8 (pipeline): bound the queue between the stages (08a), and end the
//! pipeline by closing the channel instead of sending a sentinel (08b).
//!
//! Each check judges what the toolkit saw the student's own program do (see [`super::judge`]):
//! every schedule at a small size, seeded replays at a larger one (also with sleeps of any
//! length, for 08a), and live runs. From a replay's rows it follows the images on the channel
//! named "downloads": how many wait in it at each moment, how many the processor holds, and how
//! each processor's last `recv` ended.

use std::time::Duration;

use super::judge::{self, Record};
use super::{Exercise, Failure, Program};

/// The seeds every replay check of this lesson tries.
const SEEDS: std::ops::Range<u64> = 0..4;

/// A check's limit per run: longer than the toolkit's stall timers, so a stuck run (the
/// sentinel's deadlock) reports its own diagnosis first.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The most images 08a lets wait in the channel.
const BOUND: usize = 2;

/// The exercises of lesson 8.
pub fn exercises() -> Vec<Exercise> {
    vec![
        Exercise {
            id: "08a",
            title: "bound the queue",
            starter: "ex08a_bound_the_queue.rs",
            solution: "sol08a_bound_the_queue.rs",
            hints: [
                "Run `--seed 0` and count the `send image N on downloads` rows of the downloader \
                 before the processor's first `recv`: nothing stops the downloader, so the \
                 images pile up in the channel. What could make `send` wait?",
                "A channel made with `bounded(n)` holds at most n messages: `send` on a full one \
                 waits until the receiver takes one (backpressure). A sleep in the downloader \
                 only works while every step takes exactly as long as planned.",
                "Replace `unbounded::<Image>()` with `bounded::<Image>(2)` (and import `bounded`). \
                 Nothing else changes: the processor still takes one image at a time.",
            ],
            timeout: TIMEOUT,
            check: check_bound_the_queue,
        },
        Exercise {
            id: "08b",
            title: "close the channel instead of a sentinel",
            starter: "ex08b_close_the_channel.rs",
            solution: "sol08b_close_the_channel.rs",
            hints: [
                "Run `--seed 0` and read who waits for what at the end: one processor took the \
                 `None`, the other waits for an image, and main waits for that processor. A \
                 sentinel is one message, and one message goes to one receiver.",
                "A receiver's `for image in downloads` ends when the channel is empty *and* every \
                 sender is gone: dropping the last `Sender` tells every processor at once. Then \
                 the channel can carry `Image`, not `Option<Image>`.",
                "Make the channel `bounded::<Image>(2)`, send `download(index)` without `Some`, \
                 loop with `for image in downloads`, and replace `sender.send(None)` with \
                 `drop(sender);`.",
            ],
            timeout: TIMEOUT,
            check: check_close_the_channel,
        },
    ]
}

/// The checksum of image `index`: `100 + index` bytes of value `index`.
fn checksum(index: u64) -> u64 {
    index * (100 + index)
}

/// The outcome must be the checksums of the first `images` images, in input order.
fn checksums_in_order(outcome: &str, images: u64) -> Result<(), String> {
    let want: Vec<u64> = (0..images).map(checksum).collect();
    let wanted = format!("{want:?}");
    if outcome == wanted {
        return Ok(());
    }
    if outcome.starts_with("DEADLOCK") {
        return Err(format!(
            "the pipeline never ended: {outcome}: a thread still waits for an image that will \
             never come"
        ));
    }
    Err(format!(
        "the run ended with `{outcome}`: expected the checksums {wanted}, one per image, in \
         input order"
    ))
}

/// How the images went through "downloads" in a replay: the most that waited in the channel at
/// once, whether some thread took a second image before it had processed the first (its
/// `recv` came before its next `sleep`), and whether the processor's first `recv` came before
/// the last `send`.
struct Flow {
    most_waiting: usize,
    hoarded: Option<String>,
    overlapped: bool,
}

fn flow(record: &Record) -> Flow {
    let (mut waiting, mut most_waiting) = (0usize, 0);
    let mut holding: Vec<(String, usize)> = Vec::new();
    let mut hoarded = None;
    let (mut sends, mut first_recv_at_send) = (0, None);
    for row in record.actions() {
        let action = row.action.as_str();
        if action.starts_with("send image ") && action.ends_with(" on downloads") {
            waiting += 1;
            sends += 1;
            most_waiting = most_waiting.max(waiting);
        } else if action.starts_with("recv image ") && action.ends_with(" from downloads") {
            waiting = waiting.saturating_sub(1);
            first_recv_at_send.get_or_insert(sends);
            match holding.iter_mut().find(|(thread, _)| *thread == row.thread) {
                Some((_, held)) => *held += 1,
                None => holding.push((row.thread.clone(), 1)),
            }
            if hoarded.is_none() {
                if let Some((thread, held)) = holding.iter().find(|(_, held)| *held > 1) {
                    hoarded = Some(format!("{thread} held {held} images at once"));
                }
            }
        } else if action.starts_with("sleep ") || action == "wake up" {
            // Processing is a sleep: the image in this thread's hands is being processed.
            if let Some((_, held)) = holding.iter_mut().find(|(thread, _)| *thread == row.thread) {
                *held = 0;
            }
        }
    }
    Flow {
        most_waiting,
        hoarded,
        overlapped: first_recv_at_send.is_some_and(|at| at < sends),
    }
}

/// 08a's rules on one replay of 6 images.
fn bounded_flow(record: &Record) -> Result<(), String> {
    judge::finished(record)?;
    judge::thread_count(record, 2)?;
    checksums_in_order(&record.outcome(), 6)?;
    let flow = flow(record);
    if flow.most_waiting > BOUND {
        return Err(format!(
            "at one moment {} images waited in the channel named \"downloads\": at most {BOUND} \
             may, however fast the downloader is; memory must stay bounded",
            flow.most_waiting
        ));
    }
    if let Some(hoarded) = flow.hoarded {
        return Err(format!(
            "{hoarded}: the images then wait in that thread's memory instead of the channel, \
             which is just as unbounded; the processor must take one image, process it, then \
             take the next"
        ));
    }
    if !flow.overlapped {
        return Err(
            "the processor took its first image only after the downloader had sent the last \
             one: the two stages must run at the same time"
                .to_string(),
        );
    }
    Ok(())
}

/// 08a: every schedule of 3 images gives the checksums; replays of 6 images (with exact sleeps,
/// and with sleeps of any length) never let more than 2 wait; live runs give the checksums.
fn check_bound_the_queue(program: &Program) -> Result<(), Failure> {
    let invariant = "at most 2 images wait in \"downloads\" at any moment, the processor holds \
                     one at a time, the stages overlap, and every checksum arrives in order";
    judge::every_schedule(program, &["--images", "3"], &[], invariant, |outcome| {
        checksums_in_order(outcome, 3)
    })?;
    let large = ["--images", "6"];
    judge::seeded_replays(program, &large, SEEDS, invariant, bounded_flow)?;
    judge::seeded_replays_with_any_delay(program, &large, SEEDS, invariant, bounded_flow)?;
    judge::live_runs(program, &large, 2, |record| {
        judge::finished(record)?;
        checksums_in_order(&record.outcome(), 6)
    })
}

/// 08b's rules on one replay: main dropped the last sender of "downloads", and every
/// processor's last action on it was a `recv` that found it disconnected.
fn closed_flow(record: &Record, images: u64) -> Result<(), String> {
    judge::finished(record)?;
    judge::thread_count(record, 2)?;
    checksums_in_order(&record.outcome(), images)?;
    for processor in &record.threads()[1..] {
        let on_downloads: Vec<String> = record
            .actions_of(processor)
            .into_iter()
            .filter(|action| action.contains(" downloads"))
            .collect();
        let last = on_downloads.last().map_or("nothing", String::as_str);
        if last != "recv on downloads: disconnected" {
            let why = if last.contains("None") {
                "a sentinel: it works only while every processor gets exactly one, and the \
                 task asks for the channel itself to say that it is over"
            } else {
                "a processor must stop because the channel is closed (its `recv` fails with \
                 disconnected once the last sender is dropped), not because it waited a while: \
                 a slow download or a busy machine would make it quit with images to come"
            };
            return Err(format!("{processor} stopped after `{last}`: {why}"));
        }
    }
    let closed = record
        .actions_of("main")
        .iter()
        .any(|action| action == "drop the last sender of downloads");
    if !closed {
        return Err(
            "main never dropped the last sender of the channel named \"downloads\": closing it \
             is main's job, once every image is sent"
                .to_string(),
        );
    }
    Ok(())
}

/// 08b: every schedule of 2 images on 2 processors ends with the checksums; in replays of 4,
/// each processor stops because the channel is closed and empty; live runs end.
fn check_close_the_channel(program: &Program) -> Result<(), Failure> {
    let invariant = "every processor stops because \"downloads\" is closed (main dropped its \
                     last sender) and empty, and every checksum arrives in its place";
    judge::every_schedule(program, &["--images", "2"], &[], invariant, |outcome| {
        checksums_in_order(outcome, 2)
    })?;
    judge::seeded_replays(program, &[], SEEDS, invariant, |record| {
        closed_flow(record, 4)
    })?;
    judge::seeded_replays_with_any_delay(program, &[], 0..2, invariant, |record| {
        closed_flow(record, 4)
    })?;
    judge::live_runs(program, &[], 2, |record| {
        judge::finished(record)?;
        checksums_in_order(&record.outcome(), 4)
    })
}
