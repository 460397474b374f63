//! The delivery client (feature `client`): validate, serialize and queue on
//! the caller's thread; batch, retry, spool and deliver on a background thread.
//!
//! ```
//! use std::time::Duration;
//! use analytics_core::client::{Client, MemorySink, RetryPolicy};
//! # use analytics_core::AnalyticsEvent;
//! # /// A page view.
//! # #[derive(AnalyticsEvent)]
//! # pub struct PageViewed { pub path: String }
//!
//! let sink = MemorySink::new();
//! let client = Client::builder()
//!     .sink(sink.clone())
//!     .queue_capacity(10_000)
//!     .max_batch_events(100)
//!     .max_batch_delay(Duration::from_millis(200))
//!     .retry_policy(RetryPolicy::default())
//!     .build()
//!     .expect("client");
//!
//! client.track(PageViewed { path: "/".into() }).expect("valid and queued");
//! client.flush(Duration::from_secs(5)).expect("delivered in time");
//! assert_eq!(sink.events::<PageViewed>().len(), 1);
//! assert_eq!(client.metrics().delivered, 1);
//! ```
//!
//! Guarantees (each backed by a named test in `docs/guarantees.md`): `track`
//! never blocks on I/O (a full queue is an error and a counted `queue_full`
//! drop); every event is delivered, counted as dropped with a
//! [`DropReason`], or (with a spool) on disk for a later attempt; a panic in
//! user code (a rule, the sink) is caught and counted. With a spool, a
//! writer thread puts every accepted event into a segment file within 1 ms
//! and one disk write, whatever the sink does, so a crash (even `kill -9`) loses at
//! most that window; delivery is at-least-once across crashes, and each
//! event keeps its [`message id`](Envelope::message_id) across replays.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::failed::{FailedCheck, FailedEvent, FailureReason, Payload};
use crate::schema::EventSchema;
use crate::validate::ValidationErrors;
use crate::{EventCatalog, Trackable};

mod builder;
mod completion;
mod error;
mod future;
mod metrics;
mod pii;
mod queue;
mod retry;
mod route;
pub mod sink;
mod spool;
mod spooler;
mod tracked;
mod worker;

pub use builder::{ClientBuilder, SpoolFull};
pub use error::{Timeout, TrackError};
pub use future::{FlushFuture, ShutdownFuture};
pub use metrics::{DropCounts, DropReason, Metrics};
pub(crate) use pii::write_pii_member;
pub use pii::PiiPolicy;
pub use retry::RetryPolicy;
pub use route::{Route, DEFAULT_SINK};
pub use sink::{Envelope, JsonLinesSink, MemorySink, Sink, SinkError, SinkErrorKind, StdoutSink};
#[cfg(feature = "http")]
pub use sink::{HeaderProvider, HeaderRequest, HttpFormat, HttpSink, UnknownFormat};

use tracked::{InCatalog, Tracked, Typed};
use worker::{instant_after, Msg, Shared};

thread_local! {
    /// This thread's buffer for serializing an event: the queue copies the
    /// bytes out, so one buffer serves every event of the thread.
    static SCRATCH: Cell<Option<Vec<u8>>> = const { Cell::new(None) };
}

/// A scratch buffer grown past this (by a very large event) is freed after
/// use rather than kept by the thread.
const SCRATCH_MAX_BYTES: usize = 1 << 20;

/// Every event stored in the spool directory `dir`, oldest first: what the
/// next client opened on `dir` replays (for inspection, tests and tools; the
/// client replays them itself). Damaged records and records that are not
/// JSON are skipped.
pub fn read_spool(dir: &Path) -> io::Result<Vec<Envelope>> {
    spool::read_dir(dir)
}

/// Where a client built without [`ClientBuilder::sink`] writes: the file
/// `analytics/events.jsonl` in the user's data directory
/// (`$XDG_DATA_HOME` or `~/.local/share` on Linux, `~/Library/Application
/// Support` on macOS, `%LOCALAPPDATA%` on Windows), so a tool never leaves a
/// file in whatever directory it was started from. `None` when the platform
/// has no such directory (then `build()` without a sink is an error).
pub fn default_events_file() -> Option<std::path::PathBuf> {
    Some(
        dirs::data_local_dir()?
            .join("analytics")
            .join("events.jsonl"),
    )
}

