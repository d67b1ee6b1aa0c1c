//! Hostile input: files made to exhaust memory, to forge an issued circular or to crash a command
//! are refused at their place, in Chinese, and leave every file as it was. The commands run under
//! a memory cap (`ulimit -v`), so a regression fails here instead of exhausting the machine; the
//! inputs are kept modest (the full-size bombs, and the peaks measured against the targets, are in
//! `scripts/bench-hostile`).

use std::io::Write as _;
use std::process::{Command, Output};

use sha2::Digest as _;

use crate::util::{Project, output};

/// Virtual memory a command may map in these tests (the binary and its threads map ~1 GiB
/// without touching it; the resident peaks are measured by the benchmark).
const CAP_KIB: u64 = 3 << 20;

/// Runs tongbao with `args` in the project under the memory cap.
fn capped(p: &Project, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {CAP_KIB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_tongbao"))
        .args(args)
        .arg("--root")
        .arg(p.root())
        .output()
        .unwrap()
}

/// Asserts a refusal: exit 1 (not a crash or a signal), no panic, and the words expected.
fn refused(out: &Output, words: &[&str]) -> String {
    let said = output(out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        !said.contains("panicked") && !said.contains("memory allocation"),
        "{said}"
    );
    for w in words {
        assert!(said.contains(w), "expected “{w}” in: {said}");
    }
    said
}

const HEAD: &str = "单位,本月投诉,办结投诉,延期数,重办条数";
use crate::util::TOWNS;

/// Rows of an export that imports cleanly: the header, then every town with small figures.
fn clean_rows() -> Vec<Vec<String>> {
    let mut rows = vec![HEAD.split(',').map(str::to_string).collect::<Vec<_>>()];
    for t in TOWNS {
        rows.push(vec![t.to_string(), "3".into(), "3".into(), "0".into(), "0".into()]);
    }
    rows
}

/// A sheet's XML from rows of inline strings, with `extra` inserted before `</sheetData>` and
/// `before` before `<sheetData>`.
fn sheet_xml(rows: &[Vec<String>], before: &str, extra: &str) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet \
         xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
    );
    xml.push_str(before);
    xml.push_str("<sheetData>");
    for (r, row) in rows.iter().enumerate() {
        xml.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, v) in row.iter().enumerate() {
            let at = format!("{}{}", (b'A' + c as u8) as char, r + 1);
            match v.parse::<f64>() {
                Ok(n) => xml.push_str(&format!("<c r=\"{at}\"><v>{n}</v></c>")),
                Err(_) => xml.push_str(&format!("<c r=\"{at}\" t=\"inlineStr\"><is><t>{v}</t></is></c>")),
            }
        }
        xml.push_str("</row>");
    }
    xml.push_str(extra);
    xml.push_str("</sheetData></worksheet>");
    xml
}

/// An .xlsx with `sheet` as its one sheet (and `styles`, when given), deflated.
fn workbook(sheet: &[u8], styles: Option<&str>) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let rels =
        "<?xml version=\"1.0\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">";
    let parts = [
        (
            "_rels/.rels",
            format!(
                "{rels}<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
            ),
        ),
        (
            "xl/workbook.xml",
            "<?xml version=\"1.0\"?><workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
             xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets>\
             <sheet name=\"热线\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
                .to_string(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                "{rels}<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
                 <Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/></Relationships>"
            ),
        ),
    ];
    for (name, text) in parts {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    if let Some(styles) = styles {
        zip.start_file("xl/styles.xml", options).unwrap();
        zip.write_all(styles.as_bytes()).unwrap();
    }
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    zip.write_all(sheet).unwrap();
    zip.finish().unwrap().into_inner()
}

/// Writes `bytes` as a file beside the project and imports it into the 12345 table of March.
fn import(p: &Project, name: &str, bytes: &[u8]) -> Output {
    let file = p.dir.path().join(name);
    std::fs::write(&file, bytes).unwrap();
    capped(p, &["import", "热线", file.to_str().unwrap(), "--month", "2023-03"])
}

