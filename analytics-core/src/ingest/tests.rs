use super::*;
use crate::plan::{
    PlanEnum, PlanEnumValue, PlanEvent, PlanField, PlanObject, PlanRule, PlanType, PlanUnion,
    PlanVariant, PlanVariantShape,
};
use crate::schema::Tagging;
use crate::schema::{Bound, IntegerKind};
use serde_json::value::RawValue;
use std::sync::Arc;

fn field(name: &str, ty: PlanType, rules: Vec<PlanRule>) -> PlanField {
    PlanField {
        name: name.to_owned(),
        rust_path: name.to_owned(),
        ty,
        required: true,
        nullable: false,
        description: String::new(),
        rules,
        pii: false,
        deprecated: None,
        identity: None,
    }
}

fn plan() -> TrackingPlan {
    let mut base_id = field("id", PlanType::String, vec![PlanRule::NonEmpty]);
    base_id.rust_path = "base.id".to_owned();
    let mut maybe = field("maybe", PlanType::Integer(IntegerKind::U8), vec![]);
    maybe.nullable = true;
    maybe.required = false;
    let inner = PlanObject {
        name: "Inner".to_owned(),
        description: String::new(),
        fields: vec![field(
            "code",
            PlanType::String,
            vec![PlanRule::Pattern("^[a-z]+$".to_owned())],
        )],
        checks: vec![],
    };
    let color = PlanEnum {
        name: "Color".to_owned(),
        description: String::new(),
        values: ["red", "blue"]
            .map(|name| PlanEnumValue {
                name: name.to_owned(),
                description: String::new(),
            })
            .into(),
    };
    TrackingPlan::from_plan_events(vec![PlanEvent {
        name: "thing".to_owned(),
        version: 2,
        description: String::new(),
        rust_type: "Thing".to_owned(),
        envelope: vec![],
        checks: vec!["checks::thing".to_owned()],
        write_only: false,
        fields: vec![
            base_id,
            field(
                "count",
                PlanType::Integer(IntegerKind::I32),
                vec![PlanRule::Range {
                    min: Some(Bound::Int(-1)),
                    max: Some(Bound::Int(255)),
                }],
            ),
            maybe,
            field("color", PlanType::Enum(color), vec![]),
            field(
                "tags",
                PlanType::Array(Box::new(PlanType::Object(inner.into()))),
                vec![PlanRule::Length {
                    min: None,
                    max: Some(2),
                }],
            ),
            field(
                "note",
                PlanType::String,
                vec![PlanRule::Custom("checks::note".to_owned())],
            ),
        ],
    }])
}

fn errors(json: &str) -> (FailureReason, Vec<(String, String)>) {
    let validator = PlanValidator::new(&plan()).unwrap();
    let failed = validator.check_event(json.as_bytes(), 0).unwrap_err();
    let found = failed
        .errors
        .iter()
        .map(|error| (error.path.clone(), error.rule.clone()))
        .collect();
    (failed.reason, found)
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(path, rule)| (path.to_string(), rule.to_string()))
        .collect()
}

