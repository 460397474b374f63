//! The HTTP details of the collector: tokens, gzip, limits, error bodies,
//! and how an accepted event becomes an output line with a message id.

use std::io::Read as _;
use std::ops::Range;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use analytics_core::client::Envelope;

use super::budget::{Exhausted, Held};

/// Whether the request carries one of `tokens` (any request when there are none).
pub(super) fn authorized(tokens: &[String], headers: &HeaderMap) -> bool {
    if tokens.is_empty() {
        return true;
    }
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let (scheme, credentials) = value.trim().split_once(' ').unwrap_or((value, ""));
    let credentials = credentials.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return tokens.iter().any(|token| token == credentials);
    }
    if scheme.eq_ignore_ascii_case("basic") {
        // Segment clients send their write key as the Basic user name.
        use base64::Engine as _;
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(credentials) else {
            return false;
        };
        let decoded = String::from_utf8_lossy(&decoded);
        let user = decoded.split_once(':').map_or(&*decoded, |(user, _)| user);
        return tokens.iter().any(|token| token == user);
    }
    false
}

pub(super) fn error_json(message: &str) -> String {
    format!(
        "{{\"error\":{}}}",
        serde_json::Value::String(message.to_owned())
    )
}

pub(super) fn too_large(limit: usize) -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        error_json(&format!(
            "the body is over the limit of {limit} bytes: send smaller batches"
        )),
    )
        .into_response()
}

/// Why a body could not be read whole.
pub(super) enum ReadError {
    /// Over the body limit: 413.
    TooLarge,
    /// No room in the in-flight byte budget: 503.
    Budget,
    /// The connection failed: 400.
    Body(axum::Error),
}

impl From<Exhausted> for ReadError {
    fn from(_: Exhausted) -> ReadError {
        ReadError::Budget
    }
}

/// A request body read whole.
pub(super) struct Received {
    /// Its bytes.
    pub(super) bytes: Vec<u8>,
    /// Whether a line break (`\n` or `\r`) is anywhere in it: without one,
    /// no event of it needs a line of its own (see [`envelope`]).
    pub(super) breaks: bool,
}

/// Whether `bytes` hold a line break.
pub(super) fn has_break(bytes: &[u8]) -> bool {
    memchr::memchr2(b'\n', b'\r', bytes).is_some()
}

/// Reads the body whole, at most `limit` bytes, reserving its buffer in
/// `held` before it grows (a `Content-Length`, when given, sizes it once).
/// Each part is looked through for line breaks as it arrives, while it is
/// still in the cache, rather than the whole body again afterwards.
pub(super) async fn read_body(
    mut body: Body,
    limit: usize,
    length: Option<u64>,
    held: &mut Held,
) -> Result<Received, ReadError> {
    use http_body_util::BodyExt as _;
    let mut buffer = Vec::new();
    let mut breaks = false;
    if let Some(length) = length {
        if length > limit as u64 {
            return Err(ReadError::TooLarge);
        }
        grow(&mut buffer, length as usize, limit, held)?;
    }
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(ReadError::Body)?.into_data() else {
            continue; // trailers
        };
        let needed = buffer.len() + data.len();
        if needed > limit {
            return Err(ReadError::TooLarge);
        }
        grow(&mut buffer, needed, limit, held)?;
        breaks = breaks || has_break(&data);
        buffer.extend_from_slice(&data);
    }
    Ok(Received {
        bytes: buffer,
        breaks,
    })
}

/// Makes room for `needed` bytes in `buffer` (doubling, up to `limit`),
/// reserving the growth in `held` first.
fn grow(
    buffer: &mut Vec<u8>,
    needed: usize,
    limit: usize,
    held: &mut Held,
) -> Result<(), Exhausted> {
    if needed <= buffer.capacity() {
        return Ok(());
    }
    let target = needed.max(buffer.capacity() * 2).min(limit.max(needed));
    held.take(target - buffer.capacity())?;
    buffer.reserve_exact(target - buffer.len());
    Ok(())
}