const TABLE: &str = "data/2023-03/12345.yaml";

#[test]
fn a_value_at_the_far_end_of_a_sheet_is_refused_at_its_cell() {
    let p = Project::march_only();
    let before = p.read(TABLE);
    // One cell at XFD1048576: a 2 KB file that once asked for 512 GB.
    let xml = sheet_xml(
        &clean_rows(),
        "",
        "<row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row>",
    );
    let out = import(&p, "far.xlsx", &workbook(xml.as_bytes(), None));
    refused(&out, &["单元格 XFD1048576", "最多读取 10000 行", "sheet-too-big"]);
    assert_eq!(p.read(TABLE), before, "nothing is written");

    // A declared dimension is never looked at: the same export, claiming every cell, imports.
    let xml = sheet_xml(&clean_rows(), "<dimension ref=\"A1:XFD1048576\"/>", "");
    let out = import(&p, "dimension.xlsx", &workbook(xml.as_bytes(), None));
    assert!(out.status.success(), "{}", output(&out));
    assert!(
        p.read(TABLE)
            .contains("  - {单位: 南滩街道办事处, 本月: 3, 办结: 3, 延期: 0, 重办: 0}")
    );
}

#[test]
fn a_sheet_that_inflates_past_the_budget_is_refused_before_it_is_inflated() {
    let p = Project::march_only();
    let before = p.read(TABLE);
    // 80 MiB of whitespace inside the sheet, deflated to about 80 KiB.
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let bomb = workbook(b"", None);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bomb)).unwrap();
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let file = archive.by_index(i).unwrap();
        if file.name().unwrap() != "xl/worksheets/sheet1.xml" {
            zip.raw_copy_file(file).unwrap();
        }
    }
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    let xml = sheet_xml(&clean_rows(), "", "");
    let (start, end) = xml.split_at(xml.find("</sheetData>").unwrap());
    zip.write_all(start.as_bytes()).unwrap();
    let spaces = vec![b' '; 1 << 20];
    for _ in 0..80 {
        zip.write_all(&spaces).unwrap();
    }
    zip.write_all(end.as_bytes()).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    let out = import(&p, "bomb.xlsx", &bytes);
    refused(&out, &["解压后超过 64 MiB", "压缩炸弹"]);
    assert_eq!(p.read(TABLE), before);
}

#[test]
fn a_csv_of_two_hundred_thousand_rows_is_refused_in_a_few_lines() {
    let p = Project::march_only();
    let mut csv = format!("{HEAD}\n");
    for _ in 0..200_000 {
        csv.push_str("总寨镇政府,1,1,0,x\n");
    }
    let out = import(&p, "rows.csv", csv.as_bytes());
    let said = refused(&out, &["第 10001 行有数据", "单元格 A10001"]);
    assert!(said.len() < 4000, "{} bytes of output", said.len());
}

#[test]
fn a_date_cell_and_a_formula_without_its_value_are_named_as_such() {
    let p = Project::march_only();
    let styles = "<?xml version=\"1.0\"?><styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
                  <numFmts count=\"1\"><numFmt numFmtId=\"176\" formatCode=\"yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;\"/></numFmts>\
                  <cellXfs count=\"3\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/><xf numFmtId=\"176\"/></cellXfs></styleSheet>";
    let xml = sheet_xml(&clean_rows(), "", "")
        .replace("<c r=\"B2\"><v>3</v></c>", "<c r=\"B2\" s=\"1\"><v>45000</v></c>")
        .replace("<c r=\"C3\"><v>3</v></c>", "<c r=\"C3\"><f>SUM(C1:C2)</f></c>")
        .replace("<c r=\"B4\"><v>3</v></c>", "<c r=\"B4\" s=\"2\"><v>45001</v></c>")
        .replace("<c r=\"D5\"><v>0</v></c>", "<c r=\"D5\" t=\"e\"><v>#DIV/0!</v></c>");
    let out = import(&p, "types.xlsx", &workbook(xml.as_bytes(), Some(styles)));
    refused(
        &out,
        &[
            "错误[import-date]：这一格是日期（2023年3月15日），不是数字",
            "单元格 B2",
            "“常规”或“数值”格式",
            "错误[import-formula]：这一格是公式（=SUM(C1:C2)），文件中没有保存它的计算结果",
            "单元格 C3",
            "这一格是日期（2023年3月16日）",
            "错误值“#DIV/0!”",
        ],
    );
}

