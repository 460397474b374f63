//! The delivery client: events/s through the JSON Lines sink next to its
//! floor (the same envelopes written by `write_envelope` into a
//! `BufWriter<File>` on one thread, no client), the cost of one `track()`
//! (typed, through an `EventCatalog`, with a PII policy), and `track()`
//! latency (p50/p99) with the sink keeping up and with the sink stalled.
//!
//! `cargo bench --bench client` (one group: `cargo bench --bench client --
//! client/track --warm-up-time 1 --measurement-time 3`)

use std::hint::black_box;
use std::io::Write;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use analytics_core::{
    AnalyticsEvent, AnalyticsFields, Client, Envelope, JsonLinesSink, PiiPolicy, Sink, SinkError,
    Trackable,
};
use codex_analytics::*;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn command(i: u64) -> CommandExecution {
    let mut event = codex_analytics::fixtures::golden_command_execution();
    event.base.thread_id = format!("thread-{i}");
    event.base.item_id = format!("item-{i}");
    event
}

/// Blocks every send until the gate opens.
#[derive(Clone, Default)]
struct Stalled(Arc<(Mutex<bool>, Condvar)>);

impl Stalled {
    fn open(&self) {
        *self.0 .0.lock().unwrap() = true;
        self.0 .1.notify_all();
    }
}

impl Sink for Stalled {
    fn send(&mut self, _: &[Envelope]) -> Result<(), SinkError> {
        let mut open = self.0 .0.lock().unwrap();
        while !*open {
            open = self.0 .1.wait(open).unwrap();
        }
        Ok(())
    }
}

const PER_RUN: u64 = 20_000;

fn jsonl_throughput(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-client");
    let _ = std::fs::remove_dir_all(&dir);
    let events: Vec<CommandExecution> = (0..PER_RUN).map(command).collect();
    let mut group = c.benchmark_group("client");
    group.throughput(Throughput::Elements(PER_RUN));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(8));
    let mut line = Vec::with_capacity(4096);
    events[0].write_envelope(&mut line);
    println!("envelope size: {} bytes", line.len());
    // The floor: what writing these envelopes costs with no client at all.
    group.bench_function("jsonl_floor_write_json_bufwriter_20k", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let path = dir.join("floor.jsonl");
                std::fs::create_dir_all(&dir).unwrap();
                let started = Instant::now();
                let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
                for event in &events {
                    line.clear();
                    event.write_envelope(&mut line);
                    line.push(b'\n');
                    out.write_all(&line).unwrap();
                }
                out.flush().unwrap();
                total += started.elapsed();
                drop(out);
                teardown(&dir);
            }
            total
        })
    });
    for spool in [false, true] {
        let name = if spool {
            "jsonl_track_to_disk_20k_with_spool"
        } else {
            "jsonl_track_to_disk_20k"
        };
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let path = dir.join("events.jsonl");
                    std::fs::create_dir_all(&dir).unwrap();
                    let mut builder = Client::builder()
                        .sink(JsonLinesSink::new(&path).max_file_bytes(1 << 30))
                        .queue_capacity(PER_RUN as usize)
                        .max_batch_events(500);
                    if spool {
                        builder = builder.spool_dir(dir.join("spool"));
                    }
                    let client = builder.build().unwrap();
                    let started = Instant::now();
                    for event in &events {
                        client.track_ref(event).unwrap();
                    }
                    client.flush(Duration::from_secs(60)).unwrap();
                    total += started.elapsed();
                    assert_eq!(client.metrics().delivered, PER_RUN);
                    client.shutdown(Duration::from_secs(5)).unwrap();
                    teardown(&dir);
                }
                total
            })
        });
    }
    group.finish();
}

/// The untimed end of one throughput iteration (its client shut down
/// first): every file of the row removed. A removed file's dirty pages are
/// dropped, never written back, so no row leaves page cache for the kernel
/// to write out (or files, or threads) while a later row is measured; each
/// iteration starts from the same empty directory.
fn teardown(dir: &std::path::Path) {
    std::fs::remove_dir_all(dir).unwrap();
}

/// What this process leaves behind between rows: its threads, and the
/// machine's dirty and under-writeback page cache (`/proc/meminfo`), printed
/// before the latency rows so a run shows the state they were measured in.
#[cfg(target_os = "linux")]
fn print_process_state(label: &str) {
    let threads = std::fs::read_dir("/proc/self/task").map_or(0, |tasks| tasks.count());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let field = |name: &str| {
        meminfo
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .map_or("?", str::trim)
            .to_owned()
    };
    println!(
        "state {label}: threads={threads} Dirty={} Writeback={}",
        field("Dirty:"),
        field("Writeback:")
    );
}

#[cfg(not(target_os = "linux"))]
fn print_process_state(_: &str) {}

/// Accepts every batch at once.
struct Discard;

impl Sink for Discard {
    fn send(&mut self, _: &[Envelope]) -> Result<(), SinkError> {
        Ok(())
    }
}

