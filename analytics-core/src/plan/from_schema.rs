//! From the `'static` schemas of the derives to the plan's owned model.

use std::sync::Arc;

use crate::plan::{
    PlanEnum, PlanEnumValue, PlanEvent, PlanField, PlanObject, PlanRule, PlanType, PlanUnion,
    PlanVariant, PlanVariantShape,
};
use crate::schema::{
    EnumSchema, EventSchema, FieldSchema, FieldType, ObjectSchema, Rule, UnionSchema, UnionVariant,
    VariantShape,
};

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
