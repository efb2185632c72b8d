//! Exercise 06a, results in input order. Three workers square the numbers 0 to 7, taking the
//! jobs from a bounded queue as in lesson 6, and main prints one line per result:
//! `result 0: 0`, `result 1: 1`, ..., `result 7: 49`. As handed out, main prints the squares in
//! the order they arrive, which is whatever order the workers finished in, so most lines pair a
//! number with the wrong square. Make the lines come out right and in order, in every replay
//! (`--seed N`) and in a live run, without making the workers wait for each other: let each
//! result carry the index of its job.
#![forbid(unsafe_code)]

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use crossbeam_channel::{bounded, unbounded};
use workbook::{Cli, Run};

const JOBS: usize = 8;

/// What a worker got from the queue, as the trace shows it.
enum Taken {
    Job(usize),
    Closed,
}

impl fmt::Display for Taken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Taken::Job(n) => write!(f, "job {n}"),
            Taken::Closed => write!(f, "none: closed"),
        }
    }
}

const PROGRAM: &str = "ex06a --manifest-path lessons/Cargo.toml";

fn main() {
    let flags = Cli::new(PROGRAM, "exercise 06a: results in input order").parse();
    let run = Run::new(PROGRAM, &flags, &["main", "worker1", "worker2", "worker3"]);
    run.print_live_header();
    let (job_sender, job_receiver) = bounded::<usize>(2);
    let closed = AtomicBool::new(false); // tells the replay the queue is closed
    // TODO: a square alone does not say which job it belongs to.
    let (result_sender, result_receiver) = unbounded::<usize>();
    thread::scope(|scope| {
        let (run, closed) = (&run, &closed);
        scope.spawn(move || {
            run.actor("main", |me| {
                for n in 0..JOBS {
                    me.step_when(
                        "send",
                        || !job_sender.is_full(),
                        || {
                            job_sender.send(n).expect("the workers hold the receiver");
                            n
                        },
                    );
                }
                me.action("close queue", || {
                    drop(job_sender);
                    closed.store(true, Ordering::SeqCst);
                });
            })
        });
        for name in ["worker1", "worker2", "worker3"] {
            let (jobs, results) = (job_receiver.clone(), result_sender.clone());
            scope.spawn(move || {
                run.actor(name, |me| {
                    loop {
                        let ready = || !jobs.is_empty() || closed.load(Ordering::SeqCst);
                        let taken = me.step_when("take", ready, || match jobs.recv() {
                            Ok(n) => Taken::Job(n),
                            Err(_) => Taken::Closed,
                        });
                        let Taken::Job(n) = taken else { break };
                        me.sleep(Duration::from_millis(5 * (n as u64 % 3))); // some jobs take longer
                        me.step("square", || {
                            let square = n * n;
                            results.send(square).expect("main holds the receiver");
                            square
                        });
                    }
                })
            });
        }
    });
    drop(result_sender);
    run.finish();
    // TODO: these are in the order the workers finished, not the order of the jobs.
    let squares: Vec<usize> = result_receiver.iter().collect();
    for (n, square) in squares.iter().enumerate() {
        println!("result {n}: {square}");
    }
}
