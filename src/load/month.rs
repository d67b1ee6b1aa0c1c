//! One month: `data/YYYY-MM/document.yaml` (the circular's own text and metadata) and one file per
//! table (`data/YYYY-MM/<table id>.yaml`: headline figures, one row per unit, optional 合计).

use std::collections::BTreeMap;
use std::path::Path;

use super::expr::{Compares, Head};
use super::number::{Num, Rounding};
use super::read_source;
use super::schema::{Column, Form, Kind, Source, TableSpec, Total};
use super::text::Text;
use super::yaml::{self, MapReader, Reader};
use crate::calendar::{Date, MonthId, Period};
use crate::diag::{Code, Diagnostic, Loc, Severity};
use crate::project::{DOCUMENT, ISSUE_RECORD, Project, WITHDRAWN};

// The keys each part of a month's files may have: what the reader accepts, and what the JSON
// schema (`schemas.rs`) must describe, one list each.
/// The keys of `document.yaml`.
pub(crate) const DOCUMENT_KEYS: &[&str] = &["发文字号", "附件", "期间", "版式", "示例数字"];
/// The keys of `版式`.
pub(crate) const LAYOUT_KEYS: &[&str] = &[
    "版头",
    "字号单列",
    "发文机关标志",
    "份号",
    "密级",
    "紧急程度",
    "印章",
    "附注",
    "版记",
    "行文",
    "签发人",
    "联合行文",
];
/// The keys of a seal (`印章`) written as a mapping.
pub(crate) const SEAL_KEYS: &[&str] = &["图片", "直径"];
/// The keys of `版记`.
pub(crate) const COLOPHON_KEYS: &[&str] = &["抄送", "印发机关", "印发日期"];
/// The keys of a month's table file.
pub(crate) const MONTH_KEYS: &[&str] = &["概况", "行", "合计", "正文"];

/// Files of a month folder that are not tables.
const NOT_TABLES: [&str; 2] = [ISSUE_RECORD, WITHDRAWN];

/// A figure with its place.
#[derive(Debug, Clone)]
pub(crate) struct Figure {
    /// Column, headline or derived key.
    pub key: String,
    pub value: Num,
    pub loc: Loc,
}

/// A derived figure the month's file states as the office printed it (`采纳率: 57.10%`): printed as
/// written, and checked against the computed one at the precision it is written with.
#[derive(Debug, Clone)]
pub(crate) struct Stated {
    pub key: String,
    /// As written (`57.10%`, `50%`, `0`, `—`).
    pub text: String,
    /// Its value in percent; `None` when it says there is nothing to compute (`—`).
    pub value: Option<Num>,
    pub loc: Loc,
}

/// A table row: one unit (or one entry of a list) and its figures.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    /// The unit as written (canonical name or alias); empty in a list.
    pub unit: String,
    /// Where the unit name is written.
    pub unit_loc: Loc,
    /// Column figures: as written, then the computed and cumulative ones not written
    /// ([`super::complete`]).
    pub values: Vec<Figure>,
    /// The cells left blank (nothing, not zero), by column key; a blank that counts as zero also
    /// has its 0 in `values`.
    pub blanks: Vec<String>,
    /// Text cells, by column key.
    pub texts: Vec<(String, String)>,
    /// What the computed and cumulative columns compute to, whether or not the file writes them
    /// (a written one is checked against it).
    pub computed: Vec<Figure>,
    /// Derived figures stated in the file (printed as written, checked against the computed ones).
    pub stated: Vec<Stated>,
    /// The cells whose figure is not known yet: still `待填`, unreadable, or computed from such a
    /// cell (a draft prints them as placeholders; nothing is computed from them).
    pub pending: Vec<String>,
    pub loc: Loc,
}

impl Row {
    /// A row of `unit` with these figures and nothing else.
    pub(crate) fn new(unit: String, unit_loc: Loc, values: Vec<Figure>, loc: Loc) -> Row {
        Row {
            unit,
            unit_loc,
            values,
            blanks: Vec::new(),
            texts: Vec::new(),
            computed: Vec::new(),
            pending: Vec::new(),
            stated: Vec::new(),
            loc,
        }
    }

