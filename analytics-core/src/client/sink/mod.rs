//! Where batches go: the [`Sink`] trait and the sinks shipped with the client.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use crate::schema::EventSchema;

mod jsonl;
mod memory;
mod stdout;

#[cfg(feature = "http")]
mod http;

#[cfg(feature = "http")]
pub use http::{HeaderProvider, HeaderRequest, HttpFormat, HttpSink, UnknownFormat};
pub use jsonl::JsonLinesSink;
pub use memory::MemorySink;
pub use stdout::StdoutSink;

/// One serialized event as the worker hands it to a sink: the compact
/// envelope `{"event_type":..,"event_params":{..}}` (PII policy already
/// applied), a stable message id and the time it was tracked.
#[derive(Clone)]
pub struct Envelope {
    json: Json,
    id: MessageId,
    timestamp_ms: u64,
    /// The event's type, when the envelope was made by `track` (not read back
    /// from a spool of an earlier run).
    schema: Option<&'static EventSchema>,
}

/// An envelope's bytes: its own buffer, or its range of a queue block that
/// the worker lends to the events of a batch (no copy per event).
enum Json {
    Owned(Vec<u8>),
    Lent {
        block: Arc<Vec<u8>>,
        range: Range<usize>,
    },
}

impl Json {
    fn as_slice(&self) -> &[u8] {
        match self {
            Json::Owned(json) => json,
            Json::Lent { block, range } => &block[range.clone()],
        }
    }
}

impl Clone for Json {
    /// A clone owns its bytes: a sink that keeps envelopes keeps their bytes
    /// only, never the worker's block behind them.
    fn clone(&self) -> Self {
        Json::Owned(self.as_slice().to_vec())
    }
}

/// The message id, fixed or computed on first need (most sinks never ask).
#[derive(Clone)]
enum MessageId {
    Fixed([u8; 16]),
    /// `SHA-256(nonce || sequence)`, truncated to 16 bytes.
    Derived {
        nonce: [u8; 16],
        sequence: u64,
    },
    /// `SHA-256(json)`, truncated to 16 bytes: an event received without an
    /// id (`Envelope::with_id_of_json`).
    OfJson,
}

impl Envelope {
    /// An envelope from its parts; `json` must be one compact JSON object.
    pub fn new(json: Vec<u8>, message_id: [u8; 16], timestamp_ms: u64) -> Self {
        Envelope {
            json: Json::Owned(json),
            id: MessageId::Fixed(message_id),
            timestamp_ms,
            schema: None,
        }
    }

    /// An envelope whose id is the first 16 bytes of the SHA-256 of `json`,
    /// computed only when a sink asks for it (what a collector gives an
    /// event received without an id: a resent event gets the same id).
    pub fn with_id_of_json(json: Vec<u8>, timestamp_ms: u64) -> Self {
        Envelope {
            json: Json::Owned(json),
            id: MessageId::OfJson,
            timestamp_ms,
            schema: None,
        }
    }

    /// An envelope whose bytes are `range` of `block`, a buffer shared by the
    /// events cut from it (a collector's request body: no copy per event);
    /// its id is `message_id`, or else computed as for
    /// [`with_id_of_json`](Envelope::with_id_of_json). `range` must hold one
    /// compact JSON object.
    ///
    /// # Panics
    ///
    /// When `range` is not inside `block`.
    pub fn in_shared_block(
        block: Arc<Vec<u8>>,
        range: Range<usize>,
        message_id: Option<[u8; 16]>,
        timestamp_ms: u64,
    ) -> Self {
        assert!(
            range.start <= range.end && range.end <= block.len(),
            "the range of an envelope must lie inside its block"
        );
        Envelope {
            json: Json::Lent { block, range },
            id: message_id.map_or(MessageId::OfJson, MessageId::Fixed),
            timestamp_ms,
            schema: None,
        }
    }

    /// Attaches the schema of the event's type (what `track` does).
    pub fn with_schema(mut self, schema: &'static EventSchema) -> Self {
        self.schema = Some(schema).filter(|schema| !schema.name.is_empty());
        self
    }

