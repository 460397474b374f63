//! The text in which a derive declares the members of a struct
//! ([`MemberDecls::text`](super::MemberDecls::text)), and its reader.
//!
//! Everything a derive knows of a member from the tokens alone (names, doc
//! comment, rules, flags) is one string literal per struct: a literal costs
//! the compiler next to nothing, where the same facts as a table of
//! constant structs were type-checked, borrow-checked, evaluated and
//! emitted in every crate of events (about 15% of a write-only
//! crate's compile time, BENCHMARKS.md). Only what needs the type system stays Rust: the
//! members' wire types ([`MemberDecls::types`](super::MemberDecls::types))
//! and the flattened structs' own declarations.
//!
//! ```text
//! members = member*
//! member  = "F" count(type) string(name) string(rust_name) string(description) fact* "."
//!         | "L" count(flattened) string(rust_name)        a flattened field
//! fact    = "o"                     the key may be left out (skip_serializing_if)
//!         | "p"                     pii
//!         | "d" string(note)        deprecated
//!         | "u" | "a"               user_id | anonymous_id
//!         | "r" bound bound         rule range(min, max)
//!         | "l" limit limit         rule length(min, max)
//!         | "n"                     rule non_empty
//!         | "x" string(regex)       rule pattern
//!         | "e" count string*       rule one_of (count values)
//!         | "c" string(path)        rule custom
//! count   = decimal ","
//! string  = decimal ":" bytes       (the length in bytes, then the UTF-8 bytes)
//! bound   = "_" | "i" decimal "," | "f" decimal "," (an i128 or an f64)
//! limit   = "_" | count
//! ```
//!
//! The derive and this reader ship together (analytics-core pins its
//! derive's exact version), so a text that does not parse is a bug of
//! theirs, not of the user: the reader panics with the offset.

use crate::schema::{Bound, IdentityRole, Rule};

/// One member read from the text.
pub(super) enum Member {
    /// A field: its type's index in `types`, and its facts.
    Field(usize, Facts),
    /// A flattened field: the index of its declarations in `flattened`,
    /// and its Rust name.
    Flatten(usize, &'static str),
}

/// What the text says of a field.
pub(super) struct Facts {
    pub(super) name: &'static str,
    pub(super) rust_name: &'static str,
    pub(super) description: &'static str,
    pub(super) required: bool,
    pub(super) pii: bool,
    pub(super) deprecated: Option<&'static str>,
    pub(super) identity: Option<IdentityRole>,
    pub(super) rules: &'static [Rule],
}

/// The members of `text`, in order.
pub(super) fn members(text: &'static str) -> impl Iterator<Item = Member> {
    let mut reader = Reader { text, at: 0 };
    std::iter::from_fn(move || (reader.at < text.len()).then(|| reader.member()))
}

struct Reader {
    text: &'static str,
    at: usize,
}

impl Reader {
    fn member(&mut self) -> Member {
        match self.byte() {
            b'F' => {
                let ty = self.count();
                let mut facts = Facts {
                    name: self.string(),
                    rust_name: self.string(),
                    description: self.string(),
                    required: true,
                    pii: false,
                    deprecated: None,
                    identity: None,
                    rules: &[],
                };
                let mut rules = Vec::new();
                loop {
                    match self.byte() {
                        b'.' => break,
                        b'o' => facts.required = false,
                        b'p' => facts.pii = true,
                        b'd' => facts.deprecated = Some(self.string()),
                        b'u' => facts.identity = Some(IdentityRole::UserId),
                        b'a' => facts.identity = Some(IdentityRole::AnonymousId),
                        b'r' => rules.push(Rule::Range {
                            min: self.bound(),
                            max: self.bound(),
                        }),
                        b'l' => rules.push(Rule::Length {
                            min: self.limit(),
                            max: self.limit(),
                        }),
                        b'n' => rules.push(Rule::NonEmpty),
                        b'x' => rules.push(Rule::Pattern(self.string())),
                        b'e' => {
                            let values: Vec<&'static str> =
                                (0..self.count()).map(|_| self.string()).collect();
                            rules.push(Rule::OneOf(values.leak()));
                        }
                        b'c' => rules.push(Rule::Custom(self.string())),
                        _ => self.malformed(),
                    }
                }
                if !rules.is_empty() {
                    facts.rules = rules.leak();
                }
                Member::Field(ty, facts)
            }
            b'L' => {
                let index = self.count();
                Member::Flatten(index, self.string())
            }
            _ => self.malformed(),
        }
    }

    fn byte(&mut self) -> u8 {
        let Some(&byte) = self.text.as_bytes().get(self.at) else {
            self.malformed()
        };
        self.at += 1;
        byte
    }

    /// The text up to (not including) `end`, which is skipped.
    fn until(&mut self, end: u8) -> &'static str {
        let rest = &self.text[self.at..];
        let Some(len) = rest.bytes().position(|b| b == end) else {
            self.malformed()
        };
        self.at += len + 1;
        &rest[..len]
    }

    fn count(&mut self) -> usize {
        let digits = self.until(b',');
        digits.parse().unwrap_or_else(|_| self.malformed())
    }

    fn string(&mut self) -> &'static str {
        let len: usize = self
            .until(b':')
            .parse()
            .unwrap_or_else(|_| self.malformed());
        let Some(value) = self.text.get(self.at..self.at + len) else {
            self.malformed()
        };
        self.at += len;
        value
    }

    fn bound(&mut self) -> Option<Bound> {
        match self.byte() {
            b'_' => None,
            b'i' => Some(Bound::Int(
                self.until(b',')
                    .parse()
                    .unwrap_or_else(|_| self.malformed()),
            )),
            b'f' => Some(Bound::Float(
                self.until(b',')
                    .parse()
                    .unwrap_or_else(|_| self.malformed()),
            )),
            _ => self.malformed(),
        }
    }

    fn limit(&mut self) -> Option<u64> {
        if self.text.as_bytes().get(self.at) == Some(&b'_') {
            self.at += 1;
            return None;
        }
        Some(
            self.until(b',')
                .parse()
                .unwrap_or_else(|_| self.malformed()),
        )
    }

    fn malformed(&self) -> ! {
        panic!(
            "analytics-core: a derive's member declarations do not parse at byte {} of {:?} \
             (analytics-core and analytics-derive must be the same version)",
            self.at, self.text
        )
    }
}
