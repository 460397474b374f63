//! Validation on arrival, from a [`TrackingPlan`] alone (feature `ingest`).
//!
//! The receiving side has no Rust types of the producer: it has the plan the
//! producer exported. [`PlanValidator`] checks the bytes of an event against
//! it with the same semantics as the derived `validate()`: the same paths
//! (Rust field names, `base.thread_id`, `ids[2]`), the same rule names and
//! the same messages (both come from [`crate::rules`]). On top of the rules
//! it checks what the Rust type system guarantees on the producer's side:
//! JSON types and integer widths, required keys, `null` only where the field
//! is an `Option`, enum values inside their set, no unknown key (the
//! `additionalProperties: false` of the JSON Schema), and the event's version
//! when the envelope carries an `event_version`.
//!
//! Checks that only the producer's code can run, `custom` field rules and
//! struct-level `check` functions, are listed by
//! [`PlanValidator::not_checkable`] instead of being silently skipped.
//!
//! An event is parsed once: the plan drives a serde visitor over the bytes,
//! so no `serde_json::Value` tree is built. So is a batch:
//! [`PlanValidator::check_batch`] checks each event of a request body while
//! the body is parsed, and gives each event's bytes for a byte-for-byte copy.
//! The bytes are read by a JSON scanner of the validator's own under the same
//! visitors (`scan.rs`), which leaves anything unusual (broken JSON, deep
//! nesting, raw values) to `serde_json`, read again from the start: the
//! answers, error messages included, are `serde_json`'s either way.
//! Before either, a fast accept path (`fast.rs`) walks the compiled plan
//! over the raw bytes, with no serde protocol: it accepts the common valid
//! event, with the [`Accepted`] the general path gives, or leaves the event,
//! unread, to the general path; it never reports an error itself.
//!
//! ```
//! use analytics_core::{AnalyticsEvent, TrackEventRequest, TrackingPlan};
//! use analytics_core::failed::FailureReason;
//! use analytics_core::ingest::PlanValidator;
//!
//! #[derive(AnalyticsEvent)]
//! #[analytics(name = "page_opened")]
//! pub struct PageOpened {
//!     #[analytics(non_empty)]
//!     pub path: String,
//!     pub load_ms: Option<u32>,
//! }
//!
//! let plan = TrackingPlan::from_events(&[PageOpened::schema()]);
//! let validator = PlanValidator::new(&plan).unwrap();
//!
//! let good = br#"{"event_type":"page_opened","event_params":{"path":"/","load_ms":12}}"#;
//! assert_eq!(validator.check_event(good, 0).unwrap().event_type, "page_opened");
//!
//! let bad = br#"{"event_type":"page_opened","event_params":{"path":"","load_ms":-1}}"#;
//! let failed = validator.check_event(bad, 0).unwrap_err();
//! assert_eq!(failed.reason, FailureReason::SchemaViolation);
//! let found: Vec<_> = failed.errors.iter().map(|e| (e.path.as_str(), e.rule.as_str())).collect();
//! assert_eq!(found, [("path", "non_empty"), ("load_ms", "type")]);
//! ```

mod batch;
mod check;
mod compile;
mod envelope;
mod fast;
mod report;
mod scan;

use serde::de::DeserializeSeed;
use serde_json::value::RawValue;

use crate::failed::{FailedCheck, FailedEvent, FailureReason, Payload};
use crate::plan::TrackingPlan;

pub use batch::{Batch, BatchEvent};
pub use compile::{CompileError, NotCheckable};

use batch::State;
use check::Report;
use compile::Compiled;
use envelope::{Seen, Shape, TopLevel};
use scan::{Bail, Scanner};

/// Checks events against a tracking plan. Build it once per plan; it is
/// `Send + Sync` and checks from any number of threads.
pub struct PlanValidator {
    plan: Compiled,
    max_event_bytes: usize,
    message_id_keys: Vec<String>,
}

