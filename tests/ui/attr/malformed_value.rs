// Issue 12, finding 7: an attribute whose value is missing points at the
// attribute, never at the `#[derive]` line.
use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
pub struct RangeWithoutValue {
    #[analytics(range =)]
    pub a: u32,
}

#[derive(AnalyticsEvent)]
pub struct BoundWithoutValue {
    #[analytics(length(min =))]
    pub d: String,
}

#[derive(AnalyticsEvent)]
#[analytics(name =)]
pub struct NameWithoutValue {
    pub e: String,
}

#[derive(AnalyticsEvent)]
pub struct RenameWithoutValue {
    #[serde(rename =)]
    pub b: u32,
}

#[derive(AnalyticsEvent)]
pub struct DefaultWithoutValue {
    #[serde(default =)]
    pub c: u32,
}

fn main() {}
