use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(name = "")]
struct CommandRan {
    exit_code: i32,
}

fn main() {}
