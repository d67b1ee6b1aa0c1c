//! `build --all`: every month on every core, one line a month when not on a terminal, unchanged
//! months skipped (and rebuilt when a datum, a template or a font changes), a failing month
//! reported among good ones.

use crate::util::{Project, repo};

fn run_all(p: &Project, extra: &[&str]) -> (i32, String) {
    let mut args = vec!["build", "--all"];
    args.extend(extra);
    let out = p.run(&args);
    // The month lines are on stdout, the diagnostics on stderr: both, as a user sees them.
    (out.status.code().unwrap_or(-1), crate::util::output(&out))
}

/// The months whose line of the output says `what` (a month's line starts with it, `YYYY-MM`).
fn lines(said: &str, what: &str) -> Vec<String> {
    said.lines()
        .filter(|l| l.contains(what))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|m| m.len() == 7 && m.as_bytes()[4] == b'-' && m.starts_with("20"))
        .map(String::from)
        .collect()
}

#[test]
fn unchanged_months_are_skipped_and_changes_rebuild_what_they_must() {
    let p = Project::shipped();
    p.copy_march("2023-04", "2023-06-05");
    // April compares its hotline total with March's.
    p.edit(
        "data/2023-04/通报.txt",
        "共转办城中区工单{{ 热线.本月 }}件",
        "共转办城中区工单{{ 热线.本月 }}件（{{ 热线.本月 | 较上月 }}）",
    );
    let (code, said) = run_all(&p, &[]);
    assert_eq!(code, 0, "{said}");
    let mut built = lines(&said, "已生成");
    built.sort();
    assert_eq!(
        built,
        ["2023-03", "2023-04", "2023-08", "2023-09", "2023-11", "2024-01"],
        "{said}"
    );
    // Not a terminal: no progress line, one line a month and a summary; the month of data only
    // (2023-12) is checked and said to be one.
    assert!(
        !said.contains('\r') && said.contains("共 7 个月份：生成 6，未改变跳过 0，已发布 0，仅数据 1"),
        "{said}"
    );
    assert!(said.lines().count() <= 7 + 2, "one line a month: {said}");
    assert_eq!(lines(&said, "仅数据"), ["2023-12"], "{said}");

    // Nothing changed: nothing is built.
    let (_, said) = run_all(&p, &[]);
    assert_eq!(lines(&said, "跳过").len(), 6, "{said}");
    // A datum of March: March and the month whose text compares with it (April), no other.
    p.edit(
        "data/2023-03/12345.yaml",
        "邻里牵手转办: 155, 邻里牵手办结: 155",
        "邻里牵手转办: 156, 邻里牵手办结: 156",
    );
    let (_, said) = run_all(&p, &[]);
    let mut built = lines(&said, "已生成");
    built.sort();
    assert_eq!(built, ["2023-03", "2023-04"], "{said}");
    // A template: every month.
    p.edit(
        "templates/gongwen.typ",
        "// GB/T 9704-2012",
        "// GB/T 9704-2012 (edited)",
    );
    let (_, said) = run_all(&p, &[]);
    assert_eq!(lines(&said, "已生成").len(), 6, "{said}");
    // A font: every month.
    std::fs::copy(
        repo().join("tests/fixtures/FangSongGB2312-fixture.otf"),
        p.path("fonts/FangSongGB2312-fixture.otf"),
    )
    .unwrap();
    let (_, said) = run_all(&p, &[]);
    assert_eq!(lines(&said, "已生成").len(), 6, "{said}");
    // --force rebuilds all; a deleted PDF is rebuilt.
    std::fs::remove_file(p.path("out/2023-09/circular.pdf")).unwrap();
    let (_, said) = run_all(&p, &[]);
    assert_eq!(lines(&said, "已生成"), ["2023-09"], "{said}");
    let (_, said) = run_all(&p, &["--force"]);
    assert_eq!(lines(&said, "已生成").len(), 6, "{said}");

    // Another tongbao executable (new code, another Typst): every month.
    let other = tempfile::tempdir().unwrap();
    let exe = other.path().join("tongbao");
    std::fs::copy(env!("CARGO_BIN_EXE_tongbao"), &exe).unwrap();
    let out = std::process::Command::new(&exe)
        .args(["build", "--all", "--root"])
        .arg(p.root())
        .output()
        .unwrap();
    let said = crate::util::output(&out);
    assert_eq!(lines(&said, "已生成").len(), 6, "{said}");
}

