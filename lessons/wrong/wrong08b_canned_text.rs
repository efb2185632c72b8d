//! Wrong answer to 08b: prints the checksums without running anything.
#![forbid(unsafe_code)]

use workbook::Cli;

fn main() {
    let mut cli = Cli::new("wrong08b_canned_text", "exercise 08b: close the channel");
    cli.explorable();
    let images = cli.number("--images", "N", "images to download and process", 4, 1..=8);
    let _processors = cli.number("--processors", "N", "processor threads", 2, 1..=3);
    let flags = cli.parse();
    for index in 0..flags[images] {
        println!("image {index}: checksum {}", index * (100 + index));
    }
}
