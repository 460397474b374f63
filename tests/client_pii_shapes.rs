//! The PII policy reaches personal data in every shape a field can have:
//! recursive types (through `FieldType::Ref`), maps, data enums and envelope
//! keys, not only objects and arrays of objects. Each case tracks an event
//! with a secret in such a place under `PiiPolicy::Drop` and `PiiPolicy::Hash`
//! and checks that the secret never reaches the sink.

mod client_support;

use std::time::Duration;

use analytics_core::{AnalyticsEvent, AnalyticsFields, Client, MemorySink, PiiPolicy};

const SECRET: &str = "ada-secret@example.com";

/// A node of a tree whose every level may hold personal data.
#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
pub struct Node {
    /// Personal.
    #[analytics(pii)]
    pub owner: Option<String>,
    /// Not personal.
    pub label: String,
    /// The same type again: the schema refers to itself.
    pub children: Vec<Node>,
}

/// An event with a recursive field.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "tree_shared")]
pub struct TreeShared {
    /// The root of the tree.
    pub root: Node,
}

fn deep_tree() -> TreeShared {
    let leaf = Node {
        owner: Some(SECRET.into()),
        label: "leaf".into(),
        children: Vec::new(),
    };
    let middle = Node {
        owner: None,
        label: "middle".into(),
        children: vec![leaf],
    };
    TreeShared {
        root: Node {
            owner: Some(SECRET.into()),
            label: "root".into(),
            children: vec![middle],
        },
    }
}

fn delivered_text(policy: PiiPolicy, track: impl FnOnce(&Client)) -> String {
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .pii_policy(policy)
        .build()
        .expect("client");
    track(&client);
    client.flush(Duration::from_secs(10)).expect("flushed");
    client_support::assert_settled(&client);
    let lines: Vec<String> = sink
        .values()
        .iter()
        .map(|value| value.to_string())
        .collect();
    assert_eq!(lines.len(), 1, "one event delivered: {lines:?}");
    lines.join("\n")
}

#[test]
fn pii_inside_a_recursive_type_is_dropped_at_every_depth() {
    let text = delivered_text(PiiPolicy::Drop, |client| {
        client.track(deep_tree()).expect("tracked");
    });
    assert!(!text.contains(SECRET), "the secret leaked: {text}");
    assert!(text.contains("\"leaf\""), "the rest is kept: {text}");
    assert!(!text.contains("owner"), "dropped keys are gone: {text}");
}

#[test]
fn pii_inside_a_recursive_type_is_hashed_at_every_depth() {
    let text = delivered_text(PiiPolicy::hash("salt"), |client| {
        client.track(deep_tree()).expect("tracked");
    });
    assert!(!text.contains(SECRET), "the secret leaked: {text}");
    assert_eq!(
        text.matches("\"owner\":\"").count(),
        2,
        "both owners hashed: {text}"
    );
    assert!(text.contains("\"owner\":null"), "null stays null: {text}");
}

/// A data enum whose struct variant holds personal data: the derived writer
/// hands its values to serde, so the client applies the policy to the bytes.
#[derive(analytics_core::AnalyticsEnum, Debug, Clone, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reviewer {
    /// Nobody in particular.
    Automatic,
    /// A person, by address.
    Person {
        #[analytics(pii)]
        email: String,
        team: String,
    },
}

/// An event with personal data inside a data enum.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "review_assigned")]
pub struct ReviewAssigned {
    /// Who reviews.
    pub reviewer: Reviewer,
}

fn review() -> ReviewAssigned {
    ReviewAssigned {
        reviewer: Reviewer::Person {
            email: SECRET.into(),
            team: "core".into(),
        },
    }
}

#[test]
fn pii_inside_a_data_enum_is_dropped() {
    let text = delivered_text(PiiPolicy::Drop, |client| {
        client.track(review()).expect("tracked");
    });
    assert!(!text.contains(SECRET), "the secret leaked: {text}");
    assert!(!text.contains("email"), "dropped keys are gone: {text}");
    assert!(
        text.contains("\"team\":\"core\""),
        "the rest is kept: {text}"
    );
}

#[test]
fn pii_inside_a_data_enum_is_hashed() {
    let text = delivered_text(PiiPolicy::hash("salt"), |client| {
        client.track(review()).expect("tracked");
    });
    assert!(!text.contains(SECRET), "the secret leaked: {text}");
    assert_eq!(text.matches("\"email\":\"").count(), 1, "hashed: {text}");
}
