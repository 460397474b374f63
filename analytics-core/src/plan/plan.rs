//! The tracking plan: an owned data model of every event, and its JSON form.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::schema::{
    Bound, EnumSchema, EventSchema, FieldSchema, FieldType, IntegerKind, ObjectSchema, Rule,
    Tagging, UnionSchema, UnionVariant, VariantShape,
};

/// The version of the JSON layout written by [`TrackingPlan::to_json`]
/// (the `"format_version"` key). [`TrackingPlan::from_json`] reads this
/// version and rejects newer ones.
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

/// One event of a [`TrackingPlan`] (the owned twin of [`EventSchema`]).
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

/// One key of an object on the wire (the owned twin of [`FieldSchema`]).
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
}

/// The type of a wire value (the owned twin of [`FieldType`]).
#[derive(Debug, Clone, PartialEq)]
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

/// An enum with data variants (the owned twin of [`UnionSchema`]).
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

/// One variant of a [`PlanUnion`] (the owned twin of [`UnionVariant`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanVariant {
    /// The wire name.
    pub name: String,
    /// From the variant's doc comment.
    pub description: String,
    /// What the variant carries.
    pub shape: PlanVariantShape,
}

/// What a variant carries (the owned twin of [`VariantShape`]).
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

/// A closed set of string values (the owned twin of [`EnumSchema`]).
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

/// A nested object (the owned twin of [`ObjectSchema`]).
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

/// A validation rule (the owned twin of [`Rule`]).
#[derive(Debug, Clone, PartialEq)]
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

// ------------------------------------------------------------ from schemas

impl From<&EventSchema> for PlanEvent {
    fn from(schema: &EventSchema) -> Self {
        PlanEvent {
            name: schema.name.to_owned(),
            version: schema.version,
            description: schema.description.to_owned(),
            rust_type: schema.rust_type.to_owned(),
            fields: schema.fields.iter().map(PlanField::from).collect(),
            envelope: schema.envelope.iter().map(PlanField::from).collect(),
            checks: schema
                .checks
                .iter()
                .map(|&check| check.to_owned())
                .collect(),
            write_only: schema.write_only,
        }
    }
}

impl From<&FieldSchema> for PlanField {
    fn from(field: &FieldSchema) -> Self {
        PlanField {
            name: field.name.to_owned(),
            rust_path: field.rust_path.to_owned(),
            ty: PlanType::from(&field.ty),
            required: field.required,
            nullable: field.nullable,
            description: field.description.to_owned(),
            rules: field.rules.iter().map(PlanRule::from).collect(),
            pii: field.pii,
            deprecated: field.deprecated.map(str::to_owned),
        }
    }
}

impl From<&FieldType> for PlanType {
    fn from(ty: &FieldType) -> Self {
        match *ty {
            FieldType::String => PlanType::String,
            FieldType::Integer(kind) => PlanType::Integer(kind),
            FieldType::Number { bits } => PlanType::Number(bits),
            FieldType::Boolean => PlanType::Boolean,
            FieldType::Enum(schema) => PlanType::Enum(PlanEnum::from(schema)),
            FieldType::Object(schema) => PlanType::Object(Arc::new(PlanObject::from(schema))),
            FieldType::Array(item) => PlanType::Array(Box::new(PlanType::from(item))),
            FieldType::Nullable(inner) => PlanType::Nullable(Box::new(PlanType::from(inner))),
            FieldType::Map { keys, values } => PlanType::Map {
                keys: keys.map(PlanEnum::from),
                values: Box::new(PlanType::from(values)),
            },
            FieldType::Any => PlanType::Any,
            FieldType::Serde(schema) => PlanType::Json((schema.json_schema)()),
            FieldType::Union(schema) => PlanType::Union(Arc::new(PlanUnion::from(schema))),
            FieldType::Ref(name) => PlanType::Ref(name.to_owned()),
        }
    }
}

impl From<&EnumSchema> for PlanEnum {
    fn from(schema: &EnumSchema) -> Self {
        PlanEnum {
            name: schema.name.to_owned(),
            description: schema.description.to_owned(),
            values: schema
                .values
                .iter()
                .map(|value| PlanEnumValue {
                    name: value.name.to_owned(),
                    description: value.description.to_owned(),
                })
                .collect(),
        }
    }
}

impl From<&ObjectSchema> for PlanObject {
    fn from(schema: &ObjectSchema) -> Self {
        PlanObject {
            name: schema.name.to_owned(),
            description: schema.description.to_owned(),
            fields: schema.fields.iter().map(PlanField::from).collect(),
            checks: schema
                .checks
                .iter()
                .map(|&check| check.to_owned())
                .collect(),
        }
    }
}

impl From<&UnionSchema> for PlanUnion {
    fn from(schema: &UnionSchema) -> Self {
        PlanUnion {
            name: schema.name.to_owned(),
            description: schema.description.to_owned(),
            tagging: schema.tagging,
            variants: schema.variants.iter().map(PlanVariant::from).collect(),
        }
    }
}

impl From<&UnionVariant> for PlanVariant {
    fn from(variant: &UnionVariant) -> Self {
        PlanVariant {
            name: variant.name.to_owned(),
            description: variant.description.to_owned(),
            shape: match variant.shape {
                VariantShape::Unit => PlanVariantShape::Unit,
                VariantShape::Newtype(ty) => PlanVariantShape::Newtype(PlanType::from(ty)),
                VariantShape::Tuple(items) => {
                    PlanVariantShape::Tuple(items.iter().map(PlanType::from).collect())
                }
                VariantShape::Struct(fields) => {
                    PlanVariantShape::Struct(fields.iter().map(PlanField::from).collect())
                }
            },
        }
    }
}

impl From<&Rule> for PlanRule {
    fn from(rule: &Rule) -> Self {
        match *rule {
            Rule::Range { min, max } => PlanRule::Range { min, max },
            Rule::Length { min, max } => PlanRule::Length { min, max },
            Rule::NonEmpty => PlanRule::NonEmpty,
            Rule::Pattern(pattern) => PlanRule::Pattern(pattern.to_owned()),
            Rule::OneOf(values) => {
                PlanRule::OneOf(values.iter().map(|value| (*value).to_owned()).collect())
            }
            Rule::Custom(path) => PlanRule::Custom(path.to_owned()),
        }
    }
}

