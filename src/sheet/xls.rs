//! .xls: the Excel 97–2003 workbook (BIFF8), inside an OLE compound file. Both are read here, by
//! hand, so that nothing is allocated by what the file declares (its dimensions, its string
//! count, its sector chains): the compound file's chains are followed with a guard against loops
//! and never past the file's end, and the chosen sheet's cell records go into the budgeted
//! [`Sink`] one by one. Older BIFF versions (Excel 5.0/95) are refused with the way out.

use crate::diag::Code;
use std::collections::HashMap;

use super::read::{Refusal, Result, Sink, Strings, cell_too_long, is_date_format, is_date_format_id, serial_date};
use super::{Cell, Choice, Grid};
use crate::limits::{CELL_CHARS, SHARED_STRINGS, SHEET_TEXT_BYTES, SHEETS};

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const FREE: u32 = 0xFFFF_FFFF;

/// Reads the sheet `choice` chooses (by the sheets' names, else by their first rows).
pub(crate) fn read(bytes: &[u8], choice: &Choice<'_>) -> Result<(String, Grid)> {
    let cfb = Cfb::open(bytes)?;
    if cfb.find("EncryptedPackage").is_some() || cfb.find("EncryptionInfo").is_some() {
        return Err(encrypted());
    }
    let entry = cfb
        .find("Workbook")
        .or_else(|| cfb.find("Book"))
        .ok_or_else(|| Refusal::damaged("文件中没有工作簿（Workbook），这不是 Excel 文件"))?;
    let stream = cfb.stream(entry)?;
    let book = globals(&stream)?;
    if book.sheets.is_empty() {
        return Err(Refusal::new(
            Code::SheetEmpty,
            "工作簿里没有工作表",
            "请在 Excel 或 WPS 中打开检查，另存为 .xlsx 后再导入",
        ));
    }
    let names: Vec<String> = book.sheets.iter().map(|(n, _)| n.clone()).collect();
    let read = |i: usize| cells(&stream, book.sheets[i].1 as usize, &book);
    let (pick, grid) = match choice.by_name(&names) {
        Some(i) => (i, read(i)?),
        None => choice.by_title(names.len(), read)?,
    };
    Ok((names[pick].clone(), grid))
}

fn encrypted() -> Refusal {
    Refusal::new(
        Code::SheetEncrypted,
        "文件有密码保护，无法读取",
        "请在 Excel 或 WPS 中去掉密码（另存时不设密码）后再导入",
    )
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A compound file (OLE2): its sectors, allocation tables and directory.
struct Cfb<'a> {
    data: &'a [u8],
    shift: u32,
    fat: Vec<u32>,
    minifat: Vec<u32>,
    mini: Vec<u8>,
    cutoff: u64,
    dir: Vec<Entry>,
}

struct Entry {
    name: String,
    start: u32,
    size: u64,
}

fn damaged_cfb() -> Refusal {
    Refusal::damaged("复合文档的结构有误（扇区链断开或越界）")
}

impl<'a> Cfb<'a> {
    fn open(data: &'a [u8]) -> Result<Cfb<'a>> {
        if data.len() < 512 || !data.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            return Err(Refusal::damaged("不是 Excel 97–2003（.xls）文件"));
        }
        let shift = u32::from(u16_at(data, 0x1E).unwrap_or(0));
        if shift != 9 && shift != 12 {
            return Err(damaged_cfb());
        }
        let mut cfb = Cfb {
            data,
            shift,
            fat: Vec::new(),
            minifat: Vec::new(),
            mini: Vec::new(),
            cutoff: u64::from(u32_at(data, 0x38).unwrap_or(4096)),
            dir: Vec::new(),
        };
        cfb.fat = cfb.allocation_table()?;
        let dir = cfb.chain(u32_at(data, 0x30).unwrap_or(END_OF_CHAIN), u64::MAX)?;
        cfb.dir = dir
            .chunks_exact(128)
            .map(|e| Entry {
                name: String::from_utf16_lossy(
                    &e[..usize::from(u16_at(e, 0x40).unwrap_or(0)).min(64)]
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .take_while(|c| *c != 0)
                        .collect::<Vec<_>>(),
                ),
                start: u32_at(e, 0x74).unwrap_or(END_OF_CHAIN),
                size: u64::from(u32_at(e, 0x78).unwrap_or(0)),
            })
            .collect();
        if let Some(root) = cfb.dir.first() {
            cfb.mini = cfb.chain(root.start, root.size)?;
            let minifat = cfb.chain(u32_at(data, 0x3C).unwrap_or(END_OF_CHAIN), u64::MAX)?;
            cfb.minifat = minifat
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
        }
        Ok(cfb)
    }

