//! The month as a clerk lives it (issue 29): a draft from the first minute, nothing unfinished
//! passed off as the circular.

use crate::util::{Project, normalise, output, pdftotext};

/// A month just made by `new` is a draft at once: every page laid out, each figure not known yet a
/// placeholder (never a partial sum), the draft marked on its pages and written beside the
/// circular's files, never as them.
#[test]
fn a_new_month_is_a_draft_from_the_first_minute() {
    let p = Project::march_only();
    assert!(p.run(&["new"]).status.success());
    let out = p.run(&["build", "2023-04", "--draft"]);
    assert!(out.status.success(), "{}", output(&out));
    let said = output(&out);
    assert!(
        said.contains("草稿：") && said.contains("处待填") && said.contains("out/2023-04/draft.pdf"),
        "{said}"
    );
    assert!(
        !p.path("out/2023-04/circular.pdf").exists(),
        "a draft is never the circular's PDF"
    );
    let text = normalise(&pdftotext(&p.path("out/2023-04/draft.pdf")));
    for placeholder in ["【待填:热线.本月】", "【待填:成文日期】", "【待填】"] {
        assert!(text.contains(placeholder), "{placeholder}: {text}");
    }
    assert!(
        text.contains("草稿:") && text.contains("处待填"),
        "the draft says so on its pages: {text}"
    );
    // One unit's figures filled: its row prints them; the total and the sentences over the
    // column stay placeholders (a partial sum would be a wrong figure).
    let file = p.read("data/2023-04/12345.yaml");
    let row = file.lines().find(|l| l.contains("{单位: 总寨镇政府")).unwrap();
    p.write(
        "data/2023-04/12345.yaml",
        &file.replace(row, "  - {单位: 总寨镇政府, 本月: 77, 办结: 76, 延期: 5, 重办: 3}"),
    );
    assert!(p.run(&["build", "2023-04", "--draft"]).status.success());
    let text = normalise(&pdftotext(&p.path("out/2023-04/draft.pdf")));
    assert!(text.contains("总寨镇人民政府777653"), "the filled row: {text}");
    assert!(text.contains("【待填:热线.本月】"), "{text}");
    let total = &text[text.rfind("合计").unwrap()..];
    assert!(total.starts_with("合计【待填】"), "{total}");
    // The circular itself is refused while anything is unfinished, and not written.
    let out = p.run(&["build", "2023-04"]);
    assert!(!out.status.success());
    assert!(!p.path("out/2023-04/circular.pdf").exists());
}

/// A project made by `tongbao init` from a units list, its first month 2026-04 (sample figures):
/// the folder holding it, and the project.
fn initialised() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let units = crate::init::units_csv(dir.path());
    let units = units.to_str().unwrap();
    let args = [
        "init",
        "q",
        "--office",
        "某区人民政府办公室",
        "--units",
        units,
        "--month",
        "2026-04",
    ];
    assert!(crate::init::tongbao(dir.path(), &args).status.success());
    let q = dir.path().join("q");
    (dir, q)
}

