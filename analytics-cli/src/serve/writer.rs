//! The commits: the output (`Box<dyn Sink>`) and the failed-events file,
//! written so that a request is answered only once both of its parts are
//! durable. A request that finds nothing queued and nobody committing is
//! committed by its handler, on its own thread ([`Commits::try_commit`]:
//! no round trip to another thread, the body still in this core's cache);
//! otherwise the writer thread commits it, in a group with the others
//! queued ([`run`]). Both take the same lock, so commits never overlap.
//!
//! Each commit writes and syncs the failed-event lines first, then hands the
//! valid events to the output. When the output fails, the failed-event lines
//! of that commit are cut off again (the file is truncated back to where it
//! was), so the request's 503 leaves nothing behind and the client's retry
//! stores every event exactly once.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// A commit that takes longer than this (an fsync on a slow disk, a
/// forward over the network, a stalled output) sends the requests after it
/// to the writer thread until a commit is quick again: a handler commits
/// on a runtime thread, which must not be held up for long.
const QUICK_COMMIT: Duration = Duration::from_millis(2);

/// What commits: the output and the failed-events file, used by the writer
/// thread and by a request's handler that finds it idle
/// ([`Commits::try_commit`]).
pub(crate) struct Commits {
    state: Mutex<Committer>,
    /// The last commit took longer than [`QUICK_COMMIT`].
    slow: AtomicBool,
    /// Handlers may commit ([`Commits::try_commit`]).
    in_handler: bool,
}

struct Committer {
    output: Box<dyn Sink>,
    failed: FailedFile,
    metrics: Arc<Metrics>,
}

impl Commits {
    /// `in_handler`: whether [`try_commit`](Commits::try_commit) may
    /// commit at all (`Config::commit_in_handler`).
    pub(crate) fn new(
        output: Box<dyn Sink>,
        failed: FailedFile,
        metrics: Arc<Metrics>,
        in_handler: bool,
    ) -> Commits {
        Commits {
            state: Mutex::new(Committer {
                output,
                failed,
                metrics,
            }),
            slow: AtomicBool::new(false),
            in_handler,
        }
    }

    /// Commits `job` on the calling thread when nobody is committing and
    /// the last commit was quick: its answer is sent and its reservation
    /// given back, as the writer thread does. The job comes back otherwise
    /// (for the writer thread's queue).
    pub(crate) fn try_commit(&self, job: Job) -> Result<(), Job> {
        if !self.in_handler || self.slow.load(Ordering::Relaxed) {
            return Err(job);
        }
        let Ok(mut committer) = self.state.try_lock() else {
            return Err(job);
        };
        let result = self.commit(
            &mut committer,
            &job.events,
            std::slice::from_ref(&job.failed),
        );
        drop(committer);
        let _ = job.done.send(result);
        drop(job.held);
        Ok(())
    }

    fn commit(
        &self,
        committer: &mut Committer,
        events: &[Envelope],
        lines: &[Vec<u8>],
    ) -> Result<(), String> {
        let start = Instant::now();
        let result = commit(
            committer.output.as_mut(),
            &mut committer.failed,
            events,
            lines,
        );
        self.slow
            .store(start.elapsed() > QUICK_COMMIT, Ordering::Relaxed);
        match &result {
            Ok(()) => {
                committer.metrics.output_up.set(1);
            }
            Err(error) => {
                committer.metrics.output_errors.inc();
                committer.metrics.output_up.set(0);
                eprintln!("analytics serve: a write failed, answering 503: {error}");
            }
        }
        result
    }
}

