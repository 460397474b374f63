//! The error of [`TrackingPlan::from_json`](crate::TrackingPlan::from_json).

use std::fmt;

/// A malformed plan given to [`TrackingPlan::from_json`](crate::TrackingPlan::from_json).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    path: String,
    message: String,
}

impl PlanError {
    pub(crate) fn new(path: &str, message: impl Into<String>) -> Self {
        PlanError {
            path: path.to_owned(),
            message: message.into(),
        }
    }

    /// Where in the document: `events[2].fields[0].type` (empty for the whole document).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong there.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "tracking plan: {}", self.message)
        } else {
            write!(f, "tracking plan: {}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for PlanError {}
