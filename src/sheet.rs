//! Spreadsheets in: `import` reads a system's export (.xlsx, .xls, .ods, .csv in UTF-8 or
//! GBK/GB18030) into a month's table file. Each format has its own streaming reader here (`xlsx`,
//! `ods`: zip and quick-xml; `xls`: the compound file and BIFF8; `delimited`: CSV), within the
//! budgets of [`crate::limits`], and only one sheet is kept: the one [`Choice`] chooses. (The
//! workbook tongbao writes is an output: `output::xlsx`.)
//!
//! Import matches columns by their header text (a header may span two rows, the upper one merged
//! across its sub-columns; a measure word in brackets, `本月投诉(条)`, is ignored), resolves unit
//! names through the registry and its aliases, recognises a 合计 row and checks it instead of
//! importing it, and takes numbers written as numbers, as text, with thousands separators or with a
//! measure word (`12条`), as the column's kind allows (a count whole, decimals up to the column's
//! places, a percent with its `%`). Anything else is refused with the cell's address (`B7`); a
//! date, a formula without a value and an error value each say what they are.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::calendar::MonthId;
use crate::diag::{Code, Diagnostic, Loc, Source, quote_list, suggestions};
use crate::load::month::{Figure, MonthTable, Row};
use crate::load::number::{Num, Rounding};
use crate::load::schema::{self, Column, Kind};
use crate::load::table_file::{RowText, TableFile};
use crate::load::{Registry, TableSpec};

mod delimited;
mod ods;
mod read;
mod xls;
mod xlsx;

pub(crate) use read::Refusal;

/// A cell as read: its text (numbers written as Excel shows them) and whether it was a number.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Empty,
    Number(f64),
    Text(String),
    /// A cell formatted as a date or a time, as it shows (`2023年3月15日`).
    Date(String),
    /// A formula whose result the file does not hold (the program that wrote it never calculated
    /// it): the formula.
    Formula(String),
    /// An error value (`#DIV/0!`, `#REF!`).
    Error(String),
}

impl Cell {
    /// The cell's text as shown (a formula without a value has none).
    pub(crate) fn text(&self) -> String {
        match self {
            Cell::Empty | Cell::Formula(_) => String::new(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Text(t) | Cell::Date(t) | Cell::Error(t) => t.trim().to_string(),
        }
    }
}

/// A sheet: rows of cells, with the sheet's first row and column (0-based) for cell addresses.
pub(crate) struct Grid {
    pub rows: Vec<Vec<Cell>>,
    pub origin: (usize, usize),
    /// The merged ranges, in the grid's own 0-based (row, column) places: (top, left, bottom,
    /// right). Only their top-left cell holds the value.
    pub merges: Vec<(usize, usize, usize, usize)>,
}

impl Grid {
    /// The merged range that covers (`r`, `c`) without starting there.
    pub(crate) fn merge_over(&self, r: usize, c: usize) -> Option<(usize, usize, usize, usize)> {
        self.merges
            .iter()
            .copied()
            .find(|&(t, l, b, rt)| (t..=b).contains(&r) && (l..=rt).contains(&c) && (r, c) != (t, l))
    }

    /// The text at (`r`, `c`), or, in a merged range, the text of the range (its top-left cell):
    /// a 类别 merged down its group names every row of it.
    pub(crate) fn text_at(&self, r: usize, c: usize) -> String {
        let own = self
            .rows
            .get(r)
            .and_then(|row| row.get(c))
            .map(Cell::text)
            .unwrap_or_default();
        if !own.is_empty() {
            return own;
        }
        self.merge_over(r, c)
            .and_then(|(t, l, ..)| self.rows.get(t).and_then(|row| row.get(l)))
            .map(Cell::text)
            .unwrap_or_default()
    }

