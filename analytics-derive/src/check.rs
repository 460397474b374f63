//! Checks on the model, one function per rule. Each pushes its errors (on the
//! span of the token to change) and never stops the others.

use std::collections::HashMap;

use syn::spanned::Spanned;

use crate::attr::{Errors, Tagging};
use crate::model::{
    Enum, EventInfo, Field, Identity, Number, NumberValue, Payload, RuleKind, Variant,
};
use crate::symbol::MAX_EVENT_NAME_LEN;

fn error(span: impl Spanned, message: impl std::fmt::Display) -> darling::Error {
    darling::Error::custom(message).with_span(&span.span())
}

/// An error that underlines every token of a bound (`-1`, not just `-`).
fn bound_error(bound: &Number, message: impl std::fmt::Display) -> darling::Error {
    syn::Error::new_spanned(&bound.tokens, message).into()
}

/// An event name is non-empty, at most 128 chars, and `[a-z][a-z0-9_]*` unless `any_name`.
pub fn event_name(info: &EventInfo, errors: &mut Errors) {
    let name = &info.name;
    if name.is_empty() {
        errors.push(error(info.name_span, "the event name must not be empty"));
        return;
    }
    if name.chars().count() > MAX_EVENT_NAME_LEN {
        errors.push(error(
            info.name_span,
            format!(
                "the event name has {} chars; at most {MAX_EVENT_NAME_LEN} are allowed",
                name.chars().count()
            ),
        ));
    }
    if info.any_name {
        return;
    }
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let bad = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'));
    if !first_ok || bad.is_some() {
        let why = match bad {
            Some(c) => format!("`{c}` is not allowed"),
            None => "it must start with a lowercase letter".to_owned(),
        };
        let hint = if info.name_given {
            "; or add `any_name` to accept it as is"
        } else {
            "; set one with `#[analytics(name = \"...\")]`"
        };
        errors.push(error(
            info.name_span,
            format!(
                "invalid event name {name:?}: {why}; an event name matches `[a-z][a-z0-9_]*`{hint}"
            ),
        ));
    }
}

