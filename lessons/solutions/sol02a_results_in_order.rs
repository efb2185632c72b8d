//! Exercise 02a, results in the order of the inputs. Four threads each measure one word of
//! `WORDS`. As handed out, each thread pushes its length into a shared `Mutex<Vec<usize>>` when it
//! is done, so the results come out in the order the threads happened to finish, which changes
//! from run to run and from seed to seed. Make main print `results: [7, 5, 6, 4]` (the lengths of
//! the words, in the order of the words) in every live run and every replay: let each thread
//! *return* its length, keep the handles in order, and collect the values with `join`. No shared
//! vector is needed.
#![forbid(unsafe_code)]

use std::thread;
use std::time::Duration;

use workbook::{Cli, Run};

const PROGRAM: &str = "sol02a --manifest-path lessons/Cargo.toml";
const WORDS: [&str; 4] = ["channel", "mutex", "thread", "join"];
const NAMES: [&str; 4] = ["word-0", "word-1", "word-2", "word-3"];

fn main() {
    let flags = Cli::new(PROGRAM, "exercise 02a: results in the order of the inputs").parse();
    let run = Run::new(PROGRAM, &flags, &NAMES);
    run.print_live_header();
    let results: Vec<usize> = thread::scope(|scope| {
        let run = &run;
        // The handles, in the order of the words.
        let handles: Vec<_> = NAMES
            .into_iter()
            .zip(WORDS)
            .map(|(name, word)| {
                scope.spawn(move || {
                    run.actor(name, |me| {
                        // Live, a longer word takes longer to measure.
                        me.sleep(Duration::from_millis(10 * word.len() as u64));
                        me.step("measure", || word.len())
                    })
                })
            })
            .collect();
        // Each join waits for its own thread and hands back what the closure returned:
        // `Ok(Some(length))`, or `Ok(None)` if a replay stopped the thread, or `Err` on a panic.
        handles
            .into_iter()
            .map(|handle| handle.join().ok().flatten().unwrap_or(0))
            .collect()
    });
    run.finish();
    println!("results: {results:?}");
}
