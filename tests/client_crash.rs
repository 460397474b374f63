//! Crash safety of the spool (issue 12, finding 1): a child process (this
//! test binary, re-run with an environment variable) tracks events with the
//! spool on, against a stalled, a slow or a failing sink, and is killed with
//! SIGKILL at a random moment. Every event `track` accepted more than
//! [`WINDOW`] before the kill must be on disk or at the sink; a second run
//! delivers everything the spool holds, with the same message ids.

mod client_support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use analytics_core::client::read_spool;
use analytics_core::{Client, Envelope, MemorySink, RetryPolicy, Sink, SinkError};
use client_support::*;

const CHILD_DIR: &str = "ANALYTICS_CLIENT_CRASH_CHILD_DIR";
const CHILD_SINK: &str = "ANALYTICS_CLIENT_CRASH_CHILD_SINK";

/// The bound, stated in docs/guarantees.md, between `track` returning `Ok`
/// and the event being in a spool file, checked here on a machine loaded to
/// several times its cores (on an idle one it is about one disk write, well
/// under 10 ms).
const WINDOW: Duration = Duration::from_millis(500);

/// What the child's sink does with each batch.
struct ChildSink {
    mode: String,
    calls: u64,
    delivered: std::fs::File,
}

impl Sink for ChildSink {
    fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        self.calls += 1;
        match self.mode.as_str() {
            // Never answers: the worker is stuck in this call until the kill.
            "stalled" => loop {
                std::thread::sleep(Duration::from_secs(3600));
            },
            "slow" => std::thread::sleep(Duration::from_millis(30)),
            // Fails three calls in four.
            "failing" if self.calls % 4 != 0 => return Err(SinkError::retryable("down")),
            _ => {}
        }
        // The destination: one line per delivered event, written before `Ok`.
        let mut lines = Vec::new();
        for envelope in batch {
            lines.extend_from_slice(envelope.json());
            lines.push(b'\n');
        }
        self.delivered.write_all(&lines)?;
        Ok(())
    }
}

/// The child's body: does nothing unless started by the crash test. Prints
/// `N` each time events `0..=N` have all been accepted by `track`.
#[test]
fn crash_child() {
    let (Some(dir), Some(mode)) = (std::env::var_os(CHILD_DIR), std::env::var(CHILD_SINK).ok())
    else {
        return;
    };
    let dir = PathBuf::from(dir);
    let delivered = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("delivered.jsonl"))
        .unwrap();
    let client = Client::builder()
        .sink(ChildSink {
            mode,
            calls: 0,
            delivered,
        })
        .spool_dir(dir.join("spool"))
        .max_batch_events(20)
        .max_batch_delay(Duration::from_millis(5))
        .queue_capacity(1_000_000)
        .retry_policy(RetryPolicy::exponential(
            1,
            Duration::from_millis(1),
            Duration::from_millis(5),
        ))
        .build()
        .unwrap();
    let mut stdout = std::io::stdout();
    // Bounded: the parent kills us long before the end.
    let started = Instant::now();
    let mut i = 0u64;
    while started.elapsed() < Duration::from_secs(30) {
        if let Err(error) = client.track(command(i)) {
            writeln!(stdout, "ERR {i} {error}").unwrap();
            return;
        }
        if i % 10 == 0 {
            writeln!(stdout, "{i}").unwrap();
            stdout.flush().unwrap();
            std::thread::sleep(Duration::from_millis(1));
        }
        i += 1;
    }
}

/// The `thread_id` numbers of the complete lines of a JSON Lines file.
fn delivered_indices(path: &Path) -> BTreeSet<u64> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.split_inclusive('\n')
        .filter(|line| line.ends_with('\n'))
        .map(|line| index_of(&serde_json::from_str(line).unwrap()))
        .collect()
}

/// One trial: start the child, kill it `after` its first accepted event,
/// check that nothing accepted before `kill - WINDOW` is lost, then replay.
fn trial(mode: &str, after: Duration) {
    let dir = temp_dir(&format!("crash-{mode}"));
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, &dir)
        .env(CHILD_SINK, mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("re-run this test binary");
    // Lines from the child, stamped with the time the parent read them (no
    // earlier than the `track` calls they report).
    let (lines_tx, lines_rx) = mpsc::channel::<(Instant, String)>();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    let first = lines_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the child starts tracking");
    let mut seen = vec![first];
    let kill_at = first_time(&seen) + after;
    while Instant::now() < kill_at {
        if let Ok(line) = lines_rx.recv_timeout(kill_at.saturating_duration_since(Instant::now())) {
            seen.push(line);
        }
    }
    let killed = Instant::now();
    child.kill().expect("SIGKILL"); // `kill` is SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child was killed, not finished");
    seen.extend(lines_rx.iter());
    reader.join().unwrap();
    if let Some((_, error)) = seen.iter().find(|(_, line)| line.starts_with("ERR")) {
        panic!("{mode}: track refused an event: {error}");
    }

    // Every event accepted at least WINDOW before the kill must survive.
    let safe = seen
        .iter()
        .filter(|(at, _)| *at + WINDOW <= killed)
        .filter_map(|(_, line)| line.parse::<u64>().ok())
        .max()
        .expect("the child ran longer than the window");
    let spool_dir = dir.join("spool");
    let spooled = read_spool(&spool_dir).unwrap();
    let on_disk: BTreeSet<u64> = spooled
        .iter()
        .map(|envelope| index_of(&serde_json::from_slice(envelope.json()).unwrap()))
        .collect();
    let delivered = delivered_indices(&dir.join("delivered.jsonl"));
    let lost: Vec<u64> = (0..=safe)
        .filter(|i| !on_disk.contains(i) && !delivered.contains(i))
        .collect();
    assert!(
        lost.is_empty(),
        "{mode}: {} of {} events accepted before the window were lost (first {:?})",
        lost.len(),
        safe + 1,
        &lost[..lost.len().min(10)]
    );
    if mode == "stalled" {
        assert!(delivered.is_empty(), "a stalled sink delivers nothing");
        assert!(on_disk.len() as u64 > safe, "everything waits on disk");
    }

    // The second run delivers the spool, same ids, then removes it.
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .spool_dir(&spool_dir)
        .build()
        .unwrap();
    client.flush(Duration::from_secs(30)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.replayed, spooled.len() as u64, "{metrics:?}");
    assert_eq!(metrics.delivered, spooled.len() as u64, "{metrics:?}");
    assert_eq!(sink.envelopes(), spooled);
    client.shutdown(Duration::from_secs(10)).unwrap();
    assert_invariant(&client.metrics());
    assert!(read_spool(&spool_dir).unwrap().is_empty());
    let _ = std::fs::remove_dir_all(dir);
}

