//! [`ClientBuilder`]: the client's settings, checked and started by `build()`.

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::route::{self, Route, DEFAULT_SINK};
use super::sink::{JsonLinesSink, Sink};
use super::spooler::{self, SpoolConfig};
use super::worker::FailedOut;
use super::worker::{self, Delivery, Shared};
use super::{now_ms, Client, Inner, Lane, PiiPolicy, RetryPolicy};

/// Which events go when the spool reaches its byte bound
/// ([`ClientBuilder::spool_max_bytes`]); either way they are counted as
/// `spool_full` drops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpoolFull {
    /// Remove the oldest spooled segments to make room (keeps the most
    /// recent data through a long outage). The segment being sent is never
    /// removed; when nothing else can go, the new events are dropped.
    #[default]
    DropOldest,
    /// Keep what is spooled; drop the new events.
    DropNewest,
}

/// Configures and starts a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    sink: Option<Box<dyn Sink>>,
    routes: Vec<(String, Route, Box<dyn Sink>)>,
    failed: Option<Box<dyn Sink>>,
    queue_capacity: usize,
    max_batch_events: usize,
    max_batch_bytes: usize,
    max_batch_delay: Duration,
    retry: RetryPolicy,
    spool_dir: Option<PathBuf>,
    spool_sync: bool,
    spool_max_bytes: u64,
    spool_full: SpoolFull,
    pii: PiiPolicy,
    message_id_key: Option<&'static str>,
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
            routes: Vec::new(),
            failed: None,
            queue_capacity: 10_000,
            max_batch_events: 100,
            max_batch_bytes: 512 * 1024,
            max_batch_delay: Duration::from_secs(1),
            retry: RetryPolicy::default(),
            spool_dir: None,
            spool_sync: false,
            spool_max_bytes: 256 << 20,
            spool_full: SpoolFull::default(),
            pii: PiiPolicy::Keep,
            message_id_key: None,
            drop_timeout: Duration::from_secs(5),
        }
    }
}

impl ClientBuilder {
    /// Where batches go. Default: a [`JsonLinesSink`] on
    /// [`default_events_file`](super::default_events_file) (the platform data
    /// directory, never the current directory).
    pub fn sink(mut self, sink: impl Sink) -> Self {
        self.sink = Some(Box::new(sink));
        self
    }

    /// Sends the events `route` matches to `sink` instead of the default
    /// one: `name` names this sink in [`Client::sink_metrics`](super::Client::sink_metrics)
    /// (1 to 64 ASCII letters, digits, `-` or `_`; not `default`, and each
    /// name once: `build()` refuses others). Routes are tried in the order
    /// given, the first match wins; an event no route matches goes to
    /// [`sink`](ClientBuilder::sink).
    ///
    /// Each sink gets a lane of its own: its own queue of
    /// [`queue_capacity`](ClientBuilder::queue_capacity) events, its own
    /// worker thread and batches (a batch never mixes two sinks' events),
    /// and with a spool its own directory `<spool_dir>/routes/<name>`. A
    /// stalled or failing sink therefore fills and drops only its own lane.
    /// The batch, retry, spool and PII settings apply to every lane.
    ///
    /// ```
    /// use analytics_core::client::{Client, MemorySink, Route};
    ///
    /// let (billing, everything_else) = (MemorySink::new(), MemorySink::new());
    /// let client = Client::builder()
    ///     .sink(everything_else.clone())
    ///     .route("billing", Route::event_types(["purchase_completed"]), billing.clone())
    ///     .build()
    ///     .expect("client");
    /// assert!(client.sink_metrics("billing").is_some());
    /// ```
    pub fn route(
        mut self,
        name: impl Into<String>,
        route: impl Into<Route>,
        sink: impl Sink,
    ) -> Self {
        self.routes
            .push((name.into(), route.into(), Box::new(sink)));
        self
    }

