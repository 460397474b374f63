//! A JSON reader of our own for the common event, under the same visitors.
//!
//! `serde_json`'s deserializer is general: each key goes through its map
//! protocol (`next_key_seed`, a scratch buffer, a peek, a position kept for
//! error messages) where a plain skip of the same bytes runs one tight loop.
//! [`Scanner`] is a `serde::Deserializer` that does only what the validator's
//! visitors ask for, over bytes known to be UTF-8: the checks themselves are
//! the visitors of [`check`](super::check) and [`envelope`](super::envelope),
//! unchanged, so the two readers cannot disagree on what an event is.
//!
//! It gives up ([`Bail`]) on whatever it need not handle: any parse error
//! (so every message about broken JSON is `serde_json`'s), a raw value (the
//! envelope keeps unknown keys and an early `event_params` as raw JSON, a
//! batch its items), nesting deeper than [`MAX_DEPTH`], a lone surrogate
//! escape. The caller then reads the same bytes again with `serde_json`,
//! from the start, with a fresh report. Numbers other than 64-bit integers
//! (fractions, exponents, `-0`, integers past 64 bits) are handed to
//! `serde_json` as text, so their values are its own. The scanner never
//! accepts what `serde_json` rejects: it reads strict JSON, whitespace
//! ` \t\n\r` only, and reads every string, number and literal whole, even
//! one the visitors skip.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};

/// Nesting past this depth is left to `serde_json` (whose own limit is 128).
pub(crate) const MAX_DEPTH: u32 = 100;

/// The scanner gave up: read the input again with `serde_json`.
#[derive(Debug)]
pub(crate) struct Bail;

impl fmt::Display for Bail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("left to serde_json")
    }
}

impl std::error::Error for Bail {}

impl de::Error for Bail {
    #[cold]
    fn custom<T: fmt::Display>(_: T) -> Bail {
        Bail
    }
}

/// Reads JSON values from `bytes`, from byte `at` on.
pub(crate) struct Scanner<'de> {
    bytes: &'de [u8],
    at: usize,
    /// Objects and arrays open around the current position.
    depth: u32,
}

/// 8 bytes of input as one word, for finding bytes of interest 8 at a time.
type Chunk = u64;
const CHUNK: usize = std::mem::size_of::<Chunk>();
const ONES: Chunk = Chunk::MAX / 0xff;
const HIGHS: Chunk = ONES << 7;

/// The bytes of `chunk` that end a plain run of ASCII string text: `"`,
/// `\`, a control byte below 0x20 or a byte at or above 0x80, as the high
/// bit of each such byte. No byte before the first of them is flagged (the
/// borrows of the subtractions can flag bytes after it, never before).
#[inline(always)]
fn string_stops(chunk: Chunk) -> Chunk {
    let below_space = chunk.wrapping_sub(ONES * 0x20);
    let quote = chunk ^ (ONES * Chunk::from(b'"'));
    let backslash = chunk ^ (ONES * Chunk::from(b'\\'));
    ((below_space | quote.wrapping_sub(ONES) | backslash.wrapping_sub(ONES)) & !chunk | chunk)
        & HIGHS
}

/// Where the plain ASCII text of a string starting at `from` stops: the
/// first `"`, `\`, control byte or non-ASCII byte at or after it (`None`
/// when the input ends first). Shared by the scanner and the fast path.
#[inline(always)]
pub(crate) fn string_stop(bytes: &[u8], mut from: usize) -> Option<usize> {
    // Most keys and strings of an event end within 16 bytes: their end is
    // found by one test of two words, where a loop over words would
    // mispredict its exit at each string of another length than the last.
    if let Some(two) = bytes.get(from..from + 2 * CHUNK) {
        let word =
            |at: usize| Chunk::from_le_bytes(two[at..at + CHUNK].try_into().expect("a word"));
        let stops = u128::from(string_stops(word(0))) | u128::from(string_stops(word(CHUNK))) << 64;
        if stops != 0 {
            return Some(from + (stops.trailing_zeros() / 8) as usize);
        }
        from += 2 * CHUNK;
    }
    while let Some(chunk) = bytes.get(from..from + CHUNK) {
        let chunk = Chunk::from_le_bytes(chunk.try_into().expect("a chunk"));
        let stops = string_stops(chunk);
        if stops != 0 {
            return Some(from + (stops.trailing_zeros() / 8) as usize);
        }
        from += CHUNK;
    }
    while let Some(&byte) = bytes.get(from) {
        if matches!(byte, b'"' | b'\\' | ..0x20 | 0x80..) {
            return Some(from);
        }
        from += 1;
    }
    None
}

