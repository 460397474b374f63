//! The client with in-process sinks: validation, queue, batching, flush,
//! shutdown, drop, concurrency, a stalled sink, JSON Lines files.

mod client_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use analytics_core::client::read_spool;
use analytics_core::{
    Client, DropReason, Envelope, JsonLinesSink, MemorySink, Metrics, RetryPolicy, Sink, SinkError,
    TrackError, TrackEventRequest,
};
use client_support::*;
use codex_analytics::{CommandExecution, McpToolCall, ToolItemEvent, WebSearch};

fn assert_accounted(metrics: &Metrics) {
    assert_invariant(metrics);
}

#[test]
fn memory_sink_receives_typed_events_in_order() {
    let sink = MemorySink::new();
    let client = Client::builder().sink(sink.clone()).build().unwrap();
    for i in 0..30 {
        client.track(mixed(i)).unwrap();
    }
    // A typed event directly, and by reference.
    client.track(command(30)).unwrap();
    client.track_ref(&command(31)).unwrap();
    client.flush(Duration::from_secs(5)).unwrap();
    let values = sink.values();
    assert_eq!(values.len(), 32);
    for (i, value) in values.iter().take(30).enumerate() {
        assert_eq!(value, &mixed_value(i as u64));
    }
    let commands: Vec<CommandExecution> = sink.events();
    assert_eq!(commands.len(), 12);
    assert_eq!(commands[10], command(30));
    assert_eq!(commands[11], command(31));
    assert_eq!(sink.events::<McpToolCall>().len(), 10);
    assert_eq!(sink.events::<WebSearch>().len(), 10);
    let metrics = client.metrics();
    assert_eq!(metrics.delivered, 32);
    assert_eq!(metrics.enqueued, 32);
    assert!(metrics.bytes > 32 * 500);
    assert_accounted(&metrics);
}

#[test]
fn invalid_events_are_returned_counted_and_never_sent() {
    let sink = MemorySink::new();
    let client = Client::builder().sink(sink.clone()).build().unwrap();
    let mut bad = command(1);
    bad.base.thread_id.clear();
    bad.exit_code = Some(999);
    match client.track(bad) {
        Err(TrackError::Invalid(errors)) => {
            assert_eq!(errors.len(), 2, "{errors}");
            assert!(errors.get("base.thread_id").is_some());
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    let mut bad = command(2);
    bad.base.completed_at_ms = 0;
    let err = client.track(TrackEventRequest::from(bad)).unwrap_err();
    assert_eq!(err.reason(), DropReason::Invalid);
    client.track(command(3)).unwrap();
    client.flush(Duration::from_secs(5)).unwrap();
    assert_eq!(sink.len(), 1);
    let metrics = client.metrics();
    assert_eq!(metrics.dropped.invalid, 2);
    assert_eq!(metrics.tracked, 3);
    assert_accounted(&metrics);
}

#[test]
fn batches_respect_count_bytes_and_delay() {
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .max_batch_events(7)
        .max_batch_bytes(4 * 1024)
        .max_batch_delay(Duration::from_secs(3600))
        .build()
        .unwrap();
    for i in 0..100 {
        client.track(mixed(i)).unwrap();
    }
    client.flush(Duration::from_secs(5)).unwrap();
    let batches = sink.batches();
    assert!(batches.iter().all(|b| b.len() <= 7));
    assert!(batches
        .iter()
        .all(|b| b.len() == 1 || b.iter().map(|e| e.json().len()).sum::<usize>() <= 4 * 1024));
    assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), 100);

    // The time limit alone sends a lone event.
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .max_batch_delay(Duration::from_millis(20))
        .build()
        .unwrap();
    client.track(command(1)).unwrap();
    let started = Instant::now();
    while sink.is_empty() && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(sink.len(), 1, "sent by the delay, no flush");
    assert_settled(&client);
}

