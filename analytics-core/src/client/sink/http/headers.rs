//! Request headers: providers asked per request (credentials that change),
//! case-insensitive replacement, and the redacted URL that logs show.

/// What a [`HeaderProvider`] is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct HeaderRequest {
    unauthorized: bool,
}

impl HeaderRequest {
    /// The request for the attempt after a 401.
    pub(super) fn after_401() -> Self {
        HeaderRequest { unauthorized: true }
    }

    /// `true` when the previous attempt to send this very batch was answered
    /// `401 Unauthorized`: a cached credential is stale, fetch a new one.
    pub fn unauthorized(&self) -> bool {
        self.unauthorized
    }
}

/// Supplies headers as each request is sent, so a credential that expires
/// is refreshed without rebuilding the client.
///
/// Called on the worker thread before every request. A `401` is answered
/// by asking every provider once more (with
/// [`unauthorized`](HeaderRequest::unauthorized) set) and resending the
/// batch; a second `401` rejects the batch. An `Err` fails the attempt as
/// retryable: the retry policy sends the batch again later.
///
/// Closures `Fn(&HeaderRequest) -> Result<Vec<(String, String)>, String>`
/// are providers; [`HttpSink::bearer_token_fn`](super::HttpSink::bearer_token_fn)
/// covers the common case.
pub trait HeaderProvider: Send + Sync + 'static {
    /// The headers to send with the next request (name, value); they replace
    /// headers of the same name set on the sink.
    fn headers(&self, request: &HeaderRequest) -> Result<Vec<(String, String)>, String>;
}

impl<F> HeaderProvider for F
where
    F: Fn(&HeaderRequest) -> Result<Vec<(String, String)>, String> + Send + Sync + 'static,
{
    fn headers(&self, request: &HeaderRequest) -> Result<Vec<(String, String)>, String> {
        self(request)
    }
}

/// Sets `name: value` in `headers`, replacing a header of the same name
/// (compared case-insensitively, as HTTP does).
pub(super) fn set_header(headers: &mut Vec<(String, String)>, name: String, value: String) {
    headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(&name));
    headers.push((name, value));
}

/// `url` with its user info and every query value replaced by `***` and
/// its fragment dropped: what logs and `Debug` may show.
pub(super) fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return "<unparsable URL, hidden>".to_owned();
    };
    if !url.username().is_empty() || url.password().is_some() {
        let _ = url.set_username("***");
        let _ = url.set_password(None);
    }
    if url.query().is_some_and(|query| !query.is_empty()) {
        let names: Vec<String> = url
            .query_pairs()
            .map(|(name, _)| name.into_owned())
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(names.iter().map(|name| (name.as_str(), "***")));
    }
    url.set_fragment(None);
    url.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_redacted() {
        assert_eq!(
            redact_url("https://user:secret@example.com/v1/batch?api_key=k1&strict=1#frag"),
            "https://***@example.com/v1/batch?api_key=***&strict=***"
        );
        assert_eq!(
            redact_url("http://127.0.0.1:8080/v1/events"),
            "http://127.0.0.1:8080/v1/events"
        );
        assert_eq!(redact_url("not a url secret"), "<unparsable URL, hidden>");
    }
}
