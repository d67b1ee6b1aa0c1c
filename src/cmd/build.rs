//! `tongbao build [MONTH|--all]`: check, then write `out/YYYY-MM/circular.pdf` atomically.

use super::{Result, Status, month_or_latest, report};
use crate::args::{BuildArgs, Format};
use crate::diag;
use crate::issue;
use crate::output::{Asked, pdf_path};
use crate::pipeline::{Outcome, Output, Plan, Session, Timings};
use crate::project::Project;
use crate::provenance::Digester;

pub(crate) fn run(project: &Project, args: &BuildArgs) -> Result {
    let months = if args.all {
        project.months()
    } else {
        vec![month_or_latest(project, args.month.as_deref())?]
    };
    let plan = plan(project, args)?;
    if args.all {
        return Ok(many(project, &months, &plan, args));
    }
    let mut session = Session::open(project, &plan);
    let mut failed = false;
    let mut digester = Default::default();
    for month in &months {
        if issue::is_issued(project, month) {
            failed |= !issued(project, month, &mut digester, args.format);
            continue;
        }
        let mut outcome = crate::batch::build_one(&mut session, project, month);
        report(&mut outcome.diagnostics, args.format);
        if args.format == Format::Human {
            summary(project, month, &outcome, args.timings);
        }
        failed |= outcome.failed();
    }
    Ok(if failed { Status::Problems } else { Status::Clean })
}

/// The build plan: the command line's choices over the configuration's.
pub(crate) fn plan(project: &Project, args: &BuildArgs) -> Result<Plan> {
    let asked = Asked {
        outputs: &args.outputs,
        pdf_standard: args.pdf_standard.as_deref(),
        untagged: args.untagged,
        system_fonts: args.fonts.system_fonts,
    };
    let config = crate::load::config::load(project, &mut Vec::new());
    Plan::resolve(&asked, &config, &mut Vec::new()).map_err(super::Error::Usage)
}

/// Every month: issued ones checked and copied, the others built on every core (unchanged ones
/// skipped). One line a month, a progress line on a terminal, then the warnings summed up by kind;
/// `--verbose` shows every diagnostic, and a failed month's errors are always shown.
fn many(project: &Project, months: &[String], plan: &Plan, args: &BuildArgs) -> Status {
    use std::io::IsTerminal;
    let started = std::time::Instant::now();
    let mut failed = 0usize;
    let (mut built, mut skipped, mut data_only) = (0usize, 0usize, 0usize);
    let mut kinds: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let mut total_time = Timings::default();
    let mut digester = Default::default();
    let (issued_months, others): (Vec<String>, Vec<String>) =
        months.iter().cloned().partition(|m| issue::is_issued(project, m));
    for month in &issued_months {
        if !issued(project, month, &mut digester, args.format) {
            failed += 1;
        }
    }
    let total = others.len();
    let terminal = std::io::stderr().is_terminal() && args.format == Format::Human;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut seen = 0usize;
    crate::batch::build(project, &others, plan, args.force, workers, |r| {
        seen += 1;
        if terminal {
            use std::io::Write as _;
            let _ = write!(std::io::stderr().lock(), "\r\x1b[2K");
        }
        match r.built {
            None => {
                skipped += 1;
                if args.format == Format::Human {
                    tell!("{}  未改变，跳过", r.month);
                }
            }
            Some(mut b) => {
                total_time += &b.timings;
                let (errors, warnings) = diag::counts(&b.diagnostics);
                for d in b.diagnostics.iter().filter(|d| !d.is_error()) {
                    *kinds.entry(d.code).or_default() += 1;
                }
                if args.verbose || args.format == Format::Json {
                    report(&mut b.diagnostics, args.format);
                } else if !b.ok {
                    let mut errs: Vec<_> = b.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
                    report(&mut errs, args.format);
                }
                if args.format == Format::Human {
                    if b.data_only && b.ok {
                        tell!("{}  仅数据（没有通报.txt，供其他月份比较），已检查", r.month);
                    } else if b.ok {
                        tell!(
                            "{}  已生成  {} 页  {} KiB  {} ms  {warnings} 个警告",
                            r.month,
                            b.pages,
                            b.bytes / 1024,
                            b.elapsed.as_millis()
                        );
                    } else {
                        tell!("{}  失败：{errors} 个错误（上次生成的文件保持不变）", r.month);
                    }
                }
                if b.data_only && b.ok {
                    data_only += 1;
                } else if b.ok {
                    built += 1;
                } else {
                    failed += 1;
                }
            }
        }
        if terminal && seen < total {
            use std::io::Write as _;
            let _ = write!(std::io::stderr().lock(), "[{seen}/{total}] 生成中…");
        }
    });
    if args.format == Format::Human {
        let by_kind: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let warnings = if by_kind.is_empty() {
            String::new()
        } else {
            format!("；警告按类别：{}", by_kind.join("、"))
        };
        tell!(
            "共 {} 个月份：生成 {built}，未改变跳过 {skipped}，已发布 {}，仅数据 {data_only}，失败 {failed}；用时 {:.1} 秒{warnings}",
            months.len(),
            issued_months.len(),
            started.elapsed().as_secs_f64()
        );
        if !args.verbose && !kinds.is_empty() {
            tell!("（--verbose 列出每条警告）");
        }
        if args.timings && built + failed > 0 {
            // Summed over the worker threads: CPU time per stage, not wall time.
            let n = u32::try_from(built + failed).unwrap_or(u32::MAX);
            tell!("各阶段平均用时（毫秒/月，各线程合计）：{}", stages(&total_time, n));
        }
    }
    if failed > 0 { Status::Problems } else { Status::Clean }
}

