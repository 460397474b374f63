use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(range(min = -1))]
    duration_ms: Option<u64>,
}

fn main() {}
