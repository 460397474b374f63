//! Per-event identity in the vendor bodies (issue 15 item 1, sink side): the
//! `#[analytics(user_id)]` / `#[analytics(anonymous_id)]` fields of each event
//! become Segment's `userId` / `anonymousId`, PostHog's and Mixpanel's
//! `distinct_id`, Amplitude's `user_id` / `device_id`, ahead of the
//! sink-level ids; envelopes read back from a spool find their keys in the
//! catalog, and a receiver without Rust types gives them from a tracking
//! plan. Byte-checked against a loopback server.

mod client_vendor_support;

use std::borrow::Cow;
use std::time::Duration;

use analytics_core::{
    AnalyticsEvent, AnalyticsFields, Client, Envelope, HttpSink, IdentityKey, IdentityKeys, Sink,
    TrackingPlan,
};
use client_vendor_support::*;

/// What every event of the product shares: the signed-in account, if any.
#[derive(AnalyticsFields, Debug, Clone)]
pub struct Session {
    #[analytics(user_id)]
    pub account_id: Option<String>,
    pub thread_id: String,
}

/// A user id in the flattened base, the installation at the top level of
/// the envelope.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "identity_turn_started")]
pub struct TurnStarted {
    #[analytics(envelope, anonymous_id)]
    pub installation_id: String,
    #[analytics(flatten)]
    pub session: Session,
    pub turn: u32,
}

/// No identity field: the sink-level ids apply.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "identity_plain")]
pub struct Plain {
    pub turn: u32,
}

fn turn(account: Option<&str>, installation: &str) -> TurnStarted {
    TurnStarted {
        installation_id: installation.to_owned(),
        session: Session {
            account_id: account.map(str::to_owned),
            thread_id: "t-1".to_owned(),
        },
        turn: 3,
    }
}

/// The envelopes of every test: a signed-in user, an anonymous user, an
/// event without identity fields, an empty user id (treated as absent).
fn batch(with_schema: bool) -> Vec<Envelope> {
    let attach = |envelope: Envelope, schema| {
        if with_schema {
            envelope.with_schema(schema)
        } else {
            envelope
        }
    };
    vec![
        attach(
            envelope(&turn(Some("user-1"), "inst-1"), 0),
            TurnStarted::schema(),
        ),
        attach(envelope(&turn(None, "inst-2"), 1), TurnStarted::schema()),
        attach(envelope(&Plain { turn: 4 }, 2), Plain::schema()),
        attach(
            envelope(&turn(Some(""), "inst-4"), 3),
            TurnStarted::schema(),
        ),
    ]
}

/// The `properties` of `batch()[i]` as the vendors get them: the params with
/// the envelope key merged in (sorted, as `serde_json` writes a map).
fn properties(i: usize) -> &'static str {
    [
        r#"{"account_id":"user-1","installation_id":"inst-1","thread_id":"t-1","turn":3}"#,
        r#"{"account_id":null,"installation_id":"inst-2","thread_id":"t-1","turn":3}"#,
        r#"{"turn":4}"#,
        r#"{"account_id":"","installation_id":"inst-4","thread_id":"t-1","turn":3}"#,
    ][i]
}

const TIMES: [&str; 4] = [
    "2024-02-29T12:34:56.789Z",
    "2024-02-29T12:34:57.789Z",
    "2024-02-29T12:34:58.789Z",
    "2024-02-29T12:34:59.789Z",
];

/// The message id of envelope `n`, as the vendors get it.
fn id(n: u8) -> String {
    uuid_text(id_bytes(n))
}

fn uuid_text(bytes: [u8; 16]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Sends `batch` through `sink` to a fresh loopback server; the body.
fn body_of(sink: impl FnOnce(String) -> HttpSink, batch: &[Envelope]) -> String {
    let server = Server::start(|_, _| Reply::body(200, r#"{"code":200,"status":1}"#));
    let mut sink = sink(server.url("/in"));
    sink.send(batch).expect("accepted");
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    seen[0].text().to_owned()
}

/// The Segment body up to `sentAt` (a send time).
fn segment_items(body: &str) -> &str {
    body.split_once(r#"],"sentAt":"#).expect("sentAt").0
}

fn segment_expected(ids: [&str; 4]) -> String {
    let mut out = String::from(r#"{"batch":["#);
    for (i, ids) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"type":"track","event":"{}","properties":{},"messageId":"{}","timestamp":"{}",{ids}}}"#,
            if i == 2 {
                "identity_plain"
            } else {
                "identity_turn_started"
            },
            properties(i),
            id(i as u8),
            TIMES[i],
        ));
    }
    out
}

