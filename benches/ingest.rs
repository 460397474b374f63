//! Validation on arrival (`analytics_core::ingest`): events/s per core
//! through the plan-driven validator, against the floor of parsing the same
//! bytes with `serde_json::from_slice::<serde::de::IgnoredAny>` (a parse
//! that checks nothing and builds nothing).
//!
//! `cargo bench --bench ingest -- --warm-up-time 1 --measurement-time 3`
//!
//! - `event/*`: one envelope at a time (what `analytics validate` does per
//!   line), in wall time and (`*_per_core`) in CPU time of the thread;
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
//!   thread, and the servers' threads (the process's CPU time but the
//!   posters' and criterion's thread's) while the posters post;
//! - `paired/*` (printed, not a criterion figure): the ratio of the check to
//!   the floor per core, the two run in turns so that a shared machine's
//!   load weighs on both alike: the steadiest figure on a busy machine;
//!   `paired/scanner_skip` is the scanner's own walk over each event with
//!   nothing checked (`PlanValidator::scanner_skips`), so that what the
//!   check costs splits into the walk and the visitors;
//!   `paired/fast_accept` is the fast accept path alone
//!   (`PlanValidator::fast_accepts`), with how many events it accepts.

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
    // The same two in events per CPU second of this thread (see `per_core/*`).
    group.bench_function("ignored_any_floor_per_core", |b| {
        b.iter_custom(|iters| {
            let start = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
            for _ in 0..iters {
                for event in &events {
                    black_box(serde_json::from_slice::<serde::de::IgnoredAny>(event).unwrap());
                }
            }
            cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) - start
        })
    });
    group.bench_function("plan_validate_per_core", |b| {
        b.iter_custom(|iters| {
            let start = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
            for _ in 0..iters {
                for event in &events {
                    black_box(validator.check_event(event, 0).unwrap());
                }
            }
            cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) - start
        })
    });
    group.finish();
    eprintln!(
        "event/*: {} events, {} bytes ({} bytes/event)",
        events.len(),
        bytes,
        bytes / events.len()
    );
    // The floor both paired figures below are timed against.
    let ignored_any = || {
        for event in &events {
            black_box(serde_json::from_slice::<serde::de::IgnoredAny>(event).unwrap());
        }
    };
    let ratio = paired_ratio(ignored_any, || {
        for event in &events {
            black_box(validator.check_event(event, 0).unwrap());
        }
    });
    eprintln!("paired/event: check_event per core at {ratio:.3}x of IgnoredAny ({PAIRED_ROUNDS} rounds in turns)");
    let ratio = paired_ratio(ignored_any, || {
        for event in &events {
            assert!(black_box(PlanValidator::scanner_skips(event)));
        }
    });
    eprintln!("paired/scanner_skip: the scanner's walk alone (no check) per core at {ratio:.3}x of IgnoredAny ({PAIRED_ROUNDS} rounds in turns)");
    let accepted = events
        .iter()
        .filter(|event| validator.fast_accepts(event))
        .count();
    let ratio = paired_ratio(ignored_any, || {
        for event in &events {
            black_box(validator.fast_accepts(event));
        }
    });
    eprintln!("paired/fast_accept: the fast accept path alone per core at {ratio:.3}x of IgnoredAny ({accepted} of {} events accepted; {PAIRED_ROUNDS} rounds in turns)", events.len());
}

/// Rounds of [`paired_ratio`] and of the collector's `paired/*`.
const PAIRED_ROUNDS: usize = 100;

/// Posts on each connection in one round of the collector's `paired/*`:
/// more than one, so that starting the posting threads (whose first and
/// last instants count as the server's) weighs little.
const PAIRED_POSTS: u64 = 5;

