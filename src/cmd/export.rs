//! `tongbao export [YYYY-MM]`: the month's attachment tables as an xlsx workbook. Needs only the
//! tables: it works while the text is still being written.

use super::{Error, Result, Status, month_or_latest, report};
use crate::args::ExportArgs;
use crate::args::Format;
use crate::output::xlsx;
use crate::project::Project;
use crate::{aggregate, check, load};

pub(crate) fn run(project: &Project, args: &ExportArgs) -> Result {
    let month = month_or_latest(project, args.month.as_deref())?;
    let (data, mut diags) = load::load(project, std::slice::from_ref(&month));
    let Some(data) = data else {
        report(&mut diags, Format::Human);
        return Ok(Status::Problems);
    };
    // Only the tables' own problems stop an export.
    if let Some(m) = data.month(&month) {
        for table in &m.tables {
            if let Some(spec) = data.spec(&table.id) {
                check::tables::check_rows(spec, table, &data.registry, &m.id, &mut diags);
            }
        }
    }
    let table_files: Vec<_> = data.specs.iter().map(|s| project.table_file(&month, &s.id)).collect();
    let mut problems: Vec<_> = diags
        .into_iter()
        .filter(|d| {
            d.is_error()
                && d.file
                    .as_ref()
                    .is_some_and(|f| table_files.contains(f) || !f.starts_with(project.month_dir(&month)))
        })
        .collect();
    if !problems.is_empty() {
        report(&mut problems, Format::Human);
        return Err(Error::Failed(format!("{month} 的表格有错误，未导出")));
    }
    let agg = aggregate::aggregate(&data, &month).ok_or_else(|| Error::Failed(format!("无法汇总 {month}")))?;
    let tables: Vec<(&str, &aggregate::TableOut)> = data
        .specs
        .iter()
        .filter_map(|s| agg.tables.get(&s.id).map(|t| (s.expression_name(), t)))
        .collect();
    if tables.is_empty() {
        return Err(Error::Failed(format!("{month} 没有表格数据")));
    }
    let date = data.month(&month).and_then(|m| {
        m.text
            .as_ref()
            .and_then(|t| t.date)
            .or(Some(m.period().end().last_day()))
    });
    let bytes = xlsx::workbook(&tables, date).map_err(Error::Failed)?;
    let rel = project.out_dir(&month).join(xlsx::FILE);
    project
        .write(&rel, &bytes)
        .map_err(|e| Error::Failed(format!("无法写入 {}：{e}", rel.display())))?;
    say!("已导出 {}（{} 张表）", rel.display(), tables.len());
    Ok(Status::Clean)
}
