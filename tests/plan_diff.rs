//! `TrackingPlan::diff`: every change class, classified breaking or compatible,
//! on edits of the committed Codex plan.

use analytics_core::plan::{ChangeKind, PlanEnumValue, PlanField, PlanRule, PlanType};
use analytics_core::{Bound, IntegerKind, PlanDiff, TrackingPlan};
use codex_analytics::ToolItemEvent;

const COMMAND: &str = "codex_command_execution_event";
const COLLAB: &str = "codex_collab_agent_tool_call_event";

fn codex_plan() -> TrackingPlan {
    TrackingPlan::from_json(include_str!("../examples/codex/tracking-plan.json"))
        .expect("the committed plan reads back")
}

fn edit(change: impl FnOnce(&mut TrackingPlan)) -> PlanDiff {
    let old = codex_plan();
    let mut new = old.clone();
    change(&mut new);
    TrackingPlan::diff(&old, &new)
}

fn field<'a>(plan: &'a mut TrackingPlan, event: &str, name: &str) -> &'a mut PlanField {
    plan.event_mut(event)
        .unwrap()
        .field_mut(name)
        .unwrap_or_else(|| panic!("{event} has {name}"))
}

/// The diff has exactly one change, of this kind, breaking or not.
#[track_caller]
fn assert_only(diff: &PlanDiff, kind: ChangeKind, event: &str, path: Option<&str>, breaking: bool) {
    assert_eq!(diff.changes().len(), 1, "{diff}");
    let change = &diff.changes()[0];
    assert_eq!(change.kind, kind, "{diff}");
    assert_eq!(change.event, event);
    assert_eq!(change.field.as_deref(), path);
    assert_eq!(change.breaking, breaking, "{diff}");
    assert_eq!(diff.is_breaking(), breaking);
}

/// Every change has this kind and these breaking flags (one per event using a shared type).
#[track_caller]
fn assert_all(diff: &PlanDiff, kind: ChangeKind, path: &str, breaking: bool, count: usize) {
    assert_eq!(diff.changes().len(), count, "{diff}");
    for change in diff.changes() {
        assert_eq!(change.kind, kind, "{diff}");
        assert_eq!(change.field.as_deref(), Some(path));
        assert_eq!(change.breaking, breaking);
    }
}

#[test]
fn the_committed_plan_is_the_catalog_plan() {
    assert_eq!(ToolItemEvent::NAMES.len(), 7);
    let plan = TrackingPlan::from_catalog();
    assert_eq!(plan, codex_plan());
    let diff = TrackingPlan::diff(&plan, &codex_plan());
    assert!(diff.changes().is_empty());
    assert!(!diff.is_breaking());
    assert_eq!(diff.to_string(), "tracking plan: no changes");
}

#[test]
fn event_removed_is_breaking_and_added_is_not() {
    let removed = edit(|plan| plan.events.retain(|event| event.name != COMMAND));
    assert_only(&removed, ChangeKind::EventRemoved, COMMAND, None, true);
    assert_eq!(removed.versions(COMMAND), (Some(1), None));

    let old = codex_plan();
    let mut smaller = old.clone();
    smaller.events.retain(|event| event.name != COMMAND);
    let added = TrackingPlan::diff(&smaller, &old);
    assert_only(&added, ChangeKind::EventAdded, COMMAND, None, false);
}

#[test]
fn field_removed_is_breaking() {
    let diff = edit(|plan| {
        plan.event_mut(COMMAND)
            .unwrap()
            .fields
            .retain(|field| field.name != "exit_code")
    });
    assert_only(
        &diff,
        ChangeKind::FieldRemoved,
        COMMAND,
        Some("exit_code"),
        true,
    );
}

#[test]
fn nested_field_removed_is_breaking_everywhere_the_object_is_used() {
    let diff = edit(|plan| {
        for event in &mut plan.events {
            if let PlanType::Object(object) = &mut event.field_mut("app_server_client").unwrap().ty
            {
                std::sync::Arc::make_mut(object)
                    .fields
                    .retain(|field| field.name != "client_name");
            }
        }
    });
    assert_all(
        &diff,
        ChangeKind::FieldRemoved,
        "app_server_client.client_name",
        true,
        7,
    );
}

