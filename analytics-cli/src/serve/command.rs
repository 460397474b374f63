//! The command line of `analytics serve`: its arguments, the output they
//! choose, and the process around the collector (a runtime, the listener,
//! SIGTERM / ctrl-c).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use analytics_core::client::Sink;
use analytics_core::ingest::PlanValidator;
use analytics_core::{HttpFormat, HttpSink, JsonLinesSink, TrackingPlan};
use anyhow::Context as _;

use super::{serve, Config, DEFAULT_MAX_IN_FLIGHT_BYTES};
use crate::plan_file;

/// Arguments of `analytics serve`.
#[derive(clap::Args)]
pub struct Args {
    /// The tracking plan JSON (`TrackingPlan::to_json`).
    #[arg(long)]
    pub plan: PathBuf,
    /// The address to listen on (port 0: any free port, printed on start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// The directory of the output (`events.jsonl`) and of the failed events
    /// (`failed.jsonl`).
    #[arg(long)]
    pub out: PathBuf,
    /// Forward valid events to this URL instead of writing `events.jsonl`.
    #[arg(long)]
    pub forward: Option<String>,
    /// The body format of `--forward`: codex (the reference format), segment
    /// (or rudderstack), posthog, amplitude or mixpanel. Each event's
    /// identity fields (from the plan) become the vendor's user keys.
    #[arg(
        long,
        value_name = "FORMAT",
        default_value = "codex",
        requires = "forward"
    )]
    pub forward_format: HttpFormat,
    /// The vendor's key for `--forward-format`: Segment write key, PostHog or
    /// Amplitude API key, Mixpanel project token.
    #[arg(long, value_name = "KEY", requires = "forward")]
    pub forward_key: Option<String>,
    /// A bearer token clients must send (`Authorization: Bearer T`, or a
    /// Segment write key as `Basic`); repeat for several. None: no auth.
    #[arg(long = "token")]
    pub tokens: Vec<String>,
    /// The largest request body, in bytes, after gzip decoding (413 above).
    #[arg(long, default_value_t = 8 << 20)]
    pub max_body_bytes: usize,
    /// The largest event, in bytes (a bigger one fails as `too_large`).
    #[arg(long, default_value_t = 1 << 20)]
    pub max_event_bytes: usize,
    /// Requests handled at once (503 above).
    #[arg(long, default_value_t = 64)]
    pub max_in_flight: usize,
    /// The bytes held for requests at once: bodies, their gzip decoding and
    /// the copies waiting for the writer (503 above; one request alone
    /// always fits).
    #[arg(long, default_value_t = DEFAULT_MAX_IN_FLIGHT_BYTES)]
    pub max_in_flight_bytes: usize,
    /// The top-level envelope key of the producer's message id
    /// (`ClientBuilder::message_id_key(KEY)`): read as the event's id, not
    /// an unknown key. Repeat for several; giving it replaces the default.
    #[arg(
        long = "message-id-key",
        value_name = "KEY",
        default_value = "message_id"
    )]
    pub message_id_keys: Vec<String>,
    /// Seconds a client has to send its body (408 after).
    #[arg(long, default_value_t = 30)]
    pub body_timeout_secs: u64,
}

/// The sink of `--forward`: `format` at `url`, with the vendor's `key`, and
/// the plan's identity keys so each event's user id reaches the vendor.
fn forward_sink(
    url: &str,
    format: HttpFormat,
    key: Option<&str>,
    plan: &TrackingPlan,
) -> anyhow::Result<HttpSink> {
    let key = || {
        key.ok_or_else(|| {
            anyhow::anyhow!(
                "--forward-format {}: give the vendor's key with --forward-key",
                format.as_str()
            )
        })
    };
    let sink = match format {
        HttpFormat::Events => HttpSink::new(url),
        HttpFormat::Segment => HttpSink::segment(url, key()?),
        HttpFormat::PostHog => HttpSink::posthog(url, key()?),
        HttpFormat::Amplitude => HttpSink::amplitude(url, key()?),
        HttpFormat::Mixpanel => HttpSink::mixpanel(url, key()?),
        other => anyhow::bail!("--forward-format {}: not supported", other.as_str()),
    };
    Ok(sink.identity_keys(plan.identity_keys()))
}

/// Runs the collector until SIGTERM or ctrl-c, then drains and exits.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let plan = plan_file::read(&args.plan)?;
    let validator = PlanValidator::new(&plan)
        .map_err(|error| anyhow::anyhow!("{}: {error}", args.plan.display()))?
        .with_max_event_bytes(args.max_event_bytes)
        .with_message_id_keys(args.message_id_keys);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let output: Box<dyn Sink> = match &args.forward {
        Some(url) => Box::new(forward_sink(
            url,
            args.forward_format,
            args.forward_key.as_deref(),
            &plan,
        )?),
        None => Box::new(JsonLinesSink::new(args.out.join("events.jsonl")).sync(true)),
    };
    let mut config = Config::new(validator, output, args.out.join("failed.jsonl"));
    config.tokens = args.tokens;
    config.max_body_bytes = args.max_body_bytes;
    config.max_in_flight = args.max_in_flight.max(1);
    config.max_in_flight_bytes = args.max_in_flight_bytes.max(1);
    config.max_queued = args.max_in_flight.max(1);
    config.body_timeout = Duration::from_secs(args.body_timeout_secs);
    // A forward's commit is a round trip over the network: always the
    // writer thread's, never a runtime thread's.
    config.commit_in_handler = args.forward.is_none();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        eprintln!("analytics serve: listening on {}", listener.local_addr()?);
        serve(config, listener, shutdown_signal()).await
    })?;
    eprintln!("analytics serve: stopped");
    Ok(ExitCode::SUCCESS)
}

/// SIGTERM or ctrl-c.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => ctrl_c.await,
        }
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
