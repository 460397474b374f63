//! The JSON Schema of a union: one `oneOf` entry per variant, in the layout
//! serde writes for the union's tagging.

use serde_json::{json, Map, Value};

use super::{object_schema, type_schema};
use crate::plan::definitions::Definitions;
use crate::plan::{PlanField, PlanType, PlanUnion, PlanVariant, PlanVariantShape};
use crate::schema::Tagging;

/// The `$defs` entry of a union: one schema per variant, as serde writes it.
pub(super) fn union_definition(union: &PlanUnion, defs: &mut Definitions) -> Map<String, Value> {
    let variants = union
        .variants
        .iter()
        .map(|variant| Value::Object(variant_schema(union.tagging, variant, defs)))
        .collect();
    let mut out = Map::new();
    out.insert("title".into(), union.name.clone().into());
    if !union.description.is_empty() {
        out.insert("description".into(), union.description.clone().into());
    }
    out.insert("oneOf".into(), Value::Array(variants));
    out
}

/// The payload of a variant (what serde writes for it, untagged).
fn payload_schema(shape: &PlanVariantShape, defs: &mut Definitions) -> Map<String, Value> {
    match shape {
        PlanVariantShape::Unit => {
            let mut schema = Map::new();
            schema.insert("type".into(), "null".into());
            schema
        }
        PlanVariantShape::Newtype(ty) => type_schema(ty, defs),
        PlanVariantShape::Tuple(items) => {
            let items: Vec<Value> = items
                .iter()
                .map(|item| Value::Object(type_schema(item, defs)))
                .collect();
            let mut schema = Map::new();
            schema.insert("type".into(), "array".into());
            schema.insert("minItems".into(), items.len().into());
            schema.insert("maxItems".into(), items.len().into());
            schema.insert("prefixItems".into(), Value::Array(items));
            schema
        }
        PlanVariantShape::Struct(fields) => object_schema(fields, defs),
    }
}

/// `{"type": "object", "properties": {tag: {"const": name}}, "required": [tag]}`.
fn tag_object(tag: &str, name: &str) -> Map<String, Value> {
    let mut properties = Map::new();
    properties.insert(tag.to_owned(), json!({ "const": name }));
    let mut schema = Map::new();
    schema.insert("type".into(), "object".into());
    schema.insert("properties".into(), Value::Object(properties));
    schema.insert("required".into(), json!([tag]));
    schema
}

fn variant_schema(
    tagging: Tagging,
    variant: &PlanVariant,
    defs: &mut Definitions,
) -> Map<String, Value> {
    let name = variant.name.as_str();
    let mut schema = match (tagging, &variant.shape) {
        (Tagging::External, PlanVariantShape::Unit) => {
            let mut schema = Map::new();
            schema.insert("const".into(), name.into());
            schema
        }
        (Tagging::External, shape) => {
            let mut properties = Map::new();
            properties.insert(name.to_owned(), Value::Object(payload_schema(shape, defs)));
            let mut schema = Map::new();
            schema.insert("type".into(), "object".into());
            schema.insert("properties".into(), Value::Object(properties));
            schema.insert("required".into(), json!([name]));
            schema.insert("additionalProperties".into(), false.into());
            schema
        }
        (Tagging::Internal { tag }, PlanVariantShape::Unit) => {
            let mut schema = tag_object(tag, name);
            schema.insert("additionalProperties".into(), false.into());
            schema
        }
        (Tagging::Internal { tag }, PlanVariantShape::Struct(fields)) => {
            internal_object(tag, name, fields, defs)
        }
        (Tagging::Internal { tag }, PlanVariantShape::Newtype(PlanType::Object(object))) => {
            internal_object(tag, name, &object.fields, defs)
        }
        // A newtype of a map or of any value: the tag sits beside its keys.
        (Tagging::Internal { tag }, shape) => {
            let mut schema = Map::new();
            schema.insert(
                "allOf".into(),
                json!([
                    Value::Object(tag_object(tag, name)),
                    Value::Object(payload_schema(shape, defs)),
                ]),
            );
            schema
        }
        (Tagging::Adjacent { tag, .. }, PlanVariantShape::Unit) => {
            let mut schema = tag_object(tag, name);
            schema.insert("additionalProperties".into(), false.into());
            schema
        }
        (Tagging::Adjacent { tag, content }, shape) => {
            let mut schema = tag_object(tag, name);
            if let Some(Value::Object(properties)) = schema.get_mut("properties") {
                properties.insert(
                    content.to_owned(),
                    Value::Object(payload_schema(shape, defs)),
                );
            }
            schema.insert("required".into(), json!([tag, content]));
            schema.insert("additionalProperties".into(), false.into());
            schema
        }
        (Tagging::Untagged, shape) => payload_schema(shape, defs),
    };
    if !variant.description.is_empty() {
        schema.insert("description".into(), variant.description.clone().into());
    }
    schema
}

/// An internally tagged variant with named fields: the tag, then the fields.
fn internal_object(
    tag: &str,
    name: &str,
    fields: &[PlanField],
    defs: &mut Definitions,
) -> Map<String, Value> {
    let mut schema = object_schema(fields, defs);
    if let Some(Value::Object(properties)) = schema.get_mut("properties") {
        let mut with_tag = Map::new();
        with_tag.insert(tag.to_owned(), json!({ "const": name }));
        with_tag.extend(std::mem::take(properties));
        *properties = with_tag;
    }
    if let Some(Value::Array(required)) = schema.get_mut("required") {
        required.insert(0, Value::String(tag.to_owned()));
    }
    schema
}