    fn sector_size(&self) -> usize {
        1 << self.shift
    }

    /// Sector `n`'s bytes (the last sector of a file may be cut short).
    fn sector(&self, n: u32) -> Result<&'a [u8]> {
        let size = self.sector_size();
        let start = (n as usize)
            .checked_add(1)
            .and_then(|i| i.checked_mul(size))
            .ok_or_else(damaged_cfb)?;
        if start >= self.data.len() {
            return Err(damaged_cfb());
        }
        Ok(&self.data[start..(start + size).min(self.data.len())])
    }

    /// Sectors after the header.
    fn sectors(&self) -> usize {
        (self.data.len().div_ceil(self.sector_size())).saturating_sub(1)
    }

    /// The FAT, from the sectors the DIFAT lists (the header's 109, then the DIFAT chain): one
    /// entry a sector of the file at most.
    fn allocation_table(&self) -> Result<Vec<u32>> {
        let data = self.data;
        let mut ids: Vec<u32> = (0..109).filter_map(|i| u32_at(data, 0x4C + i * 4)).collect();
        let mut next = u32_at(data, 0x44).unwrap_or(END_OF_CHAIN);
        let per = self.sector_size() / 4 - 1;
        let mut seen = vec![false; self.sectors()];
        while next != END_OF_CHAIN && next != FREE {
            let visited = seen.get_mut(next as usize).ok_or_else(damaged_cfb)?;
            if std::mem::replace(visited, true) {
                return Err(damaged_cfb());
            }
            let sector = self.sector(next)?;
            ids.extend((0..per).filter_map(|i| u32_at(sector, i * 4)));
            next = u32_at(sector, per * 4).unwrap_or(END_OF_CHAIN);
        }
        let mut fat = Vec::new();
        for id in ids.into_iter().filter(|id| *id != FREE && *id != END_OF_CHAIN) {
            if fat.len() >= self.sectors() {
                break;
            }
            let sector = self.sector(id)?;
            fat.extend(
                sector
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
        }
        fat.truncate(self.sectors());
        Ok(fat)
    }

    /// The bytes of the regular-sector chain from `start`, at most `size` of them: each sector
    /// once (a loop, or a sector past the end, is damage), so never more than the file.
    fn chain(&self, start: u32, size: u64) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut next = start;
        let mut seen = vec![false; self.fat.len()];
        while next != END_OF_CHAIN && next != FREE && (out.len() as u64) < size {
            let visited = seen.get_mut(next as usize).ok_or_else(damaged_cfb)?;
            if std::mem::replace(visited, true) {
                return Err(damaged_cfb());
            }
            out.extend_from_slice(self.sector(next)?);
            next = self.fat[next as usize];
        }
        out.truncate(usize::try_from(size).unwrap_or(usize::MAX));
        Ok(out)
    }

    fn find(&self, name: &str) -> Option<&Entry> {
        self.dir.iter().skip(1).find(|e| e.name.eq_ignore_ascii_case(name))
    }

    /// A stream's bytes: in the mini stream when it is small, else in regular sectors.
    fn stream(&self, e: &Entry) -> Result<Vec<u8>> {
        if e.size > self.data.len() as u64 {
            return Err(damaged_cfb());
        }
        if e.size >= self.cutoff {
            return self.chain(e.start, e.size);
        }
        let mut out = Vec::new();
        let mut next = e.start;
        let mut seen = vec![false; self.minifat.len()];
        while next != END_OF_CHAIN && next != FREE && (out.len() as u64) < e.size {
            let visited = seen.get_mut(next as usize).ok_or_else(damaged_cfb)?;
            if std::mem::replace(visited, true) {
                return Err(damaged_cfb());
            }
            let at = next as usize * 64;
            out.extend_from_slice(self.mini.get(at..at + 64).ok_or_else(damaged_cfb)?);
            next = self.minifat[next as usize];
        }
        out.truncate(e.size as usize);
        Ok(out)
    }
}

