use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    event_type: String,
    exit_code: i32,
}

fn main() {}
