//! The wire envelope: one event (`TrackEventRequest`) and a batch (`EventBatch`).

use std::any::Any;
use std::fmt;

use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;

use crate::event::AnalyticsEvent;
use crate::schema::EventSchema;
use crate::validate::ValidationErrors;

/// An event whatever its type: its name, schema, rules and writer. Every
/// `#[derive(AnalyticsEvent)]` type and [`TrackEventRequest`] implement it;
/// the client's `track` accepts any of them.
///
/// Its method names differ from those of [`AnalyticsEvent`] on purpose, so
/// that importing both (`use analytics_core::*`) leaves `event.validate()`
/// and `E::schema()` unambiguous.
pub trait Trackable {
    /// The wire name.
    fn event_name(&self) -> &'static str;
    /// The event's schema.
    fn event_schema(&self) -> &'static EventSchema;
    /// Runs the field rules.
    fn validate_event(&self) -> Result<(), ValidationErrors>;
    /// Appends the compact envelope.
    fn write_envelope(&self, out: &mut Vec<u8>);

    /// `write_envelope` is the derived writer, which applies the client's
    /// PII policy as it writes (`#[analytics(pii)]` members); `false` for a
    /// hand-written one, whose bytes the client scans instead.
    #[doc(hidden)]
    fn __pii_at_write(&self) -> bool {
        false
    }
}

impl<E: AnalyticsEvent> Trackable for E {
    fn event_name(&self) -> &'static str {
        E::NAME
    }
    fn event_schema(&self) -> &'static EventSchema {
        E::schema()
    }
    fn validate_event(&self) -> Result<(), ValidationErrors> {
        AnalyticsEvent::validate(self)
    }
    fn write_envelope(&self, out: &mut Vec<u8>) {
        AnalyticsEvent::write_json(self, out)
    }
    fn __pii_at_write(&self) -> bool {
        true
    }
}

/// What `TrackEventRequest` needs from a boxed event, beyond [`Trackable`].
trait DynEvent: Trackable + erased_serde::Serialize + Any + Send + Sync {
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

/// An event boxed in a [`TrackEventRequest`]: its `Serialize` is the whole
/// envelope (`event_type`, the envelope keys, `event_params`), as
/// `EventCatalog` writes it.
struct Boxed<E>(E);

impl<E: AnalyticsEvent> Serialize for Boxed<E> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.__serialize_envelope(serializer)
    }
}

impl<E: AnalyticsEvent> Trackable for Boxed<E> {
    fn event_name(&self) -> &'static str {
        E::NAME
    }
    fn event_schema(&self) -> &'static EventSchema {
        E::schema()
    }
    fn validate_event(&self) -> Result<(), ValidationErrors> {
        AnalyticsEvent::validate(&self.0)
    }
    fn write_envelope(&self, out: &mut Vec<u8>) {
        AnalyticsEvent::write_json(&self.0, out)
    }
    fn __pii_at_write(&self) -> bool {
        true
    }
}

impl<E: AnalyticsEvent> DynEvent for Boxed<E> {
    fn as_any(&self) -> &dyn Any {
        &self.0
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// Any event, type-erased: what the reference's untagged `TrackEventRequest`
/// enum was, without the hand-written variant per event.
///
/// Every `#[derive(AnalyticsEvent)]` type converts into it with `From`.
/// Serializes as the envelope `{"event_type": .., "event_params": {..}}`,
/// with the event's `#[analytics(envelope)]` keys between the two.
pub struct TrackEventRequest {
    event: Box<dyn DynEvent>,
}

impl TrackEventRequest {
    /// Wraps an event.
    pub fn new<E: AnalyticsEvent>(event: E) -> Self {
        TrackEventRequest {
            event: Box::new(Boxed(event)),
        }
    }

    /// The event's wire name.
    pub fn event_type(&self) -> &'static str {
        self.event.event_name()
    }

    /// The event's schema.
    pub fn schema(&self) -> &'static EventSchema {
        self.event.event_schema()
    }

    /// Validates the event inside.
    pub fn validate(&self) -> Result<(), ValidationErrors> {
        self.event.validate_event()
    }

