use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(range(min = "0"))]
    exit_code: i32,
}

fn main() {}
