//! Events through the `Client` into a real ClickHouse and back: every row
//! equals its event, and `count()` per table equals the events sent.

mod clickhouse_support;

use std::collections::BTreeMap;
use std::time::Duration;

use analytics_core::clickhouse::{ClickHouseSink, Layout, Table};
use analytics_core::{
    AnalyticsEnum, AnalyticsEvent, AnalyticsFields, Client, RetryPolicy, TrackEventRequest,
    TrackingPlan,
};
use codex_analytics::simulate::Session;
use codex_analytics::*;
use serde_json::{Map, Value};

/// A level.
#[derive(AnalyticsEnum, Debug, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Low,
    VeryHigh,
    #[serde(rename = "it's \\ odd")]
    Odd,
}

/// A nested object.
#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
pub struct Inner {
    pub name: String,
    pub level: Option<Level>,
    pub tags: Vec<String>,
}

/// Every kind of field the tables map.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "ch_all_types", version = 3)]
pub struct AllTypes {
    pub i8_v: i8,
    pub i16_v: i16,
    pub i32_v: i32,
    pub i64_v: i64,
    pub u8_v: u8,
    pub u16_v: u16,
    pub u32_v: u32,
    pub u64_v: u64,
    pub f32_v: f32,
    pub f64_v: f64,
    pub flag: bool,
    pub text: String,
    pub maybe_text: Option<String>,
    pub maybe_int: Option<i64>,
    pub maybe_flag: Option<bool>,
    pub level: Level,
    pub maybe_level: Option<Level>,
    pub numbers: Vec<u32>,
    pub flags: Vec<bool>,
    pub levels: Vec<Level>,
    pub maybe_items: Vec<Option<String>>,
    pub maybe_list: Option<Vec<String>>,
    pub inner: Inner,
    pub maybe_inner: Option<Inner>,
    pub inners: Vec<Inner>,
}

const NASTY: &str =
    "quote \" backslash \\ slash / newline \n tab \t nul \u{0} del \u{7f} é 😀 \u{202e} 'single'";

fn all_types(i: u64) -> AllTypes {
    let odd = i % 2 == 1;
    AllTypes {
        i8_v: if odd { i8::MIN } else { i8::MAX },
        i16_v: if odd { i16::MIN } else { i16::MAX },
        i32_v: if odd { i32::MIN } else { i32::MAX },
        i64_v: if odd { i64::MIN } else { i64::MAX },
        u8_v: u8::MAX,
        u16_v: u16::MAX,
        u32_v: u32::MAX,
        u64_v: if odd { u64::MAX } else { i },
        f32_v: if odd { 3.25 } else { -1.5e-3 },
        f64_v: if odd { 0.1 } else { -1.0e300 },
        flag: odd,
        text: format!("{NASTY} #{i}"),
        maybe_text: odd.then(|| NASTY.to_owned()),
        maybe_int: odd.then_some(-42),
        maybe_flag: if odd { Some(false) } else { None },
        level: if odd { Level::Odd } else { Level::VeryHigh },
        maybe_level: odd.then_some(Level::Low),
        numbers: if odd { vec![] } else { vec![1, 2, u32::MAX] },
        flags: vec![true, false],
        levels: vec![Level::Low, Level::Odd],
        maybe_items: vec![Some("a".into()), None, Some(NASTY.into())],
        maybe_list: if odd {
            None
        } else if i % 4 == 0 {
            Some(vec![])
        } else {
            Some(vec!["x".into(), NASTY.into()])
        },
        inner: Inner {
            name: format!("inner {i} ✓"),
            level: None,
            tags: vec!["t\"1".into()],
        },
        maybe_inner: odd.then(|| Inner {
            name: NASTY.into(),
            level: Some(Level::VeryHigh),
            tags: vec![],
        }),
        inners: vec![
            Inner {
                name: "a".into(),
                level: Some(Level::Low),
                tags: vec!["b".into()],
            };
            (i % 3) as usize
        ],
    }
}

/// Every row of `table`, as `event_params` objects, sorted by their JSON text.
fn rows(server: &clickhouse_support::ClickHouse, database: &str, table: &Table) -> Vec<Value> {
    let text = server.query(&format!(
        "SELECT * FROM {database}.{} FINAL \
         SETTINGS output_format_json_quote_64bit_integers = 0 FORMAT JSONEachRow",
        table.name
    ));
    let mut rows: Vec<Value> = text
        .lines()
        .map(|line| {
            let row: Map<String, Value> = serde_json::from_str(line).unwrap();
            table.params_from_row(&row).unwrap()
        })
        .collect();
    rows.sort_by_key(|row| row.to_string());
    rows
}

/// The `event_params` the client sent for `request`.
fn params(request: TrackEventRequest) -> Value {
    let mut json = Vec::new();
    request.write_json(&mut json);
    let envelope: Value = serde_json::from_slice(&json).unwrap();
    envelope["event_params"].clone()
}

