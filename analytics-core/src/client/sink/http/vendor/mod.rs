//! The request bodies of the vendor formats an [`HttpSink`](super::HttpSink)
//! can post, and what their error responses say about single events.
//!
//! Each format is one file with the same three functions: `open` writes the
//! body up to the first event, `event` writes one event, `close` ends the
//! body. An event the format cannot express is refused before anything is
//! sent (see [`Refused`]); the worker counts it `rejected` and sends the rest.

use std::borrow::Cow;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::HttpFormat;
use crate::client::sink::Envelope;
use crate::json::write_str;

mod amplitude;
mod mixpanel;
mod posthog;
mod segment;

/// The vendor formats, as [`HttpFormat`] names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Vendor {
    Segment,
    PostHog,
    Amplitude,
    Mixpanel,
}

impl Vendor {
    /// The vendor of `format`; `None` for the reference format.
    pub fn of(format: HttpFormat) -> Option<Vendor> {
        match format {
            HttpFormat::Events => None,
            HttpFormat::Segment => Some(Vendor::Segment),
            HttpFormat::PostHog => Some(Vendor::PostHog),
            HttpFormat::Amplitude => Some(Vendor::Amplitude),
            HttpFormat::Mixpanel => Some(Vendor::Mixpanel),
        }
    }

    /// Writes the body up to the first event.
    pub fn open(self, out: &mut Vec<u8>, api_key: &str) {
        match self {
            Vendor::Segment => segment::open(out),
            Vendor::PostHog => posthog::open(out, api_key),
            Vendor::Amplitude => amplitude::open(out, api_key),
            Vendor::Mixpanel => mixpanel::open(out),
        }
    }

    /// Checks that `event` can be written in this format.
    pub fn check(self, event: &Event<'_>) -> Result<(), Refused> {
        match self {
            Vendor::Mixpanel => mixpanel::check(event),
            Vendor::Segment | Vendor::PostHog | Vendor::Amplitude => Ok(()),
        }
    }

    /// Writes one (checked) event.
    pub fn event(self, out: &mut Vec<u8>, event: &Event<'_>) {
        match self {
            Vendor::Segment => segment::event(out, event),
            Vendor::PostHog => posthog::event(out, event),
            Vendor::Amplitude => amplitude::event(out, event),
            Vendor::Mixpanel => mixpanel::event(out, event),
        }
    }

    /// Ends the body.
    pub fn close(self, out: &mut Vec<u8>) {
        match self {
            Vendor::Segment => segment::close(out),
            Vendor::PostHog => posthog::close(out),
            Vendor::Amplitude => amplitude::close(out),
            Vendor::Mixpanel => mixpanel::close(out),
        }
    }

    /// What a 429 `body` says per event (Amplitude only).
    pub fn rate_limited(self, body: &str) -> Option<amplitude::RateLimited> {
        match self {
            Vendor::Amplitude => amplitude::rate_limited(body),
            Vendor::Mixpanel | Vendor::Segment | Vendor::PostHog => None,
        }
    }

    /// The events a 400 `body` refuses one by one; empty when it refuses
    /// the whole request (or the vendor names no events).
    pub fn refused_events(self, body: &str) -> Vec<usize> {
        match self {
            Vendor::Amplitude => amplitude::refused_events(body),
            Vendor::Mixpanel => mixpanel::refused_events(body),
            Vendor::Segment | Vendor::PostHog => Vec::new(),
        }
    }
}

/// Who an event is about, in the terms every vendor shares: a known user, or
/// an anonymous id that stands for the device or installation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Identity<'a> {
    /// The user the event is about, when known (the event's own, else the sink's).
    pub user_id: Option<Cow<'a, str>>,
    /// The fallback identity (always set: the event's own, else the sink's).
    pub anonymous_id: Cow<'a, str>,
    /// The anonymous id came from the event itself: vendors that take both
    /// ids get it beside the user id, so they can link the device to the user.
    pub anonymous_from_event: bool,
}

