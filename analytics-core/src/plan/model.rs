//! The tracking plan's data model: owned twins of the `'static` schema types.
//!
//! Plain data with public fields, so that a plan read from JSON can be
//! inspected and edited (tests edit a plan to simulate a change). The
//! renderings and the diff live beside it ([`super::document`],
//! [`super::markdown`], [`super::json_schema`], [`super::diff`]); the
//! conversions from the schemas in [`super::from_schema`].

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::identity::IdentityKeys;
use crate::schema::{
    describe, Bound, EventSchema, HasTypeShape, IdentityRole, IntegerKind, RuleShape, Tagging,
    TypeShape,
};

/// The version of the JSON layout written by [`TrackingPlan::to_json`]
/// (the `"format_version"` key). [`TrackingPlan::from_json`] reads this
/// version and rejects newer ones.
///
/// The layout:
///
/// ```json
/// {
///   "format_version": 1,
///   "events": [{"name": "..", "version": 1, "description": "..", "rust_type": "..",
///               "envelope": [..], "fields": [<field>, ..], "checks": [..], "write_only": true}],
///   "objects": {"Key": {"name": "..", "description": "..", "fields": [..], "checks": [..]}},
///   "enums": {"Key": {"name": "..", "description": "..", "values": [{"name": "..", "description": ".."}]}},
///   "unions": {"Key": {"name": "..", "description": "..", "tagging": "external", "variants": [..]}}
/// }
/// ```
///
/// A field is `{"name", "rust_path", "type", "required", "nullable",
/// "description", "rules", "pii", "deprecated"}`; a type is a name (`"string"`,
/// `"u64"`, `"f64"`, `"boolean"`, `"any"`) or an object with one key
/// (`{"array": <type>}`, `{"nullable": <type>}`, `{"enum": "Key"}`,
/// `{"object": "Key"}`, `{"union": "Key"}`, `{"ref": "RustName"}`,
/// `{"map": {"keys": "EnumKey", "values": <type>}}`, `{"json": <JSON Schema>}`);
/// a rule is `"non_empty"` or `{"range": {"min", "max"}}`, `{"length": ..}`,
/// `{"pattern": ".."}`, `{"one_of": [..]}`, `{"custom": "path"}`. Keys that
/// would be empty (`envelope`, `checks`, `rules`, `unions`) or false (`pii`,
/// `write_only`) are left out, so that a plan without them is written as
/// before they existed. A union's `"tagging"` is `"external"`, `"untagged"`,
/// `{"internal": {"tag"}}` or `{"adjacent": {"tag", "content"}}`; a variant is
/// `{"name", "description", "shape"}` with a shape `"unit"`,
/// `{"newtype": <type>}`, `{"tuple": [<type>, ..]}` or `{"struct": [<field>, ..]}`.
pub const PLAN_FORMAT_VERSION: u64 = 1;

/// Every event of a product, as plain owned data.
///
/// Built from the `'static` schemas of the derives ([`TrackingPlan::from_catalog`],
/// [`TrackingPlan::from_events`]) or read back from its JSON rendering
/// ([`TrackingPlan::from_json`]), so that a committed plan can be compared
/// with the current one ([`TrackingPlan::diff`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrackingPlan {
    /// The events, sorted by name by every constructor. Comparisons match
    /// events by name, so the order only matters for the renderings.
    pub events: Vec<PlanEvent>,
}

/// One event of a [`TrackingPlan`] (the owned twin of [`EventSchema`](crate::schema::EventSchema)).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanEvent {
    /// The `event_type` written on the wire.
    pub name: String,
    /// The event's version.
    pub version: u32,
    /// From the struct's doc comment; empty when there is none.
    pub description: String,
    /// The Rust type that defines the event (informative: not compared).
    pub rust_type: String,
    /// Every key of `event_params`, in wire order.
    pub fields: Vec<PlanField>,
    /// The `#[analytics(envelope)]` fields, written at the top level of the
    /// envelope between `event_type` and `event_params`, in this order.
    pub envelope: Vec<PlanField>,
    /// The struct-level `check` functions, by path (not checkable on arrival).
    pub checks: Vec<String>,
    /// The event has no `Deserialize`.
    pub write_only: bool,
}

