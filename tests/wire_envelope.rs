//! `#[analytics(envelope)]` fields (issue 11 item 5): keys written at the top
//! level of the envelope, after `event_type` and before `event_params`, as
//! the reference's `{"event_type":..,"skill_id":..,"skill_name":..,"event_params":{..}}`.
//! Every writing path gives the bytes of a hand-written serde twin; the
//! catalog reads them back in any key order; the schema, the JSON Schema,
//! the tracking plan and the collector know them.

#[path = "support/strategies.rs"]
mod strategies;

use analytics_core::failed::FailureReason;
use analytics_core::ingest::PlanValidator;
use analytics_core::{
    AnalyticsEvent, AnalyticsFields, EventBatch, EventCatalog, TrackEventRequest, TrackingPlan,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde::Serialize;
use strategies::text;

#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
pub struct Base {
    pub thread_id: String,
}

/// The reference's skill event: two envelope keys, one optional renamed
/// one, and a params field named like an envelope key (another object).
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "codex_skill_invoked")]
pub struct SkillInvoked {
    #[analytics(envelope, non_empty)]
    pub skill_id: String,
    #[analytics(envelope)]
    pub skill_name: String,
    #[analytics(envelope, range(max = 99))]
    #[serde(rename = "skillVersion", skip_serializing_if = "Option::is_none")]
    pub skill_version: Option<u32>,
    #[analytics(flatten)]
    pub base: Base,
    pub invocation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Inside `event_params`: an ordinary key, unrelated to the envelope's.
    pub skill_id_hint: Option<String>,
}

/// An event without envelope fields, next to it in one catalog.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "codex_plain")]
pub struct Plain {
    pub skill_id: String,
}

#[derive(EventCatalog, Debug, PartialEq)]
pub enum Skills {
    SkillInvoked(Box<SkillInvoked>),
    Plain(Plain),
}

#[derive(Serialize)]
struct ParamsTwin<'a> {
    thread_id: &'a str,
    invocation: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<u64>,
    skill_id_hint: Option<&'a str>,
}

/// The reference's request, written by hand.
#[derive(Serialize)]
struct Request<'a> {
    event_type: &'static str,
    skill_id: &'a str,
    skill_name: &'a str,
    #[serde(rename = "skillVersion", skip_serializing_if = "Option::is_none")]
    skill_version: Option<u32>,
    event_params: ParamsTwin<'a>,
}

#[derive(Serialize)]
struct Batch<'a> {
    events: Vec<Request<'a>>,
}

fn twin(event: &SkillInvoked) -> Request<'_> {
    Request {
        event_type: "codex_skill_invoked",
        skill_id: &event.skill_id,
        skill_name: &event.skill_name,
        skill_version: event.skill_version,
        event_params: params_twin(event),
    }
}

fn params_twin(event: &SkillInvoked) -> ParamsTwin<'_> {
    ParamsTwin {
        thread_id: &event.base.thread_id,
        invocation: &event.invocation,
        duration_ms: event.duration_ms,
        skill_id_hint: event.skill_id_hint.as_deref(),
    }
}

fn skill() -> impl Strategy<Value = SkillInvoked> {
    (
        text(),
        text(),
        proptest::option::of(any::<u32>()),
        text(),
        text(),
        proptest::option::of(any::<u64>()),
        proptest::option::of(text()),
    )
        .prop_map(
            |(
                skill_id,
                skill_name,
                skill_version,
                thread_id,
                invocation,
                duration_ms,
                skill_id_hint,
            )| SkillInvoked {
                skill_id,
                skill_name,
                skill_version,
                base: Base { thread_id },
                invocation,
                duration_ms,
                skill_id_hint,
            },
        )
}

fn write(event: &impl AnalyticsEvent) -> String {
    let mut out = Vec::new();
    event.write_json(&mut out);
    String::from_utf8(out).unwrap()
}

