use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(range(max = 2.5))]
    exit_code: i32,
}

fn main() {}
