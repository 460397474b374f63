//! What a derived struct reads back when keys are missing, against serde's
//! own derive of the same shape: for every subset of the keys left out,
//! the same value or the same error (the first missing field in
//! declaration order, a flattened base's in its place, `Option`s `None`,
//! defaults filled, `deserialize_with` fields required).

use analytics_core::{AnalyticsEvent, AnalyticsFields};
use serde::Deserialize;
use serde_json::{json, Map, Value};

fn read_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    u32::deserialize(deserializer)
}

fn seven() -> u32 {
    7
}

#[derive(AnalyticsFields, Debug, PartialEq)]
pub struct Inner {
    pub b: u32,
    pub maybe_b: Option<u32>,
}

#[derive(AnalyticsEvent, Debug, PartialEq)]
#[analytics(name = "missing_keys")]
pub struct Ours {
    pub a: u32,
    #[analytics(flatten)]
    pub inner: Inner,
    pub c: String,
    pub maybe: Option<String>,
    #[serde(default)]
    pub defaulted: u32,
    #[serde(default = "seven")]
    pub seven: u32,
    #[serde(deserialize_with = "read_number")]
    pub with: u32,
}

#[derive(Deserialize, Debug, PartialEq)]
pub struct TheirInner {
    pub b: u32,
    pub maybe_b: Option<u32>,
}

#[derive(Deserialize, Debug, PartialEq)]
pub struct Theirs {
    pub a: u32,
    #[serde(flatten)]
    pub inner: TheirInner,
    pub c: String,
    pub maybe: Option<String>,
    #[serde(default)]
    pub defaulted: u32,
    #[serde(default = "seven")]
    pub seven: u32,
    #[serde(deserialize_with = "read_number")]
    pub with: u32,
}

fn same(ours: &Ours, theirs: &Theirs) -> bool {
    ours.a == theirs.a
        && ours.inner.b == theirs.inner.b
        && ours.inner.maybe_b == theirs.inner.maybe_b
        && ours.c == theirs.c
        && ours.maybe == theirs.maybe
        && ours.defaulted == theirs.defaulted
        && ours.seven == theirs.seven
        && ours.with == theirs.with
}

#[test]
fn every_subset_of_missing_keys_reads_as_serde_reads_it() {
    let full = json!({
        "a": 1, "b": 2, "maybe_b": 3, "c": "c", "maybe": "m",
        "defaulted": 4, "seven": 5, "with": 6,
    });
    let keys: Vec<String> = full.as_object().unwrap().keys().cloned().collect();
    let mut errors = 0;
    for mask in 0u32..(1 << keys.len()) {
        let mut object = Map::new();
        for (i, key) in keys.iter().enumerate() {
            if mask & (1 << i) != 0 {
                object.insert(key.clone(), full[key].clone());
            }
        }
        let text = Value::Object(object).to_string();
        let ours = serde_json::from_str::<Ours>(&text);
        let theirs = serde_json::from_str::<Theirs>(&text);
        match (&ours, &theirs) {
            (Ok(ours), Ok(theirs)) => assert!(same(ours, theirs), "{text}: {ours:?} / {theirs:?}"),
            (Err(ours), Err(theirs)) => {
                errors += 1;
                assert_eq!(ours.to_string(), theirs.to_string(), "{text}");
            }
            _ => panic!("{text}: ours {ours:?}, serde's {theirs:?}"),
        }
    }
    // Most subsets leave out a required key: the errors were compared.
    assert!(errors > 200, "{errors}");
}
