use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(range(max = 300))]
    exit_code: u8,
}

fn main() {}
