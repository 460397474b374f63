//! Panics in user code and extreme durations (issue 12, finding 4; and
//! `queue_capacity(0)` from finding 12): every call into user code is
//! guarded, every event is counted, no time arithmetic overflows.

mod client_support;

use std::time::{Duration, Instant};

use analytics_core::{
    AnalyticsEvent, Client, DropReason, Envelope, MemorySink, RetryPolicy, Sink, SinkError,
    TrackError,
};
use client_support::*;

/// Panics on the value "boom": a buggy custom rule.
fn explodes(value: &String) -> Result<(), String> {
    if value == "boom" {
        panic!("a custom rule with a bug");
    }
    Ok(())
}

/// An event with a custom rule that can panic.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "fragile_event")]
pub struct Fragile {
    /// Checked by `explodes`.
    #[analytics(custom = explodes)]
    pub word: String,
}

/// Delivers, then panics in `flush`.
#[derive(Clone, Default)]
struct FlushPanics(MemorySink);

impl Sink for FlushPanics {
    fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        self.0.send(batch)
    }
    fn flush(&mut self) -> Result<(), SinkError> {
        panic!("flush with a bug")
    }
}

#[test]
fn sink_flush_panic_loses_nothing() {
    let sink = FlushPanics::default();
    let client = Client::builder()
        .sink(sink.clone())
        .max_batch_events(100)
        .build()
        .unwrap();
    for i in 0..2_000 {
        client.track(command(i)).unwrap();
    }
    // The first flush panics in the sink; the worker survives it.
    client.flush(Duration::from_secs(10)).unwrap();
    for i in 2_000..3_000 {
        client.track(command(i)).unwrap();
    }
    client.flush(Duration::from_secs(10)).unwrap();
    client.shutdown(Duration::from_secs(10)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.delivered, 3_000, "{metrics:?}");
    assert_eq!(sink.0.len(), 3_000);
    assert_invariant(&metrics);
}

#[test]
fn sink_send_panic_is_counted_as_sink_panicked() {
    /// Panics on every other batch.
    struct HalfPanics(u32, MemorySink);
    impl Sink for HalfPanics {
        fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
            self.0 += 1;
            if self.0 % 2 == 0 {
                panic!("send with a bug");
            }
            self.1.send(batch)
        }
    }
    for spool in [false, true] {
        let dir = temp_dir("send-panics");
        let mut builder = Client::builder()
            .sink(HalfPanics(0, MemorySink::new()))
            .max_batch_events(10);
        if spool {
            builder = builder.spool_dir(&dir);
        }
        let client = builder.build().unwrap();
        for i in 0..100 {
            client.track(command(i)).unwrap();
            if i % 10 == 9 {
                client.flush(Duration::from_secs(10)).unwrap();
            }
        }
        client.shutdown(Duration::from_secs(10)).unwrap();
        let metrics = client.metrics();
        let panicked = metrics.dropped.get(DropReason::SinkPanicked);
        if spool {
            // Batches form as events reach the disk: the split varies.
            assert!(metrics.delivered > 0 && panicked > 0, "{metrics:?}");
            assert_eq!(metrics.delivered + panicked, 100, "{metrics:?}");
        } else {
            assert_eq!(metrics.delivered, 50, "{metrics:?}");
            assert_eq!(panicked, 50);
        }
        assert_invariant(&metrics);
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn custom_rule_panic_is_counted_and_returned() {
    let sink = MemorySink::new();
    let client = Client::builder().sink(sink.clone()).build().unwrap();
    client
        .track(Fragile {
            word: "fine".into(),
        })
        .unwrap();
    let error = client
        .track(Fragile {
            word: "boom".into(),
        })
        .unwrap_err();
    assert!(matches!(error, TrackError::Panicked), "{error}");
    assert_eq!(error.reason(), DropReason::Panicked);
    client.flush(Duration::from_secs(5)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.tracked, 2);
    assert_eq!(metrics.delivered, 1);
    assert_eq!(metrics.dropped.panicked, 1);
    assert_invariant(&metrics);
}

#[test]
fn duration_max_anywhere_does_not_panic() {
    // In the builder, and in flush / shutdown.
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .max_batch_delay(Duration::MAX)
        .drop_timeout(Duration::MAX)
        .retry_policy(RetryPolicy::exponential(3, Duration::MAX, Duration::MAX))
        .build()
        .unwrap();
    client.track(command(1)).unwrap();
    client.flush(Duration::MAX).unwrap();
    assert_eq!(sink.len(), 1);
    client.shutdown(Duration::MAX).unwrap();
    assert_invariant(&client.metrics());

    // A `Duration::MAX` backoff: the retry waits until shutdown's deadline.
    for spool in [false, true] {
        let dir = temp_dir("max-backoff");
        let mut builder = Client::builder()
            .sink(Down)
            .max_batch_delay(Duration::MAX)
            .retry_policy(
                RetryPolicy::exponential(3, Duration::MAX, Duration::MAX).with_jitter(false),
            );
        if spool {
            builder = builder.spool_dir(&dir);
        }
        let client = builder.build().unwrap();
        for i in 0..10 {
            client.track(command(i)).unwrap();
        }
        let started = Instant::now();
        client.shutdown(Duration::from_millis(300)).unwrap();
        assert!(started.elapsed() < Duration::from_secs(5));
        let metrics = client.metrics();
        if spool {
            assert_eq!(metrics.spooled, 10, "{metrics:?}");
        } else {
            assert_eq!(metrics.dropped.shutdown_timeout, 10, "{metrics:?}");
        }
        assert_invariant(&metrics);
        let _ = std::fs::remove_dir_all(dir);
    }

    // The drop of the last handle with `drop_timeout(Duration::MAX)`.
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .drop_timeout(Duration::MAX)
        .build()
        .unwrap();
    client.track(command(2)).unwrap();
    drop(client);
    assert_eq!(sink.len(), 1);
}

/// Always down.
struct Down;

impl Sink for Down {
    fn send(&mut self, _: &[Envelope]) -> Result<(), SinkError> {
        Err(SinkError::retryable("down"))
    }
}

#[test]
fn queue_capacity_zero_is_an_error() {
    let error = Client::builder()
        .sink(MemorySink::new())
        .queue_capacity(0)
        .build()
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("queue_capacity(0)"), "{error}");
    let client = Client::builder()
        .sink(MemorySink::new())
        .queue_capacity(1)
        .build()
        .unwrap();
    client.track(command(0)).unwrap();
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_invariant(&client.metrics());
}
