use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(length(min = 10, max = 2))]
    command: String,
}

fn main() {}
