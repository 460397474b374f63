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

/// A commit takes no more requests once it holds this many bytes (of events
/// and failed-event lines): what the output copies of a commit (the JSON
/// Lines sink's buffer) stays near this size and the largest request, however
/// many requests queued up behind a stalled output, instead of a copy of
/// everything held in flight, which `--max-in-flight-bytes` does not count.
const MAX_COMMIT_BYTES: usize = 1 << 20;

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
        let mut bytes = 0;
        while let Some(job) = next.take() {
            bytes += job.failed.len()
                + job
                    .events
                    .iter()
                    .map(|event| event.json().len())
                    .sum::<usize>();
            events.extend(job.events);
            lines.push(job.failed);
            waiting.push(job.done);
            holds.push(job.held);
            if events.len() < MAX_COMMIT_EVENTS && bytes < MAX_COMMIT_BYTES {
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

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use analytics_core::client::SinkError;

    use super::*;
    use crate::serve::budget::Budget;

    /// Records the bytes of each batch it is given.
    struct Recording(Arc<Mutex<Vec<usize>>>);

    impl Sink for Recording {
        fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
            let bytes = batch.iter().map(|event| event.json().len()).sum();
            self.0.lock().unwrap().push(bytes);
            Ok(())
        }
        fn flush(&mut self) -> Result<(), SinkError> {
            Ok(())
        }
    }

    #[test]
    fn requests_queued_behind_a_stalled_output_are_committed_in_bounded_groups() {
        let dir = std::env::temp_dir().join(format!("analytics-writer-{}", std::process::id()));
        let failed = FailedFile::open(&dir.join("failed.jsonl")).unwrap();
        let metrics = Arc::new(Metrics::new());
        let budget = Budget::new(64 << 20, Arc::clone(&metrics));
        // Twenty requests of 300 KiB each wait in the queue (the output was
        // stalled) before the writer takes any: 6 MB in all.
        let (queue, jobs) = mpsc::channel(64);
        let mut answers = Vec::new();
        let event = vec![b'x'; 1000];
        for _ in 0..20 {
            let (done, answer) = oneshot::channel();
            let events = (0..300)
                .map(|_| Envelope::new(event.clone(), [1; 16], 0))
                .collect();
            let job = Job {
                events,
                failed: Vec::new(),
                held: budget.hold(),
                done,
            };
            queue.try_send(job).map_err(|_| ()).unwrap();
            answers.push(answer);
        }
        drop(queue);
        let batches = Arc::new(Mutex::new(Vec::new()));
        run(
            jobs,
            Box::new(Recording(Arc::clone(&batches))),
            failed,
            metrics,
        );
        for answer in answers {
            assert_eq!(answer.blocking_recv().unwrap(), Ok(()));
        }
        let batches = batches.lock().unwrap().clone();
        assert_eq!(batches.iter().sum::<usize>(), 20 * 300 * 1000);
        // Each commit stops taking requests at the bound: it is at most the
        // bound and one request more.
        assert!(batches.len() >= 5, "{batches:?}");
        for bytes in &batches {
            assert!(*bytes < MAX_COMMIT_BYTES + 300 * 1000, "{batches:?}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
