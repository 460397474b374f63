//! The members of a derived struct, type-erased: what the writer,
//! `Serialize` and `validate` of every derived struct run on.
//!
//! A derive emits, per struct, a static table of its members
//! ([`MemberDecl`], shared with the schema) and one small function,
//! `FieldSet::__visit`, that hands the struct's members to a callback as
//! `&dyn` references ([`MemberRef`]). Everything else is written once, here:
//! a loop over (table, members). The vtables are per field *type* (every
//! `String` field of every event shares one), so a crate of events
//! type-checks one coercion per field instead of a call per field and per
//! operation, and no generic body is compiled until a binary uses it.

use serde::ser::SerializeMap;

use crate::__private::{FieldSet, MemberDecl};
use crate::json;
use crate::rules::{self, RuleValue};
use crate::validate::{Path, ValidationErrors};
use crate::value::AnalyticsValue;

/// A field's value seen through its type's vtable: implemented once, for
/// every [`AnalyticsValue`].
pub trait Member {
    /// [`AnalyticsValue::write_json`].
    fn write_json(&self, out: &mut Vec<u8>);

    /// [`AnalyticsValue::__validate_nested`].
    fn validate_nested(&self, path: &Path<'_>, errors: &mut ValidationErrors);

    /// The value as serde sees it (`Serialize` for any serializer).
    fn as_serialize(&self) -> &dyn erased_serde::Serialize;

    /// [`AnalyticsValue::__rule_value`].
    fn rule_value(&self) -> RuleValue<'_>;

    /// [`AnalyticsValue::__scalar`].
    fn scalar(&self) -> Option<Scalar<'_>>;
}

impl<T: AnalyticsValue> Member for T {
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        AnalyticsValue::write_json(self, out);
    }

    #[inline]
    fn validate_nested(&self, path: &Path<'_>, errors: &mut ValidationErrors) {
        self.__validate_nested(path, errors);
    }

    #[inline]
    fn as_serialize(&self) -> &dyn erased_serde::Serialize {
        self
    }

    #[inline]
    fn rule_value(&self) -> RuleValue<'_> {
        self.__rule_value()
    }

    #[inline]
    fn scalar(&self) -> Option<Scalar<'_>> {
        self.__scalar()
    }
}

/// A value whose `Serialize` is one serializer call (a string, a number, a
/// bool, `None`), or `Some` of one: serialized here, without going through
/// erased-serde's dynamic serializer (see `AnalyticsValue::__scalar`). The
/// calls are the ones the type's own `Serialize` makes, so every serializer
/// sees the same thing.
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct Scalar<'a> {
    /// Wrapped in `serialize_some` (an `Option` that is `Some`).
    pub some: bool,
    /// The value.
    pub leaf: Leaf<'a>,
}

/// See [`Scalar`].
#[doc(hidden)]
#[derive(Clone, Copy)]
#[allow(missing_docs)]
pub enum Leaf<'a> {
    Bool(bool),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    I128(i128),
    U8(u8),
    U16(u16),
    U32(u32),
    U64(u64),
    U128(u128),
    F32(f32),
    F64(f64),
    Str(&'a str),
    /// `None` of an `Option`.
    None,
}

impl serde::Serialize for Leaf<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            Leaf::Bool(value) => serializer.serialize_bool(value),
            Leaf::I8(value) => serializer.serialize_i8(value),
            Leaf::I16(value) => serializer.serialize_i16(value),
            Leaf::I32(value) => serializer.serialize_i32(value),
            Leaf::I64(value) => serializer.serialize_i64(value),
            Leaf::I128(value) => serializer.serialize_i128(value),
            Leaf::U8(value) => serializer.serialize_u8(value),
            Leaf::U16(value) => serializer.serialize_u16(value),
            Leaf::U32(value) => serializer.serialize_u32(value),
            Leaf::U64(value) => serializer.serialize_u64(value),
            Leaf::U128(value) => serializer.serialize_u128(value),
            Leaf::F32(value) => serializer.serialize_f32(value),
            Leaf::F64(value) => serializer.serialize_f64(value),
            Leaf::Str(value) => serializer.serialize_str(value),
            Leaf::None => serializer.serialize_none(),
        }
    }
}

impl serde::Serialize for Scalar<'_> {
    #[inline]
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.some {
            serializer.serialize_some(&self.leaf)
        } else {
            self.leaf.serialize(serializer)
        }
    }
}

/// A flattened struct seen through its type's vtable: implemented once, for
/// every [`FieldSet`].
pub trait Fields {
    /// `FieldSet::__write_members`.
    fn write_members(&self, out: &mut Vec<u8>);

