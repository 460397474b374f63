//! The HTTP sink against a real server (tiny_http on 127.0.0.1) that answers
//! on a script: 200, 400, 404, 408, 413, 429 + Retry-After, 500, 503, hangs
//! past the timeout, garbage and connection resets. For every schedule:
//! delivered + counted drops = tracked, the payloads match the events sent,
//! in order, and the retries follow the policy.

mod client_support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use analytics_core::{Client, HttpSink, Metrics, RetryPolicy};
use client_support::*;

const EVENTS: u64 = 10_000;

fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy::exponential(
        max_retries,
        Duration::from_millis(1),
        Duration::from_millis(5),
    )
    .with_max_retry_after(Duration::from_millis(5))
}

fn client(sink: HttpSink, retry: RetryPolicy) -> Client {
    Client::builder()
        .sink(sink)
        .queue_capacity(2 * EVENTS as usize)
        .max_batch_events(100)
        // Batches are cut by size or by the flush only, never by the clock:
        // the counts of requests asserted below must not depend on how fast
        // a loaded machine tracks 100 events.
        .max_batch_delay(Duration::from_secs(60))
        .retry_policy(retry)
        .build()
        .expect("client")
}

fn track_all(client: &Client, count: u64) {
    for i in 0..count {
        client.track(mixed(i)).expect("valid and queued");
    }
    client
        .flush(Duration::from_secs(40))
        .expect("flushed in time");
}

fn assert_accounted(metrics: &Metrics, tracked: u64) {
    assert_eq!(metrics.tracked, tracked, "{metrics:?}");
    assert_eq!(
        metrics.delivered + metrics.dropped.total() + metrics.spooled,
        tracked,
        "every event is delivered or counted: {metrics:?}"
    );
    assert_eq!(metrics.queue_depth, 0);
    assert_eq!(metrics.in_flight(), 0);
}

/// The events received match `mixed(i)` for the expected indices, in order.
fn assert_payloads(received: &[serde_json::Value], expected: impl IntoIterator<Item = u64>) {
    let expected: Vec<u64> = expected.into_iter().collect();
    assert_eq!(received.len(), expected.len());
    for (envelope, &i) in received.iter().zip(&expected) {
        assert_eq!(index_of(envelope), i, "order preserved");
        assert_eq!(envelope, &mixed_value(i), "payload of event {i}");
    }
}

/// Every failed request is followed by a retry of the very same batch.
fn assert_retries_resend_the_batch(server: &ScriptedServer) {
    let seen = server.seen();
    for pair in seen.windows(2) {
        if pair[0].action != Action::Accept
            && !matches!(
                pair[0].action,
                Action::Status(400..=407 | 409..=412 | 414..=428)
            )
        {
            assert_eq!(pair[0].body, pair[1].body, "a retry resends the same batch");
        }
    }
}

#[test]
fn http_mixed_failures_deliver_everything_once_in_order() {
    let server = ScriptedServer::start(|n, _| match n % 10 {
        0 => Action::Status(500),
        1 => Action::Status(503),
        2 => Action::TooMany(1),
        3 => Action::Hang(Duration::from_millis(400)),
        4 => Action::Garbage,
        5 => Action::Status(408),
        _ => Action::Accept,
    });
    let sink = HttpSink::new(server.url("/v1/events")).timeout(Duration::from_millis(150));
    let client = client(sink, fast_retries(10));
    track_all(&client, EVENTS);
    let metrics = client.metrics();
    assert_accounted(&metrics, EVENTS);
    assert_eq!(metrics.delivered, EVENTS);
    assert_payloads(&server.accepted_events(), 0..EVENTS);

    let seen = server.seen();
    let failures = seen.iter().filter(|s| s.action != Action::Accept).count() as u64;
    assert_eq!(metrics.retried, failures, "one retry per failed request");
    assert_eq!(metrics.batches, seen.len() as u64 - failures);
    assert_retries_resend_the_batch(&server);
    // Retry-After (capped at 5 ms by the policy) is waited for.
    for pair in seen.windows(2) {
        if pair[0].action == Action::TooMany(1) {
            assert!(pair[1].at - pair[0].at >= Duration::from_millis(5));
        }
    }
    client.shutdown(Duration::from_secs(5)).unwrap();
}