    /// The schema of the event's type, when known: set for every event
    /// tracked by this process, `None` for one replayed from an earlier run's
    /// spool (look it up with [`catalog::get`](crate::catalog::get) if needed).
    pub fn schema(&self) -> Option<&'static EventSchema> {
        self.schema
    }

    /// An envelope whose bytes are `range` of a queue block, with the id
    /// given or else derived from the client's nonce and the event's
    /// sequence number.
    pub(crate) fn lent(
        block: Arc<Vec<u8>>,
        range: Range<usize>,
        message_id: Option<[u8; 16]>,
        (nonce, sequence): ([u8; 16], u64),
        timestamp_ms: u64,
    ) -> Self {
        Envelope {
            json: Json::Lent { block, range },
            id: match message_id {
                Some(id) => MessageId::Fixed(id),
                None => MessageId::Derived { nonce, sequence },
            },
            timestamp_ms,
            schema: None,
        }
    }

    /// An envelope whose id is derived from the client's nonce and the
    /// event's sequence number.
    #[cfg(test)]
    pub(crate) fn derived(
        json: Vec<u8>,
        nonce: [u8; 16],
        sequence: u64,
        timestamp_ms: u64,
    ) -> Self {
        Envelope {
            json: Json::Owned(json),
            id: MessageId::Derived { nonce, sequence },
            timestamp_ms,
            schema: None,
        }
    }

    /// The envelope's JSON bytes.
    pub fn json(&self) -> &[u8] {
        self.json.as_slice()
    }

    /// The id of this event: `SHA-256(client nonce || sequence number)`
    /// truncated to 16 bytes, with the version and variant bits of a random
    /// (version 4) UUID, where the nonce is random per client instance and
    /// sink, and the sequence numbers that sink's events (one hash block,
    /// whatever the event's size). It is stored with the event in the spool,
    /// so a retry or a replay sends the same id (receivers dedupe). An id
    /// given to [`Envelope::new`] is returned as given.
    pub fn message_id_bytes(&self) -> [u8; 16] {
        match &self.id {
            MessageId::Fixed(id) => *id,
            MessageId::OfJson => {
                use sha2::{Digest, Sha256};
                let digest = Sha256::digest(self.json());
                let mut id = [0u8; 16];
                id.copy_from_slice(&digest[..16]);
                id
            }
            MessageId::Derived { nonce, sequence } => derived_message_id(*nonce, *sequence),
        }
    }

    /// The message id formatted like a UUID (`8-4-4-4-12` lowercase hex).
    pub fn message_id(&self) -> String {
        uuid::Uuid::from_bytes(self.message_id_bytes())
            .hyphenated()
            .to_string()
    }

    /// When the event was tracked, in Unix milliseconds.
    pub fn timestamp_ms(&self) -> u64 {
        self.timestamp_ms
    }

    /// The `event_type` and the raw `event_params` JSON, read from the
    /// envelope without a full parse when it has the compact shape the
    /// client writes.
    pub fn split(&self) -> Option<(String, Vec<u8>)> {
        const HEAD: &[u8] = b"{\"event_type\":\"";
        const MIDDLE: &[u8] = b"\",\"event_params\":";
        if let Some(schema) = self.schema {
            // The name is known: check the bytes around it, scan nothing.
            let name = schema.name.as_bytes();
            let params = self
                .json()
                .strip_prefix(HEAD)
                .and_then(|rest| rest.strip_prefix(name))
                .and_then(|rest| rest.strip_prefix(MIDDLE))
                .and_then(|rest| rest.strip_suffix(b"}"));
            if let Some(params) = params {
                return Some((schema.name.to_owned(), params.to_vec()));
            }
        }
        if let Some(rest) = self.json().strip_prefix(HEAD) {
            if let Some(end) = rest.iter().position(|&b| b == b'"' || b == b'\\') {
                if rest[end] == b'"' {
                    if let (Ok(name), Some(params)) = (
                        std::str::from_utf8(&rest[..end]),
                        rest[end..].strip_prefix(MIDDLE),
                    ) {
                        if let Some(params) = params.strip_suffix(b"}") {
                            return Some((name.to_owned(), params.to_vec()));
                        }
                    }
                }
            }
        }
        // Any other shape: parse it.
        let value: serde_json::Value = serde_json::from_slice(self.json()).ok()?;
        let name = value.get("event_type")?.as_str()?.to_owned();
        let params = serde_json::to_vec(value.get("event_params")?).ok()?;
        Some((name, params))
    }

    /// The event's wire name.
    pub fn event_type(&self) -> Option<String> {
        match self.schema {
            Some(schema) => Some(schema.name.to_owned()),
            None => self.split().map(|(name, _)| name),
        }
    }

    /// The event's wire name without parsing, when the envelope was made by
    /// `track` in this process.
    pub fn event_name(&self) -> Option<&'static str> {
        self.schema.map(|schema| schema.name)
    }
}

