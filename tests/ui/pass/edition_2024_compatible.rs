//! Derived code passes the edition-2024 migration lints (the crate
//! `tests/no-serde-crate` is compiled with edition 2024 itself).
#![deny(rust_2024_compatibility, rust_2018_idioms)]

use analytics_core::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, EventCatalog};

#[derive(AnalyticsEnum)]
enum Outcome {
    Completed,
}

#[derive(AnalyticsFields)]
struct Base {
    #[analytics(non_empty)]
    thread_id: String,
}

#[derive(AnalyticsEvent)]
#[analytics(name = "command_ran")]
struct CommandRan {
    #[analytics(flatten)]
    base: Base,
    outcome: Outcome,
    #[analytics(range(min = -1, max = 255))]
    exit_code: Option<i32>,
    r#type: String,
}

#[derive(EventCatalog)]
enum Events {
    CommandRan(CommandRan),
}

fn main() {
    let event = CommandRan {
        base: Base { thread_id: "t".into() },
        outcome: Outcome::Completed,
        exit_code: None,
        r#type: "shell".into(),
    };
    Events::from(event).validate().unwrap();
}
