//! HTTP delivery (feature `http`): the reference `{"events":[..]}` format and
//! a Segment-compatible batch format, over ureq with rustls.

use std::io::Read;
use std::time::Duration;

use super::{Envelope, Sink, SinkError};

/// The body an [`HttpSink`] posts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpFormat {
    /// The reference format: `{"events":[<envelope>,...]}`.
    Events,
    /// Segment's batch API: `{"batch":[{"type":"track","event":NAME,
    /// "properties":{params},"messageId":..,"timestamp":..,"anonymousId":..}]}`,
    /// authenticated with HTTP basic auth (write key as user, empty password).
    Segment {
        /// The source's write key.
        write_key: String,
        /// `anonymousId` of every event (Segment needs a user or anonymous id).
        anonymous_id: String,
    },
}

/// Posts each batch to a URL.
///
/// Status handling: 2xx is success; 408, 429 and 5xx are retryable (with
/// `Retry-After` in seconds honoured); 413 asks the worker to split the
/// batch; any other status is permanent (the response body is logged).
/// Connection errors and timeouts are retryable.
pub struct HttpSink {
    url: String,
    format: HttpFormat,
    agent: ureq::Agent,
    timeout: Duration,
    headers: Vec<(String, String)>,
    gzip: bool,
    body: Vec<u8>,
}

impl std::fmt::Debug for HttpSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSink")
            .field("url", &self.url)
            .field(
                "format",
                &match self.format {
                    HttpFormat::Events => "events",
                    HttpFormat::Segment { .. } => "segment",
                },
            )
            .field("timeout", &self.timeout)
            .field("gzip", &self.gzip)
            .finish_non_exhaustive()
    }
}

impl HttpSink {
    /// Posts `{"events":[...]}` to `url` (the reference format); 10 s timeout.
    pub fn new(url: impl Into<String>) -> Self {
        HttpSink {
            url: url.into(),
            format: HttpFormat::Events,
            // No redirects: a 3xx is an error to fix in the configuration,
            // never a silent success.
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            timeout: Duration::from_secs(10),
            headers: Vec::new(),
            gzip: false,
            body: Vec::new(),
        }
    }

    /// Posts Segment batches to `url` (such as `https://api.segment.io/v1/batch`)
    /// with `write_key` as basic-auth user. `anonymousId` defaults to a random
    /// id per sink; set it with [`anonymous_id`](HttpSink::anonymous_id).
    pub fn segment(url: impl Into<String>, write_key: impl Into<String>) -> Self {
        let anonymous_id = format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..));
        let mut sink = HttpSink::new(url);
        sink.format = HttpFormat::Segment {
            write_key: write_key.into(),
            anonymous_id,
        };
        sink
    }

    /// The `anonymousId` sent with Segment events (no effect on the events format).
    pub fn anonymous_id(mut self, id: impl Into<String>) -> Self {
        if let HttpFormat::Segment { anonymous_id, .. } = &mut self.format {
            *anonymous_id = id.into();
        }
        self
    }

    /// Sends `Authorization: Bearer <token>`.
    pub fn bearer_token(self, token: impl AsRef<str>) -> Self {
        let value = format!("Bearer {}", token.as_ref());
        self.header("Authorization", value)
    }

    /// Adds a request header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The whole request's timeout (connect, send, response); default 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Compresses bodies with gzip (`Content-Encoding: gzip`; feature `gzip`).
    #[cfg(feature = "gzip")]
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }

    /// The URL posted to.
    pub fn url(&self) -> &str {
        &self.url
    }

    fn build_body(&mut self, batch: &[Envelope]) {
        let body = &mut self.body;
        body.clear();
        match &self.format {
            HttpFormat::Events => {
                body.extend_from_slice(b"{\"events\":[");
                for (i, envelope) in batch.iter().enumerate() {
                    if i > 0 {
                        body.push(b',');
                    }
                    body.extend_from_slice(envelope.json());
                }
                body.extend_from_slice(b"]}");
            }
            HttpFormat::Segment { anonymous_id, .. } => {
                body.extend_from_slice(b"{\"batch\":[");
                let mut first = true;
                for envelope in batch {
                    let Some((name, params)) = envelope.split() else {
                        tracing::warn!("skipping an envelope that is not an event");
                        continue;
                    };
                    if !first {
                        body.push(b',');
                    }
                    first = false;
                    body.extend_from_slice(b"{\"type\":\"track\",\"event\":");
                    crate::json::write_str(body, &name);
                    body.extend_from_slice(b",\"properties\":");
                    body.extend_from_slice(&params);
                    body.extend_from_slice(b",\"messageId\":");
                    crate::json::write_str(body, &envelope.message_id());
                    body.extend_from_slice(b",\"timestamp\":");
                    crate::json::write_str(body, &rfc3339_ms(envelope.timestamp_ms()));
                    body.extend_from_slice(b",\"anonymousId\":");
                    crate::json::write_str(body, anonymous_id);
                    body.push(b'}');
                }
                body.extend_from_slice(b"],\"sentAt\":");
                crate::json::write_str(body, &rfc3339_ms(super::super::now_ms()));
                body.push(b'}');
            }
        }
    }

    #[cfg(feature = "gzip")]
    fn compress(&self) -> Result<Vec<u8>, SinkError> {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(
            Vec::with_capacity(self.body.len() / 4),
            flate2::Compression::fast(),
        );
        encoder.write_all(&self.body)?;
        Ok(encoder.finish()?)
    }
}

