//! The validator's own JSON reader (the scanner) and `serde_json` give the
//! same answers: for every input here, `check_line` (the scanner first,
//! `serde_json` for what it leaves) and `check_line_by_serde_json` (never
//! the scanner) return the same verdict, down to each error's path, rule,
//! message and order, the event type, the payload and the message id; a
//! batch read in place gives each event the bytes `serde_json` finds.
//!
//! The inputs: the Codex events of a simulated session (which the scanner
//! must read by itself, else it measures nothing), generated ones with
//! broken rules and every kind of string, mechanical mutations of a few of
//! them (every truncation, and each of a set of bytes put in place of, and
//! before, every byte), and hand-written cases: escapes, duplicate keys,
//! integers at the edges of 64 bits, floats, leading zeros, deep nesting,
//! trailing bytes; the same over a plan with maps, unions, a recursive
//! object and an `any` field.

use analytics_core::ingest::PlanValidator;
use analytics_core::TrackingPlan;
use codex_analytics::*;
use proptest::prelude::*;

#[path = "support/strategies.rs"]
mod strategies;

fn codex() -> &'static PlanValidator {
    static VALIDATOR: std::sync::OnceLock<PlanValidator> = std::sync::OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let json = TrackingPlan::from_catalog().to_json();
        let plan = TrackingPlan::from_json(&json).expect("the plan reads back");
        PlanValidator::new(&plan)
            .expect("the Codex plan compiles")
            .with_message_id_keys(["message_id", "id"])
    })
}

/// One event of each kind the scanner reads itself: a map (with `length`),
/// unions (external, untagged), a recursive object, `any`, an enum, numbers
/// of each width, a nullable field and an envelope field.
const RICH_PLAN: &str = r#"{"format_version":1,"events":[{"name":"rich","version":3,
"description":"","rust_type":"Rich","envelope":[{"name":"skill_id","rust_path":"skill_id",
"type":"string","required":true,"nullable":false,"description":"","rules":["non_empty"]}],
"fields":[
{"name":"counts","rust_path":"counts","type":{"map":{"values":"u8"}},"required":true,
 "nullable":false,"description":"","rules":[{"length":{"max":2}}]},
{"name":"shape","rust_path":"shape","type":{"union":"Shape"},"required":true,"nullable":false,"description":""},
{"name":"loose","rust_path":"loose","type":{"union":"Loose"},"required":false,"nullable":true,"description":""},
{"name":"tree","rust_path":"tree","type":{"object":"Node"},"required":true,"nullable":false,"description":""},
{"name":"extra","rust_path":"extra","type":"any","required":true,"nullable":false,"description":""},
{"name":"small","rust_path":"small","type":"i8","required":true,"nullable":false,"description":"",
 "rules":[{"range":{"min":-5,"max":5}}]},
{"name":"big","rust_path":"big","type":"u64","required":false,"nullable":true,"description":""},
{"name":"neg","rust_path":"base.neg","type":"i64","required":false,"nullable":true,"description":""},
{"name":"ratio","rust_path":"ratio","type":"f32","required":false,"nullable":true,"description":"",
 "rules":[{"range":{"min":0,"max":1}}]},
{"name":"flag","rust_path":"flag","type":"boolean","required":false,"nullable":true,"description":""},
{"name":"code","rust_path":"code","type":"string","required":false,"nullable":true,"description":"",
 "rules":[{"pattern":"^[a-z]+$"},{"one_of":["ab","cd"]}]}]}],
"objects":{"Node":{"name":"Node","description":"","fields":[
{"name":"label","rust_path":"label","type":"string","required":true,"nullable":false,"description":"",
 "rules":["non_empty"]},
{"name":"children","rust_path":"children","type":{"array":{"ref":"Node"}},"required":true,
 "nullable":false,"description":""}]}},
"enums":{},
"unions":{
"Shape":{"name":"Shape","description":"","tagging":"external","variants":[
 {"name":"none","description":"","shape":"unit"},
 {"name":"circle","description":"","shape":{"struct":[{"name":"radius","rust_path":"radius",
  "type":"f64","required":true,"nullable":false,"description":"","rules":[{"range":{"min":0}}]}]}}]},
"Loose":{"name":"Loose","description":"","tagging":"untagged","variants":[
 {"name":"n","description":"","shape":{"newtype":"u8"}},
 {"name":"s","description":"","shape":{"newtype":"string"}}]}}}"#;

fn rich() -> &'static PlanValidator {
    static VALIDATOR: std::sync::OnceLock<PlanValidator> = std::sync::OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let plan = TrackingPlan::from_json(RICH_PLAN).expect("the rich plan reads");
        PlanValidator::new(&plan).expect("the rich plan compiles")
    })
}

