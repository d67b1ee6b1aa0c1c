//! .xlsx (and .xlsm): the Office Open XML workbook, read from its zip archive with quick-xml. Only
//! the parts an import needs are read — the workbook (sheet names), its relationships, the styles
//! (which cells are dates), the shared strings and the one sheet chosen — and the sheet is streamed
//! cell by cell: its declared dimension is never looked at, and nothing is allocated by it.

use crate::diag::Code;
use std::collections::HashMap;
use std::io::BufReader;

use quick_xml::events::{BytesStart, Event};

use super::read::{
    Refusal, Result, Sink, Strings, Zip, attr, cell_too_long, inflated_too_much, is_date_format, is_date_format_id,
    local, next_event, over, push_text, reference, serial_date, xml,
};
use super::{Cell, Choice, Grid};
use crate::limits::{SHARED_STRINGS, SHEET_TEXT_BYTES, SHEETS, size};

/// Cell formats (`cellXfs`) read; beyond, a cell's format counts as a number.
const FORMATS: usize = 65_536;

/// Reads the sheet `choice` chooses among the workbook's sheets (by their names, else by their
/// first rows, each sheet then read in turn).
pub(crate) fn read(mut zip: Zip, choice: &Choice<'_>) -> Result<(String, Grid)> {
    let workbook = main_part(&mut zip)?;
    let (sheets, base_1904) = sheet_list(&mut zip, &workbook)?;
    if sheets.is_empty() {
        return Err(Refusal::new(
            Code::SheetEmpty,
            "工作簿里没有工作表",
            "请在 Excel 或 WPS 中打开检查，另存为 .xlsx 后再导入",
        ));
    }
    let rels = relationships(&mut zip, &rels_of(&workbook))?;
    let dir = folder(&workbook);
    let target = |kind: &str| {
        rels.values()
            .find(|(t, _)| t.ends_with(kind))
            .map(|(_, target)| resolve(&dir, target))
    };
    let part = |i: usize| {
        rels.get(&sheets[i].1)
            .map(|(_, t)| resolve(&dir, t))
            .unwrap_or_else(|| format!("{dir}worksheets/sheet{}.xml", i + 1))
    };
    let dates = match target("/styles") {
        Some(p) => styles(&mut zip, &p)?,
        None => Vec::new(),
    };
    let strings = match target("/sharedStrings") {
        Some(p) => shared_strings(&mut zip, &p)?,
        None => Strings::default(),
    };
    let names: Vec<String> = sheets.iter().map(|(n, _)| n.clone()).collect();
    let (pick, grid) = match choice.by_name(&names) {
        Some(i) => {
            let i = i.min(sheets.len() - 1);
            (i, sheet(&mut zip, &part(i), &strings, &dates, base_1904)?)
        }
        None => choice.by_title(sheets.len(), |i| sheet(&mut zip, &part(i), &strings, &dates, base_1904))?,
    };
    Ok((sheets[pick].0.clone(), grid))
}

/// The workbook part: named by the package's relationships, `xl/workbook.xml` by default.
fn main_part(zip: &mut Zip) -> Result<String> {
    let rels = relationships(zip, "_rels/.rels")?;
    let named = rels
        .values()
        .find(|(t, _)| t.ends_with("/officeDocument"))
        .map(|(_, target)| resolve("", target));
    match named {
        Some(p) if zip.has(&p) => Ok(p),
        _ if zip.has("xl/workbook.xml") => Ok("xl/workbook.xml".into()),
        _ => Err(Refusal::damaged("找不到工作簿（xl/workbook.xml），这不是 .xlsx 文件")),
    }
}

/// `xl/_rels/workbook.xml.rels` for `xl/workbook.xml`.
fn rels_of(part: &str) -> String {
    let (dir, file) = part.rsplit_once('/').unwrap_or(("", part));
    if dir.is_empty() {
        format!("_rels/{file}.rels")
    } else {
        format!("{dir}/_rels/{file}.rels")
    }
}

/// The folder of a part, with its trailing slash (`xl/`).
fn folder(part: &str) -> String {
    part.rsplit_once('/').map(|(d, _)| format!("{d}/")).unwrap_or_default()
}

