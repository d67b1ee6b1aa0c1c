//! `tongbao check`: every rule, on good data and on each kind of bad input. Each bad input gives its
//! message at the right file:line:column, the right exit code, and no panic.

use crate::util::{self, MARCH_TEXT, Project, only_error};

fn assert_at(d: &serde_json::Value, file: &str, line: u64) {
    assert_eq!(d["file"], file, "{d:#?}");
    assert_eq!(d["line"], line, "{d:#?}");
}

fn message(d: &serde_json::Value) -> String {
    format!(
        "{} {}",
        d["message"].as_str().unwrap_or(""),
        d["help"].as_str().unwrap_or("")
    )
}

#[test]
fn shipped_data_has_no_errors_and_reports_the_seed_slips_as_warnings() {
    let p = Project::shipped();
    let (code, diags) = p.check();
    assert_eq!(code, 0, "{diags:#?}");
    let codes: Vec<&str> = diags.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(diags.iter().all(|d| d["severity"] == "warning"));
    // 710: 59 tasks in the prose vs 119 in the table, counted in 项 vs 条.
    assert_eq!(codes.iter().filter(|c| **c == "headline").count(), 2, "{codes:?}");
    assert_eq!(
        codes.iter().filter(|c| **c == "measure-mismatch").count(),
        2,
        "{codes:?}"
    );
    // 附件说明 names that differ from the attachment titles (附件1, 附件2).
    assert_eq!(
        codes.iter().filter(|c| **c == "attachment-name").count(),
        2,
        "{codes:?}"
    );
}

#[test]
fn human_output_is_chinese_with_place_and_caret() {
    let p = Project::shipped();
    p.edit("data/2023-03/710.yaml", "本月: 10, 办结: 10", "本月: 10, 办结: 12x");
    let out = p.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stderr).unwrap();
    assert!(text.contains("错误[type]"), "{text}");
    assert!(text.contains("--> data/2023-03/710.yaml:"), "{text}");
    assert!(text.contains("^^^"), "{text}");
    assert!(text.contains("提示："), "{text}");
}

#[test]
fn wrong_types_are_named() {
    for (bad, expect) in [
        ("12x", "多了“x”"),
        ("3.5", "不是整数"),
        ("-1", "负数"),
        ("99999999999999999999", "过大"),
        ("no", "布尔值"),
        ("[1, 2]", "列表"),
    ] {
        let p = Project::shipped();
        p.edit(
            "data/2023-03/12345.yaml",
            "本月: 71, 办结: 71",
            &format!("本月: 71, 办结: {bad}"),
        );
        let d = only_error(&p);
        assert_at(&d, "data/2023-03/12345.yaml", 6);
        assert!(message(&d).contains(expect), "{bad}: {d:#?}");
    }
}

#[test]
fn missing_and_unknown_fields_with_did_you_mean() {
    let p = Project::shipped();
    p.edit("data/2023-03/12345.yaml", "延期: 4, 重办: 4}", "延期: 4}");
    let d = only_error(&p);
    assert_eq!(d["code"], "missing-field");
    assert!(message(&d).contains("重办"));

    let p = Project::shipped();
    p.edit("data/2023-03/12345.yaml", "延期: 4, 重办: 4}", "延期: 4, 重: 4}");
    let (_, errors) = p.errors();
    let unknown = errors
        .iter()
        .find(|d| d["code"] == "unknown-field")
        .expect("unknown field reported");
    assert!(message(unknown).contains("是否应为“重办”"), "{unknown:#?}");
    assert_at(unknown, "data/2023-03/12345.yaml", 6);

    let p = Project::shipped();
    p.edit("data/2023-03/document.yaml", "附件:", "附注:");
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    assert!(
        errors
            .iter()
            .any(|d| d["code"] == "unknown-field" && message(d).contains("是否应为“附件”")),
        "{errors:#?}"
    );
}

#[test]
fn duplicate_keys() {
    let p = Project::shipped();
    p.edit(
        "data/2023-03/12345.yaml",
        "本月: 71, 办结: 71",
        "本月: 71, 本月: 71, 办结: 71",
    );
    let d = only_error(&p);
    assert_eq!(d["code"], "yaml-duplicate-key");
    assert_at(&d, "data/2023-03/12345.yaml", 6);
}

#[test]
fn yaml_syntax_errors() {
    let p = Project::shipped();
    p.edit("data/2023-03/12345.yaml", "重办: 4}", "重办: 4");
    let d = only_error(&p);
    assert_eq!(d["code"], "yaml-syntax");
    assert_eq!(d["file"], "data/2023-03/12345.yaml");
}

