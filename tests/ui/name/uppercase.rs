use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(name = "Command_Ran")]
struct CommandRan {
    exit_code: i32,
}

fn main() {}
