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
