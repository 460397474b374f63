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
//! Guarantees: `track` never blocks on I/O (a full queue is an error and a
//! counted `queue_full` drop); every event is delivered, counted as dropped
//! with a [`DropReason`], or (with a spool) kept on disk for a later attempt;
//! with a spool, delivery is at-least-once across crashes, and each event
//! keeps its [`message id`](Envelope::message_id) across replays.

use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::schema::EventSchema;
use crate::validate::ValidationErrors;
use crate::{EventCatalog, Trackable};

mod metrics;
mod pii;
mod retry;
pub mod sink;
pub mod spool;
mod worker;

pub use metrics::{DropCounts, DropReason, Metrics};
pub use pii::PiiPolicy;
pub use retry::RetryPolicy;
pub use sink::{Envelope, JsonLinesSink, MemorySink, Sink, SinkError, SinkErrorKind, StdoutSink};
#[cfg(feature = "http")]
pub use sink::{HeaderProvider, HeaderRequest, HttpFormat, HttpSink, UnknownFormat};

use worker::{Msg, Queued, Shared};

/// Unix time in milliseconds.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as u64)
        .unwrap_or(0)
}

/// An `EventCatalog` enum seen as one event.
struct CatalogEvent<'a, C>(&'a C);

/// The schema of an event missing from the catalog: no field, so no PII.
static UNKNOWN_SCHEMA: EventSchema = EventSchema {
    name: "",
    version: 1,
    description: "",
    fields: &[],
    rust_type: "",
    envelope: &[],
    checks: &[],
    write_only: false,
};

impl<C: EventCatalog> Trackable for CatalogEvent<'_, C> {
    fn event_name(&self) -> &'static str {
        self.0.event_type()
    }
    fn event_schema(&self) -> &'static EventSchema {
        crate::catalog::get(self.0.event_type()).unwrap_or_else(|| {
            tracing::warn!(
                event_type = self.0.event_type(),
                "event missing from the catalog; PII policy not applied"
            );
            &UNKNOWN_SCHEMA
        })
    }
    fn validate_event(&self) -> Result<(), ValidationErrors> {
        self.0.validate()
    }
    fn write_envelope(&self, out: &mut Vec<u8>) {
        self.0.write_json(out)
    }
}

/// Why `track` did not queue an event (the event is counted as dropped).
#[derive(Debug)]
#[non_exhaustive]
pub enum TrackError {
    /// The event broke its field rules; it was not sent.
    Invalid(ValidationErrors),
    /// The queue was full; the event was dropped.
    QueueFull,
    /// The client was shut down.
    Closed,
}

impl TrackError {
    /// The drop reason this error was counted under.
    pub fn reason(&self) -> DropReason {
        match self {
            TrackError::Invalid(_) => DropReason::Invalid,
            TrackError::QueueFull => DropReason::QueueFull,
            TrackError::Closed => DropReason::Closed,
        }
    }
}

impl fmt::Display for TrackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrackError::Invalid(errors) => write!(f, "invalid analytics event:\n{errors}"),
            TrackError::QueueFull => f.write_str("the analytics queue is full; event dropped"),
            TrackError::Closed => f.write_str("the analytics client is shut down; event dropped"),
        }
    }
}

impl std::error::Error for TrackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TrackError::Invalid(errors) => Some(errors),
            _ => None,
        }
    }
}

/// `flush` or `shutdown` did not complete in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout;

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("analytics delivery did not complete in time")
    }
}

impl std::error::Error for Timeout {}

/// Configures and starts a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    sink: Option<Box<dyn Sink>>,
    queue_capacity: usize,
    max_batch_events: usize,
    max_batch_bytes: usize,
    max_batch_delay: Duration,
    retry: RetryPolicy,
    spool_dir: Option<PathBuf>,
    spool_sync: bool,
    pii: PiiPolicy,
    drop_timeout: Duration,
}

impl fmt::Debug for dyn Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sink({})", self.name())
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            sink: None,
            queue_capacity: 10_000,
            max_batch_events: 100,
            max_batch_bytes: 512 * 1024,
            max_batch_delay: Duration::from_secs(1),
            retry: RetryPolicy::default(),
            spool_dir: None,
            spool_sync: false,
            pii: PiiPolicy::Keep,
            drop_timeout: Duration::from_secs(5),
        }
    }
}

impl ClientBuilder {
    /// Where batches go. Default: a [`JsonLinesSink`] on `analytics-events.jsonl`
    /// in the current directory.
    pub fn sink(mut self, sink: impl Sink) -> Self {
        self.sink = Some(Box::new(sink));
        self
    }

