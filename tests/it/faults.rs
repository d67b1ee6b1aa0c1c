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
    repo.commit_edit(
        TEXT,
        "有效发挥系统推动工作落实",
        "充分发挥系统推动工作落实",
        "同事的改动",
    );
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
    assert!(
        !out.status.success(),
        "the commit with markers went through: {}",
        said(&out)
    );
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
    assert!(
        error["message"].as_str().unwrap().contains("U+200B（零宽空格）"),
        "{error}"
    );

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
    let error = errors
        .iter()
        .find(|e| e["file"] == "data/2023-03/document.yaml")
        .unwrap();
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
    p.write(
        rel,
        &format!("<<<<<<< HEAD\n{template}=======\n// 同事的版本\n>>>>>>> other\n"),
    );
    let out = p.run(&["build", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("templates/gongwen.typ 第 1 行") && said(&out).contains("合并冲突"),
        "{}",
        said(&out)
    );
}

/// Issues March in `repo` (committed) and commits the record; returns the issued PDF.
fn issue_march(repo: &Repo) -> Vec<u8> {
    let out = repo.tongbao(&["issue", "2023-03"]);
    assert!(out.status.success(), "{}", said(&out));
    git(repo.path(), &["add", "-A"]);
    let out = git_output(repo.path(), &["commit", "-m", "发布2023年3月通报"]);
    assert!(out.status.success(), "{}", said(&out));
    std::fs::read(repo.path().join("data/2023-03/issued.pdf")).unwrap()
}

