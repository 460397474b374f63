//! The JSON Schema mapping of every kind of field and rule, on a derived
//! event that has them all: generated instances validate against the schema
//! exactly when `validate()` finds no violation of a rule that JSON Schema
//! can express (everything but `custom`).

use analytics_core::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, TrackingPlan};
use jsonschema::Validator;
use proptest::prelude::*;
use serde_json::{json, Value};

/// A level.
#[derive(AnalyticsEnum, Debug, Clone, Copy, PartialEq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Level {
    /// Low.
    Low,
    /// Very high.
    VeryHigh,
}

/// A nested group.
#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
pub struct Inner {
    /// At most three chars.
    #[analytics(length(max = 3))]
    pub code: String,
    /// Maybe a level.
    pub level: Option<Level>,
}

fn even(value: &u64) -> Result<(), String> {
    if value % 2 == 0 {
        Ok(())
    } else {
        Err(format!("{value} is odd"))
    }
}

/// Every kind of value and rule.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "kitchen_sink", version = 2)]
pub struct KitchenSink {
    pub small: i8,
    pub unsigned: u16,
    #[analytics(range(min = 10, max = 20))]
    pub ranged: u32,
    pub wide: i64,
    #[analytics(range(min = -1.5, max = 1.5))]
    pub ratio: f64,
    pub single: Option<f32>,
    pub flag: bool,
    #[analytics(pattern = "^[a-z]+-[0-9]+$")]
    pub id: String,
    #[analytics(length(min = 2, max = 4))]
    pub short: String,
    #[analytics(one_of = ["red", "green"])]
    pub color: String,
    #[analytics(length(min = 1, max = 3))]
    pub tags: Vec<String>,
    #[analytics(non_empty)]
    pub levels: Vec<Level>,
    pub maybe_items: Option<Vec<Option<u8>>>,
    pub inner: Inner,
    /// Personal.
    #[analytics(pii)]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<u64>,
    #[analytics(custom = even)]
    pub even: u64,
    #[serde(rename = "type")]
    pub r#type: Box<str>,
    #[analytics(range(min = 0))]
    pub optional_ranged: Option<i16>,
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => proptest::collection::vec(proptest::char::range('a', 'e'), 0..6)
            .prop_map(|chars| chars.into_iter().collect::<String>()),
        2 => (proptest::collection::vec(proptest::char::range('a', 'c'), 0..3), 0u8..12, any::<bool>())
            .prop_map(|(letters, digits, newline)| {
                let mut text: String = letters.into_iter().collect();
                text.push('-');
                text.push_str(&digits.to_string());
                if newline {
                    text.push('\n');
                }
                text
            }),
        1 => proptest::collection::vec(prop_oneof![Just('é'), Just('😀'), Just('"'), Just('\u{0}')], 0..6)
            .prop_map(|chars| chars.into_iter().collect::<String>()),
        1 => any::<String>(),
    ]
}

fn level() -> impl Strategy<Value = Level> {
    prop_oneof![Just(Level::Low), Just(Level::VeryHigh)]
}

