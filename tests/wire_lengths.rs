//! `length` and `non_empty` on maps (counted in entries) and on `&'static str`
//! (counted in chars, like `String`) (issue 11 item 3): the rules change no
//! byte of what serde writes, `validate()` reports them with the messages of
//! every other length, the JSON Schema says `minProperties` / `maxProperties`
//! and `minLength` / `maxLength`, and tightening one in a plan is breaking.

#[path = "support/every_path.rs"]
mod every_path;
#[path = "support/strategies.rs"]
mod strategies;

use std::collections::{BTreeMap, HashMap};

use analytics_core::plan::{ChangeKind, PlanRule};
use analytics_core::{AnalyticsEvent, Rule, TrackEventRequest, TrackingPlan};
use every_path::assert_writes_like;
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

/// Maps with rules: readable, so the catalog round trip is checked too.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "lengths_map_event")]
pub struct MapLengths {
    #[analytics(length(min = 1, max = 3))]
    pub labels: BTreeMap<String, String>,
    #[analytics(non_empty)]
    pub counts: HashMap<String, u64>,
    #[analytics(length(max = 2), non_empty)]
    pub optional: Option<BTreeMap<String, bool>>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct MapLengthsTwin {
    pub labels: BTreeMap<String, String>,
    pub counts: HashMap<String, u64>,
    pub optional: Option<BTreeMap<String, bool>>,
}

const WORDS: &[&str] = &["", "a", "ab", "read-only", "é😀\"\n", "abcdef"];

/// Borrowed strings with rules (write-only, by their type).
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "lengths_str_event")]
pub struct StrLengths {
    #[analytics(length(min = 2, max = 5))]
    pub source: &'static str,
    #[analytics(non_empty, pattern = "^[a-z-]+$", one_of = ["ab", "read-only"])]
    pub mode: Option<&'static str>,
}

#[derive(Serialize)]
struct StrLengthsTwin {
    source: &'static str,
    mode: Option<&'static str>,
}

#[derive(analytics_core::EventCatalog, Debug, PartialEq)]
enum Readable {
    MapLengths(MapLengths),
}

fn map_lengths() -> impl Strategy<Value = MapLengths> {
    (
        proptest::collection::btree_map(strategies::text(), strategies::text(), 0..5),
        proptest::collection::hash_map(strategies::text(), any::<u64>(), 0..3),
        proptest::option::of(proptest::collection::btree_map(
            strategies::text(),
            any::<bool>(),
            0..4,
        )),
    )
        .prop_map(|(labels, counts, optional)| MapLengths {
            labels,
            counts,
            optional,
        })
}

fn str_lengths() -> impl Strategy<Value = StrLengths> {
    (
        proptest::sample::select(WORDS),
        proptest::option::of(proptest::sample::select(WORDS)),
    )
        .prop_map(|(source, mode)| StrLengths { source, mode })
}

/// What `validate()` must say about a map event, worked out by hand.
fn expected_map_errors(event: &MapLengths) -> Vec<(String, &'static str, String)> {
    let mut expected = Vec::new();
    let labels = event.labels.len();
    if !(1..=3).contains(&labels) {
        expected.push((
            "labels".to_owned(),
            "length",
            format!("must have between 1 and 3 entries (got {labels})"),
        ));
    }
    if event.counts.is_empty() {
        expected.push(("counts".to_owned(), "non_empty", "must not be empty".into()));
    }
    if let Some(optional) = &event.optional {
        if optional.len() > 2 {
            expected.push((
                "optional".to_owned(),
                "length",
                format!("must have at most 2 entries (got {})", optional.len()),
            ));
        }
        if optional.is_empty() {
            expected.push((
                "optional".to_owned(),
                "non_empty",
                "must not be empty".into(),
            ));
        }
    }
    expected
}

fn errors_of<E: AnalyticsEvent>(event: &E) -> Vec<(String, &'static str, String)> {
    match event.validate() {
        Ok(()) => Vec::new(),
        Err(errors) => errors
            .iter()
            .map(|error| (error.path.clone(), error.rule, error.message.clone()))
            .collect(),
    }
}

proptest! {
    #[test]
    fn map_rules_keep_serde_bytes_and_count_entries(event in map_lengths()) {
        let twin = MapLengthsTwin {
            labels: event.labels.clone(),
            counts: event.counts.clone(),
            optional: event.optional.clone(),
        };
        assert_writes_like(&event, &twin);
        let envelope = serde_json::to_string(&Readable::from(event.clone())).unwrap();
        let back: Readable = serde_json::from_str(&envelope).unwrap();
        prop_assert_eq!(back, Readable::MapLengths(event.clone()));
        let read: MapLengths = serde_json::from_str(&serde_json::to_string(&twin).unwrap()).unwrap();
        prop_assert_eq!(&read, &event);
        prop_assert_eq!(errors_of(&event), expected_map_errors(&event));
    }

    #[test]
    fn str_rules_keep_serde_bytes_and_count_chars(event in str_lengths()) {
        let twin = StrLengthsTwin { source: event.source, mode: event.mode };
        assert_writes_like(&event, &twin);
        let mut expected = Vec::new();
        let chars = event.source.chars().count();
        if !(2..=5).contains(&chars) {
            expected.push((
                "source".to_owned(),
                "length",
                format!("must have between 2 and 5 chars (got {chars})"),
            ));
        }
        if let Some(mode) = event.mode {
            if mode.is_empty() {
                expected.push(("mode".to_owned(), "non_empty", "must not be empty".to_owned()));
            }
            if mode.is_empty() || !mode.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
                expected.push((
                    "mode".to_owned(),
                    "pattern",
                    r#"must match the pattern "^[a-z-]+$""#.to_owned(),
                ));
            }
            if !["ab", "read-only"].contains(&mode) {
                expected.push((
                    "mode".to_owned(),
                    "one_of",
                    format!(r#"must be one of "ab", "read-only" (got {mode:?})"#),
                ));
            }
        }
        prop_assert_eq!(errors_of(&event), expected);
    }
}

