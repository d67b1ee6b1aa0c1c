//! Stage 1: read the project's YAML into typed values that remember where they came from.
//!
//! Loading checks only form (syntax, types, required and unknown keys, encodings); rules that relate
//! values to each other live in [`crate::check`]. Every file is read through
//! [`Project::read`](crate::project::Project::read), which refuses files outside the root.

pub(crate) mod complete;
pub(crate) mod config;
pub(crate) mod expr;
pub(crate) mod formula;
pub(crate) mod hygiene;
pub(crate) mod month;
pub(crate) mod number;
pub(crate) mod page;
pub(crate) mod registry;
pub(crate) mod schema;
pub(crate) mod table_file;
pub(crate) mod text;
pub(crate) mod yaml;

use std::path::Path;
use std::sync::Arc;

use crate::diag::{Code, Diagnostic, Loc, Severity, Source};
use crate::project::{Project, ReadError};

pub(crate) use month::{Month, MonthTable};
pub(crate) use registry::{Registry, Unit};
pub(crate) use schema::TableSpec;
pub(crate) use yaml::half_width_digits;

/// Largest data file accepted (the shipped ones are a few KiB).
const MAX_FILE_BYTES: u64 = 1 << 20;

/// Everything loaded from `data/`: the registry, the table descriptions and the requested months.
#[derive(Debug, Clone)]
pub(crate) struct Data {
    pub project: Project,
    pub registry: Arc<Registry>,
    /// In file-name order.
    pub specs: Arc<Vec<TableSpec>>,
    /// Oldest first.
    pub months: Vec<Month>,
}

/// The registry and the table descriptions, loaded once per command and shared by every month it
/// loads ([`Base::month`]).
#[derive(Debug, Clone)]
pub(crate) struct Base {
    pub registry: Arc<Registry>,
    /// In file-name order.
    pub specs: Arc<Vec<TableSpec>>,
}

impl Data {
    pub(crate) fn spec(&self, id: &str) -> Option<&TableSpec> {
        self.specs.iter().find(|s| s.id == id)
    }

    /// The table a text or an attachment names, by its short name or its id.
    pub(crate) fn table_named(&self, name: &str) -> Option<&TableSpec> {
        self.specs.iter().find(|s| names_table(s, name))
    }

    pub(crate) fn month(&self, name: &str) -> Option<&Month> {
        self.months.iter().find(|m| m.name == name)
    }
}

/// Whether `name`, as a user writes it on the command line, names table `spec`: its 简称 (`热线`),
/// its id (`12345`) or its file name (`12345.yaml`). The one rule for `import`, `diff`, `log` and
/// `blame`.
pub(crate) fn names_table(spec: &TableSpec, name: &str) -> bool {
    let name = name.trim();
    spec.id == name || spec.expression_name() == name || name.strip_suffix(".yaml") == Some(spec.id.as_str())
}

/// Reads a text file of the project, refusing files outside the root (without showing their
/// content), non-UTF-8 text (naming the likely encoding), empty files and oversized files.
pub(crate) fn read_source(project: &Project, rel: &Path) -> Result<Arc<Source>, Diagnostic> {
    let fail = |code, msg: String, help: &str| Diagnostic::in_file(Severity::Error, code, rel, msg).help(help);
    let refused = |e: ReadError| match e {
        ReadError::Outside => fail(
            Code::OutsideRoot,
            format!("不能读取：{}", e.reason()),
            "数据、模板和字体都必须放在项目文件夹之内；请把文件复制进来，而不要用指向外面的链接",
        ),
        ReadError::TooBig(_) => fail(
            Code::FileTooBig,
            format!("不能读取：{}", e.reason()),
            "检查是否放错了文件",
        ),
        ReadError::Io(_) => fail(
            Code::Io,
            format!("无法读取文件：{}", e.reason()),
            "检查文件是否存在、是否有读取权限",
        ),
    };
    let size = project.size(rel).map_err(refused)?;
    if size > MAX_FILE_BYTES {
        return Err(fail(
            Code::FileTooBig,
            format!(
                "文件过大（{} KiB），数据文件不应超过 {} KiB",
                size / 1024,
                MAX_FILE_BYTES / 1024
            ),
            "检查是否放错了文件",
        ));
    }
    let bytes = project.read(rel).map_err(refused)?;
    let text = decode(&bytes).map_err(|(msg, help)| at_first_bad_byte(fail(Code::Encoding, msg, help), &bytes))?;
    if text.trim().is_empty() {
        return Err(fail(Code::EmptyFile, "文件是空的".into(), "请填写内容，或删除这个文件"));
    }
    let problem = hygiene::first_problem(&text);
    let src = Source::new(rel, text);
    match problem {
        None => Ok(src),
        Some(p) => {
            let loc = Loc {
                src,
                line: p.line,
                col: p.col,
                len: p.len,
            };
            Err(Diagnostic::error(p.code, &loc, p.message).help(p.help))
        }
    }
}

