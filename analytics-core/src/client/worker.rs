//! Delivery: the retrying, splitting call into the sink shared by both
//! workers, and the in-memory worker used without a spool (batching by count,
//! bytes and time). With a spool, [`super::spooler`] runs instead.

use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::completion::Ack;
use super::metrics::{Counters, DropReason};
use super::queue::{Block, Meta, Receiver, Want};
use super::retry::RetryPolicy;
use super::sink::{Envelope, Sink, SinkError, SinkErrorKind};

/// Logs one `tracing` line from a worker thread (or from `track`). The
/// subscriber is the application's code, and so is a sink's `name()`: a
/// panic in either is caught here, losing that line, never the worker and
/// the events it holds.
macro_rules! guarded_log {
    ($level:ident!($($line:tt)*)) => {{
        let _ = ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| {
            ::tracing::$level!($($line)*)
        }));
    }};
}
pub(crate) use guarded_log;

/// A sink's `name()`, asked once (it is user code: a panic gives a stand-in
/// name), so that the worker's log lines do not call into the sink.
pub(crate) fn sink_name(sink: &dyn Sink) -> String {
    catch_unwind(AssertUnwindSafe(|| sink.name().to_owned()))
        .unwrap_or_else(|_| "<a sink whose name() panicked>".to_owned())
}

/// The failed-events sink, guarded like the main one; a failure is logged
/// (the events are counted as `invalid` already).
pub(crate) struct FailedOut {
    sink: Box<dyn Sink>,
    name: String,
}

impl FailedOut {
    pub fn new(sink: Box<dyn Sink>) -> Self {
        let name = sink_name(&*sink);
        FailedOut { sink, name }
    }

    /// Hands one line to the sink, then flushes it.
    pub fn send(&mut self, line: Vec<u8>, counters: &Counters) {
        let envelope = Envelope::new(line, [0; 16], super::now_ms());
        let result = catch_unwind(AssertUnwindSafe(|| {
            self.sink.send(std::slice::from_ref(&envelope))?;
            self.sink.flush()
        }));
        match result {
            Ok(Ok(())) => {
                counters.failed_lines.fetch_add(1, ORDER);
            }
            Ok(Err(error)) => {
                guarded_log!(
                    warn!(sink = self.name.as_str(), %error, "cannot write a failed-event line")
                );
            }
            Err(payload) => {
                guarded_log!(error!(
                    sink = self.name.as_str(),
                    panic = panic_message(payload.as_ref()),
                    "the failed-events sink panicked"
                ));
            }
        }
    }
}

/// What the handles send to the worker (or, with a spool, to the spool writer).
pub(crate) enum Msg {
    /// Events, in the order tracked (each takes a queue slot).
    Events(Block),
    /// A failed-event line for the failed-events sink (takes a queue slot).
    Failed(Vec<u8>),
    /// Deliver everything before this message, then answer.
    Flush(Ack),
    /// Deliver everything before this message (within the shared deadline), then stop.
    Shutdown(Ack),
}

impl Msg {
    /// How many events this message carries (a block counts its events).
    pub(crate) fn events(&self) -> usize {
        match self {
            Msg::Events(block) => block.len(),
            _ => 0,
        }
    }
}