const RICH: &str = r#"{"event_type":"rich","skill_id":"s","event_params":{"counts":{"a":1,"b":2},"shape":{"circle":{"radius":1.5}},"loose":7,"tree":{"label":"r","children":[{"label":"c","children":[]}]},"extra":[1,{"x":null},"y"],"small":-5,"big":18446744073709551615,"neg":-9223372036854775808,"ratio":0.5,"flag":true,"code":"ab"}}"#;

/// Both readers on `bytes`: the same answer. True when the scanner read the
/// line by itself.
fn agree(validator: &PlanValidator, bytes: &[u8]) -> bool {
    let scanned = format!("{:?}", validator.check_line(bytes, 7));
    let by_serde = format!("{:?}", validator.check_line_by_serde_json(bytes, 7));
    assert_eq!(
        scanned,
        by_serde,
        "input: {}",
        String::from_utf8_lossy(bytes)
    );
    validator.scans(bytes)
}

/// A batch of `events` read in place gives what splitting it with
/// `serde_json` and checking each item without the scanner gives.
fn batch_agrees(validator: &PlanValidator, events: &[&[u8]]) {
    let body = [&b"{\"events\":[ "[..], &events.join(&b" ,\n"[..]), b"]}"].concat();
    let in_place: Vec<String> = validator
        .check_batch(&body, 7)
        .map(|item| match item {
            Ok(event) => format!("{:?}", (event.bytes, event.outcome)),
            Err(failed) => format!("{failed:?}"),
        })
        .collect();
    let split: Vec<String> = match validator.split_batch(&body, 7) {
        Ok(items) => items
            .iter()
            .map(|item| {
                let bytes = item.get().as_bytes();
                match validator.check_line_by_serde_json(bytes, 7) {
                    analytics_core::ingest::Line::Event(outcome) => {
                        format!("{:?}", (bytes, outcome))
                    }
                    analytics_core::ingest::Line::Batch(_) => {
                        format!("{:?}", (bytes, validator.check_event(bytes, 7)))
                    }
                }
            })
            .collect(),
        Err(failed) => vec![format!("{failed:?}")],
    };
    // A body that is not a batch voids the events before its one failure.
    match in_place.last() {
        Some(last) if split.len() == 1 && !last.starts_with('(') => {
            assert_eq!(last, &split[0], "body: {}", String::from_utf8_lossy(&body))
        }
        _ => assert_eq!(in_place, split, "body: {}", String::from_utf8_lossy(&body)),
    }
}

/// The bytes put in place of, and before, each byte of an event.
const MUTATIONS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"0",
    b"9",
    b"-",
    b".",
    b"e",
    b"E",
    b"+",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b" ",
    b"\t",
    b"\n",
    b"\x01",
    b"\x1f",
    b"\x7f",
    b"n",
    b"t",
    b"x",
    "\u{e9}".as_bytes(),
    b"\xff",
];

/// Every truncation of `event`, and each of [`MUTATIONS`] in place of and
/// before each of its bytes.
fn mutations(event: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let cuts = (0..event.len()).map(|at| event[..at].to_vec());
    let edits = (0..=event.len()).flat_map(move |at| {
        MUTATIONS.iter().flat_map(move |bytes| {
            let inserted = [&event[..at], bytes, &event[at..]].concat();
            let replaced =
                (at < event.len()).then(|| [&event[..at], bytes, &event[at + 1..]].concat());
            std::iter::once(inserted).chain(replaced)
        })
    });
    cuts.chain(edits)
}

fn json(event: &ToolItemEvent) -> Vec<u8> {
    let mut json = Vec::new();
    event.write_json(&mut json);
    json
}

#[test]
fn the_scanner_reads_every_simulated_codex_event_by_itself_and_agrees() {
    let events = simulate::Session::new(11).events(2_000);
    for event in &events {
        let bytes = json(event);
        assert!(agree(codex(), &bytes), "left to serde_json: {event:?}");
    }
    let bytes: Vec<Vec<u8>> = events.iter().take(50).map(json).collect();
    let items: Vec<&[u8]> = bytes.iter().map(Vec::as_slice).collect();
    batch_agrees(codex(), &items);
}