impl Identity<'_> {
    /// The id a vendor with a single identity key uses (`distinct_id`).
    pub fn distinct_id(&self) -> &str {
        self.user_id.as_deref().unwrap_or(&self.anonymous_id)
    }

    /// The user id, and the anonymous id when it is to be sent: alone when
    /// there is no user id, beside it when the event carried its own.
    pub fn ids(&self) -> (Option<&str>, Option<&str>) {
        let user = self.user_id.as_deref();
        let anonymous =
            (user.is_none() || self.anonymous_from_event).then_some(&*self.anonymous_id);
        (user, anonymous)
    }
}

/// One envelope taken apart into what every vendor body is made of.
pub(crate) struct Event<'a> {
    /// The wire name (`event_type`).
    pub name: String,
    /// The `event_params` object, compact JSON.
    pub params: Vec<u8>,
    /// The stable message id as a UUID string, the vendor's dedupe key.
    pub id: String,
    /// When the event was tracked, Unix milliseconds.
    pub timestamp_ms: u64,
    /// Who it is about.
    pub identity: Identity<'a>,
}

/// Why an event cannot be written in a vendor format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused(pub String);

impl<'a> Event<'a> {
    /// Takes `envelope` apart; refused when it is not an event envelope
    /// (no string `event_type`, or `event_params` not an object). Other
    /// top-level keys (`#[analytics(envelope)]` fields) join the params, so
    /// no data is left behind; one that is also a param name is refused.
    pub fn of(envelope: &Envelope) -> Result<Self, Refused> {
        let (name, params) = take_apart(envelope.json())?;
        Ok(Event {
            name,
            params,
            id: envelope.message_id(),
            timestamp_ms: envelope.timestamp_ms(),
            identity: Identity::default(),
        })
    }

    /// The members of `params` without the braces (empty for `{}`).
    pub fn params_members(&self) -> &[u8] {
        self.params
            .strip_prefix(b"{")
            .and_then(|members| members.strip_suffix(b"}"))
            .unwrap_or_default()
            .trim_ascii()
    }
}

/// The `event_type` and the params (with any other top-level key) of an
/// envelope.
fn take_apart(json: &[u8]) -> Result<(String, Vec<u8>), Refused> {
    if let Some((name, params)) = compact_parts(json) {
        return Ok((name.to_owned(), params.to_vec()));
    }
    use serde_json::Value;
    let refuse = |why: &str| Refused(format!("not an event envelope: {why}"));
    let value: Value =
        serde_json::from_slice(json).map_err(|error| refuse(&format!("not JSON ({error})")))?;
    let Value::Object(mut members) = value else {
        return Err(refuse("not a JSON object"));
    };
    let Some(Value::String(name)) = members.remove("event_type") else {
        return Err(refuse("no string `event_type`"));
    };
    let Some(Value::Object(mut params)) = members.remove("event_params") else {
        return Err(Refused(format!(
            "`event_params` of `{name}` is missing or not a JSON object"
        )));
    };
    for (key, value) in members {
        if params.contains_key(&key) {
            return Err(Refused(format!(
                "`{name}` has `{key}` both in the envelope and in `event_params`"
            )));
        }
        params.insert(key, value);
    }
    let params = serde_json::to_vec(&params).map_err(|error| refuse(&error.to_string()))?;
    Ok((name, params))
}

/// The parts of an envelope in the compact shape the client writes,
/// `{"event_type":"NAME","event_params":{..}}`, without building it.
fn compact_parts(json: &[u8]) -> Option<(&str, &[u8])> {
    const HEAD: &[u8] = b"{\"event_type\":\"";
    const MIDDLE: &[u8] = b"\",\"event_params\":";
    let rest = json.strip_prefix(HEAD)?;
    let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    if rest[end] != b'"' {
        return None;
    }
    let name = std::str::from_utf8(&rest[..end]).ok()?;
    let params = rest[end..].strip_prefix(MIDDLE)?.strip_suffix(b"}")?;
    // Exactly one object: nothing after it (such as a key after `event_params`).
    if params.first() != Some(&b'{') {
        return None;
    }
    serde_json::from_slice::<serde::de::IgnoredAny>(params).ok()?;
    Some((name, params))
}

