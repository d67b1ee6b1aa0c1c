//! `tongbao build [MONTH|--all]`: check, then write `out/YYYY-MM/circular.pdf` atomically.

use super::{Result, Status, month_or_latest, report};
use crate::args::{BuildArgs, Format};
use crate::diag;
use crate::pipeline::{Options, Outcome, Session, Timings};
use crate::project::Project;
use crate::provenance::Digester;
use crate::{issue, output};

pub(crate) fn run(project: &Project, args: &BuildArgs) -> Result {
    let months = if args.all {
        project.months()
    } else {
        vec![month_or_latest(project, args.month.as_deref())?]
    };
    let outputs: Vec<String> = if args.outputs.is_empty() {
        crate::load::config::load(project, &mut Vec::new())
            .outputs
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        args.outputs.iter().map(|s| s.trim().to_ascii_lowercase()).collect()
    };
    let known = crate::load::config::OUTPUTS;
    if let Some(bad) = outputs.iter().find(|o| *o != "all" && !known.contains(&o.as_str())) {
        return Err(super::Error::Usage(format!(
            "未知的输出“{bad}”；可用：{}、all",
            known.join("、")
        )));
    }
    let all = outputs.iter().any(|o| o == "all");
    let options = Options {
        system_fonts: args.fonts.system_fonts,
        tagged: args.tagged,
        html: all || outputs.iter().any(|o| o == "html"),
        docx: all || outputs.iter().any(|o| o == "docx"),
        pdf_standard: match args.pdf_standard.as_deref() {
            Some("a-2b") => Some(crate::pipeline::PdfStandard::A2b),
            Some("a-3b") => Some(crate::pipeline::PdfStandard::A3b),
            _ => None,
        },
    };
    if args.all {
        return Ok(many(project, &months, &options, args));
    }
    let mut session = Session::open(project, &options);
    let mut failed = false;
    let mut digester = Default::default();
    for month in &months {
        if issue::is_issued(project, month) {
            failed |= !issued(project, month, &mut session, &mut digester, args.format);
            continue;
        }
        let mut outcome = crate::batch::build_one(&mut session, project, month, &options);
        report(&mut outcome.diagnostics, args.format);
        if args.format == Format::Human {
            summary(project, month, &outcome, args.timings);
        }
        failed |= outcome.failed();
    }
    Ok(if failed { Status::Problems } else { Status::Clean })
}

/// Every month: issued ones checked and copied, the others built on every core (unchanged ones
/// skipped). One line a month, a progress line on a terminal, then the warnings summed up by kind;
/// `--verbose` shows every diagnostic, and a failed month's errors are always shown.
fn many(project: &Project, months: &[String], options: &Options, args: &BuildArgs) -> Status {
    use std::io::IsTerminal;
    let started = std::time::Instant::now();
    let mut failed = 0usize;
    let (mut built, mut skipped) = (0usize, 0usize);
    let mut kinds: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let mut total_time = Timings::default();
    let mut digester = Default::default();
    let mut session = None::<Session>;
    let (issued_months, others): (Vec<String>, Vec<String>) =
        months.iter().cloned().partition(|m| issue::is_issued(project, m));
    for month in &issued_months {
        let mut s = session.take().unwrap_or_else(|| Session::open(project, options));
        if !issued(project, month, &mut s, &mut digester, args.format) {
            failed += 1;
        }
        session = Some(s);
    }
    let total = others.len();
    let terminal = std::io::stderr().is_terminal() && args.format == Format::Human;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut seen = 0usize;
    crate::batch::build(project, &others, options, args.force, workers, |r| {
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
                    if b.ok {
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
                if b.ok {
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
            "共 {} 个月份：生成 {built}，未改变跳过 {skipped}，已发布 {}，失败 {failed}；用时 {:.1} 秒{warnings}",
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
fn issued(project: &Project, month: &str, session: &mut Session, digester: &mut Digester, format: Format) -> bool {
    let mut rebuilt = None;
    match issue::verify(project, month, &mut rebuilt, digester) {
        issue::Frozen::Unchanged => {
            let out = project.pdf(month);
            let copied = std::fs::read(issue::issued_pdf(project, month))
                .and_then(|bytes| output::write_atomic(&project.path(&out), &bytes));
            match copied {
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
            let _ = session;
            tell!("{month} 未生成：已发布的通报不能改变，out/{month}/ 保持不变");
            false
        }
    }
}

fn summary(project: &Project, month: &str, o: &Outcome, timings: bool) {
    let (errors, warnings) = diag::counts(&o.diagnostics);
    match &o.pdf {
        Some(pdf) => {
            let t = &o.timings;
            let total = t.load + t.check + t.aggregate + t.render + t.compile + t.pdf + t.write;
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
                tell!("已生成 {}", other.display());
            }
            tell!("字体：");
            for f in &o.fonts {
                tell!("  {}", f.describe());
            }
        }
        None => {
            let previous = if project.path(project.pdf(month)).exists() {
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
