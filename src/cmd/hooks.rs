//! `tongbao hooks install|uninstall`: git hooks that check before a commit and rebuild after one.
//!
//! pre-commit checks the staged data of the months the commit touches and refuses a commit with
//! errors; post-commit, post-merge and post-checkout rebuild the touched months. A hook the user
//! already had is kept and run first (saved as `<hook>.tongbao-saved`); uninstall puts it back.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};
use crate::diag;
use crate::pipeline::{self, Options, Session};

/// The hooks tongbao manages.
pub const HOOKS: [&str; 4] = ["pre-commit", "post-commit", "post-merge", "post-checkout"];
const MARKER: &str = "# tongbao-hook:";
const SAVED: &str = ".tongbao-saved";

fn git(root: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(root).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim_end().to_string())
}

fn hooks_dir(root: &Path) -> Option<PathBuf> {
    let dir = git(root, &["rev-parse", "--git-path", "hooks"])?;
    let dir = PathBuf::from(dir);
    Some(if dir.is_absolute() { dir } else { root.join(dir) })
}

fn script(hook: &str, exe: &Path, prefix: &str) -> String {
    format!(
        "#!/bin/sh\n{MARKER} {hook}. Installed by `tongbao hooks install`; `tongbao hooks uninstall` removes it.\n\
         hook_dir=$(dirname \"$0\")\n\
         if [ -x \"$hook_dir/{hook}{SAVED}\" ]; then\n  \"$hook_dir/{hook}{SAVED}\" \"$@\" || exit $?\nfi\n\
         top=$(git rev-parse --show-toplevel) || exit 0\n\
         exec \"${{TONGBAO:-{exe}}}\" --root \"$top/{prefix}\" hooks run {hook} \"$@\"\n",
        exe = exe.display(),
    )
}

/// `tongbao hooks install`.
pub fn install(root: &Path) -> i32 {
    let Some(dir) = hooks_dir(root) else {
        crate::tell!("错误：{} 不在 git 仓库中；请先 git init", root.display());
        return EXIT_USAGE;
    };
    let prefix = git(root, &["rev-parse", "--show-prefix"]).unwrap_or_default();
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("tongbao"));
    if std::fs::create_dir_all(&dir).is_err() {
        crate::tell!("错误：无法创建 {}", dir.display());
        return EXIT_USAGE;
    }
    for hook in HOOKS {
        let path = dir.join(hook);
        let existing = std::fs::read_to_string(&path).ok();
        let ours = existing.as_deref().is_some_and(|t| t.contains(MARKER));
        if existing.is_some() && !ours {
            let saved = dir.join(format!("{hook}{SAVED}"));
            if let Err(e) = std::fs::rename(&path, &saved) {
                crate::tell!("错误：无法保存原有的 {hook} 钩子：{e}");
                return EXIT_USAGE;
            }
            crate::say!("已保留原有的 {hook} 钩子（改名为 {hook}{SAVED}，仍会先运行）");
        }
        if let Err(e) = crate::output::write_atomic(&path, script(hook, &exe, &prefix).as_bytes())
            .and_then(|_| make_executable(&path))
        {
            crate::tell!("错误：无法写入 {}：{e}", path.display());
            return EXIT_USAGE;
        }
    }
    crate::say!("已安装 git 钩子：提交前检查数据，提交、合并、切换分支后自动重新生成 PDF");
    EXIT_OK
}

