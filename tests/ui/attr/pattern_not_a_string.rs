use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(pattern = 42)]
    command: String,
}

fn main() {}
