//! The on-disk spool format and directory: segment files of checksummed
//! records, a lock so that one client at a time owns a directory.
//!
//! A segment is the magic `TASPOOL1` followed by records
//! `[len: u32 LE][crc32 of payload: u32 LE][payload]`, the payload being
//! `[message id: 16 bytes][timestamp ms: u64 LE][envelope JSON]`. A record cut
//! short by a crash, or whose checksum does not match, is skipped and reading
//! resumes at the next valid record, so one damaged record hides nothing after
//! it. A file named `*.seg` that does not start with the magic, or that is not
//! a regular file (a FIFO, a socket), is not ours: it is left alone.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::sink::Envelope;

const MAGIC: &[u8; 8] = b"TASPOOL1";
const EXTENSION: &str = "seg";
const LOCK_FILE: &str = "spool.lock";
/// Larger records are taken as corruption.
const MAX_RECORD: usize = 256 << 20;
/// Record header: length and checksum.
const HEADER: usize = 8;
/// Payload prefix: message id and timestamp.
const PREFIX: usize = 24;

/// The bytes a record for an envelope of `json_len` bytes takes on disk.
pub(crate) fn record_len(json_len: usize) -> u64 {
    (HEADER + PREFIX + json_len) as u64
}

/// The magic that starts every segment.
pub(crate) fn magic() -> &'static [u8] {
    MAGIC
}

/// What [`decode`] found in a segment's bytes.
#[derive(Debug, Default)]
pub(crate) struct Decoded {
    /// The complete, checksummed records, in order.
    pub events: Vec<Envelope>,
    /// Checksummed records whose envelope is not JSON (counted, never sent).
    pub not_json: u64,
    /// Bytes that did not form a valid record (torn or corrupt), skipped.
    pub skipped_bytes: u64,
}

/// The segment files of `dir` (regular files named `*.seg`), oldest first.
pub(crate) fn segment_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(files),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_none_or(|ext| ext != EXTENSION) {
            continue;
        }
        // `file_type` does not follow symlinks and never opens the file: a
        // FIFO is seen without blocking.
        if !entry.file_type()?.is_file() {
            tracing::warn!(path = %path.display(), "not a regular file; left alone");
            continue;
        }
        files.push(path);
    }
    files.sort();
    Ok(files)
}

/// Every event stored in the spool directory `dir`, oldest first (what the
/// next client on `dir` replays).
pub fn read_dir(dir: &Path) -> io::Result<Vec<Envelope>> {
    let mut events = Vec::new();
    for path in segment_files(dir)? {
        if let Some(decoded) = read_segment(&path, true)? {
            events.extend(decoded.events);
        }
    }
    Ok(events)
}

/// Reads one segment file; `None` if it is not a segment (no magic).
pub(crate) fn read_segment(path: &Path, check_json: bool) -> io::Result<Option<Decoded>> {
    let mut bytes = Vec::new();
    File::open(path)?.read_to_end(&mut bytes)?;
    let Some(records) = bytes.strip_prefix(MAGIC.as_slice()) else {
        return Ok(None);
    };
    Ok(Some(decode(records, check_json)))
}

/// Decodes records (the bytes after the magic); never panics on damaged
/// input. With `check_json`, a record whose envelope is not JSON is counted
/// in `not_json` and left out.
pub(crate) fn decode(bytes: &[u8], check_json: bool) -> Decoded {
    decode_with(bytes, check_json, |json, id, timestamp_ms| {
        Envelope::new(bytes[json].to_vec(), id, timestamp_ms)
    })
}

/// [`decode`] of the records read into `bytes`, whose envelopes borrow their
/// JSON from `bytes` instead of each copying it out.
pub(crate) fn decode_lent(bytes: Arc<Vec<u8>>, check_json: bool) -> Decoded {
    decode_with(&bytes, check_json, |json, id, timestamp_ms| {
        Envelope::in_shared_block(Arc::clone(&bytes), json, Some(id), timestamp_ms)
    })
}

