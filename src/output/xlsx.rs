//! The attachment tables as an xlsx workbook (`附件.xlsx`), written with rust_xlsxwriter: one sheet
//! an attachment, in the order of `附件`, named 附件1, 附件2 … as the PDF labels them, each with its
//! label, its title, its header, its rows and its 合计 row as printed in the PDF, in the office's
//! faces (小标宋 title, 黑体 header, 仿宋 text, Times New Roman figures). Figures are numbers and
//! rates are numbers formatted as percentages, each shown with the decimals the PDF prints, so
//! the sheet says what the PDF says and still adds up. Printed on A4 with the PDF's margins, one
//! page wide, the header row repeated on every page. Made by `build --outputs xlsx` from the
//! rendered document, and by `export`, which needs only the tables.

use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::{Document, Made, Output};
use crate::aggregate::{PartOut, TableOut, TotalOut};
use crate::calendar::Date;
use crate::load::page::PageSpec;

pub(crate) const FILE: &str = "附件.xlsx";

/// A sheet to write: its name (附件1 …) and its table.
pub(crate) struct Sheet<'a> {
    pub name: String,
    pub table: &'a TableOut,
}

/// What the workbook says about itself.
pub(crate) struct About<'a> {
    pub title: &'a str,
    /// The issuing office (empty before the text names it).
    pub author: &'a str,
    /// The date of issue, or the end of the period for an export made before there is one.
    pub date: Option<Date>,
}

/// The faces the workbook names: the first family of each role (the official face).
pub(crate) struct Faces {
    pub title: String,
    pub header: String,
    /// 二级标题 (a sub-table's caption).
    pub h2: String,
    pub body: String,
    pub latin: String,
}

impl Faces {
    pub(crate) fn of(roles: &[crate::typeset::Role]) -> Faces {
        let first = |key: &str, default: &str| -> String {
            roles
                .iter()
                .find(|r| r.key == key)
                .and_then(|r| r.families.first().cloned())
                .unwrap_or_else(|| default.to_string())
        };
        Faces {
            title: first("title", "方正小标宋简体"),
            header: first("heading1", "黑体"),
            h2: first("heading2", "楷体_GB2312"),
            body: first("body", "仿宋_GB2312"),
            latin: first("latin", "Times New Roman"),
        }
    }
}

/// The sheets of the attachments, in their order, labelled as the PDF labels them.
pub(crate) fn sheets<'a>(tables: &[&'a TableOut]) -> Vec<Sheet<'a>> {
    let single = tables.len() == 1;
    tables
        .iter()
        .enumerate()
        .map(|(i, t)| Sheet {
            name: if single {
                "附件".to_string()
            } else {
                format!("附件{}", i + 1)
            },
            table: t,
        })
        .collect()
}

pub(crate) fn produce(doc: &Document<'_>) -> Made {
    let c = doc.circular;
    let tables: Vec<&TableOut> = c.公文.附件.iter().filter_map(|a| c.表.get(&a.表)).collect();
    let about = About {
        title: &c.公文.标题,
        author: &c.公文.发文机关,
        date: Date::parse(&c.公文.成文日期),
    };
    let bytes = workbook(&sheets(&tables), &about, &Faces::of(doc.roles), doc.page).map_err(|m| {
        vec![crate::diag::Diagnostic::general(
            crate::diag::Severity::Error,
            Output::Xlsx.code(),
            m,
        )]
    })?;
    Ok(vec![(FILE, bytes)])
}

/// The workbook's date: `SOURCE_DATE_EPOCH` when set (to the second), else `date` (the date of
/// issue, or the end of the period), so the same data gives the same bytes.
fn stamp(date: Option<Date>) -> ExcelDateTime {
    let fallback = || ExcelDateTime::from_ymd(2000, 1, 1).unwrap_or_default();
    if let Some(t) = crate::calendar::source_date_epoch() {
        return ExcelDateTime::from_timestamp(t.unix_timestamp()).unwrap_or_else(|_| fallback());
    }
    date.and_then(|d| ExcelDateTime::from_ymd(u16::try_from(d.year).ok()?, d.month, d.day).ok())
        .unwrap_or_else(fallback)
}

/// Writes the sheets as an xlsx workbook.
pub(crate) fn workbook(
    sheets: &[Sheet<'_>],
    about: &About<'_>,
    faces: &Faces,
    page: &PageSpec,
) -> Result<Vec<u8>, String> {
    let fail = |e: XlsxError| format!("无法生成 xlsx：{e}");
    let mut book = Workbook::new();
    // Cells without a format of their own are in the body face too (not Calibri).
    book.set_default_format(&face(&faces.body, 12.0), 20, 72)
        .map_err(fail)?;
    book.set_properties(
        &DocProperties::new()
            .set_title(about.title)
            .set_author(about.author)
            .set_company(about.author)
            .set_creation_datetime(&stamp(about.date)),
    );
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(&sheet.name).map_err(fail)?;
        write_sheet(ws, sheet, faces, page).map_err(fail)?;
    }
    book.save_to_buffer().map_err(fail)
}

