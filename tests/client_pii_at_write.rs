//! The PII policy is applied by the derived writer as it writes (issue 13
//! item 4): no second pass over the bytes. The bytes it delivers are exactly
//! those of the pass over the written bytes (`PiiPolicy::apply`, which stays
//! the path for hand-written writers and for PII inside data enums), for
//! every place a PII member can sit: first, last, only member, nested
//! objects, arrays and maps of objects, a PII object holding PII, a field
//! written through serde, an envelope key; `None` and `Some`.

mod client_support;

use std::collections::BTreeMap;
use std::time::Duration;

use analytics_core::{
    AnalyticsEvent, AnalyticsFields, Client, EventSchema, MemorySink, PiiPolicy, Trackable,
    ValidationErrors,
};
use proptest::prelude::*;
use serde_json::Value;

/// A contact: personal data inside an object.
#[derive(AnalyticsFields, Debug, Clone)]
pub struct Contact {
    #[analytics(pii)]
    pub email: Option<String>,
    pub kind: String,
}

/// Only personal data: dropping it leaves `{}`.
#[derive(AnalyticsFields, Debug, Clone)]
pub struct Secret {
    #[analytics(pii)]
    pub value: String,
}

/// Every place a PII member can sit.
#[derive(AnalyticsEvent, Debug, Clone)]
#[analytics(name = "profile_updated")]
pub struct ProfileUpdated {
    #[analytics(envelope, pii)]
    pub device_name: Option<String>,
    /// First member of `event_params`.
    #[analytics(pii)]
    pub name: String,
    pub plan: String,
    pub contact: Contact,
    pub contacts: Vec<Contact>,
    pub by_label: BTreeMap<String, Contact>,
    pub secret: Secret,
    /// A PII object that holds PII: hashed as a whole.
    #[analytics(pii)]
    pub backup: Option<Contact>,
    #[analytics(pii, serde)]
    pub location: Option<(f64, f64)>,
    /// Last member.
    #[analytics(pii)]
    pub phone: Option<String>,
}

fn contact() -> impl Strategy<Value = Contact> {
    (proptest::option::of(".{0,12}"), "[a-z\"\\\\]{0,6}")
        .prop_map(|(email, kind)| Contact { email, kind })
}

fn event() -> impl Strategy<Value = ProfileUpdated> {
    (
        (
            proptest::option::of(".{0,8}"),
            ".{0,12}",
            "[a-z]{0,5}",
            contact(),
        ),
        (
            proptest::collection::vec(contact(), 0..3),
            proptest::collection::btree_map("[a-z]{0,3}", contact(), 0..3),
            ".{0,6}",
        ),
        (
            proptest::option::of(contact()),
            proptest::option::of((-90.0f64..90.0, -180.0f64..180.0)),
            proptest::option::of("[0-9+ ]{0,10}"),
        ),
    )
        .prop_map(
            |(
                (device_name, name, plan, contact),
                (contacts, by_label, secret),
                (backup, location, phone),
            )| {
                ProfileUpdated {
                    device_name,
                    name,
                    plan,
                    contact,
                    contacts,
                    by_label,
                    secret: Secret { value: secret },
                    backup,
                    location,
                    phone,
                }
            },
        )
}

/// The same event through a hand-written `Trackable`: the client cannot
/// know its writer applies the policy, so it scans the bytes.
struct HandWritten(ProfileUpdated);

impl Trackable for HandWritten {
    fn event_name(&self) -> &'static str {
        ProfileUpdated::NAME
    }
    fn event_schema(&self) -> &'static EventSchema {
        ProfileUpdated::schema()
    }
    fn validate_event(&self) -> Result<(), ValidationErrors> {
        AnalyticsEvent::validate(&self.0)
    }
    fn write_envelope(&self, out: &mut Vec<u8>) {
        AnalyticsEvent::write_json(&self.0, out)
    }
}

fn delivered(policy: &PiiPolicy, track: impl FnOnce(&Client)) -> Vec<u8> {
    let sink = MemorySink::new();
    let client = Client::builder()
        .sink(sink.clone())
        .pii_policy(policy.clone())
        .build()
        .unwrap();
    track(&client);
    client.flush(Duration::from_secs(10)).unwrap();
    client_support::assert_settled(&client);
    let envelopes = sink.envelopes();
    assert_eq!(envelopes.len(), 1);
    envelopes[0].json().to_vec()
}