#[test]
fn field_added_optional_is_compatible_and_required_is_breaking() {
    let new_field = |nullable: bool, required: bool| PlanField {
        name: "new_count".into(),
        rust_path: "new_count".into(),
        ty: PlanType::Integer(IntegerKind::U64),
        required,
        nullable,
        description: "A new count.".into(),
        rules: Vec::new(),
        pii: false,
        deprecated: None,
        identity: None,
    };
    for (nullable, required, breaking) in [
        (true, true, false),
        (false, false, false),
        (false, true, true),
    ] {
        let diff = edit(|plan| {
            plan.event_mut(COMMAND)
                .unwrap()
                .fields
                .push(new_field(nullable, required))
        });
        assert_only(
            &diff,
            ChangeKind::FieldAdded,
            COMMAND,
            Some("new_count"),
            breaking,
        );
    }
}

#[test]
fn type_changed_is_breaking() {
    let diff =
        edit(|plan| field(plan, COMMAND, "command_total_action_count").ty = PlanType::String);
    assert_only(
        &diff,
        ChangeKind::TypeChanged,
        COMMAND,
        Some("command_total_action_count"),
        true,
    );
    assert_eq!(diff.changes()[0].detail, "integer (u64) -> string");

    // Even a widening: a consumer may store the old width.
    let widened =
        edit(|plan| field(plan, COMMAND, "exit_code").ty = PlanType::Integer(IntegerKind::I64));
    assert_only(
        &widened,
        ChangeKind::TypeChanged,
        COMMAND,
        Some("exit_code"),
        true,
    );

    // Items of an array.
    let items = edit(|plan| {
        field(plan, COLLAB, "receiver_thread_ids").ty =
            PlanType::Array(Box::new(PlanType::Integer(IntegerKind::U64)))
    });
    assert_only(
        &items,
        ChangeKind::TypeChanged,
        COLLAB,
        Some("receiver_thread_ids[]"),
        true,
    );
}

#[test]
fn optional_to_required_is_breaking_and_back_is_compatible() {
    let old = {
        let mut plan = codex_plan();
        field(&mut plan, COMMAND, "exit_code").required = false;
        plan
    };
    let new = codex_plan();
    assert_only(
        &TrackingPlan::diff(&old, &new),
        ChangeKind::BecameRequired,
        COMMAND,
        Some("exit_code"),
        true,
    );
    assert_only(
        &TrackingPlan::diff(&new, &old),
        ChangeKind::BecameOptional,
        COMMAND,
        Some("exit_code"),
        false,
    );
}

#[test]
fn nullable_to_non_null_is_breaking_and_back_is_compatible() {
    let diff = edit(|plan| field(plan, COMMAND, "exit_code").nullable = false);
    assert_only(
        &diff,
        ChangeKind::BecameNonNullable,
        COMMAND,
        Some("exit_code"),
        true,
    );
    let diff = edit(|plan| field(plan, COMMAND, "command_total_action_count").nullable = true);
    assert_only(
        &diff,
        ChangeKind::BecameNullable,
        COMMAND,
        Some("command_total_action_count"),
        false,
    );
}

fn edit_enum(
    plan: &mut TrackingPlan,
    event: &str,
    name: &str,
    change: impl FnOnce(&mut Vec<PlanEnumValue>),
) {
    match &mut field(plan, event, name).ty {
        PlanType::Enum(schema) => change(&mut schema.values),
        other => panic!("{name} is {other}"),
    }
}

#[test]
fn enum_value_removed_is_breaking_and_added_is_not() {
    let diff = edit(|plan| {
        edit_enum(plan, COMMAND, "command_execution_source", |values| {
            values.retain(|value| value.name != "userShell")
        })
    });
    assert_only(
        &diff,
        ChangeKind::EnumValueRemoved,
        COMMAND,
        Some("command_execution_source"),
        true,
    );
    assert!(diff.changes()[0].detail.contains("\"userShell\""));

    let diff = edit(|plan| {
        edit_enum(plan, COMMAND, "terminal_status", |values| {
            values.push(PlanEnumValue {
                name: "timed_out".into(),
                description: "Ran out of time.".into(),
            })
        })
    });
    assert_only(
        &diff,
        ChangeKind::EnumValueAdded,
        COMMAND,
        Some("terminal_status"),
        false,
    );
}

