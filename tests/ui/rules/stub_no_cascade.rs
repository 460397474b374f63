// One mistake in each of three derives, and code that uses the three types
// everywhere: only the three mistakes are reported (the derives emit stub
// impls on error, so nothing cascades).
use analytics_core::{AnalyticsEnum, AnalyticsEvent, AnalyticsFields, EventCatalog, TrackEventRequest};

#[derive(AnalyticsEnum, Clone, Copy)]
enum Outcome {
    Completed,
    #[serde(rename = "Completed")]
    Done,
}

#[derive(AnalyticsFields)]
struct Base {
    #[analytics(non_empty, non_empty)]
    thread_id: String,
}

#[derive(AnalyticsEvent)]
#[analytics(name = "command_ran")]
struct CommandRan {
    #[analytics(flatten)]
    base: Base,
    outcome: Outcome,
    #[analytics(pattern = "(unclosed")]
    command: String,
}

#[derive(EventCatalog)]
enum Events {
    CommandRan(CommandRan),
}

fn main() {
    let event = CommandRan {
        base: Base { thread_id: "t".into() },
        outcome: Outcome::Completed,
        command: "ls".into(),
    };
    let _ = CommandRan::EVENT_NAME;
    let _ = event.validate();
    let _ = event.base.validate();
    let _ = <CommandRan as AnalyticsEvent>::schema();
    let _ = serde_json::to_string(&event);
    let catalog = Events::from(event);
    let _ = catalog.validate();
    let _ = TrackEventRequest::from(catalog);
}