/// BIFF records of a stream from `at`: (type, data), until the data runs out or is cut short.
fn records(stream: &[u8], at: usize) -> impl Iterator<Item = (u16, &[u8])> {
    let mut pos = at;
    std::iter::from_fn(move || {
        let typ = u16_at(stream, pos)?;
        let len = usize::from(u16_at(stream, pos + 2)?);
        let data = stream.get(pos + 4..pos + 4 + len)?;
        pos += 4 + len;
        Some((typ, data))
    })
}

/// What the workbook's globals say: its sheets (name, offset), shared strings, cell formats
/// (for dates) and date system.
#[derive(Default)]
struct Book {
    sheets: Vec<(String, u32)>,
    strings: Strings,
    /// For each cell format (XF), whether it shows a date.
    dates: Vec<bool>,
    base_1904: bool,
}

fn globals(stream: &[u8]) -> Result<Book> {
    let mut book = Book::default();
    let mut formats: HashMap<u16, bool> = HashMap::new();
    let mut xfs: Vec<u16> = Vec::new();
    let mut it = records(stream, 0).peekable();
    match it.next() {
        Some((0x0809, bof)) if u16_at(bof, 0) == Some(0x0600) => {}
        Some((0x0809 | 0x0409 | 0x0209 | 0x0009, _)) => {
            return Err(Refusal::new(
                Code::SheetFormat,
                "这是旧版 Excel（5.0/95 或更早）格式，无法读取",
                "请在 Excel 或 WPS 中打开，另存为 .xlsx 后再导入",
            ));
        }
        _ => return Err(Refusal::damaged("工作簿开头不是 BIFF 记录")),
    }
    while let Some((typ, data)) = it.next() {
        match typ {
            0x000A => break,
            0x002F => return Err(encrypted()),
            0x0022 => book.base_1904 = u16_at(data, 0) == Some(1),
            0x0085 if data.get(5) == Some(&0) => {
                if book.sheets.len() >= SHEETS {
                    return Err(super::read::over(
                        format!("工作簿中的工作表超过 {SHEETS} 个"),
                        "请检查是否选错了文件",
                    ));
                }
                let name = short_string(data, 6).unwrap_or_default();
                book.sheets
                    .push((crate::diag::shorten(&name, 100), u32_at(data, 0).unwrap_or(0)));
            }
            0x00E0 if xfs.len() < 65_536 => xfs.push(u16_at(data, 2).unwrap_or(0)),
            0x041E => {
                if let (Some(id), Some(code)) = (u16_at(data, 0), unicode_string(data, 2).map(|(s, _)| s)) {
                    formats.insert(id, is_date_format(&code));
                }
            }
            0x00FC => {
                let mut segments = vec![data.get(8..).unwrap_or(&[])];
                while let Some((0x003C, more)) = it.peek() {
                    segments.push(more);
                    it.next();
                }
                let count = u32_at(data, 4).unwrap_or(0);
                book.strings = shared_strings(segments, count)?;
            }
            _ => {}
        }
    }
    book.dates = xfs
        .into_iter()
        .map(|id| {
            formats
                .get(&id)
                .copied()
                .unwrap_or_else(|| is_date_format_id(u32::from(id)))
        })
        .collect();
    Ok(book)
}

/// A ShortXLUnicodeString (8-bit length) at `at`.
fn short_string(data: &[u8], at: usize) -> Option<String> {
    let cch = usize::from(*data.get(at)?);
    let high = data.get(at + 1)? & 1 == 1;
    chars(data.get(at + 2..)?, cch, high)
}

/// An XLUnicodeString (16-bit length) at `at`, and whether it was cut at a cell's limit.
fn unicode_string(data: &[u8], at: usize) -> Option<(String, bool)> {
    let cch = usize::from(u16_at(data, at)?);
    let high = data.get(at + 2)? & 1 == 1;
    let body = data.get(at + 3..)?;
    let take = cch.min(CELL_CHARS + 1);
    let text = chars(body, take.min(body.len() / if high { 2 } else { 1 }), high)?;
    Some((text, cch > CELL_CHARS))
}

/// `n` characters, 16-bit or 8-bit (Latin-1) each.
fn chars(body: &[u8], n: usize, high: bool) -> Option<String> {
    if high {
        let units: Vec<u16> = body
            .get(..n * 2)?
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Some(String::from_utf16_lossy(&units))
    } else {
        Some(body.get(..n)?.iter().map(|b| char::from(*b)).collect())
    }
}

