//! Tables from the tracking plan: one per event, a typed column per wire field.

use std::collections::BTreeSet;
use std::fmt;

use crate::plan::{PlanEvent, PlanField, PlanType, TrackingPlan};
use crate::schema::IntegerKind;

use super::version::ServerVersion;

/// The separator of flattened column names: the field `rpc_transport` of the
/// object field `app_server_client` is the column `app_server_client__rpc_transport`.
///
/// Not a dot: ClickHouse reads `a.b` columns of array type as a `Nested`
/// structure (arrays of one parent must have equal lengths).
pub const FLATTEN_SEPARATOR: &str = "__";

/// The stable message id of the event (`UUID`): with the time, the key that
/// `ReplacingMergeTree` deduplicates on, so a retried batch counts once.
pub const MESSAGE_ID_COLUMN: &str = "_message_id";
/// The event's version (`UInt32`) from the plan.
pub const VERSION_COLUMN: &str = "_event_version";
/// When the event was tracked, in Unix milliseconds (`UInt64`).
pub const TIMESTAMP_COLUMN: &str = "_timestamp_ms";

/// How a JSON value of the event is written into its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// The JSON value as it is (numbers, strings, booleans, arrays of them, `null`).
    Json,
    /// The JSON text of the value, as a ClickHouse `String` (nested objects
    /// that are not flattened, nullable arrays, maps, free JSON).
    JsonText,
}

/// One column of a [`Table`].
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// The column's name: the wire name, or the wire names of the path joined
    /// by [`FLATTEN_SEPARATOR`].
    pub name: String,
    /// The ClickHouse type (`Nullable(String)`, `Enum8('a' = 1)`...).
    pub ty: String,
    /// The wire keys leading to the value, from `event_params` (or from the
    /// envelope for an `#[analytics(envelope)]` key); empty for the message
    /// id, version and time.
    pub path: Vec<String>,
    /// The value is a key of the envelope (`#[analytics(envelope)]`), not of
    /// `event_params`.
    pub in_envelope: bool,
    /// How the value is written.
    pub encoding: Encoding,
    /// The plan type of the value, to read rows back into events.
    pub plan_type: Option<PlanType>,
}

/// The table of one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The event's wire name.
    pub event: String,
    /// The event's version.
    pub version: u32,
    /// The table's name: the table prefix followed by the event's name.
    pub name: String,
    /// Every column: the envelope columns first, then the wire fields in wire order.
    pub columns: Vec<Column>,
}

/// A plan that cannot be given tables, with what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DdlError {
    /// Two columns of one table would have the same name.
    ColumnCollision {
        /// The event.
        event: String,
        /// The column name both would have.
        column: String,
    },
    /// A field's type has no column type on this server.
    Unsupported {
        /// The event.
        event: String,
        /// The column.
        column: String,
        /// Why, and what would work.
        reason: String,
    },
}

impl fmt::Display for DdlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DdlError::ColumnCollision { event, column } => write!(
                f,
                "{event}: two fields map to the column `{column}` (nested objects are flattened \
                 with `{FLATTEN_SEPARATOR}`, and `_message_id`, `_event_version` and \
                 `_timestamp_ms` are reserved): rename one of them"
            ),
            DdlError::Unsupported {
                event,
                column,
                reason,
            } => write!(f, "{event}.{column}: {reason}"),
        }
    }
}

impl std::error::Error for DdlError {}

/// The settings that decide the tables of a plan: the server version (types),
/// the database, a table prefix and an optional cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Layout {
    pub(crate) version: ServerVersion,
    pub(crate) database: Option<String>,
    pub(crate) prefix: String,
    pub(crate) cluster: Option<String>,
}

impl Layout {
    /// Tables for a server of this version, in the session's database, no prefix.
    pub fn new(version: ServerVersion) -> Self {
        Layout {
            version,
            ..Layout::default()
        }
    }

