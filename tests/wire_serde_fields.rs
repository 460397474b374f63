//! serde's field attributes (`skip`, `skip_serializing`, `skip_deserializing`,
//! `default = ".."`, `alias`, `with`, `serialize_with`, `deserialize_with`,
//! container `deny_unknown_fields`) and `#[analytics(serde)]` fields of types
//! from another crate (`analytics-foreign-types`, so the orphan rule is real):
//! the same bytes as a hand-written serde twin through every path, and the
//! same values read back.

#[path = "support/every_path.rs"]
mod every_path;
#[path = "support/strategies.rs"]
mod strategies;

use every_path::{assert_writes_like, Written};

use std::time::Duration;

use analytics_core::{AnalyticsEvent, EventBatch, EventCatalog, FieldType, TrackEventRequest};
use analytics_foreign_types::{ReviewedAction, ThreadSource};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `with = "stamp"`: a number written as a tagged string.
mod stamp {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format!("t{value}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.strip_prefix('t')
            .and_then(|digits| digits.parse().ok())
            .ok_or_else(|| D::Error::custom(format!("not a stamp: {text:?}")))
    }
}

fn upper<S: Serializer>(value: &str, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&value.to_uppercase())
}

fn lower<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    String::deserialize(deserializer).map(|text| text.to_lowercase())
}

fn default_turn() -> String {
    "turn-0".to_owned()
}

fn action_schema() -> serde_json::Value {
    serde_json::json!({"type": "object", "required": ["type"]})
}

/// Every serde field attribute at once.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "review_decided")]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub thread_id: String,
    #[analytics(serde)]
    pub thread_source: Option<ThreadSource>,
    #[analytics(serde, schema = action_schema)]
    pub action: ReviewedAction,
    #[serde(with = "stamp")]
    pub started_at: u64,
    #[serde(serialize_with = "upper", deserialize_with = "lower")]
    pub model: String,
    #[serde(skip)]
    pub local_elapsed: Duration,
    #[serde(skip_serializing)]
    pub legacy_flag: Option<bool>,
    #[serde(skip_deserializing)]
    pub written_only: u32,
    #[serde(default = "default_turn", alias = "turnId")]
    pub turn_id: String,
    #[serde(default)]
    pub attempt: u32,
}

/// The hand-written serde twin.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReviewTwin {
    pub thread_id: String,
    pub thread_source: Option<ThreadSource>,
    pub action: ReviewedAction,
    #[serde(with = "stamp")]
    pub started_at: u64,
    #[serde(serialize_with = "upper", deserialize_with = "lower")]
    pub model: String,
    #[serde(skip)]
    pub local_elapsed: Duration,
    #[serde(skip_serializing)]
    pub legacy_flag: Option<bool>,
    #[serde(skip_deserializing)]
    pub written_only: u32,
    #[serde(default = "default_turn", alias = "turnId")]
    pub turn_id: String,
    #[serde(default)]
    pub attempt: u32,
}

#[derive(Serialize)]
struct Envelope<'a> {
    event_type: &'static str,
    event_params: &'a ReviewTwin,
}

#[derive(Serialize)]
struct Batch<'a> {
    events: Vec<Envelope<'a>>,
}

#[derive(EventCatalog, Debug, PartialEq)]
enum Reviews {
    Review(Review),
}

fn twin(event: &Review) -> ReviewTwin {
    ReviewTwin {
        thread_id: event.thread_id.clone(),
        thread_source: event.thread_source,
        action: event.action.clone(),
        started_at: event.started_at,
        model: event.model.clone(),
        local_elapsed: event.local_elapsed,
        legacy_flag: event.legacy_flag,
        written_only: event.written_only,
        turn_id: event.turn_id.clone(),
        attempt: event.attempt,
    }
}

fn from_twin(twin: ReviewTwin) -> Review {
    Review {
        thread_id: twin.thread_id,
        thread_source: twin.thread_source,
        action: twin.action,
        started_at: twin.started_at,
        model: twin.model,
        local_elapsed: twin.local_elapsed,
        legacy_flag: twin.legacy_flag,
        written_only: twin.written_only,
        turn_id: twin.turn_id,
        attempt: twin.attempt,
    }
}

fn action() -> impl Strategy<Value = ReviewedAction> {
    let text = strategies::text;
    prop_oneof![
        (text(), proptest::option::of(text()))
            .prop_map(|(command, cwd)| ReviewedAction::Command { command, cwd }),
        proptest::collection::vec(text(), 0..3).prop_map(|files| ReviewedAction::Patch { files }),
        Just(ReviewedAction::Network),
    ]
}