fn assert_same_bytes(event: &SkillInvoked) {
    let expected = serde_json::to_string(&twin(event)).unwrap();
    assert_eq!(write(event), expected);
    let mut to = Vec::new();
    event.write_json_to(&mut to).unwrap();
    assert_eq!(to, expected.as_bytes());
    // The struct alone is still its `event_params`.
    let params = serde_json::to_string(&params_twin(event)).unwrap();
    assert_eq!(serde_json::to_string(event).unwrap(), params);
    let mut fast = Vec::new();
    event.write_params_json(&mut fast);
    assert_eq!(fast, params.as_bytes());

    let request = TrackEventRequest::from(event.clone());
    assert_eq!(serde_json::to_string(&request).unwrap(), expected);
    let mut writer = Vec::new();
    serde_json::to_writer(&mut writer, &request).unwrap();
    assert_eq!(writer, expected.as_bytes());
    assert_eq!(
        serde_json::to_string_pretty(&request).unwrap(),
        serde_json::to_string_pretty(&twin(event)).unwrap()
    );
    assert_eq!(
        serde_json::to_value(&request).unwrap(),
        serde_json::to_value(twin(event)).unwrap()
    );
    let mut fast = Vec::new();
    request.write_json(&mut fast);
    assert_eq!(fast, expected.as_bytes());
    let mut to = Vec::new();
    request.write_json_to(&mut to).unwrap();
    assert_eq!(to, expected.as_bytes());

    let catalog = Skills::from(event.clone());
    assert_eq!(serde_json::to_string(&catalog).unwrap(), expected);
    let mut fast = Vec::new();
    EventCatalog::write_json(&catalog, &mut fast);
    assert_eq!(fast, expected.as_bytes());
    assert_eq!(
        serde_json::to_string(&TrackEventRequest::from(Skills::from(event.clone()))).unwrap(),
        expected
    );

    let batch = EventBatch::new(vec![event.clone().into(), event.clone().into()]);
    let expected_batch = serde_json::to_string(&Batch {
        events: vec![twin(event), twin(event)],
    })
    .unwrap();
    assert_eq!(serde_json::to_string(&batch).unwrap(), expected_batch);
    let mut fast = Vec::new();
    batch.write_json(&mut fast);
    assert_eq!(fast, expected_batch.as_bytes());
    let mut to = Vec::new();
    batch.write_json_to(&mut to).unwrap();
    assert_eq!(to, expected_batch.as_bytes());

    // Round trip through the catalog, and the downcast back.
    let back: Skills = serde_json::from_str(&expected).unwrap();
    assert_eq!(back, Skills::SkillInvoked(Box::new(event.clone())));
    let request = TrackEventRequest::from(event.clone());
    assert_eq!(request.downcast::<SkillInvoked>().unwrap(), *event);
}

proptest! {
    #[test]
    fn same_bytes_as_the_serde_twin_through_every_path(event in skill()) {
        assert_same_bytes(&event);
    }

    /// JSON objects are unordered: every position of the envelope keys
    /// around `event_type` and `event_params` reads the same event.
    #[test]
    fn catalog_reads_envelope_keys_in_any_order(event in skill(), rotation in 0usize..5) {
        let value = serde_json::to_value(twin(&event)).unwrap();
        let mut members: Vec<(String, serde_json::Value)> =
            value.as_object().unwrap().clone().into_iter().collect();
        let len = members.len();
        members.rotate_left(rotation % len);
        members.reverse();
        let body = members
            .iter()
            .map(|(key, value)| format!("{}:{value}", serde_json::Value::from(key.as_str())))
            .collect::<Vec<_>>()
            .join(",");
        let back: Skills = serde_json::from_str(&format!("{{{body}}}")).unwrap();
        prop_assert_eq!(back, Skills::SkillInvoked(Box::new(event)));
    }
}

fn sample() -> SkillInvoked {
    SkillInvoked {
        skill_id: "s-1".into(),
        skill_name: "review".into(),
        skill_version: Some(3),
        base: Base {
            thread_id: "t".into(),
        },
        invocation: "manual".into(),
        duration_ms: None,
        skill_id_hint: None,
    }
}

fn read(json: &str) -> Result<Skills, String> {
    serde_json::from_str(json).map_err(|error| error.to_string())
}

