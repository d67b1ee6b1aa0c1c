//! Fonts by role: the bundled stand-ins serve a fresh clone, an office's official face in fonts/
//! wins, the preference lists can be configured, and a character no font has is a warning.

use crate::util::{MARCH_TEXT, Project, laid_out, repo};

fn fonts_report(p: &Project) -> String {
    let out = p.run(&["fonts"]);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn stand_ins_serve_every_role_and_say_so() {
    let p = Project::shipped();
    let report = fonts_report(&p);
    for line in [
        "标题（小标宋）：Noto Serif CJK SC（fonts/NotoSerifCJKsc-Bold.otf；代用字体，未找到 方正小标宋简体",
        "正文（仿宋）：FandolFang（fonts/FandolFang-Regular.otf；代用字体，未找到 仿宋_GB2312",
        "一级标题（黑体）：Noto Sans CJK SC（fonts/NotoSansCJKsc-Regular.otf；代用字体",
        "二级标题（楷体）：WenKai GB2312（fonts/WenKaiGB2312-Regular.ttf；代用字体",
        "页码（宋体）：Noto Serif CJK SC（fonts/NotoSerifCJKsc-Regular.otf；代用字体",
        "西文与数字：Liberation Serif（fonts/LiberationSerif-Regular.ttf；代用字体",
    ] {
        assert!(report.contains(line), "missing {line:?} in\n{report}");
    }
    assert!(report.contains("许可"), "{report}");
}

#[test]
fn an_official_face_in_fonts_wins() {
    let p = Project::shipped();
    std::fs::copy(
        repo().join("tests/fixtures/FangSongGB2312-fixture.otf"),
        p.path("fonts/FangSongGB2312-fixture.otf"),
    )
    .unwrap();
    let report = fonts_report(&p);
    assert!(
        report.contains("正文（仿宋）：仿宋_GB2312（fonts/FangSongGB2312-fixture.otf；正式字体"),
        "{report}"
    );

    let layout = laid_out(&mut p.session(), "2023-03");
    let recipients: Vec<_> = layout.runs.iter().filter(|r| r.text.contains("总寨镇政府")).collect();
    assert!(recipients.iter().any(|r| r.family == "仿宋_GB2312"), "{recipients:#?}");
    // Characters the official face lacks fall back to the stand-in, never to tofu.
    assert!(layout.runs.iter().all(|r| r.missing.is_empty()));
    assert!(layout.runs.iter().any(|r| r.family == "FandolFang"));

    // The project's configuration can put the stand-in first again.
    p.write("tongbao.yaml", "字体:\n  正文: [FandolFang, 仿宋_GB2312]\n");
    let report = fonts_report(&p);
    assert!(report.contains("正文（仿宋）：FandolFang"), "{report}");
}

#[test]
fn configuration_mistakes_are_reported() {
    let p = Project::shipped();
    p.write("tongbao.yaml", "字体:\n  正问: [FandolFang]\n");
    let out = p.run(&["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("是否应为“正文”"), "{text}");
}

#[test]
fn a_character_no_font_has_is_a_warning_with_its_place() {
    let p = Project::shipped();
    p.edit(
        MARCH_TEXT,
        "一、“710”政务督办系统运行情况",
        "一、“710”政务督办系统运行情况𠀀",
    );
    let out = p.run(&["build", "2023-03", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let diags: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let d = diags.iter().find(|d| d["code"] == "glyph-missing").expect("warning");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["file"], MARCH_TEXT);
    assert!(d["message"].as_str().unwrap().contains("U+20000"));
}

#[test]
fn a_relative_root_finds_the_same_fonts() {
    // Run from the project's parent with `--root <name>`: the fonts walked under fonts/ must pass
    // the inside-the-root test as they do with an absolute root.
    let p = Project::shipped();
    let parent = p.root().parent().unwrap();
    let name = p.root().file_name().unwrap().to_str().unwrap();
    let out = crate::util::git::tongbao_in(parent, &["build", "2023-03", "--root", name]);
    let text = crate::util::output(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        !text.contains("font-missing") && !text.contains("没有可用的字体"),
        "{text}"
    );
    let report = crate::util::output(&crate::util::git::tongbao_in(parent, &["fonts", "--root", name]));
    assert!(
        report.contains("正文（仿宋）：FandolFang（fonts/FandolFang-Regular.otf"),
        "{report}"
    );
}

#[cfg(unix)]
#[test]
fn fonts_linked_from_outside_are_refused_and_said_so() {
    // fonts/ as a link to a folder outside the project: nothing in it is read, and the build
    // says why instead of only reporting missing fonts.
    let p = Project::shipped();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::rename(p.path("fonts"), elsewhere.path().join("fonts")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path().join("fonts"), p.path("fonts")).unwrap();
    let out = p.run(&["build", "2023-03"]);
    let text = crate::util::output(&out);
    assert!(
        text.contains("警告[outside-root]：fonts/ 中有") && text.contains("指向项目文件夹之外"),
        "{text}"
    );
}
