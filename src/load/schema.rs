//! Table descriptions, `data/tables/<id>.yaml`: written once, used by every month.
//!
//! A description names the columns (label and measure word), the headline figures that are not
//! per-unit rows, which figures are derived (rates), which must not exceed which, whether a 合计 row
//! is printed, and which kinds of unit every month must list. Adding a column or a table needs a
//! description and the month's file, no Rust and no template edit.

use std::path::{Path, PathBuf};

pub(crate) use super::formula::Formula;
use super::number::Num;
pub(crate) use super::number::Rounding;
use super::read_source;
use super::yaml::{self, MapReader, Reader};
use crate::calendar::{MonthId, Period};
use crate::diag::{Code, Diagnostic, Loc, Severity};
use crate::project::{Project, TABLES, io_reason};

// The keys each part of a table description may have: what the reader accepts, and what the
// JSON schema (`schemas.rs`) must describe, one list each.
/// The keys of a table description.
pub(crate) const TABLE_KEYS: &[&str] = &[
    "名称",
    "简称",
    "标题",
    "曾用标题",
    "列",
    "派生",
    "概况",
    "规则",
    "合计行",
    "按名录排序",
    "必列类别",
    "序号列",
    "排名",
    "排序",
    "分表",
    "分表合计",
    "形式",
];
/// The keys of a column (`列`).
pub(crate) const COLUMN_KEYS: &[&str] = &[
    "键",
    "名称",
    "量词",
    "类型",
    "小数位",
    "合计",
    "设立",
    "撤销",
    "曾用名",
    "组",
    "计算",
    "累计",
    "取整",
    "可空",
    "空白印作",
    "空白计作",
    "不符时",
];
/// The keys of a derived figure (`派生`).
pub(crate) const DERIVED_KEYS: &[&str] = &[
    "键",
    "名称",
    "分子",
    "分母",
    "取整",
    "小数位",
    "入表",
    "末尾零",
    "无法计算时",
    "百分号",
    "写明不符时",
];
/// The keys of a headline (`概况`).
pub(crate) const HEADLINE_KEYS: &[&str] = &["键", "名称", "量词", "等于合计", "不符时", "说明"];
/// The keys of `排名`, and of `排序` by a column.
pub(crate) const RANK_KEYS: &[&str] = &["依据", "顺序"];
/// The keys of a sub-table (`分表`).
pub(crate) const SUBTABLE_KEYS: &[&str] = &["标题", "类别", "单位"];

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A count: a non-negative whole number (the default).
    Count,
    /// A figure with up to `places` decimals (平均分 4.9, 平均用时 2.5 天).
    Decimal { places: u8 },
    /// A percent a system states, with up to `places` decimals (满意率 99.87%).
    Percent { places: u8 },
    /// Text (an entry of a list attachment: 标题, 来源): printed as written, never summed.
    Text,
}

impl Kind {
    /// The decimals it is printed with.
    pub(crate) fn places(self) -> u8 {
        match self {
            Kind::Count | Kind::Text => 0,
            Kind::Decimal { places } | Kind::Percent { places } => places,
        }
    }

    /// Whether it holds figures (everything but text).
    pub(crate) fn is_figure(self) -> bool {
        self != Kind::Text
    }
}

/// Where a column's figures come from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Source {
    /// Written in the month's file (imported or typed).
    Stated,
    /// Computed from the row's other figures (`计算: 5 * 采用`); a figure written in the month's
    /// file is checked against it and printed as written.
    Computed(Formula),
    /// The sum of column `of` over the months of the year up to this one (`累计: 得分`), from those
    /// months' data.
    Cumulative { of: String },
}

/// A column's blank cells (`可空`, `空白印作`, `空白计作`): a blank means "nothing", not zero. No
/// rule is checked on it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Blank {
    /// What a blank cell prints (nothing, or a mark such as `—`).
    pub mark: String,
    /// Whether a blank counts as 0 in sums, rates and formulas; otherwise it counts nowhere (a
    /// formula or a rate over it has no value).
    pub as_zero: bool,
}

/// What the 合计 row prints for a column: sums make sense for counts; a figure with decimals or a
/// percent is averaged, weighted by a count column, or left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Total {
    Sum,
    Mean,
    /// Weighted by the column with this key.
    Weighted(String),
    /// A computed column's formula over the 合计 row's figures.
    Computed,
    None,
}

/// A former header of a column, with the last month it was printed.
#[derive(Debug, Clone)]
pub(crate) struct FormerLabel {
    pub label: String,
    pub until: MonthId,
}

/// A per-unit column.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    /// Key used in month files (`本月`).
    pub key: String,
    /// Header label (`本月投诉`).
    pub label: String,
    /// Measure word (`条`), printed as `本月投诉(条)`.
    pub measure: Option<String>,
    pub kind: Kind,
    pub total: Total,
    /// The first month it exists (`设立`).
    pub since: Option<MonthId>,
    /// The first month it no longer exists (`撤销`).
    pub until: Option<MonthId>,
    /// Its former headers, oldest first.
    pub former: Vec<FormerLabel>,
    /// The header groups it stands under, outermost first (`组: [派遣案件总数, 总计]`); columns
    /// side by side under the same group share its cell.
    pub groups: Vec<String>,
    pub source: Source,
    /// How a computed figure is rounded to the column's decimals.
    pub rounding: Rounding,
    /// When a cell may be left blank (nothing, not zero): what a blank prints and counts as.
    pub blank: Option<Blank>,
    /// How a figure written for a computed or cumulative column that differs from it is reported.
    pub mismatch: Severity,
    pub loc: Loc,
}