#[test]
fn every_mutation_of_codex_events_gets_the_same_answer() {
    let events = simulate::Session::new(3).events(40);
    let mut scanned = 0;
    let mut total = 0;
    // Three events of different types, and one with a failed rule.
    let picked: Vec<Vec<u8>> = [0, 17, 33]
        .iter()
        .map(|&index| json(&events[index]))
        .collect();
    for event in &picked {
        for mutated in mutations(event) {
            total += 1;
            scanned += usize::from(agree(codex(), &mutated));
        }
    }
    // The scanner leaves broken JSON to serde_json but reads the many
    // mutations that are JSON still (a digit for a digit, a string's text).
    assert!(scanned > total / 10, "{scanned} of {total} scanned");
    // In a batch: the mutated event second, between two good ones.
    let good = &picked[1];
    for mutated in mutations(&picked[0]).step_by(7) {
        batch_agrees(codex(), &[good, &mutated, good]);
    }
}

#[test]
fn every_mutation_of_a_rich_event_gets_the_same_answer() {
    assert!(agree(rich(), RICH.as_bytes()), "left to serde_json");
    let mut scanned = 0;
    for mutated in mutations(RICH.as_bytes()) {
        scanned += usize::from(agree(rich(), &mutated));
    }
    assert!(scanned > 1_000, "{scanned} scanned");
    for mutated in mutations(RICH.as_bytes()).step_by(5) {
        batch_agrees(rich(), &[RICH.as_bytes(), &mutated]);
    }
}

/// `RICH` with `from` (which it holds once) replaced by `to`.
fn rich_with(from: &str, to: &str) -> String {
    assert_eq!(RICH.matches(from).count(), 1, "{from}");
    RICH.replace(from, to)
}