#[test]
fn a_failing_month_among_good_ones_fails_the_run_and_only_what_reads_it() {
    let p = Project::shipped();
    p.edit("data/2023-09/12345.yaml", "本月:", "本月: 待填, 旧本月:");
    let (code, said) = run_all(&p, &[]);
    assert_eq!(code, 1, "{said}");
    // 2023-11's period follows 2023-09's, but its text compares with nothing: it is built.
    let mut failed = lines(&said, "失败");
    failed.sort();
    assert_eq!(failed, ["2023-09"], "{said}");
    let mut built = lines(&said, "已生成");
    built.sort();
    assert_eq!(built, ["2023-03", "2023-08", "2023-11", "2024-01"], "{said}");
    // Its errors are shown, with their place.
    assert!(said.contains("data/2023-09/12345.yaml:"), "{said}");
    assert!(!p.path("out/2023-09/circular.pdf").exists());

    // A month whose text compares with a broken table fails with it, and says where.
    p.edit(
        "data/2023-11/通报.txt",
        "采发率{{ 网站.采纳率 }}%",
        "采发率{{ 网站.采纳率 }}%（{{ 网站.采纳率 | 较上月 }}）",
    );
    p.edit("data/2023-09/portal.yaml", "审核表:", "审核表: 待填, 旧审核表:");
    let (code, said) = run_all(&p, &[]);
    assert_eq!(code, 1, "{said}");
    let mut failed = lines(&said, "失败");
    failed.sort();
    assert_eq!(failed, ["2023-09", "2023-11"], "{said}");
    assert!(said.contains("data/2023-09/portal.yaml:"), "{said}");
}

#[test]
fn timings_give_each_stage_averaged_over_the_months_built() {
    let p = Project::shipped();
    let (code, said) = run_all(&p, &["--timings"]);
    assert_eq!(code, 0, "{said}");
    let line = said
        .lines()
        .find(|l| l.starts_with("各阶段平均用时（毫秒/月，各线程合计）："))
        .unwrap_or_else(|| panic!("no timings line in\n{said}"));
    for stage in ["读取", "检查", "汇总", "模板", "排版", "PDF", "写入"] {
        assert!(line.contains(stage), "{line}");
    }
    // Typst's compile of a month takes some time; a sum divided wrongly would show 0.0.
    let compile: f64 = line
        .split("排版 ")
        .nth(1)
        .and_then(|rest| rest.split('，').next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(compile > 1.0, "{line}");
    // Without --timings, no such line; with nothing built (all skipped), none either.
    assert!(!run_all(&p, &["--force"]).1.contains("各阶段平均用时"));
    let (_, skipped) = run_all(&p, &["--timings"]);
    assert!(
        skipped.contains("未改变，跳过") && !skipped.contains("各阶段平均用时"),
        "{skipped}"
    );
}

/// Every output of every month, the months on every core at once, finishes. The outputs made
/// from the pages (Word, OFD) are made side by side inside a batch's workers, which are threads of
/// rayon's pool: before, they ran on threads of their own that the workers waited on, and the OFD
/// packed its parts on the pool from there, so with every worker waiting no thread was left to
/// pack and the batch hung for ever.
#[test]
fn every_output_of_every_month_at_once_finishes() {
    let p = Project::shipped();
    let out = p
        .run_within(
            &["build", "--all", "--force", "--outputs", "all"],
            std::time::Duration::from_secs(300),
        )
        .expect("build --all --outputs all did not finish within 5 minutes: the workers are stuck");
    let said = crate::util::output(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    let built = lines(&said, "已生成");
    assert_eq!(built.len(), 5, "{said}");
    for month in built {
        for file in ["circular.pdf", "circular.docx", "circular.ofd", "circular.html"] {
            assert!(
                p.root().join("out").join(&month).join(file).exists(),
                "{month}/{file}: {said}"
            );
        }
    }
}
