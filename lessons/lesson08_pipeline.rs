//! Lesson 8: a pipeline, download then process.
//!
//! One thread downloads images (a seeded latency stands in for the network) while another
//! processes them (real CPU work on the bytes); a channel joins the two stages. Part 1 times
//! the pipeline against doing the same items one after another. Part 2 makes the downloader
//! fast and the processor slow, and compares a bounded channel (the downloader waits: memory
//! stays bounded) with an unbounded one (the queue grows). Part 3 puts several processors on one
//! receiver and the results back in input order; one download fails and one image makes its
//! processor panic. Part 4 stops the pipeline at a deadline with `select!` and counts every item.
//!
//! Run it live:          cargo run --bin lesson08
//! Replay every part:    cargo run --bin lesson08 -- --seed 3
//! One part, by hand:    cargo run --bin lesson08 -- --part 2 --schedule 0
//! Every schedule:       cargo run --bin lesson08 -- --part 4 --explore
#![forbid(unsafe_code)]

use std::any::Any;
use std::fmt;
use std::panic;
use std::time::{Duration, Instant};

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use workbook::sync::{NamedChannel, Receiver, RecvTimeoutError, bounded, unbounded};
use workbook::{Cli, Flags, Mode, select, thread};

/// How close to the ideal a live part 1 should come.
const WITHIN: f64 = 1.15;

/// One image to fetch: its place in the input, its "network" latency, and what is wrong with it.
#[derive(Clone, Debug)]
struct Item {
    index: usize,
    latency: Duration,
    /// The download fails (as if the server answered 404).
    missing: bool,
    /// The bytes arrive but are not an image: processing them panics, on purpose.
    corrupt: bool,
}

/// How much CPU work processing one image is: `rounds` passes over its bytes, which take about
/// `cost` (measured live; the replay's virtual clock uses `cost`).
#[derive(Clone, Copy, Debug)]
struct Work {
    rounds: u32,
    cost: Duration,
}

/// A downloaded image on its way to a processor.
struct Download {
    index: usize,
    bytes: Result<Vec<u8>, String>,
}

/// A processed image on its way back to main.
struct Done {
    index: usize,
    by: String,
    checksum: Result<u64, String>,
}

// The trace shows messages by what they are, not by their thousands of bytes.
impl fmt::Debug for Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.bytes {
            Ok(_) => write!(f, "image {}", self.index),
            Err(_) => write!(f, "image {} failed", self.index),
        }
    }
}

impl fmt::Debug for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if self.checksum.is_ok() {
            "ok"
        } else {
            "failed"
        };
        write!(f, "image {} {how}", self.index)
    }
}

/// The payload of the panic a corrupt image raises on purpose.
struct OnPurpose(&'static str);

// ANCHOR: stages
/// "Downloads" one image: waits its latency, then returns its bytes or the server's error.
fn download(item: &Item) -> Result<Vec<u8>, String> {
    thread::sleep(item.latency);
    if item.missing {
        return Err("HTTP 404".to_string());
    }
    let mut generator = ChaCha8Rng::seed_from_u64(item.index as u64);
    let mut bytes = vec![0; 4096];
    generator.fill_bytes(&mut bytes);
    if item.corrupt {
        bytes[0] = 0; // not an image
    }
    Ok(bytes)
}

/// Processes one image: real CPU work on its bytes (a checksum, `work.rounds` times over).
fn process(bytes: &[u8], work: Work) -> u64 {
    thread::compute(work.cost, || {
        if bytes[0] == 0 {
            panic::panic_any(OnPurpose("not an image"));
        }
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for round in 0..work.rounds {
            for &byte in bytes {
                hash = (hash ^ u64::from(byte) ^ u64::from(round)).wrapping_mul(0x100_0000_01b3);
            }
        }
        hash
    })
}
// ANCHOR_END: stages

/// How a pipeline run went, as main saw it.
struct Run {
    /// By input position: the result, or `None` when none came back.
    results: Vec<Option<Done>>,
    /// How many items the downloader began (the rest never started).
    started: usize,
    /// The largest number of images seen waiting in the channel.
    most_queued: usize,
    /// Why main stopped listening early, if it did.
    stopped: Option<&'static str>,
    /// How many processors there were, and those that panicked, by name.
    processors: usize,
    panicked: Vec<String>,
    /// The downloader stopped because its send failed: no processor was left.
    cut_short: bool,
    /// Time the downloader spent downloading (not waiting for room), and the processors
    /// processing (live).
    downloading: Duration,
    processing: Duration,
}

impl Run {
    fn finished(&self) -> usize {
        self.results.iter().flatten().count()
    }
}

/// A run's outcome as the explorer counts it: what became of each item.
impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let finished = self.finished();
        write!(
            f,
            "finished {finished}, in flight {}, never started {}",
            self.started - finished,
            self.results.len() - self.started
        )
    }
}