    /// `C4:C9`: a merged range as the spreadsheet names it.
    pub(crate) fn range_name(&self, (t, l, b, r): (usize, usize, usize, usize)) -> String {
        let (y, x) = self.origin;
        format!(
            "{}:{}",
            crate::diag::cell_address(y + t, x + l),
            crate::diag::cell_address(y + b, x + r)
        )
    }
}

/// Reads the sheet of the spreadsheet at `path` that `choice` chooses (for a table: the one named
/// after it, else the one with its title, else the first), within the budgets of [`crate::limits`]. The
/// format is told by the file's first bytes, not only its name: a zip archive is .xlsx or .ods,
/// a compound file .xls, a web page saved as .xls is named as such, and text is CSV. Returns the
/// sheet's name and its cells, or the refusal (in Chinese, at its cell when it has one).
pub(crate) fn read(path: &Path, choice: &Choice<'_>) -> Result<(String, Grid), Refusal> {
    use crate::limits::{SHEET_FILE_BYTES, read_bounded};
    let bytes = read_bounded(path, SHEET_FILE_BYTES).map_err(|e| {
        let code = if matches!(e, crate::limits::Refused::TooBig(_)) {
            Code::SheetTooBig
        } else {
            Code::Io
        };
        Refusal::new(
            code,
            format!("无法读取：{}", e.reason(SHEET_FILE_BYTES)),
            "请检查文件名和路径；导入的应是系统导出的 .xlsx、.xls、.ods 或 .csv 文件",
        )
    })?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    read_bytes(bytes, &ext, choice)
}

/// [`read`] of a file's bytes, its name ending in `.ext`.
pub(crate) fn read_bytes(bytes: Vec<u8>, ext: &str, choice: &Choice<'_>) -> Result<(String, Grid), Refusal> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(0);
    let head = bytes[start..].strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes[start..]);
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        let zip = read::Zip::open(bytes)?;
        if zip.has("content.xml") && !zip.has("xl/workbook.xml") {
            return ods::read(zip, choice);
        }
        return xlsx::read(zip, choice);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return xls::read(&bytes, choice);
    }
    let lower: Vec<u8> = head.iter().take(512).map(u8::to_ascii_lowercase).collect();
    if lower.starts_with(b"<")
        && [&b"<html"[..], b"<table", b"<!doctype", b"<?xml"]
            .iter()
            .any(|t| lower.windows(t.len()).any(|w| w == *t))
    {
        return Err(Refusal::new(
            Code::SheetFormat,
            "这个文件其实是网页（HTML/XML）格式，不是真正的 Excel 表格（有的系统导出的 .xls 就是这样）",
            "请在 Excel 或 WPS 中打开它，另存为 .xlsx 后再导入",
        ));
    }
    match ext {
        "csv" | "txt" | "tsv" => delimited::read(&bytes).map(|g| (String::new(), g)),
        "xlsx" | "xlsm" | "xls" | "ods" => Err(Refusal::damaged(format!("这不是 .{ext} 文件（文件开头不对）"))),
        _ => Err(Refusal::new(
            Code::SheetFormat,
            format!("不认识的文件类型“.{}”", crate::diag::shorten(ext, 10)),
            "可导入 .xlsx、.xls、.ods 或 .csv（.xlsb 请另存为 .xlsx）",
        )),
    }
}

/// Which sheet of a workbook is read. For a table: the one named after it (by its short name or
/// id, else a name that contains the table's name), else one whose first rows hold the table's
/// title (tongbao's own workbook names its sheets 附件1 …), else the first. Without a table: the
/// first.
pub(crate) struct Choice<'s> {
    spec: Option<&'s TableSpec>,
    /// The longest fixed piece of each title the table has had (`{月}月城中区…` → `月城中区…`).
    pieces: Vec<&'s str>,
}

impl<'s> Choice<'s> {
    /// The sheet of table `spec`.
    pub(crate) fn table(spec: &'s TableSpec) -> Choice<'s> {
        let pieces = std::iter::once(spec.title.as_str())
            .chain(spec.former_titles.iter().map(|(t, _)| t.as_str()))
            .filter_map(|t| t.split(['{', '}']).max_by_key(|p| p.chars().count()))
            .filter(|p| p.chars().count() >= 4)
            .collect();
        Choice {
            spec: Some(spec),
            pieces,
        }
    }

    /// The first sheet.
    pub(crate) fn first() -> Choice<'static> {
        Choice {
            spec: None,
            pieces: Vec::new(),
        }
    }

    /// How well a sheet's name says it holds the table: 2 for its short name or id, 1 for a name
    /// that contains the table's name, 0 otherwise.
    pub(crate) fn score(&self, name: &str) -> u8 {
        let Some(spec) = self.spec else { return 0 };
        if name == spec.expression_name() || name == spec.id {
            2
        } else if !name.is_empty() && name.contains(spec.name.trim_matches(['“', '”'])) {
            1
        } else {
            0
        }
    }

    /// Whether a sheet's first rows hold the table's title.
    pub(crate) fn titled(&self, grid: &Grid) -> bool {
        grid.rows.iter().take(6).flatten().any(|c| {
            let text = c.text();
            self.pieces.iter().any(|p| text.contains(p))
        })
    }

    /// The sheet among `names` that the names alone choose (the first of the best-scoring), or
    /// `None` when no name says it holds the table and the sheets' first rows must tell.
    pub(crate) fn by_name(&self, names: &[String]) -> Option<usize> {
        let scores: Vec<u8> = names.iter().map(|n| self.score(n)).collect();
        let top = scores.iter().copied().max().unwrap_or(0);
        if top == 0 && names.len() > 1 && !self.pieces.is_empty() {
            return None;
        }
        Some(scores.iter().position(|s| *s == top).unwrap_or(0))
    }

