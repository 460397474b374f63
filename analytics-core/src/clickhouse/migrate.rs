//! Migrations from the plan diff: additive changes become `ALTER TABLE` and
//! `CREATE TABLE`; breaking ones are refused.

use std::fmt;

use crate::plan::{PlanDiff, TrackingPlan};

use super::table::{ident, DdlError, Layout, Table};

/// Why a plan change cannot be applied to live tables.
#[derive(Debug, Clone, PartialEq)]
pub enum MigrationError {
    /// The diff has breaking changes: they are listed, with the version rule.
    Breaking(PlanDiff),
    /// The new plan cannot be given tables.
    Ddl(DdlError),
    /// A compatible change that still changes how a column is stored (an
    /// object that became nullable is one JSON column instead of one column
    /// per field; an array that became nullable is JSON text).
    Storage {
        /// The table.
        table: String,
        /// The column and what would change.
        detail: String,
    },
}

impl fmt::Display for MigrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MigrationError::Breaking(diff) => {
                writeln!(
                    f,
                    "refusing to migrate: the plan change is breaking, and rows already stored \
                     could no longer be read as the new plan says. The version rule: a breaking \
                     change raises the event's version and goes into a new event (a new table), \
                     or the data is migrated by hand. The changes:"
                )?;
                for change in diff.changes().iter().filter(|change| change.breaking) {
                    writeln!(f, "  {change}")?;
                }
                Ok(())
            }
            MigrationError::Ddl(error) => error.fmt(f),
            MigrationError::Storage { table, detail } => write!(
                f,
                "refusing to migrate {table}: {detail}; ClickHouse cannot convert the stored \
                 column, so create a new table or migrate the data by hand"
            ),
        }
    }
}

impl std::error::Error for MigrationError {}

impl From<DdlError> for MigrationError {
    fn from(error: DdlError) -> Self {
        MigrationError::Ddl(error)
    }
}

impl Layout {
    /// The statements that take tables made for `old` to tables for `new`:
    /// `CREATE TABLE` for a new event, `ALTER TABLE .. ADD COLUMN .. AFTER`
    /// for a new field, `ALTER TABLE .. MODIFY COLUMN` for an enum that
    /// gained values or a field that became nullable. Rows already stored
    /// keep their values (new columns read as `NULL` or the type's default).
    ///
    /// A breaking diff ([`TrackingPlan::diff`]) is refused with its changes.
    pub fn migrations(
        &self,
        old: &TrackingPlan,
        new: &TrackingPlan,
    ) -> Result<Vec<String>, MigrationError> {
        let diff = TrackingPlan::diff(old, new);
        if diff.is_breaking() {
            return Err(MigrationError::Breaking(diff));
        }
        let old_tables = self.tables(old)?;
        let mut statements = Vec::new();
        for table in self.tables(new)? {
            match old_tables.iter().find(|old| old.event == table.event) {
                None => statements.extend(self.create_table(&table)),
                Some(old) => self.alter(old, &table, &mut statements)?,
            }
        }
        Ok(statements)
    }

    /// A `Distributed` table takes its columns from the local table when it
    /// is created, and servers before 20.x refuse `ALTER .. ON CLUSTER` on a
    /// non-replicated table of a cluster with internal replication: so it is
    /// created again beside the old one and swapped in by one `RENAME`. It
    /// holds no rows (the sink inserts synchronously), so nothing is lost.
    fn replace_distributed(&self, table: &Table, statements: &mut Vec<String>) {
        let next = format!("{}__migrating", table.name);
        let old = format!("{}__replaced", table.name);
        let mut swap = table.clone();
        swap.name = next.clone();
        let create = self.distributed_table(&swap, &self.storage_name(table));
        statements.push(create);
        statements.push(format!(
            "RENAME TABLE {} TO {}, {} TO {}{}",
            self.qualified(&table.name),
            self.qualified(&old),
            self.qualified(&next),
            self.qualified(&table.name),
            self.on_cluster()
        ));
        statements.push(format!(
            "DROP TABLE IF EXISTS {}{}",
            self.qualified(&old),
            self.on_cluster()
        ));
    }

    fn alter(
        &self,
        old: &Table,
        new: &Table,
        statements: &mut Vec<String>,
    ) -> Result<(), MigrationError> {
        for column in &old.columns {
            if !new.columns.iter().any(|other| other.name == column.name) {
                return Err(MigrationError::Storage {
                    table: new.name.clone(),
                    detail: format!("the column `{}` would go away", column.name),
                });
            }
        }
        let before = statements.len();
        let mut previous: Option<&str> = None;
        for column in &new.columns {
            let change = match old.columns.iter().find(|other| other.name == column.name) {
                None => Some(format!(
                    "ADD COLUMN {} {}{}",
                    ident(&column.name),
                    column.ty,
                    previous
                        .map(|name| format!(" AFTER {}", ident(name)))
                        .unwrap_or_default()
                )),
                Some(before) if before.encoding != column.encoding => {
                    return Err(MigrationError::Storage {
                        table: new.name.clone(),
                        detail: format!(
                            "the column `{}` would change from {} to {} stored as {:?}",
                            column.name, before.ty, column.ty, column.encoding
                        ),
                    })
                }
                Some(before) if before.ty != column.ty => Some(format!(
                    "MODIFY COLUMN {} {}",
                    ident(&column.name),
                    column.ty
                )),
                Some(_) => None,
            };
            if let Some(change) = change {
                statements.push(format!(
                    "ALTER TABLE {}{} {change}",
                    self.qualified(&self.storage_name(new)),
                    self.on_cluster()
                ));
            }
            previous = Some(&column.name);
        }
        if self.cluster.is_some() && statements.len() > before {
            self.replace_distributed(new, statements);
        }
        Ok(())
    }
}