/// Unix time in milliseconds (0 before 1970): the wall clock itself, read
/// once per event (a coarse clock could be a tick, up to 4 ms, behind), and
/// turned into milliseconds in 64-bit arithmetic (no `u128` on the path).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            elapsed
                .as_secs()
                .saturating_mul(1_000)
                .saturating_add(u64::from(elapsed.subsec_millis()))
        })
}

/// The schema registered under `name` when exactly one type claims it,
/// cached: the catalog is collected once per process, not per call.
pub(crate) fn unique_schema(name: &str) -> Option<&'static EventSchema> {
    static BY_NAME: OnceLock<HashMap<&'static str, Option<&'static EventSchema>>> = OnceLock::new();
    let by_name = BY_NAME.get_or_init(|| {
        let mut by_name = HashMap::new();
        for schema in crate::catalog::events() {
            by_name
                .entry(schema.name)
                .and_modify(|found| *found = None)
                .or_insert(Some(schema));
        }
        by_name
    });
    by_name.get(name).copied().flatten()
}

/// The delivery client: cheap to clone (all clones share one queue and one
/// worker); the drop of the last clone shuts it down within the drop timeout.
///
/// Usable from any thread and from inside any async runtime: `track` only
/// validates, serializes and queues. `flush`, `shutdown` and the drop of the
/// last clone wait (bounded by their timeout); in async code await
/// [`flush_async`](Client::flush_async) and
/// [`shutdown_async`](Client::shutdown_async) instead (plain futures, no
/// runtime needed), and shut down before the last clone drops.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    /// The default sink's lane first, then one per route.
    lanes: Vec<Lane>,
    /// The routes in the order given, each with its lane's index.
    routes: Vec<(Route, usize)>,
    /// Set by the first shutdown (each lane's queue is closed under its own
    /// lock, which is what `track` looks at).
    closed: AtomicBool,
    pii: PiiPolicy,
    message_id_key: Option<&'static str>,
    failed_events: bool,
    threads: Mutex<Vec<JoinHandle<()>>>,
    worker_ids: Vec<ThreadId>,
    drop_timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
}

/// One sink's share of the client: its name, its queue and its counters
/// (its worker is in `Inner::threads`).
struct Lane {
    name: String,
    tx: queue::Sender,
    shared: Arc<Shared>,
}

impl Lane {
    fn metrics(&self) -> Metrics {
        self.shared.counters.snapshot(|| self.tx.counts())
    }
}

/// What `track` prepared on the caller's thread.
struct Prepared {
    json: Vec<u8>,
    message_id: Option<[u8; 16]>,
    schema: Option<&'static EventSchema>,
}

impl Client {
    /// A builder with the defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Validates, serializes (PII policy applied) and queues one event.
    ///
    /// Never blocks on I/O. An invalid event is returned as
    /// [`TrackError::Invalid`] and never sent; a full queue or a shut-down
    /// client is an error too. Every error is counted as a drop. A panic in
    /// user code (a custom rule) is caught and counted, never propagated.
    pub fn track<E: Trackable>(&self, event: E) -> Result<(), TrackError> {
        self.track_ref(&event)
    }

    /// [`track`](Client::track) by reference.
    pub fn track_ref<E: Trackable + ?Sized>(&self, event: &E) -> Result<(), TrackError> {
        self.track_inner(&Typed(event))
    }

