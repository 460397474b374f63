//! The derived writer and the derived `Serialize` equal serde's own derive for
//! every field type the derives support: all integer widths, floats (NaN and
//! infinities included), bool, String / Cow / Box<str>, Option, Vec, nested
//! objects, flattened bases, enums under every `rename_all`, `rename`, raw
//! identifiers and `skip_serializing_if`.

use std::borrow::Cow;

use analytics_core::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, AnalyticsValue};
use proptest::prelude::*;

/// Declares a derived enum and its serde twin with the same `rename_all`.
macro_rules! enums {
    ($($name:ident / $twin:ident = $rule:literal;)*) => {$(
        #[derive(AnalyticsEnum, Debug, Clone, Copy, PartialEq)]
        #[serde(rename_all = $rule)]
        pub enum $name { FirstValue, SecondHTTPValue, #[serde(rename = "third.value")] ThirdValue, X }

        #[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq)]
        #[serde(rename_all = $rule)]
        pub enum $twin { FirstValue, SecondHTTPValue, #[serde(rename = "third.value")] ThirdValue, X }

        impl From<$name> for $twin {
            fn from(value: $name) -> $twin {
                match value {
                    $name::FirstValue => $twin::FirstValue,
                    $name::SecondHTTPValue => $twin::SecondHTTPValue,
                    $name::ThirdValue => $twin::ThirdValue,
                    $name::X => $twin::X,
                }
            }
        }
    )*};
}

enums! {
    Lower / LowerTwin = "lowercase";
    Upper / UpperTwin = "UPPERCASE";
    Pascal / PascalTwin = "PascalCase";
    Camel / CamelTwin = "camelCase";
    Snake / SnakeTwin = "snake_case";
    ScreamingSnake / ScreamingSnakeTwin = "SCREAMING_SNAKE_CASE";
    Kebab / KebabTwin = "kebab-case";
    ScreamingKebab / ScreamingKebabTwin = "SCREAMING-KEBAB-CASE";
}

#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Inner {
    pub inner_name: String,
    pub r#type: Option<u16>,
}

#[derive(serde::Serialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct InnerTwin {
    pub inner_name: String,
    pub r#type: Option<u16>,
}

#[derive(AnalyticsFields, Debug, Clone, PartialEq)]
pub struct Numbers {
    pub a_i8: i8,
    pub a_i16: i16,
    pub a_i32: i32,
    pub a_i64: i64,
    pub a_i128: i128,
    pub a_isize: isize,
    pub a_u8: u8,
    pub a_u16: u16,
    pub a_u32: u32,
    pub a_u64: u64,
    pub a_u128: u128,
    pub a_usize: usize,
    pub a_f32: f32,
    pub a_f64: f64,
}

#[derive(serde::Serialize, Debug)]
pub struct NumbersTwin {
    pub a_i8: i8,
    pub a_i16: i16,
    pub a_i32: i32,
    pub a_i64: i64,
    pub a_i128: i128,
    pub a_isize: isize,
    pub a_u8: u8,
    pub a_u16: u16,
    pub a_u32: u32,
    pub a_u64: u64,
    pub a_u128: u128,
    pub a_usize: usize,
    pub a_f32: f32,
    pub a_f64: f64,
}

fn is_zero(value: &u32) -> bool {
    *value == 0
}

/// Every supported shape in one event.
#[derive(AnalyticsEvent, Debug, Clone, PartialEq)]
#[analytics(name = "everything")]
pub struct Everything {
    #[serde(flatten)]
    pub numbers: Numbers,
    pub flag: bool,
    pub text: String,
    pub cow: Cow<'static, str>,
    pub boxed: Box<str>,
    #[serde(rename = "renamed \"key\"\n")]
    pub renamed: Option<String>,
    pub r#type: String,
    pub maybe_float: Option<f64>,
    pub list: Vec<i64>,
    pub maybe_list: Option<Vec<String>>,
    pub nested: Inner,
    pub nested_list: Vec<Inner>,
    pub maybe_nested: Option<Inner>,
    pub boxed_number: Box<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_when_none: Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub skipped_when_zero: u32,
    pub lower: Lower,
    pub upper: Upper,
    pub pascal: Pascal,
    pub camel: Camel,
    pub snake: Snake,
    pub screaming_snake: ScreamingSnake,
    pub kebab: Kebab,
    pub screaming_kebab: ScreamingKebab,
    pub enum_list: Vec<Option<Snake>>,
}

