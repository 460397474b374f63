//! The mapping of rules and nullable types.

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
        identity: None,
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