#[test]
fn http_retry_after_seconds_is_honoured() {
    let server = ScriptedServer::start(|n, _| {
        if n == 0 {
            Action::Unavailable(1)
        } else {
            Action::Accept
        }
    });
    let retry = RetryPolicy::exponential(3, Duration::from_millis(1), Duration::from_millis(5));
    let client = client(HttpSink::new(server.url("/")), retry);
    track_all(&client, 10);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    assert!(gap >= Duration::from_secs(1), "waited {gap:?}");
    assert!(gap < Duration::from_secs(3), "waited {gap:?}");
    assert_payloads(&server.accepted_events(), 0..10);
    assert_accounted(&client.metrics(), 10);
}

#[test]
fn http_client_errors_and_redirects_are_rejected_not_retried() {
    let server = ScriptedServer::start(|n, _| match n % 7 {
        2 => Action::Status(400),
        4 => Action::Status(302),
        5 => Action::Status(404),
        _ => Action::Accept,
    });
    let client = client(HttpSink::new(server.url("/")), fast_retries(5));
    track_all(&client, EVENTS);
    let metrics = client.metrics();
    assert_accounted(&metrics, EVENTS);
    assert_eq!(metrics.retried, 0, "4xx (and 3xx) is never retried");
    let seen = server.seen();
    let rejected: Vec<_> = seen
        .iter()
        .filter(|s| s.action != Action::Accept)
        .flat_map(|s| s.events())
        .collect();
    assert!(!rejected.is_empty());
    assert_eq!(metrics.dropped.rejected, rejected.len() as u64);
    assert_eq!(metrics.delivered, EVENTS - rejected.len() as u64);
    // Every event reached the server exactly once, in order.
    let all: Vec<_> = seen.iter().flat_map(|s| s.events()).collect();
    assert_payloads(&all, 0..EVENTS);
}

#[test]
fn http_413_splits_batches_down_to_single_events() {
    // More than 16 events is too large; so is any batch holding an event
    // whose index ends in 007 (a single such event is dropped `too_large`).
    let server = ScriptedServer::start(|_, body| {
        let events: serde_json::Value = serde_json::from_slice(body).unwrap();
        let events = events["events"].as_array().unwrap();
        if events.len() > 16 || events.iter().any(|e| index_of(e) % 1000 == 7) {
            Action::Status(413)
        } else {
            Action::Accept
        }
    });
    let client = client(HttpSink::new(server.url("/")), fast_retries(3));
    track_all(&client, EVENTS);
    let metrics = client.metrics();
    assert_accounted(&metrics, EVENTS);
    assert_eq!(metrics.dropped.too_large, EVENTS / 1000);
    assert_eq!(metrics.delivered, EVENTS - EVENTS / 1000);
    assert_eq!(metrics.retried, 0, "a split is not a retry");
    assert_payloads(
        &server.accepted_events(),
        (0..EVENTS).filter(|i| i % 1000 != 7),
    );
    assert!(server
        .seen()
        .iter()
        .filter(|s| s.action == Action::Accept)
        .all(|s| s.events().len() <= 16));
}

#[test]
fn http_retries_exhausted_are_counted() {
    let server = ScriptedServer::start(|n, _| {
        if n % 2 == 0 {
            Action::Status(500)
        } else {
            Action::Status(502)
        }
    });
    let client = client(HttpSink::new(server.url("/")), fast_retries(3));
    track_all(&client, EVENTS);
    let metrics = client.metrics();
    assert_accounted(&metrics, EVENTS);
    assert_eq!(metrics.dropped.retries_exhausted, EVENTS);
    assert_eq!(metrics.delivered, 0);
    let seen = server.seen();
    let batches = EVENTS / 100;
    assert_eq!(
        seen.len() as u64,
        batches * 4,
        "1 attempt + 3 retries per batch"
    );
    assert_eq!(metrics.retried, batches * 3);
    for attempts in seen.chunks(4) {
        assert!(attempts.iter().all(|a| a.body == attempts[0].body));
    }
}

/// A bare TCP server: every third connection is reset (closed with the
/// request unread, which sends RST); the others get a 200.
/// Bodies the resetting server answered 200 to.
type Bodies = Arc<Mutex<Vec<Vec<u8>>>>;

fn resetting_server() -> (String, Bodies, Arc<Mutex<usize>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let resets = Arc::new(Mutex::new(0usize));
    let (bodies2, resets2) = (Arc::clone(&bodies), Arc::clone(&resets));
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            if n % 3 == 0 {
                let mut first = [0u8; 4];
                let _ = stream.read_exact(&mut first);
                *resets2.lock().unwrap() += 1;
                drop(stream);
                continue;
            }
            let mut data = Vec::new();
            let mut buf = [0u8; 65536];
            let body = loop {
                let Ok(read) = stream.read(&mut buf) else {
                    break None;
                };
                if read == 0 {
                    break None;
                }
                data.extend_from_slice(&buf[..read]);
                if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&data[..end]).to_ascii_lowercase();
                    let length: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .map(|v| v.trim().parse().unwrap())
                        .unwrap_or(0);
                    if data.len() >= end + 4 + length {
                        break Some(data[end + 4..end + 4 + length].to_vec());
                    }
                }
            };
            if let Some(body) = body {
                bodies2.lock().unwrap().push(body);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        }
    });
    (url, bodies, resets)
}

