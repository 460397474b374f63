use analytics_core::{AnalyticsEvent, AnalyticsFields};

#[derive(AnalyticsFields)]
struct Base {
    thread_id: String,
}

#[derive(AnalyticsEvent)]
#[analytics(name = "skill_invoked")]
struct SkillInvoked {
    #[analytics(envelope, flatten)]
    base: Base,
}

fn main() {}
