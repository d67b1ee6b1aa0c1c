//! The monthly routine: `new` starts a month from the last one, `import` takes its figures from
//! the systems' spreadsheet exports, `export` gives the tables back as a workbook.

use rust_xlsxwriter::{Format, Workbook};

use crate::util::{Project, output};

#[test]
fn new_starts_a_month_from_the_last_with_periods_moved_on_and_figures_to_fill() {
    let p = Project::march_only();
    let out = p.run(&["new"]);
    assert!(out.status.success(), "{}", output(&out));
    let text = p.read("data/2023-04/通报.txt");
    assert!(text.contains("{# 2023年4月通报。"), "a period in a comment moved on");
    assert!(text.contains("同时,2023年5月起"), "a date in the future moved on too");
    assert!(
        text.contains("附件:1.4月城中区710政府督办情况统计表"),
        "attachment names moved on"
    );
    assert!(
        text.trim_end().ends_with("西宁市城中区人民政府办公室\n待填"),
        "date of issue to be set"
    );
    let table = p.read("data/2023-04/12345.yaml");
    assert!(
        table.contains("  - {单位: 总寨镇政府, 本月: 待填, 办结: 待填, 延期: 待填, 重办: 待填}"),
        "{table}"
    );
    assert!(!table.contains("合计:"), "no stated 合计 to go stale");

    // check lists every figure still to fill, at its place; build refuses.
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    let unfilled: Vec<_> = errors.iter().filter(|d| d["code"] == "unfilled").collect();
    assert_eq!(
        unfilled.len(),
        35 * 4 + 27 * 4 + 28 * 3 + 4 + 1,
        "every figure, every headline, the date"
    );
    let first = unfilled
        .iter()
        .find(|d| d["file"] == "data/2023-04/12345.yaml" && d["line"] == 6)
        .unwrap();
    // The column of the first 待填 on the line: “  - {单位: 总寨镇政府, 本月: ” is 20 characters.
    assert_eq!(first["column"], 21, "{first:#?}");
    assert!(errors.iter().all(|d| d["code"] == "unfilled"), "{errors:#?}");
    let out = p.run(&["build", "2023-04"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!p.path("out/2023-04/circular.pdf").exists());

    // It never overwrites a month.
    let out = p.run(&["new", "2023-04"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(output(&out).contains("不会覆盖"), "{}", output(&out));
    let out = p.run(&["new"]);
    assert!(out.status.success(), "the next one after April: {}", output(&out));
    assert!(p.path("data/2023-05/通报.txt").exists());
}

#[test]
fn export_then_import_gives_the_same_figures() {
    let p = Project::march_only();
    let out = p.run(&["export", "2023-03"]);
    assert!(out.status.success(), "{}", output(&out));
    let book = p.path("out/2023-03/附件.xlsx");
    assert!(book.exists());
    assert!(p.run(&["new"]).status.success());
    for table in ["督办", "热线", "网站"] {
        let out = p.run(&["import", table, book.to_str().unwrap(), "--month", "2023-04"]);
        assert!(out.status.success(), "{table}: {}", output(&out));
    }
    assert!(
        output(&p.run(&["import", "热线", book.to_str().unwrap(), "--month", "2023-04"])).contains("合计行：已核对")
    );
    // The same figures, unit by unit (names as in the registry).
    let rows = |month: &str, file: &str| -> Vec<String> {
        p.read(&format!("data/{month}/{file}"))
            .lines()
            .filter(|l| l.trim_start().starts_with("- {单位:"))
            .map(|l| {
                let figures = l.split_once(',').unwrap().1;
                figures.split('}').next().unwrap().trim().to_string()
            })
            .collect()
    };
    for file in ["710.yaml", "12345.yaml", "portal.yaml"] {
        let march = rows("2023-03", file);
        let april = rows("2023-04", file);
        // The rates (采纳率) come back as the workbook prints them (stated, checked against the
        // computed ones); the figures are the same.
        let strip = |r: &String| r.split(", 采纳率").next().unwrap().to_string();
        assert_eq!(
            march.iter().map(strip).collect::<Vec<_>>(),
            april.iter().map(strip).collect::<Vec<_>>(),
            "{file}"
        );
    }
    assert!(p.read("data/2023-04/portal.yaml").contains("采纳: 16, 采纳率: 33%}"));
    // Fill what check still lists (headlines and the date of issue), and April builds.
    let (_, errors) = p.errors();
    let left: Vec<_> = errors.iter().map(|d| format!("{}:{}", d["file"], d["line"])).collect();
    assert_eq!(left.len(), 5, "{left:#?}");
    p.edit(
        "data/2023-04/710.yaml",
        "概况: {交办任务: 待填, 按期办结: 待填}",
        "概况: {交办任务: 61, 按期办结: 60}",
    );
    p.edit(
        "data/2023-04/12345.yaml",
        "概况: {邻里牵手转办: 待填, 邻里牵手办结: 待填}",
        "概况: {邻里牵手转办: 150, 邻里牵手办结: 149}",
    );
    p.edit("data/2023-04/通报.txt", "\n待填\n", "\n2023年6月2日\n");
    assert_eq!(p.errors(), (0, vec![]));
    let out = p.run(&["build", "2023-04"]);
    assert!(out.status.success(), "{}", output(&out));
    let text = crate::util::normalise(&crate::util::pdftotext(&p.path("out/2023-04/circular.pdf")));
    assert!(
        text.contains("2023年4月份“710”政务督办系统运行情况") && text.contains("交办工作任务61项,按期办结60项"),
        "{text}"
    );
}

/// The towns and streets every 12345 table must list (its `必列类别`), besides the two the exports
/// below fill in: rows of 0.
fn other_towns() -> &'static [&'static str] {
    &crate::util::TOWNS[2..]
}

/// CSV rows of 0 for [`other_towns`].
fn other_towns_csv() -> String {
    other_towns().iter().map(|t| format!("{t},0,0,0,0\n")).collect()
}

/// A workbook as a hotline platform might export it: a title row, a two-row header whose upper cell
/// is merged across its sub-columns, measure words in brackets, an extra column, numbers written as
/// text, an alias, and a 合计 row.
fn hotline_export(path: &std::path::Path, cell: &str) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let merged = Format::new();
    sheet
        .merge_range(0, 0, 0, 6, "城中区热线工单统计（系统导出）", &merged)
        .unwrap();
    sheet.write(1, 0, "序号").unwrap();
    sheet.write(1, 1, "单位名称").unwrap();
    sheet.merge_range(1, 2, 1, 3, "投诉", &merged).unwrap();
    sheet.write(1, 4, "延期数(条)").unwrap();
    sheet.write(1, 5, "重办条数（条）").unwrap();
    sheet.write(1, 6, "备注").unwrap();
    sheet.write(2, 2, "本月投诉(条)").unwrap();
    sheet.write(2, 3, "办结投诉(条)").unwrap();
    let first: f64 = cell.replace(',', "").parse().unwrap_or(1234.0);
    let mut rows: Vec<(&str, &str, f64, f64, &str)> = vec![
        ("总寨镇政府", cell, first, 4.0, "4"),
        ("南川东路街道办事处", "52", 52.0, 5.0, "2条"),
    ];
    rows.extend(other_towns().iter().map(|t| (*t, "0", 0.0, 0.0, "0")));
    let mut r = 3;
    for (i, (unit, month, done, delay, redo)) in rows.iter().enumerate() {
        sheet.write(r, 0, (i + 1) as f64).unwrap();
        sheet.write(r, 1, *unit).unwrap();
        sheet.write(r, 2, *month).unwrap();
        sheet.write(r, 3, *done).unwrap();
        sheet.write(r, 4, *delay).unwrap();
        sheet.write(r, 5, *redo).unwrap();
        sheet.write(r, 6, "无").unwrap();
        r += 1;
    }
    sheet.write(r, 1, "合计").unwrap();
    sheet.write(r, 2, first + 52.0).unwrap();
    sheet.write(r, 3, first + 52.0).unwrap();
    sheet.write(r, 4, 9.0).unwrap();
    sheet.write(r, 5, 6.0).unwrap();
    book.save(path).unwrap();
}

#[test]
fn import_reads_what_systems_export_and_refuses_with_the_cell() {
    let p = Project::march_only();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("热线导出.xlsx");
    hotline_export(&file, "1,234");
    let out = p.run(&["import", "热线", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", output(&out));
    let said = output(&out);
    assert!(
        said.contains("已导入 8 行") && said.contains("“备注”") && said.contains("合计行：已核对"),
        "{said}"
    );
    let table = p.read("data/2023-03/12345.yaml");
    assert!(
        table.contains("  - {单位: 总寨镇人民政府, 本月: 1234, 办结: 1234, 延期: 4, 重办: 4}"),
        "{table}"
    );
    assert!(
        table.contains("  - {单位: 南川东路街道办事处, 本月: 52, 办结: 52, 延期: 5, 重办: 2}"),
        "{table}"
    );
    assert!(
        table.contains("概况: {邻里牵手转办: 155, 邻里牵手办结: 155}"),
        "the headlines are kept"
    );

    // A cell that is not a number: refused with its address, nothing written.
    let before = p.read("data/2023-03/12345.yaml");
    hotline_export(&file, "十二");
    let out = p.run(&["import", "热线", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let said = output(&out);
    assert!(said.contains("“十二”不是数字") && said.contains("单元格 C4"), "{said}");
    assert_eq!(p.read("data/2023-03/12345.yaml"), before);

    // A unit abolished before the month: refused with its cell and the dates.
    let csv = dir.path().join("热线.csv");
    p.edit(
        "data/units.yaml",
        "{名称: 区民政局, 类别: 区直部门}",
        "{名称: 区民政局, 类别: 区直部门, 撤销: 2023-01}",
    );
    let head = "单位,本月投诉,办结投诉,延期数,重办条数\n总寨镇政府,0,0,0,0\n南川东路街道办事处,0,0,0,0\n";
    std::fs::write(&csv, format!("{head}{}区民政局,3,3,0,0\n", other_towns_csv())).unwrap();
    let out = p.run(&["import", "热线", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let said = output(&out);
    assert!(
        said.contains("单位“区民政局”已于2023年1月撤销，2023年3月时已不存在") && said.contains("单元格 A10"),
        "{said}"
    );
    p.edit(
        "data/units.yaml",
        "{名称: 区民政局, 类别: 区直部门, 撤销: 2023-01}",
        "{名称: 区民政局, 类别: 区直部门}",
    );

    // An unknown unit: did you mean.
    let text = format!("{head}{}区民正局,3,3,0,0\n", other_towns_csv());
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    std::fs::write(&csv, gbk).unwrap();
    let out = p.run(&["import", "热线", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let said = output(&out);
    assert!(
        said.contains("单位“区民正局”不在单位名录（data/units.yaml）中")
            && said.contains("是否应为“区民政局”")
            && said.contains("单元格 A10"),
        "{said}"
    );

    // A missing column: named, with the headers found.
    std::fs::write(&csv, "单位,本月投诉,办结投诉,延期数\n区民政局,3,3,0\n").unwrap();
    let out = p.run(&["import", "热线", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(output(&out).contains("找不到“重办条数（条）”列"), "{}", output(&out));

    // A GBK CSV that is right is read.
    let text = format!("{head}{}区民政局,3,3,0,0\n合计,3,3,0,0\n", other_towns_csv());
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    std::fs::write(&csv, gbk).unwrap();
    let out = p.run(&["import", "热线", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", output(&out));
    assert!(
        p.read("data/2023-03/12345.yaml")
            .contains("  - {单位: 区民政局, 本月: 3, 办结: 3, 延期: 0, 重办: 0}")
    );
}

/// check-jsonschema (PyPI, installed by scripts/test in a virtual environment) validates a YAML file against a schema.
fn validates(schema: &std::path::Path, file: &std::path::Path) -> (bool, String) {
    let out = crate::util::check_jsonschema(&["--schemafile".as_ref(), schema.as_os_str(), file.as_os_str()]);
    (out.status.success(), output(&out))
}

#[test]
fn schemas_follow_the_descriptions_and_new_files_point_at_them() {
    let p = Project::march_only();
    // A new column in a description is in the month file's schema at once.
    p.edit(
        "data/tables/portal.yaml",
        "  - {键: 采纳, 名称: 采纳数}\n",
        "  - {键: 采纳, 名称: 采纳数}\n  - {键: 退回, 名称: 退回数}\n",
    );
    let out = p.run(&["new"]);
    assert!(out.status.success(), "{}", output(&out));
    let schema = p.path("schemas/month-portal.schema.json");
    let json: serde_json::Value = serde_json::from_str(&p.read("schemas/month-portal.schema.json")).unwrap();
    assert!(
        json["properties"]["行"]["items"]["properties"]["退回"].is_object(),
        "{json:#}"
    );
    let april = p.read("data/2023-04/portal.yaml");
    assert!(
        april.starts_with("# yaml-language-server: $schema=../../schemas/month-portal.schema.json\n"),
        "{april}"
    );
    // March (without the new column) is refused by the new schema, and a typo anywhere is caught.
    let (ok, said) = validates(&schema, &p.path("data/2023-03/portal.yaml"));
    assert!(!ok && said.contains("退回"), "{said}");
    let (ok, said) = validates(
        &p.path("schemas/month-12345.schema.json"),
        &p.path("data/2023-04/12345.yaml"),
    );
    assert!(ok, "待填 is allowed while filling in: {said}");
    p.edit("data/2023-04/12345.yaml", "本月: 待填, 办结", "本月: 待填, 办节");
    let (ok, _) = validates(
        &p.path("schemas/month-12345.schema.json"),
        &p.path("data/2023-04/12345.yaml"),
    );
    assert!(!ok, "a misspelt key is underlined");
}

#[test]
fn import_reads_ods_and_xls_as_libreoffice_writes_them() {
    let p = Project::march_only();
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("热线.xlsx");
    hotline_export(&xlsx, "71");
    for format in ["ods", "xls"] {
        let out = std::process::Command::new("soffice")
            .args(["--headless", "--convert-to", format, "--outdir"])
            .arg(dir.path())
            .arg(&xlsx)
            .env("HOME", dir.path())
            .output()
            .expect("LibreOffice (soffice) must be installed; scripts/test installs libreoffice-calc-nogui");
        assert!(out.status.success(), "{}", output(&out));
        let converted = dir.path().join(format!("热线.{format}"));
        let out = p.run(&["import", "热线", converted.to_str().unwrap()]);
        assert!(out.status.success(), "{format}: {}", output(&out));
        let table = p.read("data/2023-03/12345.yaml");
        assert!(
            table.contains("  - {单位: 总寨镇人民政府, 本月: 71, 办结: 71, 延期: 4, 重办: 4}"),
            "{format}: {table}"
        );
    }
}
