//! The changes between two tracking plans, each classified breaking or compatible.
//!
//! The rule behind the classes: a change is **breaking** when data that was
//! valid under the old plan is no longer valid under the new one, or when
//! something consumers read goes away: dashboards, warehouse tables and code
//! generated from the old plan can no longer read what is sent, or what was
//! sent before. A change that only widens what is accepted is **compatible**.
//!
//! | change | class |
//! |---|---|
//! | event removed | breaking |
//! | field removed | breaking |
//! | field type changed (integer width included: `u32` -> `u64`) | breaking |
//! | key may be omitted -> always written (`BecameRequired`) | breaking |
//! | `Option<T>` -> `T`: nullable -> non-null (`BecameNonNullable`) | breaking |
//! | enum value removed | breaking |
//! | rule tightened: range or length bound narrowed, pattern changed or added, `one_of` value removed, new rule added (`custom` included) | breaking |
//! | field added, non-nullable and always written | breaking: data sent before has no value for it |
//! | field added, nullable or may be omitted | compatible: readers take an absent key as `null` |
//! | event added | compatible |
//! | enum value added | compatible |
//! | rule loosened or removed | compatible |
//! | `T` -> `Option<T>`, always written -> may be omitted | compatible (loosened) |
//! | description, PII flag or deprecation changed | compatible |
//! | version changed | compatible |
//!
//! Fields are matched by wire name; nested objects are compared field by field
//! (paths such as `app_server_client.rpc_transport`) and enums by their wire
//! values, so renaming a Rust type or reordering fields is no change.
//! `non_empty` counts as `length(min = 1)`, so trading one for the other is
//! no tightening.

use std::collections::BTreeSet;
use std::fmt;

use crate::plan::{PlanEnum, PlanEvent, PlanField, PlanRule, PlanType, TrackingPlan};
use crate::schema::Bound;

/// What changed (see the [module documentation](self) for the classes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ChangeKind {
    /// A new event. Compatible.
    EventAdded,
    /// An event is gone. Breaking.
    EventRemoved,
    /// The event's version changed. Compatible.
    VersionChanged,
    /// A description (event, field, enum, enum value, object) changed. Compatible.
    DescriptionChanged,
    /// A new field: compatible when nullable or omittable, breaking otherwise.
    FieldAdded,
    /// A field is gone. Breaking.
    FieldRemoved,
    /// A field's (or an item's) type changed. Breaking.
    TypeChanged,
    /// A key that could be omitted is now always written. Breaking.
    BecameRequired,
    /// A key that was always written may now be omitted. Compatible.
    BecameOptional,
    /// A nullable value (`Option<T>`) is no longer nullable. Breaking.
    BecameNonNullable,
    /// A value may now be `null`. Compatible.
    BecameNullable,
    /// An enum gained a value. Compatible.
    EnumValueAdded,
    /// An enum lost a value. Breaking.
    EnumValueRemoved,
    /// A rule accepts less than before (narrowed, changed or new). Breaking.
    RuleTightened,
    /// A rule accepts more than before (widened or removed). Compatible.
    RuleLoosened,
    /// The field's PII classification changed. Compatible.
    PiiChanged,
    /// The field was deprecated, un-deprecated or its note changed. Compatible.
    DeprecationChanged,
}

