//! What `track` needs of an event, whether a typed event or an `EventCatalog` value.

use crate::schema::EventSchema;
use crate::validate::ValidationErrors;
use crate::{EventCatalog, Trackable};

/// What `track` needs of an event, whatever its kind. `schema` is `None`
/// only for a hand-written `EventCatalog` whose name no single type claims.
pub(super) trait Tracked {
    fn name(&self) -> &'static str;
    fn schema(&self) -> Option<&'static EventSchema>;
    fn validate(&self) -> Result<(), ValidationErrors>;
    fn write(&self, out: &mut Vec<u8>);
    /// `write` is the derived writer, which applies the PII policy itself.
    fn pii_at_write(&self) -> bool;
}

/// Any [`Trackable`]: the schema is its own type's.
pub(super) struct Typed<'a, E: ?Sized>(pub(super) &'a E);

impl<E: Trackable + ?Sized> Tracked for Typed<'_, E> {
    fn name(&self) -> &'static str {
        self.0.event_name()
    }
    fn schema(&self) -> Option<&'static EventSchema> {
        Some(self.0.event_schema())
    }
    fn validate(&self) -> Result<(), ValidationErrors> {
        self.0.validate_event()
    }
    fn write(&self, out: &mut Vec<u8>) {
        self.0.write_envelope(out)
    }
    fn pii_at_write(&self) -> bool {
        self.0.__pii_at_write()
    }
}

/// An `EventCatalog` enum, with the schema of the event inside.
pub(super) struct InCatalog<'a, C> {
    pub(super) event: &'a C,
    pub(super) schema: Option<&'static EventSchema>,
}

impl<C: EventCatalog> Tracked for InCatalog<'_, C> {
    fn name(&self) -> &'static str {
        self.event.event_type()
    }
    fn schema(&self) -> Option<&'static EventSchema> {
        self.schema
    }
    fn validate(&self) -> Result<(), ValidationErrors> {
        self.event.validate()
    }
    fn write(&self, out: &mut Vec<u8>) {
        self.event.write_json(out)
    }
    fn pii_at_write(&self) -> bool {
        C::__PII_AT_WRITE
    }
}
