//! What happens to fields marked `#[analytics(pii)]` before an event leaves
//! the process.

use std::cell::Cell;
use std::fmt;

use sha2::{Digest, Sha256};

use crate::schema::{EventSchema, FieldSchema, FieldType, Tagging, UnionSchema, VariantShape};
use crate::validate::ValidationErrors;

mod scanner;
mod write;

use scanner::Scanner;
pub(crate) use write::{with_policy, write_pii_member};

/// The treatment of personal data (fields whose schema has `pii: true`,
/// nested objects and arrays of objects included), applied on the caller's
/// thread in `track`, before the event is queued, spooled or handed to any sink.
///
/// A derived event gets it as it is written: each `pii` member is kept,
/// left out or hashed by the writer itself. [`apply`](PiiPolicy::apply), a
/// pass over written bytes, gives the same result and serves hand-written
/// writers and PII inside data enums. Events whose schema has no PII field
/// are never re-parsed.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum PiiPolicy {
    /// Send PII fields unchanged (the default: the wire format is the event's own).
    #[default]
    Keep,
    /// Remove PII fields (key and value) from `event_params`.
    Drop,
    /// Replace each non-null PII value by the lowercase hex of
    /// `SHA-256(salt || compact JSON of the value)` (a string; `null` stays
    /// `null`). The same value with the same salt always gives the same hash,
    /// so joins still work; keep the salt secret and stable.
    Hash {
        /// Prepended to every hashed value.
        salt: Vec<u8>,
    },
}

impl fmt::Debug for PiiPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PiiPolicy::Keep => f.write_str("Keep"),
            PiiPolicy::Drop => f.write_str("Drop"),
            PiiPolicy::Hash { .. } => f.write_str("Hash { salt: <redacted> }"),
        }
    }
}

impl PiiPolicy {
    /// Salted SHA-256 of PII values.
    pub fn hash(salt: impl Into<Vec<u8>>) -> Self {
        PiiPolicy::Hash { salt: salt.into() }
    }

    /// Applies the policy to an envelope `{"event_type":..,"event_params":{..}}`
    /// of an event with this schema; returns the bytes unchanged when there is
    /// nothing to do.
    pub fn apply(&self, schema: &EventSchema, envelope: Vec<u8>) -> Vec<u8> {
        if matches!(self, PiiPolicy::Keep) || !schema_has_pii(schema) {
            return envelope;
        }
        self.apply_to_pii(schema, scannable(schema), envelope)
    }

    /// [`apply`](PiiPolicy::apply) once it is known that the policy is not
    /// `Keep` and the schema has PII; `scannable` is [`scannable`]`(schema)`.
    fn apply_to_pii(&self, schema: &EventSchema, scannable: bool, envelope: Vec<u8>) -> Vec<u8> {
        if !scannable {
            return self.apply_slow(schema, &envelope);
        }
        let mut scanner = Scanner {
            input: &envelope,
            pos: 0,
            policy: self,
            root: schema.fields,
        };
        let mut out = Vec::with_capacity(envelope.len());
        match scanner.envelope(&mut out) {
            Some(()) => out,
            None => self.apply_slow(schema, &envelope),
        }
    }

    /// Writes an envelope with `write`, the policy applied: as it is written
    /// when the writer is derived (`at_write`) and no PII sits inside a data
    /// enum (whose values go through serde), by a pass over the bytes
    /// otherwise. `schema` is the event's own; what it holds of personal
    /// data is worked out once per schema (and thread), not per event.
    pub(crate) fn write(
        &self,
        schema: Option<&'static EventSchema>,
        at_write: bool,
        mut out: Vec<u8>,
        write: impl FnOnce(&mut Vec<u8>),
    ) -> Vec<u8> {
        let found = match schema {
            Some(schema) if !matches!(self, PiiPolicy::Keep) => Some((schema, Facts::of(schema))),
            _ => None,
        };
        let Some((schema, facts)) = found.filter(|(_, facts)| facts.has_pii) else {
            write(&mut out);
            return out;
        };
        if at_write && !facts.in_unions {
            with_policy(self, || write(&mut out));
            return out;
        }
        write(&mut out);
        self.apply_to_pii(schema, facts.scannable, out)
    }

    /// The hash of one value's compact JSON.
    fn hash_value(&self, raw: &[u8]) -> String {
        let mut hasher = Sha256::new();
        if let PiiPolicy::Hash { salt } = self {
            hasher.update(salt);
        }
        hasher.update(raw);
        format!("{:x}", hasher.finalize())
    }

