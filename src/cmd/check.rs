//! `tongbao check [MONTH]`: run every rule and report; exit 0 clean, 1 errors, 2 usage.

use std::path::Path;

use crate::cli::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE, Format};
use crate::diag::{self, Diagnostic, Severity};
use crate::{check, load};

/// Runs the command.
pub fn run(root: &Path, month: Option<&str>, format: Format) -> i32 {
    let (months, mut diags) = match month {
        Some(m) => {
            if let Err(msg) = super::month_arg(m) {
                crate::tell!("错误：{msg}");
                return EXIT_USAGE;
            }
            if !root.join(load::month_path(m)).is_dir() {
                crate::tell!("错误：没有找到月份文件夹 data/{m}");
                return EXIT_USAGE;
            }
            (vec![m.to_string()], Vec::new())
        }
        None => match load::month_dirs(root) {
            Ok(all) => (all, Vec::new()),
            Err(d) => (Vec::new(), vec![d]),
        },
    };
    diags.extend(check_months(root, &months));
    let (errors, warnings) = diag::counts(&diags);
    super::report(&mut diags, format);
    if format == Format::Human {
        if errors == 0 && warnings == 0 {
            crate::tell!("检查通过：{} 个月份，没有发现问题", months.len());
        } else {
            crate::tell!("检查完成：{errors} 个错误，{warnings} 个警告");
        }
    }
    if errors > 0 { EXIT_ERRORS } else { EXIT_OK }
}

/// Loads and checks `months` (plus the registry and descriptions); used by `check` and tests.
pub fn check_months(root: &Path, months: &[String]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    crate::project::config(root, &mut diags);
    let (data, mut load_diags) = load::load(root, months);
    diags.append(&mut load_diags);
    if let Some(data) = data {
        diags.extend(check::check(&data, months));
    } else if diags.is_empty() {
        diags.push(Diagnostic::general(Severity::Error, "io", "无法读取项目数据"));
    }
    diags
}
