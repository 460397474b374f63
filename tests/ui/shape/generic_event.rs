use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan<T> {
    payload: T,
}

fn main() {}