/// Runs until every sender is dropped, then flushes the output.
pub(crate) fn run(mut jobs: mpsc::Receiver<Job>, commits: Arc<Commits>) {
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
        let result = match commits.state.lock() {
            Ok(mut committer) => commits.commit(&mut committer, &events, &lines),
            // A handler's commit panicked in the output.
            Err(_) => Err("the output panicked".to_owned()),
        };
        for done in waiting.drain(..) {
            // A request whose client went away no longer waits: nothing to tell.
            let _ = done.send(result.clone());
        }
        events.clear();
        lines.clear();
        holds.clear();
    }
    if let Ok(mut committer) = commits.state.lock() {
        if let Err(error) = committer.output.flush() {
            eprintln!("analytics serve: flushing the output failed: {error}");
        }
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
            Arc::new(Commits::new(
                Box::new(Recording(Arc::clone(&batches))),
                failed,
                metrics,
                true,
            )),
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

    /// Sleeps `delay` in each send, then fails when `fail` is set.
    struct Slow {
        delay: Duration,
        fail: Arc<AtomicBool>,
        sent: Arc<Mutex<usize>>,
    }

    impl Sink for Slow {
        fn send(&mut self, batch: &[Envelope]) -> Result<(), SinkError> {
            std::thread::sleep(self.delay);
            if self.fail.load(Ordering::Relaxed) {
                return Err(SinkError::retryable("the output is down"));
            }
            *self.sent.lock().unwrap() += batch.len();
            Ok(())
        }
    }

    fn job(budget: &Arc<Budget>, failed: &[u8]) -> (Job, oneshot::Receiver<Result<(), String>>) {
        let (done, answer) = oneshot::channel();
        let job = Job {
            events: vec![Envelope::new(b"{}".to_vec(), [1; 16], 0)],
            failed: failed.to_vec(),
            held: budget.hold(),
            done,
        };
        (job, answer)
    }

    #[test]
    fn a_handler_commits_when_nobody_does_and_leaves_it_to_the_writer_otherwise() {
        let dir = std::env::temp_dir().join(format!("analytics-inline-{}", std::process::id()));
        let path = dir.join("failed.jsonl");
        let metrics = Arc::new(Metrics::new());
        let budget = Budget::new(1 << 20, Arc::clone(&metrics));
        let fail = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(Mutex::new(0));
        let commits = Commits::new(
            Box::new(Slow {
                delay: Duration::ZERO,
                fail: Arc::clone(&fail),
                sent: Arc::clone(&sent),
            }),
            FailedFile::open(&path).unwrap(),
            Arc::clone(&metrics),
            true,
        );
        // (A commit that syncs the failed-events file may be slow on a busy
        // machine: this test is about the lock, so it is told quick.)
        let quick = || commits.slow.store(false, Ordering::Relaxed);
        // Idle: committed here, answered, both parts written.
        let (one, mut answer) = job(&budget, b"{\"reason\":\"x\"}\n");
        assert!(commits.try_commit(one).is_ok());
        assert_eq!(answer.try_recv().unwrap(), Ok(()));
        assert_eq!(*sent.lock().unwrap(), 1);
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"reason\":\"x\"}\n");

        // Someone else committing: the job comes back, unanswered.
        let guard = commits.state.lock().unwrap();
        let (two, mut answer) = job(&budget, b"");
        quick();
        let back = commits.try_commit(two).expect_err("the job back");
        assert!(answer.try_recv().is_err());
        drop(guard);
        quick();
        assert!(commits.try_commit(back).is_ok());
        assert_eq!(answer.try_recv().unwrap(), Ok(()));

        // A failing output: 503's error, and this commit's failed-event
        // lines cut back off the file.
        fail.store(true, Ordering::Relaxed);
        let (three, mut answer) = job(&budget, b"{\"reason\":\"y\"}\n");
        quick();
        assert!(commits.try_commit(three).is_ok());
        assert!(answer.try_recv().unwrap().is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"reason\":\"x\"}\n");
        assert_eq!(metrics.output_up.get(), 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn after_a_slow_commit_requests_go_to_the_writer_until_one_is_quick() {
        let dir = std::env::temp_dir().join(format!("analytics-slow-{}", std::process::id()));
        let metrics = Arc::new(Metrics::new());
        let budget = Budget::new(1 << 20, Arc::clone(&metrics));
        let commits = Arc::new(Commits::new(
            Box::new(Slow {
                delay: QUICK_COMMIT * 2,
                fail: Arc::new(AtomicBool::new(false)),
                sent: Arc::new(Mutex::new(0)),
            }),
            FailedFile::open(&dir.join("failed.jsonl")).unwrap(),
            Arc::clone(&metrics),
            true,
        ));
        let (one, mut answer) = job(&budget, b"");
        assert!(commits.try_commit(one).is_ok());
        assert_eq!(answer.try_recv().unwrap(), Ok(()));
        // That one was slow: the next is handed back, for the writer thread.
        let (two, answer) = job(&budget, b"");
        let two = commits.try_commit(two).expect_err("the job back");
        let (queue, jobs) = mpsc::channel(4);
        queue.try_send(two).map_err(|_| ()).unwrap();
        drop(queue);
        run(jobs, Arc::clone(&commits));
        assert_eq!(answer.blocking_recv().unwrap(), Ok(()));
        assert!(commits.slow.load(Ordering::Relaxed));
        // A quick commit (by the writer) lets handlers commit again.
        commits.state.lock().unwrap().output = Box::new(Recording(Arc::default()));
        let (queue, jobs) = mpsc::channel(4);
        let (three, answer) = job(&budget, b"");
        queue.try_send(three).map_err(|_| ()).unwrap();
        drop(queue);
        run(jobs, Arc::clone(&commits));
        assert_eq!(answer.blocking_recv().unwrap(), Ok(()));
        let (four, mut answer) = job(&budget, b"");
        assert!(commits.try_commit(four).is_ok());
        assert_eq!(answer.try_recv().unwrap(), Ok(()));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn without_commits_in_handlers_every_request_goes_to_the_writer() {
        let dir = std::env::temp_dir().join(format!("analytics-off-{}", std::process::id()));
        let metrics = Arc::new(Metrics::new());
        let budget = Budget::new(1 << 20, Arc::clone(&metrics));
        let commits = Commits::new(
            Box::new(Recording(Arc::default())),
            FailedFile::open(&dir.join("failed.jsonl")).unwrap(),
            Arc::clone(&metrics),
            false,
        );
        let (one, mut answer) = job(&budget, b"");
        commits.try_commit(one).expect_err("the job back");
        assert!(answer.try_recv().is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
