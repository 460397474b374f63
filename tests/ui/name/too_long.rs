use analytics_core::AnalyticsEvent;

#[derive(AnalyticsEvent)]
#[analytics(name = "codex_an_event_name_that_keeps_going_and_going_well_past_the_limit_of_one_hundred_and_twenty_eight_characters_that_wire_names_may_have")]
struct LongName {
    exit_code: i32,
}

fn main() {}
