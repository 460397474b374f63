//! Helpers of the collector tests: a collector on a loopback port, raw HTTP
//! requests (for bodies no client would send), and reading its files.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use analytics_cli::serve::{Collector, Config};
use analytics_core::client::{Envelope, Sink, SinkError};
use analytics_core::ingest::PlanValidator;
use analytics_core::{JsonLinesSink, TrackingPlan};

/// A fresh directory under the target's temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The Codex plan, through its JSON (as the collector reads it).
pub fn validator() -> PlanValidator {
    let plan = TrackingPlan::from_json(&TrackingPlan::from_catalog().to_json()).unwrap();
    PlanValidator::new(&plan).unwrap()
}

/// An output that fails while `failing` is set, and writes a JSON Lines file otherwise.
pub struct FlakySink {
    pub inner: JsonLinesSink,
    pub failing: Arc<AtomicBool>,
}

impl Sink for FlakySink {
    fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(SinkError::retryable("the output is down (test)"));
        }
        self.inner.send(batch)
    }
    fn flush(&mut self) -> Result<(), SinkError> {
        self.inner.flush()
    }
}

/// The collector's files.
pub struct Files {
    pub events: PathBuf,
    pub failed: PathBuf,
}

impl Files {
    pub fn in_dir(dir: &Path) -> Files {
        Files {
            events: dir.join("events.jsonl"),
            failed: dir.join("failed.jsonl"),
        }
    }

    pub fn event_lines(&self) -> Vec<Vec<u8>> {
        lines(&self.events)
    }

    pub fn failed_lines(&self) -> Vec<serde_json::Value> {
        lines(&self.failed)
            .iter()
            .map(|line| serde_json::from_slice(line).expect("a failed-event line is JSON"))
            .collect()
    }
}

pub fn lines(path: &Path) -> Vec<Vec<u8>> {
    match std::fs::read(path) {
        Ok(bytes) => bytes
            .split(|byte| *byte == b'\n')
            .filter(|line| !line.is_empty())
            .map(<[u8]>::to_vec)
            .collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(error) => panic!("{}: {error}", path.display()),
    }
}

/// A collector writing into `dir`, with `configure` applied to its config.
pub fn start(dir: &Path, configure: impl FnOnce(&mut Config)) -> Collector {
    start_with(
        dir,
        Box::new(JsonLinesSink::new(dir.join("events.jsonl")).sync(true)),
        configure,
    )
}

pub fn start_with(
    dir: &Path,
    output: Box<dyn Sink>,
    configure: impl FnOnce(&mut Config),
) -> Collector {
    let mut config = Config::new(validator(), output, dir.join("failed.jsonl"));
    configure(&mut config);
    Collector::start(config, "127.0.0.1:0").unwrap()
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {self:?}"))
    }
}

/// One request over a fresh connection, `Connection: close`.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Answer {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before reading everything: ignore a reset.
    let _ = stream.write_all(body);
    read_answer(&mut stream)
}

pub fn read_answer(stream: &mut TcpStream) -> Answer {
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    Answer {
        status,
        headers: head.to_owned(),
        body: body.to_owned(),
    }
}

pub fn post(addr: SocketAddr, body: &[u8]) -> Answer {
    request(
        addr,
        "POST",
        "/v1/events",
        &[("Content-Type", "application/json")],
        body,
    )
}

/// Polls `condition` until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if condition() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    condition()
}