#[test]
fn unknown_unit_suggests_the_registry_name() {
    // The seed's own slip: 区自然资源和农业局 for 区自然资源和林业局.
    let p = Project::shipped();
    p.edit(
        "data/2023-03/portal.yaml",
        "{单位: 区自然资源和林业局",
        "{单位: 区自然资源和农业局",
    );
    let d = only_error(&p);
    assert_eq!(d["code"], "unit-unknown");
    assert!(message(&d).contains("是否应为“区自然资源和林业局”"), "{d:#?}");
    assert_eq!(d["column"], 10);
}

#[test]
fn aliases_resolve_and_the_same_unit_twice_is_refused() {
    let p = Project::shipped();
    // 总寨镇政府 (alias) is already in the 12345 table; add 总寨镇人民政府 (canonical) again.
    let text = p.read("data/2023-03/12345.yaml");
    p.write(
        "data/2023-03/12345.yaml",
        &text
            .replace("合计: {本月: 1164, 办结: 1164", "合计: {本月: 1165, 办结: 1165")
            .replacen(
                "行:\n",
                "行:\n  - {单位: 总寨镇人民政府, 本月: 1, 办结: 1, 延期: 0, 重办: 0}\n",
                1,
            ),
    );
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    assert!(
        errors
            .iter()
            .any(|d| d["code"] == "unit-twice" && message(d).contains("别名")),
        "{errors:#?}"
    );
    assert!(errors.iter().all(|d| d["code"] == "unit-twice"), "{errors:#?}");
}

#[test]
fn a_required_unit_missing_from_a_table() {
    let p = Project::shipped();
    let text = p.read("data/2023-03/710.yaml");
    let kept: Vec<&str> = text.lines().filter(|l| !l.contains("南滩街道办事处")).collect();
    p.write("data/2023-03/710.yaml", &(kept.join("\n") + "\n"));
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    let d = errors
        .iter()
        .find(|d| d["code"] == "unit-missing")
        .expect("missing unit reported");
    assert!(message(d).contains("南滩街道办事处"));
}

#[test]
fn column_rule_total_rate_and_headline() {
    let p = Project::shipped();
    p.edit("data/2023-03/12345.yaml", "本月: 71, 办结: 71", "本月: 71, 办结: 72");
    let (_, errors) = p.errors();
    let rule = errors.iter().find(|d| d["code"] == "rule").expect("rule broken");
    assert!(message(rule).contains("“办结投诉”为 72"), "{rule:#?}");
    assert_at(rule, "data/2023-03/12345.yaml", 6);
    // The stated 合计 no longer matches the rows either.
    let total = errors.iter().find(|d| d["code"] == "total").expect("total checked");
    assert!(message(total).contains("各行相加为 1165"), "{total:#?}");

    let p = Project::shipped();
    p.edit(
        "data/2023-03/portal.yaml",
        "采纳: 16, 采纳率: 33%",
        "采纳: 16, 采纳率: 34%",
    );
    // A stated rate is the office's published figure: a warning quoting both, by default…
    let (code, diags) = p.check();
    assert_eq!(code, 0, "{diags:#?}");
    let d = diags
        .iter()
        .find(|d| d["code"] == "stated-rate")
        .expect("the stated rate is compared");
    assert_eq!(d["severity"], "warning");
    assert!(
        message(d).contains("写作 34%") && message(d).contains("计算为 33%"),
        "{d:#?}"
    );
    // …and an error when the description says so.
    p.edit(
        "data/tables/portal.yaml",
        "取整: 四舍五入}",
        "取整: 四舍五入, 写明不符时: 错误}",
    );
    let d = only_error(&p);
    assert_eq!(d["code"], "stated-rate");

    let p = Project::shipped();
    p.edit("data/2023-03/12345.yaml", "邻里牵手办结: 155", "邻里牵手办结: 156");
    let d = only_error(&p);
    assert_eq!(d["code"], "rule");

    // A headline that must equal its column total is an error unless the description says warning.
    let p = Project::shipped();
    p.edit("data/tables/710.yaml", "不符时: 警告, 说明: 附件1的列名沿用了附件2，统计口径可能与正文不同；请核对附件1的列名和数字}\n  - {键: 按期办结", "说明: 口径}\n  - {键: 按期办结");
    let d = only_error(&p);
    assert_eq!(d["code"], "headline");
    assert!(message(&d).contains("合计为 119"));
}

