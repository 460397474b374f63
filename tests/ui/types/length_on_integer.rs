use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(length(max = 3))]
    exit_code: Option<u32>,
}

fn main() {}
