//! Attribute and derive names, as constants so a typo is a compile error here.

pub const DERIVE_EVENT: &str = "AnalyticsEvent";
pub const DERIVE_FIELDS: &str = "AnalyticsFields";
pub const DERIVE_ENUM: &str = "AnalyticsEnum";
pub const DERIVE_CATALOG: &str = "EventCatalog";

/// Field names that the envelope owns.
pub const RESERVED_FIELD_NAMES: &[&str] = &["event_type", "event_params"];

/// The longest event name accepted.
pub const MAX_EVENT_NAME_LEN: usize = 128;
