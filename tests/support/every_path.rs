//! The writing paths of an event, each checked against the bytes serde
//! writes for a hand-written twin of its params: the check every `wire_*`
//! test starts with.

use analytics_core::{AnalyticsEvent, EventBatch, TrackEventRequest};
use serde::Serialize;

#[derive(Serialize)]
struct TwinEnvelope<'a, T> {
    event_type: &'static str,
    event_params: &'a T,
}

/// What serde writes for the twin, compact: for the reading checks that follow.
#[allow(
    dead_code,
    reason = "each test reads back only what its events can be read into"
)]
pub struct Written {
    /// The params object.
    #[allow(
        dead_code,
        reason = "a write-only event has nothing to read it back into"
    )]
    pub params: String,
    /// `{"event_type":..,"event_params":..}`.
    pub envelope: String,
}

/// Asserts that every way of writing `event` gives serde's bytes for `twin`
/// (a serde struct of its params): `to_string`, `to_string_pretty`,
/// `to_value`, `to_writer` and `write_params_json` for the params;
/// `write_json`, `TrackEventRequest` and a one-event `EventBatch` (serde and
/// `write_json`) for the envelope.
pub fn assert_writes_like<E, T>(event: &E, twin: &T) -> Written
where
    E: AnalyticsEvent + Serialize + Clone,
    T: Serialize,
{
    let params = serde_json::to_string(twin).unwrap();
    assert_eq!(serde_json::to_string(event).unwrap(), params);
    assert_eq!(
        serde_json::to_string_pretty(event).unwrap(),
        serde_json::to_string_pretty(twin).unwrap()
    );
    assert_eq!(
        serde_json::to_value(event).unwrap(),
        serde_json::to_value(twin).unwrap()
    );
    let mut writer = Vec::new();
    serde_json::to_writer(&mut writer, event).unwrap();
    assert_eq!(String::from_utf8(writer).unwrap(), params);
    let mut fast = Vec::new();
    event.write_params_json(&mut fast);
    assert_eq!(String::from_utf8(fast).unwrap(), params);

    let envelope = serde_json::to_string(&TwinEnvelope {
        event_type: E::NAME,
        event_params: twin,
    })
    .unwrap();
    let mut fast = Vec::new();
    AnalyticsEvent::write_json(event, &mut fast);
    assert_eq!(String::from_utf8(fast).unwrap(), envelope);
    let request = TrackEventRequest::new(event.clone());
    assert_eq!(serde_json::to_string(&request).unwrap(), envelope);
    let batch = EventBatch::new(vec![request]);
    let one = format!(r#"{{"events":[{envelope}]}}"#);
    assert_eq!(serde_json::to_string(&batch).unwrap(), one);
    let mut fast = Vec::new();
    batch.write_json(&mut fast);
    assert_eq!(String::from_utf8(fast).unwrap(), one);
    Written { params, envelope }
}
