//! JSON Lines files with rotation by size: the embedded default sink.

use std::fs::{self, File, OpenOptions};
use std::io::{IoSlice, Write};
use std::path::{Path, PathBuf};

use super::{Envelope, Sink, SinkError};

/// Appends one envelope per line to a file; when the file would grow past
/// `max_file_bytes` it is rotated (`events.jsonl` -> `events.jsonl.1` ->
/// `events.jsonl.2`...), keeping `max_files` rotated files.
///
/// Each batch is written straight from the envelopes' bytes (`writev`, one
/// call per 512 lines, no copy into a buffer first), then flushed to the OS
/// (and `fsync`ed when [`sync`](JsonLinesSink::sync) is on). A write that
/// fails part way (disk full) is cut back, so the file only ever holds whole
/// lines; the batch is retried by the policy. Files are created 0600 on Unix.
#[derive(Debug)]
pub struct JsonLinesSink {
    path: PathBuf,
    max_file_bytes: u64,
    max_files: usize,
    sync: bool,
    file: Option<File>,
    size: u64,
}

impl JsonLinesSink {
    /// A sink appending to `path` (created with its parent directories on
    /// first write); rotation at 64 MiB, 5 rotated files kept, no fsync.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JsonLinesSink {
            path: path.into(),
            max_file_bytes: 64 << 20,
            max_files: 5,
            sync: false,
            file: None,
            size: 0,
        }
    }

    /// Rotates when the file would grow past this many bytes.
    pub fn max_file_bytes(mut self, bytes: u64) -> Self {
        self.max_file_bytes = bytes.max(1);
        self
    }

    /// How many rotated files to keep (older ones are deleted); `0` keeps none.
    pub fn max_files(mut self, files: usize) -> Self {
        self.max_files = files;
        self
    }

    /// `fsync` after every batch (durable against power loss, slower).
    pub fn sync(mut self, sync: bool) -> Self {
        self.sync = sync;
        self
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn rotated(&self, index: usize) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(format!(".{index}"));
        PathBuf::from(name)
    }

    fn open(&mut self) -> std::io::Result<&mut File> {
        if self.file.is_none() {
            if let Some(parent) = self.path.parent() {
                if !parent.as_os_str().is_empty() {
                    fs::create_dir_all(parent)?;
                }
            }
            let file = crate::client::spool::create_private(
                &self.path,
                OpenOptions::new().create(true).append(true),
            )?;
            self.size = file.metadata()?.len();
            self.file = Some(file);
        }
        Ok(self.file.as_mut().unwrap_or_else(|| unreachable!()))
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        self.file = None;
        if self.max_files == 0 {
            fs::remove_file(&self.path)?;
        } else {
            let _ = fs::remove_file(self.rotated(self.max_files));
            for index in (1..self.max_files).rev() {
                let from = self.rotated(index);
                if from.exists() {
                    fs::rename(&from, self.rotated(index + 1))?;
                }
            }
            fs::rename(&self.path, self.rotated(1))?;
        }
        self.size = 0;
        tracing::debug!(path = %self.path.display(), "rotated the JSON Lines file");
        Ok(())
    }
}

impl Sink for JsonLinesSink {
    fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
        let bytes: u64 = batch
            .iter()
            .map(|envelope| envelope.json().len() as u64 + 1)
            .sum();
        let result = (|| {
            self.open()?;
            if self.size > 0 && self.size + bytes > self.max_file_bytes {
                self.rotate()?;
            }
            let sync = self.sync;
            let committed = self.size;
            let file = self.open()?;
            if let Err(error) = write_lines_vectored(file, batch) {
                // A short write (disk full) must not leave half a line: cut
                // the file back to its last whole line.
                if let Err(cut) = file.set_len(committed) {
                    tracing::error!(%cut, "cannot cut a failed JSON Lines write back");
                }
                return Err(error);
            }
            if sync {
                file.sync_data()?;
            }
            self.size += bytes;
            Ok::<(), std::io::Error>(())
        })();
        if result.is_err() {
            // Reopen on the next attempt (the file may have been removed).
            self.file = None;
        }
        result.map_err(SinkError::from)
    }

    fn flush(&mut self) -> Result<(), SinkError> {
        if let Some(file) = &mut self.file {
            file.flush()?;
        }
        Ok(())
    }

    fn name(&self) -> &str {
        "jsonl"
    }
}

/// Envelopes written per `writev` call: each is two slices (its bytes and
/// the line break), and Linux takes at most 1024 slices a call.
const LINES_PER_WRITE: usize = 512;

/// Writes each envelope of `batch` followed by `\n` into `out`, straight
/// from the envelopes' bytes (one `writev` per [`LINES_PER_WRITE`] lines, no
/// copy into a buffer first: a collector's batch is the bytes of its request
/// bodies).
fn write_lines_vectored(out: &mut impl Write, batch: &[Envelope]) -> std::io::Result<()> {
    let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(2 * batch.len().min(LINES_PER_WRITE));
    for chunk in batch.chunks(LINES_PER_WRITE) {
        slices.clear();
        for envelope in chunk {
            slices.push(IoSlice::new(envelope.json()));
            slices.push(IoSlice::new(b"\n"));
        }
        let mut left = &mut slices[..];
        while !left.is_empty() {
            match out.write_vectored(left) {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(written) => IoSlice::advance_slices(&mut left, written),
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes at most `step` bytes a call, and fails every third call with
    /// `Interrupted` (which must be retried).
    struct Trickle {
        written: Vec<u8>,
        step: usize,
        calls: usize,
    }

    impl Write for Trickle {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.write_vectored(&[IoSlice::new(bytes)])
        }

        fn write_vectored(&mut self, slices: &[IoSlice<'_>]) -> std::io::Result<usize> {
            assert!(
                slices.len() <= 2 * LINES_PER_WRITE,
                "{} slices",
                slices.len()
            );
            self.calls += 1;
            if self.calls % 3 == 0 {
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            let mut left = self.step;
            for slice in slices {
                let take = slice.len().min(left);
                self.written.extend_from_slice(&slice[..take]);
                left -= take;
                if left == 0 {
                    break;
                }
            }
            Ok(self.step - left)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn vectored_lines_come_out_whole_through_short_and_interrupted_writes() {
        let batch: Vec<Envelope> = (0..LINES_PER_WRITE * 2 + 3)
            .map(|index| Envelope::new(format!("{{\"n\":{index}}}").into_bytes(), [1; 16], 0))
            .collect();
        let mut expected = Vec::new();
        for envelope in &batch {
            expected.extend_from_slice(envelope.json());
            expected.push(b'\n');
        }
        for step in [1, 7, 4096, usize::MAX / 2] {
            let mut out = Trickle {
                written: Vec::new(),
                step,
                calls: 0,
            };
            write_lines_vectored(&mut out, &batch).unwrap();
            assert_eq!(out.written, expected, "step {step}");
        }
    }

    #[test]
    fn a_writer_that_takes_nothing_is_an_error_not_a_loop() {
        struct Full;
        impl Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Ok(0)
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let batch = [Envelope::new(b"{}".to_vec(), [1; 16], 0)];
        let error = write_lines_vectored(&mut Full, &batch).unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::WriteZero);
    }
}