#[test]
fn http_connection_resets_are_retried() {
    let (url, bodies, resets) = resetting_server();
    let client = client(HttpSink::new(url), fast_retries(5));
    track_all(&client, EVENTS);
    let metrics = client.metrics();
    assert_accounted(&metrics, EVENTS);
    assert_eq!(metrics.delivered, EVENTS);
    let resets = *resets.lock().unwrap() as u64;
    assert!(resets > 0);
    assert_eq!(metrics.retried, resets, "one retry per reset");
    let received: Vec<serde_json::Value> = bodies
        .lock()
        .unwrap()
        .iter()
        .flat_map(|body| {
            let value: serde_json::Value = serde_json::from_slice(body).unwrap();
            value["events"].as_array().unwrap().clone()
        })
        .collect();
    assert_payloads(&received, 0..EVENTS);
}

#[test]
fn http_unreachable_endpoint_is_retried_then_dropped() {
    // Bind then close: nothing listens on this port of 127.0.0.1.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = client(
        HttpSink::new(format!("http://127.0.0.1:{port}/")),
        fast_retries(2),
    );
    track_all(&client, 250);
    let metrics = client.metrics();
    assert_accounted(&metrics, 250);
    assert_eq!(metrics.dropped.retries_exhausted, 250);
    assert_eq!(metrics.retried, 3 * 2);
}

#[test]
fn segment_format_with_basic_auth_and_stable_message_ids() {
    let server = ScriptedServer::start(|n, _| {
        if n == 0 {
            Action::Status(500)
        } else {
            Action::Accept
        }
    });
    let sink = HttpSink::segment(server.url("/v1/batch"), "key").anonymous_id("anon-1");
    let client = client(sink, fast_retries(3));
    for i in 0..EVENTS {
        client.track(mixed(i)).unwrap();
    }
    client.flush(Duration::from_secs(30)).unwrap();
    assert_accounted(&client.metrics(), EVENTS);
    let seen = server.seen();
    assert_eq!(seen[0].header("Authorization"), Some("Basic a2V5Og=="));
    assert_eq!(seen[0].url, "/v1/batch");
    // The retry carries the same message ids.
    assert_eq!(seen[0].json()["batch"], seen[1].json()["batch"]);
    let mut ids = std::collections::HashSet::new();
    let mut next = 0u64;
    for request in seen.iter().skip(1) {
        let body = request.json();
        assert!(body["sentAt"].is_string());
        for item in body["batch"].as_array().unwrap() {
            let expected = mixed_value(next);
            assert_eq!(item["type"], "track");
            assert_eq!(item["event"], expected["event_type"]);
            assert_eq!(item["properties"], expected["event_params"]);
            assert_eq!(item["anonymousId"], "anon-1");
            let id = item["messageId"].as_str().unwrap();
            assert_eq!(id.len(), 36);
            assert!(ids.insert(id.to_owned()), "message ids are unique");
            let timestamp = item["timestamp"].as_str().unwrap();
            assert_eq!(timestamp.len(), 24, "{timestamp}");
            assert!(timestamp.starts_with("20") && timestamp.ends_with('Z'));
            next += 1;
        }
    }
    assert_eq!(next, EVENTS);
}

#[test]
fn events_format_with_bearer_token_headers_and_gzip() {
    let server = ScriptedServer::start(|_, _| Action::Accept);
    let sink = HttpSink::new(server.url("/track"))
        .bearer_token("secret-token")
        .header("X-Client", "tests")
        .gzip(true);
    let client = client(sink, fast_retries(0));
    track_all(&client, 300);
    let seen = server.seen();
    assert_eq!(seen.len(), 3);
    for request in &seen {
        assert_eq!(request.header("Authorization"), Some("Bearer secret-token"));
        assert_eq!(request.header("X-Client"), Some("tests"));
        assert_eq!(request.header("Content-Encoding"), Some("gzip"));
        assert_eq!(request.header("Content-Type"), Some("application/json"));
    }
    assert_payloads(&server.accepted_events(), 0..300);
    assert_accounted(&client.metrics(), 300);
}
