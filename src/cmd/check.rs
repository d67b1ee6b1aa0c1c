//! `tongbao check [MONTH]`: for every month, what a build would report before Typst lays it out
//! (load → check → aggregate → render, the same functions `build` runs), and for issued months
//! whether they still give the circular that was issued. Exit 0 clean, 1 errors, 2 usage.

use super::{Result, month_arg, report, status};
use crate::args::{CheckArgs, Format};
use crate::diag::{self, Code, Diagnostic, Severity};
use crate::issue;
use crate::pipeline;
use crate::project::Project;

pub(crate) fn run(project: &Project, args: &CheckArgs) -> Result {
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
    diags.extend(pipeline::check_months(project, &months));
    diags.extend(frozen(project, &months));
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

/// Issued months must still give the circular that was issued.
fn frozen(project: &Project, months: &[String]) -> Vec<Diagnostic> {
    let issued: Vec<&String> = months.iter().filter(|m| issue::is_issued(project, m)).collect();
    if issued.is_empty() {
        return Vec::new();
    }
    let resolved = std::sync::Arc::new(pipeline::Resolved::configured(project));
    let mut session = None;
    let mut diags = Vec::new();
    for month in issued {
        if let issue::Frozen::Changed(mut d) = issue::verify(&resolved, month, &mut session) {
            diags.append(&mut d);
        }
    }
    diags
}
