//! Spreadsheets in and out: `import` reads a system's export (.xlsx, .xls, .ods, .csv in UTF-8 or
//! GBK/GB18030) into a month's table file; `export` writes a month's attachment tables as an .xlsx
//! workbook. calamine reads the four formats, rust_xlsxwriter writes xlsx, csv reads CSV.
//!
//! Import matches columns by their header text (a header may span two rows, the upper one merged
//! across its sub-columns; a measure word in brackets, `本月投诉(条)`, is ignored), resolves unit
//! names through the registry and its aliases, recognises a 合计 row and checks it instead of
//! importing it, and takes numbers written as numbers, as text, with thousands separators or with a
//! measure word (`12条`). Anything else is refused with the cell's address (`B7`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::aggregate::TableOut;
use crate::calendar::MonthId;
use crate::diag::{quote_list, suggestions};
use crate::load::registry::Standing;
use crate::load::{Registry, TableSpec};

/// A cell as read: its text (numbers written as Excel shows them) and whether it was a number.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Empty,
    Number(f64),
    Text(String),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Number(n) if n.fract() == 0.0 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Text(t) => t.trim().to_string(),
        }
    }
}

/// A sheet: rows of cells, with the sheet's first row and column (0-based) for cell addresses.
pub(crate) struct Grid {
    pub rows: Vec<Vec<Cell>>,
    pub origin: (usize, usize),
}

/// `B7` for row 6, column 1 (0-based, absolute).
pub(crate) fn address(row: usize, col: usize) -> String {
    let mut letters = String::new();
    let mut c = col + 1;
    while c > 0 {
        let r = (c - 1) % 26;
        letters.insert(0, (b'A' + r as u8) as char);
        c = (c - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

/// Reads every sheet of a spreadsheet file (a CSV file is one sheet), with its name.
pub(crate) fn read(path: &Path) -> Result<Vec<(String, Grid)>, String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "txt" => read_csv(path).map(|g| vec![(String::new(), g)]),
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => read_workbook(path),
        _ => Err(format!("不认识的文件类型“.{ext}”；可导入 .xlsx、.xls、.ods 或 .csv")),
    }
}

fn read_workbook(path: &Path) -> Result<Vec<(String, Grid)>, String> {
    use calamine::{Reader, open_workbook_auto};
    let mut book = open_workbook_auto(path).map_err(|e| format!("无法读取表格文件：{e}"))?;
    let names = book.sheet_names();
    if names.is_empty() {
        return Err("表格文件里没有工作表".into());
    }
    let mut sheets = Vec::new();
    for name in names {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| format!("无法读取工作表“{name}”：{e}"))?;
        sheets.push((name, grid(&range)));
    }
    Ok(sheets)
}

/// The sheet for table `spec`: the one named after it (short name, id or name), else the first.
pub(crate) fn pick<'g>(sheets: &'g [(String, Grid)], spec: &TableSpec) -> Option<&'g Grid> {
    sheets
        .iter()
        .find(|(n, _)| n == spec.expression_name() || *n == spec.id || n.contains(spec.name.trim_matches(['“', '”'])))
        .or_else(|| sheets.first())
        .map(|(_, g)| g)
}

fn grid(range: &calamine::Range<calamine::Data>) -> Grid {
    use calamine::Data;
    let origin = range.start().map_or((0, 0), |(r, c)| (r as usize, c as usize));
    let rows = range
        .rows()
        .map(|row| {
            row.iter()
                .map(|d| match d {
                    Data::Empty => Cell::Empty,
                    Data::Int(i) => Cell::Number(*i as f64),
                    Data::Float(f) => Cell::Number(*f),
                    Data::String(s) => Cell::Text(s.clone()),
                    other => Cell::Text(other.to_string()),
                })
                .collect()
        })
        .collect();
    Grid { rows, origin }
}

