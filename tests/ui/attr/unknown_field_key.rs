use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(rnage(min = -1, max = 255))]
    exit_code: i32,
}

fn main() {}
