//! Each month writes its own circular in `通报.txt`: the example months show every shape the
//! office needs (run-in headings, sections that come and go, reworded sentences, rates with a
//! decimal, changes from last month, two-month periods, units named by rule or by hand), and
//! `check` reads the text: names in expressions, headings, periods and numbers typed by hand.

use crate::util::{MARCH_TEXT, Project, laid_out, normalise, pdftotext};

fn built(p: &Project, month: &str) -> String {
    let out = p.run(&["build", month]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    normalise(&pdftotext(&p.path(&format!("out/{month}/circular.pdf"))))
}

fn has(text: &str, sentence: &str) {
    let s = normalise(sentence);
    assert!(text.contains(&s), "missing {sentence:?} in\n{text}");
}

#[test]
fn run_in_subsections_reworded_sentences_and_units_named_by_rule() {
    let p = Project::shipped();
    let text = built(&p, "2023-08");
    has(&text, "一、工作开展情况");
    has(
        &text,
        "（一）“710”政务督办系统运行情况。2023年8月，运用“710”政务督办系统交办工作任务52项，按期办结率100%。",
    );
    has(&text, "共接到转办工单1230件");
    has(
        &text,
        "办理较好、无延期工单的单位有：区教育局、区民政局、区医疗保障局、区退役军人事务局。",
    );
    has(&text, "二、下一步工作要求");
    // The run-in heading is 楷体 up to its 。, the rest of the paragraph 仿宋, on the same line.
    let mut session = p.session();
    let l = laid_out(&mut session, "2023-08");
    let line = tongbao::typeset::inspect::lines(&l.runs, 1)
        .into_iter()
        .find(|line| tongbao::typeset::inspect::line_text(line).starts_with("（一）"))
        .expect("the run-in heading's line");
    let head: Vec<&str> = line
        .iter()
        .filter(|r| r.family != "Liberation Serif")
        .map(|r| r.family.as_str())
        .collect();
    assert_eq!(head.first(), Some(&"WenKai GB2312"), "{line:#?}");
    assert_eq!(head.last(), Some(&"FandolFang"), "{line:#?}");
    // The heading's quotes are the body face's (楷体's own are Latin-style, narrow): see
    // typography.rs.
    let stop = line.iter().position(|r| r.text.contains('。')).unwrap();
    assert!(
        line[..=stop]
            .iter()
            .all(|r| r.family != "FandolFang" || r.text.chars().all(|c| "“”‘’".contains(c))),
        "heading part in 楷体: {line:#?}"
    );
}

#[test]
fn two_sections_a_decimal_rate_a_change_and_units_named_by_hand_with_their_figures() {
    let p = Project::shipped();
    let text = built(&p, "2023-09");
    has(&text, "信息采发率48.6%，采纳发布率较上月提高6个百分点。");
    has(&text, "共转办城中区工单1316件，较上月增加86条");
    has(
        &text,
        "（如区民政局审核表4份，信息9条，故信息报送数为4条）。请区财政局、区审计局按要求报送审核表。",
    );
    has(&text, "二、政府门户网站信息报送情况");
    assert!(!text.contains("三、"), "only two sections");
    assert!(!text.contains("政务督办"), "no 710 section");
    assert!(text.contains("附件2") && !text.contains("附件3"), "two attachments");
}

#[test]
fn a_two_month_period_with_one_section_and_one_attachment() {
    let p = Project::shipped();
    let text = built(&p, "2023-11");
    has(&text, "关于2023年10-11月份政府门户网站信息报送情况的通报");
    has(&text, "2023年10-11月份，各单位累计报送信息");
    has(&text, "两个月未报送信息的单位有：区应急管理局、区审计局。");
    // One attachment: no number, in the 附件说明 or on its page.
    has(&text, "附件：10-11月网站公开信息报送情况统计表");
    assert!(!text.contains("附件1.") && !text.contains("附件:1."), "{text}");
    assert!(
        text.contains("—1—附件10-11月网站公开信息报送情况统计表"),
        "the attachment page: {text}"
    );
}

/// The errors and warnings of `check` with code `code`.
fn diags(p: &Project, code: &str) -> Vec<serde_json::Value> {
    let (_, all) = p.check();
    all.into_iter().filter(|d| d["code"] == code).collect()
}

fn text_of(d: &serde_json::Value) -> String {
    format!(
        "{} {}",
        d["message"].as_str().unwrap_or(""),
        d["help"].as_str().unwrap_or("")
    )
}

#[test]
fn an_expression_naming_what_does_not_exist_is_an_error_with_did_you_mean() {
    // (replaced, replacement, code, words of the message, where the column points)
    let cases = [
        (
            "{{ 督办.交办任务 }}",
            "{{ 督察.交办任务 }}",
            "expression-name",
            "是否应为“督办”",
            "督察",
        ),
        (
            "{{ 督办.交办任务 }}",
            "{{ 督办.交办任物 }}",
            "expression-name",
            "是否应为“交办任务”",
            "交办任物",
        ),
        (
            "{{ 热线.本月 }}",
            "{{ 热线.本月 | 较上个月 }}",
            "expression-filter",
            "是否应为“较上月”",
            "较上个月",
        ),
        (
            "{{ 热线.本月 }}",
            "{{ 热线.区民正局.本月 }}",
            "expression-name",
            "区民政局",
            "区民正局",
        ),
        (
            "{{ 热线.本月 }}",
            "{{ 热线.本月 | 较上月 }}",
            "expression-month",
            "data/2023-02",
            "较上月",
        ),
        (
            "区审计局、",
            "区申计局、",
            "unit-unknown",
            "是否应为“区审计局”",
            "区申计局",
        ),
        (
            "{{ 网站.采纳 }}",
            "｛｛ 网站.采纳 ｝｝",
            "expression-braces",
            "半角",
            "｛｛",
        ),
    ];
    for (from, to, code, expect, pointed) in cases {
        let p = Project::shipped();
        p.edit(MARCH_TEXT, from, to);
        let (status, all) = p.errors();
        assert_eq!(status, 1, "{to}: {all:#?}");
        let d = all
            .iter()
            .find(|d| d["code"] == code)
            .unwrap_or_else(|| panic!("{to}: no {code} in {all:#?}"));
        assert_eq!(d["file"], MARCH_TEXT);
        assert!(text_of(d).contains(expect), "{to}: {d:#?}");
        // line:column points at the offending name in the line.
        let line = p
            .read(MARCH_TEXT)
            .lines()
            .nth(d["line"].as_u64().unwrap() as usize - 1)
            .unwrap()
            .to_string();
        let col = d["column"].as_u64().unwrap() as usize;
        let at: String = line.chars().skip(col - 1).collect();
        assert!(at.starts_with(pointed), "{to}: column {col} points at {at:?}");
    }
}

#[test]
fn a_number_typed_by_hand_is_pointed_at_with_its_expression() {
    let p = Project::shipped();
    p.edit(MARCH_TEXT, "交办工作任务{{ 督办.交办任务 }}项", "交办工作任务59项");
    let d = diags(&p, "typed-figure");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(text_of(&d[0]).contains("{{ 督办.交办任务 }}"), "{d:#?}");
    assert_eq!(d[0]["severity"], "warning");

    let p = Project::shipped();
    p.edit(MARCH_TEXT, "交办工作任务{{ 督办.交办任务 }}项", "交办工作任务52项");
    let d = diags(&p, "typed-figure-differs");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(text_of(&d[0]).contains("是 59项"), "{d:#?}");
}

#[test]
fn a_month_left_from_the_copied_text_is_a_warning() {
    let p = Project::shipped();
    p.copy_march("2023-04", "2023-05-10");
    p.edit("data/2023-04/通报.txt", "关于{{ 期间 }}份", "关于2023年3月份");
    let d: Vec<_> = diags(&p, "period-mismatch")
        .into_iter()
        .filter(|d| d["file"] == "data/2023-04/通报.txt")
        .collect();
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!((d[0]["line"].as_u64(), d[0]["column"].as_u64()), (Some(3), Some(16)));
    assert!(text_of(&d[0]).contains("本期通报是2023年4月"), "{d:#?}");
    // `2023年4月起` (a reference to another time) and the figures' own period are not warned about.
    assert!(
        diags(&p, "period-mismatch")
            .iter()
            .all(|d| d["file"] == "data/2023-04/通报.txt")
    );
}

#[test]
fn headings_out_of_order_are_warnings() {
    let p = Project::shipped();
    p.edit(MARCH_TEXT, "三、政府门户网站", "四、政府门户网站");
    let d = diags(&p, "heading-number");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(text_of(&d[0]).contains("应为“三”"), "{d:#?}");

    let p = Project::shipped();
    p.edit(
        MARCH_TEXT,
        "一、“710”政务督办系统运行情况",
        "（一）“710”政务督办系统运行情况",
    );
    let d = diags(&p, "heading-level");
    assert_eq!(d.len(), 1, "{d:#?}");
    assert!(text_of(&d[0]).contains("没有上一级标题"), "{d:#?}");
}

#[test]
fn the_old_document_slots_are_refused_with_where_they_went() {
    let p = Project::shipped();
    p.edit("data/2023-03/document.yaml", "附件:", "标题: 旧写法\n附件:");
    let (_, errors) = p.errors();
    let d = errors
        .iter()
        .find(|d| d["code"] == "moved-to-text")
        .expect("old key reported");
    assert!(text_of(d).contains("通报.txt"), "{d:#?}");
}
