//! The walk over a value as it is parsed: a serde `DeserializeSeed` driven by
//! the compiled plan, so checking an event costs one pass over its bytes and
//! no tree of `serde_json::Value`s.
//!
//! The visitor accepts every JSON value: a value of the wrong type is recorded
//! as a `type` error and skipped, never a parse error, so one event reports
//! every problem it has. Parse errors therefore only ever mean "not JSON".

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::compile::{same, Check, Compiled, Shape, Ty};
pub(crate) use super::report::{Path, Report};
use crate::rules::{self, LengthValue};
use crate::validate::{Path as RulePath, ValidationErrors};

/// The number of items of an array, measured by the shared `length` rule.
pub(crate) struct ItemCount(pub(crate) usize);

impl LengthValue for ItemCount {
    fn length(&self) -> usize {
        self.0
    }
    fn is_empty_value(&self) -> bool {
        self.0 == 0
    }
    const UNIT: &'static str = <Vec<()> as LengthValue>::UNIT;
}

/// The number of entries of a map, measured by the shared `length` rule.
struct EntryCount(usize);

impl LengthValue for EntryCount {
    fn length(&self) -> usize {
        self.0
    }
    fn is_empty_value(&self) -> bool {
        self.0 == 0
    }
    const UNIT: &'static str = <std::collections::BTreeMap<(), ()> as LengthValue>::UNIT;
}

/// `check` on a value with a length (a string or a count of items), into
/// `found`, if it is a `length` or `non_empty` rule: the one mapping of
/// those checks to the shared rule functions, for this visitor and the fast
/// path (`fast.rs`).
#[inline]
pub(crate) fn length_check<L: LengthValue + ?Sized>(
    check: &Check,
    value: &L,
    found: &mut ValidationErrors,
) {
    match check {
        Check::Length { min, max } => rules::length(value, *min, *max, &RulePath::ROOT, found),
        Check::NonEmpty => rules::non_empty(value, &RulePath::ROOT, found),
        _ => {}
    }
}

/// `check` on a number, into `found`, if it is a `range` rule (see
/// [`length_check`]).
#[inline]
pub(crate) fn range_check<T: rules::RangeValue>(
    check: &Check,
    value: &T,
    found: &mut ValidationErrors,
) {
    if let Check::Range { min, max } = check {
        rules::range(value, *min, *max, &RulePath::ROOT, found);
    }
}

/// `length` and `non_empty` of a collection, reported before the errors
/// inside it (from `at`), as `validate()` orders them.
fn count_rules<L: LengthValue>(
    report: &mut Report,
    checks: &[Check],
    path: &Path<'_>,
    at: usize,
    count: &L,
) {
    let mut found = ValidationErrors::new();
    for check in checks {
        length_check(check, count, &mut found);
    }
    report.rule_errors(at, path, found);
}

/// Checks one value against its type and rules while it is parsed.
pub(crate) struct Value<'c, 'p> {
    pub(crate) ty: &'c Ty,
    pub(crate) nullable: bool,
    pub(crate) rules: &'c [Check],
    pub(crate) plan: &'c Compiled,
    pub(crate) path: &'p Path<'p>,
    pub(crate) report: &'p mut Report,
}

impl<'c, 'p> Value<'c, 'p> {
    /// The type once `Nullable` layers are peeled, and whether null is allowed.
    fn resolved(&self) -> (&'c Ty, bool) {
        self.ty.peeled(self.nullable)
    }

    #[cold]
    #[inline(never)]
    fn mismatch(self, found: &dyn fmt::Display) {
        let (ty, nullable) = self.resolved();
        let mut expected = ty.describe(&self.plan.objects, &self.plan.unions);
        if nullable {
            expected.push_str(" or null");
        }
        let message = format!("expected {expected}, got {found}");
        self.report.schema_error(self.path, "type", message);
    }

    fn number_rules<T: rules::RangeValue>(self, value: T) {
        if self.rules.is_empty() {
            return;
        }
        let mut found = ValidationErrors::new();
        for rule in self.rules {
            range_check(rule, &value, &mut found);
        }
        let at = self.report.errors.len();
        self.report.rule_errors(at, self.path, found);
    }

