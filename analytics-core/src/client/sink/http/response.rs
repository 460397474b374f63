//! What an HTTP answer means for the worker (retry, reject, split) and
//! the text logged for it.

use std::time::{Duration, SystemTime};

use crate::client::sink::SinkError;

/// The longest `Retry-After` taken from a server (the policy caps it further).
pub(super) const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// The start of a response body, for messages and logs.
pub(super) fn snippet(body: &str) -> &str {
    const MAX: usize = 512;
    if body.len() <= MAX {
        return body;
    }
    let mut end = MAX;
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    &body[..end]
}

/// A transport error without the URL ureq puts in front of it.
pub(super) fn transport_message(error: &ureq::Transport) -> String {
    let mut message = format!("transport error: {}", error.kind());
    if let Some(detail) = error.message() {
        message.push_str(": ");
        message.push_str(detail);
    }
    if let Some(source) = std::error::Error::source(error) {
        message.push_str(&format!(": {source}"));
    }
    message
}

/// Maps an HTTP error status to the worker's classification.
pub(super) fn classify_status(
    status: u16,
    retry_after: Option<Duration>,
    body: &str,
    url: &str,
) -> SinkError {
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

/// `Retry-After` as delta-seconds (integer or decimal) or as an HTTP date
/// (a date in the past means now).
pub(super) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(MAX_RETRY_AFTER.as_secs_f64())));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        use crate::client::sink::SinkErrorKind::*;
        let kind = |status| classify_status(status, None, "", "u").kind();
        assert_eq!(kind(408), Retryable);
        assert_eq!(kind(429), Retryable);
        assert_eq!(kind(503), Retryable);
        assert_eq!(kind(413), TooLarge);
        assert_eq!(kind(400), Permanent);
        assert_eq!(kind(401), Permanent);
        assert_eq!(kind(404), Permanent);
    }

    #[test]
    fn retry_after_takes_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let parse = |value| parse_retry_after(value, now);
        assert_eq!(parse(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse("-1"), None);
        assert_eq!(
            parse("Wed, 21 Oct 2015 07:28:30 GMT"),
            Some(Duration::from_secs(30))
        );
        // The obsolete RFC 850 and asctime forms are HTTP dates too.
        assert_eq!(
            parse("Wednesday, 21-Oct-15 07:29:00 GMT"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse("Wed Oct 21 07:28:05 2015"),
            Some(Duration::from_secs(5))
        );
        assert_eq!(parse("Tue, 20 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(
            parse("Fri, 21 Oct 2095 07:28:00 GMT"),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse("soon"), None);
    }
}
