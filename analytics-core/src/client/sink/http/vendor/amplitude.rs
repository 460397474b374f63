//! Amplitude's HTTP API v2 (`POST /2/httpapi`): `{"api_key":..,"events":[
//! {"event_type":..,"user_id":..,"device_id":.. (one or both),"event_properties":{..},
//! "time":<ms>,"insert_id":..}]}`. The API key travels in the body;
//! Amplitude dedupes on `insert_id` (7 days).
//!
//! A 400 names the events it refused by index; Amplitude ingested none of
//! the batch, so those are dropped and the others sent again, as its SDKs do.
//! A 400 with `missing_field` (the request itself is malformed, such as no
//! `api_key`) refuses the whole batch.

use super::{listed_indices, Event};
use crate::json::{write_int, write_str};

pub(crate) fn open(out: &mut Vec<u8>, api_key: &str) {
    out.extend_from_slice(b"{\"api_key\":");
    write_str(out, api_key);
    out.extend_from_slice(b",\"events\":[");
}

pub(crate) fn event(out: &mut Vec<u8>, event: &Event<'_>) {
    out.extend_from_slice(b"{\"event_type\":");
    write_str(out, &event.name);
    let (user_id, anonymous_id) = event.identity.ids();
    if let Some(user_id) = user_id {
        out.extend_from_slice(b",\"user_id\":");
        write_str(out, user_id);
    }
    if let Some(anonymous_id) = anonymous_id {
        out.extend_from_slice(b",\"device_id\":");
        write_str(out, anonymous_id);
    }
    out.extend_from_slice(b",\"event_properties\":");
    out.extend_from_slice(&event.params);
    out.extend_from_slice(b",\"time\":");
    write_int(out, event.timestamp_ms);
    out.extend_from_slice(b",\"insert_id\":");
    write_str(out, &event.id);
    out.push(b'}');
}

pub(crate) fn close(out: &mut Vec<u8>) {
    out.extend_from_slice(b"]}");
}

/// The keys of a 400 body that list refused events.
const REFUSED: &[&str] = &[
    "events_with_invalid_fields",
    "events_with_missing_fields",
    "events_with_invalid_id_lengths",
    "silenced_events",
];

/// The indices of the events a 400 `body` refuses; empty when the whole
/// request is refused (`missing_field`, or a body that names no event).
pub(crate) fn refused_events(body: &str) -> Vec<usize> {
    let Ok(body) = serde_json::from_str::<serde_json::Value>(body) else {
        return Vec::new();
    };
    if body
        .get("missing_field")
        .is_some_and(|field| !field.is_null())
    {
        return Vec::new();
    }
    listed_indices(&body, REFUSED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_400_body_names_the_refused_events() {
        let body = r#"{"code":400,"error":"Request missing required field",
            "events_with_invalid_fields":{"time":[3,4,7]},
            "events_with_missing_fields":{"event_type":[3,4,7]},
            "events_with_invalid_id_lengths":{"device_id":[1]},
            "silenced_events":[9]}"#;
        assert_eq!(refused_events(body), [1, 3, 4, 7, 9]);
    }

    #[test]
    fn a_malformed_request_refuses_everything() {
        let body =
            r#"{"code":400,"error":"Request missing required field","missing_field":"api_key"}"#;
        assert!(refused_events(body).is_empty());
        assert!(refused_events("not json").is_empty());
        assert!(refused_events(r#"{"code":400,"error":"Invalid API key: x"}"#).is_empty());
    }
}