/// The shape an accepted event came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `{"event_type":..,"event_params":{..}}`.
    Reference,
    /// A Segment `track` message: `{"type":"track","event":..,"properties":{..}}`.
    Segment,
}

/// An event that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted<'a> {
    /// Its `event_type` (Segment: `event`), as the plan spells it.
    pub event_type: &'a str,
    /// Its version in the plan.
    pub version: u32,
    /// The Segment `messageId`, when there is one.
    pub message_id: Option<String>,
    /// The shape it came in.
    pub format: Format,
}

/// One line of a JSON Lines file: an event, or a batch of raw events.
#[derive(Debug)]
pub enum Line<'v, 'b> {
    /// The line is one event, checked.
    Event(Result<Accepted<'v>, FailedEvent>),
    /// The line is a batch: check each item with [`PlanValidator::check_event`].
    Batch(Vec<&'b RawValue>),
}

impl PlanValidator {
    /// The validator of this plan; an error when a `pattern` of the plan is
    /// not a regex.
    pub fn new(plan: &TrackingPlan) -> Result<PlanValidator, CompileError> {
        Ok(PlanValidator {
            plan: compile::compile(plan)?,
            max_event_bytes: usize::MAX,
            message_id_keys: vec![envelope::MESSAGE_ID_KEY.to_owned()],
        })
    }

    /// The top-level keys of a reference envelope that carry the client's
    /// message id (`ClientBuilder::message_id_key(key)`), instead of the
    /// default `message_id`. A string under one of them is the event's
    /// [`Accepted::message_id`] and not an unknown key; any other value there
    /// is still an unknown key. An envelope field of the plan with the same
    /// name is checked as that field. The keys of the envelope itself
    /// (`event_type`, `event_params`, `event_version`, Segment's keys, ...)
    /// keep their meaning; none of them can be an id key.
    pub fn with_message_id_keys<I, K>(mut self, keys: I) -> PlanValidator
    where
        I: IntoIterator<Item = K>,
        K: Into<String>,
    {
        self.message_id_keys = keys.into_iter().map(Into::into).collect();
        self
    }

    /// The keys read as the message id (see
    /// [`with_message_id_keys`](PlanValidator::with_message_id_keys)).
    pub fn message_id_keys(&self) -> &[String] {
        &self.message_id_keys
    }

    /// Events longer than this are failed as `too_large` without being parsed
    /// (no limit by default).
    pub fn with_max_event_bytes(mut self, bytes: usize) -> PlanValidator {
        self.max_event_bytes = bytes;
        self
    }

    /// The checks of the plan that cannot run on arrival (`custom` rules,
    /// struct-level `check` functions): only the producer's code runs them.
    pub fn not_checkable(&self) -> &[NotCheckable] {
        &self.plan.not_checkable
    }

    /// The names of the plan's events, sorted.
    pub fn event_types(&self) -> impl Iterator<Item = &str> {
        self.plan.events.iter().map(|event| event.name.as_str())
    }

    /// Checks one event (a reference envelope or a Segment `track` message);
    /// a batch is `not_envelope` here.
    pub fn check_event(
        &self,
        bytes: &[u8],
        received_at_ms: u64,
    ) -> Result<Accepted<'_>, FailedEvent> {
        match self.check_line(bytes, received_at_ms) {
            Line::Event(outcome) => outcome,
            Line::Batch(_) => Err(not_envelope(
                bytes,
                received_at_ms,
                "expected one event, got a batch",
            )),
        }
    }

    /// Checks one line of a JSON Lines file: an event, or a batch whose
    /// items are returned for [`check_event`](PlanValidator::check_event).
    pub fn check_line<'b>(&self, bytes: &'b [u8], received_at_ms: u64) -> Line<'_, 'b> {
        self.line(bytes, received_at_ms, Reader::Scanner)
    }