impl Column {
    /// Whether the column exists in `month`.
    pub(crate) fn exists(&self, month: &MonthId) -> bool {
        self.since.as_ref().is_none_or(|s| month >= s) && self.until.as_ref().is_none_or(|u| month < u)
    }

    /// Its label in `month`: a former header while it was in use, else the label.
    pub(crate) fn label_at(&self, month: &MonthId) -> &str {
        self.former
            .iter()
            .find(|f| month <= &f.until)
            .map_or(self.label.as_str(), |f| f.label.as_str())
    }

    /// The header as printed in `month`: label plus measure word in parentheses (`%` for a
    /// percent).
    pub(crate) fn header_at(&self, month: &MonthId) -> String {
        let label = self.label_at(month);
        match (&self.measure, self.kind) {
            (Some(m), _) => format!("{label}（{m}）"),
            (None, Kind::Percent { .. }) => format!("{label}（%）"),
            (None, _) => label.to_string(),
        }
    }

    /// The header as printed today.
    pub(crate) fn header(&self) -> String {
        match &self.measure {
            Some(m) => format!("{}（{m}）", self.label),
            None => self.label.clone(),
        }
    }
}

/// A headline figure of the month that is not a per-unit row (59 tasks assigned …).
#[derive(Debug, Clone)]
pub(crate) struct Headline {
    /// Key used in the month file's `概况`.
    pub key: String,
    /// What it counts.
    pub label: String,
    pub measure: Option<String>,
    /// The column whose total it must equal, if any.
    pub equals_total: Option<(String, Loc)>,
    /// How a disagreement with that total is reported.
    pub severity: Severity,
    /// Why a disagreement is only a warning (shown with it).
    pub note: Option<String>,
    pub loc: Loc,
}

/// A number as printed: `57.1` → `57.10` with two decimals kept, or `57.1` with zeros dropped.
pub(crate) fn shown(n: Num, keep_zeros: bool) -> String {
    if keep_zeros { n.text() } else { n.text_trimmed() }
}

/// A derived figure: numerator / denominator as a percent.
#[derive(Debug, Clone)]
pub(crate) struct Derived {
    /// Key (`采纳率`), also usable in month files to state the printed value.
    pub key: String,
    pub label: String,
    /// The numerator: a column or a headline, or a formula over them (`采用 + 转载`).
    pub numerator: (Formula, Loc),
    /// The denominator, likewise.
    pub denominator: (Formula, Loc),
    pub rounding: Rounding,
    /// Whether it is printed as a table column (false: only for the text).
    pub shown: bool,
    /// Decimals printed (0 to 3); the month's text may ask for others.
    pub decimals: u8,
    /// Whether trailing zeros after the point are printed (`50.0` or `50`).
    pub keep_zeros: bool,
    /// What a rate over nothing prints in a table (`—`, `0`, `0%`).
    pub undefined: String,
    /// `%` in the header instead of every cell.
    pub percent_in_header: bool,
    /// How a stated figure that differs from the computed one is reported (the published figure
    /// is the office's: a warning by default).
    pub stated: Severity,
    pub loc: Loc,
}

impl Derived {
    /// Its numerator and denominator over `value` (a row's figures, or the totals and headlines);
    /// `None` when a part has no figure.
    pub(crate) fn parts(&self, value: &dyn Fn(&str) -> Option<Num>) -> Option<(Num, Num)> {
        let at = |f: &Formula| f.eval(value, super::formula::DIVISION_PLACES, Rounding::HalfUp);
        Some((at(&self.numerator.0)?, at(&self.denominator.0)?))
    }

    /// The keys of its parts.
    pub(crate) fn keys(&self) -> Vec<&str> {
        let mut keys = self.numerator.0.keys();
        keys.extend(self.denominator.0.keys());
        keys
    }

    /// The rate as its table cell prints it (`33%`, `57.10%`, `—`).
    pub(crate) fn cell(&self, value: Option<Num>) -> String {
        match value {
            None => self.undefined.clone(),
            Some(v) if self.percent_in_header => shown(v, self.keep_zeros),
            Some(v) => format!("{}%", shown(v, self.keep_zeros)),
        }
    }

    /// Its header.
    pub(crate) fn header(&self) -> String {
        if self.percent_in_header {
            format!("{}（%）", self.label)
        } else {
            self.label.clone()
        }
    }
}

/// Comparison in a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `=`
    Eq,
    /// `>=`
    Ge,
}

impl Op {
    /// Whether `a op b` holds.
    pub(crate) fn holds(self, a: Num, b: Num) -> bool {
        match self {
            Op::Le => a <= b,
            Op::Lt => a < b,
            Op::Eq => a == b,
            Op::Ge => a >= b,
        }
    }

    /// The comparison in words, for messages ("不应超过").
    pub(crate) fn words(self) -> &'static str {
        match self {
            Op::Le => "不应超过",
            Op::Lt => "应小于",
            Op::Eq => "应等于",
            Op::Ge => "不应少于",
        }
    }
}

/// A rule `左 <= 右` between two columns (checked on every row and the 合计) or two headlines.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub left: String,
    pub op: Op,
    pub right: String,
    pub loc: Loc,
}