    /// The figure for column `key`.
    pub(crate) fn value(&self, key: &str) -> Option<Num> {
        self.values.iter().find(|f| f.key == key).map(|f| f.value)
    }

    /// The written figure for column `key`, with its place.
    pub(crate) fn figure(&self, key: &str) -> Option<&Figure> {
        self.values.iter().find(|f| f.key == key)
    }

    /// Whether column `key`'s cell is blank.
    pub(crate) fn is_blank(&self, key: &str) -> bool {
        self.blanks.iter().any(|k| k == key)
    }

    /// The text of text column `key`.
    pub(crate) fn text(&self, key: &str) -> Option<&str> {
        self.texts.iter().find(|(k, _)| k == key).map(|(_, t)| t.as_str())
    }

    /// Whether this row's figure `key` is not known yet.
    pub(crate) fn is_pending(&self, key: &str) -> bool {
        self.pending.iter().any(|k| k == key)
    }

    /// The stated figure for derived key `key`.
    pub(crate) fn stated(&self, key: &str) -> Option<&Stated> {
        self.stated.iter().find(|s| s.key == key)
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
    /// Headline figures still `待填` (an error for `check`; the rows alone can be exported).
    pub unfilled: Vec<(String, Loc)>,
    /// The paragraphs of an attachment that is a text (`正文`).
    pub paragraphs: Vec<String>,
    /// Months of the year a cumulative column needs and that have no data ([`super::complete`]).
    pub missing: Vec<MonthId>,
    pub loc: Loc,
}

impl MonthTable {
    pub(crate) fn headline(&self, key: &str) -> Option<&Figure> {
        self.headlines.iter().find(|f| f.key == key)
    }

    /// Every column's total in `month`, by key ([`totals_of`] over all the rows).
    pub(crate) fn totals(&self, spec: &TableSpec, month: &MonthId) -> BTreeMap<String, Num> {
        totals_of(spec, month, &self.rows.iter().collect::<Vec<_>>())
    }

    /// Whether figure `key` (a column or a headline) is not known yet in some row or as a
    /// headline: what a draft prints as a placeholder.
    pub(crate) fn pending(&self, key: &str) -> bool {
        self.unfilled.iter().any(|(k, _)| k == key) || self.rows.iter().any(|r| r.is_pending(key))
    }

    /// The headline figures by key.
    pub(crate) fn headlines_map(&self) -> BTreeMap<String, Num> {
        self.headlines.iter().map(|f| (f.key.clone(), f.value)).collect()
    }