// ------------------------------------------------------------ display

impl PlanType {
    /// A short human name: `string`, `integer (u64)`, `enum RpcTransport`,
    /// `array of string`... (the same words as [`FieldType::describe`]).
    pub fn describe(&self) -> String {
        match self {
            PlanType::String => "string".to_owned(),
            PlanType::Integer(kind) => format!("integer ({kind})"),
            PlanType::Number(bits) => format!("number (f{bits})"),
            PlanType::Boolean => "boolean".to_owned(),
            PlanType::Enum(schema) => format!("enum {}", schema.name),
            PlanType::Object(schema) => format!("object {}", schema.name),
            PlanType::Array(item) if matches!(**item, PlanType::Nullable(_)) => {
                format!("array of ({})", item.describe())
            }
            PlanType::Array(item) => format!("array of {}", item.describe()),
            PlanType::Nullable(inner) => format!("{} or null", inner.describe()),
            PlanType::Map { keys, values } => match keys {
                Some(keys) => format!("map of enum {} to {}", keys.name, values.describe()),
                None => format!("map of string to {}", values.describe()),
            },
            PlanType::Any => "any JSON".to_owned(),
            PlanType::Json(_) => "JSON (user schema)".to_owned(),
            PlanType::Union(schema) => format!("union {}", schema.name),
            PlanType::Ref(name) => format!("object {name}"),
        }
    }
}

impl fmt::Display for PlanType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl fmt::Display for PlanRule {
    /// The attribute spelling: `range(min = -1, max = 255)`, `non_empty`,
    /// `pattern = "^a"`, `one_of = ["a", "b"]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn bounds<T: fmt::Display>(
            f: &mut fmt::Formatter<'_>,
            name: &str,
            min: &Option<T>,
            max: &Option<T>,
        ) -> fmt::Result {
            write!(f, "{name}(")?;
            match (min, max) {
                (Some(min), Some(max)) => write!(f, "min = {min}, max = {max}")?,
                (Some(min), None) => write!(f, "min = {min}")?,
                (None, Some(max)) => write!(f, "max = {max}")?,
                (None, None) => {}
            }
            f.write_str(")")
        }
        match self {
            PlanRule::Range { min, max } => bounds(f, "range", min, max),
            PlanRule::Length { min, max } => bounds(f, "length", min, max),
            PlanRule::NonEmpty => f.write_str("non_empty"),
            PlanRule::Pattern(pattern) => write!(f, "pattern = {pattern:?}"),
            PlanRule::OneOf(values) => write!(f, "one_of = {values:?}"),
            PlanRule::Custom(path) => write!(f, "custom = {path}"),
        }
    }
}

impl PlanRule {
    /// The rule's name: `range`, `length`, `non_empty`, `pattern`, `one_of`, `custom`.
    pub fn name(&self) -> &'static str {
        match self {
            PlanRule::Range { .. } => "range",
            PlanRule::Length { .. } => "length",
            PlanRule::NonEmpty => "non_empty",
            PlanRule::Pattern(_) => "pattern",
            PlanRule::OneOf(_) => "one_of",
            PlanRule::Custom(_) => "custom",
        }
    }
}

// ------------------------------------------------------------ the plan

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

    /// The event with this name, mutably (to edit a plan in a test).
    pub fn event_mut(&mut self, name: &str) -> Option<&mut PlanEvent> {
        self.events.iter_mut().find(|event| event.name == name)
    }

    /// The changes from `old` to `new`, each classified breaking or compatible.
    pub fn diff(old: &TrackingPlan, new: &TrackingPlan) -> crate::plan::PlanDiff {
        crate::plan::diff::diff(old, new)
    }

    /// The Markdown rendering: an index of events, then a table per event
    /// (field, type, required, rules, PII, description), then the enums.
    pub fn to_markdown(&self) -> String {
        crate::plan::markdown::render(self)
    }

    /// The JSON rendering: pretty, keys and events in a fixed order, nested
    /// objects and enums written once under `"objects"` and `"enums"`, so that
    /// a committed file diffs cleanly. [`TrackingPlan::from_json`] reads it back.
    pub fn to_json(&self) -> String {
        let mut defs = Definitions::default();
        let events = self
            .events
            .iter()
            .map(|event| event_to_json(event, &mut defs))
            .collect();
        // Writing an object's fields may find further definitions: walk by index.
        let mut objects: Vec<(String, Json)> = Vec::new();
        while objects.len() < defs.objects.len() {
            let (key, object) = defs.objects[objects.len()].clone();
            let fields = fields_json(&object.fields, &mut defs);
            let mut members = vec![
                ("name".into(), Json::str(&object.name)),
                ("description".into(), Json::str(&object.description)),
                ("fields".into(), Json::Arr(fields)),
            ];
            if !object.checks.is_empty() {
                members.push(("checks".into(), strings_json(&object.checks)));
            }
            objects.push((key, Json::Obj(members)));
        }
        let mut unions: Vec<(String, Json)> = Vec::new();
        while unions.len() < defs.unions.len() {
            let (key, union) = defs.unions[unions.len()].clone();
            let json = union_to_json(&union, &mut defs);
            unions.push((key, json));
        }
        unions.sort_by(|a, b| a.0.cmp(&b.0));
        objects.sort_by(|a, b| a.0.cmp(&b.0));
        let mut enums: Vec<(String, Json)> = defs
            .enums
            .iter()
            .map(|(key, schema)| {
                let values = schema
                    .values
                    .iter()
                    .map(|value| {
                        Json::Obj(vec![
                            ("name".into(), Json::str(&value.name)),
                            ("description".into(), Json::str(&value.description)),
                        ])
                    })
                    .collect();
                (
                    key.clone(),
                    Json::Obj(vec![
                        ("name".into(), Json::str(&schema.name)),
                        ("description".into(), Json::str(&schema.description)),
                        ("values".into(), Json::Arr(values)),
                    ]),
                )
            })
            .collect();
        enums.sort_by(|a, b| a.0.cmp(&b.0));
        let mut root = vec![
            (
                "format_version".into(),
                Json::Raw(PLAN_FORMAT_VERSION.to_string()),
            ),
            ("events".into(), Json::Arr(events)),
            ("objects".into(), Json::Obj(objects)),
            ("enums".into(), Json::Obj(enums)),
        ];
        if !unions.is_empty() {
            root.push(("unions".into(), Json::Obj(unions)));
        }
        let root = Json::Obj(root);
        let mut out = String::new();
        root.write(&mut out, 0);
        out.push('\n');
        out
    }

    /// Reads the rendering of [`TrackingPlan::to_json`]. Malformed input is an
    /// error naming where it is (`events[2].fields[0].type: ...`), never a panic.
    pub fn from_json(json: &str) -> Result<TrackingPlan, PlanError> {
        let root: Value = serde_json::from_str(json)
            .map_err(|error| PlanError::new("", format!("invalid JSON: {error}")))?;
        let root = as_object(&root, "")?;
        match root.get("format_version") {
            None => {}
            Some(version) => match version.as_u64() {
                Some(version) if version <= PLAN_FORMAT_VERSION => {}
                _ => {
                    return Err(PlanError::new(
                        "format_version",
                        format!(
                            "unsupported format version {version} (this build reads up to {PLAN_FORMAT_VERSION})"
                        ),
                    ))
                }
            },
        }
        let empty = serde_json::Map::new();
        let reader = Reader {
            objects: match root.get("objects") {
                Some(objects) => as_object(objects, "objects")?,
                None => &empty,
            },
            enums: match root.get("enums") {
                Some(enums) => as_object(enums, "enums")?,
                None => &empty,
            },
            unions: match root.get("unions") {
                Some(unions) => as_object(unions, "unions")?,
                None => &empty,
            },
            in_progress: std::cell::RefCell::new(Vec::new()),
        };
        let events = as_array(
            root.get("events")
                .ok_or_else(|| PlanError::new("events", "missing key"))?,
            "events",
        )?;
        let mut plan_events = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            plan_events.push(reader.event(event, &format!("events[{index}]"))?);
        }
        Ok(TrackingPlan::from_plan_events(plan_events))
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

