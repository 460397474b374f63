//! Issue 12, finding 5: `TrackingPlan::from_json` overflowed the stack on a
//! chain of 2,500 objects each referencing the next, and took 3.8 GB and 28 s
//! on 20 levels of objects each referenced twice (22 levels aborted). Now
//! definitions are read once and shared, nesting is bounded
//! ([`MAX_NESTING`]), so is the expanded size ([`MAX_EXPANDED_FIELDS`]), and
//! every bad input is an error.
//!
//! Every call runs on a thread with the default stack, joined with a
//! deadline: a regression fails instead of aborting or hanging the run.

use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use analytics_core::plan::{PlanType, MAX_EXPANDED_FIELDS, MAX_NESTING};
use analytics_core::TrackingPlan;
use proptest::prelude::*;
use serde_json::{json, Value};

/// `from_json(json)` on its own thread (2 MiB stack); panics past 10 s.
fn read(json: String) -> Result<TrackingPlan, analytics_core::plan::PlanError> {
    let (done, result) = mpsc::channel();
    thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let _ = done.send(TrackingPlan::from_json(&json));
        })
        .unwrap();
    match result.recv_timeout(Duration::from_secs(10)) {
        Ok(result) => result,
        Err(error) => panic!("from_json did not return: {error:?}"),
    }
}

/// A plan of one event whose field is object `O0`; `O{i}` has `fanout`
/// fields of object `O{i+1}`; the last object has one string field.
fn chain(levels: usize, fanout: usize) -> String {
    let mut objects = serde_json::Map::new();
    for level in 0..levels {
        let fields: Vec<Value> = if level + 1 == levels {
            vec![json!({"name": "leaf", "type": "string"})]
        } else {
            (0..fanout)
                .map(|i| json!({"name": format!("f{i}"), "type": {"object": format!("O{}", level + 1)}}))
                .collect()
        };
        objects.insert(
            format!("O{level}"),
            json!({"name": format!("O{level}"), "fields": fields}),
        );
    }
    json!({
        "format_version": 1,
        "events": [{"name": "deep", "version": 1, "fields": [{"name": "root", "type": {"object": "O0"}}]}],
        "objects": objects,
    })
    .to_string()
}

#[test]
fn finding_5_a_chain_of_2500_objects_is_an_error() {
    let json = chain(2_500, 1);
    assert!(json.len() > 100_000);
    let started = Instant::now();
    let error = read(json).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        error
            .message()
            .contains(&format!("nested more than {MAX_NESTING} levels")),
        "{error}"
    );
    assert!(error.path().starts_with("objects.O"), "{error}");
}

#[test]
fn finding_5_nesting_up_to_the_bound_is_read() {
    let plan = read(chain(MAX_NESTING, 1)).unwrap();
    assert_eq!(plan.events().len(), 1);
    assert!(read(chain(MAX_NESTING + 1, 1)).is_err());
}

#[test]
fn finding_5_objects_referenced_twice_are_shared_not_expanded() {
    // 2^14 leaves once expanded: within the bound, read and shared.
    let plan = read(chain(14, 2)).unwrap();
    let PlanType::Object(root) = &plan.events()[0].fields[0].ty else {
        panic!("root is an object");
    };
    let (PlanType::Object(a), PlanType::Object(b)) = (&root.fields[0].ty, &root.fields[1].ty)
    else {
        panic!("both fields are objects");
    };
    assert!(Arc::ptr_eq(a, b), "one object, two references");
    // Written back once per definition, read back equal.
    let json = plan.to_json();
    assert!(json.len() < 20_000, "{} bytes", json.len());
    assert_eq!(read(json).unwrap(), plan);
    assert!(TrackingPlan::diff(&plan, &plan).is_empty());
}

#[test]
fn finding_5_twenty_levels_referenced_twice_are_an_error_not_gigabytes() {
    for levels in [20, 22, 60] {
        let json = chain(levels, 2);
        assert!(json.len() < 10_000);
        let started = Instant::now();
        let error = read(json).unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{levels} levels"
        );
        assert!(
            error
                .message()
                .contains(&format!("more than {MAX_EXPANDED_FIELDS} fields")),
            "{error}"
        );
    }
}

#[test]
fn finding_5_deeply_nested_json_is_an_error() {
    // serde_json's recursion limit: an error, not a stack overflow.
    let deep_type = format!(
        "{{\"events\":[{{\"name\":\"a\",\"version\":1,\"fields\":[{{\"name\":\"x\",\"type\":{}\"string\"{}}}]}}]}}",
        "{\"array\":".repeat(5_000),
        "}".repeat(5_000)
    );
    assert!(read(deep_type).is_err());
    let brackets = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(read(brackets).is_err());
}

/// The committed plan, as JSON text.
fn codex_plan() -> &'static str {
    include_str!("../examples/codex/tracking-plan.json")
}

/// Every place in a JSON value, as a path of keys and indexes.
fn places(value: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(path.clone());
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                path.push(Value::String(key.clone()));
                places(member, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(Value::from(index));
                places(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn at<'a>(value: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(value, |value, step| match step {
        Value::String(key) => &mut value[key.as_str()],
        other => &mut value[other.as_u64().unwrap_or(0) as usize],
    })
}

fn any_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z_0-9]{0,8}".prop_map(Value::from),
        Just(json!({})),
        Just(json!([])),
        Just(json!({"object": "AppServerClient"})),
        Just(json!({"array": "string"})),
        Just(json!({"ref": "Nowhere"})),
        Just(json!({"range": {"min": 1}})),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any one place of the committed plan replaced by any value: `Ok` or an
    /// error, never a panic.
    #[test]
    fn finding_5_from_json_never_panics_on_a_mutated_plan(
        pick in any::<prop::sample::Index>(),
        replacement in any_json(),
        remove in any::<bool>(),
    ) {
        let mut value: Value = serde_json::from_str(codex_plan()).unwrap();
        let mut all = Vec::new();
        places(&value, &mut Vec::new(), &mut all);
        let path = &all[pick.index(all.len())];
        match (remove, path.split_last()) {
            (true, Some((Value::String(key), parent))) => {
                if let Some(object) = at(&mut value, parent).as_object_mut() {
                    object.remove(key);
                }
            }
            _ => *at(&mut value, path) = replacement,
        }
        let _ = TrackingPlan::from_json(&value.to_string());
    }

    /// The committed plan's text with bytes cut out or spliced in.
    #[test]
    fn finding_5_from_json_never_panics_on_mangled_text(
        start in any::<prop::sample::Index>(),
        length in 0usize..64,
        insert in "[\\[\\]{}\":,0-9a-z\\\\ ]{0,16}",
    ) {
        let text = codex_plan();
        let mut start = start.index(text.len());
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + length).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let mangled = format!("{}{}{}", &text[..start], insert, &text[end..]);
        let _ = TrackingPlan::from_json(&mangled);
    }
}