#[test]
fn messages_read_like_every_other_length() {
    let event = MapLengths {
        labels: (0..5).map(|i| (i.to_string(), String::new())).collect(),
        counts: HashMap::new(),
        optional: Some(BTreeMap::new()),
    };
    assert_eq!(
        event.validate().unwrap_err().to_string(),
        "labels: must have between 1 and 3 entries (got 5)\n\
         counts: must not be empty\n\
         optional: must not be empty"
    );
    // A char is one unit, whatever its UTF-8 width: "😀😀" has 2.
    let event = StrLengths {
        source: "😀",
        mode: Some(""),
    };
    let errors = event.validate().unwrap_err();
    assert_eq!(
        errors.get("source").unwrap().message,
        "must have between 2 and 5 chars (got 1)"
    );
    assert_eq!(errors.get("mode").unwrap().rule, "non_empty");
    StrLengths {
        source: "😀😀",
        mode: None,
    }
    .validate()
    .unwrap();
}

#[test]
fn the_schema_records_the_rules() {
    let schema = MapLengths::schema();
    assert_eq!(
        schema.field("labels").unwrap().rules,
        &[Rule::Length {
            min: Some(1),
            max: Some(3)
        }]
    );
    assert_eq!(
        StrLengths::schema().field("mode").unwrap().rules[0],
        Rule::NonEmpty
    );
}

#[test]
fn json_schema_bounds_entries_and_chars() {
    let schema = MapLengths::schema().json_schema();
    let params = &schema["properties"]["event_params"]["properties"];
    assert_eq!(params["labels"]["minProperties"], 1);
    assert_eq!(params["labels"]["maxProperties"], 3);
    assert_eq!(params["counts"]["minProperties"], 1);
    assert!(params["counts"].get("minLength").is_none(), "{params}");
    let validator = jsonschema::validator_for(&schema).unwrap();
    let valid = MapLengths {
        labels: [("a".to_owned(), "b".to_owned())].into(),
        counts: [("n".to_owned(), 1)].into(),
        optional: Some([("x".to_owned(), true)].into()),
    };
    let value = serde_json::to_value(TrackEventRequest::from(valid)).unwrap();
    assert!(validator.is_valid(&value), "{value}");
    let mut none = value.clone();
    none["event_params"]["optional"] = serde_json::Value::Null;
    assert!(validator.is_valid(&none), "{none}");
    for (key, bad) in [
        ("labels", serde_json::json!({})),
        (
            "labels",
            serde_json::json!({"a": "", "b": "", "c": "", "d": ""}),
        ),
        ("counts", serde_json::json!({})),
        ("optional", serde_json::json!({})),
        (
            "optional",
            serde_json::json!({"a": true, "b": true, "c": false}),
        ),
    ] {
        let mut mutated = value.clone();
        mutated["event_params"][key] = bad;
        assert!(!validator.is_valid(&mutated), "{mutated}");
    }

    let schema = StrLengths::schema().json_schema();
    let params = &schema["properties"]["event_params"]["properties"];
    assert_eq!(params["source"]["minLength"], 2);
    assert_eq!(params["source"]["maxLength"], 5);
    let validator = jsonschema::validator_for(&schema).unwrap();
    let valid = serde_json::to_value(TrackEventRequest::from(StrLengths {
        source: "😀😀",
        mode: Some("ab"),
    }))
    .unwrap();
    assert!(validator.is_valid(&valid), "{valid}");
    for (key, bad) in [
        ("source", "a"),
        ("source", "abcdef"),
        ("mode", ""),
        ("mode", "zz"),
    ] {
        let mut mutated = valid.clone();
        mutated["event_params"][key] = bad.into();
        assert!(!validator.is_valid(&mutated), "{mutated}");
    }
}

#[test]
fn tightening_a_map_length_is_breaking_and_loosening_is_not() {
    let old = TrackingPlan::from_events(&[MapLengths::schema()]);
    let with = |rules: Vec<PlanRule>| {
        let mut plan = old.clone();
        plan.event_mut(MapLengths::NAME)
            .unwrap()
            .field_mut("labels")
            .unwrap()
            .rules = rules;
        plan
    };
    let tighter = with(vec![PlanRule::Length {
        min: Some(1),
        max: Some(2),
    }]);
    let diff = TrackingPlan::diff(&old, &tighter);
    assert_eq!(diff.changes().len(), 1, "{diff}");
    assert_eq!(diff.changes()[0].kind, ChangeKind::RuleTightened, "{diff}");
    assert_eq!(diff.changes()[0].field.as_deref(), Some("labels"));
    assert!(diff.is_breaking(), "{diff}");
    let looser = with(vec![PlanRule::Length {
        min: None,
        max: Some(3),
    }]);
    let diff = TrackingPlan::diff(&old, &looser);
    assert!(!diff.changes().is_empty());
    assert!(!diff.is_breaking(), "{diff}");
    // The plan keeps the rules through its JSON, for receivers.
    let back = TrackingPlan::from_json(&old.to_json()).unwrap();
    assert_eq!(back, old);
}