impl ChangeKind {
    /// A short phrase: `field removed`, `enum value added`...
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::EventAdded => "event added",
            ChangeKind::EventRemoved => "event removed",
            ChangeKind::VersionChanged => "version changed",
            ChangeKind::DescriptionChanged => "description changed",
            ChangeKind::FieldAdded => "field added",
            ChangeKind::FieldRemoved => "field removed",
            ChangeKind::TypeChanged => "type changed",
            ChangeKind::BecameRequired => "optional -> required",
            ChangeKind::BecameOptional => "required -> optional",
            ChangeKind::BecameNonNullable => "nullable -> non-null",
            ChangeKind::BecameNullable => "non-null -> nullable",
            ChangeKind::EnumValueAdded => "enum value added",
            ChangeKind::EnumValueRemoved => "enum value removed",
            ChangeKind::RuleTightened => "rule tightened",
            ChangeKind::RuleLoosened => "rule loosened",
            ChangeKind::PiiChanged => "PII classification changed",
            ChangeKind::DeprecationChanged => "deprecation changed",
        }
    }
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change between two plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanChange {
    /// The event's name.
    pub event: String,
    /// The field's path (`exit_code`, `app_server_client.rpc_transport`,
    /// `receiver_thread_ids[]` for items); `None` for the event itself.
    pub field: Option<String>,
    /// What changed.
    pub kind: ChangeKind,
    /// The change is breaking.
    pub breaking: bool,
    /// Details: `integer (u64) -> string`, the enum value, the rules before and after...
    pub detail: String,
}

impl PlanChange {
    /// The event's name.
    pub fn event(&self) -> &str {
        &self.event
    }

    /// The field's path, if the change is about a field.
    pub fn field(&self) -> Option<&str> {
        self.field.as_deref()
    }

    /// What changed.
    pub fn kind(&self) -> ChangeKind {
        self.kind
    }

    /// The change is breaking.
    pub fn breaking(&self) -> bool {
        self.breaking
    }

    /// Details of the change (may be empty).
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for PlanChange {
    /// `[breaking] codex_web_search_event.query_count: type changed: integer (u64) -> string`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = if self.breaking {
            "[breaking]"
        } else {
            "[compatible]"
        };
        write!(f, "{class} {}", self.event)?;
        if let Some(field) = &self.field {
            write!(f, ".{field}")?;
        }
        write!(f, ": {}", self.kind)?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// An event's version in the old and the new plan (`None`: not in that plan).
#[derive(Debug, Clone, PartialEq, Eq)]
struct EventVersions {
    name: String,
    old: Option<u32>,
    new: Option<u32>,
}

/// The changes from one plan to another ([`TrackingPlan::diff`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanDiff {
    changes: Vec<PlanChange>,
    versions: Vec<EventVersions>,
}

impl PlanDiff {
    /// Every change, grouped by event (sorted by name), fields in wire order.
    pub fn changes(&self) -> &[PlanChange] {
        &self.changes
    }

    /// The plans are equal in everything the diff compares.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// At least one change is breaking.
    pub fn is_breaking(&self) -> bool {
        self.changes.iter().any(|change| change.breaking)
    }

    /// The breaking changes.
    pub fn breaking_changes(&self) -> impl Iterator<Item = &PlanChange> {
        self.changes.iter().filter(|change| change.breaking)
    }

    /// The event's version in the old and in the new plan (`None` where absent).
    pub fn versions(&self, event: &str) -> (Option<u32>, Option<u32>) {
        self.versions
            .iter()
            .find(|versions| versions.name == event)
            .map_or((None, None), |versions| (versions.old, versions.new))
    }

    /// The event's version went up from the old plan to the new one.
    pub fn version_raised(&self, event: &str) -> bool {
        matches!(self.versions(event), (Some(old), Some(new)) if new > old)
    }

    /// The breaking changes of events whose version was not raised (a removed
    /// event always counts: it has no version left to raise). What the
    /// snapshot guard of [`crate::testing`] fails on.
    pub fn unacknowledged_breaking_changes(&self) -> Vec<&PlanChange> {
        self.breaking_changes()
            .filter(|change| !self.version_raised(&change.event))
            .collect()
    }
}

