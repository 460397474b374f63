use analytics_core::{AnalyticsEvent, EventCatalog};

#[derive(AnalyticsEvent)]
#[analytics(name = "command_ran")]
struct CommandRan {
    exit_code: i32,
}

#[derive(AnalyticsEvent)]
#[analytics(name = "command_ran")]
struct ShellCommandRan {
    exit_code: i32,
}

#[derive(EventCatalog)]
enum ToolItemEvent {
    CommandRan(CommandRan),
    ShellCommandRan(ShellCommandRan),
}

fn main() {}