/// The floor's CPU time over the check's (of this thread) for the same
/// bytes, the two run in turns, [`PAIRED_ROUNDS`] times each: a load that
/// comes and goes on a shared machine weighs on both alike, where the
/// `*_per_core` figures of the floor and of the check, taken seconds apart,
/// can be skewed apart by it (runs of ±30% on a busy machine).
fn paired_ratio(mut floor: impl FnMut(), mut check: impl FnMut()) -> f64 {
    let (mut floor_time, mut check_time) = (Duration::ZERO, Duration::ZERO);
    // One round of each first, not counted: caches and branch predictors warm.
    floor();
    check();
    for _ in 0..PAIRED_ROUNDS {
        let start = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
        floor();
        let between = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
        check();
        let end = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
        floor_time += between - start;
        check_time += end - between;
    }
    floor_time.as_secs_f64() / check_time.as_secs_f64()
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
    let ratio = paired_ratio(
        || {
            black_box(serde_json::from_slice::<serde::de::IgnoredAny>(&body).unwrap());
        },
        || {
            for item in validator.check_batch(&body, 0) {
                black_box(item.unwrap().outcome.unwrap());
            }
        },
    );
    eprintln!("paired/batch: check_batch per core at {ratio:.3}x of IgnoredAny ({PAIRED_ROUNDS} rounds in turns)");
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

/// `iters` posts on each connection at once; the time they all took, and
/// the CPU time the posting threads used.
fn post_timed(posters: &mut [Poster], iters: u64) -> (Duration, Duration) {
    let start = Instant::now();
    let client_cpu = std::thread::scope(|scope| {
        let threads: Vec<_> = posters
            .iter_mut()
            .map(|poster| {
                scope.spawn(move || {
                    let cpu = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
                    for _ in 0..iters {
                        poster.post();
                    }
                    cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) - cpu
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .sum::<Duration>()
    });
    (start.elapsed(), client_cpu)
}

/// `iters` posts on each connection at once; the time they all took.
fn post_all(posters: &mut [Poster], iters: u64) -> Duration {
    post_timed(posters, iters).0
}

/// The CPU time the server used while the posters posted `iters` times
/// each: the process's CPU time but the posters' and this (criterion's)
/// thread's.
fn server_cpu_during(posters: &mut [Poster], iters: u64) -> Duration {
    let process = cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID);
    let caller = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
    let (_, client) = post_timed(posters, iters);
    let caller = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) - caller;
    let process = cpu_time(libc::CLOCK_PROCESS_CPUTIME_ID) - process;
    process.saturating_sub(client + caller)
}

/// A CPU-time clock of this process or thread.
fn cpu_time(clock: libc::clockid_t) -> Duration {
    let mut time = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `time` is a valid, writable timespec for the call.
    let done = unsafe { libc::clock_gettime(clock, &mut time) };
    assert_eq!(done, 0, "clock_gettime");
    Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
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
            let start = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
            for _ in 0..iters {
                black_box(serde_json::from_slice::<serde::de::IgnoredAny>(&body).unwrap());
            }
            cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) - start
        })
    });
    group.bench_function("check_batch", |b| {
        b.iter_custom(|iters| {
            let start = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
            for _ in 0..iters {
                for item in validator.check_batch(&body, 0) {
                    black_box(item.unwrap().outcome.unwrap());
                }
            }
            cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) - start
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
    group.finish();
    // The same in turns: the floor over the bodies of a round, then
    // `PAIRED_POSTS` posts on each connection (the server's CPU time);
    // and with one connection, where the server's threads do not run at
    // once (on a machine of two cores shared with the posters, threads that
    // run at once slow each other down, which CPU time counts).
    for (name, _, _, posters) in &mut collectors {
        for connections in [CONNECTIONS, 1] {
            let posters = &mut posters[..connections];
            let (mut floor, mut server) = (Duration::ZERO, Duration::ZERO);
            for _ in 0..PAIRED_ROUNDS {
                let start = cpu_time(libc::CLOCK_THREAD_CPUTIME_ID);
                for _ in 0..connections * PAIRED_POSTS as usize {
                    black_box(serde_json::from_slice::<serde::de::IgnoredAny>(&body).unwrap());
                }
                floor += cpu_time(libc::CLOCK_THREAD_CPUTIME_ID) - start;
                server += server_cpu_during(posters, PAIRED_POSTS);
            }
            let ratio = floor.as_secs_f64() / server.as_secs_f64();
            eprintln!(
                "paired/{name}: the collector per core at {ratio:.3}x of IgnoredAny \
                 ({connections} connection(s), {PAIRED_ROUNDS} rounds in turns)"
            );
        }
    }
    for (_, dir, collector, posters) in collectors {
        drop(posters);
        collector.shutdown().unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }
}

criterion_group!(benches, per_event, per_batch, over_http);
criterion_main!(benches);
