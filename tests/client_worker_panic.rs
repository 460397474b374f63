//! Issue 15, reliability: a panic on the worker's thread outside the sink's
//! `send` and `flush` (which are caught and counted `sink_panicked`) loses
//! no queued event uncounted.
//!
//! The user code a worker runs besides `send` and `flush` is the sink's
//! `name()` (for its log lines) and the application's `tracing` subscriber
//! (every log line of the worker); route predicates, PII handling and the
//! identity fields run on the caller's thread, in `track`. Both are
//! provoked here: a subscriber installed for this whole test binary that
//! records everything (so every log field is evaluated) and panics on the
//! lines that ask it to, and sinks whose `name()` panics.

mod client_support;
#[path = "support/on_event.rs"]
mod on_event;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use analytics_core::{Client, DropReason, Envelope, RetryPolicy, Sink, SinkError};
use client_support::*;
use on_event::OnEvent;
use tracing::field::{Field, Visit};
use tracing::Event;

/// The subscriber panics on a line whose `error` field says "panic here"
/// while this is set.
static PANIC_ON_REQUEST: AtomicBool = AtomicBool::new(true);

struct AsksToPanic(bool);

impl Visit for AsksToPanic {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "error" && format!("{value:?}").contains("panic here") {
            self.0 = true;
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "error" && value.contains("panic here") {
            self.0 = true;
        }
    }
}

/// Enables every line and panics on the lines that ask for it.
fn fragile(event: &Event<'_>) {
    let mut asks = AsksToPanic(false);
    event.record(&mut asks);
    if asks.0 && PANIC_ON_REQUEST.load(Ordering::Acquire) {
        panic!("a logging layer with a bug");
    }
}

fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        tracing::subscriber::set_global_default(OnEvent(fragile)).expect("the only subscriber");
    });
}

/// Refuses every batch (permanently or for a retry, with a message that
/// the subscriber panics on) and, when `bad_name`, panics in `name()`.
#[derive(Clone)]
struct Refusing {
    retryable: bool,
    bad_name: bool,
    message: &'static str,
}

impl Sink for Refusing {
    fn send(&mut self, _: &[Envelope]) -> Result<(), SinkError> {
        Err(if self.retryable {
            SinkError::retryable(self.message)
        } else {
            SinkError::permanent(self.message)
        })
    }
    fn name(&self) -> &str {
        if self.bad_name {
            panic!("a sink name with a bug");
        }
        "refusing"
    }
}

fn client_with(sink: impl Sink + 'static, spool: Option<&std::path::Path>) -> Client {
    let mut builder = Client::builder()
        .sink(sink)
        .retry_policy(RetryPolicy::none())
        .max_batch_events(10);
    if let Some(dir) = spool {
        builder = builder.spool_dir(dir);
    }
    builder.build().unwrap()
}

/// Tracks 50 events, flushes, and checks that every one is accounted for
/// and that the client still delivers afterwards (the worker survived).
fn check(client: &Client, reason: DropReason) {
    for i in 0..50 {
        client.track(command(i)).unwrap();
    }
    client
        .flush(Duration::from_secs(10))
        .expect("the worker still answers a flush");
    let metrics = client.metrics();
    assert_eq!(metrics.tracked, 50, "{metrics:?}");
    assert_eq!(metrics.dropped.get(reason), 50, "{metrics:?}");
    assert_invariant(&metrics);
    for i in 50..60 {
        client.track(command(i)).unwrap();
    }
    client.flush(Duration::from_secs(10)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.tracked, 60, "{metrics:?}");
    assert_invariant(&metrics);
}

/// A `Refusing` sink, permanent then retryable, loses nothing: each event
/// ends counted with the reason its refusal gives.
fn each_refusal_loses_nothing(bad_name: bool, message: &'static str) {
    install();
    for retryable in [false, true] {
        let sink = Refusing {
            retryable,
            bad_name,
            message,
        };
        let client = client_with(sink, None);
        let reason = if retryable {
            DropReason::RetriesExhausted
        } else {
            DropReason::Rejected
        };
        check(&client, reason);
        client.shutdown(Duration::from_secs(5)).unwrap();
    }
}

#[test]
fn a_panicking_sink_name_loses_nothing() {
    each_refusal_loses_nothing(true, "refused");
}

#[test]
fn a_panicking_log_subscriber_on_the_worker_loses_nothing() {
    each_refusal_loses_nothing(false, "panic here");
}

#[test]
fn with_a_spool_a_panicking_sink_name_loses_nothing() {
    install();
    let dir = temp_dir("worker-panic");
    let sink = Refusing {
        retryable: false,
        bad_name: true,
        message: "refused",
    };
    let client = client_with(sink, Some(&dir));
    check(&client, DropReason::Rejected);
    client.shutdown(Duration::from_secs(5)).unwrap();
}
