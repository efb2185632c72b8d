//! Exercise 08a, bound the queue.
//!
//! Task: a downloader thread fetches `--images` images (6 unless told otherwise; each takes
//! 1 ms) and sends them through a channel named "downloads" to a processor thread, which takes
//! 5 ms for each. The downloader is faster, and the channel is unbounded: the images pile up in
//! it, and with big images or many of them that is how a program runs out of memory. Bound the
//! queue: at no moment may more than 2 downloaded images wait in the channel, in any schedule,
//! however long each step takes. The downloader must then wait while the channel is full
//! (backpressure), not be slowed down by sleeps. Keep the two stages running at the same time,
//! and let the processor take one image at a time from the channel.
//!
//! Invariant: in every schedule, every image is processed, in input order; at most 2 images wait
//! in "downloads" at any moment; the processor holds one image at a time; and the processor
//! starts before the downloader has sent the last image.
//!
//! Run it (from the repository root):
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex08a -- --images 3 --explore
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex08a -- --seed 0    (one replay)
//!     cargo run --manifest-path lessons/Cargo.toml --bin ex08a                (live)
//! Check it: cargo run --bin workbook -- check 08a
#![forbid(unsafe_code)]

use std::fmt;
use std::time::Duration;

use workbook::sync::{NamedChannel, bounded};
use workbook::{Cli, thread};

const PROGRAM: &str = "sol08a --manifest-path lessons/Cargo.toml";

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
    let mut cli = Cli::new(PROGRAM, "exercise 08a: bound the queue");
    cli.explorable();
    let images = cli.number("--images", "N", "images to download and process", 6, 1..=8);
    let flags = cli.parse();
    let count = flags[images] as usize;
    let ran = workbook::run(&flags, || pipeline(count));
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

/// Processes one image: 5 ms of work, then the sum of its bytes.
fn process(image: &Image) -> u64 {
    thread::sleep(Duration::from_millis(5));
    image.bytes.iter().map(|&byte| u64::from(byte)).sum()
}

/// Downloads `count` images in one thread and processes them in another; returns the checksums.
fn pipeline(count: usize) -> Vec<u64> {
    // At most 2 images wait: a full channel makes the downloader wait in `send`.
    let (sender, receiver) = bounded::<Image>(2).named("downloads");
    thread::scope(|scope| {
        thread::Builder::new()
            .name("downloader".to_string())
            .spawn_scoped(scope, move || {
                for index in 0..count {
                    sender
                        .send(download(index))
                        .expect("the processor keeps the receiver");
                }
            })
            .expect("the downloader starts");
        let processor = thread::Builder::new()
            .name("processor".to_string())
            .spawn_scoped(scope, move || {
                // Ends when the downloader is done (its sender dropped) and the channel is empty.
                receiver.iter().map(|image| process(&image)).collect()
            })
            .expect("the processor starts");
        processor.join().expect("processing does not panic")
    })
}
