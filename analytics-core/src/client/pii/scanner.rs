//! The fast path of the PII policy: one pass over the compact envelope
//! bytes that copies them, rewriting the members that are personal data. It
//! covers objects and arrays of objects (every Codex event); other shapes go
//! through the typed walk in the parent module.

use crate::schema::{FieldSchema, FieldType};

use super::{has_pii, PiiPolicy};

/// The fields of an object type, seen through `Nullable` and `Array`.
fn object_fields(ty: &FieldType) -> Option<&'static [FieldSchema]> {
    match ty {
        FieldType::Object(schema) => Some(schema.fields),
        FieldType::Nullable(inner) | FieldType::Array(inner) => object_fields(inner),
        _ => None,
    }
}

/// A single pass over compact JSON that copies it, rewriting PII members.
pub(super) struct Scanner<'a> {
    pub(super) input: &'a [u8],
    pub(super) pos: usize,
    pub(super) policy: &'a PiiPolicy,
    pub(super) root: &'static [FieldSchema],
}

impl Scanner<'_> {
    fn peek(&mut self) -> Option<u8> {
        while let Some(&byte) = self.input.get(self.pos) {
            if matches!(byte, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                return Some(byte);
            }
        }
        None
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// The envelope: only `event_params` is rewritten.
    pub(super) fn envelope(&mut self, out: &mut Vec<u8>) -> Option<()> {
        self.object(out, &|key| {
            (key == "event_params").then_some(Target::Params)
        })?;
        self.peek().is_none().then_some(())
    }

    fn object(&mut self, out: &mut Vec<u8>, route: &dyn Fn(&str) -> Option<Target>) -> Option<()> {
        self.expect(b'{')?;
        out.push(b'{');
        let mut written = 0usize;
        if self.peek()? == b'}' {
            self.pos += 1;
            out.push(b'}');
            return Some(());
        }
        let input = self.input;
        loop {
            self.peek()?;
            let key_start = self.pos;
            self.skip_string()?;
            let raw_key = &input[key_start..self.pos];
            let key: String = serde_json::from_slice(raw_key).ok()?;
            self.expect(b':')?;
            let target = route(&key);
            let value_start = {
                self.peek()?;
                self.pos
            };
            let member_prefix = |out: &mut Vec<u8>, written: &mut usize| {
                if *written > 0 {
                    out.push(b',');
                }
                *written += 1;
                out.extend_from_slice(raw_key);
                out.push(b':');
            };
            match target {
                Some(Target::Params) => {
                    member_prefix(out, &mut written);
                    let root = self.root;
                    self.members(out, root)?;
                }
                Some(Target::Fields(fields)) => {
                    member_prefix(out, &mut written);
                    self.members(out, fields)?;
                }
                Some(Target::Pii) => {
                    self.skip_value()?;
                    let raw = &input[value_start..self.pos];
                    match self.policy {
                        PiiPolicy::Keep => {
                            member_prefix(out, &mut written);
                            out.extend_from_slice(raw);
                        }
                        PiiPolicy::Drop => {}
                        PiiPolicy::Hash { .. } => {
                            member_prefix(out, &mut written);
                            if raw == b"null" {
                                out.extend_from_slice(raw);
                            } else {
                                let hash = self.policy.hash_value(raw);
                                crate::json::write_str(out, &hash);
                            }
                        }
                    }
                }
                None => {
                    self.skip_value()?;
                    member_prefix(out, &mut written);
                    out.extend_from_slice(&input[value_start..self.pos]);
                }
            }
            match self.peek()? {
                b',' => self.pos += 1,
                b'}' => {
                    self.pos += 1;
                    out.push(b'}');
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A value that holds objects with these fields: an object, an array of
    /// objects, or anything else (copied).
    fn members(&mut self, out: &mut Vec<u8>, fields: &'static [FieldSchema]) -> Option<()> {
        match self.peek()? {
            b'{' => {
                let route = move |key: &str| {
                    let field = fields.iter().find(|field| field.name == key)?;
                    if field.pii {
                        Some(Target::Pii)
                    } else {
                        object_fields(&field.ty)
                            .filter(|nested| has_pii(nested))
                            .map(Target::Fields)
                    }
                };
                self.object(out, &route)
            }
            b'[' => {
                self.pos += 1;
                out.push(b'[');
                if self.peek()? == b']' {
                    self.pos += 1;
                    out.push(b']');
                    return Some(());
                }
                loop {
                    self.members(out, fields)?;
                    match self.peek()? {
                        b',' => {
                            self.pos += 1;
                            out.push(b',');
                        }
                        b']' => {
                            self.pos += 1;
                            out.push(b']');
                            return Some(());
                        }
                        _ => return None,
                    }
                }
            }
            _ => {
                let start = self.pos;
                self.skip_value()?;
                out.extend_from_slice(&self.input[start..self.pos]);
                Some(())
            }
        }
    }

    fn skip_string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            match *self.input.get(self.pos)? {
                b'"' => {
                    self.pos += 1;
                    return Some(());
                }
                b'\\' => self.pos += 2,
                _ => self.pos += 1,
            }
        }
    }

    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    match *self.input.get(self.pos)? {
                        b'"' => {
                            self.skip_string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.pos += 1;
                }
            }
            _ => {
                let start = self.pos;
                while let Some(&byte) = self.input.get(self.pos) {
                    if matches!(byte, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                        break;
                    }
                    self.pos += 1;
                }
                (self.pos > start).then_some(())
            }
        }
    }
}

/// Where a member's value goes.
enum Target {
    /// `event_params` of the envelope.
    Params,
    /// An object (or array of objects) with PII inside.
    Fields(&'static [FieldSchema]),
    /// A PII value.
    Pii,
}
