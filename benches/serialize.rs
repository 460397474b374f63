//! Serialization side by side, on the same seeded 10,000 Codex
//! command-execution events (about 1,000 bytes each), in one criterion group
//! so the figures come from one run. Throughput is reported per event.
//!
//! `cargo bench --bench serialize`

#[path = "../tests/support/twin.rs"]
mod twin;

use std::hint::black_box;

use analytics_core::AnalyticsEvent;
use codex_analytics::simulate::Session;
use codex_analytics::{CommandExecution, ToolItemEvent};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const EVENTS: usize = 10_000;

fn command_events() -> Vec<CommandExecution> {
    let mut session = Session::new(2026);
    let mut events = Vec::with_capacity(EVENTS);
    while events.len() < EVENTS {
        if let ToolItemEvent::CommandExecution(event) = session.next_event() {
            events.push(event);
        }
    }
    events
}

fn serialize(c: &mut Criterion) {
    let events = command_events();
    let flatten: Vec<_> = events.iter().map(twin::command_flatten).collect();
    let inline: Vec<_> = events.iter().map(twin::command_inline).collect();
    let catalog: Vec<ToolItemEvent> = events.iter().cloned().map(ToolItemEvent::from).collect();

    // Every contender writes the same bytes: check once before timing.
    let mut reference = Vec::new();
    let mut total_bytes = 0;
    for (i, event) in events.iter().enumerate() {
        let mut derived = Vec::new();
        event.write_json(&mut derived);
        let serde_flatten = serde_json::to_vec(&flatten[i]).unwrap();
        assert_eq!(derived, serde_flatten);
        assert_eq!(derived, serde_json::to_vec(&inline[i]).unwrap());
        assert_eq!(derived, serde_json::to_vec(&catalog[i]).unwrap());
        assert_eq!(
            serde_json::to_vec(event).unwrap(),
            serde_json::to_vec(&flatten[i].event_params).unwrap()
        );
        // A `Value` map sorts its keys: same content, not the same bytes.
        let parsed: serde_json::Value = serde_json::from_slice(&derived).unwrap();
        assert_eq!(parsed, twin::command_value(event));
        total_bytes += derived.len();
        reference.push(derived);
    }
    eprintln!(
        "10,000 events, {} bytes in all, {} bytes per event on average",
        total_bytes,
        total_bytes / EVENTS
    );

    let mut group = c.benchmark_group("serialize_10k_command_events");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(30);
    let mut out: Vec<u8> = Vec::with_capacity(total_bytes + 1024);

    group.bench_function("derived_write_json", |b| {
        b.iter(|| {
            out.clear();
            for event in &events {
                event.write_json(&mut out);
            }
            black_box(out.len())
        })
    });
    group.bench_function("derived_validate_then_write_json", |b| {
        b.iter(|| {
            out.clear();
            for event in &events {
                if event.validate().is_ok() {
                    event.write_json(&mut out);
                }
            }
            black_box(out.len())
        })
    });
    group.bench_function("derived_through_serde", |b| {
        b.iter(|| {
            out.clear();
            for event in &catalog {
                serde_json::to_writer(&mut out, event).unwrap();
            }
            black_box(out.len())
        })
    });
    // The params object alone through `Serialize` (any serializer: no
    // envelope, no `write_json`): the derived impl, type-erased per member,
    // against serde's derive over the same fields (flattened base, and
    // written inline).
    group.bench_function("derived_params_through_serde", |b| {
        b.iter(|| {
            out.clear();
            for event in &events {
                serde_json::to_writer(&mut out, event).unwrap();
            }
            black_box(out.len())
        })
    });
    group.bench_function("serde_flatten_params", |b| {
        b.iter(|| {
            out.clear();
            for request in &flatten {
                serde_json::to_writer(&mut out, &request.event_params).unwrap();
            }
            black_box(out.len())
        })
    });
    group.bench_function("serde_inline_params", |b| {
        b.iter(|| {
            out.clear();
            for request in &inline {
                serde_json::to_writer(&mut out, &request.event_params).unwrap();
            }
            black_box(out.len())
        })
    });
    group.bench_function("serde_flatten_hand_written", |b| {
        b.iter(|| {
            out.clear();
            for event in &flatten {
                serde_json::to_writer(&mut out, event).unwrap();
            }
            black_box(out.len())
        })
    });
    group.bench_function("serde_inline_hand_written", |b| {
        b.iter(|| {
            out.clear();
            for event in &inline {
                serde_json::to_writer(&mut out, event).unwrap();
            }
            black_box(out.len())
        })
    });
    group.bench_function("serde_json_value_build_and_write", |b| {
        b.iter(|| {
            out.clear();
            for event in &events {
                serde_json::to_writer(&mut out, &twin::command_value(event)).unwrap();
            }
            black_box(out.len())
        })
    });
    group.bench_function("memcpy_floor", |b| {
        b.iter(|| {
            out.clear();
            for bytes in &reference {
                out.extend_from_slice(bytes);
            }
            black_box(out.len())
        })
    });
    group.bench_function("validate_only", |b| {
        b.iter(|| {
            let mut valid = 0usize;
            for event in &events {
                valid += event.validate().is_ok() as usize;
            }
            black_box(valid)
        })
    });
    group.finish();

    let mut group = c.benchmark_group("deserialize_10k_command_events");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(20);
    group.bench_function("event_catalog_from_slice", |b| {
        b.iter(|| {
            let mut count = 0usize;
            for bytes in &reference {
                let event: ToolItemEvent = serde_json::from_slice(bytes).unwrap();
                count += matches!(event, ToolItemEvent::CommandExecution(_)) as usize;
            }
            black_box(count)
        })
    });
    group.finish();
}

criterion_group!(benches, serialize);
criterion_main!(benches);
