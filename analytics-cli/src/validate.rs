//! `analytics validate EVENTS.jsonl --plan PLAN.json [--failed OUT.jsonl]`.
//! (Being built on branch `cli`.)

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `analytics validate`.
#[derive(clap::Args)]
pub struct Args {
    /// The JSON Lines file: one envelope or one `{"events":[..]}` batch per line.
    events: PathBuf,
    /// The tracking plan JSON.
    #[arg(long)]
    plan: PathBuf,
    /// Where to write the failed-event lines.
    #[arg(long)]
    failed: Option<PathBuf>,
}

/// Validates every event of the file.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _ = (args.events, args.plan, args.failed);
    anyhow::bail!("`analytics validate` is not available in this build yet")
}
