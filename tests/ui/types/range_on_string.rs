use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(range(min = 0, max = 255))]
    exit_code: String,
}

fn main() {}