/// With the hooks installed, a commit that changes an issued month is refused; the post-commit
/// hook and `watch` never put a changed circular in out/ for it.
#[test]
fn the_freeze_holds_on_the_hooks_and_watch_paths() {
    let repo = Repo::new();
    assert!(repo.tongbao(&["hooks", "install"]).status.success());
    let issued = issue_march(&repo);
    let pdf = repo.path().join("out/2023-03/circular.pdf");
    assert_eq!(
        std::fs::read(&pdf).unwrap(),
        issued,
        "after the record's commit, out/ holds the issued PDF"
    );

    // The pre-commit hook refuses a changed text, naming the change.
    let text = repo.read(TEXT);
    repo.write(
        TEXT,
        &text.replace("有效发挥系统推动工作落实", "切实发挥系统推动工作落实"),
    );
    git(repo.path(), &["add", TEXT]);
    let out = git_output(repo.path(), &["commit", "-m", "改动已发布的通报"]);
    assert!(!out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("issued-changed") && said(&out).contains("--revise"),
        "{}",
        said(&out)
    );
    // Committed past the hook (--no-verify): the post-commit hook leaves out/ alone.
    let out = git_output(repo.path(), &["commit", "--no-verify", "-m", "绕过钩子"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("不能改变"), "{}", said(&out));
    assert_eq!(std::fs::read(&pdf).unwrap(), issued);

    // watch shows the change in the preview, says it cannot be, and writes nothing.
    let w = crate::util::watch::Watch::start_at(repo.path(), &["2023-03"]);
    assert!(
        w.seen.iter().any(|l| l.contains("已发布的通报不能改变")),
        "{:?}",
        w.seen
    );
    assert_eq!(std::fs::read(&pdf).unwrap(), issued);
    assert!(!repo.path().join("out/2023-03/draft.pdf").exists());
    drop(w);
}

/// Deleting an issue record is refused by the hook, and one deleted past it (a revert of the
/// issue commit) is an error of check and build; withdrawing is explicit and recorded.
#[test]
fn an_issue_record_is_withdrawn_only_explicitly() {
    let repo = Repo::new();
    assert!(repo.tongbao(&["hooks", "install"]).status.success());
    issue_march(&repo);
    git(
        repo.path(),
        &["rm", "--quiet", "data/2023-03/issued.yaml", "data/2023-03/issued.pdf"],
    );
    let out = git_output(repo.path(), &["commit", "-m", "删掉发布记录"]);
    assert!(!out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("删除了发布记录") && said(&out).contains("--withdraw"),
        "{}",
        said(&out)
    );
    git(repo.path(), &["reset", "--quiet", "--hard"]);

    // A revert of the issue commit, which no hook sees.
    let out = git_output(repo.path(), &["revert", "--no-edit", "HEAD"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(!repo.path().join("data/2023-03/issued.yaml").exists());
    let out = repo.tongbao(&["check", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("删除了它的发布记录"), "{}", said(&out));
    let out = repo.tongbao(&["build", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    let out = repo.tongbao(&["build", "--all", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let march = doc["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == "2023-03")
        .unwrap();
    assert_eq!(march["status"], "failed", "{march}");

    // Restored, then withdrawn with a reason: recorded, committed through the hook, built anew.
    git(repo.path(), &["reset", "--quiet", "--hard", "HEAD~1"]);
    let out = repo.tongbao(&["issue", "2023-03", "--withdraw", "数据口径有误，撤回重发"]);
    assert!(out.status.success(), "{}", said(&out));
    let withdrawn = repo.read("data/2023-03/withdrawn.yaml");
    assert!(
        withdrawn.contains("版: 1") && withdrawn.contains("数据口径有误"),
        "{withdrawn}"
    );
    assert!(!repo.path().join("data/2023-03/issued.yaml").exists());
    git(repo.path(), &["add", "-A"]);
    let out = git_output(repo.path(), &["commit", "-m", "撤回2023年3月通报"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(repo.tongbao(&["check", "2023-03"]).status.success());
    assert!(repo.tongbao(&["build", "2023-03"]).status.success());
}

/// `issue` cut short after its record (as a kill leaves it) is found by check and completed by
/// issuing again.
#[test]
fn an_issue_cut_short_is_found_and_completed() {
    let repo = Repo::new();
    // Killed between the record and the file.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tongbao"))
        .args(["issue", "2023-03"])
        .current_dir(repo.path())
        .env("TONGBAO_KILL_AT", "issue:recorded")
        .output()
        .unwrap();
    assert!(out.status.code().is_none(), "not killed: {}", said(&out));
    assert!(repo.path().join("data/2023-03/issued.yaml").exists());
    assert!(!repo.path().join("data/2023-03/issued.pdf").exists());
    let issued = std::fs::read(repo.path().join("out/2023-03/circular.pdf")).unwrap();
    let out = repo.tongbao(&["check", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("发布没有完成") && said(&out).contains("tongbao issue 2023-03"),
        "{}",
        said(&out)
    );
    let out = repo.tongbao(&["issue", "2023-03"]);
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(
        std::fs::read(repo.path().join("data/2023-03/issued.pdf")).unwrap(),
        issued
    );
    assert!(repo.tongbao(&["check", "2023-03"]).status.success());
}

/// `issue` refuses inputs that are not committed (here: a table description), naming them and
/// what to stage; `--allow-dirty` issues and says so in the record.
#[test]
fn only_committed_inputs_are_issued() {
    let repo = Repo::new();
    let rel = "data/tables/12345.yaml";
    let description = repo.read(rel);
    repo.write(rel, &format!("{description}\n# 改了说明\n"));
    let out = repo.tongbao(&["issue", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains(rel) && said(&out).contains("git add -A data/tables"),
        "{}",
        said(&out)
    );
    assert!(!repo.path().join("data/2023-03/issued.pdf").exists());
    let out = repo.tongbao(&["issue", "2023-03", "--allow-dirty"]);
    assert!(out.status.success(), "{}", said(&out));
    assert!(repo.read("data/2023-03/issued.yaml").contains("未提交的改动: true"));
    assert!(
        said(&out).contains("git add -A data/2023-03 data/tables"),
        "{}",
        said(&out)
    );
}

/// In a shallow clone (CI's default) the history says it is incomplete and never credits the
/// boundary commit with figures made before it.
#[test]
fn a_shallow_clone_says_its_history_is_incomplete() {
    let repo = Repo::new();
    let file = "data/2023-03/12345.yaml";
    repo.commit_edit(file, "本月: 71, 办结: 71", "本月: 72, 办结: 72", "更正总寨镇");
    repo.commit_edit(TEXT, "有效发挥系统推动工作落实", "切实发挥系统推动工作落实", "改文字");
    let parent = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    let shallow = parent.path().join("shallow");
    let out = std::process::Command::new("git")
        .args(["clone", "--quiet", "--depth", "1", &url])
        .arg(&shallow)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    let row = repo
        .read(file)
        .lines()
        .find(|l| l.contains("本月: 72"))
        .unwrap()
        .to_string();
    let unit = crate::util::field(&row, "单位");
    let out = crate::util::git::tongbao_in(&shallow, &["blame", "2023-03", "12345", &unit, "本月"]);
    assert!(out.status.success(), "{}", said(&out));
    let text = said(&out);
    assert!(
        text.contains("浅克隆") && text.contains("git fetch --unshallow"),
        "{text}"
    );
    assert!(
        !text.contains("张三"),
        "the boundary commit's author is not credited: {text}"
    );
    let out = crate::util::git::tongbao_in(&shallow, &["log", "2023-03"]);
    assert!(said(&out).contains("浅克隆"), "{}", said(&out));
    // A complete clone names the author.
    let out = repo.tongbao(&["blame", "2023-03", "12345", &unit, "本月"]);
    assert!(
        said(&out).contains("张三") && !said(&out).contains("浅克隆"),
        "{}",
        said(&out)
    );
}

/// Without git on the PATH the build still makes the circular, and says its PDF has no source
/// commit and why, in Chinese.
#[test]
fn git_missing_is_said_and_the_pdf_warns_of_no_commit() {
    let repo = Repo::new();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tongbao"))
        .args(["build", "2023-03"])
        .current_dir(repo.path())
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("no-commit") && said(&out).contains("找不到 git 程序"),
        "{}",
        said(&out)
    );
}

/// A build asks git read-only: a stale index is not rewritten (no `index.lock` is taken, so a
/// `git add` at the same moment cannot fail for it).
#[test]
fn a_build_does_not_take_gits_index_lock() {
    let repo = Repo::new();
    let index = repo.path().join(".git/index");
    // Make the index stale: a file's times change, its content does not.
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    let file = std::fs::File::options()
        .write(true)
        .open(repo.path().join(TEXT))
        .unwrap();
    file.set_modified(later).unwrap();
    let before = std::fs::read(&index).unwrap();
    let out = repo.tongbao(&["build", "2023-03"]);
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(std::fs::read(&index).unwrap(), before, "the index was rewritten");
    // git itself (with its optional locks) would have refreshed it.
    git(repo.path(), &["status", "--porcelain"]);
    assert_ne!(
        std::fs::read(&index).unwrap(),
        before,
        "the test's premise: git status refreshes a stale index"
    );
}

/// Runs tongbao in `root` as an ordinary user: the test's own user when it is not root, else
/// `nobody` (root reads every file whatever its permissions).
fn as_user(root: &std::path::Path, args: &[&str]) -> std::process::Output {
    let bin = env!("CARGO_BIN_EXE_tongbao");
    let root_user = std::process::Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let mut command = if root_user {
        // The project must be the user's to write out/ in.
        let out = std::process::Command::new("chown")
            .args(["-R", "65534:65534"])
            .arg(root)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", said(&out));
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--", bin]);
        c
    } else {
        std::process::Command::new(bin)
    };
    command
        .args(args)
        .arg("--root")
        .arg(root)
        .env("HOME", root)
        .output()
        .unwrap()
}

/// Makes `rel` unreadable (and, for a folder, unsearchable) by its owner.
fn lock(p: &Project, rel: &str) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(p.path(rel), std::fs::Permissions::from_mode(0o000)).unwrap();
}

/// A project whose folders an ordinary user may enter (temporary folders are private to root).
/// Its fonts are copied first: they are hard links to the repository's, whose owner and modes
/// must not change.
fn open_project() -> Project {
    let p = Project::march_only();
    for entry in std::fs::read_dir(p.path("fonts")).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, bytes).unwrap();
    }
    let out = std::process::Command::new("chmod")
        .args(["-R", "a+rwX"])
        .arg(p.root())
        .output()
        .unwrap();
    assert!(out.status.success());
    p
}

/// A font file that cannot be read fails the build, naming the file and the reason; the next
/// `build --all` does not skip the month as unchanged.
#[test]
fn an_unreadable_font_fails_the_build() {
    let p = open_project();
    let font = "fonts/FandolFang-Regular.otf";
    lock(&p, font);
    let out = as_user(p.root(), &["build", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains(&format!("无法读取字体文件 {font}：没有权限")),
        "{}",
        said(&out)
    );
    assert!(!p.path("out/2023-03/circular.pdf").exists());
    let out = as_user(p.root(), &["build", "--all"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
}

/// A file under fonts/ that is not a font fails the build rather than being passed over.
#[test]
fn a_broken_font_fails_the_build() {
    let p = Project::march_only();
    p.write("fonts/仿宋_GB2312.ttf", "这不是字体");
    let out = p.run(&["build", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("fonts/仿宋_GB2312.ttf：不是可用的字体文件"),
        "{}",
        said(&out)
    );
}

/// A month folder that cannot be read is an error, not a month of data only.
#[test]
fn an_unreadable_month_folder_is_an_error() {
    let p = open_project();
    lock(&p, "data/2023-03");
    let out = as_user(p.root(), &["check", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("无法读取 data/2023-03：没有权限"), "{}", said(&out));
    let out = as_user(p.root(), &["build", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(!said(&out).contains("仅数据"), "{}", said(&out));
}

/// A font edited without changing its size, its modification time put back, is seen as changed.
#[test]
fn a_same_size_edit_with_its_time_put_back_is_rebuilt() {
    let p = Project::march_only();
    let font = "fonts/LiberationSerif-Regular.ttf";
    let mut bytes = std::fs::read(p.path(font)).unwrap();
    std::fs::remove_file(p.path(font)).unwrap();
    std::fs::write(p.path(font), &bytes).unwrap();
    let out = p.run(&["build", "--all"]);
    assert!(out.status.success(), "{}", said(&out));
    let mtime = std::fs::metadata(p.path(font)).unwrap().modified().unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 0x01;
    std::fs::write(p.path(font), &bytes).unwrap();
    std::fs::File::options()
        .write(true)
        .open(p.path(font))
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let out = p.run(&["build", "--all", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["unchanged"], 0, "{doc}");
}

/// Every file of a folder (recursively), root-relative, with its bytes.
fn snapshot(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().to_string();
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// A tmpfs mounted on a folder for the length of a test.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(on: &std::path::Path, bytes: u64) -> Tmpfs {
        let size = format!("size={}k", bytes.div_ceil(4096) * 4);
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &size, "tmpfs"])
            .arg(on)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "a tmpfs is needed for the full disk: {}",
            said(&out)
        );
        Tmpfs(on.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).output();
    }
}

const ALL: &str = "输出: [pdf, html, docx, xlsx, ofd]\n";

/// On a full disk a build with every output replaces none of them: the web page, Word file,
/// workbook, PDF and OFD all stay the previous build's, the message says so, nothing is left.
#[test]
fn a_full_disk_replaces_none_of_a_builds_outputs() {
    let p = Project::march_only();
    p.write("tongbao.yaml", ALL);
    let out = p.run(&["build", "2023-03"]);
    assert!(out.status.success(), "{}", said(&out));
    let before = snapshot(&p.path("out"));
    let used: u64 = before.values().map(|b| b.len() as u64).sum();
    // out/ on a disk with room for what is there and a little more, not a second build.
    std::fs::rename(p.path("out"), p.path("out.old")).unwrap();
    std::fs::create_dir(p.path("out")).unwrap();
    let _disk = Tmpfs::mount(&p.path("out"), used + 128 * 1024);
    for (rel, bytes) in &before {
        let path = p.path("out").join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    p.edit(TEXT, "有效发挥系统推动工作落实", "切实发挥系统推动工作落实");
    let out = p.run(&["build", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(
        said(&out).contains("磁盘已满") && said(&out).contains("都没有写入"),
        "{}",
        said(&out)
    );
    let after = snapshot(&p.path("out"));
    // The outputs (tongbao's own caches in out/, such as the fonts' digests, may be updated).
    let output = |k: &&String| k.starts_with("2023-03/");
    let changed: Vec<&String> = before
        .keys()
        .filter(output)
        .filter(|k| after.get(*k) != before.get(*k))
        .collect();
    assert!(changed.is_empty(), "replaced on a full disk: {changed:?}");
    let left: Vec<&String> = after
        .keys()
        // (New caches at the top of out/ aside; the scratch folder must be empty.)
        .filter(|k| !before.contains_key(*k))
        .filter(|k| k.contains('/') || !k.starts_with(".tongbao-"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Killed at random moments while writing every output from one of two texts, a build leaves
/// (once the next command has run) every output from the same text: never a new web page beside
/// an old PDF.
#[test]
fn a_killed_build_leaves_its_outputs_all_old_or_all_new() {
    let p = Project::march_only();
    p.write("tongbao.yaml", ALL);
    let text = p.read(TEXT);
    let versions = ["有效发挥系统推动工作落实", "切实发挥系统推动工作落实"];
    assert!(p.run(&["build", "2023-03"]).status.success());
    let marker = |rel: &str| {
        let html = std::fs::read_to_string(p.path(rel)).unwrap();
        versions.iter().position(|v| html.contains(v))
    };
    let cases: u64 = std::env::var("TONGBAO_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12)
        .min(24);
    let mut seen = [false; 2];
    for case in 0..cases {
        let version = versions[(case % 2) as usize];
        p.write(TEXT, &text.replace(versions[0], version));
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tongbao"))
            .args(["build", "2023-03", "--root"])
            .arg(p.root())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Spread over the build: from reading to the last rename.
        std::thread::sleep(std::time::Duration::from_millis(150 + case * 397 % 2400));
        let _ = child.kill();
        let _ = child.wait();
        // The next command finishes or removes what the killed one left.
        assert!(p.run(&["check", "2023-03"]).status.code().is_some());
        let pdf = crate::util::pdftotext(&p.path("out/2023-03/circular.pdf"));
        let in_pdf = versions.iter().position(|v| crate::util::normalise(&pdf).contains(v));
        let in_html = marker("out/2023-03/circular.html");
        let in_typ = marker("out/2023-03/circular.typ");
        assert!(in_html.is_some(), "case {case}: the web page holds neither text");
        assert_eq!(
            (in_pdf, in_typ),
            (in_html, in_html),
            "case {case}: outputs from different builds"
        );
        seen[in_html.unwrap_or(0)] = true;
        let scratch = snapshot(&p.path("out/.tongbao-tmp"));
        assert!(scratch.is_empty(), "case {case}: left {:?}", scratch.keys());
    }
    assert!(
        seen[1],
        "no kill came after a build of the second text finished: the test saw nothing"
    );
}

/// `data/` replaced as a whole under `watch` (restored from a copy) is picked up, and so are
/// edits inside the new folder.
#[test]
fn watch_follows_a_data_folder_replaced_whole() {
    let p = Project::march_only();
    let mut w = crate::util::watch::Watch::start(&p);
    crate::util::copy_tree(&p.path("data"), &p.path("data.new"), false);
    let text = p.path("data.new/2023-03/通报.txt");
    crate::util::replace_in(&text, "有效发挥系统推动工作落实", "切实发挥系统推动工作落实");
    std::fs::rename(p.path("data"), p.path("data.old")).unwrap();
    std::fs::rename(p.path("data.new"), p.path("data")).unwrap();
    let pdf = || crate::util::normalise(&crate::util::pdftotext(&p.path("out/2023-03/circular.pdf")));
    w.wait_line(|l| l.contains("已更新")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !pdf().contains("切实发挥") && std::time::Instant::now() < deadline {
        w.wait_line(|l| l.contains("已更新"));
    }
    assert!(pdf().contains("切实发挥"), "the new data/ was not built");
    // An edit inside the new folder is seen too.
    p.edit(TEXT, "切实发挥系统推动工作落实", "充分发挥系统推动工作落实");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !pdf().contains("充分发挥") && std::time::Instant::now() < deadline {
        w.wait_line(|l| l.contains("已更新"));
    }
    assert!(pdf().contains("充分发挥"), "an edit inside the new data/ was missed");
}

/// Under a low limit of open files a build either fails saying so, or makes a circular whose
/// Chinese text is set in its fonts: never blank boxes reported as success.
#[test]
fn a_low_file_limit_never_gives_blank_boxes() {
    let p = Project::march_only();
    for limit in [6, 8, 10, 12, 16, 24] {
        let _ = std::fs::remove_file(p.path("out/2023-03/circular.pdf"));
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {limit} && exec \"$0\" build 2023-03 --root \"$1\""))
            .arg(env!("CARGO_BIN_EXE_tongbao"))
            .arg(p.root())
            .output()
            .unwrap();
        if !out.status.success() {
            assert!(said(&out).contains("打开的文件太多"), "limit {limit}: {}", said(&out));
            continue;
        }
        let text = crate::util::normalise(&crate::util::pdftotext(&p.path("out/2023-03/circular.pdf")));
        assert!(
            text.contains("政务督办系统运行情况"),
            "limit {limit}: the text is not there"
        );
        let fonts = std::process::Command::new("pdffonts")
            .arg(p.path("out/2023-03/circular.pdf"))
            .output()
            .unwrap();
        let fonts = String::from_utf8_lossy(&fonts.stdout).to_string();
        assert!(
            fonts.contains("CJK") || fonts.contains("Fandol") || fonts.contains("WenKai"),
            "limit {limit}: {fonts}"
        );
        assert!(!said(&out).contains("glyph-missing"), "limit {limit}: {}", said(&out));
    }
}

/// A `verify` killed while its worktree is out leaves nothing once the next command has run: no
/// folder in the scratch space, no worktree git remembers.
#[test]
fn a_killed_verify_leaves_no_worktree_behind() {
    let repo = Repo::new();
    assert!(repo.tongbao(&["build", "2023-03"]).status.success());
    let pdf = repo.path().join("out/2023-03/verified.pdf");
    std::fs::copy(repo.path().join("out/2023-03/circular.pdf"), &pdf).unwrap();
    let mut killed_with_worktree = 0;
    for delay in [150u64, 300, 450, 600, 800, 1500] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tongbao"))
            .arg("verify")
            .arg(&pdf)
            .current_dir(repo.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        if git(repo.path(), &["worktree", "list"]).lines().count() > 1 {
            killed_with_worktree += 1;
        }
        let out = repo.tongbao(&["check", "2023-03"]);
        assert!(out.status.success(), "{}", said(&out));
        // Its leftovers go with the next verify (which prunes git's record of the worktree).
        let out = repo.tongbao(&["verify", pdf.to_str().unwrap()]);
        assert!(out.status.success(), "{}", said(&out));
        assert!(
            snapshot(&repo.path().join("out/.tongbao-tmp")).is_empty(),
            "after a kill at {delay} ms"
        );
        assert_eq!(
            git(repo.path(), &["worktree", "list"]).lines().count(),
            1,
            "after a kill at {delay} ms"
        );
    }
    assert!(
        killed_with_worktree > 0,
        "no kill came while a worktree was out: the test saw nothing"
    );
}

/// Killed at each point between a build's writes, the outputs the next command finds are all the
/// new build's or all the previous one's: staged files are removed, journalled renames finished.
#[test]
fn killed_between_writes_the_outputs_stay_together() {
    let p = Project::march_only();
    p.write("tongbao.yaml", ALL);
    assert!(p.run(&["build", "2023-03"]).status.success());
    for (point, new, replaced) in [
        ("write:staged", "切实发挥系统推动工作落实", false),
        ("write:journalled", "充分发挥系统推动工作落实", true),
        ("write:renaming", "积极发挥系统推动工作落实", true),
    ] {
        let before = snapshot(&p.path("out/2023-03"));
        let text = p.read(TEXT);
        let current = ["有效", "切实", "充分", "积极"]
            .iter()
            .map(|w| format!("{w}发挥系统推动工作落实"))
            .find(|t| text.contains(t.as_str()))
            .unwrap();
        p.write(TEXT, &text.replace(&current, new));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tongbao"))
            .args(["build", "2023-03", "--root"])
            .arg(p.root())
            .env("TONGBAO_KILL_AT", point)
            .output()
            .unwrap();
        assert!(out.status.code().is_none(), "{point}: not killed: {}", said(&out));
        assert!(p.run(&["check", "2023-03"]).status.code().is_some());
        let after = snapshot(&p.path("out/2023-03"));
        let html = String::from_utf8_lossy(&after["circular.html"]).to_string();
        let typ = String::from_utf8_lossy(&after["circular.typ"]).to_string();
        let pdf = crate::util::normalise(&crate::util::pdftotext(&p.path("out/2023-03/circular.pdf")));
        let expect = if replaced { new } else { current.as_str() };
        for (what, holds) in [
            ("web page", html.contains(expect)),
            ("source", typ.contains(expect)),
            ("PDF", pdf.contains(expect)),
        ] {
            assert!(
                holds,
                "{point}: the {what} is not from the {} build",
                if replaced { "new" } else { "previous" }
            );
        }
        if !replaced {
            assert_eq!(after, before, "{point}: something was replaced");
        }
        assert!(snapshot(&p.path("out/.tongbao-tmp")).is_empty(), "{point}: leftovers");
    }
}

/// Found in review: a record moved away is its deletion for the hook; a record that cannot be read
/// is never written over; a reason with an invisible character is refused before it is recorded.
#[test]
fn an_issue_record_is_kept_whatever_is_done_to_it() {
    let repo = Repo::new();
    assert!(repo.tongbao(&["hooks", "install"]).status.success());
    let issued = issue_march(&repo);
    git(
        repo.path(),
        &["mv", "data/2023-03/issued.yaml", "data/2023-03/issued.old.yaml"],
    );
    let out = git_output(repo.path(), &["commit", "-m", "挪走发布记录"]);
    assert!(!out.status.success(), "{}", said(&out));
    git(repo.path(), &["reset", "--quiet", "--hard"]);

    let out = repo.tongbao(&["issue", "2023-03", "--revise", "更正\u{200B}数字"]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(said(&out).contains("U+200B"), "{}", said(&out));

    let record = repo.read("data/2023-03/issued.yaml");
    repo.write(
        "data/2023-03/issued.yaml",
        &format!("<<<<<<< HEAD\n{record}=======\n>>>>>>> other\n"),
    );
    let out = repo.tongbao(&["issue", "2023-03"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert!(said(&out).contains("conflict-marker"), "{}", said(&out));
    assert_eq!(
        std::fs::read(repo.path().join("data/2023-03/issued.pdf")).unwrap(),
        issued
    );
    assert!(
        repo.read("data/2023-03/issued.yaml").starts_with("<<<<<<<"),
        "the record was written over"
    );
}

/// A revision that is refused leaves out/ holding the issued circular, not the revised one it built.
#[test]
fn a_refused_revision_leaves_the_issued_files_in_out() {
    let repo = Repo::new();
    let issued = issue_march(&repo);
    crate::util::replace_in(
        &repo.path().join("data/2023-03/12345.yaml"),
        "邻里牵手转办: 155",
        "邻里牵手转办: 160",
    );
    // Warnings of a kind the office does not issue with (March has 概况 that differ from 附件).
    repo.write("tongbao.yaml", "发布前须解决: [headline]\n");
    let out = repo.tongbao(&["issue", "2023-03", "--revise", "更正邻里牵手数字"]);
    assert_eq!(out.status.code(), Some(1), "{}", said(&out));
    assert_eq!(
        std::fs::read(repo.path().join("out/2023-03/circular.pdf")).unwrap(),
        issued
    );
    assert_eq!(
        std::fs::read(repo.path().join("data/2023-03/issued.pdf")).unwrap(),
        issued
    );
}