/// A client that keeps up (its sink discards, batches of 1,000), with room
/// for `capacity` queued events: every caller-cost loop below uses one.
fn discarding_client(policy: PiiPolicy, capacity: usize) -> Client {
    Client::builder()
        .sink(Discard)
        .pii_policy(policy)
        .queue_capacity(capacity)
        .max_batch_events(1_000)
        .build()
        .unwrap()
}

/// The caller's cost of one accepted `track`: validate, serialize, PII, queue.
fn track_cost(c: &mut Criterion) {
    let event = command(1);
    let catalog = ToolItemEvent::CommandExecution(command(1));
    for (name, policy) in [
        ("client/track", PiiPolicy::Keep),
        ("client/track_pii_hash", PiiPolicy::hash("salt")),
    ] {
        let client = discarding_client(policy, 1 << 20);
        c.bench_function(name, |b| {
            b.iter(|| black_box(client.track_ref(black_box(&event)).is_ok()))
        });
        c.bench_function(&format!("{name}_catalog"), |b| {
            b.iter(|| black_box(client.track_catalog(black_box(&catalog)).is_ok()))
        });
        client.shutdown(Duration::from_secs(30)).unwrap();
    }
}

/// CPU time (user + system) this thread has used, from
/// `/proc/thread-self/stat` (clock ticks, 100 Hz): unlike wall time, it does
/// not count the time the thread waits for a core on a loaded machine.
#[cfg(target_os = "linux")]
fn thread_cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

