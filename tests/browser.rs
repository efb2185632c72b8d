//! The built book, read in a real browser (headless Chromium): every chapter renders without raw
//! `{{#include` or `ANCHOR` text, its images and SVGs load, no code block or table sticks out of
//! the page without a scrollbar, the sidebar numbers each chapter once (not "5. 5. Deadlock"),
//! and the book's search finds "deadlock". One screenshot per chapter is kept in
//! `target/book-screenshots/` for review.
//!
//! Skips (and says why) when `chromium` is not installed, or when `WORKBOOK_BOOK` does not name
//! a built book (CI: `mdbook build book`, then `WORKBOOK_BOOK=book/book`; a plain `cargo test`
//! skips it). With `WORKBOOK_REQUIRE_BROWSER=1` (CI) a skip is a failure.
//!
//! One browser for the whole test, driven over `--remote-debugging-pipe` (the DevTools protocol,
//! JSON messages ended by a NUL byte, on its file descriptors 3 and 4): starting Chromium costs
//! about a second, so a run per chapter would take far longer. The browser runs in a process
//! group of its own that is killed when the test ends, and within a time limit.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Each message from the browser must come within this.
const STEP: Duration = Duration::from_secs(15);
/// The browser is killed after this, whatever it is doing.
const WHOLE: Duration = Duration::from_secs(60);
/// The window the chapters are read in: a laptop or a projector.
const WIDTH: u32 = 1024;
const HEIGHT: u32 = 768;

/// Skips the test with `reason`, or fails it when CI requires the browser test to run.
fn skip(reason: &str) {
    if std::env::var_os("WORKBOOK_REQUIRE_BROWSER").is_some_and(|v| v == "1") {
        panic!("the browser test cannot run: {reason}");
    }
    eprintln!("skipped: {reason}");
}

/// The full path of `name` on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The browser: a child process (in its own process group), what we write to it, and the
/// messages it sends, parsed, from a reader thread.
struct Browser {
    child: Child,
    input: ChildStdin,
    messages: Receiver<Value>,
    next_id: u64,
    /// Events that came while waiting for something else.
    events: Vec<Value>,
}