#[test]
fn enum_value_in_a_nested_object() {
    let diff = edit(|plan| {
        if let PlanType::Object(object) = &mut field(plan, COMMAND, "app_server_client").ty {
            if let PlanType::Enum(schema) = &mut std::sync::Arc::make_mut(object).fields[3].ty {
                schema.values.retain(|value| value.name != "stdio");
            }
        }
    });
    assert_only(
        &diff,
        ChangeKind::EnumValueRemoved,
        COMMAND,
        Some("app_server_client.rpc_transport"),
        true,
    );
}

#[track_caller]
fn assert_rules(old: Vec<PlanRule>, new: Vec<PlanRule>, expected: Option<ChangeKind>) {
    let mut before = codex_plan();
    field(&mut before, COLLAB, "requested_model").rules = old;
    let mut after = codex_plan();
    field(&mut after, COLLAB, "requested_model").rules = new;
    let diff = TrackingPlan::diff(&before, &after);
    match expected {
        None => assert!(diff.changes().is_empty(), "{diff}"),
        Some(kind) => assert_only(
            &diff,
            kind,
            COLLAB,
            Some("requested_model"),
            kind == ChangeKind::RuleTightened,
        ),
    }
}

fn length(min: Option<u64>, max: Option<u64>) -> PlanRule {
    PlanRule::Length { min, max }
}

fn one_of(values: &[&str]) -> PlanRule {
    PlanRule::OneOf(values.iter().map(|value| value.to_string()).collect())
}

#[test]
fn rule_tightened_is_breaking() {
    use ChangeKind::RuleTightened as T;
    // Length bounds narrowed, on either side.
    assert_rules(
        vec![length(Some(1), Some(10))],
        vec![length(Some(2), Some(10))],
        Some(T),
    );
    assert_rules(
        vec![length(Some(1), Some(10))],
        vec![length(Some(1), Some(9))],
        Some(T),
    );
    // A new bound, a new rule.
    assert_rules(
        vec![length(None, Some(10))],
        vec![length(Some(1), Some(10))],
        Some(T),
    );
    assert_rules(vec![], vec![PlanRule::NonEmpty], Some(T));
    assert_rules(
        vec![],
        vec![PlanRule::Custom("checks::model".into())],
        Some(T),
    );
    // Pattern changed or added.
    assert_rules(
        vec![PlanRule::Pattern("^gpt".into())],
        vec![PlanRule::Pattern("^o[0-9]".into())],
        Some(T),
    );
    assert_rules(vec![], vec![PlanRule::Pattern("^gpt".into())], Some(T));
    // one_of value removed, or a one_of where there was none.
    assert_rules(vec![one_of(&["a", "b"])], vec![one_of(&["a"])], Some(T));
    assert_rules(
        vec![one_of(&["a", "b"])],
        vec![one_of(&["a", "c"])],
        Some(T),
    );
    assert_rules(vec![], vec![one_of(&["a"])], Some(T));

    // Range narrowed, on the Codex exit code.
    let diff = edit(|plan| {
        field(plan, COMMAND, "exit_code").rules = vec![PlanRule::Range {
            min: Some(Bound::Int(0)),
            max: Some(Bound::Int(255)),
        }]
    });
    assert_only(&diff, T, COMMAND, Some("exit_code"), true);
    assert_eq!(
        diff.changes()[0].detail,
        "range(min = -1, max = 255) -> range(min = 0, max = 255)"
    );
}

