//! JSON Schema (draft 2020-12) of events and of the tracking plan.
//!
//! [`EventSchema::json_schema`] describes one event's envelope:
//!
//! ```json
//! {
//!   "$schema": "https://json-schema.org/draft/2020-12/schema",
//!   "title": "codex_web_search_event",
//!   "type": "object",
//!   "properties": {
//!     "event_type": { "const": "codex_web_search_event" },
//!     "event_params": {
//!       "type": "object",
//!       "properties": { "thread_id": { "type": "string", "minLength": 1 }, "...": {} },
//!       "required": ["thread_id", "..."],
//!       "additionalProperties": false
//!     }
//!   },
//!   "required": ["event_type", "event_params"],
//!   "additionalProperties": false,
//!   "$defs": { "RpcTransport": { "type": "string", "enum": ["stdio", "websocket", "in_process"] } }
//! }
//! ```
//!
//! The mapping:
//!
//! | Rust / attribute | JSON Schema |
//! |---|---|
//! | key always written (`FieldSchema::required`) | listed in `required` |
//! | `Option<T>` (`nullable`) | `"type": ["string", "null"]`; `anyOf: [{"$ref": ...}, {"type": "null"}]` for enums and objects |
//! | `String`, `bool` | `"type": "string"`, `"type": "boolean"` |
//! | integers | `"type": "integer"` with `minimum` / `maximum` of the Rust width |
//! | `f32`, `f64` | `"type": "number"` |
//! | `Vec<T>` | `"type": "array"`, `items` |
//! | `AnalyticsEnum` | `$ref` to a `$defs` entry with `"enum": [wire values]` |
//! | `AnalyticsFields` (nested) | `$ref` to a `$defs` entry, an object with `additionalProperties: false` |
//! | `range(min, max)` | `minimum` / `maximum` (the tighter of the rule and the width) |
//! | `length(min, max)` | `minLength` / `maxLength` on strings (code points, as Rust counts chars), `minItems` / `maxItems` on arrays |
//! | `non_empty` | `minLength: 1` / `minItems: 1` |
//! | `pattern` | `pattern` (a search in both; the regex dialects agree on the common syntax) |
//! | `one_of` | `enum` |
//! | `custom`, struct-level `check` | not expressible: left out |
//! | doc comments, `pii`, `deprecated`, version | `description`, `"x-pii": true`, `"deprecated": true`, `"x-event-version"` |
//!
//! Nested objects and enums are written once under `$defs` (keyed by their
//! Rust name; `Name_2`... when two different types share a name) and
//! referenced with `$ref`. [`TrackingPlan::json_schema`] puts every event's
//! envelope under `$defs` (keyed by event name) and accepts exactly one of them
//! (`oneOf`).
//!
//! What JSON Schema cannot say, validation (`validate()`) still checks:
//! `custom` rules and struct-level `check`s. A float that is NaN or infinite
//! serializes as `null`, which the schema of a non-nullable float rejects.
//!
//! [`EventSchema::json_schema`]: crate::EventSchema::json_schema

use serde_json::{json, Map, Value};

use crate::plan::definitions::Definitions;
use crate::plan::{
    PlanEnum, PlanEvent, PlanField, PlanObject, PlanRule, PlanType, PlanUnion, PlanVariant,
    PlanVariantShape, TrackingPlan,
};
use crate::schema::{Bound, EventSchema, IntegerKind, Tagging};

/// The `$schema` of every schema written here: JSON Schema draft 2020-12.
pub const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

impl EventSchema {
    /// A JSON Schema (draft 2020-12) of this event's envelope: see
    /// [`json_schema`](crate::plan::json_schema) for the mapping. Every
    /// serialized instance of the event validates against it, and no instance
    /// of another event does.
    pub fn json_schema(&self) -> Value {
        PlanEvent::from(self).json_schema()
    }
}

