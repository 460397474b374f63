//! The JSON writer behind `write_json`: compact output, byte-identical to
//! `serde_json::to_writer` for the same value.
//!
//! Keys and punctuation are written by generated code as pre-escaped byte
//! strings; this module supplies the value writers (strings with a fast path
//! for text that needs no escaping, integers through `itoa`, floats through
//! serde_json's own `CompactFormatter` so the digits are serde_json's in every
//! version, non-finite floats as `null`, exactly as serde_json does).

use serde_json::ser::{CompactFormatter, Formatter};

/// `ESCAPE[b]` is non-zero when byte `b` must be escaped inside a JSON string.
/// The value is the character after the backslash, or `u` for `\u00XX`.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `value` as a JSON string (quotes included), escaping as serde_json does.
#[inline]
pub fn write_str(out: &mut Vec<u8>, value: &str) {
    let bytes = value.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPE[byte as usize];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        match escape {
            b'u' => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[(byte >> 4) as usize],
                HEX[(byte & 0xf) as usize],
            ]),
            other => out.extend_from_slice(&[b'\\', other]),
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Appends an integer in decimal.
#[inline]
pub fn write_int<I: itoa::Integer>(out: &mut Vec<u8>, value: I) {
    let mut buffer = itoa::Buffer::new();
    out.extend_from_slice(buffer.format(value).as_bytes());
}

/// Appends an `f64`; NaN and infinities become `null`, as in serde_json.
#[inline]
pub fn write_f64(out: &mut Vec<u8>, value: f64) {
    if value.is_finite() {
        // Writing into a Vec cannot fail.
        let _ = CompactFormatter.write_f64(out, value);
    } else {
        out.extend_from_slice(b"null");
    }
}

/// Appends an `f32`; NaN and infinities become `null`, as in serde_json.
#[inline]
pub fn write_f32(out: &mut Vec<u8>, value: f32) {
    if value.is_finite() {
        // Writing into a Vec cannot fail.
        let _ = CompactFormatter.write_f32(out, value);
    } else {
        out.extend_from_slice(b"null");
    }
}

/// Appends `true` or `false`.
#[inline]
pub fn write_bool(out: &mut Vec<u8>, value: bool) {
    out.extend_from_slice(if value { b"true" } else { b"false" });
}

/// Appends `value` as serde_json writes it: a field written through its own
/// `Serialize` (`#[analytics(serde)]`, `with`). A value whose `Serialize`
/// fails (a map with non-string keys...) is written `null`.
#[inline]
pub fn write_serde<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let start = out.len();
    if serde_json::to_writer(&mut *out, value).is_err() {
        // `validate()` reports the same failure (rule `serde`), so an event
        // that gets here unchecked is the only one to carry the `null`.
        out.truncate(start);
        out.extend_from_slice(b"null");
    }
}

/// Writes an object whose members are produced by `members`.
///
/// Every member is written with a leading comma (`,"key":value`); the first
/// comma is then turned into the opening brace. This keeps generated code free
/// of a "first member?" branch per field, including for members that are
/// skipped at run time and for flattened groups of fields.
#[inline]
pub fn write_object(out: &mut Vec<u8>, members: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    members(out);
    if out.len() == start {
        out.push(b'{');
    } else {
        out[start] = b'{';
    }
    out.push(b'}');
}

/// Renders with `render` into a buffer kept per thread, then writes it to
/// `writer` in one `write_all` (no allocation once the buffer has grown).
pub fn write_to<W: std::io::Write>(
    mut writer: W,
    render: impl FnOnce(&mut Vec<u8>),
) -> std::io::Result<()> {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with(|buffer| match buffer.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            render(&mut buffer);
            writer.write_all(&buffer)
        }
        // Re-entered from inside `render` (a writer that tracks): use a fresh buffer.
        Err(_) => {
            let mut buffer = Vec::new();
            render(&mut buffer);
            writer.write_all(&buffer)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_str(value: &str) {
        let mut out = Vec::new();
        write_str(&mut out, value);
        assert_eq!(out, serde_json::to_vec(value).unwrap(), "{value:?}");
    }

    #[test]
    fn strings_match_serde_json() {
        for value in [
            "",
            "plain",
            "quote \" backslash \\ slash /",
            "new\nline\ttab\rcr\u{8}\u{c}",
            "\u{0}\u{1}\u{1f}\u{7f}",
            "héllo wörld ✓ 😀",
        ] {
            check_str(value);
        }
        let every_byte: String = (0u8..=127).map(char::from).collect();
        check_str(&every_byte);
    }

    #[test]
    fn numbers_match_serde_json() {
        for value in [
            0.0,
            -0.0,
            1.5,
            1e300,
            -2.5e-300,
            0.1 + 0.2,
            f64::MAX,
            f64::MIN_POSITIVE,
        ] {
            let mut out = Vec::new();
            write_f64(&mut out, value);
            assert_eq!(out, serde_json::to_vec(&value).unwrap());
        }
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut out = Vec::new();
            write_f64(&mut out, value);
            assert_eq!(out, serde_json::to_vec(&value).unwrap());
        }
        for value in [0.1f32, f32::MAX, f32::NAN, -3.25f32] {
            let mut out = Vec::new();
            write_f32(&mut out, value);
            assert_eq!(out, serde_json::to_vec(&value).unwrap());
        }
        let mut out = Vec::new();
        write_int(&mut out, i64::MIN);
        write_int(&mut out, u128::MAX);
        assert_eq!(out, format!("{}{}", i64::MIN, u128::MAX).into_bytes());
    }

    #[test]
    fn object_braces() {
        let mut out = Vec::new();
        write_object(&mut out, |_| {});
        assert_eq!(out, b"{}");
        out.clear();
        write_object(&mut out, |out| out.extend_from_slice(b",\"a\":1,\"b\":2"));
        assert_eq!(out, b"{\"a\":1,\"b\":2}");
    }
}
