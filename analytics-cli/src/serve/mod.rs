//! `analytics serve --plan PLAN.json --listen ADDR --out DIR [--token T]...`:
//! the collector.
//!
//! `POST /v1/events` (and `/v1/batch`, for Segment clients) takes a batch in
//! the reference format (`{"events":[..]}`) or Segment's (`{"batch":[..]}`),
//! told apart by its key, optionally gzip. Every event of the body is checked
//! against the plan and ends in exactly one place: the output (valid events,
//! their bytes as received) or the failed-events file (with the reason and
//! every error). The answer is `200 {"accepted":N,"rejected":M}` only once
//! both writes are durable, `503` with `Retry-After` when the output fails,
//! the collector is behind or a request does not fit in the bytes it may
//! hold (`--max-in-flight-bytes`; the client retries: nothing of the request
//! was kept), `400` for a body that is not a batch (kept as one failed event),
//! `401` without a valid token, `413` over the body limit, `408` for a body
//! that does not arrive in time.
//!
//! `GET /metrics` (Prometheus text format) and `GET /healthz` (503 while the
//! output is failing) come with it.

mod budget;
mod command;
mod http;
mod metrics;
mod writer;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use analytics_core::client::{Envelope, Sink};
use analytics_core::failed::FailedEvent;
use analytics_core::ingest::PlanValidator;
use anyhow::Context as _;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::{mpsc, oneshot, Semaphore};

pub use command::{run, Args};
pub use metrics::Metrics;

/// The default of `--max-in-flight-bytes`: 256 MiB.
pub const DEFAULT_MAX_IN_FLIGHT_BYTES: usize = 256 << 20;

/// How a collector runs.
pub struct Config {
    /// The plan's checks.
    pub validator: PlanValidator,
    /// Where valid events go.
    pub output: Box<dyn Sink>,
    /// The failed-events file (JSON Lines, appended).
    pub failed_path: PathBuf,
    /// Accepted bearer tokens; empty: no auth.
    pub tokens: Vec<String>,
    /// The largest request body after gzip decoding.
    pub max_body_bytes: usize,
    /// Requests handled at once.
    pub max_in_flight: usize,
    /// The bytes held for requests at once (bodies, decoding, copies for
    /// the writer); a request that does not fit is answered 503.
    pub max_in_flight_bytes: usize,
    /// Requests waiting for the writer at once (503 "behind" above).
    pub max_queued: usize,
    /// How long a client has to send its body.
    pub body_timeout: Duration,
    /// The `Retry-After` of a 503.
    pub retry_after: Duration,
    /// Whether a request that finds nothing queued and nobody committing is
    /// committed by its handler, on the runtime's thread (no round trip to
    /// the writer thread), rather than always by the writer thread. On by
    /// default, for an output whose commits are short (a local file); a
    /// commit over 2 ms sends the requests after it to the writer thread
    /// until one is quick again, but the first slow one holds a runtime
    /// thread while it lasts: off for an output over the network
    /// (`--forward`).
    pub commit_in_handler: bool,
}

impl Config {
    /// A configuration with the defaults of `analytics serve`.
    pub fn new(validator: PlanValidator, output: Box<dyn Sink>, failed_path: PathBuf) -> Config {
        Config {
            validator,
            output,
            failed_path,
            tokens: Vec::new(),
            max_body_bytes: 8 << 20,
            max_in_flight: 64,
            max_in_flight_bytes: DEFAULT_MAX_IN_FLIGHT_BYTES,
            max_queued: 64,
            body_timeout: Duration::from_secs(30),
            retry_after: Duration::from_secs(1),
            commit_in_handler: true,
        }
    }
}

/// A collector running on its own thread (for tests and embedding).
pub struct Collector {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
    metrics: Arc<Metrics>,
}