    /// `FieldSet::__validate_into` (its struct-level checks included).
    fn validate_into(&self, path: &Path<'_>, errors: &mut ValidationErrors);

    /// `FieldSet::__MEMBERS`.
    fn members(&self) -> &'static [MemberDecl];

    /// `FieldSet::__visit`.
    fn visit(&self, f: &mut dyn FnMut(&[MemberRef<'_>]));
}

impl<T: FieldSet> Fields for T {
    #[inline]
    fn write_members(&self, out: &mut Vec<u8>) {
        self.__write_members(out);
    }

    #[inline]
    fn validate_into(&self, path: &Path<'_>, errors: &mut ValidationErrors) {
        self.__validate_into(path, errors);
    }

    #[inline]
    fn members(&self) -> &'static [MemberDecl] {
        T::__MEMBERS
    }

    #[inline]
    fn visit(&self, f: &mut dyn FnMut(&[MemberRef<'_>])) {
        self.__visit(f);
    }
}

/// How a member is reached.
#[derive(Clone, Copy)]
enum Reach<'a> {
    /// An analytics value.
    Value(&'a dyn Member),
    /// A field written through serde (`#[analytics(serde)]`, `serialize_with`).
    Serde(&'a dyn erased_serde::Serialize),
    /// A flattened struct: its own members, at this level.
    Flatten(&'a dyn Fields),
}

/// Generated validation of a field with rules: run with the struct's path,
/// in place of the member's default validation.
pub type Check<'a> = &'a dyn Fn(&Path<'_>, &mut ValidationErrors);

/// One member of a struct, in the order of its [`MemberDecl`] table.
#[derive(Clone, Copy)]
pub struct MemberRef<'a> {
    value: Reach<'a>,
    /// `false` when `skip_serializing_if` said so for this value.
    written: bool,
    /// The value's type can report problems of its own (`AnalyticsValue::__VALIDATES`).
    nested: bool,
    check: Option<Check<'a>>,
}

impl<'a> MemberRef<'a> {
    /// An analytics value (what `AnalyticsValue::__member` returns);
    /// `nested` is its type's `__VALIDATES`.
    #[inline]
    pub fn value(value: &'a dyn Member, nested: bool) -> Self {
        MemberRef {
            value: Reach::Value(value),
            written: true,
            nested,
            check: None,
        }
    }

    /// A flattened struct (what `FieldSet::__flattened` returns).
    #[inline]
    pub fn flatten(fields: &'a dyn Fields) -> Self {
        MemberRef {
            value: Reach::Flatten(fields),
            written: true,
            nested: true,
            check: None,
        }
    }

    /// Not written this time: `skip_serializing_if` returned `skip` (still validated).
    #[inline]
    pub fn skip(self, skip: bool) -> Self {
        MemberRef {
            written: !skip,
            ..self
        }
    }

    /// Validated by `check` (the field's rules, generated) instead of the default.
    #[inline]
    pub fn checked(self, check: Check<'a>) -> Self {
        MemberRef {
            check: Some(check),
            ..self
        }
    }
}

/// A field written through serde.
#[inline]
pub fn serde_member<T: serde::Serialize>(value: &T) -> MemberRef<'_> {
    MemberRef {
        value: Reach::Serde(value),
        written: true,
        nested: true,
        check: None,
    }
}

/// The table and the members of a struct, or a flattened base (debug builds
/// check that the derive emitted them in step).
#[inline]
fn pairs<'t, 'm, 'a>(
    table: &'t [MemberDecl],
    members: &'m [MemberRef<'a>],
) -> impl Iterator<Item = (&'t MemberDecl, &'m MemberRef<'a>)> {
    debug_assert_eq!(
        table.len(),
        members.len(),
        "members out of step with their table"
    );
    table.iter().zip(members)
}

/// Appends `,"key":value` for every member written (`FieldSet::__write_members`).
pub fn write_members(table: &[MemberDecl], members: &[MemberRef<'_>], out: &mut Vec<u8>) {
    for (decl, member) in pairs(table, members) {
        if !member.written {
            continue;
        }
        match (decl, member.value) {
            (MemberDecl::Field(field), _) if field.envelope => {}
            (MemberDecl::Field(field), Reach::Value(value)) => {
                if field.pii {
                    write_pii(out, field.key, |out| value.write_json(out));
                } else {
                    out.extend_from_slice(field.key);
                    value.write_json(out);
                }
            }
            (MemberDecl::Field(field), Reach::Serde(value)) => {
                if field.pii {
                    write_pii(out, field.key, |out| json::write_serde(out, value));
                } else {
                    out.extend_from_slice(field.key);
                    json::write_serde(out, value);
                }
            }
            (_, Reach::Flatten(fields)) => fields.write_members(out),
            (MemberDecl::Flatten { .. }, _) => unreachable!("a flattened member is its fields"),
        }
    }
}

/// Writes a `#[analytics(pii)]` member under the client's policy.
#[inline]
fn write_pii(out: &mut Vec<u8>, key: &[u8], value: impl FnOnce(&mut Vec<u8>)) {
    #[cfg(feature = "client")]
    crate::client::write_pii_member(out, key, value);
    #[cfg(not(feature = "client"))]
    {
        out.extend_from_slice(key);
        value(out);
    }
}

/// Validates every member, in declaration order (`FieldSet::__validate_into`
/// before the struct-level checks).
pub fn validate_members(
    table: &[MemberDecl],
    members: &[MemberRef<'_>],
    path: &Path<'_>,
    errors: &mut ValidationErrors,
) {
    for (decl, member) in pairs(table, members) {
        if let Some(check) = member.check {
            check(path, errors);
            continue;
        }
        match (decl, member.value) {
            (MemberDecl::Field(field), Reach::Value(value)) => {
                // Most members have neither rules nor anything inside.
                if field.rules.is_empty() && !member.nested {
                    continue;
                }
                let path = path.field(field.rust_name);
                rules::apply(field.rules, value.rule_value(), &path, errors);
                if member.nested {
                    value.validate_nested(&path, errors);
                }
            }
            (MemberDecl::Field(field), Reach::Serde(value)) => {
                crate::__private::check_serializable(value, &path.field(field.rust_name), errors);
            }
            (MemberDecl::Flatten { rust_name, .. }, Reach::Flatten(fields)) => {
                fields.validate_into(&path.field(rust_name), errors);
            }
            (_, Reach::Flatten(_)) | (MemberDecl::Flatten { .. }, _) => {
                unreachable!("a flattened member is its fields")
            }
        }
    }
}

/// How many members are written (`serialize_map`'s length), flattened ones included.
fn count_members(table: &[MemberDecl], members: &[MemberRef<'_>]) -> usize {
    let mut count = 0;
    for (decl, member) in pairs(table, members) {
        match (decl, member.value) {
            (_, Reach::Flatten(fields)) => {
                fields.visit(&mut |inner| count += count_members(fields.members(), inner));
            }
            (MemberDecl::Field(field), _) => {
                count += usize::from(member.written && !field.envelope);
            }
            (MemberDecl::Flatten { .. }, _) => {}
        }
    }
    count
}

/// Serializes every member written into `map`, flattened ones at this level.
fn serialize_members<M: SerializeMap>(
    table: &[MemberDecl],
    members: &[MemberRef<'_>],
    map: &mut M,
) -> Result<(), M::Error> {
    for (decl, member) in pairs(table, members) {
        if !member.written {
            continue;
        }
        match (decl, member.value) {
            (MemberDecl::Field(field), _) if field.envelope => {}
            (MemberDecl::Field(field), Reach::Value(value)) => match value.scalar() {
                Some(scalar) => map.serialize_entry(field.name, &scalar)?,
                None => map.serialize_entry(field.name, value.as_serialize())?,
            },
            (MemberDecl::Field(field), Reach::Serde(value)) => {
                map.serialize_entry(field.name, value)?;
            }
            (_, Reach::Flatten(fields)) => {
                let mut result = Ok(());
                fields.visit(&mut |inner| result = serialize_members(fields.members(), inner, map));
                result?;
            }
            (MemberDecl::Flatten { .. }, _) => unreachable!("a flattened member is its fields"),
        }
    }
    Ok(())
}

/// `Serialize` for a field set: a map of its members (one body per
/// serializer, compiled only where a binary serializes).
pub fn serialize_field_set<T: FieldSet, S: serde::Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut serializer = Some(serializer);
    let mut result = None;
    value.__visit(&mut |members| {
        if let Some(serializer) = serializer.take() {
            result = Some(serialize_map(T::__MEMBERS, members, serializer));
        }
    });
    match result {
        Some(result) => result,
        None => unreachable!("`FieldSet::__visit` calls back once"),
    }
}

fn serialize_map<S: serde::Serializer>(
    table: &[MemberDecl],
    members: &[MemberRef<'_>],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(Some(count_members(table, members)))?;
    serialize_members(table, members, &mut map)?;
    map.end()
}