fn kitchen_sink() -> impl Strategy<Value = KitchenSink> {
    let numbers = (
        any::<i8>(),
        any::<u16>(),
        prop_oneof![0u32..30, any::<u32>()],
        any::<i64>(),
        prop_oneof![
            -2.0f64..2.0,
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(1.5),
            Just(-1.5)
        ],
        proptest::option::of(prop_oneof![any::<f32>(), Just(f32::NAN)]),
        any::<bool>(),
        proptest::option::of(prop_oneof![any::<i16>(), -3i16..3]),
    );
    let texts = (
        text(),
        text(),
        prop_oneof![
            Just("red"),
            Just("green"),
            Just("Red"),
            Just("blue"),
            Just("")
        ]
        .prop_map(str::to_owned),
        proptest::collection::vec(text(), 0..5),
        proptest::collection::vec(level(), 0..3),
        proptest::option::of(proptest::collection::vec(
            proptest::option::of(any::<u8>()),
            0..4,
        )),
    );
    let rest = (
        (text(), proptest::option::of(level())).prop_map(|(code, level)| Inner { code, level }),
        proptest::option::of(text()),
        proptest::option::of(any::<u64>()),
        any::<u64>(),
        text(),
    );
    (numbers, texts, rest).prop_map(
        |(
            (small, unsigned, ranged, wide, ratio, single, flag, optional_ranged),
            (id, short, color, tags, levels, maybe_items),
            (inner, email, skipped, even, r#type),
        )| KitchenSink {
            small,
            unsigned,
            ranged,
            wide,
            ratio,
            single,
            flag,
            id,
            short,
            color,
            tags,
            levels,
            maybe_items,
            inner,
            email,
            skipped,
            even,
            r#type: r#type.into(),
            optional_ranged,
        },
    )
}

fn validator() -> Validator {
    jsonschema::validator_for(&KitchenSink::schema().json_schema()).expect("the schema compiles")
}

fn instance(event: &KitchenSink) -> Value {
    let mut bytes = Vec::new();
    event.write_json(&mut bytes);
    serde_json::from_slice(&bytes).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn schema_agrees_with_validate(event in kitchen_sink()) {
        let validator = validator();
        let value = instance(&event);
        let violations: Vec<String> = match event.validate() {
            Ok(()) => Vec::new(),
            Err(errors) => errors
                .iter()
                .filter(|error| error.rule != "custom")
                .map(|error| format!("{}: {}", error.path, error.message))
                .collect(),
        };
        let schema_errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|error| format!("{}: {error}", error.instance_path()))
            .collect();
        prop_assert_eq!(
            violations.is_empty(),
            schema_errors.is_empty(),
            "instance {}\nvalidate(): {:?}\nschema: {:?}",
            value,
            violations,
            schema_errors
        );
    }
}

