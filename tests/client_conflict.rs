//! Two Rust types claiming one event name (issue 12, finding 3): the PII
//! policy comes from each event's own type, never from a look-up by name,
//! and the conflict is loud at `Client::build()` and in `catalog::check_names()`.

mod client_support;

use std::time::Duration;

use analytics_core::{catalog, AnalyticsEvent, Client, EventCatalog, MemorySink, PiiPolicy};
use client_support::*;

/// Sorts first by Rust type: what a look-up by name found.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "signup")]
pub struct AaSignup {
    /// Not personal.
    pub plan: String,
}

/// The same wire name, with personal data.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "signup")]
pub struct ZzSignup {
    /// Personal.
    #[analytics(pii)]
    pub email: String,
}

/// A catalog over the type with PII.
#[derive(EventCatalog, Debug, Clone)]
pub enum Events {
    /// The PII one.
    Signup(ZzSignup),
}

#[test]
fn pii_policy_comes_from_the_type_not_the_name() {
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .pii_policy(PiiPolicy::Drop)
        .build()
        .unwrap();
    assert_eq!(client.metrics().name_conflicts, 1);
    let event = ZzSignup {
        email: "ada@example.com".into(),
    };
    client
        .track_catalog(&Events::Signup(event.clone()))
        .unwrap();
    client.track(event).unwrap();
    client.flush(Duration::from_secs(5)).unwrap();
    let values = sink.values();
    assert_eq!(values.len(), 2);
    for value in values {
        assert_eq!(value["event_params"], serde_json::json!({}), "{value}");
    }
    client.shutdown(Duration::from_secs(5)).unwrap();
    assert_invariant(&client.metrics());
}

#[test]
fn catalog_check_names_lists_every_conflict() {
    let error = catalog::check_names().unwrap_err();
    assert!(error.contains("signup: "), "{error}");
    assert!(
        error.contains("AaSignup") && error.contains("ZzSignup"),
        "{error}"
    );
    assert_eq!(catalog::conflicts().len(), 1);
    assert_eq!(
        Events::Signup(ZzSignup {
            email: String::new()
        })
        .event_schema(),
        Some(ZzSignup::schema())
    );
}
