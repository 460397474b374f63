//! The failed-event line: how an event that could not be accepted is kept,
//! with its reason and every error, instead of disappearing.
//!
//! One JSON object per line (the format of DESIGN.md, "The receiving side"),
//! written by the collector's failed-events file and by the client's
//! failed-events sink alike:
//!
//! ```json
//! {"reason":"rule_violation","errors":[{"path":"exit_code","rule":"range","message":"must be at most 255 (got 300)"}],"event_type":"command_ran","payload":{"event_type":"command_ran","event_params":{"exit_code":300}},"received_at":1764576000000}
//! ```
//!
//! `payload` is the event as received: the JSON value itself when the input
//! was JSON (its bytes kept as they came), the raw text as a JSON string when
//! it was not. Input that is not even UTF-8 is kept as lossy text in
//! `payload` and, exactly, as standard base64 in an extra key
//! `payload_base64`, so nothing is lost.

use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::value::RawValue;

/// Why an event was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FailureReason {
    /// The input is not JSON (truncated, invalid UTF-8, not a value).
    NotJson,
    /// JSON, but not an event envelope (`{"event_type":..,"event_params":{..}}`)
    /// nor a batch of them.
    NotEnvelope,
    /// An envelope whose `event_type` the tracking plan does not know.
    UnknownEventType,
    /// A value of the wrong type, a missing required key, an unknown key or an
    /// enum value outside its set.
    SchemaViolation,
    /// The shape is right but a field rule (`range`, `length`, ...) fails.
    RuleViolation,
    /// Over a size limit.
    TooLarge,
}

impl FailureReason {
    /// Every reason, in declaration order.
    pub const ALL: [FailureReason; 6] = [
        FailureReason::NotJson,
        FailureReason::NotEnvelope,
        FailureReason::UnknownEventType,
        FailureReason::SchemaViolation,
        FailureReason::RuleViolation,
        FailureReason::TooLarge,
    ];

    /// The wire spelling: `not_json`, `not_envelope`, `unknown_event_type`,
    /// `schema_violation`, `rule_violation`, `too_large`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FailureReason::NotJson => "not_json",
            FailureReason::NotEnvelope => "not_envelope",
            FailureReason::UnknownEventType => "unknown_event_type",
            FailureReason::SchemaViolation => "schema_violation",
            FailureReason::RuleViolation => "rule_violation",
            FailureReason::TooLarge => "too_large",
        }
    }

    /// The reason with this wire spelling, if any.
    pub fn from_wire(name: &str) -> Option<FailureReason> {
        FailureReason::ALL
            .into_iter()
            .find(|reason| reason.as_str() == name)
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One violated check: the same `(path, rule, message)` triple as a
/// [`ValidationError`](crate::ValidationError), owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedCheck {
    /// Where: `base.thread_id`, `receiver_thread_ids[2]`; empty for the whole event.
    pub path: String,
    /// Which check: a rule name (`range`), or a schema check (`type`,
    /// `required`, `unknown_key`, `enum`...).
    pub rule: String,
    /// What is wrong, for a person.
    pub message: String,
}

impl FailedCheck {
    /// A check from its parts.
    pub fn new(
        path: impl Into<String>,
        rule: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FailedCheck {
            path: path.into(),
            rule: rule.into(),
            message: message.into(),
        }
    }
}

impl From<&crate::ValidationError> for FailedCheck {
    fn from(error: &crate::ValidationError) -> Self {
        FailedCheck::new(error.path.clone(), error.rule, error.message.clone())
    }
}

/// The event as it was received.
#[derive(Debug, Clone)]
pub enum Payload {
    /// Valid JSON, kept byte for byte.
    Json(Box<RawValue>),
    /// Not JSON, but UTF-8 text: written as a JSON string.
    Text(String),
    /// Not UTF-8: written as lossy text plus the exact bytes in base64.
    Bytes(Vec<u8>),
}

impl Payload {
    /// The payload for these received bytes: JSON if they parse as one JSON
    /// value, text if they are UTF-8, bytes otherwise.
    pub fn from_bytes(bytes: &[u8]) -> Payload {
        match std::str::from_utf8(bytes) {
            Ok(text) => Payload::from_text(text),
            Err(_) => Payload::Bytes(bytes.to_vec()),
        }
    }

    /// The payload for this received text: JSON if it parses as one JSON
    /// value (surrounding white space trimmed), text otherwise.
    pub fn from_text(text: &str) -> Payload {
        match serde_json::from_str::<Box<RawValue>>(text.trim()) {
            Ok(raw) => Payload::Json(raw),
            Err(_) => Payload::Text(text.to_owned()),
        }
    }
}

