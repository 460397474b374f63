use analytics_core::{AnalyticsEvent, EventCatalog};

#[derive(AnalyticsEvent)]
struct CommandRan {
    exit_code: i32,
}

#[derive(EventCatalog)]
enum ToolItemEvent {
    CommandRan(CommandRan),
    Unknown,
}

fn main() {}
