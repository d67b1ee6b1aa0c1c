//! A month's circular as it read at a revision: the revision's data written out of git into a
//! temporary folder, loaded, checked and its text evaluated against that revision's figures, so
//! `diff` shows what the circular says at both revisions, not only how its source changed.

use std::path::PathBuf;

use super::repo::{GitError, Repo};
use super::texts::TextChange;
use crate::project::{DATA, Project, REGISTRY, TABLES};

/// A folder that is removed when dropped.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The paragraphs of month `month`'s circular as printed at `rev` (title lines, 主送, each block of
/// the body, the 附件说明 entries, the signature); `None` when the month has no text there or its
/// data did not give a circular (errors).
pub(crate) fn printed_at(repo: &mut Repo, rev: &str, month: &str) -> Result<Option<Vec<String>>, GitError> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    // In the project's scratch folder, removed by the next run should this one be killed.
    let dir = Scratch(repo.scratch(&format!("diff-{nanos}")));
    std::fs::create_dir_all(&dir.0).map_err(|e| GitError(format!("无法建立临时文件夹：{e}")))?;
    let project = Project::new(&dir.0);
    let wanted = |path: &str, months: &[String]| {
        path == REGISTRY
            || path.starts_with(&format!("{TABLES}/"))
            || months.iter().any(|m| path.starts_with(&format!("{DATA}/{m}/")))
    };
    let mut months = vec![month.to_string()];
    write(repo, rev, &project, &|p: &str| wanted(p, &months))?;
    // The months its text compares with, then all of it again with them.
    months.extend(crate::load::compared_months(&project, month));
    if months.len() > 1 {
        write(repo, rev, &project, &|p: &str| wanted(p, &months))?;
    }
    Ok(paragraphs(&project, month))
}

/// Writes the files under data/ at `rev` that `keep` wants into `project`.
fn write(repo: &mut Repo, rev: &str, project: &Project, keep: &dyn Fn(&str) -> bool) -> Result<(), GitError> {
    for (path, blob) in repo.tree(rev, DATA)? {
        if !keep(&path) {
            continue;
        }
        if let Some(text) = repo.blob(&blob)? {
            project
                .write_unsynced(std::path::Path::new(&path), text.as_bytes())
                .map_err(|e| GitError(format!("无法写入临时文件：{e}")))?;
        }
    }
    Ok(())
}

fn paragraphs(project: &Project, month: &str) -> Option<Vec<String>> {
    let (data, mut diags) = crate::load::load_month(project, month);
    let data = data?;
    diags.extend(crate::check::check(&data, &[month.to_string()]));
    if diags.iter().any(crate::diag::Diagnostic::is_error) {
        return None;
    }
    let this = data.month(month)?;
    this.text.as_ref()?;
    let agg = crate::aggregate::aggregate(&data, month)?;
    let page = crate::load::page::load(project, &mut Vec::new());
    let (doc, _) = crate::render::document(&data, this, &agg, &page, false).ok()?;
    let mut out = doc.标题行.clone();
    out.extend(doc.主送.iter().map(|r| format!("{r}：")));
    for b in &doc.正文 {
        out.push(format!(
            "{}{}",
            b.标题.clone().unwrap_or_default(),
            b.正文.clone().unwrap_or_default()
        ));
    }
    out.extend(doc.附件.iter().map(|a| format!("附件{}：{}", a.序号, a.名称)));
    out.extend(doc.署名.iter().cloned());
    out.push(doc.成文日期.clone());
    Some(out)
}

/// The paragraphs that read differently at the two revisions, as changes keyed 印出第N段.
pub(crate) fn printed_diff(month: &str, old: &[String], new: &[String]) -> Vec<TextChange> {
    use similar::{DiffOp, TextDiff};
    let (a, b) = (old.join("\n"), new.join("\n"));
    let diff = TextDiff::from_lines(&a, &b);
    let mut out = Vec::new();
    for op in diff.ops() {
        let (old_range, new_range) = match *op {
            DiffOp::Equal { .. } => continue,
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => (old_index..old_index + old_len, new_index..new_index),
            DiffOp::Insert {
                old_index,
                new_index,
                new_len,
            } => (old_index..old_index, new_index..new_index + new_len),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => (old_index..old_index + old_len, new_index..new_index + new_len),
        };
        let n = old_range.len().max(new_range.len());
        for i in 0..n {
            let o = old.get(old_range.start + i).filter(|_| i < old_range.len());
            let w = new.get(new_range.start + i).filter(|_| i < new_range.len());
            out.push(TextChange {
                month: month.to_string(),
                key: format!(
                    "印出的通报 第{}段",
                    new_range.start + i.min(new_range.len().saturating_sub(1)) + 1
                ),
                inline: super::texts::inline_diff(o.map_or("", String::as_str), w.map_or("", String::as_str)),
                old: o.cloned(),
                new: w.cloned(),
            });
        }
    }
    out
}
