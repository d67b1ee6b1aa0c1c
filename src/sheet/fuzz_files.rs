//! Property-based fuzzing of the spreadsheet readers at the level of the file: an export as a
//! system writes it (.xlsx, .ods, .xls, .csv, made here), damaged in its bytes (flipped, cut,
//! spliced), in its zip archive (parts rewritten, stored or deflated) and in its XML (hostile
//! fragments: far cells, huge repeats, entity declarations, bad indexes, formulas without a value,
//! broken tags). The properties: nothing panics; a refusal is a Chinese message; what is read
//! keeps to the budget of rows, columns and cells; reading never holds more than 48 MiB however
//! the file is damaged (measured by the counting allocator of `limits::measure`); and the import
//! of what was read names every problem's cell. Budget: `TONGBAO_FUZZ_CASES`.

use crate::diag::Code;
use std::io::{Read, Write};

use proptest::prelude::*;

use super::*;
use crate::limits::{SHEET_CELLS, SHEET_COLUMNS, SHEET_ROWS, measure};

/// The shipped 12345 table's export: 序号, 单位, its columns, every town and street, a 合计 row.
fn rows() -> Vec<Vec<Cell>> {
    let data = shipped();
    let spec = data.spec("12345").expect("the shipped 12345 table");
    let mut head = vec![Cell::Text("序号".into()), Cell::Text("单位".into())];
    head.extend(spec.columns.iter().map(|c| Cell::Text(c.header())));
    let mut out = vec![head];
    for (i, unit) in data
        .registry
        .units
        .iter()
        .filter(|u| u.until.is_none())
        .take(30)
        .enumerate()
    {
        let mut row = vec![Cell::Number(i as f64 + 1.0), Cell::Text(unit.name.clone())];
        row.extend((0..spec.columns.len()).map(|k| Cell::Number((100 + i * 3 + k) as f64)));
        out.push(row);
    }
    out
}

fn shipped() -> crate::load::Data {
    let project = crate::project::Project::new(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
    crate::load::load(&project, &[])
        .0
        .expect("the shipped registry and tables load")
}

fn xlsx(rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy/m/d");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            let _ = match cell {
                Cell::Number(n) => sheet.write_number(r, c, *n),
                Cell::Text(t) => sheet.write_string(r, c, t),
                _ => continue,
            };
        }
    }
    let _ = sheet.write_number_with_format(40, 3, 45000.0, &date);
    let _ = sheet.write_formula(41, 3, "=SUM(D2:D3)");
    book.save_to_buffer().expect("the workbook is written")
}

