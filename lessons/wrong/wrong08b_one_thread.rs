//! Wrong answer to 08b: main downloads and processes every image itself: no channel to close.
#![forbid(unsafe_code)]

use std::fmt;
use std::time::Duration;

use workbook::{Cli, thread};

const PROGRAM: &str = "wrong08b_one_thread --manifest-path lessons/Cargo.toml";

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

/// Downloads and processes every image on main, one after another.
fn pipeline(count: usize, _processors: usize) -> Vec<u64> {
    (0..count).map(|index| process(&download(index))).collect()
}
