use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(length(max = 1.5))]
    command: String,
}

fn main() {}
