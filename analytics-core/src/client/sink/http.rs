//! HTTP delivery (feature `http`) over ureq with rustls: the reference
//! `{"events":[..]}` format and the vendor formats of [`HttpFormat`], with
//! fixed or per-request credentials ([`HeaderProvider`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::time::{Duration, SystemTime};

use base64::Engine as _;

use super::{Envelope, Sink, SinkError};
use crate::identity::IdentityKeys;
use headers::{redact_url, set_header};
use response::{classify_status, parse_retry_after, snippet, transport_message};
use vendor::{read_ids, Event, Identity, Refused, Vendor};

mod format;
mod headers;
mod response;
mod vendor;

pub use format::{HttpFormat, UnknownFormat};
pub use headers::{HeaderProvider, HeaderRequest};

/// Posts each batch to a URL, in one of the [`HttpFormat`]s.
///
/// Status handling: 2xx is success; 408, 429 and 5xx are retryable (with
/// `Retry-After` honoured, in seconds or as an HTTP date); 413 asks the
/// worker to split the batch; 401 asks the [`HeaderProvider`]s again once;
/// an Amplitude or Mixpanel 400 that names events drops those and resends
/// the rest; any other status is permanent (the response body is logged).
/// Connection errors and timeouts are retryable. Redirects are not followed.
///
/// Credentials in the URL (user info, query values) are shown as `***` in
/// `Debug` and in every log line and error message.
pub struct HttpSink {
    url: String,
    /// `url` redacted: what logs and `Debug` show.
    shown_url: String,
    format: HttpFormat,
    /// The key PostHog and Amplitude take in the body.
    api_key: String,
    /// A precomputed `Authorization: Basic ..` value.
    basic_auth: Option<String>,
    user_id: Option<String>,
    anonymous_id: String,
    /// Where each event type carries its identity, given by the receiver
    /// (`identity_keys`); consulted before the event's schema.
    identity_keys: HashMap<String, IdentityKeys>,
    agent: ureq::Agent,
    timeout: Duration,
    headers: Vec<(String, String)>,
    providers: Vec<Box<dyn HeaderProvider>>,
    gzip: bool,
    body: Vec<u8>,
}

impl fmt::Debug for HttpSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let header_names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("HttpSink")
            .field("url", &self.shown_url)
            .field("format", &self.format)
            .field("timeout", &self.timeout)
            .field("gzip", &self.gzip)
            .field("headers", &header_names)
            .field("header_providers", &self.providers.len())
            .finish_non_exhaustive()
    }
}

