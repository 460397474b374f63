//! Routing (issue 15 item 5): each event goes to the sink its route names, in
//! batches of that sink only, with per-sink metrics; a stalled or failing
//! sink holds only its own lane. Real sinks throughout: memory, JSON Lines
//! files, a loopback HTTP server on 127.0.0.1.

mod client_support;

use std::time::{Duration, Instant};

use analytics_core::client::{read_spool, Route, DEFAULT_SINK};
use analytics_core::{
    AnalyticsEvent, Client, HttpSink, JsonLinesSink, MemorySink, Metrics, RetryPolicy, TrackError,
};
use client_support::*;
use codex_analytics::*;

/// Polls `done` every 5 ms until it holds or `limit` passes.
fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    done()
}

const COMMAND: &str = CommandExecution::NAME;
const MCP: &str = McpToolCall::NAME;
const WEB: &str = WebSearch::NAME;

/// The event types of a sink's batches, one set per batch.
fn batch_types(sink: &MemorySink) -> Vec<Vec<String>> {
    sink.batches()
        .iter()
        .map(|batch| {
            let mut types: Vec<String> = batch
                .iter()
                .map(|envelope| envelope.event_type().expect("an event type"))
                .collect();
            types.dedup();
            types
        })
        .collect()
}

/// The metrics of one sink, which must exist.
fn of(client: &Client, name: &str) -> Metrics {
    client
        .sink_metrics(name)
        .unwrap_or_else(|| panic!("a sink named {name}"))
}

/// The accounting invariant for every sink and for the total, and the total
/// is the sum of the sinks.
fn assert_invariant_per_sink(client: &Client) {
    let by_sink = client.metrics_by_sink();
    let total = client.metrics();
    for (name, metrics) in &by_sink {
        assert_eq!(
            metrics.tracked + metrics.replayed,
            metrics.delivered + metrics.dropped.total() + metrics.spooled,
            "sink {name}: {metrics:?}"
        );
        assert_eq!(metrics.queue_depth, 0, "sink {name}: {metrics:?}");
    }
    let sum = |field: fn(&Metrics) -> u64| by_sink.iter().map(|(_, m)| field(m)).sum::<u64>();
    assert_eq!(total.tracked, sum(|m| m.tracked));
    assert_eq!(total.delivered, sum(|m| m.delivered));
    assert_eq!(total.dropped.total(), sum(|m| m.dropped.total()));
    assert_eq!(total.spooled, sum(|m| m.spooled));
    assert_eq!(total.batches, sum(|m| m.batches));
    assert_eq!(total.bytes, sum(|m| m.bytes));
    assert_invariant(&total);
}

#[test]
fn each_event_goes_to_its_route_in_batches_of_its_own_sink() {
    let dir = temp_dir("routing-files");
    let (rest, commands) = (MemorySink::new(), MemorySink::new());
    let web_file = dir.join("web.jsonl");
    let client = Client::builder()
        .sink(rest.clone())
        .route("commands", COMMAND, commands.clone())
        .route(
            "web",
            Route::when(|schema| schema.name == WEB),
            JsonLinesSink::new(&web_file),
        )
        .max_batch_events(7)
        .build()
        .unwrap();
    for i in 0..300 {
        client.track(mixed(i)).unwrap();
    }
    client.flush(Duration::from_secs(10)).unwrap();

    // Every batch of a sink holds only that sink's events.
    assert!(batch_types(&commands)
        .iter()
        .all(|types| types == &[COMMAND]));
    assert!(batch_types(&rest).iter().all(|types| types == &[MCP]));
    assert_eq!(commands.len(), 100);
    assert_eq!(rest.len(), 100);
    let lines = std::fs::read_to_string(&web_file).unwrap();
    let web: Vec<serde_json::Value> = lines
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(web.len(), 100);
    assert!(web.iter().all(|event| event["event_type"] == WEB));
    // In order within a sink.
    let indices: Vec<u64> = web.iter().map(index_of).collect();
    assert_eq!(indices, (0..100).map(|k| 3 * k + 2).collect::<Vec<_>>());

    // Per-sink metrics, and their sum.
    let names: Vec<String> = client
        .metrics_by_sink()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, [DEFAULT_SINK, "commands", "web"]);
    for name in [DEFAULT_SINK, "commands", "web"] {
        let metrics = of(&client, name);
        assert_eq!((metrics.tracked, metrics.delivered), (100, 100), "{name}");
    }
    assert_eq!(of(&client, "commands").batches, 15); // ceil(100 / 7)
    assert!(client.sink_metrics("nope").is_none());
    assert_eq!(client.metrics().delivered, 300);
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_invariant_per_sink(&client);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_first_matching_route_wins_and_unrouted_events_take_the_default_sink() {
    let (first, second, rest) = (MemorySink::new(), MemorySink::new(), MemorySink::new());
    let client = Client::builder()
        .sink(rest.clone())
        .route("first", Route::event_types([COMMAND, MCP]), first.clone())
        .route("second", Route::when(|_| true), second.clone())
        .build()
        .unwrap();
    for i in 0..30 {
        client.track(mixed(i)).unwrap();
    }
    client.flush(Duration::from_secs(5)).unwrap();
    assert_eq!(first.len(), 20);
    assert_eq!(second.len(), 10);
    assert!(second.values().iter().all(|e| e["event_type"] == WEB));
    assert!(rest.is_empty());
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_invariant_per_sink(&client);
}