// ANCHOR: pipeline
/// Downloads `items` in one thread and processes them in `processors` threads, joined by a
/// channel named "downloads" that holds at most `capacity` images (`None`: no limit). With a
/// `deadline`, main stops listening when a timer says so.
fn pipeline(
    items: &[Item],
    capacity: Option<usize>,
    processors: usize,
    work: Work,
    deadline: Option<Duration>,
) -> Run {
    let (to_processors, downloads) = match capacity {
        Some(capacity) => bounded::<Download>(capacity),
        None => unbounded::<Download>(),
    }
    .named("downloads");
    let (to_main, results_receiver) = unbounded::<Done>().named("results");
    thread::scope(|scope| {
        let downloader = thread::Builder::new()
            .name("downloader".to_string())
            .spawn_scoped(scope, move || {
                let (mut started, mut most_queued, mut busy) = (0, 0, Duration::ZERO);
                for item in items {
                    started += 1;
                    let start = Instant::now();
                    let bytes = download(item);
                    busy += start.elapsed(); // downloading, not waiting for room
                    let index = item.index;
                    // A full channel makes `send` wait: backpressure. It fails when every
                    // processor is gone: then there is nobody to download for.
                    if to_processors.send(Download { index, bytes }).is_err() {
                        return (started, most_queued, busy, true);
                    }
                    most_queued = most_queued.max(to_processors.len());
                }
                (started, most_queued, busy, false)
            })
            .expect("the downloader starts");
        let mut workers = Vec::new();
        for number in 1..=processors {
            let (downloads, to_main) = (downloads.clone(), to_main.clone());
            let name = format!("processor{number}");
            let worker = thread::Builder::new().name(name.clone());
            let by = name.clone(); // the results say who processed them
            let worker = worker.spawn_scoped(scope, move || {
                let mut busy = Duration::ZERO;
                // Ends when the downloader has dropped its sender and the channel is empty.
                for Download { index, bytes } in downloads {
                    let start = Instant::now();
                    let checksum = bytes.map(|bytes| process(&bytes, work));
                    busy += start.elapsed();
                    let done = Done {
                        index,
                        by: by.clone(),
                        checksum,
                    };
                    if to_main.send(done).is_err() {
                        break; // main stopped listening
                    }
                }
                busy
            });
            workers.push((name, worker.expect("a processor starts")));
        }
        // Main keeps only the receiving end of the results: when the last processor ends, the
        // results channel disconnects and main's loop ends.
        drop((downloads, to_main));
        let mut results: Vec<Option<Done>> = items.iter().map(|_| None).collect();
        let stopped = match deadline {
            None => {
                for done in &results_receiver {
                    let index = done.index; // each result says where it goes: input order
                    results[index] = Some(done);
                }
                None
            }
            Some(deadline) => collect_until(scope, deadline, &results_receiver, &mut results),
        };
        // Main stops listening: a processor's next send fails, it stops and drops its receiver,
        // and then the downloader's next send fails too. Every thread ends; join them all.
        drop(results_receiver);
        let (started, most_queued, downloading, cut_short) =
            downloader.join().expect("downloads never panic");
        let (mut processing, mut panicked) = (Duration::ZERO, Vec::new());
        for (name, worker) in workers {
            match worker.join() {
                Ok(busy) => processing += busy,
                Err(payload) => panicked.push(format!("{name} ({})", panic_message(&payload))),
            }
        }
        Run {
            results,
            started,
            most_queued,
            stopped,
            processors,
            panicked,
            cut_short,
            downloading,
            processing,
        }
    })
}
// ANCHOR_END: pipeline

