//! The main job: simulate an agent session, validate every Codex tool-item
//! event, and deliver them through a `Client`: to a JSON Lines file (the
//! embedded default sink), or over HTTP in the reference format or a
//! vendor's (Segment/RudderStack, PostHog, Amplitude, Mixpanel).
//!
//! ```text
//! cargo run --release --example tool_items -- [--count N] [--seed S] [--out PATH]
//!     [--endpoint URL [--format codex|segment|posthog|amplitude|mixpanel]
//!      [--api-key KEY] [--token TOKEN]] [--clickhouse URL]
//! ```
//!
//! Defaults: 300 events, seed 42, `target/analytics/tool_items.jsonl`.
//! `--api-key` is the vendor's key (Segment write key, PostHog or Amplitude
//! API key, Mixpanel project token; `--write-key` is a synonym) and defaults
//! to a placeholder for loopback demos; `--token` adds a bearer token. With
//! `--endpoint`, watch the whole path in two terminals:
//! `cargo run --example collector -- --port 8080` and
//! `cargo run --example tool_items -- --endpoint http://127.0.0.1:8080/v1/events`.
//! With `--clickhouse http://127.0.0.1:8123` the tables of the Codex events
//! are created (if missing) and the session is inserted there; the rows per
//! table are printed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use analytics_core::{ClickHouseSink, Client, HttpFormat, HttpSink, JsonLinesSink, Metrics};
use codex_analytics::simulate::Session;

struct Options {
    count: usize,
    seed: u64,
    out: PathBuf,
    endpoint: Option<String>,
    format: HttpFormat,
    api_key: String,
    token: Option<String>,
    clickhouse: Option<String>,
}

const USAGE: &str = "usage: tool_items [--count N] [--seed S] [--out PATH] \
    [--endpoint URL [--format codex|segment|posthog|amplitude|mixpanel] \
    [--api-key KEY] [--token TOKEN]] [--clickhouse URL]";

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        count: 300,
        seed: 42,
        out: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/analytics/tool_items.jsonl"),
        endpoint: None,
        format: HttpFormat::Events,
        api_key: "tool-items-example".to_owned(),
        token: None,
        clickhouse: None,
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
            "--endpoint" => options.endpoint = Some(value("--endpoint")?),
            "--format" => {
                options.format = value("--format")?
                    .parse()
                    .map_err(|e| format!("--format: {e}"))?
            }
            "--api-key" | "--write-key" => options.api_key = value(&arg)?,
            "--token" => options.token = Some(value("--token")?),
            "--clickhouse" => options.clickhouse = Some(value("--clickhouse")?),
            "--help" | "-h" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(options)
}

fn build_client(options: &Options) -> std::io::Result<(Client, String)> {
    let builder = Client::builder()
        .max_batch_events(100)
        .max_batch_delay(Duration::from_millis(200));
    if let Some(url) = &options.clickhouse {
        let mut sink = ClickHouseSink::new(url.as_str());
        let created = sink.ensure_tables().map_err(std::io::Error::other)?;
        println!("created {} ClickHouse tables at {url}", created.len());
        return Ok((builder.sink(sink).build()?, url.clone()));
    }
    match &options.endpoint {
        None => {
            if let Some(dir) = options.out.parent() {
                std::fs::create_dir_all(dir)?;
            }
            // A fresh file per run, so the counts below describe it.
            let _ = std::fs::remove_file(&options.out);
            let client = builder.sink(JsonLinesSink::new(&options.out)).build()?;
            Ok((client, options.out.display().to_string()))
        }
        Some(url) => {
            let key = options.api_key.as_str();
            let sink = match options.format {
                HttpFormat::Events => HttpSink::new(url.as_str()),
                HttpFormat::Segment => HttpSink::segment(url.as_str(), key),
                HttpFormat::PostHog => HttpSink::posthog(url.as_str(), key),
                HttpFormat::Amplitude => HttpSink::amplitude(url.as_str(), key),
                HttpFormat::Mixpanel => HttpSink::mixpanel(url.as_str(), key),
                other => {
                    return Err(std::io::Error::other(format!(
                        "--format {other} is not supported by this example"
                    )))
                }
            };
            let sink = match &options.token {
                Some(token) => sink.bearer_token(token),
                None => sink,
            };
            Ok((builder.sink(sink).build()?, url.clone()))
        }
    }
}

fn print_metrics(metrics: &Metrics) {
    println!(
        "metrics: tracked {}, delivered {}, batches {}, bytes {}, retried {}, dropped {} \
         (queue_full {}, invalid {}, too_large {}, rejected {}, retries_exhausted {}, shutdown_timeout {})",
        metrics.tracked,
        metrics.delivered,
        metrics.batches,
        metrics.bytes,
        metrics.retried,
        metrics.dropped.total(),
        metrics.dropped.queue_full,
        metrics.dropped.invalid,
        metrics.dropped.too_large,
        metrics.dropped.rejected,
        metrics.dropped.retries_exhausted,
        metrics.dropped.shutdown_timeout,
    );
}

fn run(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let events = Session::new(options.seed).events(options.count);
    let (client, destination) = build_client(options)?;

    let mut per_type: BTreeMap<&'static str, usize> = BTreeMap::new();
    for event in &events {
        // `track` validates (an invalid event is returned, counted, never sent),
        // serializes on this thread and enqueues without waiting for I/O.
        client
            .track_catalog(event)
            .map_err(|error| format!("{}: {error}", event.event_type()))?;
        *per_type.entry(event.event_type()).or_default() += 1;
    }
    let flushed = client.flush(Duration::from_secs(30));
    let metrics = client.metrics();
    client.shutdown(Duration::from_secs(5))?;

    println!(
        "wrote {} events ({} bytes) to {destination}",
        metrics.delivered, metrics.bytes
    );
    for (event_type, count) in &per_type {
        println!("  {event_type:<40} {count:>6}");
    }
    print_metrics(&metrics);
    flushed.map_err(|_| "not every event was delivered within 30 s")?;
    if metrics.delivered != events.len() as u64 {
        return Err(format!("{} of {} events delivered", metrics.delivered, events.len()).into());
    }
    if let Some(url) = &options.clickhouse {
        print_clickhouse_rows(url)?;
    }
    Ok(())
}

/// `count()` of every table of the Codex events (all sessions written so far).
fn print_clickhouse_rows(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut sink = ClickHouseSink::new(url);
    println!("rows per ClickHouse table:");
    for table in sink.tables()? {
        let count = sink
            .connection()
            .query(&format!("SELECT count() FROM `{}` FINAL", table.name))?;
        println!("  {:<40} {:>6}", table.name, count.trim());
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
