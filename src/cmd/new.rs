//! `tongbao new [YYYY-MM]`: start a month from the ones before it. Never overwrites a month.
//!
//! Each file is carried over from the latest earlier month that has it: the text and the settings
//! with every period reference moved on, and the tables the circular uses (its text's and its
//! 附件's; all of them after a month of data only), each with its units, its comments as written
//! and every figure `待填` (a table the latest month went without comes from the last month that
//! had it). What is wrong with the new month (a period overlap) is said at once. Everything is
//! read and written through the project's gates.

use std::path::{Path, PathBuf};

use super::{Error, Result, Status, month_name};
use crate::args::NewArgs;
use crate::calendar::MonthId;
use crate::project::{DOCUMENT, Project, TEXT};
use crate::{routine, schemas};

pub(crate) fn run(project: &Project, args: &NewArgs) -> Result {
    let months: Vec<MonthId> = project.months().iter().filter_map(|m| MonthId::parse(m)).collect();
    let latest = months
        .last()
        .cloned()
        .ok_or_else(|| Error::Usage("data/ 中还没有月份，无从复制；请先建立第一个月份的文件夹".into()))?;
    let target = match &args.month {
        Some(m) => month_name(m)?,
        None => latest.plus(1),
    };
    let name = target.name();
    let dir = project.month_dir(&name);
    if project.path(&dir).exists() || project.path(&dir).is_symlink() {
        return Err(Error::Usage(format!(
            "data/{name} 已经存在，不会覆盖；要重新开始请先移走这个文件夹"
        )));
    }
    let earlier: Vec<&MonthId> = months.iter().rev().filter(|m| **m < target).collect();
    if earlier.is_empty() {
        return Err(Error::Usage(format!("{name} 之前没有月份可以复制")));
    }
    let carried = carry(project, &earlier, &target)?;
    let tmp = project.month_dir(&format!(".{name}.new"));
    let _ = std::fs::remove_dir_all(project.path(&tmp));
    project
        .create_dir(&tmp)
        .map_err(|e| Error::Usage(format!("无法建立 {}：{e}", tmp.display())))?;
    schemas(project)?;
    let mut written = Vec::new();
    for (file, text, from) in &carried {
        let text = with_schema_line(file, text);
        project
            .write(&tmp.join(file), text.as_bytes())
            .map_err(|e| Error::Usage(format!("无法写入 {file}：{e}")))?;
        written.push(if *from == carried[0].2 {
            file.clone()
        } else {
            format!("{file}（取自 {}）", from.name())
        });
    }
    // All files appear at once: the folder is renamed into place only when complete.
    let to = project
        .writable(&dir)
        .map_err(|e| Error::Usage(format!("无法建立 data/{name}：{e}")))?;
    std::fs::rename(project.path(&tmp), &to).map_err(|e| Error::Usage(format!("无法建立 data/{name}：{e}")))?;
    let source = carried.first().map_or(String::new(), |c| c.2.name());
    say!("已从 {source} 建立 data/{name}：{}", written.join("、"));
    say!("期间已顺延；表格中的数字和成文日期标为“待填”。");
    // What is wrong with the month as made (an overlapping period …) is said now, not after its
    // figures' 待填 in the first check.
    // The later months are checked too: a period of several months there may take this one in.
    let checked: Vec<String> = project.months().into_iter().filter(|m| *m >= name).collect();
    let mut warnings: Vec<_> = crate::pipeline::check_months(project, &checked)
        .into_iter()
        .filter(|d| {
            !d.is_error()
                && (d.file.as_ref().is_some_and(|f| f.starts_with(&dir))
                    || (d.code == crate::diag::Code::PeriodOverlap && d.message.contains(&name)))
        })
        .collect();
    if !warnings.is_empty() {
        super::report(&mut warnings, crate::args::Format::Human);
    }
    tell!("下一步：填数字（或 tongbao import 表 文件），改正文，然后 tongbao check {name}");
    Ok(Status::Clean)
}

