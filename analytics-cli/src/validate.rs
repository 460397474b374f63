//! `analytics validate EVENTS.jsonl --plan PLAN.json [--failed OUT.jsonl]`:
//! checks every event of a JSON Lines file against a tracking plan, with the
//! semantics of the derived `validate()`, and prints a summary per event type
//! and per failure reason. Exit 1 when any event failed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use analytics_core::failed::{FailedEvent, FailureReason};
use analytics_core::ingest::{Line, PlanValidator};
use anyhow::Context as _;

use crate::plan_file;

/// Files at least this big get a progress bar (when stderr is a terminal).
const PROGRESS_FROM_BYTES: u64 = 4 << 20;

/// Failures printed on stderr when no `--failed` file is given.
const SHOWN_FAILURES: usize = 20;

/// Arguments of `analytics validate`.
#[derive(clap::Args)]
pub struct Args {
    /// The JSON Lines file: one envelope or one `{"events":[..]}` batch per
    /// line (`-` reads standard input).
    pub events: PathBuf,
    /// The tracking plan JSON (`TrackingPlan::to_json`).
    #[arg(long)]
    pub plan: PathBuf,
    /// Where to write one failed-event line per failed event.
    #[arg(long)]
    pub failed: Option<PathBuf>,
    /// Fail events longer than this many bytes as `too_large`.
    #[arg(long)]
    pub max_event_bytes: Option<usize>,
    /// The top-level envelope key of the producer's message id
    /// (`ClientBuilder::message_id_key(KEY)`): not an unknown key. Repeat for
    /// several; giving it replaces the default.
    #[arg(
        long = "message-id-key",
        value_name = "KEY",
        default_value = "message_id"
    )]
    pub message_id_keys: Vec<String>,
}

/// The counts `validate` prints.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Events checked.
    pub events: u64,
    /// Events that passed.
    pub accepted: u64,
    /// Per event type (`None`: no type could be read): accepted, failed.
    pub by_type: BTreeMap<Option<String>, (u64, u64)>,
    /// Failed events per reason.
    pub by_reason: BTreeMap<FailureReason, u64>,
}

impl Summary {
    /// Events that failed.
    pub fn failed(&self) -> u64 {
        self.events - self.accepted
    }

    fn accept(&mut self, event_type: &str) {
        self.events += 1;
        self.accepted += 1;
        self.by_type
            .entry(Some(event_type.to_owned()))
            .or_default()
            .0 += 1;
    }

    fn fail(&mut self, failed: &FailedEvent) {
        self.events += 1;
        self.by_type.entry(failed.event_type.clone()).or_default().1 += 1;
        *self.by_reason.entry(failed.reason).or_default() += 1;
    }

    /// The printed report: totals, a table per event type, the reasons, and
    /// the checks the plan names that cannot run on arrival.
    pub fn render(&self, validator: &PlanValidator) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{} events: {} valid, {} failed",
            self.events,
            self.accepted,
            self.failed()
        );
        if !self.by_type.is_empty() {
            let width = self
                .by_type
                .keys()
                .map(|name| name.as_deref().map_or(9, str::len))
                .max()
                .unwrap_or(0);
            let _ = writeln!(out, "\nby event type:");
            for (name, (accepted, failed)) in &self.by_type {
                let name = name.as_deref().unwrap_or("(no type)");
                let _ = writeln!(
                    out,
                    "  {name:<width$}  {accepted:>8} valid  {failed:>8} failed"
                );
            }
        }
        if !self.by_reason.is_empty() {
            let _ = writeln!(out, "\nby failure reason:");
            for (reason, count) in &self.by_reason {
                let _ = writeln!(out, "  {:<18}  {count:>8}", reason.as_str());
            }
        }
        let not_checkable = validator.not_checkable();
        if !not_checkable.is_empty() {
            let _ = writeln!(
                out,
                "\nnot checkable on arrival (only the producer's code runs these):"
            );
            for item in not_checkable {
                let at = if item.path.is_empty() {
                    String::new()
                } else {
                    format!(" at {}", item.path)
                };
                let _ = writeln!(out, "  {}{at}: {} {}", item.event, item.rule, item.function);
            }
        }
        out
    }
}

