//! The same circular everywhere it goes: the portal's web page (and a fragment for a CMS editor)
//! made in the same run as the PDF, from the same checked data, and an archival PDF/A.

use crate::util::{Project, normalise, pdftotext, repo_file, without_page_numbers};

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
    assert!(!fragment.contains("<html") && !fragment.contains("<style") && fragment.contains("<table>"));
    // Every sentence of the body and every row of the tables, as in the PDF (and in the fragment).
    let page = html_text(&html);
    let piece = html_text(&fragment);
    let pdf = without_page_numbers(&normalise(&pdftotext(&p.path("out/2023-03/circular.pdf"))));
    let seed = repo_file("tests/fixtures/seed-circular-2023-03.txt");
    let body = seed.split("\n附件1\n").next().unwrap();
    let mut sentences = 0;
    for sentence in body.lines().flat_map(|l| l.split_inclusive('。')) {
        let s = normalise(sentence);
        if s.is_empty() {
            continue;
        }
        assert!(page.contains(&s), "web page lacks {sentence}");
        assert!(piece.contains(&s), "fragment lacks {sentence}");
        assert!(pdf.contains(&s), "PDF lacks {sentence}");
        sentences += 1;
    }
    assert!(sentences >= 28);
    for row in [
        "1总寨镇人民政府2200",
        "10区市场监督管理局20320331",
        "合计1164116415253",
        "22区自然资源和林业局111100%",
    ] {
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
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium (scripts/test installs it)");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        dom.matches("<table>").count(),
        3,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dom.contains("<caption>3月城中区“12345”民生服务热线投诉情况统计表</caption>"));
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
    let out = p.run(&["build", "2023-03", "--pdf-standard", "a-9"]);
    assert_eq!(out.status.code(), Some(2));
}

/// A part of a zip file (the .docx), read with Python's zipfile.
fn zip_part(file: &std::path::Path, part: &str) -> String {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import zipfile,sys; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())",
        ])
        .arg(file)
        .arg(part)
        .output()
        .unwrap();
    assert!(out.status.success(), "{part}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_word_file_has_the_page_the_grid_the_styles_and_converts_in_libreoffice() {
    let p = Project::march_only();
    build(&p, &["--outputs", "pdf,docx"]);
    let docx = p.path("out/2023-03/circular.docx");
    let document = zip_part(&docx, "word/document.xml");
    // A4, the GB/T margins (twips), 22 lines a page, header rows that repeat, fields for page numbers.
    assert!(
        document.contains(r#"<w:pgSz w:w="11905" w:h="16837""#),
        "{}",
        &document[document.find("<w:sectPr").unwrap()..]
    );
    assert!(document.contains(r#"w:top="2097""#) && document.contains(r#"w:left="1587""#));
    assert!(document.contains(r#"<w:docGrid w:type="lines" w:linePitch="579""#));
    assert_eq!(
        document.matches("<w:tblHeader />").count(),
        3,
        "each table's header row repeats"
    );
    let styles = zip_part(&docx, "word/styles.xml");
    for name in ["标题", "正文", "一级标题", "二级标题", "三级标题", "四级标题"] {
        assert!(
            styles.contains(&format!(r#"<w:name w:val="{name}" />"#)),
            "style {name}"
        );
    }
    for font in ["方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"] {
        assert!(styles.contains(&format!(r#"w:eastAsia="{font}""#)), "font {font}");
    }
    assert!(styles.contains(r#"<w:spacing w:val="-5" />"#), "28 characters a line");
    let settings = zip_part(&docx, "word/settings.xml");
    assert!(settings.contains("<w:evenAndOddHeaders"), "odd and even footers differ");
    let odd = zip_part(&docx, "word/footer1.xml");
    let even = zip_part(&docx, "word/footer2.xml");
    for (footer, side) in [(&odd, "right"), (&even, "left")] {
        assert!(
            footer.contains("PAGE") && footer.contains(r#"w:fldCharType="begin""#),
            "{footer}"
        );
        assert!(footer.contains(&format!(r#"<w:jc w:val="{side}" />"#)), "{footer}");
    }
    // LibreOffice opens it: every sentence and every table row, about as many pages as ours.
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("soffice")
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&docx)
        .env("HOME", dir.path())
        .output()
        .expect("LibreOffice (scripts/test installs libreoffice-writer-nogui)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let converted = dir.path().join("circular.pdf");
    let text = without_page_numbers(&normalise(&pdftotext(&converted)));
    let seed = repo_file("tests/fixtures/seed-circular-2023-03.txt");
    for sentence in seed
        .split("\n附件1\n")
        .next()
        .unwrap()
        .lines()
        .flat_map(|l| l.split_inclusive('。'))
    {
        let s = normalise(sentence);
        if !s.is_empty() && !s.starts_with("附件") {
            assert!(text.contains(&s), "the Word file lacks {sentence}");
        }
    }
    for row in ["1总寨镇人民政府2200", "10区市场监督管理局20320331", "合计1164116415253"] {
        assert!(text.contains(row), "{row}");
    }
    let pages = |pdf: &std::path::Path| {
        let out = std::process::Command::new("pdfinfo").arg(pdf).output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("Pages:").map(|n| n.trim().parse::<i64>().unwrap()))
            .unwrap()
    };
    let (ours, word) = (pages(&p.path("out/2023-03/circular.pdf")), pages(&converted));
    assert!(
        (word - ours).abs() <= 3,
        "{word} pages in LibreOffice, {ours} in the PDF"
    );
    // The same input, the same bytes.
    let first = std::fs::read(&docx).unwrap();
    build(&p, &["--outputs", "docx"]);
    assert_eq!(std::fs::read(&docx).unwrap(), first);
}
