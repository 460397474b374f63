use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(name = "command_ran", version = "2")]
struct CommandRan {
    command: String,
}

fn main() {}