    /// Through `serde_json::Value`, for an envelope of an unexpected shape.
    fn apply_slow(&self, schema: &EventSchema, envelope: &[u8]) -> Vec<u8> {
        let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(envelope) else {
            // Not JSON: send nothing of it rather than leak.
            return b"{}".to_vec();
        };
        // The envelope keys sit beside `event_params` at the top level.
        self.scrub_fields(schema.envelope, &mut value);
        if let Some(params) = value.get_mut("event_params") {
            self.scrub_fields(schema.fields, params);
        }
        serde_json::to_vec(&value).unwrap_or_else(|_| b"{}".to_vec())
    }

    /// Applies the policy to the members of `value` (an object) described by `fields`.
    fn scrub_fields(&self, fields: &[FieldSchema], value: &mut serde_json::Value) {
        let Some(object) = value.as_object_mut() else {
            return;
        };
        for field in fields {
            let Some(member) = object.get_mut(field.name) else {
                continue;
            };
            if !field.pii {
                self.scrub_typed(&field.ty, member);
                continue;
            }
            match self {
                PiiPolicy::Keep => {}
                PiiPolicy::Drop => {
                    object.remove(field.name);
                }
                PiiPolicy::Hash { .. } => {
                    if !member.is_null() {
                        let raw = serde_json::to_vec(member).unwrap_or_default();
                        *member = serde_json::Value::String(self.hash_value(&raw));
                    }
                }
            }
        }
    }

    /// Applies the policy inside a value of type `ty`. It follows the value,
    /// which is finite, so recursive types terminate.
    fn scrub_typed(&self, ty: &FieldType, value: &mut serde_json::Value) {
        match ty {
            FieldType::Object(schema) => self.scrub_fields(schema.fields, value),
            FieldType::Nullable(inner) => self.scrub_typed(inner, value),
            FieldType::Array(inner) => {
                if let Some(items) = value.as_array_mut() {
                    for item in items {
                        self.scrub_typed(inner, item);
                    }
                }
            }
            FieldType::Map { values, .. } => {
                if let Some(object) = value.as_object_mut() {
                    for member in object.values_mut() {
                        self.scrub_typed(values, member);
                    }
                }
            }
            FieldType::Ref(name) => {
                if let Some(resolved) = crate::__private::resolve_ref(name) {
                    self.scrub_typed(&resolved, value);
                }
            }
            FieldType::Union(union) => self.scrub_union(union, value),
            FieldType::String
            | FieldType::Integer(_)
            | FieldType::Number { .. }
            | FieldType::Boolean
            | FieldType::Enum(_)
            | FieldType::Any
            | FieldType::Serde(_) => {}
        }
    }

    /// A data enum's value: the variant is read from the tag where serde
    /// writes one; an untagged value is scrubbed as every variant (a key that
    /// is personal data in any variant is treated as such).
    fn scrub_union(&self, union: &UnionSchema, value: &mut serde_json::Value) {
        let named = |name: &str| union.variants.iter().find(|variant| variant.name == name);
        match union.tagging {
            Tagging::External => {
                if let Some(object) = value.as_object_mut() {
                    for (name, payload) in object.iter_mut() {
                        if let Some(variant) = named(name) {
                            self.scrub_shape(&variant.shape, payload);
                        }
                    }
                }
            }
            Tagging::Internal { tag } => {
                let variant = value
                    .get(tag)
                    .and_then(|name| name.as_str())
                    .and_then(named);
                if let Some(variant) = variant {
                    // The variant's fields sit beside the tag.
                    self.scrub_shape(&variant.shape, value);
                }
            }
            Tagging::Adjacent { tag, content } => {
                let variant = value
                    .get(tag)
                    .and_then(|name| name.as_str())
                    .and_then(named);
                if let (Some(variant), Some(payload)) = (variant, value.get_mut(content)) {
                    self.scrub_shape(&variant.shape, payload);
                }
            }
            Tagging::Untagged => {
                for variant in union.variants {
                    self.scrub_shape(&variant.shape, value);
                }
            }
        }
    }

    fn scrub_shape(&self, shape: &VariantShape, payload: &mut serde_json::Value) {
        match shape {
            VariantShape::Unit => {}
            VariantShape::Newtype(inner) => self.scrub_typed(inner, payload),
            VariantShape::Tuple(items) => {
                if let Some(values) = payload.as_array_mut() {
                    for (ty, item) in items.iter().zip(values) {
                        self.scrub_typed(ty, item);
                    }
                }
            }
            VariantShape::Struct(fields) => self.scrub_fields(fields, payload),
        }
    }
}