/// Validates every event of the file; exit 1 when any failed.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let plan = plan_file::read(&args.plan)?;
    let mut validator = PlanValidator::new(&plan)
        .map_err(|error| anyhow::anyhow!("{}: {error}", args.plan.display()))?
        .with_message_id_keys(args.message_id_keys);
    if let Some(limit) = args.max_event_bytes {
        validator = validator.with_max_event_bytes(limit);
    }
    let (input, length): (Box<dyn Read>, u64) = if args.events.as_os_str() == "-" {
        (Box::new(std::io::stdin().lock()), 0)
    } else {
        let file = File::open(&args.events)
            .with_context(|| format!("cannot read {}", args.events.display()))?;
        let length = file.metadata().map_or(0, |metadata| metadata.len());
        (Box::new(file), length)
    };
    let progress = if length >= PROGRESS_FROM_BYTES && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(length);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
            )
            .expect("a valid template"),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut failed_out = match &args.failed {
        Some(path) => {
            Some(BufWriter::new(File::create(path).with_context(|| {
                format!("cannot create {}", path.display())
            })?))
        }
        None => None,
    };
    let mut shown = 0usize;
    let mut on_failed = |failed: &FailedEvent, line: u64| -> anyhow::Result<()> {
        match &mut failed_out {
            Some(out) => out
                .write_all(failed.to_json_line().as_bytes())
                .context("cannot write the failed events")?,
            None => {
                if shown < SHOWN_FAILURES {
                    let errors: Vec<String> = failed
                        .errors
                        .iter()
                        .map(|error| {
                            if error.path.is_empty() {
                                error.message.clone()
                            } else {
                                format!("{}: {}", error.path, error.message)
                            }
                        })
                        .collect();
                    progress.suspend(|| {
                        eprintln!("line {line}: {}: {}", failed.reason, errors.join("; "))
                    });
                }
                shown += 1;
            }
        }
        Ok(())
    };
    let summary = check_lines(
        &validator,
        BufReader::with_capacity(1 << 16, input),
        |read| progress.inc(read),
        &mut on_failed,
    )?;
    progress.finish_and_clear();
    if let Some(mut out) = failed_out {
        out.flush().context("cannot write the failed events")?;
    } else if shown > SHOWN_FAILURES {
        eprintln!(
            "... and {} more (write them all with --failed FILE)",
            shown - SHOWN_FAILURES
        );
    }
    print!("{}", summary.render(&validator));
    Ok(if summary.failed() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Checks every line of `input`; `on_failed` gets each failed event with its
/// line number (from 1), `on_read` the bytes consumed.
pub fn check_lines(
    validator: &PlanValidator,
    mut input: impl BufRead,
    mut on_read: impl FnMut(u64),
    mut on_failed: impl FnMut(&FailedEvent, u64) -> anyhow::Result<()>,
) -> anyhow::Result<Summary> {
    let mut summary = Summary::default();
    let mut line = Vec::new();
    let mut number = 0u64;
    loop {
        line.clear();
        let read = input
            .read_until(b'\n', &mut line)
            .context("cannot read the events")?;
        if read == 0 {
            break;
        }
        number += 1;
        on_read(read as u64);
        let text = trim(&line);
        if text.is_empty() {
            continue;
        }
        let received_at = crate::now_ms();
        match validator.check_line(text, received_at) {
            Line::Event(Ok(accepted)) => summary.accept(accepted.event_type),
            Line::Event(Err(failed)) => {
                summary.fail(&failed);
                on_failed(&failed, number)?;
            }
            Line::Batch(items) => {
                for item in items {
                    match validator.check_event(item.get().as_bytes(), received_at) {
                        Ok(accepted) => summary.accept(accepted.event_type),
                        Err(failed) => {
                            summary.fail(&failed);
                            on_failed(&failed, number)?;
                        }
                    }
                }
            }
        }
    }
    Ok(summary)
}

/// The line without its line break and surrounding ASCII white space.
fn trim(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|byte| !byte.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|byte| !byte.is_ascii_whitespace())
        .map_or(start, |end| end + 1);
    &line[start..end]
}