/// A malformed plan given to [`TrackingPlan::from_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    path: String,
    message: String,
}

impl PlanError {
    fn new(path: &str, message: impl Into<String>) -> Self {
        PlanError {
            path: path.to_owned(),
            message: message.into(),
        }
    }

    /// Where in the document: `events[2].fields[0].type` (empty for the whole document).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong there.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "tracking plan: {}", self.message)
        } else {
            write!(f, "tracking plan: {}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for PlanError {}

// ------------------------------------------------------------ writing

/// Shared definitions found while writing: each distinct object or enum gets
/// a key (its Rust name, suffixed `_2`, `_3`... when two different types
/// share a name).
#[derive(Default)]
pub(crate) struct Definitions {
    pub(crate) objects: Vec<(String, Arc<PlanObject>)>,
    pub(crate) enums: Vec<(String, PlanEnum)>,
    pub(crate) unions: Vec<(String, Arc<PlanUnion>)>,
    pub(crate) taken: BTreeSet<String>,
}

impl Definitions {
    /// Reserves a key (for names that are not types, such as event names).
    pub(crate) fn reserve(&mut self, name: &str) -> String {
        let key = self.free_key(name);
        self.taken.insert(key.clone());
        key
    }

    fn free_key(&self, name: &str) -> String {
        if !self.taken.contains(name) {
            return name.to_owned();
        }
        (2..)
            .map(|n| format!("{name}_{n}"))
            .find(|key| !self.taken.contains(key))
            .unwrap_or_else(|| name.to_owned())
    }

    pub(crate) fn object_key(&mut self, object: &Arc<PlanObject>) -> String {
        if let Some((key, _)) = self
            .objects
            .iter()
            .find(|(_, known)| Arc::ptr_eq(known, object) || known == object)
        {
            return key.clone();
        }
        let key = self.reserve(&object.name);
        self.objects.push((key.clone(), Arc::clone(object)));
        key
    }

    /// The key of the object with this Rust name met last (what a
    /// [`PlanType::Ref`] inside it points to).
    pub(crate) fn object_key_by_name(&self, name: &str) -> Option<String> {
        self.objects
            .iter()
            .rev()
            .find(|(_, object)| object.name == name)
            .map(|(key, _)| key.clone())
    }

    pub(crate) fn union_key(&mut self, union: &Arc<PlanUnion>) -> String {
        if let Some((key, _)) = self
            .unions
            .iter()
            .find(|(_, known)| Arc::ptr_eq(known, union) || known == union)
        {
            return key.clone();
        }
        let key = self.reserve(&union.name);
        self.unions.push((key.clone(), Arc::clone(union)));
        key
    }

    pub(crate) fn enum_key(&mut self, schema: &PlanEnum) -> String {
        if let Some((key, _)) = self.enums.iter().find(|(_, known)| known == schema) {
            return key.clone();
        }
        let key = self.reserve(&schema.name);
        self.enums.push((key.clone(), schema.clone()));
        key
    }
}

/// A JSON value whose object keys keep the order they were given in.
enum Json {
    Obj(Vec<(String, Json)>),
    Arr(Vec<Json>),
    Raw(String),
}

impl Json {
    fn str(text: &str) -> Json {
        Json::Raw(Value::String(text.to_owned()).to_string())
    }

    fn write(&self, out: &mut String, indent: usize) {
        fn pad(out: &mut String, indent: usize) {
            for _ in 0..indent {
                out.push_str("  ");
            }
        }
        match self {
            Json::Raw(raw) => out.push_str(raw),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            Json::Obj(members) if members.is_empty() => out.push_str("{}"),
            // Short lists of scalars (rules, one_of values) on one line.
            Json::Arr(items)
                if items.iter().all(|item| matches!(item, Json::Raw(_)))
                    && items
                        .iter()
                        .map(|item| match item {
                            Json::Raw(raw) => raw.len() + 2,
                            _ => 0,
                        })
                        .sum::<usize>()
                        <= 72 =>
            {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    item.write(out, indent);
                }
                out.push(']');
            }
            Json::Arr(items) => {
                out.push_str("[\n");
                for (index, item) in items.iter().enumerate() {
                    pad(out, indent + 1);
                    item.write(out, indent + 1);
                    if index + 1 < items.len() {
                        out.push(',');
                    }
                    out.push('\n');
                }
                pad(out, indent);
                out.push(']');
            }
            Json::Obj(members) => {
                out.push_str("{\n");
                for (index, (key, value)) in members.iter().enumerate() {
                    pad(out, indent + 1);
                    out.push_str(&Value::String(key.clone()).to_string());
                    out.push_str(": ");
                    value.write(out, indent + 1);
                    if index + 1 < members.len() {
                        out.push(',');
                    }
                    out.push('\n');
                }
                pad(out, indent);
                out.push('}');
            }
        }
    }
}

fn event_to_json(event: &PlanEvent, defs: &mut Definitions) -> Json {
    let mut members = vec![
        ("name".into(), Json::str(&event.name)),
        ("version".into(), Json::Raw(event.version.to_string())),
        ("description".into(), Json::str(&event.description)),
        ("rust_type".into(), Json::str(&event.rust_type)),
    ];
    if !event.envelope.is_empty() {
        members.push((
            "envelope".into(),
            Json::Arr(fields_json(&event.envelope, defs)),
        ));
    }
    members.push(("fields".into(), Json::Arr(fields_json(&event.fields, defs))));
    if !event.checks.is_empty() {
        members.push(("checks".into(), strings_json(&event.checks)));
    }
    if event.write_only {
        members.push(("write_only".into(), Json::Raw("true".into())));
    }
    Json::Obj(members)
}

fn strings_json(strings: &[String]) -> Json {
    Json::Arr(strings.iter().map(|text| Json::str(text)).collect())
}

fn union_to_json(union: &PlanUnion, defs: &mut Definitions) -> Json {
    let tagging = match union.tagging {
        Tagging::External => Json::str("external"),
        Tagging::Untagged => Json::str("untagged"),
        Tagging::Internal { tag } => Json::Obj(vec![(
            "internal".into(),
            Json::Obj(vec![("tag".into(), Json::str(tag))]),
        )]),
        Tagging::Adjacent { tag, content } => Json::Obj(vec![(
            "adjacent".into(),
            Json::Obj(vec![
                ("tag".into(), Json::str(tag)),
                ("content".into(), Json::str(content)),
            ]),
        )]),
    };
    let variants = union
        .variants
        .iter()
        .map(|variant| {
            let shape = match &variant.shape {
                PlanVariantShape::Unit => Json::str("unit"),
                PlanVariantShape::Newtype(ty) => {
                    Json::Obj(vec![("newtype".into(), type_to_json(ty, defs))])
                }
                PlanVariantShape::Tuple(items) => Json::Obj(vec![(
                    "tuple".into(),
                    Json::Arr(items.iter().map(|item| type_to_json(item, defs)).collect()),
                )]),
                PlanVariantShape::Struct(fields) => Json::Obj(vec![(
                    "struct".into(),
                    Json::Arr(fields_json(fields, defs)),
                )]),
            };
            Json::Obj(vec![
                ("name".into(), Json::str(&variant.name)),
                ("description".into(), Json::str(&variant.description)),
                ("shape".into(), shape),
            ])
        })
        .collect();
    Json::Obj(vec![
        ("name".into(), Json::str(&union.name)),
        ("description".into(), Json::str(&union.description)),
        ("tagging".into(), tagging),
        ("variants".into(), Json::Arr(variants)),
    ])
}

fn fields_json(fields: &[PlanField], defs: &mut Definitions) -> Vec<Json> {
    fields
        .iter()
        .map(|field| field_to_json(field, defs))
        .collect()
}

fn field_to_json(field: &PlanField, defs: &mut Definitions) -> Json {
    let mut members = vec![
        ("name".into(), Json::str(&field.name)),
        ("rust_path".into(), Json::str(&field.rust_path)),
        ("type".into(), type_to_json(&field.ty, defs)),
        ("required".into(), Json::Raw(field.required.to_string())),
        ("nullable".into(), Json::Raw(field.nullable.to_string())),
        ("description".into(), Json::str(&field.description)),
    ];
    if !field.rules.is_empty() {
        members.push((
            "rules".into(),
            Json::Arr(field.rules.iter().map(rule_to_json).collect()),
        ));
    }
    if field.pii {
        members.push(("pii".into(), Json::Raw("true".into())));
    }
    if let Some(note) = &field.deprecated {
        members.push(("deprecated".into(), Json::str(note)));
    }
    Json::Obj(members)
}

fn type_to_json(ty: &PlanType, defs: &mut Definitions) -> Json {
    match ty {
        PlanType::String => Json::str("string"),
        PlanType::Boolean => Json::str("boolean"),
        PlanType::Integer(kind) => Json::str(kind.as_str()),
        PlanType::Number(bits) => Json::str(&format!("f{bits}")),
        PlanType::Enum(schema) => {
            Json::Obj(vec![("enum".into(), Json::str(&defs.enum_key(schema)))])
        }
        PlanType::Object(object) => {
            Json::Obj(vec![("object".into(), Json::str(&defs.object_key(object)))])
        }
        PlanType::Array(item) => Json::Obj(vec![("array".into(), type_to_json(item, defs))]),
        PlanType::Nullable(inner) => {
            Json::Obj(vec![("nullable".into(), type_to_json(inner, defs))])
        }
        PlanType::Map { keys, values } => {
            let mut members = Vec::new();
            if let Some(keys) = keys {
                members.push(("keys".into(), Json::str(&defs.enum_key(keys))));
            }
            members.push(("values".into(), type_to_json(values, defs)));
            Json::Obj(vec![("map".into(), Json::Obj(members))])
        }
        PlanType::Any => Json::str("any"),
        PlanType::Json(schema) => Json::Obj(vec![(
            "json".into(),
            Json::Raw(serde_json::to_string(schema).unwrap_or_else(|_| "{}".to_owned())),
        )]),
        PlanType::Union(union) => {
            Json::Obj(vec![("union".into(), Json::str(&defs.union_key(union)))])
        }
        PlanType::Ref(name) => Json::Obj(vec![("ref".into(), Json::str(name))]),
    }
}

fn bound_to_json(bound: Bound) -> Json {
    match bound {
        Bound::Int(value) => Json::Raw(value.to_string()),
        // `to_string` of a finite f64 keeps a `.0` so it reads back as a float.
        Bound::Float(value) => Json::Raw(
            serde_json::Number::from_f64(value)
                .map(|number| number.to_string())
                .unwrap_or_else(|| "null".to_owned()),
        ),
    }
}

fn rule_to_json(rule: &PlanRule) -> Json {
    fn bounds(min: Option<Json>, max: Option<Json>) -> Json {
        let mut members = Vec::new();
        if let Some(min) = min {
            members.push(("min".into(), min));
        }
        if let Some(max) = max {
            members.push(("max".into(), max));
        }
        Json::Obj(members)
    }
    match rule {
        PlanRule::Range { min, max } => Json::Obj(vec![(
            "range".into(),
            bounds(min.map(bound_to_json), max.map(bound_to_json)),
        )]),
        PlanRule::Length { min, max } => Json::Obj(vec![(
            "length".into(),
            bounds(
                min.map(|min| Json::Raw(min.to_string())),
                max.map(|max| Json::Raw(max.to_string())),
            ),
        )]),
        PlanRule::NonEmpty => Json::str("non_empty"),
        PlanRule::Pattern(pattern) => Json::Obj(vec![("pattern".into(), Json::str(pattern))]),
        PlanRule::OneOf(values) => Json::Obj(vec![(
            "one_of".into(),
            Json::Arr(values.iter().map(|value| Json::str(value)).collect()),
        )]),
        PlanRule::Custom(path) => Json::Obj(vec![("custom".into(), Json::str(path))]),
    }
}

// ------------------------------------------------------------ reading

fn as_object<'a>(
    value: &'a Value,
    path: &str,
) -> Result<&'a serde_json::Map<String, Value>, PlanError> {
    value
        .as_object()
        .ok_or_else(|| PlanError::new(path, format!("expected an object, found {value}")))
}

