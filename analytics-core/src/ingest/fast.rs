//! The fast accept path: the compiled plan walked directly over the raw
//! bytes of an event, with no serde protocol and no visitor.
//!
//! [`accept`] either accepts an event, with exactly the [`Accepted`] the
//! general path (the scanner under the visitors of `check.rs` and
//! `envelope.rs`, or `serde_json`) gives for it, or is unsure (`None`): then
//! the general path reads the event from the start, unchanged. It never
//! reports an error, so every error, message and failure reason stays the
//! general path's. The one property it holds: what it accepts, the general
//! path accepts with an equal [`Accepted`].
//!
//! It reads strict JSON (white space ` \t\n\r` only, every token whole) and
//! models only the common event: a reference envelope
//! (`{"event_type":..,"event_params":{..}}`, with `event_version`, the
//! plan's envelope fields and a message id key) whose values are strings,
//! enums, integers, numbers without exponent, booleans, objects and arrays,
//! keys in any order. It is unsure of anything else, each of which the
//! general path either rejects or reads in a way not worth repeating here:
//! a type, required key, enum value, width or rule not met, `null` where
//! the field is not nullable, an unknown or duplicate key, escapes in keys
//! or strings, control bytes, exponents, `-0`, integers past 64 bits, a
//! fraction under a `range` rule, maps, unions, `any` fields, objects of
//! more than 128 fields, nesting past [`MAX_DEPTH`], an `event_params`
//! before the `event_type`, Segment messages and batches.

use super::check::{length_check, range_check, ItemCount};
use super::compile::{same_bytes, Check, Compiled, Fields, Ty};
use super::scan::string_stop;
use super::{Accepted, Format};
use crate::rules::{self, LengthValue};
use crate::validate::ValidationErrors;

/// Objects and arrays nested past this depth are left to the general path.
const MAX_DEPTH: u32 = 32;

/// Top-level keys that the fast path leaves to the general one: Segment's
/// keys and a batch's (the general path gives them their meaning first).
const LEFT_KEYS: &[&[u8]] = &[
    b"event",
    b"properties",
    b"events",
    b"batch",
    b"messageId",
    b"type",
];

/// The fast path is unsure: read the event the general way.
struct Unsure;

/// A step of the fast path.
type Fast<T> = Result<T, Unsure>;

/// The event at the start of `bytes`, accepted, and the offset just past
/// it; `None` when unsure. `message_id_keys` as in
/// [`PlanValidator::with_message_id_keys`](super::PlanValidator::with_message_id_keys).
#[inline]
pub(crate) fn accept<'v>(
    plan: &'v Compiled,
    message_id_keys: &[String],
    bytes: &[u8],
) -> Option<(Accepted<'v>, usize)> {
    let mut reader = Reader {
        plan,
        bytes,
        at: 0,
        depth: 0,
    };
    let accepted = reader.envelope(message_id_keys).ok()?;
    Some((accepted, reader.at))
}

/// [`accept`] for `bytes` as a whole: nothing but white space after the
/// event.
#[inline]
pub(crate) fn accept_all<'v>(
    plan: &'v Compiled,
    message_id_keys: &[String],
    bytes: &[u8],
) -> Option<Accepted<'v>> {
    let (accepted, end) = accept(plan, message_id_keys, bytes)?;
    let rest = &bytes[end..];
    rest.iter()
        .all(|byte| matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
        .then_some(accepted)
}

/// A number as JSON writes it, told apart as `serde_json` reads it.
enum Number {
    /// An integer that `serde_json` reads as an `i64` or a `u64`.
    Integer(i128),
    /// A fraction without exponent, which `serde_json` reads as an `f64`.
    Fraction,
}

/// The plan and the bytes, from `at` on.
struct Reader<'v, 'b> {
    plan: &'v Compiled,
    bytes: &'b [u8],
    at: usize,
    /// Objects and arrays open around `at`.
    depth: u32,
}