#[test]
fn invalid_events_count_on_the_sink_they_were_routed_to() {
    let (rest, commands) = (MemorySink::new(), MemorySink::new());
    let client = Client::builder()
        .sink(rest.clone())
        .route("commands", COMMAND, commands.clone())
        .build()
        .unwrap();
    let mut bad = command(1);
    bad.base.thread_id.clear();
    assert!(matches!(client.track(bad), Err(TrackError::Invalid(_))));
    client.track(command(2)).unwrap();
    client.shutdown(Duration::from_secs(5)).unwrap();
    let commands_metrics = of(&client, "commands");
    assert_eq!(commands_metrics.dropped.invalid, 1);
    assert_eq!(commands_metrics.delivered, 1);
    assert_eq!(of(&client, DEFAULT_SINK).tracked, 0);
    assert_invariant_per_sink(&client);
}

#[test]
fn a_stalled_sink_does_not_delay_another_sinks_delivery() {
    let server = ScriptedServer::start(|_, _| Action::Accept);
    let stalled = GatedSink::default();
    let client = Client::builder()
        .sink(HttpSink::new(server.url("/v1/events")))
        .route("stalled", COMMAND, stalled.clone())
        .max_batch_events(10)
        .max_batch_delay(Duration::from_millis(20))
        .build()
        .unwrap();
    // The stalled sink's worker is blocked in `send` from its first batch on.
    for i in 0..40 {
        client.track(command(i)).unwrap();
    }
    let started = Instant::now();
    for i in 0..60 {
        client
            .track(McpToolCall {
                base: base(i),
                mcp_server_name: "github".into(),
                mcp_tool_name: "search".into(),
                mcp_error_present: false,
            })
            .unwrap();
    }
    // The HTTP sink delivers everything while the other sink is stuck.
    assert!(
        wait_until(Duration::from_secs(5), || server.accepted_events().len()
            == 60),
        "the HTTP sink got {} of 60 events",
        server.accepted_events().len()
    );
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(server
        .accepted_events()
        .iter()
        .all(|event| event["event_type"] == MCP));
    assert_eq!(of(&client, DEFAULT_SINK).delivered, 60);
    let stuck = of(&client, "stalled");
    assert_eq!(stuck.delivered, 0);
    assert_eq!(stuck.in_flight(), 40);
    // A flush waits for every sink, so it times out while one is stalled...
    assert!(client.flush(Duration::from_millis(100)).is_err());
    // ...and completes once it moves again.
    stalled.open();
    client.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(stalled.inner.len(), 40);
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_invariant_per_sink(&client);
}

#[test]
fn a_full_stalled_lane_drops_only_its_own_events() {
    let stalled = GatedSink::default();
    let rest = MemorySink::new();
    let client = Client::builder()
        .sink(rest.clone())
        .route("stalled", COMMAND, stalled.clone())
        .queue_capacity(8)
        .max_batch_events(1)
        .build()
        .unwrap();
    let mut full = 0;
    for i in 0..50 {
        match client.track(command(i)) {
            Ok(()) => {}
            Err(TrackError::QueueFull) => full += 1,
            Err(other) => panic!("{other}"),
        }
    }
    assert!(full > 0, "the stalled lane's queue of 8 filled up");
    // The other lane has its own bound: nothing of it is dropped.
    for i in 0..8 {
        client.track(mixed(3 * i + 1)).unwrap();
    }
    client.flush(Duration::from_millis(0)).ok();
    assert!(wait_until(Duration::from_secs(5), || rest.len() == 8));
    assert_eq!(of(&client, DEFAULT_SINK).dropped.total(), 0);
    assert_eq!(of(&client, "stalled").dropped.queue_full, full);
    stalled.open();
    client.shutdown(Duration::from_secs(10)).unwrap();
    assert_eq!(stalled.inner.len() as u64, 50 - full);
    assert_invariant_per_sink(&client);
}

#[test]
fn a_failing_http_route_counts_its_drops_on_its_own_sink() {
    let refusing = ScriptedServer::start(|_, _| Action::Status(400));
    let accepting = ScriptedServer::start(|_, _| Action::Accept);
    let client = Client::builder()
        .sink(HttpSink::new(accepting.url("/")))
        .route("refusing", WEB, HttpSink::new(refusing.url("/")))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    for i in 0..30 {
        client.track(mixed(i)).unwrap();
    }
    client.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(accepting.accepted_events().len(), 20);
    assert!(refusing
        .seen()
        .iter()
        .flat_map(|seen| seen.events())
        .all(|event| event["event_type"] == WEB));
    assert_eq!(of(&client, "refusing").dropped.rejected, 10);
    assert_eq!(of(&client, DEFAULT_SINK).dropped.total(), 0);
    assert_eq!(client.metrics().dropped.rejected, 10);
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_invariant_per_sink(&client);
}

