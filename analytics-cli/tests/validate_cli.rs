//! `analytics validate`, `analytics diff` and `--help`, run as the binary.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use analytics_core::{AnalyticsEvent, TrackingPlan};

/// A page was opened.
#[derive(AnalyticsEvent)]
#[analytics(name = "page_opened", version = 2)]
pub struct PageOpened {
    #[analytics(non_empty)]
    pub path: String,
    #[analytics(range(max = 60000))]
    pub load_ms: Option<u32>,
    #[analytics(custom = check_referrer)]
    pub referrer: String,
}

#[allow(clippy::ptr_arg)] // the rule receives `&T` for a `T` field
fn check_referrer(referrer: &String) -> Result<(), String> {
    if referrer.starts_with("http") {
        Ok(())
    } else {
        Err("must be a URL".into())
    }
}

fn temp_dir() -> PathBuf {
    support::temp_dir("validate-cli")
}

fn analytics(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_analytics"))
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn write_plan(dir: &Path) -> String {
    let path = dir.join("plan.json");
    std::fs::write(
        &path,
        TrackingPlan::from_events(&[PageOpened::schema()]).to_json(),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn a_file_of_valid_events_exits_0() {
    let dir = temp_dir();
    let plan = write_plan(&dir);
    let events = dir.join("events.jsonl");
    let mut lines = String::new();
    for index in 0..10 {
        let event = PageOpened {
            path: format!("/p/{index}"),
            load_ms: Some(index),
            referrer: "https://example.invalid".into(),
        };
        let mut json = Vec::new();
        event.write_json(&mut json);
        lines.push_str(std::str::from_utf8(&json).unwrap());
        lines.push('\n');
    }
    lines.push_str("\n   \n");
    std::fs::write(&events, lines).unwrap();
    let (code, stdout, stderr) =
        analytics(&["validate", events.to_str().unwrap(), "--plan", &plan]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("10 events: 10 valid, 0 failed\n"),
        "{stdout}"
    );
    assert!(stdout.contains("page_opened"), "{stdout}");
    assert!(
        stdout.contains("not checkable on arrival")
            && stdout.contains("page_opened at referrer: custom check_referrer"),
        "{stdout}"
    );
}

#[test]
fn failures_are_summarised_written_and_exit_1() {
    let dir = temp_dir();
    let plan = write_plan(&dir);
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        concat!(
            r#"{"event_type":"page_opened","event_params":{"path":"/","load_ms":1,"referrer":"x"}}"#, "\n",
            r#"{"events":[{"event_type":"page_opened","event_params":{"path":"","load_ms":70000,"referrer":"x"}},{"event_type":"other","event_params":{}}]}"#, "\n",
            r#"{"event_type":"page_opened","event_params":{"path":1,"referrer":"x"}}"#, "\n",
            "{not json\n",
        ),
    )
    .unwrap();
    let failed = dir.join("failed.jsonl");
    let (code, stdout, stderr) = analytics(&[
        "validate",
        events.to_str().unwrap(),
        "--plan",
        &plan,
        "--failed",
        failed.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("5 events: 1 valid, 4 failed\n"),
        "{stdout}"
    );
    for reason in [
        "rule_violation",
        "schema_violation",
        "unknown_event_type",
        "not_json",
    ] {
        assert!(stdout.contains(reason), "{reason}: {stdout}");
    }
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&failed)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["reason"], "rule_violation");
    assert_eq!(
        lines[0]["errors"],
        serde_json::json!([
            {"path": "path", "rule": "non_empty", "message": "must not be empty"},
            {"path": "load_ms", "rule": "range", "message": "must be at most 60000 (got 70000)"}
        ])
    );
    assert_eq!(lines[1]["reason"], "unknown_event_type");
    assert_eq!(lines[1]["event_type"], "other");
    assert_eq!(lines[2]["reason"], "schema_violation");
    assert_eq!(lines[3]["reason"], "not_json");
    assert_eq!(lines[3]["payload"], "{not json");

    // Without --failed: the failures on stderr, with line numbers.
    let (code, _, stderr) = analytics(&["validate", events.to_str().unwrap(), "--plan", &plan]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("line 2: rule_violation: path: must not be empty"),
        "{stderr}"
    );
    assert!(stderr.contains("line 4: not_json"), "{stderr}");
}

#[test]
fn unusable_input_exits_2_with_a_message() {
    let dir = temp_dir();
    let plan = write_plan(&dir);
    let (code, _, stderr) = analytics(&["validate", "/nonexistent/events.jsonl", "--plan", &plan]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read /nonexistent/events.jsonl"),
        "{stderr}"
    );
    std::fs::write(dir.join("bad.json"), "{").unwrap();
    let (code, _, stderr) = analytics(&[
        "validate",
        &plan,
        "--plan",
        dir.join("bad.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("invalid plan"), "{stderr}");
}

#[test]
fn every_subcommand_has_help() {
    let (_, stdout, _) = analytics(&["validate", "--help"]);
    assert!(stdout.contains("--message-id-key"), "{stdout}");
    for command in ["validate", "diff", "ddl", "serve"] {
        let (code, stdout, _) = analytics(&[command, "--help"]);
        assert_eq!(code, 0, "{command}");
        assert!(stdout.contains("Usage: analytics"), "{command}: {stdout}");
    }
    let (_, stdout, _) = analytics(&["serve", "--help"]);
    for flag in [
        "--plan",
        "--listen",
        "--out",
        "--token",
        "--forward",
        "--max-body-bytes",
        "--max-in-flight-bytes",
        "--message-id-key",
    ] {
        assert!(stdout.contains(flag), "{flag}: {stdout}");
    }
}

/// `--message-id-key K`: envelopes written with
/// `ClientBuilder::message_id_key(K)` validate (issue 16).
#[test]
fn a_custom_message_id_key_is_not_an_unknown_key() {
    let dir = temp_dir();
    let plan = write_plan(&dir);
    let events = dir.join("events.jsonl");
    std::fs::write(
        &events,
        concat!(
            r#"{"event_type":"page_opened","mid":"0a1b2c3d-0000-4000-8000-00000000abcd","event_params":{"path":"/","load_ms":1,"referrer":"x"}}"#,
            "\n"
        ),
    )
    .unwrap();
    let file = events.to_str().unwrap();
    let (code, stdout, stderr) = analytics(&["validate", file, "--plan", &plan]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.contains("unknown key \"mid\""), "{stderr}");
    let (code, stdout, stderr) =
        analytics(&["validate", file, "--plan", &plan, "--message-id-key", "mid"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("1 events: 1 valid, 0 failed\n"),
        "{stdout}"
    );
}
