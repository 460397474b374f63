//! Every field rule at its boundaries, `None` skipping, struct-level checks
//! and the `ValidationErrors` report.

use std::borrow::Cow;

use analytics_core::{AnalyticsEvent, AnalyticsFields, ValidationErrors};

#[derive(AnalyticsEvent, Clone, Debug)]
#[analytics(name = "numbers")]
struct Numbers {
    #[analytics(range(min = -1, max = 255))]
    exit_code: i32,
    #[analytics(range(max = 200))]
    small: u8,
    #[analytics(range(min = 10))]
    at_least_ten: i64,
    #[analytics(range(max = 18446744073709551614))]
    big: u64,
    #[analytics(range(min = 1))]
    huge: u128,
    #[analytics(range(min = 0.0, max = 1.0))]
    ratio: f64,
    #[analytics(range(min = 0, max = 100))]
    percent: f32,
    #[analytics(range(min = 1, max = 5))]
    maybe: Option<u16>,
}

fn numbers() -> Numbers {
    Numbers {
        exit_code: 0,
        small: 0,
        at_least_ten: 10,
        big: 0,
        huge: 1,
        ratio: 0.5,
        percent: 50.0,
        maybe: None,
    }
}

fn failing_paths(errors: &ValidationErrors) -> Vec<(&str, &'static str)> {
    errors.iter().map(|e| (e.path.as_str(), e.rule)).collect()
}

fn single_failure<E: AnalyticsEvent>(event: &E) -> (String, &'static str, String) {
    let errors = event.validate().expect_err("one rule must fail");
    assert_eq!(errors.len(), 1, "{errors}");
    let error = errors.iter().next().unwrap();
    (error.path.clone(), error.rule, error.message.clone())
}

#[test]
fn range_integer_boundaries() {
    for (code, ok) in [
        (-2, false),
        (-1, true),
        (0, true),
        (255, true),
        (256, false),
    ] {
        let event = Numbers {
            exit_code: code,
            ..numbers()
        };
        assert_eq!(event.validate().is_ok(), ok, "exit_code = {code}");
    }
    for (small, ok) in [(0, true), (200, true), (201, false), (255, false)] {
        let event = Numbers { small, ..numbers() };
        assert_eq!(event.validate().is_ok(), ok, "small = {small}");
    }
    for (value, ok) in [(9, false), (10, true), (i64::MAX, true), (i64::MIN, false)] {
        let event = Numbers {
            at_least_ten: value,
            ..numbers()
        };
        assert_eq!(event.validate().is_ok(), ok, "at_least_ten = {value}");
    }
    for (big, ok) in [(u64::MAX - 1, true), (u64::MAX, false)] {
        let event = Numbers { big, ..numbers() };
        assert_eq!(event.validate().is_ok(), ok, "big = {big}");
    }
    for (huge, ok) in [(0, false), (1, true), (u128::MAX, true)] {
        let event = Numbers { huge, ..numbers() };
        assert_eq!(event.validate().is_ok(), ok, "huge = {huge}");
    }
}

#[test]
fn range_float_boundaries() {
    for (ratio, ok) in [
        (0.0, true),
        (-0.0, true),
        (1.0, true),
        (-f64::EPSILON, false),
        (1.0 + f64::EPSILON, false),
        (f64::NAN, false),
        (f64::INFINITY, false),
    ] {
        let event = Numbers { ratio, ..numbers() };
        assert_eq!(event.validate().is_ok(), ok, "ratio = {ratio}");
    }
    for (percent, ok) in [(0.0, true), (100.0, true), (-0.01, false), (100.01, false)] {
        let event = Numbers {
            percent,
            ..numbers()
        };
        assert_eq!(event.validate().is_ok(), ok, "percent = {percent}");
    }
}

