//! The field-value trait: what a field of an event may hold.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};

use crate::event::{AnalyticsEnum, AnalyticsFields};
use crate::json;
use crate::schema::{EnumSchema, FieldType, IntegerKind};
use crate::validate::{Path, ValidationErrors};

/// A value that can sit in a field of an event: it knows its wire type for the
/// schema and writes itself as JSON (identically to serde_json).
///
/// Implemented for `bool`, every integer, `f32`, `f64`, `String`,
/// `&'static str`, `Cow<'static, str>`, `Box<str>`, `Option<T>`, `Vec<T>`, `Box<T>`,
/// `BTreeMap<K, V>` and `HashMap<K, V>` (keys: [`AnalyticsKey`]), `serde_json::Value`, and by the
/// derives for `AnalyticsEnum` and `AnalyticsFields` types.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the type of an analytics field",
    label = "not an analytics value",
    note = "a field can be: bool, an integer (i8..i128, u8..u128, isize, usize), f32, f64, String, &'static str, Cow<'static, str>, Box<str>, Option<T>, Vec<T>, Box<T>, BTreeMap<K, V>, HashMap<K, V>, serde_json::Value, or a type that derives `AnalyticsEnum` or `AnalyticsFields`",
    note = "a type from another crate cannot derive them (the orphan rule): if it implements serde's `Serialize` and `Deserialize`, write `#[analytics(serde)]` on the field",
    note = "an event is not a field: `AnalyticsEvent` writes its own envelope (`event_type`, `event_params`), so a hand-written request wrapper is deleted, and an enum of events derives `EventCatalog`"
)]
///
/// Reading a value back (`Deserialize`) is asked for only where a struct is
/// read: an event with a borrowed field (`&'static str`) is write-only.
pub trait AnalyticsValue: serde::Serialize {
    /// What is read to build the value: the value itself for an owned type;
    /// for a borrowed one (`&'static str`), a type whose `Deserialize` always
    /// fails (a struct with such a field is write-only and never reads it).
    /// Reading through it keeps "not an analytics value" the one diagnostic
    /// for a field of the wrong type.
    #[doc(hidden)]
    type __Read: serde::de::DeserializeOwned;

    /// The value from what was read.
    #[doc(hidden)]
    fn __from_read(read: Self::__Read) -> Self
    where
        Self: Sized;

    /// Appends the value as compact JSON.
    fn write_json(&self, out: &mut Vec<u8>);

    /// The value's wire type (for an `Option<T>`, the type of `T`).
    fn field_type() -> FieldType;

    /// The value may be `null` (true for `Option<T>`).
    fn nullable() -> bool {
        false
    }

    /// Where a field of this type gets its schema: the two functions above,
    /// as the derive's schema table holds them (one constant per type, so a
    /// table entry names it with one path instead of coercing two functions).
    #[doc(hidden)]
    const __TYPE_DECL: crate::__private::TypeDecl =
        crate::__private::TypeDecl::Value(Self::field_type, Self::nullable);

    /// Validates what is inside the value: the rules of a nested
    /// `AnalyticsFields` object, of every item of a `Vec`, of a `Some`.
    #[doc(hidden)]
    #[inline]
    fn __validate_nested(&self, _path: &Path<'_>, _errors: &mut ValidationErrors) {}

    // Generated code reaches every operation on a field's value through
    // `<FieldType as AnalyticsValue>::...`, never through a generic function
    // bounded by this trait: a field type that is not an analytics value is
    // then the same diagnostic at every site, and rustc reports it once.

    /// Serializes the value on its own (a field of an enum with data, which
    /// serde's derive writes through this, with `serialize_with`).
    #[doc(hidden)]
    #[inline]
    fn __serialize_value<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(self, serializer)
    }

    /// Deserializes a value on its own (the reading twin of `__serialize_value`).
    #[doc(hidden)]
    #[inline]
    fn __deserialize_value<'de, D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Self, D::Error>
    where
        Self: Sized,
    {
        <Self::__Read as serde::Deserialize<'de>>::deserialize(deserializer).map(Self::__from_read)
    }

    /// The value's wire type, leaked (what a variant of an enum with data
    /// holds): for an `Option<T>`, `Nullable` of `T`'s type.
    #[doc(hidden)]
    fn __leak_type() -> &'static FieldType
    where
        Self: Sized,
    {
        crate::__private::leak_value_type::<Self>()
    }

    /// Serializes `key: self` into a serde map (see `MapWriter`).
    #[doc(hidden)]
    #[inline]
    fn __serialize_member<M: serde::ser::SerializeMap>(
        &self,
        map: &mut crate::__private::MapWriter<'_, M>,
        key: &'static str,
    ) {
        map.entry(key, self);
    }

