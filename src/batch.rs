//! Many months at once (`build --all`): on every core, sharing the fonts and Typst's caches, and
//! skipping the months whose inputs have not changed since their last build.
//!
//! How a month is known to be up to date: its last successful build left a stamp
//! (`out/YYYY-MM/.tongbao-stamp.json`) with tongbao's identity, the build options and the SHA-256
//! of every input the build reads — the month's files and the months it compares with, the registry,
//! the table descriptions, the configuration, the templates, the fonts and the assets: a projection
//! of the provenance manifest, from the same digests, computed once. The month is skipped only when
//! all of these are the same and its outputs are still there; a changed template, font, datum or
//! tongbao executable (version, code, or the Typst it was built with) rebuilds it. Each month is
//! loaded once: the same loaded month is stamped and, when it changed, built.
//! With the machine's fonts (`--system-fonts`), which are not digested, nothing is skipped.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::pipeline::{Outcome, Plan, Resolved, Session};
use crate::project::Project;

/// What a month's last successful build was made from.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Stamp {
    tool: String,
    plan: Plan,
    inputs: BTreeMap<String, String>,
}

fn stamp_path(project: &Project, month: &str) -> PathBuf {
    project.out_dir(month).join(".tongbao-stamp.json")
}

/// Which tongbao made a build (`provenance::tool_identity`).
fn tool() -> String {
    crate::provenance::tool_identity()
}

impl Stamp {
    /// The stamp of a build from `inputs` (their digests, as the build's manifest records them).
    fn of(plan: &Plan, inputs: BTreeMap<String, String>) -> Stamp {
        Stamp {
            tool: tool(),
            plan: plan.clone(),
            inputs,
        }
    }
}

/// What happened to one month.
pub(crate) struct Report {
    pub month: String,
    /// `None`: skipped, unchanged since its last build.
    pub built: Option<Built>,
}

pub(crate) struct Built {
    /// The month holds data only: checked, nothing built.
    pub data_only: bool,
    pub ok: bool,
    pub pages: usize,
    pub bytes: usize,
    pub elapsed: Duration,
    pub timings: crate::pipeline::Timings,
    pub diagnostics: Vec<Diagnostic>,
}

/// Builds `months` on up to `workers` threads, calling `done` for each month in the order of
/// `months` (a month built early waits for the ones before it), so that what is printed is the
/// same on every run. Months whose stamp matches are skipped unless `force`.
pub(crate) fn build(resolved: Arc<Resolved>, months: &[String], force: bool, workers: usize, done: impl FnMut(Report)) {
    let mut order = InOrder {
        months,
        next: 0,
        waiting: BTreeMap::new(),
        done,
    };
    run(resolved, months, force, workers, |r| order.arrived(r));
    // A month that never reported (a worker that died) must not hold back the others.
    for (_, r) in std::mem::take(&mut order.waiting) {
        (order.done)(r);
    }
}

/// Hands the reports on in the months' order.
struct InOrder<'m, F: FnMut(Report)> {
    months: &'m [String],
    next: usize,
    waiting: BTreeMap<usize, Report>,
    done: F,
}

impl<F: FnMut(Report)> InOrder<'_, F> {
    fn arrived(&mut self, report: Report) {
        let at = self
            .months
            .iter()
            .position(|m| *m == report.month)
            .unwrap_or(usize::MAX);
        self.waiting.insert(at, report);
        while let Some(r) = self.waiting.remove(&self.next) {
            (self.done)(r);
            self.next += 1;
        }
    }
}

/// Builds `months`, calling `done` as each finishes. Each worker loads a month, skips it when its
/// stamp matches, and builds what it loaded otherwise. The workers are jobs of rayon's pool, the
/// pool Typst lays pages out in: a worker's layout then runs on the worker's own thread rather
/// than waiting for a free thread of the pool (measured: BENCHMARKS.md).
fn run(resolved: Arc<Resolved>, months: &[String], force: bool, workers: usize, mut done: impl FnMut(Report)) {
    if months.is_empty() {
        return;
    }
    let project = resolved.project.clone();
    let workers = workers.clamp(1, months.len());
    let queue = Arc::new(Mutex::new(months.iter().cloned().collect::<VecDeque<String>>()));
    let (tx, rx) = mpsc::channel::<Finished>();
    // Months one after another share few cache entries: the caches are swept less often.
    crate::typeset::sweep_every(4);
    crate::limits::allocator::keep_freed();
    let base = Session::open(resolved);
    std::thread::scope(|scope| {
        let sessions: Vec<Session> = (0..workers)
            .map(|_| {
                let mut session = base.sharing();
                session.defer_writing();
                session
            })
            .collect();
        let pool_project = project.clone();
        scope.spawn(move || {
            rayon::scope(|pool| {
                for mut session in sessions {
                    let queue = queue.clone();
                    let tx = tx.clone();
                    let project = pool_project.clone();
                    pool.spawn(move |_| {
                        loop {
                            let next = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
                            let Some(month) = next else { break };
                            let report = one(&mut session, &project, month, force);
                            if tx.send(report).is_err() {
                                break;
                            }
                        }
                    });
                }
                drop(tx);
            });
        });
        // This thread writes each month's files while the workers go on with the next months.
        let plan = base.plan().clone();
        for finished in rx {
            let (report, stamp) = finish(&project, &plan, finished);
            if let Some(stamp) = stamp {
                write_stamp(&project, &report.month, &stamp);
            }
            done(report);
        }
    });
}

