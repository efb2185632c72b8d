//! Wrong answer to 08a: still unbounded; the downloader naps as long as processing takes, so the queue stays short only while every step takes exactly as long as planned.
#![forbid(unsafe_code)]

use std::fmt;
use std::time::Duration;

use workbook::sync::{NamedChannel, unbounded};
use workbook::{Cli, thread};

const PROGRAM: &str = "wrong08a_downloader_naps --manifest-path lessons/Cargo.toml";

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
    // The downloader naps as long as processing takes, so it never gets far ahead.
    let (sender, receiver) = unbounded::<Image>().named("downloads");
    thread::scope(|scope| {
        thread::Builder::new()
            .name("downloader".to_string())
            .spawn_scoped(scope, move || {
                for index in 0..count {
                    thread::sleep(Duration::from_millis(4));
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
