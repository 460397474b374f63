//! Attribute and derive names, as constants (serde_derive's `symbol.rs`): the
//! matching code compares against these, so a typo is a compile error here.

/// An attribute or key name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Symbol(pub &'static str);

pub const DERIVE_EVENT: &str = "AnalyticsEvent";
pub const DERIVE_FIELDS: &str = "AnalyticsFields";
pub const DERIVE_ENUM: &str = "AnalyticsEnum";
pub const DERIVE_CATALOG: &str = "EventCatalog";

/// Our attribute: `#[analytics(...)]`.
pub const ANALYTICS: Symbol = Symbol("analytics");
/// serde's attribute, whose wire-changing keys the derives honour.
pub const SERDE: Symbol = Symbol("serde");

pub const CHECK: Symbol = Symbol("check");
pub const RANGE: Symbol = Symbol("range");
pub const LENGTH: Symbol = Symbol("length");
pub const NON_EMPTY: Symbol = Symbol("non_empty");
pub const PATTERN: Symbol = Symbol("pattern");
pub const ONE_OF: Symbol = Symbol("one_of");
pub const CUSTOM: Symbol = Symbol("custom");

/// Keys that may be written more than once on a struct (`check = a, check = b`).
pub const REPEATABLE_KEYS: &[&str] = &[CHECK.0];

/// The field rules, by key.
pub const RULE_KEYS: &[Symbol] = &[RANGE, LENGTH, NON_EMPTY, PATTERN, ONE_OF, CUSTOM];

/// The longest event name accepted.
pub const MAX_EVENT_NAME_LEN: usize = 128;

// serde keys the derives honour.
pub const RENAME: Symbol = Symbol("rename");
pub const RENAME_ALL: Symbol = Symbol("rename_all");
pub const FLATTEN: Symbol = Symbol("flatten");
pub const SKIP_SERIALIZING_IF: Symbol = Symbol("skip_serializing_if");
pub const DEFAULT: Symbol = Symbol("default");
pub const SKIP: Symbol = Symbol("skip");
pub const SKIP_SERIALIZING: Symbol = Symbol("skip_serializing");
pub const SKIP_DESERIALIZING: Symbol = Symbol("skip_deserializing");
pub const ALIAS: Symbol = Symbol("alias");
pub const WITH: Symbol = Symbol("with");
pub const SERIALIZE_WITH: Symbol = Symbol("serialize_with");
pub const DESERIALIZE_WITH: Symbol = Symbol("deserialize_with");
pub const DENY_UNKNOWN_FIELDS: Symbol = Symbol("deny_unknown_fields");
pub const TAG: Symbol = Symbol("tag");
pub const CONTENT: Symbol = Symbol("content");
pub const UNTAGGED: Symbol = Symbol("untagged");

/// Every serde key some item honours; where an item does not take one, the
/// error names it.
pub const SERDE_KEYS: &[Symbol] = &[
    RENAME,
    RENAME_ALL,
    FLATTEN,
    SKIP_SERIALIZING_IF,
    DEFAULT,
    SKIP,
    SKIP_SERIALIZING,
    SKIP_DESERIALIZING,
    ALIAS,
    WITH,
    SERIALIZE_WITH,
    DESERIALIZE_WITH,
    DENY_UNKNOWN_FIELDS,
    TAG,
    CONTENT,
    UNTAGGED,
];
