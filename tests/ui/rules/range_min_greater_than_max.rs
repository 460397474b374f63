use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(range(min = 255, max = -1))]
    exit_code: i32,
}

fn main() {}