/// A table description.
#[derive(Debug, Clone)]
pub(crate) struct TableSpec {
    /// The table's id: its file name without `.yaml`, also the month file's name.
    pub id: String,
    /// The short Chinese name figures are written with in the month's text (`督办`, `热线`).
    pub short: Option<(String, Loc)>,
    /// A short name for messages (“12345”民生服务热线).
    pub name: String,
    /// The attachment title; `{月}` and `{年}` are replaced by the month.
    pub title: String,
    /// Former titles, with the last month each was used, oldest first.
    pub former_titles: Vec<(String, MonthId)>,
    /// The per-unit columns, in print order.
    pub columns: Vec<Column>,
    /// Derived rates, printed after the columns.
    pub derived: Vec<Derived>,
    pub headlines: Vec<Headline>,
    /// Rules between columns or between headlines.
    pub rules: Vec<Rule>,
    /// Whether a 合计 row is printed.
    pub total_row: bool,
    /// Print rows in registry order (default: in the order of the month's file).
    /// Kinds of unit every month must list.
    pub required_kinds: Vec<(String, Loc)>,
    /// The number column: 序号, 排名 by a column, or none.
    pub number: NumberColumn,
    /// The order of the rows.
    pub order: Order,
    /// The sub-tables the attachment holds, each with its caption, in order (none: one table).
    pub subtables: Vec<SubTable>,
    /// The label of each sub-table's own 合计 row (`合计`, `小计`), when it has one (the whole's is
    /// `total_row`, printed as 总计 under the last sub-table when both are asked for).
    pub subtotals: Option<String>,
    /// What the rows are: the units, entries of a list, or a text.
    pub form: Form,
    /// The description's file.
    pub loc: Loc,
}

/// The number column of a table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NumberColumn {
    /// 序号: 1, 2, 3 in the rows' order (the default).
    Serial,
    /// 排名 by column `by`, highest first unless `ascending`; ties share a rank (1, 2, 2, 4).
    Rank { by: String, ascending: bool },
    /// No number column.
    None,
}

/// The order of a table's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Order {
    /// As the month's file lists them (the default).
    Written,
    /// In the registry's order.
    Registry,
    /// In the order of the rank (the number column's `排名`).
    Rank,
    /// By the value of column `key`, highest first unless `ascending`; equal values as written
    /// (`排序: {依据: 得分}`), numbered 1, 2, 3.
    By { key: String, ascending: bool },
}

/// A sub-table of an attachment: its caption and which units it holds, by kind (the registry's
/// 类别) or by name.
#[derive(Debug, Clone)]
pub(crate) struct SubTable {
    pub caption: String,
    pub kinds: Vec<String>,
    pub units: Vec<String>,
    pub loc: Loc,
}

impl SubTable {
    /// Whether it holds `unit` (by its kind, or by any name the registry knows it by).
    pub(crate) fn holds(&self, unit: &super::Unit, registry: &super::Registry) -> bool {
        self.kinds.contains(&unit.kind)
            || self
                .units
                .iter()
                .any(|u| registry.resolve(u).is_some_and(|x| x.name == unit.name))
    }
}

/// The key every table answers with its number of rows (entries of a list, units of a table):
/// `{{ 采用.行数 }}`.
pub(crate) const ROW_COUNT: &str = "行数";

/// What a table's rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Form {
    /// One row a unit of the registry (the default).
    Units,
    /// Entries of a list (adopted items …): rows without a unit, checked only against the columns.
    List,
    /// A text: the month's file writes its paragraphs (`正文`).
    Text,
}

impl TableSpec {
    /// The column with this key.
    pub(crate) fn column(&self, key: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.key == key)
    }

    /// The headline with this key.
    pub(crate) fn headline(&self, key: &str) -> Option<&Headline> {
        self.headlines.iter().find(|h| h.key == key)
    }

    /// Whether `key` names a derived figure.
    pub(crate) fn derived(&self, key: &str) -> Option<&Derived> {
        self.derived.iter().find(|d| d.key == key)
    }

    /// The columns computed from others (`计算`) or added up over the year (`累计`), each after
    /// the columns it reads; `Err` with the keys of the columns that read each other in a circle.
    pub(crate) fn computing_order(&self) -> Result<Vec<&Column>, Vec<&str>> {
        let computed: Vec<(&Column, Vec<&str>)> = self
            .columns
            .iter()
            .filter_map(|c| match &c.source {
                Source::Computed(f) => Some((c, f.keys())),
                Source::Cumulative { of } => Some((c, vec![of.as_str()])),
                Source::Stated => None,
            })
            .collect();
        let mut done: Vec<&Column> = Vec::with_capacity(computed.len());
        let is_done = |k: &str, done: &[&Column]| done.iter().any(|c| c.key == k);
        let waits = |k: &str| computed.iter().any(|(c, _)| c.key == k);
        while done.len() < computed.len() {
            let ready: Vec<&Column> = computed
                .iter()
                .filter(|(c, _)| !is_done(&c.key, &done))
                .filter(|(_, keys)| keys.iter().all(|k| !waits(k) || is_done(k, &done)))
                .map(|(c, _)| *c)
                .collect();
            if ready.is_empty() {
                return Err(computed
                    .iter()
                    .filter(|(c, _)| !is_done(&c.key, &done))
                    .map(|(c, _)| c.key.as_str())
                    .collect());
            }
            done.extend(ready);
        }
        Ok(done)
    }

    /// Whether some column adds up earlier months (`累计`).
    pub(crate) fn cumulative(&self) -> bool {
        self.columns
            .iter()
            .any(|c| matches!(c.source, Source::Cumulative { .. }))
    }

    /// The title for a period (as it was in the period's time), its placeholders filled in
    /// ([`Period::fill`]: `{期间}`, `{年}`, `{月}`).
    pub(crate) fn title_for(&self, period: &Period) -> String {
        let end = period.end();
        let title = self
            .former_titles
            .iter()
            .find(|(_, until)| end <= *until)
            .map_or(self.title.as_str(), |(t, _)| t.as_str());
        period.fill(title)
    }

    /// The columns that exist in `month`, in print order.
    pub(crate) fn columns_at(&self, month: &MonthId) -> Vec<&Column> {
        self.columns.iter().filter(|c| c.exists(month)).collect()
    }

    /// The derived rates whose parts exist in `month`.
    pub(crate) fn derived_at(&self, month: &MonthId) -> Vec<&Derived> {
        let exists = |k: &str| self.column(k).is_none_or(|c| c.exists(month));
        self.derived
            .iter()
            .filter(|d| d.keys().into_iter().all(exists))
            .collect()
    }

    /// The name figures of this table are written with: its short name, else its id.
    pub(crate) fn expression_name(&self) -> &str {
        self.short.as_ref().map_or(self.id.as_str(), |(s, _)| s.as_str())
    }
}