#[test]
fn segment_gets_user_id_and_anonymous_id_from_each_event() {
    let body = body_of(
        |url| HttpSink::segment(url, "wk").anonymous_id("sink-anon"),
        &batch(true),
    );
    assert_eq!(
        segment_items(&body),
        segment_expected([
            r#""userId":"user-1","anonymousId":"inst-1""#,
            r#""anonymousId":"inst-2""#,
            r#""anonymousId":"sink-anon""#,
            r#""anonymousId":"inst-4""#,
        ])
    );
}

#[test]
fn a_per_event_id_takes_precedence_over_the_sink_level_ids() {
    let body = body_of(
        |url| {
            HttpSink::segment(url, "wk")
                .user_id("sink-user")
                .anonymous_id("sink-anon")
        },
        &batch(true),
    );
    assert_eq!(
        segment_items(&body),
        segment_expected([
            r#""userId":"user-1","anonymousId":"inst-1""#,
            r#""userId":"sink-user","anonymousId":"inst-2""#,
            r#""userId":"sink-user""#,
            r#""userId":"sink-user","anonymousId":"inst-4""#,
        ])
    );
}

#[test]
fn posthog_distinct_id_is_the_events_user_else_its_anonymous_id() {
    let body = body_of(
        |url| HttpSink::posthog(url, "phc_key").anonymous_id("sink-anon"),
        &batch(true),
    );
    let distinct = ["user-1", "inst-2", "sink-anon", "inst-4"];
    let mut expected = String::from(r#"{"api_key":"phc_key","batch":["#);
    for (i, item) in distinct.iter().enumerate() {
        if i > 0 {
            expected.push(',');
        }
        expected.push_str(&format!(
            r#"{{"event":"{}","properties":{},"distinct_id":"{}","timestamp":"{}","uuid":"{}"}}"#,
            if i == 2 {
                "identity_plain"
            } else {
                "identity_turn_started"
            },
            properties(i),
            item,
            TIMES[i],
            id(i as u8)
        ));
    }
    expected.push_str("]}");
    assert_eq!(body, expected);
}

#[test]
fn amplitude_gets_user_id_and_device_id_from_each_event() {
    let body = body_of(
        |url| HttpSink::amplitude(url, "amp-key").anonymous_id("sink-device"),
        &batch(true),
    );
    let ids = [
        r#""user_id":"user-1","device_id":"inst-1""#,
        r#""device_id":"inst-2""#,
        r#""device_id":"sink-device""#,
        r#""device_id":"inst-4""#,
    ];
    let mut expected = String::from(r#"{"api_key":"amp-key","events":["#);
    for (i, item) in ids.iter().enumerate() {
        if i > 0 {
            expected.push(',');
        }
        let millis = 1_709_210_096_789u64 + 1000 * i as u64;
        expected.push_str(&format!(
            r#"{{"event_type":"{}",{},"event_properties":{},"time":{millis},"insert_id":"{}"}}"#,
            if i == 2 {
                "identity_plain"
            } else {
                "identity_turn_started"
            },
            item,
            properties(i),
            id(i as u8)
        ));
    }
    expected.push_str("]}");
    assert_eq!(body, expected);
}

#[test]
fn mixpanel_distinct_id_is_the_events_user_else_its_anonymous_id() {
    let body = body_of(
        |url| HttpSink::mixpanel(url, "mp-token").anonymous_id("sink-anon"),
        &batch(true),
    );
    let distinct = ["user-1", "inst-2", "sink-anon", "inst-4"];
    let mut expected = String::from("[");
    for (i, item) in distinct.iter().enumerate() {
        if i > 0 {
            expected.push(',');
        }
        let millis = 1_709_210_096_789u64 + 1000 * i as u64;
        let members = properties(i).strip_prefix('{').unwrap();
        expected.push_str(&format!(
            r#"{{"event":"{}","properties":{{"time":{millis},"distinct_id":"{}","$insert_id":"{}",{members}}}"#,
            if i == 2 {
                "identity_plain"
            } else {
                "identity_turn_started"
            },
            item,
            id(i as u8)
        ));
    }
    expected.push(']');
    assert_eq!(body, expected);
}

#[test]
fn envelopes_without_a_schema_find_their_keys_in_the_catalog() {
    // What the spool gives back: no static schema on the envelope.
    let body = body_of(
        |url| HttpSink::segment(url, "wk").anonymous_id("sink-anon"),
        &batch(false),
    );
    assert_eq!(
        segment_items(&body),
        segment_expected([
            r#""userId":"user-1","anonymousId":"inst-1""#,
            r#""anonymousId":"inst-2""#,
            r#""anonymousId":"sink-anon""#,
            r#""anonymousId":"inst-4""#,
        ])
    );
}

#[test]
fn a_client_with_a_spool_sends_each_events_identity() {
    let server = Server::start(|_, _| Reply::body(200, "OK"));
    let dir = std::env::temp_dir().join(format!(
        "analytics-identity-spool-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
    ));
    let client = Client::builder()
        .sink(HttpSink::segment(server.url("/v1/batch"), "wk").anonymous_id("sink-anon"))
        .spool_dir(&dir)
        .build()
        .unwrap();
    client.track(turn(Some("user-9"), "inst-9")).unwrap();
    client.track(turn(None, "inst-8")).unwrap();
    client.shutdown(Duration::from_secs(10)).unwrap();
    let items: Vec<serde_json::Value> = server
        .seen()
        .iter()
        .flat_map(|seen| seen.json()["batch"].as_array().unwrap().clone())
        .collect();
    let ids: Vec<(Option<&str>, Option<&str>)> = items
        .iter()
        .map(|item| (item["userId"].as_str(), item["anonymousId"].as_str()))
        .collect();
    assert_eq!(
        ids,
        [(Some("user-9"), Some("inst-9")), (None, Some("inst-8"))]
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// An envelope of an event type this binary has no Rust type for.
fn forwarded(n: u8, user: &str, device: &str) -> Envelope {
    let json = format!(
        r#"{{"event_type":"forwarded_turn","device":"{device}","event_params":{{"account_id":"{user}","turn":1}}}}"#
    );
    Envelope::new(json.into_bytes(), id_bytes(n), TIME_MS)
}

#[test]
fn identity_keys_from_a_tracking_plan_serve_events_without_rust_types() {
    // The plan a collector loads: the event renamed to one no Rust type
    // claims, its installation key renamed `device`.
    let plan = TrackingPlan::from_events(&[TurnStarted::schema()])
        .to_json()
        .replace("identity_turn_started", "forwarded_turn")
        .replace("installation_id", "device");
    let plan = TrackingPlan::from_json(&plan).expect("a plan");
    let keys = plan.identity_keys();
    assert!(keys.contains_key("forwarded_turn"), "{keys:?}");

    let events = [forwarded(0, "user-5", "dev-5"), forwarded(1, "", "dev-6")];
    let without = body_of(
        |url| HttpSink::segment(url, "wk").anonymous_id("sink-anon"),
        &events,
    );
    let with = body_of(
        |url| {
            HttpSink::segment(url, "wk")
                .anonymous_id("sink-anon")
                .identity_keys(keys)
        },
        &events,
    );
    let pick = |body: &str| -> Vec<(Option<String>, Option<String>)> {
        let value: serde_json::Value = serde_json::from_str(body).unwrap();
        value["batch"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                (
                    item["userId"].as_str().map(str::to_owned),
                    item["anonymousId"].as_str().map(str::to_owned),
                )
            })
            .collect()
    };
    assert_eq!(
        pick(&without),
        [
            (None, Some("sink-anon".into())),
            (None, Some("sink-anon".into()))
        ]
    );
    assert_eq!(
        pick(&with),
        [
            (Some("user-5".into()), Some("dev-5".into())),
            (None, Some("dev-6".into()))
        ]
    );
    assert!(
        with.contains(r#""anonymousId":"dev-5""#) && with.contains(r#""userId":"user-5""#),
        "{with}"
    );
}

#[test]
fn given_identity_keys_take_precedence_over_the_schema() {
    let keys = IdentityKeys {
        user_id: Some(IdentityKey {
            key: Cow::Borrowed("thread_id"),
            in_envelope: false,
        }),
        anonymous_id: None,
    };
    let body = body_of(
        |url| {
            HttpSink::posthog(url, "k")
                .anonymous_id("sink-anon")
                .identity_keys([("identity_turn_started", keys)])
        },
        &batch(true)[..2],
    );
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    let distinct: Vec<&str> = value["batch"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["distinct_id"].as_str().unwrap())
        .collect();
    assert_eq!(distinct, ["t-1", "t-1"]);
}
