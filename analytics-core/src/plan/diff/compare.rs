//! The comparison: events, fields, types, enums and unions, old against new.
//!
//! Every `match` on [`PlanType`] and [`PlanVariantShape`] here lists the
//! variants, so a new type is a compile error until the diff handles it.

use std::collections::BTreeSet;

use super::rules::{compare_checks, compare_rules};
use super::{ChangeKind, EventVersions, PlanChange, PlanDiff};
use crate::plan::{
    PlanEnum, PlanEvent, PlanField, PlanType, PlanUnion, PlanVariant, PlanVariantShape,
    TrackingPlan,
};

/// Collects the changes of one event.
pub(super) struct Differ<'a> {
    pub(super) event: &'a str,
    pub(super) changes: &'a mut Vec<PlanChange>,
}

impl Differ<'_> {
    /// Records a change; its kind decides whether it is breaking.
    pub(super) fn push(&mut self, field: Option<&str>, kind: ChangeKind, detail: String) {
        self.record(field, kind, kind.is_breaking(), detail);
    }

    /// A new field: breaking unless it is nullable or may be omitted (readers
    /// take an absent key as `null`; data sent before has no value for it).
    fn field_added(&mut self, path: &str, field: &PlanField) {
        let optional = field.nullable || !field.required;
        self.record(
            Some(path),
            ChangeKind::FieldAdded,
            !optional,
            describe_field(field),
        );
    }

    fn record(&mut self, field: Option<&str>, kind: ChangeKind, breaking: bool, detail: String) {
        self.changes.push(PlanChange {
            event: self.event.to_owned(),
            field: field.map(str::to_owned),
            kind,
            breaking,
            detail,
        });
    }
}

pub(super) fn plans(old: &TrackingPlan, new: &TrackingPlan) -> PlanDiff {
    let names: BTreeSet<&str> = old
        .events
        .iter()
        .chain(&new.events)
        .map(|event| event.name.as_str())
        .collect();
    let mut out = PlanDiff::default();
    for name in names {
        let before = old.event(name);
        let after = new.event(name);
        out.versions.push(EventVersions {
            name: name.to_owned(),
            old: before.map(|event| event.version),
            new: after.map(|event| event.version),
        });
        let mut differ = Differ {
            event: name,
            changes: &mut out.changes,
        };
        match (before, after) {
            (Some(before), None) => differ.push(
                None,
                ChangeKind::EventRemoved,
                format!("was version {}", before.version),
            ),
            (None, Some(after)) => differ.push(
                None,
                ChangeKind::EventAdded,
                format!(
                    "version {}, {} field{}",
                    after.version,
                    after.fields.len(),
                    if after.fields.len() == 1 { "" } else { "s" }
                ),
            ),
            (Some(before), Some(after)) => compare_events(&mut differ, before, after),
            (None, None) => {}
        }
    }
    out
}

fn compare_events(differ: &mut Differ<'_>, old: &PlanEvent, new: &PlanEvent) {
    if old.version != new.version {
        differ.push(
            None,
            ChangeKind::VersionChanged,
            format!("{} -> {}", old.version, new.version),
        );
    }
    if old.description != new.description {
        differ.push(
            None,
            ChangeKind::DescriptionChanged,
            describe_change(&old.description, &new.description),
        );
    }
    // Envelope keys sit beside `event_type`; they change like fields.
    compare_fields(differ, "", &old.envelope, &new.envelope);
    compare_fields(differ, "", &old.fields, &new.fields);
    compare_checks(differ, None, &old.checks, &new.checks);
}

pub(super) fn describe_change(old: &str, new: &str) -> String {
    format!("{old:?} -> {new:?}")
}

fn compare_fields(differ: &mut Differ<'_>, prefix: &str, old: &[PlanField], new: &[PlanField]) {
    let path = |field: &PlanField| format!("{prefix}{}", field.name);
    for field in old {
        if !new.iter().any(|other| other.name == field.name) {
            differ.push(
                Some(&path(field)),
                ChangeKind::FieldRemoved,
                describe_field(field),
            );
        }
    }
    for field in new {
        match old.iter().find(|other| other.name == field.name) {
            None => differ.field_added(&path(field), field),
            Some(before) => compare_field(differ, &path(field), before, field),
        }
    }
}

