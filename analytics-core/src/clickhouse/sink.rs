//! [`ClickHouseSink`]: batches of envelopes inserted as `JSONEachRow` rows.

use std::collections::HashMap;
use std::time::Duration;

use crate::client::{Envelope, Sink, SinkError};
use crate::plan::TrackingPlan;

use super::connection::{Connection, QueryError};
use super::rows::{split_envelope, RowWriter};
use super::table::{ident, DdlError, Layout, Table};

/// Inserts each batch into one table per event through ClickHouse's HTTP
/// interface: one `INSERT INTO <table> FORMAT JSONEachRow` per table present
/// in the batch, rows built from the envelopes (`event_params` flattened, see
/// [`super::FLATTEN_SEPARATOR`]) plus the message id, version and time.
///
/// The tables come from a [`TrackingPlan`]: by default every event linked
/// into the binary ([`TrackingPlan::from_catalog`]). Their column types
/// depend on the server version, read once with `SELECT version()` on first
/// use. [`ensure_tables`](ClickHouseSink::ensure_tables) creates the missing
/// ones.
///
/// Errors: a connection error, a timeout or a 5xx other than a data error is
/// retryable (the rows carry their message id, and the tables are
/// `ReplacingMergeTree` on it, so a batch sent twice counts once after a
/// merge or with `FINAL`); an unknown table or column, a type mismatch, bad
/// credentials and an event that does not match the plan are permanent, with
/// the server's message.
pub struct ClickHouseSink {
    connection: Connection,
    /// `None`: the process catalog's plan, built on first use.
    plan: Option<TrackingPlan>,
    prefix: String,
    cluster: Option<String>,
    gzip: bool,
    prepared: Option<Prepared>,
    /// Per table, in table order: the rows of the batch being sent.
    rows: Vec<TableRows>,
}

/// The `JSONEachRow` body of one table for one batch, and which events of the
/// batch it holds (by index), so a refusal of the table costs only those.
#[derive(Default)]
struct TableRows {
    body: Vec<u8>,
    events: Vec<usize>,
}

/// The tables for the server's version, found by event name.
struct Prepared {
    layout: Layout,
    tables: Vec<(Table, RowWriter, String)>,
    by_event: HashMap<String, usize>,
}

impl std::fmt::Debug for ClickHouseSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouseSink")
            .field("connection", &self.connection)
            .field(
                "events",
                &self.plan.as_ref().map(|plan| plan.events().len()),
            )
            .field("prefix", &self.prefix)
            .field("cluster", &self.cluster)
            .field("gzip", &self.gzip)
            .finish_non_exhaustive()
    }
}

impl ClickHouseSink {
    /// Inserts into the server at `url` (`http://127.0.0.1:8123`), tables for
    /// every event in the process catalog, in the user's default database.
    pub fn new(url: impl Into<String>) -> Self {
        ClickHouseSink {
            connection: Connection::new(url),
            plan: None,
            prefix: String::new(),
            cluster: None,
            gzip: false,
            prepared: None,
            rows: Vec::new(),
        }
    }

