//! `any_name` accepts an event name outside `[a-z][a-z0-9_]*`.
use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(name = "Legacy.Command-Ran", any_name)]
struct LegacyCommandRan {
    exit_code: i32,
}

fn main() {
    assert_eq!(LegacyCommandRan::EVENT_NAME, "Legacy.Command-Ran");
}
