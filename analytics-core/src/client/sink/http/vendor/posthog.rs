//! PostHog's batch capture (`POST /batch/`): `{"api_key":..,"batch":[{"event":..,
//! "properties":{..},"distinct_id":..,"timestamp":..,"uuid":..}]}`. The
//! project API key travels in the body; PostHog dedupes on `uuid`.

use super::{write_rfc3339_ms, Event};
use crate::json::write_str;

pub(crate) fn open(out: &mut Vec<u8>, api_key: &str) {
    out.extend_from_slice(b"{\"api_key\":");
    write_str(out, api_key);
    out.extend_from_slice(b",\"batch\":[");
}

pub(crate) fn event(out: &mut Vec<u8>, event: &Event<'_>) {
    out.extend_from_slice(b"{\"event\":");
    write_str(out, &event.name);
    out.extend_from_slice(b",\"properties\":");
    out.extend_from_slice(&event.params);
    out.extend_from_slice(b",\"distinct_id\":");
    write_str(out, event.identity.distinct_id());
    out.extend_from_slice(b",\"timestamp\":");
    write_rfc3339_ms(out, event.timestamp_ms);
    out.extend_from_slice(b",\"uuid\":");
    write_str(out, &event.id);
    out.push(b'}');
}

pub(crate) fn close(out: &mut Vec<u8>) {
    out.extend_from_slice(b"]}");
}