impl PlanEvent {
    /// A JSON Schema (draft 2020-12) of this event's envelope (the same as
    /// [`EventSchema::json_schema`] of the schema it was built from).
    pub fn json_schema(&self) -> Value {
        let mut defs = Definitions::default();
        let mut schema = Map::new();
        schema.insert("$schema".into(), DRAFT_2020_12.into());
        schema.extend(envelope(self, &mut defs));
        let defs = definitions(defs);
        if !defs.is_empty() {
            schema.insert("$defs".into(), Value::Object(defs));
        }
        Value::Object(schema)
    }
}

impl TrackingPlan {
    /// A JSON Schema (draft 2020-12) that accepts the envelope of any event of
    /// the plan and nothing else: every event's schema under `$defs` (keyed by
    /// event name), shared objects and enums beside them, and a `oneOf` over
    /// the events.
    pub fn json_schema(&self) -> Value {
        let mut defs = Definitions::default();
        let keys: Vec<String> = self
            .events
            .iter()
            .map(|event| defs.reserve(&event.name))
            .collect();
        let envelopes: Vec<(String, Map<String, Value>)> = keys
            .into_iter()
            .zip(&self.events)
            .map(|(key, event)| (key, envelope(event, &mut defs)))
            .collect();
        let refs: Vec<Value> = envelopes
            .iter()
            .map(|(key, _)| json!({ "$ref": format!("#/$defs/{}", pointer_escape(key)) }))
            .collect();
        let mut all = definitions(defs);
        for (key, envelope) in envelopes {
            all.insert(key, Value::Object(envelope));
        }
        let mut schema = Map::new();
        schema.insert("$schema".into(), DRAFT_2020_12.into());
        schema.insert("title".into(), "Tracking plan".into());
        schema.insert(
            "description".into(),
            "The envelope of one event of the tracking plan.".into(),
        );
        if refs.is_empty() {
            // An empty plan accepts nothing (`oneOf` may not be empty).
            schema.insert("not".into(), json!({}));
        } else {
            schema.insert("oneOf".into(), Value::Array(refs));
        }
        if !all.is_empty() {
            schema.insert("$defs".into(), Value::Object(all));
        }
        Value::Object(schema)
    }
}

/// `~` and `/` escaped for a JSON Pointer in a `$ref` (other characters are
/// left as they are: keys are Rust and event names).
fn pointer_escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

fn reference(key: &str) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(
        "$ref".into(),
        format!("#/$defs/{}", pointer_escape(key)).into(),
    );
    map
}

/// The envelope schema of one event, without `$schema` and `$defs`.
fn envelope(event: &PlanEvent, defs: &mut Definitions) -> Map<String, Value> {
    let mut schema = Map::new();
    schema.insert("title".into(), event.name.clone().into());
    if !event.description.is_empty() {
        schema.insert("description".into(), event.description.clone().into());
    }
    schema.insert("x-event-version".into(), event.version.into());
    schema.insert("type".into(), "object".into());
    // `event_type`, the envelope fields, then `event_params` (the wire order).
    let mut properties = Map::new();
    let mut required = vec![Value::from("event_type")];
    properties.insert("event_type".into(), json!({ "const": event.name }));
    for field in &event.envelope {
        properties.insert(field.name.clone(), Value::Object(field_schema(field, defs)));
        if field.required {
            required.push(Value::String(field.name.clone()));
        }
    }
    properties.insert(
        "event_params".into(),
        Value::Object(object_schema(&event.fields, defs)),
    );
    required.push("event_params".into());
    schema.insert("properties".into(), Value::Object(properties));
    schema.insert("required".into(), Value::Array(required));
    schema.insert("additionalProperties".into(), false.into());
    schema
}

/// `{"type": "object", "properties", "required", "additionalProperties": false}`.
fn object_schema(fields: &[PlanField], defs: &mut Definitions) -> Map<String, Value> {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in fields {
        properties.insert(field.name.clone(), Value::Object(field_schema(field, defs)));
        if field.required {
            required.push(Value::String(field.name.clone()));
        }
    }
    let mut schema = Map::new();
    schema.insert("type".into(), "object".into());
    schema.insert("properties".into(), Value::Object(properties));
    schema.insert("required".into(), Value::Array(required));
    schema.insert("additionalProperties".into(), false.into());
    schema
}