/// Loads every `data/tables/*.yaml`, in file-name order.
pub(crate) fn load_all(project: &Project, diags: &mut Vec<Diagnostic>) -> Option<Vec<TableSpec>> {
    if let Some(d) = super::outside_folder(project, Path::new(TABLES)) {
        diags.push(d);
        return None;
    }
    let dir = project.path(TABLES);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) => {
            diags.push(
                Diagnostic::in_file(
                    Severity::Error,
                    Code::Io,
                    Path::new(TABLES),
                    format!("无法读取表格定义文件夹：{}", io_reason(&e)),
                )
                .help("每张统计表需要一个定义文件 data/tables/<表名>.yaml"),
            );
            return None;
        }
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    let mut specs = Vec::new();
    for file in files {
        let id = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let rel = Path::new(TABLES).join(file.file_name().unwrap_or_default());
        let src = match read_source(project, &rel) {
            Ok(s) => s,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        if let Some(spec) = parse(&src, id, diags) {
            specs.push(spec);
        }
    }
    Some(specs)
}

/// Parses a table description from its text; `id` is its file name without `.yaml`.
pub(crate) fn parse(
    src: &std::sync::Arc<crate::diag::Source>,
    id: String,
    diags: &mut Vec<Diagnostic>,
) -> Option<TableSpec> {
    super::parse_with(src, diags, |r, tree| read(r, tree, id))
}

fn read(r: &mut Reader, tree: &yaml::Node, id: String) -> Option<TableSpec> {
    let mut top = r.map(tree, "表格定义")?;
    let name = r.req(&mut top, "名称").and_then(|n| r.text(n, "名称"));
    let short = top
        .opt("简称")
        .and_then(|n| r.text(n, "简称").map(|t| (t, n.loc.clone())));
    let title = r.req(&mut top, "标题").and_then(|n| r.text(n, "标题"));
    let former_titles = read_history(r, &mut top, "曾用标题", "标题");
    let form = read_form(r, &mut top);
    let columns = read_columns(r, &mut top, form);
    let derived = read_derived(r, &mut top);
    let headlines = read_headlines(r, &mut top);
    let rules = read_rules(r, &mut top);
    let total_row = top.opt("合计行").and_then(|n| r.boolean(n, "合计行")).unwrap_or(false);
    let registry_order = top
        .opt("按名录排序")
        .and_then(|n| r.boolean(n, "按名录排序"))
        .unwrap_or(false);
    let required_kinds = top.opt("必列类别").map(|n| r.texts(n, "必列类别")).unwrap_or_default();
    let number = read_number_column(r, &mut top);
    let order = read_order(r, &mut top, registry_order, &number);
    let subtables = read_subtables(r, &mut top);
    // `分表合计: true` (each sub-table's 合计) or the label it prints (`分表合计: 小计`).
    let subtotals = top.opt("分表合计").and_then(|n| match n.scalar().map(str::trim) {
        Some("true" | "是") => Some("合计".to_string()),
        Some("false" | "否") => None,
        _ => r.text(n, "分表合计"),
    });
    r.finish(top, TABLE_KEYS);
    Some(TableSpec {
        id,
        short,
        name: name?,
        title: title?,
        former_titles: former_titles.into_iter().map(|(t, until, _)| (t, until)).collect(),
        columns,
        derived,
        headlines,
        rules,
        total_row,
        required_kinds,
        number,
        order,
        subtables,
        subtotals,
        form,
        loc: Loc::file(&tree.loc.src),
    })
}

/// `序号列: 序号|排名|无` with `排名: {依据: 列, 顺序: 从高到低|从低到高}`.
fn read_number_column(r: &mut Reader, top: &mut MapReader<'_>) -> NumberColumn {
    let rank = top.opt("排名");
    let chosen = top
        .opt("序号列")
        .map(|n| (n.scalar().map(str::trim).unwrap_or("").to_string(), n.loc.clone()));
    let want_rank = match &chosen {
        None => rank.is_some(),
        Some((t, _)) if t == "序号" => false,
        Some((t, _)) if t == "排名" => true,
        Some((t, _)) if t == "无" => return NumberColumn::None,
        Some((t, loc)) => {
            r.push(
                Diagnostic::error(Code::UnknownValue, loc, format!("未知的序号列“{t}”"))
                    .help("可用：序号（1、2、3……，默认）、排名（按“排名”所写的列排名，并列同名次）、无"),
            );
            false
        }
    };
    if !want_rank {
        return NumberColumn::Serial;
    }
    let Some(n) = rank else {
        if let Some((_, loc)) = chosen {
            r.push(
                Diagnostic::error(Code::MissingField, &loc, "序号列为“排名”，但没有写按哪一列排名")
                    .help("加上“排名: {依据: 得分}”（从高到低；从低到高时写 顺序: 从低到高）"),
            );
        }
        return NumberColumn::Serial;
    };
    let Some((by, ascending)) = read_by(r, n, "排名") else {
        return NumberColumn::Serial;
    };
    NumberColumn::Rank { by, ascending }
}

