use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(name = "skill_invoked")]
struct SkillInvoked {
    #[analytics(envelope)]
    event_type: String,
    #[analytics(envelope)]
    #[serde(rename = "event_params")]
    params: String,
}

#[derive(AnalyticsEvent)]
#[analytics(name = "skill_renamed")]
#[serde(rename_all = "snake_case")]
struct SkillRenamed {
    #[analytics(envelope)]
    #[serde(rename = "event_type")]
    skill_id: String,
}

fn main() {}
