//! The collector under load (issue 16): many concurrent large requests while
//! the output stalls. The bytes it holds for requests stay under
//! `max_in_flight_bytes` (its own gauge, and the process's allocations
//! measured by a counting allocator), the requests that do not fit are told
//! to retry (503 with `Retry-After`), and once the output moves again every
//! event lands exactly once: valid ones in the output, invalid ones in the
//! failed-events file.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use analytics_core::client::{Envelope, Sink, SinkError};
use analytics_core::JsonLinesSink;
use codex_analytics::simulate::Session;

mod collector_support;
use collector_support::*;

/// Counts the bytes allocated in this process, now and at the most.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = CURRENT.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc(layout);
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let pointer = System.alloc_zeroed(layout);
        if !pointer.is_null() {
            grew(layout.size());
        }
        pointer
    }
    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        System.dealloc(pointer, layout);
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = System.realloc(pointer, layout, new_size);
        if !moved.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// An output that blocks while `stalled` is set (for at most a minute), then
/// writes a JSON Lines file.
struct StallingSink {
    inner: JsonLinesSink,
    stalled: Arc<AtomicBool>,
}

impl Sink for StallingSink {
    fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        wait_until(Duration::from_secs(60), || {
            !self.stalled.load(Ordering::SeqCst)
        });
        self.inner.send(batch)
    }
    fn flush(&mut self) -> Result<(), SinkError> {
        self.inner.flush()
    }
}

