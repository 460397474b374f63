//! Spool edges (issue 12, findings 6 and 9): the byte bound and its two drop
//! policies, a full disk (a child process with a file-size limit), a lock
//! per directory, read-only directories, FIFOs named like segments.

mod client_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use analytics_core::client::{read_spool, SpoolFull};
use analytics_core::{Client, JsonLinesSink, MemorySink, RetryPolicy};
use client_support::*;

const CHILD_DIR: &str = "ANALYTICS_CLIENT_DISK_FULL_DIR";
const CHILD_MODE: &str = "ANALYTICS_CLIENT_DISK_FULL_MODE";

fn segment_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "seg"))
        .map(|path| std::fs::metadata(path).unwrap().len())
        .sum()
}

/// Tracks 2 000 events against a stalled sink with a 256 KiB spool.
fn fill(policy: SpoolFull) -> (Client, GatedSink, PathBuf) {
    let dir = temp_dir("spool-full");
    let sink = GatedSink::default();
    let client = Client::builder()
        .sink(sink.clone())
        .spool_dir(&dir)
        .spool_max_bytes(256 << 10)
        .spool_full(policy)
        .max_batch_events(10)
        .build()
        .unwrap();
    for i in 0..2_000 {
        client.track(command(i)).unwrap();
    }
    let started = Instant::now();
    while client.metrics().queue_depth > 0 && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(2));
    }
    (client, sink, dir)
}

fn indices(dir: &Path) -> Vec<u64> {
    read_spool(dir)
        .unwrap()
        .iter()
        .map(|envelope| index_of(&serde_json::from_slice(envelope.json()).unwrap()))
        .collect()
}