/// Points an encoding error at the first byte that is not text (a NUL, or a byte that breaks UTF-8
/// in an otherwise UTF-8 file), so that one stray character is found by its line and column; a file
/// in another encoding altogether stays an error of the whole file.
fn at_first_bad_byte(mut d: Diagnostic, bytes: &[u8]) -> Diagnostic {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let good = match std::str::from_utf8(body) {
        Ok(text) => text.find('\0').map(|at| &text[..at]),
        // Mostly UTF-8: more than one line decodes before the bad byte.
        Err(e) => std::str::from_utf8(&body[..e.valid_up_to()])
            .ok()
            .filter(|t| t.contains('\n')),
    };
    if let Some(before) = good {
        d.line = before.matches('\n').count() + 1;
        d.column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        d.len = 1;
    }
    d
}

/// An error for a folder whose real path is outside the project (a symlink pointing out), or
/// `None` when it is inside (or absent: reading it will say so).
pub(crate) fn outside_folder(project: &Project, rel: &Path) -> Option<Diagnostic> {
    let exists = project.path(rel).exists();
    (exists && !project.contains(rel)).then(|| {
        Diagnostic::in_file(
            Severity::Error,
            Code::OutsideRoot,
            rel,
            format!("不能读取：{}", ReadError::Outside.reason()),
        )
        .help("数据、模板和字体都必须放在项目文件夹之内；请把文件夹复制进来，而不要用指向外面的链接")
    })
}

