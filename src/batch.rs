//! Many months at once (`build --all`): on every core, sharing the fonts and Typst's caches, and
//! skipping the months whose inputs have not changed since their last build.
//!
//! How a month is known to be up to date: its last successful build left a stamp
//! (`out/YYYY-MM/.tongbao-stamp.json`) with tongbao's version, the build options and the SHA-256
//! of every input the build reads — the month's files and the months it compares with, the registry,
//! the table descriptions, the configuration, the templates, the fonts and the assets (the same list
//! the provenance manifest records). The month is skipped only when all of these are the same and
//! its outputs are still there; a changed template, font, datum or tongbao executable (version,
//! code, or the Typst it was built with) rebuilds it.
//! With the machine's fonts (`--system-fonts`), which are not digested, nothing is skipped.
//! Digests are cached by size and modification time, as git's index does, so a run over ten years
//! of months with nothing changed reads little more than the file system's metadata.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::diag::Diagnostic;
use crate::pipeline::{Outcome, Plan, Session};
use crate::project::Project;
use crate::provenance::Digester;

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

fn current(project: &Project, month: &str, plan: &Plan, tool: &str, digester: &mut Digester) -> Stamp {
    Stamp {
        tool: tool.to_string(),
        plan: plan.clone(),
        inputs: digester.digests(project, month),
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
pub(crate) fn build(
    project: &Project,
    months: &[String],
    plan: &Plan,
    force: bool,
    workers: usize,
    done: impl FnMut(Report),
) {
    let mut order = InOrder {
        months,
        next: 0,
        waiting: BTreeMap::new(),
        done,
    };
    run(project, months, plan, force, workers, |r| order.arrived(r));
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

/// Builds `months`, calling `done` as each finishes (skipped ones first).
fn run(project: &Project, months: &[String], plan: &Plan, force: bool, workers: usize, mut done: impl FnMut(Report)) {
    let mut digester = Digester::default();
    let tool = tool();
    let mut queue = VecDeque::new();
    let mut stamps = BTreeMap::new();
    for month in months {
        let stamp = current(project, month, plan, &tool, &mut digester);
        let previous = std::fs::read(project.path(stamp_path(project, month)))
            .ok()
            .and_then(|b| serde_json::from_slice::<Stamp>(&b).ok());
        let outputs_there = plan.files(project, month).iter().all(|f| project.path(f).exists());
        // The machine's own fonts are not digested: with them nothing is known to be unchanged.
        if !force && !plan.system_fonts && outputs_there && previous.as_ref() == Some(&stamp) {
            done(Report {
                month: month.clone(),
                built: None,
            });
        } else {
            queue.push_back(month.clone());
            stamps.insert(month.clone(), stamp);
        }
    }
    if queue.is_empty() {
        return;
    }
    let workers = workers.clamp(1, queue.len());
    let queue = Arc::new(Mutex::new(queue));
    let (tx, rx) = mpsc::channel::<Report>();
    let base = Session::open(project, plan);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let queue = queue.clone();
            let tx = tx.clone();
            let mut session = base.sharing();
            scope.spawn(move || {
                loop {
                    let next = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
                    let Some(month) = next else { break };
                    let started = Instant::now();
                    let outcome = session.build(&month);
                    let built = Built {
                        data_only: outcome.data_only,
                        ok: !outcome.failed(),
                        pages: outcome.pages,
                        bytes: outcome.bytes,
                        elapsed: started.elapsed(),
                        timings: outcome.timings,
                        diagnostics: outcome.diagnostics,
                    };
                    if tx
                        .send(Report {
                            month,
                            built: Some(built),
                        })
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for report in rx {
            if report.built.as_ref().is_some_and(|b| b.ok && !b.data_only)
                && let Some(stamp) = stamps.get(&report.month)
            {
                write_stamp(project, &report.month, stamp);
            }
            done(report);
        }
    });
}

/// Builds one month with `session` and, when it succeeds, leaves its stamp so that a later `--all`
/// knows it (`build MONTH`). The stamp describes the inputs as they were before the build: a file
/// saved during the build makes the next `--all` rebuild rather than skip.
pub(crate) fn build_one(session: &mut Session, project: &Project, month: &str) -> Outcome {
    let stamp = current(project, month, session.plan(), &tool(), &mut Digester::default());
    let outcome = session.build(month);
    if outcome.pdf.is_some() {
        write_stamp(project, month, &stamp);
    }
    outcome
}

fn write_stamp(project: &Project, month: &str, stamp: &Stamp) {
    if let Ok(json) = serde_json::to_vec(stamp) {
        let _ = project.write_unsynced(&stamp_path(project, month), &json);
    }
}
