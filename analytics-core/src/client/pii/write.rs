//! The PII policy applied while the derived writer writes: `track` sets the
//! client's policy for the length of one `write_json`, and each
//! `#[analytics(pii)]` member of the event (nested objects, arrays and maps
//! of them, envelope keys) is kept, dropped or hashed as it is written, with
//! no second pass over the bytes.

use super::PiiPolicy;

scoped_tls::scoped_thread_local!(static ACTIVE: PiiPolicy);

/// What a member is written under while a hashed member's own value is
/// written: its value is hashed as a whole, as the scanner does.
static KEEP: PiiPolicy = PiiPolicy::Keep;

/// Runs `write` with `policy` applied to the PII members it writes.
pub(crate) fn with_policy<R>(policy: &PiiPolicy, write: impl FnOnce() -> R) -> R {
    ACTIVE.set(policy, write)
}

/// Writes one PII member: `key` (`,"name":`), then the value `value` appends,
/// under the active policy (none: as is).
pub(crate) fn write_pii_member(out: &mut Vec<u8>, key: &[u8], value: impl FnOnce(&mut Vec<u8>)) {
    if !ACTIVE.is_set() {
        out.extend_from_slice(key);
        value(out);
        return;
    }
    ACTIVE.with(|policy| match policy {
        PiiPolicy::Keep => {
            out.extend_from_slice(key);
            value(out);
        }
        PiiPolicy::Drop => {}
        PiiPolicy::Hash { .. } => {
            out.extend_from_slice(key);
            let start = out.len();
            ACTIVE.set(&KEEP, || value(out));
            if out[start..] != *b"null" {
                let hash = policy.hash_value(&out[start..]);
                out.truncate(start);
                crate::json::write_str(out, &hash);
            }
        }
    })
}