    /// Of `count` sheets read one at a time in order, the first whose first rows hold the title,
    /// else the first: at most two sheets' cells are held at once.
    pub(crate) fn by_title(
        &self,
        count: usize,
        mut read: impl FnMut(usize) -> Result<Grid, Refusal>,
    ) -> Result<(usize, Grid), Refusal> {
        let mut first = None;
        for i in 0..count {
            let grid = read(i)?;
            if self.titled(&grid) {
                return Ok((i, grid));
            }
            if first.is_none() {
                first = Some(grid);
            }
        }
        first
            .map(|g| (0, g))
            .ok_or_else(|| Refusal::new(Code::SheetEmpty, "工作簿里没有工作表", EMPTY_HELP))
    }
}

const EMPTY_HELP: &str = "请在 Excel 或 WPS 中打开检查，另存为 .xlsx 后再导入";

/// What an import found: the rows to write, notes for the summary, and every problem, each at its
/// cell.
#[derive(Debug, Default)]
pub(crate) struct Imported {
    /// Canonical unit name → cells by column key (a figure, a text, or empty for a blank), in
    /// the sheet's order.
    pub rows: Vec<(String, BTreeMap<String, String>)>,
    /// Notes for the summary (ignored columns, the 合计 row checked).
    pub notes: Vec<String>,
    /// Problems that stop the import (errors) and warnings, each at its cell or header.
    pub diagnostics: Vec<Diagnostic>,
}