impl Collector {
    /// Binds `listen` (`127.0.0.1:0` for any free port) and serves.
    pub fn start(config: Config, listen: &str) -> anyhow::Result<Collector> {
        let listener = std::net::TcpListener::bind(listen)
            .with_context(|| format!("cannot listen on {listen}"))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let metrics = Arc::new(Metrics::new());
        let shared_metrics = Arc::clone(&metrics);
        let thread = std::thread::Builder::new()
            .name("analytics-collector".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()?;
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)?;
                    serve_with(config, listener, shared_metrics, async {
                        let _ = stopped.await;
                    })
                    .await
                })
            })?;
        Ok(Collector {
            addr,
            stop: Some(stop),
            thread: Some(thread),
            metrics,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Stops accepting, answers the requests in flight, flushes the output.
    pub fn shutdown(mut self) -> anyhow::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| anyhow::anyhow!("the collector thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

/// Serves on `listener` until `shutdown` completes, then drains the requests
/// in flight and flushes the output.
pub async fn serve(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_with(config, listener, Arc::new(Metrics::new()), shutdown).await
}

async fn serve_with(
    config: Config,
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let failed = writer::FailedFile::open(&config.failed_path)
        .with_context(|| format!("cannot open {}", config.failed_path.display()))?;
    let (jobs, queue) = mpsc::channel(config.max_queued.max(1));
    let commits = Arc::new(writer::Commits::new(
        config.output,
        failed,
        Arc::clone(&metrics),
        config.commit_in_handler,
    ));
    let writer_commits = Arc::clone(&commits);
    let writer = std::thread::Builder::new()
        .name("analytics-collector-writer".into())
        .spawn(move || writer::run(queue, writer_commits))?;
    let state = Arc::new(Shared {
        validator: config.validator,
        tokens: config.tokens,
        max_body_bytes: config.max_body_bytes,
        body_timeout: config.body_timeout,
        retry_after: config.retry_after,
        permits: Semaphore::new(config.max_in_flight.max(1)),
        budget: budget::Budget::new(config.max_in_flight_bytes, Arc::clone(&metrics)),
        jobs,
        commits,
        metrics,
    });
    let app = Router::new()
        .route("/v1/events", post(events))
        .route("/v1/batch", post(events))
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(healthz))
        .with_state(state);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    // Every handler is done and the router (holding the last sender) is
    // gone: the writer finishes its queue, flushes and returns.
    let written = writer.join();
    served.context("the server failed")?;
    written.map_err(|_| anyhow::anyhow!("the writer thread panicked"))
}

struct Shared {
    validator: PlanValidator,
    tokens: Vec<String>,
    max_body_bytes: usize,
    body_timeout: Duration,
    retry_after: Duration,
    permits: Semaphore,
    budget: Arc<budget::Budget>,
    jobs: mpsc::Sender<writer::Job>,
    /// The output and the failed-events file, shared with the writer thread.
    commits: Arc<writer::Commits>,
    metrics: Arc<Metrics>,
}

async fn metrics_text(State(state): State<Arc<Shared>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn healthz(State(state): State<Arc<Shared>>) -> Response {
    if state.metrics.output_up.get() == 1 {
        (StatusCode::OK, "ok\n").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "the output is failing\n").into_response()
    }
}

async fn events(
    State(state): State<Arc<Shared>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    state.metrics.in_flight.inc();
    let response = handle(&state, &headers, body).await;
    state.metrics.in_flight.dec();
    state
        .metrics
        .requests
        .get_or_create(&metrics::RequestLabels {
            route: uri.path().to_owned(),
            status: response.status().as_u16(),
        })
        .inc();
    response
}

async fn handle(state: &Shared, headers: &HeaderMap, body: Body) -> Response {
    if !state.authorized(headers) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            http::error_json("a valid bearer token is required"),
        )
            .into_response();
    }
    let Ok(_permit) = state.permits.try_acquire() else {
        return state.unavailable("too many requests in flight");
    };
    // Every byte this request holds from here on is reserved in `held`,
    // which goes with its job to the writer.
    let mut held = state.budget.hold();
    let limit = state.max_body_bytes;
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.trim().parse::<u64>().ok());
    let raw = match tokio::time::timeout(
        state.body_timeout,
        http::read_body(body, limit, length, &mut held),
    )
    .await
    {
        Err(_) => {
            return (
                StatusCode::REQUEST_TIMEOUT,
                http::error_json("the body did not arrive in time"),
            )
                .into_response()
        }
        Ok(Err(http::ReadError::TooLarge)) => return http::too_large(limit),
        Ok(Err(http::ReadError::Budget)) => return state.over_budget(),
        Ok(Err(http::ReadError::Body(error))) => {
            return (
                StatusCode::BAD_REQUEST,
                http::error_json(&format!("cannot read the body: {error}")),
            )
                .into_response()
        }
        Ok(Ok(raw)) => raw,
    };
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .map(|value| value.to_str().unwrap_or("?").trim().to_ascii_lowercase());
    let http::Received {
        bytes: body,
        breaks,
    } = match encoding.as_deref() {
        None | Some("identity") => raw,
        Some("gzip") | Some("x-gzip") => match http::gunzip(&raw.bytes, limit, &mut held) {
            Ok(body) => body,
            Err(http::GunzipError::TooLarge) => return http::too_large(limit),
            Err(http::GunzipError::Budget) => return state.over_budget(),
            Err(http::GunzipError::Invalid(error)) => {
                // Not even the bytes of a batch: keep them as they came.
                let failed = FailedEvent::new(
                    analytics_core::failed::FailureReason::NotJson,
                    analytics_core::failed::Payload::from_bytes(&raw.bytes),
                    crate::now_ms(),
                )
                .with_errors([analytics_core::failed::FailedCheck::new(
                    "",
                    "gzip",
                    format!("the body is not valid gzip: {error}"),
                )]);
                return state.reject_body(failed, held).await;
            }
        },
        Some(other) => {
            return (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                http::error_json(&format!(
                    "unsupported Content-Encoding {other:?} (gzip or none)"
                )),
            )
                .into_response()
        }
    };
    state.metrics.body_bytes.inc_by(body.len() as u64);
    let received_at = crate::now_ms();
    // The accepted events' lines are their ranges of the body, which their
    // envelopes share (its bytes are already reserved): no copy per event.
    let body = Arc::new(body);
    let mut job_events: Vec<Envelope> = Vec::new();
    let mut failed_lines = Vec::new();
    let mut counts = Counts::default();
    // Each event is checked as the body is parsed, once.
    let mut batch = state.validator.check_batch(&body, received_at);
    // A body of an unusual shape is split first: its list of items is held.
    let mut split_held = 0;
    while let Some(item) = batch.next() {
        if batch.held_bytes() > split_held {
            if held.take(batch.held_bytes() - split_held).is_err() {
                return state.over_budget();
            }
            split_held = batch.held_bytes();
        }
        let event = match item {
            Ok(event) => event,
            // Not a batch after all: what was read of it is void.
            Err(failed) => return state.reject_body(failed, held).await,
        };
        match event.outcome {
            Ok(accepted) => {
                if job_events.len() == job_events.capacity() {
                    let more = job_events.capacity().max(16);
                    if held.take(more * std::mem::size_of::<Envelope>()).is_err() {
                        return state.over_budget();
                    }
                    job_events.reserve_exact(more);
                }
                let message_id = accepted.message_id.as_deref();
                let (envelope, copied) =
                    http::envelope(message_id, &body, event.bytes, breaks, received_at);
                if held.take(copied).is_err() {
                    return state.over_budget();
                }
                job_events.push(envelope);
                counts.accepted(accepted.event_type);
            }
            Err(failed) => {
                counts.rejected(failed.reason.as_str());
                let capacity = failed_lines.capacity();
                failed.write_json_line(&mut failed_lines);
                if held.take(failed_lines.capacity() - capacity).is_err() {
                    return state.over_budget();
                }
            }
        }
    }
    let accepted = job_events.len();
    let rejected: u64 = counts.rejected.iter().map(|(_, count)| count).sum();
    match state.store(job_events, failed_lines, held).await {
        Ok(()) => {
            for (event_type, count) in counts.accepted {
                state
                    .metrics
                    .accepted
                    .get_or_create(&metrics::TypeLabels {
                        event_type: event_type.to_owned(),
                    })
                    .inc_by(count);
            }
            for (reason, count) in counts.rejected {
                state.count_rejected(reason, count);
            }
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                format!("{{\"accepted\":{accepted},\"rejected\":{rejected}}}"),
            )
                .into_response()
        }
        Err(response) => response,
    }
}

