//! The diff of two tracking plans: [`PlanDiff`], its changes and their classes.

use std::fmt;

use crate::plan::TrackingPlan;

mod compare;
mod rules;

/// What changed (see [`PlanDiff`] for the classes).
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
    /// The field's identity role (`user_id`, `anonymous_id`) changed:
    /// compatible when newly given, breaking when removed or changed (a
    /// receiver keying users on it loses them).
    IdentityChanged,
    /// A union gained a variant. Compatible.
    VariantAdded,
    /// A union lost a variant. Breaking.
    VariantRemoved,
    /// A union variant carries something else (unit, newtype, tuple or struct,
    /// or a tuple of another length). Breaking.
    VariantChanged,
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
            ChangeKind::IdentityChanged => "identity changed",
            ChangeKind::VariantAdded => "union variant added",
            ChangeKind::VariantRemoved => "union variant removed",
            ChangeKind::VariantChanged => "union variant changed",
        }
    }

    /// Whether a change of this kind is breaking. [`ChangeKind::FieldAdded`]
    /// is breaking for a field that is always written and never `null`
    /// (data sent before has no value for it), compatible otherwise, and
    /// [`ChangeKind::IdentityChanged`] is compatible when a role is newly
    /// given: this says `true` for both, and [`PlanChange::breaking`] has the
    /// answer for the change at hand.
    pub const fn is_breaking(self) -> bool {
        match self {
            ChangeKind::EventRemoved
            | ChangeKind::FieldAdded
            | ChangeKind::FieldRemoved
            | ChangeKind::TypeChanged
            | ChangeKind::BecameRequired
            | ChangeKind::BecameNonNullable
            | ChangeKind::EnumValueRemoved
            | ChangeKind::RuleTightened
            | ChangeKind::VariantRemoved
            | ChangeKind::VariantChanged
            | ChangeKind::IdentityChanged => true,
            ChangeKind::EventAdded
            | ChangeKind::VersionChanged
            | ChangeKind::DescriptionChanged
            | ChangeKind::BecameOptional
            | ChangeKind::BecameNullable
            | ChangeKind::EnumValueAdded
            | ChangeKind::RuleLoosened
            | ChangeKind::PiiChanged
            | ChangeKind::DeprecationChanged
            | ChangeKind::VariantAdded => false,
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
pub(crate) struct EventVersions {
    pub(crate) name: String,
    pub(crate) old: Option<u32>,
    pub(crate) new: Option<u32>,
}

/// The changes from one plan to another ([`TrackingPlan::diff`]).
///
/// The changes between two tracking plans, each classified breaking or compatible.
///
/// The rule behind the classes: a change is **breaking** when data that was
/// valid under the old plan is no longer valid under the new one, or when
/// something consumers read goes away: dashboards, warehouse tables and code
/// generated from the old plan can no longer read what is sent, or what was
/// sent before. A change that only widens what is accepted is **compatible**.
///
/// | change | class |
/// |---|---|
/// | event removed | breaking |
/// | field removed | breaking |
/// | field type changed (integer width included: `u32` -> `u64`) | breaking |
/// | key may be omitted -> always written (`BecameRequired`) | breaking |
/// | `Option<T>` -> `T`: nullable -> non-null (`BecameNonNullable`) | breaking |
/// | enum value removed | breaking |
/// | map value type changed, map keys limited to an enum or freed | breaking |
/// | union variant removed, its shape changed (unit, newtype, tuple, struct), tagging changed | breaking |
/// | union variant added | compatible |
/// | struct-level `check` added / removed | breaking (rule tightened) / compatible |
/// | rule tightened: range or length bound narrowed, pattern changed or added, `one_of` value removed, new rule added (`custom` included) | breaking |
/// | field added, non-nullable and always written | breaking: data sent before has no value for it |
/// | field added, nullable or may be omitted | compatible: readers take an absent key as `null` |
/// | envelope field added or removed | as a field of `event_params` |
/// | event added | compatible |
/// | enum value added | compatible |
/// | rule loosened or removed | compatible |
/// | `T` -> `Option<T>`, always written -> may be omitted | compatible (loosened) |
/// | description, PII flag or deprecation changed | compatible |
/// | version changed | compatible |
///
/// Fields are matched by wire name; nested objects are compared field by field
/// (paths such as `app_server_client.rpc_transport`, `tags[]` for items,
/// `labels{}` for map values, `payment::Card.number` inside a union variant)
/// and enums by their wire values, so renaming a Rust type or reordering
/// fields is no change. A recursive reference (`PlanType::Ref`) is compared
/// by name, so comparing recursive types terminates.
///
/// Each [`ChangeKind`] decides its class ([`ChangeKind::is_breaking`]); the
/// one kind whose class depends on the field is [`ChangeKind::FieldAdded`].
/// `non_empty` counts as `length(min = 1)`, so trading one for the other is
/// no tightening.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PlanDiff {
    pub(crate) changes: Vec<PlanChange>,
    pub(crate) versions: Vec<EventVersions>,
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

impl TrackingPlan {
    /// The changes from `old` to `new`, each classified breaking or compatible.
    pub fn diff(old: &TrackingPlan, new: &TrackingPlan) -> PlanDiff {
        compare::plans(old, new)
    }
}
