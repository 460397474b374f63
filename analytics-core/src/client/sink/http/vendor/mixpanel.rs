//! Mixpanel's import API (`POST /import?strict=1`): `[{"event":..,"properties":
//! {"time":<ms>,"distinct_id":..,"$insert_id":..,<params>}}]`, HTTP basic
//! auth with the project token (or a service account and `project_id`).
//! Mixpanel dedupes on `$insert_id`.
//!
//! The event's params share `properties` with Mixpanel's own keys, so an
//! event with a param named `time`, `distinct_id`, `$insert_id` or `token`
//! cannot be written without losing one of the two values: it is refused.
//! A strict-mode 400 lists its failed records by index: those are dropped
//! and the others sent again (Mixpanel ingested them already and dedupes
//! the second copy on `$insert_id`).

use super::{reserved_key, Event, Refused};
use crate::json::{write_int, write_str};

/// The property names Mixpanel gives a meaning of its own.
const RESERVED: &[&str] = &["time", "distinct_id", "$insert_id", "token"];

pub(crate) fn open(out: &mut Vec<u8>) {
    out.push(b'[');
}

/// Checks that `event` can be written: no param named like a Mixpanel key.
pub(crate) fn check(event: &Event<'_>) -> Result<(), Refused> {
    match reserved_key(&event.params, RESERVED) {
        Ok(None) => Ok(()),
        Ok(Some(key)) => Err(Refused(format!(
            "`{}` has a param named `{key}`, which Mixpanel reserves",
            event.name
        ))),
        Err(error) => Err(Refused(format!(
            "`event_params` of `{}` is not valid JSON: {error}",
            event.name
        ))),
    }
}

pub(crate) fn event(out: &mut Vec<u8>, event: &Event<'_>) {
    out.extend_from_slice(b"{\"event\":");
    write_str(out, &event.name);
    out.extend_from_slice(b",\"properties\":{\"time\":");
    write_int(out, event.timestamp_ms);
    out.extend_from_slice(b",\"distinct_id\":");
    write_str(out, event.identity.distinct_id());
    out.extend_from_slice(b",\"$insert_id\":");
    write_str(out, &event.id);
    let members = event.params_members();
    if !members.is_empty() {
        out.push(b',');
        out.extend_from_slice(members);
    }
    out.extend_from_slice(b"}}");
}

pub(crate) fn close(out: &mut Vec<u8>) {
    out.push(b']');
}

/// The indices of the failed records of a strict-mode 400 `body`; empty
/// when it names none (the whole request is refused).
pub(crate) fn refused_events(body: &str) -> Vec<usize> {
    let Ok(body) = serde_json::from_str::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let Some(records) = body.get("failed_records").and_then(|r| r.as_array()) else {
        return Vec::new();
    };
    let mut indices: Vec<usize> = records
        .iter()
        .filter_map(|record| record.get("index")?.as_u64())
        .filter_map(|index| usize::try_from(index).ok())
        .collect();
    indices.sort_unstable();
    indices.dedup();
    indices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_records_name_the_refused_events() {
        let body = r#"{"code":400,"error":"some data points in the request failed validation",
            "status":"Bad Request","num_records_imported":999,
            "failed_records":[{"index":0,"insert_id":"13c0b661-f48b-51cd-ba54-97c5999169c0",
            "field":"properties.time","message":"'properties.time' is invalid"},{"index":5}]}"#;
        assert_eq!(refused_events(body), [0, 5]);
        assert!(refused_events(r#"{"code":400,"error":"x"}"#).is_empty());
        assert!(refused_events("<html>").is_empty());
    }
}
