use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
enum CommandRan {
    Started,
    Finished,
}

fn main() {}
