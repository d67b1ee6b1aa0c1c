//! The git workflow: reproducible PDFs from any clone, `verify`, and the hooks.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::util::git::{Repo, clone, git, git_output, tongbao_in};

/// Whether anyone may execute the file (git runs a hook only then).
fn executable(path: &Path) -> bool {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o111 != 0
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn the_same_commit_gives_the_same_bytes_from_clones_at_different_paths() {
    let origin = Repo::new();
    let parent = tempfile::tempdir().unwrap();
    let a = clone(origin.path(), parent.path(), "一号");
    std::fs::create_dir_all(parent.path().join("deeper/still")).unwrap();
    let b = clone(origin.path(), &parent.path().join("deeper/still"), "b");
    for dir in [&a, &b] {
        let out = tongbao_in(dir, &["build", "2023-03"]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let pdf_a = std::fs::read(a.join("out/2023-03/circular.pdf")).unwrap();
    let pdf_b = std::fs::read(b.join("out/2023-03/circular.pdf")).unwrap();
    assert!(pdf_a == pdf_b, "clones built different PDFs");
    let haystack = String::from_utf8_lossy(&pdf_a);
    assert!(
        !haystack.contains(parent.path().to_str().unwrap()),
        "an absolute path leaked into the PDF"
    );

    let manifest = tongbao::provenance::read_manifest(&pdf_a).expect("manifest attached");
    assert_eq!(
        manifest.commit.as_deref(),
        Some(git(&a, &["rev-parse", "HEAD"]).as_str())
    );
    assert!(!manifest.dirty);
    assert!(manifest.inputs.contains_key("data/2023-03/12345.yaml"));
    assert!(manifest.inputs.contains_key("templates/gongwen.typ"));
    assert!(manifest.inputs.contains_key("fonts/FandolFang-Regular.otf"));
}

#[test]
fn source_date_epoch_sets_the_pdf_date() {
    let repo = Repo::new();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tongbao"))
        .args(["build", "2023-03"])
        .current_dir(repo.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert!(out.status.success());
    let pdf =
        String::from_utf8_lossy(&std::fs::read(repo.path().join("out/2023-03/circular.pdf")).unwrap()).to_string();
    assert!(pdf.contains("D:20231114221320"), "CreationDate from SOURCE_DATE_EPOCH");
    let out = tongbao_in(repo.path(), &["build", "2023-03"]);
    assert!(out.status.success());
    let pdf =
        String::from_utf8_lossy(&std::fs::read(repo.path().join("out/2023-03/circular.pdf")).unwrap()).to_string();
    assert!(pdf.contains("D:20230505000000"), "otherwise the date of issue");
}

#[test]
fn verify_passes_on_an_honest_pdf_and_names_the_input_that_differs() {
    let repo = Repo::new();
    assert!(repo.tongbao(&["build", "2023-03", "--outputs", "all"]).status.success());
    let honest = repo.path().join("out/2023-03/circular.pdf");
    let out = repo.tongbao(&["verify", honest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("逐字节相同"));
    // The other outputs the PDF names are rebuilt and compared too.
    for output in ["circular.html", "circular.fragment.html", "circular.docx"] {
        assert!(
            text(&out).contains(&format!("输出一致：out/2023-03/{output}")),
            "{}",
            text(&out)
        );
    }

    // A PDF built from edited (uncommitted) data does not match its commit.
    let file = "data/2023-03/12345.yaml";
    repo.write(
        file,
        &repo.read(file).replace(
            "邻里牵手转办: 155, 邻里牵手办结: 155",
            "邻里牵手转办: 156, 邻里牵手办结: 156",
        ),
    );
    assert!(repo.tongbao(&["build", "2023-03"]).status.success());
    let edited = repo.path().join("edited.pdf");
    std::fs::rename(&honest, &edited).unwrap();
    let out = repo.tongbao(&["verify", edited.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("不一致") && said.contains("输入不同：data/2023-03/12345.yaml"),
        "{said}"
    );
    assert!(!said.contains("templates/"), "only the edited input is named: {said}");
    // No worktree is left behind.
    assert_eq!(git(repo.path(), &["worktree", "list"]).lines().count(), 1);

    // Not a tongbao PDF at all.
    repo.write("other.pdf", "%PDF-1.7\n%%EOF\n");
    assert_eq!(repo.tongbao(&["verify", "other.pdf"]).status.code(), Some(1));
}

#[test]
fn hooks_refuse_a_bad_commit_rebuild_after_a_good_one_and_keep_the_users_hooks() {
    let repo = Repo::new();
    let hooks = repo.path().join(".git/hooks");
    // The user's own pre-commit hook leaves a trace each time it runs.
    std::fs::write(
        hooks.join("pre-commit"),
        "#!/bin/sh\necho ran >> \"$(git rev-parse --show-toplevel)/user-hook.log\"\n",
    )
    .unwrap();
    std::fs::set_permissions(hooks.join("pre-commit"), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(executable(&hooks.join("pre-commit")), "the user's hook is executable");
    let user_hook = std::fs::read_to_string(hooks.join("pre-commit")).unwrap();

    assert!(repo.tongbao(&["hooks", "install"]).status.success());
    let installed = std::fs::read_to_string(hooks.join("post-commit")).unwrap();
    assert!(
        repo.tongbao(&["hooks", "install"]).status.success(),
        "installing twice is harmless"
    );
    assert_eq!(std::fs::read_to_string(hooks.join("post-commit")).unwrap(), installed);
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit.tongbao-saved")).unwrap(),
        user_hook
    );
    assert!(
        executable(&hooks.join("pre-commit.tongbao-saved")),
        "the saved hook stays executable (the installed hook runs it only then)"
    );

    // A commit with an error in the staged data is refused, with the diagnostic.
    let file = "data/2023-03/12345.yaml";
    let good = repo.read(file);
    repo.write(file, &good.replace("本月: 71, 办结: 71", "本月: 71, 办结: 72"));
    git(repo.path(), &["add", file]);
    let out = git_output(repo.path(), &["commit", "-m", "错误的数据"]);
    assert!(!out.status.success(), "the bad commit was accepted");
    let said = text(&out);
    assert!(
        said.contains("提交已取消") && said.contains("data/2023-03/12345.yaml:6:"),
        "{said}"
    );
    assert!(
        std::fs::read_to_string(repo.path().join("user-hook.log"))
            .unwrap()
            .contains("ran"),
        "user's hook chained"
    );

    // A good commit goes through and the PDF is rebuilt after it.
    assert!(!repo.path().join("out/2023-03/circular.pdf").exists());
    repo.write(
        file,
        &good.replace(
            "邻里牵手转办: 155, 邻里牵手办结: 155",
            "邻里牵手转办: 160, 邻里牵手办结: 158",
        ),
    );
    git(repo.path(), &["add", file]);
    let out = git_output(repo.path(), &["commit", "-m", "更正邻里牵手数据"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("已重新生成 out/2023-03/circular.pdf"),
        "{}",
        text(&out)
    );
    let pdf = std::fs::read(repo.path().join("out/2023-03/circular.pdf")).unwrap();
    let manifest = tongbao::provenance::read_manifest(&pdf).unwrap();
    assert_eq!(
        manifest.commit.as_deref(),
        Some(git(repo.path(), &["rev-parse", "HEAD"]).as_str())
    );

    // Checking out the first commit rebuilds the March PDF as it was.
    let out = git_output(repo.path(), &["checkout", "--quiet", "HEAD~1"]);
    assert!(out.status.success());
    assert!(text(&out).contains("已重新生成"), "{}", text(&out));

    assert!(repo.tongbao(&["hooks", "uninstall"]).status.success());
    assert_eq!(
        std::fs::read_to_string(hooks.join("pre-commit")).unwrap(),
        user_hook,
        "user's hook restored"
    );
    assert!(executable(&hooks.join("pre-commit")), "user's hook restored executable");
    assert!(!hooks.join("post-commit").exists());
}

#[test]
fn hooks_run_tongbao_from_path_not_the_installing_binary() {
    let repo = Repo::new();
    assert!(repo.tongbao(&["hooks", "install"]).status.success());
    let hook = std::fs::read_to_string(repo.path().join(".git/hooks/pre-commit")).unwrap();
    let exe = env!("CARGO_BIN_EXE_tongbao");
    assert!(!hook.contains(exe), "the hook names the installing binary:\n{hook}");
    assert!(hook.contains("${TONGBAO:-tongbao}"), "{hook}");

    // Without tongbao (here: TONGBAO names a program that does not exist), pre-commit refuses
    // the commit and says why; with it on PATH (git_output), the commit goes through.
    let file = "data/2023-03/12345.yaml";
    repo.write(file, &repo.read(file).replace("邻里牵手转办: 155", "邻里牵手转办: 156"));
    git(repo.path(), &["add", file]);
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(repo.path())
        .args(["commit", "-m", "无 tongbao"])
        .env("TONGBAO", "/nonexistent/tongbao")
        .env("GIT_AUTHOR_NAME", "张三")
        .env("GIT_AUTHOR_EMAIL", "zhangsan@example.org")
        .env("GIT_COMMITTER_NAME", "张三")
        .env("GIT_COMMITTER_EMAIL", "zhangsan@example.org")
        .output()
        .unwrap();
    assert!(!out.status.success(), "committed without a check: {}", text(&out));
    assert!(text(&out).contains("找不到 tongbao 命令"), "{}", text(&out));
    let out = git_output(repo.path(), &["commit", "-m", "有 tongbao"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("检查通过"), "{}", text(&out));
}
