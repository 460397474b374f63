//! `custom` (a `&str` function on a `String` field, a field in an `Option`,
//! an error type that is `Display`) and struct-level `check` on an event and
//! on a flattened base.
use std::fmt;

use analytics_core::{AnalyticsEvent, AnalyticsFields};

#[derive(Debug)]
struct NotAThreadId;

impl fmt::Display for NotAThreadId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("must start with `thread-`")
    }
}

fn thread_id(value: &str) -> Result<(), NotAThreadId> {
    if value.starts_with("thread-") { Ok(()) } else { Err(NotAThreadId) }
}

mod rules {
    pub fn exit_code(code: &i32) -> Result<(), String> {
        if *code == 137 { Err("killed".to_owned()) } else { Ok(()) }
    }
}

fn timing(base: &Base) -> Result<(), String> {
    if base.completed_at_ms >= base.started_at_ms { Ok(()) } else { Err("completed before started".into()) }
}

fn counts(event: &CommandRan) -> Result<(), &'static str> {
    if event.read_count <= event.total_count { Ok(()) } else { Err("read_count exceeds total_count") }
}

fn never_fails(_: &CommandRan) -> Result<(), String> {
    Ok(())
}

#[derive(AnalyticsFields)]
#[analytics(check = timing)]
struct Base {
    #[analytics(custom = thread_id)]
    thread_id: String,
    started_at_ms: u64,
    completed_at_ms: u64,
}

#[derive(AnalyticsEvent)]
#[analytics(name = "command_ran", check = counts, check = never_fails)]
struct CommandRan {
    #[serde(flatten)]
    base: Base,
    #[analytics(custom = rules::exit_code)]
    exit_code: Option<i32>,
    total_count: u64,
    read_count: u64,
}

fn main() {
    let mut event = CommandRan {
        base: Base { thread_id: "thread-1".into(), started_at_ms: 1, completed_at_ms: 2 },
        exit_code: None,
        total_count: 1,
        read_count: 1,
    };
    event.validate().unwrap();
    event.base.thread_id = "t1".into();
    event.base.completed_at_ms = 0;
    event.exit_code = Some(137);
    event.read_count = 2;
    let errors = event.validate().unwrap_err();
    assert_eq!(
        errors.to_string(),
        "base.thread_id: must start with `thread-`\nbase: completed before started\nexit_code: killed\nread_count exceeds total_count"
    );
}