/// `errors` with the values of PII fields taken out of their messages (the
/// `(got ..)` part of a built-in rule's message, the whole message of a
/// `custom` rule, which may quote the value): `TrackError`'s text and
/// failed-event lines never carry personal data.
pub(crate) fn redact_errors(schema: &EventSchema, errors: ValidationErrors) -> ValidationErrors {
    if !schema_has_pii(schema) {
        return errors;
    }
    let mut redacted = ValidationErrors::new();
    for error in errors.iter() {
        let segments: Vec<&str> = error
            .path
            .split('.')
            .map(|segment| segment.split('[').next().unwrap_or(segment))
            .collect();
        let message =
            if is_pii_path(schema.fields, &segments) || is_pii_path(schema.envelope, &segments) {
                match error.message.find(" (got ") {
                    Some(at) => format!("{} (got <redacted pii>)", &error.message[..at]),
                    None if error.rule == "custom" => {
                        "failed a custom rule (message redacted: pii field)".to_owned()
                    }
                    None => error.message.clone(),
                }
            } else {
                error.message.clone()
            };
        redacted.push(error.path.clone(), error.rule, message);
    }
    redacted
}

/// Whether the Rust path `segments` (indices removed) is a PII field or lies
/// inside one.
fn is_pii_path(fields: &[FieldSchema], segments: &[&str]) -> bool {
    fields.iter().any(|field| {
        let own: Vec<&str> = field.rust_path.split('.').collect();
        if segments.len() < own.len() || segments[..own.len()] != own[..] {
            return false;
        }
        let rest = &segments[own.len()..];
        field.pii
            || (!rest.is_empty()
                && nested_fields(&field.ty)
                    .iter()
                    .any(|nested| is_pii_path(nested, rest)))
    })
}

/// Whether the event has personal data anywhere: its params at any depth, or
/// its envelope keys.
pub(crate) fn schema_has_pii(schema: &EventSchema) -> bool {
    has_pii(schema.fields) || has_pii(schema.envelope)
}

/// What the policy needs to know of a schema's personal data: a walk of the
/// whole schema tree, so `track` looks it up instead ([`Facts::of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Facts {
    /// [`schema_has_pii`].
    has_pii: bool,
    /// [`pii_in_unions`].
    in_unions: bool,
    /// [`scannable`].
    scannable: bool,
}

/// Slots of the per-thread cache of [`Facts`] (a thread tracks a handful of
/// event types; a type whose slot another one took is walked again, which
/// is only slower).
const FACT_SLOTS: usize = 16;

thread_local! {
    /// Each slot: the address of a schema (0 for none) and its facts. A
    /// schema is `'static`, so an address always means the same schema.
    static FACTS: [Cell<(usize, Facts)>; FACT_SLOTS] = const {
        [const { Cell::new((0, Facts::NONE)) }; FACT_SLOTS]
    };
}

impl Facts {
    const NONE: Facts = Facts {
        has_pii: false,
        in_unions: false,
        scannable: false,
    };

    /// The facts of `schema`, from this thread's cache or by walking it.
    fn of(schema: &'static EventSchema) -> Facts {
        let address = schema as *const EventSchema as usize;
        // Fibonacci hashing: the top bits of the product pick the slot.
        let slot = (address.wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as usize)
            >> (usize::BITS - FACT_SLOTS.trailing_zeros()))
            % FACT_SLOTS;
        FACTS.with(|slots| {
            let (cached, facts) = slots[slot].get();
            if cached == address {
                return facts;
            }
            let facts = Facts::walk(schema);
            slots[slot].set((address, facts));
            facts
        })
    }

    fn walk(schema: &EventSchema) -> Facts {
        Facts {
            has_pii: schema_has_pii(schema),
            in_unions: pii_in_unions(schema),
            scannable: scannable(schema),
        }
    }
}

/// Whether the single-pass scanner can apply the policy: it knows objects
/// and arrays of objects; personal data inside maps, data enums, recursive
/// types or envelope keys goes through the typed walk of `serde_json::Value`.
fn scannable(schema: &EventSchema) -> bool {
    plain(schema.fields) && !has_pii(schema.envelope)
}

/// Whether a PII field sits inside a data enum, at any depth (the derived
/// writer hands those values to serde, so the policy is applied afterwards).
fn pii_in_unions(schema: &EventSchema) -> bool {
    let mut seen = Vec::new();
    schema
        .fields
        .iter()
        .chain(schema.envelope)
        .any(|field| type_has_pii(&field.ty, &mut seen, Counted::InsideUnions))
}

/// Whether any field, at any depth, is PII.
pub(crate) fn has_pii(fields: &[FieldSchema]) -> bool {
    fields_have_pii(fields, &mut Vec::new(), Counted::Anywhere)
}

/// Which `pii` fields the walk below looks for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Counted {
    /// Every one.
    Anywhere,
    /// Only those inside a data enum (at any depth below it).
    InsideUnions,
}

