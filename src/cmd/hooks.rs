//! `tongbao hooks install|uninstall`: git hooks that check before a commit and rebuild after one.
//!
//! pre-commit checks the staged data of the months the commit touches and refuses a commit with
//! errors; post-commit, post-merge and post-checkout rebuild the touched months. A hook the user
//! already had is kept and run first (saved as `<hook>.tongbao-saved`); uninstall puts it back.

use std::path::{Path, PathBuf};

use super::{Error, Result, Status};
use crate::calendar::MonthId;
use crate::diag;
use crate::git;
use crate::pipeline::Session;
use crate::project::{ASSETS, CONFIG, DATA, FONTS, INPUTS, Project, TEMPLATES};

/// The hooks tongbao manages.
pub(crate) const HOOKS: [&str; 4] = ["pre-commit", "post-commit", "post-merge", "post-checkout"];
const MARKER: &str = "# tongbao-hook:";
const SAVED: &str = ".tongbao-saved";

fn hooks_dir(root: &Path) -> Option<PathBuf> {
    let dir = git::ask(root, &["rev-parse", "--git-path", "hooks"])?;
    let dir = PathBuf::from(dir);
    Some(if dir.is_absolute() { dir } else { root.join(dir) })
}

/// A hook's script. It runs `tongbao` from PATH (or `$TONGBAO`), never the path of the binary
/// that installed it: the hooks are shared by everyone who works in the clone, and survive a
/// reinstall or an upgrade of tongbao. Without tongbao, pre-commit refuses the commit (the data
/// would go in unchecked) and the others say so and let git go on.
fn script(hook: &str, prefix: &str) -> String {
    let missing = if hook == "pre-commit" {
        "  echo \"tongbao：找不到 tongbao 命令，无法检查数据，提交已取消。请安装 tongbao（或设置 TONGBAO=程序路径）；确需跳过检查时用 git commit --no-verify\" >&2\n  exit 1\n"
    } else {
        "  echo \"tongbao：找不到 tongbao 命令，未重新生成通报（请安装 tongbao，或设置 TONGBAO=程序路径）\" >&2\n  exit 0\n"
    };
    format!(
        "#!/bin/sh\n{MARKER} {hook}. Installed by `tongbao hooks install`; `tongbao hooks uninstall` removes it.\n\
         hook_dir=$(dirname \"$0\")\n\
         if [ -x \"$hook_dir/{hook}{SAVED}\" ]; then\n  \"$hook_dir/{hook}{SAVED}\" \"$@\" || exit $?\nfi\n\
         tongbao=\"${{TONGBAO:-tongbao}}\"\n\
         if ! command -v \"$tongbao\" >/dev/null 2>&1; then\n{missing}fi\n\
         top=$(git rev-parse --show-toplevel) || exit 0\n\
         exec \"$tongbao\" --root \"$top/{prefix}\" hooks run {hook} \"$@\"\n",
    )
}

/// `tongbao hooks install`.
pub(crate) fn install(project: &Project) -> Result {
    let root = project.root();
    let dir =
        hooks_dir(root).ok_or_else(|| Error::Usage(format!("{} 不在 git 仓库中；请先 git init", root.display())))?;
    let prefix = git::prefix(root).unwrap_or_default();
    std::fs::create_dir_all(&dir).map_err(|_| Error::Usage(format!("无法创建 {}", dir.display())))?;
    for hook in HOOKS {
        let path = dir.join(hook);
        let existing = std::fs::read_to_string(&path).ok();
        let ours = existing.as_deref().is_some_and(|t| t.contains(MARKER));
        if existing.is_some() && !ours {
            let saved = dir.join(format!("{hook}{SAVED}"));
            std::fs::rename(&path, &saved).map_err(|e| Error::Usage(format!("无法保存原有的 {hook} 钩子：{e}")))?;
            say!("已保留原有的 {hook} 钩子（改名为 {hook}{SAVED}，仍会先运行）");
        }
        std::fs::write(&path, script(hook, &prefix).as_bytes())
            .and_then(|_| make_executable(&path))
            .map_err(|e| Error::Usage(format!("无法写入 {}：{e}", path.display())))?;
    }
    say!("已安装 git 钩子：提交前检查数据，提交、合并、切换分支后自动重新生成 PDF");
    Ok(Status::Clean)
}