fn read_csv(path: &Path) -> Result<Grid, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("无法读取文件：{e}"))?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    // Exports from Chinese systems are often GBK/GB18030: take UTF-8 when it is, else GB18030.
    let text = match std::str::from_utf8(body) {
        Ok(t) => t.to_string(),
        Err(_) => {
            let (text, _, bad) = encoding_rs::GB18030.decode(body);
            if bad {
                return Err("CSV 文件既不是 UTF-8 也不是 GBK/GB18030 编码".into());
            }
            text.into_owned()
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("CSV 格式有误：{e}"))?;
        rows.push(
            record
                .iter()
                .map(|s| {
                    if s.trim().is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(s.to_string())
                    }
                })
                .collect(),
        );
    }
    Ok(Grid { rows, origin: (0, 0) })
}

/// What an import found: the rows to write and what was skipped and why.
#[derive(Debug, Default)]
pub(crate) struct Imported {
    /// Canonical unit name → figures by column key, in the sheet's order.
    pub rows: Vec<(String, BTreeMap<String, u64>)>,
    /// Notes for the summary (ignored columns, the 合计 row checked, empty rows).
    pub notes: Vec<String>,
    /// Problems that stop the import, each with its cell.
    pub errors: Vec<String>,
}

/// Header text as matched: no spaces or line breaks, no measure word in brackets.
fn header_key(text: &str) -> String {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    match t.find(['(', '（']) {
        Some(i) if t.ends_with([')', '）']) => t[..i].to_string(),
        _ => t,
    }
}

const UNIT_HEADERS: [&str; 4] = ["单位", "单位名称", "责任单位", "承办单位"];
const TOTAL_NAMES: [&str; 3] = ["合计", "总计", "合 计"];

/// Parses a figure: a whole number written as a number or as text, with thousands separators or a
/// measure word after it. `Err` says why not.
fn figure(cell: &Cell, measures: &[&str]) -> Result<Option<u64>, String> {
    let text = match cell {
        Cell::Empty => return Ok(None),
        Cell::Number(n) if *n >= 0.0 && n.fract() == 0.0 && *n <= 1e9 => return Ok(Some(*n as u64)),
        Cell::Number(n) => return Err(format!("“{n}”不是非负整数")),
        Cell::Text(t) => t.trim().to_string(),
    };
    let mut t = text.replace([',', '，', ' '], "");
    for m in measures {
        if let Some(rest) = t.strip_suffix(m) {
            t = rest.to_string();
        }
    }
    let t = crate::load::half_width_digits(&t);
    if t.is_empty() || t == "-" || t == "—" {
        return Ok(None);
    }
    t.parse::<u64>().map(Some).map_err(|_| format!("“{text}”不是数字"))
}