/// `now + wait`, saturated: a wait too long to represent ends in 30 years.
pub(crate) fn instant_after(now: Instant, wait: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(30 * 365 * 24 * 3600);
    now.checked_add(wait)
        .or_else(|| now.checked_add(FAR))
        .unwrap_or(now)
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

    pub fn deadline(&self) -> Option<Instant> {
        *self.lock()
    }

    pub fn past_deadline(&self) -> bool {
        self.deadline()
            .is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// Sleeps `wait`; `false` (at once) when the deadline would pass first.
    fn sleep(&self, wait: Duration) -> bool {
        let until = instant_after(Instant::now(), wait);
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

/// The sink with the retry policy: every call into the sink goes through
/// here, guarded against panics.
pub(crate) struct Delivery {
    pub sink: Box<dyn Sink>,
    /// [`sink_name`] of `sink`.
    pub name: String,
    pub config: Config,
    pub shared: Arc<Shared>,
}

/// The message of a caught panic, for the log.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-string panic payload")
}

impl Delivery {
    /// Calls the sink's `flush`; a failure or a panic is logged (the events
    /// were acknowledged by `send` already).
    pub fn flush_sink(&mut self) {
        match catch_unwind(AssertUnwindSafe(|| self.sink.flush())) {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                guarded_log!(warn!(sink = self.name.as_str(), %error, "sink flush failed"));
            }
            Err(payload) => {
                guarded_log!(error!(
                    sink = self.name.as_str(),
                    panic = panic_message(payload.as_ref()),
                    "the sink panicked in flush"
                ));
            }
        }
    }

    /// `None` when the sink panicked.
    fn call_sink(&mut self, batch: &[Envelope]) -> Option<Result<(), SinkError>> {
        match catch_unwind(AssertUnwindSafe(|| self.sink.send(batch))) {
            Ok(result) => Some(result),
            Err(payload) => {
                guarded_log!(error!(
                    sink = self.name.as_str(),
                    events = batch.len(),
                    panic = panic_message(payload.as_ref()),
                    "the sink panicked in send"
                ));
                None
            }
        }
    }

    /// Sends `batch` with retries and splitting; counts what is delivered and
    /// what is dropped for good; puts what is unsent for now into `unsent`
    /// (in order), with the reason it would be dropped under. Returns the
    /// number delivered.
    pub fn deliver(
        &mut self,
        batch: &[Envelope],
        unsent: &mut Vec<Envelope>,
        reason: &mut DropReason,
    ) -> usize {
        let mut attempt = 0u32;
        // What is left to retry: the batch, or after a partial answer (some
        // events throttled) the throttled ones.
        let mut retrying: Vec<Envelope>;
        let mut batch = batch;
        let mut delivered = 0;
        loop {
            if self.shared.past_deadline() {
                *reason = DropReason::ShutdownTimeout;
                unsent.extend_from_slice(batch);
                return delivered;
            }
            let shared = Arc::clone(&self.shared);
            let counters = &shared.counters;
            let Some(result) = self.call_sink(batch) else {
                counters.drop_events(DropReason::SinkPanicked, batch.len() as u64);
                return delivered;
            };
            let error = match result {
                Ok(()) => {
                    let bytes: usize = batch.iter().map(|e| e.json().len()).sum();
                    counters.delivered.fetch_add(batch.len() as u64, ORDER);
                    counters.batches.fetch_add(1, ORDER);
                    counters.bytes.fetch_add(bytes as u64, ORDER);
                    return delivered + batch.len();
                }
                Err(error) => error,
            };
            match error.kind() {
                SinkErrorKind::Permanent => {
                    let refused = in_batch(error.rejected(), batch);
                    if !refused.is_empty() && refused.len() < batch.len() {
                        guarded_log!(error!(
                            sink = self.name.as_str(),
                            events = refused.len(),
                            error = error.message(),
                            "events rejected; sending the rest of the batch again"
                        ));
                        counters.drop_events(DropReason::Rejected, refused.len() as u64);
                        let rest: Vec<Envelope> = batch
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| refused.binary_search(i).is_err())
                            .map(|(_, envelope)| envelope.clone())
                            .collect();
                        return delivered + self.deliver(&rest, unsent, reason);
                    }
                    guarded_log!(error!(
                        sink = self.name.as_str(),
                        events = batch.len(),
                        error = error.message(),
                        "batch rejected"
                    ));
                    counters.drop_events(DropReason::Rejected, batch.len() as u64);
                    return delivered;
                }
                SinkErrorKind::TooLarge => {
                    if batch.len() == 1 {
                        guarded_log!(error!(
                            sink = self.name.as_str(),
                            bytes = batch[0].json().len(),
                            "event too large for the sink"
                        ));
                        counters.drop_events(DropReason::TooLarge, 1);
                        return delivered;
                    }
                    let (left, right) = batch.split_at(batch.len() / 2);
                    guarded_log!(debug!(
                        events = batch.len(),
                        "batch too large; splitting it"
                    ));
                    delivered += self.deliver(left, unsent, reason);
                    return delivered + self.deliver(right, unsent, reason);
                }
                SinkErrorKind::Retryable => {
                    let refused = in_batch(error.rejected(), batch);
                    let throttled = in_batch(error.throttled(), batch);
                    if !refused.is_empty()
                        || (!throttled.is_empty() && throttled.len() < batch.len())
                    {
                        // A partial answer: drop the refused events, send
                        // the ones not throttled again at once, and go on
                        // retrying the throttled ones alone.
                        let (mut now, mut later) = (Vec::new(), Vec::new());
                        for (i, envelope) in batch.iter().enumerate() {
                            if refused.binary_search(&i).is_ok() {
                                continue;
                            }
                            if throttled.is_empty() || throttled.binary_search(&i).is_ok() {
                                later.push(envelope.clone());
                            } else {
                                now.push(envelope.clone());
                            }
                        }
                        guarded_log!(warn!(
                            sink = self.name.as_str(),
                            rejected = refused.len(),
                            throttled = later.len(),
                            resent = now.len(),
                            error = error.message(),
                            "some events of a batch refused or throttled"
                        ));
                        counters.drop_events(DropReason::Rejected, refused.len() as u64);
                        if !now.is_empty() {
                            delivered += self.deliver(&now, unsent, reason);
                        }
                        if later.is_empty() {
                            return delivered;
                        }
                        retrying = later;
                        batch = &retrying;
                    }
                    if attempt >= self.config.retry.max_retries {
                        guarded_log!(warn!(
                            sink = self.name.as_str(),
                            attempts = attempt.saturating_add(1),
                            error = error.message(),
                            "giving up on a batch"
                        ));
                        unsent.extend_from_slice(batch);
                        return delivered;
                    }
                    let wait = self.config.retry.delay(attempt, error.retry_after());
                    guarded_log!(debug!(
                        sink = self.name.as_str(),
                        attempt,
                        wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                        error = error.message(),
                        "retrying a batch"
                    ));
                    if !self.shared.sleep(wait) {
                        *reason = DropReason::ShutdownTimeout;
                        unsent.extend_from_slice(batch);
                        return delivered;
                    }
                    attempt += 1;
                    counters.retried.fetch_add(1, ORDER);
                }
            }
        }
    }
}