/// `{依据: 列, 顺序: 从高到低|从低到高}` (`排名`, `排序`): the column and whether ascending.
fn read_by(r: &mut Reader, n: &yaml::Node, what: &str) -> Option<(String, bool)> {
    let mut m = r.map(n, what)?;
    let by = r.req(&mut m, "依据").and_then(|n| r.text(n, "依据"));
    let ascending = match m
        .opt("顺序")
        .map(|n| (n.scalar().map(str::trim).unwrap_or(""), n.loc.clone()))
    {
        None | Some(("从高到低", _)) => false,
        Some(("从低到高", _)) => true,
        Some((t, loc)) => {
            r.push(
                Diagnostic::error(Code::UnknownValue, &loc, format!("未知的{what}顺序“{t}”"))
                    .help("可用：从高到低（默认）、从低到高"),
            );
            false
        }
    };
    r.finish(m, RANK_KEYS);
    Some((by?, ascending))
}

/// `排序: 名录|照写|排名` (the older `按名录排序: true` is `排序: 名录`); ranked tables default to
/// their rank's order.
fn read_order(r: &mut Reader, top: &mut MapReader<'_>, registry: bool, number: &NumberColumn) -> Order {
    let default = match (registry, number) {
        (true, _) => Order::Registry,
        (false, NumberColumn::Rank { .. }) => Order::Rank,
        _ => Order::Written,
    };
    let Some(n) = top.opt("排序") else { return default };
    if matches!(n.value, yaml::Value::Map(_)) {
        return read_by(r, n, "排序").map_or(default, |(key, ascending)| Order::By { key, ascending });
    }
    match n.scalar().map(str::trim) {
        Some("名录") => Order::Registry,
        Some("照写") => Order::Written,
        Some("排名") if matches!(number, NumberColumn::Rank { .. }) => Order::Rank,
        Some("排名") => {
            r.push(
                Diagnostic::error(Code::UnknownValue, &n.loc, "按排名排序，但序号列不是排名")
                    .help("写上“排名: {依据: 得分}”，或按名录、照写排序"),
            );
            default
        }
        _ => {
            r.push(
                Diagnostic::error(Code::UnknownValue, &n.loc, "未知的排序方式")
                    .help("可用：名录（单位名录的顺序）、照写（月份文件中的顺序）、排名，或按一列：{依据: 得分}"),
            );
            default
        }
    }
}

/// `分表: [{标题: …, 类别: [...]}, {标题: …, 单位: [...]}]`.
fn read_subtables(r: &mut Reader, top: &mut MapReader<'_>) -> Vec<SubTable> {
    let mut out = Vec::new();
    let Some(items) = top.opt("分表").and_then(|n| r.seq(n, "分表")) else {
        return out;
    };
    for item in items {
        let Some(mut m) = r.map(item, "分表") else { continue };
        let caption = r.req(&mut m, "标题").and_then(|n| r.text(n, "标题"));
        let kinds: Vec<String> = m
            .opt("类别")
            .map(|n| r.texts(n, "类别").into_iter().map(|(t, _)| t).collect())
            .unwrap_or_default();
        let units: Vec<String> = m
            .opt("单位")
            .map(|n| r.texts(n, "单位").into_iter().map(|(t, _)| t).collect())
            .unwrap_or_default();
        r.finish(m, SUBTABLE_KEYS);
        if kinds.is_empty() && units.is_empty() {
            r.push(
                Diagnostic::error(Code::MissingField, &item.loc, "分表没有写收哪些单位")
                    .help("写“类别: [街道]”（名录中的类别），或“单位: [甲, 乙]”"),
            );
        }
        if let Some(caption) = caption {
            out.push(SubTable {
                caption,
                kinds,
                units,
                loc: item.loc.clone(),
            });
        }
    }
    out
}

/// `形式: 单位|列表|文字` (default 单位).
fn read_form(r: &mut Reader, top: &mut MapReader<'_>) -> Form {
    let Some(n) = top.opt("形式") else { return Form::Units };
    match n.scalar().map(str::trim) {
        Some("单位") => Form::Units,
        Some("列表") => Form::List,
        Some("文字") => Form::Text,
        _ => {
            r.push(
                Diagnostic::error(Code::UnknownValue, &n.loc, "未知的附件形式")
                    .help("可用：单位（每个单位一行，默认）、列表（条目，如采用信息目录）、文字（段落）"),
            );
            Form::Units
        }
    }
}