#[test]
fn month_folder_and_date_of_issue() {
    let p = Project::shipped();
    std::fs::create_dir(p.path("data/2023-13")).unwrap();
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    assert!(errors.iter().any(|d| d["code"] == "month-name"), "{errors:#?}");

    let p = Project::shipped();
    p.edit(MARCH_TEXT, "\n2023年5月5日\n", "\n2023年3月20日\n");
    let d = only_error(&p);
    assert_eq!(d["code"], "date-early");

    let p = Project::shipped();
    p.edit(MARCH_TEXT, "\n2023年5月5日\n", "\n2023年2月30日\n");
    let d = only_error(&p);
    // Said for what it is: a date that does not exist, not a text of the wrong shape.
    assert_eq!(d["code"], "date", "{d:#?}");
    assert!(
        message(&d).contains("不存在") && message(&d).contains("只有 28 天"),
        "{d:#?}"
    );
}

#[test]
fn encodings_and_empty_files() {
    let p = Project::shipped();
    let text = p.read("data/2023-03/710.yaml");
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    std::fs::write(p.path("data/2023-03/710.yaml"), gbk).unwrap();
    let d = only_error(&p);
    assert_eq!(d["code"], "encoding");
    assert!(message(&d).contains("GB18030/GBK"));

    let p = Project::shipped();
    let text = p.read("data/2023-03/710.yaml");
    let crlf = format!("\u{feff}{}", text.replace('\n', "\r\n"));
    p.write("data/2023-03/710.yaml", &crlf);
    let (code, _) = p.errors();
    assert_eq!(code, 0, "BOM and CRLF are fine");

    let p = Project::shipped();
    p.write("data/2023-03/710.yaml", "");
    let d = only_error(&p);
    assert_eq!(d["code"], "empty-file");

    // One stray byte in a UTF-8 file, and a NUL: found by line and column.
    for (bad, column) in [(&b"\xff"[..], 3), (&b"\0"[..], 3)] {
        let p = Project::shipped();
        let mut bytes = p.read("data/2023-03/710.yaml").into_bytes();
        let third = bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(1).unwrap().0 + 1;
        let mut line = b"# ".to_vec();
        line.extend_from_slice(bad);
        line.push(b'\n');
        bytes.splice(third..third, line);
        std::fs::write(p.path("data/2023-03/710.yaml"), bytes).unwrap();
        let d = only_error(&p);
        assert_eq!(d["code"], "encoding");
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(3), Some(column)),
            "{d}"
        );
    }
}

#[test]
fn alias_bombs_and_deep_nesting_are_refused_quickly() {
    let p = Project::shipped();
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        bomb += &format!("a{i}: &a{i} [{}]\n", [prev.as_str(); 10].join(", "));
    }
    p.write("data/2023-03/710.yaml", &bomb);
    let started = std::time::Instant::now();
    let d = only_error(&p);
    assert_eq!(d["code"], "yaml-too-big");
    assert!(started.elapsed().as_secs() < 5);

    let p = Project::shipped();
    p.write(
        "data/2023-03/710.yaml",
        &format!("行: {}{}\n", "[".repeat(5000), "]".repeat(5000)),
    );
    let d = only_error(&p);
    assert_eq!(d["code"], "yaml-too-deep");
}

#[test]
fn registry_rules() {
    let p = Project::shipped();
    p.edit(
        "data/units.yaml",
        "{名称: 区财政局, 类别: 区直部门}",
        "{名称: 区财政局, 别名: [总寨镇政府], 类别: 区直部门}",
    );
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    assert!(errors.iter().any(|d| d["code"] == "unit-duplicate-name"), "{errors:#?}");

    let p = Project::shipped();
    p.edit(
        "data/units.yaml",
        "{名称: 区财政局, 类别: 区直部门}",
        "{名称: 区财政局, 类别: 区直部}",
    );
    let d = only_error(&p);
    assert_eq!(d["code"], "unit-kind");
}

#[test]
fn usage_errors_exit_with_2() {
    let p = Project::shipped();
    assert_eq!(p.run(&["check", "2023-3"]).status.code(), Some(2));
    assert_eq!(p.run(&["check", "2031-01"]).status.code(), Some(2));
    assert_eq!(p.run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(p.run(&["check", "2023-03"]).status.code(), Some(0));
}

/// A file outside the project, holding text that must never be printed.
fn secret_outside(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let outside = tempfile::tempdir().unwrap();
    let path = outside.path().join(name);
    std::fs::write(&path, "发文机关: 秘密内容SECRET\n").unwrap();
    (outside, path)
}

#[cfg(unix)]
#[test]
fn a_symlinked_file_pointing_outside_is_refused_without_showing_it() {
    let p = Project::shipped();
    let (_outside, secret) = secret_outside("document.yaml");
    std::fs::remove_file(p.path(MARCH_TEXT)).unwrap();
    std::os::unix::fs::symlink(&secret, p.path(MARCH_TEXT)).unwrap();
    let d = only_error(&p);
    assert_eq!(d["code"], "outside-root", "{d:#?}");
    assert_eq!(d["file"], MARCH_TEXT);
    let out = p.run(&["build", "2023-03"]);
    assert_eq!(out.status.code(), Some(1));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("项目文件夹之外"), "{all}");
    assert!(!all.contains("SECRET"), "the outside file's content was shown: {all}");
    assert!(!p.path("out/2023-03/circular.pdf").exists());
}

