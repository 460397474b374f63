//! Plan-driven validation (`analytics_core::ingest`) and the derived
//! `validate()` agree: for generated Codex events, valid and broken alike,
//! both report the same `(path, rule)` set, with the same messages. The only
//! difference allowed is what cannot run on arrival (`custom`, `check`),
//! which the validator lists as not checkable.

use std::collections::BTreeSet;

use analytics_core::failed::FailureReason;
use analytics_core::ingest::PlanValidator;
use analytics_core::TrackingPlan;
use codex_analytics::*;
use proptest::prelude::*;

#[path = "support/strategies.rs"]
mod strategies;

fn validator() -> &'static PlanValidator {
    static VALIDATOR: std::sync::OnceLock<PlanValidator> = std::sync::OnceLock::new();
    VALIDATOR.get_or_init(|| {
        // Through the JSON file, as the collector reads it.
        let json = TrackingPlan::from_catalog().to_json();
        let plan = TrackingPlan::from_json(&json).expect("the plan reads back");
        PlanValidator::new(&plan).expect("the Codex plan compiles")
    })
}

/// The rules only the producer's Rust code can run: a `custom` field rule
/// and a struct-level `check` (the Codex base has one, on its timings).
const NOT_CHECKABLE: [&str; 2] = ["custom", "check"];

/// `(path, rule, message)` from both sides; the derived side without the
/// checks only Rust can run.
type Found = BTreeSet<(String, String, String)>;

fn both(event: &ToolItemEvent) -> (Found, Found, Option<FailureReason>) {
    let derived = match event.validate() {
        Ok(()) => BTreeSet::new(),
        Err(errors) => errors
            .iter()
            .filter(|error| !NOT_CHECKABLE.contains(&error.rule))
            .map(|error| {
                (
                    error.path.clone(),
                    error.rule.to_owned(),
                    error.message.clone(),
                )
            })
            .collect(),
    };
    let mut json = Vec::new();
    event.write_json(&mut json);
    let (plan, reason) = match validator().check_event(&json, 0) {
        Ok(accepted) => {
            assert_eq!(accepted.event_type, event.event_type());
            (BTreeSet::new(), None)
        }
        Err(failed) => (
            failed
                .errors
                .iter()
                .map(|error| {
                    (
                        error.path.clone(),
                        error.rule.clone(),
                        error.message.clone(),
                    )
                })
                .collect(),
            Some(failed.reason),
        ),
    };
    (derived, plan, reason)
}

#[test]
fn the_codex_checks_that_cannot_run_on_arrival_are_listed() {
    let listed = validator().not_checkable();
    for item in listed {
        assert!(NOT_CHECKABLE.contains(&item.rule), "{item:?}");
        assert!(!item.function.is_empty());
    }
    // Every `custom` rule of the plan is listed, by event and Rust path.
    let plan = TrackingPlan::from_catalog();
    let customs = plan
        .events
        .iter()
        .flat_map(|event| event.fields.iter().map(move |field| (event, field)))
        .filter(|(_, field)| field.rules.iter().any(|rule| rule.name() == "custom"))
        .count();
    assert_eq!(
        listed.iter().filter(|item| item.rule == "custom").count(),
        customs
    );
}

#[test]
fn simulated_sessions_agree() {
    let mut session = simulate::Session::new(7);
    let mut broken = 0;
    for event in session.events(2_000) {
        let (derived, plan, reason) = both(&event);
        assert_eq!(derived, plan, "{event:?}");
        if let Some(reason) = reason {
            assert_eq!(reason, FailureReason::RuleViolation);
            broken += 1;
        }
    }
    // The simulator writes valid events only.
    assert_eq!(broken, 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, max_shrink_iters: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_events_agree(event in strategies::event()) {
        let (derived, plan, reason) = both(&event);
        prop_assert_eq!(&derived, &plan);
        // A serialized Rust value always has the plan's shape: only rules fail.
        prop_assert_eq!(reason.is_some(), !plan.is_empty());
        if let Some(reason) = reason {
            prop_assert_eq!(reason, FailureReason::RuleViolation);
        }
    }
}
