//! Delivery counters: what the client did with every event it was given.
//!
//! The drop reasons are declared once, in the `drop_reasons!` invocation
//! below: the enum, its names, the per-reason fields of [`DropCounts`] and
//! the live counters all come from that list, so a new reason is one line.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

use super::queue;
use super::worker::guarded_log;

/// Declares [`DropReason`], [`DropCounts`] and their mappings from one list of
/// `Variant => field_name` (the field name is also the reason's log name).
macro_rules! drop_reasons {
    ($( $(#[doc = $doc:literal])* $variant:ident => $field:ident, )*) => {
        /// Why an event was not delivered.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum DropReason {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl DropReason {
            /// How many reasons there are.
            pub const COUNT: usize = [$(DropReason::$variant),*].len();

            /// Every reason, in the order of [`DropCounts`]'s fields.
            pub const ALL: [DropReason; DropReason::COUNT] = [$(DropReason::$variant),*];

            /// The snake_case name used in logs and as the [`DropCounts`] field:
            /// `queue_full`, `invalid`...
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( DropReason::$variant => stringify!($field), )*
                }
            }
        }

        /// Events dropped, by reason (one field per [`DropReason`]).
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct DropCounts {
            $( $(#[doc = $doc])* pub $field: u64, )*
        }

        impl DropCounts {
            /// The count for one reason.
            pub fn get(&self, reason: DropReason) -> u64 {
                match reason {
                    $( DropReason::$variant => self.$field, )*
                }
            }

            fn from_fn(mut count: impl FnMut(DropReason) -> u64) -> Self {
                DropCounts {
                    $( $field: count(DropReason::$variant), )*
                }
            }
        }
    };
}

drop_reasons! {
    /// The queue was full when `track` was called.
    QueueFull => queue_full,
    /// The event failed validation.
    Invalid => invalid,
    /// The event alone was larger than the sink accepts (HTTP 413 on a single event).
    TooLarge => too_large,
    /// The sink refused the batch permanently (HTTP 4xx other than 408, 413, 429).
    Rejected => rejected,
    /// Every retry of the policy failed (without a spool; with one, the
    /// events stay on disk instead).
    RetriesExhausted => retries_exhausted,
    /// `shutdown` (or the drop of the last handle) ran out of time first.
    ShutdownTimeout => shutdown_timeout,
    /// `track` was called after `shutdown`.
    Closed => closed,
    /// The sink panicked in `send` or `flush` while it held the events.
    SinkPanicked => sink_panicked,
    /// User code called by `track` panicked (a `custom` or `check` rule, a
    /// hand-written `Trackable`).
    Panicked => panicked,
    /// The spool reached its byte bound ([`ClientBuilder::spool_max_bytes`](super::ClientBuilder::spool_max_bytes)).
    SpoolFull => spool_full,
    /// The spool could not be written (disk full, I/O error), or a spooled
    /// record could not be read back as an event.
    SpoolError => spool_error,
    /// A hand-written `EventCatalog` gave no schema for the event and its
    /// name is not claimed by exactly one type: with a PII policy set, the
    /// event is dropped rather than risk sending personal data.
    NoSchema => no_schema,
}

impl DropReason {
    const fn index(self) -> usize {
        self as usize
    }

    /// Whether `track` decides this drop itself, on the caller's thread,
    /// before or instead of queueing the event (every other reason is the
    /// fate of an event the queue took). `tracked` is the events queued plus
    /// these drops, so `track` counts each call exactly once without a
    /// counter of its own.
    const fn at_track(self) -> bool {
        // Every reason listed, no `_`: a new one is a decision, not a default.
        match self {
            DropReason::QueueFull
            | DropReason::Invalid
            | DropReason::Closed
            | DropReason::Panicked
            | DropReason::NoSchema => true,
            DropReason::TooLarge
            | DropReason::Rejected
            | DropReason::RetriesExhausted
            | DropReason::ShutdownTimeout
            | DropReason::SinkPanicked
            | DropReason::SpoolFull
            | DropReason::SpoolError => false,
        }
    }
}

impl DropCounts {
    /// All drops, every reason together.
    pub fn total(&self) -> u64 {
        DropReason::ALL.iter().map(|&reason| self.get(reason)).sum()
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A snapshot of the client's counters ([`Client::metrics`](super::Client::metrics)).
///
/// The invariant, at any time: `tracked + replayed == delivered +
/// dropped.total() + spooled + in flight`, and once the client is idle (after
/// `flush` or `shutdown` completed) nothing is in flight. Every event handed
/// to `track` is delivered, counted as dropped with a reason, or (with a
/// spool) on disk for a later attempt.
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
    /// Events waiting in the queue right now (not yet batched, or with a
    /// spool not yet written to disk).
    pub queue_depth: u64,
    /// Events found in the spool at start (left by an earlier run) and queued again.
    pub replayed: u64,
    /// Events on disk in the spool, not delivered and not dropped (being sent,
    /// or kept for a later attempt).
    pub spooled: u64,
    /// Event names claimed by more than one Rust type in this binary (seen at
    /// `build()`; see [`catalog::conflicts`](crate::catalog::conflicts)).
    pub name_conflicts: u64,
    /// Failed-event lines handed to the failed-events sink.
    pub failed_lines: u64,
}

impl Metrics {
    /// Adds `other`'s counts to these (the totals over sinks);
    /// `name_conflicts`, a property of the binary, is not summed.
    pub(crate) fn absorb(&mut self, other: &Metrics) {
        // Destructured so that a new counter cannot be left out of the sum.
        let Metrics {
            tracked,
            enqueued,
            delivered,
            retried,
            dropped,
            batches,
            bytes,
            queue_depth,
            replayed,
            spooled,
            name_conflicts,
            failed_lines,
        } = *other;
        self.tracked += tracked;
        self.enqueued += enqueued;
        self.delivered += delivered;
        self.retried += retried;
        self.dropped = DropCounts::from_fn(|reason| self.dropped.get(reason) + dropped.get(reason));
        self.batches += batches;
        self.bytes += bytes;
        self.queue_depth += queue_depth;
        self.replayed += replayed;
        self.spooled += spooled;
        self.name_conflicts = self.name_conflicts.max(name_conflicts);
        self.failed_lines += failed_lines;
    }

    /// `tracked + replayed - (delivered + dropped + spooled)`: the events still
    /// in flight (queued, batching or being sent). Zero when the client is idle.
    pub fn in_flight(&self) -> i64 {
        (self.tracked + self.replayed) as i64
            - (self.delivered + self.dropped.total() + self.spooled) as i64
    }
}

/// The live counters, shared by the handles and the worker. `tracked`,
/// `enqueued` and `queue_depth` are not here: the queue counts what it takes
/// under the lock `track` holds anyway ([`queue::Counts`]), and `tracked` is
/// the events queued plus the drops decided in `track`
/// ([`DropReason::at_track`]), so an accepted `track` writes no counter the
/// worker writes too.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub delivered: AtomicU64,
    pub retried: AtomicU64,
    pub dropped: [AtomicU64; DropReason::COUNT],
    pub batches: AtomicU64,
    pub bytes: AtomicU64,
    pub replayed: AtomicU64,
    pub spooled: AtomicU64,
    pub name_conflicts: AtomicU64,
    pub failed_lines: AtomicU64,
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
            guarded_log!(warn!(
                reason = reason.as_str(),
                count, total, "analytics events dropped"
            ));
        }
    }

    /// The counters, with the queue's own counts read by `queue` after every
    /// outcome.
    ///
    /// A snapshot taken while events flow never shows more outcomes than
    /// inputs (`in_flight() >= 0`): an event's outcome is counted after the
    /// worker took it from the queue, which it did after `track` counted it
    /// as enqueued, so a snapshot that reads the outcome first then sees the
    /// event enqueued too. The drops decided in `track` are read once and
    /// count both in `tracked` and in `dropped`.
    pub fn snapshot(&self, queue: impl FnOnce() -> queue::Counts) -> Metrics {
        let load = |counter: &AtomicU64| counter.load(Ordering::Acquire);
        let delivered = load(&self.delivered);
        let spooled = load(&self.spooled);
        let dropped = DropCounts::from_fn(|reason| load(&self.dropped[reason.index()]));
        let replayed = load(&self.replayed);
        let counts = queue();
        let refused: u64 = DropReason::ALL
            .iter()
            .filter(|reason| reason.at_track())
            .map(|&reason| dropped.get(reason))
            .sum();
        Metrics {
            tracked: counts.enqueued + refused,
            enqueued: counts.enqueued,
            delivered,
            retried: load(&self.retried),
            dropped,
            batches: load(&self.batches),
            bytes: load(&self.bytes),
            queue_depth: counts.depth,
            replayed,
            spooled,
            name_conflicts: load(&self.name_conflicts),
            failed_lines: load(&self.failed_lines),
        }
    }
}
