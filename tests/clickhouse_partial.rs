//! One bad part of a batch costs only its own events: an envelope the sink
//! cannot place (its event type has no table) or a table that refuses its
//! rows for good is counted `rejected` for those events alone, and every
//! other event of the batch is stored (a resend into the tables that did take
//! their rows is collapsed by `ReplacingMergeTree` on the message id).

mod clickhouse_support;

use std::time::Duration;

use analytics_core::clickhouse::{ClickHouseSink, Table};
use analytics_core::{AnalyticsEvent, Client, DropReason, TrackingPlan};
use codex_analytics::simulate::Session;
use codex_analytics::*;

fn count_rows(server: &clickhouse_support::ClickHouse, database: &str, table: &str) -> usize {
    server.query(&format!("OPTIMIZE TABLE {database}.{table} FINAL"));
    server
        .query(&format!(
            "SELECT count() FROM {database}.{table} FORMAT TSV"
        ))
        .trim()
        .parse()
        .unwrap()
}

/// A sink over `database` whose plan has command executions and file
/// changes only, its tables created.
fn planned_sink(
    server: &clickhouse_support::ClickHouse,
    database: &str,
) -> (ClickHouseSink, Vec<Table>) {
    let planned = [CommandExecution::schema(), FileChange::schema()];
    let mut sink = ClickHouseSink::new(server.url())
        .database(database)
        .plan(TrackingPlan::from_events(&planned))
        .timeout(Duration::from_secs(5));
    sink.ensure_tables().unwrap();
    let tables = sink.tables().unwrap();
    (sink, tables)
}

fn client_with(sink: ClickHouseSink) -> Client {
    Client::builder()
        .sink(sink)
        // One batch for the whole stream: every kind of event shares it.
        .max_batch_events(1_000)
        .max_batch_delay(Duration::from_millis(200))
        .build()
        .unwrap()
}

/// Tracks `events`, flushes, and checks that exactly `rejected` of them were
/// rejected and every other one delivered.
fn track_all(client: Client, events: &[ToolItemEvent], rejected: usize) {
    assert!(rejected > 0 && rejected < events.len(), "a mixed batch");
    for event in events {
        client.track_catalog(event).unwrap();
    }
    client.flush(Duration::from_secs(30)).unwrap();
    let metrics = client.metrics();
    assert_eq!(
        metrics.dropped.get(DropReason::Rejected),
        rejected as u64,
        "{metrics:?}"
    );
    assert_eq!(
        metrics.delivered,
        (events.len() - rejected) as u64,
        "{metrics:?}"
    );
    client.shutdown(Duration::from_secs(5)).unwrap();
}

#[test]
fn an_event_type_without_a_table_rejects_only_its_own_events() {
    let server = clickhouse_or_skip!();
    let database = server.fresh_database("partial_unknown");
    // Web searches are not in the sink's plan.
    let (sink, tables) = planned_sink(server, &database);
    let client = client_with(sink);

    let events: Vec<ToolItemEvent> = Session::new(5)
        .events(400)
        .into_iter()
        .filter(|event| {
            matches!(
                event,
                ToolItemEvent::CommandExecution(_)
                    | ToolItemEvent::FileChange(_)
                    | ToolItemEvent::WebSearch(_)
            )
        })
        .collect();
    let unplanned = events
        .iter()
        .filter(|event| matches!(event, ToolItemEvent::WebSearch(_)))
        .count();
    track_all(client, &events, unplanned);

    let stored: usize = tables
        .iter()
        .map(|table| count_rows(server, &database, &table.name))
        .sum();
    assert_eq!(stored, events.len() - unplanned);
}

#[test]
fn a_table_that_refuses_its_rows_rejects_only_its_own_events() {
    let server = clickhouse_or_skip!();
    let database = server.fresh_database("partial_refused");
    let (sink, tables) = planned_sink(server, &database);
    // Whichever table is inserted into last refuses for good (UNKNOWN_TABLE):
    // the rows of the first are already stored when it fails.
    let refused = tables.last().unwrap().clone();
    let kept = tables.first().unwrap().clone();
    server.query(&format!("DROP TABLE {database}.{}", refused.name));
    let client = client_with(sink);

    let events: Vec<ToolItemEvent> = Session::new(6)
        .events(400)
        .into_iter()
        .filter(|event| {
            matches!(
                event,
                ToolItemEvent::CommandExecution(_) | ToolItemEvent::FileChange(_)
            )
        })
        .collect();
    let of_refused = events
        .iter()
        .filter(|event| event.event_type() == refused.event)
        .count();
    track_all(client, &events, of_refused);
    assert_eq!(
        count_rows(server, &database, &kept.name),
        events.len() - of_refused,
        "stored once each"
    );
}