fn as_array<'a>(value: &'a Value, path: &str) -> Result<&'a Vec<Value>, PlanError> {
    value
        .as_array()
        .ok_or_else(|| PlanError::new(path, format!("expected an array, found {value}")))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn get<'a>(
    object: &'a serde_json::Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<&'a Value, PlanError> {
    object
        .get(key)
        .ok_or_else(|| PlanError::new(&join(path, key), "missing key"))
}

fn get_str(
    object: &serde_json::Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<String, PlanError> {
    let value = get(object, path, key)?;
    value.as_str().map(str::to_owned).ok_or_else(|| {
        PlanError::new(
            &join(path, key),
            format!("expected a string, found {value}"),
        )
    })
}

fn opt_str(
    object: &serde_json::Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<String, PlanError> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(_) => get_str(object, path, key),
    }
}

fn opt_bool(
    object: &serde_json::Map<String, Value>,
    path: &str,
    key: &str,
    default: bool,
) -> Result<bool, PlanError> {
    match object.get(key) {
        None => Ok(default),
        Some(value) => value.as_bool().ok_or_else(|| {
            PlanError::new(
                &join(path, key),
                format!("expected a boolean, found {value}"),
            )
        }),
    }
}

fn parse_integer_kind(name: &str) -> Option<IntegerKind> {
    const KINDS: [IntegerKind; 12] = [
        IntegerKind::I8,
        IntegerKind::I16,
        IntegerKind::I32,
        IntegerKind::I64,
        IntegerKind::I128,
        IntegerKind::Isize,
        IntegerKind::U8,
        IntegerKind::U16,
        IntegerKind::U32,
        IntegerKind::U64,
        IntegerKind::U128,
        IntegerKind::Usize,
    ];
    KINDS.into_iter().find(|kind| kind.as_str() == name)
}

