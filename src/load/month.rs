//! One month: `data/YYYY-MM/document.yaml` (the circular's own text and metadata) and one file per
//! table (`data/YYYY-MM/<table id>.yaml`: headline figures, one row per unit, optional 合计).

use std::collections::BTreeMap;
use std::path::Path;

use super::read_source;
use super::schema::TableSpec;
use super::yaml::{self, MapReader, Reader};
use crate::calendar::{Date, MonthId};
use crate::diag::{Diagnostic, Loc, Severity};
use crate::project::{DOCUMENT, Project};

/// A figure with its place.
#[derive(Debug, Clone)]
pub(crate) struct Figure {
    /// Column, headline or derived key.
    pub key: String,
    pub value: u64,
    pub loc: Loc,
}

/// A table row: one unit and its figures.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// The unit as written (canonical name or alias).
    pub unit: String,
    /// Where the unit name is written.
    pub unit_loc: Loc,
    /// Column figures, in the description's column order.
    pub values: Vec<Figure>,
    /// Derived figures stated in the file (checked against the computed ones).
    pub stated: Vec<Figure>,
    pub loc: Loc,
}

impl Row {
    /// The figure for column `key`.
    pub(crate) fn value(&self, key: &str) -> Option<u64> {
        self.values.iter().find(|f| f.key == key).map(|f| f.value)
    }
}

/// One table of one month.
#[derive(Debug, Clone)]
pub(crate) struct MonthTable {
    /// The table id (its description's file name).
    pub id: String,
    /// Headline figures (`概况`).
    pub headlines: Vec<Figure>,
    /// Rows, in file order.
    pub rows: Vec<Row>,
    /// The 合计 row as written, if the file states one.
    pub total: Option<Vec<Figure>>,
    /// Whether some figure could not be read (sums are then not checked, to avoid follow-on errors).
    pub incomplete: bool,
    pub loc: Loc,
}

impl MonthTable {
    pub(crate) fn headline(&self, key: &str) -> Option<&Figure> {
        self.headlines.iter().find(|f| f.key == key)
    }

    /// The sum of column `key` over the rows (what a 合计 row prints).
    pub(crate) fn total(&self, key: &str) -> u64 {
        self.rows.iter().filter_map(|r| r.value(key)).sum()
    }

    /// Every column's total, by key.
    pub(crate) fn totals(&self, spec: &TableSpec) -> BTreeMap<String, u64> {
        spec.columns
            .iter()
            .map(|c| (c.key.clone(), self.total(&c.key)))
            .collect()
    }
}

/// One paragraph-bearing text of the document, keyed for the template.
#[derive(Debug, Clone)]
pub(crate) struct Text {
    /// Key in `正文`.
    pub key: String,
    /// Paragraphs (one for a plain string).
    pub paragraphs: Vec<(String, Loc)>,
}

/// An entry of the 附件说明.
#[derive(Debug, Clone)]
pub(crate) struct Attachment {
    pub table: String,
    pub table_loc: Loc,
    /// Its name as listed in the 附件说明.
    pub name: String,
    pub name_loc: Loc,
}

/// The 版记 (closing block) of the last page.
#[derive(Debug, Clone, Default)]
pub(crate) struct Colophon {
    /// 抄送 list.
    pub copies: Option<String>,
    pub printer: Option<String>,
    /// 印发日期.
    pub printed: Option<Date>,
}

/// Layout switches of the month (all optional; the defaults give the seed's published form).
#[derive(Debug, Clone, Default)]
pub(crate) struct Layout {
    /// Print the red header (发文机关标志, 发文字号, red rule).
    pub red_header: bool,
    /// 发文机关标志 text, default: issuing office + "文件".
    pub header_mark: Option<String>,
    pub copy_number: Option<String>,
    pub secrecy: Option<String>,
    pub urgency: Option<String>,
    /// Seal image, a path under the project root.
    pub seal: Option<(String, Loc)>,
    pub note: Option<String>,
    pub colophon: Option<Colophon>,
}

