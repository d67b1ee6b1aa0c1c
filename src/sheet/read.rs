//! What every spreadsheet reader shares: the refusal (a Chinese message at a cell), the grid being
//! filled within its budget ([`Sink`]), the zip archive read in bounded pieces ([`Zip`]), XML
//! events from quick-xml, and the number formats that make a number a date.
//!
//! Nothing is allocated by what a file declares (a dimension, a count, a repeat): cells are kept
//! only when they hold a value, each at most [`CELL_CHARS`](crate::limits::CELL_CHARS), and a
//! value beyond the budget's rows or columns is refused at its cell.

use std::collections::BTreeSet;
use std::io::{BufRead, Cursor, Read};

use super::{Cell, Grid};
use crate::diag::{Code, Diagnostic, Loc, Severity, Source};
use crate::limits::{
    CELL_CHARS, SHEET_CELLS, SHEET_COLUMNS, SHEET_ENTRIES, SHEET_INFLATED_BYTES, SHEET_ROWS, SHEET_TEXT_BYTES, size,
};

/// Why a spreadsheet was not read: what is wrong (Chinese), how to fix it, where (a 0-based cell),
/// and what a library said.
#[derive(Debug, Clone)]
pub(crate) struct Refusal {
    pub code: Code,
    pub message: String,
    pub help: String,
    pub cell: Option<(u32, u32)>,
    pub detail: Option<String>,
}

pub(crate) type Result<T> = std::result::Result<T, Refusal>;

impl Refusal {
    pub(crate) fn new(code: Code, message: impl Into<String>, help: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: message.into(),
            help: help.into(),
            cell: None,
            detail: None,
        }
    }

    /// A damaged file: the part named and what broke.
    pub(crate) fn damaged(what: impl std::fmt::Display) -> Refusal {
        Refusal::new(
            Code::SheetDamaged,
            format!("文件已损坏，无法读取：{what}"),
            "请在 Excel、WPS 或 LibreOffice 中打开它，另存为 .xlsx 后再导入；打不开时请重新从系统导出",
        )
    }

    pub(crate) fn at(mut self, row: u32, col: u32) -> Refusal {
        self.cell.get_or_insert((row, col));
        self
    }

    pub(crate) fn detail(mut self, detail: impl Into<String>) -> Refusal {
        self.detail = Some(detail.into());
        self
    }

    /// The refusal as a diagnostic of file `file` (at its cell when it has one).
    pub(crate) fn diagnostic(&self, file: &str) -> Diagnostic {
        let d = match self.cell {
            Some((row, col)) => {
                let src = Source::sheet(file, std::iter::empty());
                let loc = Loc {
                    src,
                    line: row as usize + 1,
                    col: col as usize + 1,
                    len: 1,
                };
                Diagnostic::error(self.code, &loc, self.message.clone())
            }
            None => Diagnostic::in_file(
                Severity::Error,
                self.code,
                std::path::Path::new(file),
                self.message.clone(),
            ),
        };
        let d = d.help(self.help.clone());
        match &self.detail {
            Some(detail) => d.detail(detail.clone()),
            None => d,
        }
    }
}

/// A refusal for going over a budget: what, the limit and why it is there.
pub(crate) fn over(what: String, help: &str) -> Refusal {
    Refusal::new(Code::SheetTooBig, what, help)
}

const WHY_ROWS: &str = "一个月的统计表只有几十行：请检查是否选错了文件或工作表；确需导入时请删去多余的行和列再导入";

/// The cells of one sheet as they are read, within the budget: only cells with a value are kept.
#[derive(Default)]
pub(crate) struct Sink {
    cells: Vec<(u32, u32, Cell)>,
    text: usize,
    /// Merged ranges: (top, left, bottom, right), 0-based, inclusive.
    merges: Vec<(u32, u32, u32, u32)>,
}