/// An issued month: its output is the issued PDF, as long as the month still gives that circular;
/// otherwise nothing is written. Returns whether it went well.
fn issued(project: &Project, month: &str, digester: &mut Digester, format: Format) -> bool {
    let mut rebuilt = None;
    match issue::verify(project, month, &mut rebuilt, digester) {
        issue::Frozen::Unchanged(bytes) => {
            let out = pdf_path(project, month);
            match project.write(&out, &bytes) {
                Ok(()) => {
                    if format == Format::Human {
                        tell!("{month} 已发布，未改变：{} 即发布的 PDF", out.display());
                    }
                    true
                }
                Err(e) => {
                    tell!("错误：无法写入 {}：{e}", out.display());
                    false
                }
            }
        }
        issue::Frozen::Changed(mut diags) => {
            report(&mut diags, format);
            tell!("{month} 未生成：已发布的通报不能改变，out/{month}/ 保持不变");
            false
        }
    }
}

fn summary(project: &Project, month: &str, o: &Outcome, timings: bool) {
    let (errors, warnings) = diag::counts(&o.diagnostics);
    if o.data_only && errors == 0 {
        tell!("{month} 仅数据（没有通报.txt）：表格已检查，不生成通报；它供其他月份的“较上月”“较去年同期”使用");
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
            tell!(
                "已生成 {}（{} 页，{} KiB，用时 {} ms{warned}）",
                pdf.display(),
                o.pages,
                o.bytes / 1024,
                total.as_millis(),
            );
            for other in &o.outputs {
                let what = Output::ALL
                    .into_iter()
                    .find(|x| x.paths(project, month).contains(other))
                    .map_or("", Output::describe);
                tell!("已生成 {}（{what}）", other.display());
            }
            tell!("字体：");
            for f in &o.fonts {
                tell!("  {}", f.describe());
            }
        }
        None => {
            let previous = if project.path(pdf_path(project, month)).exists() {
                "，上次生成的 PDF 保持不变"
            } else {
                ""
            };
            tell!("{month} 未生成：{errors} 个错误{previous}");
        }
    }
    if timings {
        tell!("用时（毫秒）：{}", stages(&o.timings, 1));
    }
}

/// The time of each stage in milliseconds, divided by `months` (an average over a batch).
fn stages(t: &Timings, months: u32) -> String {
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0 / f64::from(months.max(1));
    format!(
        "读取 {:.1}，检查 {:.1}，汇总 {:.1}，模板 {:.1}，排版 {:.1}，PDF {:.1}，写入 {:.1}",
        ms(t.load),
        ms(t.check),
        ms(t.aggregate),
        ms(t.render),
        ms(t.compile),
        ms(t.pdf),
        ms(t.write)
    )
}
