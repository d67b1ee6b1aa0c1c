//! Real months as offices write them: stated figures printed as written, figures with decimals,
//! names and table descriptions over time, months of data only, units listed in the office's
//! order, and the audit commands following (export needs only the rows; diff shows what the
//! circular says at both revisions). Each point is checked in the PDF's text (pdftotext) and, where
//! it refuses, in `check` and `build` alike.

use crate::util::git::Repo;
use crate::util::{MARCH_TEXT, Project, normalise, output, pdftotext};

fn pdf(p: &Project, month: &str) -> String {
    let out = p.run(&["build", month]);
    assert!(out.status.success(), "{}", output(&out));
    normalise(&pdftotext(&p.path(&format!("out/{month}/circular.pdf"))))
}

/// March's portal table with its stated rates replaced by `rates` (row by row, as the office
/// printed them), the rest as shipped.
fn with_stated_rates(p: &Project, rates: &[(&str, &str)]) {
    let file = "data/2023-03/portal.yaml";
    for (unit, rate) in rates {
        let text = p.read(file);
        let line = text
            .lines()
            .find(|l| l.contains(&format!("{{单位: {unit},")))
            .unwrap_or_else(|| panic!("no row for {unit}"))
            .to_string();
        let row = line
            .split(", 采纳率:")
            .next()
            .unwrap()
            .trim_end_matches('}')
            .to_string();
        p.write(file, &text.replace(&line, &format!("{row}, 采纳率: {rate}}}")));
    }
}

#[test]
fn stated_rates_are_printed_as_written_and_checked_at_their_precision() {
    let p = Project::march_only();
    // 区民政局 7/17, 区农业农村和乡村振兴局 2/4 and 区财政局, which sent nothing: the office printed
    // rates with two decimals (computed to one and padded), 50% without, 0 for nothing.
    p.edit(
        "data/2023-03/portal.yaml",
        "{单位: 区财政局, 邮箱: 11, 审核表: 11, 采纳: 3",
        "{单位: 区财政局, 邮箱: 0, 审核表: 0, 采纳: 0",
    );
    with_stated_rates(
        &p,
        &[
            ("区民政局", "41.20%"),
            ("区农业农村和乡村振兴局", "50%"),
            ("区财政局", "0"),
        ],
    );
    let (code, diags) = p.check();
    assert_eq!(code, 0, "{diags:#?}");
    assert!(!diags.iter().any(|d| d["code"] == "stated-rate"), "{diags:#?}");
    let text = pdf(&p, "2023-03");
    for (unit, printed) in [
        ("区民政局", "41.20%"),
        ("区农业农村和乡村振兴局", "50%"),
        ("区财政局", "0"),
    ] {
        // The portal table is the last attachment.
        let at = text.rfind(unit).unwrap_or_else(|| panic!("{unit} missing"));
        let row: String = text[at..].chars().take(30).collect();
        assert!(row.contains(printed), "{unit} prints {printed}: {row}");
    }
    // A figure that disagrees at its precision: a warning quoting both, in check and build.
    with_stated_rates(&p, &[("区民政局", "42.20%")]);
    let (code, diags) = p.check();
    assert_eq!(code, 0);
    let d = diags
        .iter()
        .find(|d| d["code"] == "stated-rate")
        .expect("a disagreement is reported");
    assert!(
        d["message"].as_str().unwrap().contains("写作 42.20%") && d["message"].as_str().unwrap().contains("41.18%"),
        "{d:#?}"
    );
    assert!(pdf(&p, "2023-03").contains("42.20%"), "the published figure stands");
}

