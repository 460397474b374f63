//! The words for types and rules, written once for the `'static` schema types
//! and their owned twins of the tracking plan.
//!
//! Both [`FieldType`](crate::FieldType) and [`PlanType`](crate::plan::PlanType)
//! show themselves as a [`TypeShape`], both [`Rule`](crate::Rule) and
//! [`PlanRule`](crate::plan::PlanRule) as a [`RuleShape`]; `describe`, rule
//! names and `Display` are written against the shapes. A new type or rule
//! variant is then a compile error here (the shapes' matches are exhaustive)
//! and in the two `shape` functions, nowhere else.

use std::fmt;

use crate::schema::{Bound, IntegerKind};

/// One level of a type, its children borrowed as `T` (a `FieldType` or a `PlanType`).
pub(crate) enum TypeShape<'a, T: ?Sized> {
    String,
    Integer(IntegerKind),
    Number(u8),
    Boolean,
    /// The enum's Rust name.
    Enum(&'a str),
    /// The object's Rust name.
    Object(&'a str),
    Array(&'a T),
    Nullable(&'a T),
    /// The key enum's Rust name, if the keys are limited.
    Map {
        keys: Option<&'a str>,
        values: &'a T,
    },
    Any,
    /// A value described by a user-given JSON Schema.
    Json,
    /// The union's Rust name.
    Union(&'a str),
    /// The referenced object's Rust name.
    Ref(&'a str),
}

/// A type that shows itself one level at a time.
pub(crate) trait HasTypeShape {
    fn type_shape(&self) -> TypeShape<'_, Self>;
}

/// The short human name of a type: `string`, `integer (u64)`, `enum RpcTransport`,
/// `array of (string or null)`, `map of string to boolean`...
///
/// `name` may render a node itself (the Markdown rendering links enums to
/// their section); it returns `None` to take the words below.
pub(crate) fn describe_with<T: HasTypeShape + ?Sized>(
    ty: &T,
    name: &mut dyn FnMut(&T) -> Option<String>,
) -> String {
    if let Some(text) = name(ty) {
        return text;
    }
    match ty.type_shape() {
        TypeShape::String => "string".to_owned(),
        TypeShape::Integer(kind) => format!("integer ({kind})"),
        TypeShape::Number(bits) => format!("number (f{bits})"),
        TypeShape::Boolean => "boolean".to_owned(),
        TypeShape::Enum(enum_name) => format!("enum {enum_name}"),
        TypeShape::Object(object) | TypeShape::Ref(object) => format!("object {object}"),
        // Parenthesized: "array of string or null" would read as a nullable array.
        TypeShape::Array(item) if matches!(item.type_shape(), TypeShape::Nullable(_)) => {
            format!("array of ({})", describe_with(item, name))
        }
        TypeShape::Array(item) => format!("array of {}", describe_with(item, name)),
        TypeShape::Nullable(inner) => format!("{} or null", describe_with(inner, name)),
        TypeShape::Map { keys, values } => {
            let values = describe_with(values, name);
            match keys {
                Some(keys) => format!("map of enum {keys} to {values}"),
                None => format!("map of string to {values}"),
            }
        }
        TypeShape::Any => "any JSON".to_owned(),
        TypeShape::Json => "JSON (own schema)".to_owned(),
        TypeShape::Union(union) => format!("union {union}"),
    }
}

/// [`describe_with`] with the default words everywhere.
pub(crate) fn describe<T: HasTypeShape + ?Sized>(ty: &T) -> String {
    describe_with(ty, &mut |_| None)
}

/// A rule, its texts borrowed (`S` is `&'static str` or `String`).
#[derive(Clone, Copy)]
pub(crate) enum RuleShape<'a, S> {
    Range {
        min: Option<Bound>,
        max: Option<Bound>,
    },
    Length {
        min: Option<u64>,
        max: Option<u64>,
    },
    NonEmpty,
    Pattern(&'a str),
    OneOf(&'a [S]),
    Custom(&'a str),
}

impl<S> RuleShape<'_, S> {
    /// The rule's name as `ValidationError::rule` and the attribute spell it.
    pub(crate) const fn name(&self) -> &'static str {
        match self {
            RuleShape::Range { .. } => "range",
            RuleShape::Length { .. } => "length",
            RuleShape::NonEmpty => "non_empty",
            RuleShape::Pattern(_) => "pattern",
            RuleShape::OneOf(_) => "one_of",
            RuleShape::Custom(_) => "custom",
        }
    }
}

impl<S: fmt::Debug> fmt::Display for RuleShape<'_, S> {
    /// The attribute spelling: `range(min = -1, max = 255)`, `non_empty`,
    /// `pattern = "^a"`, `one_of = ["a", "b"]`, `custom = path::to::check`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn bounds<T: fmt::Display>(
            f: &mut fmt::Formatter<'_>,
            name: &str,
            min: Option<T>,
            max: Option<T>,
        ) -> fmt::Result {
            write!(f, "{name}(")?;
            match (min, max) {
                (Some(min), Some(max)) => write!(f, "min = {min}, max = {max}")?,
                (Some(min), None) => write!(f, "min = {min}")?,
                (None, Some(max)) => write!(f, "max = {max}")?,
                (None, None) => {}
            }
            f.write_str(")")
        }
        match *self {
            RuleShape::Range { min, max } => bounds(f, self.name(), min, max),
            RuleShape::Length { min, max } => bounds(f, self.name(), min, max),
            RuleShape::NonEmpty => f.write_str(self.name()),
            RuleShape::Pattern(pattern) => write!(f, "{} = {pattern:?}", self.name()),
            RuleShape::OneOf(values) => write!(f, "{} = {values:?}", self.name()),
            RuleShape::Custom(path) => write!(f, "{} = {path}", self.name()),
        }
    }
}