    /// A table of `spec` with nothing in it.
    pub(crate) fn empty(spec: &TableSpec) -> MonthTable {
        MonthTable {
            id: spec.id.clone(),
            headlines: Vec::new(),
            rows: Vec::new(),
            total: None,
            incomplete: false,
            unfilled: Vec::new(),
            paragraphs: Vec::new(),
            missing: Vec::new(),
            loc: spec.loc.clone(),
        }
    }
}

/// Every column's total over `rows` in `month` (what a 合计 row prints), by key; columns without
/// one are left out. A count sums, a figure with decimals takes the mean or the weighted mean as
/// its description says; a blank counts nowhere (a column of blanks has no total); a computed
/// column that says `合计: 计算` is its formula over the others' totals.
pub(crate) fn totals_of(spec: &TableSpec, month: &MonthId, rows: &[&Row]) -> BTreeMap<String, Num> {
    let mut out: BTreeMap<String, Num> = spec
        .columns_at(month)
        .into_iter()
        .filter(|c| c.kind.is_figure())
        .filter_map(|c| total(rows, c).map(|t| (c.key.clone(), t)))
        .collect();
    for c in spec.computing_order().unwrap_or_default() {
        if let (Total::Computed, Source::Computed(f), true) = (&c.total, &c.source, c.exists(month))
            && let Some(v) = f.eval(&|k| out.get(k).copied(), c.kind.places(), c.rounding)
        {
            out.insert(c.key.clone(), v);
        }
    }
    out
}

/// Column `col`'s total over `rows`, apart from a computed one.
fn total(rows: &[&Row], col: &Column) -> Option<Num> {
    let places = col.kind.places();
    let present: Vec<Num> = rows.iter().filter_map(|r| r.value(&col.key)).collect();
    match &col.total {
        Total::Sum => {
            (rows.is_empty() || !present.is_empty()).then(|| present.iter().copied().fold(Num::int(0), Num::add))
        }
        Total::None | Total::Computed => None,
        Total::Mean => Num::mean(&present, places, Rounding::HalfUp),
        Total::Weighted(weight) => {
            let (mut sum, mut weights) = (Num::int(0), Num::int(0));
            for row in rows {
                if let (Some(v), Some(w)) = (row.value(&col.key), row.value(weight)) {
                    sum = sum.add(v.mul(w));
                    weights = weights.add(w);
                }
            }
            sum.div(weights, places, Rounding::HalfUp)
        }
    }
}

/// A table shown as an attachment: its id or short name as written in `附件`.
#[derive(Debug, Clone)]
pub(crate) struct Attachment {
    pub table: String,
    pub loc: Loc,
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
    /// Print the 发文字号 without the red header: flush right above the title (`字号单列: true`).
    pub number_alone: bool,
    /// 发文机关标志 text, default: issuing office + "文件".
    pub header_mark: Option<String>,
    pub copy_number: Option<String>,
    pub secrecy: Option<String>,
    pub urgency: Option<String>,
    /// Seals, one per issuing office in order (a path under the project root and a diameter).
    pub seals: Vec<Seal>,
    pub note: Option<String>,
    pub colophon: Option<Colophon>,
    /// 行文方向: an upward document (上行文) carries 签发人 beside the 发文字号.
    pub upward: Option<(bool, Loc)>,
    /// 签发人 of an upward document.
    pub signers: Vec<(String, Loc)>,
    /// `联合行文: true`: several offices issue together (the text lists them).
    pub joint: Option<(bool, Loc)>,
}

/// A seal image and the diameter it is printed at (offices' round stamps are 40–45 mm).
#[derive(Debug, Clone)]
pub(crate) struct Seal {
    pub image: String,
    pub diameter_mm: u64,
    pub loc: Loc,
}

/// The diameter of a seal when the settings do not state it.
pub(crate) const SEAL_MM: u64 = 42;

/// The month's settings (`document.yaml`): what the text does not say.
#[derive(Debug, Clone, Default)]
pub(crate) struct Document {
    /// 发文字号, e.g. 城中政办〔2023〕12号.
    pub number: Option<(String, Loc)>,
    /// The tables shown as attachments, in order (附件1, 附件2 …).
    pub attachments: Vec<Attachment>,
    /// The period reported on, when it is not just the folder's month.
    pub period: Option<(Period, Loc)>,
    pub layout: Layout,
    /// Where `示例数字: true` says the month's figures are samples (`tongbao init` writes it):
    /// such a month is checked and built, never issued.
    pub sample: Option<Loc>,
    /// The file, when there is one.
    pub loc: Option<Loc>,
}

#[derive(Debug, Clone)]
pub(crate) struct Month {
    pub id: MonthId,
    /// Its folder name, `YYYY-MM`.
    pub name: String,
    pub document: Document,
    /// The circular's text (`通报.txt`); `None` when it is missing or could not be read.
    pub text: Option<Text>,
    /// Whether the folder has a `通报.txt` at all: a month without one holds data only (read by
    /// the months that compare with it) and is never built as a circular.
    pub has_text: bool,
    /// Its tables, in description order.
    pub tables: Vec<MonthTable>,
}

impl Month {
    /// Table `id` of this month.
    pub(crate) fn table(&self, id: &str) -> Option<&MonthTable> {
        self.tables.iter().find(|t| t.id == id)
    }

    /// The period the circular reports on: `期间` in document.yaml, else the folder's month.
    pub(crate) fn period(&self) -> Period {
        self.document
            .period
            .as_ref()
            .map_or_else(|| Period::month(&self.id), |(p, _)| p.clone())
    }

    /// The month a comparison reads: the month before the period (a two-month period compares
    /// with the month before its first month), or the same month a year before. The one place
    /// that says which month is "上月" and which is "去年同期".
    pub(crate) fn compared_month(&self, what: Compares) -> MonthId {
        match what {
            Compares::Previous => self.period().before(),
            Compares::YearAgo => self.id.year_before(),
        }
    }

