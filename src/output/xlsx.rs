//! The attachment tables as an xlsx workbook (`附件.xlsx`), written with rust_xlsxwriter: one sheet
//! a table, its title, its headers, its rows and its 合计 row as printed in the PDF. Made by
//! `build --outputs xlsx` from the rendered document, and by `export`, which needs only the tables.

use super::{Document, Made};
use crate::aggregate::TableOut;
use crate::calendar::Date;

pub(crate) const FILE: &str = "附件.xlsx";

pub(crate) fn produce(doc: &Document<'_>) -> Made {
    let c = doc.circular;
    let tables: Vec<(&str, &TableOut)> = c
        .公文
        .附件
        .iter()
        .filter_map(|a| c.表.get(&a.表).map(|t| (t.简称.as_str(), t)))
        .collect();
    let date = Date::parse(&c.公文.成文日期);
    let bytes = workbook(&tables, date).map_err(|m| {
        vec![crate::diag::Diagnostic::general(
            crate::diag::Severity::Error,
            "xlsx",
            m,
        )]
    })?;
    Ok(vec![(FILE, bytes)])
}

/// The workbook's date: `SOURCE_DATE_EPOCH` when set, else `date` (the date of issue, or the end
/// of the period for an export made before there is one), so the same data gives the same bytes.
fn stamp(date: Option<Date>) -> rust_xlsxwriter::ExcelDateTime {
    let (y, m, d) = match crate::calendar::source_date_epoch() {
        Some(t) => (t.year(), u8::from(t.month()), t.day()),
        None => date.map_or((2000, 1, 1), |d| (d.year, d.month, d.day)),
    };
    rust_xlsxwriter::ExcelDateTime::from_ymd(y as u16, m, d)
        .or_else(|_| rust_xlsxwriter::ExcelDateTime::from_ymd(2000, 1, 1))
        .unwrap_or_default()
}

/// Writes the month's attachment tables as an xlsx workbook: one sheet a table, its title, its
/// headers, its rows and its 合计 row as printed in the PDF.
pub(crate) fn workbook(tables: &[(&str, &TableOut)], date: Option<Date>) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{DocProperties, Format, FormatAlign, FormatBorder, Workbook};
    let mut book = Workbook::new();
    book.set_properties(&DocProperties::new().set_creation_datetime(&stamp(date)));
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin);
    let cell = Format::new()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center);
    let name_cell = Format::new().set_border(FormatBorder::Thin);
    let fail = |e: rust_xlsxwriter::XlsxError| format!("无法生成 xlsx：{e}");
    let mut used = Vec::new();
    for (sheet_name, table) in tables {
        let sheet = book.add_worksheet();
        // Sheet names: at most 31 characters, no []:*?/\ and unique.
        let mut name: String = sheet_name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        if used.contains(&name) {
            name = format!("{}{}", name.chars().take(28).collect::<String>(), used.len() + 1);
        }
        used.push(name.clone());
        sheet.set_name(&name).map_err(fail)?;
        let cols = table.表头.len() as u16;
        sheet
            .merge_range(0, 0, 0, cols.saturating_sub(1), &table.标题, &title)
            .map_err(fail)?;
        for (c, h) in table.表头.iter().enumerate() {
            sheet.write_with_format(1, c as u16, h, &head).map_err(fail)?;
        }
        sheet.set_column_width(0, 6).map_err(fail)?;
        sheet.set_column_width(1, 28).map_err(fail)?;
        for c in 2..cols {
            sheet.set_column_width(c, 12).map_err(fail)?;
        }
        let mut r = 2u32;
        for row in &table.行 {
            sheet.write_with_format(r, 0, row.序号 as u32, &cell).map_err(fail)?;
            sheet.write_with_format(r, 1, &row.单位, &name_cell).map_err(fail)?;
            write_cells(sheet, r, &row.单元格, &cell).map_err(fail)?;
            r += 1;
        }
        if let Some(total) = &table.合计 {
            sheet.merge_range(r, 0, r, 1, "合计", &head).map_err(fail)?;
            write_cells(sheet, r, total, &head).map_err(fail)?;
        }
        sheet.set_freeze_panes(2, 0).map_err(fail)?;
    }
    book.save_to_buffer().map_err(fail)
}

/// Figures as numbers (so the spreadsheet can sum them), rates and dashes as text.
fn write_cells(
    sheet: &mut rust_xlsxwriter::Worksheet,
    r: u32,
    cells: &[String],
    format: &rust_xlsxwriter::Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (i, c) in cells.iter().enumerate() {
        let col = (i + 2) as u16;
        match c.parse::<f64>() {
            Ok(n) => sheet.write_with_format(r, col, n, format)?,
            Err(_) => sheet.write_with_format(r, col, c.as_str(), format)?,
        };
    }
    Ok(())
}