impl Imported {
    /// Whether something stops the import.
    pub(crate) fn refused(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
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

/// Why a cell is not a figure: the code, what is wrong and how to fix it.
type Unreadable = (Code, String, &'static str);

const COUNT_HELP: &str = "请填写整数（可带千分位逗号或量词，如 1,234 或 12条）";
const NUMBER_HELP: &str = "请填写数字，小数位不多于这一列的位数（可带千分位逗号、量词或百分号，如 1,234.5 或 99.87%）";

/// Parses a figure of a column of `kind`: a number written as a number or as text, with thousands
/// separators or a measure word after it (a percent with its `%`); a count must be whole, a
/// figure with decimals may have at most the column's. A date, a formula the file holds no
/// result for and an error value each say so. `Err` says why not.
fn figure(cell: &Cell, measure: Option<&str>, kind: Kind) -> Result<Option<Num>, Unreadable> {
    let places = kind.places();
    let help = if kind == Kind::Count { COUNT_HELP } else { NUMBER_HELP };
    let bad = |why: String| (Code::ImportCell, why, help);
    let text = match cell {
        Cell::Empty => return Ok(None),
        Cell::Number(n) if !n.is_finite() || *n < 0.0 || *n > 1e9 => {
            let what = if kind == Kind::Count {
                "非负整数"
            } else {
                "非负数"
            };
            return Err(bad(format!("“{n}”不是{what}")));
        }
        Cell::Number(n) if kind == Kind::Count && n.fract() != 0.0 => return Err(bad(format!("“{n}”不是非负整数"))),
        Cell::Number(n) if kind == Kind::Count => return Ok(Some(Num::int(*n as i128))),
        Cell::Number(n) => format!("{n:.*}", usize::from(places)),
        Cell::Date(_) | Cell::Formula(_) | Cell::Error(_) => return Err(not_a_value(cell)),
        Cell::Text(t) => t.trim().to_string(),
    };
    // Tidied as the month's files are ([`crate::load::number::tidy`]).
    let (t, _) = crate::load::number::tidy(&text.replace(' ', ""), measure);
    let t = if matches!(kind, Kind::Percent { .. }) {
        t.trim_end_matches(['%', '％']).to_string()
    } else {
        t
    };
    if t.is_empty() || t == "-" || t == "—" {
        return Ok(None);
    }
    let shown = crate::diag::shorten(&text, 20);
    match Num::parse(&t) {
        Some(n) if n.is_negative() => Err(bad(format!("“{shown}”是负数"))),
        Some(n) if kind == Kind::Count && !n.is_whole() => Err(bad(format!("“{shown}”不是整数"))),
        Some(n) if n.round(places, Rounding::HalfUp) != n => {
            Err(bad(format!("“{shown}”的小数位多于这一列的 {places} 位")))
        }
        Some(n) => Ok(Some(n.round(places, Rounding::HalfUp))),
        None => Err(bad(format!("“{shown}”不是数字"))),
    }
}

/// Why a date, a formula the file holds no result for, or an error value is not a figure.
fn not_a_value(cell: &Cell) -> Unreadable {
    match cell {
        Cell::Date(d) => (
            Code::ImportDate,
            format!("这一格是日期（{}），不是数字", crate::diag::shorten(d, 30)),
            "单元格被设成了日期格式：请在 Excel 或 WPS 中把它设为“常规”或“数值”格式，填入数字后再导出",
        ),
        Cell::Formula(f) => {
            let shown = if f.trim().is_empty() {
                "共享公式".to_string()
            } else {
                format!("={}", f.trim_start_matches('='))
            };
            (
                Code::ImportFormula,
                format!(
                    "这一格是公式（{}），文件中没有保存它的计算结果",
                    crate::diag::shorten(&shown, 40)
                ),
                "请在 Excel 或 WPS 中打开并保存一次（让公式算出结果），或把公式换成数值",
            )
        }
        other => (
            Code::ImportCell,
            format!("这一格是错误值“{}”，不是数字", crate::diag::shorten(&other.text(), 20)),
            "请在 Excel 或 WPS 中改正这一格的公式或数据",
        ),
    }
}

/// Where the table is in a sheet: its header row(s), the unit column, and each column's key.
struct Header {
    unit_col: usize,
    first_data: usize,
    /// How many rows the header takes (a header repeated under a sub-table's caption is skipped).
    depth: usize,
    columns: BTreeMap<String, usize>,
    ignored: Vec<String>,
}

/// A grid and the source its cells are shown from.
struct Sheet<'g> {
    grid: &'g Grid,
    src: Arc<Source>,
}

impl Sheet<'_> {
    fn cell(&self, r: usize, c: usize) -> Cell {
        self.grid
            .rows
            .get(r)
            .and_then(|row| row.get(c))
            .cloned()
            .unwrap_or(Cell::Empty)
    }

    /// The place of cell (r, c) of the grid.
    fn at(&self, r: usize, c: usize) -> Loc {
        Loc {
            src: self.src.clone(),
            line: self.grid.origin.0 + r + 1,
            col: self.grid.origin.1 + c + 1,
            len: 1,
        }
    }

    /// The header: the first row with a unit header and up to two rows under it that have text
    /// where the units' names would be empty (a header of groups over columns); each column's key
    /// by its header's text from the top row down (a merged cell's text is carried right over
    /// the columns under it, within the group above).
    fn header(&self, spec: &TableSpec, month: &MonthId) -> Result<Header, Diagnostic> {
        let columns_now = spec.columns_at(month);
        let is_unit = |c: &Cell| UNIT_HEADERS.contains(&header_key(&c.text()).as_str());
        let Some(head) = self.grid.rows.iter().position(|row| row.iter().any(is_unit)) else {
            return Err(Diagnostic::in_file(
                crate::diag::Severity::Error,
                Code::ImportHeader,
                &self.src.path,
                format!(
                    "找不到表头：表格中应有一行写着“单位”（或“单位名称”），其右是各列名称，如 {}",
                    quote_list(&spec.columns.iter().map(|c| c.label.as_str()).collect::<Vec<_>>())
                ),
            ));
        };
        let unit_col = self.grid.rows[head].iter().position(is_unit).unwrap_or(0);
        let width = self.grid.rows.iter().map(Vec::len).max().unwrap_or(0);
        let under = |r: usize| {
            self.grid.rows.get(r).is_some_and(|row| {
                row.get(unit_col).is_none_or(|c| c.text().is_empty()) && row.iter().any(|c| !c.text().is_empty())
            })
        };
        let depth = 1 + (1..=2).take_while(|k| under(head + k)).count();
        let headers = self.header_texts(head, depth, width);
        let mut columns = BTreeMap::new();
        let mut ignored = Vec::new();
        for (c, h) in headers.iter().enumerate() {
            if c == unit_col || h.is_empty() {
                continue;
            }
            // A rate the system states is kept as stated (printed as it says, checked against
            // the computed one), like a rate written in the month's file.
            let rate = spec
                .derived_at(month)
                .into_iter()
                .find(|d| [d.key.as_str(), d.label.as_str()].contains(&header_key(h).as_str()));
            match (match_column(&columns_now, h), rate) {
                (Some(col), _) if !columns.contains_key(&col.key) => {
                    columns.insert(col.key.clone(), c);
                }
                (None, Some(d)) if !columns.contains_key(&d.key) => {
                    columns.insert(d.key.clone(), c);
                }
                _ => ignored.push(h.clone()),
            }
        }
        // Computed and cumulative columns may be left out (tongbao computes them).
        let required = |col: &&&Column| matches!(col.source, schema::Source::Stated);
        if let Some(col) = columns_now
            .iter()
            .filter(required)
            .find(|col| !columns.contains_key(&col.key))
        {
            let known: Vec<&str> = headers.iter().map(String::as_str).filter(|h| !h.is_empty()).collect();
            let near = suggestions(&col.label, known.iter().copied(), 1);
            let hint = if near.is_empty() {
                format!("表头有：{}", quote_list(&known))
            } else {
                format!("是否是{}？", quote_list(&near))
            };
            return Err(Diagnostic::error(
                Code::ImportHeader,
                &self.at(head, unit_col),
                format!(
                    "第 {} 行的表头中找不到“{}”列",
                    self.grid.origin.0 + head + 1,
                    col.groups
                        .iter()
                        .map(String::as_str)
                        .chain([col.header_at(month).as_str()])
                        .collect::<Vec<_>>()
                        .join("／")
                ),
            )
            .help(hint));
        }
        Ok(Header {
            unit_col,
            first_data: head + depth,
            depth,
            columns,
            ignored,
        })
    }

    /// Each column's header text, its `depth` rows from `head` joined top to bottom. An empty
    /// cell takes the text on its left (a merged cell over several columns) only while the row
    /// above is also carried (the same group): a new group above starts afresh below.
    fn header_texts(&self, head: usize, depth: usize, width: usize) -> Vec<String> {
        let mut carried = vec![String::new(); depth];
        (0..width)
            .map(|c| {
                let mut parts = Vec::new();
                let mut fresh_above = false;
                for level in 0..depth {
                    let text = self.cell(head + level, c).text();
                    if !text.is_empty() {
                        // A new cell: the groups under the old one end here.
                        carried[level] = text.clone();
                        carried[level + 1..].iter_mut().for_each(String::clear);
                        fresh_above = true;
                        parts.push(text);
                    } else if !fresh_above && !carried[level].is_empty() {
                        // Under a group that runs on from the left.
                        parts.push(carried[level].clone());
                    }
                }
                // A column with no text of its own has no header.
                if fresh_above { parts.concat() } else { String::new() }
            })
            .collect()
    }
}

/// The column a header's text names: by its whole path (its groups and its own header, now or
/// formerly), else by its key or its header alone when no other column has the same one, else by
/// a header that ends with it.
fn match_column<'c>(columns: &[&'c Column], header: &str) -> Option<&'c Column> {
    let key = header_key(header);
    let labels = |col: &Column| -> Vec<String> {
        std::iter::once(col.label.as_str())
            .chain(col.former.iter().map(|f| f.label.as_str()))
            .map(header_key)
            .collect()
    };
    let path = |col: &Column, label: &str| header_key(&format!("{}{label}", col.groups.concat()));
    let whole = columns
        .iter()
        .find(|col| labels(col).iter().any(|l| key == path(col, l)));
    let alone = || {
        let named: Vec<&&Column> = columns
            .iter()
            .filter(|col| key == col.key || labels(col).contains(&key))
            .collect();
        (named.len() == 1).then(|| *named[0])
    };
    let ending = || {
        columns.iter().find(|col| {
            labels(col)
                .iter()
                .any(|l| key.ends_with(&path(col, l)) || (col.groups.is_empty() && key.ends_with(l.as_str())))
        })
    };
    whole.copied().or_else(alone).or_else(|| ending().copied())
}