/// Why a gzip body could not be decoded.
pub(super) enum GunzipError {
    /// Decoded, it is over the body limit: 413 (a gzip bomb stops there).
    TooLarge,
    /// No room in the in-flight byte budget: 503.
    Budget,
    /// Not valid gzip: kept as a failed event.
    Invalid(std::io::Error),
}

impl From<Exhausted> for GunzipError {
    fn from(_: Exhausted) -> GunzipError {
        GunzipError::Budget
    }
}

/// The decoded body, at most `limit` bytes, its buffer reserved in `held`
/// before it grows.
pub(super) fn gunzip(raw: &[u8], limit: usize, held: &mut Held) -> Result<Received, GunzipError> {
    let mut decoder = flate2::read::MultiGzDecoder::new(raw);
    let mut body = Vec::new();
    grow(
        &mut body,
        raw.len().saturating_mul(4).min(limit),
        limit,
        held,
    )?;
    let mut breaks = false;
    let mut chunk = [0u8; 16 << 10];
    loop {
        let read = match decoder.read(&mut chunk) {
            Ok(0) => {
                return Ok(Received {
                    bytes: body,
                    breaks,
                })
            }
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(GunzipError::Invalid(error)),
        };
        let needed = body.len() + read;
        if needed > limit {
            return Err(GunzipError::TooLarge);
        }
        grow(&mut body, needed, limit, held)?;
        breaks = breaks || has_break(&chunk[..read]);
        body.extend_from_slice(&chunk[..read]);
    }
}

/// The envelope of an accepted event, `bytes` of the request `body`: its
/// bytes as one JSON Lines line (as received, except that line breaks, which
/// JSON only allows as white space between tokens, become spaces), and its
/// message id: the given one when it is a UUID, otherwise the first 16 bytes
/// of the SHA-256 of the bytes as received, so that a retried event keeps
/// its id. That hash is left to the sinks that ask for the id (the JSON
/// Lines output never does) whenever the line is the received bytes
/// unchanged; so is the copy: such a line is its range of the body, which
/// the events of one request share (`breaks` says whether the body has a
/// line break anywhere: without one, no event of it needs a line of its
/// own). The second part is the bytes copied, to be reserved.
pub(super) fn envelope(
    given: Option<&str>,
    body: &Arc<Vec<u8>>,
    bytes: &[u8],
    breaks: bool,
    received_at_ms: u64,
) -> (Envelope, usize) {
    let given = given.and_then(parse_uuid);
    let unchanged = !breaks || !has_break(bytes);
    if unchanged {
        if let Some(range) = range_in(body, bytes) {
            let envelope =
                Envelope::in_shared_block(Arc::clone(body), range, given, received_at_ms);
            return (envelope, 0);
        }
        let envelope = match given {
            Some(id) => Envelope::new(bytes.to_vec(), id, received_at_ms),
            None => Envelope::with_id_of_json(bytes.to_vec(), received_at_ms),
        };
        return (envelope, bytes.len());
    }
    let id = given.unwrap_or_else(|| {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(bytes);
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        id
    });
    let line: Vec<u8> = bytes
        .iter()
        .map(|&byte| {
            if byte == b'\n' || byte == b'\r' {
                b' '
            } else {
                byte
            }
        })
        .collect();
    let copied = line.len();
    (Envelope::new(line, id, received_at_ms), copied)
}

/// Where `part` lies in `whole`, when it is a slice of it.
fn range_in(whole: &[u8], part: &[u8]) -> Option<Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= whole.len()).then_some(start..end)
}