    /// Qualifies every table with this database.
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// Prefixes every table name (`analytics_` gives `analytics_codex_..._event`).
    pub fn table_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Emits `ON CLUSTER` DDL: a `ReplicatedReplacingMergeTree` table named
    /// `<table>_local` on every node and a `Distributed` table `<table>` over them.
    pub fn cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = Some(cluster.into());
        self
    }

    /// The server version the types are chosen for.
    pub fn server_version(&self) -> ServerVersion {
        self.version
    }

    /// The table of every event of the plan, in the plan's order.
    pub fn tables(&self, plan: &TrackingPlan) -> Result<Vec<Table>, DdlError> {
        plan.events()
            .iter()
            .map(|event| self.table(event))
            .collect()
    }

    /// The table of one event.
    pub fn table(&self, event: &PlanEvent) -> Result<Table, DdlError> {
        let mut builder = TableBuilder {
            layout: self,
            event: &event.name,
            columns: vec![
                envelope_column(MESSAGE_ID_COLUMN, "UUID"),
                envelope_column(VERSION_COLUMN, "UInt32"),
                envelope_column(TIMESTAMP_COLUMN, "UInt64"),
            ],
            names: [MESSAGE_ID_COLUMN, VERSION_COLUMN, TIMESTAMP_COLUMN]
                .into_iter()
                .map(str::to_owned)
                .collect(),
            in_envelope: false,
        };
        builder.in_envelope = true;
        builder.fields(&event.envelope, &[])?;
        builder.in_envelope = false;
        builder.fields(&event.fields, &[])?;
        Ok(Table {
            event: event.name.clone(),
            version: event.version,
            name: format!("{}{}", self.prefix, event.name),
            columns: builder.columns,
        })
    }

    /// `` `db`.`table` `` (or `` `table` `` without a database).
    pub(crate) fn qualified(&self, table: &str) -> String {
        match &self.database {
            Some(database) => format!("{}.{}", ident(database), ident(table)),
            None => ident(table),
        }
    }

    pub(crate) fn on_cluster(&self) -> String {
        match &self.cluster {
            Some(cluster) => format!(" ON CLUSTER {}", ident(cluster)),
            None => String::new(),
        }
    }

    /// The table that holds the rows: `<table>_local` on a cluster.
    pub(crate) fn storage_name(&self, table: &Table) -> String {
        match self.cluster {
            Some(_) => format!("{}_local", table.name),
            None => table.name.clone(),
        }
    }

    /// The `CREATE TABLE IF NOT EXISTS` statements of one table (two on a cluster).
    pub fn create_table(&self, table: &Table) -> Vec<String> {
        let columns: Vec<String> = table
            .columns
            .iter()
            .map(|column| format!("    {} {}", ident(&column.name), column.ty))
            .collect();
        let storage = self.storage_name(table);
        let engine = match &self.cluster {
            None => "ReplacingMergeTree".to_owned(),
            Some(_) => format!(
                "ReplicatedReplacingMergeTree('/clickhouse/tables/{{shard}}/{}/{}', '{{replica}}')",
                self.database.as_deref().unwrap_or("default"),
                storage
            ),
        };
        let mut statements = vec![format!(
            "CREATE TABLE IF NOT EXISTS {}{}\n(\n{}\n)\nENGINE = {engine}\n\
             PARTITION BY toYYYYMM(toDateTime(intDiv({TIMESTAMP_COLUMN}, 1000)))\n\
             ORDER BY (toDate(toDateTime(intDiv({TIMESTAMP_COLUMN}, 1000))), {MESSAGE_ID_COLUMN})",
            self.qualified(&storage),
            self.on_cluster(),
            columns.join(",\n"),
        )];
        if self.cluster.is_some() {
            statements.push(self.distributed_table(table, &storage));
        }
        statements
    }

    /// The `Distributed` table `table.name` over the local tables `storage`,
    /// sharded by the message id (both copies of a retried event land on
    /// one shard, where they deduplicate).
    pub(crate) fn distributed_table(&self, table: &Table, storage: &str) -> String {
        let database = match &self.database {
            Some(database) => quote(database),
            None => "currentDatabase()".to_owned(),
        };
        format!(
            "CREATE TABLE IF NOT EXISTS {}{} AS {}\n\
             ENGINE = Distributed({}, {database}, {}, cityHash64({MESSAGE_ID_COLUMN}))",
            self.qualified(&table.name),
            self.on_cluster(),
            self.qualified(storage),
            quote(self.cluster.as_deref().unwrap_or_default()),
            quote(storage),
        )
    }

    /// Every `CREATE TABLE` statement of the plan.
    pub fn create_statements(&self, plan: &TrackingPlan) -> Result<Vec<String>, DdlError> {
        Ok(self
            .tables(plan)?
            .iter()
            .flat_map(|table| self.create_table(table))
            .collect())
    }
}