#[test]
fn a_web_page_saved_as_xls_and_a_repeat_of_a_billion_are_refused() {
    let p = Project::march_only();
    let out = import(
        &p,
        "export.xls",
        b"<html><body><table><tr><td>\xe5\x8d\x95\xe4\xbd\x8d</td></tr></table>",
    );
    refused(&out, &["其实是网页", "另存为 .xlsx"]);

    // An .ods repeating one value across a billion columns: refused at the first beyond.
    let content = "<?xml version=\"1.0\"?><office:document-content xmlns:office=\"o\" xmlns:table=\"t\" xmlns:text=\"x\">\
                   <office:body><office:spreadsheet><table:table table:name=\"热线\"><table:table-row>\
                   <table:table-cell office:value-type=\"float\" office:value=\"1\" table:number-columns-repeated=\"1000000000\"/>\
                   </table:table-row></table:table></office:spreadsheet></office:body></office:document-content>";
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    let ods = zip.finish().unwrap().into_inner();
    refused(&import(&p, "wide.ods", &ods), &["单元格 IW1", "最多读取 256 列"]);
    let rows = content
        .replace(
            "<table:table-row>",
            "<table:table-row table:number-rows-repeated=\"1000000000\">",
        )
        .replace("table:number-columns-repeated=\"1000000000\"", "");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("content.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(rows.as_bytes()).unwrap();
    let ods = zip.finish().unwrap().into_inner();
    refused(&import(&p, "long.ods", &ods), &["单元格 A10001", "最多读取 10000 行"]);
}

fn sha256(bytes: &[u8]) -> String {
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Issues March, then puts `forged` in place of its PDF with the record's file digest updated
/// to match (what a forger with write access to the repository would do).
fn forge(p: &Project, forged: &[u8]) -> Vec<u8> {
    let out = p.run(&["issue", "2023-03"]);
    assert!(out.status.success(), "{}", output(&out));
    let issued = std::fs::read(p.path("data/2023-03/issued.pdf")).unwrap();
    std::fs::write(p.path("data/2023-03/issued.pdf"), forged).unwrap();
    p.edit("data/2023-03/issued.yaml", &sha256(&issued), &sha256(forged));
    issued
}

/// `check` and `build` of March refuse the forged PDF, naming the month and the file, and never
/// copy it into out/.
fn assert_forgery_refused(p: &Project, forged: &[u8], words: &[&str]) {
    let (code, errors) = p.errors();
    assert_eq!(code, 1, "{errors:#?}");
    let d = errors
        .iter()
        .find(|d| d["code"] == "issued-pdf")
        .expect("the forged PDF is reported");
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("2023-03") && message.contains("data/2023-03/issued.pdf"),
        "{message}"
    );
    for w in words {
        assert!(message.contains(w), "expected “{w}” in {message}");
    }
    let out = capped(p, &["build", "2023-03"]);
    refused(&out, &["issued-pdf"]);
    let copied = std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap_or_default();
    assert_ne!(copied, forged, "the forged PDF is never copied into out/");
}

#[test]
fn an_issued_circular_swapped_for_another_months_is_refused() {
    let p = Project::shipped();
    let out = p.run(&["build", "2023-08"]);
    assert!(out.status.success(), "{}", output(&out));
    let august = std::fs::read(p.path("out/2023-08/circular.pdf")).unwrap();
    forge(&p, &august);
    assert_forgery_refused(&p, &august, &["2023-08 的通报", "替换"]);
}

#[test]
fn an_issued_circular_altered_after_issue_is_refused() {
    let p = Project::march_only();
    // The same circular with one word of its metadata changed (a stand-in for any edit).
    let out = p.run(&["build", "2023-03"]);
    assert!(out.status.success(), "{}", output(&out));
    let mut altered = std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap();
    let at = altered.windows(8).position(|w| w == b"(tongbao").unwrap();
    altered[at + 1] = b'T';
    forge(&p, &altered);
    assert_forgery_refused(&p, &altered, &["改动"]);
}

/// A PDF whose one embedded-file stream inflates to `mib` MiB of zeros.
fn zlib_bomb(mib: usize) -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..mib {
        z.write_all(&zeros).unwrap();
    }
    let body = z.finish().unwrap();
    let mut pdf = format!(
        "%PDF-1.7\n1 0 obj\n<</Length {}/Type/EmbeddedFile/Filter/FlateDecode>>\nstream\n",
        body.len()
    )
    .into_bytes();
    pdf.extend(body);
    pdf.extend(b"\nendstream\nendobj\n%%EOF\n");
    pdf
}