impl fmt::Display for PlanDiff {
    /// A report: a summary line, then per event its version and its changes,
    /// one per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.changes.is_empty() {
            return f.write_str("tracking plan: no changes");
        }
        let breaking = self.breaking_changes().count();
        writeln!(
            f,
            "tracking plan: {} change{}, {breaking} breaking",
            self.changes.len(),
            if self.changes.len() == 1 { "" } else { "s" },
        )?;
        let mut current: Option<&str> = None;
        for change in &self.changes {
            if current != Some(change.event.as_str()) {
                current = Some(&change.event);
                let version = match self.versions(&change.event) {
                    (Some(old), Some(new)) if old == new => format!("version {old}"),
                    (Some(old), Some(new)) => format!("version {old} -> {new}"),
                    (None, Some(new)) => format!("new, version {new}"),
                    (Some(old), None) => format!("removed, was version {old}"),
                    (None, None) => String::new(),
                };
                writeln!(f, "  {} ({version}):", change.event)?;
            }
            let class = if change.breaking {
                "breaking  "
            } else {
                "compatible"
            };
            write!(f, "    {class} ")?;
            if let Some(field) = &change.field {
                write!(f, "{field}: ")?;
            }
            write!(f, "{}", change.kind)?;
            if !change.detail.is_empty() {
                write!(f, ": {}", change.detail)?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------ the comparison

struct Differ<'a> {
    event: &'a str,
    changes: &'a mut Vec<PlanChange>,
}

impl Differ<'_> {
    fn push(&mut self, field: Option<&str>, kind: ChangeKind, breaking: bool, detail: String) {
        self.changes.push(PlanChange {
            event: self.event.to_owned(),
            field: field.map(str::to_owned),
            kind,
            breaking,
            detail,
        });
    }
}

impl TrackingPlan {
    /// The changes from `old` to `new`, each classified breaking or compatible.
    pub fn diff(old: &TrackingPlan, new: &TrackingPlan) -> PlanDiff {
        diff(old, new)
    }
}

fn diff(old: &TrackingPlan, new: &TrackingPlan) -> PlanDiff {
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
                true,
                format!("was version {}", before.version),
            ),
            (None, Some(after)) => differ.push(
                None,
                ChangeKind::EventAdded,
                false,
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
            false,
            format!("{} -> {}", old.version, new.version),
        );
    }
    if old.description != new.description {
        differ.push(
            None,
            ChangeKind::DescriptionChanged,
            false,
            describe_change(&old.description, &new.description),
        );
    }
    compare_fields(differ, "", &old.fields, &new.fields);
}

fn describe_change(old: &str, new: &str) -> String {
    format!("{old:?} -> {new:?}")
}

