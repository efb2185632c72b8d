//! Part 3 of lesson 9: the same jobs through a real Redis, with worker processes.
//!
//! The reliable-queue pattern: a worker moves a job atomically from the queue to its own
//! processing list (`BLMOVE`), records how it went, then removes it from that list. A failed job
//! with retries left goes to a sorted set of scheduled retries (score: when it is due), which
//! every worker moves back into the queue when due; past its last retry it goes to the failed
//! hash with its error. Each worker keeps a heartbeat key with a time to live; a worker whose
//! heartbeat has expired is dead, and any other worker puts its processing list back in the
//! queue. Recording "done" is idempotent (`HSETNX`), so a job run twice (its worker was killed
//! after the work and before the `LREM`) is still done once.
//!
//! The client is the `redis` crate's synchronous API: the workers are plain blocking loops, one
//! connection each, so an async runtime would only add build time.

use std::net::{IpAddr, ToSocketAddrs};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redis::{Connection, RedisResult};

use super::{Download, MAX_RETRIES, RETRY_INTERVALS, download, make_downloads};

const SUBCOMMANDS: [&str; 4] = ["worker", "enqueue", "counts", "requeue"];
/// A heartbeat lives this long; a worker refreshes it before every job.
const HEARTBEAT: Duration = Duration::from_millis(1500);
/// The largest payload a worker accepts.
const MAX_PAYLOAD: usize = 4096;

/// True when the command line asks for the Redis part.
pub fn wanted() -> bool {
    let args: Vec<String> = std::env::args().skip(1).collect();
    args.iter()
        .any(|arg| arg == "--redis" || arg.starts_with("--redis="))
        || args
            .first()
            .is_some_and(|first| SUBCOMMANDS.contains(&first.as_str()))
}

/// The Redis part's command line.
struct Args {
    command: String,
    url: String,
    prefix: String,
    jobs: usize,
    workers: usize,
    latency_ms: u64,
    name: String,
    /// Stop when the parent process is gone (the demonstration's own workers).
    with_parent: bool,
}

fn refuse(message: impl std::fmt::Display) -> ! {
    eprintln!("error: {message}");
    eprintln!("Try `cargo run --features redis --bin lesson09 -- --help` for the flags.");
    workbook::cleanup::exit(2);
}

fn help() {
    println!(
        "lesson09 part 3: the job queue on a real Redis\n\n\
         Usage: cargo run --features redis --bin lesson09 -- [COMMAND] --redis URL [OPTIONS]\n\n\
         Commands (none: run the whole demonstration, workers included):\n\
         \x20 worker    run one worker process (start several, in other terminals or machines)\n\
         \x20 enqueue   start a fresh run of --jobs N jobs (removes the prefix's old keys)\n\
         \x20 counts    show queued, scheduled, processing, done and failed\n\
         \x20 requeue   put every failed job back in the queue (rq's requeue)\n\n\
         Options:\n\
         \x20 --redis URL      redis://127.0.0.1:PORT (loopback only, unless --allow-remote)\n\
         \x20 --allow-remote   accept a URL that is not loopback (a classroom's shared Redis)\n\
         \x20 --prefix NAME    key prefix, so two classes on one Redis never mix (default lesson09)\n\
         \x20 --jobs N         jobs (1..=100000, default 200)\n\
         \x20 --workers N      worker processes of the demonstration (1..=32, default 4)\n\
         \x20 --latency-ms N   enqueue: mean latency of a job (1..=1000, default 4)\n\
         \x20 --name NAME      the worker's name (default worker-PID)\n"
    );
    workbook::cleanup::exit(0);
}

