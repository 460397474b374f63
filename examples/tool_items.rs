//! The main job: simulate an agent session, validate every Codex tool-item
//! event, and write them as JSON Lines envelopes.
//!
//! ```text
//! cargo run --release --example tool_items -- [--count N] [--seed S] [--out PATH]
//! ```
//!
//! Defaults: 300 events, seed 42, `target/analytics/tool_items.jsonl`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use codex_analytics::simulate::Session;
use codex_analytics::ToolItemEvent;

struct Options {
    count: usize,
    seed: u64,
    out: PathBuf,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        count: 300,
        seed: 42,
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/analytics/tool_items.jsonl"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--count" => {
                options.count = value("--count")?
                    .parse()
                    .map_err(|e| format!("--count: {e}"))?
            }
            "--seed" => {
                options.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--out" => options.out = PathBuf::from(value("--out")?),
            "--help" | "-h" => {
                return Err("usage: tool_items [--count N] [--seed S] [--out PATH]".to_owned());
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    Ok(options)
}

fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let events: Vec<ToolItemEvent> = Session::new(options.seed).events(options.count);

    if let Some(dir) = options.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(&options.out)?);
    let mut per_type: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut line = Vec::with_capacity(2048);
    let mut bytes = 0usize;
    for event in &events {
        event
            .validate()
            .map_err(|errors| format!("{} is invalid:\n{errors}", event.event_type()))?;
        line.clear();
        event.write_json(&mut line);
        line.push(b'\n');
        file.write_all(&line)?;
        bytes += line.len();
        *per_type.entry(event.event_type()).or_default() += 1;
    }
    file.flush()?;

    println!(
        "wrote {} events ({bytes} bytes) to {}",
        events.len(),
        options.out.display()
    );
    for (event_type, count) in &per_type {
        println!("  {event_type:<40} {count:>6}");
    }
    Ok(())
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tool_items: {error}");
            ExitCode::FAILURE
        }
    }
}