// ANCHOR: deadline
/// Puts results in their places until the last processor ends or a timer thread says the
/// deadline has come, whichever is first; returns why it stopped early, if it did.
fn collect_until<'scope>(
    scope: &'scope thread::Scope<'scope, '_>,
    deadline: Duration,
    results_receiver: &Receiver<Done>,
    results: &mut [Option<Done>],
) -> Option<&'static str> {
    let (stop_sender, stop) = bounded::<&'static str>(1).named("stop");
    let (finished_sender, finished) = bounded::<()>(1).named("finished");
    thread::Builder::new()
        .name("timer".to_string())
        .spawn_scoped(scope, move || {
            // Waits until the deadline, unless main says first that everything came back.
            if finished.recv_timeout(deadline) == Err(RecvTimeoutError::Timeout) {
                let _ = stop_sender.send("deadline");
            }
        })
        .expect("the timer starts");
    let stopped = loop {
        // Waits for whichever comes first: a result, or the stop message.
        select! {
            recv(results_receiver) -> done => match done {
                Ok(done) => {
                    let index = done.index;
                    results[index] = Some(done);
                }
                Err(_) => break None, // every processor has ended: all is done
            },
            recv(stop) -> why => break why.ok(),
        }
    };
    drop(finished_sender); // wakes the timer if it still waits
    stopped
}
// ANCHOR_END: deadline

/// A panic's message: the lesson's own on-purpose panics say why.
fn panic_message(payload: &Box<dyn Any + Send>) -> String {
    match payload.downcast_ref::<OnPurpose>() {
        Some(OnPurpose(why)) => format!("panicked on purpose: {why}"),
        None => "panicked".to_string(),
    }
}

/// `count` items with seeded latencies from `shortest` to `longest`.
fn make_items(count: usize, shortest: Duration, longest: Duration) -> Vec<Item> {
    let mut generator = ChaCha8Rng::seed_from_u64(8);
    let (low, spread) = (
        shortest.as_micros() as u64,
        (longest - shortest).as_micros() as u64,
    );
    (0..count)
        .map(|index| Item {
            index,
            latency: Duration::from_micros(low + u64::from(generator.next_u32()) % (spread + 1)),
            missing: false,
            corrupt: false,
        })
        .collect()
}

/// The work that takes about `cost` of CPU on this machine (live), or one pass (a replay,
/// where the virtual clock counts `cost` whatever the work).
fn work_of(cost: Duration, mode: &Mode) -> Work {
    if *mode != Mode::Live {
        return Work { rounds: 1, cost };
    }
    let bytes = vec![1; 4096];
    let probe = Work { rounds: 4, cost };
    let fastest = (0..5)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(process(&bytes, probe));
            start.elapsed()
        })
        .min()
        .unwrap_or(Duration::from_micros(1))
        .max(Duration::from_nanos(1));
    let rounds = (cost.as_secs_f64() / fastest.as_secs_f64() * 4.0).round();
    Work {
        rounds: rounds.clamp(1.0, 1e7) as u32,
        cost,
    }
}

fn main() {
    let mut cli = Cli::new(
        "lesson08",
        "a pipeline: download then process, with backpressure, fan-out, and a deadline",
    );
    let part = cli.number("--part", "N", "run only part N (0: all four)", 0, 0..=4);
    let items_flag = cli.number("--items", "N", "images in part 1", 40, 2..=1000);
    let processors = cli.number("--processors", "N", "processor threads in part 3", 3, 1..=4);
    let deadline = cli.number("--deadline", "MS", "part 4's deadline, in ms", 45, 1..=1000);
    cli.live_only(
        "--items",
        "it sizes part 1's timing, which a replay does not measure (it runs 4 images)",
    );
    cli.explorable();
    let flags = cli.parse();
    let part = flags[part];
    if part == 0 && matches!(flags.mode, Mode::Explore { .. }) {
        flags.refuse("--explore explores one part: add --part 1, 2, 3 or 4");
    }
    if part == 0
        && matches!(
            flags.mode,
            Mode::Replay {
                schedule: Some(_),
                ..
            }
        )
    {
        flags.refuse("--schedule replays one part: add --part 1, 2, 3 or 4");
    }
    workbook::cleanup::quiet_panics_of::<OnPurpose>();
    if part == 0 || part == 1 {
        let count = if flags.mode == Mode::Live {
            flags[items_flag] as usize
        } else {
            4
        };
        overlap(&flags.for_part("--part", 1), count);
    }
    if part == 0 || part == 2 {
        backpressure(&flags.for_part("--part", 2));
    }
    if part == 0 || part == 3 {
        fan_out(&flags.for_part("--part", 3), flags[processors] as usize);
    }
    if part == 0 || part == 4 {
        stop_at_deadline(&flags.for_part("--part", 4), flags[deadline]);
    }
    println!();
    println!("Read chapter 8 to see why: book/src/lesson08.md (or `mdbook serve book`).");
}

