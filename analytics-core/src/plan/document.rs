//! The plan's JSON document: its layout as serde types, written by
//! [`TrackingPlan::to_json`] and read by [`TrackingPlan::from_json`].
//!
//! The layout is documented at [`PLAN_FORMAT_VERSION`](crate::plan::PLAN_FORMAT_VERSION).
//!
//! Objects, enums and unions are written once under their key and referenced
//! by it; reading shares each definition (`Arc`), so a document that refers to
//! one object many times is not expanded, and nesting deeper than
//! [`MAX_NESTING`] or a plan whose expanded fields would exceed
//! [`MAX_EXPANDED_FIELDS`] is an error, not an abort.
//!
//! [`MAX_NESTING`]: crate::plan::MAX_NESTING
//! [`MAX_EXPANDED_FIELDS`]: crate::plan::MAX_EXPANDED_FIELDS

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::plan::definitions::Definitions;
use crate::plan::read::Resolver;
use crate::plan::{
    PlanEnum, PlanError, PlanEvent, PlanField, PlanRule, PlanType, PlanUnion, PlanVariantShape,
    TrackingPlan, PLAN_FORMAT_VERSION,
};
use crate::schema::{Bound, IdentityRole, IntegerKind, Tagging};

// ------------------------------------------------------------ the layout

#[derive(Serialize, Deserialize)]
pub(crate) struct Document {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) format_version: Option<u64>,
    pub(crate) events: Vec<EventDoc>,
    #[serde(default)]
    pub(crate) objects: BTreeMap<String, ObjectDoc>,
    #[serde(default)]
    pub(crate) enums: BTreeMap<String, EnumDoc>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) unions: BTreeMap<String, UnionDoc>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct EventDoc {
    pub(crate) name: String,
    pub(crate) version: u32,
    #[serde(default, deserialize_with = "text")]
    pub(crate) description: String,
    #[serde(default, deserialize_with = "text")]
    pub(crate) rust_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) envelope: Vec<FieldDoc>,
    #[serde(default)]
    pub(crate) fields: Vec<FieldDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) checks: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) write_only: bool,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct FieldDoc {
    pub(crate) name: String,
    #[serde(default, deserialize_with = "text")]
    pub(crate) rust_path: String,
    #[serde(rename = "type")]
    pub(crate) ty: TypeDoc,
    #[serde(default = "yes")]
    pub(crate) required: bool,
    #[serde(default)]
    pub(crate) nullable: bool,
    #[serde(default, deserialize_with = "text")]
    pub(crate) description: String,
    #[serde(
        default,
        deserialize_with = "list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub(crate) rules: Vec<RuleDoc>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub(crate) pii: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) deprecated: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) identity: Option<IdentityDoc>,
}

/// A field's identity role: `"user_id"` or `"anonymous_id"`.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum IdentityDoc {
    UserId,
    AnonymousId,
}

impl From<IdentityDoc> for IdentityRole {
    fn from(doc: IdentityDoc) -> Self {
        match doc {
            IdentityDoc::UserId => IdentityRole::UserId,
            IdentityDoc::AnonymousId => IdentityRole::AnonymousId,
        }
    }
}

impl From<IdentityRole> for IdentityDoc {
    fn from(role: IdentityRole) -> Self {
        match role {
            IdentityRole::UserId => IdentityDoc::UserId,
            IdentityRole::AnonymousId => IdentityDoc::AnonymousId,
        }
    }
}

/// A type: a name for scalars, an object with one key otherwise (serde's
/// external enum layout).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
// One name per Rust integer width, as `IntegerKind` has: serde's layout of
// this enum is the plan's JSON, so the list is spelled out here.
pub(crate) enum TypeDoc {
    String,
    Boolean,
    Any,
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
    F32,
    F64,
    Enum(String),
    Object(String),
    Array(Box<TypeDoc>),
    Nullable(Box<TypeDoc>),
    Map {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        keys: Option<String>,
        values: Box<TypeDoc>,
    },
    Json(Value),
    Union(String),
    Ref(String),
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum RuleDoc {
    Range(BoundsDoc<BoundDoc>),
    Length(BoundsDoc<u64>),
    NonEmpty,
    Pattern(String),
    OneOf(Vec<String>),
    Custom(String),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "T: Deserialize<'de>"))]
pub(crate) struct BoundsDoc<T> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max: Option<T>,
}