impl<'v, 'b> Reader<'v, 'b> {
    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    #[inline(always)]
    fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// `byte` next, past white space, consumed.
    #[inline(always)]
    fn eat(&mut self, byte: u8) -> Fast<()> {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Unsure)
        }
    }

    /// Past white space: `,` (another member or item follows: true) or
    /// `close` (false), consumed.
    #[inline(always)]
    fn more(&mut self, close: u8) -> Fast<bool> {
        self.skip_space();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(true)
            }
            Some(byte) if byte == close => {
                self.at += 1;
                Ok(false)
            }
            _ => Err(Unsure),
        }
    }

    /// An object or array opened (its first byte consumed by the caller).
    #[inline(always)]
    fn open(&mut self) -> Fast<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Unsure);
        }
        Ok(())
    }

    /// The literal `word` (`null`, `true`, `false`) at `at`.
    #[inline(always)]
    fn literal(&mut self, word: &[u8]) -> Fast<()> {
        if self.bytes.get(self.at..self.at + word.len()) == Some(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(Unsure)
        }
    }

    /// The text of a string whose opening quote has been read, as it is in
    /// the input (it has no escape), checked as UTF-8 when it is not ASCII;
    /// `at` ends past the closing quote.
    #[inline(always)]
    fn string(&mut self) -> Fast<&'b [u8]> {
        let start = self.at;
        let mut from = start;
        let mut ascii = true;
        let end = loop {
            let stop = string_stop(self.bytes, from).ok_or(Unsure)?;
            match self.bytes[stop] {
                b'"' => break stop,
                0x80.. => {
                    ascii = false;
                    from = stop + 1;
                }
                // An escape or a control byte.
                _ => return Err(Unsure),
            }
        };
        let text = &self.bytes[start..end];
        if !ascii {
            std::str::from_utf8(text).map_err(|_| Unsure)?;
        }
        self.at = end + 1;
        Ok(text)
    }

    /// The next key, past white space and its `:`: the position in
    /// `fields` of the field it names. `expected` is tried first, as its
    /// `"wire":` bytes (producers write the fields in declaration order),
    /// then every field by the key's text.
    #[inline(always)]
    fn key(&mut self, fields: &Fields, expected: usize) -> Fast<usize> {
        self.skip_space();
        if let Some(key) = fields
            .list
            .get(expected)
            .and_then(|field| field.key.as_deref())
        {
            let end = self.at + key.len();
            if self
                .bytes
                .get(self.at..end)
                .is_some_and(|bytes| same_bytes(bytes, key))
            {
                self.at = end;
                return Ok(expected);
            }
        }
        self.eat(b'"')?;
        let key = self.string()?;
        self.eat(b':')?;
        fields.find_bytes(key).ok_or(Unsure)
    }

    /// A value of type `ty` that passes its rules, read whole.
    fn value(&mut self, ty: &'v Ty, nullable: bool, checks: &[Check]) -> Fast<()> {
        let (ty, nullable) = ty.peeled(nullable);
        self.skip_space();
        let first = self.peek().ok_or(Unsure)?;
        if first == b'n' {
            return if nullable {
                self.literal(b"null")
            } else {
                Err(Unsure)
            };
        }
        match ty {
            Ty::String => {
                self.eat(b'"')?;
                let text = self.string()?;
                if !checks.is_empty() {
                    string_rules(checks, text)?;
                }
                Ok(())
            }
            Ty::Enum(set) => {
                self.eat(b'"')?;
                let text = self.string()?;
                match set
                    .values
                    .iter()
                    .any(|value| same_bytes(value.as_bytes(), text))
                {
                    true => Ok(()),
                    false => Err(Unsure),
                }
            }
            Ty::Integer(kind) => {
                let Number::Integer(value) = self.number()? else {
                    return Err(Unsure);
                };
                let (min, max) = kind.bounds();
                if value < min || value > max {
                    return Err(Unsure);
                }
                if checks.is_empty() {
                    return Ok(());
                }
                // As `check.rs` compares them: unsigned when not negative.
                if value >= 0 {
                    range_rules(checks, &(value as u128))
                } else {
                    range_rules(checks, &value)
                }
            }
            Ty::Number(bits) => match self.number()? {
                _ if checks.is_empty() => Ok(()),
                Number::Integer(value) if *bits == 32 => range_rules(checks, &(value as f32)),
                Number::Integer(value) => range_rules(checks, &(value as f64)),
                // `serde_json`'s value of a fraction is its own: not redone here.
                Number::Fraction => Err(Unsure),
            },
            Ty::Boolean => match first {
                b't' => self.literal(b"true"),
                b'f' => self.literal(b"false"),
                _ => Err(Unsure),
            },
            Ty::Object(index) => {
                let plan = self.plan;
                self.eat(b'{')?;
                self.object(&plan.objects[*index].fields)
            }
            Ty::Array(item) => {
                self.eat(b'[')?;
                self.array(item, checks)
            }
            Ty::Nullable(_) | Ty::Map { .. } | Ty::Any | Ty::Union(_) => Err(Unsure),
        }
    }

    /// The members of an object whose `{` has been read: each key a field
    /// of `fields`, once, every required one there.
    fn object(&mut self, fields: &'v Fields) -> Fast<()> {
        self.open()?;
        let required = fields.required.ok_or(Unsure)?;
        let mut seen = 0u128;
        self.skip_space();
        if self.peek() == Some(b'}') {
            self.at += 1;
        } else {
            let mut expected = 0;
            loop {
                let position = self.key(fields, expected)?;
                let bit = 1u128 << position;
                if seen & bit != 0 {
                    return Err(Unsure);
                }
                seen |= bit;
                expected = position + 1;
                let field = &fields.list[position];
                self.value(&field.ty, field.nullable, &field.rules)?;
                if !self.more(b'}')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        match seen & required == required {
            true => Ok(()),
            false => Err(Unsure),
        }
    }

    /// The items of an array whose `[` has been read, each of type `item`;
    /// then the array's `length` and `non_empty` rules.
    fn array(&mut self, item: &'v Ty, checks: &[Check]) -> Fast<()> {
        self.open()?;
        let mut count = 0;
        self.skip_space();
        if self.peek() == Some(b']') {
            self.at += 1;
        } else {
            loop {
                self.value(item, false, &[])?;
                count += 1;
                if !self.more(b']')? {
                    break;
                }
            }
        }
        self.depth -= 1;
        if checks.is_empty() {
            return Ok(());
        }
        let mut found = ValidationErrors::new();
        for check in checks {
            length_check(check, &ItemCount(count), &mut found);
        }
        passed(found)
    }

    /// A number token, strict JSON; unsure of those `serde_json` reads
    /// otherwise than as a plain integer or a plain fraction (`-0`, an
    /// exponent, an integer past 64 bits).
    #[inline(always)]
    fn number(&mut self) -> Fast<Number> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.at += 1;
        }
        let start = self.at;
        // 19 digits always fit in a `u64`: no check in the loop, one after.
        let mut magnitude: u64 = 0;
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            magnitude = magnitude
                .wrapping_mul(10)
                .wrapping_add(u64::from(digit - b'0'));
            self.at += 1;
        }
        let digits = self.at - start;
        if digits > 19 {
            magnitude = checked_digits(&self.bytes[start..self.at]).ok_or(Unsure)?;
        }
        // No digit, or a leading zero.
        if digits == 0 || (digits > 1 && self.bytes[start] == b'0') {
            return Err(Unsure);
        }
        match self.peek() {
            Some(b'e' | b'E') => return Err(Unsure),
            Some(b'.') => {
                self.at += 1;
                let fraction = self.at;
                while let Some(b'0'..=b'9') = self.peek() {
                    self.at += 1;
                }
                if self.at == fraction || matches!(self.peek(), Some(b'e' | b'E')) {
                    return Err(Unsure);
                }
                return Ok(Number::Fraction);
            }
            _ => {}
        }
        if !negative {
            return Ok(Number::Integer(i128::from(magnitude)));
        }
        // `-0` is `serde_json`'s float -0.0; below `i64::MIN` a float too.
        if magnitude == 0 || magnitude > 1 << 63 {
            return Err(Unsure);
        }
        Ok(Number::Integer(-i128::from(magnitude)))
    }

    /// The top level: a reference envelope, read whole.
    fn envelope(&mut self, message_id_keys: &[String]) -> Fast<Accepted<'v>> {
        let plan = self.plan;
        self.eat(b'{')?;
        let mut event: Option<usize> = None;
        let mut params = false;
        let mut version: Option<i128> = None;
        let mut message_id: Option<&'b [u8]> = None;
        let mut envelope_seen = 0u128;
        loop {
            self.eat(b'"')?;
            let key = self.string()?;
            self.eat(b':')?;
            match key {
                b"event_type" => {
                    if event.is_some() {
                        return Err(Unsure);
                    }
                    self.eat(b'"')?;
                    let name = self.string()?;
                    let index = plan
                        .events
                        .iter()
                        .position(|e| same_bytes(e.name.as_bytes(), name));
                    event = Some(index.ok_or(Unsure)?);
                }
                b"event_params" => {
                    let index = event.ok_or(Unsure)?;
                    if params {
                        return Err(Unsure);
                    }
                    params = true;
                    self.value(&plan.events[index].params, false, &[])?;
                }
                b"event_version" => {
                    if version.is_some() {
                        return Err(Unsure);
                    }
                    self.skip_space();
                    let Number::Integer(value) = self.number()? else {
                        return Err(Unsure);
                    };
                    version = Some(value);
                }
                key if LEFT_KEYS.contains(&key) => return Err(Unsure),
                key if message_id_keys.iter().any(|id| id.as_bytes() == key) => {
                    let index = event.ok_or(Unsure)?;
                    let envelope = &plan.events[index].envelope;
                    // An envelope field of the same name takes the key instead.
                    if envelope.find_bytes(key).is_some() || message_id.is_some() {
                        return Err(Unsure);
                    }
                    self.eat(b'"')?;
                    message_id = Some(self.string()?);
                }
                key => {
                    let index = event.ok_or(Unsure)?;
                    let fields = &plan.events[index].envelope;
                    let position = fields.find_bytes(key).ok_or(Unsure)?;
                    let bit = 1u128.checked_shl(position as u32).ok_or(Unsure)?;
                    if envelope_seen & bit != 0 {
                        return Err(Unsure);
                    }
                    envelope_seen |= bit;
                    let field = &fields.list[position];
                    self.value(&field.ty, field.nullable, &field.rules)?;
                }
            }
            if !self.more(b'}')? {
                break;
            }
        }
        let index = event.ok_or(Unsure)?;
        let event = &plan.events[index];
        let required = event.envelope.required.ok_or(Unsure)?;
        if !params || envelope_seen & required != required {
            return Err(Unsure);
        }
        if version.is_some_and(|version| version != i128::from(event.version)) {
            return Err(Unsure);
        }
        let message_id = match message_id {
            Some(id) => Some(std::str::from_utf8(id).map_err(|_| Unsure)?.to_owned()),
            None => None,
        };
        Ok(Accepted {
            event_type: &event.name,
            version: event.version,
            message_id,
            format: Format::Reference,
        })
    }
}