    /// The database of the tables (created by [`ensure_tables`](Self::ensure_tables)).
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.connection = self.connection.database(database);
        self.prepared = None;
        self
    }

    /// The user (`X-ClickHouse-User`).
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.connection = self.connection.user(user);
        self
    }

    /// The password (`X-ClickHouse-Key`).
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.connection = self.connection.password(password);
        self
    }

    /// Each request's timeout; default 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.connection = self.connection.timeout(timeout);
        self
    }

    /// Prefixes every table name.
    pub fn table_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self.prepared = None;
        self
    }

    /// The tables of this plan instead of the process catalog's.
    pub fn plan(mut self, plan: TrackingPlan) -> Self {
        self.plan = Some(plan);
        self.prepared = None;
        self
    }

    /// The tables live on this cluster: inserts go to the `Distributed`
    /// tables (synchronously, so a success means every shard has its rows),
    /// and [`ensure_tables`](Self::ensure_tables) creates them `ON CLUSTER`.
    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = Some(cluster.into());
        self.prepared = None;
        self
    }

    /// Compresses request bodies with gzip (`Content-Encoding: gzip`; feature `gzip`).
    #[cfg(feature = "gzip")]
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }

    /// The connection the sink uses (to run queries of your own).
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The tables for the server's version (queried on first call).
    pub fn tables(&mut self) -> Result<Vec<Table>, ClickHouseError> {
        self.prepare()?;
        let prepared = self.prepared.as_ref().expect("prepared above");
        Ok(prepared
            .tables
            .iter()
            .map(|(table, ..)| table.clone())
            .collect())
    }

    /// Creates the database (when set) and every missing table; returns the
    /// names of the tables it created. Existing tables are left as they are:
    /// migrate them with [`Layout::migrations`](super::Layout::migrations).
    pub fn ensure_tables(&mut self) -> Result<Vec<String>, ClickHouseError> {
        if let Some(database) = self.connection.database_name() {
            let create = format!(
                "CREATE DATABASE IF NOT EXISTS {}{}",
                ident(database),
                cluster_clause(&self.cluster)
            );
            // The database does not exist yet: run this one without it.
            self.connection.without_database().query(&create)?;
        }
        let existing = self.connection.query("SHOW TABLES")?;
        let existing: Vec<&str> = existing.lines().collect();
        self.prepare()?;
        let prepared = self.prepared.as_ref().expect("prepared above");
        let mut created = Vec::new();
        for (table, ..) in &prepared.tables {
            if existing.contains(&table.name.as_str()) {
                continue;
            }
            for statement in prepared.layout.create_table(table) {
                self.connection.query(&statement)?;
            }
            created.push(table.name.clone());
        }
        Ok(created)
    }

    fn prepare(&mut self) -> Result<(), ClickHouseError> {
        if self.prepared.is_none() {
            let version = self.connection.server_version()?;
            let mut layout = Layout::new(version).table_prefix(self.prefix.clone());
            if let Some(database) = self.connection.database_name() {
                layout = layout.database(database);
            }
            if let Some(cluster) = &self.cluster {
                layout = layout.cluster(cluster.clone());
            }
            let mut tables = Vec::new();
            let mut by_event = HashMap::new();
            let plan = self.plan.get_or_insert_with(TrackingPlan::from_catalog);
            for table in layout.tables(plan)? {
                let writer = RowWriter::new(&table);
                let insert = format!(
                    "INSERT INTO {} FORMAT JSONEachRow",
                    layout.qualified(&table.name)
                );
                by_event.insert(table.event.clone(), tables.len());
                tables.push((table, writer, insert));
            }
            self.prepared = Some(Prepared {
                layout,
                tables,
                by_event,
            });
        }
        Ok(())
    }

    fn insert(&self, query: &str, body: &[u8]) -> Result<(), QueryError> {
        let mut params = vec![("query", query)];
        if self.cluster.is_some() {
            params.push(("insert_distributed_sync", "1"));
        }
        #[cfg(feature = "gzip")]
        if self.gzip {
            use std::io::Write;
            let mut encoder = flate2::write::GzEncoder::new(
                Vec::with_capacity(body.len() / 4),
                flate2::Compression::fast(),
            );
            encoder
                .write_all(body)
                .and_then(|()| encoder.flush())
                .map_err(|error| QueryError {
                    status: None,
                    code: None,
                    message: format!("gzip: {error}"),
                })?;
            let compressed = encoder.finish().map_err(|error| QueryError {
                status: None,
                code: None,
                message: format!("gzip: {error}"),
            })?;
            return self
                .connection
                .post(&params, &compressed, Some("gzip"))
                .map(drop);
        }
        self.connection.post(&params, body, None).map(drop)
    }
}

fn cluster_clause(cluster: &Option<String>) -> String {
    match cluster {
        Some(cluster) => format!(" ON CLUSTER {}", ident(cluster)),
        None => String::new(),
    }
}

impl ClickHouseSink {
    /// The requests [`send`](Sink::send) would make for `batch`, without
    /// making them: for each table in the batch, its `INSERT` query and the
    /// `JSONEachRow` rows (to inspect, or to load by other means).
    pub fn insert_requests(
        &mut self,
        batch: &[Envelope],
    ) -> Result<Vec<(String, Vec<u8>)>, SinkError> {
        self.render(batch)?;
        let prepared = self.prepared.as_ref().expect("rendered above");
        Ok(self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, rows)| !rows.body.is_empty())
            .map(|(index, rows)| (prepared.tables[index].2.clone(), rows.body.clone()))
            .collect())
    }

    /// Fills `self.rows` (one per table, in table order) with the rows of
    /// `batch`. An envelope that cannot be written (not an event envelope, an
    /// event type without a table, a value its column cannot hold) is refused
    /// alone: the error names it by index, and nothing is sent.
    fn render(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        self.prepare().map_err(ClickHouseError::into_sink_error)?;
        let prepared = self.prepared.as_ref().expect("prepared above");
        let rows = &mut self.rows;
        rows.resize_with(prepared.tables.len(), TableRows::default);
        for table in rows.iter_mut() {
            table.body.clear();
            table.events.clear();
        }
        let mut refused: Vec<usize> = Vec::new();
        let mut first_reason = None;
        for (position, envelope) in batch.iter().enumerate() {
            let written = render_one(prepared, envelope, rows).map(|index| {
                rows[index].events.push(position);
            });
            if let Err(reason) = written {
                tracing::error!(reason = %reason, "ClickHouse cannot store an event; it is rejected");
                first_reason.get_or_insert(reason);
                refused.push(position);
            }
        }
        match first_reason {
            None => Ok(()),
            Some(reason) => Err(SinkError::rejected_events(
                format!(
                    "{} of {} events cannot be stored: {reason}",
                    refused.len(),
                    batch.len()
                ),
                refused,
            )),
        }
    }
}

