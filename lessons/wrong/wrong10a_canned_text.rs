//! Wrong answer to 10a: prints what a right answer prints, and runs nothing.
#![forbid(unsafe_code)]

use workbook::Cli;

fn main() {
    let mut cli = Cli::new("wrong10a_canned_text", "prints the answer");
    cli.explorable();
    let tasks = cli.number("--tasks", "N", "tasks", 3, 1..=8);
    let permits = cli.number("--permits", "K", "permits", 2, 1..=8);
    let flags = cli.parse();
    let (tasks, permits) = (flags[tasks], flags[permits]);
    println!("at most {permits} inside at once (limit {permits}); {tasks} of {tasks} tasks done");
}