/// Imports a grid into table `spec`'s rows.
pub(crate) fn import(grid: &Grid, spec: &TableSpec, registry: &Registry, month: &MonthId) -> Imported {
    let mut out = Imported::default();
    let at = |r: usize, c: usize| address(grid.origin.0 + r, grid.origin.1 + c);
    // The header row: the first row with a unit header; a second header row under it when the
    // row has text where units would be empty.
    let Some(head) = grid.rows.iter().position(|row| {
        row.iter()
            .any(|c| UNIT_HEADERS.contains(&header_key(&c.text()).as_str()))
    }) else {
        out.errors.push(format!(
            "找不到表头：表格中应有一行写着“单位”（或“单位名称”），其右是各列名称，如 {}",
            quote_list(&spec.columns.iter().map(|c| c.label.as_str()).collect::<Vec<_>>())
        ));
        return out;
    };
    let unit_col = grid.rows[head]
        .iter()
        .position(|c| UNIT_HEADERS.contains(&header_key(&c.text()).as_str()))
        .unwrap_or(0);
    let width = grid.rows.iter().map(Vec::len).max().unwrap_or(0);
    let cell = |r: usize, c: usize| {
        grid.rows
            .get(r)
            .and_then(|row| row.get(c))
            .cloned()
            .unwrap_or(Cell::Empty)
    };
    let second = grid.rows.get(head + 1).is_some_and(|row| {
        row.get(unit_col).is_none_or(|c| c.text().is_empty()) && row.iter().any(|c| !c.text().is_empty())
    });
    let mut headers = Vec::new();
    let mut above = String::new();
    for c in 0..width {
        let top = cell(head, c).text();
        if !top.is_empty() {
            above = top.clone();
        }
        let bottom = if second {
            cell(head + 1, c).text()
        } else {
            String::new()
        };
        // A merged upper cell spans its sub-columns: its text is carried right over them.
        let text = match (top.is_empty(), bottom.is_empty()) {
            (_, true) => top,
            (true, false) => format!("{above}{bottom}"),
            (false, false) => format!("{top}{bottom}"),
        };
        headers.push(text);
    }
    let first_data = head + if second { 2 } else { 1 };
    // Columns by header: the label, the key, or the label with its upper header.
    let mut columns: BTreeMap<String, usize> = BTreeMap::new();
    let mut ignored = Vec::new();
    for (c, h) in headers.iter().enumerate() {
        if c == unit_col || h.is_empty() {
            continue;
        }
        let key = header_key(h);
        let found = spec.columns.iter().find(|col| {
            let label = header_key(&col.label);
            key == label || key == col.key || key.ends_with(&label)
        });
        match found {
            Some(col) if !columns.contains_key(&col.key) => {
                columns.insert(col.key.clone(), c);
            }
            _ => ignored.push(h.clone()),
        }
    }
    for col in &spec.columns {
        if !columns.contains_key(&col.key) {
            let known: Vec<&str> = headers.iter().map(String::as_str).filter(|h| !h.is_empty()).collect();
            let near = suggestions(&col.label, known.iter().copied(), 1);
            let hint = if near.is_empty() {
                format!("表头有：{}", quote_list(&known))
            } else {
                format!("是否是{}？", quote_list(&near))
            };
            out.errors.push(format!(
                "第 {} 行的表头中找不到“{}”列；{hint}",
                grid.origin.0 + head + 1,
                col.header()
            ));
        }
    }
    if !ignored.is_empty() {
        out.notes.push(format!(
            "未使用的列：{}",
            quote_list(&ignored.iter().map(String::as_str).collect::<Vec<_>>())
        ));
    }
    if !out.errors.is_empty() {
        return out;
    }
    let measures: Vec<&str> = spec
        .columns
        .iter()
        .filter_map(|c| c.measure.as_deref())
        .chain(["条", "件", "项", "份", "个"])
        .collect();
    let mut sums: BTreeMap<String, u64> = BTreeMap::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for r in first_data..grid.rows.len() {
        let name = cell(r, unit_col).text();
        let values: Vec<(String, Cell, usize)> = columns.iter().map(|(k, c)| (k.clone(), cell(r, *c), *c)).collect();
        if name.is_empty() && values.iter().all(|(_, v, _)| v.text().is_empty()) {
            continue;
        }
        let mut figures = BTreeMap::new();
        let mut bad = false;
        for (key, v, c) in &values {
            match figure(v, &measures) {
                Ok(Some(n)) => {
                    figures.insert(key.clone(), n);
                }
                Ok(None) => {
                    out.errors
                        .push(format!("{}：“{name}”的“{key}”是空的；没有数据时请填 0", at(r, *c)));
                    bad = true;
                }
                Err(why) => {
                    out.errors.push(format!(
                        "{}：{why}，请填写整数（可带千分位逗号或量词，如 1,234 或 12条）",
                        at(r, *c)
                    ));
                    bad = true;
                }
            }
        }
        // The 合计 label may stand in the unit column or, merged across 序号 and 单位, left of it.
        let is_total = (0..=unit_col).any(|c| {
            let text: String = cell(r, c).text().chars().filter(|ch| !ch.is_whitespace()).collect();
            TOTAL_NAMES.iter().any(|t| t.replace(' ', "") == text)
        });
        if is_total {
            if !bad {
                let differs: Vec<String> = figures
                    .iter()
                    .filter(|(k, v)| sums.get(*k).copied().unwrap_or(0) != **v)
                    .map(|(k, v)| format!("{k} 写 {v}，各行相加为 {}", sums.get(k).copied().unwrap_or(0)))
                    .collect();
                if differs.is_empty() {
                    out.notes.push(format!(
                        "第 {} 行是合计行：已核对，与各行之和一致，不作为单位导入",
                        grid.origin.0 + r + 1
                    ));
                } else {
                    out.errors.push(format!(
                        "{}：合计行与各行之和不符（{}）",
                        at(r, unit_col),
                        differs.join("；")
                    ));
                }
            }
            continue;
        }
        if name.is_empty() {
            out.errors
                .push(format!("{}：这一行有数字但没有单位名称", at(r, unit_col)));
            continue;
        }
        let Some(unit) = registry.resolve(&name) else {
            let near = suggestions(&name, registry.all_names(), 3);
            let hint = if near.is_empty() {
                "如果是新单位，请先在 data/units.yaml 中登记".to_string()
            } else {
                format!(
                    "是否应为{}？如果是另一种写法，请加到 data/units.yaml 中它的“别名”里",
                    quote_list(&near)
                )
            };
            out.errors
                .push(format!("{}：单位“{name}”不在单位名录中；{hint}", at(r, unit_col)));
            continue;
        };
        if let Standing::NotYet(m) | Standing::Gone(m, _) = unit.standing(month) {
            let what = if matches!(unit.standing(month), Standing::NotYet(_)) {
                "设立"
            } else {
                "撤销"
            };
            out.errors.push(format!(
                "{}：单位“{}”于{}年{}月{what}，{}年{}月时不存在",
                at(r, unit_col),
                unit.name,
                m.year,
                m.month,
                month.year,
                month.month
            ));
            continue;
        }
        if let Some(first) = seen.insert(unit.name.clone(), r) {
            out.errors.push(format!(
                "{}：单位“{}”出现了两次（第 {} 行已有）",
                at(r, unit_col),
                unit.name,
                grid.origin.0 + first + 1
            ));
            continue;
        }
        if bad {
            continue;
        }
        for (k, v) in &figures {
            *sums.entry(k.clone()).or_default() += v;
        }
        out.rows.push((unit.name.clone(), figures));
    }
    out
}

