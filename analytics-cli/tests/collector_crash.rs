//! The collector killed with SIGKILL mid-stream and restarted, while a
//! `Client` with its spool on keeps sending: nothing is lost, and the only
//! duplicates are of a batch the collector stored but could not answer,
//! each recognisable by its message id. Then SIGTERM drains and exits 0.

#![cfg(unix)]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use analytics_core::{AnalyticsEvent, Client, HttpSink, RetryPolicy, TrackingPlan};

/// One event of the stream, numbered.
#[derive(AnalyticsEvent)]
#[analytics(name = "crash_probe")]
pub struct Probe {
    #[analytics(non_empty)]
    pub id: String,
    pub seq: u64,
}

const BATCH: usize = 50;

fn temp_dir() -> PathBuf {
    support::temp_dir("collector-crash")
}

/// Starts `analytics serve` on `port` and waits for it to listen.
fn serve(dir: &Path, port: u16) -> Child {
    support::serve(dir, &format!("127.0.0.1:{port}"), &[]).0
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn sigkill_mid_stream_loses_nothing_with_the_client_spool() {
    let dir = temp_dir();
    let plan = TrackingPlan::from_events(&[Probe::schema()]);
    std::fs::write(dir.join("plan.json"), plan.to_json()).unwrap();
    let port = free_port();
    let mut collector = serve(&dir, port);

    let client = Client::builder()
        .sink(HttpSink::segment(
            format!("http://127.0.0.1:{port}/v1/batch"),
            "write-key",
        ))
        .spool_dir(dir.join("spool"))
        .max_batch_events(BATCH)
        .max_batch_delay(Duration::from_millis(5))
        .retry_policy(
            RetryPolicy::exponential(
                10_000,
                Duration::from_millis(20),
                Duration::from_millis(200),
            )
            .with_jitter(false),
        )
        .queue_capacity(10_000)
        .build()
        .unwrap();
    let total = 3_000u64;
    let client = std::sync::Arc::new(client);
    let producer = {
        let client = std::sync::Arc::clone(&client);
        std::thread::spawn(move || {
            for seq in 0..total {
                client
                    .track(Probe {
                        id: format!("probe-{seq}"),
                        seq,
                    })
                    .unwrap();
                if seq % 10 == 9 {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        })
    };
    // Mid-stream: events are being delivered, more are coming.
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.metrics().delivered < 1_000 {
        assert!(Instant::now() < deadline, "{:?}", client.metrics());
        std::thread::sleep(Duration::from_millis(1));
    }
    collector.kill().unwrap();
    collector.wait().unwrap();
    let at_kill = client.metrics();
    assert!(
        at_kill.delivered < total,
        "the kill came too late: {at_kill:?}"
    );
    // Down for a while: the client meets refused connections and retries.
    std::thread::sleep(Duration::from_millis(300));
    collector = serve(&dir, port);
    producer.join().unwrap();
    client.flush(Duration::from_secs(120)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.dropped.total(), 0, "{metrics:?}");
    assert!(
        metrics.retried > 0,
        "the client never met the outage: {metrics:?}"
    );
    client.shutdown(Duration::from_secs(10)).unwrap();

    // SIGTERM: drains and exits cleanly.
    let status = Command::new("kill")
        .args(["-TERM", &collector.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = collector.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "the collector did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit:?}");

    let stored = std::fs::read_to_string(dir.join("out/events.jsonl")).unwrap();
    let mut by_id: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut seqs = std::collections::BTreeSet::new();
    for line in stored.lines() {
        let message: serde_json::Value = serde_json::from_str(line).expect("whole lines only");
        let id = message["messageId"]
            .as_str()
            .expect("a message id")
            .to_owned();
        seqs.insert(message["properties"]["seq"].as_u64().unwrap());
        by_id.entry(id).or_default().push(line);
    }
    assert_eq!(seqs.len() as u64, total, "every event is stored");
    assert_eq!(seqs.last(), Some(&(total - 1)));
    let duplicated: Vec<_> = by_id.values().filter(|lines| lines.len() > 1).collect();
    assert!(
        duplicated.len() <= BATCH,
        "{} duplicates: more than the one batch in flight at the kill",
        duplicated.len()
    );
    for lines in duplicated {
        // A duplicate is a resend of the same event: the same bytes, id included.
        for line in &lines[1..] {
            assert_eq!(lines[0], *line);
        }
    }
    let failed = std::fs::read_to_string(dir.join("out/failed.jsonl")).unwrap_or_default();
    assert!(failed.is_empty(), "{failed}");
}
