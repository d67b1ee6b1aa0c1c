//! .ods: the OpenDocument spreadsheet, `content.xml` of its zip archive streamed with quick-xml in
//! one pass. Repeated rows and cells (`number-rows-repeated`, `number-columns-repeated`, which
//! LibreOffice writes by the million for the empty rest of a sheet) only move the position; a
//! repeated value is kept once per cell, within the budget, so a repeat count can never make
//! memory grow past it.

use crate::diag::Code;
use std::io::BufReader;

use quick_xml::events::{BytesStart, Event};

use super::read::{Refusal, Result, Sink, Zip, attr, inflated_too_much, local, next_event, push_text, reference, xml};
use super::{Cell, Choice, Grid};
use crate::limits::{SHEET_COLUMNS, SHEETS};

const CONTENT: &str = "content.xml";

/// Reads the sheet `choice` chooses: the first of the best by name, then by its first rows
/// holding the table's title (content.xml holds every sheet, read in one pass: a sheet's cells
/// are kept only while it is the best so far).
pub(crate) fn read(mut zip: Zip, choice: &Choice<'_>) -> Result<(String, Grid)> {
    let Some(stream) = zip.stream(CONTENT)? else {
        return Err(Refusal::damaged("找不到 content.xml，这不是 .ods 文件"));
    };
    let mut reader = xml(BufReader::new(stream));
    let mut state = State::default();
    let mut buf = Vec::new();
    loop {
        let event = next_event(&mut reader, &mut buf, CONTENT)?;
        if matches!(event, Event::Eof) {
            break;
        }
        state.event(&event, choice)?;
        buf.clear();
    }
    if reader.get_ref().get_ref().over {
        return Err(inflated_too_much(CONTENT));
    }
    state.best.map(|(name, _, grid)| (name, grid)).ok_or_else(|| {
        Refusal::new(
            Code::SheetEmpty,
            "文件里没有工作表",
            "请在 LibreOffice 或 WPS 中打开检查，另存为 .ods 或 .xlsx 后再导入",
        )
    })
}

/// A cell while its element is read.
struct Pending {
    repeat: u32,
    kind: String,
    value: Option<String>,
    formula: Option<String>,
    error: bool,
    text: String,
    paragraphs: usize,
}

/// Where the reading of content.xml is.
#[derive(Default)]
struct State {
    /// The sheet being read: its name, score and cells.
    table: Option<(String, u8, Sink)>,
    tables: usize,
    /// The best sheet so far.
    best: Option<(String, u8, Grid)>,
    row: u32,
    row_repeat: u32,
    next_col: u32,
    /// The current row's cells with a value: (column, value).
    cells: Vec<(u32, Cell)>,
    cell: Option<Pending>,
    /// Depth inside things whose text is not the cell's (comments, nested tables).
    skip: usize,
}

