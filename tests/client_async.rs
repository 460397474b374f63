//! `flush_async` and `shutdown_async`: plain futures woken by the worker (and
//! by the client's own timer at the deadline), under tokio's current-thread
//! and multi-thread runtimes and under `futures_executor::block_on`.

mod client_support;

use std::future::Future;
use std::time::{Duration, Instant};

use analytics_core::{Client, DropReason, MemorySink, TrackError};
use client_support::*;

/// The three executors every async test runs under. The tokio runtimes are
/// built without `enable_time`: a deadline must not need the runtime's timer.
fn on_each_executor(test: impl Fn(&'static str) -> std::pin::Pin<Box<dyn Future<Output = ()>>>) {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(test("tokio current-thread"));
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
        .block_on(test("tokio multi-thread"));
    futures_executor::block_on(test("futures block_on"));
}

/// A client that sends only when asked (batches never fill, the delay is an hour).
fn lazy_client(sink: impl analytics_core::Sink) -> Client {
    Client::builder()
        .sink(sink)
        .max_batch_events(10_000)
        .max_batch_delay(Duration::from_secs(3600))
        .build()
        .unwrap()
}

#[test]
fn flush_async_delivers_everything_queued_before_it() {
    on_each_executor(|executor| {
        Box::pin(async move {
            let sink = MemorySink::new();
            let client = lazy_client(sink.clone());
            for i in 0..50 {
                client.track(mixed(i)).unwrap();
            }
            client
                .flush_async(Duration::from_secs(10))
                .await
                .unwrap_or_else(|_| panic!("{executor}: flush timed out"));
            assert_eq!(sink.len(), 50, "{executor}");
            assert_eq!(client.metrics().delivered, 50, "{executor}");
            assert_settled(&client);
        })
    });
}

#[test]
fn flush_async_times_out_at_its_deadline_without_a_runtime_timer() {
    on_each_executor(|executor| {
        Box::pin(async move {
            let sink = GatedSink::default();
            let client = lazy_client(sink.clone());
            client.track(mixed(1)).unwrap();
            let started = Instant::now();
            let result = client.flush_async(Duration::from_millis(150)).await;
            let waited = started.elapsed();
            assert!(result.is_err(), "{executor}: a stalled sink cannot flush");
            assert!(
                waited >= Duration::from_millis(150),
                "{executor}: {waited:?}"
            );
            assert!(waited < Duration::from_secs(3), "{executor}: {waited:?}");
            // Delivery goes on after the timeout.
            sink.open();
            client.flush_async(Duration::from_secs(10)).await.unwrap();
            assert_eq!(sink.inner.len(), 1, "{executor}");
            assert_settled(&client);
        })
    });
}

#[test]
fn a_pending_flush_leaves_the_executor_thread_free() {
    // On a current-thread runtime the gate can only open if the flush
    // future yields the thread: a blocking flush would time out here.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sink = GatedSink::default();
        let client = lazy_client(sink.clone());
        for i in 0..10 {
            client.track(mixed(i)).unwrap();
        }
        let opener = async {
            tokio::task::yield_now().await;
            sink.open();
        };
        let started = Instant::now();
        let (flushed, ()) = tokio::join!(client.flush_async(Duration::from_secs(5)), opener);
        assert!(flushed.is_ok());
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(sink.inner.len(), 10);
        assert_settled(&client);
    });
}

#[test]
fn shutdown_async_delivers_then_closes_every_clone() {
    on_each_executor(|executor| {
        Box::pin(async move {
            let sink = MemorySink::new();
            let client = lazy_client(sink.clone());
            let clone = client.clone();
            for i in 0..30 {
                client.track(mixed(i)).unwrap();
            }
            clone
                .shutdown_async(Duration::from_secs(10))
                .await
                .unwrap_or_else(|_| panic!("{executor}: shutdown timed out"));
            assert_eq!(sink.len(), 30, "{executor}");
            assert!(matches!(client.track(mixed(99)), Err(TrackError::Closed)));
            // A second shutdown and a flush after it have nothing to wait for.
            client.shutdown_async(Duration::ZERO).await.unwrap();
            client.flush_async(Duration::ZERO).await.unwrap();
            let metrics = client.metrics();
            assert_eq!(metrics.delivered, 30, "{executor}");
            assert_eq!(metrics.dropped.closed, 1, "{executor}");
            assert_settled(&client);
        })
    });
}

#[test]
fn shutdown_async_with_a_stalled_sink_times_out_and_accounts_for_every_event() {
    on_each_executor(|executor| {
        Box::pin(async move {
            let sink = GatedSink::default();
            let client = Client::builder()
                .sink(sink.clone())
                .max_batch_events(5)
                .max_batch_delay(Duration::from_secs(3600))
                .build()
                .unwrap();
            for i in 0..20 {
                client.track(mixed(i)).unwrap();
            }
            let started = Instant::now();
            let result = client.shutdown_async(Duration::from_millis(100)).await;
            assert!(result.is_err(), "{executor}: the sink holds the worker");
            assert!(started.elapsed() < Duration::from_secs(3), "{executor}");
            // The held batch goes through once the sink moves; the rest is
            // past the deadline and counted.
            sink.open();
            assert_settled(&client);
            let metrics = client.metrics();
            assert_eq!(metrics.delivered, sink.inner.len() as u64, "{executor}");
            assert_eq!(
                metrics.delivered + metrics.dropped.get(DropReason::ShutdownTimeout),
                20,
                "{executor}: {metrics:?}"
            );
        })
    });
}

#[test]
fn flush_async_with_a_spool_waits_for_the_sink() {
    on_each_executor(|executor| {
        Box::pin(async move {
            let dir = temp_dir("async-spool");
            let sink = MemorySink::new();
            let client = Client::builder()
                .sink(sink.clone())
                .spool_dir(dir.clone())
                .max_batch_delay(Duration::from_secs(3600))
                .build()
                .unwrap();
            for i in 0..40 {
                client.track(mixed(i)).unwrap();
            }
            client.flush_async(Duration::from_secs(10)).await.unwrap();
            assert_eq!(sink.len(), 40, "{executor}");
            client
                .shutdown_async(Duration::from_secs(10))
                .await
                .unwrap();
            assert_settled(&client);
            let _ = std::fs::remove_dir_all(&dir);
        })
    });
}
