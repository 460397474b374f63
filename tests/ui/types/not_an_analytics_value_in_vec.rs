use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    exit_code: i32,
    elapsed: Vec<std::time::Duration>,
}

fn main() {}
