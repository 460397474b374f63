//! From the `'static` schemas of the derives to the plan's owned model.
//!
//! A [`FieldType::Ref`] names the nearest enclosing object (or union) of that
//! Rust name, and stays a [`PlanType::Ref`] in the plan when that object
//! encloses it. A type built while a recursive type was being built can hold
//! a `Ref` to it and be used elsewhere, outside it (`Link { target: Node }`
//! built inside `Node`, then used alone): there the `Ref` is replaced by the
//! object it names, so that every plan is self-contained. Conversely an
//! object met inside an object of the same Rust name is written as a `Ref`:
//! which of two mutually recursive types holds the `Ref` in the `'static`
//! schemas depends on which was built first, and the plan must not.

use std::sync::Arc;

use crate::plan::{
    PlanEnum, PlanEnumValue, PlanEvent, PlanField, PlanObject, PlanRule, PlanType, PlanUnion,
    PlanVariant, PlanVariantShape,
};
use crate::schema::{
    EnumSchema, EventSchema, FieldSchema, FieldType, ObjectSchema, Rule, UnionSchema, UnionVariant,
    VariantShape,
};

/// Converts with the names of the objects and unions being converted.
#[derive(Default)]
struct Converter {
    enclosing: Vec<&'static str>,
}

impl Converter {
    fn event(&mut self, schema: &EventSchema) -> PlanEvent {
        PlanEvent {
            name: schema.name.to_owned(),
            version: schema.version,
            description: schema.description.to_owned(),
            rust_type: schema.rust_type.to_owned(),
            fields: self.fields(schema.fields),
            envelope: self.fields(schema.envelope),
            checks: strings(schema.checks),
            write_only: schema.write_only,
        }
    }

    fn fields(&mut self, fields: &[FieldSchema]) -> Vec<PlanField> {
        fields.iter().map(|field| self.field(field)).collect()
    }

    fn field(&mut self, field: &FieldSchema) -> PlanField {
        PlanField {
            name: field.name.to_owned(),
            rust_path: field.rust_path.to_owned(),
            ty: self.ty(&field.ty),
            required: field.required,
            nullable: field.nullable,
            description: field.description.to_owned(),
            rules: field.rules.iter().map(PlanRule::from).collect(),
            pii: field.pii,
            deprecated: field.deprecated.map(str::to_owned),
            identity: field.identity,
        }
    }

    fn ty(&mut self, ty: &FieldType) -> PlanType {
        match *ty {
            FieldType::String => PlanType::String,
            FieldType::Integer(kind) => PlanType::Integer(kind),
            FieldType::Number { bits } => PlanType::Number(bits),
            FieldType::Boolean => PlanType::Boolean,
            FieldType::Enum(schema) => PlanType::Enum(PlanEnum::from(schema)),
            // Inside an object of the same name: the same recursion, whichever
            // type's schema was built first. Written as a `Ref`, the plan does
            // not depend on the order in which schemas were built.
            FieldType::Object(schema) if self.enclosing.contains(&schema.name) => {
                PlanType::Ref(schema.name.to_owned())
            }
            FieldType::Object(schema) => PlanType::Object(Arc::new(self.object(schema))),
            FieldType::Array(item) => PlanType::Array(Box::new(self.ty(item))),
            FieldType::Nullable(inner) => PlanType::Nullable(Box::new(self.ty(inner))),
            FieldType::Map { keys, values } => PlanType::Map {
                keys: keys.map(PlanEnum::from),
                values: Box::new(self.ty(values)),
            },
            FieldType::Any => PlanType::Any,
            FieldType::Serde(schema) => PlanType::Json((schema.json_schema)()),
            FieldType::Union(schema) if self.enclosing.contains(&schema.name) => {
                PlanType::Ref(schema.name.to_owned())
            }
            FieldType::Union(schema) => PlanType::Union(Arc::new(self.union(schema))),
            FieldType::Ref(name) if self.enclosing.contains(&name) => {
                PlanType::Ref(name.to_owned())
            }
            FieldType::Ref(name) => match crate::__private::resolve_ref(name) {
                // Inside the object, its own `Ref`s are enclosed: this ends.
                Some(target @ (FieldType::Object(_) | FieldType::Union(_))) => self.ty(&target),
                // Nothing of that name was built: keep the name.
                _ => PlanType::Ref(name.to_owned()),
            },
        }
    }

    fn object(&mut self, schema: &ObjectSchema) -> PlanObject {
        self.enclosing.push(schema.name);
        let fields = self.fields(schema.fields);
        self.enclosing.pop();
        PlanObject {
            name: schema.name.to_owned(),
            description: schema.description.to_owned(),
            fields,
            checks: strings(schema.checks),
        }
    }

    fn union(&mut self, schema: &UnionSchema) -> PlanUnion {
        self.enclosing.push(schema.name);
        let variants = schema
            .variants
            .iter()
            .map(|variant| self.variant(variant))
            .collect();
        self.enclosing.pop();
        PlanUnion {
            name: schema.name.to_owned(),
            description: schema.description.to_owned(),
            tagging: schema.tagging,
            variants,
        }
    }

    fn variant(&mut self, variant: &UnionVariant) -> PlanVariant {
        PlanVariant {
            name: variant.name.to_owned(),
            description: variant.description.to_owned(),
            shape: match variant.shape {
                VariantShape::Unit => PlanVariantShape::Unit,
                VariantShape::Newtype(ty) => PlanVariantShape::Newtype(self.ty(ty)),
                VariantShape::Tuple(items) => {
                    PlanVariantShape::Tuple(items.iter().map(|item| self.ty(item)).collect())
                }
                VariantShape::Struct(fields) => PlanVariantShape::Struct(self.fields(fields)),
            },
        }
    }
}

fn strings(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|&text| text.to_owned()).collect()
}

impl From<&EventSchema> for PlanEvent {
    fn from(schema: &EventSchema) -> Self {
        Converter::default().event(schema)
    }
}

impl From<&FieldSchema> for PlanField {
    fn from(field: &FieldSchema) -> Self {
        Converter::default().field(field)
    }
}

impl From<&FieldType> for PlanType {
    fn from(ty: &FieldType) -> Self {
        Converter::default().ty(ty)
    }
}

impl From<&ObjectSchema> for PlanObject {
    fn from(schema: &ObjectSchema) -> Self {
        Converter::default().object(schema)
    }
}

impl From<&UnionSchema> for PlanUnion {
    fn from(schema: &UnionSchema) -> Self {
        Converter::default().union(schema)
    }
}

impl From<&UnionVariant> for PlanVariant {
    fn from(variant: &UnionVariant) -> Self {
        Converter::default().variant(variant)
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