impl Browser {
    fn start(chromium: &Path, scratch: &Path) -> Browser {
        let home = scratch.join("home");
        fs::create_dir_all(&home).unwrap();
        let tmp = scratch.join("tmp");
        fs::create_dir_all(&tmp).unwrap();
        let log = fs::File::create(scratch.join("chromium.log")).unwrap();
        // The pipe is the browser's descriptors 3 (it reads) and 4 (it writes): the shell moves
        // our two pipes there, with no unsafe code here.
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2"#)
            .arg(chromium)
            .args([
                "--headless=new",
                // The pages are this book's own files; a container or root has no sandbox.
                "--no-sandbox",
                "--disable-gpu",
                "--remote-debugging-pipe",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-breakpad",
                "--hide-scrollbars",
                // Shared memory in TMPDIR (the scratch folder), not in /dev/shm.
                "--disable-dev-shm-usage",
            ])
            .arg(format!(
                "--user-data-dir={}",
                scratch.join("profile").display()
            ))
            .arg(format!("--window-size={WIDTH},{HEIGHT}"))
            .arg("about:blank")
            // Nothing written to the real home folder.
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("TMPDIR", &tmp)
            .env("DBUS_SESSION_BUS_ADDRESS", "disabled:")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log);
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            command.process_group(0);
        }
        let mut child = command.spawn().expect("start chromium");
        let input = child.stdin.take().unwrap();
        let output = child.stdout.take().unwrap();
        let (sender, messages) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(output);
            let mut message = Vec::new();
            while reader.read_until(0, &mut message).is_ok_and(|n| n > 0) {
                if message.last() == Some(&0) {
                    message.pop();
                }
                if let Ok(value) = serde_json::from_slice(&message) {
                    if sender.send(value).is_err() {
                        break;
                    }
                }
                message.clear();
            }
        });
        // Whatever happens to the test, the browser does not outlive the limit.
        let pid = child.id();
        thread::spawn(move || {
            thread::sleep(WHOLE);
            kill_group(pid);
        });
        Browser {
            child,
            input,
            messages,
            next_id: 0,
            events: Vec::new(),
        }
    }

    /// Sends `method` (to the page `session`, or to the browser) and waits for its result.
    fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.input
            .write_all(&bytes)
            .unwrap_or_else(|error| panic!("{method}: the browser is gone: {error}"));
        loop {
            let message = self.receive(method);
            if message["id"] == json!(id) {
                if let Some(error) = message.get("error") {
                    panic!("{method}: {error}");
                }
                return message["result"].clone();
            }
            self.events.push(message);
        }
    }

    fn receive(&mut self, waiting_for: &str) -> Value {
        self.messages
            .recv_timeout(STEP)
            .unwrap_or_else(|_| panic!("no answer from the browser to {waiting_for} in {STEP:?}"))
    }

    /// Waits for the event `method` from `session`.
    fn wait_for(&mut self, session: &str, method: &str) {
        let matches = |event: &Value| event["method"] == method && event["sessionId"] == session;
        if let Some(index) = self.events.iter().position(matches) {
            self.events.remove(index);
            return;
        }
        loop {
            let message = self.receive(method);
            if matches(&message) {
                return;
            }
            self.events.push(message);
        }
    }

    /// Opens a new window; returns its session ([`Browser::go`] loads a page in it).
    fn open(&mut self) -> String {
        let target = self.call(
            None,
            "Target.createTarget",
            json!({"url": "about:blank", "newWindow": true}),
        );
        let attached = self.call(
            None,
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        let session = attached["sessionId"].as_str().unwrap().to_string();
        let s = Some(session.as_str());
        self.call(s, "Page.enable", json!({}));
        self.call(
            s,
            "Emulation.setDeviceMetricsOverride",
            json!({"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": false}),
        );
        session
    }

    /// Starts loading `url` in the window `session`; [`Browser::wait_for`] its
    /// `Page.loadEventFired`.
    fn go(&mut self, session: &str, url: &str) {
        self.call(Some(session), "Page.navigate", json!({"url": url}));
    }

    /// Evaluates `expression` (it may be a promise) in the page and returns its value.
    fn evaluate(&mut self, session: &str, expression: &str) -> Value {
        let result = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
        );
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("the check script failed: {exception}");
        }
        result["result"]["value"].clone()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Closed properly (it removes its own files), then killed with all it started.
        let mut bytes = br#"{"id":0,"method":"Browser.close","params":{}}"#.to_vec();
        bytes.push(0);
        if self.input.write_all(&bytes).is_ok() {
            let deadline = Instant::now() + Duration::from_secs(2);
            while Instant::now() < deadline && matches!(self.child.try_wait(), Ok(None)) {
                thread::sleep(Duration::from_millis(10));
            }
        }
        kill_group(self.child.id());
        let _ = self.child.wait();
    }
}

/// Kills the process group `pgid` (the browser and every process it started).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-s", "KILL", "--", &format!("-{pgid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Decodes standard base64 (a screenshot as the browser sends it).
fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {c}"),
    };
    let digits: Vec<u8> = text.bytes().filter(|&c| c != b'=').map(value).collect();
    let mut bytes = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut bits = 0u32;
        for (i, &digit) in chunk.iter().enumerate() {
            bits |= u32::from(digit) << (18 - 6 * i);
        }
        let [_, a, b, c] = bits.to_be_bytes();
        bytes.extend_from_slice(&[a, b, c][..chunk.len() - 1]);
    }
    bytes
}

