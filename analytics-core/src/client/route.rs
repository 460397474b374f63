//! Routing: which sink an event goes to, decided on the caller's thread
//! from its type alone, before anything is serialized.
//!
//! Each sink is a *lane*: its own queue bound, its own worker (and, with a
//! spool, its own spool directory and writer), its own batches and its own
//! counters. A batch therefore never mixes two sinks' events, and a stalled
//! sink holds only its own lane.

use std::fmt;
use std::sync::Arc;

use crate::schema::EventSchema;

/// The name of the lane of [`ClientBuilder::sink`](super::ClientBuilder::sink),
/// which takes every event no route claims.
pub const DEFAULT_SINK: &str = "default";

/// Which events a [`ClientBuilder::route`](super::ClientBuilder::route)
/// sends to its sink.
///
/// ```
/// use analytics_core::client::Route;
///
/// let billing = Route::event_types(["purchase_completed", "refund_issued"]);
/// let audit = Route::when(|schema| schema.name.starts_with("audit_"));
/// let one: Route = "page_viewed".into();
/// # let _ = (billing, audit, one);
/// ```
#[derive(Clone)]
pub struct Route {
    matcher: Matcher,
}

#[derive(Clone)]
enum Matcher {
    /// Wire names (`event_type`), compared exactly.
    Types(Vec<String>),
    /// A predicate on the event's schema; never matches an event without one.
    When(Arc<dyn Fn(&EventSchema) -> bool + Send + Sync>),
}

impl Route {
    /// Events whose wire name (`event_type`) is `name`.
    pub fn event_type(name: impl Into<String>) -> Self {
        Route {
            matcher: Matcher::Types(vec![name.into()]),
        }
    }

    /// Events whose wire name is one of `names`.
    pub fn event_types<I>(names: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        Route {
            matcher: Matcher::Types(names.into_iter().map(Into::into).collect()),
        }
    }

    /// Events whose schema satisfies `predicate` (its name, its fields, the
    /// `pii` or identity marks...). Called by `track` on the caller's thread
    /// for each event until a route matches, so keep it cheap; a panic in it
    /// is caught and the event counted as `panicked` on the default sink. An
    /// event without a schema (a hand-written `EventCatalog` whose name no
    /// single type claims) never matches a predicate.
    pub fn when(predicate: impl Fn(&EventSchema) -> bool + Send + Sync + 'static) -> Self {
        Route {
            matcher: Matcher::When(Arc::new(predicate)),
        }
    }

    /// Whether the event `name` (with its schema, when known) takes this route.
    pub(crate) fn matches(&self, name: &str, schema: Option<&EventSchema>) -> bool {
        match &self.matcher {
            Matcher::Types(names) => names.iter().any(|wanted| wanted == name),
            Matcher::When(predicate) => schema.is_some_and(|schema| predicate(schema)),
        }
    }
}

impl From<&str> for Route {
    fn from(name: &str) -> Self {
        Route::event_type(name)
    }
}

impl From<String> for Route {
    fn from(name: String) -> Self {
        Route::event_type(name)
    }
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.matcher {
            Matcher::Types(names) => f.debug_tuple("Route::event_types").field(names).finish(),
            Matcher::When(_) => f.write_str("Route::when(..)"),
        }
    }
}

/// Checks a sink name given to `route`: it names the lane in the metrics
/// and, with a spool, its directory `<spool_dir>/routes/<name>`, so it is
/// 1 to 64 ASCII letters, digits, `-` or `_`, and not `default`.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    if name == DEFAULT_SINK {
        return Err(format!(
            "route({name:?}, ..): `{DEFAULT_SINK}` names the sink of `.sink(..)`; pick another name"
        ));
    }
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(format!(
            "route({name:?}, ..): a sink name is 1 to 64 ASCII letters, digits, `-` or `_` \
             (it names the sink's metrics and its spool directory)"
        ));
    }
    Ok(())
}
