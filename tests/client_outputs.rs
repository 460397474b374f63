//! What leaves the client besides delivered events (issue 12, findings 8,
//! 10 and 13): redacted error messages, an opt-in message-id key in the
//! envelope, and failed-event lines for invalid events.

mod client_support;

use std::time::Duration;

use analytics_core::failed::FailureReason;
use analytics_core::{
    AnalyticsEvent, Client, HttpSink, JsonLinesSink, MemorySink, PiiPolicy, TrackError,
};
use client_support::*;

/// An event with a rule on a personal field.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "login_event")]
pub struct Login {
    /// Personal, limited to two values.
    #[analytics(pii, one_of = ["a", "b"])]
    pub secret: String,
    /// Personal, checked by a custom rule that quotes the value.
    #[analytics(pii, custom = quotes_value)]
    pub email: String,
    /// Not personal.
    #[analytics(one_of = ["web", "cli"])]
    pub client: String,
}

fn quotes_value(value: &String) -> Result<(), String> {
    if value.contains('@') {
        Ok(())
    } else {
        Err(format!("{value:?} is not an address"))
    }
}

fn bad_login() -> Login {
    Login {
        secret: "the secret".into(),
        email: "ada-at-example".into(),
        client: "tv".into(),
    }
}

#[test]
fn track_error_redacts_pii_values() {
    let client = Client::builder().sink(MemorySink::new()).build().unwrap();
    let error = client.track(bad_login()).unwrap_err();
    let TrackError::Invalid(errors) = &error else {
        panic!("{error}");
    };
    assert_eq!(errors.len(), 3);
    let text = error.to_string();
    assert!(!text.contains("the secret"), "{text}");
    assert!(!text.contains("ada-at-example"), "{text}");
    assert!(
        text.contains(r#"secret: must be one of "a", "b" (got <redacted pii>)"#),
        "{text}"
    );
    // Not personal: the value stays, it helps to fix the call site.
    assert!(text.contains(r#"(got "tv")"#), "{text}");
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_invariant(&client.metrics());
}

#[test]
fn message_id_key_is_written_after_event_type() {
    let dir = temp_dir("message-id");
    let memory = MemorySink::new();
    let file = dir.join("events.jsonl");
    for sink in [0, 1] {
        let builder = Client::builder().message_id_key("message_id");
        let builder = if sink == 0 {
            builder.sink(memory.clone())
        } else {
            builder.sink(JsonLinesSink::new(&file))
        };
        let client = builder.build().unwrap();
        for i in 0..3 {
            client.track(command(i)).unwrap();
        }
        client.shutdown(Duration::from_secs(5)).unwrap();
        assert_invariant(&client.metrics());
    }
    let envelopes = memory.envelopes();
    for envelope in &envelopes {
        let text = std::str::from_utf8(envelope.json()).unwrap();
        let head = format!(
            r#"{{"event_type":"codex_command_execution_event","message_id":"{}","event_params":{{"#,
            envelope.message_id()
        );
        assert!(text.starts_with(&head), "{text}");
        // The params are the event's, untouched.
        assert_eq!(envelope.split().unwrap().0, "codex_command_execution_event");
    }
    let lines = std::fs::read_to_string(&file).unwrap();
    let ids: Vec<String> = lines
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).unwrap()["message_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|id| id.len() == 36));
    assert_ne!(ids[0], ids[1]);
    // Refused keys.
    for key in ["", "event_type", "event_params"] {
        assert!(Client::builder().message_id_key(key).build().is_err());
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn message_id_key_reaches_the_reference_format() {
    let server = ScriptedServer::start(|_, _| Action::Accept);
    let client = Client::builder()
        .sink(HttpSink::new(server.url("/v1/events")))
        .message_id_key("message_id")
        .build()
        .unwrap();
    client.track(command(5)).unwrap();
    client.shutdown(Duration::from_secs(10)).unwrap();
    assert_invariant(&client.metrics());
    let events = server.accepted_events();
    assert_eq!(events.len(), 1);
    let keys: Vec<&String> = events[0].as_object().unwrap().keys().collect();
    assert!(keys.contains(&&"message_id".to_owned()), "{:?}", events[0]);
    assert_eq!(events[0]["message_id"].as_str().unwrap().len(), 36);
}

#[test]
fn failed_events_sink_gets_invalid_events_with_pii_applied() {
    for spool in [false, true] {
        let dir = temp_dir("failed");
        let failed = MemorySink::new();
        let mut builder = Client::builder()
            .sink(MemorySink::new())
            .failed_events(failed.clone())
            .pii_policy(PiiPolicy::Drop);
        if spool {
            builder = builder.spool_dir(dir.join("spool"));
        }
        let client = builder.build().unwrap();
        assert!(client.track(bad_login()).is_err());
        client.track(command(1)).unwrap();
        client.flush(Duration::from_secs(5)).unwrap();
        let lines = failed.values();
        assert_eq!(lines.len(), 1, "spool {spool}");
        let line = &lines[0];
        assert_eq!(line["reason"], FailureReason::RuleViolation.as_str());
        assert_eq!(line["event_type"], "login_event");
        assert_eq!(line["errors"].as_array().unwrap().len(), 3);
        // PII policy applied to the payload, and redacted in the messages.
        assert_eq!(
            line["payload"],
            serde_json::json!({"event_type": "login_event", "event_params": {"client": "tv"}})
        );
        assert!(!line.to_string().contains("the secret"), "{line}");
        assert!(line["received_at"].as_u64().unwrap() > 0);
        client.shutdown(Duration::from_secs(5)).unwrap();
        let metrics = client.metrics();
        assert_eq!(metrics.failed_lines, 1);
        assert_eq!(metrics.dropped.invalid, 1);
        assert_invariant(&metrics);
        let _ = std::fs::remove_dir_all(dir);
    }
}
