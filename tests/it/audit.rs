//! `diff`, `log` and `blame` report exactly the changes of scripted commits: figures, a unit
//! renamed in the registry (one change), a moved row (no figure changes), prose.

use crate::util::git::{Repo, git};
use crate::util::replace_in;

fn json(repo: &Repo, args: &[&str]) -> serde_json::Value {
    let out = repo.tongbao(args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

struct History {
    repo: Repo,
    commits: Vec<String>,
}

fn history() -> History {
    let repo = Repo::new();
    let mut commits = vec![git(repo.path(), &["rev-parse", "HEAD"])];
    let t = "data/2023-03/12345.yaml";
    // Two edits in one commit: the row here, the 合计 in commit_edit.
    replace_in(
        &repo.path().join(t),
        "{单位: 总寨镇政府, 本月: 71, 办结: 71,",
        "{单位: 总寨镇政府, 本月: 80, 办结: 80,",
    );
    commits.push(repo.commit_edit(
        t,
        "合计: {本月: 1164, 办结: 1164",
        "合计: {本月: 1173, 办结: 1173",
        "更正总寨镇热线数据",
    ));
    commits.push(repo.commit_edit(
        "data/units.yaml",
        "{名称: 区自然资源和林业局, 别名: [区自然资源局]",
        "{名称: 区自然资源和林草局, 别名: [区自然资源和林业局, 区自然资源局]",
        "区自然资源和林业局更名",
    ));
    // Swap two rows of the 710 table.
    let text = repo.read("data/2023-03/710.yaml");
    let a = text
        .lines()
        .find(|l| l.contains("{单位: 区财政局"))
        .unwrap()
        .to_string();
    let b = text
        .lines()
        .find(|l| l.contains("{单位: 区教育局"))
        .unwrap()
        .to_string();
    repo.write(
        "data/2023-03/710.yaml",
        &text.replace(&a, "@@A@@").replace(&b, &a).replace("@@A@@", &b),
    );
    git(repo.path(), &["commit", "--quiet", "-am", "调整附件1行序"]);
    commits.push(git(repo.path(), &["rev-parse", "HEAD"]));
    commits.push(repo.commit_edit(
        "data/2023-03/通报.txt",
        "满意率较低",
        "满意率仍然较低",
        "修改热线分析措辞",
    ));
    History { repo, commits }
}

#[test]
fn diff_names_each_changed_figure_and_nothing_else() {
    let h = history();
    let d = json(&h.repo, &["diff", &h.commits[0], &h.commits[1], "--format", "json"]);
    assert!(d["registry"].as_array().unwrap().is_empty());
    assert!(d["texts"].as_array().unwrap().is_empty());
    let tables = d["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 1);
    assert_eq!(
        (tables[0]["month"].as_str(), tables[0]["table"].as_str()),
        (Some("2023-03"), Some("12345"))
    );
    let figures: Vec<(String, String, u64, u64)> = tables[0]["figures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["unit"].as_str().unwrap().into(),
                f["key"].as_str().unwrap().into(),
                f["old"].as_u64().unwrap(),
                f["new"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        figures,
        [
            ("总寨镇人民政府".into(), "本月".into(), 71, 80),
            ("总寨镇人民政府".into(), "办结".into(), 71, 80),
            ("合计".into(), "本月".into(), 1164, 1173),
            ("合计".into(), "办结".into(), 1164, 1173),
        ]
    );
}

#[test]
fn a_rename_is_one_change_and_a_moved_row_changes_no_figure() {
    let h = history();
    let d = json(&h.repo, &["diff", &h.commits[1], &h.commits[2], "--format", "json"]);
    assert_eq!(
        d["registry"],
        serde_json::json!([{"change": "renamed", "from": "区自然资源和林业局", "to": "区自然资源和林草局"}])
    );
    assert!(
        d["tables"].as_array().unwrap().is_empty(),
        "the rename changed no figure: {d}"
    );

    let d = json(&h.repo, &["diff", &h.commits[2], &h.commits[3], "--format", "json"]);
    let tables = d["tables"].as_array().unwrap();
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0]["reordered"], true);
    assert!(tables[0]["figures"].as_array().unwrap().is_empty());
    assert!(tables[0]["added"].as_array().unwrap().is_empty() && tables[0]["removed"].as_array().unwrap().is_empty());

    let d = json(
        &h.repo,
        &["diff", &h.commits[3], &h.commits[4], "2023-03", "--format", "json"],
    );
    let texts = d["texts"].as_array().unwrap();
    assert_eq!(texts.len(), 1);
    // The changed paragraph, by file and line, as prose with the change marked inside it.
    assert_eq!(texts[0]["key"], "通报.txt 第12行");
    assert!(texts[0]["inline"].as_str().unwrap().contains("满意率{+仍然+}较低"));

    // Over the whole range, in people's terms.
    let out = h.repo.tongbao(&["diff", &h.commits[0]]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("改名  区自然资源和林业局 → 区自然资源和林草局"), "{text}");
    assert!(text.contains("总寨镇人民政府  本月投诉    71 → 80"), "{text}");
    assert!(text.contains("单位顺序有调整"), "{text}");
}

fn commits_of(log: &serde_json::Value) -> Vec<&str> {
    log.as_array()
        .unwrap()
        .iter()
        .map(|e| e["commit"].as_str().unwrap())
        .collect()
}

#[test]
fn log_follows_a_unit_across_its_rename() {
    let h = history();
    let log = json(&h.repo, &["log", "--unit", "区自然资源和林草局", "--format", "json"]);
    assert_eq!(commits_of(&log), [h.commits[2].as_str(), h.commits[0].as_str()]);
    assert_eq!(log[0]["author"], "张三");
    assert_eq!(log[0]["message"], "区自然资源和林业局更名");

    let log = json(&h.repo, &["log", "2023-03", "--table", "12345", "--format", "json"]);
    assert_eq!(commits_of(&log), [h.commits[1].as_str(), h.commits[0].as_str()]);
}

#[test]
fn blame_names_who_set_a_figure_and_its_earlier_values() {
    let h = history();
    let b = json(
        &h.repo,
        &["blame", "2023-03", "12345", "总寨镇政府", "本月", "--format", "json"],
    );
    let values: Vec<(&str, u64)> = b
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["commit"].as_str().unwrap(), e["value"].as_u64().unwrap()))
        .collect();
    assert_eq!(values, [(h.commits[1].as_str(), 80), (h.commits[0].as_str(), 71)]);
    let out = h
        .repo
        .tongbao(&["blame", "2023-03", "12345", "总寨镇人民政府", "本月投诉"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("= 80") && text.contains("更正总寨镇热线数据") && text.contains("张三"),
        "{text}"
    );
    assert_eq!(
        h.repo
            .tongbao(&["blame", "2023-03", "12345", "不存在的单位", "本月"])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn bad_revisions_are_reported() {
    let h = history();
    let out = h.repo.tongbao(&["diff", "no-such-rev"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("找不到版本“no-such-rev”"));
}

#[test]
fn log_and_blame_follow_a_unit_by_a_former_name() {
    let h = history();
    // The registry records that 区卫生健康局 was 区卫生和计划生育局 until 2019; a figure of it changes.
    h.repo.commit_edit(
        "data/units.yaml",
        "{名称: 区卫生健康局, 类别: 区直部门}",
        "{名称: 区卫生健康局, 曾用名: [{名称: 区卫生和计划生育局, 至: 2019-02}], 类别: 区直部门}",
        "登记区卫生健康局的曾用名",
    );
    let changed = h.repo.commit_edit(
        "data/2023-03/12345.yaml",
        "{单位: 区卫生健康局, 本月: 23, 办结: 23,",
        "{单位: 区卫生健康局, 本月: 24, 办结: 24,",
        "更正区卫生健康局数据",
    );
    let log = json(&h.repo, &["log", "--unit", "区卫生和计划生育局", "--format", "json"]);
    assert_eq!(commits_of(&log).first().copied(), Some(changed.as_str()), "{log:#}");
    let b = json(
        &h.repo,
        &[
            "blame",
            "2023-03",
            "12345",
            "区卫生和计划生育局",
            "本月",
            "--format",
            "json",
        ],
    );
    assert_eq!(b[0]["value"], 24, "{b:#}");
}

/// The history commands name a table as `import` does: its 简称, its id or its file name.
#[test]
fn history_commands_take_a_tables_short_name_or_file_name() {
    let h = history();
    let by = |table: &str| {
        let blame = json(
            &h.repo,
            &["blame", "2023-03", table, "总寨镇政府", "本月", "--format", "json"],
        );
        let log = json(&h.repo, &["log", "--table", table, "--format", "json"]);
        let diff = json(
            &h.repo,
            &[
                "diff",
                &h.commits[0],
                &h.commits[1],
                "--table",
                table,
                "--format",
                "json",
            ],
        );
        (blame, log, diff)
    };
    let (blame, log, diff) = by("12345");
    assert_eq!(blame.as_array().unwrap().len(), 2, "{blame:#}");
    assert!(!commits_of(&log).is_empty(), "{log:#}");
    assert_eq!(diff["tables"].as_array().unwrap().len(), 1, "{diff:#}");
    for name in ["热线", "12345.yaml"] {
        assert_eq!(by(name), (blame.clone(), log.clone(), diff.clone()), "{name}");
    }
    // Another table's name selects that table only.
    let other = json(
        &h.repo,
        &[
            "diff",
            &h.commits[0],
            &h.commits[1],
            "--table",
            "督办",
            "--format",
            "json",
        ],
    );
    assert!(other["tables"].as_array().unwrap().is_empty(), "{other:#}");
    // A short name given later names the table in the months before it too (resolved against
    // the current description).
    h.repo
        .commit_edit("data/tables/12345.yaml", "简称: 热线", "简称: 市民热线", "热线表改简称");
    let blame_now = json(
        &h.repo,
        &["blame", "2023-03", "市民热线", "总寨镇政府", "本月", "--format", "json"],
    );
    assert_eq!(blame_now, blame, "{blame_now:#}");
    let log_now = json(&h.repo, &["log", "--table", "市民热线", "--format", "json"]);
    assert_eq!(commits_of(&log_now), commits_of(&log), "{log_now:#}");
    // A name that is no table is refused, listing the tables, instead of finding nothing.
    for args in [
        &["log", "--table", "热线平台"][..],
        &["blame", "2023-03", "热线平台", "总寨镇政府", "本月"],
        &["diff", "HEAD~1", "--table", "热线平台"],
    ] {
        let out = h.repo.tongbao(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(
            said.contains("没有名为“热线平台”的表") && said.contains("热线（12345.yaml）"),
            "{said}"
        );
    }
}

/// `blame` and `log` name each issued edition of the month: its date, the reason of a revision,
/// and what each edition printed for the figure.
#[test]
fn blame_and_log_show_what_each_issued_edition_printed() {
    let repo = crate::util::git::Repo::new();
    let t = "data/2023-03/12345.yaml";
    let issue = |args: &[&str]| {
        let out = repo.tongbao(args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        git(repo.path(), &["add", "-A"]);
        git(repo.path(), &["commit", "--quiet", "-m", "发布"]);
    };
    issue(&["issue", "2023-03"]);
    replace_in(
        &repo.path().join(t),
        "{单位: 总寨镇政府, 本月: 71, 办结: 71,",
        "{单位: 总寨镇政府, 本月: 80, 办结: 80,",
    );
    repo.commit_edit(
        t,
        "合计: {本月: 1164, 办结: 1164",
        "合计: {本月: 1173, 办结: 1173",
        "更正总寨镇热线数据",
    );
    issue(&["issue", "2023-03", "--revise", "更正总寨镇工单数"]);
    let out = repo.tongbao(&["blame", "2023-03", "热线", "总寨镇政府", "本月"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    let editions: Vec<&str> = said
        .lines()
        .skip_while(|l| !l.starts_with("发布的版次"))
        .skip(1)
        .collect();
    assert_eq!(editions.len(), 2, "{said}");
    assert!(editions[0].contains("第1版") && editions[0].contains("印 71"), "{said}");
    assert!(
        editions[1].contains("第2版")
            && editions[1].contains("印 80")
            && editions[1].contains("更正：更正总寨镇工单数"),
        "{said}"
    );
    let out = repo.tongbao(&["log", "2023-03"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("2023-03 发布的版次") && said.contains("第2版"), "{said}");
}
