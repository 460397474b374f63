use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(range = 255)]
    exit_code: i32,
}

fn main() {}