/// A relationship's target, relative to `dir` unless absolute, with `..` resolved.
fn resolve(dir: &str, target: &str) -> String {
    let joined = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None => format!("{dir}{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Runs `on` over the XML events of `part`; `Ok(false)` when the archive has no such part. `on`
/// returns whether to go on.
fn each(zip: &mut Zip, part: &str, mut on: impl FnMut(&Event<'_>) -> Result<bool>) -> Result<bool> {
    let Some(stream) = zip.stream(part)? else {
        return Ok(false);
    };
    let mut reader = xml(BufReader::new(stream));
    let mut buf = Vec::new();
    loop {
        let event = next_event(&mut reader, &mut buf, part)?;
        if matches!(event, Event::Eof) || !on(&event)? {
            break;
        }
        buf.clear();
    }
    if reader.get_ref().get_ref().over {
        return Err(inflated_too_much(part));
    }
    Ok(true)
}

/// A start or empty element's tag, if the event is one.
fn element<'e>(event: &'e Event<'_>) -> Option<&'e BytesStart<'e>> {
    match event {
        Event::Start(e) | Event::Empty(e) => Some(e),
        _ => None,
    }
}

/// Relationship id → (type, target).
fn relationships(zip: &mut Zip, part: &str) -> Result<HashMap<String, (String, String)>> {
    let mut out = HashMap::new();
    each(zip, part, |event| {
        if let Some(e) = element(event)
            && local(e.name().as_ref()) == b"Relationship"
            && out.len() < 10_000
        {
            let (Some(id), Some(target)) = (attr(e, b"Id"), attr(e, b"Target")) else {
                return Ok(true);
            };
            out.insert(id, (attr(e, b"Type").unwrap_or_default(), target));
        }
        Ok(true)
    })?;
    Ok(out)
}

/// The sheets (name, relationship id) in order, and whether dates count from 1904.
fn sheet_list(zip: &mut Zip, part: &str) -> Result<(Vec<(String, String)>, bool)> {
    let mut sheets = Vec::new();
    let mut base_1904 = false;
    let mut too_many = false;
    each(zip, part, |event| {
        let Some(e) = element(event) else { return Ok(true) };
        match local(e.name().as_ref()) {
            b"workbookPr" => base_1904 = matches!(attr(e, b"date1904").as_deref(), Some("1" | "true")),
            b"sheet" if sheets.len() >= SHEETS => too_many = true,
            b"sheet" => sheets.push((
                crate::diag::shorten(&attr(e, b"name").unwrap_or_default(), 100),
                attr(e, b"id").unwrap_or_default(),
            )),
            _ => {}
        }
        Ok(!too_many)
    })?;
    if too_many {
        return Err(over(
            format!("工作簿中的工作表超过 {SHEETS} 个"),
            "请检查是否选错了文件",
        ));
    }
    Ok((sheets, base_1904))
}

/// For each cell format (`s="…"` of a cell), whether it shows a date.
/// How a cell style shows a number: as it is, as a date, or as a percent with its decimals (the
/// number is then a fraction: 0.9945 shows as 99.45%).
#[derive(Clone, Copy, PartialEq)]
enum Shown {
    Plain,
    Date,
    Percent(usize),
}

/// How a number format code shows its number.
fn shown(code: &str) -> Shown {
    if is_date_format(code) {
        return Shown::Date;
    }
    // Outside quoted text: `0.00%` shows two decimals.
    let bare: String = code.split('"').step_by(2).collect();
    let Some(at) = bare.find('%') else { return Shown::Plain };
    let places = bare[..at]
        .split_once('.')
        .map_or(0, |(_, d)| d.chars().filter(|c| matches!(c, '0' | '#')).count());
    Shown::Percent(places)
}

fn styles(zip: &mut Zip, part: &str) -> Result<Vec<Shown>> {
    let mut codes: HashMap<u32, Shown> = HashMap::new();
    let mut formats: Vec<u32> = Vec::new();
    let mut in_cell_formats = false;
    each(zip, part, |event| {
        match event {
            Event::Start(e) if local(e.name().as_ref()) == b"cellXfs" => in_cell_formats = true,
            Event::End(e) if local(e.name().as_ref()) == b"cellXfs" => in_cell_formats = false,
            _ => {}
        }
        let Some(e) = element(event) else { return Ok(true) };
        match local(e.name().as_ref()) {
            b"numFmt" if codes.len() < FORMATS => {
                if let (Some(id), Some(code)) = (attr(e, b"numFmtId"), attr(e, b"formatCode"))
                    && let Ok(id) = id.parse()
                {
                    codes.insert(id, shown(&code));
                }
            }
            b"xf" if in_cell_formats && formats.len() < FORMATS => {
                formats.push(attr(e, b"numFmtId").and_then(|n| n.parse().ok()).unwrap_or(0));
            }
            _ => {}
        }
        Ok(true)
    })?;
    Ok(formats
        .into_iter()
        .map(|id| {
            codes.get(&id).copied().unwrap_or(match id {
                9 => Shown::Percent(0),
                10 => Shown::Percent(2),
                _ if is_date_format_id(id) => Shown::Date,
                _ => Shown::Plain,
            })
        })
        .collect())
}

fn shared_strings(zip: &mut Zip, part: &str) -> Result<Strings> {
    let mut out = Strings::default();
    let mut current = String::new();
    let mut long = false;
    // Inside <si>, inside a <t> that is not phonetic (<rPh>) text.
    let (mut in_item, mut in_text, mut phonetic) = (false, false, false);
    let mut problem = None;
    each(zip, part, |event| {
        match event {
            Event::Start(e) => match local(e.name().as_ref()) {
                b"si" => (in_item, current, long) = (true, String::new(), false),
                b"t" => in_text = in_item && !phonetic,
                b"rPh" => phonetic = true,
                _ => {}
            },
            Event::Empty(e) if local(e.name().as_ref()) == b"si" => out.push("", false),
            Event::End(e) => match local(e.name().as_ref()) {
                b"si" => {
                    in_item = false;
                    out.push(&current, long);
                }
                b"t" => in_text = false,
                b"rPh" => phonetic = false,
                _ => {}
            },
            Event::Text(t) if in_text && !long => long = push_text(&mut current, &t.xml10_content()).is_err(),
            Event::CData(t) if in_text && !long => long = push_text(&mut current, &t.xml10_content()).is_err(),
            Event::GeneralRef(r) if in_text && !long => long = push_text(&mut current, &reference(r)).is_err(),
            _ => {}
        }
        if out.bytes() > SHEET_TEXT_BYTES || out.len() > SHARED_STRINGS {
            problem = Some(over(
                format!(
                    "工作簿的共享字符串超过 {} 个或 {}",
                    SHARED_STRINGS,
                    size(SHEET_TEXT_BYTES as u64)
                ),
                "一个月的统计表只有几百个文字单元格：请检查是否选错了文件",
            ));
            return Ok(false);
        }
        Ok(true)
    })?;
    problem.map_or(Ok(out), Err)
}

/// A cell while its element is read.
#[derive(Default)]
struct Pending {
    row: u32,
    col: u32,
    kind: String,
    style: usize,
    value: Option<String>,
    formula: Option<String>,
    inline: Option<String>,
}

/// Which text of a cell is being read.
#[derive(Clone, Copy, PartialEq)]
enum Slot {
    None,
    Value,
    Formula,
    Inline,
}

/// Where the reading of a sheet is.
struct Place {
    row: u32,
    next_col: u32,
    cell: Option<Pending>,
    into: Slot,
    phonetic: bool,
}

fn sheet(zip: &mut Zip, part: &str, strings: &Strings, dates: &[Shown], base_1904: bool) -> Result<Grid> {
    let mut sink = Sink::default();
    let mut at = Place {
        row: 0,
        next_col: 0,
        cell: None,
        into: Slot::None,
        phonetic: false,
    };
    let mut first_row = true;
    let found = each(zip, part, |event| {
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let empty = matches!(event, Event::Empty(_));
                if local(e.name().as_ref()) == b"mergeCell" {
                    // `ref="C4:C9"`, after the sheet's data.
                    let range = attr(e, b"ref").unwrap_or_default();
                    if let Some((a, b)) = range.split_once(':')
                        && let (Some((t, l)), Some((bt, r))) = (address(a), address(b))
                    {
                        sink.merge(t, l, bt, r);
                    }
                    return Ok(true);
                }
                start(e, empty, &mut at, &mut first_row)?;
                if empty && local(e.name().as_ref()) == b"c" {
                    at.cell = None;
                }
            }
            Event::End(e) => match local(e.name().as_ref()) {
                b"c" => {
                    if let Some(p) = at.cell.take() {
                        let (row, col) = (p.row, p.col);
                        let cell = value(p, strings, dates, base_1904).map_err(|r| r.at(row, col))?;
                        sink.put(row, col, cell)?;
                    }
                    at.into = Slot::None;
                }
                b"v" | b"f" | b"t" => at.into = Slot::None,
                b"rPh" => at.phonetic = false,
                // The merged ranges follow the data; nothing after them is read.
                b"mergeCells" => return Ok(false),
                _ => {}
            },
            Event::Text(t) => text(&mut at, &t.xml10_content())?,
            Event::CData(t) => text(&mut at, &t.xml10_content())?,
            Event::GeneralRef(r) => text(&mut at, &reference(r))?,
            _ => {}
        }
        Ok(true)
    })?;
    if !found {
        return Err(Refusal::damaged(format!("找不到工作表的内容（{part}）")));
    }
    Ok(sink.finish())
}