struct Reader<'a> {
    objects: &'a serde_json::Map<String, Value>,
    enums: &'a serde_json::Map<String, Value>,
    unions: &'a serde_json::Map<String, Value>,
    /// Object keys being read, to reject a cycle instead of recursing forever.
    in_progress: std::cell::RefCell<Vec<String>>,
}

impl Reader<'_> {
    fn event(&self, value: &Value, path: &str) -> Result<PlanEvent, PlanError> {
        let object = as_object(value, path)?;
        let version = get(object, path, "version")?;
        let version = version
            .as_u64()
            .and_then(|version| u32::try_from(version).ok())
            .ok_or_else(|| {
                PlanError::new(
                    &join(path, "version"),
                    format!("expected a version number (u32), found {version}"),
                )
            })?;
        Ok(PlanEvent {
            name: get_str(object, path, "name")?,
            version,
            description: opt_str(object, path, "description")?,
            rust_type: opt_str(object, path, "rust_type")?,
            envelope: self.fields_at(object, path, "envelope")?,
            fields: self.fields(object, path)?,
            checks: read_strings(object, path, "checks")?,
            write_only: opt_bool(object, path, "write_only", false)?,
        })
    }

    fn fields(
        &self,
        object: &serde_json::Map<String, Value>,
        path: &str,
    ) -> Result<Vec<PlanField>, PlanError> {
        self.fields_at(object, path, "fields")
    }

    fn fields_at(
        &self,
        object: &serde_json::Map<String, Value>,
        path: &str,
        key: &str,
    ) -> Result<Vec<PlanField>, PlanError> {
        let fields_path = join(path, key);
        let fields = match object.get(key) {
            None => return Ok(Vec::new()),
            Some(fields) => as_array(fields, &fields_path)?,
        };
        fields
            .iter()
            .enumerate()
            .map(|(index, field)| self.field(field, &format!("{fields_path}[{index}]")))
            .collect()
    }

    fn field(&self, value: &Value, path: &str) -> Result<PlanField, PlanError> {
        let object = as_object(value, path)?;
        let rules = match object.get("rules") {
            None | Some(Value::Null) => Vec::new(),
            Some(rules) => {
                let rules_path = join(path, "rules");
                as_array(rules, &rules_path)?
                    .iter()
                    .enumerate()
                    .map(|(index, rule)| read_rule(rule, &format!("{rules_path}[{index}]")))
                    .collect::<Result<_, _>>()?
            }
        };
        let deprecated = match object.get("deprecated") {
            None | Some(Value::Null) => None,
            Some(_) => Some(get_str(object, path, "deprecated")?),
        };
        Ok(PlanField {
            name: get_str(object, path, "name")?,
            rust_path: opt_str(object, path, "rust_path")?,
            ty: self.ty(get(object, path, "type")?, &join(path, "type"))?,
            required: opt_bool(object, path, "required", true)?,
            nullable: opt_bool(object, path, "nullable", false)?,
            description: opt_str(object, path, "description")?,
            rules,
            pii: opt_bool(object, path, "pii", false)?,
            deprecated,
        })
    }

    fn ty(&self, value: &Value, path: &str) -> Result<PlanType, PlanError> {
        if let Some(name) = value.as_str() {
            return match name {
                "string" => Ok(PlanType::String),
                "boolean" => Ok(PlanType::Boolean),
                "f32" => Ok(PlanType::Number(32)),
                "f64" => Ok(PlanType::Number(64)),
                "any" => Ok(PlanType::Any),
                _ => parse_integer_kind(name)
                    .map(PlanType::Integer)
                    .ok_or_else(|| PlanError::new(path, format!("unknown type {value}"))),
            };
        }
        let object = as_object(value, path)?;
        let mut members = object.iter();
        let (kind, inner) = match (members.next(), members.next()) {
            (Some(member), None) => member,
            _ => {
                return Err(PlanError::new(
                    path,
                    format!("expected a type name or an object with one key, found {value}"),
                ))
            }
        };
        let inner_path = join(path, kind);
        match kind.as_str() {
            "array" => Ok(PlanType::Array(Box::new(self.ty(inner, &inner_path)?))),
            "nullable" => Ok(PlanType::Nullable(Box::new(self.ty(inner, &inner_path)?))),
            "enum" => {
                let key = inner.as_str().ok_or_else(|| {
                    PlanError::new(&inner_path, format!("expected an enum name, found {inner}"))
                })?;
                self.enum_def(key, &inner_path).map(PlanType::Enum)
            }
            "object" => {
                let key = inner.as_str().ok_or_else(|| {
                    PlanError::new(
                        &inner_path,
                        format!("expected an object name, found {inner}"),
                    )
                })?;
                self.object_def(key, &inner_path)
                    .map(|object| PlanType::Object(Arc::new(object)))
            }
            "union" => {
                let key = inner.as_str().ok_or_else(|| {
                    PlanError::new(&inner_path, format!("expected a union name, found {inner}"))
                })?;
                self.union_def(key, &inner_path)
                    .map(|union| PlanType::Union(Arc::new(union)))
            }
            "ref" => inner
                .as_str()
                .map(|name| PlanType::Ref(name.to_owned()))
                .ok_or_else(|| {
                    PlanError::new(
                        &inner_path,
                        format!("expected an object name, found {inner}"),
                    )
                }),
            "json" => Ok(PlanType::Json(inner.clone())),
            "map" => {
                let map = as_object(inner, &inner_path)?;
                let keys = match map.get("keys") {
                    None | Some(Value::Null) => None,
                    Some(_) => {
                        let key = get_str(map, &inner_path, "keys")?;
                        Some(self.enum_def(&key, &join(&inner_path, "keys"))?)
                    }
                };
                let values_path = join(&inner_path, "values");
                let values = self.ty(get(map, &inner_path, "values")?, &values_path)?;
                Ok(PlanType::Map {
                    keys,
                    values: Box::new(values),
                })
            }
            other => Err(PlanError::new(path, format!("unknown type kind {other:?}"))),
        }
    }

    fn enum_def(&self, key: &str, from: &str) -> Result<PlanEnum, PlanError> {
        let path = format!("enums.{key}");
        let value = self
            .enums
            .get(key)
            .ok_or_else(|| PlanError::new(from, format!("no enum {key:?} under \"enums\"")))?;
        let object = as_object(value, &path)?;
        let values_path = join(&path, "values");
        let values = as_array(get(object, &path, "values")?, &values_path)?
            .iter()
            .enumerate()
            .map(|(index, value)| {
                let value_path = format!("{values_path}[{index}]");
                if let Some(name) = value.as_str() {
                    return Ok(PlanEnumValue {
                        name: name.to_owned(),
                        description: String::new(),
                    });
                }
                let value = as_object(value, &value_path)?;
                Ok(PlanEnumValue {
                    name: get_str(value, &value_path, "name")?,
                    description: opt_str(value, &value_path, "description")?,
                })
            })
            .collect::<Result<_, PlanError>>()?;
        Ok(PlanEnum {
            name: match object.get("name") {
                Some(_) => get_str(object, &path, "name")?,
                None => key.to_owned(),
            },
            description: opt_str(object, &path, "description")?,
            values,
        })
    }

    fn object_def(&self, key: &str, from: &str) -> Result<PlanObject, PlanError> {
        let path = format!("objects.{key}");
        let value = self
            .objects
            .get(key)
            .ok_or_else(|| PlanError::new(from, format!("no object {key:?} under \"objects\"")))?;
        if self.in_progress.borrow().iter().any(|open| open == key) {
            return Err(PlanError::new(
                from,
                format!("object {key:?} contains itself"),
            ));
        }
        self.in_progress.borrow_mut().push(key.to_owned());
        let result = (|| {
            let object = as_object(value, &path)?;
            Ok(PlanObject {
                name: match object.get("name") {
                    Some(_) => get_str(object, &path, "name")?,
                    None => key.to_owned(),
                },
                description: opt_str(object, &path, "description")?,
                fields: self.fields(object, &path)?,
                checks: read_strings(object, &path, "checks")?,
            })
        })();
        self.in_progress.borrow_mut().pop();
        result
    }
}