    /// A value of a union, read whole, told apart by its tagging.
    #[inline(never)]
    fn union(self, index: usize, value: &serde_json::Value) {
        use crate::schema::Tagging;
        use serde_json::Value as Json;
        let union = &self.plan.unions[index];
        let find = |name: &str| union.variants.iter().find(|variant| variant.name == name);
        let names: Vec<&str> = union.variants.iter().map(|v| v.name.as_str()).collect();
        let unknown = |report: &mut Report, path: &Path<'_>, name: &str| {
            let message = rules::one_of_message(&names, name);
            report.schema_error(path, "variant", message);
        };
        match union.tagging {
            Tagging::External => match value {
                Json::String(name) => match find(name) {
                    Some(variant) if matches!(variant.shape, Shape::Unit) => {}
                    Some(_) => self.mismatch(&format_args!("the bare name {name:?}")),
                    None => unknown(self.report, self.path, name),
                },
                Json::Object(map) if map.len() == 1 => {
                    let (name, payload) = map.iter().next().expect("one entry");
                    match find(name) {
                        Some(variant) => self.shape(&variant.shape, payload),
                        None => unknown(self.report, self.path, name),
                    }
                }
                _ => self.mismatch(&kind(value)),
            },
            // Internal and adjacent tagging read the tag alike, then part
            // ways: each arm is kept whole so that it reads top to bottom.
            Tagging::Internal { tag } => {
                let Some(map) = value.as_object() else {
                    return self.mismatch(&kind(value));
                };
                let Some(name) = map.get(tag).and_then(Json::as_str) else {
                    let message = format!("missing the tag {tag:?} (a string)");
                    return self.report.schema_error(self.path, "required", message);
                };
                let Some(variant) = find(name) else {
                    return unknown(self.report, self.path, name);
                };
                let mut rest = map.clone();
                rest.remove(tag);
                match &variant.shape {
                    Shape::Unit => {
                        for key in rest.keys() {
                            let path = self.path.field(key);
                            let message = format!("unknown key {key:?}");
                            self.report.schema_error(&path, "unknown_key", message);
                        }
                    }
                    shape => self.shape(shape, &Json::Object(rest)),
                }
            }
            Tagging::Adjacent { tag, content } => {
                let Some(map) = value.as_object() else {
                    return self.mismatch(&kind(value));
                };
                let Some(name) = map.get(tag).and_then(Json::as_str) else {
                    let message = format!("missing the tag {tag:?} (a string)");
                    return self.report.schema_error(self.path, "required", message);
                };
                let Some(variant) = find(name) else {
                    return unknown(self.report, self.path, name);
                };
                for key in map.keys().filter(|key| *key != tag && *key != content) {
                    let path = self.path.field(key);
                    let message = format!("unknown key {key:?}");
                    self.report.schema_error(&path, "unknown_key", message);
                }
                match (map.get(content), &variant.shape) {
                    (None, Shape::Unit) => {}
                    (None, _) => {
                        let message = format!("missing the content key {content:?}");
                        self.report.schema_error(self.path, "required", message);
                    }
                    (Some(payload), shape) => self.shape(shape, payload),
                }
            }
            Tagging::Untagged => {
                for variant in &union.variants {
                    let mut trial = Report::default();
                    Value {
                        ty: self.ty,
                        nullable: self.nullable,
                        rules: self.rules,
                        plan: self.plan,
                        path: self.path,
                        report: &mut trial,
                    }
                    .shape(&variant.shape, value);
                    if !trial.schema {
                        self.report.errors.append(&mut trial.errors);
                        return;
                    }
                }
                let message = format!("matches no variant of {}", union.name);
                self.report.schema_error(self.path, "variant", message);
            }
        }
    }

    /// The payload of a variant.
    fn shape(self, shape: &'c Shape, payload: &serde_json::Value) {
        let nested = |ty: &'c Ty, path: &Path<'_>, report: &mut Report| {
            let _ = Value {
                ty,
                nullable: false,
                rules: &[],
                plan: self.plan,
                path,
                report,
            }
            .deserialize(payload);
        };
        match shape {
            Shape::Unit => {
                if !payload.is_null() {
                    self.report.schema_error(
                        self.path,
                        "type",
                        format!("expected null, got {}", kind(payload)),
                    );
                }
            }
            Shape::Newtype(ty) | Shape::Struct(ty) => nested(ty, self.path, self.report),
            Shape::Tuple(items) => match payload.as_array() {
                Some(values) if values.len() == items.len() => {
                    for (index, (ty, value)) in items.iter().zip(values).enumerate() {
                        let path = self.path.index(index);
                        let _ = Value {
                            ty,
                            nullable: false,
                            rules: &[],
                            plan: self.plan,
                            path: &path,
                            report: self.report,
                        }
                        .deserialize(value);
                    }
                }
                _ => {
                    let message = format!(
                        "expected an array of {} items, got {}",
                        items.len(),
                        kind(payload)
                    );
                    self.report.schema_error(self.path, "type", message);
                }
            },
        }
    }

    /// A union is told apart by its content: read whole first. Out of line,
    /// as [`Value::union`]: the call for each scalar stays small.
    #[inline(never)]
    fn read_union<'de, D: de::Deserializer<'de>>(
        self,
        index: usize,
        deserializer: D,
    ) -> Result<(), D::Error> {
        let value = <serde_json::Value as de::Deserialize>::deserialize(deserializer)?;
        // `null` is the field's `None`, or an untagged unit variant.
        if !(value.is_null() && self.resolved().1) {
            self.union(index, &value);
        }
        Ok(())
    }

    /// The rules of a string field (out of line: most strings have none).
    #[inline(never)]
    fn string_rules(self, value: &str) {
        let mut found = ValidationErrors::new();
        for rule in self.rules {
            length_check(rule, value, &mut found);
            match rule {
                Check::Pattern { source, regex } => {
                    if !regex.is_match(value) {
                        found.push("", "pattern", rules::pattern_message(source));
                    }
                }
                Check::OneOf(allowed) => {
                    if !allowed.iter().any(|allowed| same(allowed, value)) {
                        found.push("", "one_of", rules::one_of_message(allowed, value));
                    }
                }
                Check::Length { .. } | Check::NonEmpty | Check::Range { .. } => {}
            }
        }
        let at = self.report.errors.len();
        self.report.rule_errors(at, self.path, found);
    }

    fn integer(self, value: i128, display: &dyn fmt::Display) {
        match self.resolved().0 {
            Ty::Integer(kind) => {
                let (min, max) = kind.bounds();
                if value < min || value > max {
                    return self.mismatch(display);
                }
                if value >= 0 {
                    self.number_rules(value as u128)
                } else {
                    self.number_rules(value)
                }
            }
            Ty::Number(32) => self.number_rules(value as f32),
            Ty::Number(_) => self.number_rules(value as f64),
            _ => self.mismatch(display),
        }
    }
}