fn parse() -> Args {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let command = match args.first() {
        Some(first) if SUBCOMMANDS.contains(&first.as_str()) => args.remove(0),
        _ => "run".to_string(),
    };
    let mut parsed = Args {
        command,
        url: String::new(),
        prefix: "lesson09".into(),
        jobs: 200,
        workers: 4,
        latency_ms: 4,
        with_parent: false,
        name: format!("worker-{}", std::process::id()),
    };
    let mut allow_remote = false;
    let mut words = args.into_iter();
    while let Some(word) = words.next() {
        let (flag, inline) = match word.split_once('=') {
            Some((flag, value)) => (flag.to_string(), Some(value.to_string())),
            None => (word.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| words.next())
                .unwrap_or_else(|| refuse(format!("{flag} needs a value")))
        };
        let number = |text: String, range: std::ops::RangeInclusive<usize>| match text.parse() {
            Ok(n) if range.contains(&n) => n,
            _ => refuse(format!(
                "{flag} must be a whole number from {} to {}, not {text:?}",
                range.start(),
                range.end()
            )),
        };
        match flag.as_str() {
            "-h" | "--help" => help(),
            "--redis" => parsed.url = value(),
            "--allow-remote" => allow_remote = true,
            "--prefix" => parsed.prefix = value(),
            "--name" => parsed.name = value(),
            "--with-parent" => parsed.with_parent = true,
            "--jobs" => parsed.jobs = number(value(), 1..=100_000),
            "--workers" => parsed.workers = number(value(), 1..=32),
            "--latency-ms" => parsed.latency_ms = number(value(), 1..=1000) as u64,
            other => refuse(format!("unknown flag or argument {other:?}")),
        }
    }
    if parsed.url.is_empty() {
        refuse("the Redis part needs --redis URL, e.g. --redis redis://127.0.0.1:6379");
    }
    let prefix_ok = !parsed.prefix.is_empty()
        && parsed.prefix.len() <= 64
        && (parsed.prefix.chars()).all(|c| c.is_ascii_alphanumeric() || "-_:".contains(c));
    if !prefix_ok {
        refuse("--prefix takes 1 to 64 letters, digits, -, _ or :");
    }
    check_loopback(&parsed.url, allow_remote);
    parsed
}

/// Refuses a URL whose host is not loopback, unless the user said `--allow-remote`.
fn check_loopback(url: &str, allow_remote: bool) {
    let Some(rest) = url.strip_prefix("redis://") else {
        refuse(format!(
            "--redis takes a URL like redis://127.0.0.1:6379, not {url:?}"
        ));
    };
    let host_port = rest.split('/').next().unwrap_or("");
    let host_port = host_port.rsplit('@').next().unwrap_or("");
    let with_port = if host_port.contains(':') {
        host_port.to_string()
    } else {
        format!("{host_port}:6379")
    };
    let addresses: Vec<IpAddr> = match with_port.to_socket_addrs() {
        Ok(found) => found.map(|address| address.ip()).collect(),
        Err(error) => refuse(format!("cannot read the host of {url:?}: {error}")),
    };
    let loopback = !addresses.is_empty() && addresses.iter().all(IpAddr::is_loopback);
    if !loopback && !allow_remote {
        refuse(format!(
            "{url} is not a loopback address: add --allow-remote if you mean to use a Redis on \
             another machine"
        ));
    }
}

/// Connects, or says in one line why not (never hangs: 2 s at most).
fn connect(url: &str) -> RedisResult<Connection> {
    let client = redis::Client::open(url)?;
    let connection = client.get_connection_with_timeout(Duration::from_secs(2))?;
    connection.set_read_timeout(Some(Duration::from_secs(5)))?;
    Ok(connection)
}

fn connect_or_exit(url: &str) -> Connection {
    connect(url).unwrap_or_else(|error| {
        eprintln!("error: no Redis answers at {url}: {error}");
        workbook::cleanup::exit(2);
    })
}

/// The keys of one run, all under the prefix.
struct Keys(String);

impl Keys {
    fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.0)
    }
}

pub fn main() {
    let args = parse();
    let keys = Keys(args.prefix.clone());
    match args.command.as_str() {
        "worker" => worker(&args, &keys),
        "enqueue" => {
            let mut redis = connect_or_exit(&args.url);
            enqueue(&mut redis, &keys, args.jobs, args.latency_ms * 1000)
                .unwrap_or_else(|e| fail(e));
            println!("enqueued {} jobs under {}:", args.jobs, args.prefix);
        }
        "counts" => {
            let mut redis = connect_or_exit(&args.url);
            let counts = counts(&mut redis, &keys).unwrap_or_else(|e| fail(e));
            println!("{counts}");
        }
        "requeue" => {
            let mut redis = connect_or_exit(&args.url);
            let moved = requeue(&mut redis, &keys).unwrap_or_else(|e| fail(e));
            println!("requeued {moved} failed jobs");
        }
        _ => demonstration(&args, &keys),
    }
}