/// Run in each chapter once it has loaded: the problems found, as sentences.
const CHECKS: &str = r#"
(async () => {
  if (document.readyState !== 'complete') {
    await new Promise(done => addEventListener('load', done));
  }
  const problems = [];
  const images = [...document.images];
  await Promise.all(images.map(img => img.complete ? null : new Promise(done => {
    img.addEventListener('load', done);
    img.addEventListener('error', done);
  })));
  const main = document.querySelector('main');
  if (!main) return [location.pathname, ['no <main> in the page']];
  const text = main.innerText;
  for (const raw of ['{{#', 'ANCHOR:', 'ANCHOR_END:']) {
    const at = text.indexOf(raw);
    if (at >= 0) {
      problems.push(`raw "${raw}" in the page: ${JSON.stringify(text.slice(at, at + 80))}`);
    }
  }
  for (const img of images) {
    if (!img.complete || img.naturalWidth === 0) {
      problems.push(`the image ${img.getAttribute('src')} does not load`);
    }
  }
  // Pictures drawn inline or embedded; not the icons on the buttons of code blocks.
  const pictures = [...main.querySelectorAll('svg, object, embed')]
    .filter(svg => !svg.closest('button, .buttons, .fa-svg'));
  for (const svg of pictures) {
    const box = svg.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) {
      problems.push(`an <${svg.localName}> in the text has no size (it did not load)`);
    }
  }
  for (const code of main.querySelectorAll('pre > code')) {
    // What shows: the playground's hidden lines (`fn main() {`) do not count.
    if (code.innerText.trim() === '') {
      problems.push('an empty code block (an include that found nothing?)');
    }
  }
  const right = main.getBoundingClientRect().right;
  for (const wide of main.querySelectorAll('pre, code, table, img, svg')) {
    const box = wide.getBoundingClientRect();
    // Its content spills out of its own box (a block whose overflow is visible)?
    const spills = getComputedStyle(wide).overflowX === 'visible' && wide.clientWidth > 0 &&
      wide.scrollWidth > wide.clientWidth + 1;
    const by = Math.max(box.right - right, spills ? wide.scrollWidth - wide.clientWidth : 0);
    if (by <= 1) continue;
    let scrolled = false;
    for (let up = wide.parentElement; up && up !== main.parentElement; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if ((overflow === 'auto' || overflow === 'scroll') &&
          up.getBoundingClientRect().right <= right + 1) {
        scrolled = true;
        break;
      }
    }
    if (!scrolled) {
      const what = wide.localName === 'table' ? wide.innerText.slice(0, 40) : wide.textContent.slice(0, 40);
      problems.push(`a <${wide.localName}> sticks out of the page by ` +
        `${Math.round(by)} px with no scrollbar: ${JSON.stringify(what)}`);
    }
  }
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    problems.push(`the page scrolls sideways (${document.documentElement.scrollWidth} px wide)`);
  }
  // The sidebar: every chapter numbered once, and this chapter's number in the sidebar the
  // same as in its title.
  const links = [...document.querySelectorAll('#mdbook-sidebar a, .sidebar a')];
  if (links.length === 0) problems.push('the sidebar has no chapters');
  for (const link of links) {
    const label = link.textContent.trim().replace(/\s+/g, ' ');
    if (/^(\d+\.)+ (\d+\.)+ /.test(label)) {
      problems.push(`the sidebar numbers a chapter twice: "${label}"`);
    }
  }
  const active = document.querySelector('#mdbook-sidebar a.active, .sidebar a.active');
  const title = document.querySelector('main h1');
  const numberOf = s => (s.trim().match(/^((\d+\.)+) /) || [])[1];
  if (active && title) {
    const inSidebar = numberOf(active.textContent.replace(/\s+/g, ' '));
    const inTitle = numberOf(title.innerText);
    if (inTitle && inSidebar !== inTitle) {
      problems.push(`the title says ${inTitle} but the sidebar numbers it ${inSidebar}`);
    }
  }
  return [location.pathname, [...new Set(problems)]];
})()
"#;

/// Run in `index.html?search=deadlock`: the search results once the index has loaded.
const SEARCH: &str = r#"
new Promise(done => {
  const start = Date.now();
  const poll = () => {
    const results = [...document.querySelectorAll('#mdbook-searchresults li a')];
    if (results.length > 0 || Date.now() - start > 5000) {
      done(results.map(a => a.getAttribute('href')));
    } else {
      setTimeout(poll, 20);
    }
  };
  poll();
})
"#;