/// One key of an object on the wire (the owned twin of [`FieldSchema`](crate::schema::FieldSchema)).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanField {
    /// The wire name.
    pub name: String,
    /// The Rust path of the field, such as `base.thread_id` (informative: not compared).
    pub rust_path: String,
    /// The value's type; for a nullable field, the type of the non-null value.
    pub ty: PlanType,
    /// The key is always written.
    pub required: bool,
    /// The value may be `null`.
    pub nullable: bool,
    /// From the field's doc comment; empty when there is none.
    pub description: String,
    /// The validation rules declared on the field.
    pub rules: Vec<PlanRule>,
    /// The value is personal data.
    pub pii: bool,
    /// The deprecation note, if the field is deprecated (may be empty).
    pub deprecated: Option<String>,
    /// The user identity the value carries (`#[analytics(user_id)]`,
    /// `#[analytics(anonymous_id)]`), if any.
    pub identity: Option<IdentityRole>,
}

/// The type of a wire value (the owned twin of [`FieldType`](crate::schema::FieldType)).
///
/// Equality compares contents; shared objects and unions (the same `Arc`)
/// are equal without being walked.
#[derive(Debug, Clone)]
pub enum PlanType {
    /// A JSON string.
    String,
    /// A JSON integer with the Rust width it comes from.
    Integer(IntegerKind),
    /// A JSON number from `f32` (`32`) or `f64` (`64`).
    Number(u8),
    /// `true` or `false`.
    Boolean,
    /// A string limited to a closed set of values.
    Enum(PlanEnum),
    /// A nested object, shared: a plan that uses one object many times holds it once.
    Object(Arc<PlanObject>),
    /// An array of items of one type.
    Array(Box<PlanType>),
    /// A value that may be `null` (used for items; fields use [`PlanField::nullable`]).
    Nullable(Box<PlanType>),
    /// A JSON object with free keys.
    Map {
        /// The enum the keys are limited to, or `None` for any string key.
        keys: Option<PlanEnum>,
        /// The type of every value.
        values: Box<PlanType>,
    },
    /// Any JSON value.
    Any,
    /// A value described by a user-given JSON Schema (an `#[analytics(serde, schema = ..)]` field).
    Json(serde_json::Value),
    /// An enum with data variants.
    Union(Arc<PlanUnion>),
    /// A reference to the nearest enclosing object with this Rust type name
    /// (a recursive type).
    Ref(String),
}

/// An enum with data variants (the owned twin of [`UnionSchema`](crate::schema::UnionSchema)).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanUnion {
    /// The Rust type name.
    pub name: String,
    /// From the enum's doc comment.
    pub description: String,
    /// How a variant is told apart on the wire.
    pub tagging: Tagging,
    /// The variants, in declaration order.
    pub variants: Vec<PlanVariant>,
}

/// One variant of a [`PlanUnion`] (the owned twin of [`UnionVariant`](crate::schema::UnionVariant)).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanVariant {
    /// The wire name.
    pub name: String,
    /// From the variant's doc comment.
    pub description: String,
    /// What the variant carries.
    pub shape: PlanVariantShape,
}

/// What a variant carries (the owned twin of [`VariantShape`](crate::schema::VariantShape)).
#[derive(Debug, Clone, PartialEq)]
pub enum PlanVariantShape {
    /// Nothing.
    Unit,
    /// One value.
    Newtype(PlanType),
    /// Several values, as a JSON array.
    Tuple(Vec<PlanType>),
    /// Named fields, as a JSON object.
    Struct(Vec<PlanField>),
}

/// A closed set of string values (the owned twin of [`EnumSchema`](crate::schema::EnumSchema)).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanEnum {
    /// The Rust type name.
    pub name: String,
    /// From the enum's doc comment.
    pub description: String,
    /// The wire values, in declaration order.
    pub values: Vec<PlanEnumValue>,
}

