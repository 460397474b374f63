//! Rows/s into a real ClickHouse through `ClickHouseSink`, against the floor:
//! posting the very same `JSONEachRow` bytes with a plain HTTP client (ureq)
//! in the same run. The difference is what the sink adds: building the rows
//! from the envelopes (flattening, message ids) and classifying the answer.
//! Every iteration of either benchmark runs both (the other one untimed), so
//! both meet the same server state.
//!
//! `cargo bench --bench clickhouse` (needs `clickhouse-server`; skips without it)

#[path = "../tests/clickhouse_support/mod.rs"]
mod clickhouse_support;

use std::time::{Duration, Instant};

use analytics_core::clickhouse::ClickHouseSink;
use analytics_core::{Envelope, Sink, TrackEventRequest, TrackingPlan};
use codex_analytics::simulate::Session;
use codex_analytics::*;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const BATCH: usize = 2_000;

fn envelopes() -> Vec<Envelope> {
    Session::new(7)
        .events(BATCH)
        .into_iter()
        .enumerate()
        .map(|(i, event)| {
            let request: TrackEventRequest = match event {
                ToolItemEvent::CommandExecution(e) => e.into(),
                ToolItemEvent::FileChange(e) => e.into(),
                ToolItemEvent::McpToolCall(e) => e.into(),
                ToolItemEvent::DynamicToolCall(e) => e.into(),
                ToolItemEvent::CollabAgentToolCall(e) => e.into(),
                ToolItemEvent::WebSearch(e) => e.into(),
                ToolItemEvent::ImageGeneration(e) => e.into(),
            };
            let mut json = Vec::new();
            request.write_json(&mut json);
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&(i as u64).to_le_bytes());
            Envelope::new(json, id, 1_764_574_000_000 + i as u64)
        })
        .collect()
}

fn insert_rows(c: &mut Criterion) {
    let Some(server) = clickhouse_support::server() else {
        return;
    };
    let database = server.fresh_database("bench");
    let plan = TrackingPlan::from_events(&ToolItemEvent::schemas());
    let mut sink = ClickHouseSink::new(server.url())
        .database(&database)
        .plan(plan);
    sink.ensure_tables().unwrap();
    let batch = envelopes();
    // The floor's requests: exactly what the sink posts for this batch.
    let requests = sink.insert_requests(&batch).unwrap();
    let agent = ureq::AgentBuilder::new().build();
    let url = format!("{}/", server.url());

    let floor = |requests: &[(String, Vec<u8>)]| {
        for (query, body) in requests {
            agent
                .post(&url)
                .query("database", &database)
                .query("query", query)
                .send_bytes(body)
                .unwrap();
        }
    };

    // Each iteration runs both, the other one untimed, so that both see the
    // same server state (parts to merge grow with every insert).
    let mut group = c.benchmark_group("clickhouse");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("floor_plain_http_post_2k_rows", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                floor(&requests);
                timed += start.elapsed();
                sink.send(&batch).unwrap();
            }
            timed
        })
    });
    group.bench_function("clickhouse_sink_send_2k_rows", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                floor(&requests);
                let start = Instant::now();
                sink.send(&batch).unwrap();
                timed += start.elapsed();
            }
            timed
        })
    });
    // What the sink adds, alone: the rows of the batch, no request.
    group.bench_function("clickhouse_sink_rows_only_2k", |b| {
        b.iter(|| sink.insert_requests(&batch).unwrap())
    });
    group.finish();
    // Leave no data behind: the next run's clean-up stays short.
    server.query(&format!("DROP DATABASE {database}"));
}

criterion_group!(benches, insert_rows);
criterion_main!(benches);
