//! The command line speaks one language and keeps one convention: clap's words in Chinese, the
//! version with its commit and Typst, colour only when asked or on a terminal, results on stdout
//! and diagnostics on stderr, completions and man pages from the same command line.

use std::process::{Command, Output};

use crate::util::{Project, output, repo};

fn tongbao(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tongbao"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Words clap writes in English unless told otherwise.
const ENGLISH: [&str; 10] = [
    "Usage",
    "Options",
    "Arguments",
    "Commands",
    "Print help",
    "Print version",
    "[OPTIONS]",
    "[default:",
    "possible values",
    "error:",
];

#[test]
fn help_is_in_chinese_on_stdout() {
    for args in [
        &["--help"][..],
        &["build", "--help"],
        &["init", "-h"],
        &["hooks", "--help"],
    ] {
        let out = tongbao(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", output(&out));
        let help = stdout(&out);
        for word in ENGLISH {
            assert!(!help.contains(word), "{word} in the help of {args:?}:\n{help}");
        }
        assert!(help.contains("用法：tongbao"), "{help}");
        assert!(help.contains("选项：") && help.contains("显示帮助"), "{help}");
    }
    let top = stdout(&tongbao(&["--help"]));
    assert!(
        top.contains("命令：") && top.contains("init") && top.contains("completions"),
        "{top}"
    );
    let build = stdout(&tongbao(&["build", "--help"]));
    assert!(build.contains("参数：") && build.contains("[月份]"), "{build}");
    assert!(build.contains("默认：human"), "defaults are shown in Chinese: {build}");
}

#[test]
fn usage_errors_are_in_chinese_on_stderr_with_exit_2() {
    for (args, says) in [
        (&["build", "--nonsense"][..], "不认识的参数 “--nonsense”"),
        (&["blame", "2023-03"], "缺少参数"),
        (&["nosuch"], "没有命令 “nosuch”"),
        (&["help"], "tongbao --help"),
        (&["check", "--format", "xml"], "“xml” 不是"),
        (&["build", "--all", "2023-03"], "不能与"),
    ] {
        let out = tongbao(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", output(&out));
        assert!(out.stdout.is_empty(), "{args:?} printed on stdout: {}", stdout(&out));
        let said = stderr(&out);
        assert!(said.starts_with("错误："), "{args:?}: {said}");
        assert!(said.contains(says), "{args:?}: {said}");
        for word in ENGLISH {
            assert!(!said.contains(word), "{word} in {args:?}:\n{said}");
        }
    }
    assert!(stderr(&tongbao(&["build", "--nonsense"])).contains("用法：tongbao build"));
}

#[test]
fn version_names_the_commit_and_typst() {
    let out = tongbao(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    let said = stdout(&out);
    assert!(
        said.starts_with(&format!("tongbao {}（提交 ", env!("CARGO_PKG_VERSION"))),
        "{said}"
    );
    assert!(said.contains("，Typst 0.15."), "{said}");
    // Built from a git checkout (as the tests are): its commit, or 未知 from a tarball.
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(repo())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        Some(commit) => assert!(said.contains(&commit), "not built from HEAD {commit}: {said}"),
        None => assert!(said.contains("未知"), "{said}"),
    }
}

/// A project whose March has an error (so `check` prints a diagnostic).
fn broken() -> Project {
    let p = Project::shipped();
    p.edit("data/2023-03/710.yaml", "本月: 10, 办结: 10", "本月: 10, 办结: 12x");
    p
}

#[test]
fn diagnostics_are_coloured_only_when_asked_or_on_a_terminal() {
    let p = broken();
    let run = |extra: &[&str], no_color: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_tongbao"));
        cmd.args(["check", "2023-03", "--root"]).arg(p.root()).args(extra);
        cmd.env_remove("NO_COLOR");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        stderr(&cmd.output().unwrap())
    };
    assert!(!run(&[], None).contains('\x1b'), "not a terminal: no colour");
    assert!(!run(&["--color", "never"], None).contains('\x1b'));
    let coloured = run(&["--color", "always"], None);
    assert!(coloured.contains("\x1b[1m\x1b[31m错误[type]"), "{coloured:?}");
    assert!(
        run(&["--color=always"], Some("1")).contains('\x1b'),
        "always wins over NO_COLOR"
    );
    // clap's own errors follow the same choice.
    let out = tongbao(&["--color", "always", "build", "--nonsense"]);
    assert!(stderr(&out).contains('\x1b'), "{}", stderr(&out));

    // On a terminal (util-linux `script` gives one): colour unless NO_COLOR is set.
    let on_terminal = |no_color: Option<&str>| {
        let line = format!(
            "{} check 2023-03 --root {}",
            env!("CARGO_BIN_EXE_tongbao"),
            p.root().display()
        );
        let mut cmd = Command::new("script");
        cmd.args(["-qec", &line, "/dev/null"])
            .env_remove("NO_COLOR")
            .env("TERM", "xterm");
        if let Some(v) = no_color {
            cmd.env("NO_COLOR", v);
        }
        String::from_utf8_lossy(&cmd.output().expect("script (util-linux) runs a terminal").stdout).to_string()
    };
    let shown = on_terminal(None);
    assert!(shown.contains("错误[type]") && shown.contains('\x1b'), "{shown:?}");
    let shown = on_terminal(Some("1"));
    assert!(shown.contains("错误[type]") && !shown.contains("\x1b[31m"), "{shown:?}");
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -o nospace"),
        ("zsh", "#compdef tongbao"),
        ("fish", "complete --keep-order --exclusive --command tongbao"),
    ] {
        let out = tongbao(&["completions", shell]);
        assert_eq!(out.status.code(), Some(0), "{}", output(&out));
        let script = stdout(&out);
        assert!(script.contains(marker), "{shell}: {script}");
        assert!(script.contains("TONGBAO_COMPLETE"), "{shell}: {script}");
    }
    assert_eq!(tongbao(&["completions", "tcsh"]).status.code(), Some(2));
}

/// What bash offers after `words` (the last one being typed) in `dir`, with the installed script
/// sourced and `tongbao` on the PATH, as a user's shell would run it.
fn bash_offers(dir: &std::path::Path, words: &[&str]) -> Vec<String> {
    let script = dir.join(".tongbao.bash");
    std::fs::write(&script, tongbao(&["completions", "bash"]).stdout).unwrap();
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_tongbao")).parent().unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let line = format!(
        "source {script}; COMP_WORDS=(tongbao {words}); COMP_CWORD={cword}; COMP_TYPE=9; \
         _clap_complete_tongbao tongbao '{current}' ''; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script = script.display(),
        words = quoted.join(" "),
        cword = words.len(),
        current = words.last().unwrap(),
    );
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = Command::new("bash")
        .arg("-c")
        .arg(line)
        .current_dir(dir)
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output(&out));
    stdout(&out)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn completion_offers_the_projects_months_tables_and_units() {
    let project = Project::march_only();
    // Options are offered beside the values when nothing is typed yet; the values are the point.
    let offers = |words: &[&str]| -> Vec<String> {
        let all = bash_offers(project.root(), words);
        all.into_iter().filter(|o| !o.starts_with('-')).collect()
    };
    assert_eq!(offers(&["build", "2023-"]), ["2023-03"]);
    assert_eq!(
        offers(&["new", ""]),
        ["2023-04"],
        "new offers the month after the latest"
    );
    let tables = offers(&["import", ""]);
    assert!(
        tables.contains(&"热线".to_string()) && tables.contains(&"12345".to_string()),
        "{tables:?}"
    );
    assert_eq!(offers(&["blame", "2023-03", "热线", "总寨"]), ["总寨镇人民政府"]);
    let columns = offers(&["blame", "2023-03", "热线", "总寨镇人民政府", "本"]);
    assert!(columns.contains(&"本月".to_string()), "{columns:?}");
    assert_eq!(offers(&["lo"]), ["log"], "commands complete too");
    // A month made since is offered at once: candidates are read when asked.
    let out = project.run(&["new", "2023-04"]);
    assert!(out.status.success(), "{}", output(&out));
    assert_eq!(offers(&["check", "2023-0"]), ["2023-04", "2023-03"]);
    // Outside a project: no candidates, no error.
    let outside = tempfile::tempdir().unwrap();
    let offered = bash_offers(outside.path(), &["build", "20"]);
    assert!(offered.is_empty(), "{offered:?}");
}