/// Two fields of one struct with the same wire name.
pub fn duplicate_wire_names(fields: &[Field<'_>], errors: &mut Errors) {
    // Envelope keys and `event_params` keys live in two different objects.
    let mut seen: HashMap<(bool, &str), &Field<'_>> = HashMap::new();
    for field in fields.iter().filter(|f| f.flatten.is_none() && f.written()) {
        let key = (field.envelope.is_some(), field.wire_name.as_str());
        if let Some(first) = seen.get(&key) {
            let what = match field.envelope {
                Some(_) => "envelope key",
                None => "wire name",
            };
            errors.push(error(
                field.wire_span,
                format!(
                    "the {what} `{}` is used by two fields (`{}` and `{}`)",
                    field.wire_name, first.rust_name, field.rust_name
                ),
            ));
            errors.push(error(
                first.wire_span,
                format!("first use of the {what} `{}` here", field.wire_name),
            ));
        } else {
            seen.insert(key, field);
        }
    }
}

/// A flattened field writes its own fields: rules, renames and skips do not apply.
pub fn flatten_alone(field: &Field<'_>, errors: &mut Errors) {
    let Some(flatten) = field.flatten else { return };
    for rule in &field.rules {
        errors.push(error(
            rule.span,
            format!("`{}` cannot apply to a flattened field; put rules on the fields of the flattened type", rule.kind.name()),
        ));
    }
    if field.skip_if.is_some()
        || field.default.is_some()
        || field.skip_serializing.is_some()
        || field.skip_deserializing.is_some()
    {
        errors.push(error(
            flatten,
            "a flattened field cannot be skipped or defaulted",
        ));
    }
    if let Some(alias) = field.aliases.first() {
        errors.push(error(
            alias,
            "a flattened field has no key of its own to alias; put `alias` on the fields of the flattened type",
        ));
    }
    if let Some(codec) = &field.codec {
        errors.push(error(
            codec.span,
            "a flattened field is written by its own derive, not through serde: remove `serde` / `with`, or `flatten`",
        ));
    }
    if field.pii {
        errors.push(error(
            flatten,
            "mark the fields of the flattened type with `pii`, not the flattened field",
        ));
    }
}

/// A field that is never written (`skip`, `skip_serializing`) has no wire
/// value to check or classify.
pub fn skipped_alone(field: &Field<'_>, errors: &mut Errors) {
    let Some(skip) = field.skip_serializing else {
        return;
    };
    for rule in &field.rules {
        errors.push(error(
            rule.span,
            format!(
                "`{}` cannot apply to a field that is never written (`skip` / `skip_serializing`)",
                rule.kind.name()
            ),
        ));
    }
    if field.pii {
        errors.push(error(
            skip,
            "a field that is never written carries no personal data on the wire: remove `pii` or the skip",
        ));
    }
    if field.skip_if.is_some() {
        errors.push(error(
            skip,
            "`skip_serializing_if` has no effect on a field that is never written; keep one of the two",
        ));
    }
}

/// `min <= max` for `range` and `length`.
pub fn bounds_order(field: &Field<'_>, errors: &mut Errors) {
    for rule in &field.rules {
        let (RuleKind::Range {
            min: Some(min),
            max: Some(max),
        }
        | RuleKind::Length {
            min: Some(min),
            max: Some(max),
        }) = &rule.kind
        else {
            continue;
        };
        if min.value.as_f64() > max.value.as_f64() {
            errors.push(bound_error(
                min,
                format!(
                    "`min` is greater than `max` in `{}`: no value can pass",
                    rule.kind.name()
                ),
            ));
        }
    }
}

/// `range` needs at least one bound; `length` bounds are non-negative integers.
pub fn bounds_kinds(field: &Field<'_>, errors: &mut Errors) {
    for rule in &field.rules {
        match &rule.kind {
            RuleKind::Range {
                min: None,
                max: None,
            }
            | RuleKind::Length {
                min: None,
                max: None,
            } => {
                errors.push(error(
                    rule.span,
                    format!("`{}` needs `min`, `max` or both", rule.kind.name()),
                ));
            }
            RuleKind::Length { min, max } => {
                for bound in [min, max].into_iter().flatten() {
                    if matches!(bound.value, NumberValue::Int(value) if value > i128::from(u64::MAX))
                    {
                        errors.push(bound_error(bound, "`length` bound is too large"));
                    } else if !matches!(bound.value, NumberValue::Int(value) if value >= 0) {
                        errors.push(bound_error(
                            bound,
                            "`length` bounds are counts: use a non-negative integer",
                        ));
                    }
                }
            }
            _ => {}
        }
    }
}

/// The Rust primitive integer or float a type names, if it names one directly.
fn primitive(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let ident = path.path.get_ident()?.to_string();
    const PRIMITIVES: &[&str] = &[
        "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize",
        "f32", "f64",
    ];
    PRIMITIVES.contains(&ident.as_str()).then_some(ident)
}

/// The type inside `Option<..>`, or the type itself.
fn value_type<'t>(field: &'t Field<'_>) -> &'t syn::Type {
    if field.is_option {
        if let syn::Type::Path(path) = field.ty {
            if let Some(syn::PathArguments::AngleBracketed(args)) =
                path.path.segments.last().map(|s| &s.arguments)
            {
                if let Some(syn::GenericArgument::Type(inner)) = args.args.first() {
                    return inner;
                }
            }
        }
    }
    field.ty
}

fn integer_bounds(name: &str) -> Option<(i128, i128)> {
    Some(match name {
        "i8" => (i8::MIN.into(), i8::MAX.into()),
        "i16" => (i16::MIN.into(), i16::MAX.into()),
        "i32" => (i32::MIN.into(), i32::MAX.into()),
        "i64" | "isize" => (i64::MIN.into(), i64::MAX.into()),
        "i128" => (i128::MIN, i128::MAX),
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" | "usize" => (0, u64::MAX.into()),
        "u128" => (0, i128::MAX),
        _ => return None,
    })
}

/// `range` bounds fit the field's integer type (`max = 300` on a `u8` cannot be
/// reached) and are integers for an integer field.
pub fn range_fits_type(field: &Field<'_>, errors: &mut Errors) {
    let Some(ty) = primitive(value_type(field)) else {
        return;
    };
    let Some((low, high)) = integer_bounds(&ty) else {
        return;
    };
    for rule in &field.rules {
        let RuleKind::Range { min, max } = &rule.kind else {
            continue;
        };
        for bound in [min, max].into_iter().flatten() {
            check_int_bound(bound, &ty, low, high, errors);
        }
    }
}

fn check_int_bound(bound: &Number, ty: &str, low: i128, high: i128, errors: &mut Errors) {
    match bound.value {
        NumberValue::Float(_) => errors.push(bound_error(
            bound,
            format!("`range` on a `{ty}` field takes integer bounds, not a float"),
        )),
        NumberValue::Int(value) if value < low || value > high => errors.push(bound_error(
            bound,
            format!("{value} is out of range for a `{ty}` field ({low}..={high})"),
        )),
        NumberValue::Int(_) => {}
    }
}

/// `pattern` must compile (with the same engine that runs it).
pub fn pattern_compiles(field: &Field<'_>, errors: &mut Errors) {
    for rule in &field.rules {
        if let RuleKind::Pattern(pattern) = &rule.kind {
            if let Err(problem) = regex_lite::Regex::new(&pattern.value()) {
                errors.push(error(pattern, format!("invalid regex: {problem}")));
            }
        }
    }
}

/// `one_of` needs at least one value, each once.
pub fn one_of_values(field: &Field<'_>, errors: &mut Errors) {
    for rule in &field.rules {
        let RuleKind::OneOf(values, span) = &rule.kind else {
            continue;
        };
        if values.is_empty() {
            errors.push(error(
                *span,
                "`one_of` needs at least one value: no value could pass",
            ));
        }
        for (i, value) in values.iter().enumerate() {
            if values[..i]
                .iter()
                .any(|earlier| earlier.value() == value.value())
            {
                errors.push(error(
                    value,
                    format!("{:?} is listed twice in `one_of`", value.value()),
                ));
            }
        }
    }
}

/// Two variants of an `AnalyticsEnum` with the same wire value.
pub fn duplicate_variant_names(variants: &[Variant<'_>], errors: &mut Errors) {
    let mut seen: HashMap<&str, &Variant<'_>> = HashMap::new();
    for variant in variants {
        if let Some(first) = seen.get(variant.wire_name.as_str()) {
            errors.push(error(
                variant.wire_span,
                format!(
                    "the wire value {:?} is used by two variants (`{}` and `{}`)",
                    variant.wire_name, first.ident, variant.ident
                ),
            ));
        } else {
            seen.insert(&variant.wire_name, variant);
        }
    }
}

/// `#[analytics(envelope)]` is for a plain field of an event, under a key
/// that is not one of the envelope's own two. `event` is false for
/// `AnalyticsFields`, which has no envelope.
pub fn envelope(fields: &[Field<'_>], event: bool, errors: &mut Errors) {
    for field in fields {
        let Some(envelope) = field.envelope else {
            continue;
        };
        if !event {
            errors.push(error(
                envelope,
                "`envelope` puts a field at the top level of an event's envelope; `AnalyticsFields` has no envelope: move the field to the event",
            ));
            continue;
        }
        if field.flatten.is_some() {
            errors.push(error(
                envelope,
                "a flattened field cannot be an envelope key (its fields go into `event_params`): put `envelope` on plain fields of the event, or remove `flatten`",
            ));
            continue;
        }
        if matches!(field.wire_name.as_str(), "event_type" | "event_params") {
            errors.push(error(
                field.wire_span,
                format!(
                    "`{}` is a key of the envelope itself; rename this envelope field (`#[serde(rename = \"..\")]`)",
                    field.wire_name
                ),
            ));
        }
    }
}

/// `user_id` / `anonymous_id`: one role per field, one field per role, on a
/// plain field written as a string by its own type.
pub fn identity(fields: &[Field<'_>], errors: &mut Errors) {
    let mut seen: Vec<(Identity, &str)> = Vec::new();
    for field in fields {
        let mut roles = field.identity.iter();
        let Some(&(role, span)) = roles.next() else {
            continue;
        };
        if let Some((other, span)) = roles.next() {
            errors.push(error(
                *span,
                format!(
                    "a field carries one identity: `{}` and `{}` cannot both be on `{}`; keep one",
                    role.key(),
                    other.key(),
                    field.rust_name
                ),
            ));
            continue;
        }
        let key = role.key();
        if field.flatten.is_some() {
            errors.push(error(
                span,
                format!("mark a string field of the flattened type with `{key}`, not the flattened field"),
            ));
        } else if field.skip_serializing.is_some() {
            errors.push(error(
                span,
                format!("a field that is never written (`skip` / `skip_serializing`) cannot carry the event's `{key}`"),
            ));
        } else if field.codec.is_some() {
            errors.push(error(
                span,
                format!("`{key}` needs a field written as a string by its own type, not through serde (`#[analytics(serde)]`, `with`)"),
            ));
        } else if let Some((_, first)) = seen.iter().find(|(seen, _)| *seen == role) {
            errors.push(error(
                span,
                format!("a second `{key}` field: the event's `{key}` is already `{first}`"),
            ));
        } else {
            seen.push((role, &field.rust_name));
        }
    }
}

/// Every field-level check, in order.
pub fn fields(fields: &[Field<'_>], errors: &mut Errors) {
    duplicate_wire_names(fields, errors);
    identity(fields, errors);
    for field in fields {
        flatten_alone(field, errors);
        skipped_alone(field, errors);
        bounds_kinds(field, errors);
        bounds_order(field, errors);
        range_fits_type(field, errors);
        pattern_compiles(field, errors);
        one_of_values(field, errors);
    }
}

/// The variants of an enum with data: what serde cannot represent, and the
/// field checks of every struct variant.
pub fn union_variants(model: &Enum<'_>, errors: &mut Errors) {
    for variant in &model.variants {
        match &variant.payload {
            Payload::Tuple(_) => {
                if let Tagging::Internal { tag } = &model.tagging {
                    errors.push(error(
                        variant.ident,
                        format!(
                            "`{}` is a tuple variant: an enum with `#[serde(tag = {:?})]` writes each variant as one JSON object, so a variant holds named fields, one struct or nothing; use `{} {{ .. }}` or `#[serde(tag = {:?}, content = \"..\")]`",
                            variant.ident,
                            tag.value(),
                            variant.ident,
                            tag.value()
                        ),
                    ));
                }
            }
            Payload::Struct(fields) => {
                self::fields(fields, errors);
                for field in fields {
                    if let Some(span) = field.flatten {
                        errors.push(error(
                            span,
                            "`flatten` is not supported inside an enum variant; declare the fields in the variant",
                        ));
                    }
                    if let Some((role, span)) = field.identity.first() {
                        errors.push(error(
                            *span,
                            format!(
                                "`{}` marks a top-level key of the event (a field of the event or of a flattened base), not a field inside an enum variant",
                                role.key()
                            ),
                        ));
                    }
                }
            }
            Payload::Unit | Payload::Newtype(_) => {}
        }
    }
}
