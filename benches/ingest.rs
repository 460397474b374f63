//! Validation on arrival (`analytics_core::ingest`): events/s per core
//! through the plan-driven validator, against the floor of parsing the same
//! bytes with `serde_json::from_slice::<serde::de::IgnoredAny>` (a parse
//! that checks nothing and builds nothing).
//!
//! `cargo bench --bench ingest -- --warm-up-time 1 --measurement-time 3`
//!
//! - `event/*`: one envelope at a time (what `analytics validate` does per line);
//! - `batch/*`: a `{"events":[..]}` body of 500 events, checked as it is
//!   read (`check_batch`, what the collector does per request, before the
//!   write), and split then checked event by event, for comparison;
//! - `collector/*`: the same 500-event bodies posted over loopback by two
//!   keep-alive connections at once, to the real collector
//!   (`analytics_cli::serve`, JSON Lines output, fsync'd as `analytics serve`
//!   writes it, and without fsync), against two floors in the same run: a
//!   bare axum handler that only reads the body, and the collector's own
//!   work done in process (check, copy) on as many threads;
//! - `per_core/*`: the same, in events per CPU second instead of per second
//!   of wall time: `IgnoredAny` and `check_batch` over the body on one
//!   thread, and the servers' threads (every thread but the posters and
//!   criterion's, from `/proc/self/task/*/schedstat`) while the posters post.

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use analytics_cli::serve::{Collector, Config};
use analytics_core::ingest::PlanValidator;
use analytics_core::{JsonLinesSink, TrackingPlan};
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

fn batch_body(events: &[Vec<u8>]) -> Vec<u8> {
    let mut body = b"{\"events\":[".to_vec();
    for (index, event) in events.iter().enumerate() {
        if index > 0 {
            body.push(b',');
        }
        body.extend_from_slice(event);
    }
    body.extend_from_slice(b"]}");
    body
}

fn per_batch(c: &mut Criterion) {
    let events = events(500);
    let validator = validator();
    let body = batch_body(&events);
    let mut group = c.benchmark_group("batch");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("ignored_any_floor", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde::de::IgnoredAny>(&body).unwrap()))
    });
    group.bench_function("check_batch", |b| {
        b.iter(|| {
            for item in validator.check_batch(&body, 0) {
                black_box(item.unwrap().outcome.unwrap());
            }
        })
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

/// Connections posting at once in `collector/*` (the machine has two cores).
const CONNECTIONS: usize = 2;

/// One keep-alive HTTP/1.1 connection posting the same body again and again.
struct Poster {
    stream: TcpStream,
    request: Vec<u8>,
    answer: Vec<u8>,
}

impl Poster {
    fn connect(addr: SocketAddr, body: &[u8]) -> Poster {
        let stream = TcpStream::connect(addr).unwrap();
        stream.set_nodelay(true).unwrap();
        let mut request = format!(
            "POST /v1/events HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        Poster {
            stream,
            request,
            answer: Vec::with_capacity(1024),
        }
    }

    /// Posts once; panics unless the answer is 200.
    fn post(&mut self) {
        self.stream.write_all(&self.request).unwrap();
        self.answer.clear();
        let mut chunk = [0u8; 1024];
        let (head_end, length) = loop {
            let read = self.stream.read(&mut chunk).unwrap();
            assert!(read > 0, "the server closed the connection");
            self.answer.extend_from_slice(&chunk[..read]);
            if let Some(end) = self.answer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.answer[..end]).unwrap();
                assert!(head.starts_with("HTTP/1.1 200"), "{head}");
                let length = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().unwrap())
                    })
                    .expect("a Content-Length");
                break (end + 4, length);
            }
        };
        while self.answer.len() < head_end + length {
            let read = self.stream.read(&mut chunk).unwrap();
            assert!(read > 0, "the server closed the connection");
            self.answer.extend_from_slice(&chunk[..read]);
        }
    }
}

/// The name of the threads that post: their CPU time is the client's.
const POSTER: &str = "bench-poster";

/// `iters` posts on each connection at once; the time they all took.
fn post_all(posters: &mut [Poster], iters: u64) -> Duration {
    let start = Instant::now();
    std::thread::scope(|scope| {
        for poster in posters.iter_mut() {
            std::thread::Builder::new()
                .name(POSTER.into())
                .spawn_scoped(scope, move || {
                    for _ in 0..iters {
                        poster.post();
                    }
                })
                .unwrap();
        }
    });
    start.elapsed()
}

/// The CPU time each thread of this process has run so far, by thread id,
/// the posters and the calling thread left out (Linux:
/// `/proc/self/task/*/schedstat`, in ns).
fn server_cpu() -> std::collections::BTreeMap<u64, u64> {
    let mut threads = std::collections::BTreeMap::new();
    let caller = own_tid();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return threads;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let name = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if name.trim_end() == POSTER {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(path.join("schedstat")) else {
            continue;
        };
        let (Some(ns), Ok(tid)) = (
            stat.split_whitespace()
                .next()
                .and_then(|ns| ns.parse().ok()),
            task.file_name().to_string_lossy().parse::<u64>(),
        ) else {
            continue;
        };
        if Some(tid) != caller {
            threads.insert(tid, ns);
        }
    }
    threads
}

