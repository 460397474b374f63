//! From the parsed document to the owned model: definitions resolved by key,
//! each read once and shared, with bounds on nesting and on expansion.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use crate::plan::document::{
    Document, EnumDoc, EventDoc, FieldDoc, RuleDoc, ShapeDoc, TaggingDoc, TypeDoc,
};
use crate::plan::{
    PlanEnum, PlanEnumValue, PlanError, PlanEvent, PlanField, PlanObject, PlanRule, PlanType,
    PlanUnion, PlanVariant, PlanVariantShape, TrackingPlan,
};
use crate::schema::{IdentityRole, IntegerKind, Tagging};

/// How deep definitions (objects and unions) may nest in a plan read by
/// [`TrackingPlan::from_json`]: an object whose field is an object whose
/// field is an object... 64 levels. Deeper is an error, not a stack overflow.
pub const MAX_NESTING: usize = 64;

/// How many fields a plan read by [`TrackingPlan::from_json`] may have once
/// every shared object is counted where it is used (an object used twice
/// counts twice). Reading shares the objects; this bound keeps what walks
/// the plan field by field (Markdown, diff, validation) linear in the input
/// rather than exponential. Larger plans are an error.
pub const MAX_EXPANDED_FIELDS: u64 = 100_000;

/// Reads a [`Document`]'s definitions on demand, each once.
pub(crate) struct Resolver<'a> {
    document: &'a Document,
    objects: HashMap<&'a str, (Arc<PlanObject>, u64)>,
    enums: HashMap<&'a str, PlanEnum>,
    unions: HashMap<&'a str, (Arc<PlanUnion>, u64)>,
    /// The definitions being read, outermost first (`objects.Key`, `unions.Key`).
    open: Vec<String>,
}

/// A resolved type and how many fields it expands to.
type Counted<T> = (T, u64);

impl<'a> Resolver<'a> {
    pub(crate) fn new(document: &'a Document) -> Self {
        Resolver {
            document,
            objects: HashMap::new(),
            enums: HashMap::new(),
            unions: HashMap::new(),
            open: Vec::new(),
        }
    }

    pub(crate) fn plan(mut self) -> Result<TrackingPlan, PlanError> {
        let document = self.document;
        let mut events = Vec::with_capacity(document.events.len());
        let mut total: u64 = 0;
        for (index, event) in document.events.iter().enumerate() {
            let path = format!("events[{index}]");
            let (event, size) = self.event(event, &path)?;
            total = total.saturating_add(size);
            if total > MAX_EXPANDED_FIELDS {
                return Err(PlanError::new(
                    &path,
                    format!(
                        "the plan expands to more than {MAX_EXPANDED_FIELDS} fields (objects counted where they are used)"
                    ),
                ));
            }
            events.push(event);
        }
        Ok(TrackingPlan::from_plan_events(events))
    }

    fn event(&mut self, event: &'a EventDoc, path: &str) -> Result<Counted<PlanEvent>, PlanError> {
        let (envelope, envelope_size) =
            self.fields(&event.envelope, &format!("{path}.envelope"))?;
        let (fields, fields_size) = self.fields(&event.fields, &format!("{path}.fields"))?;
        let event = PlanEvent {
            name: event.name.clone(),
            version: event.version,
            description: event.description.clone(),
            rust_type: event.rust_type.clone(),
            fields,
            envelope,
            checks: event.checks.clone(),
            write_only: event.write_only,
        };
        Ok((event, envelope_size.saturating_add(fields_size)))
    }

    fn fields(
        &mut self,
        fields: &'a [FieldDoc],
        path: &str,
    ) -> Result<Counted<Vec<PlanField>>, PlanError> {
        let mut out = Vec::with_capacity(fields.len());
        let mut size: u64 = 0;
        for (index, field) in fields.iter().enumerate() {
            let field_path = format!("{path}[{index}]");
            let (ty, ty_size) = self.ty(&field.ty, &format!("{field_path}.type"))?;
            size = size.saturating_add(1).saturating_add(ty_size);
            out.push(PlanField {
                name: field.name.clone(),
                rust_path: field.rust_path.clone(),
                ty,
                required: field.required,
                nullable: field.nullable,
                description: field.description.clone(),
                rules: field.rules.iter().map(rule).collect(),
                pii: field.pii,
                deprecated: field.deprecated.clone(),
                identity: field.identity.map(IdentityRole::from),
            });
        }
        Ok((out, size))
    }