impl State {
    fn event(&mut self, event: &Event<'_>, choice: &Choice<'_>) -> Result<()> {
        match event {
            Event::Start(e) => self.start(e, false, choice),
            Event::Empty(e) => self.start(e, true, choice),
            Event::End(e) => self.end(local(e.name().as_ref()), choice),
            Event::Text(t) => self.text(&t.xml10_content()),
            Event::CData(t) => self.text(&t.xml10_content()),
            Event::GeneralRef(r) => self.text(&reference(r)),
            _ => Ok(()),
        }
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool, choice: &Choice<'_>) -> Result<()> {
        let qname = e.name();
        let name = local(qname.as_ref());
        if self.skip > 0 || (self.cell.is_some() && matches!(name, b"annotation" | b"table")) {
            if !empty {
                self.skip += 1;
            }
            return Ok(());
        }
        match name {
            b"table" if !empty => {
                self.tables += 1;
                if self.tables > SHEETS {
                    return Err(super::read::over(
                        format!("文件中的工作表超过 {SHEETS} 个"),
                        "请检查是否选错了文件",
                    ));
                }
                let title = crate::diag::shorten(&attr(e, b"name").unwrap_or_default(), 100);
                let s = choice.score(&title);
                (self.row, self.next_col) = (0, 0);
                self.table = Some((title, s, Sink::default()));
            }
            b"table-row" => {
                self.row_repeat = repeat(e, b"number-rows-repeated");
                self.next_col = 0;
                self.cells.clear();
                if empty {
                    self.end(b"table-row", choice)?;
                }
            }
            b"table-cell" | b"covered-table-cell" => {
                let rows = repeat(e, b"number-rows-spanned");
                let cols = repeat(e, b"number-columns-spanned");
                if (rows > 1 || cols > 1)
                    && let Some((_, _, sink)) = &mut self.table
                {
                    let (r, c) = (self.row, self.next_col);
                    sink.merge(r, c, r.saturating_add(rows - 1), c.saturating_add(cols - 1));
                }
                self.cell = Some(Pending {
                    repeat: repeat(e, b"number-columns-repeated"),
                    kind: attr(e, b"value-type").unwrap_or_default(),
                    value: attr(e, b"value")
                        .or_else(|| attr(e, b"date-value"))
                        .or_else(|| attr(e, b"time-value"))
                        .or_else(|| attr(e, b"boolean-value"))
                        .or_else(|| attr(e, b"string-value")),
                    formula: attr(e, b"formula"),
                    error: e
                        .attributes()
                        .filter_map(std::result::Result::ok)
                        .any(|a| local(a.key.as_ref()) == b"value-type" && a.value.as_ref() == "error"),
                    text: String::new(),
                    paragraphs: 0,
                });
                if empty {
                    self.end(name, choice)?;
                }
            }
            b"p" | b"h" => {
                if let Some(c) = &mut self.cell {
                    if c.paragraphs > 0 {
                        push_text(&mut c.text, "\n").map_err(|r| r.at(self.row, self.next_col))?;
                    }
                    c.paragraphs += 1;
                }
            }
            b"s" => {
                let n = attr(e, b"c")
                    .and_then(|c| c.parse::<usize>().ok())
                    .unwrap_or(1)
                    .min(100);
                self.text(&" ".repeat(n))?;
            }
            b"tab" => self.text("\t")?,
            b"line-break" => self.text("\n")?,
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, name: &[u8], choice: &Choice<'_>) -> Result<()> {
        if self.skip > 0 {
            self.skip -= 1;
            return Ok(());
        }
        match name {
            b"table-cell" | b"covered-table-cell" => self.end_cell(),
            b"table-row" => self.end_row(),
            b"table" => {
                // Ranked by name (twice its score), then by its title in its first rows.
                if let Some((title, s, sink)) = self.table.take()
                    && self.best.as_ref().is_none_or(|(_, best, _)| 2 * s + 1 > *best)
                {
                    let grid = sink.finish();
                    let rank = 2 * s + u8::from(choice.titled(&grid));
                    if self.best.as_ref().is_none_or(|(_, best, _)| rank > *best) {
                        self.best = Some((title, rank, grid));
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn end_cell(&mut self) -> Result<()> {
        let Some(c) = self.cell.take() else { return Ok(()) };
        let first = self.next_col;
        self.next_col = self.next_col.saturating_add(c.repeat);
        let repeat = c.repeat;
        let value = value(c);
        if matches!(value, Cell::Empty) {
            return Ok(());
        }
        for col in first..first.saturating_add(repeat) {
            if col >= SHEET_COLUMNS {
                // Sink::put says why, at the cell.
                return Sink::default().put(self.row, col, value);
            }
            self.cells.push((col, value.clone()));
        }
        Ok(())
    }

    fn end_row(&mut self) -> Result<()> {
        let Some((_, _, sink)) = &mut self.table else {
            return Ok(());
        };
        let cells = std::mem::take(&mut self.cells);
        if !cells.is_empty() {
            for r in 0..self.row_repeat {
                for (col, cell) in &cells {
                    sink.put(self.row.saturating_add(r), *col, cell.clone())?;
                }
            }
        }
        self.row = self.row.saturating_add(self.row_repeat);
        Ok(())
    }

    fn text(&mut self, text: &str) -> Result<()> {
        if self.skip > 0 {
            return Ok(());
        }
        match &mut self.cell {
            Some(c) => push_text(&mut c.text, text).map_err(|r| r.at(self.row, self.next_col)),
            None => Ok(()),
        }
    }
}

/// A repeat count (1 when absent or unreadable, never 0).
fn repeat(e: &BytesStart<'_>, key: &[u8]) -> u32 {
    attr(e, key)
        .and_then(|n| n.trim().parse::<u32>().ok())
        .unwrap_or(1)
        .max(1)
}

/// The cell's value by its type: a number, a date or time, a truth value, text, an error, or a
/// formula without a value.
fn value(c: Pending) -> Cell {
    let text = || {
        if c.text.trim().is_empty() {
            Cell::Empty
        } else {
            Cell::Text(c.text.clone())
        }
    };
    if c.error {
        return Cell::Error(c.text.clone());
    }
    match (c.kind.as_str(), &c.value) {
        ("float" | "percentage" | "currency", Some(v)) => v.trim().parse().map_or_else(|_| text(), Cell::Number),
        ("date", Some(v)) => Cell::Date(iso_date(v)),
        ("time", Some(v)) => Cell::Date(v.clone()),
        ("boolean", Some(v)) => Cell::Text(if v == "true" { "TRUE" } else { "FALSE" }.into()),
        ("string", Some(v)) if c.text.is_empty() => Cell::Text(v.clone()),
        ("", _) if c.text.trim().is_empty() => match &c.formula {
            Some(f) => Cell::Formula(f.trim_start_matches("of:").to_string()),
            None => Cell::Empty,
        },
        _ => text(),
    }
}

/// `2023-03-15` (or with a time after `T`) as 2023年3月15日; anything else as written.
fn iso_date(v: &str) -> String {
    let day = v.split('T').next().unwrap_or(v);
    match crate::calendar::Date::parse(day) {
        Some(d) => d.chinese(),
        None => v.to_string(),
    }
}