fn fail(error: redis::RedisError) -> ! {
    eprintln!("error: Redis: {error}");
    workbook::cleanup::exit(1);
}

/// The payload of a job: `{"id":3,"attempt":0}`.
fn payload(id: usize, attempt: u32) -> String {
    format!("{{\"id\":{id},\"attempt\":{attempt}}}")
}

/// Reads a payload, or says why it is not one.
fn parse_payload(bytes: &[u8], jobs: usize) -> Result<(usize, u32), String> {
    if bytes.len() > MAX_PAYLOAD {
        return Err(format!(
            "payload of {} bytes, more than {MAX_PAYLOAD}",
            bytes.len()
        ));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "payload is not UTF-8".to_string())?;
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|error| format!("payload is not JSON: {error}"))?;
    let id = json["id"].as_u64().filter(|&id| (id as usize) < jobs);
    let attempt = json["attempt"]
        .as_u64()
        .filter(|&a| a <= u64::from(MAX_RETRIES));
    match (id, attempt) {
        (Some(id), Some(attempt)) => Ok((id as usize, attempt as u32)),
        _ => Err(format!("payload is not a job of this run: {text}")),
    }
}

/// Empties the run's keys and puts `jobs` jobs in the queue; `mean_micros` 0 makes jobs that
/// do nothing and always work (to measure the queue itself).
fn enqueue(redis: &mut Connection, keys: &Keys, jobs: usize, mean_micros: u64) -> RedisResult<()> {
    let old: Vec<String> = redis::cmd("KEYS").arg(keys.key("*")).query(redis)?;
    if !old.is_empty() {
        redis::cmd("DEL").arg(&old).query::<()>(redis)?;
    }
    redis::cmd("SET")
        .arg(keys.key("spec"))
        .arg(format!("{jobs} {mean_micros}"))
        .query::<()>(redis)?;
    let payloads: Vec<String> = (0..jobs).map(|id| payload(id, 0)).collect();
    for chunk in payloads.chunks(1000) {
        redis::cmd("LPUSH")
            .arg(keys.key("queue"))
            .arg(chunk)
            .query::<()>(redis)?;
    }
    Ok(())
}

/// The jobs of the run, as the coordinator enqueued them.
fn downloads(redis: &mut Connection, keys: &Keys) -> RedisResult<Vec<Download>> {
    let spec: Option<String> = redis::cmd("GET").arg(keys.key("spec")).query(redis)?;
    let mut words = spec.as_deref().unwrap_or("0 0").split(' ');
    let jobs: usize = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    let mean: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
    Ok(if mean == 0 {
        vec![
            Download {
                latency: Duration::ZERO,
                failures: 0
            };
            jobs
        ]
    } else {
        make_downloads(jobs, Duration::from_micros(mean))
    })
}

/// Counts of the run's jobs.
struct Counts {
    queued: usize,
    scheduled: usize,
    processing: usize,
    done: usize,
    failed: usize,
    completions: usize,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "queued {}, retry scheduled {}, processing {}, done {}, failed {} ({} completions recorded)",
            self.queued, self.scheduled, self.processing, self.done, self.failed, self.completions
        )
    }
}

fn counts(redis: &mut Connection, keys: &Keys) -> RedisResult<Counts> {
    let lists: Vec<String> = redis::cmd("KEYS")
        .arg(keys.key("processing:*"))
        .query(redis)?;
    let mut processing = 0;
    for list in lists {
        processing += redis::cmd("LLEN").arg(list).query::<usize>(redis)?;
    }
    Ok(Counts {
        queued: redis::cmd("LLEN").arg(keys.key("queue")).query(redis)?,
        scheduled: redis::cmd("ZCARD")
            .arg(keys.key("scheduled"))
            .query(redis)?,
        processing,
        done: redis::cmd("HLEN").arg(keys.key("done")).query(redis)?,
        failed: redis::cmd("HLEN").arg(keys.key("failed")).query(redis)?,
        completions: redis::cmd("GET")
            .arg(keys.key("completions"))
            .query::<Option<usize>>(redis)?
            .unwrap_or(0),
    })
}

