//! The server SIGKILLed mid-stream and restarted: after the client's retries
//! every event is present, and after `OPTIMIZE .. FINAL` none twice.
//! (Its own test binary: the restart would disturb other tests' server.)

mod clickhouse_support;

use std::collections::BTreeSet;
use std::time::Duration;

use analytics_core::clickhouse::ClickHouseSink;
use analytics_core::{Client, RetryPolicy, TrackingPlan};
use codex_analytics::simulate::Session;
use codex_analytics::*;

#[test]
fn a_killed_and_restarted_server_loses_nothing_and_counts_nothing_twice() {
    let server = clickhouse_or_skip!();
    let database = server.fresh_database("faults");
    let schemas = ToolItemEvent::schemas();
    let mut sink = ClickHouseSink::new(server.url())
        .database(&database)
        .plan(TrackingPlan::from_events(&schemas))
        .timeout(Duration::from_secs(2));
    sink.ensure_tables().unwrap();
    let tables = sink.tables().unwrap();
    let client = Client::builder()
        .sink(sink)
        .max_batch_events(25)
        .max_batch_delay(Duration::from_millis(5))
        .retry_policy(
            RetryPolicy::exponential(200, Duration::from_millis(20), Duration::from_millis(200))
                .with_jitter(false),
        )
        .build()
        .unwrap();

    let events = Session::new(99).events(900);
    let mut ids = BTreeSet::new();
    for (i, event) in events.iter().enumerate() {
        client.track_catalog(event).unwrap();
        ids.insert(event.base().item_id.clone());
        if i == 300 {
            // Let some batches land, then kill the server under the stream.
            std::thread::sleep(Duration::from_millis(20));
            server.kill();
        }
        if i == 600 {
            server.restart();
        }
    }
    assert_eq!(ids.len(), events.len(), "item ids are unique");
    client.flush(Duration::from_secs(60)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.dropped.total(), 0, "{metrics:?}");
    assert_eq!(metrics.delivered, events.len() as u64, "{metrics:?}");
    assert!(metrics.retried > 0, "the kill forced retries: {metrics:?}");
    client.shutdown(Duration::from_secs(5)).unwrap();

    let mut stored = BTreeSet::new();
    let mut total = 0;
    for table in &tables {
        server.query(&format!("OPTIMIZE TABLE {database}.{} FINAL", table.name));
        let text = server.query(&format!(
            "SELECT item_id FROM {database}.{} FORMAT TSV",
            table.name
        ));
        for line in text.lines() {
            total += 1;
            assert!(stored.insert(line.to_owned()), "{line} stored twice");
        }
    }
    assert_eq!(total, events.len(), "none twice after OPTIMIZE FINAL");
    assert_eq!(stored, ids, "every event present");
}