fn compare_fields(differ: &mut Differ<'_>, prefix: &str, old: &[PlanField], new: &[PlanField]) {
    let path = |field: &PlanField| format!("{prefix}{}", field.name);
    for field in old {
        if !new.iter().any(|other| other.name == field.name) {
            differ.push(
                Some(&path(field)),
                ChangeKind::FieldRemoved,
                true,
                describe_field(field),
            );
        }
    }
    for field in new {
        match old.iter().find(|other| other.name == field.name) {
            None => {
                let optional = field.nullable || !field.required;
                differ.push(
                    Some(&path(field)),
                    ChangeKind::FieldAdded,
                    !optional,
                    describe_field(field),
                );
            }
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

fn compare_field(differ: &mut Differ<'_>, path: &str, old: &PlanField, new: &PlanField) {
    let same_shape = compare_types(differ, path, &old.ty, &new.ty);
    match (old.required, new.required) {
        (false, true) => differ.push(
            Some(path),
            ChangeKind::BecameRequired,
            true,
            "the key may be omitted -> always written".into(),
        ),
        (true, false) => differ.push(
            Some(path),
            ChangeKind::BecameOptional,
            false,
            "the key is always written -> may be omitted".into(),
        ),
        _ => {}
    }
    match (old.nullable, new.nullable) {
        (true, false) => differ.push(
            Some(path),
            ChangeKind::BecameNonNullable,
            true,
            format!("{} or null -> {}", new.ty, new.ty),
        ),
        (false, true) => differ.push(
            Some(path),
            ChangeKind::BecameNullable,
            false,
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
            false,
            describe_change(&old.description, &new.description),
        );
    }
    if old.pii != new.pii {
        let detail = if new.pii {
            "now marked PII"
        } else {
            "no longer marked PII"
        };
        differ.push(Some(path), ChangeKind::PiiChanged, false, detail.into());
    }
    if old.deprecated != new.deprecated {
        let detail = match &new.deprecated {
            None => "no longer deprecated".to_owned(),
            Some(note) if note.is_empty() => "deprecated".to_owned(),
            Some(note) => format!("deprecated: {note}"),
        };
        differ.push(Some(path), ChangeKind::DeprecationChanged, false, detail);
    }
}

/// Compares two types at `path`; `true` when they have the same shape (so
/// that their rules can be compared).
fn compare_types(differ: &mut Differ<'_>, path: &str, old: &PlanType, new: &PlanType) -> bool {
    match (old, new) {
        (PlanType::Enum(old), PlanType::Enum(new)) => {
            compare_enums(differ, path, old, new);
            true
        }
        (PlanType::Object(old), PlanType::Object(new)) => {
            if old.description != new.description {
                differ.push(
                    Some(path),
                    ChangeKind::DescriptionChanged,
                    false,
                    format!(
                        "object {}: {}",
                        new.name,
                        describe_change(&old.description, &new.description)
                    ),
                );
            }
            compare_fields(differ, &format!("{path}."), &old.fields, &new.fields);
            true
        }
        (PlanType::Array(old), PlanType::Array(new)) => {
            compare_types(differ, &format!("{path}[]"), old, new);
            true
        }
        (PlanType::Nullable(old), PlanType::Nullable(new)) => compare_types(differ, path, old, new),
        (PlanType::Nullable(inner), other) if same_kind(inner, other) => {
            differ.push(
                Some(path),
                ChangeKind::BecameNonNullable,
                true,
                format!("{old} -> {new}"),
            );
            compare_types(differ, path, inner, other)
        }
        (other, PlanType::Nullable(inner)) if same_kind(other, inner) => {
            differ.push(
                Some(path),
                ChangeKind::BecameNullable,
                false,
                format!("{old} -> {new}"),
            );
            compare_types(differ, path, other, inner)
        }
        _ if same_kind(old, new) => true,
        _ => {
            differ.push(
                Some(path),
                ChangeKind::TypeChanged,
                true,
                format!("{old} -> {new}"),
            );
            false
        }
    }
}

/// Same type, leaving aside what [`compare_types`] compares inside (enum
/// values, object fields, items).
fn same_kind(old: &PlanType, new: &PlanType) -> bool {
    match (old, new) {
        (PlanType::Enum(_), PlanType::Enum(_)) | (PlanType::Object(_), PlanType::Object(_)) => true,
        (PlanType::Array(old), PlanType::Array(new)) => same_kind(old, new),
        (PlanType::Nullable(old), PlanType::Nullable(new)) => same_kind(old, new),
        _ => old == new,
    }
}

fn compare_enums(differ: &mut Differ<'_>, path: &str, old: &PlanEnum, new: &PlanEnum) {
    for value in &old.values {
        if !new.values.iter().any(|other| other.name == value.name) {
            differ.push(
                Some(path),
                ChangeKind::EnumValueRemoved,
                true,
                format!("{:?} (enum {})", value.name, new.name),
            );
        }
    }
    for value in &new.values {
        match old.values.iter().find(|other| other.name == value.name) {
            None => differ.push(
                Some(path),
                ChangeKind::EnumValueAdded,
                false,
                format!("{:?} (enum {})", value.name, new.name),
            ),
            Some(before) if before.description != value.description => differ.push(
                Some(path),
                ChangeKind::DescriptionChanged,
                false,
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
            false,
            format!(
                "enum {}: {}",
                new.name,
                describe_change(&old.description, &new.description)
            ),
        );
    }
}

// ------------------------------------------------------------ rules

/// How a constraint moved: accepts less, more, both (shifted) or the same.
#[derive(Default)]
struct Movement {
    tighter: bool,
    looser: bool,
}

impl Movement {
    /// A lower bound moved: a greater one accepts less.
    fn lower(&mut self, old: Option<Bound>, new: Option<Bound>) {
        self.bound(old, new, std::cmp::Ordering::Greater);
    }

    /// An upper bound moved: a smaller one accepts less.
    fn upper(&mut self, old: Option<Bound>, new: Option<Bound>) {
        self.bound(old, new, std::cmp::Ordering::Less);
    }

    /// A bound added is tighter, removed is looser; moved in the `narrower`
    /// direction, tighter, in the other, looser.
    fn bound(&mut self, old: Option<Bound>, new: Option<Bound>, narrower: std::cmp::Ordering) {
        match (old, new) {
            (None, Some(_)) => self.tighter = true,
            (Some(_), None) => self.looser = true,
            (Some(old), Some(new)) => {
                let moved = compare_bounds(new, old);
                if moved == narrower {
                    self.tighter = true;
                } else if moved == narrower.reverse() {
                    self.looser = true;
                }
            }
            (None, None) => {}
        }
    }
}

fn compare_bounds(a: Bound, b: Bound) -> std::cmp::Ordering {
    match (a, b) {
        (Bound::Int(a), Bound::Int(b)) => a.cmp(&b),
        _ => a
            .as_f64()
            .partial_cmp(&b.as_f64())
            .unwrap_or(std::cmp::Ordering::Equal),
    }
}

fn tighter_of(a: Option<Bound>, b: Bound, lower: bool) -> Option<Bound> {
    Some(match a {
        None => b,
        Some(a) => {
            let ordering = compare_bounds(a, b);
            if (ordering == std::cmp::Ordering::Less) == lower {
                b
            } else {
                a
            }
        }
    })
}

/// The combined `range` of a field's rules.
fn effective_range(rules: &[PlanRule]) -> (Option<Bound>, Option<Bound>) {
    let (mut low, mut high) = (None, None);
    for rule in rules {
        if let PlanRule::Range { min, max } = rule {
            if let Some(min) = min {
                low = tighter_of(low, *min, true);
            }
            if let Some(max) = max {
                high = tighter_of(high, *max, false);
            }
        }
    }
    (low, high)
}

/// The combined `length` and `non_empty` of a field's rules.
fn effective_length(rules: &[PlanRule]) -> (Option<Bound>, Option<Bound>) {
    let (mut low, mut high) = (None, None);
    for rule in rules {
        match rule {
            PlanRule::Length { min, max } => {
                if let Some(min) = min {
                    low = tighter_of(low, Bound::Int((*min).into()), true);
                }
                if let Some(max) = max {
                    high = tighter_of(high, Bound::Int((*max).into()), false);
                }
            }
            PlanRule::NonEmpty => low = tighter_of(low, Bound::Int(1), true),
            _ => {}
        }
    }
    (low, high)
}

/// The values every `one_of` rule allows (`None`: no `one_of`).
fn effective_one_of(rules: &[PlanRule]) -> Option<BTreeSet<&str>> {
    let mut allowed: Option<BTreeSet<&str>> = None;
    for rule in rules {
        if let PlanRule::OneOf(values) = rule {
            let values: BTreeSet<&str> = values.iter().map(String::as_str).collect();
            allowed = Some(match allowed {
                None => values,
                Some(current) => current.intersection(&values).copied().collect(),
            });
        }
    }
    allowed
}

fn show_rules(rules: &[PlanRule], family: &[&str]) -> String {
    let shown: Vec<String> = rules
        .iter()
        .filter(|rule| family.contains(&rule.name()))
        .map(ToString::to_string)
        .collect();
    if shown.is_empty() {
        "none".to_owned()
    } else {
        shown.join(", ")
    }
}

fn compare_rules(differ: &mut Differ<'_>, path: &str, old: &[PlanRule], new: &[PlanRule]) {
    let mut report = |movement: Movement, family: &[&str]| {
        let detail = format!("{} -> {}", show_rules(old, family), show_rules(new, family));
        if movement.tighter {
            differ.push(Some(path), ChangeKind::RuleTightened, true, detail);
        } else if movement.looser {
            differ.push(Some(path), ChangeKind::RuleLoosened, false, detail);
        }
    };

    let ((old_min, old_max), (new_min, new_max)) = (effective_range(old), effective_range(new));
    let mut range = Movement::default();
    range.lower(old_min, new_min);
    range.upper(old_max, new_max);
    report(range, &["range"]);

    let ((old_min, old_max), (new_min, new_max)) = (effective_length(old), effective_length(new));
    let mut length = Movement::default();
    length.lower(old_min, new_min);
    length.upper(old_max, new_max);
    report(length, &["length", "non_empty"]);

    let mut one_of = Movement::default();
    match (effective_one_of(old), effective_one_of(new)) {
        (None, Some(_)) => one_of.tighter = true,
        (Some(_), None) => one_of.looser = true,
        (Some(old), Some(new)) => {
            one_of.tighter = old.difference(&new).next().is_some();
            one_of.looser = new.difference(&old).next().is_some();
        }
        (None, None) => {}
    }
    report(one_of, &["one_of"]);

    for family in ["pattern", "custom"] {
        let of = |rules: &[PlanRule]| -> BTreeSet<String> {
            rules
                .iter()
                .filter(|rule| rule.name() == family)
                .map(ToString::to_string)
                .collect()
        };
        let (before, after) = (of(old), of(new));
        report(
            Movement {
                // A new or changed pattern (or custom function) may reject
                // values that passed before; one that is only gone cannot.
                tighter: after.difference(&before).next().is_some(),
                looser: before.difference(&after).next().is_some(),
            },
            &[family],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(rules: Vec<PlanRule>) -> PlanField {
        PlanField {
            name: "x".into(),
            rust_path: "x".into(),
            ty: PlanType::String,
            required: true,
            nullable: false,
            description: String::new(),
            rules,
            pii: false,
            deprecated: None,
        }
    }

    fn rule_changes(old: Vec<PlanRule>, new: Vec<PlanRule>) -> Vec<(ChangeKind, String)> {
        let mut changes = Vec::new();
        let mut differ = Differ {
            event: "e",
            changes: &mut changes,
        };
        compare_field(&mut differ, "x", &field(old), &field(new));
        changes
            .into_iter()
            .map(|change| (change.kind, change.detail))
            .collect()
    }

    #[test]
    fn non_empty_and_length_min_1_are_the_same() {
        assert!(rule_changes(
            vec![PlanRule::NonEmpty],
            vec![PlanRule::Length {
                min: Some(1),
                max: None
            }]
        )
        .is_empty());
    }

    #[test]
    fn shifted_range_is_tightened() {
        let changes = rule_changes(
            vec![PlanRule::Range {
                min: Some(Bound::Int(0)),
                max: Some(Bound::Int(10)),
            }],
            vec![PlanRule::Range {
                min: Some(Bound::Int(-5)),
                max: Some(Bound::Int(5)),
            }],
        );
        assert_eq!(
            changes,
            vec![(
                ChangeKind::RuleTightened,
                "range(min = 0, max = 10) -> range(min = -5, max = 5)".to_owned()
            )]
        );
    }

    #[test]
    fn one_of_and_pattern_movements() {
        let one_of =
            |values: &[&str]| PlanRule::OneOf(values.iter().map(|v| v.to_string()).collect());
        assert_eq!(
            rule_changes(vec![one_of(&["a", "b"])], vec![one_of(&["a", "b", "c"])])[0].0,
            ChangeKind::RuleLoosened
        );
        assert_eq!(
            rule_changes(vec![one_of(&["a", "b"])], vec![one_of(&["a", "c"])])[0].0,
            ChangeKind::RuleTightened
        );
        assert_eq!(
            rule_changes(vec![PlanRule::Pattern("^a".into())], vec![])[0].0,
            ChangeKind::RuleLoosened
        );
        assert_eq!(
            rule_changes(vec![], vec![PlanRule::Custom("f".into())])[0].0,
            ChangeKind::RuleTightened
        );
    }
}
