//! One owner for each piece of knowledge: `check` refuses exactly what `build` refuses (they run
//! the same functions up to Typst), the watcher follows every file a build reads, every file is
//! read and written through the project's gates, and every command parses a month the same way.

use crate::util::watch::Watch;
use crate::util::{MARCH_TEXT, Project, output, pdftotext};

/// `check`'s errors (exit code and codes) and whether `build` made the PDF, for the same project.
fn check_and_build(p: &Project, month: &str) -> (i32, Vec<serde_json::Value>, bool, String) {
    let (code, errors) = p.errors();
    let _ = std::fs::remove_file(p.path(&format!("out/{month}/circular.pdf")));
    let out = p.run(&["build", month]);
    let built = out.status.success() && p.path(&format!("out/{month}/circular.pdf")).exists();
    (code, errors, built, output(&out))
}

/// Every one of these is refused by `check` with an error at its place in 通报.txt, and by `build`
/// with the same error, before anything is written.
#[test]
fn check_refuses_exactly_the_expressions_build_refuses() {
    let cases = [
        (
            "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}",
            "{%",
        ),
        ("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "{%"),
        ("{{ \"x\" * 1000000000 }}", "\"x\""),
        ("{% include \"../../etc/passwd\" %}", "{%"),
        ("{% import \"gongwen.typ\" as g %}", "{%"),
        ("{% extends \"circular.typ.j2\" %}", "{%"),
        ("{{ 网站.采纳率 | 四舍五入(100000) }}", "100000"),
        ("{{ 热线.延期 | 最多(-1) }}", "-1"),
        ("{{ 热线.本月 + 1 }}", "+"),
        ("{% if 热线.本月 %}多{% endif %}", "{%"),
        ("{% if", "{%"),
        ("{{ range(10) }}", "("),
        ("{{ 热线.本月 | 较上月(1) }}", "1"),
    ];
    for (expr, pointed) in cases {
        let p = Project::shipped();
        p.edit(MARCH_TEXT, "现将{{ 期间 }}份", &format!("现将{expr}{{{{ 期间 }}}}份"));
        let (code, errors, built, said) = check_and_build(&p, "2023-03");
        assert_eq!(code, 1, "{expr}: check accepted it");
        assert!(!built, "{expr}: build made a PDF\n{said}");
        let d = errors
            .iter()
            .find(|d| d["file"] == MARCH_TEXT)
            .unwrap_or_else(|| panic!("{expr}: no error in the text: {errors:#?}"));
        let line = p
            .read(MARCH_TEXT)
            .lines()
            .nth(d["line"].as_u64().unwrap() as usize - 1)
            .unwrap()
            .to_string();
        let at: String = line.chars().skip(d["column"].as_u64().unwrap() as usize - 1).collect();
        assert!(at.starts_with(pointed), "{expr}: points at {at:?}: {d:#?}");
        assert!(
            said.contains(d["message"].as_str().unwrap()),
            "{expr}: build says another thing:\n{said}"
        );
    }
}

/// A unit's former name (`曾用名` with `至`) is a name of its time: accepted in a figure and in
/// `点名` of a month before the rename, by `check` and `build` alike; after the rename, an error
/// naming the new name in both.
#[test]
fn a_former_name_is_accepted_before_the_rename_and_refused_after_in_check_and_build() {
    for (until, accepted) in [("2023-03", true), ("2023-02", false)] {
        let p = Project::shipped();
        p.edit(
            "data/units.yaml",
            "{名称: 区民政局, 类别: 区直部门}",
            &format!("{{名称: 区民政局, 类别: 区直部门, 曾用名: [{{名称: 区民政厅, 至: {until}}}]}}"),
        );
        p.edit(
            MARCH_TEXT,
            "如:{{ 点名(\"区财政局、区审计局、",
            "如:{{ 点名(\"区民政厅、区财政局、区审计局、",
        );
        p.edit(
            MARCH_TEXT,
            "采发率{{ 网站.采纳率 }}%。",
            "采发率{{ 网站.采纳率 }}%（区民政厅审核表{{ 网站.区民政厅.审核表 }}份）。",
        );
        let (code, errors, built, said) = check_and_build(&p, "2023-03");
        if accepted {
            assert_eq!((code, built), (0, true), "{errors:#?}\n{said}");
            let text: String = pdftotext(&p.path("out/2023-03/circular.pdf"))
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            assert!(
                text.contains("区民政厅审核表17份") && text.contains("如：区民政厅、区财政局"),
                "{text}"
            );
        } else {
            assert_eq!((code, built), (1, false), "{errors:#?}\n{said}");
            let renamed: Vec<_> = errors.iter().filter(|d| d["code"] == "unit-renamed").collect();
            assert_eq!(renamed.len(), 2, "{errors:#?}");
            assert!(
                renamed
                    .iter()
                    .all(|d| d["message"].as_str().unwrap().contains("更名为“区民政局”"))
            );
            assert!(said.contains("更名为“区民政局”"), "{said}");
        }
    }
}

/// A month kept for its tables only (no 通报.txt) is a month of data: checked, read by the next
/// month's `较上月`, never built as a circular; `check` and `build` agree.
#[test]
fn a_month_of_data_only_is_checked_and_compared_with_and_never_built() {
    let p = Project::march_only();
    std::fs::create_dir(p.path("data/2023-02")).unwrap();
    std::fs::copy(p.path("data/2023-03/12345.yaml"), p.path("data/2023-02/12345.yaml")).unwrap();
    p.edit("data/2023-02/12345.yaml", "本月: 71, 办结: 71", "本月: 61, 办结: 61");
    p.edit(
        "data/2023-02/12345.yaml",
        "合计: {本月: 1164, 办结: 1164",
        "合计: {本月: 1154, 办结: 1154",
    );
    p.edit(
        MARCH_TEXT,
        "共转办城中区工单{{ 热线.本月 }}件",
        "共转办城中区工单{{ 热线.本月 }}件（{{ 热线.本月 | 较上月 }}）",
    );
    let (code, errors, built, said) = check_and_build(&p, "2023-03");
    assert_eq!((code, built), (0, true), "{errors:#?}\n{said}");
    let text: String = pdftotext(&p.path("out/2023-03/circular.pdf"))
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(text.contains("工单1164件（较上月增加10条）"), "{text}");
    // Built on its own, it says it holds data only; `build --all` lists it as such.
    let out = p.run(&["build", "2023-02"]);
    assert!(
        out.status.success() && output(&out).contains("仅数据"),
        "{}",
        output(&out)
    );
    assert!(!p.path("out/2023-02/circular.pdf").exists());
    let out = p.run(&["build", "--all"]);
    let said = output(&out);
    assert!(
        out.status.success() && said.contains("2023-02  仅数据") && said.contains("仅数据 1"),
        "{said}"
    );
    // Its tables are checked, and a broken table fails the month that reads it, in both commands.
    p.edit("data/2023-02/12345.yaml", "本月: 61, 办结: 61", "本月: 61, 办结: 62");
    let (code, errors, built, said) = check_and_build(&p, "2023-03");
    assert_eq!((code, built), (1, false), "{said}");
    assert!(
        errors
            .iter()
            .any(|d| d["file"] == "data/2023-02/12345.yaml" && d["code"] == "rule"),
        "{errors:#?}"
    );
    assert!(said.contains("data/2023-02/12345.yaml"), "{said}");
}

/// Saving the month's text, in place or by renaming a temporary file over it, rebuilds the preview
/// and the PDF.
#[test]
fn saving_the_text_rebuilds_in_place_and_by_rename() {
    let p = Project::shipped();
    let mut w = Watch::start(&p);
    for (n, by_rename) in [(1, false), (2, true)] {
        let before = w.status()["version"].as_u64().unwrap();
        let text = p
            .read(MARCH_TEXT)
            .replace("推动工作落实", &format!("推动工作落实第{n}稿"));
        if by_rename {
            let tmp = p.path("data/2023-03/.通报.txt.tmp");
            std::fs::write(&tmp, text).unwrap();
            std::fs::rename(&tmp, p.path(MARCH_TEXT)).unwrap();
        } else {
            p.write(MARCH_TEXT, &text);
        }
        w.wait_status(|s| s["version"].as_u64() > Some(before) && s["error"].is_null());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let pdf: String = pdftotext(&p.path("out/2023-03/circular.pdf"))
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if pdf.contains(&format!("推动工作落实第{n}稿")) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the PDF never showed draft {n}");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(w.wait_line(|l| l.contains("data/2023-03/通报.txt 有改动")).is_some());
    }
}

#[cfg(unix)]
mod gates {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A 12345 export that imports cleanly (every town and street listed).
    fn good_csv(p: &Project) -> std::path::PathBuf {
        let rows: String = crate::util::TOWNS.iter().map(|t| format!("{t},1,1,0,0\n")).collect();
        let csv = p.path("热线.csv");
        std::fs::write(&csv, format!("单位,本月投诉,办结投诉,延期数,重办条数\n{rows}")).unwrap();
        csv
    }

    /// A folder outside the project holding a copy of March, and its files' bytes.
    fn outside_march(p: &Project) -> tempfile::TempDir {
        let outside = tempfile::tempdir().unwrap();
        crate::util::copy_tree(&p.path("data/2023-03"), outside.path(), false);
        outside
    }

    fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
        let mut all: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| (e.path().display().to_string(), std::fs::read(e.path()).unwrap()))
            .collect();
        all.sort();
        all
    }

    #[test]
    fn a_month_folder_linked_outside_is_neither_read_nor_written() {
        let p = Project::march_only();
        let outside = outside_march(&p);
        std::fs::remove_dir_all(p.path("data/2023-03")).unwrap();
        symlink(outside.path(), p.path("data/2023-03")).unwrap();
        let before = snapshot(outside.path());
        let (code, errors) = p.errors();
        assert_eq!(code, 1);
        assert!(errors.iter().any(|d| d["code"] == "outside-root"), "{errors:#?}");
        // import into it, new from it: refused, nothing written there or here.
        let csv = good_csv(&p);
        let out = p.run(&["import", "热线", csv.to_str().unwrap(), "--month", "2023-03"]);
        assert_ne!(out.status.code(), Some(0), "{}", output(&out));
        let out = p.run(&["new"]);
        assert_ne!(out.status.code(), Some(0), "{}", output(&out));
        assert!(output(&out).contains("项目文件夹之外"), "{}", output(&out));
        assert!(!p.path("data/2023-04").exists(), "no empty month was made");
        assert_eq!(snapshot(outside.path()), before, "nothing outside was written");
    }

    #[test]
    fn a_table_file_or_text_linked_outside_is_neither_read_nor_written() {
        for file in ["12345.yaml", "通报.txt"] {
            let p = Project::march_only();
            let outside = outside_march(&p);
            let rel = format!("data/2023-03/{file}");
            std::fs::remove_file(p.path(&rel)).unwrap();
            symlink(outside.path().join(file), p.path(&rel)).unwrap();
            let before = snapshot(outside.path());
            let (code, errors) = p.errors();
            assert_eq!(code, 1, "{file}");
            assert!(
                errors
                    .iter()
                    .any(|d| d["code"] == "outside-root" && d["file"] == rel.as_str()),
                "{file}: {errors:#?}"
            );
            let out = p.run(&["build", "2023-03"]);
            assert_eq!(out.status.code(), Some(1), "{file}");
            if file == "12345.yaml" {
                let csv = good_csv(&p);
                let out = p.run(&["import", "热线", csv.to_str().unwrap()]);
                assert_ne!(out.status.code(), Some(0), "{}", output(&out));
            }
            assert_eq!(snapshot(outside.path()), before, "{file}: nothing outside was written");
        }
    }

    #[test]
    fn out_linked_outside_is_not_written_through() {
        let p = Project::march_only();
        let outside = tempfile::tempdir().unwrap();
        symlink(outside.path(), p.path("out")).unwrap();
        let out = p.run(&["build", "2023-03"]);
        assert_eq!(out.status.code(), Some(1), "{}", output(&out));
        let said = output(&out);
        assert!(said.contains("outside-root") && said.contains("out/2023-03"), "{said}");
        assert!(
            snapshot(outside.path()).is_empty(),
            "nothing was written through the link"
        );
        let out = p.run(&["export", "2023-03"]);
        assert_ne!(out.status.code(), Some(0));
        assert!(snapshot(outside.path()).is_empty());
    }
}