/// A `range` bound: an integer, or a float (written with its `.0`).
pub(crate) struct BoundDoc(pub(crate) Bound);

#[derive(Serialize, Deserialize)]
pub(crate) struct ObjectDoc {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) description: String,
    #[serde(default)]
    pub(crate) fields: Vec<FieldDoc>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) checks: Vec<String>,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct EnumDoc {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) description: String,
    pub(crate) values: Vec<EnumValueDoc>,
}

/// An enum value: `{"name", "description"}`, or its name alone when read.
#[derive(Serialize)]
pub(crate) struct EnumValueDoc {
    pub(crate) name: String,
    pub(crate) description: String,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct UnionDoc {
    #[serde(default)]
    pub(crate) name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub(crate) description: String,
    pub(crate) tagging: TaggingDoc,
    pub(crate) variants: Vec<VariantDoc>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TaggingDoc {
    External,
    Internal { tag: String },
    Adjacent { tag: String, content: String },
    Untagged,
}

#[derive(Serialize, Deserialize)]
pub(crate) struct VariantDoc {
    pub(crate) name: String,
    #[serde(default, deserialize_with = "text")]
    pub(crate) description: String,
    pub(crate) shape: ShapeDoc,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ShapeDoc {
    Unit,
    Newtype(TypeDoc),
    Tuple(Vec<TypeDoc>),
    Struct(Vec<FieldDoc>),
}

fn yes() -> bool {
    true
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// A string that may be `null` or absent (read as empty).
fn text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Option::<String>::deserialize(deserializer).map(Option::unwrap_or_default)
}

/// A list that may be `null` (read as empty).
fn list<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Vec<T>, D::Error> {
    Option::<Vec<T>>::deserialize(deserializer).map(Option::unwrap_or_default)
}

impl Serialize for BoundDoc {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Bound::Int(value) => serializer.serialize_i128(value),
            Bound::Float(value) => serializer.serialize_f64(value),
        }
    }
}

impl<'de> Deserialize<'de> for BoundDoc {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BoundVisitor;
        impl serde::de::Visitor<'_> for BoundVisitor {
            type Value = BoundDoc;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E>(self, value: i64) -> Result<BoundDoc, E> {
                Ok(BoundDoc(Bound::Int(value.into())))
            }
            fn visit_u64<E>(self, value: u64) -> Result<BoundDoc, E> {
                Ok(BoundDoc(Bound::Int(value.into())))
            }
            fn visit_i128<E>(self, value: i128) -> Result<BoundDoc, E> {
                Ok(BoundDoc(Bound::Int(value)))
            }
            // Beyond 64 bits JSON numbers are read as floats, as serde_json does.
            fn visit_f64<E>(self, value: f64) -> Result<BoundDoc, E> {
                Ok(BoundDoc(Bound::Float(value)))
            }
        }
        deserializer.deserialize_any(BoundVisitor)
    }
}

impl<'de> Deserialize<'de> for EnumValueDoc {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Full {
            name: String,
            #[serde(default, deserialize_with = "text")]
            description: String,
        }
        struct ValueVisitor;
        impl<'de> serde::de::Visitor<'de> for ValueVisitor {
            type Value = EnumValueDoc;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an enum value: its name, or {\"name\", \"description\"}")
            }
            fn visit_str<E>(self, name: &str) -> Result<EnumValueDoc, E> {
                Ok(EnumValueDoc {
                    name: name.to_owned(),
                    description: String::new(),
                })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<EnumValueDoc, A::Error> {
                let full = Full::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(EnumValueDoc {
                    name: full.name,
                    description: full.description,
                })
            }
        }
        deserializer.deserialize_any(ValueVisitor)
    }
}

// ------------------------------------------------------------ writing