fn describe_field(field: &PlanField) -> String {
    let mut ty = field.ty.describe();
    if field.nullable {
        ty.push_str(" or null");
    }
    let presence = if !field.required {
        "may be omitted"
    } else if field.nullable {
        "always written, nullable"
    } else {
        "always written"
    };
    format!("{ty}, {presence}")
}

pub(super) fn compare_field(differ: &mut Differ<'_>, path: &str, old: &PlanField, new: &PlanField) {
    let same_shape = compare_types(differ, path, &old.ty, &new.ty);
    match (old.required, new.required) {
        (false, true) => differ.push(
            Some(path),
            ChangeKind::BecameRequired,
            "the key may be omitted -> always written".into(),
        ),
        (true, false) => differ.push(
            Some(path),
            ChangeKind::BecameOptional,
            "the key is always written -> may be omitted".into(),
        ),
        _ => {}
    }
    match (old.nullable, new.nullable) {
        (true, false) => differ.push(
            Some(path),
            ChangeKind::BecameNonNullable,
            format!("{} or null -> {}", new.ty, new.ty),
        ),
        (false, true) => differ.push(
            Some(path),
            ChangeKind::BecameNullable,
            format!("{} -> {} or null", new.ty, new.ty),
        ),
        _ => {}
    }
    if same_shape {
        compare_rules(differ, path, &old.rules, &new.rules);
    }
    if old.description != new.description {
        differ.push(
            Some(path),
            ChangeKind::DescriptionChanged,
            describe_change(&old.description, &new.description),
        );
    }
    if old.pii != new.pii {
        let detail = if new.pii {
            "now marked PII"
        } else {
            "no longer marked PII"
        };
        differ.push(Some(path), ChangeKind::PiiChanged, detail.into());
    }
    if old.identity != new.identity {
        let (breaking, detail) = match (old.identity, new.identity) {
            (None, Some(role)) => (false, format!("now the event's {role}")),
            (Some(role), None) => (true, format!("no longer the event's {role}")),
            (Some(old), Some(new)) => (true, format!("{old} -> {new}")),
            (None, None) => unreachable!("the identities differ"),
        };
        differ.record(Some(path), ChangeKind::IdentityChanged, breaking, detail);
    }
    if old.deprecated != new.deprecated {
        let detail = match &new.deprecated {
            None => "no longer deprecated".to_owned(),
            Some(note) if note.is_empty() => "deprecated".to_owned(),
            Some(note) => format!("deprecated: {note}"),
        };
        differ.push(Some(path), ChangeKind::DeprecationChanged, detail);
    }
}

