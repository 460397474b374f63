//! The snapshot guard (`analytics_core::testing`): fails on a breaking change
//! whose event version was not raised, passes with a raised version, creates,
//! updates and refuses snapshots as documented. Plans are built from
//! hand-made `'static` `EventSchema` values; files live in a temp folder.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use analytics_core::testing::{
    assert_plan_compatible_with, PlanSnapshot, SnapshotError, SnapshotOutcome,
};
use analytics_core::{EventSchema, FieldSchema, FieldType, IntegerKind, Rule, TrackingPlan};

const COUNT_V1: FieldSchema = FieldSchema {
    name: "count",
    rust_path: "count",
    ty: FieldType::Integer(IntegerKind::U32),
    required: true,
    nullable: false,
    description: "How many.",
    rules: &[],
    pii: false,
    deprecated: None,
    identity: None,
};

const LABEL: FieldSchema = FieldSchema {
    name: "label",
    rust_path: "label",
    ty: FieldType::String,
    required: true,
    nullable: true,
    description: "A label.",
    rules: &[Rule::Length {
        min: None,
        max: Some(10),
    }],
    pii: true,
    deprecated: None,
    identity: None,
};

/// `count` became a string: breaking.
const COUNT_AS_STRING: FieldSchema = FieldSchema {
    ty: FieldType::String,
    ..COUNT_V1
};

static V1_FIELDS: [FieldSchema; 2] = [COUNT_V1, LABEL];
static STRING_FIELDS: [FieldSchema; 2] = [COUNT_AS_STRING, LABEL];
static ONLY_COUNT: [FieldSchema; 1] = [COUNT_V1];

static THING_V1: EventSchema = EventSchema {
    name: "thing_happened",
    version: 1,
    description: "A thing happened.",
    fields: &V1_FIELDS,
    rust_type: "ThingHappened",
    envelope: &[],
    checks: &[],
    write_only: false,
};

/// A breaking change, version not raised.
static THING_BROKEN: EventSchema = EventSchema {
    fields: &STRING_FIELDS,
    ..THING_V1
};

/// The same breaking change, version raised.
static THING_V2: EventSchema = EventSchema {
    version: 2,
    fields: &STRING_FIELDS,
    ..THING_V1
};

/// `label` removed and the description changed.
static THING_NO_LABEL: EventSchema = EventSchema {
    fields: &ONLY_COUNT,
    ..THING_V1
};

/// A compatible change: the description.
static THING_REWORDED: EventSchema = EventSchema {
    description: "Something happened.",
    ..THING_V1
};

static OTHER: EventSchema = EventSchema {
    name: "other_happened",
    version: 1,
    description: "",
    fields: &ONLY_COUNT,
    rust_type: "OtherHappened",
    envelope: &[],
    checks: &[],
    write_only: false,
};

fn plan(events: &[&EventSchema]) -> TrackingPlan {
    TrackingPlan::from_events(events)
}