/// The `$defs` entries of every object and enum met so far (objects may
/// meet more while their fields are written: walk by index).
fn definitions(mut defs: Definitions) -> Map<String, Value> {
    let mut out = Map::new();
    let mut index = 0;
    while index < defs.objects.len() {
        let (key, object) = defs.objects[index].clone();
        out.insert(key, Value::Object(object_definition(&object, &mut defs)));
        index += 1;
    }
    // Objects and unions may each meet more of both: walk until neither grows.
    let mut union_index = 0;
    while index < defs.objects.len() || union_index < defs.unions.len() {
        while union_index < defs.unions.len() {
            let (key, union) = defs.unions[union_index].clone();
            out.insert(key, Value::Object(union_definition(&union, &mut defs)));
            union_index += 1;
        }
        while index < defs.objects.len() {
            let (key, object) = defs.objects[index].clone();
            out.insert(key, Value::Object(object_definition(&object, &mut defs)));
            index += 1;
        }
    }
    for (key, schema) in &defs.enums {
        out.insert(key.clone(), Value::Object(enum_definition(schema)));
    }
    out
}

fn object_definition(object: &PlanObject, defs: &mut Definitions) -> Map<String, Value> {
    let mut schema = Map::new();
    schema.insert("title".into(), object.name.clone().into());
    if !object.description.is_empty() {
        schema.insert("description".into(), object.description.clone().into());
    }
    schema.extend(object_schema(&object.fields, defs));
    schema
}

fn enum_definition(schema: &PlanEnum) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("title".into(), schema.name.clone().into());
    if !schema.description.is_empty() {
        out.insert("description".into(), schema.description.clone().into());
    }
    out.insert("type".into(), "string".into());
    out.insert(
        "enum".into(),
        schema
            .values
            .iter()
            .map(|value| Value::String(value.name.clone()))
            .collect(),
    );
    out
}

fn field_schema(field: &PlanField, defs: &mut Definitions) -> Map<String, Value> {
    let mut schema = type_schema(&field.ty, defs);
    for rule in &field.rules {
        apply_rule(&mut schema, &field.ty, rule);
    }
    if field.nullable {
        schema = nullable(schema);
    }
    if !field.description.is_empty() {
        schema.insert("description".into(), field.description.clone().into());
    }
    if field.deprecated.is_some() {
        schema.insert("deprecated".into(), true.into());
    }
    if field.pii {
        schema.insert("x-pii".into(), true.into());
    }
    schema
}

fn type_schema(ty: &PlanType, defs: &mut Definitions) -> Map<String, Value> {
    let mut schema = Map::new();
    match ty {
        PlanType::String => {
            schema.insert("type".into(), "string".into());
        }
        PlanType::Boolean => {
            schema.insert("type".into(), "boolean".into());
        }
        PlanType::Number(_) => {
            schema.insert("type".into(), "number".into());
        }
        PlanType::Integer(kind) => {
            let (min, max) = integer_bounds(*kind);
            schema.insert("type".into(), "integer".into());
            schema.insert("minimum".into(), min);
            schema.insert("maximum".into(), max);
        }
        PlanType::Enum(schema) => return reference(&defs.enum_key(schema)),
        PlanType::Object(object) => return reference(&defs.object_key(object)),
        PlanType::Array(item) => {
            schema.insert("type".into(), "array".into());
            schema.insert("items".into(), Value::Object(type_schema(item, defs)));
        }
        PlanType::Nullable(inner) => return nullable(type_schema(inner, defs)),
        PlanType::Map { keys, values } => {
            schema.insert("type".into(), "object".into());
            if let Some(keys) = keys {
                let names = keys
                    .values
                    .iter()
                    .map(|value| Value::String(value.name.clone()))
                    .collect();
                schema.insert(
                    "propertyNames".into(),
                    json!({ "enum": Value::Array(names) }),
                );
            }
            schema.insert(
                "additionalProperties".into(),
                Value::Object(type_schema(values, defs)),
            );
        }
        PlanType::Any => {}
        PlanType::Json(user) => match user {
            Value::Object(user) => return user.clone(),
            // `true`, `false` or something else: keep it as one constraint.
            other => {
                schema.insert("allOf".into(), json!([other]));
            }
        },
        PlanType::Union(union) => return reference(&defs.union_key(union)),
        PlanType::Ref(name) => match defs.object_key_by_name(name) {
            Some(key) => return reference(&key),
            // Not enclosed by its object: nothing to refer to, accept any value
            // rather than reject valid data.
            None => {}
        },
    }
    schema
}