fn envelope_column(name: &str, ty: &str) -> Column {
    Column {
        name: name.to_owned(),
        ty: ty.to_owned(),
        path: Vec::new(),
        in_envelope: false,
        encoding: Encoding::Json,
        plan_type: None,
    }
}

struct TableBuilder<'a> {
    layout: &'a Layout,
    event: &'a str,
    columns: Vec<Column>,
    names: BTreeSet<String>,
    in_envelope: bool,
}

impl TableBuilder<'_> {
    fn fields(&mut self, fields: &[PlanField], parent: &[String]) -> Result<(), DdlError> {
        for field in fields {
            let mut path = parent.to_vec();
            path.push(field.name.clone());
            let absent = field.nullable || !field.required;
            match &field.ty {
                // A nested object that is always there: one column per field.
                PlanType::Object(object) if !absent => self.fields(&object.fields, &path)?,
                ty => {
                    let name = path.join(FLATTEN_SEPARATOR);
                    let (column_type, encoding) = self.column_type(ty, absent, &name)?;
                    self.push(Column {
                        name,
                        ty: column_type,
                        path,
                        in_envelope: self.in_envelope,
                        encoding,
                        plan_type: Some(ty.clone()),
                    })?;
                }
            }
        }
        Ok(())
    }

    fn push(&mut self, column: Column) -> Result<(), DdlError> {
        if !self.names.insert(column.name.clone()) {
            return Err(DdlError::ColumnCollision {
                event: self.event.to_owned(),
                column: column.name,
            });
        }
        self.columns.push(column);
        Ok(())
    }

    /// The column type of a field's value (`nullable`: the value may be `null`
    /// or absent).
    fn column_type(
        &self,
        ty: &PlanType,
        nullable: bool,
        column: &str,
    ) -> Result<(String, Encoding), DdlError> {
        if !self.typed(ty) {
            // Objects, nullable arrays and anything holding them: JSON text.
            return Ok((
                wrap_nullable("String".to_owned(), nullable),
                Encoding::JsonText,
            ));
        }
        if nullable && matches!(ty, PlanType::Array(_) | PlanType::Map { .. }) {
            // ClickHouse has no Nullable(Array(..)) or Nullable(Map(..)): the
            // JSON text keeps `null` apart from `[]` and `{}`.
            return Ok(("Nullable(String)".to_owned(), Encoding::JsonText));
        }
        let scalar = self.scalar(ty, column)?;
        Ok((wrap_nullable(scalar, nullable), Encoding::Json))
    }

    /// The type of a value that [`typed`] accepts, without the field's nullability.
    fn scalar(&self, ty: &PlanType, column: &str) -> Result<String, DdlError> {
        let version = self.layout.version;
        Ok(match ty {
            PlanType::String => "String".to_owned(),
            PlanType::Integer(kind) => match kind {
                IntegerKind::I8 => "Int8".to_owned(),
                IntegerKind::I16 => "Int16".to_owned(),
                IntegerKind::I32 => "Int32".to_owned(),
                IntegerKind::I64 | IntegerKind::Isize => "Int64".to_owned(),
                IntegerKind::U8 => "UInt8".to_owned(),
                IntegerKind::U16 => "UInt16".to_owned(),
                IntegerKind::U32 => "UInt32".to_owned(),
                IntegerKind::U64 | IntegerKind::Usize => "UInt64".to_owned(),
                IntegerKind::I128 | IntegerKind::U128 if !version.has_int128() => {
                    return Err(DdlError::Unsupported {
                        event: self.event.to_owned(),
                        column: column.to_owned(),
                        reason: format!(
                            "{kind} needs Int128/UInt128 columns (ClickHouse 21.6 or later; \
                             the server is {version}): use a 64-bit integer or a string"
                        ),
                    })
                }
                IntegerKind::I128 => "Int128".to_owned(),
                IntegerKind::U128 => "UInt128".to_owned(),
            },
            PlanType::Number(32) => "Float32".to_owned(),
            PlanType::Number(_) => "Float64".to_owned(),
            PlanType::Boolean if version.has_bool() => "Bool".to_owned(),
            PlanType::Boolean => "UInt8".to_owned(),
            PlanType::Enum(schema) => enum_type(
                schema.values.iter().map(|value| value.name.as_str()),
                version,
            ),
            PlanType::Array(item) => format!("Array({})", self.scalar(item, column)?),
            PlanType::Nullable(inner) => wrap_nullable(self.scalar(inner, column)?, true),
            // String keys: enum keys are strings on the wire too.
            PlanType::Map { values, .. } => {
                format!("Map(String, {})", self.scalar(values, column)?)
            }
            // `typed` sends these to JSON text before we get here.
            PlanType::Object(_)
            | PlanType::Any
            | PlanType::Json(_)
            | PlanType::Union(_)
            | PlanType::Ref(_) => "String".to_owned(),
        })
    }

    /// Values stored in typed columns; everything else is JSON text. Arrays
    /// are typed when their items are (an array inside `Nullable` is not:
    /// ClickHouse cannot express it); maps are `Map(String, V)` on servers
    /// that have it, when their values are scalars.
    fn typed(&self, ty: &PlanType) -> bool {
        match ty {
            PlanType::String
            | PlanType::Integer(_)
            | PlanType::Number(_)
            | PlanType::Boolean
            | PlanType::Enum(_) => true,
            PlanType::Array(item) => self.typed(item),
            PlanType::Nullable(inner) => {
                !matches!(**inner, PlanType::Array(_) | PlanType::Map { .. }) && self.typed(inner)
            }
            PlanType::Map { values, .. } => {
                self.layout.version.has_map()
                    && !matches!(**values, PlanType::Array(_) | PlanType::Map { .. })
                    && self.typed(values)
            }
            // Free JSON, data enums and recursive types have no fixed
            // columns: JSON text (ClickHouse's `JSON` type is experimental
            // before 25.3, so it is not used).
            PlanType::Object(_)
            | PlanType::Any
            | PlanType::Json(_)
            | PlanType::Union(_)
            | PlanType::Ref(_) => false,
        }
    }
}

