//! `ON CLUSTER` DDL on a one-node cluster (`analytics_test` in the test
//! server's config, with a ZooKeeper for the DDL queue and the replicated
//! tables): a `Distributed` table over `ReplicatedReplacingMergeTree` ones,
//! events inserted through it, and a migration applied on the cluster.

mod clickhouse_support;

use std::time::Duration;

use analytics_core::clickhouse::{ClickHouseSink, Layout};
use analytics_core::{AnalyticsEvent, Client, Envelope, RetryPolicy, Sink, TrackingPlan};
use codex_analytics::simulate::Session;
use codex_analytics::*;

const CLUSTER: &str = "analytics_test";

/// The first version of an event.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "ch_cluster_event")]
pub struct Before {
    pub name: String,
}

/// A field added.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "ch_cluster_event")]
pub struct After {
    pub name: String,
    pub size: Option<u64>,
}

#[test]
fn a_distributed_table_over_replicated_tables_takes_events_and_migrations() {
    let Some(server) = clickhouse_support::server_with_zookeeper() else {
        return;
    };
    let database = format!("cluster_{}", std::process::id());
    let schemas = [CommandExecution::schema(), WebSearch::schema()];
    let plan = TrackingPlan::from_events(&schemas);
    let mut sink = ClickHouseSink::new(server.url())
        .database(&database)
        .cluster(CLUSTER)
        .plan(plan.clone())
        .timeout(Duration::from_secs(60));
    let created = sink.ensure_tables().unwrap();
    assert_eq!(
        created,
        ["codex_command_execution_event", "codex_web_search_event"]
    );
    let engines = server.query(&format!(
        "SELECT name, engine FROM system.tables WHERE database = '{database}' ORDER BY name FORMAT TSV"
    ));
    assert_eq!(
        engines,
        "codex_command_execution_event\tDistributed\n\
         codex_command_execution_event_local\tReplicatedReplacingMergeTree\n\
         codex_web_search_event\tDistributed\n\
         codex_web_search_event_local\tReplicatedReplacingMergeTree\n"
    );

    let client = Client::builder()
        .sink(sink)
        .max_batch_events(50)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let mut sent = [0usize; 2];
    for event in Session::new(5).events(300) {
        match &event {
            ToolItemEvent::CommandExecution(_) => sent[0] += 1,
            ToolItemEvent::WebSearch(_) => sent[1] += 1,
            _ => continue,
        }
        client.track_catalog(&event).unwrap();
    }
    client.flush(Duration::from_secs(60)).unwrap();
    assert_eq!(client.metrics().dropped.total(), 0);
    client.shutdown(Duration::from_secs(5)).unwrap();
    for (table, count) in [
        ("codex_command_execution_event", sent[0]),
        ("codex_web_search_event", sent[1]),
    ] {
        // Synchronous distributed inserts: the rows are on the shard already.
        for name in [table.to_owned(), format!("{table}_local")] {
            let stored = server.query(&format!("SELECT count() FROM {database}.{name}"));
            assert_eq!(stored.trim(), count.to_string(), "{name}");
        }
    }

    // A migration on the cluster: local and Distributed tables both change.
    let old = TrackingPlan::from_events(&[Before::schema()]);
    let new = TrackingPlan::from_events(&[After::schema()]);
    let version = server.connection().server_version().unwrap();
    let layout = Layout::new(version).database(&database).cluster(CLUSTER);
    for statement in layout.create_statements(&old).unwrap() {
        assert!(
            statement.contains(" ON CLUSTER `analytics_test`"),
            "{statement}"
        );
        server.query(&statement);
    }
    let migrations = layout.migrations(&old, &new).unwrap();
    let db = format!("`{database}`");
    assert_eq!(
        migrations,
        [
            format!("ALTER TABLE {db}.`ch_cluster_event_local` ON CLUSTER `analytics_test` ADD COLUMN `size` Nullable(UInt64) AFTER `name`"),
            format!("CREATE TABLE IF NOT EXISTS {db}.`ch_cluster_event__migrating` ON CLUSTER `analytics_test` AS {db}.`ch_cluster_event_local`\n\
                     ENGINE = Distributed('analytics_test', '{database}', 'ch_cluster_event_local', cityHash64(_message_id))"),
            format!("RENAME TABLE {db}.`ch_cluster_event` TO {db}.`ch_cluster_event__replaced`, {db}.`ch_cluster_event__migrating` TO {db}.`ch_cluster_event` ON CLUSTER `analytics_test`"),
            format!("DROP TABLE IF EXISTS {db}.`ch_cluster_event__replaced` ON CLUSTER `analytics_test`"),
        ]
    );
    for statement in &migrations {
        server.query(statement);
    }
    let mut sink = ClickHouseSink::new(server.url())
        .database(&database)
        .cluster(CLUSTER)
        .plan(new);
    let mut json = Vec::new();
    analytics_core::TrackEventRequest::from(After {
        name: "n".into(),
        size: Some(3),
    })
    .write_json(&mut json);
    sink.send(&[Envelope::new(json, [7; 16], 1_764_574_000_000)])
        .unwrap();
    for table in ["ch_cluster_event", "ch_cluster_event_local"] {
        let row = server.query(&format!(
            "SELECT name, size FROM {database}.{table} FORMAT TSV"
        ));
        assert_eq!(row, "n\t3\n", "{table}");
    }
    let tables = server.query(&format!(
        "SELECT name FROM system.tables WHERE database = '{database}' AND name LIKE 'ch_cluster%' ORDER BY name FORMAT TSV"
    ));
    assert_eq!(tables, "ch_cluster_event\nch_cluster_event_local\n");
}
