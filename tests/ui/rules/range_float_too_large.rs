use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(range(max = 1e400))]
    duration_seconds: f64,
}

fn main() {}
