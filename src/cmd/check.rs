//! `tongbao check [MONTH]`: for every month, what a build would report before Typst lays it out
//! (load → check → aggregate → render, the same functions `build` runs), and for issued months
//! whether they still give the circular that was issued. Exit 0 clean, 1 errors, 2 usage.

use super::{Result, Status, month_arg, report, status};
use crate::args::{CheckArgs, Format};
use crate::diag::{self, Code, Diagnostic, Severity};
use crate::issue;
use crate::pipeline;
use crate::project::Project;

pub(crate) fn run(project: &Project, args: &CheckArgs) -> Result {
    // git is asked (the history of the issue records) while the data is read and checked.
    let git = crate::provenance::GitProbe::history(project);
    let (months, mut diags) = match &args.month {
        Some(m) => (vec![month_arg(project, m)?], Vec::new()),
        None => match project.month_dirs() {
            Ok(all) => (all, Vec::new()),
            Err(e) => (
                Vec::new(),
                vec![
                    Diagnostic::general(
                        Severity::Error,
                        Code::Io,
                        format!("无法读取 data 文件夹：{}", crate::project::io_reason(&e)),
                    )
                    .help("请在项目根目录（含 data/ 和 templates/ 的文件夹）中运行 tongbao"),
                ],
            ),
        },
    };
    let resolved = std::sync::Arc::new(pipeline::Resolved::configured(project));
    diags.extend(pipeline::check_resolved(&resolved, &months));
    diags.extend(frozen(&resolved, &months, &git));
    if args.ready {
        return Ok(ready(&months[0], &diags, &resolved.blocking, args.format));
    }
    let (errors, warnings) = diag::counts(&diags);
    report(&mut diags, args.format);
    if args.format == Format::Human {
        if errors == 0 && warnings == 0 {
            say!("检查通过：{} 个月份，没有发现问题", months.len());
        } else {
            say!("检查完成：{errors} 个错误，{warnings} 个警告");
        }
    }
    Ok(status(&diags))
}

/// Adds to the refusal of a changed issued month what changed in the circular's terms: each
/// figure of its tables by table, unit and column, old → new, as `tongbao diff` names it (from
/// the commit that recorded the issue to the files on disk). Nothing when git cannot tell.
pub(super) fn name_changes(project: &Project, month: &str, diags: &mut [Diagnostic]) {
    let Some(refusal) = diags.iter_mut().find(|d| d.code == Code::IssuedChanged) else {
        return;
    };
    let Ok(mut repo) = crate::audit::repo::Repo::open(project.root()) else {
        return;
    };
    let record = pipeline::slashed(&issue::record_path(project, month));
    let Some(issued_at) = repo.log(&record).ok().and_then(|c| c.last().map(|c| c.hash.clone())) else {
        return;
    };
    let Ok(tables) = crate::audit::tables_since(&mut repo, project, &issued_at, month) else {
        return;
    };
    let mut lines: Vec<String> = Vec::new();
    for t in &tables {
        lines.extend(t.figures.iter().map(|f| {
            let value = |v: Option<crate::load::number::Num>| v.map_or("（无）".to_string(), |n| n.to_string());
            format!(
                "{} · {} · {}：{} → {}",
                t.name,
                f.unit,
                f.label,
                value(f.old),
                value(f.new)
            )
        }));
        lines.extend(t.added.iter().map(|u| format!("{} · 新增单位 {u}", t.name)));
        lines.extend(t.removed.iter().map(|u| format!("{} · 删除单位 {u}", t.name)));
    }
    if lines.is_empty() {
        return;
    }
    let shown = lines.len().min(10);
    let more = if lines.len() > shown {
        format!(" 等 {} 处", lines.len())
    } else {
        String::new()
    };
    refusal.message = format!(
        "{}；发布后改动的数字：{}{more}",
        refusal.message,
        lines[..shown].join("；")
    );
}

/// `check --ready MONTH`: what stands between the month and its issue ([`check::not_ready`]),
/// each at its place; exit 0 when nothing does.
fn ready(month: &str, diags: &[Diagnostic], blocking: &[Code], format: Format) -> Status {
    let mut blocking = crate::check::not_ready(diags, blocking);
    let n = blocking.len();
    report(&mut blocking, format);
    if format == Format::Human {
        if n == 0 {
            say!("{month} 可以发布：没有错误、待填、示例数字，也没有发布前须解决的警告");
        } else {
            say!("{month} 还不能发布：{n} 个问题须先解决（见上）");
        }
    }
    if n == 0 { Status::Clean } else { Status::Problems }
}

/// Issued months must still give the circular that was issued, and a month issued once keeps
/// its record unless withdrawn (`git`: the probe started when the command began, which asked the
/// history meanwhile). What the pre-commit hook asks too.
pub(super) fn frozen(
    resolved: &std::sync::Arc<pipeline::Resolved>,
    months: &[String],
    git: &crate::provenance::GitProbe,
) -> Vec<Diagnostic> {
    let project = &resolved.project;
    let issued: Vec<&String> = months.iter().filter(|m| project.is_issued(m)).collect();
    let mut diags: Vec<Diagnostic> = months.iter().filter_map(|m| git.lost_record(project, m)).collect();
    let mut session = None;
    for month in issued {
        if let issue::Frozen::Changed(mut d) = issue::verify(resolved, month, &mut session) {
            name_changes(project, month, &mut d);
            diags.append(&mut d);
        }
    }
    diags
}
