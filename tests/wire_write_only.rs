//! Write-only events (issue 11 item 1): a borrowed field (`&'static str`)
//! makes an event write-only automatically, `#[analytics(write_only)]` opts
//! any event out of `Deserialize`; both write the bytes serde writes, through
//! every path, and a `#[analytics(write_only)]` catalog holds them.

#[path = "support/every_path.rs"]
mod every_path;
#[path = "support/strategies.rs"]
mod strategies;

use every_path::{assert_writes_like, Written};

use analytics_core::{AnalyticsEvent, AnalyticsFields, EventBatch, TrackEventRequest};
use proptest::prelude::*;
use serde::Serialize;

const POLICIES: &[&str] = &["read-only", "workspace-write", "danger \"full\" access\n"];

#[derive(AnalyticsFields, Debug, Clone)]
pub struct Base {
    pub thread_id: String,
    pub product: &'static str,
}

/// The reference's turn event: a borrowed optional field.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "codex_turn_event", write_only)]
pub struct Turn {
    #[analytics(flatten)]
    pub base: Base,
    pub sandbox_policy: Option<&'static str>,
    pub tags: Vec<&'static str>,
    #[analytics(range(max = 9))]
    pub attempt: u32,
}

/// Write-only by its field alone, no attribute.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "codex_model_event")]
pub struct ModelChosen {
    pub model: &'static str,
}

/// Owned fields, opted out of `Deserialize`.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "codex_note_event", write_only)]
pub struct Note {
    pub text: String,
}

#[derive(analytics_core::EventCatalog)]
#[analytics(write_only)]
pub enum Outgoing {
    Turn(Box<Turn>),
    ModelChosen(ModelChosen),
    Note(Note),
}

#[derive(Serialize)]
struct BaseTwin<'a> {
    thread_id: &'a str,
    product: &'static str,
}

#[derive(Serialize)]
struct TurnTwin<'a> {
    #[serde(flatten)]
    base: BaseTwin<'a>,
    sandbox_policy: Option<&'static str>,
    tags: &'a [&'static str],
    attempt: u32,
}

fn turn() -> impl Strategy<Value = Turn> {
    let policy = || proptest::sample::select(POLICIES);
    (
        strategies::text(),
        policy(),
        proptest::option::of(policy()),
        proptest::collection::vec(policy(), 0..3),
        0..10u32,
    )
        .prop_map(|(thread_id, product, sandbox_policy, tags, attempt)| Turn {
            base: Base { thread_id, product },
            sandbox_policy,
            tags,
            attempt,
        })
}

fn check(event: &Turn) {
    let twin = TurnTwin {
        base: BaseTwin {
            thread_id: &event.base.thread_id,
            product: event.base.product,
        },
        sandbox_policy: event.sandbox_policy,
        tags: &event.tags,
        attempt: event.attempt,
    };
    let Written { envelope, .. } = assert_writes_like(event, &twin);
    let request = TrackEventRequest::from(event.clone());
    let outgoing = Outgoing::from(event.clone());
    assert_eq!(serde_json::to_string(&outgoing).unwrap(), envelope);
    let mut fast = Vec::new();
    outgoing.write_json(&mut fast);
    assert_eq!(String::from_utf8(fast).unwrap(), envelope);
    let batch = EventBatch::new(vec![request, Outgoing::from(event.clone()).into()]);
    assert_eq!(
        serde_json::to_string(&batch).unwrap(),
        format!(r#"{{"events":[{envelope},{envelope}]}}"#)
    );
}

proptest! {
    #[test]
    fn borrowed_fields_write_what_serde_writes(event in turn()) {
        check(&event);
    }
}

#[test]
fn write_only_events_are_marked_in_their_schema_and_still_validate() {
    assert!(Turn::schema().write_only);
    assert!(ModelChosen::schema().write_only);
    assert!(Note::schema().write_only);
    assert!(!codex_analytics::CommandExecution::schema().write_only);
    let event = Turn {
        base: Base {
            thread_id: "t".into(),
            product: "codex",
        },
        sandbox_policy: Some(""),
        tags: vec![],
        attempt: 10,
    };
    let errors = AnalyticsEvent::validate(&event).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors}");
    assert_eq!(errors.iter().next().unwrap().path, "attempt");
    assert_eq!(
        Outgoing::NAMES,
        ["codex_turn_event", "codex_model_event", "codex_note_event"]
    );
    let model = ModelChosen { model: "gpt-5" };
    let mut json = Vec::new();
    AnalyticsEvent::write_json(&model, &mut json);
    assert_eq!(
        String::from_utf8(json).unwrap(),
        r#"{"event_type":"codex_model_event","event_params":{"model":"gpt-5"}}"#
    );
}
