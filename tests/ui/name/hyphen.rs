use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(name = "command-ran")]
struct CommandRan {
    exit_code: i32,
}

fn main() {}