/// The message id of the event numbered `sequence` by the client whose
/// nonce is `nonce` (see [`Envelope::message_id_bytes`]).
pub(crate) fn derived_message_id(nonce: [u8; 16], sequence: u64) -> [u8; 16] {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(nonce);
    hasher.update(sequence.to_le_bytes());
    let digest = hasher.finalize();
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    // Vendors that check their dedupe key want a well-formed UUID: version 4
    // (`0100` in the high nibble of byte 6) and the RFC 4122 variant (`10`
    // in the top bits of byte 8).
    id[6] = (id[6] & 0x0f) | 0x40;
    id[8] = (id[8] & 0x3f) | 0x80;
    id
}

impl PartialEq for Envelope {
    fn eq(&self, other: &Self) -> bool {
        self.json() == other.json()
            && self.timestamp_ms == other.timestamp_ms
            && self.message_id_bytes() == other.message_id_bytes()
    }
}

impl Eq for Envelope {}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("message_id", &self.message_id())
            .field("timestamp_ms", &self.timestamp_ms)
            .field("json", &String::from_utf8_lossy(self.json()))
            .finish()
    }
}

/// How a failed delivery should be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkErrorKind {
    /// Try again later (connection error, timeout, 408, 429, 5xx).
    Retryable,
    /// Never retry this batch (4xx other than 408, 413, 429): dropped as `rejected`.
    Permanent,
    /// The batch is too large (413): split in halves; a single event is dropped as `too_large`.
    TooLarge,
}

/// A failed delivery, classified for the worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkError {
    kind: SinkErrorKind,
    message: String,
    retry_after: Option<Duration>,
    /// Indices (sorted, unique) of the events refused one by one.
    rejected: Vec<usize>,
    /// Indices (sorted, unique) of the events throttled one by one.
    throttled: Vec<usize>,
}

impl SinkError {
    /// A transient error: the batch is sent again by the retry policy.
    pub fn retryable(message: impl Into<String>) -> Self {
        SinkError {
            kind: SinkErrorKind::Retryable,
            message: message.into(),
            retry_after: None,
            rejected: Vec::new(),
            throttled: Vec::new(),
        }
    }

    /// A permanent error: the batch is dropped as `rejected`.
    pub fn permanent(message: impl Into<String>) -> Self {
        SinkError {
            kind: SinkErrorKind::Permanent,
            message: message.into(),
            retry_after: None,
            rejected: Vec::new(),
            throttled: Vec::new(),
        }
    }

    /// The batch is too large: it is split in halves and sent again.
    pub fn too_large(message: impl Into<String>) -> Self {
        SinkError {
            kind: SinkErrorKind::TooLarge,
            message: message.into(),
            retry_after: None,
            rejected: Vec::new(),
            throttled: Vec::new(),
        }
    }

    /// Some events of the batch are refused for good, named by their index
    /// in the batch (a vendor's per-event validation, such as Amplitude's 400
    /// body): the worker drops them as `rejected` and sends the others again
    /// at once (a resend, not a retry). Naming no event, or every event,
    /// rejects the whole batch; indices past the batch are ignored.
    pub fn rejected_events(
        message: impl Into<String>,
        indices: impl IntoIterator<Item = usize>,
    ) -> Self {
        SinkError {
            rejected: sorted_unique(indices),
            ..SinkError::permanent(message)
        }
    }

    /// The indices given to [`rejected_events`](SinkError::rejected_events)
    /// or [`with_rejected`](SinkError::with_rejected), sorted; empty when the
    /// error is about the whole batch.
    pub fn rejected(&self) -> &[usize] {
        &self.rejected
    }

    /// Some events of the batch are throttled, named by their index in the
    /// batch (a vendor's per-user or per-device rate limit, such as
    /// Amplitude's 429 body): a retryable error in which the worker retries
    /// only those, by the policy (after [`retry_after`](SinkError::retry_after)
    /// when set), and sends the others again at once (a resend, not a
    /// retry: the vendor took none of the batch, and its dedupe key makes a
    /// resend safe either way). Naming no event, or every event, retries the
    /// whole batch; indices past the batch are ignored.
    pub fn throttled_events(
        message: impl Into<String>,
        indices: impl IntoIterator<Item = usize>,
    ) -> Self {
        SinkError {
            throttled: sorted_unique(indices),
            ..SinkError::retryable(message)
        }
    }

    /// The indices given to [`throttled_events`](SinkError::throttled_events),
    /// sorted.
    pub fn throttled(&self) -> &[usize] {
        &self.throttled
    }

    /// Adds events refused for good to a retryable error (such as
    /// Amplitude's users over their daily quota in a 429): the worker drops
    /// them as `rejected` before it retries or resends the rest.
    pub fn with_rejected(mut self, indices: impl IntoIterator<Item = usize>) -> Self {
        self.rejected.extend(indices);
        self.rejected = sorted_unique(std::mem::take(&mut self.rejected));
        self
    }

