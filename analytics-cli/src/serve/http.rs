//! The HTTP details of the collector: tokens, gzip, limits, error bodies,
//! and how an accepted event becomes an output line with a message id.

use std::io::Read as _;

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

/// Reads the body whole, at most `limit` bytes, reserving its buffer in
/// `held` before it grows (a `Content-Length`, when given, sizes it once).
pub(super) async fn read_body(
    mut body: Body,
    limit: usize,
    length: Option<u64>,
    held: &mut Held,
) -> Result<Vec<u8>, ReadError> {
    use http_body_util::BodyExt as _;
    let mut buffer = Vec::new();
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
        buffer.extend_from_slice(&data);
    }
    Ok(buffer)
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
pub(super) fn gunzip(raw: &[u8], limit: usize, held: &mut Held) -> Result<Vec<u8>, GunzipError> {
    let mut decoder = flate2::read::MultiGzDecoder::new(raw);
    let mut body = Vec::new();
    grow(
        &mut body,
        raw.len().saturating_mul(4).min(limit),
        limit,
        held,
    )?;
    let mut chunk = [0u8; 16 << 10];
    loop {
        let read = match decoder.read(&mut chunk) {
            Ok(0) => return Ok(body),
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(GunzipError::Invalid(error)),
        };
        let needed = body.len() + read;
        if needed > limit {
            return Err(GunzipError::TooLarge);
        }
        grow(&mut body, needed, limit, held)?;
        body.extend_from_slice(&chunk[..read]);
    }
}

/// The envelope of an accepted event: its bytes as one JSON Lines line (as
/// received, except that line breaks, which JSON only allows as white space
/// between tokens, become spaces), and its message id: the given one when it
/// is a UUID, otherwise the first 16 bytes of the SHA-256 of the bytes as
/// received, so that a retried event keeps its id. That hash is left to the
/// sinks that ask for the id (the JSON Lines output never does) whenever the
/// line is the received bytes unchanged.
pub(super) fn envelope(given: Option<&str>, bytes: &[u8], received_at_ms: u64) -> Envelope {
    let given = given.and_then(parse_uuid);
    if memchr::memchr2(b'\n', b'\r', bytes).is_none() {
        let line = bytes.to_vec();
        return match given {
            Some(id) => Envelope::new(line, id, received_at_ms),
            None => Envelope::with_id_of_json(line, received_at_ms),
        };
    }
    let id = given.unwrap_or_else(|| {
        use sha2::Digest as _;
        let digest = sha2::Sha256::digest(bytes);
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        id
    });
    let line = bytes
        .iter()
        .map(|&byte| {
            if byte == b'\n' || byte == b'\r' {
                b' '
            } else {
                byte
            }
        })
        .collect();
    Envelope::new(line, id, received_at_ms)
}

fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = text.bytes().filter(|byte| *byte != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut id = [0u8; 16];
    for (index, pair) in hex.chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        id[index] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(id)
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

    #[test]
    fn an_event_without_an_id_is_given_the_hash_of_its_bytes_as_received() {
        let compact = br#"{"event_type":"a","event_params":{}}"#;
        let envelope = envelope(None, compact, 5);
        assert_eq!(envelope.json(), compact);
        assert_eq!(envelope.message_id_bytes(), sha256_16(compact));
        assert_eq!(envelope.timestamp_ms(), 5);

        // Line breaks become spaces; the id is still that of the bytes received.
        let pretty = b"{\"event_type\":\"a\",\r\n \"event_params\":{}}";
        let envelope = super::envelope(Some("not a uuid"), pretty, 5);
        assert_eq!(
            envelope.json(),
            b"{\"event_type\":\"a\",   \"event_params\":{}}"
        );
        assert_eq!(envelope.message_id_bytes(), sha256_16(pretty));
    }

    #[test]
    fn a_given_uuid_is_the_events_id() {
        let id = "0190c6a4-7b1e-4c3d-9a2b-5f6e7d8c9b0a";
        let expected = parse_uuid(id).unwrap();
        for bytes in [&b"{}"[..], b"{\n}"] {
            assert_eq!(envelope(Some(id), bytes, 0).message_id_bytes(), expected);
        }
    }
}
