//! Rules on the month's text (`通报.txt`): every expression names a table, figure, unit, filter and
//! month that exist; headings are numbered in order without skipping a level; the months and years
//! the text names are the period's; and a number typed by hand that the data holds (or contradicts)
//! is pointed out with the expression that would print it.

use std::collections::BTreeMap;

use super::document::table_named;
use super::suggest;
use crate::calendar::Period;
use crate::diag::{Diagnostic, quote_list};
use crate::load::text::{Block, FILTERS, GLOBALS, Line, Text, normalize_expressions, split_names};
use crate::load::{Data, Month, TableSpec};

pub(crate) fn check_text(data: &Data, month: &Month, diags: &mut Vec<Diagnostic>) {
    let Some(text) = &month.text else { return };
    let lines = lines(text);
    let facts = Facts::of(data, month);
    for (line, _) in &lines {
        for expr in expressions(line, diags) {
            check_expression(data, month, line, &expr, diags);
        }
    }
    check_headings(text, diags);
    let period = month.period();
    for (line, part) in &lines {
        if *part != Part::Signature {
            check_periods(line, &period, diags);
        }
        if matches!(part, Part::Body | Part::Title) {
            check_numbers(line, &facts, diags);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Title,
    Body,
    Other,
    Signature,
}

fn lines(text: &Text) -> Vec<(Line, Part)> {
    let mut out: Vec<(Line, Part)> = text.title.iter().map(|l| (l.clone(), Part::Title)).collect();
    out.extend(text.recipients.iter().map(|l| (l.clone(), Part::Other)));
    for block in &text.body {
        let line = match block {
            Block::Paragraph(line) | Block::Heading { line, .. } => line,
        };
        out.push((line.clone(), Part::Body));
    }
    out.extend(text.attachments.iter().map(|a| (a.name.clone(), Part::Other)));
    out.extend(text.issuers.iter().map(|l| (l.clone(), Part::Signature)));
    out.extend(text.note.iter().map(|l| (l.clone(), Part::Other)));
    out
}

/// An expression between `{{` and `}}`: its text and where it starts in the line (characters,
/// after the braces).
struct Expr {
    body: String,
    start: usize,
}

/// The expressions of a line; braces typed full-width by the input method, and braces left open,
/// are errors.
fn expressions(line: &Line, diags: &mut Vec<Diagnostic>) -> Vec<Expr> {
    let chars: Vec<char> = normalize_expressions(&line.text).chars().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k + 1 < chars.len() {
        let pair = (chars[k], chars[k + 1]);
        if matches!(pair, ('｛', '｛') | ('｝', '｝') | ('{', '｛') | ('｛', '{')) {
            diags.push(
                Diagnostic::error(
                    "expression-braces",
                    &line.at(k, 2),
                    "这里的大括号是全角的“｛｛”，不会被当作数字表达式",
                )
                .help("输入法切换到英文（半角）后再输入 {{ 和 }}，例如 {{ 热线.本月 }}"),
            );
            k += 2;
            continue;
        }
        if pair == ('{', '{') {
            let start = k + 2;
            let end = (start..chars.len().saturating_sub(1)).find(|&j| chars[j] == '}' && chars[j + 1] == '}');
            match end {
                Some(end) => {
                    out.push(Expr {
                        body: chars[start..end].iter().collect(),
                        start,
                    });
                    k = end + 2;
                }
                None => {
                    diags.push(
                        Diagnostic::error("expression", &line.at(k, 2), "“{{”没有对应的“}}”")
                            .help("表达式写在 {{ 和 }} 之间，同一行内写完"),
                    );
                    break;
                }
            }
            continue;
        }
        k += 1;
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    Text(String),
    Symbol(char),
    Number,
}

/// The tokens of an expression with their offsets (characters within the expression).
fn tokens(body: &str) -> Vec<(Token, usize, usize)> {
    let chars: Vec<char> = body.chars().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k];
        if c.is_whitespace() {
            k += 1;
        } else if c == '"' || c == '\'' || c == '“' || c == '”' {
            let close = if c == '“' { '”' } else { c };
            let end = (k + 1..chars.len()).find(|&j| chars[j] == close).unwrap_or(chars.len());
            out.push((Token::Text(chars[k + 1..end].iter().collect()), k + 1, end - k - 1));
            k = end + 1;
        } else if c.is_ascii_digit() {
            let end = (k..chars.len())
                .find(|&j| !(chars[j].is_ascii_digit() || chars[j] == '.'))
                .unwrap_or(chars.len());
            out.push((Token::Number, k, end - k));
            k = end;
        } else if c.is_alphanumeric() || c == '_' {
            let end = (k..chars.len())
                .find(|&j| !(chars[j].is_alphanumeric() || chars[j] == '_'))
                .unwrap_or(chars.len());
            out.push((Token::Name(chars[k..end].iter().collect()), k, end - k));
            k = end;
        } else {
            out.push((Token::Symbol(c), k, 1));
            k += 1;
        }
    }
    out
}

fn check_expression(data: &Data, month: &Month, line: &Line, expr: &Expr, diags: &mut Vec<Diagnostic>) {
    let toks = tokens(&expr.body);
    let at = |offset: usize, len: usize| line.at(expr.start + offset, len.max(1));
    // The leading path: name(.name)*.
    let mut path: Vec<(String, usize, usize)> = Vec::new();
    let mut k = 0;
    while let Some((Token::Name(n), off, len)) = toks.get(k) {
        path.push((n.clone(), *off, *len));
        if toks.get(k + 1).map(|t| &t.0) != Some(&Token::Symbol('.')) {
            break;
        }
        k += 2;
    }
    let mut table: Option<&TableSpec> = None;
    if let Some((head, off, len)) = path.first() {
        if head == "点名" {
            check_named(data, line, expr, &toks, diags);
        } else if !GLOBALS.contains(&head.as_str()) {
            match table_named(data, head) {
                None => {
                    let known: Vec<&str> = data
                        .specs
                        .iter()
                        .map(|s| s.expression_name())
                        .chain(GLOBALS.iter().copied())
                        .collect();
                    diags.push(
                        Diagnostic::error(
                            "expression-name",
                            &at(*off, *len),
                            format!("没有名为“{head}”的表或数据"),
                        )
                        .help(suggest(head, known.iter().copied(), "可以用的有")),
                    );
                }
                Some(spec) => {
                    table = Some(spec);
                    check_figure_path(data, month, spec, &path, &at, diags);
                }
            }
        }
    }
    // Filters: `| name`, and the months they compare with.
    for (i, (tok, off, len)) in toks.iter().enumerate() {
        if tok != &Token::Symbol('|') {
            continue;
        }
        let Some((Token::Name(name), foff, flen)) = toks.get(i + 1) else {
            diags.push(Diagnostic::error(
                "expression",
                &at(*off, *len),
                "“|”后面应写一个写法名称，如 较上月",
            ));
            continue;
        };
        if !FILTERS.contains(&name.as_str()) {
            diags.push(
                Diagnostic::error("expression-filter", &at(*foff, *flen), format!("没有“{name}”这种写法"))
                    .help(suggest(name, FILTERS.iter().copied(), "可以用的写法有")),
            );
            continue;
        }
        let (Some(spec), false) = (table, month.period().first == 0) else {
            continue;
        };
        let compared = match name.as_str() {
            "较上月" | "上月" => Some(("上月", month.period().before())),
            "较去年同期" | "去年同期" => Some(("去年同期", month.id.year_before())),
            _ => None,
        };
        if let Some((what, other)) = compared {
            let has = data.month(&other.name()).is_some_and(|m| m.table(&spec.id).is_some());
            if !has {
                diags.push(
                    Diagnostic::error(
                        "expression-month",
                        &at(*foff, *flen),
                        format!("没有{what}（data/{}）的{}数据，无法比较", other.name(), spec.name),
                    )
                    .help("先录入那个月的数据，或删去这个比较"),
                );
            }
        }
    }
}

/// `表.键` or `表.单位.键` (or `表.标题`).
fn check_figure_path(
    data: &Data,
    month: &Month,
    spec: &TableSpec,
    path: &[(String, usize, usize)],
    at: &dyn Fn(usize, usize) -> crate::diag::Loc,
    diags: &mut Vec<Diagnostic>,
) {
    let (head, off, len) = &path[0];
    let Some(table) = month.table(&spec.id) else {
        let file = data.project.table_file(&month.name, &spec.id);
        if data.project.path(&file).exists() {
            return; // Unreadable: its own error says why.
        }
        diags.push(
            Diagnostic::error(
                "expression-table",
                &at(*off, *len),
                format!("本月没有“{head}”（{}）的数据", spec.name),
            )
            .help(format!("请新建 {}，或删去用到它的句子", file.display())),
        );
        return;
    };
    let keys: Vec<&str> = spec
        .columns
        .iter()
        .map(|c| c.key.as_str())
        .chain(spec.headlines.iter().map(|h| h.key.as_str()))
        .chain(spec.derived.iter().map(|d| d.key.as_str()))
        .collect();
    let Some((second, off2, len2)) = path.get(1) else {
        diags.push(
            Diagnostic::error(
                "expression-name",
                &at(*off, *len),
                format!("“{head}”是一张表，请写出要用的数字"),
            )
            .help(format!(
                "例如 {{{{ {head}.{} }}}}；可用的有：{}",
                keys.first().unwrap_or(&"…"),
                quote_list(&keys)
            )),
        );
        return;
    };
    if second == "标题" || keys.contains(&second.as_str()) {
        if let Some((third, off3, len3)) = path.get(2) {
            diags.push(Diagnostic::error(
                "expression-name",
                &at(*off3, *len3),
                format!("“{head}.{second}”后面不能再写“.{third}”"),
            ));
        }
        return;
    }
    // A unit: canonical name or alias, listed in this month's table.
    let listed = |name: &str| {
        let canonical = data.registry.resolve(name).map(|u| u.name.as_str());
        table
            .rows
            .iter()
            .any(|r| canonical.is_some() && data.registry.resolve(&r.unit).map(|u| u.name.as_str()) == canonical)
    };
    if data.registry.resolve(second).is_some() {
        if !listed(second) {
            diags.push(
                Diagnostic::error(
                    "expression-unit",
                    &at(*off2, *len2),
                    format!("本月的{}表中没有“{second}”这一行", spec.name),
                )
                .help("核对单位名称，或在表格数据中加上这一行"),
            );
            return;
        }
        let row_keys: Vec<&str> = spec
            .columns
            .iter()
            .map(|c| c.key.as_str())
            .chain(
                spec.derived
                    .iter()
                    .filter(|d| spec.column(&d.numerator.0).is_some() && spec.column(&d.denominator.0).is_some())
                    .map(|d| d.key.as_str()),
            )
            .collect();
        match path.get(2) {
            None => {}
            Some((third, off3, len3)) if !row_keys.contains(&third.as_str()) => diags.push(
                Diagnostic::error(
                    "expression-name",
                    &at(*off3, *len3),
                    format!("{}表的单位行没有“{third}”", spec.name),
                )
                .help(suggest(third, row_keys.iter().copied(), "每个单位可用的有")),
            ),
            Some(_) => {}
        }
        return;
    }
    let units: Vec<String> = table.rows.iter().map(|r| r.unit.clone()).collect();
    let candidates: Vec<&str> = keys
        .iter()
        .copied()
        .chain(units.iter().map(String::as_str))
        .chain(std::iter::once("标题"))
        .collect();
    let near = crate::diag::suggestions(second, candidates.iter().copied(), 3);
    let registry_near = crate::diag::suggestions(second, data.registry.all_names(), 1);
    let help = if !near.is_empty() {
        format!("是否应为{}？", quote_list(&near))
    } else if !registry_near.is_empty() {
        format!("是否应为{}？", quote_list(&registry_near))
    } else {
        format!("可用的数字有：{}", quote_list(&keys))
    };
    diags.push(
        Diagnostic::error(
            "expression-name",
            &at(*off2, *len2),
            format!("{}表中没有“{second}”（既不是列、概况、比率，也不是单位）", spec.name),
        )
        .help(help),
    );
}

/// `点名("甲、乙")`: each name must be a unit of the registry.
fn check_named(data: &Data, line: &Line, expr: &Expr, toks: &[(Token, usize, usize)], diags: &mut Vec<Diagnostic>) {
    for (tok, off, _) in toks {
        let Token::Text(arg) = tok else { continue };
        let mut from = 0;
        for name in split_names(arg) {
            let rel = arg[from..].find(name).map_or(0, |b| arg[..from + b].chars().count());
            from = arg.find(name).map_or(from, |b| b + name.len()).max(from);
            if data.registry.resolve(name).is_none() {
                let loc = line.at(expr.start + off + rel, name.chars().count());
                diags.push(
                    Diagnostic::error(
                        "unit-unknown",
                        &loc,
                        format!("单位“{name}”不在单位名录（data/units.yaml）中"),
                    )
                    .help(suggest(
                        name,
                        data.registry.all_names().collect::<Vec<_>>(),
                        "名录中的单位有",
                    )),
                );
            }
        }
    }
}

const CHINESE: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// The Chinese numeral of 1–99 as headings write it (十一, 二十).
fn chinese_number(n: usize) -> String {
    match n {
        1..=10 => CHINESE[n - 1].to_string(),
        11..=19 => format!("十{}", CHINESE[n - 11]),
        20..=99 => format!(
            "{}十{}",
            CHINESE[n / 10 - 1],
            if n.is_multiple_of(10) { "" } else { CHINESE[n % 10 - 1] }
        ),
        _ => n.to_string(),
    }
}

/// Headings go 一、 → （一） → 1. → （1）, each level numbered from one, without skipping a level.
fn check_headings(text: &Text, diags: &mut Vec<Diagnostic>) {
    let mut counters = [0usize; 5];
    let mut deepest_open = 0u8;
    for block in &text.body {
        let Block::Heading {
            level, number, line, ..
        } = block
        else {
            continue;
        };
        let l = usize::from(level.0);
        if level.0 > 1 && deepest_open < level.0 - 1 {
            let parent = ["一、", "（一）", "1.", "（1）"][l - 2];
            diags.push(
                Diagnostic::warning(
                    "heading-level",
                    &line.at(0, number.chars().count() + 2),
                    format!("这个标题前面没有上一级标题（{parent}）"),
                )
                .help("标题层次依次为 一、（一）1.（1），不能越级"),
            );
        }
        counters[l] += 1;
        for c in counters.iter_mut().skip(l + 1) {
            *c = 0;
        }
        deepest_open = level.0;
        let n = counters[l];
        let expected = if l == 1 || l == 2 {
            chinese_number(n)
        } else {
            n.to_string()
        };
        if *number != expected {
            diags.push(
                Diagnostic::warning(
                    "heading-number",
                    &line.at(0, number.chars().count() + 2),
                    format!("标题编号应为“{expected}”，这里是“{number}”"),
                )
                .help("删去或调整章节后，请按顺序重新编号"),
            );
            // Go on from the number written, so one gap gives one warning.
            if let Some(k) = (1..100).find(|k| {
                let s = if l <= 2 { chinese_number(*k) } else { k.to_string() };
                s == *number
            }) {
                counters[l] = k;
            }
        }
    }
}

/// Words after a month that make it a deliberate reference to another time (`2023年4月起`).
const REFERENCES: [&str; 12] = [
    "起", "以来", "以前", "以后", "前", "后", "底", "初", "中旬", "上旬", "下旬", "至今",
];

/// Months and years written in the text must be the period's: `2023年3月` or `3月份` left from last
/// month is the slip staff make most often.
fn check_periods(line: &Line, period: &Period, diags: &mut Vec<Diagnostic>) {
    let chars: Vec<char> = line.text.chars().collect();
    let inside = expression_mask(&chars);
    let mut k = 0;
    while k < chars.len() {
        if inside[k] || !chars[k].is_ascii_digit() || (k > 0 && chars[k - 1].is_ascii_digit()) {
            k += 1;
            continue;
        }
        let (mention, len) = month_mention(&chars[k..]);
        let Some((year, first, last, explicit_month_word)) = mention else {
            k += 1;
            continue;
        };
        let rest: String = chars[k + len..].iter().take(2).collect();
        let is_date = rest.chars().next().is_some_and(|c| c.is_ascii_digit());
        let reference = REFERENCES.iter().any(|r| rest.starts_with(r));
        if !is_date && !reference {
            let year_ok = year.is_none_or(|y| y == period.year);
            let months_ok = first == period.first && last == period.last;
            // A single month inside a longer period (`4月`) may be named on purpose.
            let inside = first == last && period.contains(year.unwrap_or(period.year), first);
            if !year_ok || !(months_ok || (inside && !explicit_month_word)) {
                let written: String = chars[k..k + len].iter().collect();
                diags.push(
                    Diagnostic::warning(
                        "period-mismatch",
                        &line.at(k, len),
                        format!("这里写的是“{written}”，但本期通报是{}", period.label()),
                    )
                    .help(format!(
                        "复制上月文件后忘了改？可写成 {{{{ 期间 }}}}（{}）或 {{{{ 年 }}}}年{{{{ 月 }}}}月，随期间自动变化",
                        period.label()
                    )),
                );
            }
        }
        k += len;
    }
}

/// For each character of a line, whether it lies inside `{{ … }}` (braces included).
fn expression_mask(chars: &[char]) -> Vec<bool> {
    let mut mask = vec![false; chars.len()];
    let mut inside = false;
    let mut k = 0;
    while k < chars.len() {
        let pair = (chars[k], chars.get(k + 1).copied());
        if !inside && pair == ('{', Some('{')) {
            inside = true;
        }
        mask[k] = inside;
        if inside && pair == ('}', Some('}')) {
            mask[k + 1] = true;
            inside = false;
            k += 2;
            continue;
        }
        k += 1;
    }
    mask
}

/// A month named in the text: (year if written, first month, last month, whether `份` follows).
type Mention = (Option<i32>, u8, u8, bool);

/// A month mention at the start of `chars`: `2023年3月`, `2023年3-4月`, `3月份`, `3-4月份`, and
/// the number of characters it (or what was skipped) takes.
fn month_mention(chars: &[char]) -> (Option<Mention>, usize) {
    let digits = |from: usize| chars[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let number = |from: usize, n: usize| chars[from..from + n].iter().collect::<String>().parse::<u32>().ok();
    let mut k = 0;
    let mut year = None;
    let n = digits(0);
    if n == 4 && chars.get(4) == Some(&'年') {
        year = number(0, 4).map(|y| y as i32);
        k = 5;
    } else if n == 4 {
        return (None, n);
    }
    let m = digits(k);
    if m == 0 || m > 2 {
        return (None, k.max(1));
    }
    let first = number(k, m).unwrap_or(0) as u8;
    k += m;
    let mut last = first;
    if matches!(chars.get(k), Some('-' | '－' | '—' | '~' | '～' | '至')) {
        let m2 = digits(k + 1);
        if (1..=2).contains(&m2) {
            last = number(k + 1, m2).unwrap_or(0) as u8;
            k += 1 + m2;
        }
    }
    if chars.get(k) != Some(&'月') || !(1..=12).contains(&first) || !(first..=12).contains(&last) {
        return (None, k.max(1));
    }
    k += 1;
    let fen = chars.get(k) == Some(&'份');
    if year.is_none() && !fen {
        // A bare `3月` is too often something else (`3月5日`, a deadline): only `3月份` counts.
        return (None, k);
    }
    if fen {
        k += 1;
    }
    (Some((year, first, last, fen)), k)
}

/// What the data holds: each table-wide figure's printed value, measure word and label.
struct Facts {
    /// (expression, label, measure or "%", printed value)
    all: Vec<(String, String, String, String)>,
}

impl Facts {
    fn of(data: &Data, month: &Month) -> Facts {
        let mut all = Vec::new();
        for spec in &data.specs {
            let Some(table) = month.table(&spec.id) else { continue };
            let name = spec.expression_name();
            let mut values: BTreeMap<&str, u64> = BTreeMap::new();
            for c in &spec.columns {
                values.insert(&c.key, table.total(&c.key));
                all.push((
                    format!("{name}.{}", c.key),
                    c.label.clone(),
                    c.measure.clone().unwrap_or_default(),
                    table.total(&c.key).to_string(),
                ));
            }
            for h in &spec.headlines {
                if let Some(f) = table.headline(&h.key) {
                    values.insert(&h.key, f.value);
                    all.push((
                        format!("{name}.{}", h.key),
                        h.label.clone(),
                        h.measure.clone().unwrap_or_default(),
                        f.value.to_string(),
                    ));
                }
            }
            for d in &spec.derived {
                if let (Some(n), Some(den)) = (values.get(d.numerator.0.as_str()), values.get(d.denominator.0.as_str()))
                    && let Some(v) = d.rounding.percent_text(*n, *den, d.decimals)
                {
                    all.push((format!("{name}.{}", d.key), d.label.clone(), "%".into(), v));
                }
            }
        }
        Facts { all }
    }

    fn measures(&self) -> Vec<&str> {
        let mut m: Vec<&str> = self
            .all
            .iter()
            .map(|f| f.2.as_str())
            .filter(|m| !m.is_empty())
            .collect();
        m.sort();
        m.dedup();
        m
    }
}

/// A number typed by hand with a measure word (`59项`, `40%`): if the data holds it, the expression
/// is offered; if the words before it name a figure whose value differs, the difference is shown.
fn check_numbers(line: &Line, facts: &Facts, diags: &mut Vec<Diagnostic>) {
    let chars: Vec<char> = line.text.chars().collect();
    let inside = expression_mask(&chars);
    let measures = facts.measures();
    let mut k = 0;
    while k < chars.len() {
        let c = chars[k];
        if !c.is_ascii_digit() || (k > 0 && (chars[k - 1].is_ascii_digit() || chars[k - 1] == '.')) || inside[k] {
            k += 1;
            continue;
        }
        let len = chars[k..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == '.')
            .count();
        let number: String = chars[k..k + len].iter().collect();
        let after: String = chars[k + len..].iter().take(3).collect();
        let after = after.trim_start();
        let Some(measure) = measures.iter().copied().find(|m| after.starts_with(m)) else {
            k += len;
            continue;
        };
        let before: String = chars[k.saturating_sub(14)..k].iter().collect();
        let same_measure = facts.all.iter().filter(|f| f.2 == measure);
        let named: Vec<_> = same_measure
            .clone()
            .filter(|f| before.contains(&f.1) || before.ends_with(&f.1))
            .collect();
        let loc = line.at(k, len);
        if let Some(f) = named.iter().find(|f| f.3 == number) {
            diags.push(
                Diagnostic::warning(
                    "typed-figure",
                    &loc,
                    format!("数字 {number}{measure} 是手写的，数据中“{}”正是 {}", f.1, f.3),
                )
                .help(format!("写成 {{{{ {} }}}}，数据改了这里会跟着变", f.0)),
            );
        } else if let Some(f) = named.first() {
            diags.push(
                Diagnostic::warning(
                    "typed-figure-differs",
                    &loc,
                    format!("这里写 {number}{measure}，但数据中“{}”是 {}{measure}", f.1, f.3),
                )
                .help(format!("请核对；写成 {{{{ {} }}}} 就与数据一致", f.0)),
            );
        } else if number.len() >= 2
            && let Some(f) = same_measure.clone().find(|f| f.3 == number)
        {
            diags.push(
                Diagnostic::warning(
                    "typed-figure",
                    &loc,
                    format!("数字 {number}{measure} 是手写的，数据中“{}”正是 {}", f.1, f.3),
                )
                .help(format!("如果说的是它，写成 {{{{ {} }}}}", f.0)),
            );
        }
        k += len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numbers() {
        assert_eq!(chinese_number(3), "三");
        assert_eq!(chinese_number(12), "十二");
        assert_eq!(chinese_number(20), "二十");
        assert_eq!(chinese_number(23), "二十三");
    }

    #[test]
    fn month_mentions() {
        let m = |s: &str| month_mention(&s.chars().collect::<Vec<_>>()).0;
        assert_eq!(m("2023年3月份"), Some((Some(2023), 3, 3, true)));
        assert_eq!(m("2023年3-4月"), Some((Some(2023), 3, 4, false)));
        assert_eq!(m("3月份转办"), Some((None, 3, 3, true)));
        assert_eq!(m("3月5日"), None);
        assert_eq!(m("2022年内容"), None);
    }
}
