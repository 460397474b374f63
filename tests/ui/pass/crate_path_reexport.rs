//! `#[analytics(crate = path)]` for a crate that reaches analytics-core
//! through a re-export (a facade crate, a renamed dependency), as a path or
//! as a string like serde's `#[serde(crate = "...")]`.
mod facade {
    pub use ::analytics_core as analytics;
}

use facade::analytics::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, EventCatalog};

#[derive(AnalyticsEnum)]
#[analytics(crate = facade::analytics)]
enum Outcome {
    Completed,
}

#[derive(AnalyticsFields)]
#[analytics(crate = "crate::facade::analytics")]
struct Base {
    #[analytics(non_empty)]
    thread_id: String,
}

#[derive(AnalyticsEvent)]
#[analytics(name = "command_ran", crate = crate::facade::analytics)]
struct CommandRan {
    #[analytics(flatten)]
    base: Base,
    outcome: Outcome,
}

#[derive(EventCatalog)]
#[analytics(crate = facade::analytics)]
enum Events {
    CommandRan(CommandRan),
}

fn main() {
    let event = CommandRan { base: Base { thread_id: String::new() }, outcome: Outcome::Completed };
    assert_eq!(event.validate().unwrap_err().to_string(), "base.thread_id: must not be empty");
    let _ = Events::from(event);
}