impl<'de> DeserializeSeed<'de> for Value<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.resolved().0 {
            Ty::Any => {
                deserializer.deserialize_ignored_any(IgnoredAny)?;
            }
            Ty::Union(index) => self.read_union(*index, deserializer)?,
            _ => deserializer.deserialize_any(self)?,
        }
        Ok(())
    }
}

impl<'de> Visitor<'de> for Value<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<(), E> {
        if !matches!(self.resolved().0, Ty::Boolean) {
            self.mismatch(&value);
        }
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<(), E> {
        self.integer(value.into(), &value);
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<(), E> {
        self.integer(value.into(), &value);
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<(), E> {
        match self.resolved().0 {
            Ty::Number(32) => self.number_rules(value as f32),
            Ty::Number(_) => self.number_rules(value),
            _ => self.mismatch(&value),
        }
        Ok(())
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<(), E> {
        match self.resolved().0 {
            Ty::String => {
                if !self.rules.is_empty() {
                    self.string_rules(value);
                }
            }
            Ty::Enum(set) => {
                if !set.values.iter().any(|allowed| same(allowed, value)) {
                    let message = rules::one_of_message(&set.values, value);
                    self.report.schema_error(self.path, "enum", message);
                }
            }
            _ => self.mismatch(&"a string"),
        }
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        if !self.resolved().1 {
            self.mismatch(&"null");
        }
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }

    // Out of line, as `visit_map`: the call for each scalar stays small.
    #[inline(never)]
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Ty::Array(item) = self.resolved().0 else {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            self.mismatch(&"an array");
            return Ok(());
        };
        let at = self.report.errors.len();
        let mut count = 0;
        loop {
            let path = self.path.index(count);
            let seed = Value {
                ty: item,
                nullable: false,
                rules: &[],
                plan: self.plan,
                path: &path,
                report: self.report,
            };
            if seq.next_element_seed(seed)?.is_none() {
                break;
            }
            count += 1;
        }
        if !self.rules.is_empty() {
            count_rules(self.report, self.rules, self.path, at, &ItemCount(count));
        }
        Ok(())
    }

    #[inline(never)]
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        if let Ty::Map { keys, values } = self.resolved().0 {
            let at = self.report.errors.len();
            // `length` and `non_empty` count the entries of the map the
            // producer would have read: a key given twice is one entry.
            let mut distinct = (!self.rules.is_empty()).then(BTreeSet::new);
            while let Some(key) = map.next_key_seed(Key)? {
                let path = self.path.key(&key);
                if let Some(set) = keys {
                    if !set.values.iter().any(|allowed| same(allowed, &key)) {
                        let message = rules::one_of_message(&set.values, &key);
                        self.report.schema_error(&path, "enum", message);
                    }
                }
                map.next_value_seed(Value {
                    ty: values,
                    nullable: false,
                    rules: &[],
                    plan: self.plan,
                    path: &path,
                    report: self.report,
                })?;
                if let Some(distinct) = &mut distinct {
                    distinct.insert(key);
                }
            }
            if let Some(distinct) = distinct {
                let entries = EntryCount(distinct.len());
                count_rules(self.report, self.rules, self.path, at, &entries);
            }
            return Ok(());
        }
        let Ty::Object(index) = self.resolved().0 else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            self.mismatch(&"an object");
            return Ok(());
        };
        let fields = &self.plan.objects[*index].fields.list;
        let mut seen = Seen::new(fields.len());
        // Producers write keys in declaration order: try the next one first.
        let mut expected = 0;
        while let Some(key) = map.next_key_seed(Key)? {
            let position = match fields.get(expected) {
                Some(field) if same(&field.wire, &key) => Some(expected),
                _ => self.plan.objects[*index].fields.find(&key),
            };
            let Some(position) = position else {
                map.next_value::<IgnoredAny>()?;
                let path = self.path.field(&key);
                let message = format!("unknown key {:?}", &*key);
                self.report.schema_error(&path, "unknown_key", message);
                continue;
            };
            expected = position + 1;
            let field = &fields[position];
            let path = self.path.field(&field.rust);
            if !seen.insert(position) {
                map.next_value::<IgnoredAny>()?;
                let message = format!("the key {:?} appears twice", field.wire);
                self.report.schema_error(&path, "duplicate_key", message);
                continue;
            }
            map.next_value_seed(Value {
                ty: &field.ty,
                nullable: field.nullable,
                rules: &field.rules,
                plan: self.plan,
                path: &path,
                report: self.report,
            })?;
        }
        if seen.has_all(&self.plan.objects[*index].fields.required) {
            return Ok(());
        }
        for (position, field) in fields.iter().enumerate() {
            if field.required && !seen.contains(position) {
                let path = self.path.field(&field.rust);
                let message = format!("missing the required key {:?}", field.wire);
                self.report.schema_error(&path, "required", message);
            }
        }
        Ok(())
    }
}