    /// Asks the worker to wait this long before the retry (`Retry-After`).
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// The classification.
    pub fn kind(&self) -> SinkErrorKind {
        self.kind
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The wait the sink asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }
}

fn sorted_unique(indices: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let mut indices: Vec<usize> = indices.into_iter().collect();
    indices.sort_unstable();
    indices.dedup();
    indices
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            SinkErrorKind::Retryable => "retryable",
            SinkErrorKind::Permanent => "permanent",
            SinkErrorKind::TooLarge => "too large",
        };
        write!(f, "{kind} sink error: {}", self.message)
    }
}

impl std::error::Error for SinkError {}

impl From<std::io::Error> for SinkError {
    /// I/O errors are retryable.
    fn from(error: std::io::Error) -> Self {
        SinkError::retryable(error.to_string())
    }
}

/// A destination for batches of events.
///
/// The worker thread owns the sink and calls [`send`](Sink::send) with one
/// batch at a time, in order; the envelopes are already serialized and
/// scrubbed by the PII policy. Return `Ok` only once the batch is durably
/// accepted; classify failures with [`SinkError`] so the worker can retry,
/// split or drop.
///
/// ```
/// use analytics_core::client::{Envelope, Sink, SinkError};
///
/// struct CountingSink(usize);
///
/// impl Sink for CountingSink {
///     fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
///         self.0 += batch.len();
///         Ok(())
///     }
/// }
/// ```
pub trait Sink: Send + 'static {
    /// Delivers one batch, in order.
    fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError>;

    /// Called when the client flushes or shuts down, after the last batch
    /// before it: flush buffers, sync files.
    fn flush(&mut self) -> Result<(), SinkError> {
        Ok(())
    }

    /// A short name for logs.
    fn name(&self) -> &str {
        "sink"
    }
}

impl<S: Sink + ?Sized> Sink for Box<S> {
    fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        (**self).send(batch)
    }
    fn flush(&mut self) -> Result<(), SinkError> {
        (**self).flush()
    }
    fn name(&self) -> &str {
        (**self).name()
    }
}

/// Writes each envelope of `batch` followed by `\n` into `out`.
pub(crate) fn write_lines(batch: &[Envelope], out: &mut Vec<u8>) {
    for envelope in batch {
        out.extend_from_slice(envelope.json());
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::Envelope;

    #[test]
    fn derived_message_ids_are_version_4_uuids_and_stable() {
        let mut seen = std::collections::HashSet::new();
        for sequence in 0..1_000 {
            let envelope = Envelope::derived(b"{}".to_vec(), [7; 16], sequence, 0);
            let id = uuid::Uuid::parse_str(&envelope.message_id()).unwrap();
            assert_eq!(id.get_version(), Some(uuid::Version::Random), "{id}");
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122, "{id}");
            assert_eq!(envelope.message_id_bytes(), *id.as_bytes());
            assert_eq!(envelope.message_id_bytes(), envelope.message_id_bytes());
            assert!(seen.insert(id), "unique per sequence");
        }
        let given = Envelope::new(b"{}".to_vec(), [0xff; 16], 0);
        assert_eq!(given.message_id_bytes(), [0xff; 16], "a given id is kept");
    }

    #[test]
    fn a_lent_envelope_reads_its_range_and_its_clone_owns_its_bytes() {
        use std::sync::Arc;
        let block = Arc::new(b"{\"a\":1}{\"event_type\":\"x\",\"event_params\":{}}".to_vec());
        let envelope = Envelope::lent(Arc::clone(&block), 7..block.len(), None, ([7; 16], 3), 12);
        assert_eq!(envelope.json(), br#"{"event_type":"x","event_params":{}}"#);
        assert_eq!(envelope.timestamp_ms(), 12);
        assert_eq!(
            envelope.message_id_bytes(),
            Envelope::derived(Vec::new(), [7; 16], 3, 0).message_id_bytes()
        );
        let fixed = Envelope::lent(Arc::clone(&block), 0..7, Some([9; 16]), ([7; 16], 3), 0);
        assert_eq!(fixed.message_id_bytes(), [9; 16]);
        drop(fixed);
        let kept = envelope.clone();
        assert_eq!(kept, envelope);
        drop(envelope);
        // Only the block's owner holds it: a kept clone does not pin it.
        assert_eq!(Arc::strong_count(&block), 1);
        assert_eq!(kept.split().unwrap().0, "x");
    }
}