#[test]
fn man_pages_are_in_chinese() {
    let out = tongbao(&["manpage"]);
    assert_eq!(out.status.code(), Some(0));
    let page = stdout(&out);
    for heading in [".SH 名称", ".SH 用法", ".SH 选项", ".SH 命令"] {
        assert!(page.contains(heading), "{heading}: {page}");
    }
    assert!(!page.contains(".SH NAME") && !page.contains(".SH OPTIONS"), "{page}");
    let dir = tempfile::tempdir().unwrap();
    let out = tongbao(&["manpage", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", output(&out));
    let build = std::fs::read_to_string(dir.path().join("tongbao-build.1")).unwrap();
    assert!(
        build.contains("tongbao build") && build.contains("生成全部月份"),
        "{build}"
    );
}

#[test]
fn results_go_to_stdout_and_diagnostics_to_stderr() {
    let p = Project::shipped();
    // build: what was made on stdout, March's warnings on stderr.
    let out = p.run(&["build", "2023-03"]);
    assert_eq!(out.status.code(), Some(0), "{}", output(&out));
    assert!(
        stdout(&out).contains("已生成 out/2023-03/circular.pdf"),
        "{}",
        output(&out)
    );
    assert!(!stdout(&out).contains("警告["), "{}", stdout(&out));
    assert!(stderr(&out).contains("警告[attachment-name]"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("已生成"), "{}", stderr(&out));
    // export: the same.
    let out = p.run(&["export", "2023-03"]);
    assert!(
        stdout(&out).contains("已导出 out/2023-03/附件.xlsx"),
        "{}",
        output(&out)
    );
    // check: the verdict on stdout, the diagnostics on stderr.
    let out = p.run(&["check", "2023-03"]);
    assert!(stdout(&out).contains("检查完成：0 个错误"), "{}", output(&out));
    assert!(stderr(&out).contains("警告[") && !stdout(&out).contains("警告["));
    // build --all: one line a month and the summary on stdout, nothing else there.
    let out = p.run(&["build", "--all", "--force"]);
    let lines: Vec<String> = stdout(&out).lines().map(String::from).collect();
    assert!(
        lines.iter().all(|l| l.starts_with("20") || l.starts_with("共 ")),
        "{lines:#?}"
    );
    // A failing month's errors go to stderr.
    let b = broken();
    let out = b.run(&["build", "--all"]);
    assert!(stderr(&out).contains("错误[type]"), "{}", output(&out));
    assert!(!stdout(&out).contains("错误[type]"), "{}", stdout(&out));
}

#[test]
fn build_all_json_is_one_document_in_month_order_and_the_same_every_time() {
    let p = Project::shipped();
    let run = |extra: &[&str]| {
        let mut args = vec!["build", "--all", "--format", "json"];
        args.extend(extra);
        let out = p.run(&args);
        assert!(out.stderr.is_empty(), "JSON mode prints nothing else: {}", stderr(&out));
        (out.status.code(), stdout(&out))
    };
    let (code, first) = run(&["--force"]);
    assert_eq!(code, Some(0), "{first}");
    let doc: serde_json::Value = serde_json::from_str(&first).expect("one JSON document");
    let months: Vec<&str> = doc["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(
        months,
        ["2023-03", "2023-08", "2023-09", "2023-11", "2023-12", "2024-01"]
    );
    assert_eq!(doc["months"][0]["status"], "built");
    assert_eq!(doc["months"][0]["pages"], 9);
    assert!(
        doc["months"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["code"] == "attachment-name"),
        "{first}"
    );
    assert_eq!(doc["summary"]["built"], 5);
    assert_eq!(doc["summary"]["data_only"], 1);
    let kinds = doc["summary"]["warnings_by_kind"].as_array().unwrap();
    assert!(
        kinds
            .iter()
            .any(|k| k["code"] == "attachment-name" && k["name"] == "附件名称与标题不一致"),
        "{kinds:?}"
    );
    for _ in 0..2 {
        assert_eq!(run(&["--force"]).1, first, "the same inputs give the same document");
    }
    // Nothing changed since: every circular unchanged, in the same order (the month of data only
    // is checked again: it has nothing to skip).
    let again: serde_json::Value = serde_json::from_str(&run(&[]).1).unwrap();
    assert!(
        again["months"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["status"] == "unchanged" || m["month"] == "2023-12"),
        "{again:#}"
    );
    assert_eq!(again["summary"]["unchanged"], 5);
}

#[test]
fn warning_kinds_are_named_in_chinese() {
    let p = Project::shipped();
    let out = p.run(&["build", "--all"]);
    let said = stdout(&out);
    let summary = said.lines().find(|l| l.starts_with("共 ")).unwrap_or_default();
    assert!(
        summary.contains("警告按类别：") && summary.contains("附件名称与标题不一致 2"),
        "{said}"
    );
    assert!(
        !summary.contains("attachment-name") && !summary.contains("measure-mismatch"),
        "{summary}"
    );
    // Months are listed in month order, whichever finished first.
    let months: Vec<&str> = said.lines().filter(|l| l.starts_with("20")).map(|l| &l[..7]).collect();
    assert_eq!(
        months,
        ["2023-03", "2023-08", "2023-09", "2023-11", "2023-12", "2024-01"],
        "{said}"
    );
}
