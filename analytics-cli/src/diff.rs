//! `analytics diff OLD.json NEW.json`: the plan diff, for the CI of producers.

use std::path::PathBuf;
use std::process::ExitCode;

use analytics_core::TrackingPlan;

use crate::plan_file;

/// Arguments of `analytics diff`.
#[derive(clap::Args)]
pub struct Args {
    /// The committed (old) tracking plan JSON.
    old: PathBuf,
    /// The current (new) tracking plan JSON.
    new: PathBuf,
}

/// Prints every change, breaking ones marked; exit 1 when any is breaking.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let old = plan_file::read(&args.old)?;
    let new = plan_file::read(&args.new)?;
    let diff = TrackingPlan::diff(&old, &new);
    if diff.is_empty() {
        println!("no changes");
    } else {
        print!("{diff}");
        if !diff.to_string().ends_with('\n') {
            println!();
        }
    }
    Ok(if diff.is_breaking() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