#[test]
fn eight_threads_tracking_at_once_lose_nothing() {
    const THREADS: u64 = 8;
    const PER_THREAD: u64 = 5_000;
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .queue_capacity((THREADS * PER_THREAD) as usize)
        .build()
        .unwrap();
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let client = client.clone();
            scope.spawn(move || {
                for k in 0..PER_THREAD {
                    client.track(command(t * PER_THREAD + k)).unwrap();
                }
            });
        }
    });
    client.flush(Duration::from_secs(30)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.delivered, THREADS * PER_THREAD);
    assert_accounted(&metrics);
    let indices: Vec<u64> = sink.values().iter().map(index_of).collect();
    let mut sorted = indices.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted.len() as u64,
        THREADS * PER_THREAD,
        "each event exactly once"
    );
    // Each thread's events keep their order.
    for t in 0..THREADS {
        let mine: Vec<u64> = indices
            .iter()
            .copied()
            .filter(|i| i / PER_THREAD == t)
            .collect();
        assert!(mine.windows(2).all(|w| w[0] < w[1]));
    }
}

/// A snapshot taken while events flow never counts more outcomes than
/// inputs, on any sink or in total: outcomes (delivered, dropped in `track`
/// or by the worker) are read before what was tracked, whatever the
/// counters are made of.
#[test]
fn a_snapshot_taken_while_events_flow_never_shows_more_outcomes_than_inputs() {
    const THREADS: u64 = 3;
    const PER_THREAD: u64 = 20_000;
    let client = Client::builder()
        .sink(MemorySink::new())
        .route(
            "other",
            analytics_core::client::Route::event_type("codex_web_search_event"),
            MemorySink::new(),
        )
        // Small queues and small batches: queue_full drops and deliveries
        // happen all the time while the snapshots are taken.
        .queue_capacity(64)
        .max_batch_events(16)
        .build()
        .unwrap();
    let done = std::sync::atomic::AtomicBool::new(false);
    let mut snapshots = 0u64;
    std::thread::scope(|scope| {
        let producers: Vec<_> = (0..THREADS)
            .map(|t| {
                let client = client.clone();
                scope.spawn(move || {
                    for k in 0..PER_THREAD {
                        let i = t * PER_THREAD + k;
                        let _ = client.track(mixed(i));
                        if k % 7 == 0 {
                            // An invalid one: an outcome decided in `track`.
                            let mut bad = command(i);
                            bad.base.thread_id.clear();
                            assert!(client.track(bad).is_err());
                        }
                    }
                })
            })
            .collect();
        scope.spawn(|| {
            while !done.load(std::sync::atomic::Ordering::Acquire) {
                for (name, metrics) in client
                    .metrics_by_sink()
                    .into_iter()
                    .chain([("total".to_owned(), client.metrics())])
                {
                    assert!(metrics.in_flight() >= 0, "{name}: {metrics:?}");
                    assert!(metrics.enqueued <= metrics.tracked, "{name}: {metrics:?}");
                }
                snapshots += 1;
            }
        });
        for producer in producers {
            producer.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Release);
    });
    assert!(snapshots > 10, "the snapshots ran alongside the producers");
    client.flush(Duration::from_secs(30)).unwrap();
    let metrics = client.metrics();
    assert_eq!(
        metrics.tracked,
        THREADS * (PER_THREAD + PER_THREAD.div_ceil(7))
    );
    assert_accounted(&metrics);
}

#[test]
fn track_never_blocks_when_the_sink_is_stalled() {
    let sink = GatedSink::default();
    let client = Client::builder()
        .sink(sink.clone())
        .queue_capacity(500)
        .max_batch_events(50)
        .build()
        .unwrap();
    let mut slowest = Duration::ZERO;
    let mut full = 0u64;
    for i in 0..5_000 {
        let started = Instant::now();
        match client.track(command(i)) {
            Ok(()) => {}
            Err(TrackError::QueueFull) => full += 1,
            Err(other) => panic!("{other}"),
        }
        slowest = slowest.max(started.elapsed());
    }
    // A blocked `track` would wait forever; the margin only absorbs scheduling
    // noise on a loaded machine.
    assert!(slowest < Duration::from_secs(1), "track took {slowest:?}");
    let metrics = client.metrics();
    assert_eq!(metrics.dropped.queue_full, full);
    assert!(full >= 5_000 - 500 - 50, "{metrics:?}");
    assert_eq!(metrics.enqueued + full, 5_000);
    // A flush cannot complete while the sink is stalled.
    assert!(client.flush(Duration::from_millis(50)).is_err());
    sink.open();
    client.flush(Duration::from_secs(10)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.delivered, metrics.enqueued);
    assert_accounted(&metrics);
}