    fn ty(&mut self, ty: &'a TypeDoc, path: &str) -> Result<Counted<PlanType>, PlanError> {
        let integer = |kind| Ok((PlanType::Integer(kind), 0));
        match ty {
            TypeDoc::String => Ok((PlanType::String, 0)),
            TypeDoc::Boolean => Ok((PlanType::Boolean, 0)),
            TypeDoc::Any => Ok((PlanType::Any, 0)),
            TypeDoc::I8 => integer(IntegerKind::I8),
            TypeDoc::I16 => integer(IntegerKind::I16),
            TypeDoc::I32 => integer(IntegerKind::I32),
            TypeDoc::I64 => integer(IntegerKind::I64),
            TypeDoc::I128 => integer(IntegerKind::I128),
            TypeDoc::Isize => integer(IntegerKind::Isize),
            TypeDoc::U8 => integer(IntegerKind::U8),
            TypeDoc::U16 => integer(IntegerKind::U16),
            TypeDoc::U32 => integer(IntegerKind::U32),
            TypeDoc::U64 => integer(IntegerKind::U64),
            TypeDoc::U128 => integer(IntegerKind::U128),
            TypeDoc::Usize => integer(IntegerKind::Usize),
            TypeDoc::F32 => Ok((PlanType::Number(32), 0)),
            TypeDoc::F64 => Ok((PlanType::Number(64), 0)),
            TypeDoc::Enum(key) => Ok((
                PlanType::Enum(self.enum_def(key, &format!("{path}.enum"))?),
                0,
            )),
            TypeDoc::Object(key) => {
                let (object, size) = self.object_def(key, &format!("{path}.object"))?;
                Ok((PlanType::Object(object), size))
            }
            TypeDoc::Union(key) => {
                let (union, size) = self.union_def(key, &format!("{path}.union"))?;
                Ok((PlanType::Union(union), size))
            }
            TypeDoc::Array(item) => {
                let (item, size) = self.ty(item, &format!("{path}.array"))?;
                Ok((PlanType::Array(Box::new(item)), size))
            }
            TypeDoc::Nullable(inner) => {
                let (inner, size) = self.ty(inner, &format!("{path}.nullable"))?;
                Ok((PlanType::Nullable(Box::new(inner)), size))
            }
            TypeDoc::Map { keys, values } => {
                let keys = match keys {
                    Some(key) => Some(self.enum_def(key, &format!("{path}.map.keys"))?),
                    None => None,
                };
                let (values, size) = self.ty(values, &format!("{path}.map.values"))?;
                Ok((
                    PlanType::Map {
                        keys,
                        values: Box::new(values),
                    },
                    size,
                ))
            }
            TypeDoc::Json(schema) => Ok((PlanType::Json(schema.clone()), 0)),
            TypeDoc::Ref(name) => Ok((PlanType::Ref(name.clone()), 0)),
        }
    }

    /// Marks `id` as being read; an error if it already is (a cycle) or if
    /// definitions nest too deep.
    fn open(&mut self, id: String, what: &str, from: &str) -> Result<(), PlanError> {
        if self.open.contains(&id) {
            return Err(PlanError::new(
                from,
                format!(
                    "{what} contains itself (a recursive type refers to its object with {{\"ref\": \"RustName\"}})"
                ),
            ));
        }
        if self.open.len() >= MAX_NESTING {
            return Err(PlanError::new(
                from,
                format!("objects and unions nested more than {MAX_NESTING} levels deep"),
            ));
        }
        self.open.push(id);
        Ok(())
    }

    fn object_def(
        &mut self,
        key: &'a str,
        from: &str,
    ) -> Result<Counted<Arc<PlanObject>>, PlanError> {
        if let Some((object, size)) = self.objects.get(key) {
            return Ok((Arc::clone(object), *size));
        }
        let document = self.document;
        let doc = document
            .objects
            .get(key)
            .ok_or_else(|| PlanError::new(from, format!("no object {key:?} under \"objects\"")))?;
        self.open(format!("objects.{key}"), &format!("object {key:?}"), from)?;
        let result = self.fields(&doc.fields, &format!("objects.{key}.fields"));
        self.open.pop();
        let (fields, size) = result?;
        let object = Arc::new(PlanObject {
            name: doc.name.clone().unwrap_or_else(|| key.to_owned()),
            description: doc.description.clone(),
            fields,
            checks: doc.checks.clone(),
        });
        self.objects.insert(key, (Arc::clone(&object), size));
        Ok((object, size))
    }