/// `tongbao hooks uninstall`.
pub(crate) fn uninstall(project: &Project) -> Result {
    let root = project.root();
    let dir = hooks_dir(root).ok_or_else(|| Error::Usage(format!("{} 不在 git 仓库中", root.display())))?;
    for hook in HOOKS {
        let path = dir.join(hook);
        if std::fs::read_to_string(&path).is_ok_and(|t| t.contains(MARKER)) {
            let _ = std::fs::remove_file(&path);
        }
        let saved = dir.join(format!("{hook}{SAVED}"));
        if saved.exists() && !path.exists() {
            let _ = std::fs::rename(&saved, &path);
            say!("已恢复原有的 {hook} 钩子");
        }
    }
    say!("已卸载 tongbao 的 git 钩子");
    Ok(Status::Clean)
}

#[cfg(unix)]
fn make_executable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The months a change to `files` (project-relative paths) touches: a month folder touches that
/// month and every month whose text compares with it (`compared`: each month and the months it
/// reads, from the one owner of that, `load::compared_months`); the registry, the descriptions,
/// the templates, the fonts or the configuration touch every month.
pub(crate) fn touched_months(files: &[String], all: &[String], compared: &dyn Fn(&str) -> Vec<String>) -> Vec<String> {
    let mut changed = Vec::new();
    for f in files {
        let parts: Vec<&str> = f.split('/').collect();
        match parts.as_slice() {
            [data, m, ..] if *data == DATA && MonthId::parse(m).is_some() => changed.push(m.to_string()),
            [first, ..] if INPUTS.contains(first) => return all.to_vec(),
            _ => {}
        }
    }
    let mut months: Vec<String> = changed.clone();
    if !changed.is_empty() {
        months.extend(
            all.iter()
                .filter(|m| compared(m).iter().any(|c| changed.contains(c)))
                .cloned(),
        );
    }
    months.retain(|m| all.contains(m));
    months.sort();
    months.dedup();
    months
}

/// Files changed, relative to the project (paths outside it dropped).
fn project_files(root: &Path, listing: &str) -> Vec<String> {
    let prefix = git::prefix(root).unwrap_or_default();
    listing
        .lines()
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .map(str::to_string)
        .collect()
}

/// `tongbao hooks run HOOK [ARGS]` (called by the installed hooks).
pub(crate) fn run(project: &Project, hook: &str, args: &[String]) -> Result {
    let root = project.root();
    let all = project.months();
    let changed = |args: &[&str]| project_files(root, &git::ask(root, args).unwrap_or_default());
    let compared = |m: &str| crate::load::compared_months(project, m);
    let touched = |files: &[String]| touched_months(files, &all, &compared);
    match hook {
        "pre-commit" => pre_commit(project, &all),
        "post-commit" => {
            let files = changed(&["diff-tree", "--no-commit-id", "--name-only", "-r", "--root", "HEAD"]);
            Ok(rebuild(project, &touched(&files)))
        }
        "post-merge" => {
            let files = changed(&["diff", "--name-only", "ORIG_HEAD", "HEAD"]);
            Ok(rebuild(project, &touched(&files)))
        }
        "post-checkout" => {
            let (Some(old), Some(new)) = (args.first(), args.get(1)) else {
                return Ok(Status::Clean);
            };
            if old.chars().all(|c| c == '0') {
                return Ok(rebuild(project, &all));
            }
            let files = changed(&["diff", "--name-only", old, new]);
            Ok(rebuild(project, &touched(&files)))
        }
        other => Err(Error::Usage(format!("未知的钩子 {other}"))),
    }
}