impl TrackingPlan {
    /// The JSON rendering: pretty, keys and events in a fixed order, nested
    /// objects, enums and unions written once under `"objects"`, `"enums"` and
    /// `"unions"`, so that a committed file diffs cleanly.
    /// [`TrackingPlan::from_json`] reads it back. The layout is described
    /// at [`PLAN_FORMAT_VERSION`].
    pub fn to_json(&self) -> String {
        let mut writer = Writer::default();
        let events = self
            .events
            .iter()
            .map(|event| writer.event(event))
            .collect();
        let mut document = Document {
            format_version: Some(PLAN_FORMAT_VERSION),
            events,
            objects: BTreeMap::new(),
            enums: BTreeMap::new(),
            unions: BTreeMap::new(),
        };
        // A definition's fields may meet further definitions: walk by index
        // until neither list grows.
        let (mut objects, mut unions) = (0, 0);
        while objects < writer.defs.objects.len() || unions < writer.defs.unions.len() {
            if let Some((key, object)) = writer.defs.objects.get(objects).cloned() {
                let doc = ObjectDoc {
                    name: Some(object.name.clone()),
                    description: object.description.clone(),
                    fields: writer.fields(&object.fields),
                    checks: object.checks.clone(),
                };
                document.objects.insert(key, doc);
                objects += 1;
            }
            if let Some((key, union)) = writer.defs.unions.get(unions).cloned() {
                let doc = writer.union(&union);
                document.unions.insert(key, doc);
                unions += 1;
            }
        }
        for (key, schema) in &writer.defs.enums {
            document.enums.insert(key.clone(), enum_doc(schema));
        }
        let mut out = crate::plan::pretty::to_string(&document);
        out.push('\n');
        out
    }

    /// Reads the rendering of [`TrackingPlan::to_json`]. Malformed input is an
    /// error naming where it is (`events[2].fields[0].type: ...`), never a
    /// panic; so is a plan nested deeper than [`MAX_NESTING`](crate::plan::MAX_NESTING)
    /// or one that would expand to more than
    /// [`MAX_EXPANDED_FIELDS`](crate::plan::MAX_EXPANDED_FIELDS) fields.
    pub fn from_json(json: &str) -> Result<TrackingPlan, PlanError> {
        // The version first: a newer layout may not parse as this one.
        if let Some(version) = parse::<Version>(json)?.0 {
            if version.as_u64().is_none_or(|v| v > PLAN_FORMAT_VERSION) {
                return Err(PlanError::new(
                    "format_version",
                    format!(
                        "unsupported format version {version} (this build reads up to {PLAN_FORMAT_VERSION})"
                    ),
                ));
            }
        }
        let document: Document = parse(json)?;
        Resolver::new(&document).plan()
    }
}

/// The `format_version` of a document, the rest skipped; anything but a JSON
/// object is an error here (serde's derived structs would take an array).
struct Version(Option<Value>);

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VersionVisitor;
        impl<'de> serde::de::Visitor<'de> for VersionVisitor {
            type Value = Version;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a tracking plan (a JSON object)")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Version, A::Error> {
                let mut version = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "format_version" {
                        version = Some(map.next_value::<Value>()?);
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(Version(version))
            }
        }
        deserializer.deserialize_map(VersionVisitor)
    }
}

/// `json` as `T`, an error naming the path where it does not fit.
fn parse<'de, T: Deserialize<'de>>(json: &'de str) -> Result<T, PlanError> {
    fn message(error: serde_json::Error) -> String {
        if error.is_syntax() || error.is_eof() {
            format!("invalid JSON: {error}")
        } else {
            error.to_string()
        }
    }
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let path = if path == "." { String::new() } else { path };
        PlanError::new(&path, message(error.into_inner()))
    })?;
    deserializer
        .end()
        .map_err(|error| PlanError::new("", message(error)))?;
    Ok(value)
}

/// Turns the owned model into the document, giving each shared definition a key.
#[derive(Default)]
struct Writer {
    defs: Definitions,
}

impl Writer {
    fn event(&mut self, event: &PlanEvent) -> EventDoc {
        EventDoc {
            name: event.name.clone(),
            version: event.version,
            description: event.description.clone(),
            rust_type: event.rust_type.clone(),
            envelope: self.fields(&event.envelope),
            fields: self.fields(&event.fields),
            checks: event.checks.clone(),
            write_only: event.write_only,
        }
    }

    fn fields(&mut self, fields: &[PlanField]) -> Vec<FieldDoc> {
        fields.iter().map(|field| self.field(field)).collect()
    }

    fn field(&mut self, field: &PlanField) -> FieldDoc {
        FieldDoc {
            name: field.name.clone(),
            rust_path: field.rust_path.clone(),
            ty: self.ty(&field.ty),
            required: field.required,
            nullable: field.nullable,
            description: field.description.clone(),
            rules: field.rules.iter().map(rule_doc).collect(),
            pii: field.pii,
            deprecated: field.deprecated.clone(),
            identity: field.identity.map(IdentityDoc::from),
        }
    }

