//! The collector under bad input: truncated JSON, wrong types, huge bodies,
//! gzip bombs, deep nesting, invalid UTF-8, 10k-event batches, slow clients,
//! line breaks (in any part of a chunked body), missing tokens, too many
//! requests at once, and a shutdown with a request in flight. Each gets a
//! clear status, a failed-event line where there was an event, and no panic.

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

/// A body's events are checked as it is read: an event broken in any way
/// is one failed event and the others are kept; a body that turns out not
/// to be a batch only after some of its events were read keeps none of them
/// and is one failed event (400), as when it is split first.
#[test]
fn a_batch_whose_third_event_is_broken_keeps_the_others_and_a_broken_body_keeps_none() {
    let dir = temp_dir("collector-third");
    let files = Files::in_dir(&dir);
    let collector = start(&dir, |_| {});
    let addr = collector.addr();
    let events = event_bytes(3);
    let good = String::from_utf8(events[0].clone()).unwrap();
    let mut wrong_type: serde_json::Value = serde_json::from_slice(&events[0]).unwrap();
    wrong_type["event_params"]["review_count"] = serde_json::json!("many");
    assert!(good.contains(r#""review_count":0"#));
    let deep = good.replacen(
        r#""review_count":0"#,
        &format!(r#""review_count":{}{}"#, "[".repeat(200), "]".repeat(200)),
        1,
    );
    let out_of_range = good.replacen(r#""review_count":0"#, r#""review_count":1e999"#, 1);
    let thirds: Vec<(String, &str)> = vec![
        (wrong_type.to_string(), "schema_violation"),
        (good.replace("\"codex_", "\"nope_"), "unknown_event_type"),
        ("5".to_owned(), "not_envelope"),
        (format!(r#"{{"events":[{good}]}}"#), "not_envelope"),
        (out_of_range, "not_json"),
        (deep, "schema_violation"),
    ];
    let mut kept = Vec::new();
    for (third, reason) in &thirds {
        let body = format!(
            "{{\"events\":[{},{},{third},{}]}}",
            good,
            String::from_utf8_lossy(&events[1]),
            String::from_utf8_lossy(&events[2])
        );
        let answer = post(addr, body.as_bytes());
        assert_eq!(answer.status, 200, "{reason}: {answer:?}");
        assert_eq!(
            answer.json(),
            serde_json::json!({"accepted": 3, "rejected": 1}),
            "{reason}"
        );
        kept.extend([events[0].clone(), events[1].clone(), events[2].clone()]);
    }
    let broken_bodies = [
        (
            format!(r#"{{"events":[{good},{good},{{"event_type":"#),
            "not_json",
        ),
        (format!(r#"{{"events":[{good},{good},]}}"#), "not_json"),
        (
            format!(r#"{{"events":[{good},{good}]}} trailing"#),
            "not_json",
        ),
        (
            format!(r#"{{"events":[{good},{good}],"event_type":"x"}}"#),
            "not_envelope",
        ),
    ];
    for (body, reason) in &broken_bodies {
        let answer = post(addr, body.as_bytes());
        assert_eq!(answer.status, 400, "{body}: {answer:?}");
        assert_eq!(answer.json()["reason"], *reason, "{body}");
        assert_eq!(answer.json()["accepted"], 0, "{body}");
    }
    // A batch key after others: still a batch, every event read once.
    let answer = post(
        addr,
        format!(r#"{{"sentAt":"now","events":[{good},{good}]}}"#).as_bytes(),
    );
    assert_eq!(
        answer.json(),
        serde_json::json!({"accepted": 2, "rejected": 0})
    );
    kept.extend([events[0].clone(), events[0].clone()]);
    collector.shutdown().unwrap();

    assert!(
        files.event_lines() == kept,
        "the good events, byte for byte"
    );
    // Read as text: a payload kept as received may be JSON that
    // `serde_json::Value` does not take (1e999, 200 levels deep).
    let text = std::fs::read_to_string(dir.join("failed.jsonl")).unwrap();
    let reasons: Vec<&str> = text
        .lines()
        .map(|line| {
            let rest = line.strip_prefix(r#"{"reason":""#).unwrap();
            &rest[..rest.find('"').unwrap()]
        })
        .collect();
    let expected: Vec<&str> = thirds
        .iter()
        .map(|(_, reason)| *reason)
        .chain(broken_bodies.iter().map(|(_, reason)| *reason))
        .collect();
    assert_eq!(reasons, expected);
    // A broken third event is kept as itself; a broken body as a whole.
    let lines: Vec<&str> = text.lines().collect();
    for (line, (third, _)) in lines.iter().zip(&thirds) {
        assert!(line.contains(&format!(r#""payload":{third},"#)), "{line}");
    }
    let whole = serde_json::Value::String(broken_bodies[0].0.clone());
    assert!(lines[thirds.len()].contains(&format!(r#""payload":{whole},"#)));
}

#[test]
fn a_body_with_line_breaks_keeps_every_event_on_one_line_and_the_others_byte_for_byte() {
    let dir = temp_dir("collector-breaks");
    let files = Files::in_dir(&dir);
    let collector = start(&dir, |_| {});
    let addr = collector.addr();
    let events = event_bytes(3);
    let text = String::from_utf8(events[1].clone()).unwrap();
    let broken = text.replacen(",\"event_params\":", ",\n\r\n\"event_params\":", 1);
    assert_ne!(broken, text);
    // The accepted events of a body share its buffer, but for one whose line
    // must change: the events around it keep their bytes.
    let body = format!(
        "{{\"events\":[\n  {},\n  {broken},\n  {}\n]}}\n",
        String::from_utf8_lossy(&events[0]),
        String::from_utf8_lossy(&events[2])
    );
    for body in [body.clone().into_bytes(), gzip(body.as_bytes())] {
        let answer = if body.starts_with(&[0x1f, 0x8b]) {
            request(
                addr,
                "POST",
                "/v1/events",
                &[("Content-Encoding", "gzip")],
                &body,
            )
        } else {
            post(addr, &body)
        };
        assert_all_accepted(&answer.json(), 3, &answer);
    }
    collector.shutdown().unwrap();
    let spaced = text.replacen(",\"event_params\":", ",   \"event_params\":", 1);
    let expected = [events[0].clone(), spaced.into_bytes(), events[2].clone()];
    let expected: Vec<Vec<u8>> = expected.iter().chain(&expected).cloned().collect();
    assert_only_event_lines(&files, &expected);
}

#[test]
fn a_line_break_in_a_later_part_of_a_chunked_body_is_seen() {
    let dir = temp_dir("collector-chunked-breaks");
    let files = Files::in_dir(&dir);
    let collector = start(&dir, |_| {});
    let events = event_bytes(3);
    let text = String::from_utf8(events[1].clone()).unwrap();
    let broken = text.replacen(",\"event_params\":", ",\n\"event_params\":", 1);
    assert_ne!(broken, text);
    // The line break arrives only in the third part, well after the first
    // two have been read: the body is looked through part by part.
    let parts = [
        format!("{{\"events\":[{},", String::from_utf8_lossy(&events[0])),
        format!("{},", String::from_utf8_lossy(&events[2])),
        format!("{broken}]}}"),
    ];
    let mut stream = TcpStream::connect(collector.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    .unwrap();
    for part in &parts {
        write!(stream, "{:x}\r\n{part}\r\n", part.len()).unwrap();
        stream.flush().unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    stream.write_all(b"0\r\n\r\n").unwrap();
    let answer = read_answer(&mut stream);
    assert_all_accepted(&answer.json(), 3, &answer);
    collector.shutdown().unwrap();
    let spaced = text.replacen(",\"event_params\":", ", \"event_params\":", 1);
    let expected = vec![events[0].clone(), events[2].clone(), spaced.into_bytes()];
    assert_only_event_lines(&files, &expected);
}

/// The collector's answer accepted all `count` events of the request.
fn assert_all_accepted(json: &serde_json::Value, count: u64, answer: &dyn std::fmt::Debug) {
    assert_eq!(
        *json,
        serde_json::json!({"accepted": count, "rejected": 0}),
        "{answer:?}"
    );
}

/// The output holds exactly `expected`, and the failed-events file nothing.
fn assert_only_event_lines(files: &Files, expected: &[Vec<u8>]) {
    assert!(files.event_lines() == expected, "{:?}", files.event_lines());
    assert!(files.failed_lines().is_empty());
}
