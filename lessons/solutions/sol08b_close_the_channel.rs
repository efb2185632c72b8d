//! Exercise 08b, close the channel instead of sending a sentinel.
//!
//! Task: main "downloads" `--images` images (4 unless told otherwise) and sends them through a
//! bounded channel named "downloads" to `--processors` threads (2), which send each checksum,
//! with the image's position, back to main through "results"; main puts each in its place. To
//! say "no more images", main sends a sentinel, `None`, as a Python program would put `None` on
//! a queue. But only one processor can receive it: the other waits for an image that never
//! comes, and main waits for that processor's results. A replay reports the deadlock; live, the
//! watchdog does. End the pipeline by closing the channel instead: each processor must stop
//! because its `recv` found the channel empty and disconnected (every sender dropped), not
//! because it received a special value or waited a while.
//!
//! Invariant: in every schedule and every live run, every checksum arrives in its place, and
//! each processor stops because the channel is closed and empty, after main dropped its last
//! sender.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex08b -- --images 2 --explore
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex08b -- --seed 0    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex08b                (live)
//! Check it: cargo run --bin workbook -- check 08b
#![forbid(unsafe_code)]

use std::fmt;
use std::time::Duration;

use workbook::sync::{NamedChannel, bounded, unbounded};
use workbook::{Cli, thread};

const PROGRAM: &str = "sol08b --manifest-path lessons/Cargo.toml";

/// A downloaded image: its place in the input and its bytes.
struct Image {
    index: usize,
    bytes: Vec<u8>,
}

/// The trace shows an image by its number, not by its bytes.
impl fmt::Debug for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "image {}", self.index)
    }
}

fn main() {
    let mut cli = Cli::new(
        PROGRAM,
        "exercise 08b: close the channel instead of a sentinel",
    );
    cli.explorable();
    let images = cli.number("--images", "N", "images to download and process", 4, 1..=8);
    let processors = cli.number("--processors", "N", "processor threads", 2, 1..=3);
    let flags = cli.parse();
    let (count, processors) = (flags[images] as usize, flags[processors] as usize);
    let ran = workbook::run(&flags, || pipeline(count, processors));
    if let Some(sums) = ran.value {
        for (index, sum) in sums.iter().enumerate() {
            println!("image {index}: checksum {sum}");
        }
    }
}

/// "Downloads" image `index`: 1 ms of waiting, then its bytes.
fn download(index: usize) -> Image {
    thread::sleep(Duration::from_millis(1));
    Image {
        index,
        bytes: vec![index as u8; 100 + index],
    }
}

/// Processes one image: 3 ms of work, then the sum of its bytes.
fn process(image: &Image) -> u64 {
    thread::sleep(Duration::from_millis(3));
    image.bytes.iter().map(|&byte| u64::from(byte)).sum()
}

/// Downloads `count` images on main and processes them on `processors` threads; returns the
/// checksums in input order.
fn pipeline(count: usize, processors: usize) -> Vec<u64> {
    let (sender, receiver) = bounded::<Image>(2).named("downloads");
    let (to_main, results) = unbounded::<(usize, u64)>().named("results");
    thread::scope(|scope| {
        for number in 1..=processors {
            let (downloads, to_main) = (receiver.clone(), to_main.clone());
            thread::Builder::new()
                .name(format!("processor{number}"))
                .spawn_scoped(scope, move || {
                    // Ends when the channel is closed (every sender dropped) and empty.
                    for image in downloads {
                        let sum = process(&image);
                        to_main
                            .send((image.index, sum))
                            .expect("main keeps the results");
                    }
                })
                .expect("a processor starts");
        }
        // Main keeps only the sending end of the downloads and the receiving end of the results.
        drop((receiver, to_main));
        for index in 0..count {
            sender
                .send(download(index))
                .expect("the processors keep the receiver");
        }
        drop(sender); // close the channel: every processor's loop ends once it is empty
        let mut sums = vec![0; count];
        for (index, sum) in results {
            sums[index] = sum;
        }
        sums
    })
}