fn zip(parts: &[(&str, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in parts {
        let method = if deflate && *name != "mimetype" {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        let options = zip::write::SimpleFileOptions::default().compression_method(method);
        out.start_file(*name, options).expect("a part starts");
        out.write_all(bytes).expect("a part is written");
    }
    out.finish().expect("the archive is written").into_inner()
}

fn ods(rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut body = String::new();
    for row in rows {
        body.push_str("<table:table-row>");
        for cell in row {
            body.push_str(&match cell {
                Cell::Number(n) => format!(
                    "<table:table-cell office:value-type=\"float\" office:value=\"{n}\"><text:p>{n}</text:p></table:table-cell>"
                ),
                Cell::Text(t) => format!("<table:table-cell office:value-type=\"string\"><text:p>{t}</text:p></table:table-cell>"),
                _ => "<table:table-cell/>".into(),
            });
        }
        body.push_str("<table:table-cell table:number-columns-repeated=\"1016\"/></table:table-row>");
    }
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content \
         xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
         xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
         xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\"><office:body><office:spreadsheet>\
         <table:table table:name=\"Sheet1\">{body}<table:table-row table:number-rows-repeated=\"1048500\">\
         <table:table-cell table:number-columns-repeated=\"1024\"/></table:table-row></table:table>\
         </office:spreadsheet></office:body></office:document-content>"
    );
    zip(
        &[
            ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet".to_vec()),
            ("content.xml", content.into_bytes()),
        ],
        true,
    )
}

fn csv(rows: &[Vec<Cell>]) -> Vec<u8> {
    rows.iter()
        .map(|r| r.iter().map(Cell::text).collect::<Vec<_>>().join(","))
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes()
}

/// A BIFF8 workbook in a compound file, as small as Excel reads: one sheet of NUMBER and LABEL
/// records, the stream in regular sectors.
fn xls(rows: &[Vec<Cell>]) -> Vec<u8> {
    fn record(w: &mut Vec<u8>, typ: u16, data: &[u8]) {
        w.extend(typ.to_le_bytes());
        w.extend((data.len() as u16).to_le_bytes());
        w.extend(data);
    }
    let bof = |dt: u16| [&0x0600u16.to_le_bytes()[..], &dt.to_le_bytes(), &[0; 12]].concat();
    let utf16 = |t: &str| t.encode_utf16().flat_map(u16::to_le_bytes).collect::<Vec<u8>>();
    let mut w = Vec::new();
    record(&mut w, 0x0809, &bof(0x0005));
    let at = w.len() + 4;
    let name = utf16("热线");
    record(&mut w, 0x0085, &[&[0, 0, 0, 0, 0, 0, 2, 1][..], &name].concat());
    record(&mut w, 0x000A, &[]);
    let pos = (w.len() as u32).to_le_bytes();
    w[at..at + 4].copy_from_slice(&pos);
    record(&mut w, 0x0809, &bof(0x0010));
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let place = [(r as u16).to_le_bytes(), (c as u16).to_le_bytes(), 0u16.to_le_bytes()].concat();
            match cell {
                Cell::Number(n) => record(&mut w, 0x0203, &[place, n.to_le_bytes().to_vec()].concat()),
                Cell::Text(t) => {
                    let len = (t.encode_utf16().count() as u16).to_le_bytes();
                    record(&mut w, 0x0204, &[place, len.to_vec(), vec![1], utf16(t)].concat());
                }
                _ => {}
            }
        }
    }
    record(&mut w, 0x000A, &[]);
    w.resize(w.len().max(4096).div_ceil(512) * 512, 0);
    let sectors = w.len() / 512;
    let mut file = vec![0u8; 512];
    file[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    let put = |f: &mut Vec<u8>, at: usize, v: u32| f[at..at + 4].copy_from_slice(&v.to_le_bytes());
    file[0x18..0x1C].copy_from_slice(&[0x3E, 0, 3, 0]);
    file[0x1C..0x20].copy_from_slice(&[0xFE, 0xFF, 9, 0]);
    file[0x20] = 6;
    put(&mut file, 0x2C, 1);
    put(&mut file, 0x30, 1);
    put(&mut file, 0x38, 4096);
    put(&mut file, 0x3C, 0xFFFF_FFFE);
    put(&mut file, 0x44, 0xFFFF_FFFE);
    for i in 0..109 {
        put(&mut file, 0x4C + i * 4, if i == 0 { 0 } else { 0xFFFF_FFFF });
    }
    let mut fat = vec![0xFFFF_FFFFu32; 128];
    fat[0] = 0xFFFF_FFFD;
    fat[1] = 0xFFFF_FFFE;
    for s in 0..sectors {
        fat[2 + s] = if s + 1 == sectors { 0xFFFF_FFFE } else { (3 + s) as u32 };
    }
    file.extend(fat.iter().flat_map(|v| v.to_le_bytes()));
    let mut dir = vec![0u8; 512];
    let entry = |d: &mut Vec<u8>, i: usize, name: &str, kind: u8, start: u32, size: u32| {
        let e = &mut d[i * 128..(i + 1) * 128];
        let n = utf16(name);
        e[..n.len()].copy_from_slice(&n);
        e[0x40..0x42].copy_from_slice(&((n.len() + 2) as u16).to_le_bytes());
        e[0x42] = kind;
        e[0x74..0x78].copy_from_slice(&start.to_le_bytes());
        e[0x78..0x7C].copy_from_slice(&size.to_le_bytes());
    };
    entry(&mut dir, 0, "Root Entry", 5, 0xFFFF_FFFE, 0);
    entry(&mut dir, 1, "Workbook", 2, 2, w.len() as u32);
    file.extend(dir);
    file.extend(w);
    file
}

/// XML that a damaged or hostile export could hold.
const FRAGMENTS: &[&str] = &[
    r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#,
    r#"<c r="A99999999"><v>1</v></c>"#,
    r#"<dimension ref="A1:XFD1048576"/>"#,
    r#"<c r="B2" t="s"><v>4294967295</v></c>"#,
    r#"<c r="B2" s="99999"><v>45000</v></c>"#,
    r#"<c r="C3"><f>SUM(A1:A3)</f></c>"#,
    r#"<c r="提交"><v>1</v></c>"#,
    r#"<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>"#,
    "&b;&amp;&#0;&#x110000;&unknown;",
    r#"<table:table-row table:number-rows-repeated="1000000000"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="1000000000"/></table:table-row>"#,
    r#"<table:table-cell table:number-columns-repeated="4294967295"/>"#,
    r#"<table:table-cell office:value-type="date" office:date-value="2023-02-30"/>"#,
    r#"<text:s text:c="1000000000"/>"#,
    r#"<table:table table:name="热线"><table:table-row><table:table-cell><text:p>单位</text:p></table:table-cell></table:table-row></table:table>"#,
    "\u{0}\u{feff}\u{202e}",
    "<c r=\"A1\"><v>",
    "</sheetData>",
    "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>",
    "]]>-->?>",
];

#[derive(Debug, Clone)]
enum Damage {
    Flip(usize, u8),
    Cut(usize),
    Splice(usize, Vec<u8>),
    /// In the archive's `part`-th XML part, at `at`: a fragment, a deleted span, a copied span.
    Xml(usize, usize, XmlDamage),
    /// Stored instead of deflated.
    Store,
}

#[derive(Debug, Clone)]
enum XmlDamage {
    Insert(usize),
    Delete(usize),
    Copy(usize),
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        3 => (any::<usize>(), 1..=255u8).prop_map(|(at, x)| Damage::Flip(at, x)),
        1 => any::<usize>().prop_map(Damage::Cut),
        1 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..16)).prop_map(|(at, b)| Damage::Splice(at, b)),
        6 => (any::<usize>(), any::<usize>(), prop_oneof![
            (0..FRAGMENTS.len()).prop_map(XmlDamage::Insert),
            (1..400usize).prop_map(XmlDamage::Delete),
            (1..400usize).prop_map(XmlDamage::Copy),
        ]).prop_map(|(p, at, d)| Damage::Xml(p, at, d)),
        1 => Just(Damage::Store),
    ]
}

