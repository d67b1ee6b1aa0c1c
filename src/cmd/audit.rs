//! `tongbao diff`, `tongbao log`, `tongbao blame`: the data's history, in figures.

use std::path::Path;

use unicode_width::UnicodeWidthStr;

use crate::audit::{self, Filter, RegistryChange, TableDiff, TextChange, git::Repo};
use crate::cli::{EXIT_ERRORS, EXIT_OK, EXIT_USAGE, Format};

/// Opens the repository and runs `query` on it; a git problem is reported and becomes an exit code.
fn query<T>(root: &Path, query: impl FnOnce(&mut Repo) -> Result<T, audit::git::GitError>) -> Result<T, i32> {
    let mut repo = Repo::open(root).map_err(|e| {
        crate::tell!("错误：{}", e.0);
        EXIT_USAGE
    })?;
    query(&mut repo).map_err(|e| {
        crate::tell!("错误：{}", e.0);
        EXIT_ERRORS
    })
}

/// Pads `s` to `width` display columns (CJK characters count two).
fn pad(s: &str, width: usize) -> String {
    format!("{s}{}", " ".repeat(width.saturating_sub(s.width())))
}

fn value(v: Option<u64>) -> String {
    v.map_or("—".to_string(), |v| v.to_string())
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(10)]
}

fn print_registry(changes: &[RegistryChange], indent: &str) {
    for c in changes {
        let line = match c {
            RegistryChange::Renamed { from, to } => format!("改名  {from} → {to}"),
            RegistryChange::Added { unit } => format!("新增  {unit}"),
            RegistryChange::Removed { unit } => format!("删除  {unit}"),
            RegistryChange::Aliases { unit, added, removed } => {
                let mut parts = Vec::new();
                if !added.is_empty() {
                    parts.push(format!("增加别名 {}", added.join("、")));
                }
                if !removed.is_empty() {
                    parts.push(format!("去掉别名 {}", removed.join("、")));
                }
                format!("别名  {unit}：{}", parts.join("；"))
            }
            RegistryChange::Kind { unit, from, to } => format!("类别  {unit}：{from} → {to}"),
        };
        crate::say!("{indent}{line}");
    }
}

fn print_table(t: &TableDiff, indent: &str) {
    crate::say!("{indent}{} {}", t.month, t.name);
    let unit_w = t.figures.iter().map(|f| f.unit.width()).max().unwrap_or(0).max(4);
    let label_w = t.figures.iter().map(|f| f.label.width()).max().unwrap_or(0);
    let old_w = t.figures.iter().map(|f| value(f.old).len()).max().unwrap_or(0);
    let mut last_unit = "";
    for f in &t.figures {
        let unit = if f.unit == last_unit { "" } else { f.unit.as_str() };
        last_unit = &f.unit;
        crate::say!(
            "{indent}  {}  {}  {:>old_w$} → {}",
            pad(unit, unit_w),
            pad(&f.label, label_w),
            value(f.old),
            value(f.new)
        );
    }
    if !t.added.is_empty() {
        crate::say!("{indent}  新增单位：{}", t.added.join("、"));
    }
    if !t.removed.is_empty() {
        crate::say!("{indent}  删除单位：{}", t.removed.join("、"));
    }
    if t.reordered {
        crate::say!("{indent}  单位顺序有调整");
    }
}

fn print_texts(texts: &[TextChange], indent: &str) {
    for t in texts {
        crate::say!("{indent}{} {}：{}", t.month, t.key, t.inline);
    }
}

/// `tongbao diff REV1 [REV2] [MONTH]`.
pub fn diff(root: &Path, from: &str, to: Option<&str>, month: Option<&str>, format: Format) -> i32 {
    // `diff REV MONTH`: a month in the second place.
    let (to, month) = match (to, month) {
        (Some(t), None) if crate::load::month::MonthId::parse(t).is_some() => ("HEAD", Some(t)),
        (to, month) => (to.unwrap_or("HEAD"), month),
    };
    let d = match query(root, |repo| audit::diff(repo, from, to, month)) {
        Ok(d) => d,
        Err(code) => return code,
    };
    if format == Format::Json {
        crate::say!("{}", serde_json::to_string_pretty(&d).unwrap_or_default());
        return EXIT_OK;
    }
    crate::say!("数据变化：{} → {}", short(&d.from), short(&d.to));
    if d.registry.is_empty() && d.tables.is_empty() && d.texts.is_empty() && d.other.is_empty() {
        crate::say!("没有变化");
        return EXIT_OK;
    }
    if !d.registry.is_empty() {
        crate::say!("\n单位名录");
        print_registry(&d.registry, "  ");
    }
    for t in &d.tables {
        crate::say!();
        print_table(t, "");
    }
    if !d.texts.is_empty() {
        crate::say!("\n文字");
        print_texts(&d.texts, "  ");
    }
    if !d.other.is_empty() {
        crate::say!("\n其他改动的文件：{}", d.other.join("、"));
    }
    EXIT_OK
}

/// `tongbao log [MONTH] [--table T] [--unit U]`.
pub fn log(root: &Path, filter: &Filter, format: Format) -> i32 {
    let entries = match query(root, |repo| audit::log(repo, filter)) {
        Ok(e) => e,
        Err(code) => return code,
    };
    if format == Format::Json {
        crate::say!("{}", serde_json::to_string_pretty(&entries).unwrap_or_default());
        return EXIT_OK;
    }
    if entries.is_empty() {
        crate::say!("没有找到相关的修改记录");
    }
    for e in &entries {
        crate::say!("提交 {}  {}  {}", short(&e.commit), e.author, e.date);
        crate::say!("    {}", e.message);
        print_registry(&e.registry, "  ");
        for t in &e.tables {
            print_table(t, "  ");
        }
        print_texts(&e.texts, "  ");
        crate::say!();
    }
    EXIT_OK
}

/// `tongbao blame MONTH TABLE UNIT COLUMN`.
pub fn blame(root: &Path, month: &str, table: &str, unit: &str, column: &str, format: Format) -> i32 {
    let history = match query(root, |repo| audit::blame(repo, month, table, unit, column)) {
        Ok(h) => h,
        Err(code) => return code,
    };
    if format == Format::Json {
        crate::say!("{}", serde_json::to_string_pretty(&history).unwrap_or_default());
        return if history.is_empty() { EXIT_ERRORS } else { EXIT_OK };
    }
    let Some(last) = history.first() else {
        crate::tell!(
            "没有找到 {month} {table} 中“{unit}”的“{column}”（检查月份、表名、单位和列名，列名可用键或表头，如 本月 或 本月投诉）"
        );
        return EXIT_ERRORS;
    };
    crate::say!("{month} {table} · {unit} · {column} = {}", value(last.value));
    crate::say!(
        "最后修改：{} {} {} “{}”",
        short(&last.commit),
        last.author,
        last.date,
        last.message
    );
    crate::say!("历史（新的在前）：");
    for h in &history {
        crate::say!(
            "  {}  {}  {}  {:>6}  {}",
            short(&h.commit),
            h.date,
            pad(&h.author, 8),
            value(h.value),
            h.message
        );
    }
    EXIT_OK
}