    /// Where invalid events go, as failed-event lines
    /// ([`FailedEvent`](crate::failed::FailedEvent), the collector's format:
    /// reason `rule_violation`, every error, the payload with the PII policy
    /// applied and PII values redacted from the messages). Each line is one
    /// [`Envelope`](super::Envelope) whose JSON is the line, so a
    /// [`JsonLinesSink`] writes a file `analytics validate` and the collector
    /// also write. Off by default: an invalid event is then only counted.
    pub fn failed_events(mut self, sink: impl Sink) -> Self {
        self.failed = Some(Box::new(sink));
        self
    }

    /// Events the queue holds before `track` drops (default 10 000; `0` is
    /// refused by `build()`).
    pub fn queue_capacity(mut self, events: usize) -> Self {
        self.queue_capacity = events;
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

    /// A batch is sent at the latest this long after its first event (default
    /// 1 s; any duration, `Duration::MAX` included, is accepted).
    pub fn max_batch_delay(mut self, delay: Duration) -> Self {
        self.max_batch_delay = delay;
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Writes every queued event to segment files in `dir` before it is
    /// sent (within 1 ms and one disk write of `track`, whatever the sink does), and
    /// replays what an earlier run left there. The directory is created
    /// 0700, its files 0600, and it is locked: one client per directory.
    /// See `docs/guarantees.md`.
    pub fn spool_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spool_dir = Some(dir.into());
        self
    }

    /// `fsync` each spool write (survives power loss, not only a crash).
    pub fn spool_sync(mut self, sync: bool) -> Self {
        self.spool_sync = sync;
        self
    }

    /// The most bytes the spool's segment files may hold (default 256 MiB);
    /// past it, [`spool_full`](ClientBuilder::spool_full) decides what goes.
    /// Memory stays bounded by the queue and one segment (at most 4 MiB).
    pub fn spool_max_bytes(mut self, bytes: u64) -> Self {
        self.spool_max_bytes = bytes;
        self
    }

    /// What goes when the spool is full (default [`SpoolFull::DropOldest`]).
    pub fn spool_full(mut self, policy: SpoolFull) -> Self {
        self.spool_full = policy;
        self
    }

    /// What happens to PII fields (default [`PiiPolicy::Keep`]).
    pub fn pii_policy(mut self, policy: PiiPolicy) -> Self {
        self.pii = policy;
        self
    }

    /// Writes each event's message id (UUID text, stable across retries and
    /// replays) at the top level of the envelope under `key`, right after
    /// `event_type`: `{"event_type":..,"message_id":"..","event_params":{..}}`,
    /// so a receiver of the reference format or of JSON Lines can drop
    /// duplicates. Off by default (the envelope stays the reference's bytes).
    /// `key` must not be `event_type` or `event_params` (refused by `build()`).
    pub fn message_id_key(mut self, key: &'static str) -> Self {
        self.message_id_key = Some(key);
        self
    }

    /// How long the drop of the last handle waits for delivery (default 5 s).
    pub fn drop_timeout(mut self, timeout: Duration) -> Self {
        self.drop_timeout = timeout;
        self
    }

    /// Checks the settings, opens the spool (if any) and starts the worker.
    ///
    /// Errors: `queue_capacity(0)`, a bad `message_id_key`, a bad or repeated
    /// [`route`](ClientBuilder::route) name, no sink set on a
    /// platform without a data directory, a spool directory
    /// that cannot be created, written or locked (another client holds it).
    /// An event name claimed by two Rust types in this binary is logged
    /// (`tracing::warn!`) and counted in [`Metrics::name_conflicts`](super::Metrics::name_conflicts):
    /// the PII policy is not at risk (it comes from each event's own type),
    /// but receivers will see two shapes under one name.
    pub fn build(self) -> io::Result<Client> {
        let invalid = |message: String| io::Error::new(io::ErrorKind::InvalidInput, message);
        if self.queue_capacity == 0 {
            return Err(invalid(
                "queue_capacity(0): the queue must hold at least one event".to_owned(),
            ));
        }
        if let Some(key) = self.message_id_key {
            if key.is_empty() || key == "event_type" || key == "event_params" {
                return Err(invalid(format!(
                    "message_id_key({key:?}): the key must be non-empty and not an envelope key"
                )));
            }
        }
        let mut names = vec![DEFAULT_SINK];
        for (name, _, _) in &self.routes {
            route::check_name(name).map_err(invalid)?;
            if names.contains(&name.as_str()) {
                return Err(invalid(format!(
                    "route({name:?}, ..): two routes have this name; each sink needs its own"
                )));
            }
            names.push(name);
        }
        let conflicts = crate::catalog::conflicts();
        for (name, types) in &conflicts {
            tracing::warn!(
                event_type = name,
                types = ?types,
                "one event name is claimed by several Rust types"
            );
        }
        let sink = match self.sink {
            Some(sink) => sink,
            None => Box::new(JsonLinesSink::new(
                super::default_events_file().ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::NotFound,
                        "no sink configured and no data directory on this platform \
                         (no HOME / XDG_DATA_HOME / LOCALAPPDATA): call .sink(..)",
                    )
                })?,
            )),
        };
        let mut nonce = [0u8; 16];
        nonce[..8].copy_from_slice(&fastrand::u64(..).to_le_bytes());
        nonce[8..].copy_from_slice(&(now_ms() ^ u64::from(std::process::id())).to_le_bytes());
        let spool = self.spool_dir.map(|dir| {
            (
                dir,
                SpoolConfig {
                    sync: self.spool_sync,
                    max_bytes: self.spool_max_bytes,
                    full: self.spool_full,
                },
            )
        });
        let mut failed = self.failed.map(FailedOut::new);
        let failed_events = failed.is_some();
        let lanes_wanted = std::iter::once((DEFAULT_SINK.to_owned(), None, sink)).chain(
            self.routes
                .into_iter()
                .map(|(name, route, sink)| (name, Some(route), sink)),
        );
        let mut lanes = Vec::new();
        let mut routes = Vec::new();
        let mut threads = Vec::new();
        for (index, (name, route, sink)) in lanes_wanted.enumerate() {
            let shared = Arc::new(Shared::default());
            shared
                .counters
                .name_conflicts
                .store(conflicts.len() as u64, std::sync::atomic::Ordering::Release);
            // Each lane numbers its own events: its own nonce keeps derived
            // message ids distinct across lanes.
            let mut lane_nonce = nonce;
            lane_nonce[0] ^= index as u8;
            lane_nonce[1] ^= (index >> 8) as u8;
            let delivery = Delivery {
                name: worker::sink_name(&*sink),
                sink,
                config: worker::Config {
                    max_events: self.max_batch_events,
                    max_bytes: self.max_batch_bytes,
                    max_delay: self.max_batch_delay,
                    retry: self.retry.clone(),
                    nonce: lane_nonce,
                },
                shared: Arc::clone(&shared),
            };
            // The failed-events sink is served by the default lane.
            let failed = if index == 0 { failed.take() } else { None };
            let (tx, rx) = super::queue::channel(self.queue_capacity as u64);
            let label = if index == 0 {
                String::new()
            } else {
                format!("-{name}")
            };
            let spawn =
                |role: &str| std::thread::Builder::new().name(format!("analytics-{role}{label}"));
            match &spool {
                Some((dir, config)) => {
                    let dir = if index == 0 {
                        dir.clone()
                    } else {
                        dir.join("routes").join(&name)
                    };
                    let (writer, reader) = spooler::open(dir, config.clone(), delivery, failed)?;
                    threads.push(spawn("worker").spawn(move || reader.run())?);
                    threads.push(spawn("spool").spawn(move || writer.run(rx))?);
                }
                None => {
                    let worker = worker::Worker::new(rx, delivery, failed);
                    threads.push(spawn("worker").spawn(move || worker.run())?);
                }
            }
            if let Some(route) = route {
                routes.push((route, index));
            }
            lanes.push(Lane { name, tx, shared });
        }
        Ok(Client {
            inner: Arc::new(Inner {
                lanes,
                routes,
                closed: AtomicBool::new(false),
                pii: self.pii,
                message_id_key: self.message_id_key,
                failed_events,
                worker_ids: threads.iter().map(|t| t.thread().id()).collect(),
                threads: Mutex::new(threads),
                drop_timeout: self.drop_timeout,
            }),
        })
    }
}