#[test]
fn a_zlib_bomb_as_the_issued_pdf_or_given_to_verify_is_refused_at_once() {
    let p = Project::march_only();
    let bomb = zlib_bomb(256);
    forge(&p, &bomb);
    assert_forgery_refused(&p, &bomb, &["改动"]);

    let file = p.dir.path().join("bomb.pdf");
    std::fs::write(&file, &bomb).unwrap();
    refused(
        &capped(&p, &["verify", file.to_str().unwrap()]),
        &["没有 tongbao 构建清单"],
    );
}

#[test]
fn verify_refuses_a_manifest_naming_no_commit_without_panicking() {
    let p = Project::march_only();
    let out = p.run(&["build", "2023-03"]);
    assert!(out.status.success(), "{}", output(&out));
    // The manifest's commit replaced by eight CJK characters (slicing it by bytes once panicked).
    let json = serde_json::json!({
        "tool": "tongbao 0.1.0", "month": "2023-03", "commit": "提交提交提交提交", "dirty": false, "inputs": {},
    })
    .to_string();
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(json.as_bytes()).unwrap();
    let body = z.finish().unwrap();
    let mut pdf = format!(
        "%PDF-1.7\n9 0 obj\n<</Length {}/Type/EmbeddedFile/Filter/FlateDecode>>\nstream\n",
        body.len()
    )
    .into_bytes();
    pdf.extend(body);
    pdf.extend(b"\nendstream\nendobj\n%%EOF\n");
    let file = p.dir.path().join("forged.pdf");
    std::fs::write(&file, pdf).unwrap();
    refused(
        &capped(&p, &["verify", file.to_str().unwrap()]),
        &["构建清单不可信", "“提交提交提交提交”不是提交号"],
    );
}

#[test]
fn a_text_too_long_to_be_a_circular_is_refused_at_its_place() {
    let p = Project::march_only();
    let text = p.read(crate::util::MARCH_TEXT);
    let at = "附件:1.";
    let many: String = (0..1_200).map(|_| "一\n").collect();
    p.write(crate::util::MARCH_TEXT, &text.replacen(at, &format!("{many}{at}"), 1));
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    let d = errors.iter().find(|d| d["code"] == "text-too-long").expect("refused");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("超过 1000 段（这是第 1001 段）"),
        "{d:#?}"
    );
    assert!(d["line"].as_u64().unwrap() > 1000, "{d:#?}");

    let long: String = "很长的一段话。".repeat(1_000);
    p.write(crate::util::MARCH_TEXT, &text.replacen(at, &format!("{long}\n{at}"), 1));
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    let d = errors.iter().find(|d| d["code"] == "text-too-long").expect("refused");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("这一段有 7000 个字，一段最多 5000 个字"),
        "{d:#?}"
    );
    let out = capped(&p, &["build", "2023-03"]);
    refused(&out, &["text-too-long"]);
}

