//! The collector end to end over loopback, with the library's own `Client`
//! and `HttpSink`: every event sent ends in exactly one place (the output,
//! byte for byte as sent, or the failed-events file with its reason), and
//! the answers say so.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use analytics_core::client::{Envelope, Sink};
use analytics_core::{Client, HttpSink, JsonLinesSink, RetryPolicy};
use codex_analytics::simulate::Session;
use codex_analytics::*;

mod collector_support;
use collector_support::*;

const TOKEN: &str = "test-token";

fn bytes_of(event: &ToolItemEvent) -> Vec<u8> {
    let mut json = Vec::new();
    event.write_json(&mut json);
    json
}

/// Items no valid producer would send, each with the reason it must get.
fn invalid_items(session: &mut Session) -> Vec<(Vec<u8>, &'static str)> {
    let mut items = Vec::new();
    for round in 0..40 {
        // A rule: `thread_id` must not be empty.
        let mut event = command_execution(session);
        event.base.thread_id.clear();
        items.push((bytes_of(&event.into()), "rule_violation"));
        // Types: a number where a string goes, an unknown key, a bad enum value.
        let valid: serde_json::Value =
            serde_json::from_slice(&bytes_of(&session.next_event())).unwrap();
        let mut wrong_type = valid.clone();
        wrong_type["event_params"]["thread_id"] = serde_json::json!(round);
        items.push((wrong_type.to_string().into_bytes(), "schema_violation"));
        let mut unknown_key = valid.clone();
        unknown_key["event_params"]["surprise"] = serde_json::json!(true);
        items.push((unknown_key.to_string().into_bytes(), "schema_violation"));
        let mut bad_enum = valid;
        bad_enum["event_params"]["terminal_status"] = serde_json::json!("exploded");
        items.push((bad_enum.to_string().into_bytes(), "schema_violation"));
        items.push((
            format!(r#"{{"event_type":"codex_unknown_{round}","event_params":{{}}}}"#).into_bytes(),
            "unknown_event_type",
        ));
        items.push((br#"{"hello":"world"}"#.to_vec(), "not_envelope"));
        items.push((format!("[{round}]").into_bytes(), "not_envelope"));
    }
    // Over the collector's event limit (16 KiB here).
    let mut event = command_execution(session);
    event.base.tool_name = "x".repeat(20 << 10);
    items.push((bytes_of(&event.into()), "too_large"));
    items
}

/// The next `CommandExecution` of the simulator (it draws kinds at random).
fn command_execution(session: &mut Session) -> CommandExecution {
    loop {
        if let ToolItemEvent::CommandExecution(event) = session.next_event() {
            return event;
        }
    }
}

#[test]
fn ten_thousand_events_each_land_in_exactly_one_place() {
    let dir = temp_dir("collector-e2e");
    let files = Files::in_dir(&dir);
    let collector = start(&dir, |config| {
        config.tokens = vec![TOKEN.to_owned()];
        config.validator = validator().with_max_event_bytes(16 << 10);
    });
    let url = format!("http://{}/v1/events", collector.addr());

    // 10,000 valid events through the Client.
    let mut session = Session::new(2024);
    let valid: Vec<ToolItemEvent> = session.events(10_000);
    let client = Client::builder()
        .sink(HttpSink::new(url.clone()).bearer_token(TOKEN))
        .queue_capacity(20_000)
        .build()
        .unwrap();
    for event in &valid {
        client.track_catalog(event).unwrap();
    }
    client.flush(Duration::from_secs(120)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.delivered, 10_000, "{metrics:?}");
    assert_eq!(metrics.dropped.total(), 0, "{metrics:?}");
    client.shutdown(Duration::from_secs(10)).unwrap();

    // Invalid items through the same HttpSink, mixed into batches of valid ones.
    let invalid = invalid_items(&mut session);
    let extra_valid: Vec<ToolItemEvent> = session.events(200);
    let mut sink = HttpSink::new(url).bearer_token(TOKEN);
    let mut batch = Vec::new();
    for (index, (bytes, _)) in invalid.iter().enumerate() {
        batch.push(Envelope::new(bytes.clone(), [index as u8; 16], 0));
        if let Some(event) = extra_valid.get(index) {
            batch.push(Envelope::new(bytes_of(event), [0; 16], 0));
        }
        if batch.len() >= 50 {
            sink.send(&batch).unwrap();
            batch.clear();
        }
    }
    sink.send(&batch).unwrap();
    let sent_valid: Vec<Vec<u8>> = valid
        .iter()
        .chain(extra_valid.iter().take(invalid.len()))
        .map(bytes_of)
        .collect();

    // Bodies that are not batches: each kept as one failed event, answered 400.
    let auth = format!("Bearer {TOKEN}");
    let headers = [("Authorization", auth.as_str())];
    let malformed: [&[u8]; 3] = [
        b"{\"events\":[{\"event_type\"",
        b"not json at all",
        b"\xff\xfe{}",
    ];
    for body in malformed {
        let answer = request(collector.addr(), "POST", "/v1/events", &headers, body);
        assert_eq!(answer.status, 400, "{answer:?}");
        assert_eq!(answer.json()["reason"], "not_json");
    }
    let answer = request(
        collector.addr(),
        "POST",
        "/v1/events",
        &headers,
        br#"{"event_type":"x","event_params":{}}"#,
    );
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(answer.json()["reason"], "not_envelope");
    collector.shutdown().unwrap();

    // The output: every valid event once, its bytes exactly as sent.
    let mut stored = files.event_lines();
    let mut expected = sent_valid;
    assert_eq!(stored.len(), expected.len());
    stored.sort();
    expected.sort();
    assert!(
        stored == expected,
        "the output is not the valid events, byte for byte"
    );

    // The failed events: every invalid item once, with its reason and payload.
    let failed = files.failed_lines();
    assert_eq!(failed.len(), invalid.len() + malformed.len() + 1);
    let mut expected_reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, reason) in &invalid {
        *expected_reasons.entry(reason).or_default() += 1;
    }
    *expected_reasons.entry("not_json").or_default() += malformed.len();
    *expected_reasons.entry("not_envelope").or_default() += 1;
    let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for line in &failed {
        *reasons.entry(line["reason"].as_str().unwrap()).or_default() += 1;
        assert!(line["received_at"].as_u64().unwrap() > 0);
        assert!(!line["errors"].as_array().unwrap().is_empty(), "{line}");
    }
    assert_eq!(reasons, expected_reasons);
    for reason in analytics_core::failed::FailureReason::ALL {
        assert!(reasons.contains_key(reason.as_str()), "no {reason} line");
    }
    for (bytes, reason) in invalid.iter().filter(|(_, reason)| *reason != "too_large") {
        let payload: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        assert!(
            failed
                .iter()
                .any(|line| line["payload"] == payload && line["reason"] == *reason),
            "{reason}: {payload}"
        );
    }
    let bytes_line = failed
        .iter()
        .find(|line| line.get("payload_base64").is_some())
        .expect("the invalid UTF-8 body is kept exactly");
    assert_eq!(bytes_line["payload_base64"], "//57fQ==");
}

#[test]
fn an_output_failing_for_a_while_loses_nothing_and_stores_each_event_once() {
    let dir = temp_dir("collector-flaky");
    let files = Files::in_dir(&dir);
    let failing = Arc::new(AtomicBool::new(true));
    let output = FlakySink {
        inner: JsonLinesSink::new(&files.events).sync(true),
        failing: Arc::clone(&failing),
    };
    let collector = start_with(&dir, Box::new(output), |config| {
        config.retry_after = Duration::from_secs(1);
    });
    let client = Client::builder()
        .sink(HttpSink::new(format!(
            "http://{}/v1/events",
            collector.addr()
        )))
        .max_batch_events(100)
        .retry_policy(RetryPolicy::exponential(
            50,
            Duration::from_millis(50),
            Duration::from_millis(400),
        ))
        .queue_capacity(10_000)
        .build()
        .unwrap();
    let events = Session::new(9).events(2_000);
    for event in &events {
        client.track_catalog(event).unwrap();
    }
    // The client meets 503s, then the output comes back.
    assert!(wait_until(Duration::from_secs(20), || client
        .metrics()
        .retried
        >= 2));
    let health = request(collector.addr(), "GET", "/healthz", &[], b"");
    assert_eq!(health.status, 503);
    failing.store(false, Ordering::SeqCst);
    client.flush(Duration::from_secs(120)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.delivered, 2_000, "{metrics:?}");
    assert_eq!(metrics.dropped.total(), 0, "{metrics:?}");
    assert_eq!(
        request(collector.addr(), "GET", "/healthz", &[], b"").status,
        200
    );
    let text = request(collector.addr(), "GET", "/metrics", &[], b"").body;
    assert!(
        text.contains("analytics_collector_output_errors_total"),
        "{text}"
    );
    assert!(text.contains("status=\"503\""), "{text}");
    client.shutdown(Duration::from_secs(10)).unwrap();
    collector.shutdown().unwrap();

    let mut stored = files.event_lines();
    let mut expected: Vec<Vec<u8>> = events.iter().map(bytes_of).collect();
    stored.sort();
    expected.sort();
    assert!(
        stored == expected,
        "each event stored exactly once after the outage"
    );
    assert!(files.failed_lines().is_empty());
}

/// `ClientBuilder::message_id_key("event_id")` (issue 16): a collector told
/// the key (`--message-id-key event_id`) accepts every envelope, and each is
/// stored under the id the client wrote; one not told refuses them all as
/// an unknown key, keeping each in the failed-events file.
#[test]
fn a_custom_message_id_key_validates_and_is_the_stored_events_id() {
    let sent = Session::new(77).events(200);
    let send = |url: String| {
        let client = Client::builder()
            .sink(HttpSink::new(url))
            .message_id_key("event_id")
            .build()
            .unwrap();
        for event in &sent {
            client.track_catalog(event).unwrap();
        }
        client.flush(Duration::from_secs(60)).unwrap();
        let metrics = client.metrics();
        client.shutdown(Duration::from_secs(10)).unwrap();
        metrics
    };

    let dir = temp_dir("collector-message-id-key");
    let output = analytics_core::MemorySink::new();
    let collector = start_with(&dir, Box::new(output.clone()), |config| {
        config.validator = validator().with_message_id_keys(["event_id"]);
    });
    let metrics = send(format!("http://{}/v1/events", collector.addr()));
    assert_eq!(metrics.delivered, 200, "{metrics:?}");
    collector.shutdown().unwrap();
    let stored = output.envelopes();
    assert_eq!(stored.len(), 200);
    assert!(Files::in_dir(&dir).failed_lines().is_empty());
    let mut ids = std::collections::BTreeSet::new();
    for envelope in &stored {
        let json: serde_json::Value = serde_json::from_slice(envelope.json()).unwrap();
        let written = json["event_id"].as_str().expect("the client wrote the id");
        assert_eq!(envelope.message_id(), written, "{json}");
        ids.insert(written.to_owned());
    }
    assert_eq!(ids.len(), 200, "one id per event");

    // A collector that only knows `message_id`: every event refused, kept.
    let dir = temp_dir("collector-message-id-key-unknown");
    let collector = start(&dir, |_| {});
    send(format!("http://{}/v1/events", collector.addr()));
    collector.shutdown().unwrap();
    let files = Files::in_dir(&dir);
    assert!(files.event_lines().is_empty());
    let failed = files.failed_lines();
    assert_eq!(failed.len(), 200);
    for line in &failed {
        assert_eq!(line["reason"], "schema_violation", "{line}");
        assert_eq!(line["errors"][0]["path"], "event_id", "{line}");
        assert_eq!(line["errors"][0]["rule"], "unknown_key", "{line}");
    }
}