/// A face at a size; Chinese faces with the GB 2312 character set.
fn face(name: &str, size: f64) -> Format {
    let f = Format::new().set_font_name(name).set_font_size(size);
    if name.is_ascii() { f } else { f.set_font_charset(134) }
}

/// Pixels (at 96 dpi) per millimetre.
const PX_PER_MM: f64 = 96.0 / 25.4;

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet<'_>, faces: &Faces, page: &PageSpec) -> Result<(), XlsxError> {
    let t = sheet.table;
    let roles = t.roles();
    let cols = roles.len().max(1);
    let last = (cols - 1) as u16;
    // 附件N on the first line, the title on the third, the table after a blank line, as in the
    // PDF (its lines are 29.6 pt apart).
    let pitch = page.body_size + page.gap;
    ws.write_with_format(0, 0, sheet.name.as_str(), &face(&faces.header, page.body_size))?;
    let title = face(&faces.title, page.attachment_title_size)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter);
    ws.merge_range(2, 0, 2, last.max(7 * u16::from(!t.is_table())), &t.标题, &title)?;
    for r in 0..HEAD {
        ws.set_row_height(r, pitch)?;
    }
    let mut w = Writer {
        ws,
        faces,
        page,
        cols,
        rooms: page.table_rooms(&roles),
        roles,
        r: HEAD,
    };
    let text = face(&faces.body, page.body_size)
        .set_text_wrap()
        .set_align(FormatAlign::Top);
    for p in &t.正文 {
        // A paragraph across eight columns, two characters in.
        let chars = p.chars().count() + 2;
        w.ws.merge_range(w.r, 0, w.r, 7, &format!("\u{3000}\u{3000}{p}"), &text)?;
        let lines = chars.div_ceil(page.chars.max(1) as usize).max(1);
        w.ws.set_row_height(w.r, lines as f64 * pitch)?;
        w.r += 1;
    }
    let parts = t.分表.len();
    for (i, part) in t.分表.iter().enumerate() {
        if let Some(caption) = &part.标题 {
            let f = face(&faces.h2, page.body_size).set_align(FormatAlign::VerticalCenter);
            w.ws.merge_range(w.r, 0, w.r, last, caption, &f)?;
            w.ws.set_row_height(w.r, pitch)?;
            w.r += 1;
        }
        let grand = if i + 1 == parts { t.总计.as_ref() } else { None };
        w.part(t, part, grand)?;
        if i + 1 < parts {
            w.r += 1;
        }
    }
    if t.is_table() {
        columns(w.ws, &w.roles, page)?;
    }
    print_setup(w.ws, cols, page, HEAD, t.表头.len() as u32)
}

/// The table's first header row (after 附件N, a blank line, the title and a blank line).
const HEAD: u32 = 4;

/// Writes a sheet's tables row by row.
struct Writer<'w> {
    ws: &'w mut Worksheet,
    faces: &'w Faces,
    page: &'w PageSpec,
    cols: usize,
    roles: Vec<crate::aggregate::Role>,
    /// Each column's room for text, pt.
    rooms: Vec<f64>,
    /// The next row.
    r: u32,
}

