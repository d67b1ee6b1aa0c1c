//! `tongbao build`: the shipped data reproduces the seed circular sentence by sentence and cell by
//! cell; hostile text is printed literally; a failed build leaves the last good PDF in place.

use crate::util::{MARCH_TEXT, Project, normalise, pdftotext, repo_file, without_page_numbers};

fn is_subsequence(needle: &str, haystack: &str) -> bool {
    let mut chars = haystack.chars();
    needle.chars().all(|c| chars.any(|h| h == c))
}

/// The 80 characters of normalised `text` after the last occurrence of `title` (an attachment's
/// title, which also appears earlier in the 附件说明): where the table's header row is.
fn under_title(text: &str, title: &str) -> String {
    let heading = normalise(title);
    let at = text
        .rfind(&heading)
        .unwrap_or_else(|| panic!("attachment heading missing: {title}"));
    text[at + heading.len()..].chars().take(80).collect()
}

/// Asserts that a header cell is printed right under its table's title. Header cells wrap inside
/// their column, and pdftotext interleaves the wrapped halves of neighbouring cells, so the cell's
/// characters must appear in order, not necessarily together.
fn assert_header_cell(under_title: &str, cell: &str) {
    assert!(
        is_subsequence(&normalise(cell), under_title),
        "header cell {cell:?} missing under its title: {under_title}"
    );
}

fn canonical(name: &str) -> &str {
    match name {
        "总寨镇政府" => "总寨镇人民政府",
        "凤凰投资公司" => "西宁凤凰投资开发有限公司",
        "区自然资源局" | "区自然资源和农业局" => "区自然资源和林业局",
        other => other,
    }
}

fn build(p: &Project) -> String {
    let out = p.run(&["build", "2023-03"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    without_page_numbers(&normalise(&pdftotext(&p.path("out/2023-03/circular.pdf"))))
}

#[test]
fn the_march_pdf_holds_every_sentence_and_every_cell_of_the_seed() {
    let p = Project::shipped();
    let text = build(&p);
    // The published circular, as the portal's web page gives its text.
    let seed = repo_file("tests/fixtures/seed-circular-2023-03.txt");

    let (body, attachments) = seed.split_once("\n附件1\n").expect("seed has attachments");
    let mut sentences = 0;
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        for sentence in line.split_inclusive('。') {
            let s = normalise(sentence);
            if s.is_empty() {
                continue;
            }
            assert!(text.contains(&s), "sentence missing from the PDF: {sentence}");
            sentences += 1;
        }
    }
    assert!(sentences >= 28, "only {sentences} sentences compared");

    let mut cells = 0;
    let mut rows = 0;
    let lines: Vec<&str> = attachments.lines().map(str::trim).collect();
    let mut after_title = String::new();
    for (i, line) in lines.iter().enumerate() {
        if !line.starts_with('|') {
            if line.starts_with("附件") || line.ends_with("统计表") {
                after_title = under_title(&text, line);
            }
            continue;
        }
        let mut row: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| canonical(c.trim()).to_string())
            .collect();
        if row == ["合计"] {
            // The seed splits its 合计 row over two lines.
            let next = lines[i + 1..].iter().find(|l| l.starts_with('|')).unwrap();
            row.extend(next.trim_matches('|').split('|').map(|c| c.trim().to_string()));
        }
        if row[0] == "合计" && row.len() == 5 {
            continue; // second half of the 合计 row, handled above
        }
        if row[0] == "序号" {
            for cell in &row {
                assert_header_cell(&after_title, cell);
            }
            cells += row.len();
            continue;
        }
        let joined = normalise(&row.concat());
        assert!(text.contains(&joined), "table row missing from the PDF: {row:?}");
        cells += row.len();
        rows += 1;
    }
    assert_eq!(rows, 35 + 27 + 1 + 28, "rows compared");
    assert!(cells > 500);
}