/// The 16 bytes of a UUID written as 32 hex digits, hyphens anywhere
/// between them ignored; `None` for anything else. No allocation: a
/// producer's events each carry one.
fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let mut id = [0u8; 16];
    let mut digits = 0;
    for byte in text.bytes() {
        if byte == b'-' {
            continue;
        }
        let value = (byte as char).to_digit(16)? as u8;
        let slot = id.get_mut(digits / 2)?;
        *slot = *slot << 4 | value;
        digits += 1;
    }
    (digits == 32).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha256_16(bytes: &[u8]) -> [u8; 16] {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(bytes);
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        id
    }

    fn envelope_of(given: Option<&str>, bytes: &[u8]) -> Envelope {
        let body = Arc::new(bytes.to_vec());
        envelope(given, &body, &body, has_break(bytes), 5).0
    }

    #[test]
    fn an_event_without_an_id_is_given_the_hash_of_its_bytes_as_received() {
        let compact = br#"{"event_type":"a","event_params":{}}"#;
        let envelope = envelope_of(None, compact);
        assert_eq!(envelope.json(), compact);
        assert_eq!(envelope.message_id_bytes(), sha256_16(compact));
        assert_eq!(envelope.timestamp_ms(), 5);

        // Line breaks become spaces; the id is still that of the bytes received.
        let pretty = b"{\"event_type\":\"a\",\r\n \"event_params\":{}}";
        let envelope = envelope_of(Some("not a uuid"), pretty);
        assert_eq!(
            envelope.json(),
            b"{\"event_type\":\"a\",   \"event_params\":{}}"
        );
        assert_eq!(envelope.message_id_bytes(), sha256_16(pretty));
    }

    #[test]
    fn an_event_shares_the_body_unless_its_line_must_change() {
        let body = Arc::new(b"{\"events\":[{\"a\":1},\n{\"b\":\n2}]}".to_vec());
        assert_eq!(range_in(&body, &body[11..18]), Some(11..18));
        let (shared, copied) = envelope(None, &body, &body[11..18], true, 0);
        assert_eq!((shared.json(), copied), (&b"{\"a\":1}"[..], 0));
        let (own, copied) = envelope(None, &body, &body[20..28], true, 0);
        assert_eq!((own.json(), copied), (&b"{\"b\": 2}"[..], 8));
        assert_eq!(own.message_id_bytes(), sha256_16(b"{\"b\":\n2}"));

        // Bytes that are not a part of the body (another buffer) are copied.
        let elsewhere = b"{\"a\":1}".to_vec();
        assert_eq!(range_in(&body, &elsewhere), None);
        let (copy, copied) = envelope(None, &body, &elsewhere, false, 0);
        assert_eq!((copy.json(), copied), (&elsewhere[..], 7));
        assert_eq!(copy.message_id_bytes(), sha256_16(&elsewhere));
    }

    #[test]
    fn a_given_uuid_is_the_events_id() {
        let id = "0190c6a4-7b1e-4c3d-9a2b-5f6e7d8c9b0a";
        let expected = parse_uuid(id).unwrap();
        for bytes in [&b"{}"[..], b"{\n}"] {
            assert_eq!(envelope_of(Some(id), bytes).message_id_bytes(), expected);
        }
        assert_eq!(
            expected,
            [
                0x01, 0x90, 0xc6, 0xa4, 0x7b, 0x1e, 0x4c, 0x3d, 0x9a, 0x2b, 0x5f, 0x6e, 0x7d, 0x8c,
                0x9b, 0x0a
            ]
        );
        assert_eq!(
            parse_uuid("0190C6A47B1E4C3D9A2B5F6E7D8C9B0A"),
            Some(expected)
        );
        for not_one in [
            "",
            "0190c6a4-7b1e-4c3d-9a2b-5f6e7d8c9b0",
            "0190c6a4-7b1e-4c3d-9a2b-5f6e7d8c9b0a0",
            "0190c6a4-7b1e-4c3d-9a2b-5f6e7d8c9b0g",
            "+190c6a4-7b1e-4c3d-9a2b-5f6e7d8c9b0a",
            "0190c6a4 7b1e-4c3d-9a2b-5f6e7d8c9b0a",
            "0190c6a4-7b1e-4c3d-9a2b-5f6e7d8c9b\u{e9}",
        ] {
            assert_eq!(parse_uuid(not_one), None, "{not_one:?}");
        }
    }
}