/// Imports a grid into table `spec`: the sheet becomes a month table whose places are its cells,
/// and the month's table checks run on it (units in the registry and existing in the month, none
/// twice, the required kinds, the column rules, the 合计 row), so the sheet is refused for exactly
/// what the month file would be refused for, at the cell.
pub(crate) fn import(grid: &Grid, file: &str, spec: &TableSpec, registry: &Registry, month: &MonthId) -> Imported {
    let sheet = Sheet {
        grid,
        src: Source::sheet(
            file,
            grid.rows
                .iter()
                .map(|r| r.iter().map(Cell::text).collect::<Vec<_>>().join("\t")),
        ),
    };
    let mut out = Imported::default();
    let header = match sheet.header(spec, month) {
        Ok(h) => h,
        Err(d) => {
            out.diagnostics.push(d);
            return out;
        }
    };
    if !header.ignored.is_empty() {
        out.notes.push(format!(
            "未使用的列：{}",
            quote_list(&header.ignored.iter().map(String::as_str).collect::<Vec<_>>())
        ));
    }
    let table = month_table(&sheet, &header, spec, &mut out);
    crate::check::tables::check_table(spec, &table, registry, month, &mut out.diagnostics);
    if let Some(total) = &table.total
        && !out.refused()
    {
        out.notes.push(format!(
            "第 {} 行是合计行：已核对，与各行之和一致，不作为单位导入",
            total.first().map_or(0, |f| f.loc.line)
        ));
    }
    out.rows = table
        .rows
        .iter()
        .filter_map(|r| {
            let unit = registry.resolve(&r.unit)?;
            let cells = r
                .values
                .iter()
                .map(|f| (f.key.clone(), f.value.to_string()))
                .chain(r.blanks.iter().map(|k| (k.clone(), String::new())))
                .chain(r.texts.iter().cloned())
                .chain(r.stated.iter().map(|s| (s.key.clone(), s.text.clone())))
                .collect();
            Some((unit.name.clone(), cells))
        })
        .collect();
    out
}

