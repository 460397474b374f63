//! Finding 12.12: credentials in an `HttpSink` URL (user info, query keys)
//! never appear in `Debug`, in error messages or in log lines. The log
//! lines are captured by a subscriber installed for this whole test binary.

mod client_vendor_support;
#[path = "support/on_event.rs"]
mod on_event;

use std::fmt::Write as _;
use std::net::TcpListener;
use std::sync::Mutex;
use std::time::Duration;

use analytics_core::{AnalyticsEvent, Client, HttpSink, RetryPolicy, Sink};
use client_vendor_support::*;
use on_event::OnEvent;
use tracing::field::{Field, Visit};
use tracing::Event;

/// A sign-in.
#[derive(AnalyticsEvent)]
#[analytics(name = "signed_in")]
pub struct SignedIn {
    pub method: String,
}

const SECRETS: &[&str] = &["hunter2", "SECRET123", "wk-private"];

static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

/// Records every event as `LEVEL message field=value ...`.
fn capture(event: &Event<'_>) {
    let mut line = Line(event.metadata().level().to_string());
    event.record(&mut line);
    LINES.lock().unwrap().push(line.0);
}

fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{secret:?} leaked in {text:?}");
    }
}

fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn finding_12_12_url_credentials_are_redacted_everywhere() {
    tracing::subscriber::set_global_default(OnEvent(capture)).expect("the only subscriber");

    // Debug, for every constructor.
    let url = "https://user:hunter2@collector.example/v1/batch?api_key=SECRET123&region=eu";
    let sinks = [
        HttpSink::new(url),
        HttpSink::segment(url, "wk-private"),
        HttpSink::posthog(url, "wk-private"),
        HttpSink::amplitude(url, "wk-private"),
        HttpSink::mixpanel(url, "wk-private").basic_auth("sa", "wk-private"),
        HttpSink::new(url)
            .bearer_token("wk-private")
            .header("X-Key", "wk-private"),
    ];
    for sink in &sinks {
        let debug = format!("{sink:?}");
        assert_no_secret(&debug);
        assert!(
            debug.contains("https://***@collector.example/v1/batch?api_key=***&region=***"),
            "{debug}"
        );
    }

    // A transport error: the message (logged at WARN by the worker) and
    // the sink's own lines.
    let port = closed_port();
    let unreachable = format!("http://user:hunter2@127.0.0.1:{port}/v1/events?api_key=SECRET123");
    let mut sink = HttpSink::new(unreachable.as_str());
    let error = sink
        .send(&[envelope(
            &SignedIn {
                method: "sso".into(),
            },
            0,
        )])
        .unwrap_err();
    assert_no_secret(error.message());
    assert!(
        error.message().starts_with("transport error"),
        "{}",
        error.message()
    );

    let client = Client::builder()
        .sink(HttpSink::new(unreachable.as_str()))
        .max_batch_events(1)
        .retry_policy(RetryPolicy::exponential(
            1,
            Duration::from_millis(1),
            Duration::from_millis(1),
        ))
        .build()
        .unwrap();
    client
        .track(SignedIn {
            method: "sso".into(),
        })
        .unwrap();
    client.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(client.metrics().dropped.retries_exhausted, 1);

    // A status error: the rejected batch is logged with the URL.
    let server = Server::start(|_, _| Reply::body(404, "no such route"));
    let rejected = server
        .url("/v1/events?api_key=SECRET123")
        .replace("://", "://u:hunter2@");
    let client = Client::builder()
        .sink(HttpSink::new(rejected))
        .max_batch_events(1)
        .build()
        .unwrap();
    client
        .track(SignedIn {
            method: "sso".into(),
        })
        .unwrap();
    client.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(client.metrics().dropped.rejected, 1);
    client.shutdown(Duration::from_secs(5)).unwrap();

    let lines = LINES.lock().unwrap().clone();
    let warnings: Vec<_> = lines
        .iter()
        .filter(|line| line.starts_with("WARN") || line.starts_with("ERROR"))
        .collect();
    assert!(
        warnings
            .iter()
            .any(|line| line.contains("giving up on a batch")),
        "{lines:#?}"
    );
    assert!(
        warnings.iter().any(|line| line.contains("api_key=***")),
        "the redacted URL is logged: {lines:#?}"
    );
    for line in &lines {
        assert_no_secret(line);
    }
}
