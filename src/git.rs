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
pub(crate) fn command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.args(["-c", "core.quotepath=off", "-C"]).arg(dir);
    cmd
}

/// Runs git in `dir` and returns its standard output; git's own message when it fails.
pub(crate) fn run<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Result<String, GitError> {
    let out = command(dir)
        .args(args)
        .output()
        .map_err(|e| GitError(format!("无法运行 git（是否已安装？）：{e}")))?;
    if !out.status.success() {
        return Err(GitError(String::from_utf8_lossy(&out.stderr).trim().to_string()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Like [`run`], trimmed, and `None` on any failure (for questions such as "is this a repository").
pub(crate) fn ask<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Option<String> {
    run(dir, args).ok().map(|s| s.trim_end().to_string())
}

/// The project's folder relative to the top of its repository (`""` at the top), if in one.
pub(crate) fn prefix(dir: &Path) -> Option<String> {
    ask(dir, &["rev-parse", "--show-prefix"])
}