/// The circular's own text and metadata.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    pub issuer: String,
    /// 发文字号, e.g. 城中政办〔2023〕12号.
    pub number: Option<String>,
    /// 标题: one string (lines balanced automatically) or the lines as the office breaks them.
    pub title: Vec<String>,
    /// 主送机关 (without the final colon).
    pub recipients: String,
    /// 成文日期.
    pub date: Date,
    pub date_loc: Loc,
    /// Prose texts (`正文`), in file order.
    pub texts: Vec<Text>,
    /// Named units (`点名`): lists of unit names used in the prose.
    pub named: Vec<(String, Vec<(String, Loc)>)>,
    /// 附件说明 entries.
    pub attachments: Vec<Attachment>,
    pub layout: Layout,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub(crate) struct Month {
    pub id: MonthId,
    /// Its folder name, `YYYY-MM`.
    pub name: String,
    pub document: Option<Document>,
    /// Its tables, in description order.
    pub tables: Vec<MonthTable>,
}

impl Month {
    /// Table `id` of this month.
    pub(crate) fn table(&self, id: &str) -> Option<&MonthTable> {
        self.tables.iter().find(|t| t.id == id)
    }
}

/// Loads month folder `name`; problems go to `diags`.
pub(crate) fn load(project: &Project, name: &str, specs: &[TableSpec], diags: &mut Vec<Diagnostic>) -> Option<Month> {
    let dir = project.month_dir(name);
    let Some(id) = MonthId::parse(name) else {
        diags.push(
            Diagnostic::in_file(Severity::Error, "month-name", &dir, format!("文件夹名“{name}”不是月份"))
                .help("月份文件夹应命名为 YYYY-MM，例如 data/2023-03"),
        );
        return None;
    };
    if let Some(d) = super::outside_folder(project, &dir) {
        diags.push(d);
        return None;
    }
    let document = load_file(project, &project.document(name), diags, read_document);
    let mut tables = Vec::new();
    for spec in specs {
        let file = project.table_file(name, &spec.id);
        if !project.path(&file).exists() {
            diags.push(
                Diagnostic::in_file(
                    Severity::Error,
                    "table-missing",
                    &file,
                    format!("缺少{}的本月数据", spec.name),
                )
                .help(format!("请新建 {}（可复制上个月的同名文件再修改）", file.display())),
            );
            continue;
        }
        if let Some(t) = load_file(project, &file, diags, |r, tree| read_table(r, tree, spec)) {
            tables.push(t);
        }
    }
    // Files nobody reads are probably misnamed.
    if let Ok(entries) = std::fs::read_dir(project.path(&dir)) {
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        for f in names {
            let stem = f.strip_suffix(".yaml").or_else(|| f.strip_suffix(".yml"));
            if let Some(stem) = stem
                && f != DOCUMENT
                && !specs.iter().any(|s| s.id == stem)
            {
                let known: Vec<&str> = specs.iter().map(|s| s.id.as_str()).collect();
                diags.push(
                    Diagnostic::in_file(
                        Severity::Warning,
                        "unknown-file",
                        &dir.join(&f),
                        format!("没有名为“{stem}”的表格定义，文件未被使用"),
                    )
                    .help(format!(
                        "表格数据文件应与 data/tables/ 中的定义同名：{}",
                        known.join("、")
                    )),
                );
            }
        }
    }
    Some(Month {
        id,
        name: name.to_string(),
        document,
        tables,
    })
}

fn load_file<T>(
    project: &Project,
    rel: &Path,
    diags: &mut Vec<Diagnostic>,
    read: impl FnOnce(&mut Reader, &yaml::Node) -> Option<T>,
) -> Option<T> {
    let src = read_source(project, rel).map_err(|d| diags.push(d)).ok()?;
    super::parse_with(&src, diags, read)
}