/// The per-unit columns (`列`): key, header, measure word, kind and decimals, what the 合计 row
/// prints, and the column's history (设立, 撤销, 曾用名).
fn read_columns(r: &mut Reader, top: &mut MapReader<'_>, form: Form) -> Vec<Column> {
    let mut columns = Vec::new();
    // A text has no columns.
    let node = if form == Form::Text {
        top.opt("列")
    } else {
        r.req(top, "列")
    };
    let Some(items) = node.and_then(|n| r.seq(n, "列")) else {
        return columns;
    };
    for item in items {
        let Some(mut m) = r.map(item, "列") else {
            continue;
        };
        let (key, label, measure) = key_label_measure(r, &mut m);
        let kind = read_kind(r, &mut m);
        let source = read_source_of(r, &mut m);
        let total = read_total(r, &mut m, kind, source.as_ref());
        let since = m.opt("设立").and_then(|n| super::registry::month(r, n, "设立"));
        let until = m.opt("撤销").and_then(|n| super::registry::month(r, n, "撤销"));
        let former = read_history(r, &mut m, "曾用名", "名称")
            .into_iter()
            .map(|(label, until, _)| FormerLabel { label, until })
            .collect();
        let groups = match m.opt("组") {
            Some(n) if n.scalar().is_some() => r.text(n, "组").into_iter().collect(),
            Some(n) => r.texts(n, "组").into_iter().map(|(t, _)| t).collect(),
            None => Vec::new(),
        };
        let rounding = read_rounding(r, &mut m);
        let blank = read_blank(r, &mut m);
        let mismatch = severity(r, &mut m, "不符时", Severity::Warning);
        r.finish(m, COLUMN_KEYS);
        if let (Some(key), Some(label), Some(kind), Some(total), Some(source), Some(rounding)) =
            (key, label, kind, total, source, rounding)
        {
            columns.push(Column {
                key,
                label,
                measure,
                kind,
                total,
                since,
                until,
                former,
                groups,
                source,
                rounding,
                blank,
                mismatch,
                loc: item.loc.clone(),
            });
        }
    }
    columns
}

/// Where a column's figures come from: `计算: 算式`, `累计: 列`, else the month's file.
fn read_source_of(r: &mut Reader, m: &mut MapReader<'_>) -> Option<Source> {
    match (m.opt("计算"), m.opt("累计")) {
        (Some(n), Some(_)) => {
            r.push(
                Diagnostic::error(Code::SpecFormula, &n.loc, "一列不能既“计算”又“累计”")
                    .help("累计的列是另一列逐月的和；需要先计算再累计时，另设一列计算，再累计那一列"),
            );
            None
        }
        (Some(n), None) => formula(r, n, "计算").map(|(f, _)| Source::Computed(f)),
        (None, Some(n)) => r.text(n, "累计").map(|of| Source::Cumulative { of }),
        (None, None) => Some(Source::Stated),
    }
}

/// `取整: 四舍五入|去尾|进一` (default 四舍五入).
fn read_rounding(r: &mut Reader, m: &mut MapReader<'_>) -> Option<Rounding> {
    let Some(n) = m.opt("取整") else {
        return Some(Rounding::HalfUp);
    };
    match n.scalar().map(str::trim) {
        Some("四舍五入") => Some(Rounding::HalfUp),
        Some("去尾") => Some(Rounding::Down),
        Some("进一") => Some(Rounding::Up),
        _ => {
            r.push(Diagnostic::error(Code::UnknownValue, &n.loc, "未知的取整方式").help("可用：四舍五入、去尾、进一"));
            None
        }
    }
}

/// `可空: true` (a blank prints nothing) or `空白印作: —` (what it prints; implies `可空`), with
/// `空白计作: 零|无` (what a blank is in sums, rates and formulas; default 无: it counts nowhere).
fn read_blank(r: &mut Reader, m: &mut MapReader<'_>) -> Option<Blank> {
    let allowed = m.opt("可空").and_then(|n| r.boolean(n, "可空"));
    let mark = m.opt("空白印作").and_then(|n| r.text(n, "空白印作"));
    let counts = m.opt("空白计作").and_then(|n| match n.scalar().map(str::trim) {
        Some("零" | "0") => Some(true),
        Some("无" | "空") => Some(false),
        _ => {
            r.push(
                Diagnostic::error(Code::UnknownValue, &n.loc, "“空白计作”只能是“零”或“无”").help(
                    "零：空白在合计、比率和计算列中当 0 计；无（默认）：空白不计入合计，涉及它的比率和计算列也留空",
                ),
            );
            None
        }
    });
    let mark = match (allowed, mark) {
        (Some(false), _) | (None, None) => return None,
        (_, Some(mark)) => mark,
        (Some(true), None) => String::new(),
    };
    Some(Blank {
        mark,
        as_zero: counts.unwrap_or(false),
    })
}

/// `key: 错误|警告`, else `default`.
fn severity(r: &mut Reader, m: &mut MapReader<'_>, key: &str, default: Severity) -> Severity {
    let Some(n) = m.opt(key) else { return default };
    match n.scalar().map(str::trim) {
        Some("错误") => Severity::Error,
        Some("警告") => Severity::Warning,
        _ => {
            r.push(Diagnostic::error(
                Code::UnknownValue,
                &n.loc,
                format!("“{key}”只能是“错误”或“警告”"),
            ));
            default
        }
    }
}

/// `类型: 整数|小数|百分数|文字` with `小数位`.
fn read_kind(r: &mut Reader, m: &mut MapReader<'_>) -> Option<Kind> {
    let places = match m.opt("小数位") {
        None => None,
        Some(n) => Some(places(r, n)?),
    };
    match m
        .opt("类型")
        .and_then(|n| n.scalar().map(|t| (t.trim().to_string(), n.loc.clone())))
    {
        None if places.is_some_and(|p| p > 0) => Some(Kind::Decimal {
            places: places.unwrap_or(0),
        }),
        None => Some(Kind::Count),
        Some((t, _)) if t == "整数" => Some(Kind::Count),
        Some((t, _)) if t == "小数" => Some(Kind::Decimal {
            places: places.unwrap_or(1),
        }),
        Some((t, _)) if t == "百分数" => Some(Kind::Percent {
            places: places.unwrap_or(0),
        }),
        Some((t, _)) if t == "文字" => Some(Kind::Text),
        Some((t, loc)) => {
            r.push(
                Diagnostic::error(Code::UnknownValue, &loc, format!("未知的列类型“{t}”"))
                    .help("可用：整数（统计数，默认）、小数（如 平均分 4.9，写明“小数位”）、百分数（如 满意率 99.87）、文字（列表附件的条目）"),
            );
            None
        }
    }
}