    /// The tables this month's circular uses, as named (short name or id): those its text reads
    /// and those its 附件 lists.
    pub(crate) fn tables_used(&self) -> Vec<String> {
        let mut out: Vec<String> = self.document.attachments.iter().map(|a| a.table.clone()).collect();
        for e in self.text.iter().flat_map(|t| t.lines()).flat_map(|l| l.expressions()) {
            if let Head::Path(path) = &e.head
                && !out.contains(&path[0].text)
            {
                out.push(path[0].text.clone());
            }
        }
        out
    }

    /// The months this month's text compares with, oldest first, each with the tables it reads
    /// there (as the text names them: short name or id).
    pub(crate) fn compared(&self) -> Vec<(MonthId, Vec<String>)> {
        let mut out: Vec<(MonthId, Vec<String>)> = Vec::new();
        for e in self.text.iter().flat_map(|t| t.lines()).flat_map(|l| l.expressions()) {
            let Head::Path(path) = &e.head else { continue };
            for what in e.compares() {
                let month = self.compared_month(what);
                let table = path[0].text.clone();
                match out.iter_mut().find(|(m, _)| *m == month) {
                    Some((_, tables)) if !tables.contains(&table) => tables.push(table),
                    Some(_) => {}
                    None => out.push((month, vec![table])),
                }
            }
        }
        out.sort();
        out
    }

    /// Whether the month holds data only (no `通报.txt`).
    pub(crate) fn data_only(&self) -> bool {
        !self.has_text
    }
}

/// How much of a month folder to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// Everything: settings, text, tables.
    All,
    /// The settings and the text, for the months it compares with.
    Text,
    /// The settings and the tables: a month another compares with.
    Tables,
}

/// Loads month folder `name`; problems go to `diags`.
pub(crate) fn load(
    project: &Project,
    name: &str,
    specs: &[TableSpec],
    part: Part,
    diags: &mut Vec<Diagnostic>,
) -> Option<Month> {
    let dir = project.month_dir(name);
    let Some(id) = MonthId::parse(name) else {
        diags.push(
            Diagnostic::in_file(
                Severity::Error,
                Code::MonthName,
                &dir,
                format!("文件夹名“{name}”不是月份"),
            )
            .help("月份文件夹应命名为 YYYY-MM，例如 data/2023-03"),
        );
        return None;
    };
    if let Some(d) = super::outside_folder(project, &dir) {
        diags.push(d);
        return None;
    }
    // A folder that cannot be read is an error, never a month without files.
    if let Err(e) = std::fs::read_dir(project.path(&dir)) {
        diags.push(unreadable(&dir, &e));
        return None;
    }
    let present = |rel: &Path, diags: &mut Vec<Diagnostic>| match project.present(rel) {
        Ok(there) => there,
        Err(e) => {
            diags.push(unreadable(rel, &e));
            false
        }
    };
    let doc_file = project.document(name);
    let document = if present(&doc_file, diags) {
        load_file(project, &doc_file, diags, read_document).unwrap_or_default()
    } else {
        Document::default()
    };
    let text_file = project.month_text(name);
    let has_text = present(&text_file, diags);
    let text = if has_text && part != Part::Tables {
        read_source(project, &text_file)
            .map_err(|d| diags.push(d))
            .ok()
            .and_then(|src| super::text::parse(&src, diags))
    } else {
        None
    };
    // A month holds the tables it has files for; `check` says when the text or the attachments
    // need one that is missing.
    let mut tables = Vec::new();
    for spec in specs.iter().filter(|_| part != Part::Text) {
        let file = project.table_file(name, &spec.id);
        if present(&file, diags)
            && let Some(t) = load_file(project, &file, diags, |r, tree| read_table(r, tree, spec, &id))
        {
            tables.push(t);
        }
    }
    if part == Part::All {
        unknown_files(project, &dir, specs, diags);
    }
    Some(Month {
        id,
        name: name.to_string(),
        document,
        text,
        has_text,
        tables,
    })
}

/// The error for a file or folder of the month that could not even be looked at.
fn unreadable(rel: &Path, e: &std::io::Error) -> Diagnostic {
    Diagnostic::in_file(
        Severity::Error,
        Code::Io,
        rel,
        format!("无法读取 {}：{}", rel.display(), crate::project::io_reason(e)),
    )
    .help("检查这个文件夹和其中文件的权限（当前用户须能读取）")
}