impl Writer<'_> {
    /// A row as tall as the PDF's: its lines, the leading between them, the insets.
    fn height(&self, lines: usize) -> f64 {
        let p = self.page;
        lines as f64 * (p.table_size + p.table_leading) - p.table_leading + 2.0 * p.cell_inset_y
    }

    /// One sub-table: the header rows with their groups merged, the rows, the 合计 and `grand`.
    fn part(&mut self, t: &TableOut, part: &PartOut, grand: Option<&TotalOut>) -> Result<(), XlsxError> {
        let size = self.page.table_size;
        let rows = t.表头.len() + part.行.len() + usize::from(part.合计.is_some()) + usize::from(grand.is_some());
        let grid = Grid { cols: self.cols, rows };
        let top = self.r;
        for (level, cells) in t.表头.iter().enumerate() {
            let mut lines = 1;
            for c in cells {
                // The header in the PDF's lines (spreadsheets break Chinese text anywhere).
                lines = lines.max(c.分行.len().div_ceil(c.跨行));
                let f = grid
                    .range(face(&self.faces.header, size), level, c.列, c.跨行, c.跨列)
                    .set_text_wrap();
                let (r, col) = (top + level as u32, c.列 as u16);
                if c.跨行 > 1 || c.跨列 > 1 {
                    let (r2, c2) = (r + c.跨行 as u32 - 1, col + c.跨列 as u16 - 1);
                    self.ws.merge_range(r, col, r2, c2, &c.分行.join("\n"), &f)?;
                } else {
                    self.ws.write_with_format(r, col, c.分行.join("\n"), &f)?;
                }
            }
            self.ws.set_row_height(top + level as u32, self.height(lines))?;
        }
        self.r = top + t.表头.len() as u32;
        for (i, row) in part.行.iter().enumerate() {
            let at = t.表头.len() + i;
            let mut lines = 1;
            for (c, text) in row.格.iter().enumerate() {
                let name = self.roles.get(c) == Some(&crate::aggregate::Role::Name);
                let f = grid.cell(face(&self.faces.latin, size), at, c);
                if name {
                    let f = f
                        .set_font_name(&self.faces.body)
                        .set_align(FormatAlign::Left)
                        .set_text_wrap();
                    self.ws.write_with_format(self.r, c as u16, text.as_str(), &f)?;
                    lines = lines.max(wrap(text, self.rooms.get(c).copied().unwrap_or(0.0), size).len());
                } else {
                    cell(self.ws, self.r, c, text, f, &self.faces.body, size)?;
                }
            }
            self.ws.set_row_height(self.r, self.height(lines))?;
            self.r += 1;
        }
        for total in part.合计.iter().chain(grand) {
            let at = (self.r - top) as usize;
            let label = grid.range(face(&self.faces.header, size), at, 0, 1, total.跨列);
            if total.跨列 > 1 {
                self.ws
                    .merge_range(self.r, 0, self.r, (total.跨列 - 1) as u16, &total.spaced(), &label)?;
            } else {
                self.ws.write_with_format(self.r, 0, total.spaced(), &label)?;
            }
            for (i, text) in total.格.iter().enumerate() {
                let c = i + total.跨列;
                let f = grid.cell(face(&self.faces.header, size), at, c);
                cell(self.ws, self.r, c, text, f, &self.faces.header, size)?;
            }
            self.ws.set_row_height(self.r, self.height(1))?;
            self.r += 1;
        }
        Ok(())
    }
}

/// Where a cell sits in the table, for its rules: the table's edges heavier, as in the PDF.
struct Grid {
    cols: usize,
    /// Header rows, rows and 合计 rows.
    rows: usize,
}

impl Grid {
    fn cell(&self, format: Format, row: usize, col: usize) -> Format {
        self.range(format, row, col, 1, 1)
    }

    /// A cell spanning `rows` rows and `cols` columns from (`row`, `col`).
    fn range(&self, format: Format, row: usize, col: usize, rows: usize, cols: usize) -> Format {
        let side = |edge: bool| if edge { FormatBorder::Medium } else { FormatBorder::Thin };
        format
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_border_top(side(row == 0))
            .set_border_bottom(side(row + rows >= self.rows))
            .set_border_left(side(col == 0))
            .set_border_right(side(col + cols >= self.cols))
    }
}

