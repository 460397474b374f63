//! Static descriptions of events and their fields, built by the derives.
//!
//! Every schema is built once per type, on first use, and lives for the rest
//! of the process (`&'static`): the catalog, the tracking plan and the client
//! all read the same values.

use std::fmt;

pub(crate) mod building;
mod words;

pub(crate) use words::{describe, describe_with, HasTypeShape, RuleShape, TypeShape};

/// An event: its wire name, version, description and every wire field.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSchema {
    /// The `event_type` written on the wire.
    pub name: &'static str,
    /// The event's version (`#[analytics(version = N)]`, default 1).
    pub version: u32,
    /// From the struct's doc comment; empty when there is none.
    pub description: &'static str,
    /// Every key of `event_params`, flattened base fields included, in wire order.
    pub fields: &'static [FieldSchema],
    /// The Rust type that defines the event (for docs and error messages).
    pub rust_type: &'static str,
    /// `#[analytics(envelope)]` fields: written at the top level of the
    /// envelope after `event_type` and before `event_params`, in this order.
    pub envelope: &'static [FieldSchema],
    /// The paths of the struct-level `#[analytics(check = path)]` functions, as
    /// written (they run in `validate()`, not on arrival: a receiver without
    /// the Rust types reports them as not checkable).
    pub checks: &'static [&'static str],
    /// The event has no `Deserialize` (a borrowed field, or `#[analytics(write_only)]`).
    pub write_only: bool,
}

impl EventSchema {
    /// The field with this wire name, if any.
    pub fn field(&self, wire_name: &str) -> Option<&'static FieldSchema> {
        self.fields.iter().find(|field| field.name == wire_name)
    }

    /// The field carrying `role` (a key of `event_params` first, then an
    /// envelope key); the first in wire order if several do.
    pub fn identity_field(&self, role: IdentityRole) -> Option<&'static FieldSchema> {
        let fields: &'static [FieldSchema] = self.fields;
        let envelope: &'static [FieldSchema] = self.envelope;
        fields
            .iter()
            .chain(envelope)
            .find(|field| field.identity == Some(role))
    }
}

/// One key of an object on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSchema {
    /// The wire name (after `rename` / `rename_all`).
    pub name: &'static str,
    /// The Rust path of the field from the struct that declares it, such as
    /// `base.thread_id` for a field of a flattened base: what validation
    /// errors print.
    pub rust_path: &'static str,
    /// The value's type; for an `Option<T>` this is the type of `T`.
    pub ty: FieldType,
    /// The key is always written (false with `skip_serializing_if`).
    pub required: bool,
    /// The value may be `null` (the field is an `Option`).
    pub nullable: bool,
    /// From the field's doc comment; empty when there is none.
    pub description: &'static str,
    /// The validation rules declared on the field.
    pub rules: &'static [Rule],
    /// `#[analytics(pii)]`: the value is personal data.
    pub pii: bool,
    /// `#[deprecated]` or `#[analytics(deprecated = "...")]`: the note, if any.
    pub deprecated: Option<&'static str>,
    /// `#[analytics(user_id)]` / `#[analytics(anonymous_id)]`: the value is
    /// the identity of the user the event is about.
    pub identity: Option<IdentityRole>,
}

/// Which identity of the user an event carries in one of its string fields,
/// set by `#[analytics(user_id)]` or `#[analytics(anonymous_id)]`.
///
/// Vendors key their users on these (Segment's `userId` / `anonymousId`,
/// PostHog's and Mixpanel's `distinct_id`, Amplitude's `user_id` /
/// `device_id`); the client's sinks read them from each event, and a receiver
/// reads them through the tracking plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentityRole {
    /// The known user (`#[analytics(user_id)]`).
    UserId,
    /// The device or installation standing for an unknown user
    /// (`#[analytics(anonymous_id)]`).
    AnonymousId,
}

