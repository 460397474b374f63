//! Fields written through serde inside the variants of an enum with data
//! (issue 11): `#[analytics(serde)]`, `schema = path`, `with`,
//! `serialize_with` / `deserialize_with` on struct-variant fields write and
//! read what a serde twin does, in each representation, and a value serde
//! refuses to write is a `serde` validation error at the field's path.

use analytics_core::{AnalyticsEnum, AnalyticsEvent, FieldType, TrackEventRequest};
use analytics_foreign_types::{ReviewedAction, ThreadSource};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

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

/// Upper-cases the text; refuses an empty one (so that validation sees it).
fn upper<S: Serializer>(value: &str, serializer: S) -> Result<S::Ok, S::Error> {
    if value.is_empty() {
        return Err(serde::ser::Error::custom("an empty name"));
    }
    serializer.serialize_str(&value.to_uppercase())
}

fn lower<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    String::deserialize(deserializer).map(|text| text.to_lowercase())
}

fn action_schema() -> serde_json::Value {
    serde_json::json!({"type": "object", "required": ["type"]})
}

macro_rules! step {
    ($name:ident, $derive:ident, [$($container:tt)*]) => {
        #[derive($derive, Debug, Clone, PartialEq)]
        #[serde($($container)*)]
        pub enum $name {
            Started {
                #[analytics(serde)]
                source: Option<ThreadSource>,
                #[serde(with = "stamp")]
                at: u64,
            },
            Reviewed {
                #[analytics(serde, schema = action_schema)]
                action: ReviewedAction,
                #[serde(serialize_with = "upper", deserialize_with = "lower")]
                name: String,
            },
            Idle,
        }
    };
}

// `#[analytics(..)]` is not an attribute of serde's derive: the twins are
// the same enums without it.
macro_rules! twin {
    ($name:ident, [$($container:tt)*]) => {
        #[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
        #[serde($($container)*)]
        pub enum $name {
            Started {
                source: Option<ThreadSource>,
                #[serde(with = "stamp")]
                at: u64,
            },
            Reviewed {
                action: ReviewedAction,
                #[serde(serialize_with = "upper", deserialize_with = "lower")]
                name: String,
            },
            Idle,
        }
    };
}

step!(
    Internal,
    AnalyticsEnum,
    [tag = "kind", rename_all = "snake_case"]
);
twin!(InternalTwin, [tag = "kind", rename_all = "snake_case"]);
step!(External, AnalyticsEnum, [rename_all = "snake_case"]);
twin!(ExternalTwin, [rename_all = "snake_case"]);
step!(Adjacent, AnalyticsEnum, [tag = "t", content = "c"]);
twin!(AdjacentTwin, [tag = "t", content = "c"]);
step!(Untagged, AnalyticsEnum, [untagged]);
twin!(UntaggedTwin, [untagged]);

#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "step_taken")]
pub struct StepTaken {
    pub step: Internal,
    pub other: Option<External>,
}

/// Every variant, with escapes, `None` and `Some`, of one twin.
macro_rules! values {
    ($twin:ident) => {
        vec![
            $twin::Started {
                source: Some(ThreadSource::MemoryConsolidation),
                at: 7,
            },
            $twin::Started {
                source: None,
                at: 0,
            },
            $twin::Reviewed {
                action: ReviewedAction::Command {
                    command: "ls \"x\"\n".into(),
                    cwd: None,
                },
                name: "ab".into(),
            },
            $twin::Reviewed {
                action: ReviewedAction::Network,
                name: "é".into(),
            },
            $twin::Idle,
        ]
    };
}

