use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(name = command_ran)]
struct CommandRan {
    exit_code: i32,
}

fn main() {}
