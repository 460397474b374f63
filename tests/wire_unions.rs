//! Enums with data (issue 11 item 4): `#[derive(AnalyticsEnum)]` on enums
//! with newtype, tuple and struct variants, in serde's four representations,
//! writes and reads what a hand-written serde twin does through every path,
//! on generated values covering every variant; its JSON Schema accepts
//! every generated event and refuses mutated ones; rules inside variants
//! run; a reviewed-action enum goes end to end (client, plan, collector).

#[path = "support/every_path.rs"]
mod every_path;
#[path = "support/strategies.rs"]
mod strategies;

use every_path::{assert_writes_like, Written};

use std::time::Duration;

use analytics_core::ingest::PlanValidator;
use analytics_core::{
    AnalyticsEnum, AnalyticsEvent, AnalyticsFields, AnalyticsValue, Client, FieldType, MemorySink,
    Tagging, TrackingPlan, VariantShape,
};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use serde::{Deserialize, Serialize};

// ------------------------------------------------------------- the derived

#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
pub struct Timing {
    #[analytics(range(max = 1000))]
    pub millis: u32,
}

/// What a reviewer did (internally tagged, as the Codex reference).
#[derive(AnalyticsEnum, Debug, Clone, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReviewAction {
    /// The change was approved.
    Approve { reviewer: String },
    /// The change was rejected, with a reason.
    Reject {
        #[analytics(non_empty)]
        reviewer: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Timed: a newtype of a struct.
    Timed(Timing),
    /// Nobody looked.
    Skip,
}

/// A change (externally tagged: serde's default).
#[derive(AnalyticsEnum, Debug, Clone, PartialEq)]
pub enum Change {
    Added(String),
    Moved(u32, Option<String>),
    #[serde(rename = "edit", rename_all = "camelCase")]
    Edited {
        line_count: u64,
        #[serde(rename = "why")]
        note: Option<String>,
    },
    Cleared,
}

/// A step (adjacently tagged).
#[derive(AnalyticsEnum, Debug, Clone, PartialEq)]
#[serde(tag = "t", content = "c", rename_all = "kebab-case")]
pub enum Step {
    StartUp,
    Run(Vec<String>),
    Pair(bool, i64),
    Finish {
        #[analytics(range(min = 0))]
        exit_code: i32,
    },
}

/// A free value (untagged: the first variant that fits).
#[derive(AnalyticsEnum, Debug, Clone, PartialEq)]
#[serde(untagged)]
pub enum Loose {
    Flag(bool),
    Count(u64),
    Text(String),
    Pair { left: String, right: Option<String> },
}

#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "change_reviewed")]
pub struct ChangeReviewed {
    pub action: ReviewAction,
    pub change: Change,
    pub step: Option<Step>,
    pub loose: Vec<Loose>,
}

#[derive(analytics_core::EventCatalog, Debug, PartialEq)]
enum Reviews {
    ChangeReviewed(ChangeReviewed),
}