/// A month a worker is done with: skipped, or built with its files still to write.
enum Finished {
    Skipped(String),
    Built {
        month: String,
        outcome: Box<Outcome>,
        /// How long the worker took.
        took: Duration,
    },
}

/// One month of a batch: skipped when its stamp matches (unless `force`), else built (its files
/// left for [`finish`] to write).
fn one(session: &mut Session, project: &Project, month: String, force: bool) -> Finished {
    let started = Instant::now();
    let plan = session.plan().clone();
    let mut loaded = session.load(&month);
    // The machine's own fonts are not digested: with them nothing is known to be unchanged.
    if !force && !plan.system_fonts && loaded.data.is_some() {
        let inputs = session.digests(&month, &loaded.compared);
        let stamp = Stamp::of(&plan, inputs.clone());
        loaded.inputs = Some(inputs);
        let previous = std::fs::read(project.path(stamp_path(project, &month)))
            .ok()
            .and_then(|b| serde_json::from_slice::<Stamp>(&b).ok());
        let outputs_there = plan.files(project, &month).iter().all(|f| project.path(f).exists());
        if outputs_there && previous.as_ref() == Some(&stamp) {
            return Finished::Skipped(month);
        }
    }
    let mut outcome = session.build_loaded(loaded, &mut crate::pipeline::go_on);
    // The pages are not needed any more: their memory goes back now, not after the write.
    outcome.document = None;
    Finished::Built {
        month,
        outcome: Box::new(outcome),
        took: started.elapsed(),
    }
}

/// A month the workers are done with, its files written: its report, with the stamp to leave
/// when it was built.
fn finish(project: &Project, plan: &Plan, finished: Finished) -> (Report, Option<Stamp>) {
    let (month, mut outcome, took) = match finished {
        Finished::Skipped(month) => return (Report { month, built: None }, None),
        Finished::Built { month, outcome, took } => (month, outcome, took),
    };
    if !outcome.unwritten.is_empty() {
        // In turn: rayon's threads are the workers, busy with the next months.
        crate::pipeline::write_out(project, &month, &mut outcome, false);
    }
    let stamp = stamped(plan, &outcome);
    let built = Built {
        data_only: outcome.data_only,
        ok: !outcome.failed(),
        pages: outcome.pages,
        bytes: outcome.bytes,
        elapsed: took + outcome.timings.write,
        timings: outcome.timings,
        diagnostics: outcome.diagnostics,
    };
    (
        Report {
            month,
            built: Some(built),
        },
        stamp,
    )
}

/// The stamp a built month leaves: from the digests its build recorded (a file saved during the
/// build makes the next `--all` rebuild rather than skip); none when it failed.
fn stamped(plan: &Plan, outcome: &Outcome) -> Option<Stamp> {
    (outcome.pdf.is_some() && !outcome.inputs.is_empty()).then(|| Stamp::of(plan, outcome.inputs.clone()))
}

/// Builds one month with `session` and, when it succeeds, leaves its stamp so that a later `--all`
/// knows it (`build MONTH`).
pub(crate) fn build_one(session: &mut Session, project: &Project, month: &str) -> Outcome {
    let outcome = session.build(month);
    if let Some(stamp) = stamped(session.plan(), &outcome) {
        write_stamp(project, month, &stamp);
    }
    outcome
}

fn write_stamp(project: &Project, month: &str, stamp: &Stamp) {
    if let Ok(json) = serde_json::to_vec(stamp) {
        let _ = project.write_unsynced(&stamp_path(project, month), &json);
    }
}
