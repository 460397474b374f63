//! The runtime side of field rules, called by derived `validate` code.
//!
//! Each rule is a function over a trait that says which types it accepts; the
//! traits carry `#[diagnostic::on_unimplemented]` so a rule on the wrong type
//! is a compile error on the user's field naming the types allowed.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use crate::schema::Bound;
use crate::validate::{Path, ValidationErrors};

/// A value that `range(min = .., max = ..)` can check: an integer or a float.
#[diagnostic::on_unimplemented(
    message = "`range` cannot check a value of type `{Self}`",
    label = "`range` needs a number here",
    note = "`range(min = .., max = ..)` applies to integers (i8..i128, u8..u128, isize, usize) and floats (f32, f64), or an Option of one"
)]
pub trait RangeValue {
    /// `Less` when below the bound, `Greater` when above; `None` for NaN.
    fn compare(&self, bound: Bound) -> Option<std::cmp::Ordering>;

    /// The value, for the error message (called only when the rule fails).
    fn describe(&self) -> String;
}

macro_rules! range_ints {
    ($($ty:ty),*) => {$(
        impl RangeValue for $ty {
            #[inline]
            fn compare(&self, bound: Bound) -> Option<std::cmp::Ordering> {
                match bound {
                    Bound::Int(bound) => Some((*self as i128).cmp(&bound)),
                    Bound::Float(bound) => (*self as f64).partial_cmp(&bound),
                }
            }
            fn describe(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
range_ints!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, usize);

impl RangeValue for u128 {
    #[inline]
    fn compare(&self, bound: Bound) -> Option<std::cmp::Ordering> {
        match bound {
            Bound::Int(bound) if bound < 0 => Some(std::cmp::Ordering::Greater),
            Bound::Int(bound) => Some(self.cmp(&(bound as u128))),
            Bound::Float(bound) => (*self as f64).partial_cmp(&bound),
        }
    }
    fn describe(&self) -> String {
        self.to_string()
    }
}

macro_rules! range_floats {
    ($($ty:ty),*) => {$(
        impl RangeValue for $ty {
            #[inline]
            fn compare(&self, bound: Bound) -> Option<std::cmp::Ordering> {
                (*self as f64).partial_cmp(&bound.as_f64())
            }
            fn describe(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
range_floats!(f32, f64);

/// A value that `length` and `non_empty` can measure: a string (in chars), a
/// list (in items) or a map (in entries).
#[diagnostic::on_unimplemented(
    message = "`length` and `non_empty` cannot measure a value of type `{Self}`",
    label = "needs a string or a collection here",
    note = "`length(min = .., max = ..)` and `non_empty` apply to String, &'static str, Cow<'static, str>, Box<str> (counted in chars), Vec<T> (counted in items) and BTreeMap<K, V>, HashMap<K, V> (counted in entries), or an Option of one"
)]
pub trait LengthValue {
    /// Chars of a string, items of a list, entries of a map.
    fn length(&self) -> usize;
    /// `is_empty`, without counting.
    fn is_empty_value(&self) -> bool;
    /// "chars", "items" or "entries", for messages.
    const UNIT: &'static str;
}

macro_rules! length_strings {
    ($($ty:ty),*) => {$(
        impl LengthValue for $ty {
            #[inline]
            fn length(&self) -> usize {
                self.chars().count()
            }
            #[inline]
            fn is_empty_value(&self) -> bool {
                self.is_empty()
            }
            const UNIT: &'static str = "chars";
        }
    )*};
}
length_strings!(String, str, &str, Box<str>, Cow<'static, str>);

// One impl per collection (strings have their macro above): each has its
// own bounds and its own unit word.
impl<T> LengthValue for Vec<T> {
    #[inline]
    fn length(&self) -> usize {
        self.len()
    }
    #[inline]
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
    const UNIT: &'static str = "items";
}

impl<K, V> LengthValue for BTreeMap<K, V> {
    #[inline]
    fn length(&self) -> usize {
        self.len()
    }
    #[inline]
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
    const UNIT: &'static str = "entries";
}

impl<K, V, S> LengthValue for HashMap<K, V, S> {
    #[inline]
    fn length(&self) -> usize {
        self.len()
    }
    #[inline]
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
    const UNIT: &'static str = "entries";
}

/// A value that `pattern` and `one_of` can read as text.
#[diagnostic::on_unimplemented(
    message = "`pattern` and `one_of` cannot read a value of type `{Self}` as text",
    label = "needs a string here",
    note = "`pattern = \"..\"` and `one_of = [..]` apply to String, &'static str, Cow<'static, str> and Box<str>, or an Option of one"
)]
pub trait TextValue {
    /// The text to check.
    fn text(&self) -> &str;
}

// Written out rather than by a macro: rustc lists these impls in the error
// for a rule on the wrong type, and would show the macro's body instead.
impl TextValue for String {
    #[inline]
    fn text(&self) -> &str {
        self
    }
}

impl TextValue for str {
    #[inline]
    fn text(&self) -> &str {
        self
    }
}

impl TextValue for &str {
    #[inline]
    fn text(&self) -> &str {
        self
    }
}

impl TextValue for Box<str> {
    #[inline]
    fn text(&self) -> &str {
        self
    }
}

impl TextValue for Cow<'static, str> {
    #[inline]
    fn text(&self) -> &str {
        self
    }
}

/// A regex compiled on first use (the derive has already checked that it compiles).
pub struct LazyRegex {
    source: &'static str,
    regex: OnceLock<regex_lite::Regex>,
}

impl LazyRegex {
    /// A regex that will be compiled from `source` on first use.
    pub const fn new(source: &'static str) -> Self {
        LazyRegex {
            source,
            regex: OnceLock::new(),
        }
    }

    fn get(&self) -> &regex_lite::Regex {
        self.regex.get_or_init(|| {
            regex_lite::Regex::new(self.source).unwrap_or_else(|error| {
                panic!(
                    "pattern {:?} was checked at compile time: {error}",
                    self.source
                )
            })
        })
    }
}

fn describe_bounds<T: std::fmt::Display>(min: Option<T>, max: Option<T>, unit: &str) -> String {
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    match (min, max) {
        (Some(min), Some(max)) => format!("between {min} and {max}{unit}"),
        (Some(min), None) => format!("at least {min}{unit}"),
        (None, Some(max)) => format!("at most {max}{unit}"),
        (None, None) => "anything".to_owned(),
    }
}

/// `range(min, max)`, both inclusive.
#[inline]
pub fn range<T: RangeValue + ?Sized>(
    value: &T,
    min: Option<Bound>,
    max: Option<Bound>,
    path: &Path<'_>,
    errors: &mut ValidationErrors,
) {
    use std::cmp::Ordering::{Greater, Less};
    let below =
        min.is_some_and(|min| !matches!(value.compare(min), Some(ordering) if ordering != Less));
    let above =
        max.is_some_and(|max| !matches!(value.compare(max), Some(ordering) if ordering != Greater));
    if below || above {
        errors.push(
            path.render(),
            "range",
            format!(
                "must be {} (got {})",
                describe_bounds(min, max, ""),
                value.describe()
            ),
        );
    }
}

/// `length(min, max)`, both inclusive, in chars or items.
#[inline]
pub fn length<T: LengthValue + ?Sized>(
    value: &T,
    min: Option<u64>,
    max: Option<u64>,
    path: &Path<'_>,
    errors: &mut ValidationErrors,
) {
    let length = value.length() as u64;
    if min.is_some_and(|min| length < min) || max.is_some_and(|max| length > max) {
        errors.push(
            path.render(),
            "length",
            format!(
                "must have {} (got {length})",
                describe_bounds(min, max, T::UNIT)
            ),
        );
    }
}

/// `non_empty`.
#[inline]
pub fn non_empty<T: LengthValue + ?Sized>(
    value: &T,
    path: &Path<'_>,
    errors: &mut ValidationErrors,
) {
    if value.is_empty_value() {
        errors.push(path.render(), "non_empty", "must not be empty");
    }
}

/// `pattern = "regex"`: the regex must match somewhere in the text.
#[inline]
pub fn pattern<T: TextValue + ?Sized>(
    value: &T,
    regex: &LazyRegex,
    path: &Path<'_>,
    errors: &mut ValidationErrors,
) {
    if !regex.get().is_match(value.text()) {
        errors.push(path.render(), "pattern", pattern_message(regex.source));
    }
}

/// The message of a failed `pattern` rule (shared with plan-driven validation).
pub fn pattern_message(source: &str) -> String {
    format!("must match the pattern {source:?}")
}

/// `one_of = [..]`, case-sensitive.
#[inline]
pub fn one_of<T: TextValue + ?Sized>(
    value: &T,
    allowed: &'static [&'static str],
    path: &Path<'_>,
    errors: &mut ValidationErrors,
) {
    let text = value.text();
    if !allowed.contains(&text) {
        errors.push(path.render(), "one_of", one_of_message(allowed, text));
    }
}

/// The message of a failed `one_of` rule (shared with plan-driven validation).
pub fn one_of_message<S: AsRef<str>>(allowed: &[S], got: &str) -> String {
    let list = allowed
        .iter()
        .map(|value| format!("{:?}", value.as_ref()))
        .collect::<Vec<_>>()
        .join(", ");
    format!("must be one of {list} (got {got:?})")
}

/// What a `custom` rule or a struct-level `check` returns: `Result<(), E>`
/// with `E: Display` (a `String`, an error type...).
#[diagnostic::on_unimplemented(
    message = "a `custom` rule or a `check` must return `Result<(), E>` where `E: Display`, not `{Self}`",
    label = "this function returns `{Self}`",
    note = "write it as `fn(&T) -> Result<(), String>`: `Ok(())` when the value is valid, `Err(message)` otherwise"
)]
pub trait RuleOutcome {
    /// The error message, if the rule failed.
    fn into_message(self) -> Option<String>;
}

impl<E: std::fmt::Display> RuleOutcome for Result<(), E> {
    #[inline]
    fn into_message(self) -> Option<String> {
        match self {
            Ok(()) => None,
            Err(error) => Some(error.to_string()),
        }
    }
}

/// Records what a `custom = path` function returned for a field.
#[inline]
pub fn custom<R: RuleOutcome>(outcome: R, path: &Path<'_>, errors: &mut ValidationErrors) {
    if let Some(message) = outcome.into_message() {
        errors.push(path.render(), "custom", message);
    }
}

/// Runs a struct-level `#[analytics(check = path)]` on `value`; its error's
/// path is the path of the struct (`base` for a flattened base, empty at the top).
#[inline]
pub fn check<T: ?Sized, R: RuleOutcome>(
    value: &T,
    check: impl FnOnce(&T) -> R,
    path: &Path<'_>,
    errors: &mut ValidationErrors,
) {
    if let Some(message) = check(value).into_message() {
        errors.push(path.render(), "check", message);
    }
}
