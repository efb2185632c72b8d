//! lesson09 part 3, on a real Redis (built with `--features redis`). Each test starts its own
//! `redis-server` on a free loopback port, in a temporary directory, with the append-only file
//! on, and stops it when the test ends, passed or failed. Without `redis-server` on the PATH the
//! tests that need one print why they are skipped. The faults are real: a worker process killed
//! with SIGKILL mid-job, Redis killed and restarted mid-run, payloads that are not jobs.
#![cfg(feature = "redis")]

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{assert_rejected, par_map, run, stdout_of};

const LESSON: &str = env!("CARGO_BIN_EXE_lesson09");

/// A `redis-server` of this test: killed (and its directory removed) on drop.
struct Server {
    child: Option<Child>,
    dir: tempfile::TempDir,
    port: u16,
}

impl Server {
    /// Starts one, or says why the test is skipped.
    fn start(test: &str) -> Option<Server> {
        let found = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status();
        if !found.is_ok_and(|status| status.success()) {
            println!(
                "skipped {test}: redis-server is not installed (apt-get install redis-server)"
            );
            return None;
        }
        let port = free_port();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut server = Server {
            child: None,
            dir,
            port,
        };
        server.spawn();
        Some(server)
    }

    fn spawn(&mut self) {
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .spawn()
            .expect("start redis-server");
        self.child = Some(child);
        let start = Instant::now();
        while self.connection().is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server did not answer on port {} within 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kills Redis with SIGKILL and starts it again on the same port and directory: what was
    /// acknowledged is in the append-only file (fsync always).
    fn crash_and_restart(&mut self) {
        self.stop();
        self.spawn();
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn connection(&self) -> Option<redis::Connection> {
        let client = redis::Client::open(self.url()).ok()?;
        let mut connection = client
            .get_connection_with_timeout(Duration::from_millis(500))
            .ok()?;
        redis::cmd("PING").query::<String>(&mut connection).ok()?;
        Some(connection)
    }

    /// A number the lesson keeps under `prefix` (an `LLEN`, `HLEN` or counter).
    fn number(&self, command: &str, key: &str) -> usize {
        let mut connection = self.answering();
        let value: Option<usize> = redis::cmd(command)
            .arg(key)
            .query(&mut connection)
            .expect("a number");
        value.unwrap_or(0)
    }

    /// A connection, retried for up to 10 s: a busy machine can make one connection miss its
    /// 500 ms.
    fn answering(&self) -> redis::Connection {
        let started = Instant::now();
        loop {
            match self.connection() {
                Some(connection) => return connection,
                None if started.elapsed() < Duration::from_secs(10) => {
                    std::thread::sleep(Duration::from_millis(100))
                }
                None => panic!("Redis does not answer for 10 s"),
            }
        }
    }

    /// Jobs in every processing list of `prefix`.
    fn processing(&self, prefix: &str) -> usize {
        let mut connection = self.answering();
        let lists: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}:processing:*"))
            .query(&mut connection)
            .unwrap();
        lists.iter().map(|list| self.number("LLEN", list)).sum()
    }

    /// Done plus failed, under `prefix`.
    fn settled(&self, prefix: &str) -> usize {
        self.number("HLEN", &format!("{prefix}:done"))
            + self.number("HLEN", &format!("{prefix}:failed"))
    }

    /// Waits until `settled` reaches `jobs` with nothing processing, within `limit`.
    fn wait_settled(&self, prefix: &str, jobs: usize, limit: Duration) {
        let start = Instant::now();
        while self.settled(prefix) < jobs || self.processing(prefix) > 0 {
            assert!(
                start.elapsed() < limit,
                "only {} of {jobs} jobs settled, {} processing, after {limit:?}",
                self.settled(prefix),
                self.processing(prefix)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port nobody listens on (right now).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    listener.local_addr().unwrap().port()
}

/// A worker process of the lesson; killed on drop if still running.
struct Worker(Child);

impl Worker {
    fn start(url: &str, prefix: &str, name: &str) -> Worker {
        let child = Command::new(LESSON)
            .args(["worker", "--redis", url, "--prefix", prefix, "--name", name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a worker");
        Worker(child)
    }

    /// Waits for the worker to exit by itself (after `stop` is set), within 10 s.
    fn finish(mut self) -> bool {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(status)) = self.0.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn set_stop(server: &Server, prefix: &str) {
    let mut connection = server.connection().unwrap();
    redis::cmd("SET")
        .arg(format!("{prefix}:stop"))
        .arg(1)
        .query::<()>(&mut connection)
        .unwrap();
}

#[test]
fn the_demonstration_accounts_for_every_job_and_measures_both_ways() {
    let Some(server) = Server::start("the_demonstration_accounts_for_every_job") else {
        return;
    };
    // Two classes on one Redis at once, with different prefixes: neither sees the other.
    let outs = par_map(vec!["class-a", "class-b"], |prefix| {
        stdout_of(
            LESSON,
            &["--redis", &server.url(), "--jobs", "100", "--workers", "3"]
                .iter()
                .copied()
                .chain(["--prefix", prefix])
                .collect::<Vec<_>>(),
        )
    });
    for out in &outs {
        assert!(
            out.contains("processing 0, done 96, failed 4"),
            "the seeded failures of 100 jobs: {out}"
        );
        assert!(
            out.contains(
                "every job accounted for exactly once (done or failed), nothing left processing: yes"
            ),
            "{out}"
        );
        assert!(
            out.contains("in one process (threads, channels): 1000 jobs"),
            "{out}"
        );
        assert!(
            out.contains("through Redis (processes, round trips): 1000 jobs"),
            "{out}"
        );
        // The chapter's claim: per job, a queue outside the process costs round trips. The
        // margin is wide (a few microseconds a job against about ten round trips).
        let rate = |label: &str| -> f64 {
            let line = out.lines().find(|line| line.contains(label)).unwrap();
            let words: Vec<&str> = line.split_whitespace().collect();
            let per = words.iter().rposition(|word| *word == "jobs").unwrap();
            words[per - 1].parse().unwrap()
        };
        let (threads, through_redis) = (rate("in one process"), rate("through Redis"));
        assert!(
            threads > 5.0 * through_redis,
            "in one process {threads} jobs/s, through Redis {through_redis}: {out}"
        );
    }
    // Nothing of a run is outside its prefix.
    let mut connection = server.connection().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut connection).unwrap();
    assert!(
        keys.iter()
            .all(|key| key.starts_with("class-a:") || key.starts_with("class-b:")),
        "{keys:?}"
    );
    // rq's requeue: the failed jobs go back to the queue, and `counts` shows it.
    let url = server.url();
    let counts = stdout_of(LESSON, &["counts", "--redis", &url, "--prefix", "class-a"]);
    assert!(counts.contains("failed 4"), "{counts}");
    let requeued = stdout_of(LESSON, &["requeue", "--redis", &url, "--prefix", "class-a"]);
    assert_eq!(requeued, "requeued 4 failed jobs\n");
    let counts = stdout_of(LESSON, &["counts", "--redis", &url, "--prefix", "class-a"]);
    assert!(
        counts.starts_with("queued 4,") && counts.contains("failed 0"),
        "{counts}"
    );
    let deterministic: String = outs[0]
        .lines()
        .take(3)
        .map(|line| {
            // A job run twice counts twice in completions (a busy machine can let a heartbeat
            // expire); the snapshot keeps what every run shares.
            let line = line.replace(&url, "redis://127.0.0.1:PORT");
            let line = match line.split_once(" (") {
                Some((counts, _)) if line.contains("completions recorded") => counts.to_string(),
                _ => line,
            };
            format!("{line}\n")
        })
        .collect();
    snapshot!("lesson09_redis_run", deterministic);
}

#[test]
fn a_worker_killed_mid_job_loses_nothing() {
    let Some(server) = Server::start("a_worker_killed_mid_job_loses_nothing") else {
        return;
    };
    let (url, prefix) = (server.url(), "kill");
    let jobs = 60;
    stdout_of(
        LESSON,
        &[
            "enqueue",
            "--redis",
            &url,
            "--prefix",
            prefix,
            "--jobs",
            "60",
            "--latency-ms",
            "20",
        ],
    );
    let mut doomed = Worker::start(&url, prefix, "doomed");
    let survivor = Worker::start(&url, prefix, "survivor");
    // Kill the doomed worker the moment it holds a job (between BLMOVE and LREM).
    let start = Instant::now();
    while server.number("LLEN", &format!("{prefix}:processing:doomed")) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "doomed never took a job"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    doomed.0.kill().expect("SIGKILL the worker");
    doomed.0.wait().unwrap();
    server.wait_settled(prefix, jobs, Duration::from_secs(20));
    assert!(
        server.number("GET", &format!("{prefix}:given_back")) >= 1,
        "the dead worker's job was put back by the survivor's reaper"
    );
    assert_eq!(
        server.processing(prefix),
        0,
        "nothing left in a processing list"
    );
    // Idempotent: a job that ran twice is still done once; completions may count it twice.
    let done = server.number("HLEN", &format!("{prefix}:done"));
    assert!(server.number("GET", &format!("{prefix}:completions")) >= done);
    assert_eq!(server.settled(prefix), jobs);
    set_stop(&server, prefix);
    assert!(survivor.finish(), "the survivor stops when told");
}

#[test]
fn redis_restarted_mid_run_loses_nothing() {
    let Some(mut server) = Server::start("redis_restarted_mid_run_loses_nothing") else {
        return;
    };
    let (url, prefix) = (server.url(), "restart");
    let jobs = 80;
    stdout_of(
        LESSON,
        &[
            "enqueue",
            "--redis",
            &url,
            "--prefix",
            prefix,
            "--jobs",
            "80",
            "--latency-ms",
            "10",
        ],
    );
    let workers = [
        Worker::start(&url, prefix, "w1"),
        Worker::start(&url, prefix, "w2"),
    ];
    let start = Instant::now();
    while server.settled(prefix) < 15 {
        assert!(start.elapsed() < Duration::from_secs(10), "no progress");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.crash_and_restart();
    let during = server.settled(prefix);
    assert!(during < jobs, "the restart came too late to test anything");
    // The workers reconnect with backoff and finish; the append-only file kept every job.
    server.wait_settled(prefix, jobs, Duration::from_secs(30));
    assert_eq!(server.settled(prefix), jobs);
    set_stop(&server, prefix);
    for worker in workers {
        assert!(worker.finish(), "a worker stops when told");
    }
}

#[test]
fn payloads_that_are_not_jobs_go_to_the_failed_list() {
    let Some(server) = Server::start("payloads_that_are_not_jobs_go_to_the_failed_list") else {
        return;
    };
    let (url, prefix) = (server.url(), "bad");
    stdout_of(
        LESSON,
        &[
            "enqueue", "--redis", &url, "--prefix", prefix, "--jobs", "5",
        ],
    );
    let mut connection = server.connection().unwrap();
    let queue = format!("{prefix}:queue");
    let bad: Vec<Vec<u8>> = vec![
        vec![b'x'; 100_000],
        vec![0xff, 0xfe, 0x00],
        b"{not json".to_vec(),
        br#"{"id":999,"attempt":0}"#.to_vec(),
    ];
    for payload in &bad {
        redis::cmd("LPUSH")
            .arg(&queue)
            .arg(payload.as_slice())
            .query::<()>(&mut connection)
            .unwrap();
    }
    let worker = Worker::start(&url, prefix, "w1");
    server.wait_settled(prefix, 5 + bad.len(), Duration::from_secs(20));
    let failed: Vec<String> = redis::cmd("HVALS")
        .arg(format!("{prefix}:failed"))
        .query(&mut connection)
        .unwrap();
    for reason in [
        "more than 4096",
        "not UTF-8",
        "not JSON",
        "not a job of this run",
    ] {
        assert!(
            failed.iter().any(|why| why.contains(reason)),
            "{reason}: {failed:?}"
        );
    }
    assert_eq!(server.number("HLEN", &format!("{prefix}:done")), 5);
    set_stop(&server, prefix);
    assert!(
        worker.finish(),
        "the worker survived the bad payloads and stops when told"
    );
}

#[test]
fn bad_input_is_one_clear_line() {
    let no_server = format!("redis://127.0.0.1:{}", free_port());
    let cases: Vec<Vec<String>> = [
        vec!["--redis", "redis://10.1.2.3:6379"],
        vec!["worker", "--redis", "redis://192.0.2.1"],
        vec!["--redis", "http://127.0.0.1:6379"],
        vec!["--redis"],
        vec!["counts"],
        vec!["--redis", "redis://127.0.0.1:6379", "--jobs", "0"],
        vec!["--redis", "redis://127.0.0.1:6379", "--prefix", "a b"],
        vec!["--redis", "redis://127.0.0.1:6379", "--bogus"],
        vec!["counts", "--redis", &no_server],
        vec!["worker", "--redis", &no_server],
        vec!["--redis", &no_server, "--jobs", "5"],
    ]
    .iter()
    .map(|case| case.iter().map(|word| word.to_string()).collect())
    .collect();
    par_map(cases, |case| {
        let args: Vec<&str> = case.iter().map(String::as_str).collect();
        let start = Instant::now();
        let finished = run(LESSON, &args);
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{args:?} took too long"
        );
        assert_eq!(finished.code, Some(2), "{args:?}: {}", finished.stderr);
        let first = finished.stderr.lines().next().unwrap_or("");
        assert!(
            first.starts_with("error: "),
            "{args:?}: {}",
            finished.stderr
        );
        assert!(!finished.stderr.contains("panicked"), "{}", finished.stderr);
        if args.contains(&"redis://10.1.2.3:6379") {
            assert!(first.contains("--allow-remote"), "{first}");
        }
        if args.contains(&no_server.as_str()) {
            assert!(first.contains("no Redis answers at"), "{first}");
        }
    });
    assert_rejected(LESSON, &["--redis", "redis://10.1.2.3:6379"]);
}

#[test]
fn help_of_the_redis_part() {
    let out = stdout_of(LESSON, &["worker", "--help"]);
    for word in [
        "worker",
        "enqueue",
        "counts",
        "requeue",
        "--prefix",
        "--allow-remote",
    ] {
        assert!(out.contains(word), "{word}: {out}");
    }
    assert!(Path::new(LESSON).exists());
}

#[test]
fn a_worker_restarted_under_its_name_takes_back_its_job() {
    let Some(server) = Server::start("a_worker_restarted_under_its_name_takes_back_its_job") else {
        return;
    };
    let (url, prefix) = (server.url(), "same-name");
    stdout_of(
        LESSON,
        &[
            "enqueue",
            "--redis",
            &url,
            "--prefix",
            prefix,
            "--jobs",
            "20",
            "--latency-ms",
            "20",
        ],
    );
    // The only worker dies holding a job and is started again at once under the same name (as
    // a supervisor would): its heartbeat is still alive, so no reaper takes the job back; the
    // new process must, from its own processing list.
    let mut first = Worker::start(&url, prefix, "w1");
    let start = Instant::now();
    while server.number("LLEN", &format!("{prefix}:processing:w1")) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "w1 never took a job"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    let again = Worker::start(&url, prefix, "w1");
    server.wait_settled(prefix, 20, Duration::from_secs(20));
    assert!(server.number("GET", &format!("{prefix}:given_back")) >= 1);
    set_stop(&server, prefix);
    assert!(again.finish());
}

#[test]
fn a_job_run_twice_is_done_once() {
    let Some(server) = Server::start("a_job_run_twice_is_done_once") else {
        return;
    };
    let (url, prefix) = (server.url(), "twice");
    stdout_of(
        LESSON,
        &[
            "enqueue", "--redis", &url, "--prefix", prefix, "--jobs", "8",
        ],
    );
    let mut connection = server.connection().unwrap();
    let key = |name: &str| format!("{prefix}:{name}");
    // Job 3 was done by "ghost", which died after recording it and before its LREM: the job is
    // still in its processing list, and its heartbeat is gone.
    redis::cmd("HSET")
        .arg(key("done"))
        .arg(3)
        .arg("ghost")
        .query::<()>(&mut connection)
        .unwrap();
    redis::cmd("LREM")
        .arg(key("queue"))
        .arg(0)
        .arg(r#"{"id":3,"attempt":0}"#)
        .query::<()>(&mut connection)
        .unwrap();
    redis::cmd("LPUSH")
        .arg(key("processing:ghost"))
        .arg(r#"{"id":3,"attempt":0}"#)
        .query::<()>(&mut connection)
        .unwrap();
    redis::cmd("SADD")
        .arg(key("workers"))
        .arg("ghost")
        .query::<()>(&mut connection)
        .unwrap();
    let worker = Worker::start(&url, prefix, "w1");
    server.wait_settled(prefix, 8, Duration::from_secs(20));
    // The reaper gave job 3 back and it ran again; done still holds it once, with the first
    // result, and the completions show the second run (8 jobs of part 2's cast: job 6 always
    // fails, so 6 completions plus job 3's second).
    let start = Instant::now();
    while server.number("GET", &key("completions")) < 7 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "job 3 never ran again"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let who: String = redis::cmd("HGET")
        .arg(key("done"))
        .arg(3)
        .query(&mut connection)
        .unwrap();
    assert_eq!(who, "ghost", "the first result stays");
    assert_eq!(server.number("HLEN", &key("done")), 7);
    assert_eq!(server.number("HLEN", &key("failed")), 1);
    assert_eq!(server.number("GET", &key("given_back")), 1);
    set_stop(&server, prefix);
    assert!(worker.finish());
}

#[test]
fn the_demonstrations_workers_stop_when_it_is_killed() {
    let Some(server) = Server::start("the_demonstrations_workers_stop_when_it_is_killed") else {
        return;
    };
    let url = server.url();
    let mut demonstration = Command::new(LESSON)
        .args(["--redis", &url, "--prefix", "orphans", "--jobs", "5000"])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let heartbeats = || -> usize {
        let mut connection = server.connection().unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg("orphans:heartbeat:*")
            .query(&mut connection)
            .unwrap();
        keys.len()
    };
    let start = Instant::now();
    while heartbeats() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no worker started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    demonstration.kill().unwrap(); // SIGKILL: it cannot stop its workers itself
    demonstration.wait().unwrap();
    // The workers see their parent gone and stop: their heartbeats (1.5 s) run out.
    let start = Instant::now();
    while heartbeats() > 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the workers of a killed demonstration kept running"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