#[cfg(unix)]
#[test]
fn a_symlinked_folder_pointing_outside_is_refused() {
    let p = Project::shipped();
    let outside = tempfile::tempdir().unwrap();
    util::copy_tree(&p.path("data/tables"), outside.path(), false);
    std::fs::write(outside.path().join("710.yaml"), "名称: SECRET\n").unwrap();
    std::fs::remove_dir_all(p.path("data/tables")).unwrap();
    std::os::unix::fs::symlink(outside.path(), p.path("data/tables")).unwrap();
    let d = only_error(&p);
    assert_eq!(d["code"], "outside-root", "{d:#?}");
    assert_eq!(d["file"], "data/tables");
    assert!(!d.to_string().contains("SECRET"), "{d}");

    // A month folder linked from outside is refused the same way.
    let p = Project::shipped();
    let month = tempfile::tempdir().unwrap();
    util::copy_tree(&p.path("data/2023-03"), month.path(), false);
    std::os::unix::fs::symlink(month.path(), p.path("data/2023-04")).unwrap();
    let d = only_error(&p);
    assert_eq!(
        (d["code"].as_str(), d["file"].as_str()),
        (Some("outside-root"), Some("data/2023-04"))
    );
}

#[test]
fn units_exist_only_in_their_time_and_go_by_the_name_of_the_time() {
    // Abolished (merged) before the month.
    let p = Project::march_only();
    p.edit(
        "data/units.yaml",
        "{名称: 区信访局, 类别: 区直部门}",
        "{名称: 区信访局, 类别: 区直部门, 撤销: 2023-01, 并入: 区政府办公室}",
    );
    let d = only_error(&p);
    assert_eq!(
        (d["code"].as_str(), d["file"].as_str()),
        (Some("unit-gone"), Some("data/2023-03/710.yaml")),
        "{d:#?}"
    );
    assert!(message(&d).contains("已于2023年1月撤销，并入“区政府办公室”"), "{d:#?}");

    // Set up after the month.
    let p = Project::march_only();
    p.edit(
        "data/units.yaml",
        "{名称: 区税务局, 类别: 驻区单位、企业}",
        "{名称: 区税务局, 类别: 驻区单位、企业, 设立: 2023-06}",
    );
    let d = only_error(&p);
    assert_eq!(d["code"], "unit-not-yet", "{d:#?}");
    assert!(message(&d).contains("于2023年6月设立"), "{d:#?}");

    // A former name used after the rename is an error; the unit's name then is printed before it.
    let p = Project::march_only();
    p.edit(
        "data/units.yaml",
        "{名称: 区卫生健康局, 类别: 区直部门}",
        "{名称: 区卫生健康局, 曾用名: [{名称: 区卫生和计划生育局, 至: 2019-02}], 类别: 区直部门}",
    );
    p.edit(
        "data/2023-03/710.yaml",
        "{单位: 区卫生健康局,",
        "{单位: 区卫生和计划生育局,",
    );
    let d = only_error(&p);
    assert_eq!(d["code"], "unit-renamed", "{d:#?}");
    assert!(message(&d).contains("已于2019年3月更名为“区卫生健康局”"), "{d:#?}");
    p.edit("data/units.yaml", "至: 2019-02", "至: 2023-03");
    let out = p.run(&["build", "2023-03"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = util::normalise(&util::pdftotext(&p.path("out/2023-03/circular.pdf")));
    assert!(
        text.contains("12区卫生和计划生育局77"),
        "the name of the time in 附件1: {text}"
    );

    // A required kind only asks for the units that exist in the month.
    let p = Project::march_only();
    p.edit(
        "data/units.yaml",
        "{名称: 南滩街道办事处, 类别: 镇、街道}",
        "{名称: 南滩街道办事处, 类别: 镇、街道, 撤销: 2023-03}",
    );
    for table in ["710", "12345", "portal"] {
        let path = format!("data/2023-03/{table}.yaml");
        let kept: Vec<String> = p
            .read(&path)
            .lines()
            .filter(|l| !l.contains("南滩街道办事处"))
            .map(String::from)
            .collect();
        p.write(&path, &(kept.join("\n") + "\n"));
    }
    p.edit(
        "data/2023-03/12345.yaml",
        "合计: {本月: 1164, 办结: 1164, 延期: 152, 重办: 53}",
        "",
    );
    let (code, errors) = p.errors();
    assert_eq!(code, 0, "{errors:#?}");
}
