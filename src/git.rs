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
        .env("GIT_OPTIONAL_LOCKS", "0")
        // git's own words in English, which tongbao recognises and says in Chinese; paths stay
        // unquoted (core.quotepath=off).
        .env("LC_ALL", "C")
        .env("LANGUAGE", "C");
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

/// The commit checked out in the repository holding `dir`, read from git's files (a few small
/// reads, where `git rev-parse HEAD` is a process: the live preview asks it at every rebuild);
/// from git itself when the files are not as expected (or `GIT_DIR` says where they are).
pub(crate) fn head(dir: &Path) -> Option<String> {
    let env = std::env::var_os("GIT_DIR").is_some() || std::env::var_os("GIT_WORK_TREE").is_some();
    let in_repo = std::path::absolute(dir).is_ok_and(|d| d.ancestors().any(|a| a.join(".git").exists()));
    if !env && !in_repo {
        // Outside a repository: no process to ask.
        return None;
    }
    head_from_files(dir).or_else(|| ask(dir, &["rev-parse", "--verify", "--quiet", "HEAD"]))
}

fn head_from_files(dir: &Path) -> Option<String> {
    if std::env::var_os("GIT_DIR").is_some() || std::env::var_os("GIT_WORK_TREE").is_some() {
        return None;
    }
    let dir = std::path::absolute(dir).ok()?;
    let top = dir.ancestors().find(|a| a.join(".git").exists())?;
    let dotgit = top.join(".git");
    let gitdir = if dotgit.is_dir() {
        dotgit
    } else {
        // A worktree or submodule: `.git` is a file naming the folder.
        let text = small(&dotgit)?;
        let named = Path::new(text.trim().strip_prefix("gitdir:")?.trim());
        top.join(named)
    };
    let common = match small(&gitdir.join("commondir")) {
        Some(c) => gitdir.join(c.trim()),
        None => gitdir.clone(),
    };
    let hex = |s: &str| (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit());
    let head = small(&gitdir.join("HEAD"))?;
    let head = head.trim();
    let Some(name) = head.strip_prefix("ref:").map(str::trim) else {
        return hex(head).then(|| head.to_string());
    };
    for base in [&gitdir, &common] {
        if let Some(commit) = small(&base.join(name)) {
            let commit = commit.trim();
            return hex(commit).then(|| commit.to_string());
        }
    }
    small(&common.join("packed-refs"))?.lines().find_map(|l| {
        let (commit, r) = l.split_once(' ')?;
        (r.trim() == name && hex(commit)).then(|| commit.to_string())
    })
}

/// A small file of git's, as text (`None` when missing or larger than 1 MiB).
fn small(path: &Path) -> Option<String> {
    std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file() && m.len() <= 1 << 20)?;
    std::fs::read_to_string(path).ok()
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

    /// The commit read from git's files is the one git names, on a branch, detached, in a
    /// worktree and with packed refs.
    #[test]
    fn the_head_read_from_files_is_gits() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let git = |args: &[&str]| {
            let out = Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@example.org", "-C"])
                .arg(&repo)
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        std::fs::create_dir_all(repo.join("data")).unwrap();
        git(&["init", "--quiet", "--initial-branch=main"]);
        assert_eq!(head(&repo), None, "no commit yet");
        std::fs::write(repo.join("data/a"), "1").unwrap();
        git(&["add", "-A"]);
        git(&["commit", "--quiet", "-m", "一"]);
        let first = git(&["rev-parse", "HEAD"]);
        assert_eq!(head_from_files(&repo.join("data")).as_deref(), Some(first.as_str()));
        git(&["pack-refs", "--all"]);
        assert_eq!(head_from_files(&repo).as_deref(), Some(first.as_str()), "packed");
        std::fs::write(repo.join("data/a"), "2").unwrap();
        git(&["commit", "--quiet", "-am", "二"]);
        let second = git(&["rev-parse", "HEAD"]);
        assert_eq!(head_from_files(&repo).as_deref(), Some(second.as_str()));
        git(&["checkout", "--quiet", "--detach", &first]);
        assert_eq!(head_from_files(&repo).as_deref(), Some(first.as_str()), "detached");
        let other = dir.path().join("other");
        git(&[
            "worktree",
            "add",
            "--quiet",
            "-b",
            "side",
            other.to_str().unwrap(),
            &second,
        ]);
        assert_eq!(head_from_files(&other).as_deref(), Some(second.as_str()), "worktree");
    }
}
