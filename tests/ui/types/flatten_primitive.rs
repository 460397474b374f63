use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    exit_code: i32,
    #[analytics(flatten)]
    duration_ms: u64,
}

fn main() {}