impl Reader<'_> {
    fn union_def(&self, key: &str, from: &str) -> Result<PlanUnion, PlanError> {
        let path = format!("unions.{key}");
        let value = self
            .unions
            .get(key)
            .ok_or_else(|| PlanError::new(from, format!("no union {key:?} under \"unions\"")))?;
        let object = as_object(value, &path)?;
        let tagging_path = join(&path, "tagging");
        let tagging = get(object, &path, "tagging")?;
        let tagging = match tagging.as_str() {
            Some("external") => Tagging::External,
            Some("untagged") => Tagging::Untagged,
            Some(other) => {
                return Err(PlanError::new(
                    &tagging_path,
                    format!("unknown tagging {other:?}"),
                ))
            }
            None => {
                let tagging = as_object(tagging, &tagging_path)?;
                if let Some(internal) = tagging.get("internal") {
                    let internal_path = join(&tagging_path, "internal");
                    let internal = as_object(internal, &internal_path)?;
                    Tagging::Internal {
                        tag: intern(&get_str(internal, &internal_path, "tag")?),
                    }
                } else if let Some(adjacent) = tagging.get("adjacent") {
                    let adjacent_path = join(&tagging_path, "adjacent");
                    let adjacent = as_object(adjacent, &adjacent_path)?;
                    Tagging::Adjacent {
                        tag: intern(&get_str(adjacent, &adjacent_path, "tag")?),
                        content: intern(&get_str(adjacent, &adjacent_path, "content")?),
                    }
                } else {
                    return Err(PlanError::new(&tagging_path, "unknown tagging"));
                }
            }
        };
        let variants_path = join(&path, "variants");
        let variants = as_array(get(object, &path, "variants")?, &variants_path)?
            .iter()
            .enumerate()
            .map(|(index, variant)| {
                let variant_path = format!("{variants_path}[{index}]");
                let variant = as_object(variant, &variant_path)?;
                let shape_path = join(&variant_path, "shape");
                let shape = get(variant, &variant_path, "shape")?;
                let shape = if shape.as_str() == Some("unit") {
                    PlanVariantShape::Unit
                } else {
                    let shape = as_object(shape, &shape_path)?;
                    if let Some(ty) = shape.get("newtype") {
                        PlanVariantShape::Newtype(self.ty(ty, &join(&shape_path, "newtype"))?)
                    } else if let Some(items) = shape.get("tuple") {
                        let items_path = join(&shape_path, "tuple");
                        PlanVariantShape::Tuple(
                            as_array(items, &items_path)?
                                .iter()
                                .enumerate()
                                .map(|(index, item)| {
                                    self.ty(item, &format!("{items_path}[{index}]"))
                                })
                                .collect::<Result<_, _>>()?,
                        )
                    } else if shape.contains_key("struct") {
                        PlanVariantShape::Struct(self.fields_at(shape, &shape_path, "struct")?)
                    } else {
                        return Err(PlanError::new(&shape_path, "unknown variant shape"));
                    }
                };
                Ok(PlanVariant {
                    name: get_str(variant, &variant_path, "name")?,
                    description: opt_str(variant, &variant_path, "description")?,
                    shape,
                })
            })
            .collect::<Result<_, PlanError>>()?;
        Ok(PlanUnion {
            name: match object.get("name") {
                Some(_) => get_str(object, &path, "name")?,
                None => key.to_owned(),
            },
            description: opt_str(object, &path, "description")?,
            tagging,
            variants,
        })
    }
}