/// Parses a source with `read`, collecting syntax and reading problems in `diags`.
pub(crate) fn parse_with<T>(
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
pub(crate) fn decode(bytes: &[u8]) -> Result<String, (String, &'static str)> {
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

/// Loads the registry and the table descriptions, with every problem found; `None` when either
/// could not be read at all.
pub(crate) fn base(project: &Project, diags: &mut Vec<Diagnostic>) -> Option<Base> {
    let registry = registry::load(project, diags);
    let specs = schema::load_all(project, diags);
    Some(Base {
        registry: Arc::new(registry?),
        specs: Arc::new(specs?),
    })
}

/// Loads the registry, the table descriptions and the given months (by folder name).
///
/// Returns whatever could be loaded plus every problem found; `None` only when the registry or the
/// table descriptions could not be read at all.
pub(crate) fn load(project: &Project, months: &[String]) -> (Option<Data>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let Some(base) = base(project, &mut diags) else {
        return (None, diags);
    };
    let mut loaded: Vec<Month> = months
        .iter()
        .filter_map(|name| month::load(project, name, &base.specs, month::Part::All, &mut diags))
        .collect();
    loaded.sort_by(|a, b| a.id.cmp(&b.id));
    let data = base.data(project, loaded);
    (Some(data), diags)
}

impl Base {
    /// The data of `months` over this registry and these descriptions.
    pub(crate) fn data(&self, project: &Project, mut months: Vec<Month>) -> Data {
        complete::complete(&mut months, &self.specs, &self.registry);
        Data {
            project: project.clone(),
            registry: self.registry.clone(),
            specs: self.specs.clone(),
            months,
        }
    }

    /// Loads what a build of month `name` reads besides the registry and the descriptions: the
    /// month, and the tables its text compares with in other months ([`Month::compared`]).
    /// Problems of those tables are errors of this month too (it cannot be built from them); their
    /// warnings are reported when those months are checked themselves. The month's text is parsed
    /// here, once.
    pub(crate) fn month(&self, project: &Project, name: &str) -> (Data, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let mut months: Vec<Month> = Vec::new();
        let Some(month) = month::load(project, name, &self.specs, month::Part::All, &mut diags) else {
            return (self.data(project, months), diags);
        };
        let mut wanted: Vec<(String, Vec<TableSpec>)> = month
            .compared()
            .into_iter()
            .map(|(id, tables)| {
                let specs = tables.iter().filter_map(|t| self.named(t).cloned()).collect();
                (id.name(), specs)
            })
            .collect();
        wanted.extend(self.year_so_far(project, &month));
        months.push(month);
        for (other, specs) in wanted {
            if !project.path(project.month_dir(&other)).is_dir() {
                continue;
            }
            let mut theirs = Vec::new();
            if let Some(m) = month::load(project, &other, &specs, month::Part::Tables, &mut theirs) {
                match months.iter_mut().find(|o| o.name == m.name) {
                    Some(o) => {
                        let new: Vec<MonthTable> = m.tables.into_iter().filter(|t| o.table(&t.id).is_none()).collect();
                        o.tables.extend(new);
                    }
                    None => months.push(m),
                }
            }
            diags.extend(theirs.into_iter().filter(Diagnostic::is_error));
        }
        months.sort_by(|a, b| a.id.cmp(&b.id));
        (self.data(project, months), diags)
    }

    /// The table a text or an attachment names, by its short name or its id.
    fn named(&self, name: &str) -> Option<&TableSpec> {
        self.specs.iter().find(|s| names_table(s, name))
    }

    /// The earlier months of the year that `month`'s cumulative columns add up, each with the
    /// tables read there ([`complete::year_so_far`]).
    fn year_so_far(&self, project: &Project, month: &Month) -> Vec<(String, Vec<TableSpec>)> {
        let specs: Vec<TableSpec> = self
            .specs
            .iter()
            .filter(|s| s.cumulative() && month.table(&s.id).is_some())
            .cloned()
            .collect();
        if specs.is_empty() {
            return Vec::new();
        }
        let exists = |n: &str| project.path(project.month_dir(n)).is_dir();
        let period_of =
            |n: &str| month::load(project, n, &[], month::Part::Tables, &mut Vec::new()).map(|m| m.period());
        let (folders, _) = complete::year_so_far(&month.period(), exists, period_of);
        folders.into_iter().map(|f| (f, specs.clone())).collect()
    }
}

/// Loads what a build of month `name` reads: the registry, the descriptions, the month, and the
/// tables its text compares with ([`Base::month`]).
pub(crate) fn load_month(project: &Project, name: &str) -> (Option<Data>, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let Some(base) = base(project, &mut diags) else {
        return (None, diags);
    };
    let (data, mut found) = base.month(project, name);
    diags.append(&mut found);
    (Some(data), diags)
}

impl Data {
    /// The month folders that month `name`'s text compares with and that exist (loaded with it by
    /// [`Base::month`]): what else a build of it reads, for the batch stamps, the provenance
    /// manifest and the hooks.
    pub(crate) fn compared(&self, name: &str) -> Vec<String> {
        let Some(month) = self.month(name) else {
            return Vec::new();
        };
        let base = Base {
            registry: self.registry.clone(),
            specs: self.specs.clone(),
        };
        let mut out: Vec<String> = month.compared().into_iter().map(|(id, _)| id.name()).collect();
        out.extend(base.year_so_far(&self.project, month).into_iter().map(|(m, _)| m));
        out.sort();
        out.dedup();
        out.retain(|m| self.project.path(self.project.month_dir(m)).is_dir());
        out
    }
}

/// The month folders that month `name`'s text compares with and that exist, for those who need
/// nothing else of the month (the hooks, history): its text alone is read.
pub(crate) fn compared_months(project: &Project, name: &str) -> Vec<String> {
    let Some(month) = month::load(project, name, &[], month::Part::Text, &mut Vec::new()) else {
        return Vec::new();
    };
    let mut out: Vec<String> = month.compared().into_iter().map(|(id, _)| id.name()).collect();
    if let Some(specs) = schema::load_all(project, &mut Vec::new())
        && specs.iter().any(TableSpec::cumulative)
    {
        // Which tables the month has is not read here: the earlier months of the year count.
        let period = month.period();
        let exists = |n: &str| project.path(project.month_dir(n)).is_dir();
        let period_of =
            |n: &str| month::load(project, n, &[], month::Part::Tables, &mut Vec::new()).map(|m| m.period());
        out.extend(complete::year_so_far(&period, exists, period_of).0);
    }
    out.sort();
    out.dedup();
    out.retain(|m| project.path(project.month_dir(m)).is_dir());
    out
}