#[test]
fn with_a_spool_each_sink_keeps_its_own_directory_and_replays_from_it() {
    let dir = temp_dir("routing-spool");
    let stalled = GatedSink::default();
    let rest = MemorySink::new();
    let client = Client::builder()
        .sink(rest.clone())
        .route("commands", COMMAND, stalled.clone())
        .spool_dir(&dir)
        .max_batch_events(1)
        .build()
        .unwrap();
    for i in 0..30 {
        client.track(mixed(i)).unwrap();
    }
    assert!(wait_until(Duration::from_secs(5), || rest.len() == 20));
    // The stalled sink's events stay on disk, in its own directory.
    assert!(client.shutdown(Duration::from_millis(200)).is_err());
    stalled.open();
    assert_settled(&client);
    let commands_dir = dir.join("routes").join("commands");
    let spooled = read_spool(&commands_dir).unwrap();
    let on_disk = of(&client, "commands").spooled;
    // A segment goes once all of it is settled: the delivered first event
    // stays in the file beside the unsent ones (at-least-once).
    let leftovers = spooled.len() as u64;
    assert!(
        leftovers >= on_disk,
        "{leftovers} records, {on_disk} spooled"
    );
    assert!(spooled
        .iter()
        .all(|envelope| envelope.event_type().as_deref() == Some(COMMAND)));
    assert!(read_spool(&dir).unwrap().is_empty());
    assert!(on_disk > 0, "the stalled sink left events on disk");
    assert_eq!(stalled.inner.len() as u64 + on_disk, 10);
    assert_invariant_per_sink(&client);
    drop(client);

    // The next run replays each sink's leftovers to that sink only (its
    // directories are free once the last run's threads have ended).
    let (commands, rest2) = (MemorySink::new(), MemorySink::new());
    let open = || {
        Client::builder()
            .sink(rest2.clone())
            .route("commands", COMMAND, commands.clone())
            .spool_dir(&dir)
            .build()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    let client = loop {
        match open() {
            Ok(client) => break client,
            Err(error) if Instant::now() < deadline => {
                assert_eq!(error.kind(), std::io::ErrorKind::ResourceBusy, "{error}");
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(error) => panic!("{error}"),
        }
    };
    client.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(commands.len() as u64, leftovers);
    assert!(rest2.is_empty());
    assert_eq!(of(&client, "commands").replayed, leftovers);
    assert_eq!(of(&client, DEFAULT_SINK).replayed, 0);
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_invariant_per_sink(&client);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_panicking_route_predicate_is_caught_and_counted() {
    let rest = MemorySink::new();
    let client = Client::builder()
        .sink(rest.clone())
        .route(
            "boom",
            Route::when(|_| panic!("a predicate that panics")),
            MemorySink::new(),
        )
        .build()
        .unwrap();
    assert!(matches!(
        client.track(command(1)),
        Err(TrackError::Panicked)
    ));
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!(of(&client, DEFAULT_SINK).dropped.panicked, 1);
    assert!(rest.is_empty());
    assert_invariant_per_sink(&client);
}

#[test]
fn flush_async_and_shutdown_async_wait_for_every_sink() {
    let (rest, commands) = (MemorySink::new(), MemorySink::new());
    let client = Client::builder()
        .sink(rest.clone())
        .route("commands", COMMAND, commands.clone())
        .max_batch_delay(Duration::from_secs(3600))
        .build()
        .unwrap();
    for i in 0..20 {
        client.track(mixed(i)).unwrap();
    }
    futures_executor::block_on(client.flush_async(Duration::from_secs(10))).unwrap();
    assert_eq!(commands.len() + rest.len(), 20);
    assert_eq!(commands.len(), 7);
    client.track(command(99)).unwrap();
    futures_executor::block_on(client.shutdown_async(Duration::from_secs(10))).unwrap();
    assert_eq!(commands.len(), 8);
    assert!(matches!(
        client.track(command(100)),
        Err(TrackError::Closed)
    ));
    assert_invariant_per_sink(&client);
}

#[test]
fn bad_route_names_are_refused_by_build() {
    let build = |names: &[&str]| {
        let mut builder = Client::builder().sink(MemorySink::new());
        for name in names {
            builder = builder.route(*name, COMMAND, MemorySink::new());
        }
        builder
            .build()
            .map(|_| ())
            .map_err(|error| error.to_string())
    };
    for bad in ["", "default", "a/b", "..", "white space", &"x".repeat(65)] {
        let error = build(&[bad]).unwrap_err();
        assert!(error.contains("route("), "{bad:?}: {error}");
    }
    let error = build(&["billing", "billing"]).unwrap_err();
    assert!(error.contains("two routes"), "{error}");
    assert!(build(&["billing", "audit-log_2"]).is_ok());
}