#[test]
fn hostile_text_is_printed_literally_and_never_run() {
    let p = Project::shipped();
    let pieces = [
        r#"#panic()"#,
        r#"#read("/etc/passwd")"#,
        "$x$",
        "]",
        "*粗*",
        "_斜_",
        "@x",
        "<x>",
        r"\",
        "// 注释",
        r#""引号""#,
        "#import \"/etc/passwd\": *",
        "[",
    ];
    let all = pieces.join("");
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    // Unit names short enough not to wrap in a table cell, each used in two tables.
    let units = [r#"#panic()$x$]*粗*"#, r#"#read("/etc/passwd")"#, r#"_斜_@x<x>\//["#];
    for (unit, replaced) in units.iter().zip(["区审计局", "区统计局", "区司法局"]) {
        p.edit(
            "data/units.yaml",
            &format!("{{名称: {replaced},"),
            &format!("{{名称: {},", quote(unit)),
        );
        p.edit(
            "data/2023-03/710.yaml",
            &format!("{{单位: {replaced},"),
            &format!("{{单位: {},", quote(unit)),
        );
    }
    p.edit(
        "data/2023-03/portal.yaml",
        "{单位: 区审计局,",
        &format!("{{单位: {},", quote(units[0])),
    );
    p.edit(
        "data/2023-03/portal.yaml",
        "{单位: 区司法局,",
        &format!("{{单位: {},", quote(units[2])),
    );
    // The whole hostile text in a heading and in a paragraph of the month's text, and a hostile
    // unit in the list of named units.
    p.edit(MARCH_TEXT, "一、“710”政务督办系统运行情况", &format!("一、{all}"));
    p.edit(
        MARCH_TEXT,
        "各部门、各单位在承办“710”政务督办系统交办的督办事项过程中大部分单位均能按照时间和要求办结销号,有效发挥系统推动工作落实的“助手”作用。",
        &format!("{all}。"),
    );
    p.edit(
        MARCH_TEXT,
        "点名(\"区财政局、区审计局、",
        &format!("点名(\"区财政局、{}、", units[0]),
    );

    let out = p.run(&["build", "2023-03"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = pdftotext(&p.path("out/2023-03/circular.pdf"));
    let flat: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    assert!(
        flat.matches(&squash(&all)).count() >= 2,
        "hostile prose not printed verbatim:\n{text}"
    );
    assert_eq!(
        flat.matches(&squash(units[0])).count(),
        3,
        "the named-units list and two tables:\n{text}"
    );
    // units[1] is also one of the hostile pieces: each copy of the prose holds it once more.
    assert_eq!(
        flat.matches(&squash(units[1])).count(),
        1 + flat.matches(&squash(&all)).count(),
        "the 710 table and the prose:\n{text}"
    );
    assert_eq!(flat.matches(&squash(units[2])).count(), 2, "{text}");
    assert!(!text.contains("root:"), "a file outside the project was read");
}

#[test]
fn a_failed_build_keeps_the_last_good_pdf() {
    let p = Project::shipped();
    build(&p);
    let pdf = p.path("out/2023-03/circular.pdf");
    let good = std::fs::read(&pdf).unwrap();

    // A check error: nothing is typeset.
    p.edit("data/2023-03/12345.yaml", "本月: 71, 办结: 71", "本月: 71, 办结: 99");
    let out = p.run(&["build", "2023-03"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("上次生成的文件保持不变"), "{stderr}");
    assert_eq!(std::fs::read(&pdf).unwrap(), good);

    // A template error.
    p.edit("data/2023-03/12345.yaml", "本月: 71, 办结: 99", "本月: 71, 办结: 71");
    p.edit(
        "templates/circular.typ.j2",
        "#blank-line\n",
        "#blank-line\n{{ 不存在.x }}\n",
    );
    let out = p.run(&["build", "2023-03"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("templates/circular.typ.j2:"), "{stderr}");
    assert_eq!(std::fs::read(&pdf).unwrap(), good);

    // A Typst error in the layout library.
    p.edit("templates/circular.typ.j2", "{{ 不存在.x }}\n", "");
    p.edit(
        "templates/gongwen.typ",
        "#let blank-line = v(pitch, weak: false)",
        "#let blank-line = v(pitch, weak: false) + undefined-thing",
    );
    let out = p.run(&["build", "2023-03"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("templates/gongwen.typ:"), "{stderr}");
    assert_eq!(std::fs::read(&pdf).unwrap(), good);
    p.assert_no_temporaries("out/2023-03");
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let p = Project::shipped();
    build(&p);
    let first = std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap();
    std::fs::remove_file(p.path("out/2023-03/circular.pdf")).unwrap();
    build(&p);
    assert_eq!(first, std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap());
}

#[test]
fn the_generated_source_is_kept_and_figures_come_from_the_data() {
    let p = Project::shipped();
    // Change one figure in a table: the prose total and the 合计 row follow.
    p.edit("data/2023-03/12345.yaml", "本月: 71, 办结: 71", "本月: 72, 办结: 72");
    p.edit(
        "data/2023-03/12345.yaml",
        "合计: {本月: 1164, 办结: 1164",
        "合计: {本月: 1165, 办结: 1165",
    );
    let text = build(&p);
    assert!(text.contains("共转办城中区工单1165件,办结1165件"), "{text}");
    assert!(
        p.read("out/2023-03/circular.typ")
            .contains("#import \"/templates/gongwen.typ\"")
    );
}

#[test]
fn changes_from_last_month_are_available_to_the_text() {
    let p = Project::shipped();
    // Make a February from March with one figure lowered.
    p.copy_march("2023-02", "2023-04-05");
    p.edit(
        "data/2023-02/710.yaml",
        "交办任务: 59, 按期办结: 59",
        "交办任务: 50, 按期办结: 50",
    );
    p.edit(
        MARCH_TEXT,
        "按期办结率{{ 督办.按期办结率 }}%。",
        "按期办结率{{ 督办.按期办结率 }}%（{{ 督办.交办任务 | 较上月 }}）。",
    );
    let text = build(&p);
    assert!(text.contains("按期办结率100%(较上月增加9项)"), "{text}");
}

#[test]
fn typst_reads_only_inside_the_project() {
    let p = Project::shipped();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "秘密内容").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(outside.path(), p.path("templates/outside")).unwrap();
    for path in [
        "/templates/outside/secret.txt",
        "../../../etc/hostname",
        "/etc/hostname",
    ] {
        p.write(
            "templates/circular.typ.j2",
            &format!("{}\n#read(\"{path}\")\n", repo_file("templates/circular.typ.j2")),
        );
        let out = p.run(&["build", "2023-03"]);
        assert_eq!(out.status.code(), Some(1), "{path} was read");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("排版错误"), "{stderr}");
        assert!(!p.path("out/2023-03/circular.pdf").exists());
    }
}

#[test]
fn a_new_column_and_a_new_table_need_no_rust_change() {
    let p = Project::shipped();
    // A column added to a description and to the month's rows appears in the attachment.
    p.edit(
        "data/tables/portal.yaml",
        "  - {键: 采纳, 名称: 采纳数}\n",
        "  - {键: 采纳, 名称: 采纳数}\n  - {键: 退回, 名称: 退回数, 量词: 条}\n",
    );
    let text = p.read("data/2023-03/portal.yaml");
    let with_column: String = text
        .lines()
        .map(|l| if l.starts_with("  - {单位:") { l.replacen(", 采纳率:", ", 退回: 7, 采纳率:", 1) } else { l.to_string() } + "\n")
        .collect();
    p.write("data/2023-03/portal.yaml", &with_column);
    // A whole new table: its description, its month file, and an entry in the 附件说明.
    p.write(
        "data/tables/letters.yaml",
        "名称: 信访件办理\n标题: \"{月}月信访件办理情况统计表\"\n列:\n  - {键: 收到, 名称: 收到信访件, 量词: 件}\n  - {键: 办结, 名称: 办结信访件, 量词: 件}\n规则:\n  - 办结 <= 收到\n合计行: true\n",
    );
    p.write(
        "data/2023-03/letters.yaml",
        "行:\n  - {单位: 区信访局, 收到: 12, 办结: 11}\n  - {单位: 南滩街道办事处, 收到: 3, 办结: 3}\n",
    );
    p.edit(
        "data/2023-03/document.yaml",
        "附件: [督办, 热线, 网站]",
        "附件: [督办, 热线, 网站, letters]",
    );
    p.edit(
        MARCH_TEXT,
        "    3.3月网站公开信息报送情况统计表\n",
        "    3.3月网站公开信息报送情况统计表\n    4.3月信访件办理情况统计表\n",
    );
    let text = build(&p);
    // The new column's header, with its measure word, in the header row of 附件3.
    assert_header_cell(&under_title(&text, "3月网站公开信息报送情况统计表"), "退回数（条）");
    assert!(text.contains("1区政府办公室2121217100%"), "new column's cells missing");
    // Its own attachment page: the number on line 1, the title on line 3 (the 附件说明 alone also
    // names the title, so the two are looked for together).
    assert!(text.contains("附件43月信访件办理情况统计表"), "new table missing");
    assert!(
        text.contains("1区信访局1211") && text.contains("合计1514"),
        "new table's rows and 合计 missing"
    );
    // Its rule is checked like any other.
    p.edit("data/2023-03/letters.yaml", "收到: 3, 办结: 3", "收到: 3, 办结: 4");
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    assert!(
        errors
            .iter()
            .any(|d| d["code"] == "rule" && d["file"] == "data/2023-03/letters.yaml"),
        "{errors:#?}"
    );
}

#[test]
fn no_month_builds_the_latest_and_all_builds_every_month() {
    let p = Project::march_only();
    p.copy_march("2023-04", "2023-06-05");
    let out = p.run(&["build"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(p.path("out/2023-04/circular.pdf").exists());
    assert!(!p.path("out/2023-03/circular.pdf").exists(), "only the latest month");
    let out = p.run(&["build", "--all"]);
    assert!(out.status.success());
    assert!(p.path("out/2023-03/circular.pdf").exists());
    // A month with errors fails the whole run but still builds the others.
    p.edit("data/2023-04/12345.yaml", "本月: 71, 办结: 71", "本月: 71, 办结: 72");
    std::fs::remove_file(p.path("out/2023-03/circular.pdf")).unwrap();
    let out = p.run(&["build", "--all"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(p.path("out/2023-03/circular.pdf").exists());
}
