//! The faults of real desks (issue 30): what git, editors and copy-paste leave in files, the
//! freeze of an issued circular on every path, reads that fail, outputs replaced together.

use crate::util::git::{Repo, git, git_output};
use crate::util::{Project, output};

const TEXT: &str = "data/2023-03/通报.txt";

fn said(out: &std::process::Output) -> String {
    output(out)
}

/// A merge that conflicts in 通报.txt leaves git's marks in it: `check`, `build` and the
/// pre-commit hook all refuse it, at the marker's line.
#[test]
fn conflict_markers_from_a_real_merge_are_refused_everywhere() {
    let repo = Repo::new();
    assert!(repo.tongbao(&["hooks", "install"]).status.success());
    let base = git(repo.path(), &["rev-parse", "HEAD"]);
    repo.commit_edit(TEXT, "有效发挥系统推动工作落实", "切实发挥系统推动工作落实", "我的改动");
    git(repo.path(), &["checkout", "--quiet", "-b", "other", &base]);
    repo.commit_edit(TEXT, "有效发挥系统推动工作落实", "充分发挥系统推动工作落实", "同事的改动");
    git(repo.path(), &["checkout", "--quiet", "main"]);
    let merged = git_output(repo.path(), &["merge", "other"]);
    assert!(!merged.status.success(), "the merge conflicts");
    let text = repo.read(TEXT);
    let line = text.lines().position(|l| l.starts_with("<<<<<<<")).unwrap() + 1;

    let out = repo.tongbao(&["check", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains(&format!("{TEXT}:{line}:1")) && said(&out).contains("合并冲突"),
        "{}",
        said(&out)
    );
    // (The hooks built the PDF after the last commit; it stays as it was.)
    let pdf = repo.path().join("out/2023-03/circular.pdf");
    let before = std::fs::read(&pdf).unwrap();
    let out = repo.tongbao(&["build", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert_eq!(std::fs::read(&pdf).unwrap(), before);

    // Staging the file as it is and committing: the hook refuses.
    git(repo.path(), &["add", TEXT]);
    let out = git_output(repo.path(), &["commit", "--no-edit"]);
    assert!(!out.status.success(), "the commit with markers went through: {}", said(&out));
    assert!(said(&out).contains("conflict-marker"), "{}", said(&out));
}

/// A zero-width space inside a unit name in the prose, and direction controls in a table, are
/// located errors naming the character.
#[test]
fn invisible_characters_are_located_errors() {
    let p = Project::march_only();
    let text = p.read(TEXT);
    let line = text.lines().position(|l| l.contains("如:{{ 热线.延期")).unwrap() + 1;
    p.write(TEXT, &text.replace("城中区{{ 月 }}月份", "城中\u{200B}区{{ 月 }}月份"));
    let error = crate::util::only_error(&p);
    assert_eq!(error["code"], "invisible-char", "{error}");
    assert_eq!(error["line"], line, "{error}");
    assert!(error["message"].as_str().unwrap().contains("U+200B（零宽空格）"), "{error}");

    let p = Project::march_only();
    p.edit("data/2023-03/12345.yaml", "南滩街道办事处", "南滩街道\u{202E}办事处");
    let error = crate::util::only_error(&p);
    assert_eq!(error["code"], "invisible-char", "{error}");
    assert_eq!(error["file"], "data/2023-03/12345.yaml", "{error}");
}

/// A file whose lines end in a lone carriage return (classic Mac) is refused naming the cause.
#[test]
fn lone_carriage_returns_name_the_cause() {
    let p = Project::march_only();
    let text = p.read("data/2023-03/document.yaml");
    p.write("data/2023-03/document.yaml", &text.replace('\n', "\r"));
    // (What the month then lacks, its attachments, is reported too.)
    let (code, errors) = p.errors();
    assert_eq!(code, 1);
    let error = errors.iter().find(|e| e["file"] == "data/2023-03/document.yaml").unwrap();
    assert_eq!(error["code"], "line-ends", "{error}");
    assert!(error["message"].as_str().unwrap().contains("回车符（CR）"), "{error}");
}

/// A template left with a conflict's marks fails the build naming the template, rather than
/// printing the marks.
#[test]
fn a_template_with_conflict_markers_fails_the_build() {
    let p = Project::march_only();
    let rel = "templates/gongwen.typ";
    let template = p.read(rel);
    p.write(rel, &format!("<<<<<<< HEAD\n{template}=======\n// 同事的版本\n>>>>>>> other\n"));
    let out = p.run(&["build", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("templates/gongwen.typ 第 1 行") && said(&out).contains("合并冲突"), "{}", said(&out));
}
