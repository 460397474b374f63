//! Maps and free JSON (issue 11 item 3): `BTreeMap` / `HashMap` with string
//! or `AnalyticsEnum` keys and `serde_json::Value` fields write what a serde
//! twin writes through every path, read back, validate inside the values,
//! and their JSON Schema accepts every generated event and refuses mutations.

#[path = "support/every_path.rs"]
mod every_path;
#[path = "support/strategies.rs"]
mod strategies;

use every_path::{assert_writes_like, Written};

use std::collections::{BTreeMap, HashMap};

use analytics_core::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, FieldType};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde::{Deserialize, Serialize};

#[derive(AnalyticsEnum, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Plan,
    Apply,
    Verify,
}

#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
pub struct Timing {
    #[analytics(range(max = 1000))]
    pub millis: u32,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TimingTwin {
    pub millis: u32,
}

#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "turn_summary")]
pub struct Summary {
    pub labels: BTreeMap<String, String>,
    pub counts: HashMap<String, Option<u64>>,
    pub phases: BTreeMap<Phase, Timing>,
    pub extra: serde_json::Value,
    pub optional: Option<BTreeMap<String, Vec<bool>>>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct SummaryTwin {
    pub labels: BTreeMap<String, String>,
    pub counts: HashMap<String, Option<u64>>,
    pub phases: BTreeMap<Phase, TimingTwin>,
    pub extra: serde_json::Value,
    pub optional: Option<BTreeMap<String, Vec<bool>>>,
}

#[derive(analytics_core::EventCatalog, Debug, PartialEq)]
enum Summaries {
    Summary(Summary),
}

fn twin(event: &Summary) -> SummaryTwin {
    SummaryTwin {
        labels: event.labels.clone(),
        counts: event.counts.clone(),
        phases: event
            .phases
            .iter()
            .map(|(phase, timing)| {
                (
                    *phase,
                    TimingTwin {
                        millis: timing.millis,
                    },
                )
            })
            .collect(),
        extra: event.extra.clone(),
        optional: event.optional.clone(),
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        strategies::text().prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(strategies::text(), inner, 0..4)
                .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
        ]
    })
}

fn summary() -> impl Strategy<Value = Summary> {
    let phase = prop_oneof![Just(Phase::Plan), Just(Phase::Apply), Just(Phase::Verify)];
    (
        proptest::collection::btree_map(strategies::text(), strategies::text(), 0..4),
        proptest::collection::hash_map(
            strategies::text(),
            proptest::option::of(any::<u64>()),
            0..4,
        ),
        proptest::collection::btree_map(
            phase,
            (0..=1000u32).prop_map(|millis| Timing { millis }),
            0..3,
        ),
        json_value(),
        proptest::option::of(proptest::collection::btree_map(
            strategies::text(),
            proptest::collection::vec(any::<bool>(), 0..3),
            0..3,
        )),
    )
        .prop_map(|(labels, counts, phases, extra, optional)| Summary {
            labels,
            counts,
            phases,
            extra,
            optional,
        })
}

fn check(event: &Summary) {
    let twin = twin(event);
    let Written { params, envelope } = assert_writes_like(event, &twin);

    let back: Summary = serde_json::from_str(&params).unwrap();
    assert_eq!(&back, event);
    let back: Summaries = serde_json::from_str(&envelope).unwrap();
    assert_eq!(back, Summaries::Summary(event.clone()));
}

proptest! {
    #[test]
    fn maps_and_json_write_and_read_what_serde_does(event in summary()) {
        check(&event);
    }
}

#[test]
fn empty_maps_and_none() {
    check(&Summary {
        labels: BTreeMap::new(),
        counts: HashMap::new(),
        phases: BTreeMap::new(),
        extra: serde_json::Value::Null,
        optional: None,
    });
}

#[test]
fn schema_validation_and_paths_inside_maps() {
    let schema = Summary::schema();
    let ty = |name: &str| schema.field(name).unwrap().ty;
    let FieldType::Map { keys: None, values } = ty("labels") else {
        panic!("{:?}", ty("labels"))
    };
    assert_eq!(*values, FieldType::String);
    let FieldType::Map {
        keys: Some(keys), ..
    } = ty("phases")
    else {
        panic!("{:?}", ty("phases"))
    };
    assert_eq!(keys.values.len(), 3);
    assert_eq!(ty("extra"), FieldType::Any);

    let mut event = Summary {
        labels: BTreeMap::new(),
        counts: HashMap::new(),
        phases: [(Phase::Apply, Timing { millis: 5000 })].into(),
        extra: serde_json::json!({"free": [1, "two"]}),
        optional: None,
    };
    let errors = AnalyticsEvent::validate(&event).unwrap_err();
    assert_eq!(
        errors.iter().next().unwrap().path,
        r#"phases["apply"].millis"#
    );
    event.phases.clear();
    AnalyticsEvent::validate(&event).unwrap();
}

#[test]
fn json_schema_accepts_generated_summaries_and_refuses_mutations() {
    let schema = Summary::schema().json_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..64 {
        let event = summary().new_tree(&mut runner).unwrap().current();
        let mut json = Vec::new();
        AnalyticsEvent::write_json(&event, &mut json);
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert!(validator.is_valid(&value), "{value}");
        let mut bad = value.clone();
        bad["event_params"]["labels"]["x"] = 1.into();
        assert!(!validator.is_valid(&bad), "a label must be a string: {bad}");
        let mut bad = value.clone();
        bad["event_params"]["phases"]["deploy"] = serde_json::json!({"millis": 1});
        assert!(!validator.is_valid(&bad), "keys limited to the enum: {bad}");
        let mut bad = value;
        bad["event_params"]["counts"] = serde_json::json!([]);
        assert!(!validator.is_valid(&bad), "a map is an object: {bad}");
    }
}