    /// Each outcome is counted once, on the event's lane: a refusal as a
    /// drop with its reason, an accepted event by the queue as it takes it
    /// (under the one lock an accepted `track` takes, with no other atomic
    /// read-modify-write: `tracked` is derived, see `Counters::snapshot`).
    fn track_inner<T: Tracked>(&self, event: &T) -> Result<(), TrackError> {
        let Some(lane) = self.inner.lane_for(event.name(), event.schema()) else {
            let counters = &self.inner.lanes[0].shared.counters;
            counters.drop_events(DropReason::Panicked, 1);
            return Err(TrackError::Panicked);
        };
        let Lane { tx, shared, .. } = &self.inner.lanes[lane];
        let counters = &shared.counters;
        let fail = |reason: DropReason, error: TrackError| {
            counters.drop_events(reason, 1);
            Err(error)
        };
        let checked = catch_unwind(AssertUnwindSafe(|| {
            event.validate().map_err(|errors| match event.schema() {
                Some(schema) => pii::redact_errors(schema, errors),
                None => errors,
            })
        }));
        match checked {
            Err(_) => return fail(DropReason::Panicked, TrackError::Panicked),
            Ok(Err(errors)) => {
                if self.inner.failed_events {
                    self.send_failed(event, &errors);
                }
                return fail(DropReason::Invalid, TrackError::Invalid(errors));
            }
            Ok(Ok(())) => {}
        }
        // A closed client or a full queue costs no serialization (the queue
        // checks both again as it takes the event).
        if self.inner.closed.load(Ordering::Acquire) {
            return fail(DropReason::Closed, TrackError::Closed);
        }
        if tx.looks_full() {
            return fail(DropReason::QueueFull, TrackError::QueueFull);
        }
        let Ok(prepared) = catch_unwind(AssertUnwindSafe(|| self.prepare(event))) else {
            return fail(DropReason::Panicked, TrackError::Panicked);
        };
        let meta = queue::Meta {
            timestamp_ms: now_ms(),
            message_id: prepared.message_id,
            schema: prepared.schema,
        };
        let sent = tx.send_event(&prepared.json, meta);
        let scratch = prepared.json;
        if scratch.capacity() <= SCRATCH_MAX_BYTES {
            SCRATCH.with(|slot| slot.set(Some(scratch)));
        }
        match sent {
            Ok(()) => Ok(()),
            Err(queue::Refused::Full) => fail(DropReason::QueueFull, TrackError::QueueFull),
            // Shut down (or the worker is gone): count, never lose silently.
            Err(queue::Refused::Closed) => fail(DropReason::Closed, TrackError::Closed),
        }
    }

    /// The envelope bytes with the PII policy applied (and the message id
    /// written in, when configured).
    fn prepare<T: Tracked>(&self, event: &T) -> Prepared {
        let schema = event.schema();
        let mut json = SCRATCH
            .with(Cell::take)
            .unwrap_or_else(|| Vec::with_capacity(4096));
        json.clear();
        let mut json = self
            .inner
            .pii
            .write(schema, event.pii_at_write(), json, |out| event.write(out));
        let mut message_id = None;
        if let Some(key) = self.inner.message_id_key {
            let id = fastrand::u128(..).to_le_bytes();
            if insert_message_id(&mut json, event.name(), key, id) {
                message_id = Some(id);
            }
        }
        Prepared {
            json,
            message_id,
            schema,
        }
    }

    /// Queues the failed-event line of an invalid event (skipped when the
    /// queue is full: the event is counted as `invalid` either way).
    fn send_failed<T: Tracked>(&self, event: &T, errors: &ValidationErrors) {
        let line = catch_unwind(AssertUnwindSafe(|| {
            let json = self.inner.pii.write(
                event.schema(),
                event.pii_at_write(),
                Vec::with_capacity(1024),
                |out| event.write(out),
            );
            let mut line = Vec::with_capacity(json.len() + 256);
            FailedEvent::new(
                FailureReason::RuleViolation,
                Payload::from_bytes(&json),
                now_ms(),
            )
            .with_event_type(event.name())
            .with_errors(errors.iter().map(FailedCheck::from))
            .write_json_line(&mut line);
            line.pop(); // the sink writes its own line ends
            line
        }));
        let Ok(line) = line else {
            return;
        };
        // The default lane's worker owns the failed-events sink.
        self.inner.lanes[0].tx.send_failed(line);
    }

    /// Tracks the event inside an `#[derive(EventCatalog)]` enum. Its schema
    /// (for the PII policy) comes from the event's own type.
    pub fn track_catalog<C: EventCatalog>(&self, event: &C) -> Result<(), TrackError> {
        let name = event.event_type();
        let schema = event.event_schema().or_else(|| unique_schema(name));
        if schema.is_none() && !matches!(self.inner.pii, PiiPolicy::Keep) {
            // Without a schema only an `event_type` route can match, and it
            // cannot panic.
            let lane = self.inner.lane_for(name, None).unwrap_or(0);
            let counters = &self.inner.lanes[lane].shared.counters;
            counters.drop_events(DropReason::NoSchema, 1);
            return Err(TrackError::NoSchema(name));
        }
        self.track_inner(&InCatalog { event, schema })
    }

