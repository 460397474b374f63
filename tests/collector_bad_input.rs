//! The collector under bad input: truncated JSON, wrong types, huge bodies,
//! gzip bombs, deep nesting, invalid UTF-8, 10k-event batches, slow clients,
//! missing tokens, too many requests at once, and a shutdown with a request
//! in flight. Each gets a clear status, a failed-event line where there was
//! an event, and no panic.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use codex_analytics::simulate::Session;

mod collector_support;
use collector_support::*;

fn event_bytes(count: usize) -> Vec<Vec<u8>> {
    Session::new(5)
        .events(count)
        .iter()
        .map(|event| {
            let mut json = Vec::new();
            event.write_json(&mut json);
            json
        })
        .collect()
}

fn batch(events: &[Vec<u8>]) -> Vec<u8> {
    let mut body = b"{\"events\":[".to_vec();
    for (index, event) in events.iter().enumerate() {
        if index > 0 {
            body.push(b',');
        }
        body.extend_from_slice(event);
    }
    body.extend_from_slice(b"]}");
    body
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn every_bad_body_gets_a_clear_status_and_is_kept_where_it_was_an_event() {
    let dir = temp_dir("collector-bad");
    let files = Files::in_dir(&dir);
    let collector = start(&dir, |config| {
        config.max_body_bytes = 16 << 20;
        config.body_timeout = Duration::from_millis(300);
    });
    let addr = collector.addr();
    let mut expected_failed = Vec::new();

    // Truncated JSON: 400, the text kept.
    let truncated = br#"{"events":[{"event_type":"codex_command_execution_event","event_par"#;
    let answer = post(addr, truncated);
    assert_eq!(answer.status, 400, "{answer:?}");
    assert_eq!(answer.json()["rejected"], 1);
    expected_failed.push((
        "not_json",
        serde_json::Value::String(String::from_utf8(truncated.to_vec()).unwrap()),
    ));

    // Wrong types inside a batch: 200, the event rejected with every error.
    let mut event: serde_json::Value = serde_json::from_slice(&event_bytes(1)[0]).unwrap();
    event["event_params"]["thread_id"] = serde_json::json!(42);
    event["event_params"]["review_count"] = serde_json::json!("many");
    let answer = post(addr, format!(r#"{{"events":[{event}]}}"#).as_bytes());
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.json(),
        serde_json::json!({"accepted": 0, "rejected": 1})
    );
    expected_failed.push(("schema_violation", event));

    // Invalid UTF-8: 400, the exact bytes in base64.
    let answer = post(addr, b"{\"events\":[{\"event_type\":\"\xc3\x28\"}]}");
    assert_eq!(answer.status, 400, "{answer:?}");
    assert!(answer.body.contains("UTF-8"), "{answer:?}");

    // Empty body and a lone envelope: 400, kept.
    assert_eq!(post(addr, b"").status, 400);
    assert_eq!(
        post(addr, b"{\"event_type\":\"x\",\"event_params\":{}}").status,
        400
    );

    // Bad gzip: 400, the raw bytes kept. Unknown encoding: 415.
    let answer = request(
        addr,
        "POST",
        "/v1/events",
        &[("Content-Encoding", "gzip")],
        b"not gzip",
    );
    assert_eq!(answer.status, 400, "{answer:?}");
    let answer = request(
        addr,
        "POST",
        "/v1/events",
        &[("Content-Encoding", "br")],
        b"{}",
    );
    assert_eq!(answer.status, 415, "{answer:?}");

    // Huge bodies: 413 and nothing kept (the client splits and resends).
    let huge = vec![b' '; 17 << 20];
    assert_eq!(post(addr, &huge).status, 413);
    let bomb = gzip(&vec![b' '; 64 << 20]);
    assert!(bomb.len() < 1 << 20);
    let answer = request(
        addr,
        "POST",
        "/v1/events",
        &[("Content-Encoding", "gzip")],
        &bomb,
    );
    assert_eq!(answer.status, 413, "{answer:?}");

    // A slow client: 408 once the body timeout passes, nothing kept.
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    slow.write_all(b"POST /v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 100\r\n\r\n{\"eve")
        .unwrap();
    let answer = read_answer(&mut slow);
    assert_eq!(answer.status, 408, "{answer:?}");

    // 10,000 events in one batch, gzip: all accepted, byte for byte.
    let events = event_bytes(10_000);
    let body = gzip(&batch(&events));
    let answer = request(
        addr,
        "POST",
        "/v1/events",
        &[("Content-Encoding", "gzip")],
        &body,
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.json(),
        serde_json::json!({"accepted": 10_000, "rejected": 0})
    );

    // Segment's format on its route.
    let segment = br#"{"batch":[{"type":"track","event":"nope","properties":{},"messageId":"m"}],"sentAt":"2026-01-01T00:00:00Z"}"#;
    let answer = request(addr, "POST", "/v1/batch", &[], segment);
    assert_eq!(
        answer.json(),
        serde_json::json!({"accepted": 0, "rejected": 1})
    );

    assert_eq!(request(addr, "GET", "/healthz", &[], b"").status, 200);
    collector.shutdown().unwrap();

    assert!(
        files.event_lines() == events,
        "the 10,000 events, in order, byte for byte"
    );
    let failed = files.failed_lines();
    let reasons: Vec<&str> = failed
        .iter()
        .map(|line| line["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "not_json",
            "schema_violation",
            "not_json",
            "not_json",
            "not_envelope",
            "not_json",
            "unknown_event_type"
        ]
    );
    for (index, (reason, payload)) in [0, 1].into_iter().zip(&expected_failed) {
        assert_eq!(failed[index]["reason"], *reason);
        assert_eq!(failed[index]["payload"], *payload);
    }
    let errors = failed[1]["errors"].as_array().unwrap();
    // (serde_json::Value sorts keys: the errors come in the order of the input's keys.)
    let paths: Vec<&str> = errors.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(paths, ["base.review_count", "base.thread_id"]);
    assert_eq!(
        failed[2]["payload_base64"],
        "eyJldmVudHMiOlt7ImV2ZW50X3R5cGUiOiLDKCJ9XX0="
    );
    assert_eq!(failed[5]["payload"], "not gzip");
}

#[test]
fn tokens_are_required_when_configured() {
    let dir = temp_dir("collector-auth");
    let collector = start(&dir, |config| {
        config.tokens = vec!["t1".into(), "t2".into()]
    });
    let body = batch(&event_bytes(1));
    let addr = collector.addr();
    let answer = request(addr, "POST", "/v1/events", &[], &body);
    assert_eq!(answer.status, 401);
    assert!(answer
        .headers
        .to_ascii_lowercase()
        .contains("www-authenticate: bearer"));
    assert_eq!(
        request(
            addr,
            "POST",
            "/v1/events",
            &[("Authorization", "Bearer t3")],
            &body
        )
        .status,
        401
    );
    assert_eq!(
        request(
            addr,
            "POST",
            "/v1/events",
            &[("Authorization", "Bearer t2")],
            &body
        )
        .status,
        200
    );
    // A Segment write key, as the Basic user name ("t1:" in base64).
    assert_eq!(
        request(
            addr,
            "POST",
            "/v1/batch",
            &[("Authorization", "Basic dDE6")],
            &body
        )
        .status,
        200
    );
    collector.shutdown().unwrap();
    assert_eq!(Files::in_dir(&dir).event_lines().len(), 2);
}

#[test]
fn too_many_requests_at_once_get_503_and_shutdown_drains_the_one_in_flight() {
    let dir = temp_dir("collector-busy");
    let collector = start(&dir, |config| {
        config.max_in_flight = 1;
        config.body_timeout = Duration::from_secs(20);
    });
    let addr = collector.addr();
    let body = batch(&event_bytes(3));
    // A request that holds the only slot: its body is not all there yet.
    let mut first = TcpStream::connect(addr).unwrap();
    first
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let head = format!(
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    first.write_all(head.as_bytes()).unwrap();
    first.write_all(&body[..10]).unwrap();
    let busy = wait_until(Duration::from_secs(10), || {
        collector.metrics().in_flight.get() == 1
    });
    assert!(busy);
    let answer = post(addr, &body);
    assert_eq!(answer.status, 503, "{answer:?}");
    assert!(
        answer
            .headers
            .to_ascii_lowercase()
            .contains("retry-after: 1"),
        "{answer:?}"
    );

    // Shut down while the first request is in flight: it is still answered.
    let stopping = std::thread::spawn(move || collector.shutdown());
    std::thread::sleep(Duration::from_millis(200));
    first.write_all(&body[10..]).unwrap();
    let answer = read_answer(&mut first);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(
        answer.json(),
        serde_json::json!({"accepted": 3, "rejected": 0})
    );
    stopping.join().unwrap().unwrap();
    assert_eq!(Files::in_dir(&dir).event_lines().len(), 3);
}

#[test]
fn deep_nesting_is_kept_without_deep_recursion() {
    let dir = temp_dir("collector-deep");
    let collector = start(&dir, |_| {});
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    // Inside an event: the event fails (an unknown key, a wrong type) and is kept whole.
    let mut event = String::from_utf8(event_bytes(1).remove(0)).unwrap();
    event.insert_str(event.len() - 2, &format!(r#","surprise":{deep}"#));
    let tool_name = event.replacen(
        r#""tool_name":""#,
        &format!(r#""tool_name":{deep},"x":""#),
        1,
    );
    for item in [&event, &tool_name] {
        let answer = post(
            collector.addr(),
            format!(r#"{{"events":[{item}]}}"#).as_bytes(),
        );
        assert_eq!(answer.status, 200, "{answer:?}");
        assert_eq!(
            answer.json(),
            serde_json::json!({"accepted": 0, "rejected": 1})
        );
    }
    // As the whole body: not a batch, kept.
    assert_eq!(post(collector.addr(), deep.as_bytes()).status, 400);
    collector.shutdown().unwrap();
    let text = std::fs::read_to_string(dir.join("failed.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with(r#"{"reason":"schema_violation""#));
    assert!(lines[0].contains(&format!(r#""payload":{event},"#)));
    assert!(lines[1].contains(&format!(r#""payload":{tool_name},"#)));
    assert!(lines[2].starts_with(r#"{"reason":"not_envelope""#));
    assert!(lines[2].contains(&format!(r#""payload":{deep},"#)));
}
