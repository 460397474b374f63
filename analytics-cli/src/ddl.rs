//! `analytics ddl --plan PLAN.json --dialect clickhouse [--from OLD.json] [--cluster NAME]`.
//! (Being built on branch `clickhouse`.)

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `analytics ddl`.
#[derive(clap::Args)]
pub struct Args {
    /// The tracking plan JSON.
    #[arg(long)]
    plan: PathBuf,
    /// The SQL dialect.
    #[arg(long, default_value = "clickhouse")]
    dialect: String,
}

/// Prints the DDL.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _ = (args.plan, args.dialect);
    anyhow::bail!("`analytics ddl` is not available in this build yet")
}