/// The keys already read in an object (a bit set; a `Vec` past 128 fields).
enum Seen {
    Bits(u128),
    Many(Vec<bool>),
}

impl Seen {
    fn new(fields: usize) -> Seen {
        if fields <= 128 {
            Seen::Bits(0)
        } else {
            Seen::Many(vec![false; fields])
        }
    }

    /// Marks `index`; false when it was already marked.
    fn insert(&mut self, index: usize) -> bool {
        match self {
            Seen::Bits(bits) => {
                let bit = 1u128 << index;
                let fresh = *bits & bit == 0;
                *bits |= bit;
                fresh
            }
            Seen::Many(seen) => !std::mem::replace(&mut seen[index], true),
        }
    }

    /// Every index of `required` (a bit set of the first 128 fields) is
    /// marked; false when unsure (more than 128 fields).
    fn has_all(&self, required: &Option<u128>) -> bool {
        match (self, required) {
            (Seen::Bits(bits), Some(required)) => bits & required == *required,
            _ => false,
        }
    }

    fn contains(&self, index: usize) -> bool {
        match self {
            Seen::Bits(bits) => bits & (1u128 << index) != 0,
            Seen::Many(seen) => seen[index],
        }
    }
}

/// An object key, borrowed from the input when it has no escapes.
pub(crate) struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(key))
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key.to_owned()))
    }

    fn visit_string<E: de::Error>(self, key: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(key))
    }
}

/// A short description of a JSON value for messages.
fn kind(value: &serde_json::Value) -> String {
    use serde_json::Value as Json;
    match value {
        Json::Null => "null".to_owned(),
        Json::Bool(value) => value.to_string(),
        Json::Number(value) => value.to_string(),
        Json::String(_) => "a string".to_owned(),
        Json::Array(_) => "an array".to_owned(),
        Json::Object(_) => "an object".to_owned(),
    }
}
