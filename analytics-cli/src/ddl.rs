//! `analytics ddl --plan PLAN.json --dialect clickhouse [--from OLD.json] [--cluster NAME]`:
//! the tables of a tracking plan, or the migration from an older plan.

use std::path::PathBuf;
use std::process::ExitCode;

use analytics_core::clickhouse::{Layout, MigrationError, ServerVersion};

use crate::plan_file;

/// Arguments of `analytics ddl`.
#[derive(clap::Args)]
pub struct Args {
    /// The tracking plan JSON.
    #[arg(long)]
    plan: PathBuf,
    /// The SQL dialect (only `clickhouse`).
    #[arg(long, default_value = "clickhouse")]
    dialect: String,
    /// The plan the tables were made for: print the migration from it
    /// (`ALTER TABLE` / `CREATE TABLE`) instead; a breaking change is refused.
    #[arg(long, value_name = "OLD.json")]
    from: Option<PathBuf>,
    /// Emit `ON CLUSTER` DDL: replicated `<table>_local` tables and a
    /// `Distributed` table over them.
    #[arg(long, value_name = "NAME")]
    cluster: Option<String>,
    /// Qualify the tables with this database.
    #[arg(long)]
    database: Option<String>,
    /// Prefix every table name.
    #[arg(long, default_value = "")]
    table_prefix: String,
    /// The server version whose types to use (`SELECT version()`); the
    /// default, Debian's 18.16, gives DDL every supported server accepts.
    #[arg(long, default_value = "18.16.1", value_parser = parse_version)]
    server_version: ServerVersion,
}

fn parse_version(text: &str) -> Result<ServerVersion, String> {
    ServerVersion::parse(text).ok_or_else(|| format!("not a version like 18.16.1: {text:?}"))
}

/// Prints the statements, each ending with `;`; exit 1 when a migration is refused.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match render(args)? {
        Ok(sql) => {
            print!("{sql}");
            Ok(ExitCode::SUCCESS)
        }
        Err(refusal) => {
            eprint!("{refusal}");
            if !refusal.ends_with('\n') {
                eprintln!();
            }
            Ok(ExitCode::from(1))
        }
    }
}

/// The SQL to print, or why a migration is refused.
fn render(args: Args) -> anyhow::Result<Result<String, String>> {
    if args.dialect != "clickhouse" {
        anyhow::bail!(
            "unknown dialect {:?}: the dialects are: clickhouse",
            args.dialect
        );
    }
    let plan = plan_file::read(&args.plan)?;
    let mut layout = Layout::new(args.server_version).table_prefix(args.table_prefix);
    if let Some(database) = args.database {
        layout = layout.database(database);
    }
    if let Some(cluster) = args.cluster {
        layout = layout.cluster(cluster);
    }
    let statements = match &args.from {
        None => layout.create_statements(&plan)?,
        Some(old) => {
            let old = plan_file::read(old)?;
            match layout.migrations(&old, &plan) {
                Ok(statements) => statements,
                Err(error @ (MigrationError::Breaking(_) | MigrationError::Storage { .. })) => {
                    return Ok(Err(error.to_string()))
                }
                Err(error) => return Err(error.into()),
            }
        }
    };
    let mut sql = String::new();
    if statements.is_empty() {
        sql.push_str("-- no changes\n");
    }
    for statement in statements {
        sql.push_str(&statement);
        sql.push_str(";\n\n");
    }
    Ok(Ok(sql))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: Args,
    }

    fn plan_file(name: &str, plan: &analytics_core::TrackingPlan) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("analytics-ddl-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, plan.to_json()).unwrap();
        path
    }

    fn ddl(args: &[&str]) -> anyhow::Result<Result<String, String>> {
        let mut argv = vec!["ddl"];
        argv.extend_from_slice(args);
        render(Cli::try_parse_from(argv)?.args)
    }

    /// The committed Codex plan (`examples/codex/tracking-plan.json`).
    fn codex_plan() -> analytics_core::TrackingPlan {
        let text = include_str!("../../examples/codex/tracking-plan.json");
        analytics_core::TrackingPlan::from_json(text).unwrap()
    }

    #[test]
    fn prints_one_create_table_per_event() {
        let plan = codex_plan();
        let path = plan_file("codex.json", &plan);
        let sql = ddl(&["--plan", path.to_str().unwrap(), "--database", "a"])
            .unwrap()
            .unwrap();
        assert_eq!(
            sql.matches("CREATE TABLE IF NOT EXISTS").count(),
            plan.events.len()
        );
        assert!(sql.contains("CREATE TABLE IF NOT EXISTS `a`.`codex_command_execution_event`\n("));
        assert!(sql.contains("    `app_server_client__rpc_transport` Enum8('stdio' = 1, 'websocket' = 2, 'in_process' = 3),\n"));
        assert!(sql.contains("    `exit_code` Nullable(Int32),\n"));
        assert!(sql.contains("ENGINE = ReplacingMergeTree\n"));
        // A newer server gets Bool.
        let sql = ddl(&["--plan", path.to_str().unwrap(), "--server-version", "24.8"])
            .unwrap()
            .unwrap();
        assert!(sql.contains("`requested_network_access` Bool"));
        // On a cluster: ON CLUSTER, a local and a Distributed table per event.
        let sql = ddl(&["--plan", path.to_str().unwrap(), "--cluster", "main"])
            .unwrap()
            .unwrap();
        assert_eq!(
            sql.matches(" ON CLUSTER `main`").count(),
            2 * plan.events.len()
        );
        assert_eq!(
            sql.matches("ENGINE = Distributed('main', currentDatabase(), ")
                .count(),
            plan.events.len()
        );
    }

    #[test]
    fn migrations_are_printed_and_breaking_changes_refused() {
        let old = codex_plan();
        let mut new = old.clone();
        let mut added = new.events[0].fields[0].clone();
        added.name = "new_note".into();
        added.nullable = true;
        new.events[0].fields.push(added);
        let old_path = plan_file("old.json", &old);
        let new_path = plan_file("new.json", &new);
        let sql = ddl(&[
            "--plan",
            new_path.to_str().unwrap(),
            "--from",
            old_path.to_str().unwrap(),
        ])
        .unwrap()
        .unwrap();
        let event = &new.events[0].name;
        assert_eq!(
            sql,
            format!("ALTER TABLE `{event}` ADD COLUMN `new_note` Nullable(String) AFTER `failed_agent_count`;\n\n")
        );
        let same = ddl(&[
            "--plan",
            old_path.to_str().unwrap(),
            "--from",
            old_path.to_str().unwrap(),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(same, "-- no changes\n");
        // Back again: the field is removed, which is breaking.
        let refusal = ddl(&[
            "--plan",
            old_path.to_str().unwrap(),
            "--from",
            new_path.to_str().unwrap(),
        ])
        .unwrap()
        .unwrap_err();
        assert!(refusal.contains("refusing to migrate"), "{refusal}");
        assert!(
            refusal.contains(&format!("[breaking] {event}.new_note: field removed")),
            "{refusal}"
        );
    }

    #[test]
    fn an_unknown_dialect_is_an_error() {
        let path = plan_file("d.json", &codex_plan());
        let error = ddl(&["--plan", path.to_str().unwrap(), "--dialect", "postgres"]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown dialect \"postgres\": the dialects are: clickhouse"
        );
        assert!(ddl(&["--plan", path.to_str().unwrap(), "--server-version", "new"]).is_err());
    }
}
