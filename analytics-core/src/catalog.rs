//! The process-wide catalog: every event type linked into the binary.
//!
//! `#[derive(AnalyticsEvent)]` registers each event (through `inventory`), so
//! no one keeps a list by hand: events defined in dependencies and in the
//! binary itself are all here.

use crate::__private::CatalogEntry;
use crate::envelope::TrackEventRequest;
use crate::schema::EventSchema;

/// Every event linked into the binary, each once, sorted by name.
pub fn events() -> impl Iterator<Item = &'static EventSchema> {
    let mut schemas: Vec<&'static EventSchema> = inventory::iter::<CatalogEntry>
        .into_iter()
        .map(|entry| (entry.schema)())
        .collect();
    schemas.sort_by(|a, b| {
        a.name
            .cmp(b.name)
            .then_with(|| a.rust_type.cmp(b.rust_type))
    });
    schemas.dedup_by(|a, b| std::ptr::eq(*a, *b));
    schemas.into_iter()
}

/// Reads an envelope `{"event_type": .., "event_params": {..}}` into the
/// typed event it names, among every event linked into the binary (the keys
/// in either order). An unknown `event_type` is an error that lists the known
/// ones; a missing or ill-typed field is serde's error naming it.
pub fn request_from_json(json: &str) -> Result<TrackEventRequest, serde_json::Error> {
    serde_json::from_str(json)
}

/// Like [`request_from_json`], from an already parsed value.
pub fn request_from_value(
    value: serde_json::Value,
) -> Result<TrackEventRequest, serde_json::Error> {
    serde_json::from_value(value)
}

/// Builds the event named `name` from its params, through the catalog.
pub(crate) fn params_to_request(
    name: &str,
    params: serde_json::Value,
) -> Option<Result<TrackEventRequest, serde_json::Error>> {
    inventory::iter::<CatalogEntry>
        .into_iter()
        .find(|entry| entry.name == name)
        .map(|entry| (entry.from_params)(params))
}

/// The event with this wire name, if one is linked in.
pub fn get(name: &str) -> Option<&'static EventSchema> {
    events().find(|schema| schema.name == name)
}

/// Event names defined by more than one Rust type in this binary (each such
/// name with the types that claim it). Empty in a healthy binary; a test can
/// assert it.
pub fn conflicts() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut conflicts: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for schema in events() {
        match conflicts.last_mut() {
            Some((name, types)) if *name == schema.name => types.push(schema.rust_type),
            _ => conflicts.push((schema.name, vec![schema.rust_type])),
        }
    }
    conflicts.retain(|(_, types)| types.len() > 1);
    conflicts
}
