//! The body formats an [`HttpSink`](super::HttpSink) can post, by name.

use std::fmt;
use std::str::FromStr;

/// The body an [`HttpSink`](super::HttpSink) posts (docs/vendors.md has a table of what each
/// carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HttpFormat {
    /// The reference format: `{"events":[<envelope>,...]}`.
    Events,
    /// Segment's batch API, which RudderStack's HTTP API takes unchanged:
    /// `{"batch":[{"type":"track","event":NAME,"properties":{params},
    /// "messageId":..,"timestamp":..,"userId"|"anonymousId":..}],"sentAt":..}`,
    /// HTTP basic auth with the write key as user and an empty password.
    Segment,
    /// PostHog's batch capture: `{"api_key":..,"batch":[{"event":NAME,
    /// "properties":{params},"distinct_id":..,"timestamp":..,"uuid":..}]}`.
    PostHog,
    /// Amplitude's HTTP API v2: `{"api_key":..,"events":[{"event_type":NAME,
    /// "user_id"|"device_id":..,"event_properties":{params},"time":<ms>,
    /// "insert_id":..}]}`; a 400 drops the events it names and resends the rest.
    Amplitude,
    /// Mixpanel's import API: `[{"event":NAME,"properties":{"time":<ms>,
    /// "distinct_id":..,"$insert_id":..,params..}}]`, HTTP basic auth.
    Mixpanel,
}

impl HttpFormat {
    /// Every format, in the order of the table in docs/vendors.md.
    pub const ALL: &'static [HttpFormat] = &[
        HttpFormat::Events,
        HttpFormat::Segment,
        HttpFormat::PostHog,
        HttpFormat::Amplitude,
        HttpFormat::Mixpanel,
    ];

    /// The format's name: `events`, `segment`, `posthog`, `amplitude`, `mixpanel`.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpFormat::Events => "events",
            HttpFormat::Segment => "segment",
            HttpFormat::PostHog => "posthog",
            HttpFormat::Amplitude => "amplitude",
            HttpFormat::Mixpanel => "mixpanel",
        }
    }
}

impl fmt::Display for HttpFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name [`HttpFormat::from_str`] does not know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFormat(String);

impl fmt::Display for UnknownFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown HTTP format {:?}: expected events (or codex), segment (or rudderstack), \
             posthog, amplitude or mixpanel",
            self.0
        )
    }
}

impl std::error::Error for UnknownFormat {}

impl FromStr for HttpFormat {
    type Err = UnknownFormat;

    /// A name from [`as_str`](HttpFormat::as_str), or `codex` (the
    /// reference format) or `rudderstack` (the Segment format).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name {
            "events" | "codex" => Ok(HttpFormat::Events),
            "segment" | "rudderstack" => Ok(HttpFormat::Segment),
            "posthog" => Ok(HttpFormat::PostHog),
            "amplitude" => Ok(HttpFormat::Amplitude),
            "mixpanel" => Ok(HttpFormat::Mixpanel),
            other => Err(UnknownFormat(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for format in HttpFormat::ALL {
            assert_eq!(format.as_str().parse::<HttpFormat>(), Ok(*format));
        }
        assert_eq!("codex".parse::<HttpFormat>(), Ok(HttpFormat::Events));
        assert_eq!("rudderstack".parse::<HttpFormat>(), Ok(HttpFormat::Segment));
        let error = "kafka".parse::<HttpFormat>().unwrap_err();
        assert!(error.to_string().contains("\"kafka\""), "{error}");
    }
}
