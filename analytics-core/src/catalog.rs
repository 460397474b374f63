//! The process-wide catalog: every event type linked into the binary.
//!
//! `#[derive(AnalyticsEvent)]` registers each event (through `inventory`), so
//! no one keeps a list by hand: events defined in dependencies and in the
//! binary itself are all here.

use crate::__private::CatalogEntry;
use crate::schema::EventSchema;

/// Every event linked into the binary, each once, sorted by name.
pub fn events() -> impl Iterator<Item = &'static EventSchema> {
    let mut schemas: Vec<&'static EventSchema> = inventory::iter::<CatalogEntry>
        .into_iter()
        .map(|entry| entry.decl.schema())
        .collect();
    schemas.sort_by(|a, b| {
        a.name
            .cmp(b.name)
            .then_with(|| a.rust_type.cmp(b.rust_type))
    });
    schemas.dedup_by(|a, b| std::ptr::eq(*a, *b));
    schemas.into_iter()
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

/// `Err` with one line per event name claimed by more than one Rust type
/// (`signup: app::Signup, billing::Signup`), `Ok` in a healthy binary: the
/// loud form of [`conflicts`], for a test or a start-up check. The client
/// reports the same conflicts at `Client::build()`.
pub fn check_names() -> Result<(), String> {
    let conflicts = conflicts();
    if conflicts.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = conflicts
        .iter()
        .map(|(name, types)| format!("{name}: {}", types.join(", ")))
        .collect();
    Err(format!(
        "event names claimed by more than one type:\n{}",
        lines.join("\n")
    ))
}