/// The month's table file with its rows replaced by `rows`: comments, 概况 and the row comments of
/// units still listed are kept; a stated 合计 is dropped (tongbao computes it).
pub(crate) fn rewrite(
    existing: Option<&str>,
    spec: &TableSpec,
    rows: &[(String, BTreeMap<String, u64>)],
    registry: &Registry,
    header: &str,
) -> String {
    let mut head: Vec<String> = Vec::new();
    let mut comments: BTreeMap<String, String> = BTreeMap::new();
    let mut tail: Vec<String> = Vec::new();
    match existing {
        Some(text) => {
            let mut in_rows = false;
            let mut after = false;
            for line in text.lines() {
                let t = line.trim_start();
                if t.starts_with("行:") {
                    in_rows = true;
                    continue;
                }
                if in_rows && t.starts_with("- ") {
                    if let Some((row, comment)) = line.split_once("}  #").or_else(|| line.split_once("} #"))
                        && let Some(name) = row.split("单位:").nth(1).and_then(|s| s.split(',').next())
                        && let Some(u) = registry.resolve(name.trim())
                    {
                        comments.insert(u.name.clone(), comment.trim().to_string());
                    }
                    continue;
                }
                if in_rows && !t.starts_with('#') && !t.is_empty() {
                    in_rows = false;
                    after = true;
                }
                if t.starts_with("合计:") {
                    continue;
                }
                if after {
                    tail.push(line.to_string());
                } else if !in_rows {
                    head.push(line.to_string());
                }
            }
        }
        None => head.push(header.to_string()),
    }
    let mut out = String::new();
    for line in &head {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("行:\n");
    for (unit, figures) in rows {
        let cells: Vec<String> = spec
            .columns
            .iter()
            .map(|c| format!("{}: {}", c.key, figures.get(&c.key).copied().unwrap_or(0)))
            .collect();
        let comment = comments.get(unit).map(|c| format!("  # {c}")).unwrap_or_default();
        out.push_str(&format!(
            "  - {{单位: {}, {}}}{comment}\n",
            yaml_text(unit),
            cells.join(", ")
        ));
    }
    for line in &tail {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// A unit name as a YAML flow scalar (quoted when it holds a character YAML would read).
fn yaml_text(s: &str) -> String {
    if s.chars().any(|c| ":,{}[]#&*!|>'\"%@`".contains(c)) || s.starts_with(['-', '?', ' ']) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        s.to_string()
    }
}

/// Writes the month's attachment tables as an xlsx workbook: one sheet a table, its title, its
/// headers, its rows and its 合计 row as printed in the PDF.
pub(crate) fn export(tables: &[(&str, &TableOut)]) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};
    let mut book = Workbook::new();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_addresses() {
        assert_eq!(address(6, 1), "B7");
        assert_eq!(address(0, 25), "Z1");
        assert_eq!(address(9, 26), "AA10");
    }

    #[test]
    fn figures_in_the_forms_exports_use() {
        let m = ["条"];
        assert_eq!(figure(&Cell::Number(12.0), &m), Ok(Some(12)));
        assert_eq!(figure(&Cell::Text("1,234".into()), &m), Ok(Some(1234)));
        assert_eq!(figure(&Cell::Text("12条".into()), &m), Ok(Some(12)));
        assert_eq!(figure(&Cell::Text("１２".into()), &m), Ok(Some(12)));
        assert!(figure(&Cell::Text("十二".into()), &m).is_err());
        assert!(figure(&Cell::Number(2.5), &m).is_err());
        assert!(figure(&Cell::Number(-1.0), &m).is_err());
        assert_eq!(header_key("本月投诉\n(条)"), "本月投诉");
        assert_eq!(header_key("办结投诉（条）"), "办结投诉");
    }
}