/// Moves every failed job back to the queue as a fresh job.
fn requeue(redis: &mut Connection, keys: &Keys) -> RedisResult<usize> {
    let failed: Vec<String> = redis::cmd("HKEYS").arg(keys.key("failed")).query(redis)?;
    let mut moved = 0;
    for id in failed {
        let Ok(number) = id.parse::<usize>() else {
            continue; // a bad payload has no job to run again
        };
        let removed: usize = redis::cmd("HDEL")
            .arg(keys.key("failed"))
            .arg(&id)
            .query(redis)?;
        if removed == 1 {
            redis::cmd("LPUSH")
                .arg(keys.key("queue"))
                .arg(payload(number, 0))
                .query::<()>(redis)?;
            moved += 1;
        }
    }
    Ok(moved)
}

/// Milliseconds since the Unix epoch: the score of a scheduled retry.
fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

/// A worker process: reconnects with backoff when Redis goes away, stops when the run's `stop`
/// key is set.
fn worker(args: &Args, keys: &Keys) {
    let parent = args.with_parent.then(parent_id);
    let mut backoff = Duration::from_millis(50);
    let mut down_since: Option<Instant> = None;
    // A wrong URL fails at once, in one line; a Redis that goes away later is waited for.
    let mut first = Some(connect_or_exit(&args.url));
    loop {
        let error = match first.take().map_or_else(|| connect(&args.url), Ok) {
            Ok(mut redis) => {
                // Connected: the next outage starts its own count and backoff.
                (down_since, backoff) = (None, Duration::from_millis(50));
                match work(&mut redis, keys, &args.name, parent) {
                    Ok(()) => return,
                    Err(error) => error,
                }
            }
            Err(error) => error,
        };
        if down_since.is_none() {
            eprintln!(
                "{}: lost Redis ({error}); reconnecting for up to 30 s",
                args.name
            );
        }
        let since = *down_since.get_or_insert_with(Instant::now);
        if since.elapsed() > Duration::from_secs(30) {
            eprintln!("error: {}: Redis unreachable for 30 s: {error}", args.name);
            workbook::cleanup::exit(1);
        }
        std::thread::sleep(backoff);
        backoff = (backoff * 2).min(Duration::from_secs(1));
    }
}

/// The process that started this one (a worker started by the demonstration stops when the
/// demonstration is gone, even if it was killed and could not say so).
fn parent_id() -> u32 {
    #[cfg(unix)]
    return std::os::unix::process::parent_id();
    #[cfg(not(unix))]
    return 0;
}