/// A temp folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn join(&self, path: &str) -> PathBuf {
        self.0.join(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh temp folder for one test.
fn temp_dir() -> TempDir {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "analytics-plan-guard-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

/// A snapshot of the v1 plan, committed.
fn committed() -> (TempDir, PathBuf) {
    let dir = temp_dir();
    let path = dir.join("plan.json");
    std::fs::write(&path, plan(&[&THING_V1, &OTHER]).to_json()).unwrap();
    (dir, path)
}

fn local(path: &PathBuf, plan: TrackingPlan) -> PlanSnapshot {
    PlanSnapshot::new(path).plan(plan).update(false).ci(false)
}

#[test]
fn breaking_change_without_version_bump_fails() {
    let (_dir, path) = committed();
    let before = std::fs::read_to_string(&path).unwrap();
    for ci in [false, true] {
        let error = local(&path, plan(&[&THING_BROKEN, &OTHER]))
            .ci(ci)
            .check()
            .unwrap_err();
        let SnapshotError::Breaking { diff, .. } = &error else {
            panic!("{error}")
        };
        assert_eq!(diff.unacknowledged_breaking_changes().len(), 1);
        let message = error.to_string();
        assert!(
            message
                .contains("[breaking] thing_happened.count: type changed: integer (u32) -> string"),
            "{message}"
        );
        assert!(message.contains("ANALYTICS_PLAN_UPDATE=1"), "{message}");
    }
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "untouched");
}

#[test]
fn breaking_change_with_version_bump_passes() {
    let (_dir, path) = committed();
    // In CI: passes, leaves the file alone.
    let outcome = local(&path, plan(&[&THING_V2, &OTHER]))
        .ci(true)
        .check()
        .unwrap();
    let SnapshotOutcome::Stale(diff) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(diff.is_breaking());
    assert!(diff.unacknowledged_breaking_changes().is_empty());
    assert_eq!(
        TrackingPlan::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap(),
        plan(&[&THING_V1, &OTHER])
    );
    // Locally: passes and records the new plan, so the next check compares
    // against version 2.
    let outcome = local(&path, plan(&[&THING_V2, &OTHER])).check().unwrap();
    assert!(
        matches!(outcome, SnapshotOutcome::Updated(_)),
        "{outcome:?}"
    );
    assert_eq!(
        TrackingPlan::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap(),
        plan(&[&THING_V2, &OTHER])
    );
    assert_eq!(
        local(&path, plan(&[&THING_V2, &OTHER])).check().unwrap(),
        SnapshotOutcome::Unchanged
    );
}

#[test]
fn compatible_change_passes() {
    let (_dir, path) = committed();
    let outcome = local(&path, plan(&[&THING_REWORDED, &OTHER]))
        .check()
        .unwrap();
    let SnapshotOutcome::Updated(diff) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(!diff.is_breaking());
    assert_eq!(diff.changes().len(), 1);
    // Adding an event is compatible too.
    let (_dir, path) = committed();
    let mut fewer = path.clone();
    fewer.set_file_name("fewer.json");
    std::fs::write(&fewer, plan(&[&THING_V1]).to_json()).unwrap();
    assert!(local(&fewer, plan(&[&THING_V1, &OTHER])).check().is_ok());
}

#[test]
fn removed_field_and_removed_event_need_an_update() {
    let (_dir, path) = committed();
    assert!(matches!(
        local(&path, plan(&[&THING_NO_LABEL, &OTHER])).check(),
        Err(SnapshotError::Breaking { .. })
    ));
    // A removed event has no version to raise: only an update accepts it.
    let error = local(&path, plan(&[&THING_V1])).check().unwrap_err();
    assert!(error.to_string().contains("event removed"), "{error}");
    let outcome = local(&path, plan(&[&THING_V1]))
        .update(true)
        .check()
        .unwrap();
    assert!(matches!(outcome, SnapshotOutcome::Updated(ref diff) if diff.is_breaking()));
    assert_eq!(
        TrackingPlan::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap(),
        plan(&[&THING_V1])
    );
}

#[test]
fn update_accepts_breaking_changes_and_rewrites() {
    let (_dir, path) = committed();
    let outcome = local(&path, plan(&[&THING_BROKEN, &OTHER]))
        .update(true)
        .ci(true)
        .check()
        .unwrap();
    assert!(matches!(outcome, SnapshotOutcome::Updated(_)));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        plan(&[&THING_BROKEN, &OTHER]).to_json()
    );
}

#[test]
fn missing_snapshot_is_created_locally_and_fails_in_ci() {
    let dir = temp_dir();
    let path = dir.join("nested/plan.json");
    let error = local(&path, plan(&[&THING_V1]))
        .ci(true)
        .check()
        .unwrap_err();
    assert!(matches!(error, SnapshotError::Missing { .. }), "{error}");
    assert!(!path.exists());
    assert_eq!(
        local(&path, plan(&[&THING_V1])).check().unwrap(),
        SnapshotOutcome::Created
    );
    assert_eq!(
        TrackingPlan::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap(),
        plan(&[&THING_V1])
    );
}

#[test]
fn invalid_snapshot_is_an_error_unless_updating() {
    let (_dir, path) = committed();
    std::fs::write(&path, "{ not json").unwrap();
    let error = local(&path, plan(&[&THING_V1])).check().unwrap_err();
    assert!(matches!(error, SnapshotError::Invalid { .. }), "{error}");
    assert!(local(&path, plan(&[&THING_V1]))
        .update(true)
        .check()
        .is_ok());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        plan(&[&THING_V1]).to_json()
    );
}

#[test]
fn markdown_is_kept_next_to_the_json() {
    let (dir, path) = committed();
    let markdown = dir.join("plan.md");
    local(&path, plan(&[&THING_V1, &OTHER]))
        .markdown(&markdown)
        .check()
        .unwrap();
    let text = std::fs::read_to_string(&markdown).unwrap();
    assert_eq!(text, plan(&[&THING_V1, &OTHER]).to_markdown());
    assert!(
        text.contains("| `label` | string or null | yes | `length(max = 10)` | yes | A label. |")
    );
    // CI leaves a stale Markdown file alone (and does not fail).
    local(&path, plan(&[&THING_REWORDED, &OTHER]))
        .markdown(&markdown)
        .ci(true)
        .check()
        .unwrap();
    assert_eq!(std::fs::read_to_string(&markdown).unwrap(), text);
}

#[test]
#[should_panic(expected = "breaking change")]
fn assert_panics_with_the_report() {
    let (_dir, path) = committed();
    // `update(false)`: the test holds even under ANALYTICS_PLAN_UPDATE=1.
    local(&path, plan(&[&THING_BROKEN, &OTHER])).assert();
}

#[test]
fn assert_helper_passes_with_a_bump() {
    let (_dir, path) = committed();
    assert_plan_compatible_with(&plan(&[&THING_V2, &OTHER]), &path);
}