/// The virtual time at which a replay ended, or the real time since `start` (live).
fn took(ran: &workbook::run::Ran<Run>, start: Instant) -> Duration {
    match &ran.replay {
        Some(replay) => replay.rows.last().map_or(Duration::ZERO, |row| row.time),
        None => start.elapsed(),
    }
}

/// "1.23 s" or "95.0 ms".
fn secs(time: Duration) -> String {
    if time >= Duration::from_secs(1) {
        format!("{:.2} s", time.as_secs_f64())
    } else {
        format!("{:.1} ms", time.as_secs_f64() * 1000.0)
    }
}

/// Part 1: the same images one after another, then as a two-stage pipeline.
fn overlap(flags: &Flags, count: usize) {
    let items = make_items(count, Duration::from_millis(15), Duration::from_millis(25));
    let work = work_of(Duration::from_millis(10), &flags.mode);
    println!(
        "Part 1: overlap. {count} images, each downloaded in 15 to 25 ms (seeded), then \
         processed with about 10 ms of CPU work"
    );
    let live = flags.mode == Mode::Live;
    let start = Instant::now();
    let ran = workbook::run(flags, || pipeline(&items, Some(2), 1, work, None));
    let Some(run) = &ran.value else { return };
    let wall = took(&ran, start);
    // The same items one after another, live, after the pipeline (so that a thread the OS
    // refuses stops the lesson at once, not after the baseline), printed first.
    let mut sequential = Duration::ZERO;
    if live {
        // ANCHOR: sequential
        let (start, mut processing) = (Instant::now(), Duration::ZERO);
        for item in &items {
            let bytes = download(item);
            let processing_starts = Instant::now();
            let _checksum = bytes.map(|bytes| process(&bytes, work));
            processing += processing_starts.elapsed();
        }
        sequential = start.elapsed();
        // ANCHOR_END: sequential
        println!(
            "  one after another: {} ({} downloading, {} processing)",
            secs(sequential),
            secs(sequential - processing),
            secs(processing)
        );
    }
    let (downloading, processing) = if live {
        (run.downloading, run.processing)
    } else {
        let downloading: Duration = items.iter().map(|item| item.latency).sum();
        (downloading, work.cost * count as u32)
    };
    // Each stage is one thread doing its items one after another, so the pipeline can never
    // beat the busier stage: n x max(download, process), with this run's own times.
    let ideal = downloading.max(processing);
    let ratio = wall.as_secs_f64() / ideal.as_secs_f64();
    let reveal = |text: String| flags.mode.reveal(text);
    println!(
        "  as a pipeline: {}{}; the downloader was busy {}, the processor {}",
        reveal(secs(wall)),
        if live { "" } else { " of virtual time" },
        secs(downloading),
        secs(processing),
    );
    let verdict = if flags.mode.is_predict() {
        String::new()
    } else if ratio <= WITHIN {
        format!(": within {WITHIN} x")
    } else {
        format!(": NOT within {WITHIN} x")
    };
    println!(
        "  ideal {count} x max(download, process) = {}; the pipeline took {} x the ideal{verdict}",
        secs(ideal),
        reveal(format!("{ratio:.2}")),
    );
    if live {
        let cores = thread::available_parallelism().map_or(1, |n| n.get());
        println!(
            "  {:.2} x faster than one after another (measured live on this machine: {cores} \
             cores, a {} build, whatever else it was running)",
            sequential.as_secs_f64() / wall.as_secs_f64(),
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
        );
    } else {
        let sum: Duration = downloading + processing;
        println!(
            "  one after another would take {} of virtual time",
            secs(sum)
        );
    }
    report(run, &flags.mode);
}

