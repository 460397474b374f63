//! Writes the tracking plan JSON of every event linked into this binary (the
//! Codex events): what `analytics validate` and `analytics serve` read.
//!
//! ```text
//! cargo run --example plan_json -- [PATH]      # default: target/analytics/tracking-plan.json
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use analytics_core::TrackingPlan;

fn main() -> ExitCode {
    let path = match std::env::args().nth(1) {
        Some(arg) if arg == "-h" || arg == "--help" => {
            eprintln!("usage: plan_json [PATH]");
            return ExitCode::from(2);
        }
        Some(path) => PathBuf::from(path),
        None => {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/analytics/tracking-plan.json")
        }
    };
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        if let Err(error) = std::fs::create_dir_all(parent) {
            eprintln!("cannot create {}: {error}", parent.display());
            return ExitCode::FAILURE;
        }
    }
    let plan = TrackingPlan::from_catalog();
    // The Codex events are linked in, so the catalog holds every one of them.
    if let Some(missing) = codex_analytics::ToolItemEvent::NAMES
        .iter()
        .find(|name| plan.event(name).is_none())
    {
        eprintln!("the catalog lacks {missing}");
        return ExitCode::FAILURE;
    }
    if let Err(error) = std::fs::write(&path, plan.to_json()) {
        eprintln!("cannot write {}: {error}", path.display());
        return ExitCode::FAILURE;
    }
    println!("{} ({} events)", path.display(), plan.events.len());
    ExitCode::SUCCESS
}