/// Issue readiness is one rule: `check --ready` lists exactly what `issue` refuses for — any
/// error or 待填, the sample figures `init` made, a warning of a kind the office declares
/// blocking — each at its place.
#[test]
fn nothing_unfinished_or_invented_can_be_issued() {
    // A project just made by init: sample figures, checked and built, never issued.
    let (_dir, q) = initialised();
    let run = |args: &[&str]| crate::init::tongbao(&q, args);
    assert!(run(&["check"]).status.success(), "sample figures check");
    let out = run(&["check", "--ready", "2026-04", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", output(&out));
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.len(), 1, "{listed:#?}");
    assert_eq!(
        (&listed[0]["code"], &listed[0]["severity"], &listed[0]["file"]),
        (
            &"sample-figures".into(),
            &"error".into(),
            &"data/2026-04/document.yaml".into()
        )
    );
    let out = run(&["issue", "2026-04"]);
    assert_eq!(out.status.code(), Some(1), "{}", output(&out));
    assert!(output(&out).contains("示例"), "{}", output(&out));
    assert!(!q.join("data/2026-04/issued.pdf").exists());
    // Once the figures are real (the line removed), the month is ready.
    let doc = std::fs::read_to_string(q.join("data/2026-04/document.yaml")).unwrap();
    std::fs::write(
        q.join("data/2026-04/document.yaml"),
        doc.replace("示例数字: true\n", ""),
    )
    .unwrap();
    let out = run(&["check", "--ready", "2026-04"]);
    assert!(out.status.success(), "{}", output(&out));
    assert!(output(&out).contains("2026-04 可以发布"), "{}", output(&out));

    // A warning of a kind the office declares blocking, and 待填.
    let p = Project::march_only();
    let (_, warnings) = p.check();
    let kind = warnings[0]["code"].as_str().unwrap().to_string();
    assert!(p.run(&["check", "--ready", "2023-03"]).status.success());
    p.write("tongbao.yaml", &format!("发布前须解决: [{kind}]\n"));
    let out = p.run(&["check", "--ready", "2023-03", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        !listed.is_empty()
            && listed
                .iter()
                .all(|d| d["code"] == kind.as_str() && d["severity"] == "error")
    );
    assert!(listed[0]["message"].as_str().unwrap().starts_with("发布前须解决："));
    let out = p.run(&["issue", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", output(&out));
    assert!(output(&out).contains("发布前须解决"), "{}", output(&out));
    // A name that is no code is an error at its place.
    p.write("tongbao.yaml", "发布前须解决: [没有这种警告]\n");
    let out = p.run(&["check", "2023-03", "--format", "json"]);
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        listed
            .iter()
            .any(|d| d["file"] == "tongbao.yaml" && d["message"].as_str().unwrap().contains("没有这种警告"))
    );
    p.write("tongbao.yaml", "");
    assert!(p.run(&["new"]).status.success());
    let out = p.run(&["check", "--ready", "2023-04"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(output(&out).contains("还不能发布"), "{}", output(&out));
}

/// `new` carries only the tables the month will use, keeps comments as written, and says at once
/// what is wrong with the month it made; `check` lists warnings even when errors are cut off.
#[test]
fn new_carries_what_the_month_uses_and_warns_at_once() {
    let p = Project::shipped();
    // 2024-01 uses the hotline and the portal; 710 was last used in 2023-08.
    let out = p.run(&["new"]);
    assert!(out.status.success(), "{}", output(&out));
    let mut made: Vec<String> = std::fs::read_dir(p.path("data/2024-02"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    made.sort();
    assert_eq!(made, ["12345.yaml", "document.yaml", "portal.yaml", "通报.txt"]);
    // A comment's month is the clerk's note: kept as written.
    let comment = p.read("data/2024-01/12345.yaml").lines().nth(1).unwrap().to_string();
    assert!(comment.contains("2024年1月"));
    assert!(
        p.read("data/2024-02/12345.yaml").contains(&comment),
        "{}",
        p.read("data/2024-02/12345.yaml")
    );
    // A month inside a later month's period: said by `new` itself.
    let out = p.run(&["new", "2023-10"]);
    assert!(out.status.success());
    let said = output(&out);
    assert!(
        said.contains("警告[period-overlap]") && said.contains("2023-10"),
        "{said}"
    );
    // Far more than twenty errors (every 待填), and still the warnings are listed.
    let out = p.run(&["check", "2023-10"]);
    let said = String::from_utf8_lossy(&out.stderr);
    let errors = said.matches("错误[").count();
    assert_eq!(errors, 20, "{said}");
    assert!(said.contains("警告["), "warnings not buried: {said}");
    assert!(said.contains("个错误、") || said.contains("另有"), "{said}");
}

/// A change to an issued month is refused in the circular's terms: the figure by table, unit and
/// column, old → new; the advice names the file to undo and the revision; the issue record's own
/// files are never called changes, and a text that no longer parses does not make other months'
/// files "deleted".
#[test]
fn a_change_to_an_issued_month_is_named_as_diff_names_it() {
    use crate::util::git::{Repo, git};
    let repo = Repo::new();
    let out = repo.tongbao(&["issue", "2023-03"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "--quiet", "-m", "发布2023年3月通报"]);
    let t = "data/2023-03/12345.yaml";
    crate::util::replace_in(
        &repo.path().join(t),
        "{单位: 区教育局, 本月: ",
        "{单位: 区教育局, 本月: 9",
    );
    let out = repo.tongbao(&["check", "2023-03", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let diags: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let refusal = diags.iter().find(|d| d["code"] == "issued-changed").expect("refused");
    let message = refusal["message"].as_str().unwrap();
    assert!(
        message.contains(t) && !message.contains("issued.pdf") && !message.contains("issued.yaml"),
        "{message}"
    );
    assert!(message.contains("区教育局") && message.contains("→ 9"), "{message}");
    let help = refusal["help"].as_str().unwrap();
    assert!(
        help.contains(&format!("git checkout -- {t}")) && help.contains("--revise"),
        "{help}"
    );
    // A text that no longer parses: only that file is named, no month's files "deleted".
    crate::util::replace_in(
        &repo.path().join(t),
        "{单位: 区教育局, 本月: 9",
        "{单位: 区教育局, 本月: ",
    );
    crate::util::replace_in(
        &repo.path().join("data/2023-03/通报.txt"),
        "{{ 热线.本月 }}",
        "{{ 热线.本月 ",
    );
    let out = repo.tongbao(&["check", "2023-03", "--format", "json"]);
    let diags: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let message = diags.iter().find(|d| d["code"] == "issued-changed").unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("data/2023-03/通报.txt（已修改）"), "{message}");
    assert!(!message.contains("已删除") && !message.contains("新增"), "{message}");
}

/// Spreadsheets as clerks lay them out: a 类别 merged down its group names each unit of it; a 合计
/// row (its label merged across 序号 and 单位) may leave the averaged columns blank; a figure
/// merged over two units is refused with the merge named.
#[test]
fn spreadsheets_as_clerks_lay_them_out() {
    use rust_xlsxwriter::{Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    // The units list, 类别 merged down each group.
    let units = dir.path().join("单位名单.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let plain = Format::new();
    sheet.merge_range(0, 0, 0, 2, "某区单位名单", &plain).unwrap();
    for (c, h) in ["序号", "单位名称", "类别"].iter().enumerate() {
        sheet.write(1, c as u16, *h).unwrap();
    }
    let names = [
        "东关镇人民政府",
        "西门街道办事处",
        "南关街道办事处",
        "区政府办公室",
        "区财政局",
    ];
    for (i, n) in names.iter().enumerate() {
        sheet.write(2 + i as u32, 0, (i + 1) as f64).unwrap();
        sheet.write(2 + i as u32, 1, *n).unwrap();
    }
    sheet.merge_range(2, 2, 4, 2, "镇、街道", &plain).unwrap();
    sheet.merge_range(5, 2, 6, 2, "区直部门", &plain).unwrap();
    book.save(&units).unwrap();
    let args = [
        "init",
        "q",
        "--office",
        "某区人民政府办公室",
        "--units",
        units.to_str().unwrap(),
        "--month",
        "2026-04",
    ];
    let out = crate::init::tongbao(dir.path(), &args);
    assert!(out.status.success(), "{}", output(&out));
    let registry = std::fs::read_to_string(dir.path().join("q/data/units.yaml")).unwrap();
    assert!(
        registry.contains("{名称: 南关街道办事处, 类别: 镇、街道}"),
        "{registry}"
    );
    assert!(registry.contains("{名称: 区财政局, 类别: 区直部门}"), "{registry}");

    // The hotline's January export: a 合计 row that gives no average.
    let p = Project::shipped();
    let month = p.read("data/2024-01/12345.yaml");
    let rows: Vec<Vec<String>> = month
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix("- {单位: "))
        .map(|l| {
            l.trim_end_matches('}')
                .split(", ")
                .map(|c| c.rsplit(": ").next().unwrap().to_string())
                .collect()
        })
        .collect();
    let keys = ["单位", "本月", "办结", "延期", "重办", "满意率", "平均用时"];
    let export = |merged_figure: bool| {
        let file = dir.path().join("热线.xlsx");
        let mut book = Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write(0, 0, "序号").unwrap();
        for (c, k) in keys.iter().enumerate() {
            sheet.write(0, c as u16 + 1, *k).unwrap();
        }
        for (i, row) in rows.iter().enumerate() {
            let r = 1 + i as u32;
            sheet.write(r, 0, (i + 1) as f64).unwrap();
            sheet.write(r, 1, row[0].as_str()).unwrap();
            for (c, v) in row.iter().enumerate().skip(1) {
                sheet.write(r, c as u16 + 1, v.parse::<f64>().unwrap()).unwrap();
            }
        }
        if merged_figure {
            // 延期 of the first two units as one merged cell.
            sheet.merge_range(1, 4, 2, 4, &rows[0][3], &Format::new()).unwrap();
        }
        let total = 1 + rows.len() as u32;
        sheet.merge_range(total, 0, total, 1, "合计", &Format::new()).unwrap();
        for c in 1..=4 {
            let sum: f64 = rows.iter().map(|r| r[c].parse::<f64>().unwrap()).sum();
            sheet.write(total, c as u16 + 1, sum).unwrap();
        }
        book.save(&file).unwrap();
        file
    };
    let file = export(false);
    let out = p.run(&["import", "热线", file.to_str().unwrap(), "--month", "2024-01"]);
    assert!(out.status.success(), "{}", output(&out));
    assert!(output(&out).contains("合计行：已核对"), "{}", output(&out));
    let file = export(true);
    let out = p.run(&["import", "热线", file.to_str().unwrap(), "--month", "2024-01"]);
    assert!(!out.status.success());
    assert!(output(&out).contains("合并单元格 E2:E3"), "{}", output(&out));
}

/// Smaller points: the build's font report is one line unless asked for (or a role has no face);
/// a missing file to import is a slip on the command line (exit 2).
#[test]
fn the_build_says_little_and_a_missing_file_is_a_usage_error() {
    let p = Project::march_only();
    let out = p.run(&["build", "2023-03"]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        said.contains("字体：6 个角色中 6 个用了代用字体（tongbao fonts 查看详情）"),
        "{said}"
    );
    assert!(!said.contains("FandolFang"), "{said}");
    let out = p.run(&["build", "2023-03", "--timings"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("正文（仿宋）：FandolFang"));
    let out = p.run(&["import", "热线", "没有这个文件.xlsx"]);
    assert_eq!(out.status.code(), Some(2), "{}", output(&out));
    assert!(output(&out).contains("找不到要导入的文件"), "{}", output(&out));
}

/// One reading of a number for the month's files and for `import`: `71件` and full-width digits
/// are read as 71 by both, each with the same warning.
#[test]
fn a_number_is_read_one_way_with_one_message() {
    let p = Project::march_only();
    p.edit(
        "data/2023-03/12345.yaml",
        "{单位: 总寨镇政府, 本月: 71,",
        "{单位: 总寨镇政府, 本月: 71件,",
    );
    let (code, diags) = p.check();
    assert_eq!(code, 0, "{diags:#?}");
    let said = |diags: &[serde_json::Value]| {
        diags
            .iter()
            .filter_map(|d| d["message"].as_str())
            .find(|m| m.contains("按 71 读入"))
            .map(str::to_string)
    };
    let in_yaml = said(&diags).expect("a warning for 71件");
    assert!(in_yaml.contains("“71件”按 71 读入（去掉量词“件”）"), "{in_yaml}");
    // The same figure in a spreadsheet: the same reading, the same words.
    let mut csv = String::from("单位,本月投诉,办结投诉,延期数,重办条数\n总寨镇政府,71件,71,4,4\n");
    for t in &crate::util::TOWNS[1..] {
        csv.push_str(&format!("{t},１０,10,0,0\n"));
    }
    let file = p.path("热线.csv");
    std::fs::write(&file, csv).unwrap();
    let out = p.run(&["import", "热线", file.to_str().unwrap()]);
    let text = output(&out);
    assert!(text.contains("“71件”按 71 读入（去掉量词“件”）"), "{text}");
    assert!(text.contains("“１０”按 10 读入（全角数字改为半角）"), "{text}");
}

/// The staff guide's month, end to end, as a clerk lives it: init → new → a draft at once →
/// import the systems' exports → fill what is left → check --ready → issue → a correction
/// refused in the circular's terms → revise → blame names both editions.
#[test]
fn the_guides_month_end_to_end() {
    let (dir, q) = initialised();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tongbao"))
            .args(args)
            .current_dir(&q)
            .env("HOME", dir.path())
            .output()
            .unwrap()
    };
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=录入员", "-c", "user.email=clerk@example.org"])
            .args(args)
            .current_dir(&q)
            .env("HOME", dir.path())
            .env("TONGBAO", env!("CARGO_BIN_EXE_tongbao"))
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", output(&out));
    };
    git(&["add", "-A"]);
    git(&["commit", "--quiet", "-m", "建立项目"]);
    // The systems' exports: the first month's tables as a workbook.
    let out = run(&["export", "2026-04"]);
    assert!(out.status.success(), "{}", output(&out));
    let book = q.join("out/2026-04/附件.xlsx");
    // new: every figure 待填, and a draft at once.
    assert!(run(&["new"]).status.success());
    let out = run(&["build", "2026-05", "--draft"]);
    assert!(
        out.status.success() && output(&out).contains("处待填"),
        "{}",
        output(&out)
    );
    assert!(!q.join("out/2026-05/circular.pdf").exists());
    // import each table.
    for table in ["督办", "热线", "网站"] {
        let out = run(&["import", table, book.to_str().unwrap(), "--month", "2026-05"]);
        assert!(out.status.success(), "{table}: {}", output(&out));
    }
    // What import does not fill: the headlines and the date of issue.
    for table in ["督办", "热线", "网站"] {
        let file = |m: &str| q.join(format!("data/{m}/{table}.yaml"));
        let before = std::fs::read_to_string(file("2026-04")).unwrap();
        let headline = before.lines().find(|l| l.starts_with("概况:"));
        let now = std::fs::read_to_string(file("2026-05")).unwrap();
        let filled = match (headline, now.lines().find(|l| l.starts_with("概况:"))) {
            (Some(h), Some(blank)) => now.replace(blank, h),
            _ => now,
        };
        std::fs::write(file("2026-05"), filled).unwrap();
    }
    let text = std::fs::read_to_string(q.join("data/2026-05/通报.txt")).unwrap();
    std::fs::write(
        q.join("data/2026-05/通报.txt"),
        text.replace("\n待填\n", "\n2026年6月5日\n"),
    )
    .unwrap();
    // Ready, issued, committed.
    let out = run(&["check", "--ready", "2026-05"]);
    assert!(
        out.status.success() && output(&out).contains("2026-05 可以发布"),
        "{}",
        output(&out)
    );
    // Issued only from committed data: the circular must be reproducible from a commit.
    let out = run(&["issue", "2026-05"]);
    assert_eq!(out.status.code(), Some(1), "{}", output(&out));
    assert!(
        output(&out).contains("未提交的改动") && output(&out).contains("git add -A data/2026-05"),
        "{}",
        output(&out)
    );
    assert!(!q.join("data/2026-05/issued.pdf").exists());
    git(&["add", "-A"]);
    git(&["commit", "--quiet", "-m", "2026年5月数据"]);
    let out = run(&["issue", "2026-05"]);
    assert!(out.status.success(), "{}", output(&out));
    git(&["add", "-A"]);
    git(&["commit", "--quiet", "-m", "发布2026年5月通报"]);
    // A correction: refused in the circular's terms, then revised.
    let file = q.join("data/2026-05/热线.yaml");
    let table = std::fs::read_to_string(&file).unwrap();
    let row = table
        .lines()
        .find(|l| l.contains("{单位: 东关镇人民政府"))
        .unwrap()
        .to_string();
    let figure: String = row
        .split("受理: ")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let more = (figure.parse::<u64>().unwrap() + 1).to_string();
    std::fs::write(
        &file,
        table.replace(
            &row,
            &row.replacen(&format!("受理: {figure}"), &format!("受理: {more}"), 1),
        ),
    )
    .unwrap();
    let out = run(&["check", "2026-05"]);
    let said = output(&out);
    assert!(
        !out.status.success() && said.contains("东关镇人民政府") && said.contains(&format!("{figure} → {more}")),
        "{said}"
    );
    assert!(said.contains("--revise"), "{said}");
    let out = run(&["issue", "2026-05", "--revise", "更正东关镇受理数"]);
    assert!(out.status.success(), "{}", output(&out));
    git(&["add", "-A"]);
    git(&["commit", "--quiet", "-m", "更正2026年5月通报"]);
    let out = run(&["blame", "2026-05", "热线", "东关镇人民政府", "受理"]);
    let said = output(&out);
    assert!(
        said.contains("第1版") && said.contains(&format!("印 {figure}")),
        "{said}"
    );
    assert!(
        said.contains("第2版") && said.contains(&format!("印 {more}")) && said.contains("更正东关镇受理数"),
        "{said}"
    );
}

/// `issue --outputs ofd` keeps the OFD with the issued PDF (the configuration lists only the PDF).
#[test]
fn issue_keeps_the_outputs_it_is_asked_for() {
    let p = Project::march_only();
    let out = p.run(&["issue", "2023-03", "--outputs", "ofd"]);
    assert!(out.status.success(), "{}", output(&out));
    assert!(p.path("data/2023-03/issued.ofd").exists(), "{}", output(&out));
    assert!(p.read("data/2023-03/issued.yaml").contains("OFD摘要"));
    assert_eq!(p.errors().0, 0, "the issued month stays frozen with its OFD");
}

/// A rate the system exported is imported as stated (printed as the system said it, checked
/// against the computed one), not dropped.
#[test]
fn import_keeps_the_rates_the_system_stated() {
    let p = Project::march_only();
    let month = p.read("data/2023-03/portal.yaml");
    let mut csv = String::from("单位,邮箱报送数,审核表报送数,采纳数,采纳率\n");
    for row in month.lines().filter_map(|l| l.trim_start().strip_prefix("- {单位: ")) {
        let cells: Vec<&str> = row
            .split('}')
            .next()
            .unwrap()
            .split(", ")
            .map(|c| c.rsplit(": ").next().unwrap())
            .collect();
        // 总寨镇: 16 of 48, exported with two decimals.
        let rate = if cells[0] == "总寨镇政府" {
            "33.33%"
        } else {
            cells[4]
        };
        csv.push_str(&format!("{},{},{},{},{rate}\n", cells[0], cells[1], cells[2], cells[3]));
    }
    let file = p.path("网站.csv");
    std::fs::write(&file, csv).unwrap();
    let out = p.run(&["import", "网站", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", output(&out));
    assert!(!output(&out).contains("未使用的列：“采纳率”"), "{}", output(&out));
    let table = p.read("data/2023-03/portal.yaml");
    assert!(
        table.contains("{单位: 总寨镇人民政府, 邮箱: 48, 审核表: 48, 采纳: 16, 采纳率: 33.33%}"),
        "{table}"
    );
    let out = p.run(&["build", "2023-03"]);
    assert!(out.status.success(), "{}", output(&out));
    let text = normalise(&pdftotext(&p.path("out/2023-03/circular.pdf")));
    assert!(
        text.contains("总寨镇人民政府48481633.33%"),
        "printed as the system stated it: {text}"
    );
}