    fn ty(&mut self, ty: &PlanType) -> TypeDoc {
        match ty {
            PlanType::String => TypeDoc::String,
            PlanType::Boolean => TypeDoc::Boolean,
            PlanType::Any => TypeDoc::Any,
            PlanType::Integer(kind) => integer_doc(*kind),
            // A width other than 32 is a 64-bit float (the derives write no other).
            PlanType::Number(32) => TypeDoc::F32,
            PlanType::Number(_) => TypeDoc::F64,
            PlanType::Enum(schema) => TypeDoc::Enum(self.defs.enum_key(schema)),
            PlanType::Object(object) => TypeDoc::Object(self.defs.object_key(object)),
            PlanType::Array(item) => TypeDoc::Array(Box::new(self.ty(item))),
            PlanType::Nullable(inner) => TypeDoc::Nullable(Box::new(self.ty(inner))),
            PlanType::Map { keys, values } => TypeDoc::Map {
                keys: keys.as_ref().map(|keys| self.defs.enum_key(keys)),
                values: Box::new(self.ty(values)),
            },
            PlanType::Json(schema) => TypeDoc::Json(schema.clone()),
            PlanType::Union(union) => TypeDoc::Union(self.defs.union_key(union)),
            PlanType::Ref(name) => TypeDoc::Ref(name.clone()),
        }
    }

    fn union(&mut self, union: &PlanUnion) -> UnionDoc {
        UnionDoc {
            name: Some(union.name.clone()),
            description: union.description.clone(),
            tagging: match union.tagging {
                Tagging::External => TaggingDoc::External,
                Tagging::Internal { tag } => TaggingDoc::Internal {
                    tag: tag.to_owned(),
                },
                Tagging::Adjacent { tag, content } => TaggingDoc::Adjacent {
                    tag: tag.to_owned(),
                    content: content.to_owned(),
                },
                Tagging::Untagged => TaggingDoc::Untagged,
            },
            variants: union
                .variants
                .iter()
                .map(|variant| VariantDoc {
                    name: variant.name.clone(),
                    description: variant.description.clone(),
                    shape: match &variant.shape {
                        PlanVariantShape::Unit => ShapeDoc::Unit,
                        PlanVariantShape::Newtype(ty) => ShapeDoc::Newtype(self.ty(ty)),
                        PlanVariantShape::Tuple(items) => {
                            ShapeDoc::Tuple(items.iter().map(|item| self.ty(item)).collect())
                        }
                        PlanVariantShape::Struct(fields) => ShapeDoc::Struct(self.fields(fields)),
                    },
                })
                .collect(),
        }
    }
}

fn integer_doc(kind: IntegerKind) -> TypeDoc {
    match kind {
        IntegerKind::I8 => TypeDoc::I8,
        IntegerKind::I16 => TypeDoc::I16,
        IntegerKind::I32 => TypeDoc::I32,
        IntegerKind::I64 => TypeDoc::I64,
        IntegerKind::I128 => TypeDoc::I128,
        IntegerKind::Isize => TypeDoc::Isize,
        IntegerKind::U8 => TypeDoc::U8,
        IntegerKind::U16 => TypeDoc::U16,
        IntegerKind::U32 => TypeDoc::U32,
        IntegerKind::U64 => TypeDoc::U64,
        IntegerKind::U128 => TypeDoc::U128,
        IntegerKind::Usize => TypeDoc::Usize,
    }
}

fn rule_doc(rule: &PlanRule) -> RuleDoc {
    match rule {
        PlanRule::Range { min, max } => RuleDoc::Range(BoundsDoc {
            min: min.map(BoundDoc),
            max: max.map(BoundDoc),
        }),
        PlanRule::Length { min, max } => RuleDoc::Length(BoundsDoc {
            min: *min,
            max: *max,
        }),
        PlanRule::NonEmpty => RuleDoc::NonEmpty,
        PlanRule::Pattern(pattern) => RuleDoc::Pattern(pattern.clone()),
        PlanRule::OneOf(values) => RuleDoc::OneOf(values.clone()),
        PlanRule::Custom(path) => RuleDoc::Custom(path.clone()),
    }
}

fn enum_doc(schema: &PlanEnum) -> EnumDoc {
    EnumDoc {
        name: Some(schema.name.clone()),
        description: schema.description.clone(),
        values: schema
            .values
            .iter()
            .map(|value| EnumValueDoc {
                name: value.name.clone(),
                description: value.description.clone(),
            })
            .collect(),
    }
}