/// `合计: 求和|平均|无|加权(列)|计算`; counts are summed by default, a computed column computed
/// from the 合计 row's figures, other kinds left out.
fn read_total(r: &mut Reader, m: &mut MapReader<'_>, kind: Option<Kind>, source: Option<&Source>) -> Option<Total> {
    let Some(n) = m.opt("合计") else {
        return Some(match (kind, source) {
            (_, Some(Source::Computed(_))) => Total::Computed,
            (Some(Kind::Count), _) => Total::Sum,
            _ => Total::None,
        });
    };
    let t = n.scalar().map(str::trim).unwrap_or("");
    let weighted = t
        .strip_prefix("加权(")
        .or_else(|| t.strip_prefix("加权（"))
        .and_then(|rest| rest.strip_suffix(')').or_else(|| rest.strip_suffix('）')));
    match (t, weighted) {
        ("求和", _) => Some(Total::Sum),
        ("平均", _) => Some(Total::Mean),
        ("无", _) => Some(Total::None),
        ("计算", _) => Some(Total::Computed),
        (_, Some(col)) if !col.trim().is_empty() => Some(Total::Weighted(col.trim().to_string())),
        _ => {
            r.push(
                Diagnostic::error(Code::UnknownValue, &n.loc, format!("未知的合计方式“{t}”")).help(
                    "可用：求和（统计数）、平均、加权(列的键)（如 加权(本月)）、计算（由合计行的数字按算式算出）、无",
                ),
            );
            None
        }
    }
}

/// Decimals: 0 to 3.
fn places(r: &mut Reader, n: &yaml::Node) -> Option<u8> {
    let d = r.count(n, "小数位")?;
    if d <= 3 {
        Some(d as u8)
    } else {
        r.push(
            Diagnostic::error(Code::UnknownValue, &n.loc, "小数位最多为 3").help("比率和小数通常保留 0 到 2 位小数"),
        );
        None
    }
}

