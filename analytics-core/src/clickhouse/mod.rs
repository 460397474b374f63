//! ClickHouse (feature `clickhouse`): tables derived from the tracking plan,
//! a [`ClickHouseSink`] for the [`Client`](crate::Client), and migrations
//! from the plan diff.
//!
//! - [`Layout`] turns a [`TrackingPlan`](crate::TrackingPlan) into tables
//!   ([`Layout::tables`], [`Layout::create_statements`]) for a server
//!   version ([`ServerVersion`]): one table per event, named by the event's
//!   wire name after an optional prefix, a typed column per wire field;
//! - [`Layout::migrations`] turns a compatible plan change into `ALTER TABLE`
//!   and `CREATE TABLE` statements and refuses a breaking one;
//! - [`ClickHouseSink`] inserts batches (`INSERT .. FORMAT JSONEachRow`);
//! - [`Connection`] runs queries over the HTTP interface.
//!
//! # Columns
//!
//! | wire value | column |
//! |---|---|
//! | `i8` .. `i64`, `u8` .. `u64` (`isize`/`usize` as 64 bits) | `Int8` .. `Int64`, `UInt8` .. `UInt64` |
//! | `i128`, `u128` | `Int128`, `UInt128` (21.6+; an error on older servers) |
//! | `f32`, `f64` | `Float32`, `Float64` |
//! | `bool` | `Bool` (21.12+), `UInt8` before |
//! | string | `String` |
//! | unit enum | `Enum8('a' = 1, ..)` in declaration order; over 127 values `LowCardinality(String)` (19.0+), `String` before |
//! | `Option<T>`, or a key that may be omitted | `Nullable(T)` |
//! | `Vec<T>` of the above | `Array(T)` (items `Nullable` when they may be `null`) |
//! | nested object, always written | flattened: one column per field, named `parent__child` |
//! | nullable object, `Option<Vec<T>>`, arrays of objects | the value's JSON text in a `String` (`Nullable(String)`) |
//!
//! Flattening uses `__` ([`FLATTEN_SEPARATOR`]), not a dot: ClickHouse reads
//! dotted array columns as `Nested` structures. ClickHouse has no
//! `Nullable(Array(..))`, so a nullable array keeps `null` apart from `[]`
//! as JSON text.
//!
//! Every table starts with three envelope columns: `_message_id UUID` (the
//! client's stable message id), `_event_version UInt32`, `_timestamp_ms
//! UInt64` (when the event was tracked).
//!
//! # Engine and keys
//!
//! ```sql
//! ENGINE = ReplacingMergeTree
//! PARTITION BY toYYYYMM(toDateTime(intDiv(_timestamp_ms, 1000)))
//! ORDER BY (toDate(toDateTime(intDiv(_timestamp_ms, 1000))), _message_id)
//! ```
//!
//! A retried batch inserts rows again with the same message id and time, so
//! the same sorting key: `ReplacingMergeTree` keeps one of them when parts
//! merge (`OPTIMIZE TABLE .. FINAL` forces it; `SELECT .. FINAL` reads as if
//! merged). Monthly partitions and a day-first key follow PostHog's `events`
//! table (`PARTITION BY toYYYYMM(timestamp)`, `ORDER BY (team_id,
//! toDate(timestamp), event, ..., uuid)`) and Plausible's `events`
//! (`PARTITION BY toYYYYMM(timestamp)`, `ORDER BY (domain,
//! toDate(timestamp), user_id)`): queries select a time range, and old months
//! are dropped whole. Both lead with a tenant; a table per event has no
//! event column to lead with, and the message id ends the key because
//! deduplication needs it there. See `docs/clickhouse.md`.
//!
//! # Clusters
//!
//! With [`Layout::cluster`], every statement is `ON CLUSTER`: the rows live
//! in `ReplicatedReplacingMergeTree` tables `<table>_local`, and a
//! `Distributed` table `<table>` over them, sharded by
//! `cityHash64(_message_id)` so both copies of a retried event land on the
//! same shard and deduplicate there. See `docs/scaling.md`.

mod connection;
mod migrate;
mod rows;
mod sink;
mod table;
mod version;

pub use connection::{Connection, QueryError};
pub use migrate::MigrationError;
pub use sink::{ClickHouseError, ClickHouseSink};
pub use table::{
    Column, DdlError, Encoding, Layout, Table, FLATTEN_SEPARATOR, MESSAGE_ID_COLUMN,
    TIMESTAMP_COLUMN, VERSION_COLUMN,
};
pub use version::ServerVersion;