/// The top-level keys of the envelope and of `event_params`, in the order written.
fn keys_in_order(json: &[u8]) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        event_params: Box<serde_json::value::RawValue>,
    }
    let envelope: Envelope = serde_json::from_slice(json).unwrap();
    let mut keys = top_level_keys(std::str::from_utf8(json).unwrap());
    keys.extend(top_level_keys(envelope.event_params.get()));
    keys
}

/// The keys `keys_in_order` finds in `plain` once the policy took its PII
/// members out (`Drop`) or left them (`Keep`, `Hash`).
fn keys_in_order_of(plain: &[u8], policy: &PiiPolicy) -> Vec<String> {
    const PII: [&str; 6] = [
        "device_name",
        "name",
        "backup",
        "location",
        "phone",
        "value",
    ];
    keys_in_order(plain)
        .into_iter()
        .filter(|key| !(matches!(policy, PiiPolicy::Drop) && PII.contains(&key.as_str())))
        .collect()
}

/// The keys of a JSON object, in order (its values skipped).
fn top_level_keys(object: &str) -> Vec<String> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
    struct Keys;
    impl<'de> Visitor<'de> for Keys {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<String>, A::Error> {
            let mut keys = Vec::new();
            while let Some(key) = map.next_key::<String>()? {
                map.next_value::<IgnoredAny>()?;
                keys.push(key);
            }
            Ok(keys)
        }
    }
    serde_json::Deserializer::from_str(object)
        .deserialize_map(Keys)
        .unwrap()
}

fn policies() -> [PiiPolicy; 3] {
    [PiiPolicy::Keep, PiiPolicy::Drop, PiiPolicy::hash("pepper")]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn written_with_the_policy_equals_the_pass_over_the_bytes(event in event()) {
        let mut plain = Vec::new();
        AnalyticsEvent::write_json(&event, &mut plain);
        for policy in policies() {
            let expected = policy.apply(ProfileUpdated::schema(), plain.clone());
            let typed = delivered(&policy, |client| client.track(event.clone()).unwrap());
            // The pass over the bytes goes through `serde_json::Value` for this
            // schema (maps, envelope keys), which sorts keys: compare values.
            let expected: Value = serde_json::from_slice(&expected).unwrap();
            let typed_value: Value = serde_json::from_slice(&typed).unwrap();
            prop_assert_eq!(&typed_value, &expected, "{:?}", policy);
            // The derived writer keeps the wire order: its bytes are the plain
            // bytes with members taken out or replaced, keys in place.
            prop_assert_eq!(keys_in_order(&typed), keys_in_order_of(&plain, &policy));
            let scanned = delivered(&policy, |client| client.track(HandWritten(event.clone())).unwrap());
            let scanned: Value = serde_json::from_slice(&scanned).unwrap();
            prop_assert_eq!(&scanned, &expected, "{:?}", policy);
        }
    }
}

#[test]
fn the_writer_alone_is_untouched_outside_track() {
    let event = ProfileUpdated {
        device_name: Some("laptop".into()),
        name: "Ada".into(),
        plan: "pro".into(),
        contact: Contact {
            email: Some("ada@example.com".into()),
            kind: "work".into(),
        },
        contacts: Vec::new(),
        by_label: BTreeMap::new(),
        secret: Secret { value: "s".into() },
        backup: None,
        location: Some((1.5, -2.0)),
        phone: None,
    };
    let mut fast = Vec::new();
    AnalyticsEvent::write_json(&event, &mut fast);
    assert_eq!(
        String::from_utf8(fast).unwrap(),
        serde_json::to_string(&analytics_core::TrackEventRequest::new(event.clone())).unwrap()
    );
    let dropped = delivered(&PiiPolicy::Drop, |client| client.track(event).unwrap());
    assert_eq!(
        String::from_utf8(dropped).unwrap(),
        r#"{"event_type":"profile_updated","event_params":{"plan":"pro","contact":{"kind":"work"},"contacts":[],"by_label":{},"secret":{}}}"#
    );
}