#[test]
fn what_minijinja_and_typst_report_is_said_in_chinese_with_their_words_kept() {
    let p = Project::march_only();
    let main = "templates/circular.typ.j2";
    let template = p.read(main);
    let cases = [
        ("{% include \"nope.typ.j2\" %}\n", "找不到模板", "nope.typ.j2"),
        (
            "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}\n",
            "模板递归或嵌套过深",
            "recursion",
        ),
        (
            "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}\n",
            "模板运行的步骤超过上限",
            "fuel",
        ),
    ];
    for (added, chinese, english) in cases {
        p.write(main, &format!("{added}{template}"));
        let (code, errors) = p.errors();
        assert_eq!(code, 1, "{added}");
        let d = errors
            .iter()
            .find(|d| d["code"] == "template")
            .expect("a template error");
        assert!(d["message"].as_str().unwrap().contains(chinese), "{d:#?}");
        assert!(d["detail"].as_str().unwrap_or("").contains(english), "{d:#?}");
        assert!(
            !d["message"].as_str().unwrap().contains(english),
            "English stays in the detail: {d:#?}"
        );
    }
    p.write(main, &template);

    p.edit(
        "templates/gongwen.typ",
        "// GB/T 9704-2012",
        "#panic(\"版式被改坏了\")\n// GB/T 9704-2012",
    );
    let out = p.run(&["build", "2023-03", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", output(&out));
    let json: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let d = json.iter().find(|d| d["code"] == "typst").expect("a Typst error");
    assert!(
        d["message"].as_str().unwrap().starts_with("排版错误：模板中止了排版"),
        "{d:#?}"
    );
    assert!(d["detail"].as_str().unwrap().contains("panicked"), "{d:#?}");
}

#[test]
fn a_date_that_does_not_exist_is_named_in_the_text_and_in_yaml() {
    let p = Project::march_only();
    p.edit(
        crate::util::MARCH_TEXT,
        "\n2023年5月5日\n",
        "\n2023年2月30日\n（联系人：张三，电话：1234567）\n",
    );
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    let d = errors.iter().find(|d| d["code"] == "date").expect("the date is named");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("成文日期“2023年2月30日”不存在：2023年2月只有 28 天，没有30日"),
        "{d:#?}"
    );
    p.edit(crate::util::MARCH_TEXT, "\n2023年2月30日\n", "\n2023年5月5日\n");
    std::fs::write(
        p.path("data/2023-03/document.yaml"),
        p.read("data/2023-03/document.yaml")
            + "版式: {版记: {抄送: 区委办公室, 印发机关: 区政府办公室, 印发日期: 2023-02-29}}\n",
    )
    .unwrap();
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    let d = errors
        .iter()
        .find(|d| d["code"] == "date")
        .expect("the YAML date is named");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("“2023-02-29”不存在：2023年2月只有 28 天"),
        "{d:#?}"
    );
}

#[test]
fn a_long_argument_is_quoted_short() {
    let p = Project::march_only();
    let long = format!("{}.xlsx", "长".repeat(20_000));
    for args in [
        vec!["import", "热线", long.as_str()],
        vec!["verify", long.as_str()],
        vec!["build", long.as_str()],
        vec!["import", long.as_str(), "x.csv"],
    ] {
        let out = capped(&p, &args);
        let said = output(&out);
        assert!(!out.status.success() && said.chars().count() < 600, "{args:?}: {said}");
    }
    let out = capped(&p, &["issue", "2023-03", "--revise", &"长".repeat(1_000)]);
    let said = output(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("200") && said.chars().count() < 300, "{said}");
}

#[test]
fn long_arguments_to_the_history_commands_are_quoted_short() {
    let repo = crate::util::git::Repo::new();
    let long = "长".repeat(20_000);
    for args in [
        vec!["blame", "2023-03", long.as_str(), "总寨镇政府", "本月"],
        vec!["blame", "2023-03", "12345", long.as_str(), "本月"],
        vec!["blame", "2023-03", "12345", "总寨镇政府", long.as_str()],
        vec!["diff", long.as_str()],
        vec!["diff", "HEAD", long.as_str()],
        vec!["log", long.as_str()],
    ] {
        let out = repo.tongbao(&args);
        let said = output(&out);
        assert!(matches!(out.status.code(), Some(1 | 2)), "{said}");
        assert!(
            said.contains('…') && said.chars().count() < 400,
            "{:?}: {said}",
            &args[..1]
        );
    }
}

