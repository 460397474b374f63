use analytics_core::AnalyticsEvent;

struct Duration {
    millis: u64,
}

#[derive(AnalyticsEvent)]
struct CommandRan {
    exit_code: i32,
    duration: Duration,
}

fn main() {}