/// An element opens: a row, a cell, or the value, formula or inline text of the cell.
fn start(e: &BytesStart<'_>, empty: bool, at: &mut Place, first_row: &mut bool) -> Result<()> {
    match local(e.name().as_ref()) {
        b"row" => {
            let given = attr(e, b"r")
                .and_then(|r| r.trim().parse::<u32>().ok())
                .filter(|r| *r > 0);
            at.row = match given {
                Some(r) => r - 1,
                None if *first_row => 0,
                None => at.row.saturating_add(1),
            };
            *first_row = false;
            at.next_col = 0;
        }
        b"c" => {
            let (row, col) = match attr(e, b"r") {
                Some(r) => address(&r).ok_or_else(|| {
                    Refusal::damaged(format!("单元格地址“{}”无效", crate::diag::shorten(&r, 20)))
                        .at(at.row, at.next_col)
                })?,
                None => (at.row, at.next_col),
            };
            at.next_col = col.saturating_add(1);
            at.cell = Some(Pending {
                row,
                col,
                kind: attr(e, b"t").unwrap_or_default(),
                style: attr(e, b"s").and_then(|s| s.parse().ok()).unwrap_or(0),
                ..Pending::default()
            });
        }
        b"v" if !empty => at.into = Slot::Value,
        b"f" => {
            if let Some(p) = &mut at.cell {
                p.formula.get_or_insert_with(String::new);
            }
            if !empty {
                at.into = Slot::Formula;
            }
        }
        b"t" if !empty && !at.phonetic => at.into = Slot::Inline,
        b"rPh" if !empty => at.phonetic = true,
        _ => {}
    }
    Ok(())
}