/// The SST's strings, read across its CONTINUE records: a string's characters that go on in the
/// next record start there with a new flags byte.
fn shared_strings(segments: Vec<&[u8]>, count: u32) -> Result<Strings> {
    let mut out = Strings::default();
    let mut r = Segments {
        segments,
        seg: 0,
        pos: 0,
    };
    for _ in 0..count {
        let Some(cch) = r.u16() else { break };
        let Some(flags) = r.byte() else { break };
        let runs = if flags & 8 != 0 { r.u16().unwrap_or(0) } else { 0 };
        let ext = if flags & 4 != 0 { r.u32().unwrap_or(0) } else { 0 };
        let Some((text, long)) = r.chars(usize::from(cch), flags & 1 == 1) else {
            break;
        };
        r.skip(usize::from(runs) * 4 + ext as usize);
        out.push(&text, long);
        if out.len() > SHARED_STRINGS || out.bytes() > SHEET_TEXT_BYTES {
            return Err(super::read::over(
                format!("工作簿的共享字符串超过 {SHARED_STRINGS} 个或 16 MiB"),
                "一个月的统计表只有几百个文字单元格：请检查是否选错了文件",
            ));
        }
    }
    Ok(out)
}

/// Bytes read across a record and its CONTINUE records.
struct Segments<'a> {
    segments: Vec<&'a [u8]>,
    seg: usize,
    pos: usize,
}

impl Segments<'_> {
    /// Moves to the next segment when this one is used up; whether there is a byte to read.
    fn ready(&mut self) -> bool {
        while self.seg < self.segments.len() && self.pos >= self.segments[self.seg].len() {
            self.seg += 1;
            self.pos = 0;
        }
        self.seg < self.segments.len()
    }

    fn byte(&mut self) -> Option<u8> {
        if !self.ready() {
            return None;
        }
        let b = self.segments[self.seg][self.pos];
        self.pos += 1;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.byte()?, self.byte()?]))
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes([
            self.byte()?,
            self.byte()?,
            self.byte()?,
            self.byte()?,
        ]))
    }

    fn skip(&mut self, mut n: usize) {
        while n > 0 && self.ready() {
            let step = n.min(self.segments[self.seg].len() - self.pos);
            self.pos += step;
            n -= step;
        }
    }

    /// `n` characters; at a segment's start a new flags byte says their width. More than a cell
    /// may hold are skipped and reported as cut.
    fn chars(&mut self, n: usize, mut high: bool) -> Option<(String, bool)> {
        let mut units = Vec::with_capacity(n.min(CELL_CHARS + 1));
        for _ in 0..n {
            if self.pos >= self.segments.get(self.seg)?.len() {
                self.seg += 1;
                self.pos = 0;
                high = self.byte()? & 1 == 1;
            }
            let unit = if high { self.u16()? } else { u16::from(self.byte()?) };
            if units.len() <= CELL_CHARS {
                units.push(unit);
            }
        }
        Some((String::from_utf16_lossy(&units), n > CELL_CHARS))
    }
}

/// The error value of a cell (`#DIV/0!`) from its code.
fn error_value(code: u8) -> String {
    match code {
        0x00 => "#NULL!",
        0x07 => "#DIV/0!",
        0x0F => "#VALUE!",
        0x17 => "#REF!",
        0x1D => "#NAME?",
        0x24 => "#NUM!",
        _ => "#N/A",
    }
    .to_string()
}

/// An RK number: a 30-bit integer or the top of a float, perhaps divided by 100.
fn rk(v: u32) -> f64 {
    let n = if v & 2 != 0 {
        f64::from((v as i32) >> 2)
    } else {
        f64::from_bits(u64::from(v & 0xFFFF_FFFC) << 32)
    };
    if v & 1 != 0 { n / 100.0 } else { n }
}

