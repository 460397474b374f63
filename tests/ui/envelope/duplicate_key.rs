use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(name = "skill_invoked")]
#[serde(rename_all = "camelCase")]
struct SkillInvoked {
    #[analytics(envelope)]
    skill_id: String,
    #[analytics(envelope)]
    #[serde(rename = "skillId")]
    other_id: String,
    /// In `event_params`: another object, not a duplicate.
    skill_name: String,
    #[analytics(envelope)]
    #[serde(rename = "skillName")]
    envelope_name: String,
}

fn main() {}