fn pre_commit(project: &Project, all: &[String]) -> Result {
    let root = project.root();
    let staged = git::ask(
        root,
        &["diff", "--cached", "--no-renames", "--name-only", "--diff-filter=ACMRD"],
    )
    .unwrap_or_default();
    let files = project_files(root, &staged);
    let months = touched_months(&files, all, &|m| crate::load::compared_months(project, m));
    if months.is_empty() && !files.iter().any(|f| f.starts_with("data/")) {
        return Ok(Status::Clean);
    }
    // Check what is staged, not the working tree: copy the index's data into a temporary folder.
    // In the project's scratch folder (ignored by git), so that what a killed run leaves is
    // removed by the next one.
    project.recover();
    let tmp = match project.create_dir(Path::new(crate::project::SCRATCH)) {
        Ok(scratch) => scratch.join(format!("{}-pre-commit", std::process::id())),
        Err(_) => std::env::temp_dir().join(format!("tongbao-pre-commit-{}", std::process::id())),
    };
    let _ = std::fs::remove_dir_all(&tmp);
    let prefix = git::prefix(root).unwrap_or_default();
    // What `check` reads: the data, the configuration, the templates it renders and the assets it
    // checks (the fonts only matter to Typst, which `check` does not run).
    let listed = git::ask(root, &["ls-files", "--", DATA, CONFIG, TEMPLATES, ASSETS]).unwrap_or_default();
    // Paths are relative to the project; checkout-index writes them under the prefix with their
    // full path from the top of the repository.
    let mut checkout = vec![format!("--prefix={}/", tmp.display()), "--".to_string()];
    checkout.extend(listed.lines().map(str::to_string));
    checkout.insert(0, "checkout-index".into());
    let copied = git::run(root, &checkout).is_ok();
    let staged_project = Project::new(&tmp.join(&prefix));
    let checked = if copied { &staged_project } else { project };
    // Only a change outside the month folders (e.g. a deleted month) leaves none touched: check all.
    let months = if months.is_empty() { checked.months() } else { months };
    let mut diags = crate::pipeline::check_months(checked, &months);
    // The freeze, on what is staged: an issued month must still give its circular, which takes
    // Typst and so the staged fonts too (copied only then: they are large).
    if copied && months.iter().any(|m| checked.is_issued(m)) {
        let fonts = git::ask(root, &["ls-files", "--", FONTS]).unwrap_or_default();
        let mut checkout = vec![
            "checkout-index".to_string(),
            format!("--prefix={}/", tmp.display()),
            "--".into(),
        ];
        checkout.extend(fonts.lines().map(str::to_string));
        let _ = git::run(root, &checkout);
    }
    let resolved = std::sync::Arc::new(crate::pipeline::Resolved::configured(checked));
    // The history is the repository's (the staged copy has none).
    let git = crate::provenance::GitProbe::history(project);
    diags.extend(super::check::frozen(&resolved, &months, &git));
    diags.extend(deleted_records(project, &files, &listed));
    let _ = std::fs::remove_dir_all(&tmp);
    let (errors, _) = diag::counts(&diags);
    if errors > 0 {
        diags.retain(diag::Diagnostic::is_error);
        super::report(&mut diags, crate::args::Format::Human);
        return Err(Error::Failed(format!(
            "提交已取消：暂存的数据有 {errors} 个错误（{}）。请修正后重新 git add 并提交。",
            months.join("、")
        )));
    }
    tell!("tongbao：{} 检查通过", months.join("、"));
    Ok(Status::Clean)
}