#[test]
fn rule_loosened_is_compatible() {
    use ChangeKind::RuleLoosened as L;
    assert_rules(
        vec![length(Some(2), Some(10))],
        vec![length(Some(1), Some(10))],
        Some(L),
    );
    assert_rules(
        vec![length(Some(1), Some(10))],
        vec![length(Some(1), None)],
        Some(L),
    );
    assert_rules(vec![PlanRule::NonEmpty], vec![], Some(L));
    assert_rules(vec![PlanRule::Pattern("^gpt".into())], vec![], Some(L));
    assert_rules(vec![one_of(&["a"])], vec![one_of(&["a", "b"])], Some(L));
    assert_rules(vec![one_of(&["a"])], vec![], Some(L));
    assert_rules(
        vec![PlanRule::Custom("checks::model".into())],
        vec![],
        Some(L),
    );
    // Equivalent spellings are no change.
    assert_rules(vec![PlanRule::NonEmpty], vec![length(Some(1), None)], None);
    assert_rules(vec![one_of(&["a", "b"])], vec![one_of(&["b", "a"])], None);

    let diff = edit(|plan| {
        field(plan, COMMAND, "exit_code").rules = vec![PlanRule::Range {
            min: Some(Bound::Int(-1)),
            max: Some(Bound::Int(1000)),
        }]
    });
    assert_only(&diff, L, COMMAND, Some("exit_code"), false);
}

#[test]
fn descriptions_versions_pii_and_deprecation_are_compatible() {
    let diff = edit(|plan| plan.event_mut(COMMAND).unwrap().description = "Something else.".into());
    assert_only(&diff, ChangeKind::DescriptionChanged, COMMAND, None, false);

    let diff = edit(|plan| field(plan, COMMAND, "exit_code").description = "The exit code.".into());
    assert_only(
        &diff,
        ChangeKind::DescriptionChanged,
        COMMAND,
        Some("exit_code"),
        false,
    );

    let diff = edit(|plan| {
        edit_enum(plan, COMMAND, "command_execution_source", |values| {
            values[0].description = "An agent.".into()
        })
    });
    assert_only(
        &diff,
        ChangeKind::DescriptionChanged,
        COMMAND,
        Some("command_execution_source"),
        false,
    );

    let diff = edit(|plan| plan.event_mut(COMMAND).unwrap().version = 2);
    assert_only(&diff, ChangeKind::VersionChanged, COMMAND, None, false);
    assert_eq!(diff.changes()[0].detail, "1 -> 2");
    assert!(diff.version_raised(COMMAND));

    let diff = edit(|plan| field(plan, COMMAND, "thread_id").pii = true);
    assert_only(
        &diff,
        ChangeKind::PiiChanged,
        COMMAND,
        Some("thread_id"),
        false,
    );

    let diff = edit(|plan| field(plan, COMMAND, "tool_name").deprecated = Some("use tool".into()));
    assert_only(
        &diff,
        ChangeKind::DeprecationChanged,
        COMMAND,
        Some("tool_name"),
        false,
    );
}

#[test]
fn rust_names_and_field_order_are_no_change() {
    let diff = edit(|plan| {
        let event = plan.event_mut(COMMAND).unwrap();
        event.rust_type = "Renamed".into();
        event.fields.reverse();
        for field in &mut event.fields {
            field.rust_path = format!("moved.{}", field.name);
            if let PlanType::Enum(schema) = &mut field.ty {
                schema.name = format!("{}Renamed", schema.name);
            }
        }
    });
    assert!(diff.changes().is_empty(), "{diff}");
}

#[test]
fn the_report_lists_every_change_by_event() {
    let diff = edit(|plan| {
        field(plan, COMMAND, "exit_code").ty = PlanType::String;
        plan.event_mut(COMMAND).unwrap().version = 2;
        field(plan, COLLAB, "requested_model").description = "Model.".into();
        plan.events
            .retain(|event| event.name != "codex_web_search_event");
    });
    assert!(diff.is_breaking());
    assert_eq!(diff.breaking_changes().count(), 2);
    // The removed event cannot be acknowledged by a version; the type change can.
    let unacknowledged = diff.unacknowledged_breaking_changes();
    assert_eq!(unacknowledged.len(), 1);
    assert_eq!(unacknowledged[0].kind, ChangeKind::EventRemoved);
    let report = diff.to_string();
    let expected = "\
tracking plan: 4 changes, 2 breaking
  codex_collab_agent_tool_call_event (version 1):
    compatible requested_model: description changed: \"The model requested for a spawned agent.\" -> \"Model.\"
  codex_command_execution_event (version 1 -> 2):
    compatible version changed: 1 -> 2
    breaking   exit_code: type changed: integer (i32) -> string
  codex_web_search_event (removed, was version 1):
    breaking   event removed: was version 1
";
    assert_eq!(report, expected);
    assert_eq!(
        unacknowledged[0].to_string(),
        "[breaking] codex_web_search_event: event removed: was version 1"
    );
}

