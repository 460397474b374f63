//! The background worker: batching by count, bytes and time; retry; spool.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::metrics::{Counters, DropReason};
use super::retry::RetryPolicy;
use super::sink::{Envelope, Sink, SinkError, SinkErrorKind};
use super::spool::{Leftovers, Spool};

/// One event as `track` queues it: its bytes and when it was tracked.
pub(crate) struct Queued {
    pub json: Vec<u8>,
    pub timestamp_ms: u64,
}

/// What the handles send to the worker.
pub(crate) enum Msg {
    Event(Queued),
    /// Deliver everything before this message, then answer.
    Flush(Sender<()>),
    /// Deliver everything before this message (within the shared deadline), then stop.
    Shutdown(Sender<()>),
}

/// State shared by the handles and the worker.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub counters: Counters,
    /// Set by `shutdown`: retries and sends stop at this instant.
    deadline: Mutex<Option<Instant>>,
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Option<Instant>> {
        self.deadline
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Bounds every later retry and send by `deadline`.
    pub fn set_deadline(&self, deadline: Instant) {
        let mut guard = self.lock();
        *guard = Some(guard.map_or(deadline, |old| old.min(deadline)));
        self.wake.notify_all();
    }

    fn deadline(&self) -> Option<Instant> {
        *self.lock()
    }

    fn past_deadline(&self) -> bool {
        self.deadline()
            .is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// Sleeps `wait`; `false` (at once) when the deadline would pass first.
    fn sleep(&self, wait: Duration) -> bool {
        let until = Instant::now() + wait;
        let mut guard = self.lock();
        loop {
            if guard.is_some_and(|deadline| deadline < until) {
                return false;
            }
            let now = Instant::now();
            if now >= until {
                return true;
            }
            guard = self
                .wake
                .wait_timeout(guard, until - now)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }
}

/// The worker's settings.
pub(crate) struct Config {
    pub max_events: usize,
    pub max_bytes: usize,
    pub max_delay: Duration,
    pub retry: RetryPolicy,
    pub nonce: [u8; 16],
}

/// Events that could not be delivered for now (retries exhausted or out of time).
struct Unsent {
    events: Vec<Envelope>,
    reason: DropReason,
}

pub(crate) struct Worker {
    sink: Box<dyn Sink>,
    config: Config,
    shared: Arc<Shared>,
    spool: Option<Spool>,
    /// Segments kept on disk after their retries ran out, oldest first.
    parked: Vec<(PathBuf, Vec<Envelope>)>,
    pending: Vec<Envelope>,
    pending_bytes: usize,
    batch_started: Option<Instant>,
    sequence: u64,
}

impl Worker {
    pub fn new(
        sink: Box<dyn Sink>,
        config: Config,
        shared: Arc<Shared>,
        spool: Option<Spool>,
    ) -> Self {
        Worker {
            sink,
            config,
            shared,
            spool,
            parked: Vec::new(),
            pending: Vec::new(),
            pending_bytes: 0,
            batch_started: None,
            sequence: 0,
        }
    }

    /// Replays `leftovers`, then serves the queue until shutdown.
    pub fn run(mut self, rx: Receiver<Msg>, leftovers: Leftovers) {
        for (path, events) in leftovers {
            self.shared
                .counters
                .replayed
                .fetch_add(events.len() as u64, ORDER);
            tracing::info!(path = %path.display(), events = events.len(), "replaying a spool segment");
            self.send_segment(Some(path), events);
        }
        loop {
            let message = match self.batch_started {
                Some(started) => {
                    let wait =
                        (started + self.config.max_delay).saturating_duration_since(Instant::now());
                    rx.recv_timeout(wait)
                }
                None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match message {
                Ok(Msg::Event(queued)) => {
                    self.shared.counters.queue_depth.fetch_sub(1, ORDER);
                    self.push(queued);
                }
                Ok(Msg::Flush(ack)) => {
                    self.send_pending();
                    self.retry_parked();
                    self.flush_sink();
                    let _ = ack.send(());
                }
                Ok(Msg::Shutdown(ack)) => {
                    // Every handle is closed: nothing can follow this message.
                    self.send_pending();
                    self.flush_sink();
                    self.finish(&rx);
                    let _ = ack.send(());
                    return;
                }
                Err(RecvTimeoutError::Timeout) => self.send_pending(),
                Err(RecvTimeoutError::Disconnected) => {
                    self.send_pending();
                    self.flush_sink();
                    self.finish(&rx);
                    return;
                }
            }
        }
    }

    /// Accounts for what is left when the worker stops.
    fn finish(&mut self, rx: &Receiver<Msg>) {
        // Nothing should be left; count anything that is, never lose it silently.
        let mut stray = Vec::new();
        while let Ok(message) = rx.try_recv() {
            if let Msg::Event(queued) = message {
                self.shared.counters.queue_depth.fetch_sub(1, ORDER);
                stray.push(self.envelope(queued));
            }
        }
        if !stray.is_empty() {
            self.settle_unsent(Unsent {
                events: stray,
                reason: DropReason::ShutdownTimeout,
            });
        }
        if !self.parked.is_empty() {
            let events: usize = self.parked.iter().map(|(_, events)| events.len()).sum();
            tracing::warn!(
                events,
                "analytics events stay in the spool for the next run"
            );
        }
    }

    fn envelope(&mut self, queued: Queued) -> Envelope {
        self.sequence += 1;
        Envelope::derived(
            queued.json,
            self.config.nonce,
            self.sequence,
            queued.timestamp_ms,
        )
    }

    fn push(&mut self, queued: Queued) {
        let envelope = self.envelope(queued);
        let size = envelope.json().len();
        if !self.pending.is_empty() && self.pending_bytes + size > self.config.max_bytes {
            self.send_pending();
        }
        if self.pending.is_empty() {
            self.batch_started = Some(Instant::now());
        }
        self.pending.push(envelope);
        self.pending_bytes += size;
        if self.pending.len() >= self.config.max_events
            || self.pending_bytes >= self.config.max_bytes
        {
            self.send_pending();
        }
    }

    fn send_pending(&mut self) {
        self.batch_started = None;
        self.pending_bytes = 0;
        if self.pending.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.pending);
        if self.shared.past_deadline() {
            self.settle_unsent(Unsent {
                events: batch,
                reason: DropReason::ShutdownTimeout,
            });
            return;
        }
        let path = match &mut self.spool {
            Some(spool) => match spool.write(&batch) {
                Ok(path) => Some(path),
                Err(error) => {
                    tracing::error!(%error, "cannot write to the spool; sending without it");
                    None
                }
            },
            None => None,
        };
        self.send_segment(path, batch);
    }

    /// Sends a batch (spooled at `path`, if any) and settles it.
    fn send_segment(&mut self, path: Option<PathBuf>, batch: Vec<Envelope>) {
        let mut unsent = Vec::new();
        let mut reason = DropReason::RetriesExhausted;
        let delivered = self.deliver(&batch, &mut unsent, &mut reason);
        let all_sent = unsent.is_empty();
        if let Some(path) = path {
            if unsent.len() == batch.len() {
                // Nothing went out: the segment on disk is exactly what is left.
                self.park(path, batch, reason);
                return;
            }
            if !all_sent {
                self.settle_unsent(Unsent {
                    events: unsent,
                    reason,
                });
            }
            if let Some(spool) = &self.spool {
                spool.remove(&path);
            }
        } else if !all_sent {
            self.settle_unsent(Unsent {
                events: unsent,
                reason,
            });
        }
        if all_sent && delivered > 0 {
            self.retry_parked();
        }
    }

    /// Keeps a spooled segment for a later attempt.
    fn park(&mut self, path: PathBuf, events: Vec<Envelope>, reason: DropReason) {
        let count = events.len() as u64;
        self.shared.counters.spooled.fetch_add(count, ORDER);
        tracing::warn!(
            events = count,
            reason = reason.as_str(),
            "analytics events kept in the spool for a later attempt"
        );
        self.parked.push((path, events));
    }

    /// With a spool, keeps `unsent` on disk for later; without, drops it.
    fn settle_unsent(&mut self, unsent: Unsent) {
        let count = unsent.events.len() as u64;
        if let Some(spool) = &mut self.spool {
            match spool.write(&unsent.events) {
                Ok(path) => {
                    self.shared.counters.spooled.fetch_add(count, ORDER);
                    tracing::warn!(
                        events = count,
                        reason = unsent.reason.as_str(),
                        "analytics events kept in the spool for a later attempt"
                    );
                    self.parked.push((path, unsent.events));
                    return;
                }
                Err(error) => {
                    tracing::error!(%error, "cannot write to the spool");
                }
            }
        }
        self.shared.counters.drop_events(unsent.reason, count);
    }

    /// Sends the parked segments again (oldest first) until one fails.
    fn retry_parked(&mut self) {
        while !self.parked.is_empty() && !self.shared.past_deadline() {
            let (path, events) = self.parked.remove(0);
            let count = events.len() as u64;
            let mut unsent = Vec::new();
            let mut reason = DropReason::RetriesExhausted;
            self.deliver(&events, &mut unsent, &mut reason);
            if unsent.len() == events.len() {
                // Still nothing goes out: keep it first, unchanged.
                self.parked.insert(0, (path, events));
                return;
            }
            self.shared.counters.spooled.fetch_sub(count, ORDER);
            let all_sent = unsent.is_empty();
            if !all_sent {
                self.settle_unsent(Unsent {
                    events: unsent,
                    reason,
                });
            }
            if let Some(spool) = &self.spool {
                spool.remove(&path);
            }
            if !all_sent {
                // Keep the order: the re-parked segment goes first next time.
                if let Some(last) = self.parked.pop() {
                    self.parked.insert(0, last);
                }
                return;
            }
        }
    }

    fn flush_sink(&mut self) {
        if let Err(error) = self.sink.flush() {
            tracing::warn!(sink = self.sink.name(), %error, "sink flush failed");
        }
    }

    fn call_sink(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        match catch_unwind(AssertUnwindSafe(|| self.sink.send(batch))) {
            Ok(result) => result,
            Err(_) => Err(SinkError::permanent("the sink panicked")),
        }
    }

    /// Sends `batch` with retries and splitting; counts what is delivered and
    /// what is dropped for good; puts what is unsent for now into `unsent`.
    /// Returns the number delivered.
    fn deliver(
        &mut self,
        batch: &[Envelope],
        unsent: &mut Vec<Envelope>,
        reason: &mut DropReason,
    ) -> usize {
        let mut attempt = 0u32;
        loop {
            if self.shared.past_deadline() {
                *reason = DropReason::ShutdownTimeout;
                unsent.extend_from_slice(batch);
                return 0;
            }
            let result = self.call_sink(batch);
            let counters = &self.shared.counters;
            let error = match result {
                Ok(()) => {
                    let bytes: usize = batch.iter().map(|e| e.json().len()).sum();
                    counters.delivered.fetch_add(batch.len() as u64, ORDER);
                    counters.batches.fetch_add(1, ORDER);
                    counters.bytes.fetch_add(bytes as u64, ORDER);
                    return batch.len();
                }
                Err(error) => error,
            };
            match error.kind() {
                SinkErrorKind::Permanent => {
                    let refused = error.rejected();
                    let refused = &refused[..refused.partition_point(|&i| i < batch.len())];
                    if !refused.is_empty() && refused.len() < batch.len() {
                        tracing::error!(
                            sink = self.sink.name(),
                            events = refused.len(),
                            error = error.message(),
                            "events rejected; sending the rest of the batch again"
                        );
                        counters.drop_events(DropReason::Rejected, refused.len() as u64);
                        let rest: Vec<Envelope> = batch
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| refused.binary_search(i).is_err())
                            .map(|(_, envelope)| envelope.clone())
                            .collect();
                        return self.deliver(&rest, unsent, reason);
                    }
                    tracing::error!(
                        sink = self.sink.name(),
                        events = batch.len(),
                        error = error.message(),
                        "batch rejected"
                    );
                    counters.drop_events(DropReason::Rejected, batch.len() as u64);
                    return 0;
                }
                SinkErrorKind::TooLarge => {
                    if batch.len() == 1 {
                        tracing::error!(
                            sink = self.sink.name(),
                            bytes = batch[0].json().len(),
                            "event too large for the sink"
                        );
                        counters.drop_events(DropReason::TooLarge, 1);
                        return 0;
                    }
                    let (left, right) = batch.split_at(batch.len() / 2);
                    tracing::debug!(events = batch.len(), "batch too large; splitting it");
                    let delivered = self.deliver(left, unsent, reason);
                    return delivered + self.deliver(right, unsent, reason);
                }
                SinkErrorKind::Retryable => {
                    if attempt >= self.config.retry.max_retries {
                        tracing::warn!(
                            sink = self.sink.name(),
                            attempts = attempt + 1,
                            error = error.message(),
                            "giving up on a batch"
                        );
                        unsent.extend_from_slice(batch);
                        return 0;
                    }
                    let wait = self.config.retry.delay(attempt, error.retry_after());
                    tracing::debug!(
                        sink = self.sink.name(),
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        error = error.message(),
                        "retrying a batch"
                    );
                    if !self.shared.sleep(wait) {
                        *reason = DropReason::ShutdownTimeout;
                        unsent.extend_from_slice(batch);
                        return 0;
                    }
                    attempt += 1;
                    counters.retried.fetch_add(1, ORDER);
                }
            }
        }
    }
}

const ORDER: std::sync::atomic::Ordering = std::sync::atomic::Ordering::AcqRel;
