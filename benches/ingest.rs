//! Validation on arrival (`analytics_core::ingest`): events/s per core
//! through the plan-driven validator, against the floor of parsing the same
//! bytes with `serde_json::from_slice::<serde::de::IgnoredAny>` (a parse
//! that checks nothing and builds nothing).
//!
//! `cargo bench --bench ingest -- --warm-up-time 1 --measurement-time 3`
//!
//! - `event/*`: one envelope at a time (what `analytics validate` does per line);
//! - `batch/*`: a `{"events":[..]}` body of 500 events, split then checked
//!   (what the collector does per request, before the write).

use std::hint::black_box;

use analytics_core::ingest::PlanValidator;
use analytics_core::TrackingPlan;
use codex_analytics::simulate::Session;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn events(count: usize) -> Vec<Vec<u8>> {
    Session::new(42)
        .events(count)
        .iter()
        .map(|event| {
            let mut json = Vec::new();
            event.write_json(&mut json);
            json
        })
        .collect()
}

fn validator() -> PlanValidator {
    let plan = TrackingPlan::from_json(&TrackingPlan::from_catalog().to_json()).unwrap();
    PlanValidator::new(&plan).unwrap()
}

fn per_event(c: &mut Criterion) {
    let events = events(2_000);
    let validator = validator();
    let bytes: usize = events.iter().map(Vec::len).sum();
    let mut group = c.benchmark_group("event");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("ignored_any_floor", |b| {
        b.iter(|| {
            for event in &events {
                black_box(serde_json::from_slice::<serde::de::IgnoredAny>(event).unwrap());
            }
        })
    });
    group.bench_function("plan_validate", |b| {
        b.iter(|| {
            for event in &events {
                black_box(validator.check_event(event, 0).unwrap());
            }
        })
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| {
            for event in &events {
                black_box(serde_json::from_slice::<serde_json::Value>(event).unwrap());
            }
        })
    });
    group.finish();
    eprintln!(
        "event/*: {} events, {} bytes ({} bytes/event)",
        events.len(),
        bytes,
        bytes / events.len()
    );
}

fn per_batch(c: &mut Criterion) {
    let events = events(500);
    let validator = validator();
    let mut body = b"{\"events\":[".to_vec();
    for (index, event) in events.iter().enumerate() {
        if index > 0 {
            body.push(b',');
        }
        body.extend_from_slice(event);
    }
    body.extend_from_slice(b"]}");
    let mut group = c.benchmark_group("batch");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("ignored_any_floor", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde::de::IgnoredAny>(&body).unwrap()))
    });
    group.bench_function("split_and_validate", |b| {
        b.iter(|| {
            let items = validator.split_batch(&body, 0).unwrap();
            for item in items {
                black_box(validator.check_event(item.get().as_bytes(), 0).unwrap());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, per_event, per_batch);
criterion_main!(benches);