    /// Events the queue holds before `track` drops (default 10 000).
    pub fn queue_capacity(mut self, events: usize) -> Self {
        self.queue_capacity = events.max(1);
        self
    }

    /// A batch is sent once it has this many events (default 100).
    pub fn max_batch_events(mut self, events: usize) -> Self {
        self.max_batch_events = events.max(1);
        self
    }

    /// A batch is sent before it would exceed this many bytes of envelopes
    /// (default 512 KiB; a larger single event goes alone).
    pub fn max_batch_bytes(mut self, bytes: usize) -> Self {
        self.max_batch_bytes = bytes.max(1);
        self
    }

    /// A batch is sent at the latest this long after its first event (default 1 s).
    pub fn max_batch_delay(mut self, delay: Duration) -> Self {
        self.max_batch_delay = delay;
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Spools batches in `dir` before sending them, and replays what an
    /// earlier run left there (see [`spool`]).
    pub fn spool_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spool_dir = Some(dir.into());
        self
    }

    /// `fsync` each spool segment (survives power loss, not only a crash).
    pub fn spool_sync(mut self, sync: bool) -> Self {
        self.spool_sync = sync;
        self
    }

    /// What happens to PII fields (default [`PiiPolicy::Keep`]).
    pub fn pii_policy(mut self, policy: PiiPolicy) -> Self {
        self.pii = policy;
        self
    }

    /// How long the drop of the last handle waits for delivery (default 5 s).
    pub fn drop_timeout(mut self, timeout: Duration) -> Self {
        self.drop_timeout = timeout;
        self
    }

    /// Opens the spool (if any) and starts the worker thread.
    pub fn build(self) -> std::io::Result<Client> {
        let sink = self
            .sink
            .unwrap_or_else(|| Box::new(JsonLinesSink::new("analytics-events.jsonl")));
        let (spool, leftovers) = match self.spool_dir {
            Some(dir) => {
                let (spool, leftovers) = spool::Spool::open(dir, self.spool_sync)?;
                (Some(spool), leftovers)
            }
            None => (None, Vec::new()),
        };
        let shared = Arc::new(Shared::default());
        let mut nonce = [0u8; 16];
        nonce[..8].copy_from_slice(&fastrand::u64(..).to_le_bytes());
        nonce[8..].copy_from_slice(&(now_ms() ^ u64::from(std::process::id())).to_le_bytes());
        let config = worker::Config {
            max_events: self.max_batch_events,
            max_bytes: self.max_batch_bytes,
            max_delay: self.max_batch_delay,
            retry: self.retry,
            nonce,
        };
        let (tx, rx) = mpsc::channel();
        let worker = worker::Worker::new(sink, config, Arc::clone(&shared), spool);
        let handle = std::thread::Builder::new()
            .name("analytics-worker".to_owned())
            .spawn(move || worker.run(rx, leftovers))?;
        Ok(Client {
            inner: Arc::new(Inner {
                tx: RwLock::new(Some(tx)),
                shared,
                capacity: self.queue_capacity as u64,
                pii: self.pii,
                worker_id: handle.thread().id(),
                worker: Mutex::new(Some(handle)),
                drop_timeout: self.drop_timeout,
            }),
        })
    }
}

