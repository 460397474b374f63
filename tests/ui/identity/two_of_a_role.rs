use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(name = "turn_started")]
struct TurnStarted {
    #[analytics(user_id)]
    account_id: String,
    #[analytics(user_id)]
    owner_id: String,
    #[analytics(anonymous_id, user_id)]
    device_id: String,
}

fn main() {}