/// Part 2: a fast downloader and a slow processor, with a bounded and an unbounded channel.
fn backpressure(flags: &Flags) {
    println!();
    println!(
        "Part 2: backpressure. 6 images, each downloaded in 1 to 3 ms, processed in 10 ms: \
         the downloader is faster"
    );
    let items = make_items(6, Duration::from_millis(1), Duration::from_millis(3));
    let work = work_of(Duration::from_millis(10), &flags.mode);
    for capacity in [Some(2), None] {
        let kind = match capacity {
            Some(capacity) => format!("bounded({capacity})"),
            None => "unbounded()".to_string(),
        };
        println!("With {kind}:");
        let ran = workbook::run(flags, || pipeline(&items, capacity, 1, work, None));
        let Some(run) = &ran.value else { continue };
        let most = run.most_queued;
        let held = match capacity {
            Some(capacity) if most <= capacity => {
                format!(": never more than the capacity, {capacity}")
            }
            Some(_) => ": MORE than the capacity".to_string(),
            None => ": the queue grows as long as the downloader is ahead".to_string(),
        };
        println!(
            "  at most {} images ({} KiB) waited in the channel{}",
            flags.mode.reveal(most),
            flags.mode.reveal(most * 4),
            if flags.mode.is_predict() { "" } else { &held }
        );
        report(run, &flags.mode);
    }
}

/// Part 3: several processors on one receiver; one download fails, one image is corrupt.
fn fan_out(flags: &Flags, processors: usize) {
    println!();
    println!(
        "Part 3: fan-out and fan-in. {processors} processor{} on one receiver, 6 images; image 1 \
         is corrupt, image 3 is missing on the server",
        if processors == 1 { "" } else { "s" }
    );
    let mut items = make_items(6, Duration::from_millis(3), Duration::from_millis(7));
    items[1].corrupt = true;
    items[3].missing = true;
    let work = work_of(Duration::from_millis(12), &flags.mode);
    let ran = workbook::run(flags, || pipeline(&items, Some(2), processors, work, None));
    let Some(run) = &ran.value else { return };
    println!("Results by position:");
    for (index, result) in run.results.iter().enumerate() {
        let line = match result {
            Some(Done {
                checksum: Ok(sum),
                by,
                ..
            }) => format!("checksum {sum:016x}, by {by}"),
            Some(Done {
                checksum: Err(why),
                by,
                ..
            }) => format!("download failed: {why} (passed on by {by})"),
            None if index < run.started => {
                "no result: in flight when a processor panicked".to_string()
            }
            None => "never started".to_string(),
        };
        println!("  {index}: {}", flags.mode.reveal(line));
    }
    report(run, &flags.mode);
}

/// Part 4: main stops listening at a deadline, whatever is still flowing.
fn stop_at_deadline(flags: &Flags, deadline: u64) {
    println!();
    println!(
        "Part 4: stop at a deadline with select!. 6 images, 10 ms to download and 5 ms to \
         process each; the deadline is {deadline} ms"
    );
    let items = make_items(6, Duration::from_millis(10), Duration::from_millis(10));
    let work = work_of(Duration::from_millis(5), &flags.mode);
    let deadline = Duration::from_millis(deadline);
    let ran = workbook::run(flags, || pipeline(&items, Some(2), 1, work, Some(deadline)));
    if let Some(run) = &ran.value {
        report(run, &flags.mode);
    }
}

/// What became of every item: finished, in flight, never started; they must add up.
fn report(run: &Run, mode: &Mode) {
    if mode.is_predict() {
        println!("  (what became of each item is hidden too: --predict)");
        return;
    }
    let finished = run.finished();
    let in_order = (run.results.iter().enumerate())
        .all(|(at, result)| result.as_ref().is_none_or(|done| done.index == at));
    let failed = (run.results.iter().flatten())
        .filter(|done| done.checksum.is_err())
        .count();
    let in_flight = run.started - finished;
    let never = run.results.len() - run.started;
    if let Some(why) = run.stopped {
        println!("  main stopped listening: {why}");
    }
    for who in &run.panicked {
        println!("  {who}: its join returned the panic");
    }
    if !run.panicked.is_empty() && run.panicked.len() < run.processors {
        println!("  the other processors went on with the rest");
    }
    if run.cut_short && run.stopped.is_none() {
        println!(
            "  no processor was left: the downloads channel disconnected, the downloader's send \
             failed, and it stopped"
        );
    }
    println!(
        "  {} items: {finished} finished ({failed} of them failed downloads), {in_flight} in \
         flight, {never} never started{}; results {}",
        run.results.len(),
        if finished + in_flight + never == run.results.len() {
            ": every item counted"
        } else {
            ": NOT every item counted"
        },
        if in_order {
            "in input order"
        } else {
            "NOT in input order"
        },
    );
}