/// The indices (sorted) of `indices` that name an event of `batch`: a
/// sink's error may name events past it, which are ignored.
fn in_batch<'i>(indices: &'i [usize], batch: &[Envelope]) -> &'i [usize] {
    &indices[..indices.partition_point(|&i| i < batch.len())]
}

/// The worker without a spool: events live in memory until delivered or
/// dropped with a reason.
pub(crate) struct Worker {
    rx: Receiver,
    delivery: Delivery,
    failed: Option<FailedOut>,
    pending: Vec<Envelope>,
    pending_bytes: usize,
    batch_started: Option<Instant>,
    sequence: u64,
    /// Events (and failed-event lines) taken from the queue whose slots are
    /// not given back yet: given back together, before any call that may
    /// block and once per wake, so the queue bound still holds while the
    /// sink stalls, at one atomic operation per batch instead of per event.
    taken: u64,
    /// Blocks whose bytes are lent to envelopes (pending or being sent):
    /// back to the queue once no envelope holds them.
    lent: Vec<(Block, Arc<Vec<u8>>)>,
    /// Blocks to give back to the queue.
    spent: Vec<Block>,
}

/// Blocks lent past this many are left to their holders rather than
/// waited for.
const MAX_LENT: usize = 64;

impl Worker {
    pub fn new(rx: Receiver, delivery: Delivery, failed: Option<FailedOut>) -> Self {
        Worker {
            rx,
            delivery,
            failed,
            pending: Vec::new(),
            pending_bytes: 0,
            batch_started: None,
            sequence: 0,
            taken: 0,
            lent: Vec::new(),
            spent: Vec::new(),
        }
    }

    /// Serves the queue until shutdown.
    pub fn run(mut self) {
        let mut inbox = Vec::new();
        loop {
            let config = &self.delivery.config;
            // Asleep until the open batch is full or due, or a control
            // message comes: no wake-up per event.
            let want = match self.batch_started {
                Some(started) => Want {
                    events: config.max_events.saturating_sub(self.pending.len()).max(1),
                    bytes: config.max_bytes.saturating_sub(self.pending_bytes).max(1),
                    until: Some(instant_after(started, config.max_delay)),
                },
                None => Want::ANY,
            };
            // The blocks spent in the last round go back in the same hold
            // of the lock.
            if self
                .rx
                .recycle_and_recv(&mut self.spent, want, &mut inbox)
                .is_err()
            {
                // Every handle is gone and nothing is queued.
                self.send_pending();
                self.delivery.flush_sink();
                self.finish(Vec::new());
                return;
            }
            let mut messages = inbox.drain(..);
            while let Some(message) = messages.next() {
                match message {
                    Msg::Events(mut block) => {
                        let bytes = Arc::new(block.take_bytes());
                        for (range, meta) in block.ranges() {
                            self.taken += 1;
                            self.push(&bytes, range, meta);
                        }
                        self.lent.push((block, bytes));
                    }
                    Msg::Failed(line) => {
                        self.taken += 1;
                        self.release_slots();
                        let counters = &self.delivery.shared.counters;
                        if let Some(failed) = &mut self.failed {
                            failed.send(line, counters);
                        }
                    }
                    Msg::Flush(ack) => {
                        self.send_pending();
                        self.delivery.flush_sink();
                        ack.done();
                    }
                    Msg::Shutdown(ack) => {
                        // Every handle is closed: nothing can follow this message.
                        self.send_pending();
                        self.delivery.flush_sink();
                        let rest = messages.collect();
                        self.finish(rest);
                        ack.done();
                        return;
                    }
                }
            }
            drop(messages);
            self.release_slots();
            self.reclaim();
            let due = self.batch_started.is_some_and(|started| {
                Instant::now() >= instant_after(started, self.delivery.config.max_delay)
            });
            if due {
                self.send_pending();
            }
        }
    }