#[test]
fn computed_rates_are_displayed_as_the_description_chooses() {
    let p = Project::march_only();
    // No stated rates: tongbao computes them, with two decimals, zeros dropped, 0 for nothing and
    // the % in the header.
    let file = "data/2023-03/portal.yaml";
    let text: String = p
        .read(file)
        .lines()
        .map(|l| match l.split_once(", 采纳率:") {
            Some((row, _)) => format!("{row}}}"),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    p.write(file, &text);
    p.edit(
        file,
        "{单位: 区财政局, 邮箱: 11, 审核表: 11, 采纳: 3",
        "{单位: 区财政局, 邮箱: 0, 审核表: 0, 采纳: 0",
    );
    p.edit(
        "data/tables/portal.yaml",
        "取整: 四舍五入}",
        "取整: 四舍五入, 小数位: 2, 末尾零: 去掉, 无法计算时: \"0\", 百分号: 表头}",
    );
    let text = pdf(&p, "2023-03");
    let portal = &text[text.rfind("附件3").unwrap()..];
    assert!(portal.contains("(%)"), "the % in the header: {portal}");
    let row = |unit: &str| -> String { portal[portal.find(unit).unwrap()..].chars().take(24).collect() };
    assert!(row("区民政局").contains("41.18"), "{}", row("区民政局"));
    assert!(!row("区民政局").contains('%'));
    // 区财政局 sent nothing: 0/0 prints 0.
    assert!(row("区财政局").starts_with("区财政局0000"), "{}", row("区财政局"));
}

#[test]
fn figures_with_decimals_are_typed_totalled_ranked_and_compared() {
    let p = Project::shipped();
    let text = pdf(&p, "2024-01");
    // The example month: a percent (two decimals, totalled weighted by 本月) and a figure in days
    // (one decimal, averaged); ranked with their own figures.
    assert!(
        text.contains("群众满意率为97.99%") && text.contains("平均办理用时3.3天"),
        "{text}"
    );
    assert!(text.contains("满意率最低的三个单位:区卫生健康局(96.03%)"), "{text}");
    assert!(text.contains("平均用时最长的两个单位:区医疗保障局(4.9天)"), "{text}");
    assert!(
        text.contains("合计1768176813945") && text.contains("97.993.3"),
        "the 合计 row: {text}"
    );
    // A decimal that is not the column's precision is refused at its place, in check and build.
    p.edit("data/2024-01/12345.yaml", "平均用时: 3.4}", "平均用时: 3.45}");
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    assert!(
        errors
            .iter()
            .any(|d| d["message"].as_str().unwrap().contains("有 2 位小数")),
        "{errors:#?}"
    );
    assert_eq!(p.run(&["build", "2024-01"]).status.code(), Some(1));
    // Compared with the month before: in days for a figure, in points for a percent.
    p.edit("data/2024-01/12345.yaml", "平均用时: 3.45}", "平均用时: 3.4}");
    std::fs::create_dir(p.path("data/2024-02")).unwrap();
    for f in ["12345.yaml", "portal.yaml", "document.yaml", "通报.txt"] {
        std::fs::copy(
            p.path(&format!("data/2024-01/{f}")),
            p.path(&format!("data/2024-02/{f}")),
        )
        .unwrap();
    }
    p.edit(
        "data/2024-02/12345.yaml",
        "满意率: 97.12, 平均用时: 3.4",
        "满意率: 99.12, 平均用时: 1.0",
    );
    p.edit("data/2024-02/通报.txt", "\n2024年2月6日\n", "\n2024年3月5日\n");
    p.edit(
        "data/2024-02/通报.txt",
        "各单位平均办理用时{{ 热线.平均用时 }}天。",
        "各单位平均办理用时{{ 热线.平均用时 }}天（{{ 热线.平均用时 | 较上月 }}），满意率{{ 热线.满意率 | 较上月 }}。",
    );
    let text = pdf(&p, "2024-02");
    assert!(
        text.contains("天(较上月减少0.1天),满意率较上月提高0.11个百分点"),
        "{text}"
    );
}

#[test]
fn a_table_description_follows_its_columns_over_the_years() {
    let p = Project::shipped();
    // 2024-01 has the columns set up that month and the renamed header; 2023-09 the old ones.
    // (Headers wrap inside their cells, so only their first lines are looked for.)
    let jan = pdf(&p, "2024-01");
    assert!(
        jan.contains("重办数满意率") && !jan.contains("重办条数") && jan.contains("平均用"),
        "{jan}"
    );
    let sep = pdf(&p, "2023-09");
    assert!(
        sep.contains("重办条数") && !sep.contains("满意率") && !sep.contains("平均用时"),
        "{sep}"
    );
    // A column used before it was set up: an error at its key, in check and build.
    p.edit("data/2023-09/12345.yaml", "重办: 2}", "重办: 2, 满意率: 99.5}");
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    let d = errors
        .iter()
        .find(|d| d["code"] == "column-time")
        .expect("the column's time");
    assert!(d["message"].as_str().unwrap().contains("2024年1月才设立"), "{d:#?}");
    assert_eq!(p.run(&["build", "2023-09"]).status.code(), Some(1));
}

#[test]
fn two_descriptions_claiming_one_short_name_are_an_error_at_both() {
    let p = Project::shipped();
    p.write(
        "data/tables/12345-2017.yaml",
        "名称: 旧热线\n简称: 热线\n标题: \"{月}月热线\"\n列:\n  - {键: 本月}\n",
    );
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    let files: Vec<&str> = errors
        .iter()
        .filter(|d| d["code"] == "spec-short")
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 2, "{errors:#?}");
    assert!(files.contains(&"data/tables/12345.yaml") && files.contains(&"data/tables/12345-2017.yaml"));
}

#[test]
fn new_takes_each_table_from_the_last_month_that_has_it_and_periods_do_not_overlap() {
    let p = Project::shipped();
    // The latest months (2024-01, and 2023-12 of data only) have no 710 table; when the circular
    // uses it, it comes from 2023-08 (a table the circular does not use is not carried).
    p.edit(
        "data/2024-01/document.yaml",
        "附件: [热线, 网站]",
        "附件: [督办, 热线, 网站]",
    );
    let out = p.run(&["new"]);
    assert!(out.status.success(), "{}", output(&out));
    assert!(output(&out).contains("710.yaml（取自 2023-08）"), "{}", output(&out));
    assert!(p.read("data/2024-02/710.yaml").contains("本月: 待填"));
    // A month folder inside another month's period of two months: a warning naming both.
    std::fs::create_dir(p.path("data/2023-10")).unwrap();
    std::fs::copy(p.path("data/2023-11/portal.yaml"), p.path("data/2023-10/portal.yaml")).unwrap();
    let (_, diags) = p.check();
    let d = diags
        .iter()
        .find(|d| d["code"] == "period-overlap")
        .expect("the overlap is reported");
    assert_eq!(d["file"], "data/2023-11/document.yaml");
    assert!(d["message"].as_str().unwrap().contains("2023-10"), "{d:#?}");
}

#[test]
fn units_are_listed_in_the_order_the_office_wants() {
    let p = Project::march_only();
    p.edit(
        MARCH_TEXT,
        "如:{{ 热线.延期 | 最多(2) | 按名录 | 连接(\",\") }}。",
        "如:{{ 热线.延期 | 最多(3) }}；按名录{{ 热线.延期 | 最多(3) | 按名录 }}；倒序{{ 热线.延期 | 最多(3) | 倒序 }}；点名{{ 点名(\"区审计局、区财政局\") | 照写 }}，{{ 点名(\"区审计局、区财政局\") | 按名录 }}。",
    );
    let text = pdf(&p, "2023-03");
    // 延期: 区城乡建设局 46, 区市场监督管理局 31, 南滩街道办事处 14.
    for sentence in [
        "如:区城乡建设局、区市场监督管理局、南滩街道办事处;",
        "按名录南滩街道办事处、区市场监督管理局、区城乡建设局;",
        "倒序南滩街道办事处、区市场监督管理局、区城乡建设局;",
        "点名区审计局、区财政局,区财政局、区审计局。",
    ] {
        assert!(text.contains(&normalise(sentence)), "missing {sentence} in {text}");
    }
}

#[test]
fn export_needs_only_the_rows() {
    let p = Project::march_only();
    p.edit(
        "data/2023-03/12345.yaml",
        "概况: {邻里牵手转办: 155, 邻里牵手办结: 155}",
        "概况: {邻里牵手转办: 待填, 邻里牵手办结: 待填}",
    );
    let (code, _) = p.errors();
    assert_eq!(code, 1, "check still asks for the headlines");
    let out = p.run(&["export", "2023-03"]);
    assert!(out.status.success(), "{}", output(&out));
    assert!(p.path("out/2023-03/附件.xlsx").exists());
}

#[test]
fn diff_shows_what_the_circular_says_at_both_revisions() {
    let repo = Repo::new();
    // One figure changes: the text's source does not, but what it prints does.
    let before = crate::util::git::git(repo.path(), &["rev-parse", "HEAD"]);
    repo.commit_edit(
        "data/2023-03/710.yaml",
        "概况: {交办任务: 59, 按期办结: 59}",
        "概况: {交办任务: 60, 按期办结: 59}",
        "更正交办任务数",
    );
    let out = repo.tongbao(&["diff", &before, "HEAD", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        d["texts"].as_array().unwrap().is_empty(),
        "the source is unchanged: {d:#}"
    );
    let printed = d["printed"].as_array().unwrap();
    let change = printed
        .iter()
        .find(|c| c["old"].as_str().is_some_and(|o| o.contains("交办工作任务59项")))
        .unwrap_or_else(|| panic!("{d:#}"));
    assert!(
        change["new"]
            .as_str()
            .unwrap()
            .contains("交办工作任务60项，按期办结59项，按期办结率98%"),
        "{change:#}"
    );
    let human = repo.tongbao(&["diff", &before, "HEAD"]);
    let said = String::from_utf8_lossy(&human.stdout);
    assert!(said.contains("印出的文字") && said.contains("[-59-]{+60+}"), "{said}");
}

/// A former name is a name of its time in an import too: accepted in a month before the rename
/// (the table prints the name of that time), refused after it at the cell, naming the new name.
#[test]
fn import_takes_a_former_name_of_its_time() {
    let p = Project::march_only();
    p.edit(
        "data/units.yaml",
        "{名称: 区民政局, 类别: 区直部门}",
        "{名称: 区民政局, 类别: 区直部门, 曾用名: [{名称: 区民政厅, 至: 2023-03}]}",
    );
    let towns: String = crate::util::TOWNS.iter().map(|t| format!("{t},1,1,0,0\n")).collect();
    let csv = p.path("热线.csv");
    std::fs::write(
        &csv,
        format!("单位,本月投诉,办结投诉,延期数,重办条数\n{towns}区民政厅,3,3,0,0\n"),
    )
    .unwrap();
    let out = p.run(&["import", "热线", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", output(&out));
    assert!(p.read("data/2023-03/12345.yaml").contains("{单位: 区民政局, 本月: 3"));
    let text = pdf(&p, "2023-03");
    assert!(text.contains("区民政厅3300"), "the name of March is printed: {text}");
    // After the rename, the old name is refused at its cell with the new one.
    p.edit("data/units.yaml", "至: 2023-03}", "至: 2023-02}");
    let out = p.run(&["import", "热线", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let said = output(&out);
    assert!(
        said.contains("更名为“区民政局”") && said.contains("单元格 A10"),
        "{said}"
    );
}