fn check<T, U>(twin: &U)
where
    T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
    U: Serialize + for<'de> Deserialize<'de>,
{
    let json = serde_json::to_string(twin).unwrap();
    let ours: T = serde_json::from_str(&json).unwrap();
    assert_eq!(serde_json::to_string(&ours).unwrap(), json);
    assert_eq!(
        serde_json::to_string_pretty(&ours).unwrap(),
        serde_json::to_string_pretty(twin).unwrap()
    );
    assert_eq!(
        serde_json::to_value(&ours).unwrap(),
        serde_json::to_value(twin).unwrap()
    );
    let again: U = serde_json::from_str(&serde_json::to_string(&ours).unwrap()).unwrap();
    assert_eq!(serde_json::to_string(&again).unwrap(), json);
}

#[test]
fn serde_fields_in_variants_write_and_read_what_serde_does() {
    for twin in values!(ExternalTwin) {
        check::<External, ExternalTwin>(&twin);
    }
    for twin in values!(InternalTwin) {
        check::<Internal, InternalTwin>(&twin);
    }
    for twin in values!(AdjacentTwin) {
        check::<Adjacent, AdjacentTwin>(&twin);
    }
    for twin in values!(UntaggedTwin) {
        check::<Untagged, UntaggedTwin>(&twin);
    }
}

#[test]
fn missing_and_refused_values_read_as_serde_reads_them() {
    // `#[analytics(serde)]` on an `Option`: a missing key is `None`, as in serde.
    let json = r#"{"kind":"started","at":"t3"}"#;
    let ours: Internal = serde_json::from_str(json).unwrap();
    let theirs: InternalTwin = serde_json::from_str(json).unwrap();
    assert_eq!(
        serde_json::to_string(&ours).unwrap(),
        serde_json::to_string(&theirs).unwrap()
    );
    for bad in [
        r#"{"kind":"started","at":"3"}"#,
        r#"{"kind":"started","source":"nobody","at":"t3"}"#,
        r#"{"kind":"reviewed","action":{"type":"unknown"},"name":"a"}"#,
        r#"{"kind":"reviewed","action":{"type":"network"}}"#,
    ] {
        let ours = serde_json::from_str::<Internal>(bad).unwrap_err();
        let theirs = serde_json::from_str::<InternalTwin>(bad).unwrap_err();
        assert_eq!(
            ours.to_string(),
            theirs.to_string().replace("InternalTwin", "Internal"),
            "{bad}"
        );
    }
}

#[test]
fn in_an_event_the_schema_and_validation_see_serde_fields() {
    let event = StepTaken {
        step: Internal::Reviewed {
            action: ReviewedAction::Network,
            name: String::new(),
        },
        other: Some(External::Started {
            source: Some(ThreadSource::User),
            at: 1,
        }),
    };
    let errors = event.validate().unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    let error = errors.iter().next().unwrap();
    assert_eq!((error.path.as_str(), error.rule), ("step.name", "serde"));
    assert!(error.message.contains("an empty name"), "{}", error.message);

    let event = StepTaken {
        step: Internal::Reviewed {
            action: ReviewedAction::Patch {
                files: vec!["a.rs".into()],
            },
            name: "Ab".into(),
        },
        other: None,
    };
    event.validate().unwrap();
    let mut fast = Vec::new();
    event.write_json(&mut fast);
    let request = serde_json::to_string(&TrackEventRequest::from(event.clone())).unwrap();
    assert_eq!(String::from_utf8(fast).unwrap(), request);
    assert_eq!(
        request,
        r#"{"event_type":"step_taken","event_params":{"step":{"kind":"reviewed","action":{"type":"patch","files":["a.rs"]},"name":"AB"},"other":null}}"#
    );

    let FieldType::Union(union) = StepTaken::schema().field("step").unwrap().ty else {
        panic!("a union")
    };
    let json = StepTaken::schema().json_schema();
    let validator = jsonschema::validator_for(&json).unwrap();
    let value: serde_json::Value = serde_json::from_str(&request).unwrap();
    assert!(validator.is_valid(&value), "{json}");
    let mut bad = value.clone();
    bad["event_params"]["step"]["action"] = serde_json::json!({"no_type": 1});
    assert!(!validator.is_valid(&bad), "schema = path is used: {json}");
    assert_eq!(union.variants.len(), 3);
}