/// The built book named by `WORKBOOK_BOOK`; `Err` says why there is none. A plain `cargo test`
/// does not build the book for this test (it would add about 6 s to every run): CI builds it and
/// runs `WORKBOOK_BOOK=book/book cargo test --test browser`, and so can anyone after
/// `mdbook build book`.
fn book(_scratch: &Path) -> Result<PathBuf, String> {
    let Some(dir) = std::env::var_os("WORKBOOK_BOOK") else {
        return Err(
            "WORKBOOK_BOOK is not set: run `mdbook build book` and then \
                    `WORKBOOK_BOOK=book/book cargo test --test browser` (CI does)"
                .into(),
        );
    };
    fs::canonicalize(&dir)
        .map_err(|error| format!("WORKBOOK_BOOK={}: {error}", Path::new(&dir).display()))
}

#[test]
fn every_chapter_renders_in_a_real_browser() {
    let Some(chromium) = on_path("chromium") else {
        skip("chromium is not installed (apt-get install chromium)");
        return;
    };
    let scratch = tempfile::Builder::new()
        .prefix("workbook-browser-")
        .tempdir()
        .unwrap();
    let book = match book(scratch.path()) {
        Ok(book) => book,
        Err(reason) => return skip(&reason),
    };
    let mut chapters: Vec<String> = fs::read_dir(&book)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".html"))
        .filter(|name| {
            !["index.html", "print.html", "toc.html", "404.html"].contains(&name.as_str())
        })
        .collect();
    chapters.sort();
    assert!(
        chapters.len() >= 11,
        "too few chapters in {}: {chapters:?}",
        book.display()
    );

    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let shots = target.join("book-screenshots");
    let _ = fs::remove_dir_all(&shots);
    fs::create_dir_all(&shots).unwrap();

    let start = Instant::now();
    let mut browser = Browser::start(&chromium, scratch.path());
    // Each problem, with the chapters it is in (a sidebar problem is in all of them).
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    // Two windows (two cores): one loads a chapter while the other's is checked.
    let windows = [browser.open(), browser.open()];
    let url = |page: &str| {
        let path = book.join(page).display().to_string();
        format!("file://{}", path.replace('%', "%25").replace(' ', "%20"))
    };
    let mut next = chapters.iter();
    let mut showing: Vec<Option<&String>> = Vec::new();
    for window in &windows {
        let chapter = next.next();
        if let Some(chapter) = chapter {
            browser.go(window, &url(chapter));
        }
        showing.push(chapter);
    }
    while showing.iter().any(Option::is_some) {
        for (window, chapter) in windows.iter().zip(showing.iter_mut()) {
            let Some(shown) = *chapter else { continue };
            browser.wait_for(window, "Page.loadEventFired");
            let found = browser.evaluate(window, CHECKS);
            let (path, found): (String, Vec<String>) = serde_json::from_value(found).unwrap();
            assert!(
                path.ends_with(&format!("/{shown}")),
                "{path} is not {shown}"
            );
            for problem in found {
                problems.entry(problem).or_default().push(shown.clone());
            }
            let shot = browser.call(
                Some(window),
                "Page.captureScreenshot",
                json!({"format": "png", "optimizeForSpeed": true}),
            );
            let png = base64(shot["data"].as_str().unwrap());
            fs::write(shots.join(shown.replace(".html", ".png")), png).unwrap();
            *chapter = next.next();
            if let Some(chapter) = chapter {
                browser.go(window, &url(chapter));
            }
        }
    }
    browser.go(
        &windows[0],
        &format!("{}?search=deadlock", url("index.html")),
    );
    browser.wait_for(&windows[0], "Page.loadEventFired");
    let results: Vec<String> =
        serde_json::from_value(browser.evaluate(&windows[0], SEARCH)).unwrap();
    drop(browser);
    eprintln!(
        "{} chapters checked in {:.1} s; screenshots in {}",
        chapters.len(),
        start.elapsed().as_secs_f64(),
        shots.display()
    );

    let mut report = String::new();
    for (problem, chapters) in &problems {
        report.push_str(&format!("{}: {problem}\n", chapters.join(", ")));
    }
    if !results.iter().any(|href| href.starts_with("lesson05.html")) {
        report.push_str(&format!(
            "the search for \"deadlock\" does not find lesson05.html; it finds {results:?}\n"
        ));
    }
    assert!(report.is_empty(), "the book in a browser:\n{report}");
}