#[test]
fn range_messages() {
    let (path, rule, message) = single_failure(&Numbers {
        exit_code: 256,
        ..numbers()
    });
    assert_eq!((path.as_str(), rule), ("exit_code", "range"));
    assert_eq!(message, "must be between -1 and 255 (got 256)");
    let (_, _, message) = single_failure(&Numbers {
        small: 201,
        ..numbers()
    });
    assert_eq!(message, "must be at most 200 (got 201)");
    let (_, _, message) = single_failure(&Numbers {
        at_least_ten: 9,
        ..numbers()
    });
    assert_eq!(message, "must be at least 10 (got 9)");
    let (path, _, message) = single_failure(&Numbers {
        ratio: 1.5,
        ..numbers()
    });
    assert_eq!(path, "ratio");
    assert_eq!(message, "must be between 0.0 and 1.0 (got 1.5)");
    let (_, _, message) = single_failure(&Numbers {
        ratio: f64::NAN,
        ..numbers()
    });
    assert_eq!(message, "must be between 0.0 and 1.0 (got NaN)");
}

#[test]
fn rules_on_option_apply_to_some_only() {
    for (maybe, ok) in [
        (None, true),
        (Some(0), false),
        (Some(1), true),
        (Some(5), true),
        (Some(6), false),
    ] {
        let event = Numbers { maybe, ..numbers() };
        assert_eq!(event.validate().is_ok(), ok, "maybe = {maybe:?}");
    }
}

#[derive(AnalyticsEvent, Clone, Debug)]
#[analytics(name = "texts")]
struct Texts {
    #[analytics(length(min = 2, max = 4))]
    name: String,
    #[analytics(length(max = 3))]
    boxed: Box<str>,
    #[analytics(non_empty)]
    cow: Cow<'static, str>,
    #[analytics(length(min = 1, max = 2), non_empty)]
    items: Vec<u32>,
    #[analytics(pattern = "^thread-[0-9]+$")]
    thread_id: String,
    #[analytics(pattern = "b")]
    contains_b: String,
    #[analytics(one_of = ["low", "medium", "high"])]
    effort: String,
    #[analytics(non_empty, length(max = 3), pattern = "^[a-z]+$", one_of = ["ab", "abc"])]
    maybe: Option<String>,
    #[analytics(length(min = 1))]
    maybe_items: Option<Vec<String>>,
}

fn texts() -> Texts {
    Texts {
        name: "ab".into(),
        boxed: "".into(),
        cow: Cow::Borrowed("x"),
        items: vec![1],
        thread_id: "thread-1".into(),
        contains_b: "abc".into(),
        effort: "low".into(),
        maybe: None,
        maybe_items: None,
    }
}

#[test]
fn length_counts_chars_not_bytes() {
    for (name, ok) in [
        ("", false),
        ("a", false),
        ("ab", true),
        ("abcd", true),
        ("abcde", false),
        ("éé", true),
        ("😀😀😀😀", true),
        ("😀😀😀😀😀", false),
        ("日本", true),
    ] {
        let event = Texts {
            name: name.into(),
            ..texts()
        };
        assert_eq!(event.validate().is_ok(), ok, "name = {name:?}");
    }
    for (boxed, ok) in [("", true), ("ééé", true), ("éééé", false)] {
        let event = Texts {
            boxed: boxed.into(),
            ..texts()
        };
        assert_eq!(event.validate().is_ok(), ok, "boxed = {boxed:?}");
    }
    let (path, rule, message) = single_failure(&Texts {
        name: "😀".into(),
        ..texts()
    });
    assert_eq!((path.as_str(), rule), ("name", "length"));
    assert_eq!(message, "must have between 2 and 4 chars (got 1)");
}

#[test]
fn length_and_non_empty_count_items() {
    let event = Texts {
        items: vec![],
        ..texts()
    };
    let errors = event.validate().unwrap_err();
    assert_eq!(
        failing_paths(&errors),
        [("items", "length"), ("items", "non_empty")]
    );
    assert_eq!(
        errors.iter().next().unwrap().message,
        "must have between 1 and 2 items (got 0)"
    );
    assert!(Texts {
        items: vec![1, 2],
        ..texts()
    }
    .validate()
    .is_ok());
    let (_, rule, _) = single_failure(&Texts {
        items: vec![1, 2, 3],
        ..texts()
    });
    assert_eq!(rule, "length");
    let (path, _, _) = single_failure(&Texts {
        maybe_items: Some(vec![]),
        ..texts()
    });
    assert_eq!(path, "maybe_items");
}

