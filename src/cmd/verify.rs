//! `tongbao verify FILE.pdf`: rebuild from the commit recorded in the PDF, in a temporary worktree,
//! and say whether the bytes match; if not, name the inputs that differ.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::{Error, Result, Status};
use crate::args::VerifyArgs;
use crate::git;
use crate::pipeline::Session;
use crate::project::{Project, io_reason};
use crate::provenance::{self, Manifest};

pub(crate) fn run(project: &Project, args: &VerifyArgs) -> Result {
    let file = &args.file;
    let bytes =
        std::fs::read(file).map_err(|e| Error::Usage(format!("无法读取 {}：{}", file.display(), io_reason(&e))))?;
    let manifest = provenance::read_manifest(&bytes).ok_or_else(|| Error::Failed(no_manifest(file, &bytes)))?;
    let commit = manifest
        .commit
        .clone()
        .ok_or_else(|| Error::Failed("不能核验：该 PDF 生成时项目不在 git 仓库中，没有记录源提交".into()))?;
    say!(
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

    let worktree = Worktree::add(project, &commit).map_err(|msg| Error::Failed(format!("错误：{msg}")))?;
    let there = Project::new(&worktree.path.join(&worktree.prefix));
    let mut session = Session::open(&there, &manifest.plan);
    let outcome = session.build(&manifest.month);
    let rebuilt = outcome.pdf.as_ref().and_then(|p| std::fs::read(there.path(p)).ok());
    // The other outputs the build made (web page, Word file): rebuilt, they must have the digests
    // the manifest records.
    let mut outputs_differ = 0;
    for (path, digest) in &manifest.outputs {
        let now = std::fs::read(there.path(path)).ok().map(|b| provenance::sha256(&b));
        if now.as_deref() == Some(digest.as_str()) {
            say!("  输出一致：{path}");
        } else {
            say!("  输出不同：{path}（重新生成的与 PDF 记录的摘要不同）");
            outputs_differ += 1;
        }
    }
    let inputs = provenance::Digester::default().digests(&there, &manifest.month);
    drop(session);

    match rebuilt {
        Some(rebuilt) if rebuilt == bytes && outputs_differ == 0 => {
            say!(
                "一致：从提交 {} 重新生成的 PDF 与该文件逐字节相同（{} 字节）",
                short(&commit),
                bytes.len()
            );
            Ok(Status::Clean)
        }
        Some(_) => {
            say!("不一致：从提交 {} 重新生成的 PDF 与该文件不同", short(&commit));
            report_differences(&manifest, &inputs);
            Ok(Status::Problems)
        }
        None => {
            say!("不一致：提交 {} 的数据无法生成 PDF（检查或排版出错）", short(&commit));
            for d in outcome.diagnostics.iter().filter(|d| d.is_error()).take(5) {
                tell!("{}", d.to_terminal());
            }
            report_differences(&manifest, &inputs);
            Ok(Status::Problems)
        }
    }
}

/// Why a PDF without a manifest cannot be verified: tongbao's own PDF/A-2b carries none (the
/// standard allows no attachment); another PDF of tongbao's lost it; any other was not made by it.
fn no_manifest(file: &std::path::Path, pdf: &[u8]) -> String {
    let file = file.display();
    match provenance::origin(pdf) {
        Some(provenance::Origin { tool, pdfa: Some(pdfa) }) if pdfa.starts_with("PDF/A-2") => format!(
            "{file} 是 {tool} 生成的 {pdfa} 存档文件。PDF/A-2 不允许附件，所以其中没有构建清单（源提交与输入文件摘要），无法重新生成核验\n\
             提示：需要可核验的存档文件时，请用 tongbao build --pdf-standard a-3b 生成（PDF/A-3 允许附带构建清单）"
        ),
        Some(provenance::Origin { tool, .. }) => {
            format!("错误：{file} 由 {tool} 生成，但其中的构建清单已不在（文件可能已被其他软件改写），无法核验")
        }
        None => format!("错误：{file} 中没有 tongbao 构建清单，无法核验（它不是 tongbao 生成的，或已被其他软件改写）"),
    }
}

fn report_differences(recorded: &Manifest, at_commit: &BTreeMap<String, String>) {
    let mut differ = 0;
    for (path, digest) in &recorded.inputs {
        match at_commit.get(path) {
            Some(d) if d == digest => {}
            Some(_) => {
                say!("  输入不同：{path}（PDF 生成时的内容与该提交中的不同）");
                differ += 1;
            }
            None => {
                say!("  输入缺失：{path}（PDF 生成时有，该提交中没有）");
                differ += 1;
            }
        }
    }
    for path in at_commit.keys().filter(|p| !recorded.inputs.contains_key(*p)) {
        say!("  多出输入：{path}（该提交中有，PDF 生成时没有）");
        differ += 1;
    }
    if differ == 0 {
        let now = format!("tongbao {}", env!("CARGO_PKG_VERSION"));
        if now != recorded.tool {
            say!(
                "  输入完全相同；PDF 由 {} 生成，当前是 {now}，版本不同可能导致差异",
                recorded.tool
            );
        } else {
            say!("  输入完全相同，但输出不同：该文件可能在生成后被修改过");
        }
    } else if recorded.dirty {
        say!("  该 PDF 生成时有未提交的修改，上述差异即来自这些修改");
    }
}

/// The first ten characters of a commit hash, as `git log --oneline` shows it (counted in
/// characters: a damaged manifest may name anything).
pub(crate) fn short(commit: &str) -> String {
    commit.chars().take(10).collect()
}

/// A temporary detached worktree at a commit, removed when dropped.
struct Worktree {
    repo: PathBuf,
    path: PathBuf,
    /// The project's folder relative to the top of the repository.
    prefix: PathBuf,
}

impl Worktree {
    fn add(project: &Project, commit: &str) -> std::result::Result<Worktree, String> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!("tongbao-verify-{}-{nanos}", std::process::id()));
        let root = project.root();
        let target = path.to_string_lossy().to_string();
        git::run(
            root,
            &["worktree", "add", "--detach", "--quiet", target.as_str(), commit],
        )
        .map_err(|e| format!("无法取出提交 {}：{e}（该提交不在这个仓库中？）", short(commit)))?;
        Ok(Worktree {
            repo: root.to_path_buf(),
            prefix: PathBuf::from(git::prefix(root).unwrap_or_default()),
            path,
        })
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let path = self.path.to_string_lossy().to_string();
        let _ = git::run(&self.repo, &["worktree", "remove", "--force", path.as_str()]);
        let _ = std::fs::remove_dir_all(&self.path);
        let _ = git::run(&self.repo, &["worktree", "prune"]);
    }
}