#[derive(serde::Serialize, Debug)]
pub struct EverythingTwin {
    #[serde(flatten)]
    pub numbers: NumbersTwin,
    pub flag: bool,
    pub text: String,
    pub cow: Cow<'static, str>,
    pub boxed: Box<str>,
    #[serde(rename = "renamed \"key\"\n")]
    pub renamed: Option<String>,
    pub r#type: String,
    pub maybe_float: Option<f64>,
    pub list: Vec<i64>,
    pub maybe_list: Option<Vec<String>>,
    pub nested: InnerTwin,
    pub nested_list: Vec<InnerTwin>,
    pub maybe_nested: Option<InnerTwin>,
    pub boxed_number: Box<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped_when_none: Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub skipped_when_zero: u32,
    pub lower: LowerTwin,
    pub upper: UpperTwin,
    pub pascal: PascalTwin,
    pub camel: CamelTwin,
    pub snake: SnakeTwin,
    pub screaming_snake: ScreamingSnakeTwin,
    pub kebab: KebabTwin,
    pub screaming_kebab: ScreamingKebabTwin,
    pub enum_list: Vec<Option<SnakeTwin>>,
}

fn inner_twin(inner: &Inner) -> InnerTwin {
    InnerTwin {
        inner_name: inner.inner_name.clone(),
        r#type: inner.r#type,
    }
}

fn twin(e: &Everything) -> EverythingTwin {
    let n = &e.numbers;
    EverythingTwin {
        numbers: NumbersTwin {
            a_i8: n.a_i8,
            a_i16: n.a_i16,
            a_i32: n.a_i32,
            a_i64: n.a_i64,
            a_i128: n.a_i128,
            a_isize: n.a_isize,
            a_u8: n.a_u8,
            a_u16: n.a_u16,
            a_u32: n.a_u32,
            a_u64: n.a_u64,
            a_u128: n.a_u128,
            a_usize: n.a_usize,
            a_f32: n.a_f32,
            a_f64: n.a_f64,
        },
        flag: e.flag,
        text: e.text.clone(),
        cow: e.cow.clone(),
        boxed: e.boxed.clone(),
        renamed: e.renamed.clone(),
        r#type: e.r#type.clone(),
        maybe_float: e.maybe_float,
        list: e.list.clone(),
        maybe_list: e.maybe_list.clone(),
        nested: inner_twin(&e.nested),
        nested_list: e.nested_list.iter().map(inner_twin).collect(),
        maybe_nested: e.maybe_nested.as_ref().map(inner_twin),
        boxed_number: e.boxed_number.clone(),
        skipped_when_none: e.skipped_when_none.clone(),
        skipped_when_zero: e.skipped_when_zero,
        lower: e.lower.into(),
        upper: e.upper.into(),
        pascal: e.pascal.into(),
        camel: e.camel.into(),
        snake: e.snake.into(),
        screaming_snake: e.screaming_snake.into(),
        kebab: e.kebab.into(),
        screaming_kebab: e.screaming_kebab.into(),
        enum_list: e.enum_list.iter().map(|v| v.map(Into::into)).collect(),
    }
}

fn text() -> impl Strategy<Value = String> {
    let chars = prop_oneof![
        Just('"'),
        Just('\\'),
        Just('\n'),
        Just('\u{1}'),
        Just('é'),
        Just('😀'),
        any::<char>()
    ];
    proptest::collection::vec(chars, 0..10).prop_map(|c| c.into_iter().collect())
}

fn float64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(0.0),
        Just(-0.0),
        Just(1e21),
        Just(1e-7)
    ]
}

fn float32() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<f32>(),
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::MIN_POSITIVE)
    ]
}

fn numbers() -> impl Strategy<Value = Numbers> {
    (
        (
            any::<i8>(),
            any::<i16>(),
            any::<i32>(),
            any::<i64>(),
            any::<i128>(),
            any::<isize>(),
        ),
        (
            any::<u8>(),
            any::<u16>(),
            any::<u32>(),
            any::<u64>(),
            any::<u128>(),
            any::<usize>(),
        ),
        (float32(), float64()),
    )
        .prop_map(
            |(
                (a_i8, a_i16, a_i32, a_i64, a_i128, a_isize),
                (a_u8, a_u16, a_u32, a_u64, a_u128, a_usize),
                (a_f32, a_f64),
            )| {
                Numbers {
                    a_i8,
                    a_i16,
                    a_i32,
                    a_i64,
                    a_i128,
                    a_isize,
                    a_u8,
                    a_u16,
                    a_u32,
                    a_u64,
                    a_u128,
                    a_usize,
                    a_f32,
                    a_f64,
                }
            },
        )
}

