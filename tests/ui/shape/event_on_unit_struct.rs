use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct AppStarted;

fn main() {}
