//! The errors of `track`, `flush` and `shutdown`.

use std::fmt;

use super::DropReason;
use crate::validate::ValidationErrors;

/// Why `track` did not queue an event (the event is counted as dropped).
#[derive(Debug)]
#[non_exhaustive]
pub enum TrackError {
    /// The event broke its field rules; it was not sent. Values of `pii`
    /// fields are redacted from the messages.
    Invalid(ValidationErrors),
    /// The queue was full; the event was dropped.
    QueueFull,
    /// The client was shut down.
    Closed,
    /// User code called by `track` panicked (a `custom` or `check` rule, a
    /// hand-written `Trackable`); the event was dropped.
    Panicked,
    /// A hand-written `EventCatalog` gave no schema and its name is not
    /// claimed by exactly one type, so the PII policy could not be applied;
    /// the event was dropped rather than risk sending personal data.
    NoSchema(&'static str),
}

impl TrackError {
    /// The drop reason this error was counted under.
    pub fn reason(&self) -> DropReason {
        match self {
            TrackError::Invalid(_) => DropReason::Invalid,
            TrackError::QueueFull => DropReason::QueueFull,
            TrackError::Closed => DropReason::Closed,
            TrackError::Panicked => DropReason::Panicked,
            TrackError::NoSchema(_) => DropReason::NoSchema,
        }
    }
}

impl fmt::Display for TrackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrackError::Invalid(errors) => write!(f, "invalid analytics event:\n{errors}"),
            TrackError::QueueFull => f.write_str("the analytics queue is full; event dropped"),
            TrackError::Closed => f.write_str("the analytics client is shut down; event dropped"),
            TrackError::Panicked => {
                f.write_str("user code panicked while tracking an analytics event; event dropped")
            }
            TrackError::NoSchema(name) => write!(
                f,
                "no single schema for analytics event `{name}` (the PII policy cannot be applied); event dropped"
            ),
        }
    }
}

impl std::error::Error for TrackError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TrackError::Invalid(errors) => Some(errors),
            _ => None,
        }
    }
}

/// `flush` or `shutdown` did not complete in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeout;

impl fmt::Display for Timeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("analytics delivery did not complete in time")
    }
}

impl std::error::Error for Timeout {}
