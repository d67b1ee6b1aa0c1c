//! Tables and circulars as other offices print them (issue 28), over the example projects of
//! `examples/`: each checks and builds every output, and each form is asserted where it is printed:
//! the laid-out pages, and the web page, the Word file and the workbook where they print it.

use tongbao::typeset::inspect::{self, Layout, Run};

use crate::util::{Project, laid_out, normalise, pdftotext, zip_part};

/// Builds `month` of project `p` with every output, asserting success; returns the out folder.
fn build_all(p: &Project, month: &str) -> std::path::PathBuf {
    let out = p.run(&["build", month, "--outputs", "all"]);
    assert!(out.status.success(), "{}", crate::util::output(&out));
    p.path(&format!("out/{month}"))
}

/// Every laid-out line of pages `from..` as (text, runs).
fn lines_from(l: &Layout, from: usize) -> Vec<(String, Vec<&Run>)> {
    (from..=l.pages.len())
        .flat_map(|p| inspect::lines(&l.runs, p))
        .map(|line| (inspect::line_text(&line), line))
        .collect()
}

/// The first run whose text is `text` on pages `from..`.
fn run<'l>(l: &'l Layout, from: usize, text: &str) -> &'l Run {
    l.runs
        .iter()
        .filter(|r| r.page >= from)
        .find(|r| r.text.trim() == text)
        .unwrap_or_else(|| panic!("no run {text:?}"))
}

/// The horizontal centre of a run, mm.
fn centre(r: &Run) -> f64 {
    r.x + r.width / 2.0
}

/// The diagnostics of `check` with code `code`.
fn with_code(p: &Project, code: &str) -> Vec<serde_json::Value> {
    p.check().1.into_iter().filter(|d| d["code"] == code).collect()
}

#[test]
fn every_example_checks_and_builds_every_output_with_figures_marked_as_examples() {
    let names = Project::examples();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        let p = Project::example(&name);
        let (code, errors) = p.errors();
        assert_eq!((code, errors.len()), (0, 0), "{name}: {errors:#?}");
        let out = p.run(&["build", "--all", "--outputs", "all"]);
        assert!(out.status.success(), "{name}: {}", crate::util::output(&out));
        let built: Vec<_> = walkdir(&p.path("out"));
        for ext in ["pdf", "html", "docx", "xlsx", "ofd"] {
            assert!(
                built.iter().any(|f| f.ends_with(&format!(".{ext}"))),
                "{name}: no .{ext}"
            );
        }
        // Every month's file says its figures are examples.
        for file in walkdir(&p.path("data")).iter().filter(|f| f.contains("/20")) {
            let text = std::fs::read_to_string(file).unwrap();
            assert!(text.contains("示例"), "{file} does not mark its figures as examples");
        }
    }
}

fn walkdir(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let path = e.path();
        if path.is_dir() {
            out.extend(walkdir(&path));
        } else {
            out.push(path.to_string_lossy().to_string());
        }
    }
    out
}