impl Sink {
    /// Keeps a cell at 0-based (row, col). An empty cell is dropped wherever it is.
    pub(crate) fn put(&mut self, row: u32, col: u32, cell: Cell) -> Result<()> {
        let text = match &cell {
            Cell::Empty => return Ok(()),
            Cell::Text(t) if t.trim().is_empty() => return Ok(()),
            Cell::Text(t) | Cell::Date(t) | Cell::Formula(t) | Cell::Error(t) => t.len(),
            Cell::Number(_) => 0,
        };
        if row >= SHEET_ROWS {
            return Err(over(
                format!("第 {} 行有数据：表格最多读取 {SHEET_ROWS} 行", u64::from(row) + 1),
                WHY_ROWS,
            )
            .at(row, col));
        }
        if col >= SHEET_COLUMNS {
            return Err(over(
                format!(
                    "第 {} 列（{} 列）有数据：表格最多读取 {SHEET_COLUMNS} 列",
                    u64::from(col) + 1,
                    column_name(col)
                ),
                WHY_ROWS,
            )
            .at(row, col));
        }
        if self.cells.len() >= SHEET_CELLS {
            return Err(over(format!("有数据的单元格超过 {SHEET_CELLS} 个"), WHY_ROWS).at(row, col));
        }
        self.text += text;
        if self.text > SHEET_TEXT_BYTES {
            return Err(over(
                format!("单元格中的文字合计超过 {}", size(SHEET_TEXT_BYTES as u64)),
                WHY_ROWS,
            )
            .at(row, col));
        }
        self.cells.push((row, col, cell));
        Ok(())
    }

    /// Records a merged range, 0-based and inclusive (a range beyond the budgets is clipped; past
    /// [`crate::limits::SHEET_MERGES`] ranges, the rest are not kept).
    pub(crate) fn merge(&mut self, top: u32, left: u32, bottom: u32, right: u32) {
        if self.merges.len() < crate::limits::SHEET_MERGES
            && top <= bottom
            && left <= right
            && top < SHEET_ROWS
            && left < SHEET_COLUMNS
        {
            self.merges
                .push((top, left, bottom.min(SHEET_ROWS - 1), right.min(SHEET_COLUMNS - 1)));
        }
    }

    /// The grid: rows from the first to the last holding a value, each as long as its last value.
    pub(crate) fn finish(mut self) -> Grid {
        if self.cells.is_empty() {
            return Grid {
                rows: Vec::new(),
                origin: (0, 0),
                merges: Vec::new(),
            };
        }
        // Stable: of two values for one cell (a damaged file), the later one wins below.
        self.cells.sort_by_key(|(r, c, _)| (*r, *c));
        let top = self.cells[0].0;
        let left = self.cells.iter().map(|(_, c, _)| *c).min().unwrap_or(0);
        let bottom = self.cells.last().map_or(top, |(r, _, _)| *r);
        let mut rows: Vec<Vec<Cell>> = (top..=bottom).map(|_| Vec::new()).collect();
        for (r, c, cell) in self.cells {
            let row = &mut rows[(r - top) as usize];
            let at = (c - left) as usize;
            if row.len() <= at {
                row.resize(at + 1, Cell::Empty);
            }
            row[at] = cell;
        }
        let merges = self
            .merges
            .iter()
            .filter(|(t, l, ..)| *t >= top && *l >= left)
            .map(|&(t, l, b, r)| {
                (
                    (t - top) as usize,
                    (l - left) as usize,
                    (b - top) as usize,
                    (r - left) as usize,
                )
            })
            .collect();
        Grid {
            rows,
            origin: (top as usize, left as usize),
            merges,
        }
    }
}

/// `A`, `Z`, `AA` for 0-based column numbers.
pub(crate) fn column_name(col: u32) -> String {
    let address = crate::diag::cell_address(0, col as usize);
    address.trim_end_matches('1').to_string()
}

/// Adds text to a cell's text, refusing a cell longer than [`CELL_CHARS`].
pub(crate) fn push_text(into: &mut String, text: &str) -> Result<()> {
    into.push_str(text);
    if into.len() > CELL_CHARS && (into.len() > CELL_CHARS * 4 || into.chars().count() > CELL_CHARS) {
        return Err(cell_too_long());
    }
    Ok(())
}

