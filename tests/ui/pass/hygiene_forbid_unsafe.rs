//! A crate that forbids unsafe code can use every derive.
#![forbid(unsafe_code)]

use analytics_core::{AnalyticsEvent, EventCatalog};

#[derive(AnalyticsEvent)]
#[analytics(name = "command_ran")]
struct CommandRan {
    #[analytics(range(min = -1))]
    exit_code: i32,
}

#[derive(EventCatalog)]
enum Events {
    CommandRan(CommandRan),
}

fn main() {
    Events::from(CommandRan { exit_code: 0 }).validate().unwrap();
}