/// `Enum8('a' = 1, ...)` for up to 127 values (declaration order, from 1,
/// so a value added at the end keeps every old number); more values are
/// `LowCardinality(String)` (`String` on servers before 19.0).
pub(crate) fn enum_type<'a>(
    values: impl Iterator<Item = &'a str>,
    version: ServerVersion,
) -> String {
    let values: Vec<&str> = values.collect();
    if !values.is_empty() && values.len() <= 127 {
        let items: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, value)| format!("{} = {}", quote(value), i + 1))
            .collect();
        format!("Enum8({})", items.join(", "))
    } else if version.has_low_cardinality() {
        "LowCardinality(String)".to_owned()
    } else {
        "String".to_owned()
    }
}

fn wrap_nullable(ty: String, nullable: bool) -> String {
    if !nullable || ty.starts_with("Nullable(") {
        ty
    } else if let Some(inner) = ty
        .strip_prefix("LowCardinality(")
        .and_then(|rest| rest.strip_suffix(')'))
    {
        format!("LowCardinality(Nullable({inner}))")
    } else {
        format!("Nullable({ty})")
    }
}

/// A backquoted identifier.
pub(crate) fn ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('`');
    for c in name.chars() {
        if c == '`' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('`');
    out
}

/// A single-quoted string literal.
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('\'');
    out
}