    /// Appends the compact envelope, identical to `serde_json::to_writer(self)`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        self.event.write_envelope(out)
    }

    /// Writes the compact envelope to any `io::Write` (one `write_all`).
    pub fn write_json_to<W: std::io::Write>(&self, writer: W) -> std::io::Result<()> {
        crate::json::write_to(writer, |out| self.write_json(out))
    }

    /// The event, if it is an `E`.
    pub fn downcast_ref<E: AnalyticsEvent>(&self) -> Option<&E> {
        self.event.as_any().downcast_ref()
    }

    /// The event back, if it is an `E`; the request unchanged otherwise.
    pub fn downcast<E: AnalyticsEvent>(self) -> Result<E, Self> {
        if self.event.as_any().is::<E>() {
            let any = self.event.into_any();
            Ok(any
                .downcast::<Boxed<E>>()
                .unwrap_or_else(|_| unreachable!("type checked above"))
                .0)
        } else {
            Err(self)
        }
    }
}

impl Trackable for TrackEventRequest {
    fn event_name(&self) -> &'static str {
        self.event.event_name()
    }
    fn event_schema(&self) -> &'static EventSchema {
        self.event.event_schema()
    }
    fn validate_event(&self) -> Result<(), ValidationErrors> {
        self.event.validate_event()
    }
    fn write_envelope(&self, out: &mut Vec<u8>) {
        self.event.write_envelope(out)
    }
    fn __pii_at_write(&self) -> bool {
        self.event.__pii_at_write()
    }
}

impl fmt::Debug for TrackEventRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut json = Vec::new();
        self.write_json(&mut json);
        f.debug_struct("TrackEventRequest")
            .field("event_type", &self.event_type())
            .field("json", &String::from_utf8_lossy(&json))
            .finish()
    }
}

impl Serialize for TrackEventRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        erased_serde::serialize(&*self.event, serializer)
    }
}

impl<E: AnalyticsEvent> From<E> for TrackEventRequest {
    fn from(event: E) -> Self {
        TrackEventRequest::new(event)
    }
}

/// A batch of events as the reference sends it: `{"events": [..]}`.
#[derive(Debug, Default)]
pub struct EventBatch {
    events: Vec<TrackEventRequest>,
}

impl EventBatch {
    /// A batch of these events, in this order.
    pub fn new(events: Vec<TrackEventRequest>) -> Self {
        EventBatch { events }
    }

    /// Appends one event.
    pub fn push(&mut self, event: impl Into<TrackEventRequest>) {
        self.events.push(event.into());
    }

    /// The events, in order.
    pub fn events(&self) -> &[TrackEventRequest] {
        &self.events
    }

    /// How many events.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// No event.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The events back.
    pub fn into_events(self) -> Vec<TrackEventRequest> {
        self.events
    }

    /// Writes the compact batch to any `io::Write` (one `write_all`).
    pub fn write_json_to<W: std::io::Write>(&self, writer: W) -> std::io::Result<()> {
        crate::json::write_to(writer, |out| self.write_json(out))
    }

    /// Appends the compact batch, identical to `serde_json::to_writer(self)`.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"events\":[");
        for (i, event) in self.events.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            event.write_json(out);
        }
        out.extend_from_slice(b"]}");
    }
}

impl Serialize for EventBatch {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut batch = serializer.serialize_struct("EventBatch", 1)?;
        batch.serialize_field("events", &self.events)?;
        batch.end()
    }
}

impl FromIterator<TrackEventRequest> for EventBatch {
    fn from_iter<I: IntoIterator<Item = TrackEventRequest>>(iter: I) -> Self {
        EventBatch::new(iter.into_iter().collect())
    }
}

impl Extend<TrackEventRequest> for EventBatch {
    fn extend<I: IntoIterator<Item = TrackEventRequest>>(&mut self, iter: I) {
        self.events.extend(iter);
    }
}

impl IntoIterator for EventBatch {
    type Item = TrackEventRequest;
    type IntoIter = std::vec::IntoIter<TrackEventRequest>;
    fn into_iter(self) -> Self::IntoIter {
        self.events.into_iter()
    }
}