/// An event that was not accepted, with everything needed to fix and replay it.
#[derive(Debug, Clone)]
pub struct FailedEvent {
    /// Why it failed.
    pub reason: FailureReason,
    /// Every violated check (empty for `not_json`, `too_large`...).
    pub errors: Vec<FailedCheck>,
    /// The `event_type` when one could be read.
    pub event_type: Option<String>,
    /// The event as received.
    pub payload: Payload,
    /// When it was received, in milliseconds since the Unix epoch.
    pub received_at_ms: u64,
}

impl FailedEvent {
    /// A failed event with no errors yet.
    pub fn new(reason: FailureReason, payload: Payload, received_at_ms: u64) -> Self {
        FailedEvent {
            reason,
            errors: Vec::new(),
            event_type: None,
            payload,
            received_at_ms,
        }
    }

    /// Sets the event type.
    pub fn with_event_type(mut self, event_type: impl Into<String>) -> Self {
        self.event_type = Some(event_type.into());
        self
    }

    /// Adds checks.
    pub fn with_errors(mut self, errors: impl IntoIterator<Item = FailedCheck>) -> Self {
        self.errors.extend(errors);
        self
    }

    /// Appends the line (compact JSON and a `\n`) to `out`.
    pub fn write_json_line(&self, out: &mut Vec<u8>) {
        serde_json::to_writer(&mut *out, self).expect("writing JSON to a Vec cannot fail");
        out.push(b'\n');
    }

    /// The line as a string, with its trailing `\n`.
    pub fn to_json_line(&self) -> String {
        let mut out = Vec::new();
        self.write_json_line(&mut out);
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }
}

impl Serialize for FailedCheck {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("path", &self.path)?;
        map.serialize_entry("rule", &self.rule)?;
        map.serialize_entry("message", &self.message)?;
        map.end()
    }
}

impl Serialize for FailedEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("reason", self.reason.as_str())?;
        map.serialize_entry("errors", &self.errors)?;
        map.serialize_entry("event_type", &self.event_type)?;
        match &self.payload {
            Payload::Json(raw) => map.serialize_entry("payload", raw)?,
            Payload::Text(text) => map.serialize_entry("payload", text)?,
            Payload::Bytes(bytes) => {
                use base64::Engine as _;
                map.serialize_entry("payload", &String::from_utf8_lossy(bytes))?;
                let exact = base64::engine::general_purpose::STANDARD.encode(bytes);
                map.serialize_entry("payload_base64", &exact)?;
            }
        }
        map.serialize_entry("received_at", &self.received_at_ms)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_payload_is_kept_byte_for_byte() {
        let received = br#"{"event_type":"x","event_params":{"a":1.50}}"#;
        let line = FailedEvent::new(
            FailureReason::RuleViolation,
            Payload::from_bytes(received),
            7,
        )
        .with_event_type("x")
        .with_errors([FailedCheck::new("a", "range", "must be at most 1")])
        .to_json_line();
        assert_eq!(
            line,
            concat!(
                r#"{"reason":"rule_violation","errors":[{"path":"a","rule":"range","message":"must be at most 1"}],"#,
                r#""event_type":"x","payload":{"event_type":"x","event_params":{"a":1.50}},"received_at":7}"#,
                "\n"
            )
        );
    }

    #[test]
    fn text_that_is_not_json_is_a_string() {
        let line = FailedEvent::new(FailureReason::NotJson, Payload::from_bytes(b"{\"a\":"), 1)
            .to_json_line();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["payload"], "{\"a\":");
        assert_eq!(value["event_type"], serde_json::Value::Null);
        assert_eq!(value["errors"], serde_json::json!([]));
    }

    #[test]
    fn bytes_that_are_not_utf8_are_kept_exactly_in_base64() {
        let line = FailedEvent::new(
            FailureReason::NotJson,
            Payload::from_bytes(&[0xff, b'a']),
            1,
        )
        .to_json_line();
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["payload"], "\u{fffd}a");
        assert_eq!(value["payload_base64"], "/2E=");
    }

    #[test]
    fn reasons_round_trip_through_their_wire_names() {
        for reason in FailureReason::ALL {
            assert_eq!(FailureReason::from_wire(reason.as_str()), Some(reason));
        }
        assert_eq!(FailureReason::from_wire("other"), None);
    }
}