/// Every command takes a month the same way: `YYYY-MM` or a usage error (exit 2), history
/// commands included.
#[test]
fn every_command_parses_a_month_the_same_way() {
    let p = Project::shipped();
    for args in [
        &["log", "2023-3"][..],
        &["log", "../../etc"],
        &["diff", "HEAD", "HEAD", "2023-13"],
        &["blame", "2023-3", "热线", "总寨镇政府", "本月"],
        &["check", "2023-3"],
        &["build", "2023-13"],
        &["export", "3月"],
        &["watch", "2023-00"],
        &["new", "2023/04"],
        &["import", "热线", "x.csv", "--month", "2023-3"],
        &["issue", "23-03"],
    ] {
        let out = p.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", output(&out));
        assert!(output(&out).contains("不是月份"), "{args:?}: {}", output(&out));
    }
}

/// An output is owned by its enum: no file but `src/args.rs` (its name and help) and
/// `src/output/` (its facts and its producer) names an output other than the PDF (which every
/// build makes), so adding one touches those and nothing else.
#[test]
fn only_the_outputs_owner_names_an_output() {
    let src = crate::util::repo().join("src");
    let mut named = Vec::new();
    for entry in walkdir::WalkDir::new(&src).into_iter().filter_map(Result::ok) {
        let path = entry.path();
        let rel = path.strip_prefix(&src).unwrap();
        if path.extension().is_none_or(|x| x != "rs")
            || rel.starts_with("output")
            || rel == std::path::Path::new("args.rs")
        {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        for variant in ["Output::Html", "Output::Docx", "Output::Xlsx", "Output::Ofd"] {
            if text.contains(variant) {
                named.push(format!("{}: {variant}", rel.display()));
            }
        }
    }
    assert!(named.is_empty(), "outputs named outside their owner: {named:?}");
}