/// The `$defs` entry of a union: one schema per variant, as serde writes it.
fn union_definition(union: &PlanUnion, defs: &mut Definitions) -> Map<String, Value> {
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

/// The bounds of a Rust integer width as JSON numbers (floats beyond 64 bits,
/// rounded outwards so that every value of the width fits).
fn integer_bounds(kind: IntegerKind) -> (Value, Value) {
    let (min, max) = kind.bounds();
    let max = if kind == IntegerKind::U128 {
        Value::from(u128::MAX as f64)
    } else {
        number(Bound::Int(max))
    };
    (number(Bound::Int(min)), max)
}

fn number(bound: Bound) -> Value {
    match bound {
        Bound::Int(value) => {
            if let Ok(value) = i64::try_from(value) {
                Value::from(value)
            } else if let Ok(value) = u64::try_from(value) {
                Value::from(value)
            } else {
                Value::from(value as f64)
            }
        }
        Bound::Float(value) => Value::from(value),
    }
}

/// `schema[key] = bound` unless the schema already has a tighter one.
fn tighten_bound(schema: &mut Map<String, Value>, key: &str, bound: Bound, lower: bool) {
    let candidate = bound.as_f64();
    let keep = schema
        .get(key)
        .and_then(Value::as_f64)
        .is_some_and(|current| {
            if lower {
                current >= candidate
            } else {
                current <= candidate
            }
        });
    if !keep {
        schema.insert(key.to_owned(), number(bound));
    }
}

fn tighten_count(schema: &mut Map<String, Value>, key: &str, count: u64, lower: bool) {
    let keep = schema
        .get(key)
        .and_then(Value::as_u64)
        .is_some_and(|current| {
            if lower {
                current >= count
            } else {
                current <= count
            }
        });
    if !keep {
        schema.insert(key.to_owned(), count.into());
    }
}

fn apply_rule(schema: &mut Map<String, Value>, ty: &PlanType, rule: &PlanRule) {
    let is_array = matches!(ty, PlanType::Array(_));
    let (min_key, max_key) = if is_array {
        ("minItems", "maxItems")
    } else {
        ("minLength", "maxLength")
    };
    match rule {
        PlanRule::Range { min, max } => {
            if let Some(min) = min {
                tighten_bound(schema, "minimum", *min, true);
            }
            if let Some(max) = max {
                tighten_bound(schema, "maximum", *max, false);
            }
        }
        PlanRule::Length { min, max } => {
            if let Some(min) = min {
                tighten_count(schema, min_key, *min, true);
            }
            if let Some(max) = max {
                tighten_count(schema, max_key, *max, false);
            }
        }
        PlanRule::NonEmpty => tighten_count(schema, min_key, 1, true),
        PlanRule::Pattern(pattern) => {
            if schema.contains_key("pattern") {
                let all = schema
                    .entry("allOf")
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(all) = all {
                    all.push(json!({ "pattern": pattern }));
                }
            } else {
                schema.insert("pattern".into(), pattern.clone().into());
            }
        }
        PlanRule::OneOf(values) => {
            let allowed: Vec<Value> = match schema.get("enum").and_then(Value::as_array) {
                // Two `one_of` rules: both must hold.
                Some(current) => values
                    .iter()
                    .map(|value| Value::String(value.clone()))
                    .filter(|value| current.contains(value))
                    .collect(),
                None => values
                    .iter()
                    .map(|value| Value::String(value.clone()))
                    .collect(),
            };
            schema.insert("enum".into(), Value::Array(allowed));
        }
        // A user function: JSON Schema cannot express it.
        PlanRule::Custom(_) => {}
    }
}

/// The schema, or `null`.
fn nullable(mut schema: Map<String, Value>) -> Map<String, Value> {
    match schema.get("type") {
        Some(Value::String(ty)) if !schema.contains_key("$ref") => {
            let ty = ty.clone();
            schema.insert("type".into(), json!([ty, "null"]));
            if let Some(Value::Array(values)) = schema.get_mut("enum") {
                values.push(Value::Null);
            }
            schema
        }
        _ => {
            let mut wrapped = Map::new();
            wrapped.insert(
                "anyOf".into(),
                json!([Value::Object(schema), { "type": "null" }]),
            );
            wrapped
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::PlanEnumValue;

    fn field(name: &str, ty: PlanType) -> PlanField {
        PlanField {
            name: name.into(),
            rust_path: name.into(),
            ty,
            required: true,
            nullable: false,
            description: String::new(),
            rules: Vec::new(),
            pii: false,
            deprecated: None,
        }
    }

    fn event(fields: Vec<PlanField>) -> PlanEvent {
        PlanEvent {
            name: "e".into(),
            version: 1,
            description: String::new(),
            rust_type: "E".into(),
            fields,
            envelope: Vec::new(),
            checks: Vec::new(),
            write_only: false,
        }
    }

    fn params(schema: &Value) -> &Value {
        &schema["properties"]["event_params"]["properties"]
    }

    #[test]
    fn nullable_one_of_allows_null() {
        let mut mode = field("mode", PlanType::String);
        mode.nullable = true;
        mode.rules = vec![PlanRule::OneOf(vec!["a".into(), "b".into()])];
        let schema = event(vec![mode]).json_schema();
        assert_eq!(
            params(&schema)["mode"],
            json!({ "type": ["string", "null"], "enum": ["a", "b", null] })
        );
    }

    #[test]
    fn nullable_enum_uses_any_of_and_defs() {
        let kind = PlanEnum {
            name: "Kind".into(),
            description: String::new(),
            values: vec![PlanEnumValue {
                name: "x".into(),
                description: String::new(),
            }],
        };
        let mut a = field("a", PlanType::Enum(kind.clone()));
        a.nullable = true;
        let b = field("b", PlanType::Enum(kind));
        let schema = event(vec![a, b]).json_schema();
        assert_eq!(
            params(&schema)["a"],
            json!({ "anyOf": [{ "$ref": "#/$defs/Kind" }, { "type": "null" }] })
        );
        assert_eq!(params(&schema)["b"], json!({ "$ref": "#/$defs/Kind" }));
        assert_eq!(
            schema["$defs"]["Kind"],
            json!({ "title": "Kind", "type": "string", "enum": ["x"] })
        );
    }

    #[test]
    fn rules_take_the_tighter_bound() {
        let mut code = field("code", PlanType::Integer(IntegerKind::U8));
        code.rules = vec![PlanRule::Range {
            min: Some(Bound::Int(-5)),
            max: Some(Bound::Int(100)),
        }];
        let mut name = field("name", PlanType::String);
        name.rules = vec![
            PlanRule::NonEmpty,
            PlanRule::Length {
                min: Some(0),
                max: Some(8),
            },
            PlanRule::Pattern("^a".into()),
            PlanRule::Pattern("b$".into()),
            PlanRule::Custom("f".into()),
        ];
        let mut ids = field(
            "ids",
            PlanType::Array(Box::new(PlanType::Integer(IntegerKind::U128))),
        );
        ids.rules = vec![PlanRule::NonEmpty];
        let schema = event(vec![code, name, ids]).json_schema();
        assert_eq!(
            params(&schema)["code"],
            json!({ "type": "integer", "minimum": 0, "maximum": 100 })
        );
        assert_eq!(
            params(&schema)["name"],
            json!({ "type": "string", "minLength": 1, "maxLength": 8, "pattern": "^a", "allOf": [{ "pattern": "b$" }] })
        );
        assert_eq!(params(&schema)["ids"]["minItems"], json!(1));
        assert_eq!(
            params(&schema)["ids"]["items"]["maximum"],
            json!(u128::MAX as f64)
        );
    }

    #[test]
    fn empty_plan_accepts_nothing() {
        let schema = TrackingPlan::default().json_schema();
        assert_eq!(schema["not"], json!({}));
    }
}
