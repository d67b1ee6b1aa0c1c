//! The tables the docs print that the code owns: the diagnostic codes, the notation's filters, the
//! outputs, the PDF standards and the commands. Each is written between two markers in a file of
//! the docs (`<!-- 生成：NAME -->` … `<!-- 生成结束 -->`); `tongbao docs` (hidden; run it from the
//! repository) writes them anew, and a test fails when one differs from what the code gives, and
//! when a relative link of the docs leads to no file.

use std::path::{Path, PathBuf};

use super::{Error, Result, Status};

use clap::ValueEnum as _;

use crate::args::PdfStandard;
use crate::diag::Code;
use crate::load::expr::{FILTERS, Input, Params};
use crate::output::Output;

/// Every generated table: its name (the marker's) and its text.
pub(crate) fn tables() -> Vec<(&'static str, String)> {
    vec![
        ("诊断代码", codes()),
        ("写法", filters()),
        ("输出", outputs()),
        ("PDF标准", standards()),
        ("命令", commands()),
    ]
}

/// `| 代码 | 名称 | 说明 |`, one row a code.
fn codes() -> String {
    let mut out = String::from("| 代码 | 名称 | 说明 |\n|---|---|---|\n");
    for code in Code::ALL {
        out.push_str(&format!("| `{}` | {} | {} |\n", code, code.name(), cell(code.about())));
    }
    out
}

/// `| 写法 | 用在 | 说明 | 例子 |`, one row a filter.
fn filters() -> String {
    let mut out = String::from("| 写法 | 用在 | 说明 | 例子 |\n|---|---|---|---|\n");
    for f in FILTERS {
        let written = match f.params {
            Params::None => f.name.to_string(),
            Params::Decimals => format!("{}(位数)", f.name),
            Params::Count => format!("{}(个数)", f.name),
            Params::Threshold => format!("{}(数)", f.name),
            Params::Separator => format!("{}(\"分隔符\")", f.name),
        };
        let on = match f.input {
            Input::Figure => "数字",
            Input::TableFigure => "整张表的一列",
            Input::Rate => "比率、带小数的数字",
            Input::Units => "单位名单",
        };
        out.push_str(&format!(
            "| `{written}` | {on} | {} | `{}` |\n",
            cell(f.about),
            cell(f.example)
        ));
    }
    out
}

/// `| 输出 | 是什么 | 文件 | 发布时保存为 |`, one row an output.
fn outputs() -> String {
    let mut out = String::from("| 输出 | 是什么 | 文件（out/YYYY-MM/） | 发布时保存为 |\n|---|---|---|---|\n");
    for o in Output::listed() {
        let files: Vec<String> = o.files().iter().map(|f| format!("`{f}`")).collect();
        let issued = o.issued().map_or("—".to_string(), |i| format!("`{}`", i.file));
        out.push_str(&format!(
            "| `{}` | {} | {} | {issued} |\n",
            o.name(),
            o.describe(),
            files.join("、")
        ));
    }
    out
}

/// `| 标准 | 说明 |`, one row a PDF standard.
fn standards() -> String {
    let mut out = String::from("| `--pdf-standard` | 说明 |\n|---|---|\n");
    for s in PdfStandard::value_variants() {
        let help = s
            .to_possible_value()
            .and_then(|v| v.get_help().map(ToString::to_string))
            .unwrap_or_default();
        out.push_str(&format!("| `{}` | {help} |\n", s.name()));
    }
    out
}

/// Every command with what it does and its arguments, from the command line's own definition.
fn commands() -> String {
    let cmd = crate::args::command();
    let mut out = String::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        out.push_str(&format!("### `tongbao {}`\n\n", sub.get_name()));
        if let Some(about) = sub.get_about() {
            out.push_str(&format!("{about}\n\n"));
        }
        let args: Vec<&clap::Arg> = sub
            .get_arguments()
            .filter(|a| !a.is_hide_set() && !a.is_global_set() && a.get_id() != "help")
            .collect();
        if args.is_empty() {
            continue;
        }
        out.push_str("| 参数 | 说明 |\n|---|---|\n");
        for arg in args {
            let values = arg.get_value_names().map(|v| v.join(" ")).unwrap_or_else(|| "…".into());
            let name = match arg.get_long() {
                Some(long) if arg.get_action().takes_values() => format!("--{long} {values}"),
                Some(long) => format!("--{long}"),
                None => arg.get_id().as_str().to_uppercase(),
            };
            // The help as `--help` shows it (with the values it takes and its default).
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            out.push_str(&format!("| `{name}` | {} |\n", cell(&help)));
        }
        out.push('\n');
    }
    out
}

