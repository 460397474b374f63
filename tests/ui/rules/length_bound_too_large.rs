use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[analytics(length(max = 18446744073709551616))]
    command: String,
}

fn main() {}