fn inner() -> impl Strategy<Value = Inner> {
    (text(), proptest::option::of(any::<u16>()))
        .prop_map(|(inner_name, r#type)| Inner { inner_name, r#type })
}

fn variant<T: Clone + std::fmt::Debug + 'static>(all: [T; 4]) -> impl Strategy<Value = T> {
    proptest::sample::select(all.to_vec())
}

fn everything() -> BoxedStrategy<Everything> {
    let strings = (
        text(),
        text(),
        text(),
        proptest::option::of(text()),
        text(),
        proptest::option::of(float64()),
    );
    let lists = (
        proptest::collection::vec(any::<i64>(), 0..4),
        proptest::option::of(proptest::collection::vec(text(), 0..3)),
        inner(),
        proptest::collection::vec(inner(), 0..3),
        proptest::option::of(inner()),
        any::<u32>(),
        proptest::option::of(text()),
        prop_oneof![Just(0u32), any::<u32>()],
    );
    let enums = (
        variant([
            Lower::FirstValue,
            Lower::SecondHTTPValue,
            Lower::ThirdValue,
            Lower::X,
        ]),
        variant([
            Upper::FirstValue,
            Upper::SecondHTTPValue,
            Upper::ThirdValue,
            Upper::X,
        ]),
        variant([
            Pascal::FirstValue,
            Pascal::SecondHTTPValue,
            Pascal::ThirdValue,
            Pascal::X,
        ]),
        variant([
            Camel::FirstValue,
            Camel::SecondHTTPValue,
            Camel::ThirdValue,
            Camel::X,
        ]),
        variant([
            Snake::FirstValue,
            Snake::SecondHTTPValue,
            Snake::ThirdValue,
            Snake::X,
        ]),
        variant([
            ScreamingSnake::FirstValue,
            ScreamingSnake::SecondHTTPValue,
            ScreamingSnake::ThirdValue,
            ScreamingSnake::X,
        ]),
        variant([
            Kebab::FirstValue,
            Kebab::SecondHTTPValue,
            Kebab::ThirdValue,
            Kebab::X,
        ]),
        variant([
            ScreamingKebab::FirstValue,
            ScreamingKebab::SecondHTTPValue,
            ScreamingKebab::ThirdValue,
            ScreamingKebab::X,
        ]),
        proptest::collection::vec(
            proptest::option::of(variant([
                Snake::FirstValue,
                Snake::SecondHTTPValue,
                Snake::ThirdValue,
                Snake::X,
            ])),
            0..3,
        ),
    );
    (numbers(), any::<bool>(), strings, lists, enums)
        .prop_map(
            |(
                numbers,
                flag,
                (text, cow, boxed, renamed, r#type, maybe_float),
                (
                    list,
                    maybe_list,
                    nested,
                    nested_list,
                    maybe_nested,
                    boxed_number,
                    skipped_when_none,
                    skipped_when_zero,
                ),
                (
                    lower,
                    upper,
                    pascal,
                    camel,
                    snake,
                    screaming_snake,
                    kebab,
                    screaming_kebab,
                    enum_list,
                ),
            )| Everything {
                numbers,
                flag,
                text,
                cow: Cow::Owned(cow),
                boxed: boxed.into_boxed_str(),
                renamed,
                r#type,
                maybe_float,
                list,
                maybe_list,
                nested,
                nested_list,
                maybe_nested,
                boxed_number: Box::new(boxed_number),
                skipped_when_none,
                skipped_when_zero,
                lower,
                upper,
                pascal,
                camel,
                snake,
                screaming_snake,
                kebab,
                screaming_kebab,
                enum_list,
            },
        )
        .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn every_field_type_matches_serde(event in everything()) {
        let twin = twin(&event);
        let expected = serde_json::to_string(&twin).unwrap();
        let mut fast = Vec::new();
        event.write_params_json(&mut fast);
        prop_assert_eq!(String::from_utf8(fast).unwrap(), expected.clone(), "derived writer");
        prop_assert_eq!(serde_json::to_string(&event).unwrap(), expected.clone(), "derived Serialize");
        prop_assert_eq!(serde_json::to_string_pretty(&event).unwrap(), serde_json::to_string_pretty(&twin).unwrap());

        let mut envelope = Vec::new();
        event.write_json(&mut envelope);
        let expected_envelope = format!(r#"{{"event_type":"everything","event_params":{expected}}}"#);
        prop_assert_eq!(String::from_utf8(envelope).unwrap(), expected_envelope);
    }

    #[test]
    fn enums_match_serde(value in variant([Kebab::FirstValue, Kebab::SecondHTTPValue, Kebab::ThirdValue, Kebab::X])) {
        let twin: KebabTwin = value.into();
        let json = serde_json::to_string(&twin).unwrap();
        prop_assert_eq!(serde_json::to_string(&value).unwrap(), json.clone());
        let mut fast = Vec::new();
        value.write_json(&mut fast);
        prop_assert_eq!(String::from_utf8(fast).unwrap(), json.clone());
        prop_assert_eq!(serde_json::from_str::<Kebab>(&json).unwrap(), value);
        prop_assert_eq!(format!("\"{}\"", value.as_str()), json);
    }
}

#[test]
fn rename_all_values_are_serdes() {
    let cases: [(&[&str], &[&str]); 8] = [
        (
            Lower::VALUES,
            &["firstvalue", "secondhttpvalue", "third.value", "x"],
        ),
        (
            Upper::VALUES,
            &["FIRSTVALUE", "SECONDHTTPVALUE", "third.value", "X"],
        ),
        (
            Pascal::VALUES,
            &["FirstValue", "SecondHTTPValue", "third.value", "X"],
        ),
        (
            Camel::VALUES,
            &["firstValue", "secondHTTPValue", "third.value", "x"],
        ),
        (
            Snake::VALUES,
            &["first_value", "second_h_t_t_p_value", "third.value", "x"],
        ),
        (
            ScreamingSnake::VALUES,
            &["FIRST_VALUE", "SECOND_H_T_T_P_VALUE", "third.value", "X"],
        ),
        (
            Kebab::VALUES,
            &["first-value", "second-h-t-t-p-value", "third.value", "x"],
        ),
        (
            ScreamingKebab::VALUES,
            &["FIRST-VALUE", "SECOND-H-T-T-P-VALUE", "third.value", "X"],
        ),
    ];
    for (derived, expected) in cases {
        assert_eq!(derived, expected);
    }
    assert_eq!(
        Snake::from_wire("second_h_t_t_p_value"),
        Some(Snake::SecondHTTPValue)
    );
    assert_eq!(Snake::from_wire("SecondHTTPValue"), None);
}

#[test]
fn raw_identifiers_and_default_names() {
    assert_eq!(Everything::EVENT_NAME, "everything");
    let schema = Everything::schema();
    assert!(schema.field("type").is_some());
    assert!(schema.field("renamed \"key\"\n").is_some());
    assert!(!schema.field("skipped_when_none").unwrap().required);

    #[derive(AnalyticsEvent)]
    struct HTTPRequestSent {
        pub r#type: String,
    }
    assert_eq!(
        HTTPRequestSent::EVENT_NAME,
        "h_t_t_p_request_sent",
        "serde's snake_case rule"
    );
    let mut out = Vec::new();
    HTTPRequestSent { r#type: "x".into() }.write_json(&mut out);
    assert_eq!(
        out,
        br#"{"event_type":"h_t_t_p_request_sent","event_params":{"type":"x"}}"#
    );
}

#[test]
fn serde_default_fills_missing_fields() {
    fn seven() -> u32 {
        7
    }
    #[derive(AnalyticsEvent, Debug, PartialEq)]
    struct WithDefaults {
        #[serde(default)]
        count: u32,
        #[serde(default = "seven")]
        lucky: u32,
        name: Option<String>,
    }
    let event: WithDefaults = serde_json::from_str("{}").unwrap();
    assert_eq!(
        event,
        WithDefaults {
            count: 0,
            lucky: 7,
            name: None
        }
    );
    let event: WithDefaults =
        serde_json::from_str(r#"{"count":2,"lucky":3,"name":"n","extra":[1]}"#).unwrap();
    assert_eq!(
        event,
        WithDefaults {
            count: 2,
            lucky: 3,
            name: Some("n".into())
        }
    );
    let error = serde_json::from_str::<WithDefaults>(r#"{"count":1,"count":2}"#).unwrap_err();
    assert!(
        error.to_string().contains("duplicate field `count`"),
        "{error}"
    );
}
