//! Round trips and errors of the plan's JSON document.

use std::sync::Arc;

use super::*;
use crate::schema::{Bound, IntegerKind};

fn sample() -> TrackingPlan {
    let status = PlanEnum {
        name: "Status".into(),
        description: "How it ended.".into(),
        values: vec![
            PlanEnumValue {
                name: "ok".into(),
                description: "Fine.".into(),
            },
            PlanEnumValue {
                name: "failed".into(),
                description: String::new(),
            },
        ],
    };
    let client = PlanObject {
        name: "Client".into(),
        description: "The client.".into(),
        fields: vec![field("id", PlanType::String, vec![PlanRule::NonEmpty])],
        checks: Vec::new(),
    };
    let mut nullable_status = field("status", PlanType::Enum(status), vec![]);
    nullable_status.nullable = true;
    TrackingPlan::from_plan_events(vec![PlanEvent {
        name: "thing_done".into(),
        version: 3,
        description: "A \"thing\"\nwas done.".into(),
        rust_type: "ThingDone".into(),
        fields: vec![
            field("client", PlanType::Object(Arc::new(client)), vec![]),
            nullable_status,
            field(
                "count",
                PlanType::Integer(IntegerKind::I128),
                vec![PlanRule::Range {
                    min: Some(Bound::Int(i128::MIN)),
                    max: Some(Bound::Float(2.5)),
                }],
            ),
            field(
                "tags",
                PlanType::Array(Box::new(PlanType::Nullable(Box::new(PlanType::String)))),
                vec![
                    PlanRule::Length {
                        min: Some(1),
                        max: None,
                    },
                    PlanRule::Custom("check::tags".into()),
                ],
            ),
            field(
                "mode",
                PlanType::String,
                vec![
                    PlanRule::OneOf(vec!["a".into(), "b".into()]),
                    PlanRule::Pattern("^[a-z|]+$".into()),
                ],
            ),
        ],
        envelope: Vec::new(),
        checks: Vec::new(),
        write_only: false,
    }])
}

fn field(name: &str, ty: PlanType, rules: Vec<PlanRule>) -> PlanField {
    PlanField {
        name: name.into(),
        rust_path: name.into(),
        ty,
        required: true,
        nullable: false,
        description: format!("The {name}."),
        rules,
        pii: name == "client",
        deprecated: (name == "mode").then(|| "use kind".to_owned()),
        identity: None,
    }
}

#[test]
fn json_round_trips() {
    let plan = sample();
    let json = plan.to_json();
    let back = TrackingPlan::from_json(&json).unwrap();
    // i128::MIN does not fit serde_json's numbers: it reads back as a float.
    let mut expected = plan.clone();
    expected.events[0].fields[2].rules[0] = PlanRule::Range {
        min: Some(Bound::Float(i128::MIN as f64)),
        max: Some(Bound::Float(2.5)),
    };
    assert_eq!(back, expected);
    assert_eq!(back.to_json(), expected.to_json());
    assert!(json.starts_with("{\n  \"format_version\": 1,\n  \"events\": [\n"));
}

#[test]
fn same_name_different_types_get_distinct_keys() {
    let mut plan = sample();
    let mut other = plan.events[0].clone();
    other.name = "other_thing".into();
    if let PlanType::Object(object) = &mut other.fields[0].ty {
        Arc::make_mut(object).description = "Another client.".into();
    }
    plan.events.push(other);
    let json = plan.to_json();
    assert!(json.contains("\"Client_2\""), "{json}");
    assert_eq!(TrackingPlan::from_json(&json).unwrap().events.len(), 2);
}

#[test]
fn bad_input_is_an_error() {
    for (input, expected) in [
        ("", "invalid JSON"),
        ("[]", "expected a tracking plan (a JSON object)"),
        ("{}", "missing field `events`"),
        (
            r#"{"events": [{"name": "a"}]}"#,
            "events[0]: missing field `version`",
        ),
        (
            r#"{"events": [{"name": "a", "version": 1, "fields": [{"name": "x", "type": "strng"}]}]}"#,
            "events[0].fields[0].type: unknown variant `strng`",
        ),
        (
            r#"{"events": [{"name": "a", "version": 1, "fields": [{"name": "x", "type": {"object": "O"}}]}]}"#,
            "no object \"O\"",
        ),
        (
            r#"{"events": [{"name": "a", "version": 1, "fields": [{"name": "x", "type": {"object": "O"}}]}],
               "objects": {"O": {"fields": [{"name": "y", "type": {"object": "O"}}]}}}"#,
            "contains itself",
        ),
        (
            r#"{"events": [{"name": "a", "version": 1, "fields": [{"name": "x", "type": "string", "rules": [{"range": {"min": "1"}}]}]}]}"#,
            "events[0].fields[0].rules[0].range.min: invalid type: string \"1\", expected a number",
        ),
        (
            r#"{"format_version": 99, "events": []}"#,
            "unsupported format version",
        ),
    ] {
        let error = TrackingPlan::from_json(input).unwrap_err();
        assert!(
            error.to_string().contains(expected),
            "{input}: {error} should contain {expected}"
        );
    }
}
