//! `tongbao init`: a new office's project from a units file, which checks and builds at once
//! (its first month carries sample figures, marked 示例), with the office's name in the title and
//! the signature, the forges' CI files, a git repository and the hooks.

use std::path::Path;
use std::process::{Command, Output};

use crate::util::{output, pdftotext};

pub const OFFICE: &str = "某某市某某区人民政府办公室";

/// A units file as an office keeps it: a title row, then the header, a name and a kind a row.
pub fn units_csv(dir: &Path) -> std::path::PathBuf {
    let file = dir.join("单位名单.csv");
    std::fs::write(
        &file,
        "某某区单位名单,,,\n序号,单位名称,类别,别名\n1,东关镇人民政府,镇、街道,东关镇政府\n2,西门街道办事处,镇、街道,\n\
         3,南关街道办事处,镇、街道,\n,,,\n4,区政府办公室,区直部门,\n5,区财政局,区直部门,\n6,\"区自然资源局: 林业\",区直部门,\n\
         7,区税务局,驻区单位,\n",
    )
    .unwrap();
    file
}

pub fn tongbao(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tongbao"))
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap()
}

/// Asserts that the project at `project` checks clean (but for its sample figures) and builds a
/// circular of the office.
pub fn checks_and_builds(tongbao: impl Fn(&[&str]) -> Output, project: &Path, month: &str) {
    let root = project.to_str().unwrap();
    let out = tongbao(&["check", "--root", root]);
    assert_eq!(out.status.code(), Some(0), "{}", output(&out));
    // No problem but the one saying the figures are samples (they cannot be issued as they are).
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("检查完成：0 个错误，1 个警告")
            && output(&out).contains("[sample-figures]"),
        "only the sample figures' warning: {}",
        output(&out)
    );
    let out = tongbao(&["build", "--root", root]);
    assert_eq!(out.status.code(), Some(0), "{}", output(&out));
    let text = pdftotext(&project.join(format!("out/{month}/circular.pdf")));
    let flat: String = text.split_whitespace().collect();
    assert!(flat.contains(&format!("{OFFICE}关于")), "title: {text}");
    assert!(flat.contains("政务服务工作情况的通报"), "{text}");
    assert!(
        flat.contains("东关镇人民政府") && flat.contains("区税务局"),
        "units in the tables: {text}"
    );
    let signature = text.lines().filter(|l| l.trim() == OFFICE).count();
    assert!(signature >= 1, "the office signs it: {text}");
}

