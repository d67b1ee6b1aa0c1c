//! `tongbao build [MONTH|--all]`: check, then write `out/YYYY-MM/circular.pdf` atomically.

use super::{Result, Status, month_or_latest, report};
use crate::args::{BuildArgs, Format};
use crate::diag;
use crate::pipeline::{Options, Outcome, Session};
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
    let mut session = Session::open(project, &options);
    let mut failed = false;
    let mut digester = Default::default();
    for month in &months {
        if issue::is_issued(project, month) {
            failed |= !issued(project, month, &mut session, &mut digester, args.format);
            continue;
        }
        let mut outcome = session.build(month);
        report(&mut outcome.diagnostics, args.format);
        if args.format == Format::Human {
            summary(project, month, &outcome, args.timings);
        }
        failed |= outcome.failed();
    }
    Ok(if failed { Status::Problems } else { Status::Clean })
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
        let t = &o.timings;
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        tell!(
            "用时（毫秒）：读取 {:.1}，检查 {:.1}，汇总 {:.1}，模板 {:.1}，排版 {:.1}，PDF {:.1}，写入 {:.1}",
            ms(t.load),
            ms(t.check),
            ms(t.aggregate),
            ms(t.render),
            ms(t.compile),
            ms(t.pdf),
            ms(t.write)
        );
    }
}
