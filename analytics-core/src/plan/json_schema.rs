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
//! | `length(min, max)` | `minLength` / `maxLength` on strings (code points, as Rust counts chars), `minItems` / `maxItems` on arrays, `minProperties` / `maxProperties` on maps |
//! | `non_empty` | `minLength: 1` / `minItems: 1` / `minProperties: 1` |
//! | `pattern` | `pattern` (a search in both; the regex dialects agree on the common syntax) |
//! | `one_of` | `enum` |
//! | `BTreeMap<K, V>` / `HashMap<K, V>` | `"type": "object"`, `additionalProperties` of `V`; `propertyNames: {"enum": [..]}` for `AnalyticsEnum` keys |
//! | `serde_json::Value`, `#[analytics(serde)]` | `{}` |
//! | `#[analytics(serde, schema = f)]` | what `f()` returns |
//! | `AnalyticsEnum` with data variants | `$ref` to a `$defs` entry with a `oneOf`, one entry per variant as serde writes it in the enum's tagging (see [`PlanUnion`](crate::plan::PlanUnion)) |
//! | a recursive type (`FieldType::Ref`) | `$ref` to the enclosing object's `$defs` entry |
//! | `#[analytics(envelope)]` fields | top-level properties between `event_type` and `event_params`, required when always written |
//! | `custom`, struct-level `check` | not expressible: left out |
//! | doc comments, `pii`, `deprecated`, version | `description`, `"x-pii": true`, `"deprecated": true`, `"x-event-version"` |
//!
//! Nested objects, enums and unions are written once under `$defs` (keyed by their
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
use crate::plan::{PlanEnum, PlanEvent, PlanField, PlanObject, PlanRule, PlanType, TrackingPlan};
use crate::schema::{Bound, EventSchema, IntegerKind};

mod unions;

use unions::union_definition;

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
pub(super) fn object_schema(fields: &[PlanField], defs: &mut Definitions) -> Map<String, Value> {
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
    if let Some(role) = field.identity {
        schema.insert("x-identity".into(), role.name().into());
    }
    schema
}

pub(super) fn type_schema(ty: &PlanType, defs: &mut Definitions) -> Map<String, Value> {
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
        PlanType::Ref(name) => {
            // Not enclosed by its object (a plan edited by hand): nothing to
            // refer to; any value is accepted rather than valid data rejected.
            if let Some(key) = defs.key_by_name(name) {
                return reference(&key);
            }
        }
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
    // `length` counts what the type holds: the items of a list, the entries
    // of a map, the code points of a string.
    let (min_key, max_key) = match ty {
        PlanType::Array(_) => ("minItems", "maxItems"),
        PlanType::Map { .. } => ("minProperties", "maxProperties"),
        _ => ("minLength", "maxLength"),
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
mod tests;