/// Compares two types at `path`; `true` when they have the same shape (so
/// that their rules can be compared).
fn compare_types(differ: &mut Differ<'_>, path: &str, old: &PlanType, new: &PlanType) -> bool {
    let changed = |differ: &mut Differ<'_>, detail: String| {
        differ.push(Some(path), ChangeKind::TypeChanged, detail);
        false
    };
    match (old, new) {
        (PlanType::String, PlanType::String)
        | (PlanType::Boolean, PlanType::Boolean)
        | (PlanType::Any, PlanType::Any) => true,
        (PlanType::Integer(a), PlanType::Integer(b)) if a == b => true,
        (PlanType::Number(a), PlanType::Number(b)) if a == b => true,
        // A recursive reference: the object it names is compared where it is defined.
        (PlanType::Ref(a), PlanType::Ref(b)) if a == b => true,
        (PlanType::Json(a), PlanType::Json(b)) => {
            a == b || changed(differ, "the field's own JSON Schema changed".into())
        }
        (PlanType::Enum(old), PlanType::Enum(new)) => {
            compare_enums(differ, path, old, new);
            true
        }
        (PlanType::Object(old), PlanType::Object(new)) => {
            if old.description != new.description {
                differ.push(
                    Some(path),
                    ChangeKind::DescriptionChanged,
                    format!(
                        "object {}: {}",
                        new.name,
                        describe_change(&old.description, &new.description)
                    ),
                );
            }
            compare_fields(differ, &format!("{path}."), &old.fields, &new.fields);
            compare_checks(differ, Some(path), &old.checks, &new.checks);
            true
        }
        (PlanType::Array(old), PlanType::Array(new)) => {
            compare_types(differ, &format!("{path}[]"), old, new);
            true
        }
        (
            PlanType::Map {
                keys: old_keys,
                values: old_values,
            },
            PlanType::Map {
                keys: new_keys,
                values: new_values,
            },
        ) => {
            match (old_keys, new_keys) {
                (Some(old_keys), Some(new_keys)) => {
                    compare_enums(differ, &format!("{path}{{}}"), old_keys, new_keys);
                }
                (None, None) => {}
                (Some(_), None) | (None, Some(_)) => {
                    return changed(differ, format!("{old} -> {new}"));
                }
            }
            compare_types(differ, &format!("{path}{{}}"), old_values, new_values);
            true
        }
        (PlanType::Union(old), PlanType::Union(new)) => compare_unions(differ, path, old, new),
        (PlanType::Nullable(old), PlanType::Nullable(new)) => compare_types(differ, path, old, new),
        (PlanType::Nullable(inner), other) if same_kind(inner, other) => {
            differ.push(
                Some(path),
                ChangeKind::BecameNonNullable,
                format!("{old} -> {new}"),
            );
            compare_types(differ, path, inner, other)
        }
        (other, PlanType::Nullable(inner)) if same_kind(other, inner) => {
            differ.push(
                Some(path),
                ChangeKind::BecameNullable,
                format!("{old} -> {new}"),
            );
            compare_types(differ, path, other, inner)
        }
        (
            PlanType::String
            | PlanType::Integer(_)
            | PlanType::Number(_)
            | PlanType::Boolean
            | PlanType::Enum(_)
            | PlanType::Object(_)
            | PlanType::Array(_)
            | PlanType::Nullable(_)
            | PlanType::Map { .. }
            | PlanType::Any
            | PlanType::Json(_)
            | PlanType::Union(_)
            | PlanType::Ref(_),
            _,
        ) => changed(differ, format!("{old} -> {new}")),
    }
}

/// Same type, leaving aside what [`compare_types`] compares inside (enum
/// values, object fields, items, map values, union variants).
fn same_kind(old: &PlanType, new: &PlanType) -> bool {
    // Every type listed (as in `PlanType`'s equality): a new one is a compile
    // error here, not a silent "different kind".
    match (old, new) {
        (PlanType::Enum(_), PlanType::Enum(_))
        | (PlanType::Object(_), PlanType::Object(_))
        | (PlanType::Union(_), PlanType::Union(_))
        | (PlanType::Map { .. }, PlanType::Map { .. })
        | (PlanType::String, PlanType::String)
        | (PlanType::Boolean, PlanType::Boolean)
        | (PlanType::Any, PlanType::Any)
        | (PlanType::Json(_), PlanType::Json(_)) => true,
        (PlanType::Integer(a), PlanType::Integer(b)) => a == b,
        (PlanType::Number(a), PlanType::Number(b)) => a == b,
        (PlanType::Ref(a), PlanType::Ref(b)) => a == b,
        (PlanType::Array(old), PlanType::Array(new))
        | (PlanType::Nullable(old), PlanType::Nullable(new)) => same_kind(old, new),
        (
            PlanType::String
            | PlanType::Integer(_)
            | PlanType::Number(_)
            | PlanType::Boolean
            | PlanType::Enum(_)
            | PlanType::Object(_)
            | PlanType::Array(_)
            | PlanType::Nullable(_)
            | PlanType::Map { .. }
            | PlanType::Any
            | PlanType::Json(_)
            | PlanType::Union(_)
            | PlanType::Ref(_),
            _,
        ) => false,
    }
}

