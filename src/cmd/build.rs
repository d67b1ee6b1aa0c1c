//! `tongbao build [MONTH|--all]`: check, then write `out/YYYY-MM/circular.pdf` atomically.

use std::sync::Arc;

use serde::Serialize;

use super::{Result, Status, month_or_latest, report};
use crate::args::{BuildArgs, Format};
use crate::diag::{self, Code, Diagnostic, Severity};
use crate::issue;
use crate::output::{Asked, pdf_path};
use crate::pipeline::{Outcome, Output, Resolved, Session, Timings};
use crate::project::Project;

pub(crate) fn run(project: &Project, args: &BuildArgs) -> Result {
    let months = if args.all {
        project.months()
    } else {
        vec![month_or_latest(project, args.month.as_deref())?]
    };
    let resolved = Arc::new(resolve(project, args)?);
    if args.all {
        return Ok(many(resolved, &months, args));
    }
    if args.draft {
        return Ok(draft(resolved, &months[0], args));
    }
    let mut session = None;
    let mut failed = false;
    for month in &months {
        if project.is_issued(month) {
            let mut record = issued(&resolved, month, args.format);
            if args.format == Format::Json {
                report(&mut record.diagnostics, args.format);
            }
            failed |= record.status == FAILED;
            continue;
        }
        let session = session.get_or_insert_with(|| Session::open(resolved.clone()));
        let mut outcome = crate::batch::build_one(session, project, month);
        report(&mut outcome.diagnostics, args.format);
        if args.format == Format::Human {
            summary(project, month, &outcome, args.timings);
        }
        failed |= outcome.failed();
    }
    Ok(if failed { Status::Problems } else { Status::Clean })
}

/// `build --draft`: the month as it is, as a draft PDF beside the circular's files, with every
/// problem listed; fails only when no draft could be made.
fn draft(resolved: Arc<Resolved>, month: &str, args: &BuildArgs) -> Status {
    let mut session = Session::open(resolved);
    let loaded = session.load(month);
    let mut outcome = session.build_draft(loaded, &mut crate::pipeline::go_on);
    report(&mut outcome.diagnostics, args.format);
    if args.format == Format::Human {
        match (&outcome.pdf, &outcome.draft) {
            (Some(pdf), Some(label)) => say!("{label}；已生成 {}，共 {} 页", pdf.display(), outcome.pages),
            _ if outcome.data_only => say!("{month} 只有数据（没有通报.txt），没有草稿可生成"),
            _ => say!("{month} 的草稿未能生成（见上面的错误）"),
        }
    }
    if outcome.pdf.is_some() {
        Status::Clean
    } else {
        Status::Problems
    }
}

/// What the command builds from: the command line's choices over the configuration's, and
/// everything every month shares, read once.
pub(crate) fn resolve(project: &Project, args: &BuildArgs) -> Result<Resolved> {
    let asked = Asked {
        outputs: args.outputs.clone(),
        pdf_standard: args.pdf_standard,
        untagged: args.untagged,
        system_fonts: args.fonts.system_fonts,
    };
    Resolved::read(project, &asked).map_err(super::Error::Usage)
}

/// What became of one month in `build --all`: a line for people, a record of the JSON document.
#[derive(Serialize)]
struct Record {
    month: String,
    /// `built`, `unchanged` (skipped: inputs as at its last build), `issued` (the issued PDF),
    /// `data-only` (checked, nothing to build) or `failed`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pages: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<usize>,
    errors: usize,
    warnings: usize,
    /// Sorted by place, errors first; none for an unchanged month (it was not checked again).
    diagnostics: Vec<Diagnostic>,
    /// Wall time of the month's build (people only: it differs on every run).
    #[serde(skip)]
    millis: u128,
    /// The files an issued month's outputs are (people only).
    #[serde(skip)]
    files: Vec<String>,
}

const BUILT: &str = "built";
const UNCHANGED: &str = "unchanged";
const ISSUED: &str = "issued";
const DATA_ONLY: &str = "data-only";
const FAILED: &str = "failed";

impl Record {
    fn new(month: &str, status: &'static str, mut diagnostics: Vec<Diagnostic>) -> Record {
        diag::sort(&mut diagnostics);
        let (errors, warnings) = diag::counts(&diagnostics);
        Record {
            month: month.to_string(),
            status,
            pages: None,
            bytes: None,
            errors,
            warnings,
            diagnostics,
            millis: 0,
            files: Vec::new(),
        }
    }

    fn from_batch(report: crate::batch::Report, timings: &mut Timings) -> Record {
        let Some(b) = report.built else {
            return Record::new(&report.month, UNCHANGED, Vec::new());
        };
        *timings += &b.timings;
        let status = match (b.ok, b.data_only) {
            (false, _) => FAILED,
            (true, true) => DATA_ONLY,
            (true, false) => BUILT,
        };
        let mut record = Record::new(&report.month, status, b.diagnostics);
        if status == BUILT {
            record.pages = Some(b.pages);
            record.bytes = Some(b.bytes);
        }
        record.millis = b.elapsed.as_millis();
        record
    }