    /// Accounts for what is left when the worker stops: `rest` (what came
    /// after the shutdown in the last take) and anything still queued.
    fn finish(&mut self, rest: Vec<Msg>) {
        // Nothing should be left; count anything that is, never lose it silently.
        let mut queued = Vec::new();
        let rx = &self.rx;
        rx.try_recv(&mut queued);
        let counters = &self.delivery.shared.counters;
        let (mut slots, mut stray) = (0, 0);
        for message in rest.iter().chain(&queued) {
            match message {
                Msg::Events(block) => {
                    slots += block.len();
                    stray += block.len();
                }
                Msg::Failed(_) => slots += 1,
                Msg::Flush(_) | Msg::Shutdown(_) => {}
            }
        }
        rx.release(slots as u64);
        counters.drop_events(DropReason::ShutdownTimeout, stray as u64);
    }

    /// Moves the blocks no envelope holds any more to `spent`.
    fn reclaim(&mut self) {
        let mut index = 0;
        while index < self.lent.len() {
            if Arc::strong_count(&self.lent[index].1) > 1 {
                index += 1;
                continue;
            }
            let (mut block, bytes) = self.lent.swap_remove(index);
            if let Ok(bytes) = Arc::try_unwrap(bytes) {
                block.restore_bytes(bytes);
                self.spent.push(block);
            }
        }
        if self.lent.len() > MAX_LENT {
            let extra = self.lent.len() - MAX_LENT;
            self.lent.drain(..extra);
        }
    }

    /// Adds one queued event (its bytes lent from `block`) to the open
    /// batch, sending the batch when it is full.
    fn push(&mut self, block: &Arc<Vec<u8>>, range: Range<usize>, meta: Meta) {
        self.sequence += 1;
        let mut envelope = Envelope::lent(
            Arc::clone(block),
            range,
            meta.message_id,
            (self.delivery.config.nonce, self.sequence),
            meta.timestamp_ms,
        );
        if let Some(schema) = meta.schema {
            envelope = envelope.with_schema(schema);
        }
        let size = envelope.json().len();
        let max_bytes = self.delivery.config.max_bytes;
        if !self.pending.is_empty() && self.pending_bytes + size > max_bytes {
            self.send_pending();
        }
        if self.pending.is_empty() {
            self.batch_started = Some(Instant::now());
        }
        self.pending.push(envelope);
        self.pending_bytes += size;
        if self.pending.len() >= self.delivery.config.max_events || self.pending_bytes >= max_bytes
        {
            self.send_pending();
        }
    }

    /// Gives the queue back the slots of what was taken from it.
    fn release_slots(&mut self) {
        self.rx.release(self.taken);
        self.taken = 0;
    }

    fn send_pending(&mut self) {
        self.release_slots();
        self.batch_started = None;
        self.pending_bytes = 0;
        if self.pending.is_empty() {
            return;
        }
        let batch = std::mem::take(&mut self.pending);
        let shared = Arc::clone(&self.delivery.shared);
        if shared.past_deadline() {
            shared
                .counters
                .drop_events(DropReason::ShutdownTimeout, batch.len() as u64);
            return;
        }
        let mut unsent = Vec::new();
        let mut reason = DropReason::RetriesExhausted;
        self.delivery.deliver(&batch, &mut unsent, &mut reason);
        shared.counters.drop_events(reason, unsent.len() as u64);
        // Settled: the blocks they were lent from can go back, and the
        // batch's vector stays for the next batch.
        let mut batch = batch;
        batch.clear();
        self.pending = batch;
    }
}

pub(crate) const ORDER: std::sync::atomic::Ordering = std::sync::atomic::Ordering::AcqRel;