    /// Hands the member `name` (`key` is `,"name":`, pre-escaped; `field`
    /// its Rust name, for validation paths) to a derived struct's member
    /// sink: one generated call per member.
    #[doc(hidden)]
    #[inline]
    fn __member<M: crate::__private::Members>(
        &self,
        members: &mut M,
        name: &'static str,
        key: &'static [u8],
        field: &'static str,
    ) {
        members.value(name, key, field, self);
    }

    /// Appends the member `key` (`,"name":`, pre-escaped) and the value.
    #[doc(hidden)]
    #[inline]
    fn __write_member(&self, key: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(key);
        self.write_json(out);
    }

    /// Validates what is inside the value, below the field `name` of `path`:
    /// one generated call per field of a derived `validate` without rules.
    #[doc(hidden)]
    #[inline]
    fn __validate_member(
        &self,
        name: &'static str,
        path: &Path<'_>,
        errors: &mut ValidationErrors,
    ) {
        self.__validate_nested(&path.field(name), errors);
    }

    /// Deserializes the value of `key` into its slot; `Ok(true)` (the key
    /// is taken, what `FieldSet::__accept` returns, so that a generated arm
    /// is this one call).
    #[doc(hidden)]
    #[inline]
    fn __next_member<'de, A: serde::de::MapAccess<'de>>(
        slot: &mut Option<Self>,
        key: &'static str,
        map: &mut A,
    ) -> Result<bool, A::Error>
    where
        Self: Sized,
    {
        if slot.is_some() {
            return Err(serde::de::Error::duplicate_field(key));
        }
        *slot = Some(Self::__from_read(map.next_value::<Self::__Read>()?));
        Ok(true)
    }

    /// [`__missing_member`](Self::__missing_member) into the slot, when it
    /// is empty, its error kept in `error` unless one is there already (the
    /// first pass of a derived `__finish`).
    #[doc(hidden)]
    #[inline]
    fn __fill_member<E: serde::de::Error>(
        slot: &mut Option<Self>,
        key: &'static str,
        error: &mut Option<E>,
    ) where
        Self: Sized,
    {
        if slot.is_none() {
            crate::__private::keep(Self::__missing_member(None, key), slot, error);
        }
    }

    /// The value of a member once the input is read (`None` for a missing
    /// `Option`, serde's `missing field` error otherwise).
    #[doc(hidden)]
    #[inline]
    fn __missing_member<E: serde::de::Error>(
        slot: Option<Self>,
        key: &'static str,
    ) -> Result<Self, E>
    where
        Self: Sized,
    {
        match slot {
            Some(value) => Ok(value),
            None => crate::__private::missing_member::<Self::__Read, E>(None, key)
                .map(Self::__from_read),
        }
    }
}

/// Leaks a type description once per schema build (schemas are built once per type).
fn leak(ty: FieldType) -> &'static FieldType {
    Box::leak(Box::new(ty))
}

/// `AnalyticsValue` for an owned type read back as itself: `$write` writes
/// `$value` (`&Self`) into `$out`, `$field_type` is its schema type.
macro_rules! owned_value {
    ($ty:ty, |$value:ident, $out:ident| $write:expr, $field_type:expr) => {
        impl AnalyticsValue for $ty {
            type __Read = Self;
            #[inline]
            fn __from_read(read: Self) -> Self {
                read
            }
            #[inline]
            fn write_json(&self, $out: &mut Vec<u8>) {
                let $value = self;
                $write
            }
            fn field_type() -> FieldType {
                $field_type
            }
        }
    };
}

macro_rules! integers {
    ($($ty:ident => $kind:ident),* $(,)?) => {$(
        owned_value!($ty, |value, out| json::write_int(out, *value), FieldType::Integer(IntegerKind::$kind));
    )*};
}

integers! {
    i8 => I8, i16 => I16, i32 => I32, i64 => I64, i128 => I128, isize => Isize,
    u8 => U8, u16 => U16, u32 => U32, u64 => U64, u128 => U128, usize => Usize,
}

owned_value!(
    f64,
    |value, out| json::write_f64(out, *value),
    FieldType::Number { bits: 64 }
);
owned_value!(
    f32,
    |value, out| json::write_f32(out, *value),
    FieldType::Number { bits: 32 }
);
owned_value!(
    bool,
    |value, out| json::write_bool(out, *value),
    FieldType::Boolean
);
owned_value!(
    String,
    |value, out| json::write_str(out, value),
    FieldType::String
);
owned_value!(
    Box<str>,
    |value, out| json::write_str(out, value),
    FieldType::String
);
owned_value!(
    Cow<'static, str>,
    |value, out| json::write_str(out, value),
    FieldType::String
);

