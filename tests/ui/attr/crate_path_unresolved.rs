use analytics_core::{AnalyticsEnum, AnalyticsEvent};

#[derive(AnalyticsEnum)]
#[analytics(crate = crate::fake)]
enum Outcome {
    Completed,
}

#[derive(AnalyticsEvent)]
#[analytics(name = "command_ran", crate = crate::fake)]
struct CommandRan {
    command: String,
    outcome: Outcome,
}

fn main() {}