    /// [`check_line`](PlanValidator::check_line) with `serde_json` alone
    /// reading the bytes, never the scanner: what the scanner's answers are
    /// held to, in tests.
    #[doc(hidden)]
    pub fn check_line_by_serde_json<'b>(
        &self,
        bytes: &'b [u8],
        received_at_ms: u64,
    ) -> Line<'_, 'b> {
        self.line(bytes, received_at_ms, Reader::SerdeJson)
    }

    /// Whether the scanner reads and checks this line by itself, without
    /// leaving it to `serde_json` (for tests: the common events must be).
    #[doc(hidden)]
    pub fn scans(&self, bytes: &[u8]) -> bool {
        let mut scanner = Scanner::new(bytes);
        let mut report = Report::default();
        self.scan(&mut scanner, &mut report).is_ok() && scanner.at_end()
    }

    /// Whether the fast accept path (`fast.rs`) accepts this line by itself,
    /// without the scanner or `serde_json` (for tests: the common events
    /// must be; for the benchmark).
    #[doc(hidden)]
    pub fn fast_accepts(&self, bytes: &[u8]) -> bool {
        fast::accept_all(&self.plan, &self.message_id_keys, bytes).is_some()
    }

    /// Whether the scanner reads `bytes` as one JSON value, skipping it
    /// (nothing checked, no visitor): for the benchmark, which sets the cost
    /// of the scanner's own walk against `IgnoredAny`'s and the check's.
    #[doc(hidden)]
    pub fn scanner_skips(bytes: &[u8]) -> bool {
        let mut scanner = Scanner::new(bytes);
        scanner.skip().is_ok() && scanner.at_end()
    }

    fn line<'b>(&self, bytes: &'b [u8], received_at_ms: u64, reader: Reader) -> Line<'_, 'b> {
        if bytes.len() > self.max_event_bytes {
            return Line::Event(Err(self.too_large(bytes, received_at_ms)));
        }
        // The fast path accepts the common event, or leaves it, unread, to
        // the general one: never with `serde_json` alone, whose answers the
        // fast path's are held to in tests.
        if reader == Reader::Scanner {
            if let Some(accepted) = fast::accept_all(&self.plan, &self.message_id_keys, bytes) {
                return Line::Event(Ok(accepted));
            }
        }
        let mut report = Report::default();
        let shape = match self.read(bytes, &mut report, reader) {
            Ok(shape) => shape,
            Err(message) => return Line::Event(Err(not_json(bytes, received_at_ms, message))),
        };
        match shape {
            Shape::Batch(items) => Line::Batch(items),
            shape => Line::Event(self.outcome(shape, report, bytes, received_at_ms)),
        }
    }

    /// The verdict on one value read as an event: [`check_event`]'s answer
    /// once the bytes have parsed.
    ///
    /// [`check_event`]: PlanValidator::check_event
    fn outcome(
        &self,
        shape: Shape<'_>,
        report: Report,
        bytes: &[u8],
        received_at_ms: u64,
    ) -> Result<Accepted<'_>, FailedEvent> {
        match shape {
            Shape::Batch(_) => Err(not_envelope(
                bytes,
                received_at_ms,
                "expected one event, got a batch",
            )),
            Shape::Neither(message) => Err(not_envelope(bytes, received_at_ms, &message)),
            Shape::Event(seen) => self.verdict(seen, report, bytes, received_at_ms),
        }
    }

    /// Checks the events of a request body (`{"events":[..]}` or
    /// `{"batch":[..]}`) as it is read: each event is checked while the
    /// body is parsed, once, and comes with its bytes as they are in the
    /// body (for a byte-for-byte copy).
    ///
    /// The answers are those of [`split_batch`] followed by
    /// [`check_event`] on each item, in the same order. A body that is not a
    /// batch yields one `Err`, the failed event holding the whole body
    /// (`not_json`, `not_envelope`), and ends: that can be found only once
    /// part of the body has been read (a body cut short, or an object with
    /// a batch and an event's keys), so the events yielded before an `Err`
    /// are void, and the body as a whole is that one failed event.
    ///
    /// ```
    /// # use analytics_core::{AnalyticsEvent, TrackingPlan};
    /// # use analytics_core::ingest::PlanValidator;
    /// # #[derive(AnalyticsEvent)]
    /// # #[analytics(name = "page_opened")]
    /// # pub struct PageOpened { pub path: String }
    /// # let plan = TrackingPlan::from_events(&[PageOpened::schema()]);
    /// let validator = PlanValidator::new(&plan).unwrap();
    /// let body = br#"{"events":[
    ///     {"event_type":"page_opened","event_params":{"path":"/"}},
    ///     {"event_type":"page_opened","event_params":{"path":7}}
    /// ]}"#;
    /// let events: Vec<_> = validator.check_batch(body, 0).collect::<Result<_, _>>().unwrap();
    /// assert_eq!(events[0].bytes, br#"{"event_type":"page_opened","event_params":{"path":"/"}}"#);
    /// assert!(events[0].outcome.is_ok());
    /// assert_eq!(events[1].outcome.as_ref().unwrap_err().errors[0].rule, "type");
    ///
    /// let cut = br#"{"events":[{"event_type":"page_opened","event_params":{"path":"/"}}"#;
    /// let read: Vec<_> = validator.check_batch(cut, 0).collect();
    /// assert_eq!(read.last().unwrap().as_ref().unwrap_err().reason.as_str(), "not_json");
    /// ```
    ///
    /// [`split_batch`]: PlanValidator::split_batch
    /// [`check_event`]: PlanValidator::check_event
    pub fn check_batch<'v, 'b>(&'v self, body: &'b [u8], received_at_ms: u64) -> Batch<'v, 'b> {
        // Not checked as UTF-8 up front: the scanner checks each event's
        // strings, and the bytes around the events are ASCII punctuation.
        let state = match batch::items_start(body) {
            Some(at) => State::InPlace {
                at,
                first: true,
                text: None,
            },
            None => State::Split,
        };
        Batch {
            validator: self,
            body,
            received_at_ms,
            state,
            given: 0,
        }
    }

    /// Splits a request body into its events: `{"events":[..]}` or
    /// `{"batch":[..]}`. Anything else is one failed event (`not_json`,
    /// `not_envelope`) holding the whole body.
    pub fn split_batch<'b>(
        &self,
        body: &'b [u8],
        received_at_ms: u64,
    ) -> Result<Vec<&'b RawValue>, FailedEvent> {
        let mut report = Report::default();
        match self.read(body, &mut report, Reader::SerdeJson) {
            Err(message) => Err(not_json(body, received_at_ms, message)),
            Ok(Shape::Batch(items)) => Ok(items),
            Ok(Shape::Event(_)) => Err(not_envelope(
                body,
                received_at_ms,
                "expected a batch ({\"events\":[..]} or {\"batch\":[..]}), got a single event",
            )),
            Ok(Shape::Neither(message)) => Err(not_envelope(body, received_at_ms, &message)),
        }
    }

    /// Reads one top-level value; `Err` is why it is not JSON.
    fn read<'b>(
        &self,
        bytes: &'b [u8],
        report: &mut Report,
        reader: Reader,
    ) -> Result<Shape<'b>, String> {
        // The scanner checks each string as UTF-8 (and reads nothing else
        // but ASCII): what it reads whole is UTF-8.
        if reader == Reader::Scanner {
            let mut scanner = Scanner::new(bytes);
            let mut scanned = Report::default();
            if let Ok(shape) = self.scan(&mut scanner, &mut scanned) {
                if scanner.at_end() {
                    *report = scanned;
                    return Ok(shape);
                }
            }
        }
        // One pass over the whole input for UTF-8, so the parser need not
        // check each string again (`from_str` trusts its input).
        let text = std::str::from_utf8(bytes).map_err(|error| format!("not UTF-8: {error}"))?;
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let shape = self
            .read_value(&mut deserializer, report)
            .map_err(|error| error.to_string())?;
        deserializer.end().map_err(|error| error.to_string())?;
        Ok(shape)
    }

    /// Reads the next value of `scanner`, checking the event it is, into
    /// `report`; on `Bail`, `report` holds whatever was found before.
    fn scan<'b>(&self, scanner: &mut Scanner<'b>, report: &mut Report) -> Result<Shape<'b>, Bail> {
        TopLevel {
            plan: &self.plan,
            message_id_keys: &self.message_id_keys,
            report,
        }
        .deserialize(scanner)
    }

    /// Reads the next value of `deserializer`, checking the event it is.
    fn read_value<'b>(
        &self,
        deserializer: &mut serde_json::Deserializer<serde_json::de::StrRead<'b>>,
        report: &mut Report,
    ) -> serde_json::Result<Shape<'b>> {
        TopLevel {
            plan: &self.plan,
            message_id_keys: &self.message_id_keys,
            report,
        }
        .deserialize(deserializer)
    }

    /// The `too_large` failure of an event over [`with_max_event_bytes`].
    ///
    /// [`with_max_event_bytes`]: PlanValidator::with_max_event_bytes
    #[cold]
    fn too_large(&self, bytes: &[u8], received_at_ms: u64) -> FailedEvent {
        FailedEvent::new(
            FailureReason::TooLarge,
            Payload::from_bytes(bytes),
            received_at_ms,
        )
        .with_errors([FailedCheck::new(
            "",
            "too_large",
            format!(
                "{} bytes is over the limit of {} bytes",
                bytes.len(),
                self.max_event_bytes
            ),
        )])
    }

    fn verdict(
        &self,
        seen: Seen<'_>,
        report: Report,
        bytes: &[u8],
        received_at_ms: u64,
    ) -> Result<Accepted<'_>, FailedEvent> {
        let failed = |reason, errors: Vec<FailedCheck>| {
            let mut failed = FailedEvent::new(reason, Payload::from_bytes(bytes), received_at_ms)
                .with_errors(errors);
            failed.event_type = seen.event_type.as_deref().map(str::to_owned);
            failed
        };
        if let Some(message) = &seen.not_envelope {
            let check = FailedCheck::new("", "envelope", message.clone());
            return Err(failed(FailureReason::NotEnvelope, vec![check]));
        }
        let Some(index) = seen.event else {
            let name = seen.event_type.as_deref().unwrap_or_default();
            let check = FailedCheck::new(
                "",
                "unknown_event_type",
                format!("the tracking plan has no event {name:?}"),
            );
            return Err(failed(FailureReason::UnknownEventType, vec![check]));
        };
        if !report.errors.is_empty() {
            let reason = if report.schema {
                FailureReason::SchemaViolation
            } else {
                FailureReason::RuleViolation
            };
            return Err(failed(reason, report.errors));
        }
        let event = &self.plan.events[index];
        Ok(Accepted {
            event_type: &event.name,
            version: event.version,
            message_id: seen.message_id.map(|id| id.into_owned()),
            format: if seen.segment {
                Format::Segment
            } else {
                Format::Reference
            },
        })
    }
}

/// Who reads the bytes of an event: the scanner first (which leaves what
/// it does not handle to `serde_json`), or `serde_json` alone.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reader {
    Scanner,
    SerdeJson,
}

fn not_json(bytes: &[u8], received_at_ms: u64, message: String) -> FailedEvent {
    FailedEvent::new(
        FailureReason::NotJson,
        Payload::from_bytes(bytes),
        received_at_ms,
    )
    .with_errors([FailedCheck::new("", "json", message)])
}

fn not_envelope(bytes: &[u8], received_at_ms: u64, message: &str) -> FailedEvent {
    FailedEvent::new(
        FailureReason::NotEnvelope,
        Payload::from_bytes(bytes),
        received_at_ms,
    )
    .with_errors([FailedCheck::new("", "envelope", message)])
}

#[cfg(test)]
mod tests;
