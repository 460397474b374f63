use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(name = "2fa_enabled")]
struct TwoFactorEnabled {
    method: String,
}

fn main() {}