/// Parses a month's document from its text (e.g. a blob from git history).
pub(crate) fn parse_document(
    src: &std::sync::Arc<crate::diag::Source>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Document> {
    super::parse_with(src, diags, read_document)
}

/// Parses one table of a month from its text.
pub(crate) fn parse_table(
    src: &std::sync::Arc<crate::diag::Source>,
    spec: &TableSpec,
    diags: &mut Vec<Diagnostic>,
) -> Option<MonthTable> {
    super::parse_with(src, diags, |r, tree| read_table(r, tree, spec))
}

fn opt_text(r: &mut Reader, m: &mut MapReader<'_>, key: &str) -> Option<String> {
    m.opt(key).and_then(|n| r.text(n, key))
}

fn read_document(r: &mut Reader, tree: &yaml::Node) -> Option<Document> {
    let mut top = r.map(tree, "公文")?;
    let issuer = r.req(&mut top, "发文机关").and_then(|n| r.text(n, "发文机关"));
    let number = opt_text(r, &mut top, "发文字号");
    let title = r
        .req(&mut top, "标题")
        .map(|n| r.texts(n, "标题").into_iter().map(|(t, _)| t).collect::<Vec<_>>())
        .filter(|t| !t.is_empty());
    let recipients = r.req(&mut top, "主送").and_then(|n| r.text(n, "主送"));
    let date_node = r.req(&mut top, "成文日期");
    let date = date_node.and_then(|n| r.date(n, "成文日期"));
    let mut texts = Vec::new();
    if let Some(node) = r.req(&mut top, "正文")
        && let Some(mut m) = r.map(node, "正文")
    {
        m.use_all();
        for (key, _, value) in m.entries() {
            let paragraphs = r.texts(value, &format!("正文“{key}”"));
            texts.push(Text {
                key: key.to_string(),
                paragraphs,
            });
        }
    }
    let mut named = Vec::new();
    if let Some(node) = top.opt("点名")
        && let Some(mut m) = r.map(node, "点名")
    {
        m.use_all();
        for (key, _, value) in m.entries() {
            named.push((key.to_string(), r.texts(value, &format!("点名“{key}”"))));
        }
    }
    let mut attachments = Vec::new();
    if let Some(items) = top.opt("附件").and_then(|n| r.seq(n, "附件")) {
        for item in items {
            let Some(mut m) = r.map(item, "附件") else {
                continue;
            };
            let table = r
                .req(&mut m, "表")
                .and_then(|n| r.text(n, "表").map(|t| (t, n.loc.clone())));
            let name = r
                .req(&mut m, "名称")
                .and_then(|n| r.text(n, "名称").map(|t| (t, n.loc.clone())));
            r.finish(m, &["表", "名称"]);
            if let (Some((table, table_loc)), Some((name, name_loc))) = (table, name) {
                attachments.push(Attachment {
                    table,
                    table_loc,
                    name,
                    name_loc,
                });
            }
        }
    }
    let layout = top.opt("版式").map(|n| read_layout(r, n)).unwrap_or_default();
    r.finish(
        top,
        &[
            "发文机关",
            "发文字号",
            "标题",
            "主送",
            "成文日期",
            "正文",
            "点名",
            "附件",
            "版式",
        ],
    );
    Some(Document {
        issuer: issuer?,
        number,
        title: title?,
        recipients: recipients?.trim_end_matches([':', '：']).to_string(),
        date: date?,
        date_loc: date_node?.loc.clone(),
        texts,
        named,
        attachments,
        layout,
        loc: Loc::file(&tree.loc.src),
    })
}

fn read_layout(r: &mut Reader, node: &yaml::Node) -> Layout {
    let mut layout = Layout::default();
    let Some(mut m) = r.map(node, "版式") else {
        return layout;
    };
    layout.red_header = m.opt("版头").and_then(|n| r.boolean(n, "版头")).unwrap_or(false);
    layout.header_mark = opt_text(r, &mut m, "发文机关标志");
    layout.copy_number = opt_text(r, &mut m, "份号");
    layout.secrecy = opt_text(r, &mut m, "密级");
    layout.urgency = opt_text(r, &mut m, "紧急程度");
    layout.seal = m
        .opt("印章")
        .and_then(|n| r.text(n, "印章").map(|t| (t, n.loc.clone())));
    layout.note = opt_text(r, &mut m, "附注");
    if let Some(n) = m.opt("版记")
        && let Some(mut c) = r.map(n, "版记")
    {
        let copies = opt_text(r, &mut c, "抄送");
        let printer = opt_text(r, &mut c, "印发机关");
        let printed = c.opt("印发日期").and_then(|n| r.date(n, "印发日期"));
        r.finish(c, &["抄送", "印发机关", "印发日期"]);
        layout.colophon = Some(Colophon {
            copies,
            printer,
            printed,
        });
    }
    r.finish(
        m,
        &[
            "版头",
            "发文机关标志",
            "份号",
            "密级",
            "紧急程度",
            "印章",
            "附注",
            "版记",
        ],
    );
    layout
}

fn read_figures(r: &mut Reader, m: &mut MapReader<'_>, keys: &[&str], required: bool, what: &str) -> Vec<Figure> {
    let mut out = Vec::new();
    for key in keys {
        let node = if required { r.req(m, key) } else { m.opt(key) };
        if let Some(node) = node
            && let Some(value) = r.count(node, &format!("{what}“{key}”"))
        {
            out.push(Figure {
                key: key.to_string(),
                value,
                loc: node.loc.clone(),
            });
        }
    }
    out
}

fn read_table(r: &mut Reader, tree: &yaml::Node, spec: &TableSpec) -> Option<MonthTable> {
    let problems_before = r.diags.len();
    let mut top = r.map(tree, "表格数据")?;
    let columns: Vec<&str> = spec.columns.iter().map(|c| c.key.as_str()).collect();
    let headline_keys: Vec<&str> = spec.headlines.iter().map(|h| h.key.as_str()).collect();
    let derived_keys: Vec<&str> = spec.derived.iter().map(|d| d.key.as_str()).collect();

    let mut headlines = Vec::new();
    if let Some(node) = top.opt("概况") {
        if let Some(mut m) = r.map(node, "概况") {
            headlines = read_figures(r, &mut m, &headline_keys, true, "概况");
            r.finish(m, &headline_keys);
        }
    } else if !spec.headlines.is_empty() {
        r.push(
            Diagnostic::error("missing-field", top.loc(), "缺少“概况”").help(format!(
                "请补上“概况: {{{}}}”",
                headline_keys
                    .iter()
                    .map(|k| format!("{k}: 0"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
    }
    let mut rows = Vec::new();
    if let Some(items) = r.req(&mut top, "行").and_then(|n| r.seq(n, "行")) {
        for item in items {
            let Some(mut m) = r.map(item, "行") else {
                continue;
            };
            let unit = r
                .req(&mut m, "单位")
                .and_then(|n| r.text(n, "单位").map(|t| (t, n.loc.clone())));
            let values = read_figures(r, &mut m, &columns, true, "");
            let stated: Vec<Figure> = spec
                .derived
                .iter()
                .filter_map(|d| {
                    let node = m.opt(&d.key)?;
                    let value = r.percent(node, &d.key)?;
                    Some(Figure {
                        key: d.key.clone(),
                        value,
                        loc: node.loc.clone(),
                    })
                })
                .collect();
            let known: Vec<&str> = std::iter::once("单位")
                .chain(columns.iter().copied())
                .chain(derived_keys.iter().copied())
                .collect();
            r.finish(m, &known);
            if let Some((unit, unit_loc)) = unit {
                rows.push(Row {
                    unit,
                    unit_loc,
                    values,
                    stated,
                    loc: item.loc.clone(),
                });
            }
        }
    }
    let total = match top.opt("合计") {
        Some(node) => r.map(node, "合计").map(|mut m| {
            let figures = read_figures(r, &mut m, &columns, false, "合计");
            r.finish(m, &columns);
            figures
        }),
        None => None,
    };
    r.finish(top, &["概况", "行", "合计"]);
    let incomplete = r.diags.len() > problems_before;
    Some(MonthTable {
        id: spec.id.clone(),
        headlines,
        rows,
        total,
        incomplete,
        loc: Loc::file(&tree.loc.src),
    })
}