impl IdentityRole {
    /// Both roles, in a fixed order.
    pub const ALL: [IdentityRole; 2] = [IdentityRole::UserId, IdentityRole::AnonymousId];

    /// The attribute key and the tracking plan's word: `user_id`, `anonymous_id`.
    pub fn name(self) -> &'static str {
        match self {
            IdentityRole::UserId => "user_id",
            IdentityRole::AnonymousId => "anonymous_id",
        }
    }

    /// The role named `name` ([`IdentityRole::name`]).
    pub fn from_name(name: &str) -> Option<IdentityRole> {
        IdentityRole::ALL
            .into_iter()
            .find(|role| role.name() == name)
    }
}

impl fmt::Display for IdentityRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The type of a wire value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldType {
    /// A JSON string.
    String,
    /// A JSON integer with the Rust width it comes from.
    Integer(IntegerKind),
    /// A JSON number from `f32` (`bits = 32`) or `f64` (`bits = 64`).
    Number {
        /// 32 or 64.
        bits: u8,
    },
    /// `true` or `false`.
    Boolean,
    /// A string limited to a closed set of values.
    Enum(&'static EnumSchema),
    /// A nested object (a type deriving `AnalyticsFields`).
    Object(&'static ObjectSchema),
    /// A JSON array of items of one type.
    Array(&'static FieldType),
    /// A value that may be `null` (used for items; fields use `FieldSchema::nullable`).
    Nullable(&'static FieldType),
    /// A JSON object with free keys (`BTreeMap<K, V>`, `HashMap<K, V>`).
    Map {
        /// `Some` when the key type derives `AnalyticsEnum` (keys limited to
        /// its values), `None` for string keys.
        keys: Option<&'static EnumSchema>,
        /// The type of every value.
        values: &'static FieldType,
    },
    /// Any JSON value: `serde_json::Value`, or an `#[analytics(serde)]` field
    /// without `schema = path`.
    Any,
    /// An `#[analytics(serde, schema = path)]` field: written through its own
    /// serde impls and described by the JSON Schema that `path()` returns.
    Serde(&'static SerdeSchema),
    /// An enum with data variants, in one of serde's four representations.
    Union(&'static UnionSchema),
    /// A recursive type: a reference to the nearest enclosing object with this
    /// Rust type name (`Node { children: Vec<Node> }` has a field of type
    /// `Array(Ref("Node"))`).
    Ref(&'static str),
}

impl FieldType {
    /// A short human name: `string`, `integer (u64)`, `enum RpcTransport`,
    /// `array of (string or null)`... (the same words as
    /// [`PlanType::describe`](crate::plan::PlanType::describe)).
    pub fn describe(&self) -> String {
        describe(self)
    }
}

impl HasTypeShape for FieldType {
    fn type_shape(&self) -> TypeShape<'_, Self> {
        match *self {
            FieldType::String => TypeShape::String,
            FieldType::Integer(kind) => TypeShape::Integer(kind),
            FieldType::Number { bits } => TypeShape::Number(bits),
            FieldType::Boolean => TypeShape::Boolean,
            FieldType::Enum(schema) => TypeShape::Enum(schema.name),
            FieldType::Object(schema) => TypeShape::Object(schema.name),
            FieldType::Array(item) => TypeShape::Array(item),
            FieldType::Nullable(inner) => TypeShape::Nullable(inner),
            FieldType::Map { keys, values } => TypeShape::Map {
                keys: keys.map(|keys| keys.name),
                values,
            },
            FieldType::Any => TypeShape::Any,
            FieldType::Serde(_) => TypeShape::Json,
            FieldType::Union(schema) => TypeShape::Union(schema.name),
            FieldType::Ref(name) => TypeShape::Ref(name),
        }
    }
}

impl fmt::Display for FieldType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// A field written through its own type's serde impls, with a user-given JSON Schema.
#[derive(Clone, Copy)]
pub struct SerdeSchema {
    /// The Rust type of the field.
    pub rust_type: &'static str,
    /// Returns the JSON Schema of the field's values (`#[analytics(serde, schema = path)]`).
    pub json_schema: fn() -> serde_json::Value,
}

// By hand: function pointers have no reliable equality, and their address says
// nothing useful in `Debug`. Two serde schemas are the same when they describe
// the same Rust type.
impl PartialEq for SerdeSchema {
    fn eq(&self, other: &Self) -> bool {
        self.rust_type == other.rust_type
    }
}

impl fmt::Debug for SerdeSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SerdeSchema")
            .field("rust_type", &self.rust_type)
            .finish_non_exhaustive()
    }
}

/// An enum with data variants (`AnalyticsEnum` with newtype, tuple or struct variants).
#[derive(Debug, Clone, PartialEq)]
pub struct UnionSchema {
    /// The Rust type name.
    pub name: &'static str,
    /// From the enum's doc comment.
    pub description: &'static str,
    /// How a variant is told apart on the wire.
    pub tagging: Tagging,
    /// The variants, in declaration order.
    pub variants: &'static [UnionVariant],
}

/// serde's four enum representations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tagging {
    /// serde's default: `{"Variant": payload}`, or `"Variant"` for a unit variant.
    External,
    /// `#[serde(tag = "..")]`: `{"tag": "Variant", ..fields}`.
    Internal {
        /// The key that holds the variant's name.
        tag: &'static str,
    },
    /// `#[serde(tag = "..", content = "..")]`: `{"tag": "Variant", "content": payload}`.
    Adjacent {
        /// The key that holds the variant's name.
        tag: &'static str,
        /// The key that holds the payload.
        content: &'static str,
    },
    /// `#[serde(untagged)]`: the payload alone.
    Untagged,
}

/// One variant of a [`UnionSchema`].
#[derive(Debug, Clone, PartialEq)]
pub struct UnionVariant {
    /// The wire name (after `rename` / `rename_all`).
    pub name: &'static str,
    /// From the variant's doc comment.
    pub description: &'static str,
    /// What the variant carries.
    pub shape: VariantShape,
}

/// What a variant of a union carries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VariantShape {
    /// Nothing.
    Unit,
    /// One value (an `Option<T>` payload is `Nullable(&T)`).
    Newtype(&'static FieldType),
    /// Several values, written as a JSON array (`Option` items are `Nullable`).
    Tuple(&'static [FieldType]),
    /// Named fields, written like an object's.
    Struct(&'static [FieldSchema]),
}

/// The Rust integer type behind an integer field.
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IntegerKind {
    I8,
    I16,
    I32,
    I64,
    I128,
    Isize,
    U8,
    U16,
    U32,
    U64,
    U128,
    Usize,
}

impl IntegerKind {
    /// The Rust spelling: `u64`, `i32`...
    pub const fn as_str(self) -> &'static str {
        match self {
            IntegerKind::I8 => "i8",
            IntegerKind::I16 => "i16",
            IntegerKind::I32 => "i32",
            IntegerKind::I64 => "i64",
            IntegerKind::I128 => "i128",
            IntegerKind::Isize => "isize",
            IntegerKind::U8 => "u8",
            IntegerKind::U16 => "u16",
            IntegerKind::U32 => "u32",
            IntegerKind::U64 => "u64",
            IntegerKind::U128 => "u128",
            IntegerKind::Usize => "usize",
        }
    }

    /// The smallest and largest value of the type, as `i128` (saturated for `u128`).
    pub const fn bounds(self) -> (i128, i128) {
        match self {
            IntegerKind::I8 => (i8::MIN as i128, i8::MAX as i128),
            IntegerKind::I16 => (i16::MIN as i128, i16::MAX as i128),
            IntegerKind::I32 => (i32::MIN as i128, i32::MAX as i128),
            IntegerKind::I64 | IntegerKind::Isize => (i64::MIN as i128, i64::MAX as i128),
            IntegerKind::I128 => (i128::MIN, i128::MAX),
            IntegerKind::U8 => (0, u8::MAX as i128),
            IntegerKind::U16 => (0, u16::MAX as i128),
            IntegerKind::U32 => (0, u32::MAX as i128),
            IntegerKind::U64 | IntegerKind::Usize => (0, u64::MAX as i128),
            IntegerKind::U128 => (0, i128::MAX),
        }
    }
}

impl fmt::Display for IntegerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A closed set of string values (a type deriving `AnalyticsEnum`).
#[derive(Debug, Clone, PartialEq)]
pub struct EnumSchema {
    /// The Rust type name.
    pub name: &'static str,
    /// From the enum's doc comment.
    pub description: &'static str,
    /// The wire values, in declaration order.
    pub values: &'static [EnumValue],
}

impl EnumSchema {
    /// The wire values alone, in declaration order.
    pub fn value_names(&self) -> impl Iterator<Item = &'static str> {
        self.values.iter().map(|value| value.name)
    }
}

/// One value of an [`EnumSchema`].
#[derive(Debug, Clone, PartialEq)]
pub struct EnumValue {
    /// The wire value (after `rename` / `rename_all`).
    pub name: &'static str,
    /// From the variant's doc comment.
    pub description: &'static str,
}

/// A nested object (a type deriving `AnalyticsFields`).
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectSchema {
    /// The Rust type name.
    pub name: &'static str,
    /// From the struct's doc comment.
    pub description: &'static str,
    /// Its wire fields, flattened ones included.
    pub fields: &'static [FieldSchema],
    /// The paths of its struct-level `#[analytics(check = path)]` functions.
    pub checks: &'static [&'static str],
}

/// A validation rule as declared on a field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// `range(min = .., max = ..)`, inclusive.
    Range {
        /// Lower bound, if any.
        min: Option<Bound>,
        /// Upper bound, if any.
        max: Option<Bound>,
    },
    /// `length(min = .., max = ..)`: chars of a string, items of a collection; inclusive.
    Length {
        /// Lower bound, if any.
        min: Option<u64>,
        /// Upper bound, if any.
        max: Option<u64>,
    },
    /// `non_empty`.
    NonEmpty,
    /// `pattern = "regex"`: the regex must match somewhere in the value.
    Pattern(&'static str),
    /// `one_of = [..]`: the value must be one of these (case-sensitive).
    OneOf(&'static [&'static str]),
    /// `custom = path`: a user function, named by its path.
    Custom(&'static str),
}

impl Rule {
    /// The rule's name as it appears in `ValidationError::rule`.
    pub const fn name(&self) -> &'static str {
        self.shape().name()
    }

    pub(crate) const fn shape(&self) -> RuleShape<'static, &'static str> {
        match *self {
            Rule::Range { min, max } => RuleShape::Range { min, max },
            Rule::Length { min, max } => RuleShape::Length { min, max },
            Rule::NonEmpty => RuleShape::NonEmpty,
            Rule::Pattern(pattern) => RuleShape::Pattern(pattern),
            Rule::OneOf(values) => RuleShape::OneOf(values),
            Rule::Custom(path) => RuleShape::Custom(path),
        }
    }
}

impl fmt::Display for Rule {
    /// The attribute spelling: `range(min = -1, max = 255)`, `non_empty`,
    /// `pattern = "^a"`, `one_of = ["a", "b"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shape().fmt(f)
    }
}

/// A bound of a `range` rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// An integer bound.
    Int(i128),
    /// A float bound.
    Float(f64),
}

impl Bound {
    /// The bound as an `f64` (for comparisons across kinds).
    pub fn as_f64(self) -> f64 {
        match self {
            Bound::Int(value) => value as f64,
            Bound::Float(value) => value,
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Int(value) => write!(f, "{value}"),
            Bound::Float(value) => write!(f, "{value:?}"),
        }
    }
}