/// Compares numbers as the column's float width stores them (f32 columns
/// print the shortest f32 text, which is not the f64 text).
fn normalize(value: &mut Value, table: &Table) {
    for column in table.columns.iter().filter(|c| c.ty.contains("Float32")) {
        let mut slot = &mut *value;
        for key in &column.path {
            slot = &mut slot[key.as_str()];
        }
        if let Some(number) = slot.as_f64() {
            *slot = Value::from(number as f32 as f64);
        }
    }
}

#[test]
fn every_codex_event_and_every_field_type_round_trips() {
    let server = clickhouse_or_skip!();
    let database = server.fresh_database("roundtrip");
    let mut schemas = ToolItemEvent::schemas().to_vec();
    schemas.push(AllTypes::schema());
    let plan = TrackingPlan::from_events(&schemas);
    let mut sink = ClickHouseSink::new(server.url())
        .database(&database)
        .table_prefix("t_")
        .plan(plan.clone())
        .gzip(true);
    let created = sink.ensure_tables().unwrap();
    assert_eq!(created.len(), schemas.len());
    // A second call finds every table.
    assert!(sink.ensure_tables().unwrap().is_empty());
    let tables = sink.tables().unwrap();

    let client = Client::builder()
        .sink(sink)
        .max_batch_events(64)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let mut expected: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let events = Session::new(17).events(400);
    for event in &events {
        client.track_catalog(event).unwrap();
        let request = match event.clone() {
            ToolItemEvent::CommandExecution(e) => TrackEventRequest::from(e),
            ToolItemEvent::FileChange(e) => e.into(),
            ToolItemEvent::McpToolCall(e) => e.into(),
            ToolItemEvent::DynamicToolCall(e) => e.into(),
            ToolItemEvent::CollabAgentToolCall(e) => e.into(),
            ToolItemEvent::WebSearch(e) => e.into(),
            ToolItemEvent::ImageGeneration(e) => e.into(),
        };
        expected
            .entry(event.event_type().to_owned())
            .or_default()
            .push(params(request));
    }
    for i in 0..50 {
        let event = all_types(i);
        client.track(event.clone()).unwrap();
        expected
            .entry(AllTypes::EVENT_NAME.to_owned())
            .or_default()
            .push(params(event.into()));
    }
    client.flush(Duration::from_secs(30)).unwrap();
    let metrics = client.metrics();
    assert_eq!(metrics.dropped.total(), 0, "{metrics:?}");
    assert_eq!(
        expected.len(),
        schemas.len(),
        "the session has every event type"
    );

    for table in &tables {
        let sent = &expected[&table.event];
        let count = server.query(&format!("SELECT count() FROM {database}.{}", table.name));
        assert_eq!(count.trim(), sent.len().to_string(), "{}", table.name);
        let mut want: Vec<Value> = sent.clone();
        let mut got = rows(server, &database, table);
        for value in want.iter_mut().chain(got.iter_mut()) {
            normalize(value, table);
        }
        want.sort_by_key(|row| row.to_string());
        got.sort_by_key(|row| row.to_string());
        assert_eq!(got.len(), want.len());
        for (got, want) in got.iter().zip(&want) {
            assert_eq!(got, want, "{}", table.name);
        }
        // The version column holds the plan's version.
        let versions = server.query(&format!(
            "SELECT DISTINCT _event_version FROM {database}.{}",
            table.name
        ));
        let version = plan.event(&table.event).unwrap().version;
        assert_eq!(versions.trim(), version.to_string());
    }
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_eq!(
        Layout::default()
            .tables(&plan)
            .unwrap()
            .iter()
            .map(|t| t.columns.len())
            .sum::<usize>(),
        tables.iter().map(|t| t.columns.len()).sum::<usize>()
    );
}

#[test]
fn an_event_outside_the_plan_is_rejected_with_its_name_not_retried() {
    let server = clickhouse_or_skip!();
    let database = server.fresh_database("outside");
    let plan = TrackingPlan::from_events(&[AllTypes::schema()]);
    let mut sink = ClickHouseSink::new(server.url())
        .database(&database)
        .plan(plan);
    sink.ensure_tables().unwrap();
    let client = Client::builder()
        .sink(sink)
        .retry_policy(RetryPolicy::exponential(
            5,
            Duration::from_millis(10),
            Duration::from_millis(50),
        ))
        .build()
        .unwrap();
    client.track(all_types(1)).unwrap();
    client.flush(Duration::from_secs(10)).unwrap();
    let session = Session::new(3).events(1);
    client.track_catalog(&session[0]).unwrap();
    let _ = client.flush(Duration::from_secs(10));
    let metrics = client.metrics();
    assert_eq!(metrics.delivered, 1);
    assert_eq!(metrics.dropped.rejected, 1, "{metrics:?}");
    assert_eq!(metrics.retried, 0, "{metrics:?}");
    let _ = ToolItemEvent::NAMES;
}
