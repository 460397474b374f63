use analytics_core::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields};

#[derive(AnalyticsFields)]
struct Session {
    thread_id: String,
}

#[derive(AnalyticsEvent)]
#[analytics(name = "turn_started")]
struct TurnStarted {
    #[analytics(flatten, user_id)]
    session: Session,
    #[analytics(anonymous_id)]
    #[serde(skip)]
    device_id: String,
    #[analytics(serde, user_id)]
    account: String,
}

#[derive(AnalyticsEnum)]
#[serde(tag = "kind")]
enum Actor {
    Person {
        #[analytics(user_id)]
        id: String,
    },
}

fn main() {}