/// A printed figure as the workbook stores it: a number with the format that shows it as
/// printed (`33%` is 0.33 shown `0%`, `40.70%` is 0.407 shown `0.00%`, `2.5` is shown `0.0`), or
/// text (`—`).
fn number(printed: &str) -> Option<(f64, String)> {
    let t = printed.trim();
    let (digits, percent) = match t.strip_suffix(['%', '％']) {
        Some(d) => (d.trim(), true),
        None => (t, false),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let unsigned = whole.strip_prefix('-').unwrap_or(whole);
    let plain = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if unsigned.is_empty() || !plain(unsigned) || !plain(fraction) {
        return None;
    }
    // A percent moves the point two places left in the text itself, so 40.70% is 0.407 exactly
    // as far as a double can say it.
    let value: f64 = if percent {
        let negative = whole.starts_with('-');
        let mut all = format!("{unsigned:0>3}{fraction}");
        all.insert(all.len() - fraction.len() - 2, '.');
        let v: f64 = all.parse().ok()?;
        if negative { -v } else { v }
    } else {
        digits.parse().ok()?
    };
    let mut format = String::from("0");
    if !fraction.is_empty() {
        format.push('.');
        format.push_str(&"0".repeat(fraction.len()));
    }
    if percent {
        format.push('%');
    }
    Some((value, format))
}

/// A figure's cell: a number shown as printed, or text (`—`, a blank mark).
fn cell(
    ws: &mut Worksheet,
    r: u32,
    col: usize,
    text: &str,
    format: Format,
    text_face: &str,
    size: f64,
) -> Result<(), XlsxError> {
    match number(text) {
        Some((v, shown)) => ws.write_with_format(r, col as u16, v, &format.set_num_format(shown))?,
        None => ws.write_with_format(
            r,
            col as u16,
            text,
            &format.set_font_name(text_face).set_font_size(size),
        )?,
    };
    Ok(())
}

fn columns(ws: &mut Worksheet, roles: &[crate::aggregate::Role], page: &PageSpec) -> Result<(), XlsxError> {
    for (c, mm) in page.table_columns(roles).into_iter().enumerate() {
        ws.set_column_width_pixels(c as u16, (mm * PX_PER_MM).round() as u32)?;
    }
    Ok(())
}

/// `text` broken into the lines it takes in a cell `width` pt wide (Chinese a full em, Latin
/// half), greedily, for a row's height (a header's lines are the PDF's, `TableOut::表头分行`): never after opening punctuation, before closing
/// punctuation or inside a Latin word or number.
fn wrap(text: &str, width: f64, size: f64) -> Vec<String> {
    const CLOSING: &str = "）)】」』》〉”’，。、：；！？%％";
    const OPENING: &str = "（(【「『《〈“‘";
    let advance = |c: char| if c.is_ascii() { size / 2.0 } else { size };
    let joined = |a: char, b: char| {
        OPENING.contains(a) || CLOSING.contains(b) || (a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric())
    };
    let mut units: Vec<String> = Vec::new();
    let mut prev = None;
    for c in text.chars() {
        match (units.last_mut(), prev) {
            (Some(unit), Some(p)) if joined(p, c) => unit.push(c),
            _ => units.push(c.to_string()),
        }
        prev = Some(c);
    }
    let mut lines: Vec<(String, f64)> = Vec::new();
    for unit in units {
        let w: f64 = unit.chars().map(advance).sum();
        match lines.last_mut() {
            Some((line, used)) if *used + w <= width => {
                line.push_str(&unit);
                *used += w;
            }
            _ => lines.push((unit, w)),
        }
    }
    lines.into_iter().map(|(l, _)| l).collect()
}

/// A4 with the PDF's margins, one page wide, the header row on every page; a table of more than
/// eight columns turned as the PDF turns it.
fn print_setup(ws: &mut Worksheet, cols: usize, page: &PageSpec, head: u32, rows: u32) -> Result<(), XlsxError> {
    let inch = |mm: f64| mm / 25.4;
    ws.set_paper_size(9);
    if cols > 8 {
        ws.set_landscape();
    } else {
        ws.set_portrait();
    }
    ws.set_print_fit_to_pages(1, 0);
    ws.set_margins(
        inch(page.left),
        inch(page.right()),
        inch(page.top),
        inch(page.bottom()),
        inch(page.top / 2.0),
        inch(page.bottom() / 2.0),
    );
    ws.set_print_center_horizontally(true);
    if rows > 0 {
        ws.set_repeat_rows(head, head + rows - 1)?;
        ws.set_freeze_panes(head + rows, 0)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_figures_become_numbers_shown_as_printed() {
        assert_eq!(number("1164"), Some((1164.0, "0".into())));
        assert_eq!(number("2.5"), Some((2.5, "0.0".into())));
        assert_eq!(number("33%"), Some((0.33, "0%".into())));
        assert_eq!(number("40.70%"), Some((0.407, "0.00%".into())));
        assert_eq!(number("100%"), Some((1.0, "0%".into())));
        assert_eq!(number("5%"), Some((0.05, "0%".into())));
        assert_eq!(number("0.5%"), Some((0.005, "0.0%".into())));
        assert_eq!(number("97.99"), Some((97.99, "0.00".into())));
        assert_eq!(number("—"), None);
        assert_eq!(number("待填"), None);
        assert_eq!(number("1e3"), None);
        assert_eq!(number("%"), None);
    }

    #[test]
    fn a_unit_names_lines_are_estimated_as_a_cell_sets_them() {
        // A figure column of the six-column tables holds four 12 pt characters a line.
        assert_eq!(wrap("本月投诉（条）", 51.6, 12.0), ["本月投诉", "（条）"]);
        assert_eq!(wrap("延期数（条）", 51.6, 12.0), ["延期数", "（条）"]);
        assert_eq!(wrap("采纳率", 51.6, 12.0), ["采纳率"]);
        assert_eq!(wrap("审核表报送数", 51.6, 12.0), ["审核表报", "送数"]);
        // The eight-column table's hold three.
        assert_eq!(wrap("满意率（%）", 38.0, 12.0), ["满意率", "（%）"]);
        assert_eq!(wrap("本月投诉（条）", 38.0, 12.0), ["本月投", "诉", "（条）"]);
    }
}
