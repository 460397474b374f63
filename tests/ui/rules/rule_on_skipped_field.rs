use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
struct CommandRan {
    #[serde(skip)]
    #[analytics(non_empty, pii)]
    local_note: String,
    #[serde(skip_serializing, skip_serializing_if = "Option::is_none")]
    legacy: Option<u8>,
    #[analytics(schema = my_schema)]
    command: String,
}

fn my_schema() -> u8 {
    unimplemented!()
}

fn main() {}
