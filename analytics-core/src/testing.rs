//! Test helpers: the tracking-plan snapshot guard.
//!
//! Commit the plan's JSON (and, if you like, its Markdown) and guard it with
//! one test:
//!
//! ```no_run
//! #[test]
//! fn tracking_plan_is_compatible() {
//!     analytics_core::testing::assert_plan_compatible_with_markdown(
//!         "tracking-plan.json",
//!         "tracking-plan.md",
//!     );
//! }
//! ```
//!
//! The test compares the current plan (every event linked into the test
//! binary: reference your events so they are linked in) with the committed
//! snapshot, and:
//!
//! - **fails** on a breaking change (see [`crate::plan::PlanDiff`]) in an event
//!   whose `version` was not raised, printing the diff report;
//! - **passes** otherwise. When the plan changed (compatible changes, or
//!   breaking ones with a raised version) it rewrites the snapshot so that the
//!   change shows in `git diff`, except in CI (`CI` set), where it leaves the
//!   files alone and prints a note;
//! - **creates** a missing snapshot and passes, except in CI, where a missing
//!   snapshot fails;
//! - with `ANALYTICS_PLAN_UPDATE=1`, accepts any change, breaking or not, and
//!   rewrites the snapshot (like `INSTA_UPDATE`): the way to acknowledge a
//!   breaking change on purpose, such as removing an event.
//!
//! The Markdown file, when given, is rewritten whenever it differs from the
//! current plan's rendering (outside CI); it is documentation and never fails
//! the test. Paths are relative to the working directory, which for
//! `cargo test` is the package's root.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::plan::{PlanDiff, PlanError, TrackingPlan};

/// Compares the plan of every event linked into the binary with the JSON
/// snapshot at `path`: panics with the diff report on a breaking change whose
/// event version was not raised. See the [module documentation](self).
#[track_caller]
pub fn assert_plan_compatible(path: impl AsRef<Path>) {
    PlanSnapshot::new(path).assert();
}

/// [`assert_plan_compatible`], also keeping the Markdown rendering at
/// `markdown_path` up to date.
#[track_caller]
pub fn assert_plan_compatible_with_markdown(
    path: impl AsRef<Path>,
    markdown_path: impl AsRef<Path>,
) {
    PlanSnapshot::new(path).markdown(markdown_path).assert();
}

/// [`assert_plan_compatible`] for an explicit plan instead of the catalog's.
#[track_caller]
pub fn assert_plan_compatible_with(plan: &TrackingPlan, path: impl AsRef<Path>) {
    PlanSnapshot::new(path).plan(plan.clone()).assert();
}

/// The snapshot guard with every setting explicit (the `assert_*` functions
/// are shorthands for it).
///
/// ```no_run
/// use analytics_core::testing::PlanSnapshot;
/// use analytics_core::TrackingPlan;
///
/// let plan = TrackingPlan::from_json(&std::fs::read_to_string("new.json").unwrap()).unwrap();
/// let outcome = PlanSnapshot::new("committed.json")
///     .plan(plan)
///     .update(false)
///     .ci(true)
///     .check();
/// assert!(outcome.is_ok());
/// ```
#[derive(Debug, Clone)]
pub struct PlanSnapshot {
    path: PathBuf,
    markdown_path: Option<PathBuf>,
    plan: Option<TrackingPlan>,
    update: bool,
    ci: bool,
}

/// What [`PlanSnapshot::check`] did when the plan is acceptable.
#[derive(Debug, Clone, PartialEq)]
pub enum SnapshotOutcome {
    /// The snapshot matches the plan.
    Unchanged,
    /// There was no snapshot: it was written.
    Created,
    /// The plan changed acceptably (or `update` was set): the snapshot was rewritten.
    Updated(PlanDiff),
    /// The plan changed acceptably but the snapshot was left as it was (CI).
    Stale(PlanDiff),
}

/// Why [`PlanSnapshot::check`] refused the plan.
#[derive(Debug)]
pub enum SnapshotError {
    /// Breaking changes in events whose version was not raised.
    Breaking {
        /// The snapshot file.
        path: PathBuf,
        /// The whole diff (its report lists every change).
        diff: PlanDiff,
    },
    /// No snapshot, and in CI it is not created.
    Missing {
        /// The snapshot file.
        path: PathBuf,
    },
    /// The snapshot is not a tracking plan.
    Invalid {
        /// The snapshot file.
        path: PathBuf,
        /// What is wrong with it.
        error: PlanError,
    },
    /// Reading or writing a file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
}

impl fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SnapshotError::Breaking { path, diff } => {
                let unacknowledged = diff.unacknowledged_breaking_changes();
                writeln!(
                    f,
                    "the tracking plan has {} breaking change{} in events whose version was not raised (snapshot {}):",
                    unacknowledged.len(),
                    if unacknowledged.len() == 1 { "" } else { "s" },
                    path.display()
                )?;
                for change in unacknowledged {
                    writeln!(f, "  {change}")?;
                }
                writeln!(f)?;
                writeln!(f, "{diff}")?;
                write!(
                    f,
                    "Raise the `version` of each event named above (#[analytics(version = N)]), \
                     or accept the change on purpose with ANALYTICS_PLAN_UPDATE=1."
                )
            }
            SnapshotError::Missing { path } => write!(
                f,
                "no tracking-plan snapshot at {} (in CI it is not created): \
                 run the test locally, or with ANALYTICS_PLAN_UPDATE=1, and commit it",
                path.display()
            ),
            SnapshotError::Invalid { path, error } => write!(
                f,
                "the snapshot {} cannot be read: {error} \
                 (rewrite it with ANALYTICS_PLAN_UPDATE=1)",
                path.display()
            ),
            SnapshotError::Io { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for SnapshotError {}

fn env_flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|value| {
        let value = value.to_string_lossy().to_ascii_lowercase();
        !matches!(value.as_str(), "" | "0" | "false" | "no" | "off")
    })
}