/// The records of `all`, each made into an envelope by `make` from where its
/// JSON is in `all`, its message id and its timestamp.
fn decode_with(
    all: &[u8],
    check_json: bool,
    mut make: impl FnMut(Range<usize>, [u8; 16], u64) -> Envelope,
) -> Decoded {
    let mut decoded = Decoded::default();
    let mut at = 0;
    while at < all.len() {
        let bytes = &all[at..];
        match parse_record(bytes) {
            Some(record) => {
                let json = at + record.json.start..at + record.json.end;
                at += record.len;
                if check_json
                    && serde_json::from_slice::<serde::de::IgnoredAny>(&all[json.clone()]).is_err()
                {
                    decoded.not_json += 1;
                } else {
                    decoded
                        .events
                        .push(make(json, record.message_id, record.timestamp_ms));
                }
            }
            None => {
                // Resynchronise: the next offset where a valid record starts.
                let next = (1..bytes.len())
                    .find(|&from| parse_record(&bytes[from..]).is_some())
                    .unwrap_or(bytes.len());
                decoded.skipped_bytes += next as u64;
                at += next;
            }
        }
    }
    decoded
}

/// One checksummed record found at the start of some bytes.
struct Record {
    /// Where its envelope JSON is in those bytes.
    json: Range<usize>,
    message_id: [u8; 16],
    timestamp_ms: u64,
    /// The bytes the record takes.
    len: usize,
}

fn parse_record(bytes: &[u8]) -> Option<Record> {
    let len = u32::from_le_bytes(bytes.get(0..4)?.try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(bytes.get(4..HEADER)?.try_into().ok()?);
    if !(PREFIX..=MAX_RECORD).contains(&len) {
        return None;
    }
    let payload = bytes.get(HEADER..HEADER + len)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    Some(Record {
        json: HEADER + PREFIX..HEADER + len,
        message_id: payload[0..16].try_into().ok()?,
        timestamp_ms: u64::from_le_bytes(payload[16..PREFIX].try_into().ok()?),
        len: HEADER + len,
    })
}

/// Appends one record per envelope to `out`.
#[cfg(test)]
pub(crate) fn encode<'a>(batch: impl IntoIterator<Item = &'a Envelope>, out: &mut Vec<u8>) {
    for envelope in batch {
        encode_record(
            envelope.json(),
            envelope.message_id_bytes(),
            envelope.timestamp_ms(),
            out,
        );
    }
}

/// Appends the record of one envelope (its JSON, id and timestamp) to `out`.
pub(crate) fn encode_record(
    json: &[u8],
    message_id: [u8; 16],
    timestamp_ms: u64,
    out: &mut Vec<u8>,
) {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER]);
    out.extend_from_slice(&message_id);
    out.extend_from_slice(&timestamp_ms.to_le_bytes());
    out.extend_from_slice(json);
    let payload = &out[start + HEADER..];
    let len = payload.len() as u32;
    let crc = crc32fast::hash(payload);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
    out[start + 4..start + HEADER].copy_from_slice(&crc.to_le_bytes());
}