/// A borrowed string (`sandbox_policy: Option<&'static str>`): an event with
/// one is write-only (it has no `Deserialize`).
impl AnalyticsValue for &'static str {
    type __Read = crate::__private::Unreadable;
    fn __from_read(read: Self::__Read) -> Self {
        match read {}
    }
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        json::write_str(out, self);
    }
    fn field_type() -> FieldType {
        FieldType::String
    }
}

impl<T: AnalyticsValue> AnalyticsValue for Option<T> {
    type __Read = Option<T::__Read>;
    #[inline]
    fn __from_read(read: Self::__Read) -> Self {
        read.map(T::__from_read)
    }
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        match self {
            Some(value) => value.write_json(out),
            None => out.extend_from_slice(b"null"),
        }
    }
    fn field_type() -> FieldType {
        if T::nullable() {
            FieldType::Nullable(leak(T::field_type()))
        } else {
            T::field_type()
        }
    }
    fn nullable() -> bool {
        true
    }
    #[inline]
    fn __validate_nested(&self, path: &Path<'_>, errors: &mut ValidationErrors) {
        if let Some(value) = self {
            value.__validate_nested(path, errors);
        }
    }
}

impl<T: AnalyticsValue> AnalyticsValue for Vec<T> {
    type __Read = Vec<T::__Read>;
    #[inline]
    fn __from_read(read: Self::__Read) -> Self {
        // In place when `T::__Read` is `T` (the same layout).
        read.into_iter().map(T::__from_read).collect()
    }
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item.write_json(out);
        }
        out.push(b']');
    }
    fn field_type() -> FieldType {
        let item = if T::nullable() {
            FieldType::Nullable(leak(T::field_type()))
        } else {
            T::field_type()
        };
        FieldType::Array(leak(item))
    }
    #[inline]
    fn __validate_nested(&self, path: &Path<'_>, errors: &mut ValidationErrors) {
        for (i, item) in self.iter().enumerate() {
            item.__validate_nested(&path.index(i), errors);
        }
    }
}

impl<T: AnalyticsValue> AnalyticsValue for Box<T> {
    type __Read = Box<T::__Read>;
    #[inline]
    fn __from_read(read: Self::__Read) -> Self {
        Box::new(T::__from_read(*read))
    }
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        (**self).write_json(out);
    }
    fn field_type() -> FieldType {
        T::field_type()
    }
    fn nullable() -> bool {
        T::nullable()
    }
    #[inline]
    fn __validate_nested(&self, path: &Path<'_>, errors: &mut ValidationErrors) {
        (**self).__validate_nested(path, errors);
    }
}

/// A key of a map field (`BTreeMap<K, V>`, `HashMap<K, V>`): a JSON object's
/// key, so a string or an `AnalyticsEnum` (keys limited to its values).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the key of an analytics map",
    label = "not a map key",
    note = "a map key can be: String, Cow<'static, str>, Box<str>, or a type that derives `AnalyticsEnum` (a JSON object's keys are strings)"
)]
pub trait AnalyticsKey: serde::Serialize + serde::de::DeserializeOwned {
    /// The key's text on the wire.
    fn key_str(&self) -> &str;

    /// The enum the keys come from, for the schema (`None`: free strings).
    fn key_schema() -> Option<&'static EnumSchema>;
}

macro_rules! string_keys {
    ($($ty:ty),*) => {$(
        impl AnalyticsKey for $ty {
            #[inline]
            fn key_str(&self) -> &str {
                self
            }
            fn key_schema() -> Option<&'static EnumSchema> {
                None
            }
        }
    )*};
}
string_keys!(String, Box<str>, Cow<'static, str>);

impl<T> AnalyticsKey for T
where
    T: AnalyticsEnum + AnalyticsValue + serde::de::DeserializeOwned,
{
    #[inline]
    fn key_str(&self) -> &str {
        self.as_str()
    }
    fn key_schema() -> Option<&'static EnumSchema> {
        match T::field_type() {
            FieldType::Enum(schema) => Some(schema),
            _ => None,
        }
    }
}

/// The schema type of a map's values (`Nullable` for `Option` values).
fn map_type<K: AnalyticsKey, V: AnalyticsValue>() -> FieldType {
    let values = if V::nullable() {
        FieldType::Nullable(leak(V::field_type()))
    } else {
        V::field_type()
    };
    FieldType::Map {
        keys: K::key_schema(),
        values: leak(values),
    }
}