/// Appends the row of `envelope` to its table's body; the table's index, or
/// why it cannot be written (the body is left as it was).
fn render_one(
    prepared: &Prepared,
    envelope: &Envelope,
    rows: &mut [TableRows],
) -> Result<usize, String> {
    let parts = split_envelope(envelope.json())
        .map_err(|error| format!("an envelope is invalid: {error}"))?;
    let event_type = &parts.event_type;
    let &index = prepared.by_event.get(&**event_type).ok_or_else(|| {
        format!("no ClickHouse table for event type `{event_type}`: it is not in the plan")
    })?;
    let (_, writer, _) = &prepared.tables[index];
    let body = &mut rows[index].body;
    let start = body.len();
    let written = writer.write(
        &parts.others,
        parts.params,
        &envelope.message_id_bytes(),
        envelope.timestamp_ms(),
        body,
    );
    match written {
        Ok(()) => Ok(index),
        Err(error) => {
            body.truncate(start);
            Err(format!("{event_type}: {error}"))
        }
    }
}

impl Sink for ClickHouseSink {
    fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        self.render(batch)?;
        let prepared = self.prepared.as_ref().expect("rendered above");
        let rows = std::mem::take(&mut self.rows);
        let mut outcome = Ok(());
        for (index, table_rows) in rows.iter().enumerate() {
            if table_rows.body.is_empty() {
                continue;
            }
            let (table, _, query) = &prepared.tables[index];
            if let Err(error) = self.insert(query, &table_rows.body) {
                let error = ClickHouseError::Insert {
                    table: table.name.clone(),
                    error,
                };
                // A table refusing for good costs its own events only: the
                // worker sends the others again, and the tables already
                // written collapse the resent rows on the message id.
                outcome = Err(if error.is_permanent() {
                    tracing::error!(error = %error, "ClickHouse rejected the rows of a table");
                    SinkError::rejected_events(error.to_string(), table_rows.events.iter().copied())
                } else {
                    error.into_sink_error()
                });
                break;
            }
        }
        self.rows = rows;
        outcome
    }

    fn name(&self) -> &str {
        "clickhouse"
    }
}

/// What went wrong talking to ClickHouse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClickHouseError {
    /// The plan cannot be given tables.
    Ddl(DdlError),
    /// A query failed.
    Query(QueryError),
    /// An insert into this table failed.
    Insert {
        /// The table.
        table: String,
        /// The server's answer.
        error: QueryError,
    },
}

impl ClickHouseError {
    /// No retry can make this succeed.
    pub fn is_permanent(&self) -> bool {
        match self {
            ClickHouseError::Ddl(_) => true,
            ClickHouseError::Query(error) | ClickHouseError::Insert { error, .. } => {
                error.is_permanent()
            }
        }
    }

    fn into_sink_error(self) -> SinkError {
        if self.is_permanent() {
            tracing::error!(error = %self, "ClickHouse rejected a batch");
            SinkError::permanent(self.to_string())
        } else {
            tracing::debug!(error = %self, "ClickHouse insert failed, will retry");
            SinkError::retryable(self.to_string())
        }
    }
}

impl std::fmt::Display for ClickHouseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClickHouseError::Ddl(error) => error.fmt(f),
            ClickHouseError::Query(error) => error.fmt(f),
            ClickHouseError::Insert { table, error } => write!(f, "insert into {table}: {error}"),
        }
    }
}

impl std::error::Error for ClickHouseError {}

impl From<DdlError> for ClickHouseError {
    fn from(error: DdlError) -> Self {
        ClickHouseError::Ddl(error)
    }
}

impl From<QueryError> for ClickHouseError {
    fn from(error: QueryError) -> Self {
        ClickHouseError::Query(error)
    }
}
