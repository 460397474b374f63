use analytics_core::{AnalyticsEvent, EventCatalog};

#[derive(AnalyticsEvent)]
#[analytics(name = "command_ran")]
struct CommandRan {
    command: String,
}

#[derive(EventCatalog)]
enum Events {
    First(CommandRan),
    Second(CommandRan),
}

fn main() {}
