//! `tongbao verify FILE.pdf`: rebuild from the commit recorded in the PDF, in a temporary worktree,
//! and say whether the bytes match; if not, name the inputs that differ.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE};
use crate::pipeline::{Options, Session};
use crate::provenance::{self, Manifest};

/// Runs the command.
pub fn run(root: &Path, file: &Path) -> i32 {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            crate::tell!("错误：无法读取 {}：{}", file.display(), crate::load::io_reason(&e));
            return EXIT_USAGE;
        }
    };
    let Some(manifest) = provenance::read_manifest(&bytes) else {
        crate::tell!(
            "错误：{} 中没有 tongbao 构建清单，无法核验（它不是 tongbao 生成的，或已被其他软件改写）",
            file.display()
        );
        return EXIT_ERRORS;
    };
    let Some(commit) = manifest.commit.clone() else {
        crate::tell!("不能核验：该 PDF 生成时项目不在 git 仓库中，没有记录源提交");
        return EXIT_ERRORS;
    };
    crate::say!(
        "PDF 记录：{} 月份，源提交 {}{}，{}",
        manifest.month,
        short(&commit),
        if manifest.dirty {
            "（含未提交的修改）"
        } else {
            ""
        },
        manifest.tool
    );

    let worktree = match Worktree::add(root, &commit) {
        Ok(w) => w,
        Err(msg) => {
            crate::tell!("错误：{msg}");
            return EXIT_ERRORS;
        }
    };
    let options = Options {
        system_fonts: manifest.options.get("system_fonts").is_some_and(|v| v == "true"),
        tagged: manifest.options.get("tagged").is_some_and(|v| v == "true"),
    };
    let project = worktree.path.join(&worktree.prefix);
    let mut session = Session::new(&project, &options);
    let outcome = session.build(&manifest.month);
    let rebuilt = outcome.pdf.as_ref().and_then(|p| std::fs::read(project.join(p)).ok());
    let inputs = provenance::Digester::default().digests(&project, &manifest.month);
    drop(session);

    match rebuilt {
        Some(rebuilt) if rebuilt == bytes => {
            crate::say!(
                "一致：从提交 {} 重新生成的 PDF 与该文件逐字节相同（{} 字节）",
                short(&commit),
                bytes.len()
            );
            EXIT_OK
        }
        Some(_) => {
            crate::say!("不一致：从提交 {} 重新生成的 PDF 与该文件不同", short(&commit));
            report_differences(&manifest, &inputs);
            EXIT_ERRORS
        }
        None => {
            crate::say!("不一致：提交 {} 的数据无法生成 PDF（检查或排版出错）", short(&commit));
            for d in outcome.diagnostics.iter().filter(|d| d.is_error()).take(5) {
                crate::tell!("{}", d.render());
            }
            report_differences(&manifest, &inputs);
            EXIT_ERRORS
        }
    }
}

fn report_differences(recorded: &Manifest, at_commit: &BTreeMap<String, String>) {
    let mut differ = 0;
    for (path, digest) in &recorded.inputs {
        match at_commit.get(path) {
            Some(d) if d == digest => {}
            Some(_) => {
                crate::say!("  输入不同：{path}（PDF 生成时的内容与该提交中的不同）");
                differ += 1;
            }
            None => {
                crate::say!("  输入缺失：{path}（PDF 生成时有，该提交中没有）");
                differ += 1;
            }
        }
    }
    for path in at_commit.keys().filter(|p| !recorded.inputs.contains_key(*p)) {
        crate::say!("  多出输入：{path}（该提交中有，PDF 生成时没有）");
        differ += 1;
    }
    if differ == 0 {
        let now = format!("tongbao {}", env!("CARGO_PKG_VERSION"));
        if now != recorded.tool {
            crate::say!(
                "  输入完全相同；PDF 由 {} 生成，当前是 {now}，版本不同可能导致差异",
                recorded.tool
            );
        } else {
            crate::say!("  输入完全相同，但输出不同：该文件可能在生成后被修改过");
        }
    } else if recorded.dirty {
        crate::say!("  该 PDF 生成时有未提交的修改，上述差异即来自这些修改");
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(10)]
}

/// A temporary detached worktree at a commit, removed when dropped.
struct Worktree {
    repo: PathBuf,
    path: PathBuf,
    /// The project's folder relative to the top of the repository.
    prefix: PathBuf,
}

impl Worktree {
    fn add(root: &Path, commit: &str) -> Result<Worktree, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!("tongbao-verify-{}-{nanos}", std::process::id()));
        let out = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["worktree", "add", "--detach", "--quiet"])
            .arg(&path)
            .arg(commit)
            .output()
            .map_err(|e| format!("无法运行 git：{e}"))?;
        if !out.status.success() {
            return Err(format!(
                "无法取出提交 {}：{}（该提交不在这个仓库中？）",
                short(commit),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let prefix = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["rev-parse", "--show-prefix"])
            .output()
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
            .unwrap_or_default();
        Ok(Worktree {
            repo: root.to_path_buf(),
            path,
            prefix,
        })
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let _ = Command::new("git")
            .arg("-C")
            .arg(&self.repo)
            .args(["worktree", "remove", "--force"])
            .arg(&self.path)
            .output();
        let _ = std::fs::remove_dir_all(&self.path);
        let _ = Command::new("git")
            .arg("-C")
            .arg(&self.repo)
            .args(["worktree", "prune"])
            .output();
    }
}