/// One value of a [`PlanEnum`].
#[derive(Debug, Clone, PartialEq)]
pub struct PlanEnumValue {
    /// The wire value.
    pub name: String,
    /// From the variant's doc comment.
    pub description: String,
}

/// A nested object (the owned twin of [`ObjectSchema`](crate::schema::ObjectSchema)).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanObject {
    /// The Rust type name.
    pub name: String,
    /// From the struct's doc comment.
    pub description: String,
    /// Its wire fields, in wire order.
    pub fields: Vec<PlanField>,
    /// The struct-level `check` functions, by path (not checkable on arrival).
    pub checks: Vec<String>,
}

/// A validation rule (the owned twin of [`Rule`](crate::schema::Rule)).
#[derive(Debug, Clone, PartialEq)]
// The owned twin of `schema::Rule` (`String` where the derive has
// `&'static str`); their names and words are one implementation
// (`schema::RuleShape`), and `From<&Rule>` is the one conversion.
pub enum PlanRule {
    /// `range(min = .., max = ..)`, inclusive.
    Range {
        /// Lower bound, if any.
        min: Option<Bound>,
        /// Upper bound, if any.
        max: Option<Bound>,
    },
    /// `length(min = .., max = ..)`: chars of a string, items of an array; inclusive.
    Length {
        /// Lower bound, if any.
        min: Option<u64>,
        /// Upper bound, if any.
        max: Option<u64>,
    },
    /// `non_empty`.
    NonEmpty,
    /// `pattern = "regex"` (a search: anchor with `^...$`).
    Pattern(String),
    /// `one_of = [..]`, case-sensitive.
    OneOf(Vec<String>),
    /// `custom = path`: a user function (not expressible in JSON Schema).
    Custom(String),
}

impl PartialEq for PlanType {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (PlanType::String, PlanType::String)
            | (PlanType::Boolean, PlanType::Boolean)
            | (PlanType::Any, PlanType::Any) => true,
            (PlanType::Integer(a), PlanType::Integer(b)) => a == b,
            (PlanType::Number(a), PlanType::Number(b)) => a == b,
            (PlanType::Enum(a), PlanType::Enum(b)) => a == b,
            (PlanType::Object(a), PlanType::Object(b)) => Arc::ptr_eq(a, b) || a == b,
            (PlanType::Array(a), PlanType::Array(b)) => a == b,
            (PlanType::Nullable(a), PlanType::Nullable(b)) => a == b,
            (
                PlanType::Map {
                    keys: a_keys,
                    values: a_values,
                },
                PlanType::Map {
                    keys: b_keys,
                    values: b_values,
                },
            ) => a_keys == b_keys && a_values == b_values,
            (PlanType::Json(a), PlanType::Json(b)) => a == b,
            (PlanType::Union(a), PlanType::Union(b)) => Arc::ptr_eq(a, b) || a == b,
            (PlanType::Ref(a), PlanType::Ref(b)) => a == b,
            // Listed rather than `_`, so that a new variant is a compile error here.
            (
                PlanType::String
                | PlanType::Integer(_)
                | PlanType::Number(_)
                | PlanType::Boolean
                | PlanType::Enum(_)
                | PlanType::Object(_)
                | PlanType::Array(_)
                | PlanType::Nullable(_)
                | PlanType::Map { .. }
                | PlanType::Any
                | PlanType::Json(_)
                | PlanType::Union(_)
                | PlanType::Ref(_),
                _,
            ) => false,
        }
    }
}

impl PlanType {
    /// A short human name: `string`, `integer (u64)`, `enum RpcTransport`,
    /// `array of (string or null)`... (the same words as [`FieldType::describe`](crate::schema::FieldType::describe)).
    pub fn describe(&self) -> String {
        describe(self)
    }
}