fn digest(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

/// A body of `count` Codex events and two invalid ones; the digests of its
/// valid events.
fn body(seed: u64, count: usize) -> (Vec<u8>, Vec<u64>) {
    let mut body = b"{\"events\":[".to_vec();
    let mut valid = Vec::with_capacity(count);
    for event in Session::new(seed).events(count) {
        let mut json = Vec::new();
        event.write_json(&mut json);
        valid.push(digest(&json));
        body.extend_from_slice(&json);
        body.push(b',');
    }
    body.extend_from_slice(br#"{"event_type":"codex_no_such_event","event_params":{}},"#);
    body.extend_from_slice(br#"{"not":"an envelope"}]}"#);
    (body, valid)
}

/// One POST with `Expect: 100-continue`, as clients of large bodies send
/// them: the body goes only once the collector has room for it. `None` when
/// the connection failed before an answer.
fn post_expecting(addr: SocketAddr, body: &[u8]) -> Option<Answer> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    let head = format!(
        "POST /v1/events HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).ok()?;
    let mut reader = BufReader::new(stream);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).ok()?;
    if status_line.starts_with("HTTP/1.1 100") {
        // The interim answer's (empty) header block, then the body.
        let mut line = String::new();
        while reader.read_line(&mut line).ok()? > 2 {
            line.clear();
        }
        reader.get_mut().write_all(body).ok()?;
        status_line.clear();
        reader.read_line(&mut status_line).ok()?;
    }
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).ok()?;
    let text = format!("{status_line}{}", String::from_utf8_lossy(&rest));
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Some(Answer {
        status: head.split(' ').nth(1)?.parse().ok()?,
        headers: head.to_owned(),
        body: body.to_owned(),
    })
}

#[test]
fn many_large_requests_against_a_stalled_output_stay_under_the_byte_bound_and_lose_nothing() {
    const BOUND: usize = 8 << 20;
    const CLIENTS: usize = 48;
    const REQUESTS_PER_CLIENT: usize = 2;
    const EVENTS_PER_BODY: usize = 1000;
    // What else the process allocates while the requests wait: tokio,
    // hyper's connection buffers, the client threads' answers.
    const SLACK: usize = 16 << 20;

    let dir = temp_dir("collector-load");
    let files = Files::in_dir(&dir);
    let stalled = Arc::new(AtomicBool::new(true));
    let output = StallingSink {
        inner: JsonLinesSink::new(dir.join("events.jsonl")).max_file_bytes(u64::MAX),
        stalled: Arc::clone(&stalled),
    };
    let collector = start_with(&dir, Box::new(output), |config| {
        config.max_in_flight_bytes = BOUND;
        config.max_body_bytes = 2 << 20;
        config.max_in_flight = 64;
    });
    let addr = collector.addr();
    // Four distinct bodies of about 1 MiB, shared by the clients.
    let bodies: Arc<Vec<(Vec<u8>, Vec<u64>)>> =
        Arc::new((0..4).map(|seed| body(seed, EVENTS_PER_BODY)).collect());
    let body_bytes = bodies[0].0.len();
    assert!(body_bytes > 900 << 10, "{body_bytes}");

    let baseline = CURRENT.load(Ordering::SeqCst);
    PEAK.store(baseline, Ordering::SeqCst);
    let told_to_retry = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let bodies = Arc::clone(&bodies);
            let told_to_retry = Arc::clone(&told_to_retry);
            std::thread::spawn(move || {
                let mut stored = Vec::new();
                for request in 0..REQUESTS_PER_CLIENT {
                    let which = (client + request) % bodies.len();
                    let deadline = Instant::now() + Duration::from_secs(120);
                    loop {
                        assert!(Instant::now() < deadline, "client {client} never got in");
                        match post_expecting(addr, &bodies[which].0) {
                            Some(answer) if answer.status == 200 => {
                                assert_eq!(
                                    answer.json(),
                                    serde_json::json!({"accepted": EVENTS_PER_BODY, "rejected": 2})
                                );
                                stored.push(which);
                                break;
                            }
                            Some(answer) if answer.status == 503 => {
                                assert!(
                                    answer
                                        .headers
                                        .to_ascii_lowercase()
                                        .contains("retry-after: 1"),
                                    "{answer:?}"
                                );
                                told_to_retry.fetch_add(1, Ordering::SeqCst);
                            }
                            other => panic!("client {client}: {other:?}"),
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
                stored
            })
        })
        .collect();

    // The output stalls: requests pile up to the bound, the rest are told to retry.
    let piled_up = wait_until(Duration::from_secs(60), || {
        told_to_retry.load(Ordering::SeqCst) >= CLIENTS
            && collector.metrics().in_flight_bytes.get() as usize > BOUND / 2
    });
    assert!(
        piled_up,
        "retries: {}, bytes in flight: {}",
        told_to_retry.load(Ordering::SeqCst),
        collector.metrics().in_flight_bytes.get()
    );
    let metrics = request(addr, "GET", "/metrics", &[], b"");
    assert!(
        metrics.body.contains(&format!(
            "analytics_collector_in_flight_bytes_limit {BOUND}"
        )),
        "{}",
        metrics.body
    );
    assert!(metrics
        .body
        .contains("analytics_collector_in_flight_bytes "));
    stalled.store(false, Ordering::SeqCst);
    let stored: Vec<usize> = clients
        .into_iter()
        .flat_map(|client| client.join().unwrap())
        .collect();
    let peak = PEAK.load(Ordering::SeqCst) - baseline;
    let gauge_peak = collector.metrics().in_flight_bytes_peak.get() as usize;
    collector.shutdown().unwrap();

    assert_eq!(stored.len(), CLIENTS * REQUESTS_PER_CLIENT);
    assert!(gauge_peak <= BOUND, "{gauge_peak} > {BOUND}");
    assert!(gauge_peak > BOUND / 2, "{gauge_peak}");
    // Without the bound, 48 requests of 1 MiB would each hold about 2 MiB.
    assert!(
        peak <= BOUND + SLACK,
        "the process allocated {} MiB more at the most (bound {} MiB + {} MiB slack)",
        peak >> 20,
        BOUND >> 20,
        SLACK >> 20
    );

    // Nothing lost, nothing twice: each stored request's events once each.
    let mut expected: HashMap<u64, usize> = HashMap::new();
    for which in &stored {
        for event in &bodies[*which].1 {
            *expected.entry(*event).or_default() += 1;
        }
    }
    let mut found: HashMap<u64, usize> = HashMap::new();
    let output = std::fs::File::open(&files.events).unwrap();
    for line in BufReader::new(output).split(b'\n') {
        let line = line.unwrap();
        if !line.is_empty() {
            *found.entry(digest(&line)).or_default() += 1;
        }
    }
    let missing = expected
        .iter()
        .filter(|(event, count)| found.get(event) != Some(count))
        .count();
    let extra = found
        .keys()
        .filter(|event| !expected.contains_key(event))
        .count();
    assert!(
        found == expected,
        "the output is not every stored event once: {} events expected, {} found; {missing} wrong counts, {extra} unexpected",
        expected.values().sum::<usize>(),
        found.values().sum::<usize>()
    );
    let failed = files.failed_lines();
    assert_eq!(failed.len(), 2 * stored.len());
    assert_eq!(
        failed
            .iter()
            .filter(|line| line["reason"] == "unknown_event_type")
            .count(),
        stored.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