/// The sheet's rows as a month table (figures that cannot be read are problems at their cell).
fn month_table(sheet: &Sheet<'_>, header: &Header, spec: &TableSpec, out: &mut Imported) -> MonthTable {
    let mut rows = Vec::new();
    let mut total = None;
    let mut incomplete = false;
    // Rows of the sub-tables' layout: their captions, repeated headers and subtotals.
    let mut parts = 0;
    let mut skip_to = header.first_data;
    for r in header.first_data..sheet.grid.rows.len() {
        if r < skip_to {
            continue;
        }
        match part_row(sheet, header, spec, r) {
            PartRow::Data => {}
            PartRow::Header => {
                skip_to = r + header.depth;
                parts += 1;
                continue;
            }
            PartRow::Caption | PartRow::Subtotal => {
                parts += 1;
                continue;
            }
        }
        let name = sheet.cell(r, header.unit_col).text();
        // The 合计 label may stand in the unit column or, merged across 序号 and 单位, left of it.
        let is_total = (0..=header.unit_col).any(|c| {
            let text: String = sheet
                .cell(r, c)
                .text()
                .chars()
                .filter(|ch| !ch.is_whitespace())
                .collect();
            TOTAL_NAMES.iter().any(|t| t.replace(' ', "") == text)
        });
        let Some((row, complete)) = read_row(sheet, header, spec, r, is_total, out) else {
            continue;
        };
        if is_total {
            // Checked where it states a figure; a cell it leaves blank (an average it does not
            // give) is no problem.
            total = Some(row.values);
            continue;
        }
        incomplete |= !complete;
        if name.is_empty() {
            out.diagnostics.push(Diagnostic::error(
                Code::ImportCell,
                &sheet.at(r, header.unit_col),
                "这一行有数字但没有单位名称",
            ));
            continue;
        }
        rows.push(row);
    }
    if parts > 0 {
        out.notes
            .push(format!("分表的标题、表头和小计共 {parts} 行，不作为单位导入"));
    }
    MonthTable {
        rows,
        total,
        incomplete,
        loc: Loc::file(&sheet.src),
        ..MonthTable::empty(spec)
    }
}

/// Row `r` of the sheet read as a unit's row (figures that cannot be read are problems at their
/// cell; an empty cell of the `total` row is none), and whether every cell was read; `None` for
/// an empty row.
fn read_row(
    sheet: &Sheet<'_>,
    header: &Header,
    spec: &TableSpec,
    r: usize,
    total: bool,
    out: &mut Imported,
) -> Option<(Row, bool)> {
    let name = sheet.cell(r, header.unit_col).text();
    let cells: Vec<(&String, Cell, usize)> = header.columns.iter().map(|(k, c)| (k, sheet.cell(r, *c), *c)).collect();
    if name.is_empty() && cells.iter().all(|(_, v, _)| v.text().is_empty()) {
        return None;
    }
    let mut row = Row::new(
        name.clone(),
        sheet.at(r, header.unit_col),
        Vec::new(),
        sheet.at(r, header.unit_col),
    );
    for (key, v, c) in &cells {
        let Some(col) = spec.column(key) else {
            stated_rate(&mut row, key, v, sheet.at(r, *c), total, out);
            continue;
        };
        if !col.kind.is_figure() {
            row.texts.push(((*key).clone(), v.text()));
            continue;
        }
        match figure(v, col.measure.as_deref(), col.kind) {
            Ok(Some(n)) => {
                // Read as the month's files would read it, with the same warning.
                if let Cell::Text(written) = v
                    && let (tidied, Some(dropped)) = crate::load::number::tidy(written, col.measure.as_deref())
                {
                    let (message, help) = crate::load::number::tidied_warning(written, &tidied, &dropped);
                    out.diagnostics
                        .push(Diagnostic::warning(Code::ImportCell, &sheet.at(r, *c), message).help(help));
                }
                row.values.push(Figure {
                    key: (*key).clone(),
                    value: n,
                    loc: sheet.at(r, *c),
                });
            }
            // A blank where the column allows one; a computed column left empty is computed.
            Ok(None) if col.blank.is_some() => row.blanks.push((*key).clone()),
            Ok(None) if !matches!(col.source, schema::Source::Stated) || total => {}
            Ok(None) => {
                // A merged cell holds its value in its top-left cell only: say so.
                let merged = sheet.grid.merge_over(r, *c).map_or(String::new(), |m| {
                    format!(
                        "（这一格在合并单元格 {} 中，值只在它的第一格；请取消合并，每一格填上数字）",
                        sheet.grid.range_name(m)
                    )
                });
                out.diagnostics.push(
                    Diagnostic::error(
                        Code::ImportCell,
                        &sheet.at(r, *c),
                        format!("“{}”的“{key}”是空的{merged}", crate::diag::shorten(&name, 30)),
                    )
                    .help("没有数据时请填 0；这一列确实应当空着时，在表格定义中给它写 可空: true"),
                );
            }
            Err((code, why, help)) => {
                out.diagnostics
                    .push(Diagnostic::error(code, &sheet.at(r, *c), why).help(help));
            }
        }
    }
    let read = row.values.len() + row.blanks.len() + row.texts.len() + row.stated.len();
    let optional = cells
        .iter()
        .filter(|(k, v, _)| {
            let computed = spec
                .column(k)
                .is_none_or(|c| !matches!(c.source, schema::Source::Stated));
            computed && v.text().is_empty()
        })
        .count();
    Some((row, read + optional == cells.len()))
}

