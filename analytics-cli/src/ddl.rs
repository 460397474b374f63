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
                Err(error @ MigrationError::Breaking(_)) => {
                    eprint!("{error}");
                    return Ok(ExitCode::from(1));
                }
                Err(error) => {
                    eprintln!("{error}");
                    return Ok(ExitCode::from(1));
                }
            }
        }
    };
    if statements.is_empty() {
        println!("-- no changes");
    }
    for statement in statements {
        println!("{statement};\n");
    }
    Ok(ExitCode::SUCCESS)
}
