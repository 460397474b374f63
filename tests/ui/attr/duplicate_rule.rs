use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(range(min = -1), range(max = 255))]
    exit_code: i32,
}

fn main() {}
