//! The on-disk spool: each batch is written to its own segment file before
//! it is sent and removed once it is settled (delivered or dropped for good).
//! At start the client replays the segments an earlier run left behind.
//!
//! A segment is the magic `TASPOOL1` followed by records
//! `[len: u32 LE][crc32 of payload: u32 LE][payload]`, the payload being
//! `[message id: 16 bytes][timestamp ms: u64 LE][envelope JSON]`. A record
//! cut short by a crash, or whose checksum does not match, ends the segment:
//! what came before it is replayed, the rest is skipped (and logged).
//!
//! One client per spool directory at a time.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::sink::Envelope;

const MAGIC: &[u8; 8] = b"TASPOOL1";
const EXTENSION: &str = "seg";
/// Larger records are taken as corruption.
const MAX_RECORD: usize = 256 << 20;

/// What [`read_segment`] found in one file.
#[derive(Debug, Clone, Default)]
pub struct Segment {
    /// The complete, checksummed events, in order.
    pub events: Vec<Envelope>,
    /// Bytes at the end that did not form a complete valid record (a torn write).
    pub torn_bytes: u64,
}

/// The segment files of `dir`, oldest first.
pub fn segment_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(files),
        Err(error) => return Err(error),
    };
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == EXTENSION) {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads one segment; never panics on damaged input.
pub fn read_segment(path: &Path) -> io::Result<Segment> {
    let mut bytes = Vec::new();
    File::open(path)?.read_to_end(&mut bytes)?;
    Ok(parse_segment(&bytes))
}

/// Every event stored in the spool directory `dir`, oldest first (for
/// inspection and tests; the client replays them itself).
pub fn read_dir(dir: &Path) -> io::Result<Vec<Envelope>> {
    let mut events = Vec::new();
    for path in segment_files(dir)? {
        events.extend(read_segment(&path)?.events);
    }
    Ok(events)
}

fn parse_segment(bytes: &[u8]) -> Segment {
    let mut segment = Segment::default();
    let Some(mut rest) = bytes.strip_prefix(MAGIC.as_slice()) else {
        segment.torn_bytes = bytes.len() as u64;
        return segment;
    };
    while !rest.is_empty() {
        let Some(record) = parse_record(rest) else {
            segment.torn_bytes = rest.len() as u64;
            break;
        };
        let (envelope, used) = record;
        segment.events.push(envelope);
        rest = &rest[used..];
    }
    segment
}

fn parse_record(bytes: &[u8]) -> Option<(Envelope, usize)> {
    let len = u32::from_le_bytes(bytes.get(0..4)?.try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?);
    if !(24..=MAX_RECORD).contains(&len) {
        return None;
    }
    let payload = bytes.get(8..8 + len)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    let message_id: [u8; 16] = payload[0..16].try_into().ok()?;
    let timestamp_ms = u64::from_le_bytes(payload[16..24].try_into().ok()?);
    let envelope = Envelope::new(payload[24..].to_vec(), message_id, timestamp_ms);
    Some((envelope, 8 + len))
}

fn encode(batch: &[Envelope], out: &mut Vec<u8>) {
    out.extend_from_slice(MAGIC);
    for envelope in batch {
        let start = out.len();
        out.extend_from_slice(&[0; 8]);
        out.extend_from_slice(&envelope.message_id_bytes());
        out.extend_from_slice(&envelope.timestamp_ms().to_le_bytes());
        out.extend_from_slice(envelope.json());
        let payload = &out[start + 8..];
        let len = payload.len() as u32;
        let crc = crc32fast::hash(payload);
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
        out[start + 4..start + 8].copy_from_slice(&crc.to_le_bytes());
    }
}

/// Segments left by an earlier run: each file with its events.
pub(crate) type Leftovers = Vec<(PathBuf, Vec<Envelope>)>;

/// The worker's handle on the spool directory.
#[derive(Debug)]
pub(crate) struct Spool {
    dir: PathBuf,
    sync: bool,
    prefix: u128,
    counter: u64,
    buffer: Vec<u8>,
}

impl Spool {
    /// Opens (creates) the directory; returns the leftover segments to replay.
    pub fn open(dir: PathBuf, sync: bool) -> io::Result<(Spool, Leftovers)> {
        fs::create_dir_all(&dir)?;
        let mut leftovers = Vec::new();
        for path in segment_files(&dir)? {
            match read_segment(&path) {
                Ok(segment) => {
                    if segment.torn_bytes > 0 {
                        tracing::warn!(
                            path = %path.display(),
                            torn_bytes = segment.torn_bytes,
                            kept = segment.events.len(),
                            "spool segment ends with a torn record; skipping the damaged tail"
                        );
                    }
                    if segment.events.is_empty() {
                        let _ = fs::remove_file(&path);
                    } else {
                        leftovers.push((path, segment.events));
                    }
                }
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "cannot read a spool segment");
                }
            }
        }
        let prefix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| elapsed.as_nanos())
            .unwrap_or(0);
        Ok((
            Spool {
                dir,
                sync,
                prefix,
                counter: 0,
                buffer: Vec::new(),
            },
            leftovers,
        ))
    }

    /// Writes `batch` to a new segment and returns its path.
    pub fn write(&mut self, batch: &[Envelope]) -> io::Result<PathBuf> {
        self.counter += 1;
        let path = self.dir.join(format!(
            "{:032x}-{:010}.{EXTENSION}",
            self.prefix, self.counter
        ));
        self.buffer.clear();
        encode(batch, &mut self.buffer);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        file.write_all(&self.buffer)?;
        if self.sync {
            file.sync_data()?;
        }
        Ok(path)
    }

    /// Removes a settled segment.
    pub fn remove(&self, path: &Path) {
        if let Err(error) = fs::remove_file(path) {
            tracing::warn!(path = %path.display(), %error, "cannot remove a spool segment");
        }
    }
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
        assert_eq!(parse_segment(&bytes).events, batch);
        for cut in 0..bytes.len() {
            let segment = parse_segment(&bytes[..cut]);
            assert!(segment.events.len() < batch.len());
            assert_eq!(segment.events[..], batch[..segment.events.len()]);
        }
        let mut flipped = bytes.clone();
        let last = flipped.len() - 2;
        flipped[last] ^= 0xff;
        assert_eq!(parse_segment(&flipped).events, batch[..4]);
    }
}