#[test]
fn non_empty_strings() {
    let (path, rule, message) = single_failure(&Texts {
        cow: Cow::Borrowed(""),
        ..texts()
    });
    assert_eq!(
        (path.as_str(), rule, message.as_str()),
        ("cow", "non_empty", "must not be empty")
    );
    assert!(Texts {
        cow: Cow::Owned(" ".into()),
        ..texts()
    }
    .validate()
    .is_ok());
}

#[test]
fn pattern_is_a_search_unless_anchored() {
    for (id, ok) in [
        ("thread-1", true),
        ("thread-", false),
        ("xthread-1", false),
        ("thread-1x", false),
    ] {
        let event = Texts {
            thread_id: id.into(),
            ..texts()
        };
        assert_eq!(event.validate().is_ok(), ok, "thread_id = {id:?}");
    }
    for (value, ok) in [
        ("b", true),
        ("abc", true),
        ("ac", false),
        ("", false),
        ("B", false),
    ] {
        let event = Texts {
            contains_b: value.into(),
            ..texts()
        };
        assert_eq!(event.validate().is_ok(), ok, "contains_b = {value:?}");
    }
    let (_, rule, message) = single_failure(&Texts {
        thread_id: "t1".into(),
        ..texts()
    });
    assert_eq!(rule, "pattern");
    assert_eq!(message, r#"must match the pattern "^thread-[0-9]+$""#);
}

#[test]
fn one_of_is_case_sensitive() {
    for (effort, ok) in [
        ("low", true),
        ("high", true),
        ("Low", false),
        ("", false),
        ("lowest", false),
    ] {
        let event = Texts {
            effort: effort.into(),
            ..texts()
        };
        assert_eq!(event.validate().is_ok(), ok, "effort = {effort:?}");
    }
    let (_, rule, message) = single_failure(&Texts {
        effort: "HIGH".into(),
        ..texts()
    });
    assert_eq!(rule, "one_of");
    assert_eq!(
        message,
        r#"must be one of "low", "medium", "high" (got "HIGH")"#
    );
}

#[test]
fn every_rule_on_an_option_runs_on_some() {
    assert!(Texts {
        maybe: None,
        ..texts()
    }
    .validate()
    .is_ok());
    assert!(Texts {
        maybe: Some("abc".into()),
        ..texts()
    }
    .validate()
    .is_ok());
    let errors = Texts {
        maybe: Some(String::new()),
        ..texts()
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        failing_paths(&errors),
        [
            ("maybe", "non_empty"),
            ("maybe", "pattern"),
            ("maybe", "one_of")
        ]
    );
    let errors = Texts {
        maybe: Some("ABCD".into()),
        ..texts()
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        failing_paths(&errors),
        [
            ("maybe", "length"),
            ("maybe", "pattern"),
            ("maybe", "one_of")
        ]
    );
}

fn thread_id(value: &str) -> Result<(), String> {
    if value.starts_with("thread-") {
        Ok(())
    } else {
        Err(format!("{value:?} is not a thread id"))
    }
}

fn odd(value: &u32) -> Result<(), &'static str> {
    if value % 2 == 1 {
        Ok(())
    } else {
        Err("must be odd")
    }
}

fn timing(base: &Timing) -> Result<(), String> {
    if base.completed_at_ms >= base.started_at_ms {
        Ok(())
    } else {
        Err("completed_at_ms is before started_at_ms".into())
    }
}

fn counts(event: &Checked) -> Result<(), String> {
    if event.read <= event.total {
        Ok(())
    } else {
        Err("read exceeds total".into())
    }
}

#[derive(AnalyticsFields, Clone, Debug)]
#[analytics(check = timing)]
struct Timing {
    started_at_ms: u64,
    completed_at_ms: u64,
}