#[test]
fn a_valid_event_in_either_key_order_is_accepted() {
    let validator = PlanValidator::new(&plan()).unwrap();
    let params = r#"{"id":"a","count":3,"color":"red","tags":[{"code":"x"}],"note":""}"#;
    for json in [
        format!(r#"{{"event_type":"thing","event_params":{params}}}"#),
        format!(r#"{{"event_params":{params},"event_type":"thing"}}"#),
        format!(r#"{{"event_type":"thing","event_version":2,"event_params":{params}}}"#),
        format!(r#"{{"type":"track","event":"thing","properties":{params},"messageId":"m-1"}}"#),
    ] {
        let accepted = validator.check_event(json.as_bytes(), 0).unwrap();
        assert_eq!(accepted.event_type, "thing", "{json}");
    }
}

#[test]
fn rules_report_rust_paths_and_the_shared_messages() {
    let json = r#"{"event_type":"thing","event_params":{"id":"","count":300,"color":"red","tags":[{"code":"X"},{"code":"y"},{"code":"z"}],"note":""}}"#;
    let validator = PlanValidator::new(&plan()).unwrap();
    let failed = validator.check_event(json.as_bytes(), 0).unwrap_err();
    assert_eq!(failed.reason, FailureReason::RuleViolation);
    let lines: Vec<String> = failed
        .errors
        .iter()
        .map(|e| format!("{} {} {}", e.path, e.rule, e.message))
        .collect();
    assert_eq!(
        lines,
        [
            "base.id non_empty must not be empty",
            "count range must be between -1 and 255 (got 300)",
            "tags length must have at most 2 items (got 3)",
            "tags[0].code pattern must match the pattern \"^[a-z]+$\"",
        ]
    );
}

#[test]
fn schema_violations_are_every_one_reported() {
    let (reason, found) = errors(
        r#"{"event_type":"thing","event_params":{"id":null,"count":1.5,"maybe":300,"color":"green","tags":{},"extra":1}}"#,
    );
    assert_eq!(reason, FailureReason::SchemaViolation);
    assert_eq!(
        found,
        pairs(&[
            ("base.id", "type"),
            ("count", "type"),
            ("maybe", "type"),
            ("color", "enum"),
            ("tags", "type"),
            ("extra", "unknown_key"),
            ("note", "required"),
        ])
    );
}

#[test]
fn envelopes_and_versions_are_checked() {
    let (reason, found) = errors(
        r#"{"event_type":"thing","event_version":1,"x":1,"event_params":{"id":"a","count":1,"color":"red","tags":[],"note":""}}"#,
    );
    assert_eq!(reason, FailureReason::SchemaViolation);
    assert_eq!(
        found,
        pairs(&[("x", "unknown_key"), ("event_version", "version")])
    );
    assert_eq!(
        errors(r#"{"event_type":"nope","event_params":{}}"#).0,
        FailureReason::UnknownEventType
    );
    assert_eq!(
        errors(r#"{"event_type":"thing"}"#).0,
        FailureReason::NotEnvelope
    );
    assert_eq!(errors(r#"[1,2]"#).0, FailureReason::NotEnvelope);
    assert_eq!(
        errors(r#"{"event_type":"thing","event_params":{"#).0,
        FailureReason::NotJson
    );
    assert_eq!(errors(r#"{"events":[]}"#).0, FailureReason::NotEnvelope);
}

#[test]
fn custom_rules_are_listed_as_not_checkable() {
    let validator = PlanValidator::new(&plan()).unwrap();
    assert_eq!(
        validator.not_checkable(),
        [
            NotCheckable {
                event: "thing".to_owned(),
                path: "note".to_owned(),
                rule: "custom",
                function: "checks::note".to_owned(),
            },
            NotCheckable {
                event: "thing".to_owned(),
                path: String::new(),
                rule: "check",
                function: "checks::thing".to_owned(),
            },
        ]
    );
}

#[test]
fn batches_split_into_raw_items() {
    let validator = PlanValidator::new(&plan()).unwrap();
    let body = br#"{"events":[{"a": 1}, 2 ,"x"]}"#;
    let items = validator.split_batch(body, 0).unwrap();
    let raw: Vec<&str> = items.iter().map(|item| item.get()).collect();
    assert_eq!(raw, [r#"{"a": 1}"#, "2", r#""x""#]);
    let failed = validator
        .split_batch(b"{\"event_type\":\"thing\"}", 0)
        .unwrap_err();
    assert_eq!(failed.reason, FailureReason::NotEnvelope);
    let failed = validator.split_batch(&[0xff, 0xfe], 0).unwrap_err();
    assert_eq!(failed.reason, FailureReason::NotJson);
}

fn variant(name: &str, shape: PlanVariantShape) -> PlanVariant {
    PlanVariant {
        name: name.to_owned(),
        description: String::new(),
        shape,
    }
}

/// A plan with the richer types: maps, unions in each tagging, a recursive
/// object and an envelope field.
fn rich_plan(tagging: Tagging) -> TrackingPlan {
    let union = PlanUnion {
        name: "Shape".to_owned(),
        description: String::new(),
        tagging,
        variants: vec![
            variant("none", PlanVariantShape::Unit),
            variant(
                "circle",
                PlanVariantShape::Struct(vec![field(
                    "radius",
                    PlanType::Number(64),
                    vec![PlanRule::Range {
                        min: Some(Bound::Int(0)),
                        max: None,
                    }],
                )]),
            ),
        ],
    };
    let node = PlanObject {
        name: "Node".to_owned(),
        description: String::new(),
        fields: vec![
            field("label", PlanType::String, vec![PlanRule::NonEmpty]),
            field(
                "children",
                PlanType::Array(Box::new(PlanType::Ref("Node".to_owned()))),
                vec![],
            ),
        ],
        checks: vec![],
    };
    TrackingPlan::from_plan_events(vec![PlanEvent {
        name: "rich".to_owned(),
        version: 1,
        description: String::new(),
        rust_type: "Rich".to_owned(),
        envelope: vec![field(
            "skill_id",
            PlanType::String,
            vec![PlanRule::NonEmpty],
        )],
        checks: vec![],
        write_only: false,
        fields: vec![
            field(
                "counts",
                PlanType::Map {
                    keys: None,
                    values: Box::new(PlanType::Integer(IntegerKind::U8)),
                },
                vec![],
            ),
            field("shape", PlanType::Union(Arc::new(union)), vec![]),
            field("tree", PlanType::Object(Arc::new(node)), vec![]),
            field("extra", PlanType::Any, vec![]),
        ],
    }])
}

fn rich_errors(tagging: Tagging, shape: &str, rest: &str) -> Vec<(String, String)> {
    let validator = PlanValidator::new(&rich_plan(tagging)).unwrap();
    let json = format!(
        r#"{{"event_type":"rich","skill_id":"s","event_params":{{"counts":{{"a":1}},"shape":{shape},"tree":{{"label":"r","children":[]}},"extra":[1,{{}}]{rest}}}}}"#
    );
    match validator.check_event(json.as_bytes(), 0) {
        Ok(_) => vec![],
        Err(failed) => failed
            .errors
            .iter()
            .map(|error| (error.path.clone(), error.rule.clone()))
            .collect(),
    }
}

#[test]
fn unions_are_told_apart_by_each_tagging() {
    let cases: [(Tagging, &str, &str, &str); 4] = [
        (
            Tagging::External,
            r#""none""#,
            r#"{"circle":{"radius":-1}}"#,
            r#"{"square":{}}"#,
        ),
        (
            Tagging::Internal { tag: "kind" },
            r#"{"kind":"none"}"#,
            r#"{"kind":"circle","radius":-1}"#,
            r#"{"kind":"square"}"#,
        ),
        (
            Tagging::Adjacent {
                tag: "t",
                content: "c",
            },
            r#"{"t":"none"}"#,
            r#"{"t":"circle","c":{"radius":-1}}"#,
            r#"{"t":"square","c":1}"#,
        ),
        (
            Tagging::Untagged,
            "null",
            r#"{"radius":-1}"#,
            r#"{"side":1}"#,
        ),
    ];
    for (tagging, unit, broken, unknown) in cases {
        assert_eq!(rich_errors(tagging, unit, ""), vec![], "{tagging:?}");
        assert_eq!(
            rich_errors(tagging, broken, ""),
            pairs(&[("shape.radius", "range")]),
            "{tagging:?}"
        );
        assert_eq!(
            rich_errors(tagging, unknown, ""),
            pairs(&[("shape", "variant")]),
            "{tagging:?}"
        );
    }
}

#[test]
fn maps_recursion_any_and_envelope_fields_are_checked() {
    let validator = PlanValidator::new(&rich_plan(Tagging::External)).unwrap();
    let json = r#"{"event_type":"rich","event_params":{"counts":{"a":300,"b":null},"shape":"none","tree":{"label":"r","children":[{"label":"","children":[]}]},"extra":null}}"#;
    let failed = validator.check_event(json.as_bytes(), 0).unwrap_err();
    let found: Vec<(String, String)> = failed
        .errors
        .iter()
        .map(|error| (error.path.clone(), error.rule.clone()))
        .collect();
    assert_eq!(
        found,
        pairs(&[
            ("counts[\"a\"]", "type"),
            ("counts[\"b\"]", "type"),
            ("tree.children[0].label", "non_empty"),
            ("skill_id", "required"),
        ])
    );
    let json = r#"{"skill_id":"","event_type":"rich","event_params":{"counts":{},"shape":"none","tree":{"label":"r","children":[]},"extra":{"deep":[[[]]]}}}"#;
    let failed = validator.check_event(json.as_bytes(), 0).unwrap_err();
    assert_eq!(failed.reason, FailureReason::RuleViolation);
    assert_eq!(failed.errors[0].path, "skill_id");
}

#[test]
fn a_dangling_reference_is_a_compile_error() {
    let mut plan = rich_plan(Tagging::External);
    plan.events[0].fields[0].ty = PlanType::Ref("Missing".to_owned());
    let error = PlanValidator::new(&plan).err().unwrap();
    assert_eq!(error.path, "rich.counts");
}

/// The client's opt-in `message_id_key("message_id")` (issue 12, finding 10)
/// puts the id at the top level of a reference envelope: the collector reads
/// it as the message id instead of refusing it as an unknown key.
#[test]
fn finding_10_a_message_id_key_in_the_envelope_is_the_events_id() {
    let validator = PlanValidator::new(&plan()).unwrap();
    let params = r#"{"id":"a","count":3,"color":"red","tags":[],"note":""}"#;
    let id = "0a1b2c3d-0000-4000-8000-00000000abcd";
    for json in [
        format!(r#"{{"event_type":"thing","message_id":"{id}","event_params":{params}}}"#),
        format!(r#"{{"event_params":{params},"event_type":"thing","message_id":"{id}"}}"#),
    ] {
        let accepted = validator
            .check_event(json.as_bytes(), 0)
            .unwrap_or_else(|failed| panic!("{json}: {:?}", failed.errors));
        assert_eq!(accepted.message_id.as_deref(), Some(id), "{json}");
    }
    // Not a string: still an unknown key, reported.
    let json = format!(r#"{{"event_type":"thing","message_id":7,"event_params":{params}}}"#);
    let failed = validator.check_event(json.as_bytes(), 0).unwrap_err();
    assert_eq!(failed.reason, FailureReason::SchemaViolation);
}

/// `ClientBuilder::message_id_key(K)` with a key of the producer's choosing
/// (issue 16): with `with_message_id_keys([K])` the key is the event's id and
/// not an unknown key; without it, the same envelope is a schema violation.
#[test]
fn a_custom_message_id_key_is_the_events_id() {
    let params = r#"{"id":"a","count":3,"color":"red","tags":[],"note":""}"#;
    let id = "0a1b2c3d-0000-4000-8000-00000000abcd";
    let json = format!(r#"{{"event_type":"thing","event_id":"{id}","event_params":{params}}}"#);

    let default = PlanValidator::new(&plan()).unwrap();
    assert_eq!(default.message_id_keys(), ["message_id"]);
    let failed = default.check_event(json.as_bytes(), 0).unwrap_err();
    assert_eq!(failed.reason, FailureReason::SchemaViolation);
    assert_eq!(failed.errors[0].path, "event_id");
    assert_eq!(failed.errors[0].rule, "unknown_key");

    let custom = PlanValidator::new(&plan())
        .unwrap()
        .with_message_id_keys(["event_id", "mid"]);
    for key in ["event_id", "mid"] {
        let json = json.replace("event_id", key);
        let accepted = custom
            .check_event(json.as_bytes(), 0)
            .unwrap_or_else(|failed| panic!("{json}: {:?}", failed.errors));
        assert_eq!(accepted.message_id.as_deref(), Some(id), "{json}");
    }
    // Giving keys replaces the default: `message_id` is unknown again.
    let json = json.replace("event_id", "message_id");
    let failed = custom.check_event(json.as_bytes(), 0).unwrap_err();
    assert_eq!(failed.errors[0].path, "message_id");
    assert_eq!(failed.errors[0].rule, "unknown_key");
    // Not a string under the id key: an unknown key, as for `message_id`.
    let json = format!(r#"{{"event_type":"thing","event_id":7,"event_params":{params}}}"#);
    let failed = custom.check_event(json.as_bytes(), 0).unwrap_err();
    assert_eq!(failed.errors[0].rule, "unknown_key");
    // An envelope key keeps its meaning even when named as an id key.
    let reserved = PlanValidator::new(&plan())
        .unwrap()
        .with_message_id_keys(["event_version"]);
    let json = format!(r#"{{"event_type":"thing","event_version":"x","event_params":{params}}}"#);
    let failed = reserved.check_event(json.as_bytes(), 0).unwrap_err();
    assert_eq!(failed.errors[0].rule, "version");
}

/// `length` and `non_empty` on a map field count its entries, with the
/// messages `validate()` prints for a `BTreeMap`/`HashMap` field, reported
/// before the errors inside the map; a key given twice is one entry.
#[test]
fn length_and_non_empty_on_a_map_count_its_entries() {
    let mut plan = rich_plan(Tagging::External);
    plan.events[0].fields[0].rules = vec![
        PlanRule::NonEmpty,
        PlanRule::Length {
            min: Some(2),
            max: Some(3),
        },
    ];
    let validator = PlanValidator::new(&plan).unwrap();
    let errors = |counts: &str| {
        let json = format!(
            r#"{{"event_type":"rich","skill_id":"s","event_params":{{"counts":{counts},"shape":"none","tree":{{"label":"r","children":[]}},"extra":null}}}}"#
        );
        match validator.check_event(json.as_bytes(), 0) {
            Ok(_) => Vec::new(),
            Err(failed) => failed
                .errors
                .into_iter()
                .map(|error| (error.path, error.rule, error.message))
                .collect(),
        }
    };
    let entry = |path: &str, rule: &str, message: &str| {
        (path.to_owned(), rule.to_owned(), message.to_owned())
    };
    assert_eq!(errors(r#"{"a":1,"b":2}"#), []);
    assert_eq!(
        errors("{}"),
        [
            entry("counts", "non_empty", "must not be empty"),
            entry(
                "counts",
                "length",
                "must have between 2 and 3 entries (got 0)"
            ),
        ]
    );
    assert_eq!(
        errors(r#"{"a":1,"b":2,"c":3,"d":4}"#),
        [entry(
            "counts",
            "length",
            "must have between 2 and 3 entries (got 4)"
        )]
    );
    // The map's rule first, then what is wrong inside it.
    assert_eq!(
        errors(r#"{"a":"x"}"#),
        [
            entry(
                "counts",
                "length",
                "must have between 2 and 3 entries (got 1)"
            ),
            entry(
                "counts[\"a\"]",
                "type",
                "expected integer (u8), got a string"
            ),
        ]
    );
    // A key given twice is one entry of the map the producer reads.
    assert_eq!(
        errors(r#"{"a":1,"a":2}"#),
        [entry(
            "counts",
            "length",
            "must have between 2 and 3 entries (got 1)"
        )]
    );
}

/// The `identity` key of a plan field (`#[analytics(user_id)]`,
/// `#[analytics(anonymous_id)]`, issue 15) is read with the plan and changes
/// nothing of what is checked: the field is a string, or null where it is an
/// `Option`, in `event_params` or in the envelope.
#[test]
fn identity_fields_of_the_plan_are_checked_as_strings() {
    use crate::schema::IdentityRole;
    let mut user = field("account_id", PlanType::String, vec![]);
    user.identity = Some(IdentityRole::UserId);
    user.nullable = true;
    let mut device = field(
        "installation_id",
        PlanType::String,
        vec![PlanRule::NonEmpty],
    );
    device.identity = Some(IdentityRole::AnonymousId);
    let plan = TrackingPlan::from_plan_events(vec![PlanEvent {
        name: "turn".to_owned(),
        version: 1,
        description: String::new(),
        rust_type: "Turn".to_owned(),
        envelope: vec![device],
        checks: vec![],
        write_only: false,
        fields: vec![
            user,
            field("turn", PlanType::Integer(IntegerKind::U32), vec![]),
        ],
    }]);
    // Through its JSON, as a receiver reads it: the key is there and read back.
    let json = plan.to_json();
    assert!(
        json.contains(r#""identity": "user_id""#) || json.contains(r#""identity":"user_id""#),
        "{json}"
    );
    let plan = TrackingPlan::from_json(&json).unwrap();
    assert_eq!(
        plan.events[0].fields[0].identity,
        Some(IdentityRole::UserId)
    );
    let validator = PlanValidator::new(&plan).unwrap();
    for account in [r#""u-1""#, "null"] {
        let event = format!(
            r#"{{"event_type":"turn","installation_id":"i-7","event_params":{{"account_id":{account},"turn":3}}}}"#
        );
        validator
            .check_event(event.as_bytes(), 0)
            .unwrap_or_else(|failed| panic!("{event}: {:?}", failed.errors));
    }
    let event =
        r#"{"event_type":"turn","installation_id":"","event_params":{"account_id":7,"turn":3}}"#;
    let failed = validator.check_event(event.as_bytes(), 0).unwrap_err();
    let found: Vec<_> = failed
        .errors
        .iter()
        .map(|error| (error.path.as_str(), error.rule.as_str()))
        .collect();
    assert_eq!(
        found,
        [("installation_id", "non_empty"), ("account_id", "type")]
    );
}

/// A batch's answers, compared as text: each event's bytes and verdict, or
/// the one failed event of a body that is not a batch.
type Answers = Vec<Result<(String, Result<String, String>), String>>;

fn verdict_text(outcome: &Result<Accepted<'_>, FailedEvent>) -> Result<String, String> {
    match outcome {
        Ok(accepted) => Ok(format!("{accepted:?}")),
        Err(failed) => Err(failed.to_json_line()),
    }
}

/// The answers of the general path: split the body, check each item.
fn split_then_check(validator: &PlanValidator, body: &[u8]) -> Answers {
    match validator.split_batch(body, 7) {
        Err(failed) => vec![Err(failed.to_json_line())],
        Ok(items) => items
            .iter()
            .map(|item| {
                let outcome = validator.check_event(item.get().as_bytes(), 7);
                Ok((item.get().to_owned(), verdict_text(&outcome)))
            })
            .collect(),
    }
}

/// The answers of `check_batch`: an `Err` voids the events before it.
fn checked_in_one_pass(validator: &PlanValidator, body: &[u8]) -> Answers {
    let mut answers = Answers::new();
    for item in validator.check_batch(body, 7) {
        match item {
            Ok(event) => {
                let bytes = String::from_utf8(event.bytes.to_vec()).unwrap();
                answers.push(Ok((bytes, verdict_text(&event.outcome))));
            }
            Err(failed) => return vec![Err(failed.to_json_line())],
        }
    }
    answers
}

const GOOD: &str = r#"{"event_type":"thing","event_params":{"id":"a","count":3,"color":"red","tags":[{"code":"x"}],"note":""}}"#;

/// Bodies whose third event is broken in each way, and bodies of every
/// other shape around the plain `{"events":[..]}`.
fn batch_bodies() -> Vec<Vec<u8>> {
    let deep = format!(
        r#"{{"event_type":"thing","event_params":{{"id":"a","count":3,"color":"red","tags":[],"note":"","x":{}{}}}}}"#,
        "[".repeat(140),
        "]".repeat(140)
    );
    let thirds: Vec<String> = vec![
        GOOD.to_owned(),
        // Checks that fail.
        GOOD.replace("\"count\":3", "\"count\":\"3\""),
        GOOD.replace("\"count\":3", "\"count\":300"),
        GOOD.replace("\"red\"", "\"green\""),
        GOOD.replace("\"note\":\"\"", "\"note\":\"\",\"extra\":1"),
        GOOD.replace("\"thing\"", "\"nothing\""),
        GOOD.replace(",\"event_params\"", ",\"event_params_\""),
        GOOD.replace("{\"event_type\"", "{\"event_version\":9,\"event_type\""),
        GOOD.replace("\"id\":\"a\",", ""),
        GOOD.replace("\"id\":\"a\"", "\"id\":\"a\",\"id\":\"b\""),
        // Params before the type (re-read from raw), escapes.
        r#"{"event_params":{"id":"\u0061","count":3,"color":"red","tags":[],"note":"\n"},"event_type":"thing"}"#.to_owned(),
        r#"{"event_params":{"id":"a","count":1e999,"color":"red","tags":[],"note":""},"event_type":"thing"}"#.to_owned(),
        r#"{"ev\u0065nt_type":"thing","event_params":{"id":"a","count":3,"color":"red","tags":[],"note":""}}"#.to_owned(),
        // Not an envelope.
        "5".to_owned(),
        "\"x\"".to_owned(),
        "null".to_owned(),
        "[]".to_owned(),
        "{}".to_owned(),
        format!(r#"{{"events":[{GOOD}]}}"#),
        // Numbers a scan accepts and a parse does not.
        "1e999".to_owned(),
        r#"{"event_type":"thing","event_params":{"count":1e999}}"#.to_owned(),
        // Deeper than the parser's limit from the event's root.
        deep,
        // Not JSON.
        r#"{"event_type":"thing""#.to_owned(),
        r#"{"event_type":"thing",}"#.to_owned(),
        "tru".to_owned(),
        String::new(),
    ];
    let mut bodies = Vec::new();
    for third in &thirds {
        bodies.push(format!(r#"{{"events":[{GOOD},{GOOD},{third},{GOOD}]}}"#));
        bodies.push(format!(
            " \n{{ \"batch\" :\t[ {GOOD} ,\r\n{GOOD}, {third} ] }} \n"
        ));
    }
    for shape in [
        r#"{"events":[]}"#.to_owned(),
        r#"{ "events" : [ ] }"#.to_owned(),
        format!(r#"{{"events":[{GOOD}]}}"#),
        format!(r#"{{"events":[{GOOD},]}}"#),
        format!(r#"{{"events":[,{GOOD}]}}"#),
        format!(r#"{{"events":[{GOOD} {GOOD}]}}"#),
        format!(r#"{{"events":[{GOOD},{GOOD}"#),
        format!(r#"{{"events":[{GOOD},{GOOD}]"#),
        format!(r#"{{"events":[{GOOD},"#),
        format!(r#"{{"events":[{GOOD}]}} x"#),
        format!(r#"{{"events":[{GOOD}]}}{{}}"#),
        format!(r#"{{"events":[{GOOD}],"sentAt":"now"}}"#),
        format!(r#"{{"events":[{GOOD}],"event_type":"thing"}}"#),
        format!(r#"{{"events":[{GOOD}],"events":[{GOOD},{GOOD}]}}"#),
        format!(r#"{{"events":[{GOOD}],"batch":5}}"#),
        format!(r#"{{"sentAt":"now","events":[{GOOD}]}}"#),
        format!(r#"{{"ev\u0065nts":[{GOOD}]}}"#),
        r#"{"events":5}"#.to_owned(),
        r#"{"events":{}}"#.to_owned(),
        "[]".to_owned(),
        GOOD.to_owned(),
        String::new(),
    ] {
        bodies.push(shape);
    }
    let mut bodies: Vec<Vec<u8>> = bodies.into_iter().map(String::into_bytes).collect();
    // Invalid UTF-8 inside the third event's string.
    let mut invalid = format!(r#"{{"events":[{GOOD},{GOOD},"#).into_bytes();
    invalid.extend_from_slice(b"{\"event_type\":\"th\xffing\"}]}");
    bodies.push(invalid);
    // Invalid UTF-8 in a value the check skips, in a key, between the
    // events, after the body: the body is never checked as UTF-8 up front.
    let good = GOOD.as_bytes();
    let skipped = [&good[..good.len() - 2], b",\"x\":[\"\xc3\"]}}"].concat();
    let key = [&good[..good.len() - 2], b",\"\xe9\":1}}"].concat();
    for (event, between, after) in [
        (&skipped[..], &b","[..], &b""[..]),
        (&key[..], b",", b""),
        (good, b"\xa0,", b""),
        (good, b",", b"\xff"),
    ] {
        let body = [
            b"{\"events\":[",
            good,
            between,
            event,
            b",",
            good,
            b"]}",
            after,
        ]
        .concat();
        bodies.push(body);
    }
    bodies
}

#[test]
fn a_batch_checked_in_one_pass_answers_as_split_then_check() {
    for max in [usize::MAX, GOOD.len()] {
        let validator = PlanValidator::new(&plan())
            .unwrap()
            .with_max_event_bytes(max);
        for body in batch_bodies() {
            assert_eq!(
                checked_in_one_pass(&validator, &body),
                split_then_check(&validator, &body),
                "max {max}, body {}",
                String::from_utf8_lossy(&body)
            );
        }
    }
}

#[test]
fn a_plain_batch_is_read_in_place_with_each_events_bytes() {
    let validator = PlanValidator::new(&plan()).unwrap();
    let broken = GOOD.replace("\"count\":3", "\"count\":\"3\"");
    let body = format!("{{\"events\":[ {GOOD},\n{GOOD} ,{broken}\t]}}");
    let mut batch = validator.check_batch(body.as_bytes(), 0);
    let mut found = Vec::new();
    while let Some(item) = batch.next() {
        // Every event comes from the in-place reader, none from a split.
        assert!(matches!(batch.state, State::InPlace { .. } | State::Done));
        assert_eq!(batch.held_bytes(), 0);
        found.push(item.unwrap());
    }
    assert!(matches!(batch.state, State::Done));
    let bytes: Vec<&[u8]> = found.iter().map(|event| event.bytes).collect();
    assert_eq!(bytes, [GOOD.as_bytes(), GOOD.as_bytes(), broken.as_bytes()]);
    assert!(found[0].outcome.is_ok() && found[1].outcome.is_ok());
    let failed = found[2].outcome.as_ref().unwrap_err();
    assert_eq!(failed.reason, FailureReason::SchemaViolation);
    assert_eq!(failed.errors[0].path, "count");
    assert!(matches!(&failed.payload, Payload::Json(raw) if raw.get() == broken));
}

#[test]
fn names_of_every_length_differ_in_every_byte() {
    use super::compile::same;
    // Each length up to past the fixed-word sizes (8, 16, 32), and past them
    // the loop: a text differs from a copy changed at any one byte.
    for n in 0..=48 {
        let text: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        assert!(same(&text, &text.clone()), "{text:?}");
        for at in 0..n {
            let mut other = text.clone().into_bytes();
            other[at] = b'Z';
            let other = String::from_utf8(other).unwrap();
            assert!(!same(&text, &other), "{text:?} {other:?}");
            assert!(!same(&other, &text), "{other:?} {text:?}");
        }
        assert!(!same(&text, &format!("{text}a")));
    }
}

#[test]
fn names_compare_equal_exactly_when_their_text_is_equal() {
    use super::compile::same;
    let texts = [
        "",
        "a",
        "b",
        "ab",
        "abc",
        "abd",
        "abcd",
        "abce",
        "bbcd",
        "abcdefg",
        "abcdefh",
        "bbcdefg",
        "abcdefgh",
        "abcdefgi",
        "abcdefghi",
        "abcdefghj",
        "bbcdefghi",
        "abcdefghijklmnop",
        "abcdefghijklmnoq",
        "abcdefghijklmnopq",
        "abcdefghijklmnopr",
        "abcdefghXjklmnopq",
        "é",
        "e\u{301}",
    ];
    for a in texts {
        for b in texts {
            assert_eq!(same(a, b), a == b, "{a:?} {b:?}");
        }
    }
}

#[test]
fn the_scanner_skips_one_json_value_and_nothing_else() {
    assert!(PlanValidator::scanner_skips(GOOD.as_bytes()));
    assert!(PlanValidator::scanner_skips(
        b" [1, {\"a\": [true, null]}, \"\\u00e9\"] "
    ));
    for not_one in [
        &b""[..],
        b"{",
        b"{} {}",
        b"[1,]",
        b"{\"a\" 1}",
        b"01",
        b"\"\x80\"",
    ] {
        assert!(!PlanValidator::scanner_skips(not_one), "{not_one:?}");
    }
}

#[test]
fn a_batch_of_another_shape_is_split_and_says_what_its_list_holds() {
    let validator = PlanValidator::new(&plan()).unwrap();
    let body = format!(r#"{{"sentAt":"now","batch":[{GOOD},{GOOD},{GOOD}]}}"#);
    let mut batch = validator.check_batch(body.as_bytes(), 0);
    assert_eq!(batch.held_bytes(), 0);
    let first = batch.next().unwrap().unwrap();
    assert_eq!(first.bytes, GOOD.as_bytes());
    assert!(batch.held_bytes() >= 3 * std::mem::size_of::<&RawValue>());
    assert_eq!(batch.by_ref().count(), 2);
    assert!(batch.next().is_none());
}