#[test]
fn shutdown_timeout_counts_what_it_could_not_send() {
    let sink = GatedSink::default();
    let client = Client::builder()
        .sink(sink.clone())
        .max_batch_events(10)
        .build()
        .unwrap();
    for i in 0..1_000 {
        client.track(command(i)).unwrap();
    }
    let started = Instant::now();
    assert!(client.shutdown(Duration::from_millis(100)).is_err());
    assert!(started.elapsed() < Duration::from_secs(2));
    // The stalled send completes; everything after the deadline is dropped.
    sink.open();
    let started = Instant::now();
    while client.metrics().in_flight() != 0 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let metrics = client.metrics();
    assert_eq!(metrics.delivered, 10, "only the batch in the sink");
    assert_eq!(metrics.dropped.shutdown_timeout, 990);
    assert_accounted(&metrics);
    // Closed for good.
    assert!(matches!(client.track(command(1)), Err(TrackError::Closed)));
    assert_eq!(client.metrics().dropped.closed, 1);
    assert!(client.flush(Duration::from_millis(10)).is_ok());
}

#[test]
fn dropping_the_last_handle_delivers_within_the_timeout() {
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .max_batch_delay(Duration::from_secs(3600))
        .drop_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let clone = client.clone();
    for i in 0..250 {
        clone.track(mixed(i)).unwrap();
    }
    drop(clone);
    // The clone's drop does not shut the client down.
    client.track(mixed(250)).unwrap();
    drop(client);
    // No handle is left to read the counters from: the sink is the ledger
    // (251 tracked, 251 delivered).
    assert_eq!(sink.len(), 251, "the last drop delivered everything");
}

#[test]
fn failing_sink_retries_by_the_policy() {
    /// Fails the first two attempts of every batch.
    struct Flaky {
        attempts: usize,
        inner: MemorySink,
    }
    impl Sink for Flaky {
        fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
            self.attempts += 1;
            if self.attempts % 3 != 0 {
                return Err(SinkError::retryable("not yet"));
            }
            self.inner.send(batch)
        }
    }
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(Flaky {
            attempts: 0,
            inner: sink.clone(),
        })
        .max_batch_events(10)
        .retry_policy(RetryPolicy::exponential(
            2,
            Duration::from_millis(1),
            Duration::from_millis(2),
        ))
        .build()
        .unwrap();
    for i in 0..100 {
        client.track(command(i)).unwrap();
    }
    client.flush(Duration::from_secs(10)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.delivered, 100);
    assert_eq!(metrics.retried, 20);
    assert_eq!(metrics.batches, 10);
    assert_accounted(&metrics);
}

#[test]
fn a_panicking_sink_is_counted_as_sink_panicked() {
    struct Panics;
    impl Sink for Panics {
        fn send(&mut self, _: &[Envelope]) -> Result<(), SinkError> {
            panic!("boom")
        }
    }
    let client = Client::builder().sink(Panics).build().unwrap();
    for i in 0..5 {
        client.track(command(i)).unwrap();
    }
    client.flush(Duration::from_secs(5)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.dropped.sink_panicked, 5);
    assert_accounted(&metrics);
}

