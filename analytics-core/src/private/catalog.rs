//! Registration: what each derived event submits to `inventory`.

use super::EventDecl;
use crate::AnalyticsEvent;

/// What the derive registers for each event (through `inventory`): its
/// declaration, data only (no function of the event is instantiated for it).
pub struct CatalogEntry {
    pub(crate) decl: &'static EventDecl,
}

impl CatalogEntry {
    /// The entry for event `E`.
    pub const fn new<E: AnalyticsEvent>() -> Self {
        CatalogEntry { decl: E::__DECL }
    }
}

inventory::collect!(CatalogEntry);
