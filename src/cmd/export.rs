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
    let (data, mut diags) = load::load_month(project, &month);
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
    let mut agg = aggregate::aggregate(&data, &month).ok_or_else(|| Error::Failed(format!("无法汇总 {month}")))?;
    let page = load::page::load(project, &mut Vec::new());
    // The headers in the lines the PDF prints them in.
    crate::render::break_headers(agg.tables.values_mut(), &crate::render::names(&data, &[]), &page);
    let this = data.month(&month);
    // The attachments in the order of `附件`, labelled as the PDF labels them; a month that names
    // none (data only): every table, by its name.
    let attached: Vec<&aggregate::TableOut> = this
        .map(|m| m.document.attachments.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|a| data.table_named(&a.table))
        .filter_map(|s| agg.tables.get(&s.id))
        .collect();
    let sheets = if attached.is_empty() {
        data.specs
            .iter()
            .filter_map(|s| {
                agg.tables.get(&s.id).map(|t| xlsx::Sheet {
                    name: s.expression_name().to_string(),
                    table: t,
                })
            })
            .collect()
    } else {
        xlsx::sheets(&attached)
    };
    if sheets.is_empty() {
        return Err(Error::Failed(format!("{month} 没有表格数据")));
    }
    let text = this.and_then(|m| m.text.as_ref());
    // The issuing office as the text writes it (when it is plain text).
    let author = text
        .and_then(|t| t.issuers.first())
        .filter(|l| l.expressions().next().is_none())
        .map(|l| l.text.clone())
        .unwrap_or_default();
    let title = format!(
        "附件：{}",
        sheets
            .iter()
            .map(|s| s.table.标题.as_str())
            .collect::<Vec<_>>()
            .join("；")
    );
    let about = xlsx::About {
        title: &title,
        author: &author,
        date: text.and_then(|t| t.date).or(this.map(|m| m.period().end().last_day())),
    };
    let config = load::config::load(project, &mut Vec::new());
    let faces = xlsx::Faces::of(&crate::typeset::fonts::roles(&config));
    let bytes = xlsx::workbook(&sheets, &about, &faces, &page).map_err(Error::Failed)?;
    let rel = project.out_dir(&month).join(xlsx::FILE);
    project
        .write(&rel, &bytes)
        .map_err(|e| Error::Failed(format!("无法写入 {}：{e}", rel.display())))?;
    say!("已导出 {}（{} 张表）", rel.display(), sheets.len());
    Ok(Status::Clean)
}