/// Text of the input as a `str`, checked as UTF-8. The input is not checked
/// as a whole: each string is, here or (ASCII) by [`ascii`], and nothing else
/// the scanner reads is anything but ASCII.
fn utf8(bytes: &[u8]) -> Result<&str, Bail> {
    std::str::from_utf8(bytes).map_err(|_| Bail)
}

/// ASCII text as a `str`, without checking it again: a call of
/// `str::from_utf8` for each short string of an event costs more than the
/// check of the whole input it replaces (measured: 0.48x of the floor
/// against 0.71x).
#[inline(always)]
fn ascii(bytes: &[u8]) -> &str {
    debug_assert!(bytes.is_ascii());
    // SAFETY: the one caller, `Scanner::string`, passes bytes that
    // `Scanner::stop` has found to be below 0x80, each one: ASCII, which is
    // UTF-8.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

impl<'de> Scanner<'de> {
    pub(crate) fn new(bytes: &'de [u8]) -> Scanner<'de> {
        Scanner {
            bytes,
            at: 0,
            depth: 0,
        }
    }

    /// The byte offset just past what has been read.
    pub(crate) fn offset(&self) -> usize {
        self.at
    }

    /// Whether nothing but whitespace is left.
    pub(crate) fn at_end(&mut self) -> bool {
        self.skip_space();
        self.at == self.bytes.len()
    }

    #[inline(always)]
    fn bytes(&self) -> &'de [u8] {
        self.bytes
    }

    #[inline(always)]
    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.at).copied()
    }

    #[inline(always)]
    fn skip_space(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// The next byte past whitespace, consumed when it is `byte`.
    #[inline(always)]
    fn eat(&mut self, byte: u8) -> Result<(), Bail> {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Where the plain ASCII text of a string starting at `from` stops: the
    /// first `"`, `\`, control byte or non-ASCII byte at or after it.
    #[inline(always)]
    fn stop(&self, from: usize) -> Result<usize, Bail> {
        string_stop(self.bytes(), from).ok_or(Bail)
    }

    /// A string whose opening quote has been read: borrowed when it has no
    /// escape, decoded otherwise; `at` ends past its closing quote.
    #[inline(always)]
    fn string(&mut self) -> Result<Text<'de>, Bail> {
        let start = self.at;
        let stop = self.stop(start)?;
        if self.bytes()[stop] == b'"' {
            self.at = stop + 1;
            return Ok(Text::Borrowed(ascii(&self.bytes()[start..stop])));
        }
        self.slow_string(start, stop)
    }

    /// A string skipped, checked all the same.
    #[inline]
    fn skip_string(&mut self) -> Result<(), Bail> {
        let start = self.at;
        let stop = self.stop(start)?;
        if self.bytes()[stop] == b'"' {
            self.at = stop + 1;
            return Ok(());
        }
        self.slow_string(start, stop).map(drop)
    }

    /// The rest of a string from `stop`, the first byte that is not plain
    /// ASCII text (an escape, a non-ASCII byte, a control byte); its text
    /// from `start`. Out of line: keys and values of events seldom need it.
    #[cold]
    #[inline(never)]
    fn slow_string(&mut self, start: usize, mut stop: usize) -> Result<Text<'de>, Bail> {
        let bytes = self.bytes();
        // The text decoded so far, once there is an escape, and where the
        // text not yet copied into it starts. Pieces end at a `\` or the
        // closing `"`, never inside a UTF-8 sequence, so each is checked
        // as UTF-8 by itself.
        let mut decoded: Option<String> = None;
        let mut piece = start;
        loop {
            match bytes[stop] {
                b'"' => {
                    let rest = utf8(&bytes[piece..stop])?;
                    self.at = stop + 1;
                    return Ok(match decoded {
                        None => Text::Borrowed(rest),
                        Some(mut text) => {
                            text.push_str(rest);
                            Text::Decoded(text)
                        }
                    });
                }
                b'\\' => {
                    let text = decoded.get_or_insert_with(String::new);
                    text.push_str(utf8(&bytes[piece..stop])?);
                    let (character, next) = self.escape(stop + 1)?;
                    text.push(character);
                    piece = next;
                    stop = self.stop(next)?;
                }
                0x80.. => stop = self.stop(stop + 1)?,
                _ => return Err(Bail),
            }
        }
    }

    /// The character of the escape after a backslash at `at - 1`, and the
    /// offset past it. A surrogate must come as a pair; a lone one bails.
    fn escape(&self, at: usize) -> Result<(char, usize), Bail> {
        let simple = match self.bytes().get(at) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let high = self.hex(at + 1)?;
                return match high {
                    0xD800..=0xDBFF => {
                        if self.bytes().get(at + 5..at + 7) != Some(b"\\u") {
                            return Err(Bail);
                        }
                        let low = self.hex(at + 7)?;
                        if !(0xDC00..=0xDFFF).contains(&low) {
                            return Err(Bail);
                        }
                        let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
                        Ok((char::from_u32(code).ok_or(Bail)?, at + 11))
                    }
                    _ => Ok((char::from_u32(high).ok_or(Bail)?, at + 5)),
                };
            }
            _ => return Err(Bail),
        };
        Ok((simple, at + 1))
    }

    /// Four hex digits at `at`.
    fn hex(&self, at: usize) -> Result<u32, Bail> {
        let digits = self.bytes().get(at..at + 4).ok_or(Bail)?;
        digits.iter().try_fold(0, |code, &digit| {
            let value = (digit as char).to_digit(16).ok_or(Bail)?;
            Ok(code << 4 | value)
        })
    }

    /// The literal `word` (`true`, `false`, `null`) at `at`.
    #[inline]
    fn literal(&mut self, word: &[u8]) -> Result<(), Bail> {
        if self.bytes()[self.at..].starts_with(word) {
            self.at += word.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// The digits from `at` on, as a `u64` (`None` past `u64::MAX`), and
    /// where they end.
    #[inline(always)]
    fn digits(&self, start: usize) -> (Option<u64>, usize) {
        let bytes = self.bytes();
        let mut at = start;
        let mut value = 0u64;
        while let Some(&digit @ b'0'..=b'9') = bytes.get(at) {
            value = value.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'));
            at += 1;
        }
        // 19 digits always fit; more are read again, checked.
        if at - start <= 19 {
            return (Some(value), at);
        }
        let checked = bytes[start..at].iter().try_fold(0u64, |value, digit| {
            value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
        });
        (checked, at)
    }

    /// Reads a number by the JSON grammar (`at` ends past it).
    #[inline]
    fn number_token(&mut self) -> Result<Number, Bail> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        let first = start + usize::from(negative);
        let (integer, mut end) = self.digits(first);
        match end - first {
            0 => return Err(Bail),
            // One leading zero only.
            1 => {}
            _ if self.bytes()[first] == b'0' => return Err(Bail),
            _ => {}
        }
        let mut float = false;
        if self.bytes().get(end) == Some(&b'.') {
            let (_, after) = self.digits(end + 1);
            if after == end + 1 {
                return Err(Bail);
            }
            (end, float) = (after, true);
        }
        if let Some(b'e' | b'E') = self.bytes().get(end) {
            let mut at = end + 1;
            if let Some(b'+' | b'-') = self.bytes().get(at) {
                at += 1;
            }
            let (_, after) = self.digits(at);
            if after == at {
                return Err(Bail);
            }
            (end, float) = (after, true);
        }
        self.at = end;
        Ok(Number {
            start,
            integer: integer.filter(|_| !float),
            negative,
        })
    }

    /// A number given to `visitor` as `serde_json` gives it: an integer
    /// that fits 64 bits as a `u64` when not negative, an `i64` when
    /// negative; anything else (a fraction, an exponent, `-0`, an integer
    /// past 64 bits: `f64`s, or an error for `1e400`) is handed as text to
    /// `serde_json`, so its value and its error are exactly `serde_json`'s.
    #[inline]
    fn number<V: Visitor<'de>>(&mut self, visitor: V) -> Result<V::Value, Bail> {
        let number = self.number_token()?;
        match number.integer {
            Some(value) if !number.negative => visitor.visit_u64(value),
            Some(value @ 1..=0x8000_0000_0000_0000) => {
                visitor.visit_i64((value as i64).wrapping_neg())
            }
            _ => self.number_by_serde_json(number.start, visitor),
        }
    }

    /// The number from `start` to `at`, read by `serde_json`.
    #[cold]
    #[inline(never)]
    fn number_by_serde_json<V: Visitor<'de>>(
        &self,
        start: usize,
        visitor: V,
    ) -> Result<V::Value, Bail> {
        let mut deserializer =
            serde_json::Deserializer::from_str(utf8(&self.bytes()[start..self.at])?);
        let value = de::Deserializer::deserialize_any(&mut deserializer, visitor).map_err(|_| Bail);
        deserializer.end().map_err(|_| Bail)?;
        value
    }

    /// Enters an object or an array.
    #[inline(always)]
    fn open(&mut self) -> Result<u32, Bail> {
        self.at += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Bail);
        }
        Ok(self.depth)
    }

    /// After a visitor's `visit_map` or `visit_seq`: it read every entry,
    /// down to the closing bracket (which leaves the depth one below `depth`).
    #[inline(always)]
    fn closed(&self, depth: u32) -> Result<(), Bail> {
        if self.depth + 1 == depth {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// Moves to the next entry or item of the object or array that `close`
    /// ends: past the `,` before it (none before the first) and whitespace;
    /// `false`, past the closing bracket, when there is none.
    #[inline(always)]
    fn next_in(&mut self, close: u8, first: &mut bool) -> Result<bool, Bail> {
        self.skip_space();
        match self.peek() {
            Some(byte) if byte == close => {
                self.at += 1;
                self.depth -= 1;
                Ok(false)
            }
            Some(b',') if !*first => {
                self.at += 1;
                self.skip_space();
                Ok(true)
            }
            Some(_) if *first => {
                *first = false;
                Ok(true)
            }
            _ => Err(Bail),
        }
    }

    /// Skips one value, checking it is JSON all the same.
    pub(crate) fn skip(&mut self) -> Result<(), Bail> {
        self.skip_space();
        match self.peek().ok_or(Bail)? {
            b'"' => {
                self.at += 1;
                self.skip_string()
            }
            b'{' => {
                self.open()?;
                self.skip_space();
                if self.peek() != Some(b'}') {
                    loop {
                        self.eat(b'"')?;
                        self.skip_string()?;
                        self.eat(b':')?;
                        self.skip()?;
                        self.skip_space();
                        match self.peek() {
                            Some(b',') => self.at += 1,
                            Some(b'}') => break,
                            _ => return Err(Bail),
                        }
                        self.skip_space();
                    }
                }
                self.at += 1;
                self.depth -= 1;
                Ok(())
            }
            b'[' => {
                self.open()?;
                self.skip_space();
                if self.peek() != Some(b']') {
                    loop {
                        self.skip()?;
                        self.skip_space();
                        match self.peek() {
                            Some(b',') => self.at += 1,
                            Some(b']') => break,
                            _ => return Err(Bail),
                        }
                    }
                }
                self.at += 1;
                self.depth -= 1;
                Ok(())
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number_token().map(drop),
            _ => Err(Bail),
        }
    }
}

/// A number as read: where it starts, and its value when it is an integer
/// that fits a `u64` once its sign is set aside.
struct Number {
    start: usize,
    integer: Option<u64>,
    negative: bool,
}

/// A string as read: borrowed from the input, or decoded from escapes.
enum Text<'de> {
    Borrowed(&'de str),
    Decoded(String),
}

impl<'de> de::Deserializer<'de> for &mut Scanner<'de> {
    type Error = Bail;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.skip_space();
        match self.peek().ok_or(Bail)? {
            b'"' => {
                self.at += 1;
                match self.string()? {
                    Text::Borrowed(text) => visitor.visit_borrowed_str(text),
                    Text::Decoded(text) => visitor.visit_str(&text),
                }
            }
            b'{' => {
                let depth = self.open()?;
                let value = visitor.visit_map(Entries {
                    scanner: &mut *self,
                    first: true,
                })?;
                self.closed(depth)?;
                Ok(value)
            }
            b'[' => {
                let depth = self.open()?;
                let value = visitor.visit_seq(Items {
                    scanner: &mut *self,
                    first: true,
                })?;
                self.closed(depth)?;
                Ok(value)
            }
            b't' => {
                self.literal(b"true")?;
                visitor.visit_bool(true)
            }
            b'f' => {
                self.literal(b"false")?;
                visitor.visit_bool(false)
            }
            b'n' => {
                self.literal(b"null")?;
                visitor.visit_unit()
            }
            b'-' | b'0'..=b'9' => self.number(visitor),
            _ => Err(Bail),
        }
    }

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.skip()?;
        visitor.visit_unit()
    }

    /// As `serde_json`: `null` is `None`, any other value `Some`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.skip_space();
        if self.peek() == Some(b'n') {
            self.literal(b"null")?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    /// The one newtype the visitors ask for is `serde_json`'s raw value,
    /// which only `serde_json` can give.
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: V,
    ) -> Result<V::Value, Bail> {
        Err(Bail)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct enum
        identifier
    }
}