#[derive(AnalyticsEvent, Clone, Debug)]
#[analytics(name = "checked", check = counts)]
struct Checked {
    #[analytics(flatten)]
    base: Timing,
    nested: Timing,
    #[analytics(custom = thread_id)]
    thread_id: String,
    #[analytics(custom = odd)]
    maybe_odd: Option<u32>,
    total: u32,
    read: u32,
}

fn checked() -> Checked {
    Checked {
        base: Timing {
            started_at_ms: 1,
            completed_at_ms: 2,
        },
        nested: Timing {
            started_at_ms: 1,
            completed_at_ms: 1,
        },
        thread_id: "thread-1".into(),
        maybe_odd: None,
        total: 2,
        read: 1,
    }
}

#[test]
fn custom_rules_receive_the_value_and_skip_none() {
    assert!(checked().validate().is_ok());
    assert!(Checked {
        maybe_odd: Some(3),
        ..checked()
    }
    .validate()
    .is_ok());
    let (path, rule, message) = single_failure(&Checked {
        maybe_odd: Some(2),
        ..checked()
    });
    assert_eq!(
        (path.as_str(), rule, message.as_str()),
        ("maybe_odd", "custom", "must be odd")
    );
    let (path, _, message) = single_failure(&Checked {
        thread_id: "t".into(),
        ..checked()
    });
    assert_eq!(
        (path.as_str(), message.as_str()),
        ("thread_id", r#""t" is not a thread id"#)
    );
}

#[test]
fn struct_checks_report_at_the_struct_path() {
    let mut event = checked();
    event.base.completed_at_ms = 0;
    event.nested.completed_at_ms = 0;
    event.read = 3;
    let errors = event.validate().unwrap_err();
    assert_eq!(
        failing_paths(&errors),
        [("base", "check"), ("nested", "check"), ("", "check")]
    );
    assert_eq!(
        errors.to_string(),
        "base: completed_at_ms is before started_at_ms\n\
         nested: completed_at_ms is before started_at_ms\n\
         read exceeds total"
    );
    // A group of fields validated on its own: the check is at the top.
    let errors = event.base.validate().unwrap_err();
    assert_eq!(
        errors.to_string(),
        "completed_at_ms is before started_at_ms"
    );
    assert_eq!(errors.get("").unwrap().rule, "check");
}

#[derive(AnalyticsEvent, Clone, Debug)]
#[analytics(name = "five_rules")]
struct FiveRules {
    #[analytics(range(min = 0, max = 10))]
    count: u32,
    #[analytics(length(max = 3))]
    code: String,
    #[analytics(non_empty)]
    tags: Vec<String>,
    #[analytics(pattern = "^[a-z]+$")]
    slug: String,
    #[analytics(one_of = ["a", "b"])]
    kind: Option<String>,
    #[analytics(range(min = 0))]
    untouched: i32,
}

#[test]
fn an_event_breaking_five_rules_reports_exactly_those_five() {
    let event = FiveRules {
        count: 11,
        code: "abcd".into(),
        tags: vec![],
        slug: "Not A Slug".into(),
        kind: Some("c".into()),
        untouched: 0,
    };
    let errors = event.validate().unwrap_err();
    assert_eq!(
        failing_paths(&errors),
        [
            ("count", "range"),
            ("code", "length"),
            ("tags", "non_empty"),
            ("slug", "pattern"),
            ("kind", "one_of"),
        ]
    );
    assert_eq!(errors.len(), 5);
    assert_eq!(
        errors.to_string(),
        "count: must be between 0 and 10 (got 11)\n\
         code: must have at most 3 chars (got 4)\n\
         tags: must not be empty\n\
         slug: must match the pattern \"^[a-z]+$\"\n\
         kind: must be one of \"a\", \"b\" (got \"c\")"
    );
    assert_eq!(errors.get("slug").unwrap().rule, "pattern");
    assert!(errors.get("untouched").is_none());
    let boxed: Box<dyn std::error::Error> = Box::new(errors.clone());
    assert_eq!(boxed.to_string(), errors.to_string());
}