/// Text inside a cell's value, formula or inline string.
fn text(at: &mut Place, text: &str) -> Result<()> {
    let Some(p) = &mut at.cell else { return Ok(()) };
    let slot = match at.into {
        Slot::None => return Ok(()),
        Slot::Value => &mut p.value,
        Slot::Formula => &mut p.formula,
        Slot::Inline => &mut p.inline,
    };
    push_text(slot.get_or_insert_with(String::new), text).map_err(|r| r.at(p.row, p.col))
}

/// `B7` → (6, 1), 0-based; `None` unless letters then digits (XFD1048576 at most).
fn address(r: &str) -> Option<(u32, u32)> {
    let r = r.trim();
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (col, row) = r.split_at(letters);
    if !(1..=3).contains(&letters) || row.is_empty() || row.len() > 7 || !row.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let col = col
        .bytes()
        .fold(0u32, |n, b| n * 26 + u32::from(b.to_ascii_uppercase() - b'A') + 1);
    let row: u32 = row.parse().ok()?;
    (row >= 1 && col <= 16_384 && row <= 1_048_576).then(|| (row - 1, col - 1))
}

/// The cell's value by its type (`t`): a shared or inline string, a number (a date when its
/// format shows one), a formula's cached result, a formula without one, an error value.
fn value(p: Pending, strings: &Strings, dates: &[Shown], base_1904: bool) -> Result<Cell> {
    let number = |v: &str| v.trim().parse::<f64>().ok();
    Ok(match (p.kind.as_str(), p.value) {
        ("s", Some(v)) => {
            let (text, long) = v
                .trim()
                .parse::<usize>()
                .ok()
                .and_then(|i| strings.get(i))
                .ok_or_else(|| Refusal::damaged(format!("单元格引用的共享字符串（第 {} 个）不存在", v.trim())))?;
            if long {
                return Err(cell_too_long());
            }
            Cell::Text(text.to_string())
        }
        ("inlineStr", v) => Cell::Text(p.inline.or(v).unwrap_or_default()),
        ("e", Some(v)) => Cell::Error(v),
        ("b", Some(v)) => Cell::Text(if v.trim() == "1" { "TRUE" } else { "FALSE" }.into()),
        ("d", Some(v)) => Cell::Date(v),
        ("str", Some(v)) => Cell::Text(v),
        (_, Some(v)) => match number(&v) {
            Some(n) => match dates.get(p.style).copied().unwrap_or(Shown::Plain) {
                Shown::Date => Cell::Date(serial_date(n, base_1904)),
                // As the spreadsheet shows it: a rate stays the rate the system stated.
                Shown::Percent(places) if n.is_finite() => Cell::Text(format!("{:.*}%", places, n * 100.0)),
                _ => Cell::Number(n),
            },
            None => Cell::Text(v),
        },
        (_, None) => match p.formula {
            Some(f) => Cell::Formula(f),
            None => Cell::Empty,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_targets() {
        assert_eq!(address("B7"), Some((6, 1)));
        assert_eq!(address("XFD1048576"), Some((1_048_575, 16_383)));
        assert_eq!(address("XFE1"), None);
        assert_eq!(address("A0"), None);
        assert_eq!(address("7B"), None);
        assert_eq!(address("提交"), None);
        assert_eq!(resolve("xl/", "worksheets/sheet1.xml"), "xl/worksheets/sheet1.xml");
        assert_eq!(resolve("xl/", "/xl/worksheets/s.xml"), "xl/worksheets/s.xml");
        assert_eq!(resolve("xl/", "../../../etc/passwd"), "etc/passwd");
        assert_eq!(rels_of("xl/workbook.xml"), "xl/_rels/workbook.xml.rels");
    }
}
