//! Wrong answer to 08a: prints the checksums without running anything.
#![forbid(unsafe_code)]

use workbook::Cli;

fn main() {
    let mut cli = Cli::new("wrong08a_canned_text", "exercise 08a: bound the queue");
    cli.explorable();
    let images = cli.number("--images", "N", "images to download and process", 6, 1..=8);
    let flags = cli.parse();
    for index in 0..flags[images] {
        println!("image {index}: checksum {}", index * (100 + index));
    }
}
