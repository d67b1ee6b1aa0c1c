//! `tongbao new [YYYY-MM]`: start a month from the latest one. Never overwrites a month.

use super::{Error, Result, Status, valid_month};
use crate::args::NewArgs;
use crate::calendar::MonthId;
use crate::project::{DOCUMENT, Project, TEXT};
use crate::{routine, schemas};

pub(crate) fn run(project: &Project, args: &NewArgs) -> Result {
    let months = project.months();
    let latest = months
        .last()
        .and_then(|m| MonthId::parse(m))
        .ok_or_else(|| Error::Usage("data/ 中还没有月份，无从复制；请先建立第一个月份的文件夹".into()))?;
    let target = match &args.month {
        Some(m) => {
            valid_month(m)?;
            MonthId::parse(m).unwrap_or_else(|| latest.plus(1))
        }
        None => latest.plus(1),
    };
    let name = target.name();
    let dir = project.path(project.month_dir(&name));
    if dir.exists() {
        return Err(Error::Usage(format!(
            "data/{name} 已经存在，不会覆盖；要重新开始请先移走这个文件夹"
        )));
    }
    // The latest month before the new one is the model.
    let source = months
        .iter()
        .rev()
        .filter_map(|m| MonthId::parse(m))
        .find(|m| *m < target)
        .ok_or_else(|| Error::Usage(format!("{name} 之前没有月份可以复制")))?;
    let delta = (target.year - source.year) * 12 + i32::from(target.month) - i32::from(source.month);
    let from = project.path(project.month_dir(&source.name()));
    let mut entries: Vec<_> = std::fs::read_dir(&from)
        .map_err(|e| Error::Usage(format!("无法读取 data/{}：{e}", source.name())))?
        .filter_map(std::result::Result::ok)
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    entries.sort();
    let mut written = Vec::new();
    let tmp = project.path(project.month_dir(&format!(".{name}.new")));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| Error::Usage(format!("无法建立文件夹：{e}")))?;
    for file in entries {
        let text = match project.read(&project.month_dir(&source.name()).join(&file)) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).to_string(),
            Err(_) => continue,
        };
        let carried = if file == TEXT {
            routine::carry_text(&text, delta)
        } else if file == DOCUMENT {
            // A period of several months does not carry over: the new month is one month.
            text.lines()
                .map(|l| {
                    if l.trim_start().starts_with("期间:") {
                        format!("# {l}（上期的期间，本月不适用）")
                    } else {
                        l.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
        } else if file.ends_with(".yaml") && !file.starts_with("issued") {
            routine::blank_table(&text, delta)
        } else {
            continue;
        };
        std::fs::write(tmp.join(&file), carried).map_err(|e| Error::Usage(format!("无法写入 {file}：{e}")))?;
        written.push(file);
    }
    // Schemas for the editor, and the line that points each YAML file at its own.
    schemas(project)?;
    for file in &written {
        let schema = match file.as_str() {
            DOCUMENT => "document.schema.json".to_string(),
            f if f.ends_with(".yaml") => schemas::month_table(f.trim_end_matches(".yaml")),
            _ => continue,
        };
        let path = tmp.join(file);
        if let Ok(text) = std::fs::read_to_string(&path) {
            let _ = std::fs::write(&path, schemas::with_modeline(&text, &schemas::modeline(&schema, 2)));
        }
    }
    // All files appear at once: the folder is renamed into place only when complete.
    std::fs::rename(&tmp, &dir).map_err(|e| Error::Usage(format!("无法建立 data/{name}：{e}")))?;
    say!("已从 {} 建立 data/{name}：{}", source.name(), written.join("、"));
    say!("期间已顺延 {delta} 个月；表格中的数字和成文日期标为“待填”。");
    say!("下一步：填数字（或 tongbao import 表 文件），改正文，然后 tongbao check {name}");
    Ok(Status::Clean)
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