/// The refusal for a cell holding more than [`CELL_CHARS`] characters.
pub(crate) fn cell_too_long() -> Refusal {
    over(
        format!("单元格中的文字超过 {CELL_CHARS} 个字符"),
        "统计表的单元格只写单位名称和数字；请检查是否选错了文件",
    )
}

/// The shared strings of a workbook, in one buffer. A string longer than a cell may be is kept
/// cut and marked: it is refused only if the chosen sheet uses it.
#[derive(Default)]
pub(crate) struct Strings {
    text: String,
    ends: Vec<usize>,
    long: BTreeSet<usize>,
}

impl Strings {
    pub(crate) fn get(&self, i: usize) -> Option<(&str, bool)> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some((&self.text[start..end], self.long.contains(&i)))
    }

    /// Adds a string; `long` marks one cut at the limit of a cell.
    pub(crate) fn push(&mut self, text: &str, long: bool) {
        if long {
            self.long.insert(self.ends.len());
        }
        self.text.push_str(text);
        self.ends.push(self.text.len());
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(crate) fn bytes(&self) -> usize {
        self.text.len()
    }
}

/// A zip archive (.xlsx, .ods) in memory, whose parts are read within one budget of inflated
/// bytes for the whole file, whatever sizes the archive declares.
pub(crate) struct Zip {
    archive: zip::ZipArchive<Cursor<Vec<u8>>>,
    left: u64,
}

impl Zip {
    /// Opens the archive, refusing one with more entries than [`SHEET_ENTRIES`] before the zip
    /// crate reads its directory.
    pub(crate) fn open(bytes: Vec<u8>) -> Result<Zip> {
        let entries = memchr_count(&bytes, b"PK\x01\x02");
        if entries > SHEET_ENTRIES {
            return Err(over(
                format!("压缩包中有约 {entries} 个文件，超过 {SHEET_ENTRIES} 个的上限"),
                "电子表格文件只有十几个部分；请检查是否选错了文件",
            ));
        }
        let archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
        Ok(Zip {
            archive,
            left: SHEET_INFLATED_BYTES,
        })
    }

    /// Whether the archive has a part of that name.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.archive.index_for_name(name).is_some()
    }

    /// A part, streamed: its inflated bytes count against the budget as they are read.
    pub(crate) fn stream(&mut self, name: &str) -> Result<Option<Bounded<'_>>> {
        let Some(index) = self.archive.index_for_name(name) else {
            return Ok(None);
        };
        let file = self.archive.by_index(index).map_err(zip_error)?;
        Ok(Some(Bounded {
            inner: Box::new(file),
            left: &mut self.left,
            run: 0,
            over: false,
        }))
    }
}

/// The archive's error in Chinese (the zip crate's words kept as detail).
fn zip_error(e: zip::result::ZipError) -> Refusal {
    use zip::result::ZipError;
    let message = match &e {
        ZipError::InvalidPassword => {
            return Refusal::new(
                Code::SheetEncrypted,
                "文件有密码保护，无法读取",
                "请在 Excel 或 WPS 中去掉密码（另存时不设密码）后再导入",
            )
            .detail(e.to_string());
        }
        ZipError::UnsupportedArchive(_) | ZipError::CompressionMethodNotSupported(_) => {
            "压缩包使用了不支持的压缩方式或加密"
        }
        ZipError::Io(_) => "读取压缩包时出错",
        _ => "不是有效的 zip 压缩包（.xlsx 和 .ods 文件都是 zip 压缩包）",
    };
    Refusal::damaged(message).detail(e.to_string())
}

fn memchr_count(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).filter(|w| *w == needle).count()
}

/// Longest run of XML without a `<` or `>`: the XML reader holds a whole text or tag in memory,
/// and no part of a spreadsheet has one this long.
const XML_RUN: usize = 1 << 20;