/// Property-based fuzzing of the spreadsheet import: a sheet as a system exports it (the shipped
/// registry's units under the 12345 table's headers, with a 合计 row), damaged at random. The
/// properties: nothing panics; every refusal names its cell (or the header it could not find);
/// what is accepted is every row a unit of the registry, once. Budget: `TONGBAO_FUZZ_CASES`, as
/// for the fuzzing in `pipeline`.
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const MONTH: &str = "2023-03";

    fn shipped() -> crate::load::Data {
        let project = crate::project::Project::new(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
        crate::load::load(&project, &[])
            .0
            .expect("the shipped registry and tables load")
    }

    /// The sheet a system would export: 序号, 单位, the table's columns; a 合计 row last.
    fn base(data: &crate::load::Data, spec: &TableSpec) -> Grid {
        let mut head = vec![Cell::Text("序号".into()), Cell::Text("单位".into())];
        head.extend(spec.columns.iter().map(|c| Cell::Text(c.header())));
        let mut rows = vec![head];
        let units = data
            .registry
            .units
            .iter()
            .filter(|u| u.since.is_none() && u.until.is_none() && u.merged_into.is_none());
        let mut sums = vec![0.0; spec.columns.len()];
        for (i, unit) in units.enumerate() {
            let mut row = vec![Cell::Number(i as f64 + 1.0), Cell::Text(unit.name.clone())];
            for (k, sum) in sums.iter_mut().enumerate() {
                let n = ((i * 7 + k * 3) % 50) as f64;
                *sum += n;
                row.push(Cell::Number(n));
            }
            rows.push(row);
        }
        let mut total = vec![Cell::Empty, Cell::Text("合计".into())];
        total.extend(sums.into_iter().map(Cell::Number));
        rows.push(total);
        Grid { rows, origin: (2, 0) }
    }

    fn cell() -> impl Strategy<Value = Cell> {
        // Cells systems and people write, separated by `|`.
        let samples = "| |合计|总计|单位|单位名称|序号|0|12|1,234|１２|12条|-5|1e9|NaN|99999999999999999999999|—|-|十二|\
                       总寨镇政府|区医疗保障局|不存在的单位|\u{0}|\u{feff}|#|{{|本月投诉（条）|（条）|\n";
        let texts = prop::sample::select(samples.split('|').collect::<Vec<_>>());
        prop_oneof![
            Just(Cell::Empty),
            any::<f64>().prop_map(Cell::Number),
            (-3i64..2_000_000_000).prop_map(|n| Cell::Number(n as f64)),
            texts.prop_map(|t| Cell::Text(t.to_string())),
            "\\PC{0,12}".prop_map(Cell::Text),
        ]
    }

    #[derive(Debug, Clone)]
    enum Damage {
        Set(usize, usize, Cell),
        DropRow(usize),
        CopyRow(usize, usize),
        InsertColumn(usize),
        DropColumn(usize),
        Truncate(usize, usize),
    }

    fn damage() -> impl Strategy<Value = Damage> {
        prop_oneof![
            4 => (0..40usize, 0..8usize, cell()).prop_map(|(r, c, v)| Damage::Set(r, c, v)),
            1 => (0..40usize).prop_map(Damage::DropRow),
            1 => (0..40usize, 0..40usize).prop_map(|(a, b)| Damage::CopyRow(a, b)),
            1 => (0..8usize).prop_map(Damage::InsertColumn),
            1 => (0..8usize).prop_map(Damage::DropColumn),
            1 => (0..40usize, 0..8usize).prop_map(|(r, len)| Damage::Truncate(r, len)),
        ]
    }

    fn apply(grid: &mut Grid, d: &Damage) {
        let rows = grid.rows.len().max(1);
        match d {
            Damage::Set(r, c, v) => {
                let row = &mut grid.rows[r % rows];
                if *c >= row.len() {
                    row.resize(c + 1, Cell::Empty);
                }
                row[*c] = v.clone();
            }
            Damage::DropRow(r) if grid.rows.len() > 1 => drop(grid.rows.remove(r % rows)),
            Damage::DropRow(_) => {}
            Damage::CopyRow(a, b) => {
                let row = grid.rows[a % rows].clone();
                grid.rows.insert(b % rows, row);
            }
            Damage::InsertColumn(c) => grid
                .rows
                .iter_mut()
                .for_each(|row| row.insert((*c).min(row.len()), Cell::Empty)),
            Damage::DropColumn(c) => grid
                .rows
                .iter_mut()
                .filter(|row| *c < row.len())
                .for_each(|row| drop(row.remove(*c))),
            Damage::Truncate(r, len) => grid.rows[r % rows].truncate(*len),
        }
    }

    /// `B7：…`: an error that starts with a cell address.
    fn names_a_cell(error: &str) -> bool {
        let Some((at, _)) = error.split_once('：') else {
            return false;
        };
        let letters = at.chars().take_while(char::is_ascii_uppercase).count();
        letters > 0 && at.len() > letters && at[letters..].chars().all(|c| c.is_ascii_digit())
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: crate::pipeline::fuzz::cases(),
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn damaged_sheets_never_panic_and_every_refusal_names_its_cell(
            damages in proptest::collection::vec(damage(), 0..8)
        ) {
            let data = shipped();
            let spec = data.spec("12345").expect("the shipped 12345 table");
            let month = MonthId::parse(MONTH).unwrap();
            let mut grid = base(&data, spec);
            for d in &damages {
                apply(&mut grid, d);
            }
            let imported = import(&grid, spec, &data.registry, &month);
            for e in &imported.errors {
                prop_assert!(
                    names_a_cell(e) || e.starts_with("找不到表头") || e.contains("行的表头中找不到"),
                    "an error without its cell: {e}"
                );
            }
            if imported.errors.is_empty() {
                let mut seen = std::collections::BTreeSet::new();
                for (unit, figures) in &imported.rows {
                    prop_assert!(data.registry.resolve(unit).is_some(), "{unit} is not in the registry");
                    prop_assert!(seen.insert(unit.clone()), "{unit} imported twice");
                    prop_assert_eq!(figures.len(), spec.columns.len());
                }
            }
        }
    }

    #[test]
    fn the_undamaged_sheet_imports_every_unit() {
        let data = shipped();
        let spec = data.spec("12345").unwrap();
        let grid = base(&data, spec);
        let imported = import(&grid, spec, &data.registry, &MonthId::parse(MONTH).unwrap());
        assert!(imported.errors.is_empty(), "{:?}", imported.errors);
        assert_eq!(imported.rows.len(), grid.rows.len() - 2);
    }
}
