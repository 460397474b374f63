//! Per-event identity (issue 15 item 1): `#[analytics(user_id)]` and
//! `#[analytics(anonymous_id)]` mark the string fields an event carries its
//! user's identity in; the schema, the tracking plan (JSON, Markdown, JSON
//! Schema, diff) and a receiver's `IdentityKeys` all know them, and the wire
//! bytes do not change.

use analytics_core::plan::ChangeKind;
use analytics_core::{
    AnalyticsEvent, AnalyticsFields, IdentityKey, IdentityKeys, IdentityRole, TrackEventRequest,
    TrackingPlan,
};
use serde::Serialize;
use serde_json::json;
use std::borrow::Cow;

/// The base every event of a product shares: the signed-in user, if any.
#[derive(AnalyticsFields, Debug, Clone)]
pub struct Session {
    /// The account the session is signed in with.
    #[analytics(user_id)]
    pub account_id: Option<String>,
    pub thread_id: String,
}

/// An event with the user in its base and the installation in the envelope.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "codex_turn_started")]
pub struct TurnStarted {
    #[analytics(envelope, anonymous_id)]
    pub installation_id: &'static str,
    #[analytics(flatten)]
    pub session: Session,
    pub turn: u32,
}

/// An event with neither role.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "codex_plain")]
pub struct Plain {
    pub turn: u32,
}

#[derive(Serialize)]
struct TwinParams<'a> {
    account_id: Option<&'a str>,
    thread_id: &'a str,
    turn: u32,
}

#[derive(Serialize)]
struct Twin<'a> {
    event_type: &'static str,
    installation_id: &'a str,
    event_params: TwinParams<'a>,
}

fn turn(account: Option<&str>) -> TurnStarted {
    TurnStarted {
        installation_id: "inst-7",
        session: Session {
            account_id: account.map(str::to_owned),
            thread_id: "t-1".into(),
        },
        turn: 3,
    }
}

#[test]
fn identity_does_not_change_the_wire_bytes() {
    for account in [Some("acct-42"), None] {
        let event = turn(account);
        let twin = Twin {
            event_type: "codex_turn_started",
            installation_id: "inst-7",
            event_params: TwinParams {
                account_id: account,
                thread_id: "t-1",
                turn: 3,
            },
        };
        assert_eq!(
            serde_json::to_string(&TrackEventRequest::new(event.clone())).unwrap(),
            serde_json::to_string(&twin).unwrap()
        );
    }
}

#[test]
fn the_schema_names_the_field_of_each_role() {
    let schema = TurnStarted::schema();
    let user = schema.identity_field(IdentityRole::UserId).unwrap();
    assert_eq!(user.name, "account_id");
    assert_eq!(user.rust_path, "session.account_id");
    let anonymous = schema.identity_field(IdentityRole::AnonymousId).unwrap();
    assert_eq!(anonymous.name, "installation_id");
    let others: Vec<_> = schema
        .fields
        .iter()
        .filter(|field| field.identity.is_none())
        .map(|field| field.name)
        .collect();
    assert_eq!(others, ["thread_id", "turn"]);
    assert!(Plain::schema()
        .identity_field(IdentityRole::UserId)
        .is_none());
}

#[test]
fn identity_keys_come_from_the_schema_and_from_the_plan_alike() {
    let from_schema = IdentityKeys::of(TurnStarted::schema());
    assert_eq!(
        from_schema,
        IdentityKeys {
            user_id: Some(IdentityKey {
                key: Cow::Borrowed("account_id"),
                in_envelope: false
            }),
            anonymous_id: Some(IdentityKey {
                key: Cow::Borrowed("installation_id"),
                in_envelope: true
            }),
        }
    );
    let plan = TrackingPlan::from_events(&[TurnStarted::schema(), Plain::schema()]);
    let read_back = TrackingPlan::from_json(&plan.to_json()).unwrap();
    let keys = read_back.identity_keys();
    assert_eq!(keys.len(), 1, "events without identity are left out");
    assert_eq!(keys["codex_turn_started"], from_schema);
    assert!(IdentityKeys::of(Plain::schema()).is_empty());
}

#[test]
fn identity_keys_read_the_values_of_an_envelope() {
    let keys = IdentityKeys::of(TurnStarted::schema());
    let signed_in = serde_json::to_value(TrackEventRequest::new(turn(Some("acct-42")))).unwrap();
    assert_eq!(keys.read(IdentityRole::UserId, &signed_in), Some("acct-42"));
    assert_eq!(
        keys.read(IdentityRole::AnonymousId, &signed_in),
        Some("inst-7")
    );
    let signed_out = serde_json::to_value(TrackEventRequest::new(turn(None))).unwrap();
    assert_eq!(keys.read(IdentityRole::UserId, &signed_out), None);
    assert_eq!(
        keys.read(
            IdentityRole::UserId,
            &json!({"event_params": {"account_id": ""}})
        ),
        None,
        "an empty id is no id"
    );
    assert_eq!(
        keys.read(
            IdentityRole::UserId,
            &json!({"event_params": {"account_id": 7}})
        ),
        None
    );
}

#[test]
fn the_plan_records_identity_in_every_rendering() {
    let plan = TrackingPlan::from_events(&[TurnStarted::schema()]);
    let text = plan.to_json();
    assert!(text.contains(r#""identity": "user_id""#), "{text}");
    assert!(text.contains(r#""identity": "anonymous_id""#), "{text}");
    let plain = TrackingPlan::from_events(&[Plain::schema()]).to_json();
    assert!(!plain.contains("identity"), "omitted when none: {plain}");

    let markdown = plan.to_markdown();
    assert!(markdown.contains("**Identity:** `user_id`"), "{markdown}");

    let schema = TurnStarted::schema().json_schema();
    assert_eq!(
        schema["properties"]["event_params"]["properties"]["account_id"]["x-identity"],
        "user_id"
    );
    assert_eq!(
        schema["properties"]["installation_id"]["x-identity"],
        "anonymous_id"
    );
}

/// The same event, its user id no longer marked.
#[derive(AnalyticsFields, Debug, Clone)]
pub struct SessionUnmarked {
    pub account_id: Option<String>,
    pub thread_id: String,
}

#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "codex_turn_started")]
pub struct TurnStartedUnmarked {
    #[analytics(envelope, anonymous_id)]
    pub installation_id: &'static str,
    #[analytics(flatten)]
    pub session: SessionUnmarked,
    pub turn: u32,
}

#[test]
fn an_identity_removed_is_breaking_and_added_is_not() {
    let marked = TrackingPlan::from_events(&[TurnStarted::schema()]);
    let unmarked = TrackingPlan::from_events(&[TurnStartedUnmarked::schema()]);

    let removed = TrackingPlan::diff(&marked, &unmarked);
    let change = removed
        .changes()
        .iter()
        .find(|change| change.kind == ChangeKind::IdentityChanged)
        .expect("the identity change is reported");
    assert_eq!(change.field.as_deref(), Some("account_id"));
    assert!(change.breaking, "{change:?}");
    assert!(removed.is_breaking());

    let added = TrackingPlan::diff(&unmarked, &marked);
    let change = added
        .changes()
        .iter()
        .find(|change| change.kind == ChangeKind::IdentityChanged)
        .expect("the identity change is reported");
    assert!(!change.breaking, "{change:?}");
    assert!(!added.is_breaking());
}
