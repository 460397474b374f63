//! Amplitude's HTTP API v2 (`POST /2/httpapi`): `{"api_key":..,"events":[
//! {"event_type":..,"user_id":..,"device_id":.. (one or both),"event_properties":{..},
//! "time":<ms>,"insert_id":..}]}`. The API key travels in the body;
//! Amplitude dedupes on `insert_id` (7 days).
//!
//! A 400 names the events it refused by index; Amplitude ingested none of
//! the batch, so those are dropped and the others sent again, as its SDKs do.
//! A 400 with `missing_field` (the request itself is malformed, such as no
//! `api_key`) refuses the whole batch.
//!
//! A 429 names the throttled events (`throttled_events`, indices) and the
//! users and devices over their daily quota (`exceeded_daily_quota_users`,
//! `exceeded_daily_quota_devices`, maps from id to count). As Amplitude's
//! SDKs do, the events of those users and devices are dropped (they would
//! be refused until the quota resets), the throttled ones are retried after
//! a wait, and the others are sent again at once (Amplitude ingested none of
//! the request; `insert_id` makes a resend safe either way).

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

/// What a 429 body says, per event.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct RateLimited {
    /// Indices of the throttled events.
    pub throttled: Vec<usize>,
    /// Users over their daily quota.
    pub quota_users: Vec<String>,
    /// Devices over their daily quota.
    pub quota_devices: Vec<String>,
}

/// Reads a 429 `body`; `None` when it is not Amplitude's JSON.
pub(crate) fn rate_limited(body: &str) -> Option<RateLimited> {
    let body = serde_json::from_str::<serde_json::Value>(body).ok()?;
    body.as_object()?;
    let ids = |key: &str| -> Vec<String> {
        body.get(key)
            .and_then(serde_json::Value::as_object)
            .map(|ids| ids.keys().cloned().collect())
            .unwrap_or_default()
    };
    Some(RateLimited {
        throttled: listed_indices(&body, &["throttled_events"]),
        quota_users: ids("exceeded_daily_quota_users"),
        quota_devices: ids("exceeded_daily_quota_devices"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_429_body_names_throttled_events_and_users_over_quota() {
        // The documented example, with the daily-quota maps.
        let body = r#"{"code":429,"error":"Too many requests for some devices and users",
            "eps_threshold":10,
            "throttled_devices":{"C8F9E604-F01A-4BD9-95C6-8E5357DF265D":11},
            "throttled_users":{"datamonster@amplitude.com":12},
            "exceeded_daily_quota_users":{"over@example.com":500001},
            "exceeded_daily_quota_devices":{"device-over":500001},
            "throttled_events":[7,3,4]}"#;
        assert_eq!(
            rate_limited(body),
            Some(RateLimited {
                throttled: vec![3, 4, 7],
                quota_users: vec!["over@example.com".to_owned()],
                quota_devices: vec!["device-over".to_owned()],
            })
        );
        assert_eq!(
            rate_limited(r#"{"code":429,"error":"Too many requests"}"#),
            Some(RateLimited::default())
        );
        assert_eq!(rate_limited("slow down"), None);
    }

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