impl HasTypeShape for PlanType {
    fn type_shape(&self) -> TypeShape<'_, Self> {
        match self {
            PlanType::String => TypeShape::String,
            PlanType::Integer(kind) => TypeShape::Integer(*kind),
            PlanType::Number(bits) => TypeShape::Number(*bits),
            PlanType::Boolean => TypeShape::Boolean,
            PlanType::Enum(schema) => TypeShape::Enum(&schema.name),
            PlanType::Object(object) => TypeShape::Object(&object.name),
            PlanType::Array(item) => TypeShape::Array(item),
            PlanType::Nullable(inner) => TypeShape::Nullable(inner),
            PlanType::Map { keys, values } => TypeShape::Map {
                keys: keys.as_ref().map(|keys| keys.name.as_str()),
                values,
            },
            PlanType::Any => TypeShape::Any,
            PlanType::Json(_) => TypeShape::Json,
            PlanType::Union(union) => TypeShape::Union(&union.name),
            PlanType::Ref(name) => TypeShape::Ref(name),
        }
    }
}

impl fmt::Display for PlanType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl PlanRule {
    /// The rule's name: `range`, `length`, `non_empty`, `pattern`, `one_of`, `custom`.
    pub fn name(&self) -> &'static str {
        self.shape().name()
    }

    pub(crate) fn shape(&self) -> RuleShape<'_, String> {
        match self {
            PlanRule::Range { min, max } => RuleShape::Range {
                min: *min,
                max: *max,
            },
            PlanRule::Length { min, max } => RuleShape::Length {
                min: *min,
                max: *max,
            },
            PlanRule::NonEmpty => RuleShape::NonEmpty,
            PlanRule::Pattern(pattern) => RuleShape::Pattern(pattern),
            PlanRule::OneOf(values) => RuleShape::OneOf(values),
            PlanRule::Custom(path) => RuleShape::Custom(path),
        }
    }
}

impl fmt::Display for PlanRule {
    /// The attribute spelling: `range(min = -1, max = 255)`, `non_empty`,
    /// `pattern = "^a"`, `one_of = ["a", "b"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shape().fmt(f)
    }
}

impl TrackingPlan {
    /// The plan of every event linked into the binary ([`crate::catalog::events`]).
    pub fn from_catalog() -> TrackingPlan {
        TrackingPlan::from_plan_events(crate::catalog::events().map(PlanEvent::from).collect())
    }

    /// The plan of these events (sorted by name; the slice's order does not matter).
    pub fn from_events(events: &[&EventSchema]) -> TrackingPlan {
        TrackingPlan::from_plan_events(
            events
                .iter()
                .map(|schema| PlanEvent::from(*schema))
                .collect(),
        )
    }

    /// A plan of these owned events, sorted by name.
    pub fn from_plan_events(mut events: Vec<PlanEvent>) -> TrackingPlan {
        events.sort_by(|a, b| a.name.cmp(&b.name));
        TrackingPlan { events }
    }

    /// The events, sorted by name.
    pub fn events(&self) -> &[PlanEvent] {
        &self.events
    }

    /// The event with this name, if any.
    pub fn event(&self, name: &str) -> Option<&PlanEvent> {
        self.events.iter().find(|event| event.name == name)
    }

    /// Where each event carries its user's identity, by event type; events
    /// without identity fields are left out.
    pub fn identity_keys(&self) -> BTreeMap<String, IdentityKeys> {
        self.events
            .iter()
            .map(|event| (event.name.clone(), IdentityKeys::of_plan(event)))
            .filter(|(_, keys)| !keys.is_empty())
            .collect()
    }

    /// The event with this name, mutably (to edit a plan in a test).
    pub fn event_mut(&mut self, name: &str) -> Option<&mut PlanEvent> {
        self.events.iter_mut().find(|event| event.name == name)
    }
}

impl PlanEvent {
    /// The field with this wire name, if any.
    pub fn field(&self, name: &str) -> Option<&PlanField> {
        self.fields.iter().find(|field| field.name == name)
    }

    /// The field with this wire name, mutably (to edit a plan in a test).
    pub fn field_mut(&mut self, name: &str) -> Option<&mut PlanField> {
        self.fields.iter_mut().find(|field| field.name == name)
    }
}