#[test]
fn init_makes_a_project_that_checks_and_builds_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let units = units_csv(dir.path());
    let out = tongbao(
        dir.path(),
        &[
            "init",
            "城中区通报",
            "--office",
            OFFICE,
            "--units",
            units.to_str().unwrap(),
            "--month",
            "2026-04",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", output(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("7 个单位") && said.contains("data/2026-04"), "{said}");
    let project = dir.path().join("城中区通报");
    let registry = std::fs::read_to_string(project.join("data/units.yaml")).unwrap();
    assert!(registry.contains("类别: [镇、街道, 区直部门, 驻区单位]"), "{registry}");
    assert!(
        registry.contains("{名称: 东关镇人民政府, 别名: [东关镇政府], 类别: 镇、街道}"),
        "{registry}"
    );
    assert!(
        registry.contains("{名称: \"区自然资源局: 林业\", 类别: 区直部门}"),
        "quoted: {registry}"
    );
    for file in [
        "tongbao.yaml",
        ".gitignore",
        ".github/workflows/tongbao.yml",
        ".gitea/workflows/tongbao.yml",
        ".gitlab-ci.yml",
        "data/tables/热线.yaml",
        "data/2026-04/通报.txt",
        "data/2026-04/document.yaml",
        "templates/gongwen.typ",
        "schemas/units.schema.json",
        "fonts/FandolFang-Regular.otf",
        "fonts/FandolFang-LICENSE.txt",
        ".git/hooks/pre-commit",
    ] {
        assert!(project.join(file).exists(), "{file} missing");
    }
    // Every template this tongbao ships.
    for entry in std::fs::read_dir(crate::util::repo().join("templates")).unwrap() {
        let name = entry.unwrap().file_name();
        assert!(project.join("templates").join(&name).exists(), "{name:?} not copied");
    }
    let sample = std::fs::read_to_string(project.join("data/2026-04/热线.yaml")).unwrap();
    assert!(sample.contains("示例数字"), "the sample figures say so: {sample}");
    let text = std::fs::read_to_string(project.join("data/2026-04/通报.txt")).unwrap();
    assert!(text.starts_with("{# 示例"), "{text}");
    checks_and_builds(|a| tongbao(dir.path(), a), &project, "2026-04");

    // The next month starts from it with every figure 待填, as for any office.
    let out = tongbao(&project, &["new"]);
    assert_eq!(out.status.code(), Some(0), "{}", output(&out));
    assert!(
        std::fs::read_to_string(project.join("data/2026-05/热线.yaml"))
            .unwrap()
            .contains("待填")
    );

    // A second init into the same folder is refused and changes nothing.
    let before = std::fs::read_to_string(project.join("data/units.yaml")).unwrap();
    let out = tongbao(
        dir.path(),
        &[
            "init",
            "城中区通报",
            "--office",
            "另一个办公室",
            "--units",
            units.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", output(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("不会覆盖"));
    assert_eq!(
        std::fs::read_to_string(project.join("data/units.yaml")).unwrap(),
        before
    );
}

#[test]
fn init_reads_a_spreadsheet_and_refuses_a_bad_units_file_at_its_cell() {
    let dir = tempfile::tempdir().unwrap();
    let xlsx = dir.path().join("units.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in [
        ["单位", "类型"],
        ["甲镇人民政府", "镇"],
        ["乙街道办事处", "街道"],
        ["区教育局", "部门"],
    ]
    .iter()
    .enumerate()
    {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    book.save(&xlsx).unwrap();
    let out = tongbao(
        dir.path(),
        &[
            "init",
            "p",
            "--office",
            OFFICE,
            "--units",
            xlsx.to_str().unwrap(),
            "--month",
            "2025-12",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", output(&out));
    let project = dir.path().join("p");
    assert!(
        std::fs::read_to_string(project.join("data/units.yaml"))
            .unwrap()
            .contains("类别: [镇, 街道, 部门]")
    );
    let out = tongbao(&project, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", output(&out));

    for (csv, says) in [
        ("名称,备注\n甲镇,x\n", "没有找到表头“名称”和“类别”"),
        ("名称,类别\n甲镇,镇\n乙镇,\n", "单元格 B3：“乙镇”没有类别"),
        ("名称,类别\n甲镇,镇\n甲镇,镇\n", "单元格 A3：单位“甲镇”出现了两次"),
        ("名称,类别\n", "表头下面没有单位"),
    ] {
        let file = dir.path().join("bad.csv");
        std::fs::write(&file, csv).unwrap();
        let out = tongbao(
            dir.path(),
            &["init", "q", "--office", OFFICE, "--units", file.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(2), "{csv}: {}", output(&out));
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(says), "{csv}: {said}");
        assert!(!dir.path().join("q/data").exists(), "{csv}: nothing written");
    }
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, "名称,类别\n甲镇,镇\n").unwrap();
    let out = tongbao(
        dir.path(),
        &["init", "q", "--office", "某{{办公室", "--units", file.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", output(&out));
}

#[test]
fn init_asks_on_a_terminal_and_refuses_to_guess_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let units = units_csv(dir.path());
    // Not a terminal: what is missing is named, nothing is made.
    let out = tongbao(dir.path(), &["init", "x", "--units", units.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", output(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("缺少发文机关：请用 --office 给出"));
    assert!(!dir.path().join("x").exists());

    // On a terminal (util-linux `script`), each missing answer is asked for.
    let answers = format!("问答项目\n{OFFICE}\n{}\n", units.display());
    let line = format!("{} init --month 2026-01", env!("CARGO_BIN_EXE_tongbao"));
    let mut child = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs a terminal");
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(answers.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("新项目的文件夹：") && shown.contains("发文机关"),
        "{shown}"
    );
    let project = dir.path().join("问答项目");
    assert!(project.join("data/2026-01/通报.txt").exists(), "{shown}");
    let text = std::fs::read_to_string(project.join("data/2026-01/通报.txt")).unwrap();
    assert!(text.contains(&format!("\n{OFFICE}关于")), "{text}");
}
