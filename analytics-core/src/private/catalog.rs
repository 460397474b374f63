//! Registration: what each derived event submits to `inventory`.

use crate::schema::EventSchema;
use crate::AnalyticsEvent;

/// What the derive registers for each event (through `inventory`).
pub struct CatalogEntry {
    pub(crate) schema: fn() -> &'static EventSchema,
}

impl CatalogEntry {
    /// The entry for event `E`.
    pub const fn new<E: AnalyticsEvent>() -> Self {
        CatalogEntry { schema: E::schema }
    }
}

inventory::collect!(CatalogEntry);