/// The delivery client: cheap to clone (all clones share one queue and one
/// worker); the drop of the last clone shuts it down within the drop timeout.
///
/// Usable from any thread and from inside any async runtime: `track` only
/// validates, serializes and queues. `flush`, `shutdown` and the drop of the
/// last clone wait (bounded by their timeout); in async code call them from
/// a blocking context (`spawn_blocking`) or at the end of `main`.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    tx: RwLock<Option<Sender<Msg>>>,
    shared: Arc<Shared>,
    capacity: u64,
    pii: PiiPolicy,
    worker: Mutex<Option<JoinHandle<()>>>,
    worker_id: std::thread::ThreadId,
    drop_timeout: Duration,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("metrics", &self.metrics())
            .finish_non_exhaustive()
    }
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
    /// client is an error too. Every error is counted as a drop.
    pub fn track<E: Trackable>(&self, event: E) -> Result<(), TrackError> {
        self.track_ref(&event)
    }

    /// [`track`](Client::track) by reference.
    pub fn track_ref<E: Trackable + ?Sized>(&self, event: &E) -> Result<(), TrackError> {
        let counters = &self.inner.shared.counters;
        counters.tracked.fetch_add(1, Ordering::AcqRel);
        if let Err(errors) = event.validate_event() {
            counters.drop_events(DropReason::Invalid, 1);
            return Err(TrackError::Invalid(errors));
        }
        let tx = self.inner.tx.read().unwrap_or_else(|p| p.into_inner());
        let Some(tx) = tx.as_ref() else {
            counters.drop_events(DropReason::Closed, 1);
            return Err(TrackError::Closed);
        };
        // Reserve a slot before serializing: a full queue costs no serialization.
        let depth = counters.queue_depth.fetch_add(1, Ordering::AcqRel);
        if depth >= self.inner.capacity {
            counters.queue_depth.fetch_sub(1, Ordering::AcqRel);
            counters.drop_events(DropReason::QueueFull, 1);
            return Err(TrackError::QueueFull);
        }
        let mut json = Vec::with_capacity(1024);
        event.write_envelope(&mut json);
        let json = match &self.inner.pii {
            PiiPolicy::Keep => json,
            policy => policy.apply(event.event_schema(), json),
        };
        let queued = Queued {
            json,
            timestamp_ms: now_ms(),
        };
        counters.enqueued.fetch_add(1, Ordering::AcqRel);
        if tx.send(Msg::Event(queued)).is_err() {
            // The worker is gone (it panicked): count, never lose silently.
            counters.enqueued.fetch_sub(1, Ordering::AcqRel);
            counters.queue_depth.fetch_sub(1, Ordering::AcqRel);
            counters.drop_events(DropReason::Closed, 1);
            return Err(TrackError::Closed);
        }
        Ok(())
    }

    /// Tracks the event inside an `#[derive(EventCatalog)]` enum (its schema,
    /// for the PII policy, comes from the process-wide catalog).
    pub fn track_catalog<C: EventCatalog>(&self, event: &C) -> Result<(), TrackError> {
        self.track_ref(&CatalogEvent(event))
    }

    /// Waits until every event queued before this call is delivered or
    /// settled (dropped with a reason, or parked in the spool). `Err(Timeout)`
    /// if that takes longer than `timeout` (delivery goes on). Ok at once
    /// after shutdown.
    pub fn flush(&self, timeout: Duration) -> Result<(), Timeout> {
        let (ack_tx, ack_rx) = mpsc::channel();
        {
            let tx = self.inner.tx.read().unwrap_or_else(|p| p.into_inner());
            let Some(tx) = tx.as_ref() else {
                return Ok(());
            };
            if tx.send(Msg::Flush(ack_tx)).is_err() {
                return Ok(());
            }
        }
        ack_rx.recv_timeout(timeout).map_err(|_| Timeout)
    }

    /// Stops accepting events, delivers what is queued within `timeout`, and
    /// stops the worker. Events still unsent at the deadline are counted as
    /// `shutdown_timeout` drops (or, with a spool, left in it for the next
    /// run). Closes every clone. `Err(Timeout)` if the worker did not finish
    /// in time (a send in progress when the deadline passed).
    pub fn shutdown(&self, timeout: Duration) -> Result<(), Timeout> {
        self.inner.shutdown(timeout)
    }

    /// A snapshot of the counters.
    pub fn metrics(&self) -> Metrics {
        self.inner.shared.counters.snapshot()
    }
}

impl Inner {
    fn shutdown(&self, timeout: Duration) -> Result<(), Timeout> {
        let started = Instant::now();
        self.shared.set_deadline(started + timeout);
        let tx = self.tx.write().unwrap_or_else(|p| p.into_inner()).take();
        let Some(tx) = tx else {
            return Ok(());
        };
        let (ack_tx, ack_rx) = mpsc::channel();
        let sent = tx.send(Msg::Shutdown(ack_tx)).is_ok();
        drop(tx);
        if std::thread::current().id() == self.worker_id {
            // The last handle was dropped by the worker itself (a sink that
            // holds a client): it stops after this; waiting would deadlock.
            return Ok(());
        }
        // A little past the deadline: the worker needs a moment to account
        // for what it could not send.
        let wait = timeout.saturating_sub(started.elapsed()) + Duration::from_millis(200);
        if sent && ack_rx.recv_timeout(wait).is_err() {
            tracing::warn!("the analytics worker did not stop in time");
            return Err(Timeout);
        }
        let handle = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
        Ok(())
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.shutdown(self.drop_timeout);
    }
}