impl Sink for HttpSink {
    fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        self.build_body(batch);
        let mut request = self
            .agent
            .post(&self.url)
            .timeout(self.timeout)
            .set("Content-Type", "application/json");
        for (name, value) in &self.headers {
            request = request.set(name, value);
        }
        if let HttpFormat::Segment { write_key, .. } = &self.format {
            request = request.set(
                "Authorization",
                &format!("Basic {}", base64(format!("{write_key}:").as_bytes())),
            );
        }
        let result = {
            #[cfg(feature = "gzip")]
            {
                if self.gzip {
                    let compressed = self.compress()?;
                    request
                        .set("Content-Encoding", "gzip")
                        .send_bytes(&compressed)
                } else {
                    request.send_bytes(&self.body)
                }
            }
            #[cfg(not(feature = "gzip"))]
            {
                request.send_bytes(&self.body)
            }
        };
        match result {
            Ok(response) => {
                let status = response.status();
                // Read the body so the connection can be reused.
                let mut text = String::new();
                let _ = response
                    .into_reader()
                    .take(64 * 1024)
                    .read_to_string(&mut text);
                if (200..300).contains(&status) {
                    Ok(())
                } else {
                    Err(classify_status(status, None, &text, &self.url))
                }
            }
            Err(ureq::Error::Status(status, response)) => {
                let retry_after = response.header("Retry-After").and_then(parse_retry_after);
                let mut text = String::new();
                let _ = response.into_reader().take(4096).read_to_string(&mut text);
                Err(classify_status(status, retry_after, &text, &self.url))
            }
            Err(ureq::Error::Transport(error)) => {
                tracing::debug!(url = %self.url, %error, "analytics request failed");
                Err(SinkError::retryable(format!("transport error: {error}")))
            }
        }
    }

    fn name(&self) -> &str {
        "http"
    }
}

/// Maps an HTTP error status to the worker's classification.
fn classify_status(status: u16, retry_after: Option<Duration>, body: &str, url: &str) -> SinkError {
    match status {
        408 | 429 | 500..=599 => {
            tracing::debug!(url, status, "analytics endpoint asked for a retry");
            let error = SinkError::retryable(format!("HTTP {status}"));
            match retry_after {
                Some(wait) => error.with_retry_after(wait),
                None => error,
            }
        }
        413 => SinkError::too_large(format!("HTTP 413: {body}")),
        _ => {
            tracing::error!(url, status, body, "analytics endpoint rejected a batch");
            SinkError::permanent(format!("HTTP {status}: {body}"))
        }
    }
}

/// `Retry-After` as delta-seconds (integer or decimal); HTTP dates are ignored.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    if seconds.is_finite() && seconds >= 0.0 {
        Some(Duration::from_secs_f64(seconds.min(86_400.0)))
    } else {
        None
    }
}

/// `2026-11-25T13:05:00.123Z` from Unix milliseconds.
pub(crate) fn rfc3339_ms(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// Standard base64 with padding (for basic auth).
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(ALPHABET[(n >> 18) as usize & 63] as char);
        out.push(ALPHABET[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            ALPHABET[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            ALPHABET[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_base64() {
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(1_709_210_096_789), "2024-02-29T12:34:56.789Z");
        assert_eq!(base64(b"key:"), "a2V5Og==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
    }

    #[test]
    fn statuses_are_classified() {
        use super::super::SinkErrorKind::*;
        let kind = |status| classify_status(status, None, "", "u").kind();
        assert_eq!(kind(408), Retryable);
        assert_eq!(kind(429), Retryable);
        assert_eq!(kind(503), Retryable);
        assert_eq!(kind(413), TooLarge);
        assert_eq!(kind(400), Permanent);
        assert_eq!(kind(404), Permanent);
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
