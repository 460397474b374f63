//! The tracking plan of the Codex events: prints it as Markdown and writes the
//! JSON Schema of every event, and of the whole plan, to a folder.
//!
//! ```text
//! cargo run --example tracking_plan -- [--out DIR]
//! ```
//!
//! Default folder: `target/analytics-schemas/`. Files: `<event_type>.schema.json`
//! per event and `tracking-plan.schema.json` (any event of the plan).

use std::path::PathBuf;
use std::process::ExitCode;

use analytics_core::{catalog, TrackingPlan};
use codex_analytics::ToolItemEvent;

fn out_dir() -> Result<PathBuf, String> {
    let mut out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/analytics-schemas");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => out = PathBuf::from(args.next().ok_or("--out needs a folder")?),
            "-h" | "--help" => {
                return Err("usage: tracking_plan [--out DIR]".to_owned());
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?} (usage: tracking_plan [--out DIR])"
                ))
            }
        }
    }
    Ok(out)
}

fn write_json(path: &PathBuf, value: &serde_json::Value) -> Result<(), String> {
    let mut text = serde_json::to_string_pretty(value).map_err(|error| error.to_string())?;
    text.push('\n');
    std::fs::write(path, text).map_err(|error| format!("{}: {error}", path.display()))
}

fn run() -> Result<(), String> {
    let out = out_dir()?;
    // `inventory` registers only linked code: naming the Codex events here
    // links them in, so the catalog lists all seven.
    let codex_events = ToolItemEvent::NAMES;

    let plan = TrackingPlan::from_catalog();
    for name in codex_events {
        if plan.event(name).is_none() {
            return Err(format!("{name} is missing from the catalog"));
        }
    }
    print!("{}", plan.to_markdown());

    std::fs::create_dir_all(&out).map_err(|error| format!("{}: {error}", out.display()))?;
    let mut written = Vec::new();
    for schema in catalog::events() {
        let path = out.join(format!("{}.schema.json", schema.name));
        write_json(&path, &schema.json_schema())?;
        written.push(path);
    }
    let path = out.join("tracking-plan.schema.json");
    write_json(&path, &plan.json_schema())?;
    written.push(path);

    eprintln!("\nwrote {} JSON Schema files:", written.len());
    for path in &written {
        eprintln!("  {}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