    /// The month's line, on stdout; its errors (all its diagnostics with `--verbose`) on stderr.
    fn show(&self, verbose: bool) {
        let mut shown: Vec<Diagnostic> = if verbose {
            self.diagnostics.clone()
        } else {
            self.diagnostics.iter().filter(|d| d.is_error()).cloned().collect()
        };
        report(&mut shown, Format::Human);
        let (month, warnings) = (&self.month, self.warnings);
        match self.status {
            UNCHANGED => say!("{month}  未改变，跳过"),
            DATA_ONLY => say!("{month}  仅数据（没有通报.txt，供其他月份比较），已检查"),
            BUILT => say!(
                "{month}  已生成  {} 页  {} KiB  {} ms  {warnings} 个警告",
                self.pages.unwrap_or(0),
                self.bytes.unwrap_or(0) / 1024,
                self.millis
            ),
            ISSUED => say!("{month}  已发布，未改变：{} 即发布的文件", self.files.join("、")),
            _ => say!("{month}  失败：{} 个错误（上次生成的文件保持不变）", self.errors),
        }
    }
}

/// The warnings of the records summed by kind, in the kinds' order.
fn kinds(records: &[Record]) -> std::collections::BTreeMap<Code, usize> {
    let mut kinds = std::collections::BTreeMap::new();
    for d in records.iter().flat_map(|r| &r.diagnostics).filter(|d| !d.is_error()) {
        *kinds.entry(d.code).or_default() += 1;
    }
    kinds
}

