//! JSON Lines files with rotation by size: the embedded default sink.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{write_lines, Envelope, Sink, SinkError};

/// Appends one envelope per line to a file; when the file would grow past
/// `max_file_bytes` it is rotated (`events.jsonl` -> `events.jsonl.1` ->
/// `events.jsonl.2`...), keeping `max_files` rotated files.
///
/// Each batch is written with a single `write` call, then flushed to the OS
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
    buffer: Vec<u8>,
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
            buffer: Vec::new(),
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
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.clear();
        write_lines(batch, &mut buffer);
        let result = (|| {
            self.open()?;
            if self.size > 0 && self.size + buffer.len() as u64 > self.max_file_bytes {
                self.rotate()?;
            }
            let sync = self.sync;
            let committed = self.size;
            let file = self.open()?;
            if let Err(error) = file.write_all(&buffer) {
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
            self.size += buffer.len() as u64;
            Ok::<(), std::io::Error>(())
        })();
        self.buffer = buffer;
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