/// A `'static` copy of a tag name read from a plan ([`Tagging`] holds
/// `&'static str`): each distinct name is leaked once per process.
fn intern(text: &str) -> &'static str {
    static NAMES: std::sync::Mutex<BTreeSet<&'static str>> = std::sync::Mutex::new(BTreeSet::new());
    let mut names = NAMES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(&known) = names.get(text) {
        return known;
    }
    let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
    names.insert(leaked);
    leaked
}

fn read_strings(
    object: &serde_json::Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<Vec<String>, PlanError> {
    let list_path = join(path, key);
    match object.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(list) => as_array(list, &list_path)?
            .iter()
            .enumerate()
            .map(|(index, item)| {
                item.as_str().map(str::to_owned).ok_or_else(|| {
                    PlanError::new(
                        &format!("{list_path}[{index}]"),
                        format!("expected a string, found {item}"),
                    )
                })
            })
            .collect(),
    }
}

fn read_bound(value: &Value, path: &str) -> Result<Option<Bound>, PlanError> {
    if value.is_null() {
        return Ok(None);
    }
    if let Some(int) = value.as_i64() {
        return Ok(Some(Bound::Int(int.into())));
    }
    if let Some(int) = value.as_u64() {
        return Ok(Some(Bound::Int(int.into())));
    }
    if let Some(float) = value.as_f64() {
        return Ok(Some(Bound::Float(float)));
    }
    Err(PlanError::new(
        path,
        format!("expected a number, found {value}"),
    ))
}

fn read_count(value: &Value, path: &str) -> Result<Option<u64>, PlanError> {
    if value.is_null() {
        return Ok(None);
    }
    value
        .as_u64()
        .map(Some)
        .ok_or_else(|| PlanError::new(path, format!("expected a count, found {value}")))
}

