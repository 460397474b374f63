use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(name = "command_ran", name = "command_executed")]
struct CommandRan {
    exit_code: i32,
}

fn main() {}
