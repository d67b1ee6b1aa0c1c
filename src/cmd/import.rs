//! `tongbao import TABLE FILE [--month YYYY-MM]`: a spreadsheet export into a month's table file.

use super::{Error, Result, Status, existing_month, month_or_latest};
use crate::args::ImportArgs;
use crate::check::document::table_named;
use crate::load::{self, yaml::UNFILLED};
use crate::project::Project;
use crate::sheet;

pub(crate) fn run(project: &Project, args: &ImportArgs) -> Result {
    let month = match &args.month {
        Some(m) => existing_month(project, m)?,
        None => month_or_latest(project, None)?,
    };
    let (data, diags) = load::load(project, &[]);
    let Some(data) = data else {
        for d in &diags {
            tell!("{}", d.render());
        }
        return Err(Error::Failed("单位名录或表格定义有错误，无法导入".into()));
    };
    let spec = table_named(&data, &args.table).ok_or_else(|| {
        let names: Vec<&str> = data.specs.iter().map(|s| s.expression_name()).collect();
        Error::Usage(format!("没有名为“{}”的表；可用的表：{}", args.table, names.join("、")))
    })?;
    let sheets = sheet::read(&args.file).map_err(|e| Error::Failed(format!("{}：{e}", args.file.display())))?;
    let grid =
        sheet::pick(&sheets, spec).ok_or_else(|| Error::Failed(format!("{} 中没有工作表", args.file.display())))?;
    let id = crate::calendar::MonthId::parse(&month).ok_or_else(|| Error::Usage(format!("“{month}”不是月份")))?;
    let imported = sheet::import(grid, spec, &data.registry, &id);
    let file = args.file.display();
    if !imported.errors.is_empty() {
        for e in &imported.errors {
            tell!("错误：{file} {e}");
        }
        for n in &imported.notes {
            tell!("说明：{n}");
        }
        return Err(Error::Failed(format!(
            "未导入：{} 个问题，{} 保持不变",
            imported.errors.len(),
            project.table_file(&month, &spec.id).display()
        )));
    }
    let rel = project.table_file(&month, &spec.id);
    let existing = project.read(&rel).ok().map(|b| String::from_utf8_lossy(&b).to_string());
    let mut header = format!(
        "# {month} {}：由 tongbao import 从 {} 导入。",
        spec.name,
        args.file.display()
    );
    if !spec.headlines.is_empty() {
        let heads: Vec<String> = spec
            .headlines
            .iter()
            .map(|h| format!("{}: {UNFILLED}", h.key))
            .collect();
        header.push_str(&format!("\n概况: {{{}}}", heads.join(", ")));
    }
    let text = sheet::rewrite(existing.as_deref(), spec, &imported.rows, &data.registry, &header);
    crate::output::write_atomic(&project.path(&rel), text.as_bytes())
        .map_err(|e| Error::Usage(format!("无法写入 {}：{e}", rel.display())))?;
    say!("已导入 {} 行到 {}", imported.rows.len(), rel.display());
    for n in &imported.notes {
        say!("  {n}");
    }
    say!("下一步：tongbao check {month}");
    Ok(Status::Clean)
}
