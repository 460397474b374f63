use analytics_core::{AnalyticsEvent, EventCatalog};

#[derive(AnalyticsEvent)]
#[analytics(name = "turn")]
struct Turn {
    sandbox_policy: Option<&'static str>,
}

#[derive(AnalyticsEvent)]
#[analytics(name = "note", write_only)]
struct Note {
    text: String,
}

#[derive(EventCatalog)]
enum Events {
    Turn(Turn),
    Note(Box<Note>),
}

fn main() {}