/// The CPU time the server used while the posters posted `iters` times
/// each: the time of every thread of this process but the posters and the
/// calling (criterion's) thread.
fn server_cpu_during(posters: &mut [Poster], iters: u64) -> Duration {
    let before = server_cpu();
    post_all(posters, iters);
    let after = server_cpu();
    let ns: u64 = after
        .iter()
        .map(|(tid, ns)| ns - before.get(tid).copied().unwrap_or(0))
        .sum();
    Duration::from_nanos(ns)
}

/// The CPU time of this thread so far (`/proc/thread-self/schedstat`).
fn thread_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap_or_default();
    let ns = stat
        .split_whitespace()
        .next()
        .and_then(|ns| ns.parse().ok())
        .unwrap_or(0);
    Duration::from_nanos(ns)
}

/// This thread's id, as `/proc/self/task` lists it.
fn own_tid() -> Option<u64> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// A bare axum server on its own thread whose handler only reads the body.
fn bare_axum() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let app = axum::Router::new().route(
                "/v1/events",
                axum::routing::post(|body: axum::body::Bytes| async move {
                    black_box(body.len());
                    "{}"
                })
                .layer(axum::extract::DefaultBodyLimit::max(8 << 20)),
            );
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    addr
}

fn collector(dir: &Path, sync: bool) -> Collector {
    let output = JsonLinesSink::new(dir.join("events.jsonl")).sync(sync);
    let config = Config::new(validator(), Box::new(output), dir.join("failed.jsonl"));
    Collector::start(config, "127.0.0.1:0").unwrap()
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn over_http(c: &mut Criterion) {
    let events = events(500);
    let body = batch_body(&events);
    let validator = validator();
    let mut group = c.benchmark_group("collector");
    group.throughput(Throughput::Elements((events.len() * CONNECTIONS) as u64));

    // The collector's work without HTTP: split, check, copy, on as many threads.
    group.bench_function("in_process_floor", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            std::thread::scope(|scope| {
                for _ in 0..CONNECTIONS {
                    scope.spawn(|| {
                        for _ in 0..iters {
                            for item in validator.check_batch(&body, 0) {
                                let event = item.unwrap();
                                black_box(event.outcome.unwrap());
                                black_box(event.bytes.to_vec());
                            }
                        }
                    });
                }
            });
            start.elapsed()
        })
    });

    let bare = bare_axum();
    let mut bare_posters: Vec<Poster> = (0..CONNECTIONS)
        .map(|_| Poster::connect(bare, &body))
        .collect();
    group.bench_function("bare_axum_floor", |b| {
        b.iter_custom(|iters| post_all(&mut bare_posters, iters))
    });

    let mut collectors = Vec::new();
    for (name, sync) in [("collector_jsonl", false), ("collector_jsonl_fsync", true)] {
        let dir = scratch_dir(name);
        let collector = collector(&dir, sync);
        let mut posters: Vec<Poster> = (0..CONNECTIONS)
            .map(|_| Poster::connect(collector.addr(), &body))
            .collect();
        group.bench_function(name, |b| {
            b.iter_custom(|iters| post_all(&mut posters, iters))
        });
        collectors.push((name, dir, collector, posters));
    }
    group.finish();

    // Per core: the "time" is CPU time, so the throughput is events per
    // CPU second (of one thread for the floor, of the server's threads for
    // the rest), which a busy machine does not skew as it skews wall time.
    let mut group = c.benchmark_group("per_core");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("ignored_any_floor", |b| {
        b.iter_custom(|iters| {
            let start = thread_cpu();
            for _ in 0..iters {
                black_box(serde_json::from_slice::<serde::de::IgnoredAny>(&body).unwrap());
            }
            thread_cpu() - start
        })
    });
    group.bench_function("check_batch", |b| {
        b.iter_custom(|iters| {
            let start = thread_cpu();
            for _ in 0..iters {
                for item in validator.check_batch(&body, 0) {
                    black_box(item.unwrap().outcome.unwrap());
                }
            }
            thread_cpu() - start
        })
    });
    group.throughput(Throughput::Elements((events.len() * CONNECTIONS) as u64));
    group.bench_function("bare_axum", |b| {
        b.iter_custom(|iters| server_cpu_during(&mut bare_posters, iters))
    });
    for (name, _, _, posters) in &mut collectors {
        group.bench_function(*name, |b| {
            b.iter_custom(|iters| server_cpu_during(posters, iters))
        });
    }
    for (_, dir, collector, posters) in collectors {
        drop(posters);
        collector.shutdown().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
    group.finish();
}

criterion_group!(benches, per_event, per_batch, over_http);
criterion_main!(benches);