fn review() -> impl Strategy<Value = Review> {
    let source = proptest::option::of(prop_oneof![
        Just(ThreadSource::User),
        Just(ThreadSource::Subagent),
        Just(ThreadSource::MemoryConsolidation),
    ]);
    (
        strategies::text(),
        source,
        action(),
        any::<u64>(),
        "[a-z0-9-]{0,12}",
        any::<u64>(),
        proptest::option::of(any::<bool>()),
        any::<u32>(),
        strategies::text(),
        any::<u32>(),
    )
        .prop_map(
            |(
                thread_id,
                thread_source,
                action,
                started_at,
                model,
                nanos,
                legacy_flag,
                written_only,
                turn_id,
                attempt,
            )| Review {
                thread_id,
                thread_source,
                action,
                started_at,
                model,
                local_elapsed: Duration::from_nanos(nanos),
                legacy_flag,
                written_only,
                turn_id,
                attempt,
            },
        )
}

fn assert_same_bytes(event: &Review) {
    let twin = twin(event);
    let Written { params, envelope } = assert_writes_like(event, &twin);
    let catalog = Reviews::from(event.clone());
    assert_eq!(serde_json::to_string(&catalog).unwrap(), envelope);

    let batch = EventBatch::new(vec![event.clone().into(), event.clone().into()]);
    let expected = serde_json::to_string(&Batch {
        events: vec![
            Envelope {
                event_type: Review::EVENT_NAME,
                event_params: &twin,
            },
            Envelope {
                event_type: Review::EVENT_NAME,
                event_params: &twin,
            },
        ],
    })
    .unwrap();
    assert_eq!(serde_json::to_string(&batch).unwrap(), expected);
    let mut fast = Vec::new();
    batch.write_json(&mut fast);
    assert_eq!(String::from_utf8(fast).unwrap(), expected);

    // Read back: what serde's twin reads from the same bytes. Both refuse
    // the `skip_deserializing` key under `deny_unknown_fields` (serde's rule):
    // read what a receiver that knows that is sent, without it.
    assert!(serde_json::from_str::<Review>(&params).is_err());
    assert!(serde_json::from_str::<ReviewTwin>(&params).is_err());
    let mut readable: serde_json::Value = serde_json::from_str(&params).unwrap();
    readable.as_object_mut().unwrap().remove("written_only");
    let readable = readable.to_string();
    let ours: Review = serde_json::from_str(&readable).unwrap();
    let theirs: ReviewTwin = serde_json::from_str(&readable).unwrap();
    assert_eq!(ours, from_twin(theirs.clone()));
    let envelope = format!(
        r#"{{"event_type":"{}","event_params":{readable}}}"#,
        Review::EVENT_NAME
    );
    let back: Reviews = serde_json::from_str(&envelope).unwrap();
    assert_eq!(back, Reviews::Review(from_twin(theirs)));
}

proptest! {
    #[test]
    fn same_bytes_and_values_as_serde_on_generated_reviews(event in review()) {
        assert_same_bytes(&event);
    }
}

#[test]
fn every_action_variant_and_none() {
    for action in [
        ReviewedAction::Command {
            command: "ls \"-la\"\n".into(),
            cwd: None,
        },
        ReviewedAction::Patch { files: vec![] },
        ReviewedAction::Network,
    ] {
        assert_same_bytes(&Review {
            thread_id: String::new(),
            thread_source: None,
            action,
            started_at: 0,
            model: "gpt-5".into(),
            local_elapsed: Duration::ZERO,
            legacy_flag: Some(true),
            written_only: 7,
            turn_id: "t".into(),
            attempt: 0,
        });
    }
}

#[test]
fn reading_applies_defaults_aliases_and_deny_unknown_fields_as_serde_does() {
    let minimal = r#"{"thread_id":"a","thread_source":"user","action":{"type":"network"},"started_at":"t5","model":"GPT"}"#;
    let ours: Review = serde_json::from_str(minimal).unwrap();
    let theirs: ReviewTwin = serde_json::from_str(minimal).unwrap();
    assert_eq!(ours, from_twin(theirs));
    assert_eq!(ours.turn_id, "turn-0");
    assert_eq!(ours.model, "gpt");
    assert_eq!(ours.legacy_flag, None);

    let aliased = r#"{"thread_id":"a","thread_source":null,"action":{"type":"network"},"started_at":"t5","model":"m","turnId":"t9","legacy_flag":true,"attempt":2}"#;
    let ours: Review = serde_json::from_str(aliased).unwrap();
    assert_eq!(ours, from_twin(serde_json::from_str(aliased).unwrap()));
    assert_eq!(
        (ours.turn_id.as_str(), ours.legacy_flag),
        ("t9", Some(true))
    );

    // Both reject what serde rejects, naming the same key.
    for bad in [
        r#"{"thread_id":"a","thread_source":null,"action":{"type":"network"},"started_at":"t5","model":"m","extra":1}"#,
        // A `skip_deserializing` key is unknown to serde too.
        r#"{"thread_id":"a","thread_source":null,"action":{"type":"network"},"started_at":"t5","model":"m","written_only":1}"#,
        r#"{"thread_id":"a","thread_source":null,"action":{"type":"network"},"started_at":"x5","model":"m"}"#,
        r#"{"thread_id":"a","thread_source":null,"action":{"type":"network"},"model":"m"}"#,
        r#"{"thread_id":"a","thread_source":null,"action":{"type":"network"},"started_at":"t5","model":"m","turn_id":"x","turnId":"y"}"#,
    ] {
        let ours = serde_json::from_str::<Review>(bad).unwrap_err().to_string();
        let theirs = serde_json::from_str::<ReviewTwin>(bad)
            .unwrap_err()
            .to_string();
        let first_word = |text: &str| text.split(" at line").next().unwrap().to_owned();
        assert_eq!(
            first_word(&ours).split(',').next(),
            first_word(&theirs).split(',').next(),
            "{bad}"
        );
    }
}