/// A string's text as read (UTF-8, no escape), measured by the shared
/// `length` and `non_empty` rules as the `str` it is, without making it one.
struct Text<'b>(&'b [u8]);

impl LengthValue for Text<'_> {
    fn length(&self) -> usize {
        // The chars of UTF-8 text: its bytes but continuation bytes.
        self.0.iter().filter(|&&byte| byte & 0xc0 != 0x80).count()
    }
    fn is_empty_value(&self) -> bool {
        self.0.is_empty()
    }
    const UNIT: &'static str = <str as LengthValue>::UNIT;
}

/// The rules of a string field on its text (no escape, so as decoded),
/// with the shared rule functions, as `check.rs` applies them.
#[inline(never)]
fn string_rules(checks: &[Check], text: &[u8]) -> Fast<()> {
    let mut found = ValidationErrors::new();
    for check in checks {
        length_check(check, &Text(text), &mut found);
        match check {
            Check::Pattern { regex, .. } => {
                let value = std::str::from_utf8(text).map_err(|_| Unsure)?;
                if !regex.is_match(value) {
                    return Err(Unsure);
                }
            }
            Check::OneOf(allowed) => {
                if !allowed
                    .iter()
                    .any(|allowed| same_bytes(allowed.as_bytes(), text))
                {
                    return Err(Unsure);
                }
            }
            Check::Length { .. } | Check::NonEmpty | Check::Range { .. } => {}
        }
    }
    passed(found)
}

/// The `range` rules of a number, with the shared rule function.
#[inline(never)]
fn range_rules<T: rules::RangeValue>(checks: &[Check], value: &T) -> Fast<()> {
    let mut found = ValidationErrors::new();
    for check in checks {
        range_check(check, value, &mut found);
    }
    passed(found)
}

/// Decimal digits as a `u64`, `None` past `u64::MAX`.
#[cold]
fn checked_digits(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |value, digit| {
        value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    })
}

/// Unsure unless the rules found nothing.
#[inline(always)]
fn passed(found: ValidationErrors) -> Fast<()> {
    match found.is_empty() {
        true => Ok(()),
        false => Err(Unsure),
    }
}
