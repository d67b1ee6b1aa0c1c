//! Temporary git repositories holding a copy of the shipped project.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{copy_tree, replace_in, repo};

/// Runs git in `dir` with a fixed identity; panics on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `PATH` with the tested tongbao's folder first, as a user who installed it has it: the hooks
/// find `tongbao` there.
pub fn path_with_tongbao() -> std::ffi::OsString {
    let bin = Path::new(env!("CARGO_BIN_EXE_tongbao")).parent().unwrap().to_path_buf();
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&rest))).unwrap()
}

/// Runs git in `dir` and returns its output whatever the exit code.
pub fn git_output(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("PATH", path_with_tongbao())
        .env_remove("TONGBAO")
        .env("GIT_AUTHOR_NAME", "张三")
        .env("GIT_AUTHOR_EMAIL", "zhangsan@example.org")
        .env("GIT_COMMITTER_NAME", "张三")
        .env("GIT_COMMITTER_EMAIL", "zhangsan@example.org")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap()
}

/// A git repository with the shipped project committed, in a temporary folder.
pub struct Repo {
    pub dir: tempfile::TempDir,
}

impl Repo {
    /// Creates the repository and commits the project.
    pub fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        copy_tree(&repo().join("data"), &dir.path().join("data"), false);
        copy_tree(&repo().join("templates"), &dir.path().join("templates"), false);
        copy_tree(&repo().join("fonts"), &dir.path().join("fonts"), true);
        std::fs::write(dir.path().join(".gitignore"), "/out\n").unwrap();
        git(dir.path(), &["init", "--quiet", "--initial-branch=main"]);
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "--quiet", "-m", "导入2023年3月数据"]);
        Repo { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs tongbao in the repository (as a user would, from inside it).
    pub fn tongbao(&self, args: &[&str]) -> Output {
        tongbao_in(self.path(), args)
    }

    pub fn write(&self, rel: &str, text: &str) {
        std::fs::write(self.path().join(rel), text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel)).unwrap()
    }

    /// Replaces `from` by `to` in a file, stages and commits it.
    pub fn commit_edit(&self, rel: &str, from: &str, to: &str, message: &str) -> String {
        replace_in(&self.path().join(rel), from, to);
        git(self.path(), &["add", "-A"]);
        git(self.path(), &["commit", "--quiet", "-m", message]);
        git(self.path(), &["rev-parse", "HEAD"])
    }
}

/// Runs tongbao with `dir` as the working directory.
pub fn tongbao_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tongbao"))
        .args(args)
        .current_dir(dir)
        .env("HOME", dir)
        .output()
        .unwrap()
}

/// Clones `from` into a new temporary folder under `parent` named `name`.
pub fn clone(from: &Path, parent: &Path, name: &str) -> PathBuf {
    let to = parent.join(name);
    git(
        parent,
        &["clone", "--quiet", from.to_str().unwrap(), to.to_str().unwrap()],
    );
    to
}