/// The parts of a zip archive (undamaged: the damage comes after).
fn unzip(bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let mut parts = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).ok()?;
        let mut body = Vec::new();
        file.read_to_end(&mut body).ok()?;
        parts.push((file.name().ok()?.to_string(), body));
    }
    Some(parts)
}

fn apply(bytes: &mut Vec<u8>, d: &Damage) {
    let len = bytes.len().max(1);
    match d {
        Damage::Flip(at, x) => {
            if let Some(b) = bytes.get_mut(at % len) {
                *b ^= x;
            }
        }
        Damage::Cut(at) => bytes.truncate(at % len),
        Damage::Splice(at, b) => {
            let at = at % len;
            bytes.splice(at.min(bytes.len())..at.min(bytes.len()), b.iter().copied());
        }
        Damage::Xml(part, at, how) if bytes.starts_with(b"PK") => {
            let Some(mut parts) = unzip(bytes) else { return };
            let xml: Vec<usize> = (0..parts.len()).filter(|i| parts[*i].0.ends_with(".xml")).collect();
            let Some(&i) = xml.get(part % xml.len().max(1)) else {
                return;
            };
            let body = &mut parts[i].1;
            let at = at % body.len().max(1);
            match how {
                XmlDamage::Insert(f) => drop(body.splice(at..at, FRAGMENTS[*f].bytes())),
                XmlDamage::Delete(n) => drop(body.drain(at..(at + n).min(body.len()))),
                XmlDamage::Copy(n) => {
                    let span = body[at..(at + n).min(body.len())].to_vec();
                    body.splice(at..at, span);
                }
            }
            let named: Vec<(&str, Vec<u8>)> = parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
            *bytes = zip(&named, true);
        }
        Damage::Store if bytes.starts_with(b"PK") => {
            if let Some(parts) = unzip(bytes) {
                let named: Vec<(&str, Vec<u8>)> = parts.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
                *bytes = zip(&named, false);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(crate::limits::fuzz_config(1))]

    #[test]
    fn damaged_files_are_read_within_budget_or_refused_in_chinese(
        format in 0..4usize,
        damages in proptest::collection::vec(damage(), 0..6)
    ) {
        let data = shipped();
        let spec = data.spec("12345").expect("the shipped 12345 table");
        let base = rows();
        let (mut bytes, ext) = match format {
            0 => (xlsx(&base), "xlsx"),
            1 => (ods(&base), "ods"),
            2 => (xls(&base), "xls"),
            _ => (csv(&base), "csv"),
        };
        for d in &damages {
            apply(&mut bytes, d);
        }
        let (read, peak) = measure::peak(|| read_bytes(bytes.clone(), ext, &Choice::table(spec)));
        prop_assert!(peak < 48 << 20, "reading held {peak} bytes");
        match read {
            Ok((_, grid)) => {
                prop_assert!(grid.rows.len() <= SHEET_ROWS as usize);
                prop_assert!(grid.rows.iter().all(|r| r.len() <= SHEET_COLUMNS as usize));
                let cells: usize = grid.rows.iter().map(|r| r.iter().filter(|c| **c != Cell::Empty).count()).sum();
                prop_assert!(cells <= SHEET_CELLS);
                let month = MonthId::parse("2023-03").expect("a month");
                let imported = import(&grid, "导出", spec, &data.registry, &month);
                for e in imported.diagnostics.iter().filter(|d| d.is_error()) {
                    prop_assert!(
                        e.cell.is_some() || [Code::ImportHeader, Code::UnitMissing].contains(&e.code),
                        "an error without its cell: {e:?}"
                    );
                }
            }
            Err(refusal) => {
                let chinese = |t: &str| t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
                prop_assert!(chinese(&refusal.message) && chinese(&refusal.help), "{refusal:?}");
                let d = refusal.diagnostic("导出");
                prop_assert!(d.is_error() && d.file.is_some());
            }
        }
    }
}

#[test]
fn the_undamaged_files_read_as_written() {
    let data = shipped();
    let spec = data.spec("12345").unwrap();
    let base = rows();
    for (bytes, ext) in [
        (xlsx(&base), "xlsx"),
        (ods(&base), "ods"),
        (xls(&base), "xls"),
        (csv(&base), "csv"),
    ] {
        let (_, grid) = read_bytes(bytes, ext, &Choice::table(spec)).unwrap_or_else(|r| panic!("{ext}: {r:?}"));
        assert_eq!(grid.rows[1][1], Cell::Text(base[1][1].text()), "{ext}");
        assert_eq!(grid.rows[2][2].text(), base[2][2].text(), "{ext}");
        if ext == "xlsx" {
            // The date-formatted cell and the formula rust_xlsxwriter leaves without a value.
            let date = &grid.rows[40][3];
            assert_eq!(date, &Cell::Date("2023年3月15日".into()));
            assert!(matches!(&grid.rows[41][3], Cell::Number(_) | Cell::Formula(_)));
        }
    }
}

/// A workbook whose sheets are named 附件1 … (as tongbao's own): the sheet whose first rows hold
/// the table's title is read, in .xlsx and in .ods; with no such sheet, the first.
#[test]
fn a_sheet_is_found_by_its_title() {
    let data = shipped();
    let spec = data.spec("12345").unwrap();
    let title = spec.title.split(['{', '}']).max_by_key(|p| p.chars().count()).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, first) in [("附件1", "另一张表"), ("附件2", title)] {
        let sheet = book.add_worksheet().set_name(name).unwrap();
        sheet.write_string(0, 0, first).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let (name, grid) = read_bytes(bytes.clone(), "xlsx", &Choice::table(spec)).unwrap();
    assert_eq!((name.as_str(), grid.rows[0][0].text()), ("附件2", title.to_string()));
    assert_eq!(read_bytes(bytes, "xlsx", &Choice::first()).unwrap().0, "附件1");
    let table = |name: &str, text: &str| {
        format!(
            "<table:table table:name=\"{name}\"><table:table-row><table:table-cell office:value-type=\"string\">\
             <text:p>{text}</text:p></table:table-cell></table:table-row></table:table>"
        )
    };
    let content = |tables: String| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content \
             xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
             xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
             xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\"><office:body><office:spreadsheet>\
             {tables}</office:spreadsheet></office:body></office:document-content>"
        )
    };
    let ods = |tables: String| {
        zip(
            &[
                ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet".to_vec()),
                ("content.xml", content(tables).into_bytes()),
            ],
            true,
        )
    };
    let titled = ods(table("附件1", "另一张表") + &table("附件2", title) + &table("附件3", title));
    assert_eq!(read_bytes(titled, "ods", &Choice::table(spec)).unwrap().0, "附件2");
    let named = ods(table("附件1", title) + &table("12345", "另一张表"));
    assert_eq!(read_bytes(named, "ods", &Choice::table(spec)).unwrap().0, "12345");
    let neither = ods(table("附件1", "甲") + &table("附件2", "乙"));
    assert_eq!(read_bytes(neither, "ods", &Choice::table(spec)).unwrap().0, "附件1");
}
