use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(range(max = 255))]
    exit_code: Option<String>,
}

fn main() {}
