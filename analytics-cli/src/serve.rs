//! `analytics serve --plan PLAN.json --listen ADDR --out DIR`: the collector.
//! (Being built on branch `cli`.)

use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `analytics serve`.
#[derive(clap::Args)]
pub struct Args {
    /// The tracking plan JSON.
    #[arg(long)]
    plan: PathBuf,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// The directory of the output and failed-event files.
    #[arg(long)]
    out: PathBuf,
}

/// Runs the collector until interrupted.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let _ = (args.plan, args.listen, args.out);
    anyhow::bail!("`analytics serve` is not available in this build yet")
}