#[test]
fn reading_back_missing_ill_typed_unknown_and_duplicate_keys() {
    let params = r#"{"thread_id":"t","invocation":"manual","skill_id_hint":null}"#;
    let ok = format!(
        r#"{{"event_type":"codex_skill_invoked","skill_id":"s-1","skill_name":"review","skillVersion":3,"event_params":{params}}}"#
    );
    assert_eq!(read(&ok).unwrap(), Skills::SkillInvoked(Box::new(sample())));

    // A required envelope key missing: serde's message; the optional one: `None`.
    let missing = format!(
        r#"{{"event_type":"codex_skill_invoked","skill_name":"review","event_params":{params}}}"#
    );
    let error = read(&missing).unwrap_err();
    assert!(error.contains("missing field `skill_id`"), "{error}");
    let without_version = format!(
        r#"{{"event_params":{params},"skill_name":"review","skill_id":"s-1","event_type":"codex_skill_invoked"}}"#
    );
    let Skills::SkillInvoked(event) = read(&without_version).unwrap() else {
        panic!("another event")
    };
    assert_eq!(event.skill_version, None);

    // An envelope key inside `event_params` is not the envelope key.
    let misplaced = r#"{"event_type":"codex_skill_invoked","skill_name":"review","event_params":{"skill_id":"s-1","thread_id":"t","invocation":"manual","skill_id_hint":null}}"#;
    let error = read(misplaced).unwrap_err();
    assert!(error.contains("missing field `skill_id`"), "{error}");

    let ill_typed = format!(
        r#"{{"event_type":"codex_skill_invoked","skill_id":7,"skill_name":"review","event_params":{params}}}"#
    );
    let error = read(&ill_typed).unwrap_err();
    assert!(error.contains("invalid type: integer `7`"), "{error}");

    let duplicate = format!(
        r#"{{"skill_id":"a","event_type":"codex_skill_invoked","skill_id":"b","skill_name":"review","event_params":{params}}}"#
    );
    let error = read(&duplicate).unwrap_err();
    assert!(error.contains("duplicate field `skill_id`"), "{error}");

    // Unknown top-level keys are ignored, as before envelope fields existed,
    // for both events; an envelope key of another event is unknown here.
    let unknown = format!(
        r#"{{"event_type":"codex_skill_invoked","skill_id":"s-1","x":[1],"skill_name":"review","skillVersion":3,"event_params":{params}}}"#
    );
    assert_eq!(
        read(&unknown).unwrap(),
        Skills::SkillInvoked(Box::new(sample()))
    );
    let plain = r#"{"skill_name":"n","event_type":"codex_plain","event_params":{"skill_id":"p"},"skill_id":"ignored"}"#;
    assert_eq!(
        read(plain).unwrap(),
        Skills::Plain(Plain {
            skill_id: "p".into()
        })
    );
}

