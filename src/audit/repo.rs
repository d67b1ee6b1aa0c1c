//! Reading the repository's history without checking anything out: commit lists and changed files
//! from `git log --raw`/`git diff --raw`, file contents from one long-lived `git cat-file --batch`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

pub(crate) use crate::git::GitError;

/// A changed file: path relative to the project, old blob, new blob (a missing side is None).
pub(crate) type Change = (String, Option<String>, Option<String>);

/// A commit with the data files it changed.
#[derive(Debug, Clone)]
pub(crate) struct Commit {
    pub hash: String,
    pub author: String,
    /// Author date (ISO 8601).
    pub date: String,
    pub subject: String,
    pub changes: Vec<Change>,
}

/// Access to the history of the repository holding the project.
pub(crate) struct Repo {
    root: PathBuf,
    prefix: String,
    cat: Option<(Child, ChildStdin, BufReader<ChildStdout>)>,
    cache: HashMap<String, Option<String>>,
}

const NULL: &str = "0000000000000000000000000000000000000000";

impl Repo {
    /// Opens the repository containing `root`.
    pub(crate) fn open(root: &Path) -> Result<Repo, GitError> {
        let mut repo = Repo {
            root: root.to_path_buf(),
            prefix: String::new(),
            cat: None,
            cache: HashMap::new(),
        };
        repo.prefix = repo
            .run(&["rev-parse", "--show-prefix"])
            .map_err(|_| GitError(format!("{} 不在 git 仓库中", root.display())))?
            .trim()
            .to_string();
        Ok(repo)
    }

    /// A path for a temporary folder named `name` in the project's scratch folder.
    pub(crate) fn scratch(&self, name: &str) -> PathBuf {
        self.root
            .join(crate::project::SCRATCH)
            .join(format!("{}-{name}", std::process::id()))
    }

    /// The commits at the edge of a shallow clone (none for a complete history).
    pub(crate) fn shallow_boundary(&self) -> Vec<String> {
        crate::git::shallow_boundary(&self.root)
    }

    fn run(&self, args: &[&str]) -> Result<String, GitError> {
        crate::git::run(&self.root, args)
    }

    /// Resolves a revision to a full commit hash.
    pub(crate) fn resolve(&self, rev: &str) -> Result<String, GitError> {
        self.run(&["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")])
            .map(|s| s.trim().to_string())
            .map_err(|_| {
                GitError(format!(
                    "找不到版本“{}”（可以是提交号、分支名、标签或 HEAD~1 等）",
                    crate::diag::shorten(rev, 40)
                ))
            })
    }

    /// Blob ids of the project's files under `dir` at `rev`: project-relative path → blob.
    pub(crate) fn tree(&self, rev: &str, dir: &str) -> Result<Vec<(String, String)>, GitError> {
        let out = self.run(&[
            "ls-tree",
            "-r",
            "--full-tree",
            rev,
            "--",
            &format!("{}{dir}", self.prefix),
        ])?;
        Ok(out
            .lines()
            .filter_map(|l| {
                let (meta, path) = l.split_once('\t')?;
                let blob = meta.split_whitespace().nth(2)?;
                let rel = path.strip_prefix(&self.prefix)?;
                Some((rel.to_string(), blob.to_string()))
            })
            .collect())
    }

    /// Files under `dir` that differ between two revisions, with their blobs on each side.
    pub(crate) fn changed(&self, from: &str, to: &str, dir: &str) -> Result<Vec<Change>, GitError> {
        let out = self.run(&[
            "diff",
            "--raw",
            "--no-renames",
            "--no-abbrev",
            from,
            to,
            "--",
            &format!(":(top){}{dir}", self.prefix),
        ])?;
        Ok(out.lines().filter_map(|l| self.raw_line(l)).collect())
    }

    fn raw_line(&self, line: &str) -> Option<Change> {
        let (meta, path) = line.strip_prefix(':')?.split_once('\t')?;
        let fields: Vec<&str> = meta.split_whitespace().collect();
        let side = |b: &str| (b != NULL).then(|| b.to_string());
        let rel = path.strip_prefix(&self.prefix)?;
        Some((rel.to_string(), side(fields.get(2)?), side(fields.get(3)?)))
    }

    /// Every commit that changed files under `dir`, oldest first, with the files it changed.
    pub(crate) fn log(&self, dir: &str) -> Result<Vec<Commit>, GitError> {
        let out = self.run(&[
            "log",
            "--reverse",
            "--raw",
            "--no-renames",
            "--no-abbrev",
            "--first-parent",
            "-m",
            "--date=iso-strict",
            "--format=%x1e%H%x1f%an%x1f%ad%x1f%s",
            "--",
            &format!(":(top){}{dir}", self.prefix),
        ])?;
        let mut commits = Vec::new();
        for record in out.split('\u{1e}').filter(|r| !r.trim().is_empty()) {
            let mut lines = record.lines();
            let head: Vec<&str> = lines.next().unwrap_or_default().split('\u{1f}').collect();
            let [hash, author, date, subject] = head.as_slice() else {
                continue;
            };
            let changes = lines.filter_map(|l| self.raw_line(l)).collect();
            commits.push(Commit {
                hash: hash.to_string(),
                author: author.to_string(),
                date: date.to_string(),
                subject: subject.to_string(),
                changes,
            });
        }
        Ok(commits)
    }

    /// The text of a blob (None if it is not UTF-8 text).
    pub(crate) fn blob(&mut self, id: &str) -> Result<Option<String>, GitError> {
        if let Some(text) = self.cache.get(id) {
            return Ok(text.clone());
        }
        if self.cat.is_none() {
            let mut child = crate::git::command(&self.root)
                .args(["cat-file", "--batch"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| GitError(format!("无法运行 git：{e}")))?;
            let stdin = child.stdin.take().expect("piped");
            let stdout = BufReader::new(child.stdout.take().expect("piped"));
            self.cat = Some((child, stdin, stdout));
        }
        let (_, stdin, stdout) = self.cat.as_mut().expect("started above");
        let fail = |e: std::io::Error| GitError(format!("读取 git 对象失败：{e}"));
        writeln!(stdin, "{id}").and_then(|_| stdin.flush()).map_err(fail)?;
        let mut header = String::new();
        stdout.read_line(&mut header).map_err(fail)?;
        let size: usize = match header.split_whitespace().collect::<Vec<_>>().as_slice() {
            [_, "blob", size] => size.parse().unwrap_or(0),
            _ => return Err(GitError(format!("git 对象 {id} 不存在"))),
        };
        let mut bytes = vec![0; size + 1];
        stdout.read_exact(&mut bytes).map_err(fail)?;
        bytes.pop();
        let text = crate::load::decode(&bytes).ok();
        self.cache.insert(id.to_string(), text.clone());
        Ok(text)
    }
}

impl Drop for Repo {
    fn drop(&mut self) {
        if let Some((mut child, stdin, _)) = self.cat.take() {
            drop(stdin);
            let _ = child.wait();
        }
    }
}
