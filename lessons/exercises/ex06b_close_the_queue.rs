//! Exercise 06b, close the queue. Main sends the jobs 0 to 7 into a bounded queue and three
//! workers square them, but nobody ever closes the queue: when the jobs run out the workers wait
//! for more forever. A replay reports them deadlocked, and a live run never ends. Close the queue
//! once every job is sent, so that each worker finishes what is queued, sees the queue closed and
//! empty, and stops. Every replay must end with every thread finished, and all eight results
//! (`result 0: 0` to `result 7: 49`) must be printed, live too.
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

const PROGRAM: &str = "ex06b --manifest-path lessons/Cargo.toml";

fn main() {
    let flags = Cli::new(PROGRAM, "exercise 06b: close the queue").parse();
    let run = Run::new(PROGRAM, &flags, &["main", "worker1", "worker2", "worker3"]);
    run.print_live_header();
    let (job_sender, job_receiver) = bounded::<usize>(2);
    let closed = AtomicBool::new(false); // tells the replay the queue is closed
    // Each result carries its job's index: (n, square).
    let (result_sender, result_receiver) = unbounded::<(usize, usize)>();
    thread::scope(|scope| {
        let (run, closed, job_sender) = (&run, &closed, &job_sender);
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
                // TODO: every job is sent; the workers should learn that no more will come.
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
                            results.send((n, square)).expect("main holds the receiver");
                            square
                        });
                    }
                })
            });
        }
    });
    drop(result_sender);
    run.finish();
    // The index puts each square in its job's place, whoever finished first.
    let mut squares = [0; JOBS];
    for (n, square) in result_receiver {
        squares[n] = square;
    }
    for (n, square) in squares.iter().enumerate() {
        println!("result {n}: {square}");
    }
}