/// Creates a file readable and writable by its owner only (0600 on Unix).
pub(crate) fn create_private(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// Creates `dir` (and its parents) accessible by its owner only (0700 on Unix).
fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// A leftover segment of an earlier run, to replay.
#[derive(Debug)]
pub(crate) struct Leftover {
    pub path: PathBuf,
    pub bytes: u64,
    pub events: u64,
    pub not_json: u64,
}

/// An opened spool directory: locked for this client, checked writable.
#[derive(Debug)]
pub(crate) struct SpoolDir {
    pub dir: PathBuf,
    /// Held (and locked) for as long as the client lives.
    _lock: File,
}

impl SpoolDir {
    /// Creates (0700) and locks `dir`, checks that it is writable, and lists
    /// the segments an earlier run left there, oldest first.
    pub fn open(dir: PathBuf) -> io::Result<(SpoolDir, Vec<Leftover>)> {
        let context = |what: &str, error: io::Error| {
            io::Error::new(
                error.kind(),
                format!("spool directory {}: {what}: {error}", dir.display()),
            )
        };
        create_private_dir(&dir).map_err(|error| context("cannot create it", error))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = create_private(
            &lock_path,
            OpenOptions::new().read(true).write(true).create(true),
        )
        .map_err(|error| context("cannot write to it", error))?;
        match fs4::fs_std::FileExt::try_lock_exclusive(&lock) {
            Ok(true) => {}
            Ok(false) => {
                return Err(io::Error::new(
                    io::ErrorKind::ResourceBusy,
                    format!(
                        "spool directory {} is in use by another analytics client \
                         (its lock {} is held); give each process its own spool directory",
                        dir.display(),
                        lock_path.display()
                    ),
                ))
            }
            Err(error) => return Err(context("cannot lock it", error)),
        }
        probe_writable(&dir).map_err(|error| context("cannot write to it", error))?;
        let mut leftovers = Vec::new();
        for path in segment_files(&dir)? {
            match read_segment(&path, true) {
                Ok(Some(decoded)) => {
                    if decoded.skipped_bytes > 0 {
                        tracing::warn!(
                            path = %path.display(),
                            skipped_bytes = decoded.skipped_bytes,
                            kept = decoded.events.len(),
                            "spool segment has damaged records; skipping them"
                        );
                    }
                    let bytes = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                    leftovers.push(Leftover {
                        path,
                        bytes,
                        events: decoded.events.len() as u64,
                        not_json: decoded.not_json,
                    });
                }
                Ok(None) => {
                    tracing::warn!(path = %path.display(), "not a spool segment (no magic); left alone");
                }
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "cannot read a spool segment");
                }
            }
        }
        Ok((SpoolDir { dir, _lock: lock }, leftovers))
    }
}

/// Creates and removes a file: a read-only directory (or file system) fails
/// here, at `build()`, instead of on the first write.
fn probe_writable(dir: &Path) -> io::Result<()> {
    let probe = dir.join(format!(".probe-{}", std::process::id()));
    let file = create_private(&probe, OpenOptions::new().write(true).create(true))?;
    drop(file);
    fs::remove_file(&probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(i: u8) -> Envelope {
        Envelope::new(format!("{{\"n\":{i}}}").into_bytes(), [i; 16], u64::from(i))
    }

    #[test]
    fn round_trip_and_every_truncation() {
        let batch: Vec<_> = (0..5).map(envelope).collect();
        let mut bytes = Vec::new();
        encode(&batch, &mut bytes);
        assert_eq!(decode(&bytes, true).events, batch);
        for cut in 0..bytes.len() {
            let decoded = decode(&bytes[..cut], true);
            assert!(decoded.events.len() < batch.len());
            assert_eq!(decoded.events[..], batch[..decoded.events.len()]);
        }
    }

    #[test]
    fn one_corrupt_record_hides_nothing_after_it() {
        let batch: Vec<_> = (0..5).map(envelope).collect();
        let mut bytes = Vec::new();
        encode(&batch, &mut bytes);
        let second = record_len(batch[0].json().len()) as usize;
        bytes[second + HEADER + 3] ^= 0xff; // inside record 1's payload
        let decoded = decode(&bytes, true);
        let expected: Vec<_> = [0, 2, 3, 4].iter().map(|&i| batch[i].clone()).collect();
        assert_eq!(decoded.events, expected);
        assert_eq!(decoded.skipped_bytes, record_len(batch[1].json().len()));
    }

    #[test]
    fn a_checksummed_record_that_is_not_json_is_counted() {
        let bad = Envelope::new(b"{not json".to_vec(), [9; 16], 9);
        let mut bytes = Vec::new();
        encode([&envelope(0), &bad, &envelope(1)], &mut bytes);
        let decoded = decode(&bytes, true);
        assert_eq!(decoded.events, vec![envelope(0), envelope(1)]);
        assert_eq!(decoded.not_json, 1);
    }
}