/// Counts the diagnostics a human-format output lists (`错误[code]` or `警告[code]` heads).
fn listed(said: &str) -> usize {
    said.lines()
        .filter(|l| l.starts_with("错误[") || l.starts_with("警告["))
        .count()
}

#[test]
fn a_list_of_errors_stops_at_twenty_located_then_counts_the_rest() {
    let p = Project::march_only();
    // 2,000 rows within the row budget, each with a figure that is not a number.
    let mut csv = format!("{HEAD}\n");
    for town in TOWNS {
        csv.push_str(&format!("{town},1,1,0,0\n"));
    }
    for _ in 0..2_000 {
        csv.push_str("总寨镇政府,1,1,0,x\n");
    }
    let said = refused(&import(&p, "bad.csv", csv.as_bytes()), &["……另有", "个错误"]);
    assert_eq!(listed(&said), 20, "{said}");
    assert!(said.contains("单元格 E10"), "the first is located at its cell: {said}");

    // The same cap for check, on a table with 300 units that are not in the registry.
    let table = TABLE;
    let rows: String = (0..300)
        .map(|i| format!("  - {{单位: 不存在的单位{i:03}, 本月: 1, 办结: 1, 延期: 0, 重办: 0}}\n"))
        .collect();
    let text = p.read(table).replacen("行:\n", &format!("行:\n{rows}"), 1);
    p.write(table, &text);
    let out = capped(&p, &["check"]);
    let said = refused(&out, &["……另有", "未列出"]);
    // Twenty errors, and the first warnings all the same (never buried under the errors).
    let errors = said.lines().filter(|l| l.starts_with("错误[")).count();
    let warnings = said.lines().filter(|l| l.starts_with("警告[")).count();
    assert_eq!((errors, listed(&said)), (20, 20 + warnings), "{said}");
    assert!((1..=5).contains(&warnings), "{said}");
    assert!(
        said.contains(&format!("{table}:")),
        "located by file:line:column: {said}"
    );
}

#[test]
fn a_registry_or_a_table_longer_than_its_budget_is_refused_at_the_first_beyond() {
    // The registry at its budget of 1,500 units: 36 shipped and 1,464 more.
    let units = |n: usize| -> String {
        (0..n)
            .map(|i| format!("  - {{名称: 测试单位{i:04}, 类别: 区直部门}}\n"))
            .collect()
    };
    let p = Project::march_only();
    let registry = p.read("data/units.yaml");
    p.write("data/units.yaml", &format!("{}\n{}", registry.trim_end(), units(1_465)));
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    let d = errors
        .iter()
        .find(|d| d["code"] == "registry-too-long")
        .expect("refused");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("单位名录有 1501 个单位，最多 1500 个"),
        "{d:#?}"
    );

    // A table of 1,501 rows: the 27 shipped rows, the 1,464 new units before them and ten
    // repeated (the repeats are errors of their own; the 1,501st row is the first beyond).
    p.write("data/units.yaml", &format!("{}\n{}", registry.trim_end(), units(1_464)));
    let rows: String = (0..1_464)
        .chain(0..10)
        .map(|i| format!("  - {{单位: 测试单位{i:04}, 本月: 0, 办结: 0, 延期: 0, 重办: 0}}\n"))
        .collect();
    p.write(TABLE, &p.read(TABLE).replacen("行:\n", &format!("行:\n{rows}"), 1));
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    let d = errors.iter().find(|d| d["code"] == "table-too-long").expect("refused");
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("表格有 1501 行，一张表最多 1500 行"),
        "{d:#?}"
    );
    assert_eq!(d["line"].as_u64(), Some(5 + 1_501), "the first row beyond: {d:#?}");
}