/// The docs' files: the README and the other guides beside it, and everything under docs/.
fn doc_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["README.md", "ARCHITECTURE.md", "CONTRIBUTING.md", "BENCHMARKS.md"]
        .iter()
        .map(|f| root.join(f))
        .filter(|p| p.exists())
        .collect();
    files.extend(
        walkdir::WalkDir::new(root.join("docs"))
            .sort_by_file_name()
            .into_iter()
            .filter_map(std::result::Result::ok)
            .map(|e| e.path().to_path_buf())
            .filter(|p| p.extension().is_some_and(|x| x == "md")),
    );
    files
}

/// The docs of the repository at `root` with every generated table as the code gives it, and the
/// names of the tables no doc holds: (file, its text now, its text as it should be).
fn regenerated(root: &Path) -> (Vec<(PathBuf, String, String)>, Vec<&'static str>) {
    let close = "<!-- 生成结束 -->";
    let mut files: Vec<(PathBuf, String, String)> = doc_files(root)
        .into_iter()
        .filter_map(|f| {
            let text = std::fs::read_to_string(&f).ok()?;
            Some((f, text.clone(), text))
        })
        .collect();
    let mut missing = Vec::new();
    for (name, table) in tables() {
        let open = format!("<!-- 生成：{name} -->\n");
        let mut found = false;
        for (_, _, text) in &mut files {
            let Some(start) = text.find(&open).map(|i| i + open.len()) else {
                continue;
            };
            let Some(len) = text[start..].find(close) else {
                continue;
            };
            found = true;
            text.replace_range(start..start + len, &table);
        }
        if !found {
            missing.push(name);
        }
    }
    (files, missing)
}

/// `tongbao docs`: writes the generated tables into the docs of the repository tongbao was built
/// from (the current folder).
pub(crate) fn write() -> Result {
    let root = std::env::current_dir().map_err(|e| Error::Usage(format!("无法读取当前目录：{e}")))?;
    let (files, missing) = regenerated(&root);
    for (file, before, after) in files.iter().filter(|(_, b, a)| b != a) {
        let _ = before;
        std::fs::write(file, after).map_err(|e| Error::Usage(format!("无法写入 {}：{e}", file.display())))?;
        say!("已更新 {}", file.display());
    }
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "没有文档含有这些表格的标记：{}",
            missing.join("、")
        )));
    }
    Ok(Status::Clean)
}

/// Text for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{doc_files, regenerated};

    /// Each generated table matches what the code gives, and every table appears in some doc.
    #[test]
    fn generated_docs_are_current() {
        let (files, missing) = regenerated(Path::new(env!("CARGO_MANIFEST_DIR")));
        assert!(missing.is_empty(), "no doc holds the generated tables {missing:?}");
        let stale: Vec<String> = files
            .iter()
            .filter(|(_, before, after)| before != after)
            .map(|(f, _, _)| f.display().to_string())
            .collect();
        assert!(
            stale.is_empty(),
            "generated tables out of date (run `cargo run -- docs` in the repository): {stale:?}"
        );
    }

    /// Every relative link of the docs (`](path)`) leads to a file or folder of the repository.
    #[test]
    fn doc_links_lead_somewhere() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut broken = Vec::new();
        for file in doc_files(root) {
            let text = std::fs::read_to_string(&file).unwrap();
            for piece in text.split("](").skip(1) {
                let target = piece.split(')').next().unwrap_or("");
                let target = target.split('#').next().unwrap_or("");
                if target.is_empty() || target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                if !file.parent().unwrap().join(target).exists() {
                    broken.push(format!("{}: {target}", file.display()));
                }
            }
        }
        assert!(broken.is_empty(), "links to nothing: {broken:?}");
    }
}