#[test]
fn spool_full_drops_newest_within_the_byte_bound() {
    let (client, sink, dir) = fill(SpoolFull::DropNewest);
    let metrics = client.metrics();
    assert!(segment_bytes(&dir) <= 256 << 10, "{}", segment_bytes(&dir));
    assert!(metrics.dropped.spool_full > 1_000, "{metrics:?}");
    let kept = indices(&dir);
    assert_eq!(
        kept,
        (0..kept.len() as u64).collect::<Vec<_>>(),
        "the oldest stay"
    );
    sink.open();
    client.shutdown(Duration::from_secs(10)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.delivered + metrics.dropped.spool_full, 2_000);
    assert_invariant(&metrics);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn spool_full_drops_oldest_within_the_byte_bound() {
    let (client, sink, dir) = fill(SpoolFull::DropOldest);
    let metrics = client.metrics();
    assert!(segment_bytes(&dir) <= 256 << 10, "{}", segment_bytes(&dir));
    assert!(metrics.dropped.spool_full > 1_000, "{metrics:?}");
    let kept = indices(&dir);
    assert_eq!(kept.last(), Some(&1_999), "the newest stay");
    assert_eq!(kept.first(), Some(&0), "the segment being sent stays");
    sink.open();
    client.shutdown(Duration::from_secs(10)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.delivered + metrics.dropped.spool_full, 2_000);
    assert_invariant(&metrics);
    let _ = std::fs::remove_dir_all(dir);
}

/// The child of the full-disk tests: runs under a 200 KB file-size limit.
#[test]
fn full_disk_child() {
    let (Some(dir), Ok(mode)) = (std::env::var_os(CHILD_DIR), std::env::var(CHILD_MODE)) else {
        return;
    };
    let dir = PathBuf::from(dir);
    let memory = MemorySink::new();
    let builder = Client::builder()
        .max_batch_events(7)
        .retry_policy(RetryPolicy::none());
    let client = match mode.as_str() {
        "jsonl" => builder.sink(JsonLinesSink::new(dir.join("events.jsonl"))),
        _ => builder.sink(memory.clone()).spool_dir(dir.join("spool")),
    }
    .build()
    .unwrap();
    for i in 0..2_000 {
        client.track(command(i)).unwrap();
        if i % 50 == 49 {
            client.flush(Duration::from_secs(10)).unwrap();
        }
    }
    client.shutdown(Duration::from_secs(10)).unwrap();
    let metrics = client.metrics();
    assert_invariant(&metrics);
    println!(
        "RESULT {} {} {}",
        metrics.delivered,
        metrics.dropped.total(),
        metrics.dropped.spool_error
    );
}

/// Runs the child under `ulimit -f` (512-byte blocks) with SIGXFSZ ignored,
/// so writes past the limit fail with EFBIG, like a full disk, part way.
fn run_full_disk_child(mode: &str, dir: &Path) -> (u64, u64, u64) {
    let output = Command::new("sh")
        .args(["-c", "trap '' XFSZ; ulimit -f 400; exec \"$0\" \"$@\""])
        .arg(std::env::current_exe().unwrap())
        .args([
            "full_disk_child",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir)
        .env(CHILD_MODE, mode)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|line| line.split_once("RESULT ").map(|(_, rest)| rest))
        .unwrap_or_else(|| panic!("the child reports: {stdout}"));
    let numbers: Vec<u64> = line.split(' ').map(|n| n.parse().unwrap()).collect();
    (numbers[0], numbers[1], numbers[2])
}

#[test]
fn jsonl_never_tears_a_line_on_a_full_disk() {
    let dir = temp_dir("full-jsonl");
    let (delivered, dropped, _) = run_full_disk_child("jsonl", &dir);
    assert_eq!(delivered + dropped, 2_000);
    assert!(dropped > 0, "the limit was reached");
    let text = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    assert!(text.ends_with('\n'), "no torn last line");
    let lines: Vec<u64> = text
        .lines()
        .map(|line| index_of(&serde_json::from_str(line).expect("a whole line")))
        .collect();
    assert_eq!(lines.len() as u64, delivered, "every delivered event, once");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn full_disk_leaves_no_partial_segment_to_replay() {
    let dir = temp_dir("full-spool");
    let (delivered, dropped, spool_error) = run_full_disk_child("spool", &dir);
    assert!(spool_error > 0, "the limit was reached");
    assert_eq!(dropped, spool_error);
    assert_eq!(delivered + spool_error, 2_000);
    // Everything delivered was settled: the next run replays nothing.
    let spool = dir.join("spool");
    assert!(read_spool(&spool).unwrap().is_empty());
    let client = Client::builder()
        .sink(MemorySink::new())
        .spool_dir(&spool)
        .build()
        .unwrap();
    client.flush(Duration::from_secs(5)).unwrap();
    assert_eq!(client.metrics().replayed, 0);
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_invariant(&client.metrics());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn two_clients_on_one_spool_dir_is_a_clear_error() {
    let dir = temp_dir("locked");
    let first = Client::builder()
        .sink(MemorySink::new())
        .spool_dir(&dir)
        .build()
        .unwrap();
    let error = Client::builder()
        .sink(MemorySink::new())
        .spool_dir(&dir)
        .build()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("in use by another analytics client"),
        "{error}"
    );
    first.shutdown(Duration::from_secs(5)).unwrap();
    drop(first);
    // Released with the client.
    let second = Client::builder()
        .sink(MemorySink::new())
        .spool_dir(&dir)
        .build()
        .unwrap();
    second.shutdown(Duration::from_secs(5)).unwrap();
    assert_invariant(&second.metrics());
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_read_only_spool_dir_fails_build() {
    let dir = temp_dir("read-only");
    let locked = dir.join("ro");
    std::fs::create_dir(&locked).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o500)).unwrap();
    }
    // Root ignores permission bits: then use a directory no one can write.
    let target = if std::fs::write(locked.join("probe"), b"").is_ok() {
        PathBuf::from("/proc/self/fdinfo")
    } else {
        locked
    };
    let error = Client::builder()
        .sink(MemorySink::new())
        .spool_dir(&target)
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("cannot write to it"), "{error}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_fifo_named_like_a_segment_does_not_block_build() {
    let dir = temp_dir("fifo");
    let fifo = dir.join("x.seg");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let (tx, rx) = std::sync::mpsc::channel();
    let spool = dir.clone();
    std::thread::spawn(move || {
        let client = Client::builder()
            .sink(MemorySink::new())
            .spool_dir(&spool)
            .build();
        let _ = tx.send(client.map(|client| client.metrics()));
    });
    let metrics = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("build() returned")
        .unwrap();
    assert_eq!(metrics.replayed, 0);
    assert!(fifo.exists(), "not ours: left alone");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn spool_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir("private").join("spool");
    let sink = GatedSink::default();
    let client = Client::builder()
        .sink(sink.clone())
        .spool_dir(&dir)
        .build()
        .unwrap();
    client.track(command(1)).unwrap();
    let started = Instant::now();
    while read_spool(&dir).unwrap().is_empty() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(2));
    }
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    sink.open();
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_invariant(&client.metrics());

    let file = dir.parent().unwrap().join("events.jsonl");
    let client = Client::builder()
        .sink(JsonLinesSink::new(&file))
        .build()
        .unwrap();
    client.track(command(2)).unwrap();
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!(mode(&file), 0o600);
    assert_invariant(&client.metrics());
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

/// Resident memory of this process, in bytes (Linux).
#[cfg(target_os = "linux")]
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[cfg(target_os = "linux")]
#[test]
fn memory_stays_bounded_while_the_sink_is_down() {
    let dir = temp_dir("memory");
    let sink = GatedSink::default();
    let client = Client::builder()
        .sink(sink.clone())
        .spool_dir(&dir)
        .spool_max_bytes(16 << 20)
        .queue_capacity(1_000_000)
        .build()
        .unwrap();
    let before = rss_bytes();
    let mut bytes = 0u64;
    for i in 0..40_000 {
        client.track(command(i)).unwrap();
        if i % 1_000 == 999 {
            // Let the writer keep up, as a real producer's pace would.
            let started = Instant::now();
            while client.metrics().queue_depth > 0 && started.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        bytes += 1_100;
    }
    let grown = rss_bytes().saturating_sub(before);
    // 40 000 events (~44 MB of JSON) went through; memory holds at most a
    // segment and the queue, not the outage.
    assert!(
        grown < 16 << 20,
        "RSS grew {grown} bytes for {bytes} bytes tracked"
    );
    assert!(segment_bytes(&dir) <= 16 << 20);
    sink.open();
    client.shutdown(Duration::from_secs(30)).unwrap();
    assert_invariant(&client.metrics());
    let _ = std::fs::remove_dir_all(dir);
}
