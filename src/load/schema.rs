//! Table descriptions, `data/tables/<id>.yaml`: written once, used by every month.
//!
//! A description names the columns (label and measure word), the headline figures that are not
//! per-unit rows, which figures are derived (rates), which must not exceed which, whether a 合计 row
//! is printed, and which kinds of unit every month must list. Adding a column or a table needs a
//! description and the month's file, no Rust and no template edit.

use std::path::{Path, PathBuf};

use super::read_source;
use super::yaml::{self, MapReader, Reader};
use crate::calendar::Period;
use crate::diag::{Diagnostic, Loc, Severity};
use crate::project::{Project, TABLES, io_reason};

/// A per-unit column.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    /// Key used in month files (`本月`).
    pub key: String,
    /// Header label (`本月投诉`).
    pub label: String,
    /// Measure word (`条`), printed as `本月投诉(条)`.
    pub measure: Option<String>,
    pub loc: Loc,
}

impl Column {
    /// The header as printed: label plus measure word in parentheses.
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

/// How a derived rate is rounded to a whole percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rounding {
    /// 四舍五入: half up (the seed's rule: 37.5% → 38%).
    HalfUp,
    /// 去尾: truncate.
    Down,
    /// 进一: round up.
    Up,
}

impl Rounding {
    /// numerator / denominator as a whole percent, rounded this way; `None` when the denominator
    /// is 0.
    pub(crate) fn percent(self, num: u64, den: u64) -> Option<u64> {
        self.scaled_percent(num, den, 0).map(|v| v as u64)
    }

    /// numerator / denominator as a percent times 10^`decimals`, rounded this way.
    pub(crate) fn scaled_percent(self, num: u64, den: u64, decimals: u8) -> Option<i128> {
        if den == 0 {
            return None;
        }
        let scale = 10u128.pow(u32::from(decimals));
        let (n, d) = (u128::from(num) * 100 * scale, u128::from(den));
        let v = match self {
            Rounding::HalfUp => (2 * n + d) / (2 * d),
            Rounding::Down => n / d,
            Rounding::Up => n.div_ceil(d),
        };
        Some(v as i128)
    }

    /// The percent as printed with `decimals` decimals (`48.6`), without the sign.
    pub(crate) fn percent_text(self, num: u64, den: u64, decimals: u8) -> Option<String> {
        self.scaled_percent(num, den, decimals)
            .map(|v| scaled_text(v, decimals))
    }
}

/// A number times 10^`decimals` written with that many decimals (`486`, 1 → `48.6`; `-25`, 1 →
/// `-2.5`).
pub(crate) fn scaled_text(v: i128, decimals: u8) -> String {
    if decimals == 0 {
        return v.to_string();
    }
    let scale = 10i128.pow(u32::from(decimals));
    let sign = if v < 0 { "-" } else { "" };
    let a = v.abs();
    format!(
        "{sign}{}.{:0width$}",
        a / scale,
        a % scale,
        width = usize::from(decimals)
    )
}