/// A rate the sheet states, kept as stated on `row` (a number is a percent: `29.03` is 29.03%).
fn stated_rate(row: &mut Row, key: &str, v: &Cell, at: Loc, total: bool, out: &mut Imported) {
    let written = match v {
        Cell::Empty => return,
        Cell::Number(n) => format!("{n}%"),
        other => other.text(),
    };
    if written.trim().is_empty() || total {
        return;
    }
    match crate::load::number::stated_rate(&written) {
        Ok((text, value)) => row.stated.push(crate::load::month::Stated {
            key: key.to_string(),
            text,
            value,
            loc: at,
        }),
        Err(why) => out.diagnostics.push(
            Diagnostic::error(Code::ImportCell, &at, format!("“{key}”{why}"))
                .help("照系统导出的样子，如 57.10%、50%、0；无法计算的写 —"),
        ),
    }
}

/// What a row below the header is in a sheet laid out in sub-tables.
enum PartRow {
    Data,
    /// A sub-table's caption (`二、市级各部门`): its only text is a caption of the description.
    Caption,
    /// The header again, under a sub-table's caption.
    Header,
    /// A sub-table's total (`分表合计`'s label), not the table's.
    Subtotal,
}

fn part_row(sheet: &Sheet<'_>, header: &Header, spec: &TableSpec, r: usize) -> PartRow {
    let texts: Vec<String> = sheet.grid.rows[r]
        .iter()
        .map(|c| c.text().chars().filter(|ch| !ch.is_whitespace()).collect::<String>())
        .filter(|t| !t.is_empty())
        .collect();
    let unit = header_key(&sheet.cell(r, header.unit_col).text());
    let label: String = (0..=header.unit_col)
        .map(|c| sheet.cell(r, c).text())
        .collect::<String>()
        .chars()
        .filter(|ch| !ch.is_whitespace())
        .collect();
    match texts.as_slice() {
        [only]
            if spec
                .subtables
                .iter()
                .any(|t| t.caption.replace(char::is_whitespace, "") == *only) =>
        {
            PartRow::Caption
        }
        _ if UNIT_HEADERS.contains(&unit.as_str()) => PartRow::Header,
        _ if !spec.subtables.is_empty()
            && spec
                .subtotals
                .as_ref()
                .is_some_and(|l| l.replace(char::is_whitespace, "") == label) =>
        {
            PartRow::Subtotal
        }
        _ => PartRow::Data,
    }
}