    /// Waits until every event queued before this call is delivered or
    /// settled (dropped with a reason, or kept in the spool after a failed
    /// attempt). `Err(Timeout)` if that takes longer than `timeout` (delivery
    /// goes on). Ok at once after shutdown.
    pub fn flush(&self, timeout: Duration) -> Result<(), Timeout> {
        if self.inner.request_flush().wait(timeout) {
            Ok(())
        } else {
            Err(Timeout)
        }
    }

    /// Stops accepting events, delivers what is queued within `timeout`, and
    /// stops the worker. Events still unsent at the deadline are counted as
    /// `shutdown_timeout` drops (or, with a spool, left in it for the next
    /// run). Closes every clone. `Err(Timeout)` if the worker did not finish
    /// in time (a send in progress when the deadline passed). Any timeout,
    /// `Duration::MAX` included, is accepted.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), Timeout> {
        self.inner.shutdown(timeout)
    }

    /// [`flush`](Client::flush) as a plain [`Future`](std::future::Future),
    /// for async code: it needs no runtime (the worker wakes it when done, a
    /// timer thread at the deadline) and blocks no executor thread. The flush
    /// is requested when the future is created, so events tracked after this
    /// call are not waited for. Same result as `flush`.
    pub fn flush_async(&self, timeout: Duration) -> FlushFuture {
        let deadline = instant_after(Instant::now(), timeout);
        FlushFuture::new(self.inner.request_flush(), deadline)
    }

    /// [`shutdown`](Client::shutdown) as a plain
    /// [`Future`](std::future::Future), runtime-free like
    /// [`flush_async`](Client::flush_async). The client stops accepting
    /// events when this is called; the future completes when the worker has
    /// delivered or accounted for every event (`Err(Timeout)` past the
    /// deadline, as `shutdown`).
    pub fn shutdown_async(&self, timeout: Duration) -> ShutdownFuture {
        let begun = self.inner.begin_shutdown(timeout);
        ShutdownFuture::new(Arc::clone(&self.inner), begun)
    }

    /// A snapshot of the counters, every sink together (see
    /// [`sink_metrics`](Client::sink_metrics) for one sink's share).
    pub fn metrics(&self) -> Metrics {
        let mut total = Metrics::default();
        for lane in &self.inner.lanes {
            total.absorb(&lane.metrics());
        }
        total
    }

    /// The counters of one sink: [`DEFAULT_SINK`] (`"default"`) for the
    /// sink of [`ClientBuilder::sink`], or a name given to
    /// [`ClientBuilder::route`]; `None` for another name. They count the
    /// events routed to that sink, from `track` on (an invalid event counts
    /// on the sink it would have gone to), so the accounting invariant holds
    /// for each sink as for the total; `queue_depth` is that sink's own
    /// queue. [`Metrics::name_conflicts`] is the client's, in each, and
    /// [`Metrics::failed_lines`] is on the default sink, whose worker writes
    /// the failed-event lines.
    pub fn sink_metrics(&self, name: &str) -> Option<Metrics> {
        self.inner
            .lanes
            .iter()
            .find(|lane| lane.name == name)
            .map(Lane::metrics)
    }

    /// Every sink's name with its counters, the default sink first, then the
    /// routes in the order given. The totals of [`metrics`](Client::metrics)
    /// are their sums.
    pub fn metrics_by_sink(&self) -> Vec<(String, Metrics)> {
        self.inner
            .lanes
            .iter()
            .map(|lane| (lane.name.clone(), lane.metrics()))
            .collect()
    }
}

/// Writes `,"key":"<uuid>"` right after the `event_type` member of a compact
/// envelope of the event `name`; `false` (nothing written) if the envelope
/// does not start with that member.
fn insert_message_id(json: &mut Vec<u8>, name: &str, key: &str, id: [u8; 16]) -> bool {
    const HEAD: &[u8] = b"{\"event_type\":\"";
    let after = HEAD.len() + name.len();
    let starts = json.starts_with(HEAD)
        && json[HEAD.len()..].starts_with(name.as_bytes())
        && json.get(after) == Some(&b'"');
    if !starts {
        tracing::warn!(
            event_type = name,
            "unexpected envelope shape; message id not written"
        );
        return false;
    }
    let mut member = Vec::with_capacity(key.len() + 44);
    member.push(b',');
    crate::json::write_str(&mut member, key);
    member.push(b':');
    let text = uuid::Uuid::from_bytes(id).hyphenated().to_string();
    crate::json::write_str(&mut member, &text);
    json.splice(after + 1..after + 1, member);
    true
}