#[test]
fn edge_cases_get_the_same_answer() {
    let nested =
        |depth: usize, inner: &str| format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth));
    let mut cases: Vec<String> = Vec::new();
    // Integers at the edges of 64 bits, into fields of every width.
    for number in [
        "0",
        "-0",
        "1",
        "-1",
        "5",
        "-5",
        "6",
        "-6",
        "127",
        "128",
        "-128",
        "-129",
        "255",
        "256",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "-18446744073709551616",
        "100000000000000000000000",
        "1e400",
        "-1e400",
        "1e-400",
        "-0.0",
        "0.0",
        "1.0",
        "1.5",
        "1E+2",
        "1e2",
        "1E-2",
        "2.5e-3",
        "0.1e1",
        "01",
        "-01",
        "00",
        "1.",
        ".5",
        "-",
        "+1",
        "1e",
        "1e+",
        "0x10",
        "1_0",
        "NaN",
        "Infinity",
        "4.0000001",
        "3.4028235e38",
        "3.5e38",
    ] {
        for field in [
            "\"small\":-5",
            "\"big\":18446744073709551615",
            "\"ratio\":0.5",
        ] {
            let key = field.split(':').next().unwrap();
            cases.push(rich_with(field, &format!("{key}:{number}")));
        }
        cases.push(rich_with("\"radius\":1.5", &format!("\"radius\":{number}")));
        cases.push(rich_with("\"loose\":7", &format!("\"loose\":{number}")));
        cases.push(rich_with("\"extra\":[1,", &format!("\"extra\":[{number},")));
        cases.push(format!(
            r#"{{"event_type":"rich","event_version":{number},"x":1}}"#
        ));
    }
    // Escapes in keys and values.
    for (from, to) in [
        (r#""label":"r""#, r#""lab\u0065l":"r""#),
        (r#""label":"r""#, r#""label":"\u0072""#),
        (r#""label":"r""#, r#""label":"\n\t\"\\\/\b\f\r""#),
        (r#""label":"r""#, r#""label":"\ud83d\ude00""#),
        (r#""label":"r""#, r#""label":"\ud83d""#),
        (r#""label":"r""#, r#""label":"\ude00""#),
        (r#""label":"r""#, r#""label":"\ud83d\u0041""#),
        (r#""label":"r""#, r#""label":"\x41""#),
        (r#""label":"r""#, r#""label":"\u00e9\u20AC""#),
        (r#""label":"r""#, r#""label":"\u12""#),
        (r#""label":"r""#, "\"label\":\"a\u{1}b\""),
        (r#""label":"r""#, "\"label\":\"\u{e9}\u{2028}\""),
        (r#""code":"ab""#, r#""code":"\u0061b""#),
        (r#""code":"ab""#, r#""code":"a\u0000""#),
        (r#""event_type":"rich""#, r#""event_type":"ri\u0063h""#),
        (r#""event_type":"rich""#, r#""event\u005ftype":"rich""#),
        (r#""skill_id":"s""#, r#""skill_id":"\u0000""#),
        (r#""skill_id":"s""#, r#""skill\u005fid":"s""#),
        (r#""extra":[1,"#, r#""extra":["\ud800",1,"#),
        (r#""extra":[1,"#, r#""extra":["\q",1,"#),
        (r#""a":1,"b":2"#, r#""\u0061":1,"b":2"#),
        (r#""a":1,"b":2"#, r#""a\"":1,"b\\":2"#),
    ] {
        cases.push(rich_with(from, to));
    }
    // Duplicate keys at each level.
    for (from, to) in [
        (r#""small":-5"#, r#""small":-5,"small":9"#),
        (r#""label":"r""#, r#""label":"r","label":"""#),
        (r#""a":1,"b":2"#, r#""a":1,"b":2,"a":3"#),
        (r#""a":1,"b":2"#, r#""a":1,"b":2,"c":3"#),
        (r#""skill_id":"s""#, r#""skill_id":"s","skill_id":"t""#),
        (
            r#""event_type":"rich""#,
            r#""event_type":"rich","event_type":"rich""#,
        ),
        (
            r#""event_type":"rich""#,
            r#""event_type":"rich","event":"rich""#,
        ),
        (
            r#""event_type":"rich""#,
            r#""event_type":"rich","type":"track""#,
        ),
        (
            r#""event_type":"rich""#,
            r#""event_type":"rich","event_version":3"#,
        ),
        (
            r#""event_type":"rich""#,
            r#""event_type":"rich","event_version":"3""#,
        ),
        (
            r#""event_type":"rich""#,
            r#""event_type":"rich","message_id":"m-1""#,
        ),
        (
            r#""event_type":"rich""#,
            r#""event_type":"rich","events":[]"#,
        ),
        (r#""event_type":"rich""#, r#""event_type":"nope""#),
        (r#""event_type":"rich""#, r#""event_type":7"#),
        (r#""small":-5"#, r#""small":-5,"unknown":{"deep":[1,2]}"#),
        (r#""radius":1.5"#, r#""radius":1.5,"r2":1"#),
        (r#""shape":{"circle":{"radius":1.5}}"#, r#""shape":"none""#),
        (
            r#""shape":{"circle":{"radius":1.5}}"#,
            r#""shape":"circle""#,
        ),
        (
            r#""shape":{"circle":{"radius":1.5}}"#,
            r#""shape":{"square":1}"#,
        ),
        (r#""loose":7"#, r#""loose":"seven""#),
        (r#""loose":7"#, r#""loose":[7]"#),
        (r#""loose":7"#, r#""loose":null"#),
        (r#""flag":true"#, r#""flag":"true""#),
        (r#""flag":true"#, r#""flag":nul"#),
        (r#""flag":true"#, r#""flag":True"#),
        (r#""code":"ab""#, r#""code":"xy""#),
        (r#""code":"ab""#, r#""code":"A""#),
        (r#""tree":{"#, r#""tree":null,"t":{"#),
    ] {
        cases.push(rich_with(from, to));
    }
    // Nesting around the serde_json limit and the scanner's, where a value
    // is skipped (`any`, an unknown key) and where it is checked (a tree).
    for depth in [1, 50, 97, 98, 99, 100, 101, 126, 127, 128, 129, 200] {
        cases.push(rich_with(
            r#""extra":[1,"#,
            &format!(r#""extra":[{},"#, nested(depth, "1")),
        ));
        cases.push(rich_with(
            r#""small":-5"#,
            &format!(r#""small":-5,"u":{}"#, nested(depth, "")),
        ));
        cases.push(rich_with(
            r#""small":-5"#,
            &format!(r#""small":{}"#, nested(depth, "{}")),
        ));
        let tree = format!(
            "{}{}",
            r#"{"label":"n","children":["#.repeat(depth / 2),
            "]}".repeat(depth / 2)
        );
        cases.push(rich_with(
            r#""tree":{"#,
            &format!(r#""t":{tree},"tree":{{"#),
        ));
        cases.push(format!(
            r#"{{"event_type":"rich","event_version":{}}}"#,
            nested(depth, "3")
        ));
    }
    // Around the value: whitespace, trailing bytes, other top levels.
    for (before, after) in [
        (" \t\r\n", " \n"),
        ("", "x"),
        ("", "}"),
        ("", ","),
        ("", " {}"),
        ("", "\u{0}"),
        ("\u{feff}", ""),
        ("\u{a0}", ""),
        ("", "\u{a0}"),
    ] {
        cases.push(format!("{before}{RICH}{after}"));
    }
    for top in [
        "",
        " ",
        "null",
        "true",
        "1",
        "-0",
        "1e400",
        "\"s\"",
        "[]",
        "[1,2]",
        "{}",
        "{ }",
        r#"{"x":1}"#,
        r#"{"events":[]}"#,
        r#"{"batch":[{"x":1}]}"#,
        r#"{"events":[],"x":1}"#,
        r#"{"event_params":{}}"#,
        r#"{"event_params":{},"event_type":"rich"}"#,
        r#"{"type":"identify","event":"rich","properties":{}}"#,
        r#"{"type":"track","event":"rich","properties":{"small":1},"messageId":"m","context":{"a":[1]}}"#,
        r#"{"event_type":"rich","event_params":{}"#,
        r#"{"event_type":"rich","event_params":{},}"#,
        r#"{"event_type":"rich",,"event_params":{}}"#,
        r#"{"event_type" "rich"}"#,
        r#"{"event_type":"rich" "event_params":{}}"#,
        r#"{event_type:"rich"}"#,
        r#"{"event_type":'rich'}"#,
        r#"{"a":[1,]}"#,
        r#"{"a":[,1]}"#,
        r#"{"a":[1 2]}"#,
    ] {
        cases.push(top.to_owned());
    }
    let mut scanned = 0;
    for case in &cases {
        scanned += usize::from(agree(rich(), case.as_bytes()));
    }
    assert!(
        scanned > cases.len() / 3,
        "{scanned} of {} scanned",
        cases.len()
    );
    for case in cases.iter().step_by(3) {
        batch_agrees(rich(), &[RICH.as_bytes(), case.as_bytes()]);
    }
}

#[test]
fn message_id_keys_and_unknown_envelope_keys_get_the_same_answer() {
    let good = json(&simulate::Session::new(5).events(1)[0]);
    let good = String::from_utf8(good).unwrap();
    let inner = good.strip_prefix('{').unwrap();
    for extra in [
        r#""message_id":"m-1","#,
        r#""id":"m-2","message_id":"m-1","#,
        r#""message_id":7,"#,
        r#""event_version":1,"#,
        r#""other":{"a":1},"#,
    ] {
        let with = format!("{{{extra}{inner}");
        agree(codex(), with.as_bytes());
        let at_end = format!(
            "{}, {}}}",
            &good[..good.len() - 1],
            extra.trim_end_matches(',')
        );
        agree(codex(), at_end.as_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, max_shrink_iters: 256, ..ProptestConfig::default() })]

    #[test]
    fn generated_codex_events_get_the_same_answer(event in strategies::event()) {
        let bytes = json(&event);
        // Strings of every kind, with escapes: still the scanner's to read.
        prop_assert!(agree(codex(), &bytes));
    }
}

/// Types and rules at their edges for the fast accept path: a `length` on
/// a string (in chars) and on an array, a `range` on integers of two widths
/// and on a float, an enum, a pattern, `one_of`, nullable fields, a nested
/// object and a required envelope field.
const EDGE_PLAN: &str = r#"{"format_version":1,"events":[{"name":"edge","version":2,
"description":"","rust_type":"Edge","envelope":[{"name":"tenant","rust_path":"tenant",
"type":"string","required":true,"nullable":false,"description":"","rules":["non_empty"]}],
"fields":[
{"name":"name","rust_path":"name","type":"string","required":true,"nullable":false,"description":"",
 "rules":[{"length":{"min":2,"max":4}}]},
{"name":"tiny","rust_path":"tiny","type":"u8","required":true,"nullable":false,"description":""},
{"name":"small","rust_path":"small","type":"i8","required":true,"nullable":false,"description":"",
 "rules":[{"range":{"min":-100,"max":100}}]},
{"name":"wide","rust_path":"wide","type":"i64","required":false,"nullable":true,"description":""},
{"name":"huge","rust_path":"huge","type":"u64","required":false,"nullable":false,"description":""},
{"name":"ratio","rust_path":"ratio","type":"f64","required":false,"nullable":true,"description":"",
 "rules":[{"range":{"min":0,"max":1}}]},
{"name":"loose","rust_path":"loose","type":"f32","required":false,"nullable":true,"description":""},
{"name":"mode","rust_path":"mode","type":{"enum":"Mode"},"required":true,"nullable":false,"description":""},
{"name":"code","rust_path":"code","type":"string","required":false,"nullable":true,"description":"",
 "rules":[{"pattern":"^[a-z]+$"},{"one_of":["ab","cd"]}]},
{"name":"tags","rust_path":"tags","type":{"array":"string"},"required":true,"nullable":false,
 "description":"","rules":[{"length":{"max":2}},"non_empty"]},
{"name":"inner","rust_path":"inner","type":{"object":"Inner"},"required":true,"nullable":false,"description":""}]}],
"objects":{"Inner":{"name":"Inner","description":"","fields":[
{"name":"on","rust_path":"on","type":"boolean","required":true,"nullable":false,"description":""},
{"name":"note","rust_path":"note","type":"string","required":true,"nullable":true,"description":""}]}},
"enums":{"Mode":{"name":"Mode","description":"","values":[{"name":"fast","description":""},
{"name":"slow","description":""}]}},
"unions":{}}"#;

const EDGE: &str = r#"{"event_type":"edge","event_version":2,"tenant":"t","event_params":{"name":"abc","tiny":255,"small":-100,"wide":-9223372036854775808,"huge":18446744073709551615,"ratio":1,"loose":1.25,"mode":"slow","code":"cd","tags":["a","b"],"inner":{"on":false,"note":null}},"message_id":"m-1"}"#;

fn edge() -> &'static PlanValidator {
    static VALIDATOR: std::sync::OnceLock<PlanValidator> = std::sync::OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let plan = TrackingPlan::from_json(EDGE_PLAN).expect("the edge plan reads");
        PlanValidator::new(&plan).expect("the edge plan compiles")
    })
}

/// `EDGE` with `from` (which it holds once) replaced by `to`.
fn edge_with(from: &str, to: &str) -> String {
    assert_eq!(EDGE.matches(from).count(), 1, "{from}");
    EDGE.replace(from, to)
}

/// Both readers agree on `bytes` (the fast path included), and the fast
/// path accepts it exactly when `fast` says.
fn fast_agrees(validator: &PlanValidator, bytes: &[u8], fast: bool) {
    agree(validator, bytes);
    assert_eq!(
        validator.fast_accepts(bytes),
        fast,
        "fast path on: {}",
        String::from_utf8_lossy(bytes)
    );
    if fast {
        assert!(validator.check_event(bytes, 7).is_ok());
    }
    batch_agrees(validator, &[EDGE.as_bytes(), bytes]);
}

#[test]
fn the_fast_path_accepts_every_valid_simulated_codex_event() {
    let events = simulate::Session::new(42).events(2_000);
    let mut valid = 0;
    for event in &events {
        let bytes = json(event);
        let by_serde = codex().check_line_by_serde_json(&bytes, 0);
        let ok = matches!(by_serde, analytics_core::ingest::Line::Event(Ok(_)));
        valid += usize::from(ok);
        assert_eq!(
            codex().fast_accepts(&bytes),
            ok,
            "{}",
            String::from_utf8_lossy(&bytes)
        );
    }
    assert!(valid > 1_900, "{valid} valid of 2000");
    // Broken: a `non_empty` string emptied, a required key gone, a
    // duplicate key, an unknown key; each left to the general path, which
    // rejects it.
    let good = String::from_utf8(json(&events[0])).unwrap();
    let thread = good.split("\"thread_id\":").nth(1).unwrap();
    let value = &thread[..thread.find(',').unwrap()];
    for broken in [
        good.replacen(&format!("\"thread_id\":{value}"), "\"thread_id\":\"\"", 1),
        good.replacen(&format!("\"thread_id\":{value},"), "", 1),
        good.replacen("\"thread_id\":", "\"thread_id\":\"x\",\"thread_id\":", 1),
        good.replacen("\"thread_id\":", "\"nope\":1,\"thread_id\":", 1),
    ] {
        assert_ne!(broken, good);
        assert!(!codex().fast_accepts(broken.as_bytes()), "{broken}");
        assert!(
            codex().check_event(broken.as_bytes(), 0).is_err(),
            "{broken}"
        );
        agree(codex(), broken.as_bytes());
    }
}

#[test]
fn codex_events_with_keys_out_of_order_are_accepted_fast_and_agree() {
    for event in simulate::Session::new(8).events(200) {
        let bytes = json(&event);
        if !codex().fast_accepts(&bytes) {
            continue;
        }
        // `serde_json::Value` sorts keys: every object out of its order.
        let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let sorted = serde_json::to_vec(&value).unwrap();
        let pretty = serde_json::to_vec_pretty(&value).unwrap();
        for bytes in [sorted, pretty] {
            agree(codex(), &bytes);
            // `event_params` sorts before `event_type`: left to the general path.
            assert!(!codex().fast_accepts(&bytes));
            let text = String::from_utf8(bytes).unwrap();
            let params = text.find("\"event_params\"").unwrap();
            let kind = text.find("\"event_type\"").unwrap();
            let end = text[kind..].find(',').unwrap() + kind;
            // The `event_type` member moved first.
            let moved = format!(
                "{{{},{}{}",
                &text[kind..end],
                &text[params..kind].trim_end(),
                &text[end + 1..]
            );
            let moved = moved.replace(",}", "}");
            agree(codex(), moved.as_bytes());
            assert!(codex().fast_accepts(moved.as_bytes()), "{moved}");
        }
    }
}

#[test]
fn the_fast_path_at_its_edges_agrees() {
    fast_agrees(edge(), EDGE.as_bytes(), true);
    let accepted = edge().check_event(EDGE.as_bytes(), 0).unwrap();
    assert_eq!(accepted.message_id.as_deref(), Some("m-1"));
    assert_eq!(accepted.version, 2);
    // (from, to, accepted by the fast path)
    let mut cases: Vec<(String, bool)> = Vec::new();
    let mut case = |from: &str, to: &str, fast: bool| cases.push((edge_with(from, to), fast));
    // A `length` of 2 to 4 chars: one under, at each end, one over; in
    // chars, not bytes.
    for (name, fast) in [
        ("a", false),
        ("ab", true),
        ("abcd", true),
        ("abcde", false),
        ("\u{e9}", false),
        ("\u{e9}\u{e9}", true),
        ("\u{e9}\u{e9}\u{e9}\u{e9}", true),
        ("\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}", false),
        ("\u{1f600}\u{1f600}", true),
        ("", false),
    ] {
        case("\"name\":\"abc\"", &format!("\"name\":\"{name}\""), fast);
    }
    // Escapes: left to the general path, accepted or not.
    for name in [
        r"a\u0062",
        r"\n\n",
        r#"a\"b"#,
        r"\ud83d\ude00\ud83d\ude00",
        r"a\q",
    ] {
        case("\"name\":\"abc\"", &format!("\"name\":\"{name}\""), false);
    }
    // Integers at the edges of the widths and the range rule.
    for (field, value, fast) in [
        ("\"tiny\":255", "0", true),
        ("\"tiny\":255", "256", false),
        ("\"tiny\":255", "-1", false),
        ("\"tiny\":255", "-0", false),
        ("\"tiny\":255", "255.0", false),
        ("\"tiny\":255", "2e2", false),
        ("\"tiny\":255", "01", false),
        ("\"tiny\":255", "\"1\"", false),
        ("\"small\":-100", "-101", false),
        ("\"small\":-100", "100", true),
        ("\"small\":-100", "101", false),
        ("\"small\":-100", "-128", false),
        ("\"small\":-100", "-129", false),
        (
            "\"wide\":-9223372036854775808",
            "-9223372036854775809",
            false,
        ),
        ("\"wide\":-9223372036854775808", "9223372036854775807", true),
        (
            "\"wide\":-9223372036854775808",
            "9223372036854775808",
            false,
        ),
        ("\"wide\":-9223372036854775808", "null", true),
        (
            "\"huge\":18446744073709551615",
            "18446744073709551616",
            false,
        ),
        ("\"huge\":18446744073709551615", "0", true),
        ("\"huge\":18446744073709551615", "null", false),
        ("\"ratio\":1", "0", true),
        ("\"ratio\":1", "2", false),
        ("\"ratio\":1", "-1", false),
        ("\"ratio\":1", "0.25", false),
        ("\"ratio\":1", "null", true),
        ("\"loose\":1.25", "-0.5", true),
        ("\"loose\":1.25", "-0", false),
        ("\"loose\":1.25", "1e3", false),
        ("\"loose\":1.25", "3.5e38", false),
        ("\"loose\":1.25", "1.", false),
        ("\"loose\":1.25", "12345678901234567890123", false),
        ("\"loose\":1.25", "0.12345678901234567890123456789", true),
        ("\"mode\":\"slow\"", "\"fast\"", true),
        ("\"mode\":\"slow\"", "\"Slow\"", false),
        ("\"mode\":\"slow\"", "\"slo\"", false),
        ("\"mode\":\"slow\"", "\"slowly\"", false),
        ("\"mode\":\"slow\"", "null", false),
        ("\"code\":\"cd\"", "\"ab\"", true),
        ("\"code\":\"cd\"", "\"xy\"", false),
        ("\"code\":\"cd\"", "\"AB\"", false),
        ("\"code\":\"cd\"", "null", true),
        ("\"tags\":[\"a\",\"b\"]", "[\"a\"]", true),
        ("\"tags\":[\"a\",\"b\"]", "[]", false),
        ("\"tags\":[\"a\",\"b\"]", "[\"a\",\"b\",\"c\"]", false),
        ("\"tags\":[\"a\",\"b\"]", "[ \"a\" , \"b\" ]", true),
        ("\"tags\":[\"a\",\"b\"]", "[\"a\",]", false),
        ("\"tags\":[\"a\",\"b\"]", "[\"a\",null]", false),
        (
            "\"inner\":{\"on\":false,\"note\":null}",
            "{\"note\":\"x\",\"on\":true}",
            true,
        ),
        (
            "\"inner\":{\"on\":false,\"note\":null}",
            "{\"on\":false}",
            false,
        ),
        (
            "\"inner\":{\"on\":false,\"note\":null}",
            "{\"on\":0,\"note\":null}",
            false,
        ),
        (
            "\"inner\":{\"on\":false,\"note\":null}",
            "{\"on\":false,\"note\":null,\"on\":true}",
            false,
        ),
        (
            "\"inner\":{\"on\":false,\"note\":null}",
            "{\"on\":false,\"note\":null,\"x\":1}",
            false,
        ),
        (
            "\"inner\":{\"on\":false,\"note\":null}",
            "{\"o\\u006e\":false,\"note\":null}",
            false,
        ),
        (
            "\"inner\":{\"on\":false,\"note\":null}",
            "{\"on\":fals,\"note\":null}",
            false,
        ),
        (
            "\"inner\":{\"on\":false,\"note\":null}",
            "{\"on\":false,\"note\":nul}",
            false,
        ),
        ("\"inner\":{\"on\":false,\"note\":null}", "{ }", false),
        ("\"inner\":{\"on\":false,\"note\":null}", "null", false),
    ] {
        let key = field.split(':').next().unwrap();
        case(field, &format!("{key}:{value}"), fast);
    }
    // Optional fields left out, keys out of order, white space.
    case(",\"wide\":-9223372036854775808", "", true);
    case(",\"ratio\":1,\"loose\":1.25", "", true);
    case(
        "{\"name\":\"abc\",\"tiny\":255,",
        "{\"tiny\":255,\"name\":\"abc\",",
        true,
    );
    case("\"event_version\":2,", "\"event_version\" :\t2 ,\n", true);
    // The envelope: the version, the message id, its field, other keys.
    for (from, to, fast) in [
        ("\"event_version\":2,", "\"event_version\":3,", false),
        ("\"event_version\":2,", "\"event_version\":2.0,", false),
        ("\"event_version\":2,", "\"event_version\":\"2\",", false),
        ("\"event_version\":2,", "", true),
        (
            "\"event_version\":2,",
            "\"event_version\":2,\"event_version\":2,",
            false,
        ),
        ("\"tenant\":\"t\",", "", false),
        ("\"tenant\":\"t\",", "\"tenant\":\"\",", false),
        (
            "\"tenant\":\"t\",",
            "\"tenant\":\"t\",\"tenant\":\"t\",",
            false,
        ),
        (",\"message_id\":\"m-1\"", "", true),
        (",\"message_id\":\"m-1\"", ",\"message_id\":7", false),
        (
            ",\"message_id\":\"m-1\"",
            ",\"message_id\":\"m\\u002d1\"",
            false,
        ),
        (
            ",\"message_id\":\"m-1\"",
            ",\"message_id\":\"m-1\",\"message_id\":\"m-2\"",
            false,
        ),
        (",\"message_id\":\"m-1\"", ",\"messageId\":\"m-1\"", false),
        (",\"message_id\":\"m-1\"", ",\"type\":\"track\"", false),
        (",\"message_id\":\"m-1\"", ",\"other\":1", false),
        (
            "{\"event_type\":\"edge\",",
            "{\"event_type\":\"edge\",\"event_type\":\"edge\",",
            false,
        ),
        (
            "{\"event_type\":\"edge\",",
            "{\"event_type\":\"nope\",",
            false,
        ),
        (
            "{\"event_type\":\"edge\",",
            "{\"event_type\":\"edg\\u0065\",",
            false,
        ),
        ("{\"event_type\":\"edge\",", "{", false),
    ] {
        case(from, to, fast);
    }
    for (text, fast) in &cases {
        fast_agrees(edge(), text.as_bytes(), *fast);
    }
    for cut in 0..EDGE.len() {
        fast_agrees(edge(), &EDGE.as_bytes()[..cut], false);
    }
    for (before, after, fast) in [
        (" \n", "\t\r\n ", true),
        ("", "x", false),
        ("", "{}", false),
    ] {
        fast_agrees(edge(), format!("{before}{EDGE}{after}").as_bytes(), fast);
    }
}