/// The cells of the sheet whose BOF is at `at`, one record at a time, into the budget.
fn cells(stream: &[u8], at: usize, book: &Book) -> Result<Grid> {
    let mut sink = Sink::default();
    let number = |xf: u16, n: f64| {
        if book.dates.get(usize::from(xf)).copied().unwrap_or(false) {
            Cell::Date(serial_date(n, book.base_1904))
        } else {
            Cell::Number(n)
        }
    };
    let mut depth = 0usize;
    let mut formula_at: Option<(u32, u32)> = None;
    for (typ, d) in records(stream, at) {
        let row = u32::from(u16_at(d, 0).unwrap_or(0));
        let col = u32::from(u16_at(d, 2).unwrap_or(0));
        let xf = u16_at(d, 4).unwrap_or(0);
        let cell = match typ {
            // A chart or another substream inside the sheet: skipped whole.
            0x0809 => {
                depth += 1;
                None
            }
            0x000A if depth <= 1 => break,
            0x000A => {
                depth -= 1;
                None
            }
            _ if depth > 1 => None,
            0x0203 => d
                .get(6..14)
                .map(|b| number(xf, f64::from_le_bytes(b.try_into().unwrap_or([0; 8])))),
            0x027E => u32_at(d, 6).map(|v| number(xf, rk(v))),
            0x00BD => {
                let pairs = d.len().saturating_sub(6) / 6;
                for i in 0..pairs {
                    let at = 4 + i * 6;
                    if let (Some(xf), Some(v)) = (u16_at(d, at), u32_at(d, at + 2)) {
                        sink.put(row, col + i as u32, number(xf, rk(v)))?;
                    }
                }
                None
            }
            0x00FD => Some(match u32_at(d, 6).and_then(|i| book.strings.get(i as usize)) {
                Some((_, true)) => return Err(cell_too_long().at(row, col)),
                Some((text, false)) => Cell::Text(text.to_string()),
                None => return Err(Refusal::damaged("单元格引用的共享字符串不存在").at(row, col)),
            }),
            0x0204 | 0x00D6 => match unicode_string(d, 6) {
                Some((_, true)) => return Err(cell_too_long().at(row, col)),
                Some((text, false)) => Some(Cell::Text(text)),
                None => None,
            },
            0x0205 => match (d.get(6), d.get(7)) {
                (Some(v), Some(0)) => Some(Cell::Text(if *v == 1 { "TRUE" } else { "FALSE" }.into())),
                (Some(v), Some(_)) => Some(Cell::Error(error_value(*v))),
                _ => None,
            },
            0x0006 => formula(d, row, col, &number, &mut formula_at),
            0x0207 => {
                if let (Some((r, c)), Some((text, long))) = (formula_at.take(), unicode_string(d, 0)) {
                    if long {
                        return Err(cell_too_long().at(r, c));
                    }
                    sink.put(r, c, Cell::Text(text))?;
                }
                None
            }
            _ => None,
        };
        if let Some(cell) = cell {
            sink.put(row, col, cell)?;
        }
    }
    Ok(sink.finish())
}

/// A FORMULA record's cached value (a string one follows in a STRING record).
fn formula(
    d: &[u8],
    row: u32,
    col: u32,
    number: &dyn Fn(u16, f64) -> Cell,
    formula_at: &mut Option<(u32, u32)>,
) -> Option<Cell> {
    let value = d.get(6..14)?;
    if value[6..8] != [0xFF, 0xFF] {
        let n = f64::from_le_bytes(value.try_into().ok()?);
        return Some(number(u16_at(d, 4).unwrap_or(0), n));
    }
    match value[0] {
        0 => {
            *formula_at = Some((row, col));
            None
        }
        1 => Some(Cell::Text(if value[2] == 1 { "TRUE" } else { "FALSE" }.into())),
        2 => Some(Cell::Error(error_value(value[2]))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rk_numbers() {
        assert_eq!(rk((71 << 2) | 2), 71.0);
        assert_eq!(rk((7125 << 2) | 3), 71.25);
        assert_eq!(rk((1.5f64.to_bits() >> 32) as u32), 1.5);
    }

    #[test]
    fn strings_go_on_across_continue_records_with_a_new_width() {
        // "ab" 8-bit, then "中" 16-bit after a CONTINUE boundary.
        let first: &[u8] = &[3, 0, 0, b'a', b'b'];
        let second: &[u8] = &[1, 0x2D, 0x4E];
        let s = shared_strings(vec![first, second], 1).unwrap();
        assert_eq!(s.get(0), Some(("ab中", false)));
    }

    #[test]
    fn not_a_compound_file() {
        assert!(read(b"<html><table>", &Choice::first()).is_err());
        let mut header = vec![0u8; 512];
        header[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        header[0x1E] = 9;
        // A FAT sector pointing at itself past the end, a directory chain that loops.
        header[0x4C..0x50].copy_from_slice(&0u32.to_le_bytes());
        assert!(read(&header, &Choice::first()).is_err());
    }
}