impl Inner {
    /// The lane of the event `name`: the first route that matches, else the
    /// default sink's. `None` when a route's predicate panicked.
    fn lane_for(&self, name: &str, schema: Option<&EventSchema>) -> Option<usize> {
        if self.routes.is_empty() {
            return Some(0);
        }
        catch_unwind(AssertUnwindSafe(|| {
            self.routes
                .iter()
                .find(|(route, _)| route.matches(name, schema))
                .map_or(0, |&(_, lane)| lane)
        }))
        .ok()
    }

    /// Bounds every lane's later retries and sends by `deadline`.
    fn set_deadline(&self, deadline: Instant) {
        for lane in &self.lanes {
            lane.shared.set_deadline(deadline);
        }
    }

    fn shutdown(&self, timeout: Duration) -> Result<(), Timeout> {
        let started = Instant::now();
        let Some(waiters) = self.send_shutdown(started, timeout) else {
            return Ok(());
        };
        if self.worker_ids.contains(&std::thread::current().id()) {
            // The last handle was dropped by a worker itself (a sink that
            // holds a client): it stops after this; waiting would deadlock.
            return Ok(());
        }
        // A little past the deadline: the workers need a moment to account
        // for what they could not send.
        let wait = timeout
            .saturating_sub(started.elapsed())
            .saturating_add(SHUTDOWN_GRACE);
        if !waiters.wait(wait) {
            tracing::warn!("the analytics worker did not stop in time");
            return Err(Timeout);
        }
        self.join_threads();
        Ok(())
    }

    /// Sets the deadline, closes every queue and asks every worker to stop;
    /// `None` when the client was closed already.
    fn send_shutdown(&self, started: Instant, timeout: Duration) -> Option<completion::WaitAll> {
        self.set_deadline(instant_after(started, timeout));
        if self.closed.swap(true, Ordering::AcqRel) {
            return None;
        }
        // A worker that is gone already (its queue closed) has nothing left
        // to answer for.
        Some(
            self.lanes
                .iter()
                .filter_map(|lane| {
                    let (ack, waiter) = completion::pair();
                    lane.tx.close(Msg::Shutdown(ack)).ok().map(|_| waiter)
                })
                .collect(),
        )
    }

    /// Asks every worker to answer once everything queued so far is
    /// settled; nothing to wait for when the client is shut down.
    fn request_flush(&self) -> completion::WaitAll {
        let mut waiters = completion::WaitAll::default();
        for lane in &self.lanes {
            let (ack, waiter) = completion::pair();
            if lane.tx.send(Msg::Flush(ack)).is_ok() {
                waiters.push(waiter);
            }
        }
        waiters
    }

    /// Closes the queues and asks the workers to stop within `timeout`: the
    /// non-blocking half of `shutdown`, for `shutdown_async`. `None` when
    /// there is nothing to wait for (closed already).
    fn begin_shutdown(&self, timeout: Duration) -> Option<(completion::WaitAll, Instant)> {
        let started = Instant::now();
        let waiters = self.send_shutdown(started, timeout)?;
        Some((
            waiters,
            instant_after(started, timeout.saturating_add(SHUTDOWN_GRACE)),
        ))
    }

    /// Joins the threads once the workers have answered their shutdown: they
    /// return right after, so this waits microseconds at most.
    fn join_threads(&self) {
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|p| p.into_inner()));
        for thread in threads {
            let _ = thread.join();
        }
    }
}

/// How long past the shutdown deadline `shutdown` waits for the worker to
/// account for what it could not send.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(200);

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.shutdown(self.drop_timeout);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_ms_is_the_wall_clock_in_whole_milliseconds() {
        let millis = || {
            let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
            u64::try_from(elapsed.as_millis()).unwrap()
        };
        let before = millis();
        let now = now_ms();
        let after = millis();
        assert!(
            before <= now && now <= after,
            "{before} <= {now} <= {after}"
        );
    }
}