/// `tongbao hooks uninstall`.
pub fn uninstall(root: &Path) -> i32 {
    let Some(dir) = hooks_dir(root) else {
        crate::tell!("错误：{} 不在 git 仓库中", root.display());
        return EXIT_USAGE;
    };
    for hook in HOOKS {
        let path = dir.join(hook);
        if std::fs::read_to_string(&path).is_ok_and(|t| t.contains(MARKER)) {
            let _ = std::fs::remove_file(&path);
        }
        let saved = dir.join(format!("{hook}{SAVED}"));
        if saved.exists() && !path.exists() {
            let _ = std::fs::rename(&saved, &path);
            crate::say!("已恢复原有的 {hook} 钩子");
        }
    }
    crate::say!("已卸载 tongbao 的 git 钩子");
    EXIT_OK
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
/// month and the next (which compares with it); the registry, the descriptions, the templates, the
/// fonts or the configuration touch every month.
pub fn touched_months(files: &[String], all: &[String]) -> Vec<String> {
    let mut months = Vec::new();
    for f in files {
        let parts: Vec<&str> = f.split('/').collect();
        match parts.as_slice() {
            ["data", m, ..] if crate::load::month::MonthId::parse(m).is_some() => {
                months.push(m.to_string());
                if let Some(next) = all
                    .iter()
                    .find(|x| crate::load::month::MonthId::parse(x).is_some_and(|id| id.previous() == *m))
                {
                    months.push(next.clone());
                }
            }
            ["data", ..] | ["templates", ..] | ["fonts", ..] | ["assets", ..] => return all.to_vec(),
            [name] if *name == crate::project::CONFIG => return all.to_vec(),
            _ => {}
        }
    }
    months.retain(|m| all.contains(m));
    months.sort();
    months.dedup();
    months
}

/// Files changed, relative to the project (paths outside it dropped).
fn project_files(root: &Path, listing: &str) -> Vec<String> {
    let prefix = git(root, &["rev-parse", "--show-prefix"]).unwrap_or_default();
    listing
        .lines()
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .map(str::to_string)
        .collect()
}

/// `tongbao hooks run HOOK [ARGS]` (called by the installed hooks).
pub fn run(root: &Path, hook: &str, args: &[String]) -> i32 {
    let all = pipeline::months(root);
    match hook {
        "pre-commit" => pre_commit(root, &all),
        "post-commit" => {
            let files = git(
                root,
                &["diff-tree", "--no-commit-id", "--name-only", "-r", "--root", "HEAD"],
            )
            .unwrap_or_default();
            rebuild(root, &touched_months(&project_files(root, &files), &all))
        }
        "post-merge" => {
            let files = git(root, &["diff", "--name-only", "ORIG_HEAD", "HEAD"]).unwrap_or_default();
            rebuild(root, &touched_months(&project_files(root, &files), &all))
        }
        "post-checkout" => {
            let (Some(old), Some(new)) = (args.first(), args.get(1)) else {
                return EXIT_OK;
            };
            let files = if old.chars().all(|c| c == '0') {
                return rebuild(root, &all);
            } else {
                git(root, &["diff", "--name-only", old, new]).unwrap_or_default()
            };
            rebuild(root, &touched_months(&project_files(root, &files), &all))
        }
        other => {
            crate::tell!("错误：未知的钩子 {other}");
            EXIT_USAGE
        }
    }
}

fn pre_commit(root: &Path, all: &[String]) -> i32 {
    let staged = git(root, &["diff", "--cached", "--name-only", "--diff-filter=ACMRD"]).unwrap_or_default();
    let files = project_files(root, &staged);
    let months = touched_months(&files, all);
    if months.is_empty() && !files.iter().any(|f| f.starts_with("data/")) {
        return EXIT_OK;
    }
    // Check what is staged, not the working tree: copy the index's data into a temporary folder.
    let tmp = std::env::temp_dir().join(format!("tongbao-pre-commit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let prefix = git(root, &["rev-parse", "--show-prefix"]).unwrap_or_default();
    let listed = git(root, &["ls-files", "--", "data", crate::project::CONFIG]).unwrap_or_default();
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(root)
        .arg("checkout-index")
        .arg(format!("--prefix={}/", tmp.display()))
        .arg("--");
    // Paths are relative to `root`; checkout-index writes them under the prefix with their full path
    // from the top of the repository.
    cmd.args(listed.lines());
    let copied = cmd.output().map(|o| o.status.success()).unwrap_or(false);
    let staged_root = tmp.join(&prefix);
    let check_root = if copied { staged_root.as_path() } else { root };
    // Only a change outside the month folders (e.g. a deleted month) leaves none touched: check all.
    let months = if months.is_empty() {
        pipeline::months(check_root)
    } else {
        months
    };
    let mut diags = crate::cmd::check::check_months(check_root, &months);
    let _ = std::fs::remove_dir_all(&tmp);
    let (errors, _) = diag::counts(&diags);
    if errors > 0 {
        diag::sort(&mut diags);
        for d in diags.iter().filter(|d| d.is_error()) {
            crate::tell!("{}", d.render());
        }
        crate::tell!(
            "提交已取消：暂存的数据有 {errors} 个错误（{}）。请修正后重新 git add 并提交。",
            months.join("、")
        );
        return EXIT_ERRORS;
    }
    crate::tell!("tongbao：{} 检查通过", months.join("、"));
    EXIT_OK
}

fn rebuild(root: &Path, months: &[String]) -> i32 {
    if months.is_empty() {
        return EXIT_OK;
    }
    let mut session = Session::new(root, &Options::default());
    for month in months {
        let outcome = session.build(month);
        match &outcome.pdf {
            Some(pdf) => crate::say!("tongbao：已重新生成 {}", pdf.display()),
            None => crate::tell!("tongbao：{month} 未能生成（运行 tongbao check {month} 查看原因）"),
        }
    }
    // A post-* hook cannot undo what git did: never fail it.
    EXIT_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn touched_months_follow_the_data() {
        let all: Vec<String> = ["2023-02", "2023-03", "2023-04"].map(String::from).to_vec();
        let files = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            touched_months(&files(&["data/2023-03/710.yaml"]), &all),
            ["2023-03", "2023-04"]
        );
        assert_eq!(
            touched_months(&files(&["data/2023-04/document.yaml", "README.md"]), &all),
            ["2023-04"]
        );
        assert_eq!(touched_months(&files(&["data/units.yaml"]), &all), all);
        assert_eq!(touched_months(&files(&["templates/gongwen.typ"]), &all), all);
        assert!(touched_months(&files(&["src/main.rs"]), &all).is_empty());
    }
}