/// The new month's files: (file name, text, the month it came from), the text first. Each comes
/// from the latest of `earlier` (newest first) that has it; a file that cannot be read (outside
/// the project, not text) is an error, never skipped.
fn carry(project: &Project, earlier: &[&MonthId], target: &MonthId) -> Result<Vec<(String, String, MonthId)>> {
    let mut files = vec![TEXT.to_string(), DOCUMENT.to_string()];
    files.extend(tables_used(project, earlier));
    let mut out = Vec::new();
    for file in files {
        let Some(from) = earlier
            .iter()
            .find(|m| exists(project, &project.month_dir(&m.name()).join(&file)))
        else {
            continue;
        };
        let rel = project.month_dir(&from.name()).join(&file);
        let bytes = project
            .read(&rel)
            .map_err(|e| Error::Failed(format!("无法读取 {}：{}", rel.display(), e.reason())))?;
        let text = crate::load::decode(&bytes).map_err(|(m, _)| Error::Failed(format!("{}：{m}", rel.display())))?;
        let delta = (target.year - from.year) * 12 + i32::from(target.month) - i32::from(from.month);
        out.push((file.clone(), carried(&file, &text, delta), (*from).clone()));
    }
    if out.is_empty() {
        return Err(Error::Failed("之前的月份里没有可以复制的文件".into()));
    }
    Ok(out)
}

/// The table files the new month will use: those the circular it is carried from uses (its
/// text's tables and its 附件), or every table when that month holds data only.
fn tables_used(project: &Project, earlier: &[&MonthId]) -> Vec<String> {
    let (data, _) = crate::load::load(project, &[]);
    let Some(data) = data else { return Vec::new() };
    let all = || data.specs.iter().map(|s| format!("{}.yaml", s.id)).collect();
    let Some(from) = earlier
        .iter()
        .find(|m| exists(project, &project.month_dir(&m.name()).join(TEXT)))
    else {
        return all();
    };
    let Some(month) = crate::load::month::load(
        project,
        &from.name(),
        &[],
        crate::load::month::Part::Text,
        &mut Vec::new(),
    ) else {
        return all();
    };
    if month.text.is_none() {
        // A text that cannot be read says nothing of its tables: carry them all.
        return all();
    }
    let used = month.tables_used();
    data.specs
        .iter()
        .filter(|s| used.iter().any(|name| crate::load::names_table(s, name)))
        .map(|s| format!("{}.yaml", s.id))
        .collect()
}

fn exists(project: &Project, rel: &Path) -> bool {
    let path: PathBuf = project.path(rel);
    path.exists() || path.is_symlink()
}

/// A file carried over `delta` months.
fn carried(file: &str, text: &str, delta: i32) -> String {
    if file == TEXT {
        return routine::carry_text(text, delta);
    }
    if file == DOCUMENT {
        // A quarter, a half-year or a year moves on to the next one when the new folder ends it;
        // any other period of several months does not carry over (the new month is one month).
        // The new month's figures are 待填, not samples: `示例数字` (and its note) stays behind.
        return text
            .lines()
            .filter(|l| !l.trim_start().starts_with("示例数字:") && *l != routine::SAMPLE_NOTE)
            .map(|l| {
                let Some(value) = l.trim_start().strip_prefix("期间:") else {
                    return l.to_string();
                };
                let value = value.split('#').next().unwrap_or("").trim().trim_matches(['"', '\'']);
                match crate::calendar::Period::parse(value).and_then(|p| p.moved(delta)) {
                    Some(next) if delta == i32::from(next.len()) => format!("期间: {}", next.label()),
                    _ => format!("# {l}（上期的期间，本月不适用）"),
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            + "\n";
    }
    routine::blank_table(text)
}

/// A YAML file with its first line pointing at its JSON Schema (for the editor).
fn with_schema_line(file: &str, text: &str) -> String {
    let schema = match file {
        DOCUMENT => "document.schema.json".to_string(),
        f if f.ends_with(".yaml") => schemas::month_table(f.trim_end_matches(".yaml")),
        _ => return text.to_string(),
    };
    schemas::with_modeline(text, &schemas::modeline(&schema, 2))
}

/// Writes the JSON Schemas of the project's YAML files into `schemas/`.
pub(crate) fn schemas(project: &Project) -> Result<Vec<String>> {
    let (data, diags) = crate::load::load(project, &[]);
    let data = data.ok_or_else(|| {
        let first = diags.first().map(|d| d.message.clone()).unwrap_or_default();
        Error::Failed(format!("单位名录或表格定义有错误，无法生成 schemas：{first}"))
    })?;
    schemas::write(project, &data).map_err(|e| Error::Usage(format!("无法写入 schemas/：{e}")))
}
