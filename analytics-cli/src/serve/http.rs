//! The HTTP details of the collector: tokens, gzip, limits, error bodies,
//! and how an accepted event becomes an output line with a message id.

use std::io::Read as _;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

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

pub(super) fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if error.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = error.source();
    }
    false
}

/// The decoded body, `None` over `limit` bytes (a gzip bomb stops there).
pub(super) fn gunzip(raw: &[u8], limit: usize) -> std::io::Result<Option<Vec<u8>>> {
    let mut body = Vec::with_capacity(raw.len().saturating_mul(4).min(limit));
    flate2::read::MultiGzDecoder::new(raw)
        .take(limit as u64 + 1)
        .read_to_end(&mut body)?;
    Ok((body.len() <= limit).then_some(body))
}

/// The event's bytes as one JSON Lines line: as received, except that line
/// breaks (which JSON only allows as white space between tokens) become spaces.
pub(super) fn one_line(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|&byte| {
            if byte == b'\n' || byte == b'\r' {
                b' '
            } else {
                byte
            }
        })
        .collect()
}

/// The Segment `messageId` when it is a UUID; otherwise an id derived from
/// the event's bytes, so that a retried event keeps its id.
pub(super) fn message_id(given: Option<&str>, bytes: &[u8]) -> [u8; 16] {
    if let Some(id) = given.and_then(parse_uuid) {
        return id;
    }
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(bytes);
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    id
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
