use analytics_core::AnalyticsEvent;

// Without `name = "..."`, the event name is the struct name in snake_case.
#[derive(AnalyticsEvent)]
struct CaféOrdered {
    size: String,
}

fn main() {}
