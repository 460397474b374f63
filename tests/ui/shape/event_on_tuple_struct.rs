use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan(String, i32);

fn main() {}