// ANCHOR: redis_worker
/// One connection's worth of work: returns `Ok` when told to stop (or when the process that
/// started it, `parent`, is gone), `Err` when Redis fails.
fn work(redis: &mut Connection, keys: &Keys, name: &str, parent: Option<u32>) -> RedisResult<()> {
    let processing = keys.key(&format!("processing:{name}"));
    let downloads = downloads(redis, keys)?;
    redis::cmd("SADD")
        .arg(keys.key("workers"))
        .arg(name)
        .query::<()>(redis)?;
    // A job still in this worker's list was held when the connection broke: put it back.
    give_back(redis, keys, &processing)?;
    loop {
        let heartbeat = keys.key(&format!("heartbeat:{name}"));
        redis::cmd("SET")
            .arg(&heartbeat)
            .arg(1)
            .arg("PX")
            .arg(HEARTBEAT.as_millis() as u64)
            .query::<()>(redis)?;
        promote_due_retries(redis, keys)?;
        reap_dead_workers(redis, keys, name)?;
        if parent.is_some_and(|parent| parent != parent_id()) {
            return Ok(()); // the demonstration that started this worker is gone
        }
        if redis::cmd("EXISTS")
            .arg(keys.key("stop"))
            .query::<bool>(redis)?
        {
            return Ok(());
        }
        // Atomically: take the oldest job and put it in this worker's processing list.
        let taken: Option<Vec<u8>> = redis::cmd("BLMOVE")
            .arg(keys.key("queue"))
            .arg(&processing)
            .arg("RIGHT")
            .arg("LEFT")
            .arg(0.2)
            .query(redis)?;
        let Some(bytes) = taken else { continue };
        match parse_payload(&bytes, downloads.len()) {
            Err(why) => {
                let number: u64 = redis::cmd("INCR").arg(keys.key("bad")).query(redis)?;
                let id = format!("bad:{number}");
                redis::cmd("HSET")
                    .arg(keys.key("failed"))
                    .arg(id)
                    .arg(why)
                    .query::<()>(redis)?;
            }
            Ok((id, attempt)) => match download(&downloads[id], attempt) {
                Ok(_) => {
                    // Idempotent: a job run twice is still done once.
                    redis::cmd("HSETNX")
                        .arg(keys.key("done"))
                        .arg(id)
                        .arg(name)
                        .query::<()>(redis)?;
                    redis::cmd("INCR")
                        .arg(keys.key("completions"))
                        .query::<()>(redis)?;
                }
                Err(why) if attempt < MAX_RETRIES => {
                    let due = now_millis() + RETRY_INTERVALS[attempt as usize].as_millis() as u64;
                    let retry = payload(id, attempt + 1);
                    let _ = why; // rq keeps it in the job's history; here the last one is kept
                    redis::cmd("ZADD")
                        .arg(keys.key("scheduled"))
                        .arg(due)
                        .arg(retry)
                        .query::<()>(redis)?;
                }
                Err(why) => {
                    let reason = format!("{} attempts, last error: {why}", attempt + 1);
                    redis::cmd("HSET")
                        .arg(keys.key("failed"))
                        .arg(id)
                        .arg(reason)
                        .query::<()>(redis)?;
                }
            },
        }
        // Only now is the job out of this worker's hands.
        redis::cmd("LREM")
            .arg(&processing)
            .arg(1)
            .arg(&bytes)
            .query::<()>(redis)?;
    }
}
// ANCHOR_END: redis_worker

/// Moves each retry whose time has come from the scheduled set to the queue; `ZREM` decides
/// which worker moves it when several try at once.
fn promote_due_retries(redis: &mut Connection, keys: &Keys) -> RedisResult<()> {
    let due: Vec<String> = redis::cmd("ZRANGEBYSCORE")
        .arg(keys.key("scheduled"))
        .arg("-inf")
        .arg(now_millis())
        .arg("LIMIT")
        .arg(0)
        .arg(20)
        .query(redis)?;
    for job in due {
        let removed: usize = redis::cmd("ZREM")
            .arg(keys.key("scheduled"))
            .arg(&job)
            .query(redis)?;
        if removed == 1 {
            redis::cmd("LPUSH")
                .arg(keys.key("queue"))
                .arg(&job)
                .query::<()>(redis)?;
        }
    }
    Ok(())
}

/// Puts back the jobs of every worker whose heartbeat has expired.
fn reap_dead_workers(redis: &mut Connection, keys: &Keys, me: &str) -> RedisResult<()> {
    let workers: Vec<String> = redis::cmd("SMEMBERS")
        .arg(keys.key("workers"))
        .query(redis)?;
    for other in workers.iter().filter(|other| *other != me) {
        let alive: bool = redis::cmd("EXISTS")
            .arg(keys.key(&format!("heartbeat:{other}")))
            .query(redis)?;
        if alive {
            continue;
        }
        give_back(redis, keys, &keys.key(&format!("processing:{other}")))?;
        redis::cmd("SREM")
            .arg(keys.key("workers"))
            .arg(other)
            .query::<()>(redis)?;
    }
    Ok(())
}

/// Moves every job of a processing list back to the queue (at the end that is taken first),
/// counting them in `given_back`.
fn give_back(redis: &mut Connection, keys: &Keys, list: &str) -> RedisResult<()> {
    loop {
        let moved: Option<Vec<u8>> = redis::cmd("LMOVE")
            .arg(list)
            .arg(keys.key("queue"))
            .arg("RIGHT")
            .arg("RIGHT")
            .query(redis)?;
        if moved.is_none() {
            return Ok(());
        }
        redis::cmd("INCR")
            .arg(keys.key("given_back"))
            .query::<()>(redis)?;
    }
}