/// `seen` holds the objects and unions already being looked at, so that a
/// recursive type (reached again through `FieldType::Ref`) ends the walk.
fn fields_have_pii(fields: &[FieldSchema], seen: &mut Vec<&'static str>, counted: Counted) -> bool {
    fields.iter().any(|field| {
        (field.pii && counted == Counted::Anywhere) || type_has_pii(&field.ty, seen, counted)
    })
}

// The walk lists every `FieldType` rather than `_`: a new type is a compile
// error here, not a silent miss.
fn type_has_pii(ty: &FieldType, seen: &mut Vec<&'static str>, counted: Counted) -> bool {
    match ty {
        FieldType::Object(schema) => {
            if seen.contains(&schema.name) {
                return false;
            }
            seen.push(schema.name);
            fields_have_pii(schema.fields, seen, counted)
        }
        // Below a data enum every `pii` field counts, walked afresh.
        FieldType::Union(_) if counted == Counted::InsideUnions => {
            type_has_pii(ty, &mut Vec::new(), Counted::Anywhere)
        }
        FieldType::Union(union) => {
            if seen.contains(&union.name) {
                return false;
            }
            seen.push(union.name);
            union.variants.iter().any(|variant| match &variant.shape {
                VariantShape::Unit => false,
                VariantShape::Newtype(inner) => type_has_pii(inner, seen, counted),
                VariantShape::Tuple(items) => {
                    items.iter().any(|item| type_has_pii(item, seen, counted))
                }
                VariantShape::Struct(fields) => fields_have_pii(fields, seen, counted),
            })
        }
        FieldType::Nullable(inner) | FieldType::Array(inner) => type_has_pii(inner, seen, counted),
        FieldType::Map { values, .. } => type_has_pii(values, seen, counted),
        FieldType::Ref(name) => crate::__private::resolve_ref(name)
            .is_some_and(|resolved| type_has_pii(&resolved, seen, counted)),
        FieldType::String
        | FieldType::Integer(_)
        | FieldType::Number { .. }
        | FieldType::Boolean
        | FieldType::Enum(_)
        | FieldType::Any
        | FieldType::Serde(_) => false,
    }
}

/// Whether the fast scanner covers these fields: objects, arrays and
/// nullables of plain values, nothing reached through a map, a data enum or
/// a recursive reference.
fn plain(fields: &[FieldSchema]) -> bool {
    fields.iter().all(|field| plain_type(&field.ty))
}

fn plain_type(ty: &FieldType) -> bool {
    match ty {
        FieldType::Object(schema) => plain(schema.fields),
        FieldType::Nullable(inner) | FieldType::Array(inner) => plain_type(inner),
        FieldType::Map { .. } | FieldType::Union(_) | FieldType::Ref(_) => false,
        FieldType::String
        | FieldType::Integer(_)
        | FieldType::Number { .. }
        | FieldType::Boolean
        | FieldType::Enum(_)
        | FieldType::Any
        | FieldType::Serde(_) => true,
    }
}

/// The field lists one object level inside a value of type `ty` (for
/// matching validation paths: `tags[k].email`, `action.reviewer`).
fn nested_fields(ty: &FieldType) -> Vec<&'static [FieldSchema]> {
    let mut lists = Vec::new();
    collect_nested(ty, &mut lists, &mut Vec::new());
    lists
}

/// `unions` holds the unions being expanded: a union whose variant holds the
/// union itself (through a `Ref`) ends there.
fn collect_nested(
    ty: &FieldType,
    lists: &mut Vec<&'static [FieldSchema]>,
    unions: &mut Vec<&'static str>,
) {
    match ty {
        FieldType::Object(schema) => lists.push(schema.fields),
        FieldType::Nullable(inner) | FieldType::Array(inner) => {
            collect_nested(inner, lists, unions)
        }
        FieldType::Map { values, .. } => collect_nested(values, lists, unions),
        FieldType::Ref(name) => {
            if let Some(resolved) = crate::__private::resolve_ref(name) {
                collect_nested(&resolved, lists, unions);
            }
        }
        FieldType::Union(union) => {
            if unions.contains(&union.name) {
                return;
            }
            unions.push(union.name);
            for variant in union.variants {
                match &variant.shape {
                    VariantShape::Unit => {}
                    VariantShape::Newtype(inner) => collect_nested(inner, lists, unions),
                    VariantShape::Tuple(items) => {
                        for item in *items {
                            collect_nested(item, lists, unions);
                        }
                    }
                    VariantShape::Struct(fields) => lists.push(fields),
                }
            }
        }
        FieldType::String
        | FieldType::Integer(_)
        | FieldType::Number { .. }
        | FieldType::Boolean
        | FieldType::Enum(_)
        | FieldType::Any
        | FieldType::Serde(_) => {}
    }
}
