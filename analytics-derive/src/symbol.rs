//! Attribute and derive names, as constants so a typo is a compile error here.

pub const DERIVE_EVENT: &str = "AnalyticsEvent";
pub const DERIVE_FIELDS: &str = "AnalyticsFields";
pub const DERIVE_ENUM: &str = "AnalyticsEnum";
pub const DERIVE_CATALOG: &str = "EventCatalog";

/// Our attribute: `#[analytics(...)]`.
pub const ANALYTICS: &str = "analytics";

/// Keys that may be written more than once on a struct (`check = a, check = b`).
pub const REPEATABLE_KEYS: &[&str] = &["check"];

/// Field names that the envelope owns.
pub const RESERVED_FIELD_NAMES: &[&str] = &["event_type", "event_params"];

/// The longest event name accepted.
pub const MAX_EVENT_NAME_LEN: usize = 128;

/// The field rules, by key.
pub const RULE_KEYS: &[&str] = &[
    "range",
    "length",
    "non_empty",
    "pattern",
    "one_of",
    "custom",
];

/// The keys of `#[analytics(...)]` on a field.
pub const FIELD_KEYS: &[&str] = &[
    "flatten",
    "rename",
    "pii",
    "deprecated",
    "range",
    "length",
    "non_empty",
    "pattern",
    "one_of",
    "custom",
];

/// The keys of `#[analytics(...)]` on an `AnalyticsEvent` struct.
pub const EVENT_KEYS: &[&str] = &["name", "version", "any_name", "crate", "check"];

/// The keys of `#[analytics(...)]` on an `AnalyticsFields` struct.
pub const FIELDS_KEYS: &[&str] = &["crate", "check"];

/// The keys of `#[analytics(...)]` on an `AnalyticsEnum` or an `EventCatalog`.
pub const ENUM_KEYS: &[&str] = &["crate"];
