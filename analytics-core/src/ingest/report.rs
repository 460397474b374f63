//! What checking reports, and where: the errors found, and the path of a
//! value in Rust field names, built on the stack and rendered only on failure.

use crate::failed::FailedCheck;
use crate::validate::ValidationErrors;

/// What checking found: every violated check, and whether one of them is a
/// schema violation (type, required key, unknown key, enum) rather than a rule.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) errors: Vec<FailedCheck>,
    pub(crate) schema: bool,
}

impl Report {
    #[cold]
    #[inline(never)]
    pub(crate) fn schema_error(&mut self, path: &Path<'_>, rule: &str, message: String) {
        self.schema = true;
        self.errors
            .push(FailedCheck::new(path.render(), rule, message));
    }

    /// Moves the errors the shared rule functions reported (at the root) to `path`.
    #[inline]
    pub(crate) fn rule_errors(&mut self, at: usize, path: &Path<'_>, found: ValidationErrors) {
        if !found.is_empty() {
            self.insert_rule_errors(at, path, found);
        }
    }

    #[cold]
    #[inline(never)]
    fn insert_rule_errors(&mut self, at: usize, path: &Path<'_>, found: ValidationErrors) {
        let rendered = path.render();
        let checks = found
            .into_iter()
            .map(|error| FailedCheck::new(rendered.clone(), error.rule, error.message));
        // Rules of a value come before the errors inside it, as in `validate()`.
        self.errors.splice(at..at, checks);
    }
}

/// Where a value sits: the same `Path` as the derived `validate()` builds,
/// so a path on arrival is the text `validate()` prints.
pub(crate) use crate::validate::Path;