/// The struct's own `Deserialize` reads `event_params` alone: the envelope
/// keys are not there, so a required envelope field is `missing field`,
/// an optional one `None` (what serde does for a field absent from the map).
#[test]
fn the_struct_alone_reads_its_params_only() {
    let params = r#"{"thread_id":"t","invocation":"manual","skill_id_hint":null,"skill_id":"s"}"#;
    let error = serde_json::from_str::<SkillInvoked>(params).unwrap_err();
    assert!(
        error.to_string().contains("missing field `skill_id`"),
        "{error}"
    );

    #[derive(AnalyticsEvent, Debug, PartialEq)]
    #[analytics(name = "optional_envelope")]
    struct OptionalEnvelope {
        #[analytics(envelope)]
        source: Option<String>,
        #[analytics(envelope)]
        #[serde(default)]
        attempt: u32,
        kind: String,
    }
    let event: OptionalEnvelope =
        serde_json::from_str(r#"{"kind":"k","source":"ignored"}"#).unwrap();
    assert_eq!(
        event,
        OptionalEnvelope {
            source: None,
            attempt: 0,
            kind: "k".into()
        }
    );
}

#[test]
fn rules_on_envelope_fields_are_validated_under_their_name() {
    let mut event = sample();
    assert!(event.validate().is_ok());
    event.skill_id.clear();
    event.skill_version = Some(100);
    let errors = event.validate().unwrap_err();
    let found: Vec<(String, &str)> = errors
        .iter()
        .map(|error| (error.path.to_string(), error.rule))
        .collect();
    assert_eq!(
        found,
        [
            ("skill_id".to_owned(), "non_empty"),
            ("skill_version".to_owned(), "range")
        ]
    );
    assert!(TrackEventRequest::from(event).validate().is_err());
}

#[test]
fn schema_lists_envelope_fields_apart() {
    let schema = SkillInvoked::schema();
    let envelope: Vec<(&str, bool)> = schema
        .envelope
        .iter()
        .map(|field| (field.name, field.required))
        .collect();
    assert_eq!(
        envelope,
        [
            ("skill_id", true),
            ("skill_name", true),
            ("skillVersion", false)
        ]
    );
    let fields: Vec<&str> = schema.fields.iter().map(|field| field.name).collect();
    assert_eq!(
        fields,
        ["thread_id", "invocation", "duration_ms", "skill_id_hint"]
    );
    assert!(Plain::schema().envelope.is_empty());
}

#[test]
fn json_schema_requires_envelope_keys_at_the_top_level() {
    let schema = SkillInvoked::schema().json_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..64 {
        let mut event = skill().new_tree(&mut runner).unwrap().current();
        // Kept inside the rules, which the JSON Schema carries too.
        event.skill_version = event.skill_version.map(|version| version % 100);
        event.skill_id.insert(0, 's');
        let mut value: serde_json::Value = serde_json::from_str(&write(&event)).unwrap();
        assert!(validator.is_valid(&value), "{value}");
        value["skillVersion"] = 100.into();
        assert!(!validator.is_valid(&value), "{value}");
        value["skillVersion"] = 99.into();
        value["skill_id"] = "".into();
        assert!(!validator.is_valid(&value), "{value}");
        value["skill_id"] = "s".into();
        assert!(validator.is_valid(&value), "{value}");
        value.as_object_mut().unwrap().remove("skill_name");
        assert!(!validator.is_valid(&value), "{value}");
        value["skill_name"] = "n".into();
        value["unknown"] = 1.into();
        assert!(!validator.is_valid(&value), "{value}");
    }
}

#[test]
fn tracking_plan_and_collector_know_envelope_keys() {
    let plan = TrackingPlan::from_events(&[SkillInvoked::schema(), Plain::schema()]);
    let event = plan.event("codex_skill_invoked").unwrap();
    let names: Vec<&str> = event.envelope.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["skill_id", "skill_name", "skillVersion"]);
    assert!(plan.event("codex_plain").unwrap().envelope.is_empty());
    let json = plan.to_json();
    assert!(json.contains("\"envelope\""), "{json}");
    assert_eq!(TrackingPlan::from_json(&json).unwrap(), plan);
    let markdown = plan.to_markdown();
    assert!(markdown.contains("`skill_id`"), "{markdown}");

    let validator = PlanValidator::new(&plan).unwrap();
    let good = write(&sample());
    assert_eq!(
        validator
            .check_event(good.as_bytes(), 0)
            .unwrap()
            .event_type,
        "codex_skill_invoked"
    );
    let missing = good.replace(r#""skill_name":"review","#, "");
    let failed = validator.check_event(missing.as_bytes(), 0).unwrap_err();
    assert_eq!(failed.reason, FailureReason::SchemaViolation);
    let ill_typed = good.replace(r#""skill_name":"review""#, r#""skill_name":5"#);
    let failed = validator.check_event(ill_typed.as_bytes(), 0).unwrap_err();
    assert_eq!(failed.reason, FailureReason::SchemaViolation);
    let mut empty = sample();
    empty.skill_id.clear();
    let failed = validator
        .check_event(write(&empty).as_bytes(), 0)
        .unwrap_err();
    assert_eq!(failed.reason, FailureReason::RuleViolation);
    let paths: Vec<&str> = failed.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["skill_id"]);
}