/// Appends `{"key":value,..}` in the map's iteration order (serde's).
/// Validates each value of a map at `path.key`.
fn validate_entries<'m, K, V>(
    entries: impl Iterator<Item = (&'m K, &'m V)>,
    path: &Path<'_>,
    errors: &mut ValidationErrors,
) where
    K: AnalyticsKey + 'm,
    V: AnalyticsValue + 'm,
{
    for (key, value) in entries {
        value.__validate_nested(&path.key(key.key_str()), errors);
    }
}

fn write_map<'m, K, V>(out: &mut Vec<u8>, entries: impl Iterator<Item = (&'m K, &'m V)>)
where
    K: AnalyticsKey + 'm,
    V: AnalyticsValue + 'm,
{
    out.push(b'{');
    for (i, (key, value)) in entries.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json::write_str(out, key.key_str());
        out.push(b':');
        value.write_json(out);
    }
    out.push(b'}');
}

// `BTreeMap` and `HashMap`: one body over two sets of bounds (`Ord` against
// `Hash` + `BuildHasher`); what they share is in `write_map` and
// `validate_entries`.
impl<K, V> AnalyticsValue for BTreeMap<K, V>
where
    K: AnalyticsKey + Ord,
    V: AnalyticsValue,
{
    type __Read = BTreeMap<K, V::__Read>;
    #[inline]
    fn __from_read(read: Self::__Read) -> Self {
        read.into_iter()
            .map(|(key, value)| (key, V::__from_read(value)))
            .collect()
    }
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_map(out, self.iter());
    }
    fn field_type() -> FieldType {
        map_type::<K, V>()
    }
    #[inline]
    fn __validate_nested(&self, path: &Path<'_>, errors: &mut ValidationErrors) {
        validate_entries(self.iter(), path, errors);
    }
}

impl<K, V, S> AnalyticsValue for HashMap<K, V, S>
where
    K: AnalyticsKey + Eq + Hash,
    V: AnalyticsValue,
    S: BuildHasher + Default,
{
    type __Read = HashMap<K, V::__Read, S>;
    #[inline]
    fn __from_read(read: Self::__Read) -> Self {
        read.into_iter()
            .map(|(key, value)| (key, V::__from_read(value)))
            .collect()
    }
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        write_map(out, self.iter());
    }
    fn field_type() -> FieldType {
        map_type::<K, V>()
    }
    #[inline]
    fn __validate_nested(&self, path: &Path<'_>, errors: &mut ValidationErrors) {
        validate_entries(self.iter(), path, errors);
    }
}

/// Any JSON (`serde_json::Value`): schema `{}`.
impl AnalyticsValue for serde_json::Value {
    type __Read = Self;
    #[inline]
    fn __from_read(read: Self) -> Self {
        read
    }
    #[inline]
    fn write_json(&self, out: &mut Vec<u8>) {
        json::write_serde(out, self);
    }
    fn field_type() -> FieldType {
        FieldType::Any
    }
}

/// A value that serde can write as the payload of a newtype variant of an
/// internally tagged enum (`#[serde(tag = "..")]`): serde puts the tag into
/// the payload's own JSON object, so the payload must be one. Anything else
/// fails at run time in serde; here it is a compile error on the variant.
///
/// Implemented for `AnalyticsFields` types and maps, and by
/// `#[derive(AnalyticsEnum)]` for internally and adjacently tagged enums
/// (every variant an object); the derive looks through `Box`. Implement it
/// by hand only for a type whose `Serialize` always writes an object.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the payload of a newtype variant of an internally tagged enum",
    label = "not written as a JSON object",
    note = "with `#[serde(tag = \"..\")]` serde writes the tag into the payload's own object, so a newtype variant holds a struct that derives `AnalyticsFields`, a `BTreeMap` / `HashMap`, or an internally or adjacently tagged `AnalyticsEnum` (or a `Box` of one)",
    note = "otherwise name the value (`Variant {{ value: T }}`), or put it beside the tag with `#[serde(tag = \"..\", content = \"..\")]`"
)]
pub trait TaggedPayload: AnalyticsValue {
    /// Named by the derive's compile-time check.
    #[doc(hidden)]
    const __CHECK: () = ();
}

// Not recommended: the error is then about `TaggedPayload` (what the variant
// needs), not about `AnalyticsFields` (one way of providing it).
#[diagnostic::do_not_recommend]
impl<T: AnalyticsFields + AnalyticsValue> TaggedPayload for T {}

impl<K: AnalyticsKey + Ord, V: AnalyticsValue> TaggedPayload for BTreeMap<K, V> {}

impl<K: AnalyticsKey + Eq + Hash, V: AnalyticsValue, S: BuildHasher + Default> TaggedPayload
    for HashMap<K, V, S>
{
}
