//! Segment's batch API (`POST /v1/batch`), which RudderStack's HTTP API
//! takes unchanged: `{"batch":[{"type":"track","event":..,"properties":{..},
//! "messageId":..,"timestamp":..,"userId","anonymousId" (one or both)}],"sentAt":..}`,
//! HTTP basic auth with the write key as user and an empty password.

use super::{now_ms, write_rfc3339_ms, Event};
use crate::json::write_str;

pub(crate) fn open(out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"batch\":[");
}

pub(crate) fn event(out: &mut Vec<u8>, event: &Event<'_>) {
    out.extend_from_slice(b"{\"type\":\"track\",\"event\":");
    write_str(out, &event.name);
    out.extend_from_slice(b",\"properties\":");
    out.extend_from_slice(&event.params);
    out.extend_from_slice(b",\"messageId\":");
    write_str(out, &event.id);
    out.extend_from_slice(b",\"timestamp\":");
    write_rfc3339_ms(out, event.timestamp_ms);
    let (user_id, anonymous_id) = event.identity.ids();
    if let Some(user_id) = user_id {
        out.extend_from_slice(b",\"userId\":");
        write_str(out, user_id);
    }
    if let Some(anonymous_id) = anonymous_id {
        out.extend_from_slice(b",\"anonymousId\":");
        write_str(out, anonymous_id);
    }
    out.push(b'}');
}

pub(crate) fn close(out: &mut Vec<u8>) {
    out.extend_from_slice(b"],\"sentAt\":");
    write_rfc3339_ms(out, now_ms());
    out.push(b'}');
}