// ---------------------------------------------------------------- the twins

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct TimingTwin {
    pub millis: u32,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReviewActionTwin {
    Approve {
        reviewer: String,
    },
    Reject {
        reviewer: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    Timed(TimingTwin),
    Skip,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum ChangeTwin {
    Added(String),
    Moved(u32, Option<String>),
    #[serde(rename = "edit", rename_all = "camelCase")]
    Edited {
        line_count: u64,
        #[serde(rename = "why")]
        note: Option<String>,
    },
    Cleared,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "t", content = "c", rename_all = "kebab-case")]
pub enum StepTwin {
    StartUp,
    Run(Vec<String>),
    Pair(bool, i64),
    Finish { exit_code: i32 },
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(untagged)]
pub enum LooseTwin {
    Flag(bool),
    Count(u64),
    Text(String),
    Pair { left: String, right: Option<String> },
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct ChangeReviewedTwin {
    pub action: ReviewActionTwin,
    pub change: ChangeTwin,
    pub step: Option<StepTwin>,
    pub loose: Vec<LooseTwin>,
}

fn twin(event: &ChangeReviewed) -> ChangeReviewedTwin {
    ChangeReviewedTwin {
        action: match event.action.clone() {
            ReviewAction::Approve { reviewer } => ReviewActionTwin::Approve { reviewer },
            ReviewAction::Reject { reviewer, reason } => {
                ReviewActionTwin::Reject { reviewer, reason }
            }
            ReviewAction::Timed(Timing { millis }) => {
                ReviewActionTwin::Timed(TimingTwin { millis })
            }
            ReviewAction::Skip => ReviewActionTwin::Skip,
        },
        change: match event.change.clone() {
            Change::Added(text) => ChangeTwin::Added(text),
            Change::Moved(to, why) => ChangeTwin::Moved(to, why),
            Change::Edited { line_count, note } => ChangeTwin::Edited { line_count, note },
            Change::Cleared => ChangeTwin::Cleared,
        },
        step: event.step.clone().map(|step| match step {
            Step::StartUp => StepTwin::StartUp,
            Step::Run(args) => StepTwin::Run(args),
            Step::Pair(a, b) => StepTwin::Pair(a, b),
            Step::Finish { exit_code } => StepTwin::Finish { exit_code },
        }),
        loose: event
            .loose
            .iter()
            .cloned()
            .map(|loose| match loose {
                Loose::Flag(flag) => LooseTwin::Flag(flag),
                Loose::Count(count) => LooseTwin::Count(count),
                Loose::Text(text) => LooseTwin::Text(text),
                Loose::Pair { left, right } => LooseTwin::Pair { left, right },
            })
            .collect(),
    }
}

// ---------------------------------------------------------------- strategies

fn text() -> impl Strategy<Value = String> {
    strategies::text()
}

fn action() -> impl Strategy<Value = ReviewAction> {
    prop_oneof![
        text().prop_map(|reviewer| ReviewAction::Approve { reviewer }),
        // A reviewer is never empty (the `non_empty` rule, in the schema too).
        (text(), proptest::option::of(text())).prop_map(|(reviewer, reason)| {
            ReviewAction::Reject {
                reviewer: format!("r{reviewer}"),
                reason,
            }
        }),
        (0..=1000u32).prop_map(|millis| ReviewAction::Timed(Timing { millis })),
        Just(ReviewAction::Skip),
    ]
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        text().prop_map(Change::Added),
        (any::<u32>(), proptest::option::of(text())).prop_map(|(to, why)| Change::Moved(to, why)),
        (any::<u64>(), proptest::option::of(text()))
            .prop_map(|(line_count, note)| Change::Edited { line_count, note }),
        Just(Change::Cleared),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::StartUp),
        proptest::collection::vec(text(), 0..3).prop_map(Step::Run),
        (any::<bool>(), any::<i64>()).prop_map(|(a, b)| Step::Pair(a, b)),
        (0..=i32::MAX).prop_map(|exit_code| Step::Finish { exit_code }),
    ]
}

fn loose() -> impl Strategy<Value = Loose> {
    prop_oneof![
        any::<bool>().prop_map(Loose::Flag),
        any::<u64>().prop_map(Loose::Count),
        text().prop_map(Loose::Text),
        (text(), proptest::option::of(text()))
            .prop_map(|(left, right)| Loose::Pair { left, right }),
    ]
}

fn event() -> impl Strategy<Value = ChangeReviewed> {
    (
        action(),
        change(),
        proptest::option::of(step()),
        proptest::collection::vec(loose(), 0..4),
    )
        .prop_map(|(action, change, step, loose)| ChangeReviewed {
            action,
            change,
            step,
            loose,
        })
}

// ---------------------------------------------------------------- the checks

fn check(event: &ChangeReviewed) {
    let twin = twin(event);
    let Written { params, envelope } = assert_writes_like(event, &twin);
    // Each union alone, through `write_json` and serde.
    let mut fast = Vec::new();
    AnalyticsValue::write_json(&event.action, &mut fast);
    assert_eq!(fast, serde_json::to_vec(&twin.action).unwrap());
    let mut fast = Vec::new();
    AnalyticsValue::write_json(&event.change, &mut fast);
    assert_eq!(fast, serde_json::to_vec(&twin.change).unwrap());

    let back: ChangeReviewed = serde_json::from_str(&params).unwrap();
    assert_eq!(&back, event);
    let back: ChangeReviewedTwin = serde_json::from_str(&params).unwrap();
    assert_eq!(back, twin);
    let back: Reviews = serde_json::from_str(&envelope).unwrap();
    assert_eq!(back, Reviews::ChangeReviewed(event.clone()));
}

proptest! {
    #[test]
    fn unions_write_and_read_what_serde_does(event in event()) {
        check(&event);
    }
}

#[test]
fn every_variant_of_every_representation() {
    let events = [
        (ReviewAction::Skip, Change::Cleared, None, vec![]),
        (
            ReviewAction::Reject {
                reviewer: "a\"b".into(),
                reason: None,
            },
            Change::Moved(3, None),
            Some(Step::StartUp),
            vec![Loose::Flag(true), Loose::Count(7)],
        ),
        (
            ReviewAction::Approve {
                reviewer: "\u{1f}é".into(),
            },
            Change::Edited {
                line_count: 1,
                note: Some("x\ny".into()),
            },
            Some(Step::Pair(false, -1)),
            vec![
                Loose::Text("t".into()),
                Loose::Pair {
                    left: "l".into(),
                    right: None,
                },
            ],
        ),
        (
            ReviewAction::Timed(Timing { millis: 9 }),
            Change::Added(String::new()),
            Some(Step::Run(vec!["\\".into()])),
            vec![],
        ),
    ];
    for (action, change, step, loose) in events {
        check(&ChangeReviewed {
            action,
            change,
            step,
            loose,
        });
    }
    let event = ChangeReviewed {
        action: ReviewAction::Skip,
        change: Change::Edited {
            line_count: 2,
            note: None,
        },
        step: Some(Step::Finish { exit_code: 1 }),
        loose: vec![],
    };
    assert_eq!(
        serde_json::to_string(&event).unwrap(),
        r#"{"action":{"type":"skip"},"change":{"edit":{"lineCount":2,"why":null}},"step":{"t":"finish","c":{"exit_code":1}},"loose":[]}"#
    );
}

#[test]
fn reading_refuses_what_serde_refuses() {
    for bad in [
        r#"{"type":"approve"}"#,
        r#"{"type":"unknown","reviewer":"a"}"#,
        r#"{"reviewer":"a"}"#,
        r#""skip""#,
    ] {
        let ours = serde_json::from_str::<ReviewAction>(bad).unwrap_err();
        let theirs = serde_json::from_str::<ReviewActionTwin>(bad).unwrap_err();
        assert_eq!(
            ours.to_string().replace("ReviewActionTwin", "ReviewAction"),
            theirs
                .to_string()
                .replace("ReviewActionTwin", "ReviewAction"),
            "{bad}"
        );
    }
    let error = serde_json::from_str::<Loose>("[1]").unwrap_err();
    assert_eq!(
        error.to_string(),
        "data did not match any variant of untagged enum Loose"
    );
}

#[test]
fn the_schema_is_a_union_with_docs() {
    let schema = ChangeReviewed::schema();
    let FieldType::Union(action) = schema.field("action").unwrap().ty else {
        panic!("{:?}", schema.field("action"))
    };
    assert_eq!(action.name, "ReviewAction");
    assert_eq!(
        action.description,
        "What a reviewer did (internally tagged, as the Codex reference)."
    );
    assert_eq!(action.tagging, Tagging::Internal { tag: "type" });
    let names: Vec<_> = action.variants.iter().map(|variant| variant.name).collect();
    assert_eq!(names, ["approve", "reject", "timed", "skip"]);
    assert_eq!(
        action.variants[1].description,
        "The change was rejected, with a reason."
    );
    let VariantShape::Struct(fields) = action.variants[1].shape else {
        panic!("{:?}", action.variants[1].shape)
    };
    assert_eq!(fields[1].name, "reason");
    assert!(!fields[1].required);
    assert!(fields[1].nullable);
    let FieldType::Union(change) = schema.field("change").unwrap().ty else {
        panic!()
    };
    assert_eq!(change.tagging, Tagging::External);
    assert_eq!(change.variants[2].name, "edit");
    let VariantShape::Tuple(items) = change.variants[1].shape else {
        panic!()
    };
    assert_eq!(items.len(), 2);
    assert!(matches!(items[1], FieldType::Nullable(FieldType::String)));
    let VariantShape::Struct(fields) = change.variants[2].shape else {
        panic!()
    };
    assert_eq!(fields[0].name, "lineCount");
    assert_eq!(fields[1].name, "why");
    let FieldType::Union(step) = schema.field("step").unwrap().ty else {
        panic!()
    };
    assert_eq!(
        step.tagging,
        Tagging::Adjacent {
            tag: "t",
            content: "c"
        }
    );
    assert_eq!(step.variants[0].name, "start-up");
    assert_eq!(Loose::field_type(), Loose::field_type());
}

#[test]
fn rules_run_inside_variants() {
    let mut event = ChangeReviewed {
        action: ReviewAction::Reject {
            reviewer: String::new(),
            reason: None,
        },
        change: Change::Cleared,
        step: Some(Step::Finish { exit_code: -2 }),
        loose: vec![],
    };
    let errors = AnalyticsEvent::validate(&event).unwrap_err();
    let paths: Vec<_> = errors.iter().map(|error| error.path.clone()).collect();
    assert_eq!(paths, ["action.reviewer", "step.exit_code"], "{errors}");
    event.action = ReviewAction::Timed(Timing { millis: 5000 });
    event.step = None;
    let errors = AnalyticsEvent::validate(&event).unwrap_err();
    assert_eq!(errors.iter().next().unwrap().path, "action.millis");
    event.action = ReviewAction::Skip;
    AnalyticsEvent::validate(&event).unwrap();
}

#[test]
fn json_schema_accepts_generated_events_and_refuses_mutations() {
    let schema = ChangeReviewed::schema().json_schema();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..128 {
        let event = event().new_tree(&mut runner).unwrap().current();
        let mut json = Vec::new();
        AnalyticsEvent::write_json(&event, &mut json);
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert!(validator.is_valid(&value), "{value}");
        let mut bad = value.clone();
        bad["event_params"]["action"]["type"] = "merge".into();
        assert!(!validator.is_valid(&bad), "unknown tag: {bad}");
        let mut bad = value.clone();
        bad["event_params"]["change"] = serde_json::json!({"Added": 1});
        assert!(
            !validator.is_valid(&bad),
            "payload of the wrong type: {bad}"
        );
        let mut bad = value.clone();
        bad["event_params"]["step"] = serde_json::json!({"t": "pair", "c": [true]});
        assert!(
            !validator.is_valid(&bad),
            "a tuple of the wrong length: {bad}"
        );
        let mut bad = value;
        bad["event_params"]["loose"] = serde_json::json!([null]);
        assert!(!validator.is_valid(&bad), "no untagged variant fits: {bad}");
    }
}

mod before {
    use analytics_core::{AnalyticsEnum, AnalyticsEvent};

    #[derive(AnalyticsEnum, Debug, Clone, PartialEq)]
    #[serde(tag = "type")]
    pub enum Verdict {
        Approve { reviewer: String },
        Reject { reviewer: String },
    }

    #[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
    #[analytics(name = "verdict_given")]
    pub struct VerdictGiven {
        pub verdict: Verdict,
    }
}

mod after {
    use analytics_core::{AnalyticsEnum, AnalyticsEvent};

    #[derive(AnalyticsEnum, Debug, Clone, PartialEq)]
    #[serde(tag = "type")]
    pub enum Verdict {
        Approve { reviewer: String },
    }

    #[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
    #[analytics(name = "verdict_given")]
    pub struct VerdictGiven {
        pub verdict: Verdict,
    }
}

#[test]
fn the_plan_diff_sees_a_removed_variant_as_breaking() {
    let old = TrackingPlan::from_events(&[before::VerdictGiven::schema()]);
    let new = TrackingPlan::from_events(&[after::VerdictGiven::schema()]);
    let removed = TrackingPlan::diff(&old, &new);
    assert!(removed.is_breaking(), "{removed:?}");
    let added = TrackingPlan::diff(&new, &old);
    assert!(!added.is_breaking(), "{added:?}");
    assert!(!added.is_empty(), "{added:?}");
}

#[test]
fn a_reviewed_action_goes_end_to_end() {
    let sink = MemorySink::new();
    let client = Client::builder().sink(sink.clone()).build().unwrap();
    let events = [
        ReviewAction::Approve {
            reviewer: "ana".into(),
        },
        ReviewAction::Reject {
            reviewer: "bo".into(),
            reason: Some("tests \"fail\"".into()),
        },
        ReviewAction::Skip,
    ]
    .map(|action| ChangeReviewed {
        action,
        change: Change::Moved(1, Some("up".into())),
        step: Some(Step::Run(vec![])),
        loose: vec![Loose::Count(1)],
    });
    for event in &events {
        client.track(event.clone()).unwrap();
    }
    // A rule broken inside the variant is refused before the sink.
    let bad = ChangeReviewed {
        action: ReviewAction::Reject {
            reviewer: String::new(),
            reason: None,
        },
        ..events[0].clone()
    };
    assert!(client.track(bad).is_err());
    client.flush(Duration::from_secs(5)).unwrap();
    let received: Vec<ChangeReviewed> = sink.events();
    assert_eq!(received, events);

    let plan = TrackingPlan::from_events(&[ChangeReviewed::schema()]);
    let plan = TrackingPlan::from_json(&plan.to_json()).unwrap();
    let validator = PlanValidator::new(&plan).unwrap();
    for value in sink.values() {
        let bytes = serde_json::to_vec(&value).unwrap();
        let accepted = validator.check_event(&bytes, 0);
        assert!(accepted.is_ok(), "{value}: {:?}", accepted.err());
    }
    let mut wrong = sink.values()[0].clone();
    wrong["event_params"]["action"] = serde_json::json!({"type": "approve"});
    let bytes = serde_json::to_vec(&wrong).unwrap();
    assert!(validator.check_event(&bytes, 0).is_err(), "{wrong}");
}

/// A missing `Option` in a struct variant reads as `None`, a missing other
/// field is serde's error, and a value of the wrong type is serde's message
/// too: the variant's values are read through `deserialize_with` helpers,
/// which serde treats differently from a plain field unless told; and a
/// variant of the wrong shape is named as serde names it ("tuple variant
/// Change::Moved with 2 elements").
#[test]
fn missing_and_wrong_values_in_variants_read_as_serde_reads_them() {
    for good in [
        r#"{"type":"reject","reviewer":"a"}"#,
        r#"{"type":"reject","reviewer":"a","reason":null}"#,
    ] {
        let ours = serde_json::from_str::<ReviewAction>(good).unwrap();
        let theirs = serde_json::from_str::<ReviewActionTwin>(good).unwrap();
        assert_eq!(
            serde_json::to_string(&ours).unwrap(),
            serde_json::to_string(&theirs).unwrap()
        );
    }
    let ours = serde_json::from_str::<Change>(r#"{"edit":{"lineCount":3}}"#).unwrap();
    let theirs = serde_json::from_str::<ChangeTwin>(r#"{"edit":{"lineCount":3}}"#).unwrap();
    assert_eq!(
        serde_json::to_string(&ours).unwrap(),
        serde_json::to_string(&theirs).unwrap()
    );
    for bad in [
        r#"{"edit":{}}"#,
        r#"{"edit":{"lineCount":"3"}}"#,
        r#"{"edit":{"lineCount":1,"lineCount":2}}"#,
        r#"{"Moved":[1]}"#,
        r#"{"Moved":["1",null]}"#,
        r#"{"edit":[1]}"#,
        r#"{"Added":7}"#,
    ] {
        let ours = serde_json::from_str::<Change>(bad).unwrap_err();
        let theirs = serde_json::from_str::<ChangeTwin>(bad).unwrap_err();
        assert_eq!(
            ours.to_string().replace("ChangeTwin", "Change"),
            theirs.to_string().replace("ChangeTwin", "Change"),
            "{bad}"
        );
    }
}

/// The payloads an internally tagged newtype variant may hold (an object:
/// a map, another tagged enum, a struct) write and read what serde does;
/// any other payload is a compile error (tests/ui/union).
#[derive(AnalyticsEnum, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payloads {
    Counts(std::collections::BTreeMap<String, u32>),
    Labels(std::collections::HashMap<String, String>),
    Action(ReviewAction),
    Timed(Timing),
    Boxed(Box<Timing>),
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PayloadsTwin {
    Counts(std::collections::BTreeMap<String, u32>),
    Labels(std::collections::HashMap<String, String>),
    Action(ReviewActionTwin),
    Timed(TimingTwin),
    Boxed(Box<TimingTwin>),
}

#[test]
fn internally_tagged_object_payloads_write_and_read_what_serde_does() {
    let ours = [
        Payloads::Counts([("a\"b".to_owned(), 1), ("c".to_owned(), 2)].into()),
        Payloads::Counts(Default::default()),
        Payloads::Labels([("k".to_owned(), "v\n".to_owned())].into()),
        Payloads::Action(ReviewAction::Reject {
            reviewer: "r".into(),
            reason: None,
        }),
        Payloads::Action(ReviewAction::Skip),
        Payloads::Timed(Timing { millis: 3 }),
        Payloads::Boxed(Box::new(Timing { millis: 4 })),
    ];
    for value in ours {
        let json = serde_json::to_string(&value).unwrap();
        let twin: PayloadsTwin = serde_json::from_str(&json).unwrap();
        assert_eq!(serde_json::to_string(&twin).unwrap(), json);
        assert_eq!(
            serde_json::to_value(&value).unwrap(),
            serde_json::to_value(&twin).unwrap()
        );
        let back: Payloads = serde_json::from_str(&json).unwrap();
        assert_eq!(back, value, "{json}");
    }
}
