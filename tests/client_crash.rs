//! Crash safety of the spool: a child process (this test binary, re-run with
//! an environment variable) tracks events with the spool on and is killed
//! with SIGKILL mid-stream; a second run delivers every event that had
//! reached the spool, and a torn (truncated) segment is handled.

mod client_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use analytics_core::client::spool;
use analytics_core::{Client, Envelope, MemorySink, RetryPolicy, Sink, SinkError};
use client_support::*;

const CHILD_ENV: &str = "ANALYTICS_CLIENT_CRASH_CHILD_DIR";

/// Slow, and fails three calls in four (failed batches stay in the spool).
struct HalfDown {
    calls: usize,
}

impl Sink for HalfDown {
    fn send(&mut self, _: &[Envelope]) -> Result<(), SinkError> {
        self.calls += 1;
        std::thread::sleep(Duration::from_millis(2));
        if self.calls % 4 != 0 {
            Err(SinkError::retryable("mostly down"))
        } else {
            Ok(())
        }
    }
}

/// The child's body: does nothing unless started by the crash test.
#[test]
fn crash_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let client = Client::builder()
        .sink(HalfDown { calls: 0 })
        .spool_dir(PathBuf::from(dir))
        .max_batch_events(20)
        .max_batch_delay(Duration::from_millis(1))
        .queue_capacity(1_000_000)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    // Bounded: the parent kills us long before the end.
    let started = Instant::now();
    let mut i = 0;
    while started.elapsed() < Duration::from_secs(30) {
        let _ = client.track(command(i));
        i += 1;
        if i % 50 == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!(
        "analytics-client-{name}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn segments(dir: &Path) -> Vec<PathBuf> {
    spool::segment_files(dir).unwrap()
}

#[test]
fn sigkill_mid_stream_then_a_second_run_delivers_the_spool() {
    let dir = temp_dir("crash");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, &dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("re-run this test binary");
    let started = Instant::now();
    while (segments(&dir).len() < 5 || started.elapsed() < Duration::from_millis(300))
        && started.elapsed() < Duration::from_secs(10)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL"); // `kill` is SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed, not finished");

    let files = segments(&dir);
    assert!(files.len() >= 2, "the spool holds segments: {files:?}");

    // Tear the newest segment mid-record, as a crash mid-write would.
    let newest = files.last().unwrap();
    let before = spool::read_segment(newest).unwrap();
    let bytes = std::fs::read(newest).unwrap();
    if before.events.len() >= 2 {
        std::fs::write(newest, &bytes[..bytes.len() - 7]).unwrap();
        let after = spool::read_segment(newest).unwrap();
        assert!(after.torn_bytes > 0);
        assert_eq!(after.events[..], before.events[..before.events.len() - 1]);
    }
    // A damaged file, a file cut inside its header and an empty one: skipped, no panic.
    std::fs::write(
        dir.join("ffff-garbage.seg"),
        b"TASPOOL1\x10\x00\x00\x00garbage",
    )
    .unwrap();
    std::fs::write(dir.join("0000-cut.seg"), b"TASP").unwrap();
    std::fs::write(dir.join("0001-empty.seg"), b"").unwrap();

    let expected = spool::read_dir(&dir).unwrap();
    assert!(!expected.is_empty());

    // The second run replays the spool before anything else.
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .spool_dir(&dir)
        .build()
        .unwrap();
    client.flush(Duration::from_secs(20)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.replayed, expected.len() as u64);
    assert_eq!(metrics.delivered, expected.len() as u64);
    assert_eq!(metrics.dropped.total(), 0);
    // Same events, same order, same message ids (receivers can dedupe).
    assert_eq!(sink.envelopes(), expected);
    for value in sink.values() {
        assert_eq!(value, serde_json::to_value(command(index_of(&value))).map(|params| {
            serde_json::json!({"event_type": "codex_command_execution_event", "event_params": params})
        }).unwrap());
    }
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert!(segments(&dir).is_empty(), "replayed segments are removed");
    let _ = std::fs::remove_dir_all(dir);
}
