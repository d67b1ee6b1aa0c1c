//! `tongbao check [MONTH]`: run every rule and report; exit 0 clean, 1 errors, 2 usage.

use super::{Result, existing_month, report, status};
use crate::args::{CheckArgs, Format};
use crate::calendar::MonthId;
use crate::diag::{self, Diagnostic, Severity};
use crate::project::Project;
use crate::{check, issue, load};

pub(crate) fn run(project: &Project, args: &CheckArgs) -> Result {
    let (months, mut diags) = match &args.month {
        Some(m) => (vec![existing_month(project, m)?], Vec::new()),
        None => match project.month_dirs() {
            Ok(all) => (all, Vec::new()),
            Err(e) => (
                Vec::new(),
                vec![
                    Diagnostic::general(
                        Severity::Error,
                        "io",
                        format!("无法读取 data 文件夹：{}", crate::project::io_reason(&e)),
                    )
                    .help("请在项目根目录（含 data/ 和 templates/ 的文件夹）中运行 tongbao"),
                ],
            ),
        },
    };
    diags.extend(check_months(project, &months));
    diags.extend(frozen(project, &months));
    let (errors, warnings) = diag::counts(&diags);
    report(&mut diags, args.format);
    if args.format == Format::Human {
        if errors == 0 && warnings == 0 {
            tell!("检查通过：{} 个月份，没有发现问题", months.len());
        } else {
            tell!("检查完成：{errors} 个错误，{warnings} 个警告");
        }
    }
    Ok(status(&diags))
}

/// Issued months must still give the circular that was issued.
fn frozen(project: &Project, months: &[String]) -> Vec<Diagnostic> {
    let mut session = None;
    let mut digester = Default::default();
    let mut diags = Vec::new();
    for month in months.iter().filter(|m| issue::is_issued(project, m)) {
        if let issue::Frozen::Changed(mut d) = issue::verify(project, month, &mut session, &mut digester) {
            diags.append(&mut d);
        }
    }
    diags
}

/// Loads and checks `months` (plus the configuration, the registry and the descriptions, and the
/// months they compare with).
pub(crate) fn check_months(project: &Project, months: &[String]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    load::config::load(project, &mut diags);
    let mut loaded = months.to_vec();
    for m in months.iter().filter_map(|m| MonthId::parse(m)) {
        for other in project.compared(&m) {
            let name = other.name();
            if !loaded.contains(&name) && project.path(project.month_dir(&name)).is_dir() {
                loaded.push(name);
            }
        }
    }
    let (data, mut load_diags) = load::load(project, &loaded);
    // Problems in the months loaded only to compare with are reported when those are checked.
    load_diags.retain(|d| {
        !d.file.as_ref().is_some_and(|f| {
            loaded[months.len()..]
                .iter()
                .any(|m| f.starts_with(project.month_dir(m)))
        })
    });
    diags.append(&mut load_diags);
    if let Some(data) = data {
        diags.extend(check::check(&data, months));
    } else if diags.is_empty() {
        diags.push(Diagnostic::general(Severity::Error, "io", "无法读取项目数据"));
    }
    diags
}