/// The month's table file with its rows replaced by `rows`: comments, 概况 and the row comments of
/// units still listed are kept; a stated 合计 is dropped (tongbao computes it). A new file starts
/// with `header` and blank 概况 figures. Written by the one writer of month tables.
pub(crate) fn rewrite(
    existing: Option<&str>,
    spec: &TableSpec,
    rows: &[(String, BTreeMap<String, String>)],
    registry: &Registry,
    header: &[String],
) -> String {
    let mut file = match existing {
        Some(text) => TableFile::read(text),
        None => TableFile {
            header: header.to_vec(),
            headlines: spec
                .headlines
                .iter()
                .map(|h| (h.key.clone(), crate::load::yaml::UNFILLED.to_string()))
                .collect(),
            ..TableFile::default()
        },
    };
    let comments: BTreeMap<String, String> = file
        .comments()
        .into_iter()
        .filter_map(|(unit, c)| registry.resolve(&unit).map(|u| (u.name.clone(), c)))
        .collect();
    file.total.clear();
    file.rows = rows
        .iter()
        .map(|(unit, figures)| RowText {
            unit: unit.clone(),
            // The columns in the description's order, then the rates the sheet stated.
            cells: spec
                .columns
                .iter()
                .map(|c| &c.key)
                .chain(spec.derived.iter().map(|d| &d.key))
                .filter_map(|k| figures.get(k).map(|v| (k.clone(), v.clone())))
                .collect(),
            comment: comments.get(unit).cloned(),
        })
        .collect();
    file.to_yaml()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cell_addresses() {
        use crate::diag::cell_address as address;
        assert_eq!(address(6, 1), "B7");
        assert_eq!(address(0, 25), "Z1");
        assert_eq!(address(9, 26), "AA10");
    }

    #[test]
    fn figures_in_the_forms_exports_use() {
        let m = Some("条");
        let count = |c: Cell| figure(&c, m, Kind::Count).map(|n| n.map(|n| n.text()));
        assert_eq!(count(Cell::Number(12.0)), Ok(Some("12".into())));
        assert_eq!(count(Cell::Text("1,234".into())), Ok(Some("1234".into())));
        assert_eq!(count(Cell::Text("12条".into())), Ok(Some("12".into())));
        assert_eq!(count(Cell::Text("１２".into())), Ok(Some("12".into())));
        assert!(count(Cell::Text("十二".into())).is_err());
        assert!(count(Cell::Number(2.5)).is_err());
        assert!(count(Cell::Number(-1.0)).is_err());
        assert!(count(Cell::Number(f64::NAN)).is_err());
        let decimal = |c: Cell| figure(&c, m, Kind::Decimal { places: 1 }).map(|n| n.map(|n| n.text()));
        assert_eq!(decimal(Cell::Number(2.5)), Ok(Some("2.5".into())));
        assert_eq!(decimal(Cell::Text("4".into())), Ok(Some("4.0".into())));
        assert!(decimal(Cell::Text("2.55".into())).is_err());
        let percent = |c: Cell| figure(&c, m, Kind::Percent { places: 2 }).map(|n| n.map(|n| n.text()));
        assert_eq!(percent(Cell::Text("99.87%".into())), Ok(Some("99.87".into())));
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
mod fuzz_files;

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
        let month = MonthId::parse(MONTH).unwrap();
        let mut head = vec![Cell::Text("序号".into()), Cell::Text("单位".into())];
        head.extend(spec.columns_at(&month).iter().map(|c| Cell::Text(c.header_at(&month))));
        let mut rows = vec![head];
        let units = data
            .registry
            .units
            .iter()
            .filter(|u| u.since.is_none() && u.until.is_none() && u.merged_into.is_none());
        let mut sums = vec![0.0; spec.columns_at(&month).len()];
        for (i, unit) in units.enumerate() {
            let mut row = vec![Cell::Number(i as f64 + 1.0), Cell::Text(unit.name.clone())];
            for (k, sum) in sums.iter_mut().enumerate() {
                // The first column (本月) is the largest, as the table's rules ask.
                let n = ((i * 7 + k * 3) % 50 + if k == 0 { 100 } else { 0 }) as f64;
                *sum += n;
                row.push(Cell::Number(n));
            }
            rows.push(row);
        }
        let mut total = vec![Cell::Empty, Cell::Text("合计".into())];
        total.extend(sums.into_iter().map(Cell::Number));
        rows.push(total);
        Grid {
            rows,
            origin: (2, 0),
            merges: Vec::new(),
        }
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

    proptest! {
        #![proptest_config(crate::limits::fuzz_config(1))]

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
            let imported = import(&grid, "导出.xlsx", spec, &data.registry, &month);
            for e in imported.diagnostics.iter().filter(|d| d.is_error()) {
                // Only the header and the units missing from the whole table have no one cell.
                prop_assert!(
                    e.cell.is_some() || [Code::ImportHeader, Code::UnitMissing].contains(&e.code),
                    "an error without its cell: {e:?}"
                );
            }
            if !imported.refused() {
                let mut seen = std::collections::BTreeSet::new();
                for (unit, figures) in &imported.rows {
                    prop_assert!(data.registry.resolve(unit).is_some(), "{unit} is not in the registry");
                    prop_assert!(seen.insert(unit.clone()), "{unit} imported twice");
                    prop_assert_eq!(figures.len(), spec.columns_at(&month).len());
                }
            }
        }
    }

    #[test]
    fn the_undamaged_sheet_imports_every_unit() {
        let data = shipped();
        let spec = data.spec("12345").unwrap();
        let grid = base(&data, spec);
        let imported = import(
            &grid,
            "导出.xlsx",
            spec,
            &data.registry,
            &MonthId::parse(MONTH).unwrap(),
        );
        assert!(!imported.refused(), "{:?}", imported.diagnostics);
        assert_eq!(imported.rows.len(), grid.rows.len() - 2);
    }
}
