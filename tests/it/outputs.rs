//! The same circular everywhere it goes: the portal's web page (and a fragment for a CMS editor)
//! made in the same run as the PDF, from the same checked data, and an archival PDF/A.

use crate::util::office::{Office, Word, ink, page_sizes, page_texts, words};
use crate::util::{Project, SEED_ROWS, normalise, pdftotext, seed_sentences, without_page_numbers, zip_part};

fn build(p: &Project, extra: &[&str]) {
    let mut args = vec!["build", "2023-03"];
    args.extend(extra);
    let out = p.run(&args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// The text of an HTML file, tags dropped and entities decoded, normalised like the PDF's text.
fn html_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&amp;", "&");
    normalise(&out)
}

#[test]
fn the_web_page_holds_the_same_text_and_tables_as_the_pdf() {
    let p = Project::march_only();
    build(&p, &["--outputs", "pdf,html"]);
    let html = p.read("out/2023-03/circular.html");
    let fragment = p.read("out/2023-03/circular.fragment.html");
    // Self-contained and accessible.
    assert!(
        html.starts_with("<!DOCTYPE html>")
            && html.contains(r#"<html lang="zh-CN">"#)
            && html.contains(r#"<meta charset="utf-8">"#)
    );
    for external in ["src=", "<link", "url(", "@import", "<script", "<iframe"] {
        assert!(!html.contains(external), "no external request ({external})");
    }
    assert_eq!(html.matches("<table>").count(), 3);
    assert_eq!(html.matches("<caption>").count(), 3);
    assert_eq!(html.matches("<tfoot>").count(), 1, "附件2 alone has a 合计 row");
    assert!(
        html.contains(r#"<th scope="col">本月投诉（条）</th>"#) && html.contains(r#"<th scope="row">区财政局</th>"#)
    );
    // The fragment: body and tables, no page and no styles.
    assert!(!fragment.contains("<html") && !fragment.contains("<style") && fragment.contains("<table "));
    // Every sentence of the body and every row of the tables, as in the PDF (and in the fragment).
    let page = html_text(&html);
    let piece = html_text(&fragment);
    let pdf = without_page_numbers(&normalise(&pdftotext(&p.path("out/2023-03/circular.pdf"))));
    for (sentence, s) in seed_sentences() {
        assert!(page.contains(&s), "web page lacks {sentence}");
        assert!(piece.contains(&s), "fragment lacks {sentence}");
        assert!(pdf.contains(&s), "PDF lacks {sentence}");
    }
    for row in SEED_ROWS {
        assert!(page.contains(row) && pdf.contains(row), "{row}");
    }
    // Built again, the same bytes.
    build(&p, &["--outputs", "all"]);
    assert_eq!(p.read("out/2023-03/circular.html"), html);
    // The PDF's manifest names the web page and its digest.
    let manifest =
        tongbao::provenance::read_manifest(&std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap()).unwrap();
    let digest = manifest
        .outputs
        .get("out/2023-03/circular.html")
        .expect("the web page in the manifest");
    assert_eq!(digest.len(), 64);
}

#[test]
fn the_web_page_is_valid_html_and_renders_in_chromium() {
    let p = Project::march_only();
    build(&p, &["--outputs", "html"]);
    let jar = std::env::var("TONGBAO_VNU_JAR").expect("TONGBAO_VNU_JAR: scripts/test installs the Nu HTML checker");
    let page = p.path("out/2023-03/circular.html");
    // The fragment is checked inside a minimal page.
    let wrapped = p.path("out/2023-03/fragment-page.html");
    let fragment = p.read("out/2023-03/circular.fragment.html");
    std::fs::write(&wrapped, format!("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>片段</title></head><body>{fragment}</body></html>")).unwrap();
    let out = std::process::Command::new("java")
        .args(["-jar", &jar, "--errors-only"])
        .arg(&page)
        .arg(&wrapped)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Headless Chromium loads it: the DOM it builds holds the three tables.
    let out = dump_dom(&page);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        dom.matches("<table>").count(),
        3,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dom.contains("<caption>3月城中区“12345”民生服务热线投诉情况统计表</caption>"));
}

/// The DOM headless Chromium builds from a file, after its scripts ran.
fn dump_dom(page: &std::path::Path) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    std::process::Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--allow-file-access-from-files",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium (scripts/test installs it)")
}

#[test]
fn the_fragment_reads_right_in_a_cms_without_our_stylesheet() {
    let p = Project::march_only();
    build(&p, &["--outputs", "html"]);
    let fragment = p.read("out/2023-03/circular.fragment.html");
    // One level below the CMS page's own <h1>: the title h2, the headings h3.
    assert!(!fragment.contains("<h1"), "a second <h1>");
    assert!(fragment.contains("<h2 class=\"title\">西宁市城中区人民政府办公室关于"));
    assert!(fragment.contains("<h3>一、“710”政务督办系统运行情况</h3>"));
    // Numbered as in the PDF, once: no list numbering to add a “1.” of its own.
    assert!(!fragment.contains("<ol") && !fragment.contains("<li"));
    assert!(fragment.contains("附件：1．<a href=\"#attachment-1\">3月城中区710政府督办情况统计表</a><br>2．"));
    // The web address is a link.
    assert!(fragment.contains("<a href=\"http:&#x2f;&#x2f;www.xncz.gov.cn&#x2f;zwgk&#x2f;bmxxgk.htm\">"));
    // In a page with no stylesheet of ours, Chromium draws every cell's rules and puts the
    // further 附件说明 numbers under the first.
    let cms = p.path("out/2023-03/cms.html");
    // The CMS's own text face: a Chinese one (the bundled 仿宋 stand-in), whatever the machine has.
    let face = format!(
        "<style>@font-face {{ font-family: cms; src: url(file://{}); }} body {{ font-family: cms; }}</style>",
        p.path("fonts/FandolFang-Regular.otf").display()
    );
    let probe = r#"<script>
      document.fonts.ready.then(() => {
      const cells = [...document.querySelectorAll('th, td')];
      const ruled = cells.every(c => { const s = getComputedStyle(c); return s.borderTopStyle === 'solid' && parseFloat(s.borderTopWidth) > 0 && parseFloat(s.borderLeftWidth) > 0; });
      const note = document.querySelector('.attachments');
      const range = document.createRange();
      const at = (text) => { const n = [...note.childNodes].find(n => n.nodeType === 3 && n.textContent.includes(text)); range.setStart(n, n.textContent.indexOf(text)); range.setEnd(n, n.textContent.indexOf(text) + 1); return range.getBoundingClientRect().left; };
      const aligned = Math.abs(at('1．') - at('2．')) < 1 && Math.abs(at('2．') - at('3．')) < 1;
      const links = [...document.querySelectorAll('a[href^="http"]')].map(a => a.href).join(' ');
      const fonts = document.fonts.check('16px cms');
      document.body.dataset.result = JSON.stringify({cells: cells.length, ruled, aligned, links, fonts, h1: document.querySelectorAll('h1').length});
      });
    </script>"#;
    std::fs::write(&cms, format!("<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>CMS</title>{face}</head><body><h1>文章</h1>{fragment}{probe}</body></html>")).unwrap();
    let out = dump_dom(&cms);
    let dom = String::from_utf8_lossy(&out.stdout);
    let result = dom
        .split("data-result=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("{dom}"));
    let result: serde_json::Value = serde_json::from_str(&result.replace("&quot;", "\"")).unwrap();
    assert!(result["cells"].as_u64().unwrap() > 100, "{result}");
    assert_eq!(result["ruled"], true, "every cell ruled: {result}");
    assert_eq!(result["aligned"], true, "the numbers under each other: {result}");
    assert_eq!(result["h1"], 1, "{result}");
    assert_eq!(result["fonts"], true, "the CMS's face loaded: {result}");
    assert_eq!(result["links"], "http://www.xncz.gov.cn/zwgk/bmxxgk.htm", "{result}");
}

#[test]
fn hostile_text_stays_text_in_the_web_page() {
    let p = Project::march_only();
    let hostile = "<script>alert(1)</script>&\"'";
    p.edit(
        "data/units.yaml",
        "{名称: 区审计局,",
        &format!("{{名称: '{}',", hostile.replace('\'', "''")),
    );
    p.edit(
        "data/2023-03/710.yaml",
        "{单位: 区审计局,",
        &format!("{{单位: '{}',", hostile.replace('\'', "''")),
    );
    p.edit(
        "data/2023-03/portal.yaml",
        "{单位: 区审计局,",
        &format!("{{单位: '{}',", hostile.replace('\'', "''")),
    );
    p.edit("data/2023-03/通报.txt", "区审计局、", "区财政局、");
    build(&p, &["--outputs", "html"]);
    let html = p.read("out/2023-03/circular.html");
    assert!(!html.contains("<script>"), "markup in data is escaped");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;&amp;&quot;&#x27;"),
        "and printed as text"
    );
}

#[test]
fn archival_pdfs_pass_typsts_validation_and_keep_the_manifest_where_allowed() {
    let p = Project::march_only();
    build(&p, &["--pdf-standard", "a-3b"]);
    let pdf = std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    assert!(
        text.contains("<pdfaid:part>3</pdfaid:part>") && text.contains("<pdfaid:conformance>B</pdfaid:conformance>")
    );
    assert!(
        tongbao::provenance::read_manifest(&pdf).is_some(),
        "PDF/A-3 allows the manifest as an attachment"
    );
    build(&p, &["--pdf-standard", "a-2b"]);
    let pdf = std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap();
    assert!(String::from_utf8_lossy(&pdf).contains("<pdfaid:part>2</pdfaid:part>"));
    assert!(
        tongbao::provenance::read_manifest(&pdf).is_none(),
        "PDF/A-2 allows no attachment: the manifest is left out"
    );
    // verify still knows it for tongbao's own, and says why it cannot rebuild it.
    let out = p.run(&["verify", p.path("out/2023-03/circular.pdf").to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(&format!(
            "是 tongbao {} 生成的 PDF/A-2b 存档文件",
            env!("CARGO_PKG_VERSION")
        )) && said.contains("PDF/A-2 不允许附件")
            && said.contains("--pdf-standard a-3b"),
        "{said}"
    );
    assert!(
        !said.contains("不是 tongbao 生成的") && !said.contains("改写"),
        "{said}"
    );
    // The same bytes with the metadata of another program: not tongbao's.
    let other = String::from_utf8_lossy(&pdf).replace("<xmp:CreatorTool>tongbao", "<xmp:CreatorTool>Acrobat");
    std::fs::write(p.path("other.pdf"), other.as_bytes()).unwrap();
    let out = p.run(&["verify", p.path("other.pdf").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("不是 tongbao 生成的"));
    let out = p.run(&["build", "2023-03", "--pdf-standard", "a-9"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_word_file_has_the_pdfs_page_grid_styles_faces_and_properties() {
    let p = Project::march_only();
    build(&p, &["--outputs", "pdf,docx"]);
    let docx = p.path("out/2023-03/circular.docx");
    let document = zip_part(&docx, "word/document.xml");
    // A4, the GB/T margins (37 mm top, 28 mm left, in twips), 22 lines a page.
    let section = &document[document.find("<w:sectPr").unwrap()..];
    assert!(section.contains(r#"<w:pgSz w:w="11906" w:h="16838"/>"#), "{section}");
    assert!(
        section.contains(r#"w:top="2098""#) && section.contains(r#"w:left="1587""#),
        "{section}"
    );
    assert!(
        section.contains(r#"<w:docGrid w:type="lines" w:linePitch="579"/>"#),
        "{section}"
    );
    // Each table's header row repeats; rows are never split; a one-line row is 25 pt.
    assert_eq!(document.matches("<w:tblHeader/>").count(), 3);
    assert!(document.contains(r#"<w:trHeight w:val="500" w:hRule="atLeast"/>"#));
    // The title's lines as laid out, with explicit breaks, over the PDF's five grid lines.
    let title = &document[..document.find("通报</w:t>").unwrap()];
    assert_eq!(title.matches("<w:br/>").count(), 3, "four lines");
    assert!(
        title.contains(r#"<w:spacing w:line="723" w:lineRule="exact"/>"#),
        "{title}"
    );
    // Quotation marks come from the Chinese face, as in the PDF.
    assert!(document.contains(r#"w:ascii="仿宋_GB2312" w:hAnsi="仿宋_GB2312" w:eastAsia="仿宋_GB2312""#));
    let styles = zip_part(&docx, "word/styles.xml");
    for name in [
        "标题",
        "正文",
        "一级标题",
        "二级标题",
        "三级标题",
        "四级标题",
        "主送",
        "附件说明",
        "署名",
        "表头",
    ] {
        assert!(styles.contains(&format!(r#"<w:name w:val="{name}"/>"#)), "style {name}");
    }
    for font in ["方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"] {
        assert!(styles.contains(&format!(r#"w:eastAsia="{font}""#)), "font {font}");
    }
    assert!(styles.contains(r#"<w:spacing w:val="-5"/>"#), "28 characters a line");
    assert!(styles.contains(r#"<w:lang w:val="zh-CN" w:eastAsia="zh-CN"/>"#));
    assert!(
        styles.contains(r#"<w:widowControl w:val="0"/>"#),
        "no widow control: the PDF has none"
    );
    // The font table names the Chinese faces with their character set and Latin names.
    let fonts = zip_part(&docx, "word/fontTable.xml");
    for (face, alt) in [
        ("方正小标宋简体", "FZXiaoBiaoSong-B05S"),
        ("仿宋_GB2312", "FangSong_GB2312"),
        ("黑体", "SimHei"),
        ("楷体_GB2312", "KaiTi_GB2312"),
        ("宋体", "SimSun"),
    ] {
        assert!(
            fonts.contains(&format!(
                r#"<w:font w:name="{face}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>"#
            )),
            "{face}: {fonts}"
        );
    }
    let settings = zip_part(&docx, "word/settings.xml");
    assert!(
        settings.contains("<w:evenAndOddHeaders/>"),
        "odd and even footers differ"
    );
    let odd = zip_part(&docx, "word/footer1.xml");
    let even = zip_part(&docx, "word/footer2.xml");
    for (footer, side) in [(&odd, "right"), (&even, "left")] {
        assert!(
            footer.contains(" PAGE ") && footer.contains(r#"w:fldCharType="begin""#),
            "{footer}"
        );
        assert!(footer.contains(&format!(r#"<w:jc w:val="{side}"/>"#)), "{footer}");
    }
    // Its properties come from the data: the title, the office, the date of issue.
    let core = zip_part(&docx, "docProps/core.xml");
    assert!(
        core.contains("<dc:title>西宁市城中区人民政府办公室关于2023年3月份“710”政务督办系统运行情况"),
        "{core}"
    );
    assert!(
        core.contains("<dc:creator>西宁市城中区人民政府办公室</dc:creator>"),
        "{core}"
    );
    assert!(core.contains(">2023-05-05T00:00:00Z</dcterms:created>"), "{core}");
    // The same input, the same bytes; SOURCE_DATE_EPOCH dates it.
    let first = std::fs::read(&docx).unwrap();
    build(&p, &["--outputs", "docx"]);
    assert_eq!(std::fs::read(&docx).unwrap(), first);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tongbao"))
        .args(["build", "2023-03", "--outputs", "docx", "--root"])
        .arg(p.root())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(zip_part(&docx, "docProps/core.xml").contains(">2023-11-14T22:13:20Z</dcterms:created>"));
}

/// A page's text with whitespace and page numbers removed.
fn page_text(text: &str) -> Vec<char> {
    without_page_numbers(&normalise(text)).chars().collect()
}

#[test]
fn the_word_file_in_libreoffice_has_the_pdfs_pages_rows_and_page_numbers() {
    let p = Project::shipped();
    let out = p.run(&["build", "--all", "--outputs", "pdf,docx"]);
    assert!(out.status.success(), "{}", crate::util::output(&out));
    // Every month with a text (2023-12 holds data only).
    let months: Vec<String> = std::fs::read_dir(p.path("data"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|m| p.path(&format!("data/{m}/通报.txt")).exists())
        .collect();
    assert!(months.len() >= 5, "{months:?}");
    let docx: Vec<_> = months
        .iter()
        .map(|m| {
            let copy = p.path(&format!("out/{m}.docx"));
            std::fs::copy(p.path(&format!("out/{m}/circular.docx")), &copy).unwrap();
            copy
        })
        .collect();
    let office = Office::new(&p);
    let converted = office.to_pdf(&docx);
    for (month, word) in months.iter().zip(&converted) {
        let pdf = p.path(&format!("out/{month}/circular.pdf"));
        let (ours, theirs) = (page_texts(&pdf), page_texts(word));
        assert_eq!(theirs.len(), ours.len(), "{month}: pages in LibreOffice and in the PDF");
        for (n, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            let (a, b) = (page_text(a), page_text(b));
            let ends = |t: &[char]| {
                (
                    t[..4].iter().collect::<String>(),
                    t[t.len() - 4..].iter().collect::<String>(),
                )
            };
            assert_eq!(ends(&b), ends(&a), "{month} page {}: first and last characters", n + 1);
        }
        for (a, b) in page_sizes(word).iter().zip(page_sizes(&pdf)) {
            assert!(
                (a.0 - b.0).abs() < 0.1 && (a.1 - b.1).abs() < 0.1,
                "{month}: A4 pages, {a:?}"
            );
        }
        same_numbers_and_rows(month, &pdf, word);
    }
    // Every sentence and row of the published circular, in the Word file as LibreOffice reads it.
    let march = months.iter().position(|m| m == "2023-03").unwrap();
    let text = without_page_numbers(&normalise(&pdftotext(&converted[march])));
    for (sentence, s) in seed_sentences() {
        assert!(text.contains(&s), "the Word file lacks {sentence}");
    }
    for row in &SEED_ROWS[..3] {
        assert!(text.contains(row), "{row}");
    }
}

/// The page numbers stand where the PDF's do (their ink within 0.3 mm), and the table rows are as
/// tall.
fn same_numbers_and_rows(month: &str, pdf: &std::path::Path, word: &std::path::Path) {
    let (ours, theirs) = (words(pdf), words(word));
    let pages = ours.iter().map(|w| w.page).max().unwrap_or(0);
    // Under the text block (225 mm from 37 mm), the whole width of the page.
    let under = (0.0, 262.5, 210.0, 290.0);
    for page in 1..=pages {
        let a = ink(pdf, page, under).unwrap_or_else(|| panic!("{month} page {page}: no number in the PDF"));
        let b = ink(word, page, under).unwrap_or_else(|| panic!("{month} page {page}: no number in LibreOffice"));
        let near = [a.0 - b.0, a.1 - b.1, a.2 - b.2, a.3 - b.3]
            .iter()
            .all(|d| d.abs() < 0.3);
        assert!(
            near,
            "{month} page {page}: the number's ink at {a:?} in the PDF, {b:?} in LibreOffice"
        );
        // Odd pages right, even pages left, one character (5.57 mm) in from the block's edge.
        let inset = if page % 2 == 1 { 184.0 - a.2 } else { a.0 - 28.0 };
        assert!((inset - 5.57).abs() < 1.0, "{month} page {page}: {a:?}");
    }
    // The rows of the first table page (their 序号 under the header): from row 1 to the last row,
    // as tall in both.
    let rows = |w: &[Word]| -> Vec<f64> {
        let Some(header) = w.iter().find(|w| w.text == "序号") else {
            return Vec::new();
        };
        w.iter()
            .filter(|r| r.page == header.page && r.y_min > header.y_max && r.x_max < 40.0)
            .filter(|r| r.text.parse::<u32>().is_ok())
            .map(|r| r.y_max)
            .collect()
    };
    let (a, b) = (rows(&ours), rows(&theirs));
    assert!(a.len() > 5 && a.len() == b.len(), "{month}: rows {a:?} {b:?}");
    let pitch = |r: &[f64]| (r[r.len() - 1] - r[0]) / (r.len() - 1) as f64;
    assert!(
        (pitch(&a) - pitch(&b)).abs() < 0.02,
        "{month}: rows {} mm apart in the PDF, {} mm in LibreOffice",
        pitch(&a),
        pitch(&b)
    );
}

/// The number formats of a workbook's cell styles (`s` index → format code).
fn cell_formats(styles: &str) -> Vec<String> {
    let mut codes = std::collections::HashMap::new();
    for f in styles.split("<numFmt ").skip(1) {
        let id = f
            .split("numFmtId=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("");
        let code = f
            .split("formatCode=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or("");
        codes.insert(id.to_string(), code.replace("&quot;", "\""));
    }
    let xfs = styles
        .split("<cellXfs")
        .nth(1)
        .unwrap()
        .split("</cellXfs>")
        .next()
        .unwrap();
    xfs.split("<xf ")
        .skip(1)
        .map(|xf| {
            let id = xf
                .split("numFmtId=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or("0");
            codes.get(id).cloned().unwrap_or_else(|| "General".into())
        })
        .collect()
}

/// A cell of a sheet's XML: its value and style index (`A1` style reference).
fn xlsx_cell(sheet: &str, reference: &str) -> Option<(String, usize)> {
    let at = sheet.find(&format!("<c r=\"{reference}\""))?;
    let cell = &sheet[at..at + sheet[at..].find("</c>").unwrap_or(0)];
    let style = cell.split(" s=\"").nth(1)?.split('"').next()?.parse().ok()?;
    let value = cell.split("<v>").nth(1)?.split("</v>").next()?.to_string();
    Some((value, style))
}

#[test]
fn the_workbook_has_the_attachments_in_order_as_numbers_in_the_offices_faces_printed_on_a4() {
    let p = Project::march_only();
    build(&p, &["--outputs", "pdf,xlsx"]);
    let book = p.path("out/2023-03/附件.xlsx");
    let built = p.path("out/2023-03/built.xlsx");
    std::fs::copy(&book, &built).unwrap();
    // `export` makes the same workbook from the tables alone; twice, a second apart, the same bytes.
    let export = |env: Option<&str>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tongbao"));
        cmd.args(["export", "2023-03", "--root"]).arg(p.root());
        if let Some(epoch) = env {
            cmd.env("SOURCE_DATE_EPOCH", epoch);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", crate::util::output(&out));
        std::fs::read(&book).unwrap()
    };
    let first = export(None);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    assert_eq!(export(None), first, "reproducible");
    let workbook = zip_part(&book, "xl/workbook.xml");
    // One sheet an attachment, in the order of `附件: [督办, 热线, 网站]`, labelled as the PDF labels
    // them, whether `build` or `export` made it.
    let names = |xml: &str| -> Vec<String> {
        xml.split("<sheet name=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&workbook), ["附件1", "附件2", "附件3"]);
    assert_eq!(names(&zip_part(&built, "xl/workbook.xml")), names(&workbook));
    let built_core = zip_part(&built, "docProps/core.xml");
    assert!(
        built_core.contains("<dc:title>西宁市城中区人民政府办公室关于2023年3月份"),
        "{built_core}"
    );
    for (i, title) in [
        "3月城中区“710”政府督办情况统计表",
        "3月城中区“12345”民生服务热线投诉情况统计表",
        "3月网站公开信息报送情况统计表",
    ]
    .iter()
    .enumerate()
    {
        let strings = zip_part(&book, "xl/sharedStrings.xml");
        assert!(strings.contains(&format!(">{title}<")), "{title}");
        let sheet = zip_part(&book, &format!("xl/worksheets/sheet{}.xml", i + 1));
        // A4, one page wide, the header row on every page, centred, the PDF's margins.
        assert!(
            sheet.contains(r#"<pageSetup paperSize="9" fitToHeight="0" orientation="portrait""#),
            "{sheet}"
        );
        assert!(sheet.contains(r#"<pageSetUpPr fitToPage="1"/>"#));
        assert!(sheet.contains(r#"left="1.1023622047244095""#) && sheet.contains(r#"top="1.4566929133858268""#));
        assert!(
            workbook.contains(&format!(r#"localSheetId="{i}">附件{}!$5:$5</definedName>"#, i + 1)),
            "{workbook}"
        );
    }
    // Figures are numbers and rates numbers shown as percentages, as printed: no cell holds “33%” as text.
    let strings = zip_part(&book, "xl/sharedStrings.xml");
    assert!(!strings.contains("%</t>"), "a rate stored as text: {strings}");
    let formats = cell_formats(&zip_part(&book, "xl/styles.xml"));
    let portal = zip_part(&book, "xl/worksheets/sheet3.xml");
    // 附件3 row 22: 区自然资源和林业局 1 1 1 100%, on sheet row 5 + 22.
    let (value, style) = xlsx_cell(&portal, "F27").unwrap();
    assert_eq!((value.as_str(), formats[style].as_str()), ("1", "0%"));
    let (value, style) = xlsx_cell(&portal, "C27").unwrap();
    assert_eq!((value.as_str(), formats[style].as_str()), ("1", "0"));
    let hotline = zip_part(&book, "xl/worksheets/sheet2.xml");
    assert!(hotline.contains("<v>1164</v>"), "the 合计 as a number");
    // The office's faces, not Calibri.
    let styles = zip_part(&book, "xl/styles.xml");
    for face in ["方正小标宋简体", "黑体", "仿宋_GB2312", "Times New Roman"] {
        assert!(styles.contains(&format!(r#"<name val="{face}"/>"#)), "{face}");
    }
    assert!(!styles.contains("Calibri"), "{styles}");
    // Dated by the date of issue, or by SOURCE_DATE_EPOCH to the second.
    assert!(zip_part(&book, "docProps/core.xml").contains(">2023-05-05T00:00:00Z</dcterms:created>"));
    export(Some("1700000000"));
    assert!(zip_part(&book, "docProps/core.xml").contains(">2023-11-14T22:13:20Z</dcterms:created>"));
    // LibreOffice Calc prints it: A4 pages, each one page wide with the header row on it.
    let office = Office::new(&p);
    let pdf = &office.to_pdf(std::slice::from_ref(&book))[0];
    let pages = page_texts(pdf);
    assert!(pages.len() >= 3, "{} pages", pages.len());
    for (n, page) in pages.iter().enumerate() {
        let text = normalise(page);
        assert!(text.contains("序号单位"), "page {}: the header row: {page}", n + 1);
        assert!(
            text.contains("重办条数") || text.contains("采纳率"),
            "page {}: the last column",
            n + 1
        );
    }
    for (w, h) in page_sizes(pdf) {
        assert!((w - 210.0).abs() < 0.5 && (h - 297.0).abs() < 0.5, "A4: {w} × {h}");
    }
    let all = normalise(&pdftotext(pdf));
    for row in [
        "1总寨镇人民政府2200",
        "合计1164116415253",
        "22区自然资源和林业局111100%",
    ] {
        assert!(all.contains(row), "{row} in {all}");
    }
}

#[test]
fn a_month_of_data_only_exports_its_tables_by_name() {
    let p = Project::shipped();
    let out = p.run(&["export", "2023-12"]);
    assert!(out.status.success(), "{}", crate::util::output(&out));
    let workbook = zip_part(&p.path("out/2023-12/附件.xlsx"), "xl/workbook.xml");
    let names: Vec<&str> = workbook
        .split("<sheet name=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert!(
        !names.is_empty() && names.iter().all(|n| !n.starts_with("附件")),
        "{names:?}"
    );
}

/// On a phone (390 px), a wide table keeps its unit names readable (no name broken to a character
/// a line) and scrolls sideways inside its attachment.
#[test]
fn the_web_pages_tables_are_readable_on_a_phone() {
    let p = Project::shipped();
    // January 2024: the widest table (eight columns).
    let out = p.run(&["build", "2024-01", "--outputs", "html"]);
    assert!(out.status.success(), "{}", crate::util::output(&out));
    // The page in a frame as wide as a phone's screen (a headless window is never that narrow).
    let probe = r#"<!DOCTYPE html><html><body style="margin:0">
      <iframe id="f" src="circular.html" style="width:390px;height:844px;border:0"></iframe>
      <script>
      const f = document.getElementById('f');
      f.onload = () => f.contentDocument.fonts.ready.then(() => {
        const d = f.contentDocument, w = f.contentWindow;
        const names = [...d.querySelectorAll('tbody th[scope=row]')];
        const line = parseFloat(w.getComputedStyle(names[0]).lineHeight) || 16;
        const tallest = Math.max(...names.map(n => n.getBoundingClientRect().height));
        const page = d.documentElement.scrollWidth <= w.innerWidth + 1;
        document.body.dataset.result = JSON.stringify({lines: tallest / line, page, width: w.innerWidth});
      });
      </script></body></html>"#;
    let phone = p.path("out/2024-01/phone.html");
    std::fs::write(&phone, probe).unwrap();
    let out = dump_dom(&phone);
    let dom = String::from_utf8_lossy(&out.stdout);
    let result = dom
        .split("data-result=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("{dom}"));
    let result: serde_json::Value = serde_json::from_str(&result.replace("&quot;", "\"")).unwrap();
    assert_eq!(result["width"], 390, "{result}");
    assert!(
        result["lines"].as_f64().unwrap() < 2.0,
        "a unit name squeezed: {result}"
    );
    assert_eq!(
        result["page"].as_bool(),
        Some(true),
        "only the table scrolls, never the page: {result}"
    );
}
