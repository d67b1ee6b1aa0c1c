//! .csv (and tab-separated .txt/.tsv): text in UTF-8, GBK/GB18030 or UTF-16 (with its BOM), read
//! with the csv crate record by record into the budgeted grid.

use super::Cell;
use super::Grid;
use super::read::{Refusal, Result, Sink, push_text};
use crate::diag::Code;

/// Reads a delimited text file as one sheet.
pub(crate) fn read(bytes: &[u8]) -> Result<Grid> {
    let text = decode(bytes)?;
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = if first.contains('\t') && !first.contains(',') {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut sink = Sink::default();
    let mut record = csv::StringRecord::new();
    let mut row = 0u32;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(u64::from(row) + 1, csv::Position::line);
                return Err(Refusal::damaged(format!("CSV 格式有误（约第 {line} 行）")).detail(e.to_string()));
            }
        }
        for (col, field) in record.iter().enumerate() {
            let col = u32::try_from(col).unwrap_or(u32::MAX);
            let mut cell = String::new();
            push_text(&mut cell, field).map_err(|r| r.at(row, col))?;
            sink.put(row, col, Cell::Text(cell))?;
        }
        row = row.saturating_add(1);
    }
    Ok(sink.finish())
}

/// The text of the file: UTF-8 (a BOM allowed), UTF-16 with its BOM, else GB18030 (which GBK is
/// part of); anything else is refused.
fn decode(bytes: &[u8]) -> Result<String> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(t) = std::str::from_utf8(body) {
        return Ok(t.to_string());
    }
    let encoding = match bytes {
        [0xFF, 0xFE, ..] => encoding_rs::UTF_16LE,
        [0xFE, 0xFF, ..] => encoding_rs::UTF_16BE,
        _ => encoding_rs::GB18030,
    };
    let (text, _, bad) = encoding.decode(bytes);
    if bad {
        return Err(Refusal::new(
            Code::SheetEncoding,
            "CSV 文件既不是 UTF-8 也不是 GBK/GB18030 编码的文本",
            "请在 Excel 或 WPS 中打开，另存为“CSV UTF-8”或 .xlsx 后再导入",
        ));
    }
    Ok(text.into_owned())
}