/// A part of a zip archive that stops with an error once the archive's budget is spent, or once
/// a text or tag would be longer than [`XML_RUN`].
pub(crate) struct Bounded<'a> {
    inner: Box<dyn Read + 'a>,
    left: &'a mut u64,
    run: usize,
    /// The budget ran out (so the error that follows is a refusal, not damage).
    pub over: bool,
}

impl Read for Bounded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if *self.left == 0 {
            // One byte more would break the budget: is there one?
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? == 0 {
                return Ok(0);
            }
            self.over = true;
            return Err(std::io::Error::other("inflated size budget exceeded"));
        }
        let max = buf.len().min(usize::try_from(*self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        *self.left -= n as u64;
        for b in &buf[..n] {
            self.run = if matches!(b, b'<' | b'>') { 0 } else { self.run + 1 };
        }
        if self.run > XML_RUN {
            self.over = true;
            return Err(std::io::Error::other("text or tag too long"));
        }
        Ok(n)
    }
}

/// The refusal for a part whose inflated bytes broke the budget (or held a text or tag longer
/// than any spreadsheet has).
pub(crate) fn inflated_too_much(part: &str) -> Refusal {
    over(
        format!(
            "{part} 解压后超过 {}，或其中有超过 {} 的一段文字（压缩包内的文件合计不能超过这个大小）",
            size(SHEET_INFLATED_BYTES),
            size(XML_RUN as u64)
        ),
        "一个月的统计表解压后只有几十 KiB：这个文件可能是“压缩炸弹”或选错了文件",
    )
}

/// An XML reader over a part, with the text kept as written (no trimming).
pub(crate) fn xml<R: BufRead>(reader: R) -> quick_xml::Reader<R> {
    let mut xml = quick_xml::Reader::from_reader(reader);
    xml.config_mut().trim_text(false);
    xml
}

/// The refusal for an XML error in `part`; a broken budget wins over the damage it caused.
pub(crate) fn xml_error(part: &str, over_budget: bool, e: &quick_xml::Error, at: u64) -> Refusal {
    if over_budget {
        return inflated_too_much(part);
    }
    Refusal::damaged(format!("{part} 不是有效的 XML（约第 {at} 字节处）")).detail(e.to_string())
}

/// The next event of part `part`'s XML; an XML error is refused as [`xml_error`] says (a broken
/// budget named as such).
pub(crate) fn next_event<'b>(
    reader: &mut quick_xml::Reader<std::io::BufReader<Bounded<'_>>>,
    buf: &'b mut Vec<u8>,
    part: &str,
) -> Result<quick_xml::events::Event<'b>> {
    match reader.read_event_into(buf) {
        Ok(event) => Ok(event),
        Err(e) => {
            let over = reader.get_ref().get_ref().over;
            Err(xml_error(part, over, &e, reader.error_position()))
        }
    }
}

/// The local name of an element or attribute (`table:table-cell` → `table-cell`), as text.
pub(crate) fn local<T: AsRef<[u8]> + ?Sized>(name: &T) -> &[u8] {
    let name = name.as_ref();
    name.rsplit(|b| *b == b':').next().unwrap_or(name)
}

/// The value of the attribute whose local name is `key` (any prefix).
pub(crate) fn attr(e: &quick_xml::events::BytesStart<'_>, key: &[u8]) -> Option<String> {
    e.attributes()
        .filter_map(std::result::Result::ok)
        .find(|a| local(a.key.as_ref()) == key)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

/// The text of an entity or character reference (`&amp;`, `&#x4E00;`); unknown entities are kept
/// as written (no DTD is ever read, so no entity can expand).
pub(crate) fn reference(r: &quick_xml::events::BytesRef<'_>) -> String {
    let name = r.xml10_content();
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    match quick_xml::escape::resolve_predefined_entity(&name) {
        Some(s) => s.to_string(),
        None => format!("&{name};"),
    }
}

/// Whether number format `code` shows a date or a time: outside quoted text, escapes and
/// `[…]` sections (colours, locales; but `[h]` elapsed hours count), it has a y, m, d, h or s, or
/// 年, 月, 日, 时, 分, 秒.
pub(crate) fn is_date_format(code: &str) -> bool {
    if code.eq_ignore_ascii_case("general") || code.eq_ignore_ascii_case("@") {
        return false;
    }
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                }
            }
            '\\' | '_' | '*' => {
                chars.next();
            }
            '[' => {
                let inner: String = chars.by_ref().take_while(|b| *b != ']').collect();
                if matches!(
                    inner.to_ascii_lowercase().as_str(),
                    "h" | "hh" | "m" | "mm" | "s" | "ss"
                ) {
                    return true;
                }
            }
            'y' | 'Y' | 'm' | 'M' | 'd' | 'D' | 'h' | 'H' | 's' | 'S' | '年' | '月' | '日' | '时' | '分' | '秒' =>
            {
                return true;
            }
            _ => {}
        }
    }
    false
}