/// Worker processes of the demonstration; killed if still running when dropped.
struct Workers(Vec<Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn start_workers(args: &Args, prefix: &str, count: usize) -> Workers {
    let exe =
        std::env::current_exe().unwrap_or_else(|e| refuse(format!("cannot find myself: {e}")));
    let children = (1..=count)
        .map(|n| {
            Command::new(&exe)
                .args([
                    "worker",
                    "--redis",
                    &args.url,
                    "--prefix",
                    prefix,
                    "--allow-remote",
                    "--with-parent",
                ])
                .args(["--name", &format!("worker{n}")])
                .stdout(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| refuse(format!("cannot start a worker process: {e}")))
        })
        .collect();
    Workers(children)
}

/// Runs `jobs` jobs through Redis on `workers` processes; returns the counts and the time.
fn run_through_redis(
    args: &Args,
    keys: &Keys,
    jobs: usize,
    mean_micros: u64,
) -> (Counts, Duration) {
    let mut redis = connect_or_exit(&args.url);
    enqueue(&mut redis, keys, jobs, mean_micros).unwrap_or_else(|e| fail(e));
    let started = Instant::now();
    let workers = start_workers(args, &keys.0, args.workers);
    let counts = loop {
        let counts = counts(&mut redis, keys).unwrap_or_else(|e| fail(e));
        if counts.done + counts.failed >= jobs && counts.processing == 0 {
            break counts;
        }
        if started.elapsed() > Duration::from_secs(60) {
            eprintln!("error: the workers did not finish within 60 s: {counts}");
            workbook::cleanup::exit(1);
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let wall = started.elapsed();
    redis::cmd("SET")
        .arg(keys.key("stop"))
        .arg(1)
        .query::<()>(&mut redis)
        .unwrap_or_else(|e| fail(e));
    let mut workers = workers;
    for child in &mut workers.0 {
        let _ = child.wait();
    }
    (counts, wall)
}

fn demonstration(args: &Args, keys: &Keys) {
    println!(
        "Part 3: {} jobs through Redis at {} (keys under {}:), {} worker processes",
        args.jobs, args.url, args.prefix, args.workers
    );
    let (counts, wall) = run_through_redis(args, keys, args.jobs, 4000);
    println!("  {counts}");
    let exactly_once = counts.done + counts.failed == args.jobs && counts.processing == 0;
    println!(
        "  every job accounted for exactly once (done or failed), nothing left processing: {}",
        if exactly_once { "yes" } else { "NO" }
    );
    println!(
        "  {:.2} s with the same seeded failures and backoff as part 1",
        wall.as_secs_f64()
    );

    let plain = 1000;
    println!();
    println!(
        "What the queue itself costs: {plain} jobs that do nothing, {} workers each way",
        args.workers
    );
    let in_process = Instant::now();
    let jobs = vec![
        Download {
            latency: Duration::ZERO,
            failures: 0
        };
        plain
    ];
    let flags = workbook::Cli::new("lesson09", "")
        .try_parse_from::<[&str; 0]>([])
        .expect("no flags");
    let ran = workbook::run(&flags, || {
        super::job_queue(&jobs, args.workers, usize::MAX, false)
    });
    let in_process = in_process.elapsed();
    let settled = ran.value.map_or(0, |ledger| ledger.settled());
    let bench = Keys(keys.key("bench"));
    let (counts, through_redis) = run_through_redis(args, &bench, plain, 0);
    println!(
        "  in one process (threads, channels): {settled} jobs in {:.3} s, {:.0} jobs per second",
        in_process.as_secs_f64(),
        settled as f64 / in_process.as_secs_f64()
    );
    println!(
        "  through Redis (processes, round trips): {} jobs in {:.3} s, {:.0} jobs per second",
        counts.done,
        through_redis.as_secs_f64(),
        counts.done as f64 / through_redis.as_secs_f64()
    );
    println!("  (measured live on this machine, Redis on loopback; worker start-up included)");
}