/// Point 1: a group's cell spans its columns, over their own headers, in the PDF, the web page,
/// the Word file and the workbook.
#[test]
fn header_groups_span_their_columns_in_every_output() {
    let p = Project::example("分表");
    p.edit(
        "data/tables/公开.yaml",
        "{键: 受理, 名称: 受理留言, 量词: 条}",
        "{键: 受理, 名称: 受理, 组: 留言情况, 量词: 条}",
    );
    p.edit(
        "data/tables/公开.yaml",
        "{键: 办结, 名称: 办结留言,",
        "{键: 办结, 名称: 办结, 组: 留言情况,",
    );
    p.edit(
        "data/tables/公开.yaml",
        "{键: 未办结, 名称: 未办结,",
        "{键: 未办结, 名称: 未办结, 组: 留言情况,",
    );
    let l = laid_out(&mut p.session(), "2023-09");
    let group = run(&l, 2, "留言情况");
    let (first, last) = (run(&l, 2, "受理"), run(&l, 2, "未办结"));
    assert!(group.baseline < first.baseline, "the group stands above its columns");
    assert!(
        centre(group) > centre(first) && centre(group) < centre(last),
        "the group is centred over its three columns: {} {} {}",
        centre(first),
        centre(group),
        centre(last)
    );
    // 序号 and 单位 span both header rows: their baseline lies between the two rows'.
    let number = run(&l, 2, "序号");
    assert!(number.baseline > group.baseline && number.baseline < first.baseline + 8.0);
    let out = build_all(&p, "2023-09");
    let html = std::fs::read_to_string(out.join("circular.html")).unwrap();
    assert!(
        html.contains(r#"<th scope="col" colspan="3">留言情况</th>"#),
        "web page"
    );
    assert!(html.contains(r#"<th scope="col" rowspan="2">序号</th>"#), "web page");
    let docx = zip_part(&out.join("circular.docx"), "word/document.xml");
    assert!(docx.contains(r#"<w:gridSpan w:val="3"/>"#) && docx.contains(r#"<w:vMerge w:val="restart"/>"#));
    let sheet = zip_part(&out.join("附件.xlsx"), "xl/worksheets/sheet1.xml");
    // Under the sub-table's caption (row 5), the group over C..E on the first header row, 序号
    // down both header rows.
    assert!(sheet.contains(r#"<mergeCell ref="C6:E6"/>"#), "{sheet}");
    assert!(sheet.contains(r#"<mergeCell ref="A6:A7"/>"#), "{sheet}");
}

/// Point 2: 排名 by a column (ties share a rank, rows in rank order), or no number column.
#[test]
fn ranks_order_the_rows_and_a_table_may_have_no_number_column() {
    let p = Project::example("排名得分");
    let out = build_all(&p, "2023-03");
    // Ranked by the cumulative score (88, 74, 71, 38, 26, 15), numbered by rank, on the page.
    let text = normalise(&pdftotext(&out.join("circular.pdf")));
    let order: Vec<usize> = [
        "排名单位",
        "1示例县卫生健康局",
        "2示例县农业农村局",
        "3示例县教育局",
        "6示例县应急管理局",
    ]
    .iter()
    .map(|row| text.find(row).unwrap_or_else(|| panic!("{row}: {text}")))
    .collect();
    assert!(order.is_sorted(), "{order:?}: {text}");
    assert_eq!(ranks(&out), ["1", "2", "3", "4", "5", "6"]);
    // A tie shares its rank and the next rank is skipped.
    p.edit(
        "data/2023-03/信息.yaml",
        "示例县农业农村局, 报送: 11, 国信: 0, 省信: 2, 市信: 6",
        "示例县农业农村局, 报送: 11, 国信: 0, 省信: 2, 市信: 13",
    );
    assert_eq!(ranks(&build_all(&p, "2023-03")), ["1", "1", "3", "4", "5", "6"]);
    // Numbered 1, 2, 3 in the order of another column (报送: 14, 12, 11, 9, 5, 3).
    p.edit("data/tables/信息.yaml", "序号列: 排名", "序号列: 序号");
    p.edit("data/tables/信息.yaml", "排名: {依据: 累计得分}", "排序: {依据: 报送}");
    let text = normalise(&pdftotext(&build_all(&p, "2023-03").join("circular.pdf")));
    let order: Vec<usize> = [
        "序号单位",
        "1示例县教育局14",
        "2示例县卫生健康局12",
        "3示例县农业农村局11",
        "6示例县应急管理局3",
    ]
    .iter()
    .map(|row| text.find(row).unwrap_or_else(|| panic!("{row}: {text}")))
    .collect();
    assert!(order.is_sorted(), "{order:?}: {text}");
    p.edit("data/tables/信息.yaml", "序号列: 序号", "序号列: 排名");
    p.edit("data/tables/信息.yaml", "排序: {依据: 报送}", "排名: {依据: 累计得分}");
    // No number column at all, rows in registry order.
    p.edit("data/tables/信息.yaml", "序号列: 排名", "序号列: 无");
    p.edit("data/tables/信息.yaml", "排名: {依据: 累计得分}", "排序: 名录");
    let l = laid_out(&mut p.session(), "2023-03");
    let page: String = lines_from(&l, 2).into_iter().map(|(t, _)| t).collect();
    assert!(!page.contains("排名") && !page.contains("序号"), "{page}");
    let text = normalise(&pdftotext(&build_all(&p, "2023-03").join("circular.pdf")));
    let first = text.find("示例县教育局14").unwrap_or_else(|| panic!("{text}"));
    assert!(
        first < text.find("示例县卫生健康局12").unwrap(),
        "registry order: {text}"
    );
}

/// The number cell of each row of the web page's tables, in order.
fn ranks(out: &std::path::Path) -> Vec<String> {
    let html = std::fs::read_to_string(out.join("circular.html")).unwrap();
    html.split("<tr><td>")
        .skip(1)
        .filter(|row| row.contains(r#"<th scope="row">"#))
        .map(|row| row.split("</td>").next().unwrap().to_string())
        .collect()
}

/// Point 3: a blank cell prints blank or its mark, counts as declared, and is refused where the
/// column does not allow one.
#[test]
fn blank_cells_print_their_mark_and_are_not_zero_unless_declared() {
    let p = Project::example("排名得分");
    let out = build_all(&p, "2023-03");
    let text = normalise(&pdftotext(&out.join("circular.pdf")));
    // 应急管理局: 3 报送, 国家级 0 and blank, 省级 0 and blank, 市级 1 and “—”, score 2, 15 in all.
    assert!(text.contains("6示例县应急管理局3001—215"), "{text}");
    let html = std::fs::read_to_string(out.join("circular.html")).unwrap();
    assert!(html.contains("<td>—</td>"));
    // Counted as nothing instead of zero, a blank leaves the score blank.
    p.edit(
        "data/tables/信息.yaml",
        "组: [采用情况, 市级], 空白印作: \"—\", 空白计作: 零}",
        "组: [采用情况, 市级], 空白印作: \"—\"}",
    );
    let text = normalise(&pdftotext(&build_all(&p, "2023-03").join("circular.pdf")));
    assert!(text.contains("示例县应急管理局3001—"), "{text}");
    assert!(!text.contains("示例县应急管理局3001—2"), "{text}");
    // A blank where the column does not allow one is an error at its cell.
    p.edit(
        "data/2023-03/信息.yaml",
        "{单位: 示例县教育局, 报送: 14,",
        "{单位: 示例县教育局, 报送: ,",
    );
    let blank = with_code(&p, "blank");
    assert_eq!(blank.len(), 1, "{blank:#?}");
    assert_eq!(
        (blank[0]["file"].as_str(), blank[0]["line"].as_i64()),
        (Some("data/2023-03/信息.yaml"), Some(3))
    );
}

/// Point 4: computed columns anywhere among the columns, a stated value checked against its
/// formula, cumulative columns from the earlier months' data, a missing month located.
#[test]
fn computed_and_cumulative_columns_are_printed_and_checked() {
    let p = Project::example("分表");
    let text = normalise(&pdftotext(&build_all(&p, "2023-09").join("circular.pdf")));
    // 未办结 = 受理 − 办结 third, then the rate and 100 − the rate, for the rows and the totals.
    assert!(text.contains("1示例甲县868428095.24.8"), "{text}");
    assert!(text.contains("合计261255624897.32.7"), "{text}");
    // A stated figure that differs is a warning at its cell, quoting both.
    p.edit(
        "data/2023-09/公开.yaml",
        "{单位: 示例乙县, 受理: 54, 办结: 54,",
        "{单位: 示例乙县, 受理: 54, 办结: 54, 未办结: 3,",
    );
    let differs = with_code(&p, "computed-differs");
    assert_eq!(differs.len(), 1, "{differs:#?}");
    assert_eq!(differs[0]["severity"], "warning");
    assert!(
        differs[0]["message"]
            .as_str()
            .unwrap()
            .contains("按“受理 - 办结”计算为 0")
    );
    // Cumulative scores add up the earlier months of the year, from their data alone.
    let q = Project::example("排名得分");
    let text = normalise(&pdftotext(&build_all(&q, "2023-03").join("circular.pdf")));
    assert!(text.contains("1示例县卫生健康局12031513988"), "{text}");
    std::fs::remove_dir_all(q.path("data/2023-02")).unwrap();
    let (_, errors) = q.errors();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["code"], "cumulative-month");
    assert_eq!(errors[0]["file"], "data/2023-03/信息.yaml");
    assert!(errors[0]["message"].as_str().unwrap().contains("2023年2月"));
}

/// Point 5: sub-tables with their captions and totals, lists and texts as attachments.
#[test]
fn sub_tables_lists_and_texts_are_attachments() {
    let p = Project::example("分表");
    p.edit("data/tables/公开.yaml", "分表合计: true", "分表合计: 小计");
    let l = laid_out(&mut p.session(), "2023-09");
    let texts: Vec<String> = lines_from(&l, 2).into_iter().map(|(t, _)| normalise(&t)).collect();
    let at = |needle: &str| {
        texts
            .iter()
            .position(|t| t.starts_with(needle))
            .unwrap_or_else(|| panic!("{needle}: {texts:?}"))
    };
    assert!(at("一、县市区") < at("1示例甲县") && at("1示例甲县") < at("小计261"));
    assert!(at("小计261") < at("二、市级各部门") && at("二、市级各部门") < at("1示例市教育局"));
    assert!(at("小计174") < at("总计435"));
    // A unit that no sub-table holds is refused at its row.
    p.edit(
        "data/units.yaml",
        "{名称: 示例市民政局, 类别: 市级部门}",
        "{名称: 示例市民政局, 类别: 县市区}\n  - {名称: 示例开发区, 类别: 开发区}",
    );
    p.edit(
        "data/units.yaml",
        "类别: [县市区, 市级部门]",
        "类别: [县市区, 市级部门, 开发区]",
    );
    p.edit(
        "data/2023-09/公开.yaml",
        "行:\n",
        "行:\n  - {单位: 示例开发区, 受理: 1, 办结: 1, 按时: 1}\n",
    );
    let sub = with_code(&p, "subtable");
    assert_eq!(sub.len(), 1, "{sub:#?}");
    assert_eq!(sub[0]["line"], 3);
    // A list and a text.
    let q = Project::example("列表附件");
    let out = build_all(&q, "2023-05");
    let text = normalise(&pdftotext(&out.join("circular.pdf")));
    // A title wider than its column wraps inside its cell.
    for piece in [
        "序号信息标题报送单位采用单位",
        "示例镇“三个一”工作1示例镇示例市委办公室法化解矛盾纠纷",
    ] {
        assert!(text.contains(piece), "{piece}: {text}");
    }
    assert!(text.contains("二、信息应当真实准确,数据经单位负责人审核。"), "{text}");
    let docx = zip_part(&out.join("circular.docx"), "word/document.xml");
    assert!(docx.contains("示例县融媒体中心创新基层宣传方式") && docx.contains("三、报送邮箱"));
    let html = std::fs::read_to_string(out.join("circular.html")).unwrap();
    assert!(html.contains("<p>一、各单位每月报送信息不少于2条，重要信息随时报送。</p>"));
}

/// Point 6: periods other than a month, written as the office writes them, and comparisons with
/// the previous period and the same period a year before in the office's words.
#[test]
fn quarters_and_years_with_comparisons_in_the_offices_words() {
    let p = Project::example("季度");
    let l = laid_out(&mut p.session(), "2023-03");
    let all: String = lines_from(&l, 1).into_iter().map(|(t, _)| normalise(&t)).collect();
    for expected in [
        "关于2023年1~3月12345",
        "2023年1~3月,全县共受理12345热线工单350件,比去年同期增加25件(同比增长7.7%),比上期减少38件",
        "环比下降8.9%",
        "较去年同期提高2.1个百分点",
        "2023年1~3月各乡镇12345热线工单办理情况统计表",
    ] {
        assert!(all.contains(expected), "{expected}: {all}");
    }
    // “上月” in a quarter's circular is a slip: said, with the word that fits.
    p.edit(
        "data/2023-03/通报.txt",
        "{{ 热线.受理 | 比上期 }}",
        "{{ 热线.受理 | 比上月 }}",
    );
    let slip = with_code(&p, "expression-filter");
    assert!(
        slip.iter().any(|d| d["help"].as_str().unwrap_or("").contains("比上期")),
        "{slip:#?}"
    );
    // A year, and a quarter written 第一季度.
    let y = Project::example("落款");
    let text = normalise(&pdftotext(&build_all(&y, "2010-12").join("circular.pdf")));
    assert!(text.contains("关于2010年度信息报送情况的通报") && text.contains("2010年度信息报送情况统计表"));
    p.edit(
        "data/2023-03/document.yaml",
        "期间: 2023年1~3月",
        "期间: 2023年第一季度",
    );
    let text = normalise(&pdftotext(&build_all(&p, "2023-03").join("circular.pdf")));
    assert!(
        text.contains("2023年第一季度各乡镇12345热线工单办理情况统计表"),
        "{text}"
    );
}

/// Point 7: the signature forms: the date alone, a contact line, offices with （代章）, a 发文字号
/// without the red header, a date in Chinese numerals printed as written with a warning; an ending
/// that cannot be placed is refused.
#[test]
fn signature_forms_are_printed_as_written_and_an_unplaceable_ending_is_refused() {
    let p = Project::example("列表附件");
    let l = laid_out(&mut p.session(), "2023-05");
    let first: Vec<String> = inspect::lines(&l.runs, 1)
        .iter()
        .map(|line| normalise(&inspect::line_text(line)))
        .collect();
    let at = |needle: &str| {
        first
            .iter()
            .position(|t| t.contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {first:#?}"))
    };
    // The 附件说明 once, the contact line after it, the date alone last.
    assert_eq!(
        first.iter().filter(|t| t.contains("政务信息报送要求")).count(),
        1,
        "{first:#?}"
    );
    assert!(at("附件:1.") < at("(联系人:示例") && at("(联系人:示例") < at("2023年6月5日"));
    let date = l.runs.iter().rfind(|r| r.page == 1 && r.text.contains('日')).unwrap();
    let contact = l
        .runs
        .iter()
        .find(|r| r.page == 1 && r.text.contains("联系人"))
        .unwrap();
    let pitch = 225.0 / 22.0;
    let gap = date.baseline - contact.baseline;
    assert!(
        gap > 1.5 * pitch && gap < 4.5 * pitch,
        "the date below the contact line, blank lines between: {gap} mm"
    );
    assert!(
        date.x + date.width > 150.0,
        "the date 右空二字: {}",
        date.x + date.width
    );
    let q = Project::example("落款");
    let warnings = with_code(&q, "date-numerals");
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0]["help"].as_str().unwrap().contains("GB/T 9704-2012 7.3.5.3"));
    let l = laid_out(&mut q.session(), "2010-12");
    let first: Vec<String> = inspect::lines(&l.runs, 1)
        .iter()
        .map(|line| normalise(&inspect::line_text(line)))
        .collect();
    assert!(
        first[0].contains("示政办〔2011〕3号"),
        "the number above the title: {first:#?}"
    );
    let n = first.len();
    let tail: Vec<&str> = first
        .iter()
        .rev()
        .skip_while(|t| t.starts_with('—'))
        .take(3)
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        ["二○一一年一月十八日", "示例县信息中心(代章)", "示例县人民政府办公室"],
        "{n}"
    );
    // An office separated from its date by a blank line cannot be placed.
    q.edit(
        "data/2010-12/通报.txt",
        "示例县信息中心（代章）\n",
        "示例县信息中心（代章）\n\n",
    );
    let (_, errors) = q.errors();
    assert!(errors.iter().any(|e| e["code"] == "text-form"), "{errors:#?}");
}

/// Point 8: the comma after a percent is full-width; no header line is one character.
#[test]
fn commas_after_percents_and_headers_without_lone_characters() {
    let p = Project::example("季度");
    p.edit(
        "data/2023-03/通报.txt",
        "办结率{{ 热线.办结率 }}%，",
        "办结率{{ 热线.办结率 }}%,",
    );
    let text = pdftotext(&build_all(&p, "2023-03").join("circular.pdf"));
    assert!(text.contains("96.6%，"), "{text}");
    for name in Project::examples() {
        let e = Project::example(&name);
        let months: Vec<String> = walkdir(&e.path("data"))
            .into_iter()
            .filter(|f| f.ends_with("通报.txt"))
            .map(|f| f.rsplit('/').nth(1).unwrap().to_string())
            .collect();
        for m in months {
            let out = e.run(&["build", &m]);
            assert!(out.status.success(), "{name} {m}");
            let typ = e.read(&format!("out/{m}/circular.typ"));
            // Each header cell is written ((lines…), column, span, rows) on the `header:` line.
            for header in typ.lines().filter(|l| l.trim_start().starts_with("header:")) {
                for cell in header.split("((").skip(1) {
                    let lines = cell.split("), ").next().unwrap_or_default();
                    for line in lines.split("\", ").map(|l| l.trim_matches(['"', ',', ' '])) {
                        let chars = line.trim_end_matches(['）', ')']).chars().count();
                        assert!(
                            chars != 1,
                            "{name}: a header line of one character: {line:?} in {header}"
                        );
                    }
                }
            }
        }
    }
}

/// The editor's schemas describe every form the examples use: each description, month setting
/// and month file of every example validates against the schema `tongbao schemas` writes.
#[test]
fn the_schemas_describe_every_form_the_examples_use() {
    for name in Project::examples() {
        let p = Project::example(&name);
        let out = p.run(&["schemas"]);
        assert!(out.status.success(), "{name}: {}", crate::util::output(&out));
        let mut by_schema: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for file in walkdir(&p.path("data")).into_iter().filter(|f| f.ends_with(".yaml")) {
            let path = std::path::Path::new(&file);
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            let folder = path
                .parent()
                .unwrap()
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            let schema = match (folder.as_str(), stem.as_str()) {
                ("data", "units") => "units.schema.json".to_string(),
                ("tables", _) => "table.schema.json".to_string(),
                (_, "document") => "document.schema.json".to_string(),
                _ => format!("month-{stem}.schema.json"),
            };
            by_schema.entry(schema).or_default().push(file);
        }
        assert!(by_schema.len() >= 4, "{name}: {by_schema:?}");
        for (schema, files) in by_schema {
            let schema = p.path(&format!("schemas/{schema}"));
            let mut args: Vec<&std::ffi::OsStr> = vec!["--schemafile".as_ref(), schema.as_os_str()];
            args.extend(files.iter().map(std::ffi::OsStr::new));
            let out = crate::util::check_jsonschema(&args);
            assert!(out.status.success(), "{name}: {}", crate::util::output(&out));
        }
    }
}

/// A workbook as tongbao exports it (grouped headers of up to three rows, the same header under
/// different groups, blanks, sub-tables with their captions, repeated headers and subtotals)
/// imports back over its month with the same figures, and the month's tables still check.
#[test]
fn exported_workbooks_of_every_form_import_back_with_the_same_figures() {
    for (name, month, table) in [
        ("分组表头", "2023-06", "派遣"),
        ("排名得分", "2023-03", "信息"),
        ("分表", "2023-09", "公开"),
    ] {
        let p = Project::example(name);
        let out = p.run(&["export", month]);
        assert!(out.status.success(), "{name}: {}", crate::util::output(&out));
        let file = format!("data/{month}/{table}.yaml");
        let rows = || -> Vec<Vec<String>> {
            p.read(&file)
                .lines()
                .filter_map(|l| l.trim_start().strip_prefix("- {单位:"))
                .map(|l| {
                    l.split(['{', '}'])
                        .next()
                        .unwrap()
                        .split(", ")
                        .skip(1)
                        .map(str::to_string)
                        .collect()
                })
                .collect()
        };
        let before = rows();
        let book = p.path(&format!("out/{month}/附件.xlsx"));
        let out = p.run(&["import", table, book.to_str().unwrap(), "--month", month]);
        assert!(out.status.success(), "{name}: {}", crate::util::output(&out));
        let after = rows();
        assert_eq!(before.len(), after.len(), "{name}: {after:?}");
        // Every row's written figures are among one imported row's (which also states the
        // computed ones, as the workbook prints them).
        for row in &before {
            let found = after.iter().filter(|a| row.iter().all(|cell| a.contains(cell))).count();
            assert_eq!(found, 1, "{name}: {row:?} in {after:?}");
        }
        let (_, diags) = p.check();
        let own: Vec<_> = diags.iter().filter(|d| d["file"] == file.as_str()).collect();
        assert!(own.is_empty(), "{name}: {own:#?}");
    }
}