#[test]
fn json_lines_sink_appends_and_rotates() {
    let dir = temp_dir("jsonl");
    let path = dir.join("out/events.jsonl");
    let client = Client::builder()
        .sink(
            JsonLinesSink::new(&path)
                .max_file_bytes(64 * 1024)
                .max_files(100),
        )
        .max_batch_events(10)
        .build()
        .unwrap();
    for i in 0..1_000 {
        client.track(mixed(i)).unwrap();
    }
    client.shutdown(Duration::from_secs(10)).unwrap();
    assert_invariant(&client.metrics());
    let mut files: Vec<_> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(files.len() > 5, "rotated: {files:?}");
    // Oldest first: events.jsonl.N ... events.jsonl.1, events.jsonl.
    files.sort_by_key(|p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        std::cmp::Reverse(name.rsplit('.').next().unwrap().parse::<u32>().unwrap_or(0))
    });
    let mut next = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        assert!(text.len() <= 64 * 1024);
        for line in text.lines() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(value, mixed_value(next));
            next += 1;
        }
    }
    assert_eq!(next, 1_000);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn spool_keeps_undeliverable_batches_and_replays_them() {
    let dir = temp_dir("spool-outage");
    /// Always fails (an outage); records the message ids it was offered.
    struct Down(Arc<Mutex<Vec<String>>>);
    impl Sink for Down {
        fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
            let mut ids = self.0.lock().unwrap();
            ids.extend(batch.iter().map(Envelope::message_id));
            Err(SinkError::retryable("down"))
        }
    }
    let offered = Arc::new(Mutex::new(Vec::new()));
    let client = Client::builder()
        .sink(Down(Arc::clone(&offered)))
        .spool_dir(&dir)
        .max_batch_events(10)
        .retry_policy(RetryPolicy::exponential(
            1,
            Duration::from_millis(1),
            Duration::from_millis(1),
        ))
        .build()
        .unwrap();
    for i in 0..95 {
        client.track(command(i)).unwrap();
    }
    client.shutdown(Duration::from_secs(10)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.spooled, 95, "{metrics:?}");
    assert_eq!(metrics.dropped.total(), 0);
    assert_accounted(&metrics);
    let on_disk = read_spool(&dir).unwrap();
    assert_eq!(on_disk.len(), 95);

    // The outage is over: the next run delivers them, same message ids.
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .spool_dir(&dir)
        .build()
        .unwrap();
    client.flush(Duration::from_secs(10)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.replayed, 95);
    assert_eq!(metrics.delivered, 95);
    assert_accounted(&metrics);
    let delivered = sink.envelopes();
    assert_eq!(delivered, on_disk);
    // The ids sent after the replay are those of the first run's attempts.
    let replayed_ids: Vec<String> = delivered.iter().map(Envelope::message_id).collect();
    // The first run offered the oldest events first (the spool is sent in
    // order) and retried them under the same ids.
    let offered = offered.lock().unwrap().clone();
    assert!(!offered.is_empty());
    let mut first_attempts: Vec<String> = Vec::new();
    for id in offered {
        if !first_attempts.contains(&id) {
            first_attempts.push(id);
        }
    }
    assert_eq!(replayed_ids[..first_attempts.len()], first_attempts[..]);
    let indices: Vec<u64> = sink.values().iter().map(index_of).collect();
    assert_eq!(indices, (0..95).collect::<Vec<_>>());
    // `flush` answers once every event is settled; the reader removes the
    // settled segment at its next step, so the file may outlive the answer
    // by a moment (seen on a loaded machine): wait for it, boundedly.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !read_spool(&dir).unwrap().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        read_spool(&dir).unwrap().is_empty(),
        "settled segments are removed"
    );
    drop(client);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn catalog_enums_stdout_and_thread_safety() {
    fn send_sync<T: Send + Sync + Clone>() {}
    send_sync::<Client>();

    let sink = MemorySink::new();
    let client = Client::builder().sink(sink.clone()).build().unwrap();
    let event = ToolItemEvent::CommandExecution(command(7));
    client.track_catalog(&event).unwrap();
    let mut bad = command(8);
    bad.base.turn_id.clear();
    assert!(matches!(
        client.track_catalog(&ToolItemEvent::CommandExecution(bad)),
        Err(TrackError::Invalid(_))
    ));
    client.flush(Duration::from_secs(5)).unwrap();
    assert_invariant(&client.metrics());
    assert_eq!(sink.events::<CommandExecution>(), vec![command(7)]);

    let mut stdout = analytics_core::StdoutSink::new();
    let envelope = Envelope::new(
        b"{\"event_type\":\"x\",\"event_params\":{}}".to_vec(),
        [0; 16],
        0,
    );
    stdout.send(std::slice::from_ref(&envelope)).unwrap();
    assert_eq!(envelope.event_type().as_deref(), Some("x"));
    assert_eq!(
        envelope.message_id(),
        "00000000-0000-0000-0000-000000000000"
    );
}