/// Writes `ms` (Unix milliseconds) as an RFC 3339 string with milliseconds,
/// quoted: `"2026-11-25T13:05:00.123Z"`.
pub(crate) fn write_rfc3339_ms(out: &mut Vec<u8>, ms: u64) {
    let time = UNIX_EPOCH + Duration::from_millis(ms);
    write_str(
        out,
        &humantime::format_rfc3339_millis(time.max(UNIX_EPOCH)).to_string(),
    );
}

/// Unix milliseconds now.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as u64)
}

/// The first top-level key of the JSON object `object` that is one of
/// `reserved`, read without building the object.
pub(crate) fn reserved_key(
    object: &[u8],
    reserved: &'static [&'static str],
) -> Result<Option<&'static str>, serde_json::Error> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

    struct FindKey(&'static [&'static str]);

    impl<'de> Visitor<'de> for FindKey {
        type Value = Option<&'static str>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                if found.is_none() {
                    found = self.0.iter().copied().find(|reserved| *reserved == key);
                }
                map.next_value::<IgnoredAny>()?;
            }
            Ok(found)
        }
    }

    serde_json::Deserializer::from_slice(object).deserialize_map(FindKey(reserved))
}

/// The event indices a vendor's error body lists under `keys`: each key
/// holds either an array of indices or an object whose values are arrays of
/// indices (`{"time":[3,4]}`). Anything else under those keys is ignored.
pub(crate) fn listed_indices(body: &serde_json::Value, keys: &[&str]) -> Vec<usize> {
    fn collect(value: &serde_json::Value, out: &mut Vec<usize>) {
        match value {
            serde_json::Value::Array(items) => out.extend(
                items
                    .iter()
                    .filter_map(serde_json::Value::as_u64)
                    .filter_map(|index| usize::try_from(index).ok()),
            ),
            serde_json::Value::Object(fields) => {
                for value in fields.values() {
                    if value.is_array() {
                        collect(value, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut indices = Vec::new();
    for key in keys {
        if let Some(value) = body.get(key) {
            collect(value, &mut indices);
        }
    }
    indices.sort_unstable();
    indices.dedup();
    indices
}

/// The values of up to two top-level keys of the JSON object `json`, each
/// `None` when its key is absent or its value is not a non-empty string
/// (`null` included); other members are skipped unparsed.
pub(crate) fn read_ids(json: &[u8], keys: [Option<&str>; 2]) -> [Option<String>; 2] {
    use serde::de::{Deserializer as _, IgnoredAny, MapAccess, Visitor};

    struct Find<'k>([Option<&'k str>; 2]);

    impl<'de> Visitor<'de> for Find<'_> {
        type Value = [Option<String>; 2];

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = [None, None];
            while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                match self.0.iter().position(|wanted| *wanted == Some(&*key)) {
                    Some(slot) => {
                        found[slot] = match map.next_value::<serde_json::Value>()? {
                            serde_json::Value::String(id) if !id.is_empty() => Some(id),
                            _ => None,
                        };
                    }
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(found)
        }
    }

    if keys == [None, None] {
        return [None, None];
    }
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    deserializer
        .deserialize_map(Find(keys))
        .unwrap_or([None, None])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_are_taken_apart_without_losing_keys() {
        let parts = |json: &str| {
            take_apart(json.as_bytes())
                .map(|(name, params)| (name, String::from_utf8(params).unwrap()))
        };
        let ok = |name: &str, params: &str| Ok((name.to_owned(), params.to_owned()));
        assert_eq!(
            parts(r#"{"event_type":"a","event_params":{"z":1,"b":[2]}}"#),
            ok("a", r#"{"z":1,"b":[2]}"#)
        );
        // Envelope keys join the params (key order is serde_json's).
        let joined = |json: &str| {
            let (name, params) = take_apart(json.as_bytes()).unwrap();
            (
                name,
                serde_json::from_slice::<serde_json::Value>(&params).unwrap(),
            )
        };
        assert_eq!(
            joined(r#"{"event_type":"a","skill_id":"s","event_params":{"n":1}}"#),
            ("a".to_owned(), serde_json::json!({"n": 1, "skill_id": "s"}))
        );
        assert_eq!(
            joined(r#"{"event_type":"a","event_params":{"n":1},"late":true}"#),
            ("a".to_owned(), serde_json::json!({"n": 1, "late": true}))
        );
        assert_eq!(
            parts(r#"{"event_params":{},"event_type":"a\u0062"}"#),
            ok("ab", "{}")
        );
        for bad in [
            "",
            "[]",
            r#"{"event_params":{}}"#,
            r#"{"event_type":1,"event_params":{}}"#,
            r#"{"event_type":"a","event_params":[1]}"#,
            r#"{"event_type":"a","n":2,"event_params":{"n":1}}"#,
        ] {
            assert!(parts(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timestamps_are_rfc3339_with_milliseconds() {
        let mut out = Vec::new();
        write_rfc3339_ms(&mut out, 0);
        write_rfc3339_ms(&mut out, 1_709_210_096_789);
        assert_eq!(
            out,
            b"\"1970-01-01T00:00:00.000Z\"\"2024-02-29T12:34:56.789Z\""
        );
    }

    #[test]
    fn reserved_keys_are_found_at_the_top_level_only() {
        const RESERVED: &[&str] = &["time", "$insert_id"];
        let find = |json: &str| reserved_key(json.as_bytes(), RESERVED).unwrap();
        assert_eq!(find(r#"{"a":1,"time":2}"#), Some("time"));
        assert_eq!(find(r#"{"a":{"time":2},"b":[{"time":1}]}"#), None);
        assert_eq!(find(r#"{"\u0024insert_id":"x"}"#), Some("$insert_id"));
        assert_eq!(find("{}"), None);
        assert!(reserved_key(b"[1]", RESERVED).is_err());
    }

    #[test]
    fn indices_are_read_from_arrays_and_maps_of_arrays() {
        let body = serde_json::json!({
            "code": 400,
            "events_with_invalid_fields": {"time": [3, 1], "event_type": [1]},
            "silenced_events": [7],
            "other": [9],
        });
        assert_eq!(
            listed_indices(&body, &["events_with_invalid_fields", "silenced_events"]),
            [1, 3, 7]
        );
        assert!(listed_indices(&serde_json::json!("x"), &["a"]).is_empty());
    }

    #[test]
    fn read_ids_takes_top_level_non_empty_strings_only() {
        let json = br#"{"nested":{"uid":"no"},"uid":"u-1","n":null,"num":5,"e":"","esc\u0061":"yes","did":"d-1"}"#;
        assert_eq!(
            read_ids(json, [Some("uid"), Some("did")]),
            [Some("u-1".to_owned()), Some("d-1".to_owned())]
        );
        assert_eq!(read_ids(json, [Some("n"), Some("num")]), [None, None]);
        assert_eq!(read_ids(json, [Some("e"), None]), [None, None]);
        assert_eq!(
            read_ids(json, [Some("esca"), None]),
            [Some("yes".to_owned()), None]
        );
        assert_eq!(read_ids(b"not json", [Some("uid"), None]), [None, None]);
        assert_eq!(read_ids(br#"{"uid":"u"}"#, [None, None]), [None, None]);
    }
}