#[test]
fn mapping_of_every_kind() {
    let schema = KitchenSink::schema().json_schema();
    assert!(jsonschema::meta::is_valid(&schema));
    assert_eq!(schema["x-event-version"], json!(2));
    let params = &schema["properties"]["event_params"];
    let p = &params["properties"];
    assert_eq!(
        p["small"],
        json!({ "type": "integer", "minimum": -128, "maximum": 127 })
    );
    assert_eq!(
        p["ranged"],
        json!({ "type": "integer", "minimum": 10, "maximum": 20 })
    );
    assert_eq!(
        p["ratio"],
        json!({ "type": "number", "minimum": -1.5, "maximum": 1.5 })
    );
    assert_eq!(p["single"], json!({ "type": ["number", "null"] }));
    assert_eq!(
        p["id"],
        json!({ "type": "string", "pattern": "^[a-z]+-[0-9]+$" })
    );
    assert_eq!(
        p["short"],
        json!({ "type": "string", "minLength": 2, "maxLength": 4 })
    );
    assert_eq!(
        p["color"],
        json!({ "type": "string", "enum": ["red", "green"] })
    );
    assert_eq!(
        p["tags"],
        json!({ "type": "array", "items": { "type": "string" }, "minItems": 1, "maxItems": 3 })
    );
    assert_eq!(
        p["levels"],
        json!({ "type": "array", "items": { "$ref": "#/$defs/Level" }, "minItems": 1 })
    );
    assert_eq!(
        p["maybe_items"],
        json!({
            "type": ["array", "null"],
            "items": { "type": ["integer", "null"], "minimum": 0, "maximum": 255 }
        })
    );
    assert_eq!(p["inner"], json!({ "$ref": "#/$defs/Inner" }));
    assert_eq!(
        p["email"],
        json!({ "type": ["string", "null"], "description": "Personal.", "x-pii": true })
    );
    assert_eq!(p["even"]["type"], json!("integer"), "custom is left out");
    assert!(p["type"].is_object(), "renamed raw identifier");
    assert_eq!(
        p["optional_ranged"],
        json!({ "type": ["integer", "null"], "minimum": 0, "maximum": 32767 })
    );
    let required: Vec<&str> = params["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|name| name.as_str().unwrap())
        .collect();
    assert!(
        !required.contains(&"skipped"),
        "skip_serializing_if: not always written"
    );
    assert!(required.contains(&"email") && required.contains(&"type"));
    assert_eq!(required.len(), 18);
    assert_eq!(
        schema["$defs"]["Level"],
        json!({ "title": "Level", "description": "A level.", "type": "string", "enum": ["LOW", "VERY_HIGH"] })
    );
    assert_eq!(
        schema["$defs"]["Inner"]["properties"]["level"],
        json!({ "anyOf": [{ "$ref": "#/$defs/Level" }, { "type": "null" }], "description": "Maybe a level." })
    );
}

#[test]
fn omitted_keys_and_nulls() {
    let validator = validator();
    let event = KitchenSink {
        small: 0,
        unsigned: 0,
        ranged: 10,
        wide: -1,
        ratio: 0.5,
        single: None,
        flag: true,
        id: "ab-12".into(),
        short: "abc".into(),
        color: "red".into(),
        tags: vec!["x".into()],
        levels: vec![Level::Low],
        maybe_items: Some(vec![None, Some(3)]),
        inner: Inner {
            code: "é😀".into(),
            level: None,
        },
        email: None,
        skipped: None,
        even: 2,
        r#type: "t".into(),
        optional_ranged: None,
    };
    event.validate().unwrap();
    let value = instance(&event);
    assert!(value["event_params"].get("skipped").is_none());
    assert!(validator.is_valid(&value));
    let mut with_skipped = value.clone();
    with_skipped["event_params"]["skipped"] = json!(5);
    assert!(validator.is_valid(&with_skipped));
    // An `Option` stays nullable whatever its `skip_serializing_if` says.
    with_skipped["event_params"]["skipped"] = Value::Null;
    assert!(validator.is_valid(&with_skipped));
    let mut missing_email = value.clone();
    missing_email["event_params"]
        .as_object_mut()
        .unwrap()
        .remove("email");
    assert!(!validator.is_valid(&missing_email));
}

#[test]
fn plan_schema_dispatches_on_event_type() {
    let plan = TrackingPlan::from_events(&[KitchenSink::schema()]);
    let schema = plan.json_schema();
    assert!(jsonschema::meta::is_valid(&schema));
    assert_eq!(schema["oneOf"], json!([{ "$ref": "#/$defs/kitchen_sink" }]));
    let validator = jsonschema::validator_for(&schema).unwrap();
    let event = KitchenSink {
        small: 1,
        unsigned: 2,
        ranged: 15,
        wide: 3,
        ratio: 1.0,
        single: Some(0.25),
        flag: false,
        id: "a-1".into(),
        short: "ab".into(),
        color: "green".into(),
        tags: vec!["a".into(), "b".into()],
        levels: vec![Level::VeryHigh],
        maybe_items: None,
        inner: Inner {
            code: String::new(),
            level: Some(Level::Low),
        },
        email: Some("someone@example.invalid".into()),
        skipped: Some(4),
        even: 4,
        r#type: "x".into(),
        optional_ranged: Some(7),
    };
    let value = instance(&event);
    assert!(validator.is_valid(&value));
    let mut other = value.clone();
    other["event_type"] = json!("other_event");
    assert!(!validator.is_valid(&other));
}

#[test]
fn markdown_of_nested_nullables_is_unambiguous() {
    let markdown = TrackingPlan::from_events(&[KitchenSink::schema()]).to_markdown();
    assert!(
        markdown.contains("| `maybe_items` | array of (integer (u8) or null) or null | yes |"),
        "{markdown}"
    );
    assert!(markdown.contains("| `inner.code` | string | yes | `length(max = 3)` |"));
    assert!(markdown.contains("| `skipped` | integer (u64) or null | no |"));
    assert!(markdown.contains("| `email` | string or null | yes |  | yes | Personal. |"));
}

/// Half of a base with odd names.
#[derive(AnalyticsFields)]
pub struct OddBase {
    /// Quoted "words", a back\slash, a newline
    /// and more: ünïcødé 12:34.
    #[serde(rename = "1:odd.key")]
    #[analytics(user_id)]
    pub odd: String,
}

/// Another base.
#[derive(AnalyticsFields)]
pub struct OtherBase {
    #[analytics(anonymous_id, non_empty)]
    pub device: Option<String>,
}

/// Every fact a derive declares of a field, with text that a naive
/// encoding of the schema tables would get wrong.
#[derive(AnalyticsEvent)]
#[analytics(name = "every_fact", write_only)]
pub struct EveryFact {
    #[analytics(flatten)]
    pub odd: OddBase,
    /// Deprecated, with a note of many words: "quoted", 3:4.
    #[deprecated = "use `other` (since 2:0)"]
    #[analytics(pii, range(min = -9223372036854775808, max = 2.5e300))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<f64>,
    #[analytics(flatten)]
    pub other: OtherBase,
    #[analytics(pattern = "^a:b,c.d_[0-9]{2}$", length(min = 0), one_of = ["", "ä,b", "x:y", "a:b,c.d_12"])]
    pub tricky: &'static str,
    #[analytics(length(max = 18446744073709551615), custom = tricky_rule)]
    pub list: Vec<u8>,
}

fn tricky_rule(_: &Vec<u8>) -> Result<(), String> {
    Ok(())
}

#[test]
fn every_declared_fact_reaches_the_schema() {
    use analytics_core::schema::{Bound, IdentityRole, Rule};
    let schema = EveryFact::schema();
    let fields: Vec<_> = schema.fields.iter().collect();
    let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
    assert_eq!(names, ["1:odd.key", "old", "device", "tricky", "list"]);
    let paths: Vec<&str> = fields.iter().map(|f| f.rust_path).collect();
    assert_eq!(paths, ["odd.odd", "old", "other.device", "tricky", "list"]);

    let odd = fields[0];
    assert_eq!(
        odd.description,
        "Quoted \"words\", a back\\slash, a newline\nand more: ünïcødé 12:34."
    );
    assert_eq!(odd.identity, Some(IdentityRole::UserId));
    assert!(odd.required && !odd.nullable && !odd.pii && odd.rules.is_empty());

    let old = fields[1];
    assert_eq!(
        old.description,
        "Deprecated, with a note of many words: \"quoted\", 3:4."
    );
    assert_eq!(old.deprecated, Some("use `other` (since 2:0)"));
    assert!(old.pii && !old.required && old.nullable && old.identity.is_none());
    assert_eq!(
        old.rules,
        [Rule::Range {
            min: Some(Bound::Int(i64::MIN.into())),
            max: Some(Bound::Float(2.5e300)),
        }]
    );

    let device = fields[2];
    assert_eq!(device.identity, Some(IdentityRole::AnonymousId));
    assert_eq!(device.rules, [Rule::NonEmpty]);
    assert!(device.nullable && device.description.is_empty());

    assert_eq!(
        fields[3].rules,
        [
            Rule::Length {
                min: Some(0),
                max: None
            },
            Rule::Pattern("^a:b,c.d_[0-9]{2}$"),
            Rule::OneOf(&["", "ä,b", "x:y", "a:b,c.d_12"]),
        ]
    );
    assert_eq!(
        fields[4].rules,
        [
            Rule::Length {
                min: None,
                max: Some(u64::MAX)
            },
            Rule::Custom("tricky_rule"),
        ]
    );
}