/// Files of a month folder nobody reads are probably misnamed.
fn unknown_files(project: &Project, dir: &Path, specs: &[TableSpec], diags: &mut Vec<Diagnostic>) {
    if let Ok(entries) = std::fs::read_dir(project.path(dir)) {
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        for f in names {
            let stem = f.strip_suffix(".yaml").or_else(|| f.strip_suffix(".yml"));
            if let Some(stem) = stem
                && f != DOCUMENT
                && !NOT_TABLES.contains(&f.as_str())
                && !specs.iter().any(|s| s.id == stem)
            {
                let known: Vec<&str> = specs.iter().map(|s| s.id.as_str()).collect();
                diags.push(
                    Diagnostic::in_file(
                        Severity::Warning,
                        Code::UnknownFile,
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

/// Parses one table of a month from its text.
pub(crate) fn parse_table(
    src: &std::sync::Arc<crate::diag::Source>,
    spec: &TableSpec,
    month: &MonthId,
    diags: &mut Vec<Diagnostic>,
) -> Option<MonthTable> {
    super::parse_with(src, diags, |r, tree| read_table(r, tree, spec, month))
}

fn opt_text(r: &mut Reader, m: &mut MapReader<'_>, key: &str) -> Option<String> {
    m.opt(key).and_then(|n| r.text(n, key))
}

/// Keys of the old document.yaml, whose contents now live in 通报.txt.
const MOVED_TO_TEXT: [&str; 6] = ["发文机关", "标题", "主送", "成文日期", "正文", "点名"];

fn read_document(r: &mut Reader, tree: &yaml::Node) -> Option<Document> {
    if tree.is_null() {
        return Some(Document::default());
    }
    let mut top = r.map(tree, "公文设置")?;
    let number = top
        .opt("发文字号")
        .and_then(|n| r.text(n, "发文字号").map(|t| (t, n.loc.clone())));
    let attachments = top
        .opt("附件")
        .map(|n| r.texts(n, "附件"))
        .unwrap_or_default()
        .into_iter()
        .map(|(table, loc)| Attachment { table, loc })
        .collect();
    let period = top.opt("期间").and_then(|n| {
        let text = r.text(n, "期间")?;
        match Period::parse(&text) {
            Some(p) => Some((p, n.loc.clone())),
            None => {
                r.push(
                    Diagnostic::error(Code::Type, &n.loc, format!("期间“{text}”看不懂"))
                        .help("写成 2023年3月、2023年1-3月（或 1~3月、1月至3月）、2023年第一季度、2023年上半年 或 2023年（同一年内，止于本文件夹的月份）"),
                );
                None
            }
        }
    });
    let layout = top.opt("版式").map(|n| read_layout(r, n)).unwrap_or_default();
    let sample = top
        .opt("示例数字")
        .and_then(|n| r.boolean(n, "示例数字").filter(|b| *b).map(|_| n.loc.clone()));
    for key in MOVED_TO_TEXT {
        if let Some(k) = top.key_node(key) {
            top.opt(key);
            r.push(
                Diagnostic::error(Code::MovedToText, &k.loc, format!("“{key}”已不在 document.yaml 中填写"))
                    .help("标题、主送、正文、发文机关和成文日期都写在同一文件夹的 通报.txt 里，照通报的样子书写；请把这里的内容移过去并删除这一项"),
            );
        }
    }
    r.finish(top, DOCUMENT_KEYS);
    Some(Document {
        number,
        attachments,
        period,
        layout,
        sample,
        loc: Some(Loc::file(&tree.loc.src)),
    })
}

fn read_layout(r: &mut Reader, node: &yaml::Node) -> Layout {
    let mut layout = Layout::default();
    let Some(mut m) = r.map(node, "版式") else {
        return layout;
    };
    layout.red_header = m.opt("版头").and_then(|n| r.boolean(n, "版头")).unwrap_or(false);
    layout.number_alone = m
        .opt("字号单列")
        .and_then(|n| r.boolean(n, "字号单列"))
        .unwrap_or(false);
    layout.header_mark = opt_text(r, &mut m, "发文机关标志");
    layout.copy_number = opt_text(r, &mut m, "份号");
    layout.secrecy = opt_text(r, &mut m, "密级");
    layout.urgency = opt_text(r, &mut m, "紧急程度");
    if let Some(n) = m.opt("印章") {
        let items: Vec<&yaml::Node> = match &n.value {
            yaml::Value::Seq(items) => items.iter().collect(),
            _ => vec![n],
        };
        for item in items {
            let seal = match &item.value {
                yaml::Value::Map(_) => r.map(item, "印章").and_then(|mut s| {
                    let image = r.req(&mut s, "图片").and_then(|n| r.text(n, "图片"));
                    let diameter = s.opt("直径").and_then(|n| r.count(n, "直径（毫米）"));
                    r.finish(s, SEAL_KEYS);
                    image.map(|image| (image, diameter))
                }),
                _ => r.text(item, "印章").map(|t| (t, None)),
            };
            if let Some((image, diameter)) = seal {
                if let Some(d) = diameter.filter(|d| !(30..=60).contains(d)) {
                    r.push(
                        Diagnostic::error(Code::Seal, &item.loc, format!("印章直径 {d} 毫米不合常理"))
                            .help("机关的圆形印章一般直径 40–45 毫米，写毫米数，如 直径: 42"),
                    );
                }
                layout.seals.push(Seal {
                    image,
                    diameter_mm: diameter.unwrap_or(SEAL_MM),
                    loc: item.loc.clone(),
                });
            }
        }
    }
    layout.upward = m.opt("行文").and_then(|n| match n.scalar().map(str::trim) {
        Some("上行" | "上行文") => Some((true, n.loc.clone())),
        Some("下行" | "下行文" | "平行" | "平行文") => Some((false, n.loc.clone())),
        _ => {
            r.push(
                Diagnostic::error(Code::UnknownValue, &n.loc, "“行文”只能是 上行、下行 或 平行")
                    .help("上行文（向上级报送）才标注签发人"),
            );
            None
        }
    });
    layout.signers = m.opt("签发人").map(|n| r.texts(n, "签发人")).unwrap_or_default();
    layout.joint = m
        .opt("联合行文")
        .and_then(|n| r.boolean(n, "联合行文").map(|b| (b, n.loc.clone())));
    layout.note = opt_text(r, &mut m, "附注");
    if let Some(n) = m.opt("版记")
        && let Some(mut c) = r.map(n, "版记")
    {
        let copies = opt_text(r, &mut c, "抄送");
        let printer = opt_text(r, &mut c, "印发机关");
        let printed = c.opt("印发日期").and_then(|n| r.date(n, "印发日期"));
        r.finish(c, COLOPHON_KEYS);
        layout.colophon = Some(Colophon {
            copies,
            printer,
            printed,
        });
    }
    r.finish(m, LAYOUT_KEYS);
    layout
}

/// Reads the figures `keys` of a mapping; with `required`, a missing one is an error. With
/// `unfilled` (headlines), a figure still `待填` is recorded there instead of being an error.
fn read_figures(
    r: &mut Reader,
    m: &mut MapReader<'_>,
    keys: &[(&str, Kind)],
    required: bool,
    what: &str,
    mut unfilled: Option<&mut Vec<(String, Loc)>>,
) -> Vec<Figure> {
    let mut out = Vec::new();
    for (key, kind) in keys {
        let node = if required { r.req(m, key) } else { m.opt(key) };
        let Some(node) = node else { continue };
        if let Some(list) = unfilled.as_deref_mut()
            && node.scalar().map(str::trim) == Some(super::yaml::UNFILLED)
        {
            list.push((key.to_string(), node.loc.clone()));
            continue;
        }
        if let Some(value) = r.figure(node, &format!("{what}“{key}”"), *kind) {
            out.push(Figure {
                key: key.to_string(),
                value,
                loc: node.loc.clone(),
            });
        }
    }
    out
}

/// A column of another time named in a month's row: an error saying when the column exists.
fn out_of_time(r: &mut Reader, m: &mut MapReader<'_>, spec: &TableSpec, month: &MonthId) {
    let when = |c: &MonthId| format!("{}年{}月", c.year, c.month);
    for col in spec.columns.iter().filter(|c| !c.exists(month)) {
        let Some(key) = m.key_node(&col.key) else { continue };
        m.opt(&col.key);
        let why = match (&col.since, &col.until) {
            (Some(s), _) if month < s => format!("“{}”列于{}才设立", col.key, when(s)),
            (_, Some(u)) => format!("“{}”列已于{}撤销", col.key, when(u)),
            _ => continue,
        };
        r.push(
            Diagnostic::error(Code::ColumnTime, &key.loc, format!("{why}，{}没有这一列", when(month))).help(format!(
                "删去这一项；列的设立和撤销写在 {}",
                spec.loc.src.path.display()
            )),
        );
    }
}

fn read_table(r: &mut Reader, tree: &yaml::Node, spec: &TableSpec, month: &MonthId) -> Option<MonthTable> {
    let problems_before = r.diags.len();
    let mut top = r.map(tree, "表格数据")?;
    let columns = spec.columns_at(month);
    let headline_keys: Vec<(&str, Kind)> = spec.headlines.iter().map(|h| (h.key.as_str(), Kind::Count)).collect();
    let mut table = MonthTable::empty(spec);
    table.loc = Loc::file(&tree.loc.src);
    table.headlines = read_headlines(r, &mut top, spec, &headline_keys, &mut table.unfilled);
    if spec.form == Form::Text {
        table.paragraphs = read_paragraphs(r, &mut top);
    }
    let rows = match spec.form {
        Form::Text => top.opt("行"),
        _ => r.req(&mut top, "行"),
    };
    if let Some(items) = rows.and_then(|n| r.seq(n, "行")) {
        if let Some(beyond) = items.get(crate::limits::TABLE_ROWS) {
            r.push(
                Diagnostic::error(
                    Code::TableTooLong,
                    &beyond.loc,
                    format!("表格有 {} 行，一张表最多 {} 行", items.len(), crate::limits::TABLE_ROWS),
                )
                .help("一张统计表每个单位一行：请检查是否粘贴了多余的行"),
            );
        }
        for item in items.iter().take(crate::limits::TABLE_ROWS) {
            if let Some(row) = read_row(r, item, spec, &columns, month) {
                table.rows.push(row);
            }
        }
    }
    let figures: Vec<(&str, Kind)> = columns
        .iter()
        .filter(|c| c.kind.is_figure())
        .map(|c| (c.key.as_str(), c.kind))
        .collect();
    table.total = match top.opt("合计") {
        Some(node) => r.map(node, "合计").map(|mut m| {
            let figures = read_figures(r, &mut m, &figures, false, "合计", None);
            r.finish(m, &columns.iter().map(|c| c.key.as_str()).collect::<Vec<_>>());
            figures
        }),
        None => None,
    };
    r.finish(top, MONTH_KEYS);
    table.incomplete = r.diags.len() > problems_before;
    Some(table)
}

/// `正文`: the paragraphs of an attachment that is a text, one a line (blank lines are dropped).
fn read_paragraphs(r: &mut Reader, top: &mut MapReader<'_>) -> Vec<String> {
    let Some(text) = r.req(top, "正文").and_then(|n| r.text(n, "正文")) else {
        return Vec::new();
    };
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn read_headlines(
    r: &mut Reader,
    top: &mut MapReader<'_>,
    spec: &TableSpec,
    keys: &[(&str, Kind)],
    unfilled: &mut Vec<(String, Loc)>,
) -> Vec<Figure> {
    if let Some(node) = top.opt("概况") {
        let Some(mut m) = r.map(node, "概况") else {
            return Vec::new();
        };
        let headlines = read_figures(r, &mut m, keys, true, "概况", Some(unfilled));
        r.finish(m, &keys.iter().map(|k| k.0).collect::<Vec<_>>());
        return headlines;
    }
    if !spec.headlines.is_empty() {
        r.push(
            Diagnostic::error(Code::MissingField, top.loc(), "缺少“概况”").help(format!(
                "请补上“概况: {{{}}}”",
                keys.iter()
                    .map(|(k, _)| format!("{k}: 0"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        );
    }
    Vec::new()
}

fn read_row(r: &mut Reader, item: &yaml::Node, spec: &TableSpec, columns: &[&Column], month: &MonthId) -> Option<Row> {
    let mut m = r.map(item, "行")?;
    let (unit, unit_loc) = match spec.form {
        Form::Units => r
            .req(&mut m, "单位")
            .and_then(|n| r.text(n, "单位").map(|t| (t, n.loc.clone())))?,
        _ => (String::new(), item.loc.clone()),
    };
    let mut row = Row::new(unit, unit_loc, Vec::new(), item.loc.clone());
    for col in columns {
        read_cell(r, &mut m, col, &mut row);
    }
    let mut pending = Vec::new();
    row.stated = spec
        .derived_at(month)
        .into_iter()
        .filter_map(|d| {
            let node = m.opt(&d.key)?;
            if node.scalar().map(str::trim) == Some(yaml::UNFILLED) {
                r.push(
                    Diagnostic::error(Code::Unfilled, &node.loc, format!("“{}”尚未填写", d.key))
                        .help("照系统导出的数字写明比率（如 57.10%），或删去这一项由 tongbao 计算"),
                );
                pending.push(d.key.clone());
                return None;
            }
            let (text, value) = r.stated(node, &d.key)?;
            Some(Stated {
                key: d.key.clone(),
                text,
                value,
                loc: node.loc.clone(),
            })
        })
        .collect();
    row.pending.extend(pending);
    out_of_time(r, &mut m, spec, month);
    let known: Vec<&str> = std::iter::once("单位")
        .chain(columns.iter().map(|c| c.key.as_str()))
        .chain(spec.derived.iter().map(|d| d.key.as_str()))
        .collect();
    r.finish(m, &known);
    Some(row)
}

/// One cell of a row: a figure, a text, or a blank where the column allows one. A column that is
/// computed or cumulative may be left out (tongbao computes it); any other must be written.
fn read_cell(r: &mut Reader, m: &mut MapReader<'_>, col: &Column, row: &mut Row) {
    let stated = matches!(col.source, Source::Stated);
    let Some(node) = m.opt(&col.key) else {
        // Absent, or written with nothing after the colon.
        let at = m.key_node(&col.key).map_or(row.loc.clone(), |k| k.loc.clone());
        match (&col.blank, m.key_node(&col.key)) {
            (Some(_), _) if stated => blank(col, row, &at),
            (None, Some(_)) if stated => {
                r.push(empty_cell(col, &at));
                row.pending.push(col.key.clone());
            }
            (None, None) if stated => {
                r.req(m, &col.key);
                row.pending.push(col.key.clone());
            }
            _ => {}
        }
        return;
    };
    let written = node.scalar().map(str::trim);
    let empty = written == Some("");
    if let Some(b) = &col.blank
        && (empty || (!b.mark.is_empty() && written == Some(b.mark.as_str())))
    {
        blank(col, row, &node.loc);
        return;
    }
    if empty {
        r.push(empty_cell(col, &node.loc));
        row.pending.push(col.key.clone());
        return;
    }
    if !col.kind.is_figure() {
        if let Some(t) = r.text(node, &col.key) {
            row.texts.push((col.key.clone(), t));
        }
        return;
    }
    match r.figure_of(node, &format!("“{}”", col.key), col.kind, col.measure.as_deref()) {
        Some(value) => row.values.push(Figure {
            key: col.key.clone(),
            value,
            loc: node.loc.clone(),
        }),
        None => row.pending.push(col.key.clone()),
    }
}

/// A cell left empty in a column that does not allow a blank.
fn empty_cell(col: &Column, at: &Loc) -> Diagnostic {
    Diagnostic::error(Code::Blank, at, format!("“{}”是空的", col.key)).help(format!(
        "填上数字（没有就写 0）；这一列确实应当空着时，在表格定义中给“{}”写 可空: true",
        col.key
    ))
}

/// Records a blank cell of `col` (a blank that counts as zero also as a 0).
fn blank(col: &Column, row: &mut Row, loc: &Loc) {
    row.blanks.push(col.key.clone());
    if col.blank.as_ref().is_some_and(|b| b.as_zero) {
        row.values.push(Figure {
            key: col.key.clone(),
            value: Num::int(0),
            loc: loc.clone(),
        });
    }
}
