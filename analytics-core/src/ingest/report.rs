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

/// Where a value sits, in Rust field names (`base.thread_id`, `ids[2]`), built
/// on the stack and rendered only when something fails.
// The twin of `validate::Path` on purpose: names here are borrowed from the
// plan (`&'a str`) where the public one takes the derive's `&'static str`; both
// render the same text, which `tests/ingest_agreement.rs` compares.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: Segment<'a>,
}

#[derive(Clone, Copy)]
enum Segment<'a> {
    Root,
    Field(&'a str),
    Index(usize),
    Key(&'a str),
}

impl<'a> Path<'a> {
    pub(crate) const ROOT: Path<'static> = Path {
        parent: None,
        segment: Segment::Root,
    };

    pub(crate) fn field(&'a self, name: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Field(name),
        }
    }

    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Index(index),
        }
    }

    /// A value of a map: `field[key]`.
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Key(key),
        }
    }

    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        if let Some(parent) = self.parent {
            parent.render_into(out);
        }
        match self.segment {
            Segment::Root => {}
            Segment::Field(name) => {
                if !out.is_empty() && !name.is_empty() {
                    out.push('.');
                }
                out.push_str(name);
            }
            Segment::Index(index) => {
                out.push('[');
                out.push_str(itoa::Buffer::new().format(index));
                out.push(']');
            }
            Segment::Key(key) => {
                out.push('[');
                out.push_str(key);
                out.push(']');
            }
        }
    }
}