fn read_rule(value: &Value, path: &str) -> Result<PlanRule, PlanError> {
    if let Some(name) = value.as_str() {
        return match name {
            "non_empty" => Ok(PlanRule::NonEmpty),
            _ => Err(PlanError::new(path, format!("unknown rule {value}"))),
        };
    }
    let object = as_object(value, path)?;
    let mut members = object.iter();
    let (name, args) = match (members.next(), members.next()) {
        (Some(member), None) => member,
        _ => {
            return Err(PlanError::new(
                path,
                format!("expected a rule name or an object with one key, found {value}"),
            ))
        }
    };
    let args_path = join(path, name);
    let bound_args = |path: &str| -> Result<(Option<&Value>, Option<&Value>), PlanError> {
        let args = as_object(args, path)?;
        if let Some(key) = args.keys().find(|key| *key != "min" && *key != "max") {
            return Err(PlanError::new(path, format!("unknown bound {key:?}")));
        }
        Ok((args.get("min"), args.get("max")))
    };
    match name.as_str() {
        "range" => {
            let (min, max) = bound_args(&args_path)?;
            Ok(PlanRule::Range {
                min: min
                    .map(|min| read_bound(min, &join(&args_path, "min")))
                    .transpose()?
                    .flatten(),
                max: max
                    .map(|max| read_bound(max, &join(&args_path, "max")))
                    .transpose()?
                    .flatten(),
            })
        }
        "length" => {
            let (min, max) = bound_args(&args_path)?;
            Ok(PlanRule::Length {
                min: min
                    .map(|min| read_count(min, &join(&args_path, "min")))
                    .transpose()?
                    .flatten(),
                max: max
                    .map(|max| read_count(max, &join(&args_path, "max")))
                    .transpose()?
                    .flatten(),
            })
        }
        "non_empty" => Ok(PlanRule::NonEmpty),
        "pattern" => args
            .as_str()
            .map(|pattern| PlanRule::Pattern(pattern.to_owned()))
            .ok_or_else(|| PlanError::new(&args_path, format!("expected a string, found {args}"))),
        "custom" => args
            .as_str()
            .map(|path| PlanRule::Custom(path.to_owned()))
            .ok_or_else(|| PlanError::new(&args_path, format!("expected a string, found {args}"))),
        "one_of" => {
            let values = as_array(args, &args_path)?;
            values
                .iter()
                .map(|value| {
                    value.as_str().map(str::to_owned).ok_or_else(|| {
                        PlanError::new(&args_path, format!("expected strings, found {value}"))
                    })
                })
                .collect::<Result<_, _>>()
                .map(PlanRule::OneOf)
        }
        other => Err(PlanError::new(path, format!("unknown rule {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> TrackingPlan {
        let status = PlanEnum {
            name: "Status".into(),
            description: "How it ended.".into(),
            values: vec![
                PlanEnumValue {
                    name: "ok".into(),
                    description: "Fine.".into(),
                },
                PlanEnumValue {
                    name: "failed".into(),
                    description: String::new(),
                },
            ],
        };
        let client = PlanObject {
            name: "Client".into(),
            description: "The client.".into(),
            fields: vec![field("id", PlanType::String, vec![PlanRule::NonEmpty])],
            checks: Vec::new(),
        };
        let mut nullable_status = field("status", PlanType::Enum(status), vec![]);
        nullable_status.nullable = true;
        TrackingPlan::from_plan_events(vec![PlanEvent {
            name: "thing_done".into(),
            version: 3,
            description: "A \"thing\"\nwas done.".into(),
            rust_type: "ThingDone".into(),
            fields: vec![
                field("client", PlanType::Object(Arc::new(client)), vec![]),
                nullable_status,
                field(
                    "count",
                    PlanType::Integer(IntegerKind::I128),
                    vec![PlanRule::Range {
                        min: Some(Bound::Int(i128::MIN)),
                        max: Some(Bound::Float(2.5)),
                    }],
                ),
                field(
                    "tags",
                    PlanType::Array(Box::new(PlanType::Nullable(Box::new(PlanType::String)))),
                    vec![
                        PlanRule::Length {
                            min: Some(1),
                            max: None,
                        },
                        PlanRule::Custom("check::tags".into()),
                    ],
                ),
                field(
                    "mode",
                    PlanType::String,
                    vec![
                        PlanRule::OneOf(vec!["a".into(), "b".into()]),
                        PlanRule::Pattern("^[a-z|]+$".into()),
                    ],
                ),
            ],
            envelope: Vec::new(),
            checks: Vec::new(),
            write_only: false,
        }])
    }

    fn field(name: &str, ty: PlanType, rules: Vec<PlanRule>) -> PlanField {
        PlanField {
            name: name.into(),
            rust_path: name.into(),
            ty,
            required: true,
            nullable: false,
            description: format!("The {name}."),
            rules,
            pii: name == "client",
            deprecated: (name == "mode").then(|| "use kind".to_owned()),
        }
    }

    #[test]
    fn json_round_trips() {
        let plan = sample();
        let json = plan.to_json();
        let back = TrackingPlan::from_json(&json).unwrap();
        // i128::MIN does not fit serde_json's numbers: it reads back as a float.
        let mut expected = plan.clone();
        expected.events[0].fields[2].rules[0] = PlanRule::Range {
            min: Some(Bound::Float(i128::MIN as f64)),
            max: Some(Bound::Float(2.5)),
        };
        assert_eq!(back, expected);
        assert_eq!(back.to_json(), expected.to_json());
        assert!(json.starts_with("{\n  \"format_version\": 1,\n  \"events\": [\n"));
    }

    #[test]
    fn same_name_different_types_get_distinct_keys() {
        let mut plan = sample();
        let mut other = plan.events[0].clone();
        other.name = "other_thing".into();
        if let PlanType::Object(object) = &mut other.fields[0].ty {
            Arc::make_mut(object).description = "Another client.".into();
        }
        plan.events.push(other);
        let json = plan.to_json();
        assert!(json.contains("\"Client_2\""), "{json}");
        assert_eq!(TrackingPlan::from_json(&json).unwrap().events.len(), 2);
    }

    #[test]
    fn bad_input_is_an_error() {
        for (input, expected) in [
            ("", "invalid JSON"),
            ("[]", "expected an object"),
            ("{}", "events: missing key"),
            (
                r#"{"events": [{"name": "a"}]}"#,
                "events[0].version: missing key",
            ),
            (
                r#"{"events": [{"name": "a", "version": 1, "fields": [{"name": "x", "type": "strng"}]}]}"#,
                "events[0].fields[0].type: unknown type",
            ),
            (
                r#"{"events": [{"name": "a", "version": 1, "fields": [{"name": "x", "type": {"object": "O"}}]}]}"#,
                "no object \"O\"",
            ),
            (
                r#"{"events": [{"name": "a", "version": 1, "fields": [{"name": "x", "type": {"object": "O"}}]}],
                   "objects": {"O": {"fields": [{"name": "y", "type": {"object": "O"}}]}}}"#,
                "contains itself",
            ),
            (
                r#"{"events": [{"name": "a", "version": 1, "fields": [{"name": "x", "type": "string", "rules": [{"range": {"min": "1"}}]}]}]}"#,
                "expected a number",
            ),
            (
                r#"{"format_version": 99, "events": []}"#,
                "unsupported format version",
            ),
        ] {
            let error = TrackingPlan::from_json(input).unwrap_err();
            assert!(
                error.to_string().contains(expected),
                "{input}: {error} should contain {expected}"
            );
        }
    }
}
