//! Rules on a month's document: date of issue, 附件说明, named units, 发文字号.

use super::resolve_unit;
use crate::diag::{Diagnostic, quote_list, suggestions};
use crate::load::{Data, Document, Month};

/// Checks the document of `month`.
pub(crate) fn check_document(data: &Data, month: &Month, doc: &Document, diags: &mut Vec<Diagnostic>) {
    let end = month.id.last_day();
    if doc.date < end {
        diags.push(
            Diagnostic::error(
                "date-early",
                &doc.date_loc,
                format!("成文日期 {} 早于统计月份结束（{}）", doc.date.chinese(), end.chinese()),
            )
            .help(format!(
                "{}年{}月的通报只能在月底之后成文，请核对日期或文件夹名",
                month.id.year, month.id.month
            )),
        );
    }
    for att in &doc.attachments {
        let Some(spec) = data.spec(&att.table) else {
            let ids: Vec<&str> = data.specs.iter().map(|s| s.id.as_str()).collect();
            let near = suggestions(&att.table, ids.iter().copied(), 1);
            let help = if near.is_empty() {
                format!("可用的表：{}", quote_list(&ids))
            } else {
                format!("是否应为{}？", quote_list(&near))
            };
            diags.push(
                Diagnostic::error(
                    "attachment-table",
                    &att.table_loc,
                    format!("没有名为“{}”的表格", att.table),
                )
                .help(help),
            );
            continue;
        };
        let title = spec.title_for(month.id.year, month.id.month);
        if title != att.name {
            diags.push(
                Diagnostic::warning(
                    "attachment-name",
                    &att.name_loc,
                    format!("附件说明写作“{}”，附件标题却是“{title}”", att.name),
                )
                .help("GB/T 9704 要求附件说明与附件标题一致；请改其中之一（附件标题在 data/tables/ 的定义中）"),
            );
        }
    }
    for (_, names) in &doc.named {
        for (name, loc) in names {
            resolve_unit(&data.registry, name, loc, diags);
        }
    }
    if let Some((seal, loc)) = &doc.layout.seal {
        let path = data.project.path(seal.trim_start_matches('/'));
        let inside = data.project.contains(&path);
        let image = [".png", ".svg", ".jpg", ".jpeg"]
            .iter()
            .any(|x| seal.to_ascii_lowercase().ends_with(x));
        if !path.is_file() || !inside || !image {
            let msg = if !image {
                format!("印章“{seal}”不是图片（应为 PNG、SVG 或 JPG）")
            } else if !inside {
                format!("印章“{seal}”不在项目文件夹内")
            } else {
                format!("找不到印章图片“{seal}”")
            };
            diags.push(
                Diagnostic::error("seal", loc, msg)
                    .help("印章图片放在项目文件夹内（例如 assets/seal.png），这里写相对于项目根目录的路径"),
            );
        }
    }
    if let Some(number) = &doc.number
        && (number.contains(['[', ']', '(', ')', '（', '）', '【', '】']) || number.contains("第"))
    {
        diags.push(
            Diagnostic::warning("doc-number", &doc.loc, format!("发文字号“{number}”的写法不规范"))
                .help("年份用六角括号〔〕，序号不编虚位、不加“第”，例如 城中政办〔2023〕12号"),
        );
    }
}
