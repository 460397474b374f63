use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    exit_code: i32,
    arguments: Vec<&'static str>,
}

fn main() {}