impl PlanSnapshot {
    /// The guard of the JSON snapshot at `path`, for the catalog's plan, with
    /// `update` from `ANALYTICS_PLAN_UPDATE` and `ci` from `CI`.
    pub fn new(path: impl AsRef<Path>) -> PlanSnapshot {
        PlanSnapshot {
            path: path.as_ref().to_owned(),
            markdown_path: None,
            plan: None,
            update: env_flag("ANALYTICS_PLAN_UPDATE"),
            ci: env_flag("CI"),
        }
    }

    /// Also keep the Markdown rendering at this path.
    pub fn markdown(mut self, path: impl AsRef<Path>) -> PlanSnapshot {
        self.markdown_path = Some(path.as_ref().to_owned());
        self
    }

    /// Check this plan instead of the catalog's.
    pub fn plan(mut self, plan: TrackingPlan) -> PlanSnapshot {
        self.plan = Some(plan);
        self
    }

    /// Accept every change and rewrite the snapshot (`ANALYTICS_PLAN_UPDATE=1`).
    pub fn update(mut self, update: bool) -> PlanSnapshot {
        self.update = update;
        self
    }

    /// Running in CI: never write files, and fail on a missing snapshot (`CI`).
    pub fn ci(mut self, ci: bool) -> PlanSnapshot {
        self.ci = ci;
        self
    }

    /// Runs the check; see the [module documentation](self).
    pub fn check(&self) -> Result<SnapshotOutcome, SnapshotError> {
        let catalog;
        let plan = match &self.plan {
            Some(plan) => plan,
            None => {
                catalog = TrackingPlan::from_catalog();
                &catalog
            }
        };
        let outcome = self.check_json(plan)?;
        if let Some(markdown_path) = &self.markdown_path {
            self.sync_markdown(plan, markdown_path)?;
        }
        Ok(outcome)
    }

    fn check_json(&self, plan: &TrackingPlan) -> Result<SnapshotOutcome, SnapshotError> {
        let existing = match std::fs::read_to_string(&self.path) {
            Ok(text) => Some(text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                return Err(SnapshotError::Io {
                    path: self.path.clone(),
                    error,
                })
            }
        };
        let Some(existing) = existing else {
            if self.ci && !self.update {
                return Err(SnapshotError::Missing {
                    path: self.path.clone(),
                });
            }
            self.write(&self.path, &plan.to_json())?;
            return Ok(SnapshotOutcome::Created);
        };
        let old = match TrackingPlan::from_json(&existing) {
            Ok(old) => old,
            Err(_) if self.update => TrackingPlan::default(),
            Err(error) => {
                return Err(SnapshotError::Invalid {
                    path: self.path.clone(),
                    error,
                })
            }
        };
        let diff = TrackingPlan::diff(&old, plan);
        let json = plan.to_json();
        if self.update {
            if same_text(&existing, &json) {
                return Ok(SnapshotOutcome::Unchanged);
            }
            self.write(&self.path, &json)?;
            return Ok(SnapshotOutcome::Updated(diff));
        }
        if !diff.unacknowledged_breaking_changes().is_empty() {
            return Err(SnapshotError::Breaking {
                path: self.path.clone(),
                diff,
            });
        }
        if same_text(&existing, &json) {
            Ok(SnapshotOutcome::Unchanged)
        } else if self.ci {
            Ok(SnapshotOutcome::Stale(diff))
        } else {
            self.write(&self.path, &json)?;
            Ok(SnapshotOutcome::Updated(diff))
        }
    }

    fn sync_markdown(&self, plan: &TrackingPlan, path: &Path) -> Result<(), SnapshotError> {
        let markdown = plan.to_markdown();
        let current = std::fs::read_to_string(path).ok();
        if current.is_some_and(|current| same_text(&current, &markdown)) {
            return Ok(());
        }
        if self.ci && !self.update {
            eprintln!(
                "note: {} is out of date with the tracking plan (not rewritten in CI)",
                path.display()
            );
            return Ok(());
        }
        self.write(path, &markdown)
    }

    fn write(&self, path: &Path, text: &str) -> Result<(), SnapshotError> {
        let io = |error| SnapshotError::Io {
            path: path.to_owned(),
            error,
        };
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        std::fs::write(path, text).map_err(io)
    }

    /// Runs the check and panics with the report when it fails; prints a
    /// note when it wrote a file or found the snapshot stale.
    #[track_caller]
    pub fn assert(&self) {
        match self.check() {
            Ok(SnapshotOutcome::Unchanged) => {}
            Ok(SnapshotOutcome::Created) => eprintln!(
                "note: wrote the tracking-plan snapshot {}: commit it",
                self.path.display()
            ),
            Ok(SnapshotOutcome::Updated(diff)) => eprintln!(
                "note: updated the tracking-plan snapshot {}: commit it\n{diff}",
                self.path.display()
            ),
            Ok(SnapshotOutcome::Stale(diff)) => eprintln!(
                "note: the tracking-plan snapshot {} is out of date (not rewritten in CI); \
                 run the test locally and commit it\n{diff}",
                self.path.display()
            ),
            Err(error) => panic!("{error}"),
        }
    }
}

/// Equal up to line endings (a checkout may turn `\n` into `\r\n`).
fn same_text(a: &str, b: &str) -> bool {
    a.replace("\r\n", "\n") == b.replace("\r\n", "\n")
}
