//! The one way tongbao runs git: `git -C <dir> <args>`, its standard output as text, and a Chinese
//! message when git is missing or refuses. Hooks, provenance, verify and the audit commands all go
//! through [`run`].

use std::path::Path;
use std::process::Command;

/// A git problem, worded for the user.
#[derive(Debug)]
pub(crate) struct GitError(pub String);

impl std::fmt::Display for GitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A `git -C dir` command, for callers that need more than [`run`] (a long-lived child process).
/// Paths are printed as they are (`core.quotepath=off`), so `data/2023-03/通报.txt` is not quoted
/// in octal escapes.
///
/// Git never takes its optional locks for tongbao (`GIT_OPTIONAL_LOCKS=0`): a `git status` run by
/// a build would otherwise refresh the index under `index.lock`, and a `git add` run meanwhile
/// would fail.
pub(crate) fn command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.args(["-c", "core.quotepath=off", "-C"])
        .arg(dir)
        .env("GIT_OPTIONAL_LOCKS", "0");
    cmd
}

/// Runs git in `dir` and returns its standard output; a Chinese message when it fails
/// ([`explain`]).
pub(crate) fn run<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Result<String, GitError> {
    let out = command(dir).args(args).output().map_err(|e| {
        GitError(match e.kind() {
            std::io::ErrorKind::NotFound => MISSING.to_string(),
            std::io::ErrorKind::PermissionDenied => "没有权限运行 git".to_string(),
            _ if matches!(e.raw_os_error(), Some(23 | 24)) => {
                "无法运行 git：打开的文件太多（已到系统的上限）".to_string()
            }
            _ => format!("无法运行 git（系统错误 {}）", e.raw_os_error().unwrap_or(0)),
        })
    })?;
    if !out.status.success() {
        return Err(GitError(explain(dir, &String::from_utf8_lossy(&out.stderr))));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What tongbao says when there is no git to run.
pub(crate) const MISSING: &str = "找不到 git 程序（没有安装，或不在 PATH 中）";

/// Git's complaint, in Chinese for the cases users meet (no repository, a repository owned by
/// another user), git's own words kept after it otherwise.
fn explain(dir: &Path, stderr: &str) -> String {
    let said = stderr.trim();
    if said.contains("dubious ownership") {
        format!(
            "git 拒绝读取这个仓库：它属于另一个用户（git 的 safe.directory 保护）。确认可信后运行 git config --global --add safe.directory {}",
            dir.display()
        )
    } else if said.contains("not a git repository") {
        format!("{} 不在 git 仓库中", dir.display())
    } else {
        let said: String = said.chars().take(300).collect();
        format!("git 出错：{said}")
    }
}

/// The commits at the edge of a shallow clone's history (their parents are not here); empty for a
/// complete history.
pub(crate) fn shallow_boundary(dir: &Path) -> Vec<String> {
    if ask(dir, &["rev-parse", "--is-shallow-repository"]).as_deref() != Some("true") {
        return Vec::new();
    }
    let Some(file) = ask(dir, &["rev-parse", "--path-format=absolute", "--git-path", "shallow"]) else {
        return Vec::new();
    };
    // One line of 41 bytes a boundary commit; a file larger than 1 MiB is not git's.
    let small = std::fs::metadata(&file).is_ok_and(|m| m.len() <= 1 << 20);
    let text = if small {
        std::fs::read_to_string(&file).unwrap_or_default()
    } else {
        String::new()
    };
    text.lines().map(|l| l.trim().to_string()).collect()
}

/// Like [`run`], trimmed, and `None` on any failure (for questions such as "is this a repository").
pub(crate) fn ask<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Option<String> {
    run(dir, args).ok().map(|s| s.trim_end().to_string())
}

/// The project's folder relative to the top of its repository (`""` at the top), if in one.
pub(crate) fn prefix(dir: &Path) -> Option<String> {
    ask(dir, &["rev-parse", "--show-prefix"])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gits_refusals_are_said_in_chinese() {
        let dir = Path::new("/srv/通报");
        let owned = "fatal: detected dubious ownership in repository at '/srv/通报'\nTo add an exception for this directory, call:";
        let said = explain(dir, owned);
        assert!(
            said.starts_with("git 拒绝读取这个仓库") && said.contains("safe.directory /srv/通报"),
            "{said}"
        );
        let said = explain(
            dir,
            "fatal: not a git repository (or any of the parent directories): .git",
        );
        assert_eq!(said, "/srv/通报 不在 git 仓库中");
        assert!(explain(dir, &"x".repeat(10_000)).chars().count() < 320);
    }
}