impl HttpSink {
    /// Posts `{"events":[...]}` to `url` (the reference format); 10 s timeout.
    pub fn new(url: impl Into<String>) -> Self {
        let url = url.into();
        HttpSink {
            shown_url: redact_url(&url),
            url,
            format: HttpFormat::Events,
            api_key: String::new(),
            basic_auth: None,
            user_id: None,
            anonymous_id: format!("{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..)),
            identity_keys: HashMap::new(),
            // No redirects: a 3xx is an error to fix in the configuration,
            // never a silent success.
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            timeout: Duration::from_secs(10),
            headers: Vec::new(),
            providers: Vec::new(),
            gzip: false,
            body: Vec::new(),
        }
    }

    fn with_format(url: impl Into<String>, format: HttpFormat) -> Self {
        HttpSink {
            format,
            ..HttpSink::new(url)
        }
    }

    /// Posts Segment batches to `url` (`https://api.segment.io/v1/batch`, or
    /// a RudderStack data plane's `/v1/batch`) with `write_key` as basic-auth
    /// user. Identity: see [`user_id`](HttpSink::user_id).
    pub fn segment(url: impl Into<String>, write_key: impl AsRef<str>) -> Self {
        HttpSink::with_format(url, HttpFormat::Segment).basic_auth(write_key, "")
    }

    /// Posts PostHog batches to `url` (`https://us.i.posthog.com/batch/`)
    /// with the project API key in the body.
    pub fn posthog(url: impl Into<String>, api_key: impl Into<String>) -> Self {
        let mut sink = HttpSink::with_format(url, HttpFormat::PostHog);
        sink.api_key = api_key.into();
        sink
    }

    /// Posts Amplitude HTTP API v2 batches to `url`
    /// (`https://api2.amplitude.com/2/httpapi`) with the API key in the body.
    pub fn amplitude(url: impl Into<String>, api_key: impl Into<String>) -> Self {
        let mut sink = HttpSink::with_format(url, HttpFormat::Amplitude);
        sink.api_key = api_key.into();
        sink
    }

    /// Posts Mixpanel imports to `url` (`https://api.mixpanel.com/import`),
    /// authenticated with the project token as basic-auth user. `strict=1`
    /// is added to the query unless `url` sets `strict`, so Mixpanel names
    /// the events it refuses. For a service account, add
    /// `project_id=..` to the URL and call [`basic_auth`](HttpSink::basic_auth).
    pub fn mixpanel(url: impl Into<String>, project_token: impl AsRef<str>) -> Self {
        let url = url.into();
        let url = match url::Url::parse(&url) {
            Ok(mut parsed) if !parsed.query_pairs().any(|(name, _)| name == "strict") => {
                parsed.query_pairs_mut().append_pair("strict", "1");
                parsed.to_string()
            }
            _ => url,
        };
        HttpSink::with_format(url, HttpFormat::Mixpanel).basic_auth(project_token, "")
    }

    /// Sends `Authorization: Basic base64(user:password)` (replacing the
    /// write key or project token of [`segment`](HttpSink::segment) and
    /// [`mixpanel`](HttpSink::mixpanel)).
    pub fn basic_auth(mut self, user: impl AsRef<str>, password: impl AsRef<str>) -> Self {
        let credentials = format!("{}:{}", user.as_ref(), password.as_ref());
        self.basic_auth = Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(credentials)
        ));
        self
    }

    /// The id of the user every event is about (for a process that serves
    /// one user, such as a CLI): Segment's `userId`, PostHog's and Mixpanel's
    /// `distinct_id`, Amplitude's `user_id` (at least 5 characters there).
    /// Without it, events are anonymous and carry the
    /// [`anonymous_id`](HttpSink::anonymous_id).
    ///
    /// An event's own `#[analytics(user_id)]` field, when it holds a
    /// non-empty string, takes precedence (likewise `#[analytics(anonymous_id)]`
    /// over [`anonymous_id`](HttpSink::anonymous_id)); see
    /// [`identity_keys`](HttpSink::identity_keys) for events without Rust types.
    pub fn user_id(mut self, id: impl Into<String>) -> Self {
        self.user_id = Some(id.into());
        self
    }

    /// The id of anonymous events: Segment's `anonymousId`, PostHog's and
    /// Mixpanel's `distinct_id`, Amplitude's `device_id`. Defaults to a
    /// random id per sink; set a stable installation or device id so the
    /// vendor sees one visitor across runs.
    pub fn anonymous_id(mut self, id: impl Into<String>) -> Self {
        self.anonymous_id = id.into();
        self
    }

    /// Where each event type carries its user's identity, for a sink that
    /// forwards events it has no Rust types for (a collector): event type ->
    /// [`IdentityKeys`], such as [`TrackingPlan::identity_keys`](crate::plan::TrackingPlan::identity_keys).
    /// These keys are used before the event's own schema; an event type in
    /// neither falls back to the catalog of this binary (by name), then to
    /// the sink-level ids. Adds to (and replaces entries of) earlier calls.
    pub fn identity_keys<I, K>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = (K, IdentityKeys)>,
        K: Into<String>,
    {
        self.identity_keys
            .extend(keys.into_iter().map(|(name, keys)| (name.into(), keys)));
        self
    }

    /// Sends `Authorization: Bearer <token>`.
    pub fn bearer_token(self, token: impl AsRef<str>) -> Self {
        let value = format!("Bearer {}", token.as_ref());
        self.header("Authorization", value)
    }

    /// Sends `Authorization: Bearer <token()>`, calling `token` before every
    /// request (and once more after a 401), so a token can be refreshed
    /// without rebuilding the client.
    pub fn bearer_token_fn(self, token: impl Fn() -> String + Send + Sync + 'static) -> Self {
        self.header_provider(move |_: &HeaderRequest| {
            Ok(vec![(
                "Authorization".to_owned(),
                format!("Bearer {}", token()),
            )])
        })
    }

    /// Adds a provider of headers asked before every request.
    pub fn header_provider(mut self, provider: impl HeaderProvider) -> Self {
        self.providers.push(Box::new(provider));
        self
    }

    /// Adds a request header (replacing one of the same name).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        set_header(&mut self.headers, name.into(), value.into());
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

    /// The URL posted to, as given (credentials included).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The body format.
    pub fn format(&self) -> HttpFormat {
        self.format
    }

    /// Who the event taken from `envelope` is about: its own user id and
    /// anonymous id (non-empty strings under the keys of its identity
    /// fields) where it has them, the sink-level ids otherwise.
    fn identity<'a>(&'a self, envelope: &Envelope, event: &Event<'_>) -> Identity<'a> {
        let keys = self.keys_of(envelope, &event.name);
        let [user_id, anonymous_id] = match &keys {
            // `Event::of` has merged the envelope keys into the params, so
            // both kinds of key are read from there.
            Some(keys) => read_ids(
                &event.params,
                [
                    keys.user_id.as_ref().map(|key| key.key.as_ref()),
                    keys.anonymous_id.as_ref().map(|key| key.key.as_ref()),
                ],
            ),
            None => [None, None],
        };
        Identity {
            user_id: user_id
                .map(Cow::Owned)
                .or_else(|| self.user_id.as_deref().map(Cow::Borrowed)),
            anonymous_from_event: anonymous_id.is_some(),
            anonymous_id: anonymous_id
                .map_or(Cow::Borrowed(self.anonymous_id.as_str()), Cow::Owned),
        }
    }

    /// The identity keys of the event `name`: the ones given to
    /// [`identity_keys`](HttpSink::identity_keys), else its schema's (the
    /// envelope's, or for one read back from a spool the catalog's, looked
    /// up by name once per process); `None` when it has none.
    fn keys_of(&self, envelope: &Envelope, name: &str) -> Option<Cow<'_, IdentityKeys>> {
        if let Some(keys) = self.identity_keys.get(name) {
            return Some(Cow::Borrowed(keys));
        }
        let schema = envelope
            .schema()
            .or_else(|| crate::client::unique_schema(name))?;
        let keys = IdentityKeys::of(schema);
        (!keys.is_empty()).then_some(Cow::Owned(keys))
    }

    /// Writes the body of `batch` into `self.body`; refuses (before any
    /// request) the events the format cannot express.
    fn build_body(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        let mut body = std::mem::take(&mut self.body);
        body.clear();
        let result = self.write_body(batch, &mut body);
        self.body = body;
        result
    }

    fn write_body(&self, batch: &[Envelope], out: &mut Vec<u8>) -> Result<(), SinkError> {
        let Some(vendor) = Vendor::of(self.format) else {
            out.extend_from_slice(b"{\"events\":[");
            for (i, envelope) in batch.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(envelope.json());
            }
            out.extend_from_slice(b"]}");
            return Ok(());
        };
        vendor.open(out, &self.api_key);
        let mut refused = Vec::new();
        let mut first_reason = String::new();
        let mut written = 0usize;
        for (index, envelope) in batch.iter().enumerate() {
            let event = Event::of(envelope).and_then(|mut event| {
                event.identity = self.identity(envelope, &event);
                vendor.check(&event).map(|()| event)
            });
            match event {
                Ok(event) => {
                    if written > 0 {
                        out.push(b',');
                    }
                    written += 1;
                    vendor.event(out, &event);
                }
                Err(Refused(reason)) => {
                    if refused.is_empty() {
                        first_reason = reason;
                    }
                    refused.push(index);
                }
            }
        }
        vendor.close(out);
        if refused.is_empty() {
            return Ok(());
        }
        Err(SinkError::rejected_events(
            format!(
                "{} event(s) cannot be written in the {} format; the first: {first_reason}",
                refused.len(),
                self.format
            ),
            refused,
        ))
    }

    /// The request body, compressed when asked.
    fn payload(&self) -> Result<Cow<'_, [u8]>, SinkError> {
        #[cfg(feature = "gzip")]
        if self.gzip {
            use std::io::Write;
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(self.body.len() / 4),
                flate2::Compression::fast(),
            );
            encoder.write_all(&self.body)?;
            return Ok(Cow::Owned(encoder.finish()?));
        }
        Ok(Cow::Borrowed(&self.body))
    }

    /// The headers of one request: basic auth, then the sink's headers, then
    /// the providers' (a later header replaces an earlier one of its name).
    fn request_headers(&self, request: &HeaderRequest) -> Result<Vec<(String, String)>, SinkError> {
        let mut headers = Vec::with_capacity(self.headers.len() + 3);
        set_header(
            &mut headers,
            "Content-Type".into(),
            "application/json".into(),
        );
        if let Some(value) = &self.basic_auth {
            set_header(&mut headers, "Authorization".into(), value.clone());
        }
        for (name, value) in &self.headers {
            set_header(&mut headers, name.clone(), value.clone());
        }
        for provider in &self.providers {
            let provided = provider.headers(request).map_err(|error| {
                SinkError::retryable(format!("a header provider failed: {error}"))
            })?;
            for (name, value) in provided {
                set_header(&mut headers, name, value);
            }
        }
        if self.gzip {
            set_header(&mut headers, "Content-Encoding".into(), "gzip".into());
        }
        Ok(headers)
    }

    /// One POST of `payload`.
    fn post(&self, payload: &[u8], request: &HeaderRequest) -> Result<Reply, SinkError> {
        let mut call = self.agent.post(&self.url).timeout(self.timeout);
        for (name, value) in self.request_headers(request)? {
            call = call.set(&name, &value);
        }
        let (status, retry_after, response) = match call.send_bytes(payload) {
            Ok(response) => (response.status(), None, response),
            Err(ureq::Error::Status(status, response)) => {
                let retry_after = response
                    .header("Retry-After")
                    .and_then(|value| parse_retry_after(value, SystemTime::now()));
                (status, retry_after, response)
            }
            Err(ureq::Error::Transport(error)) => {
                let message = self.scrub(transport_message(&error));
                tracing::debug!(url = %self.shown_url, error = %message, "analytics request failed");
                return Err(SinkError::retryable(message));
            }
        };
        // Read the body (bounded) so the connection can be reused and a
        // vendor's error body can be interpreted.
        let mut body = String::new();
        let _ = response
            .into_reader()
            .take(MAX_RESPONSE_BODY)
            .read_to_string(&mut body);
        Ok(Reply {
            status,
            retry_after,
            body,
        })
    }

    /// A 429 that names events (Amplitude): the events of users or devices
    /// over their daily quota are refused, the throttled ones retried, the
    /// others sent again. `None` for a 429 that names none.
    fn rate_limited(&self, reply: &Reply, batch: &[Envelope]) -> Option<SinkError> {
        let limited = Vendor::of(self.format)?.rate_limited(&reply.body)?;
        let over_quota = |envelope: &Envelope| {
            let Ok(mut event) = Event::of(envelope) else {
                return false;
            };
            event.identity = self.identity(envelope, &event);
            let (user, device) = event.identity.ids();
            user.is_some_and(|user| limited.quota_users.iter().any(|id| id == user))
                || device.is_some_and(|device| limited.quota_devices.iter().any(|id| id == device))
        };
        let refused: Vec<usize> =
            if limited.quota_users.is_empty() && limited.quota_devices.is_empty() {
                Vec::new()
            } else {
                (0..batch.len())
                    .filter(|&i| over_quota(&batch[i]))
                    .collect()
            };
        if limited.throttled.is_empty() && refused.is_empty() {
            return None;
        }
        tracing::warn!(
            url = %self.shown_url,
            throttled = limited.throttled.len(),
            over_daily_quota = refused.len(),
            "analytics endpoint throttled some events of a batch"
        );
        let error = SinkError::throttled_events(
            format!("HTTP 429: {}", snippet(&reply.body)),
            limited.throttled,
        )
        .with_rejected(refused);
        Some(match reply.retry_after {
            Some(wait) => error.with_retry_after(wait),
            None => error,
        })
    }

    /// Maps an answer that is not a success to the worker's classification.
    fn classify(&self, reply: &Reply, batch: &[Envelope]) -> SinkError {
        let batch_len = batch.len();
        if reply.status == 429 {
            if let Some(error) = self.rate_limited(reply, batch) {
                return error;
            }
        }
        if reply.status == 400 {
            let refused = Vendor::of(self.format)
                .map(|vendor| vendor.refused_events(&reply.body))
                .unwrap_or_default();
            if !refused.is_empty() && refused.len() < batch_len {
                tracing::warn!(
                    url = %self.shown_url,
                    events = refused.len(),
                    body = snippet(&reply.body),
                    "analytics endpoint refused some events of a batch"
                );
                return SinkError::rejected_events(
                    format!("HTTP 400: {}", snippet(&reply.body)),
                    refused,
                );
            }
        }
        classify_status(
            reply.status,
            reply.retry_after,
            snippet(&reply.body),
            &self.shown_url,
        )
    }

    /// `text` with the raw URL replaced by its redacted form.
    fn scrub(&self, text: String) -> String {
        let mut text = text;
        if let Ok(parsed) = url::Url::parse(&self.url) {
            text = text.replace(parsed.as_str(), &self.shown_url);
        }
        text.replace(&self.url, &self.shown_url)
    }
}