/// A derived figure: numerator / denominator as a whole percent.
#[derive(Debug, Clone)]
pub(crate) struct Derived {
    /// Key (`采纳率`), also usable in month files to state the printed value.
    pub key: String,
    pub label: String,
    /// Numerator key (a column or a headline).
    pub numerator: (String, Loc),
    /// Denominator key (a column or a headline).
    pub denominator: (String, Loc),
    pub rounding: Rounding,
    /// Whether it is printed as a table column (false: only for the text).
    pub shown: bool,
    /// Decimals printed (0 to 3); the month's text may ask for others.
    pub decimals: u8,
    pub loc: Loc,
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
    pub(crate) fn holds(self, a: u64, b: u64) -> bool {
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
    pub registry_order: bool,
    /// Kinds of unit every month must list.
    pub required_kinds: Vec<(String, Loc)>,
    /// The description's file.
    pub loc: Loc,
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

    /// The title for a month.
    /// The title for a period: `{月}` becomes `3` or `3-4`, `{年}` the year.
    pub(crate) fn title_for(&self, period: &Period) -> String {
        self.title
            .replace("{月}", &period.months())
            .replace("{年}", &period.year.to_string())
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
                    "io",
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
    let columns = read_columns(r, &mut top);
    let derived = read_derived(r, &mut top);
    let headlines = read_headlines(r, &mut top);
    let rules = read_rules(r, &mut top);
    let total_row = top.opt("合计行").and_then(|n| r.boolean(n, "合计行")).unwrap_or(false);
    let registry_order = top
        .opt("按名录排序")
        .and_then(|n| r.boolean(n, "按名录排序"))
        .unwrap_or(false);
    let required_kinds = top.opt("必列类别").map(|n| r.texts(n, "必列类别")).unwrap_or_default();
    r.finish(
        top,
        &[
            "名称",
            "简称",
            "标题",
            "列",
            "派生",
            "概况",
            "规则",
            "合计行",
            "按名录排序",
            "必列类别",
        ],
    );
    Some(TableSpec {
        id,
        short,
        name: name?,
        title: title?,
        columns,
        derived,
        headlines,
        rules,
        total_row,
        registry_order,
        required_kinds,
        loc: Loc::file(&tree.loc.src),
    })
}

/// The per-unit columns (`列`).
fn read_columns(r: &mut Reader, top: &mut MapReader<'_>) -> Vec<Column> {
    let mut columns = Vec::new();
    if let Some(items) = r.req(top, "列").and_then(|n| r.seq(n, "列")) {
        for item in items {
            let Some(mut m) = r.map(item, "列") else {
                continue;
            };
            let (key, label, measure) = key_label_measure(r, &mut m);
            r.finish(m, &["键", "名称", "量词"]);
            if let (Some(key), Some(label)) = (key, label) {
                columns.push(Column {
                    key,
                    label,
                    measure,
                    loc: item.loc.clone(),
                });
            }
        }
    }
    columns
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
            let num = r
                .req(&mut m, "分子")
                .and_then(|n| r.text(n, "分子").map(|t| (t, n.loc.clone())));
            let den = r
                .req(&mut m, "分母")
                .and_then(|n| r.text(n, "分母").map(|t| (t, n.loc.clone())));
            let rounding = match m.opt("取整") {
                None => Some(Rounding::HalfUp),
                Some(n) => match n.scalar().map(str::trim) {
                    Some("四舍五入") => Some(Rounding::HalfUp),
                    Some("去尾") => Some(Rounding::Down),
                    Some("进一") => Some(Rounding::Up),
                    _ => {
                        r.push(
                            Diagnostic::error("unknown-value", &n.loc, "未知的取整方式")
                                .help("可用：四舍五入、去尾、进一"),
                        );
                        None
                    }
                },
            };
            let shown = m.opt("入表").and_then(|n| r.boolean(n, "入表")).unwrap_or(true);
            let decimals = match m.opt("小数位") {
                None => Some(0),
                Some(n) => r.count(n, "小数位").and_then(|d| {
                    if d <= 3 {
                        Some(d as u8)
                    } else {
                        r.push(
                            Diagnostic::error("unknown-value", &n.loc, "小数位最多为 3")
                                .help("比率通常保留 0 或 1 位小数"),
                        );
                        None
                    }
                }),
            };
            r.finish(m, &["键", "名称", "分子", "分母", "取整", "小数位", "入表"]);
            if let (Some(key), Some(numerator), Some(denominator), Some(rounding), Some(decimals)) =
                (key, num, den, rounding, decimals)
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
                    loc: item.loc.clone(),
                });
            }
        }
    }
    derived
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
            let severity = match m.opt("不符时") {
                None => Severity::Error,
                Some(n) => match n.scalar().map(str::trim) {
                    Some("错误") => Severity::Error,
                    Some("警告") => Severity::Warning,
                    _ => {
                        r.push(Diagnostic::error(
                            "unknown-value",
                            &n.loc,
                            "“不符时”只能是“错误”或“警告”",
                        ));
                        Severity::Error
                    }
                },
            };
            let note = m.opt("说明").and_then(|n| r.text(n, "说明"));
            r.finish(m, &["键", "名称", "量词", "等于合计", "不符时", "说明"]);
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
                    Diagnostic::error("rule-syntax", &item.loc, format!("看不懂的规则“{text}”"))
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
    fn percents_with_decimals() {
        assert_eq!(Rounding::HalfUp.percent_text(226, 465, 1).as_deref(), Some("48.6"));
        assert_eq!(Rounding::Down.percent_text(2, 3, 2).as_deref(), Some("66.66"));
        assert_eq!(Rounding::Up.percent_text(2, 3, 1).as_deref(), Some("66.7"));
        assert_eq!(Rounding::HalfUp.percent_text(1, 1, 1).as_deref(), Some("100.0"));
        assert_eq!(scaled_text(-25, 1), "-2.5");
        assert_eq!(scaled_text(5, 2), "0.05");
    }

    #[test]
    fn percent_rounds_half_up_like_the_seed() {
        assert_eq!(Rounding::HalfUp.percent(3, 8), Some(38)); // 37.5 → 38
        assert_eq!(Rounding::HalfUp.percent(226, 572), Some(40)); // 39.5 → 40
        assert_eq!(Rounding::HalfUp.percent(16, 48), Some(33));
        assert_eq!(Rounding::Down.percent(3, 8), Some(37));
        assert_eq!(Rounding::Up.percent(1, 3), Some(34));
        assert_eq!(Rounding::HalfUp.percent(1, 0), None);
    }

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