/// The entries of an object whose `{` has been read.
struct Entries<'s, 'de> {
    scanner: &'s mut Scanner<'de>,
    first: bool,
}

impl<'de> MapAccess<'de> for Entries<'_, 'de> {
    type Error = Bail;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Bail> {
        let scanner = &mut *self.scanner;
        if !scanner.next_in(b'}', &mut self.first)? {
            return Ok(None);
        }
        if scanner.peek() != Some(b'"') {
            return Err(Bail);
        }
        scanner.at += 1;
        seed.deserialize(KeyText(scanner)).map(Some)
    }

    #[inline]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Bail> {
        let scanner = &mut *self.scanner;
        // Compact JSON has the colon right after the key.
        if scanner.peek() == Some(b':') {
            scanner.at += 1;
        } else {
            scanner.eat(b':')?;
        }
        seed.deserialize(scanner)
    }
}

/// An object key whose opening quote has been read: a string, whatever the
/// seed asks for (as `serde_json`'s keys are).
struct KeyText<'s, 'de>(&'s mut Scanner<'de>);

impl<'de> de::Deserializer<'de> for KeyText<'_, 'de> {
    type Error = Bail;

    #[inline(always)]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        match self.0.string()? {
            Text::Borrowed(text) => visitor.visit_borrowed_str(text),
            Text::Decoded(text) => visitor.visit_str(&text),
        }
    }

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Bail> {
        self.0.skip_string()?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier
    }
}

/// The items of an array whose `[` has been read.
struct Items<'s, 'de> {
    scanner: &'s mut Scanner<'de>,
    first: bool,
}

impl<'de> SeqAccess<'de> for Items<'_, 'de> {
    type Error = Bail;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Bail> {
        let scanner = &mut *self.scanner;
        if !scanner.next_in(b']', &mut self.first)? {
            return Ok(None);
        }
        seed.deserialize(&mut *scanner).map(Some)
    }
}