    fn union_def(
        &mut self,
        key: &'a str,
        from: &str,
    ) -> Result<Counted<Arc<PlanUnion>>, PlanError> {
        if let Some((union, size)) = self.unions.get(key) {
            return Ok((Arc::clone(union), *size));
        }
        let document = self.document;
        let doc = document
            .unions
            .get(key)
            .ok_or_else(|| PlanError::new(from, format!("no union {key:?} under \"unions\"")))?;
        self.open(format!("unions.{key}"), &format!("union {key:?}"), from)?;
        let result = self.variants(key, doc);
        self.open.pop();
        let (variants, size) = result?;
        let union = Arc::new(PlanUnion {
            name: doc.name.clone().unwrap_or_else(|| key.to_owned()),
            description: doc.description.clone(),
            tagging: match &doc.tagging {
                TaggingDoc::External => Tagging::External,
                TaggingDoc::Internal { tag } => Tagging::Internal { tag: intern(tag) },
                TaggingDoc::Adjacent { tag, content } => Tagging::Adjacent {
                    tag: intern(tag),
                    content: intern(content),
                },
                TaggingDoc::Untagged => Tagging::Untagged,
            },
            variants,
        });
        self.unions.insert(key, (Arc::clone(&union), size));
        Ok((union, size))
    }

    fn variants(
        &mut self,
        key: &str,
        doc: &'a crate::plan::document::UnionDoc,
    ) -> Result<Counted<Vec<PlanVariant>>, PlanError> {
        let mut size: u64 = 0;
        let mut variants = Vec::with_capacity(doc.variants.len());
        for (index, variant) in doc.variants.iter().enumerate() {
            let path = format!("unions.{key}.variants[{index}].shape");
            let (shape, shape_size) = match &variant.shape {
                ShapeDoc::Unit => (PlanVariantShape::Unit, 0),
                ShapeDoc::Newtype(ty) => {
                    let (ty, size) = self.ty(ty, &format!("{path}.newtype"))?;
                    (PlanVariantShape::Newtype(ty), size)
                }
                ShapeDoc::Tuple(items) => {
                    let mut out = Vec::with_capacity(items.len());
                    let mut size: u64 = 0;
                    for (index, item) in items.iter().enumerate() {
                        let (item, item_size) = self.ty(item, &format!("{path}.tuple[{index}]"))?;
                        size = size.saturating_add(1).saturating_add(item_size);
                        out.push(item);
                    }
                    (PlanVariantShape::Tuple(out), size)
                }
                ShapeDoc::Struct(fields) => {
                    let (fields, size) = self.fields(fields, &format!("{path}.struct"))?;
                    (PlanVariantShape::Struct(fields), size)
                }
            };
            size = size.saturating_add(shape_size);
            variants.push(PlanVariant {
                name: variant.name.clone(),
                description: variant.description.clone(),
                shape,
            });
        }
        Ok((variants, size))
    }

    fn enum_def(&mut self, key: &'a str, from: &str) -> Result<PlanEnum, PlanError> {
        if let Some(schema) = self.enums.get(key) {
            return Ok(schema.clone());
        }
        let doc: &EnumDoc = self
            .document
            .enums
            .get(key)
            .ok_or_else(|| PlanError::new(from, format!("no enum {key:?} under \"enums\"")))?;
        let schema = PlanEnum {
            name: doc.name.clone().unwrap_or_else(|| key.to_owned()),
            description: doc.description.clone(),
            values: doc
                .values
                .iter()
                .map(|value| PlanEnumValue {
                    name: value.name.clone(),
                    description: value.description.clone(),
                })
                .collect(),
        };
        self.enums.insert(key, schema.clone());
        Ok(schema)
    }
}

fn rule(rule: &RuleDoc) -> PlanRule {
    match rule {
        RuleDoc::Range(bounds) => PlanRule::Range {
            min: bounds.min.as_ref().map(|bound| bound.0),
            max: bounds.max.as_ref().map(|bound| bound.0),
        },
        RuleDoc::Length(bounds) => PlanRule::Length {
            min: bounds.min,
            max: bounds.max,
        },
        RuleDoc::NonEmpty => PlanRule::NonEmpty,
        RuleDoc::Pattern(pattern) => PlanRule::Pattern(pattern.clone()),
        RuleDoc::OneOf(values) => PlanRule::OneOf(values.clone()),
        RuleDoc::Custom(path) => PlanRule::Custom(path.clone()),
    }
}

/// A `'static` copy of a tag name read from a plan ([`Tagging`] holds
/// `&'static str`, as the derives write it): each distinct name is leaked
/// once per process, however many plans are read.
fn intern(text: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
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
