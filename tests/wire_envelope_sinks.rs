//! `#[analytics(envelope)]` keys on the client side: the JSONL bytes carry
//! them at the top level, every vendor body puts them into the event's
//! properties (nothing left behind), and the PII policy reaches them.

mod client_support;
mod client_vendor_support;

use std::time::Duration;

use analytics_core::{
    AnalyticsEvent, Client, HttpSink, JsonLinesSink, MemorySink, PiiPolicy, Sink, TrackEventRequest,
};
use client_vendor_support::{envelope, Reply, Server};

const SECRET: &str = "ada-secret@example.com";

/// A skill was invoked: two envelope keys, one of them personal.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "codex_skill_invoked")]
pub struct SkillInvoked {
    #[analytics(envelope)]
    pub skill_id: String,
    #[analytics(envelope, pii)]
    pub invoked_by: String,
    pub invocation: String,
}

fn skill() -> SkillInvoked {
    SkillInvoked {
        skill_id: "s-1".into(),
        invoked_by: SECRET.into(),
        invocation: "manual".into(),
    }
}

#[test]
fn vendor_bodies_put_envelope_keys_into_the_properties() {
    let server = Server::start(|_, _| Reply::body(200, r#"{"status":1}"#));
    let event = envelope(&skill(), 0);
    let mut sinks = [
        (
            "segment",
            HttpSink::segment(server.url("/segment"), "k").anonymous_id("a"),
        ),
        (
            "posthog",
            HttpSink::posthog(server.url("/posthog"), "k").anonymous_id("a"),
        ),
        (
            "amplitude",
            HttpSink::amplitude(server.url("/amplitude"), "k").anonymous_id("a"),
        ),
        (
            "mixpanel",
            HttpSink::mixpanel(server.url("/mixpanel"), "k").anonymous_id("a"),
        ),
    ];
    for (_, sink) in &mut sinks {
        sink.send(std::slice::from_ref(&event)).expect("accepted");
    }
    let seen = server.seen();
    assert_eq!(seen.len(), sinks.len());
    for (request, (vendor, _)) in seen.iter().zip(&sinks) {
        let body = request.json();
        let properties = match *vendor {
            "segment" | "posthog" => &body["batch"][0]["properties"],
            "amplitude" => &body["events"][0]["event_properties"],
            _ => &body[0]["properties"],
        };
        assert_eq!(properties["skill_id"], "s-1", "{vendor}: {body}");
        assert_eq!(properties["invoked_by"], SECRET, "{vendor}: {body}");
        assert_eq!(properties["invocation"], "manual", "{vendor}: {body}");
    }
}

/// Envelope keys, none personal, and a personal param.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "codex_skill_shared")]
pub struct SkillShared {
    #[analytics(envelope)]
    pub skill_id: String,
    #[analytics(pii)]
    pub shared_with: String,
}

fn delivered(policy: PiiPolicy, event: impl AnalyticsEvent) -> serde_json::Value {
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .pii_policy(policy)
        .build()
        .expect("client");
    client.track(event).expect("tracked");
    client.flush(Duration::from_secs(10)).expect("flushed");
    client_support::assert_settled(&client);
    let values = sink.values();
    assert_eq!(values.len(), 1, "one event delivered: {values:?}");
    values.into_iter().next().unwrap()
}

#[test]
fn pii_policy_reaches_envelope_keys() {
    let kept = delivered(PiiPolicy::Keep, skill());
    assert_eq!(kept["invoked_by"], SECRET);
    assert_eq!(kept["skill_id"], "s-1");

    let dropped = delivered(PiiPolicy::Drop, skill());
    let text = dropped.to_string();
    assert!(!text.contains(SECRET), "{text}");
    assert!(dropped.get("invoked_by").is_none(), "{text}");
    assert_eq!(dropped["skill_id"], "s-1", "{text}");
    assert_eq!(dropped["event_params"]["invocation"], "manual", "{text}");

    let shared = SkillShared {
        skill_id: "s-2".into(),
        shared_with: SECRET.into(),
    };
    let dropped = delivered(PiiPolicy::Drop, shared);
    let text = dropped.to_string();
    assert!(!text.contains(SECRET), "{text}");
    assert_eq!(dropped["skill_id"], "s-2", "{text}");
}

#[test]
fn jsonl_lines_are_the_envelope_bytes() {
    let dir = std::env::temp_dir().join(format!("wire_envelope_sinks_{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("events.jsonl");
    let mut sink = JsonLinesSink::new(&path);
    let mut expected = Vec::new();
    skill().write_json(&mut expected);
    let request = TrackEventRequest::from(skill());
    sink.send(&[envelope(&skill(), 0)]).expect("written");
    sink.flush().expect("flushed");
    let text = std::fs::read_to_string(&path).unwrap();
    let line = text.lines().next().expect("one line");
    assert_eq!(line.as_bytes(), expected.as_slice());
    assert_eq!(serde_json::to_string(&request).unwrap(), line);
    assert!(
        line.starts_with(r#"{"event_type":"codex_skill_invoked","skill_id":"s-1","invoked_by":"#)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