// Enum values and union variants are matched by name alike, but carry
// different data and change kinds: two short loops read better than a
// generic over both.
fn compare_enums(differ: &mut Differ<'_>, path: &str, old: &PlanEnum, new: &PlanEnum) {
    for value in &old.values {
        if !new.values.iter().any(|other| other.name == value.name) {
            differ.push(
                Some(path),
                ChangeKind::EnumValueRemoved,
                format!("{:?} (enum {})", value.name, new.name),
            );
        }
    }
    for value in &new.values {
        match old.values.iter().find(|other| other.name == value.name) {
            None => differ.push(
                Some(path),
                ChangeKind::EnumValueAdded,
                format!("{:?} (enum {})", value.name, new.name),
            ),
            Some(before) if before.description != value.description => differ.push(
                Some(path),
                ChangeKind::DescriptionChanged,
                format!(
                    "enum value {:?}: {}",
                    value.name,
                    describe_change(&before.description, &value.description)
                ),
            ),
            Some(_) => {}
        }
    }
    if old.description != new.description {
        differ.push(
            Some(path),
            ChangeKind::DescriptionChanged,
            format!(
                "enum {}: {}",
                new.name,
                describe_change(&old.description, &new.description)
            ),
        );
    }
}

/// Compares two unions; `false` (a type change) when their tagging differs.
fn compare_unions(differ: &mut Differ<'_>, path: &str, old: &PlanUnion, new: &PlanUnion) -> bool {
    if old.tagging != new.tagging {
        differ.push(
            Some(path),
            ChangeKind::TypeChanged,
            format!(
                "union {}: tagging {:?} -> {:?}",
                new.name, old.tagging, new.tagging
            ),
        );
        return false;
    }
    for variant in &old.variants {
        if !new.variants.iter().any(|other| other.name == variant.name) {
            differ.push(
                Some(path),
                ChangeKind::VariantRemoved,
                format!("{:?} (union {})", variant.name, new.name),
            );
        }
    }
    for variant in &new.variants {
        match old.variants.iter().find(|other| other.name == variant.name) {
            None => differ.push(
                Some(path),
                ChangeKind::VariantAdded,
                format!("{:?} (union {})", variant.name, new.name),
            ),
            Some(before) => compare_variants(differ, path, before, variant),
        }
    }
    if old.description != new.description {
        differ.push(
            Some(path),
            ChangeKind::DescriptionChanged,
            format!(
                "union {}: {}",
                new.name,
                describe_change(&old.description, &new.description)
            ),
        );
    }
    true
}

fn compare_variants(differ: &mut Differ<'_>, path: &str, old: &PlanVariant, new: &PlanVariant) {
    let variant_path = format!("{path}::{}", new.name);
    match (&old.shape, &new.shape) {
        (PlanVariantShape::Unit, PlanVariantShape::Unit) => {}
        (PlanVariantShape::Newtype(old), PlanVariantShape::Newtype(new)) => {
            compare_types(differ, &variant_path, old, new);
        }
        (PlanVariantShape::Tuple(old), PlanVariantShape::Tuple(new)) if old.len() == new.len() => {
            for (index, (old, new)) in old.iter().zip(new).enumerate() {
                compare_types(differ, &format!("{variant_path}.{index}"), old, new);
            }
        }
        (PlanVariantShape::Struct(old), PlanVariantShape::Struct(new)) => {
            compare_fields(differ, &format!("{variant_path}."), old, new);
        }
        (
            PlanVariantShape::Unit
            | PlanVariantShape::Newtype(_)
            | PlanVariantShape::Tuple(_)
            | PlanVariantShape::Struct(_),
            _,
        ) => differ.push(
            Some(path),
            ChangeKind::VariantChanged,
            format!(
                "{:?}: {} -> {}",
                new.name,
                shape_name(&old.shape),
                shape_name(&new.shape)
            ),
        ),
    }
    if old.description != new.description {
        differ.push(
            Some(&variant_path),
            ChangeKind::DescriptionChanged,
            describe_change(&old.description, &new.description),
        );
    }
}

fn shape_name(shape: &PlanVariantShape) -> String {
    match shape {
        PlanVariantShape::Unit => "unit".to_owned(),
        PlanVariantShape::Newtype(ty) => format!("newtype of {ty}"),
        PlanVariantShape::Tuple(items) => format!("tuple of {}", items.len()),
        PlanVariantShape::Struct(fields) => format!("struct of {} fields", fields.len()),
    }
}
