use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(name = "turn_started")]
struct TurnStarted {
    #[analytics(user_id)]
    account: u64,
    turn: u32,
}

fn main() {}
