//! Delivery counters: what the client did with every event it was given.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why an event was not delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// The queue was full when `track` was called.
    QueueFull,
    /// The event failed validation.
    Invalid,
    /// The event alone was larger than the sink accepts (HTTP 413 on a single event).
    TooLarge,
    /// The sink refused the batch permanently (HTTP 4xx other than 408, 413, 429).
    Rejected,
    /// Every retry of the policy failed.
    RetriesExhausted,
    /// `shutdown` (or the drop of the last handle) ran out of time first.
    ShutdownTimeout,
    /// `track` was called after `shutdown`.
    Closed,
}

impl DropReason {
    /// Every reason, in the order of [`DropCounts`]'s fields.
    pub const ALL: [DropReason; 7] = [
        DropReason::QueueFull,
        DropReason::Invalid,
        DropReason::TooLarge,
        DropReason::Rejected,
        DropReason::RetriesExhausted,
        DropReason::ShutdownTimeout,
        DropReason::Closed,
    ];

    /// The snake_case name used in logs: `queue_full`, `invalid`...
    pub const fn as_str(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue_full",
            DropReason::Invalid => "invalid",
            DropReason::TooLarge => "too_large",
            DropReason::Rejected => "rejected",
            DropReason::RetriesExhausted => "retries_exhausted",
            DropReason::ShutdownTimeout => "shutdown_timeout",
            DropReason::Closed => "closed",
        }
    }

    const fn index(self) -> usize {
        match self {
            DropReason::QueueFull => 0,
            DropReason::Invalid => 1,
            DropReason::TooLarge => 2,
            DropReason::Rejected => 3,
            DropReason::RetriesExhausted => 4,
            DropReason::ShutdownTimeout => 5,
            DropReason::Closed => 6,
        }
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Events dropped, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DropCounts {
    /// The queue was full.
    pub queue_full: u64,
    /// The event failed validation.
    pub invalid: u64,
    /// A single event was too large for the sink.
    pub too_large: u64,
    /// The sink refused the batch permanently.
    pub rejected: u64,
    /// The retry policy gave up.
    pub retries_exhausted: u64,
    /// Shutdown ran out of time.
    pub shutdown_timeout: u64,
    /// Tracked after shutdown.
    pub closed: u64,
}

impl DropCounts {
    /// All drops, every reason together.
    pub fn total(&self) -> u64 {
        self.queue_full
            + self.invalid
            + self.too_large
            + self.rejected
            + self.retries_exhausted
            + self.shutdown_timeout
            + self.closed
    }

    /// The count for one reason.
    pub fn get(&self, reason: DropReason) -> u64 {
        match reason {
            DropReason::QueueFull => self.queue_full,
            DropReason::Invalid => self.invalid,
            DropReason::TooLarge => self.too_large,
            DropReason::Rejected => self.rejected,
            DropReason::RetriesExhausted => self.retries_exhausted,
            DropReason::ShutdownTimeout => self.shutdown_timeout,
            DropReason::Closed => self.closed,
        }
    }
}

/// A snapshot of the client's counters ([`Client::metrics`](super::Client::metrics)).
///
/// The invariant, once the client is idle (after `flush` or `shutdown`
/// completed): `tracked + replayed == delivered + dropped.total() + spooled`.
/// Every event handed to `track` is delivered, counted as dropped with a
/// reason, or (with a spool) left on disk for the next run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Calls to `track` (every event handed to the client).
    pub tracked: u64,
    /// Events accepted into the queue.
    pub enqueued: u64,
    /// Events the sink acknowledged.
    pub delivered: u64,
    /// Retry attempts (a batch sent again after a retryable error).
    pub retried: u64,
    /// Events dropped, by reason.
    pub dropped: DropCounts,
    /// Batches the sink acknowledged.
    pub batches: u64,
    /// Payload bytes (serialized envelopes) the sink acknowledged.
    pub bytes: u64,
    /// Events waiting in the queue right now.
    pub queue_depth: u64,
    /// Events found in the spool at start (left by an earlier run) and queued again.
    pub replayed: u64,
    /// Events on disk in the spool, not delivered and not dropped (kept for a later attempt).
    pub spooled: u64,
}

impl Metrics {
    /// `tracked + replayed - (delivered + dropped + spooled)`: the events still
    /// in flight (queued, batching or being sent). Zero when the client is idle.
    pub fn in_flight(&self) -> i64 {
        (self.tracked + self.replayed) as i64
            - (self.delivered + self.dropped.total() + self.spooled) as i64
    }
}

/// The live counters, shared by the handles and the worker.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub tracked: AtomicU64,
    pub enqueued: AtomicU64,
    pub delivered: AtomicU64,
    pub retried: AtomicU64,
    pub dropped: [AtomicU64; 7],
    pub batches: AtomicU64,
    pub bytes: AtomicU64,
    pub queue_depth: AtomicU64,
    pub replayed: AtomicU64,
    pub spooled: AtomicU64,
}

impl Counters {
    pub fn drop_events(&self, reason: DropReason, count: u64) {
        if count == 0 {
            return;
        }
        let before = self.dropped[reason.index()].fetch_add(count, Ordering::AcqRel);
        let total = before + count;
        // Log the first drop and then each time the total passes a power of
        // two: a stalled sink cannot flood the logs.
        if before == 0 || before.leading_zeros() != total.leading_zeros() {
            tracing::warn!(
                reason = reason.as_str(),
                count,
                total,
                "analytics events dropped"
            );
        }
    }

    pub fn snapshot(&self) -> Metrics {
        let load = |counter: &AtomicU64| counter.load(Ordering::Acquire);
        let dropped = |reason: DropReason| load(&self.dropped[reason.index()]);
        // Read the outcomes before `tracked` so a snapshot taken while events
        // flow never shows more outcomes than inputs.
        let delivered = load(&self.delivered);
        let spooled = load(&self.spooled);
        let drops = DropCounts {
            queue_full: dropped(DropReason::QueueFull),
            invalid: dropped(DropReason::Invalid),
            too_large: dropped(DropReason::TooLarge),
            rejected: dropped(DropReason::Rejected),
            retries_exhausted: dropped(DropReason::RetriesExhausted),
            shutdown_timeout: dropped(DropReason::ShutdownTimeout),
            closed: dropped(DropReason::Closed),
        };
        Metrics {
            tracked: load(&self.tracked),
            enqueued: load(&self.enqueued),
            delivered,
            retried: load(&self.retried),
            dropped: drops,
            batches: load(&self.batches),
            bytes: load(&self.bytes),
            queue_depth: load(&self.queue_depth),
            replayed: load(&self.replayed),
            spooled,
        }
    }
}
