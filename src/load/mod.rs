//! Stage 1: read the project's YAML into typed values that remember where they came from.
//!
//! Loading checks only form (syntax, types, required and unknown keys, encodings); rules that relate
//! values to each other live in [`crate::check`].

pub mod month;
pub mod registry;
pub mod schema;
pub mod yaml;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Severity, Source};

pub use month::{Document, Month, MonthId, MonthTable, Row};
pub use registry::{Registry, Unit};
pub use schema::{Column, Derived, Headline, Rounding, Rule, TableSpec};

/// Largest data file accepted (the shipped ones are a few KiB).
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// Everything loaded from `data/`: the registry, the table descriptions and the requested months.
#[derive(Debug)]
pub struct Data {
    /// The project root the data was read from.
    pub root: PathBuf,
    /// The unit registry (`data/units.yaml`).
    pub registry: Registry,
    /// The table descriptions (`data/tables/*.yaml`), in file-name order.
    pub specs: Vec<TableSpec>,
    /// The loaded months, oldest first.
    pub months: Vec<Month>,
}

impl Data {
    /// The description of table `id`.
    pub fn spec(&self, id: &str) -> Option<&TableSpec> {
        self.specs.iter().find(|s| s.id == id)
    }

    /// The loaded month `id`.
    pub fn month(&self, id: &str) -> Option<&Month> {
        self.months.iter().find(|m| m.id.name == id)
    }
}

/// Reads a text file under `root`, refusing non-UTF-8 (naming the likely encoding), empty files and
/// oversized files. `rel` is the path relative to the root, used in messages.
pub fn read_source(root: &Path, rel: &Path) -> Result<Arc<Source>, Diagnostic> {
    let path = root.join(rel);
    let fail = |code, msg: String, help: &str| Diagnostic::in_file(Severity::Error, code, rel, msg).help(help);
    let meta = std::fs::metadata(&path).map_err(|e| {
        fail(
            "io",
            format!("无法读取文件：{}", io_reason(&e)),
            "检查文件是否存在、是否有读取权限",
        )
    })?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(fail(
            "file-too-big",
            format!(
                "文件过大（{} KiB），数据文件不应超过 {} KiB",
                meta.len() / 1024,
                MAX_FILE_BYTES / 1024
            ),
            "检查是否放错了文件",
        ));
    }
    let bytes =
        std::fs::read(&path).map_err(|e| fail("io", format!("无法读取文件：{}", io_reason(&e)), "检查文件权限"))?;
    let text = decode(&bytes).map_err(|(msg, help)| fail("encoding", msg, help))?;
    if text.trim().is_empty() {
        return Err(fail("empty-file", "文件是空的".into(), "请填写内容，或删除这个文件"));
    }
    Ok(Source::new(rel, text))
}

/// Parses a source with `read`, collecting syntax and reading problems in `diags`.
pub fn parse_with<T>(
    src: &Arc<Source>,
    diags: &mut Vec<Diagnostic>,
    read: impl FnOnce(&mut yaml::Reader, &yaml::Node) -> Option<T>,
) -> Option<T> {
    let tree = yaml::parse(src).map_err(|d| diags.push(d)).ok()?;
    let mut r = yaml::Reader::new();
    let out = read(&mut r, &tree);
    diags.append(&mut r.diags);
    out
}

/// Decodes UTF-8 (a BOM is allowed); anything else is refused with the encoding it looks like.
pub fn decode(bytes: &[u8]) -> Result<String, (String, &'static str)> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(body) {
        if text.contains('\0') {
            return Err((
                "文件含有空字符（\\0），不是文本文件".into(),
                "请用文本编辑器另存为 UTF-8 文本",
            ));
        }
        return Ok(text.to_string());
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err((
            "文件是 UTF-16 编码，不是 UTF-8".into(),
            "请在编辑器中“另存为”，编码选择 UTF-8",
        ));
    }
    let (_, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    if !had_errors {
        return Err((
            "文件不是 UTF-8 编码，看起来是 GB18030/GBK（Windows 记事本、WPS 等常用）".into(),
            "请在编辑器中“另存为”，编码选择 UTF-8；或运行 iconv -f GB18030 -t UTF-8",
        ));
    }
    Err((
        "文件不是 UTF-8 编码的文本".into(),
        "请在编辑器中“另存为”，编码选择 UTF-8",
    ))
}

/// A short Chinese reason for an I/O error.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "文件不存在".into(),
        std::io::ErrorKind::PermissionDenied => "没有权限".into(),
        _ => e.to_string(),
    }
}

/// Lists the month folders under `data/` (valid or not), sorted by name.
pub fn month_dirs(root: &Path) -> Result<Vec<String>, Diagnostic> {
    let data = root.join("data");
    let entries = std::fs::read_dir(&data).map_err(|e| {
        Diagnostic::general(
            Severity::Error,
            "io",
            format!("无法读取 data 文件夹：{}", io_reason(&e)),
        )
        .help("请在项目根目录（含 data/ 和 templates/ 的文件夹）中运行 tongbao")
    })?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_dir()).unwrap_or(false))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n != "tables" && !n.starts_with('.'))
        .collect();
    names.sort();
    Ok(names)
}

/// Loads the registry, the table descriptions and the given months (by folder name).
///
/// Returns whatever could be loaded plus every problem found; `None` only when the registry or the
/// table descriptions could not be read at all.
pub fn load(root: &Path, months: &[String]) -> (Option<Data>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let registry = registry::load(root, &mut diags);
    let specs = schema::load_all(root, &mut diags);
    let (Some(registry), Some(specs)) = (registry, specs) else {
        return (None, diags);
    };
    let mut loaded = Vec::new();
    for name in months {
        if let Some(m) = month::load(root, name, &specs, &mut diags) {
            loaded.push(m);
        }
    }
    loaded.sort_by(|a, b| a.id.cmp(&b.id));
    (
        Some(Data {
            root: root.to_path_buf(),
            registry,
            specs,
            months: loaded,
        }),
        diags,
    )
}

/// The path of a month's folder relative to the root.
pub fn month_path(name: &str) -> PathBuf {
    Path::new("data").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_is_named() {
        let (gbk, _, _) = encoding_rs::GBK.encode("单位: 总寨镇人民政府\n");
        let (msg, _) = decode(&gbk).unwrap_err();
        assert!(msg.contains("GB18030/GBK"), "{msg}");
    }

    #[test]
    fn bom_and_crlf_are_fine() {
        assert_eq!(decode(b"\xEF\xBB\xBFa: 1\r\n").unwrap(), "a: 1\r\n");
    }

    #[test]
    fn utf16_is_named() {
        let (msg, _) = decode(b"\xFF\xFEa\0:\0").unwrap_err();
        assert!(msg.contains("UTF-16"));
    }
}
