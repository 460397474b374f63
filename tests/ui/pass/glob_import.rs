//! `use analytics_core::*` brings every trait into scope at once (with the
//! client feature on, as in this package): calls on events and groups of
//! fields stay unambiguous.

use analytics_core::*;

#[derive(AnalyticsFields)]
pub struct Base {
    #[analytics(non_empty)]
    pub thread_id: String,
}

#[derive(AnalyticsEvent)]
pub struct ThingHappened {
    #[analytics(flatten)]
    pub base: Base,
    pub count: u64,
}

#[derive(EventCatalog)]
pub enum Events {
    ThingHappened(ThingHappened),
}

fn main() {
    let event = ThingHappened {
        base: Base { thread_id: "t".into() },
        count: 1,
    };
    event.base.validate().unwrap();
    event.validate().unwrap();
    let _schema: &EventSchema = ThingHappened::schema();
    let mut out = Vec::new();
    event.write_json(&mut out);
    let catalog = Events::from(event);
    catalog.validate().unwrap();
    catalog.write_json(&mut out);
    let _ = catalog.event_type();
    let request = TrackEventRequest::from(catalog);
    request.validate().unwrap();
    let _ = request.schema();
    let _ = request.event_type();
}