fn first_time(seen: &[(Instant, String)]) -> Instant {
    seen[0].0
}

#[test]
fn spool_keeps_queued_events_across_kill_with_a_stalled_sink() {
    for after in [600, 750, 900, 1050] {
        trial("stalled", Duration::from_millis(after + fastrand_ms()));
    }
}

#[test]
fn spool_keeps_queued_events_across_kill_with_a_slow_sink() {
    for after in [600, 800, 1000] {
        trial("slow", Duration::from_millis(after + fastrand_ms()));
    }
}

#[test]
fn spool_keeps_queued_events_across_kill_with_a_failing_sink() {
    for after in [600, 800, 1000] {
        trial("failing", Duration::from_millis(after + fastrand_ms()));
    }
}

/// 0..100 ms of jitter, so kills land at different points of a write.
fn fastrand_ms() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    u64::from(nanos % 100)
}

#[test]
fn damaged_and_foreign_segment_files_are_handled() {
    let dir = temp_dir("damaged");
    // A first run leaves 30 events on disk (the sink is down).
    let client = Client::builder()
        .sink(GatedSink::default())
        .spool_dir(&dir)
        .max_batch_events(10)
        .build()
        .unwrap();
    for i in 0..30 {
        client.track(command(i)).unwrap();
    }
    let started = Instant::now();
    while read_spool(&dir).unwrap().len() < 30 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = client.shutdown(Duration::from_millis(50));
    let stored = read_spool(&dir).unwrap();
    assert_eq!(stored.len(), 30);
    // Files that are not segments: a file cut inside the magic, an empty
    // one, and a damaged one that has the magic (ours, but no valid record).
    std::fs::write(dir.join("0000-cut.seg"), b"TASP").unwrap();
    std::fs::write(dir.join("0001-empty.seg"), b"").unwrap();
    std::fs::write(
        dir.join("ffff-garbage.seg"),
        b"TASPOOL1\x10\x00\x00\x00garbage",
    )
    .unwrap();

    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .spool_dir(&dir)
        .build()
        .unwrap();
    client.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(sink.envelopes(), stored);
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_invariant(&client.metrics());
    assert!(dir.join("0000-cut.seg").exists(), "not ours: kept");
    assert!(dir.join("0001-empty.seg").exists(), "not ours: kept");
    assert!(
        !dir.join("ffff-garbage.seg").exists(),
        "ours, settled: removed"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// One spool record, as the format in `client/spool.rs` describes it.
fn record(json: &[u8], id: u8) -> Vec<u8> {
    let mut payload = vec![id; 16];
    payload.extend_from_slice(&7u64.to_le_bytes());
    payload.extend_from_slice(json);
    let mut out = Vec::new();
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
    out.extend_from_slice(&payload);
    out
}

#[test]
fn a_checksummed_record_that_is_not_json_is_counted_not_delivered() {
    let dir = temp_dir("not-json");
    let mut json = Vec::new();
    mixed(1).write_json(&mut json);
    let mut segment = b"TASPOOL1".to_vec();
    segment.extend(record(&json, 1));
    segment.extend(record(b"{\"event_type\":", 2));
    // A corrupt record (one flipped byte) in the middle hides nothing after it.
    let mut corrupt = record(&json, 3);
    corrupt[20] ^= 0xff;
    segment.extend(corrupt);
    segment.extend(record(&json, 4));
    std::fs::write(dir.join("0000000001.seg"), segment).unwrap();

    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .spool_dir(&dir)
        .build()
        .unwrap();
    client.flush(Duration::from_secs(10)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.replayed, 3, "{metrics:?}");
    assert_eq!(metrics.delivered, 2, "{metrics:?}");
    assert_eq!(metrics.dropped.spool_error, 1, "{metrics:?}");
    let ids: Vec<[u8; 16]> = sink
        .envelopes()
        .iter()
        .map(Envelope::message_id_bytes)
        .collect();
    assert_eq!(ids, [[1; 16], [4; 16]]);
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_invariant(&client.metrics());
    let _ = std::fs::remove_dir_all(dir);
}
