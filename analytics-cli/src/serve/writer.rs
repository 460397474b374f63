//! The one thread that writes: the output (`Box<dyn Sink>`) and the
//! failed-events file, in group commits, so that a request is answered only
//! once both of its parts are durable.
//!
//! Each commit writes and syncs the failed-event lines first, then hands the
//! valid events to the output. When the output fails, the failed-event lines
//! of that commit are cut off again (the file is truncated back to where it
//! was), so the request's 503 leaves nothing behind and the client's retry
//! stores every event exactly once.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use analytics_core::client::{Envelope, Sink};
use tokio::sync::{mpsc, oneshot};

use super::budget::Held;
use super::metrics::Metrics;

/// At most this many events go into one commit.
const MAX_COMMIT_EVENTS: usize = 20_000;

/// The part of one request that must be stored.
pub(crate) struct Job {
    /// The valid events, for the output.
    pub(crate) events: Vec<Envelope>,
    /// The failed-event lines, each ending in `\n`.
    pub(crate) failed: Vec<u8>,
    /// The bytes reserved for the request: given back once committed.
    pub(crate) held: Held,
    /// `Ok` once both are durable; the error otherwise.
    pub(crate) done: oneshot::Sender<Result<(), String>>,
}

/// The failed-events file: append-only, synced on each commit.
pub(crate) struct FailedFile {
    path: PathBuf,
    file: File,
    len: u64,
}

impl FailedFile {
    /// Opens (or creates) the file for appending.
    pub(crate) fn open(path: &Path) -> std::io::Result<FailedFile> {
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let len = file.metadata()?.len();
        Ok(FailedFile {
            path: path.to_owned(),
            file,
            len,
        })
    }

    /// Appends and syncs `parts` (each whole lines).
    fn append(&mut self, parts: &[Vec<u8>]) -> std::io::Result<()> {
        let bytes: usize = parts.iter().map(Vec::len).sum();
        if bytes == 0 {
            return Ok(());
        }
        let result = parts
            .iter()
            .try_for_each(|part| self.file.write_all(part))
            .and_then(|()| self.file.sync_data());
        match result {
            Ok(()) => {
                self.len += bytes as u64;
                Ok(())
            }
            Err(error) => {
                let _ = self.truncate(self.len);
                Err(error)
            }
        }
    }

    /// Cuts the file back to `len` bytes.
    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        self.file.set_len(len)?;
        self.file.sync_data()?;
        self.len = len;
        Ok(())
    }
}

/// Runs until every sender is dropped, then flushes the output.
pub(crate) fn run(
    mut jobs: mpsc::Receiver<Job>,
    mut output: Box<dyn Sink>,
    mut failed: FailedFile,
    metrics: Arc<Metrics>,
) {
    let mut events: Vec<Envelope> = Vec::new();
    // The requests' failed-event lines, not copied: each job's own buffer.
    let mut lines: Vec<Vec<u8>> = Vec::new();
    let mut waiting: Vec<oneshot::Sender<Result<(), String>>> = Vec::new();
    let mut holds: Vec<Held> = Vec::new();
    while let Some(first) = jobs.blocking_recv() {
        let mut next = Some(first);
        while let Some(job) = next.take() {
            events.extend(job.events);
            lines.push(job.failed);
            waiting.push(job.done);
            holds.push(job.held);
            if events.len() < MAX_COMMIT_EVENTS {
                next = jobs.try_recv().ok();
            }
        }
        let result = commit(output.as_mut(), &mut failed, &events, &lines);
        match &result {
            Ok(()) => {
                metrics.output_up.set(1);
            }
            Err(error) => {
                metrics.output_errors.inc();
                metrics.output_up.set(0);
                eprintln!("analytics serve: a write failed, answering 503: {error}");
            }
        }
        for done in waiting.drain(..) {
            // A request whose client went away no longer waits: nothing to tell.
            let _ = done.send(result.clone());
        }
        events.clear();
        lines.clear();
        holds.clear();
    }
    if let Err(error) = output.flush() {
        eprintln!("analytics serve: flushing the output failed: {error}");
    }
}

fn commit(
    output: &mut dyn Sink,
    failed: &mut FailedFile,
    events: &[Envelope],
    lines: &[Vec<u8>],
) -> Result<(), String> {
    let mark = failed.len;
    failed
        .append(lines)
        .map_err(|error| format!("the failed-events file {}: {error}", failed.path.display()))?;
    if events.is_empty() {
        return Ok(());
    }
    if let Err(error) = output.send(events) {
        // Nothing of this commit may stay: the client will send it again.
        if let Err(undo) = failed.truncate(mark) {
            eprintln!(
                "analytics serve: cannot undo the failed-event lines of a failed commit in {}: {undo}",
                failed.path.display()
            );
        }
        return Err(format!("the output ({}): {error}", output.name()));
    }
    Ok(())
}