#[test]
fn from_json_rejects_bad_input_without_panicking() {
    for input in [
        "",
        "null",
        "{\"events\": 3}",
        "{\"events\": [{\"name\": 1, \"version\": 1}]}",
        "{\"events\": [{\"name\": \"a\", \"version\": -1}]}",
        "{\"events\": [{\"name\": \"a\", \"version\": 4294967296}]}",
        "{\"events\": [{\"name\": \"a\", \"version\": 1, \"fields\": [{\"name\": \"x\", \"type\": {\"enum\": \"E\"}}]}]}",
        "{\"events\": [{\"name\": \"a\", \"version\": 1, \"fields\": [{\"name\": \"x\", \"type\": {\"array\": \"string\", \"x\": 1}}]}]}",
        "{\"events\": [{\"name\": \"a\", \"version\": 1, \"fields\": [{\"name\": \"x\", \"type\": \"string\", \"rules\": [\"bogus\"]}]}]}",
        "{\"events\": [{\"name\": \"a\", \"version\": 1, \"fields\": [{\"name\": \"x\", \"type\": \"string\", \"pii\": \"yes\"}]}]}",
    ] {
        let error = TrackingPlan::from_json(input).expect_err(input);
        assert!(!error.to_string().is_empty());
    }
    // Truncations of a real plan: errors, never panics.
    let json = codex_plan().to_json();
    for cut in (0..json.len()).step_by(997) {
        if json.is_char_boundary(cut) {
            assert!(TrackingPlan::from_json(&json[..cut]).is_err());
        }
    }
}

#[test]
fn json_is_stable_and_round_trips() {
    let plan = TrackingPlan::from_catalog();
    let json = plan.to_json();
    assert_eq!(
        json,
        include_str!("../examples/codex/tracking-plan.json").replace("\r\n", "\n")
    );
    let back = TrackingPlan::from_json(&json).unwrap();
    assert_eq!(back, plan);
    assert_eq!(back.to_json(), json);
    // Order of events in the input does not matter.
    let mut value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["events"].as_array_mut().unwrap().reverse();
    assert_eq!(TrackingPlan::from_json(&value.to_string()).unwrap(), plan);
}

#[test]
fn markdown_has_an_index_and_a_table_per_event() {
    let markdown = TrackingPlan::from_catalog().to_markdown();
    assert!(markdown.starts_with("# Tracking plan\n"));
    assert!(markdown.contains(
        "| [`codex_command_execution_event`](#codex_command_execution_event) | 1 | A shell command that the agent (or the user) ran. |"
    ));
    assert!(markdown.contains("\n## `codex_command_execution_event`\n"));
    assert!(markdown.contains("| Field | Type | Required | Rules | PII | Description |"));
    assert!(markdown.contains(
        "| `exit_code` | integer (i32) or null | yes | `range(min = -1, max = 255)` |  | Exit code; `None` when the command did not run to completion. |"
    ));
    assert!(markdown.contains(
        "| `app_server_client.rpc_transport` | enum [`RpcTransport`](#enum-rpctransport) | yes |  |  | How the client talks to the app server. |"
    ));
    assert!(markdown.contains("\n### Enum `RpcTransport`\n"));
    assert!(markdown.contains("| `in_process` | The client is linked into the same process. |"));
    assert_eq!(
        markdown,
        include_str!("../examples/codex/tracking-plan.md").replace("\r\n", "\n")
    );
    // Every table row has as many cells as its header.
    for line in markdown.lines().filter(|line| line.starts_with("| `")) {
        let cells = line.replace("\\|", "").matches('|').count();
        assert!(cells == 7 || cells == 3, "{line}");
    }
}