/// Whether built-in number format `id` (Excel's, with the Chinese ones) is a date or a time.
pub(crate) fn is_date_format_id(id: u32) -> bool {
    matches!(id, 14..=22 | 27..=36 | 45..=47 | 50..=58)
}

/// A date serial number (days since 1899-12-30, or since 1904-01-01) as the date it shows.
pub(crate) fn serial_date(serial: f64, base_1904: bool) -> String {
    if !serial.is_finite() || !(0.0..3_000_000.0).contains(&serial) {
        return format!("{serial}");
    }
    let base = if base_1904 {
        time::Date::from_calendar_date(1904, time::Month::January, 1)
    } else {
        time::Date::from_calendar_date(1899, time::Month::December, 30)
    };
    let days = serial.floor() as i64;
    match base.ok().and_then(|b| b.checked_add(time::Duration::days(days))) {
        Some(d) if serial.fract() == 0.0 => format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day()),
        Some(d) => {
            let seconds = (serial.fract() * 86_400.0).round() as u32;
            format!(
                "{}年{}月{}日 {:02}:{:02}",
                d.year(),
                u8::from(d.month()),
                d.day(),
                seconds / 3600,
                seconds / 60 % 60
            )
        }
        None => format!("{serial}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_formats_are_told_from_number_formats() {
        for code in [
            "yyyy/m/d",
            "m/d/yy",
            "yyyy\"年\"m\"月\"d\"日\"",
            "[$-804]aaaa",
            "h:mm",
            "[h]:mm:ss",
            "d-mmm",
        ] {
            assert!(is_date_format(code) || code.contains("aaaa"), "{code}");
        }
        for code in [
            "General",
            "0",
            "#,##0",
            "0.00%",
            "0.00E+00",
            "[Red]0",
            "\"件\"0",
            "@",
            "0_);[Red](0)",
        ] {
            assert!(!is_date_format(code), "{code}");
        }
        assert!(is_date_format_id(14) && is_date_format_id(31) && !is_date_format_id(0) && !is_date_format_id(49));
    }

    #[test]
    fn serials_are_shown_as_dates() {
        assert_eq!(serial_date(45000.0, false), "2023年3月15日");
        assert_eq!(serial_date(45000.5, false), "2023年3月15日 12:00");
        assert_eq!(serial_date(0.0, true), "1904年1月1日");
        assert_eq!(serial_date(f64::NAN, false), "NaN");
    }

    #[test]
    fn values_beyond_the_budget_are_refused_at_their_cell() {
        let mut sink = Sink::default();
        sink.put(0, 0, Cell::Text("单位".into())).unwrap();
        sink.put(1_048_575, 16_383, Cell::Empty).unwrap();
        let far = sink.put(1_048_575, 16_383, Cell::Number(1.0)).unwrap_err();
        assert_eq!(far.cell, Some((1_048_575, 16_383)));
        assert!(far.message.contains("1048576"), "{}", far.message);
        let wide = sink.put(3, 300, Cell::Number(1.0)).unwrap_err();
        assert!(wide.message.contains("KO"), "{}", wide.message);
        let grid = sink.finish();
        assert_eq!((grid.rows.len(), grid.rows[0].len()), (1, 1));
    }
}