#[test]
fn schema_of_serde_fields_and_skips() {
    let schema = Review::schema();
    let names: Vec<&str> = schema.fields.iter().map(|field| field.name).collect();
    // Never-written fields are not on the wire, so not in the schema.
    assert_eq!(
        names,
        [
            "thread_id",
            "thread_source",
            "action",
            "started_at",
            "model",
            "written_only",
            "turn_id",
            "attempt"
        ]
    );
    let field = |name: &str| schema.field(name).unwrap();
    assert_eq!(field("thread_source").ty, FieldType::Any);
    assert!(field("thread_source").nullable);
    let FieldType::Serde(action) = field("action").ty else {
        panic!("{:?}", field("action").ty)
    };
    assert_eq!((action.json_schema)(), action_schema());
    assert_eq!(field("started_at").ty, FieldType::Any);
    assert_eq!(
        field("written_only").ty,
        FieldType::Integer(analytics_core::IntegerKind::U32)
    );
}

/// The envelope's JSON Schema accepts every generated review (serde fields
/// are `{}` or the user's schema) and refuses one with a key removed.
#[test]
fn json_schema_validates_generated_reviews() {
    let schema = Review::schema().json_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..64 {
        let event = review().new_tree(&mut runner).unwrap().current();
        let mut json = Vec::new();
        AnalyticsEvent::write_json(&event, &mut json);
        let mut value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert!(validator.is_valid(&value), "{value}");
        value["event_params"]
            .as_object_mut()
            .unwrap()
            .remove("started_at");
        assert!(!validator.is_valid(&value), "{value}");
        value["event_params"]["started_at"] = "t1".into();
        value["event_params"]["action"] = serde_json::json!({"kind": "no type"});
        assert!(
            !validator.is_valid(&value),
            "the user's schema applies: {value}"
        );
    }
}

/// Issue 11 item 6: inside `event_params`, `event_type` and `event_params`
/// are ordinary field names (the reference has such a field); only the
/// envelope's own keys are reserved.
#[derive(AnalyticsEvent, Debug, PartialEq)]
#[analytics(name = "nested_names")]
struct NestedNames {
    event_type: String,
    #[serde(rename = "event_params")]
    params: Option<u32>,
}

#[derive(EventCatalog, Debug, PartialEq)]
enum NestedCatalog {
    NestedNames(NestedNames),
}

#[test]
fn params_fields_may_be_named_like_the_envelope_keys() {
    #[derive(serde::Serialize)]
    struct Twin<'a> {
        event_type: &'a str,
        event_params: Option<u32>,
    }
    let event = NestedNames {
        event_type: "inner".into(),
        params: Some(3),
    };
    let twin = Twin {
        event_type: "inner",
        event_params: Some(3),
    };
    assert_eq!(
        serde_json::to_string(&event).unwrap(),
        serde_json::to_string(&twin).unwrap()
    );
    let envelope = serde_json::to_string(&TrackEventRequest::from(NestedNames {
        event_type: "inner".into(),
        params: Some(3),
    }))
    .unwrap();
    assert_eq!(
        envelope,
        r#"{"event_type":"nested_names","event_params":{"event_type":"inner","event_params":3}}"#
    );
    let reordered =
        r#"{"event_params":{"event_type":"inner","event_params":3},"event_type":"nested_names"}"#;
    for text in [envelope.as_str(), reordered] {
        let back: NestedCatalog = serde_json::from_str(text).unwrap();
        assert_eq!(
            back,
            NestedCatalog::NestedNames(NestedNames {
                event_type: "inner".into(),
                params: Some(3)
            })
        );
    }
}
