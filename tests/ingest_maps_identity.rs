//! Plan-driven validation of what the derive learned this session: `length`
//! and `non_empty` on map fields (counted in entries) and identity fields
//! (`#[analytics(user_id)]`, `#[analytics(anonymous_id)]`, the plan's
//! `identity` key). For each value the validator reports what the derived
//! `validate()` reports: the same `(path, rule, message)` list, in order.

use std::collections::{BTreeMap, HashMap};

use analytics_core::ingest::PlanValidator;
use analytics_core::{AnalyticsEvent, IdentityRole, TrackingPlan};

/// An event with rules on its maps and both identity roles.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "labels_set")]
pub struct LabelsSet {
    #[analytics(envelope, anonymous_id)]
    pub installation_id: String,
    #[analytics(user_id)]
    pub account_id: Option<String>,
    #[analytics(non_empty, length(max = 3))]
    pub labels: BTreeMap<String, String>,
    #[analytics(length(min = 1, max = 2))]
    pub counts: HashMap<String, u32>,
    #[analytics(non_empty)]
    pub optional: Option<BTreeMap<String, bool>>,
}

fn validator() -> PlanValidator {
    // Through the JSON file, as a receiver reads it.
    let json = TrackingPlan::from_events(&[LabelsSet::schema()]).to_json();
    let plan = TrackingPlan::from_json(&json).expect("the plan reads back");
    PlanValidator::new(&plan).expect("the plan compiles")
}

type Found = Vec<(String, String, String)>;

fn both(validator: &PlanValidator, event: &LabelsSet) -> (Found, Found) {
    let derived = match event.validate() {
        Ok(()) => Vec::new(),
        Err(errors) => errors
            .iter()
            .map(|error| {
                let rule = error.rule.to_owned();
                (error.path.clone(), rule, error.message.clone())
            })
            .collect(),
    };
    let mut json = Vec::new();
    event.write_json(&mut json);
    let plan = match validator.check_event(&json, 0) {
        Ok(_) => Vec::new(),
        Err(failed) => failed
            .errors
            .into_iter()
            .map(|error| (error.path, error.rule, error.message))
            .collect(),
    };
    (derived, plan)
}

fn map<V: Clone>(entries: &[(&str, V)]) -> BTreeMap<String, V> {
    entries
        .iter()
        .map(|(key, value)| ((*key).to_owned(), value.clone()))
        .collect()
}

#[test]
fn map_length_and_non_empty_agree_with_validate() {
    let validator = validator();
    let base = LabelsSet {
        installation_id: "inst-1".into(),
        account_id: Some("u-1".into()),
        labels: map(&[("a", "x".to_owned())]),
        counts: [("n".to_owned(), 1)].into(),
        optional: None,
    };
    let many = map(&[("a", "1"), ("b", "2"), ("c", "3"), ("d", "4")]);
    let cases = [
        base.clone(),
        LabelsSet {
            labels: BTreeMap::new(),
            counts: HashMap::new(),
            optional: Some(BTreeMap::new()),
            ..base.clone()
        },
        LabelsSet {
            labels: many
                .iter()
                .map(|(key, value)| (key.clone(), (*value).to_owned()))
                .collect(),
            counts: [
                ("a".to_owned(), 1),
                ("b".to_owned(), 2),
                ("c".to_owned(), 3),
            ]
            .into(),
            optional: Some(map(&[("on", true)])),
            ..base.clone()
        },
        LabelsSet {
            account_id: None,
            ..base.clone()
        },
    ];
    let mut failures = 0;
    for event in &cases {
        let (derived, plan) = both(&validator, event);
        assert_eq!(plan, derived, "{event:?}");
        failures += usize::from(!derived.is_empty());
    }
    assert_eq!(
        failures, 2,
        "the cases are meant to break the map rules twice"
    );
    // The messages count entries, as `validate()` words them.
    let (derived, _) = both(&validator, &cases[2]);
    assert!(
        derived.iter().any(|(path, rule, message)| path == "labels"
            && rule == "length"
            && message == "must have at most 3 entries (got 4)"),
        "{derived:?}"
    );
}

#[test]
fn identity_fields_are_strings_in_the_plan_and_on_arrival() {
    let plan =
        TrackingPlan::from_json(&TrackingPlan::from_events(&[LabelsSet::schema()]).to_json())
            .unwrap();
    let event = &plan.events[0];
    let account = event
        .fields
        .iter()
        .find(|f| f.name == "account_id")
        .unwrap();
    assert_eq!(account.identity, Some(IdentityRole::UserId));
    let installation = event
        .envelope
        .iter()
        .find(|f| f.name == "installation_id")
        .unwrap();
    assert_eq!(installation.identity, Some(IdentityRole::AnonymousId));

    let validator = validator();
    let valid = [
        r#"{"event_type":"labels_set","installation_id":"i","event_params":{"account_id":"u","labels":{"a":"x"},"counts":{"n":1},"optional":null}}"#,
        r#"{"event_type":"labels_set","installation_id":"i","event_params":{"account_id":null,"labels":{"a":"x"},"counts":{"n":1},"optional":null}}"#,
    ];
    for json in valid {
        validator
            .check_event(json.as_bytes(), 0)
            .unwrap_or_else(|failed| panic!("{json}: {:?}", failed.errors));
    }
    let json = r#"{"event_type":"labels_set","installation_id":null,"event_params":{"account_id":7,"labels":{"a":"x"},"counts":{"n":1},"optional":null}}"#;
    let failed = validator.check_event(json.as_bytes(), 0).unwrap_err();
    let found: Vec<_> = failed
        .errors
        .iter()
        .map(|error| (error.path.as_str(), error.rule.as_str()))
        .collect();
    assert_eq!(found, [("installation_id", "type"), ("account_id", "type")]);
}

/// A value checked inside a map.
#[derive(analytics_core::AnalyticsFields, Debug, Clone)]
pub struct Quota {
    #[analytics(range(max = 10))]
    pub used: u32,
}

/// Rules on the values of maps, and a map key the plan limits.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "quotas_set")]
pub struct QuotasSet {
    pub quotas: BTreeMap<String, Quota>,
    #[analytics(length(max = 2))]
    pub names: BTreeMap<String, Vec<String>>,
}

#[test]
fn errors_inside_map_values_have_the_paths_of_validate() {
    let json = TrackingPlan::from_events(&[QuotasSet::schema()]).to_json();
    let validator = PlanValidator::new(&TrackingPlan::from_json(&json).unwrap()).unwrap();
    let event = QuotasSet {
        quotas: [
            ("ok".to_owned(), Quota { used: 1 }),
            ("over \"x\"".to_owned(), Quota { used: 11 }),
        ]
        .into(),
        names: BTreeMap::new(),
    };
    let derived: Found = event
        .validate()
        .unwrap_err()
        .iter()
        .map(|error| {
            (
                error.path.clone(),
                error.rule.to_owned(),
                error.message.clone(),
            )
        })
        .collect();
    assert_eq!(derived[0].0, r#"quotas["over \"x\""].used"#, "{derived:?}");
    let mut bytes = Vec::new();
    event.write_json(&mut bytes);
    let plan: Found = validator
        .check_event(&bytes, 0)
        .unwrap_err()
        .errors
        .into_iter()
        .map(|error| (error.path, error.rule, error.message))
        .collect();
    assert_eq!(plan, derived);
}
