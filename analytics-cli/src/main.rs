//! `analytics`: the receiving side of typed analytics events. It needs no Rust
//! types of the producer: everything comes from a tracking plan JSON
//! (`TrackingPlan::to_json`).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use analytics_cli::{diff, serve, validate};

mod ddl;
// `ddl.rs` reads its plan through `crate::plan_file`.
#[allow(unused_imports)]
use analytics_cli::plan_file;

/// Validate, compare and receive typed analytics events, from a tracking plan.
#[derive(Parser)]
#[command(name = "analytics", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check every event of a JSON Lines file against a tracking plan.
    Validate(validate::Args),
    /// Compare two tracking plans; exit 1 when a change is breaking.
    Diff(diff::Args),
    /// Print the DDL of the plan's tables for a database.
    Ddl(ddl::Args),
    /// Run the collector: receive events over HTTP, validate, store.
    Serve(serve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Ddl(args) => ddl::run(args),
        Command::Serve(args) => serve::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
