//! Validation reports: every violated rule, as `(path, rule, message)`.

use std::fmt;

/// One violated rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Where, in Rust field names: `base.app_server_client.product_client_id`,
    /// `receiver_thread_ids[2]`; empty for a struct-level check at the top.
    pub path: String,
    /// The rule's name: `range`, `length`, `non_empty`, `pattern`, `one_of`,
    /// `custom` or `check`.
    pub rule: &'static str,
    /// What is wrong, for a person.
    pub message: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Every rule an event or a group of fields violates.
///
/// `Display` prints one violation per line (`path: message`), no header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors {
    errors: Vec<ValidationError>,
}

impl ValidationErrors {
    /// An empty report (does not allocate).
    pub const fn new() -> Self {
        ValidationErrors { errors: Vec::new() }
    }

    /// Adds one violation.
    pub fn push(
        &mut self,
        path: impl Into<String>,
        rule: &'static str,
        message: impl Into<String>,
    ) {
        self.errors.push(ValidationError {
            path: path.into(),
            rule,
            message: message.into(),
        });
    }

    /// The violations, in the order the fields are declared.
    pub fn iter(&self) -> std::slice::Iter<'_, ValidationError> {
        self.errors.iter()
    }

    /// How many violations.
    pub fn len(&self) -> usize {
        self.errors.len()
    }

    /// No violation at all.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// The first violation at exactly this path.
    pub fn get(&self, path: &str) -> Option<&ValidationError> {
        self.errors.iter().find(|error| error.path == path)
    }

    /// Every violation at exactly this path.
    pub fn all_at<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a ValidationError> + 'a {
        self.errors.iter().filter(move |error| error.path == path)
    }

    /// `Ok(())` when empty, the report otherwise.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            fmt::Display::fmt(error, f)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl IntoIterator for ValidationErrors {
    type Item = ValidationError;
    type IntoIter = std::vec::IntoIter<ValidationError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.into_iter()
    }
}

impl<'a> IntoIterator for &'a ValidationErrors {
    type Item = &'a ValidationError;
    type IntoIter = std::slice::Iter<'a, ValidationError>;
    fn into_iter(self) -> Self::IntoIter {
        self.errors.iter()
    }
}

/// Where a value sits, built on the stack while validating and rendered to a
/// `String` only when a rule fails, so a valid event costs no allocation.
/// The derived `validate()` and the check on arrival (`ingest`) both build
/// it, so their paths are the same text.
#[derive(Clone, Copy)]
pub struct Path<'a> {
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
    /// The top of a report.
    pub const ROOT: Path<'static> = Path {
        parent: None,
        segment: Segment::Root,
    };

    /// The path of a field below this one.
    pub fn field(&'a self, name: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Field(name),
        }
    }

    /// The path of an item below this one.
    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Index(index),
        }
    }

    /// The path of a map's value below this one: `labels["key"]`.
    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            segment: Segment::Key(key),
        }
    }

    /// `a.b[2].c`; empty at the root.
    pub fn render(&self) -> String {
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
                use std::fmt::Write as _;
                let _ = write!(out, "[{key:?}]");
            }
        }
    }
}

impl fmt::Debug for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Path({:?})", self.render())
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_with_dots_and_indexes() {
        let root = Path::ROOT;
        let base = root.field("base");
        let client = base.field("app_server_client");
        assert_eq!(
            client.field("product_client_id").render(),
            "base.app_server_client.product_client_id"
        );
        let ids = root.field("receiver_thread_ids");
        assert_eq!(ids.index(2).render(), "receiver_thread_ids[2]");
        assert_eq!(root.render(), "");
    }

    #[test]
    fn display_is_one_line_per_violation() {
        let mut errors = ValidationErrors::new();
        errors.push("base.thread_id", "non_empty", "must not be empty");
        errors.push("", "check", "completed_at_ms must be >= started_at_ms");
        assert_eq!(
            errors.to_string(),
            "base.thread_id: must not be empty\ncompleted_at_ms must be >= started_at_ms"
        );
        assert_eq!(errors.get("base.thread_id").unwrap().rule, "non_empty");
        assert_eq!(errors.len(), 2);
    }
}