/// A staged deletion of an issue record or an issued file (`files`: what is staged) is refused
/// unless the month's withdrawal is staged with it (`listed`: the index's files).
fn deleted_records(project: &Project, files: &[String], listed: &str) -> Vec<diag::Diagnostic> {
    let root = project.root();
    let deleted = git::ask(
        root,
        &["diff", "--cached", "--no-renames", "--name-only", "--diff-filter=D"],
    )
    .unwrap_or_default();
    let deleted = project_files(root, &deleted);
    let mut diags = Vec::new();
    for path in deleted.iter().filter(|f| files.contains(f)) {
        let rel = std::path::Path::new(path);
        let Some(name) = rel.file_name().map(|n| n.to_string_lossy().to_string()) else {
            continue;
        };
        let record = [
            crate::project::ISSUE_RECORD,
            crate::project::ISSUED_PDF,
            crate::project::ISSUED_OFD,
        ];
        if !record.contains(&name.as_str()) {
            continue;
        }
        let Some(month) = rel.parent() else { continue };
        // The withdrawal must be made in this very commit (an old one allows nothing); ls-files
        // names the index's files relative to the project.
        let withdrawal = month.join(crate::project::WITHDRAWN);
        let staged_now = files.iter().any(|f| std::path::Path::new(f) == withdrawal);
        if staged_now && listed.lines().any(|l| std::path::Path::new(l) == withdrawal) {
            continue;
        }
        diags.push(
            diag::Diagnostic::in_file(
                diag::Severity::Error,
                diag::Code::IssuedChanged,
                rel,
                format!("这次提交删除了发布记录的文件 {path}：已发布的通报不能这样取消"),
            )
            .help(format!(
                "恢复它：git restore --staged --worktree {path}；确要撤回这份通报，运行 tongbao issue {} --withdraw \"原因\"",
                month.file_name().map(|m| m.to_string_lossy().to_string()).unwrap_or_default()
            )),
        );
    }
    diags
}

/// Rebuilds `months`. A post-* hook cannot undo what git did: it never fails.
fn rebuild(project: &Project, months: &[String]) -> Status {
    if months.is_empty() {
        return Status::Clean;
    }
    let resolved = std::sync::Arc::new(crate::pipeline::Resolved::configured(project));
    let mut session = Session::open(resolved.clone());
    for month in months {
        if project.is_issued(month) {
            match super::build::place_issued(&resolved, month) {
                Ok(_) => say!("tongbao：{month} 已发布，out/{month}/ 中为发布的文件"),
                Err(mut diags) => {
                    super::report(&mut diags, crate::args::Format::Human);
                    tell!("tongbao：{month} 已发布的通报不能改变，out/{month}/ 未更新（见上）");
                }
            }
            continue;
        }
        let outcome = session.build(month);
        match &outcome.pdf {
            Some(pdf) => say!("tongbao：已重新生成 {}", pdf.display()),
            None => tell!("tongbao：{month} 未能生成（运行 tongbao check {month} 查看原因）"),
        }
    }
    Status::Clean
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touched_months_follow_the_data() {
        let all: Vec<String> = ["2023-02", "2023-03", "2023-04"].map(String::from).to_vec();
        let files = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // 2023-04 compares with 2023-03; 2023-02 with nothing.
        let compared = |m: &str| {
            if m == "2023-04" {
                vec!["2023-03".to_string()]
            } else {
                Vec::new()
            }
        };
        let touched = |f: &[&str]| touched_months(&files(f), &all, &compared);
        assert_eq!(touched(&["data/2023-03/710.yaml"]), ["2023-03", "2023-04"]);
        assert_eq!(
            touched(&["data/2023-02/710.yaml"]),
            ["2023-02"],
            "nothing compares with it"
        );
        assert_eq!(touched(&["data/2023-04/document.yaml", "README.md"]), ["2023-04"]);
        assert_eq!(touched(&["data/units.yaml"]), all);
        assert_eq!(touched(&["templates/gongwen.typ"]), all);
        assert!(touched(&["src/main.rs"]).is_empty());
    }
}