/// The caller's CPU time per accepted `track`, over a million calls: a
/// figure that holds on a loaded machine, where criterion's wall time
/// measures the scheduler.
#[cfg(target_os = "linux")]
fn track_cpu_cost(_: &mut Criterion) {
    const CALLS: u32 = 1_000_000;
    let event = command(1);
    let catalog = ToolItemEvent::CommandExecution(command(1));
    for (name, policy) in [
        ("keep", PiiPolicy::Keep),
        ("pii_hash", PiiPolicy::hash("salt")),
    ] {
        for via_catalog in [false, true] {
            let client = discarding_client(policy.clone(), CALLS as usize);
            let started = thread_cpu_time();
            for _ in 0..CALLS {
                let accepted = if via_catalog {
                    client.track_catalog(black_box(&catalog)).is_ok()
                } else {
                    client.track_ref(black_box(&event)).is_ok()
                };
                black_box(accepted);
            }
            let cpu = thread_cpu_time() - started;
            println!(
                "track() caller CPU, policy {name}{}: {:?} per call ({CALLS} calls)",
                if via_catalog { ", track_catalog" } else { "" },
                cpu / CALLS
            );
            client.shutdown(Duration::from_secs(60)).unwrap();
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn track_cpu_cost(_: &mut Criterion) {}

/// The device of a sign-in: one personal field in a nested object.
#[derive(AnalyticsFields, Clone)]
struct Device {
    #[analytics(pii)]
    name: String,
    os: String,
    version: String,
}

/// An event with personal data at the top level and nested (the Codex
/// events have none).
#[derive(AnalyticsEvent, Clone)]
#[analytics(name = "bench_signed_in")]
struct SignedIn {
    #[analytics(pii)]
    email: String,
    #[analytics(pii)]
    ip: Option<String>,
    device: Device,
    method: String,
    thread_id: String,
    attempt: u32,
    duration_ms: u64,
    labels: Vec<String>,
}

fn signed_in() -> SignedIn {
    SignedIn {
        email: "ada.lovelace@example.com".into(),
        ip: Some("203.0.113.42".into()),
        device: Device {
            name: "Ada's laptop".into(),
            os: "linux".into(),
            version: "6.8.0-45-generic".into(),
        },
        method: "oauth".into(),
        thread_id: "thread-0123456789abcdef".into(),
        attempt: 2,
        duration_ms: 1_234,
        labels: vec!["beta".into(), "team".into(), "eu-west".into()],
    }
}

/// The caller's CPU per `track` of an event with PII, under each policy.
#[cfg(target_os = "linux")]
fn pii_track_cpu_cost(_: &mut Criterion) {
    const CALLS: u32 = 500_000;
    let event = signed_in();
    for (name, policy) in [
        ("keep", PiiPolicy::Keep),
        ("drop", PiiPolicy::Drop),
        ("hash", PiiPolicy::hash("salt")),
    ] {
        let client = discarding_client(policy, CALLS as usize);
        let started = thread_cpu_time();
        for _ in 0..CALLS {
            black_box(client.track_ref(black_box(&event)).is_ok());
        }
        let cpu = thread_cpu_time() - started;
        println!(
            "track() caller CPU, event with PII, policy {name}: {:?} per call ({CALLS} calls)",
            cpu / CALLS
        );
        client.shutdown(Duration::from_secs(60)).unwrap();
    }
}

#[cfg(not(target_os = "linux"))]
fn pii_track_cpu_cost(_: &mut Criterion) {}

/// p50/p99/p99.9/max of `samples` (sorted here), printed under `label`.
fn print_percentiles(label: &str, samples: &mut [Duration]) {
    samples.sort_unstable();
    let pct = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "track() {label}: n={} p50={:?} p99={:?} p99.9={:?} max={:?}",
        samples.len(),
        pct(0.50),
        pct(0.99),
        pct(0.999),
        samples[samples.len() - 1]
    );
}

fn track_latency(c: &mut Criterion) {
    print_process_state("before the latency rows");
    let event = command(1);
    // The floor of the latency rows: `validate` and `write_envelope` into a
    // reused buffer, no client, timed the same way (the two clock reads
    // included), so the client's own share of a p99 shows beside it.
    let mut line = Vec::with_capacity(4096);
    let mut floor_sample = |event: &CommandExecution| {
        let started = Instant::now();
        let event = black_box(event);
        let valid = event.validate().is_ok();
        line.clear();
        event.write_envelope(&mut line);
        black_box(&line);
        let took = started.elapsed();
        assert!(valid);
        took
    };
    let track_sample = |client: &Client, event: &CommandExecution| {
        let started = Instant::now();
        let accepted = client.track_ref(black_box(event)).is_ok();
        let took = started.elapsed();
        assert!(accepted);
        took
    };
    let mut samples: Vec<Duration> = (0..200_000).map(|_| floor_sample(&event)).collect();
    print_percentiles("floor: validate + write_envelope, no client", &mut samples);
    // What the timing itself costs (two clock reads, nothing between), and
    // the wall clock `track` reads for each event's timestamp, timed alike.
    let mut samples = Vec::with_capacity(200_000);
    for _ in 0..200_000 {
        let started = Instant::now();
        samples.push(started.elapsed());
    }
    print_percentiles("timing only: two Instant reads", &mut samples);
    let mut samples = Vec::with_capacity(200_000);
    for _ in 0..200_000 {
        let started = Instant::now();
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis());
        black_box(ms);
        samples.push(started.elapsed());
    }
    print_percentiles("timing + SystemTime::now() as ms", &mut samples);
    // `track()` with the sink keeping up: 200k calls, nothing dropped.
    let client = discarding_client(PiiPolicy::Keep, 1 << 20);
    let mut samples: Vec<Duration> = (0..200_000)
        .map(|_| track_sample(&client, &event))
        .collect();
    print_percentiles("with the sink keeping up", &mut samples);
    client.shutdown(Duration::from_secs(60)).unwrap();

    // The same two rows paired: runs of 1,000 floor samples and 1,000
    // `track()` samples in turn, so that the machine's load (other
    // processes on a shared machine) falls on both alike; then the client's
    // own share of each percentile is the difference within the pair.
    let client = discarding_client(PiiPolicy::Keep, 1 << 20);
    let (mut floor, mut tracked) = (Vec::with_capacity(200_000), Vec::with_capacity(200_000));
    for _ in 0..200 {
        floor.extend((0..1_000).map(|_| floor_sample(&event)));
        tracked.extend((0..1_000).map(|_| track_sample(&client, &event)));
    }
    print_percentiles("paired, floor", &mut floor);
    print_percentiles("paired, with the sink keeping up", &mut tracked);
    client.shutdown(Duration::from_secs(60)).unwrap();

    // Criterion: `track()` while the sink is stalled and the queue is full
    // (the steady state of an outage without spool: every call is a counted drop).
    let sink = Stalled::default();
    let client = Client::builder()
        .sink(sink.clone())
        .queue_capacity(1_000)
        .build()
        .unwrap();
    for _ in 0..2_000 {
        let _ = client.track_ref(&event);
    }
    c.bench_function("client/track_stalled_queue_full", |b| {
        b.iter(|| black_box(client.track_ref(black_box(&event)).is_err()))
    });
    sink.open();
    client.shutdown(Duration::from_secs(5)).unwrap();

    // A measured loop with percentiles: 200k calls against a stalled sink
    // with a 100k queue (the first half is queued, the second half dropped).
    let sink = Stalled::default();
    let client = Client::builder()
        .sink(sink.clone())
        .queue_capacity(100_000)
        .build()
        .unwrap();
    let mut accepted = Vec::with_capacity(100_000);
    let mut dropped = Vec::with_capacity(100_000);
    for _ in 0..200_000 {
        let started = Instant::now();
        let result = client.track_ref(black_box(&event));
        let elapsed = started.elapsed();
        if result.is_ok() {
            accepted.push(elapsed);
        } else {
            dropped.push(elapsed);
        }
    }
    for (name, samples) in [("queued", &mut accepted), ("queue_full", &mut dropped)] {
        print_percentiles(&format!("with a stalled sink, {name}"), samples);
    }
    let metrics = client.metrics();
    println!(
        "metrics: enqueued={} queue_full={} queue_depth={}",
        metrics.enqueued, metrics.dropped.queue_full, metrics.queue_depth
    );
    sink.open();
    client.shutdown(Duration::from_secs(30)).unwrap();
}

criterion_group!(
    benches,
    jsonl_throughput,
    track_cost,
    track_cpu_cost,
    pii_track_cpu_cost,
    track_latency
);
criterion_main!(benches);
