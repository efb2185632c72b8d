//! Wrong answer to 10b: prints what a right answer prints, and runs nothing.
#![forbid(unsafe_code)]

use workbook::Cli;

fn main() {
    let mut cli = Cli::new("wrong10b_canned_text", "prints the answer");
    cli.explorable();
    let background = cli.number("--background", "N", "background workers", 3, 1..=8);
    let jobs = cli.number("--jobs", "J", "jobs per background worker", 2, 1..=100);
    let requests = cli.number("--requests", "R", "requests of the user", 2, 1..=100);
    let permits = cli.number("--permits", "K", "permits", 2, 1..=8);
    let flags = cli.parse();
    println!(
        "0 permits went to background while the user waited; at most {} inside; {} jobs and {} \
         requests done",
        flags[permits],
        flags[background] * flags[jobs],
        flags[requests]
    );
}