/// Every month: issued ones checked and copied, the others built on every core (unchanged ones
/// skipped). For people, one line a month on stdout in month order (errors on stderr, a progress
/// line on a terminal), then the warnings summed by kind; with `--format json`, one document on
/// stdout: a record per month in month order and the summary, the same on every run of the same
/// inputs (no times in it).
fn many(resolved: Arc<Resolved>, months: &[String], args: &BuildArgs) -> Status {
    use std::io::IsTerminal;
    let started = std::time::Instant::now();
    let human = args.format == Format::Human;
    let mut total_time = Timings::default();
    let project = resolved.project.clone();
    let (issued_months, others): (Vec<String>, Vec<String>) =
        months.iter().cloned().partition(|m| project.is_issued(m));
    let mut records: Vec<Record> = issued_months
        .iter()
        .map(|m| issued(&resolved, m, args.format))
        .collect();
    let total = others.len();
    let terminal = std::io::stderr().is_terminal() && human;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut seen = 0usize;
    crate::batch::build(resolved, &others, args.force, workers, |r| {
        seen += 1;
        if terminal {
            use std::io::Write as _;
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
        let record = Record::from_batch(r, &mut total_time);
        if human {
            record.show(args.verbose);
        }
        records.push(record);
        if terminal && seen < total {
            use std::io::Write as _;
            let _ = write!(std::io::stderr().lock(), "[{seen}/{total}] 生成中…");
        }
    });
    records.sort_by(|a, b| a.month.cmp(&b.month));
    let failed = records.iter().filter(|r| r.status == FAILED).count();
    if human {
        totals(&records, started.elapsed(), args);
        let built = records.iter().filter(|r| matches!(r.status, BUILT | FAILED)).count();
        if args.timings && built > 0 {
            // Summed over the worker threads: CPU time per stage, not wall time.
            let n = u32::try_from(built).unwrap_or(u32::MAX);
            say!("各阶段平均用时（毫秒/月，各线程合计）：{}", total_time.describe(n));
        }
    } else {
        document(&records);
    }
    if failed > 0 { Status::Problems } else { Status::Clean }
}

/// How many months ended how.
fn count(records: &[Record], status: &str) -> usize {
    records.iter().filter(|r| r.status == status).count()
}

/// The summary line for people, with the warnings by kind in Chinese.
fn totals(records: &[Record], elapsed: std::time::Duration, args: &BuildArgs) {
    let kinds = kinds(records);
    let by_kind: Vec<String> = kinds.iter().map(|(k, n)| format!("{} {n}", k.name())).collect();
    let warnings = if by_kind.is_empty() {
        String::new()
    } else {
        format!("；警告按类别：{}", by_kind.join("、"))
    };
    say!(
        "共 {} 个月份：生成 {}，未改变跳过 {}，已发布 {}，仅数据 {}，失败 {}；用时 {:.1} 秒{warnings}",
        records.len(),
        count(records, BUILT),
        count(records, UNCHANGED),
        count(records, ISSUED),
        count(records, DATA_ONLY),
        count(records, FAILED),
        elapsed.as_secs_f64()
    );
    if !args.verbose && !kinds.is_empty() {
        tell!("（--verbose 列出每条警告）");
    }
}

/// `build --all --format json`: one document on stdout.
fn document(records: &[Record]) {
    let kinds: Vec<serde_json::Value> = kinds(records)
        .into_iter()
        .map(|(code, n)| serde_json::json!({"code": code, "name": code.name(), "count": n}))
        .collect();
    let doc = serde_json::json!({
        "months": records,
        "summary": {
            "months": records.len(),
            "built": count(records, BUILT),
            "unchanged": count(records, UNCHANGED),
            "issued": count(records, ISSUED),
            "data_only": count(records, DATA_ONLY),
            "failed": count(records, FAILED),
            "warnings_by_kind": kinds,
        }
    });
    say!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
}

/// An issued month in a build's report: its outputs are the issued files ([`place_issued`]).
/// For people its line is printed here.
fn issued(resolved: &Arc<Resolved>, month: &str, format: Format) -> Record {
    let record = match place_issued(resolved, month) {
        Ok(files) => {
            let mut record = Record::new(month, ISSUED, Vec::new());
            record.files = files;
            record
        }
        Err(diags) => Record::new(month, FAILED, diags),
    };
    if format == Format::Human {
        record.show(false);
        if record.status == FAILED {
            tell!("{month} 未生成：已发布的通报不能改变，out/{month}/ 保持不变");
        }
    }
    record
}

/// Places an issued month's outputs: the issued files, as long as the month still gives that
/// circular ([`issue::verify`]); otherwise nothing is written and the errors name what changed in
/// the circular's terms. Every command that writes a month's outputs (build, the hooks, watch)
/// places an issued month's through this; the files written are returned.
pub(super) fn place_issued(resolved: &Arc<Resolved>, month: &str) -> std::result::Result<Vec<String>, Vec<Diagnostic>> {
    let mut rebuilt = None;
    let project = &resolved.project;
    match issue::verify(resolved, month, &mut rebuilt) {
        issue::Frozen::Unchanged(files) => {
            let mut done = Vec::new();
            for (output, bytes) in &files {
                let out = project.out_dir(month).join(output.files()[0]);
                if let Err(e) = project.write(&out, bytes) {
                    let message = format!("无法写入 {}：{e}", out.display());
                    return Err(vec![Diagnostic::general(Severity::Error, e.code(), message)]);
                }
                done.push(out.display().to_string());
            }
            Ok(done)
        }
        issue::Frozen::Changed(mut diags) => {
            super::check::name_changes(project, month, &mut diags);
            Err(diags)
        }
    }
}

fn summary(project: &Project, month: &str, o: &Outcome, timings: bool) {
    let (errors, warnings) = diag::counts(&o.diagnostics);
    if o.data_only && errors == 0 {
        say!("{month} 仅数据（没有通报.txt）：表格已检查，不生成通报；它供其他月份的“较上月”“较去年同期”使用");
        return;
    }
    match &o.pdf {
        Some(pdf) => {
            let total = o.timings.total();
            let warned = if warnings > 0 {
                format!("，{warnings} 个警告")
            } else {
                String::new()
            };
            say!(
                "已生成 {}（{} 页，{} KiB，用时 {} ms{warned}）",
                pdf.display(),
                o.pages,
                o.bytes / 1024,
                total.as_millis(),
            );
            for other in &o.outputs {
                let what = Output::all()
                    .iter()
                    .find(|x| x.paths(project, month).contains(other))
                    .map(|o| o.describe())
                    .unwrap_or_default();
                say!("已生成 {}（{what}）", other.display());
            }
            // The faces in full only when asked for (`--timings`) or when a role has none; otherwise
            // one line (`tongbao fonts` lists them).
            let missing = o.fonts.iter().any(|f| f.chosen.is_none());
            if timings || missing {
                say!("字体：");
                for f in &o.fonts {
                    say!("  {}", f.describe());
                }
            } else if !o.fonts.is_empty() {
                let stand_ins = o
                    .fonts
                    .iter()
                    .filter(|f| f.chosen.as_ref().is_some_and(|c| !c.official))
                    .count();
                match stand_ins {
                    0 => say!("字体：{} 个角色都用了正式字体", o.fonts.len()),
                    n => say!(
                        "字体：{} 个角色中 {n} 个用了代用字体（tongbao fonts 查看详情）",
                        o.fonts.len()
                    ),
                }
            }
        }
        None => {
            let previous = if project.path(pdf_path(project, month)).exists() {
                "，上次生成的文件保持不变"
            } else {
                ""
            };
            tell!("{month} 未生成：{errors} 个错误{previous}");
        }
    }
    if timings {
        say!("用时（毫秒）：{}", o.timings.describe(1));
    }
}