/// The events of one request by type (accepted) and by reason (rejected),
/// for the metrics once the request is stored: a request holds few distinct
/// names, each counted many times, so a short list searched in place.
#[derive(Default)]
struct Counts<'v> {
    accepted: Vec<(&'v str, u64)>,
    rejected: Vec<(&'static str, u64)>,
}

impl<'v> Counts<'v> {
    fn accepted(&mut self, event_type: &'v str) {
        count(&mut self.accepted, event_type);
    }

    fn rejected(&mut self, reason: &'static str) {
        count(&mut self.rejected, reason);
    }
}

fn count<'a>(counts: &mut Vec<(&'a str, u64)>, name: &'a str) {
    // The names are the plan's (or the reasons') own strings: the same name
    // is the same pointer, so the pointers are compared first, and the
    // bytes only when no pointer matches (a name from elsewhere).
    let at = counts
        .iter()
        .rposition(|(seen, _)| std::ptr::eq(*seen, name))
        .or_else(|| counts.iter().rposition(|(seen, _)| *seen == name));
    match at {
        Some(at) => counts[at].1 += 1,
        None => counts.push((name, 1)),
    }
}

impl Shared {
    fn authorized(&self, headers: &HeaderMap) -> bool {
        http::authorized(&self.tokens, headers)
    }

