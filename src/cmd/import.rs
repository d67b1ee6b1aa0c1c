//! `tongbao import TABLE FILE [--month YYYY-MM]`: a spreadsheet export into a month's table file.

use super::{Error, Result, Status, month_arg, month_or_latest};
use crate::args::ImportArgs;
use crate::load;
use crate::project::Project;
use crate::sheet;

pub(crate) fn run(project: &Project, args: &ImportArgs) -> Result {
    let month = match &args.month {
        Some(m) => month_arg(project, m)?,
        None => month_or_latest(project, None)?,
    };
    let (data, mut diags) = load::load(project, &[]);
    let Some(data) = data else {
        super::report(&mut diags, crate::args::Format::Human);
        return Err(Error::Failed("单位名录或表格定义有错误，无法导入".into()));
    };
    let spec = super::table_arg(&data, &args.table)?;
    // A file that is not there is a slip on the command line, like a wrong table name.
    if !args.file.exists() {
        return Err(Error::Usage(format!(
            "找不到要导入的文件 {}：请检查文件名和路径",
            crate::diag::shorten_path(&args.file, 120)
        )));
    }
    let id = super::month_name(&month)?;
    // The file as messages and the table file's comment name it: shortened, no line breaks.
    let file: String = crate::diag::shorten_path(&args.file, 120)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let rel = project.table_file(&month, &spec.id);
    let grid = match sheet::read(&args.file, &sheet::Choice::table(spec)) {
        Ok((_, grid)) => grid,
        Err(refusal) => {
            tell!("{}", refusal.diagnostic(&file).to_terminal());
            return Err(Error::Failed(format!("未导入：{} 保持不变", rel.display())));
        }
    };
    let mut imported = sheet::import(&grid, &file, spec, &data.registry, &id);
    if imported.refused() {
        super::report(&mut imported.diagnostics, crate::args::Format::Human);
        for n in &imported.notes {
            tell!("说明：{n}");
        }
        let (errors, _) = crate::diag::counts(&imported.diagnostics);
        return Err(Error::Failed(format!(
            "未导入：{errors} 个问题，{} 保持不变",
            rel.display()
        )));
    }
    let existing = if project.path(&rel).exists() || project.path(&rel).is_symlink() {
        let bytes = project
            .read(&rel)
            .map_err(|e| Error::Failed(format!("无法读取 {}：{}；未导入", rel.display(), e.reason())))?;
        Some(String::from_utf8_lossy(&bytes).to_string())
    } else {
        None
    };
    let header = [format!("# {month} {}：由 tongbao import 从 {file} 导入。", spec.name)];
    let text = sheet::rewrite(existing.as_deref(), spec, &imported.rows, &data.registry, &header);
    project
        .write(&rel, text.as_bytes())
        .map_err(|e| Error::Failed(format!("无法写入 {}：{e}；未导入", rel.display())))?;
    say!("已导入 {} 行到 {}", imported.rows.len(), rel.display());
    for n in &imported.notes {
        say!("  {n}");
    }
    // What was read in another form than written (`12件`), at its cell, as `check` says it.
    let mut warnings: Vec<_> = imported.diagnostics.into_iter().filter(|d| !d.is_error()).collect();
    if !warnings.is_empty() {
        super::report(&mut warnings, crate::args::Format::Human);
    }
    tell!("下一步：tongbao check {month}");
    Ok(Status::Clean)
}
