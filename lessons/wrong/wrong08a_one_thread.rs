//! Wrong answer to 08a: main downloads and processes every image itself: nothing piles up, and nothing overlaps.
#![forbid(unsafe_code)]

use std::fmt;
use std::time::Duration;

use workbook::{Cli, thread};

const PROGRAM: &str = "wrong08a_one_thread --manifest-path lessons/Cargo.toml";

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

/// Downloads and processes every image on main, one after another.
fn pipeline(count: usize) -> Vec<u64> {
    (0..count).map(|index| process(&download(index))).collect()
}