    fn unavailable(&self, why: &str) -> Response {
        let seconds = self.retry_after.as_secs().max(1);
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(
                header::RETRY_AFTER,
                HeaderValue::from_str(&seconds.to_string()).expect("digits"),
            )],
            http::error_json(why),
        )
            .into_response()
    }

    /// The 503 of a request that does not fit in `--max-in-flight-bytes`.
    fn over_budget(&self) -> Response {
        self.unavailable("the collector holds too many bytes in flight")
    }

    fn count_rejected(&self, reason: &str, count: u64) {
        self.metrics
            .rejected
            .get_or_create(&metrics::ReasonLabels {
                reason: reason.to_owned(),
            })
            .inc_by(count);
    }

    /// Stores the request's events; `Err` is the 503 to answer.
    /// `held` goes with the job: the writer gives its bytes back once the
    /// job is committed, even when this request's client has gone.
    async fn store(
        &self,
        events: Vec<Envelope>,
        failed: Vec<u8>,
        held: budget::Held,
    ) -> Result<(), Response> {
        let (done, stored) = oneshot::channel();
        let job = writer::Job {
            events,
            failed,
            held,
            done,
        };
        // Nothing queued and nobody committing: the commit is made here, on
        // this thread, which saves the round trip to the writer thread (two
        // wake-ups) and writes the body while it is in this core's cache.
        // Otherwise the writer thread commits it, with the others queued.
        let queued = match self.jobs.capacity() == self.jobs.max_capacity() {
            true => self.commits.try_commit(job).err(),
            false => Some(job),
        };
        if let Some(job) = queued {
            if let Err(error) = self.jobs.try_send(job) {
                return Err(self.unavailable(match error {
                    mpsc::error::TrySendError::Full(_) => "the output is behind",
                    mpsc::error::TrySendError::Closed(_) => "the collector is shutting down",
                }));
            }
        }
        match stored.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(self.unavailable(&format!("the output is failing: {error}"))),
            Err(_) => Err(self.unavailable("the writer stopped")),
        }
    }

    /// A body that is not a batch: kept as one failed event, answered 400.
    async fn reject_body(&self, failed: FailedEvent, mut held: budget::Held) -> Response {
        let reason = failed.reason.as_str();
        let message = failed
            .errors
            .first()
            .map_or_else(String::new, |error| error.message.clone());
        let line = failed.to_json_line().into_bytes();
        if held.take(line.capacity()).is_err() {
            return self.over_budget();
        }
        if let Err(response) = self.store(Vec::new(), line, held).await {
            return response;
        }
        self.count_rejected(reason, 1);
        (
            StatusCode::BAD_REQUEST,
            [(header::CONTENT_TYPE, "application/json")],
            format!(
                "{{\"error\":{},\"reason\":\"{reason}\",\"accepted\":0,\"rejected\":1}}",
                serde_json::Value::String(message)
            ),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_group_equal_names_whether_or_not_they_are_the_same_string() {
        let plan_name = String::from("codex_turn_event");
        let elsewhere = String::from("codex_turn_event");
        let other = String::from("codex_tool_event");
        let mut counts = Vec::new();
        for name in [
            &plan_name, &other, &plan_name, &elsewhere, &other, &plan_name,
        ] {
            count(&mut counts, name.as_str());
        }
        assert_eq!(counts, [("codex_turn_event", 4), ("codex_tool_event", 2)]);
    }
}