impl Sink for HttpSink {
    fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        self.build_body(batch)?;
        let payload = self.payload()?;
        let mut request = HeaderRequest::default();
        loop {
            let reply = self.post(&payload, &request)?;
            if (200..300).contains(&reply.status) {
                return Ok(());
            }
            if reply.status == 401 && !request.unauthorized() && !self.providers.is_empty() {
                tracing::debug!(url = %self.shown_url, "HTTP 401: asking for fresh credentials");
                request = HeaderRequest::after_401();
                continue;
            }
            return Err(self.classify(&reply, batch));
        }
    }

    fn name(&self) -> &str {
        "http"
    }
}

/// How much of a response body is read.
const MAX_RESPONSE_BODY: u64 = 64 * 1024;

/// An answer with a status.
struct Reply {
    status: u16,
    retry_after: Option<Duration>,
    body: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_is_standard_base64() {
        // RudderStack's documented example: write key `1Xk5DChfJAol3xtW7qNnK1apo5p`.
        let sink = HttpSink::segment("http://127.0.0.1/v1/batch", "1Xk5DChfJAol3xtW7qNnK1apo5p");
        assert_eq!(
            sink.basic_auth.as_deref(),
            Some("Basic MVhrNURDaGZKQW9sM3h0VzdxTm5LMWFwbzVwOg==")
        );
        let sink = HttpSink::new("http://127.0.0.1/").basic_auth("ab", "c");
        assert_eq!(sink.basic_auth.as_deref(), Some("Basic YWI6Yw=="));
    }

    #[test]
    fn mixpanel_urls_get_strict_mode() {
        let sink = HttpSink::mixpanel("https://api.mixpanel.com/import", "token");
        assert_eq!(sink.url(), "https://api.mixpanel.com/import?strict=1");
        let sink = HttpSink::mixpanel("https://api.mixpanel.com/import?strict=0", "token");
        assert_eq!(sink.url(), "https://api.mixpanel.com/import?strict=0");
    }
}
