//! Tables that move under the sink: a column dropped by hand (schema drift)
//! and plan migrations applied to live tables.

mod clickhouse_support;

use std::time::{Duration, Instant};

use analytics_core::clickhouse::{ClickHouseSink, Layout, MigrationError};
use analytics_core::{
    AnalyticsEnum, AnalyticsEvent, Client, Envelope, RetryPolicy, Sink, SinkErrorKind,
    TrackEventRequest, TrackingPlan,
};

/// The first version of the event.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "ch_migrated")]
pub struct Before {
    pub name: String,
    pub color: Color,
}

/// The colors of the first version.
#[derive(AnalyticsEnum, Debug, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum Color {
    Red,
    Green,
}

/// An additive change: a new enum value and a new nullable field.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "ch_migrated")]
pub struct After {
    pub name: String,
    pub color: MoreColors,
    pub size: Option<u32>,
}

/// The colors of the second version: one more.
#[derive(AnalyticsEnum, Debug, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub enum MoreColors {
    Red,
    Green,
    DeepBlue,
}

/// A new event of the second plan.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "ch_added")]
pub struct Added {
    pub count: u64,
}

/// A breaking change: `name` is gone.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "ch_migrated")]
pub struct Broken {
    pub color: Color,
}

fn envelope(request: impl Into<TrackEventRequest>, id: u8) -> Envelope {
    let mut json = Vec::new();
    request.into().write_json(&mut json);
    Envelope::new(json, [id; 16], 1_764_574_000_000 + u64::from(id))
}

#[test]
fn an_additive_change_migrates_a_live_table_and_keeps_its_rows() {
    let server = clickhouse_or_skip!();
    let database = server.fresh_database("migrate");
    let old = TrackingPlan::from_events(&[Before::schema()]);
    let new = TrackingPlan::from_events(&[After::schema(), Added::schema()]);

    let mut sink = ClickHouseSink::new(server.url())
        .database(&database)
        .plan(old.clone());
    sink.ensure_tables().unwrap();
    let before = [("first", Color::Red), ("second", Color::Green)];
    let batch: Vec<Envelope> = before
        .iter()
        .enumerate()
        .map(|(i, (name, color))| {
            envelope(
                Before {
                    name: name.to_string(),
                    color: *color,
                },
                i as u8 + 1,
            )
        })
        .collect();
    sink.send(&batch).unwrap();

    // The new shape is refused by the old table, in the server's words.
    let mut new_sink = ClickHouseSink::new(server.url())
        .database(&database)
        .plan(new.clone());
    let after = After {
        name: "third".into(),
        color: MoreColors::DeepBlue,
        size: Some(7),
    };
    let error = new_sink.send(&[envelope(after.clone(), 3)]).unwrap_err();
    assert_eq!(error.kind(), SinkErrorKind::Permanent, "{error}");
    assert!(
        error.message().contains("Unknown element 'deep_blue'"),
        "{error}"
    );

    let version = server.connection().server_version().unwrap();
    let layout = Layout::new(version).database(&database);
    let statements = layout.migrations(&old, &new).unwrap();
    assert!(
        statements
            .iter()
            .any(|s| s.contains("ADD COLUMN `size` Nullable(UInt32) AFTER `color`")),
        "{statements:#?}"
    );
    assert!(
        statements
            .iter()
            .any(|s| s
                .contains("MODIFY COLUMN `color` Enum8('red' = 1, 'green' = 2, 'deep_blue' = 3)")),
        "{statements:#?}"
    );
    assert!(statements.iter().any(|s| s.starts_with(&format!(
        "CREATE TABLE IF NOT EXISTS `{database}`.`ch_added`"
    ))));
    for statement in &statements {
        server.query(statement);
    }
    // Applying the same plan again changes nothing.
    assert_eq!(layout.migrations(&new, &new).unwrap(), Vec::<String>::new());

    new_sink
        .send(&[envelope(after, 3), envelope(Added { count: 9 }, 4)])
        .unwrap();
    let rows = server.query(&format!(
        "SELECT name, color, size FROM {database}.ch_migrated ORDER BY _timestamp_ms FORMAT TSV"
    ));
    assert_eq!(
        rows,
        "first\tred\t\\N\nsecond\tgreen\t\\N\nthird\tdeep_blue\t7\n"
    );
    let added = server.query(&format!("SELECT count FROM {database}.ch_added FORMAT TSV"));
    assert_eq!(added, "9\n");
}

#[test]
fn a_breaking_change_is_refused_with_the_diff() {
    let old = TrackingPlan::from_events(&[Before::schema()]);
    let new = TrackingPlan::from_events(&[Broken::schema()]);
    let error = Layout::default().migrations(&old, &new).unwrap_err();
    assert!(matches!(error, MigrationError::Breaking(_)));
    let text = error.to_string();
    assert!(
        text.contains("[breaking] ch_migrated.name: field removed"),
        "{text}"
    );
    assert!(text.contains("raises the event's version"), "{text}");
}

#[test]
fn a_dropped_column_fails_inserts_permanently_with_the_servers_message() {
    let server = clickhouse_or_skip!();
    let database = server.fresh_database("drift");
    let plan = TrackingPlan::from_events(&[Before::schema()]);
    let mut sink = ClickHouseSink::new(server.url())
        .database(&database)
        .plan(plan.clone());
    sink.ensure_tables().unwrap();
    server.query(&format!(
        "ALTER TABLE {database}.ch_migrated DROP COLUMN color"
    ));

    let event = || Before {
        name: "x".into(),
        color: Color::Red,
    };
    let error = sink.send(&[envelope(event(), 1)]).unwrap_err();
    assert_eq!(error.kind(), SinkErrorKind::Permanent, "{error}");
    // The server's own words, naming the column it no longer has.
    assert!(error.message().contains("Unknown field found"), "{error}");
    assert!(error.message().contains("color"), "{error}");

    // Through a client: counted drops, no retry loop.
    let mut sink = ClickHouseSink::new(server.url())
        .database(&database)
        .plan(plan);
    sink.ensure_tables().unwrap();
    let client = Client::builder()
        .sink(sink)
        .max_batch_events(10)
        .retry_policy(RetryPolicy::exponential(
            20,
            Duration::from_millis(200),
            Duration::from_secs(2),
        ))
        .build()
        .unwrap();
    let started = Instant::now();
    for _ in 0..25 {
        client.track(event()).unwrap();
    }
    let _ = client.flush(Duration::from_secs(20));
    let metrics = client.metrics();
    assert_eq!(metrics.dropped.rejected, 25, "{metrics:?}");
    assert_eq!(metrics.retried, 0, "{metrics:?}");
    assert_eq!(metrics.delivered, 0, "{metrics:?}");
    // 20 retries from 200 ms would take far longer than this.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let count = server.query(&format!("SELECT count() FROM {database}.ch_migrated"));
    assert_eq!(count, "0\n");
}