/// A history list: `[{<name>: …, 至: 2019-02}]`, oldest first.
fn read_history(r: &mut Reader, m: &mut MapReader<'_>, key: &str, name: &str) -> Vec<(String, MonthId, Loc)> {
    let mut out = Vec::new();
    let Some(items) = m.opt(key).and_then(|n| r.seq(n, key)) else {
        return out;
    };
    for item in items {
        let Some(mut f) = r.map(item, key) else { continue };
        let text = r.req(&mut f, name).and_then(|n| r.text(n, name));
        let until = r.req(&mut f, "至").and_then(|n| super::registry::month(r, n, "至"));
        r.finish(f, &[name, "至"]);
        if let (Some(text), Some(until)) = (text, until) {
            out.push((text, until, item.loc.clone()));
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// The derived rates (`派生`).
fn read_derived(r: &mut Reader, top: &mut MapReader<'_>) -> Vec<Derived> {
    let mut derived = Vec::new();
    if let Some(items) = top.opt("派生").and_then(|n| r.seq(n, "派生")) {
        for item in items {
            let Some(mut m) = r.map(item, "派生") else {
                continue;
            };
            let key = r.req(&mut m, "键").and_then(|n| r.text(n, "键"));
            let label = m.opt("名称").and_then(|n| r.text(n, "名称"));
            let num = r.req(&mut m, "分子").and_then(|n| formula(r, n, "分子"));
            let den = r.req(&mut m, "分母").and_then(|n| formula(r, n, "分母"));
            let rounding = match m.opt("取整") {
                None => Some(Rounding::HalfUp),
                Some(n) => match n.scalar().map(str::trim) {
                    Some("四舍五入") => Some(Rounding::HalfUp),
                    Some("去尾") => Some(Rounding::Down),
                    Some("进一") => Some(Rounding::Up),
                    _ => {
                        r.push(
                            Diagnostic::error(Code::UnknownValue, &n.loc, "未知的取整方式")
                                .help("可用：四舍五入、去尾、进一"),
                        );
                        None
                    }
                },
            };
            let shown = m.opt("入表").and_then(|n| r.boolean(n, "入表")).unwrap_or(true);
            let decimals = match m.opt("小数位") {
                None => Some(0),
                Some(n) => places(r, n),
            };
            let display = read_display(r, &mut m);
            r.finish(m, DERIVED_KEYS);
            if let (Some(key), Some(numerator), Some(denominator), Some(rounding), Some(decimals), Some(display)) =
                (key, num, den, rounding, decimals, display)
            {
                let label = label.unwrap_or_else(|| key.clone());
                derived.push(Derived {
                    key,
                    label,
                    numerator,
                    denominator,
                    rounding,
                    shown,
                    decimals,
                    keep_zeros: display.keep_zeros,
                    undefined: display.undefined,
                    percent_in_header: display.percent_in_header,
                    stated: display.stated,
                    loc: item.loc.clone(),
                });
            }
        }
    }
    derived
}

/// A formula written at `n` (`分子`, `计算`), or an error there.
fn formula(r: &mut Reader, n: &yaml::Node, what: &str) -> Option<(Formula, Loc)> {
    let text = r.text(n, what)?;
    match Formula::parse(&text) {
        Ok(f) => Some((f, n.loc.clone())),
        Err(why) => {
            r.push(
                Diagnostic::error(Code::SpecFormula, &n.loc, format!("“{what}”的算式看不懂：{why}"))
                    .help("算式由列的键、数和 + - * / 及括号组成，如 5 * 采用、采用 + 转载、100 - 占比"),
            );
            None
        }
    }
}

/// How a rate is displayed: trailing zeros, what a rate over nothing prints, where `%` goes, and
/// how a stated figure that differs is reported.
struct Display {
    keep_zeros: bool,
    undefined: String,
    percent_in_header: bool,
    stated: Severity,
}

fn read_display(r: &mut Reader, m: &mut MapReader<'_>) -> Option<Display> {
    let mut choice = |key: &str, options: [&str; 2], help: &str| -> Option<bool> {
        let n = m.opt(key)?;
        match n.scalar().map(str::trim) {
            Some(t) if t == options[0] => Some(true),
            Some(t) if t == options[1] => Some(false),
            _ => {
                r.push(
                    Diagnostic::error(
                        Code::UnknownValue,
                        &n.loc,
                        format!("“{key}”只能是“{}”或“{}”", options[0], options[1]),
                    )
                    .help(help.to_string()),
                );
                Some(true)
            }
        }
    };
    let keep_zeros = choice("末尾零", ["保留", "去掉"], "保留：50.0%；去掉：50%").unwrap_or(true);
    let percent_in_header =
        choice("百分号", ["表头", "单元格"], "表头：表头写“采纳率（%）”，格中只写数字").unwrap_or(false);
    let errors = choice(
        "写明不符时",
        ["错误", "警告"],
        "月份文件中写明的比率与计算值不同时报错误还是警告（默认警告：以发布的数字为准）",
    )
    .unwrap_or(false);
    let undefined = m
        .opt("无法计算时")
        .and_then(|n| r.text(n, "无法计算时"))
        .unwrap_or_else(|| "—".to_string());
    Some(Display {
        keep_zeros,
        undefined,
        percent_in_header,
        stated: if errors { Severity::Error } else { Severity::Warning },
    })
}

/// The headline figures (`概况`).
fn read_headlines(r: &mut Reader, top: &mut MapReader<'_>) -> Vec<Headline> {
    let mut headlines = Vec::new();
    if let Some(items) = top.opt("概况").and_then(|n| r.seq(n, "概况")) {
        for item in items {
            let Some(mut m) = r.map(item, "概况") else {
                continue;
            };
            let (key, label, measure) = key_label_measure(r, &mut m);
            let equals_total = m
                .opt("等于合计")
                .and_then(|n| r.text(n, "等于合计").map(|t| (t, n.loc.clone())));
            let severity = severity(r, &mut m, "不符时", Severity::Error);
            let note = m.opt("说明").and_then(|n| r.text(n, "说明"));
            r.finish(m, HEADLINE_KEYS);
            if let (Some(key), Some(label)) = (key, label) {
                headlines.push(Headline {
                    key,
                    label,
                    measure,
                    equals_total,
                    severity,
                    note,
                    loc: item.loc.clone(),
                });
            }
        }
    }
    headlines
}

/// The rules between columns or headlines (`规则`).
fn read_rules(r: &mut Reader, top: &mut MapReader<'_>) -> Vec<Rule> {
    let mut rules = Vec::new();
    if let Some(items) = top.opt("规则").and_then(|n| r.seq(n, "规则")) {
        for item in items {
            let Some(text) = r.text(item, "规则") else {
                continue;
            };
            match parse_rule(&text) {
                Some((left, op, right)) => rules.push(Rule {
                    left,
                    op,
                    right,
                    loc: item.loc.clone(),
                }),
                None => r.push(
                    Diagnostic::error(Code::RuleSyntax, &item.loc, format!("看不懂的规则“{text}”"))
                        .help("规则写成“办结 <= 本月”，比较符可用 <=、<、=、>="),
                ),
            }
        }
    }
    rules
}

fn key_label_measure(r: &mut Reader, m: &mut MapReader<'_>) -> (Option<String>, Option<String>, Option<String>) {
    let key = r.req(m, "键").and_then(|n| r.text(n, "键"));
    let label = match m.opt("名称") {
        Some(n) => r.text(n, "名称"),
        None => key.clone(),
    };
    let measure = m.opt("量词").and_then(|n| r.text(n, "量词"));
    (key, label, measure)
}

/// Parses `左 <= 右`.
pub(crate) fn parse_rule(text: &str) -> Option<(String, Op, String)> {
    let text = text
        .replace('＜', "<")
        .replace('＞', ">")
        .replace('＝', "=")
        .replace('≤', "<=")
        .replace('≥', ">=");
    for (sym, op) in [
        ("<=", Op::Le),
        (">=", Op::Ge),
        ("==", Op::Eq),
        ("<", Op::Lt),
        ("=", Op::Eq),
    ] {
        if let Some((l, r)) = text.split_once(sym) {
            let (l, r) = (l.trim(), r.trim());
            if !l.is_empty() && !r.is_empty() && !r.contains(['<', '>', '=']) {
                return Some((l.to_string(), op, r.to_string()));
            }
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse() {
        assert_eq!(parse_rule("办结 <= 本月").map(|r| r.1), Some(Op::Le));
        assert_eq!(
            parse_rule("办结≤本月").map(|r| (r.0, r.2)),
            Some(("办结".into(), "本月".into()))
        );
        assert!(parse_rule("办结 本月").is_none());
        assert!(parse_rule("<= 本月").is_none());
    }
}
