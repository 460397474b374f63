//! The PII policy: fields marked `#[analytics(pii)]` (nested objects and
//! arrays of objects included) are kept, dropped or hashed before an event
//! leaves the process.

mod client_support;

use std::time::Duration;

use analytics_core::{AnalyticsEvent, AnalyticsFields, Client, MemorySink, PiiPolicy};
use serde_json::json;

/// How to reach someone.
#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
pub struct Contact {
    /// Personal.
    #[analytics(pii)]
    pub email: String,
    /// Not personal.
    pub country: String,
}

/// A sign-up.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "signup_event")]
pub struct Signup {
    /// The plan.
    pub plan: String,
    /// Personal, optional.
    #[analytics(pii)]
    pub user_name: Option<String>,
    /// A nested object with a PII field.
    pub contact: Contact,
    /// An array of objects with a PII field.
    pub referrers: Vec<Contact>,
    /// Personal, with characters that need escaping.
    #[serde(rename = "ip")]
    #[analytics(pii)]
    pub ip_address: String,
    /// Not personal.
    pub count: u32,
}

/// No PII at all.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "plain_event")]
pub struct Plain {
    /// A note with "quotes" and \ backslashes.
    pub note: String,
}

fn signup(user_name: Option<&str>) -> Signup {
    Signup {
        plan: "pro".into(),
        user_name: user_name.map(Into::into),
        contact: Contact {
            email: "ada@example.com".into(),
            country: "uk".into(),
        },
        referrers: vec![
            Contact {
                email: "b@example.com".into(),
                country: "fr".into(),
            },
            Contact {
                email: "c\"q@example.com".into(),
                country: "de".into(),
            },
        ],
        ip_address: "10.0.0.1 \"\\".into(),
        count: 3,
    }
}

fn deliver(policy: PiiPolicy, events: Vec<analytics_core::TrackEventRequest>) -> Vec<Vec<u8>> {
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .pii_policy(policy)
        .build()
        .unwrap();
    for event in events {
        client.track(event).unwrap();
    }
    client.flush(Duration::from_secs(5)).unwrap();
    client_support::assert_invariant(&client.metrics());
    sink.envelopes().iter().map(|e| e.json().to_vec()).collect()
}

fn written(event: &impl AnalyticsEvent) -> Vec<u8> {
    let mut out = Vec::new();
    event.write_json(&mut out);
    out
}

fn sha256_hex(salt: &str, raw_json: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update(raw_json.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn schema_marks_the_pii_fields() {
    let schema = Signup::schema();
    let pii: Vec<_> = schema
        .fields
        .iter()
        .filter(|f| f.pii)
        .map(|f| f.name)
        .collect();
    assert_eq!(pii, ["user_name", "ip"]);
}

#[test]
fn keep_sends_the_event_unchanged() {
    let event = signup(Some("Ada"));
    let out = deliver(PiiPolicy::Keep, vec![event.clone().into()]);
    assert_eq!(out, vec![written(&event)]);
}

#[test]
fn drop_removes_pii_fields_everywhere_and_keeps_key_order() {
    let out = deliver(
        PiiPolicy::Drop,
        vec![signup(Some("Ada")).into(), signup(None).into()],
    );
    let expected = concat!(
        r#"{"event_type":"signup_event","event_params":{"plan":"pro","#,
        r#""contact":{"country":"uk"},"referrers":[{"country":"fr"},{"country":"de"}],"count":3}}"#
    );
    assert_eq!(String::from_utf8(out[0].clone()).unwrap(), expected);
    assert_eq!(String::from_utf8(out[1].clone()).unwrap(), expected);
}

#[test]
fn hash_replaces_pii_values_with_salted_sha256() {
    let out = deliver(
        PiiPolicy::hash("pepper"),
        vec![signup(Some("Ada")).into(), signup(None).into()],
    );
    let value: serde_json::Value = serde_json::from_slice(&out[0]).unwrap();
    let params = &value["event_params"];
    assert_eq!(params["user_name"], sha256_hex("pepper", r#""Ada""#));
    assert_eq!(params["ip"], sha256_hex("pepper", r#""10.0.0.1 \"\\""#));
    assert_eq!(
        params["contact"],
        json!({"email": sha256_hex("pepper", r#""ada@example.com""#), "country": "uk"})
    );
    assert_eq!(
        params["referrers"][1]["email"],
        sha256_hex("pepper", r#""c\"q@example.com""#)
    );
    assert_eq!(params["plan"], "pro");
    assert_eq!(params["count"], 3);
    // null stays null; key order is the event's own.
    let second: serde_json::Value = serde_json::from_slice(&out[1]).unwrap();
    assert!(second["event_params"]["user_name"].is_null());
    let text = String::from_utf8(out[0].clone()).unwrap();
    let order: Vec<_> = [
        "\"plan\"",
        "\"user_name\"",
        "\"contact\"",
        "\"referrers\"",
        "\"ip\"",
        "\"count\"",
    ]
    .iter()
    .map(|key| text.find(key).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    // Same value, same salt: same hash (joins still work).
    assert_eq!(
        params["referrers"][0]["email"],
        sha256_hex("pepper", r#""b@example.com""#)
    );
}

#[test]
fn events_without_pii_pass_through_byte_for_byte() {
    let event = Plain {
        note: "a \"quoted\" \\ note".into(),
    };
    for policy in [PiiPolicy::Drop, PiiPolicy::hash("x")] {
        let out = deliver(policy, vec![event.clone().into()]);
        assert_eq!(out, vec![written(&event)]);
    }
}
