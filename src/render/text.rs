//! The month's text with its figures filled in: every expression of `通报.txt` (parsed by
//! [`crate::load::expr`]) evaluated against the month's facts into plain text.
//!
//! The notation is for office staff (docs/工作指南.md, "通报正文怎么写"): `{{ 督办.交办任务 }}` prints a
//! figure, `{{ 网站.采纳率 | 四舍五入(1) }}` a rate with one decimal, `{{ 热线.本月 | 较上月 }}` the
//! change from last month in words, `{{ 热线.延期 | 最多(2) }}` the two units with the most, and so on.
//! Evaluation is a walk over the parsed expression: a name that does not exist, a filter used on
//! the wrong kind of value, a comparison with a month that has no data, a rate over nothing are
//! errors at the word they concern, found by the same code in `check` and `build`. What a figure
//! prints is plain text: a line break in data becomes a space, so data cannot add headings, and the
//! text reaches Typst only as string literals.

use std::sync::Arc;

use crate::aggregate::{Aggregate, Amount, Fact, FactKind, RateRule, UnitFact};
use crate::calendar::MonthId;
use crate::diag::{Code, Diagnostic, quote_list, suggest, suggestions};
use crate::load::expr::{Arg, Call, Compares, Expr, Filter, GLOBALS, Head, Word};
use crate::load::number::Rounding;
use crate::load::registry::Standing;
use crate::load::text::{Line, PartKind};
use crate::load::{Data, Month, TableSpec, Unit};

/// What an expression is evaluated against: the data, the month and its aggregated facts.
pub(crate) struct Scope<'a> {
    pub data: &'a Data,
    pub month: &'a Month,
    pub agg: &'a Aggregate,
}

/// A figure as the text sees it.
#[derive(Debug, Clone)]
struct Figure {
    fact: Fact,
    /// Every unit's own value of this figure (for lists), when it is a table-wide figure.
    units: Option<Arc<Vec<UnitFact>>>,
    /// The table's name, for messages.
    table: String,
}

/// A unit in a list: its name as printed, its registry order, its place in the table or as
/// written, and the figure it was chosen by (none for units named by hand).
#[derive(Debug, Clone)]
struct Item {
    name: String,
    order: usize,
    written: usize,
    figure: Option<(Amount, Figure)>,
}

/// A list of units, as the text prints it: names joined by `、`.
#[derive(Debug, Clone)]
struct Units {
    items: Vec<Item>,
    separator: String,
    with_figures: bool,
}

/// A value while an expression is evaluated.
#[derive(Debug, Clone)]
enum Value {
    Text(String),
    Figure(Box<Figure>),
    Units(Units),
    Count(usize),
}

/// An evaluation problem, at a place of the line.
struct Fail {
    code: Code,
    at: usize,
    len: usize,
    message: String,
    help: Option<String>,
}

fn fail(code: Code, word: &Word, message: impl Into<String>) -> Fail {
    Fail {
        code,
        at: word.at,
        len: word.len,
        message: message.into(),
        help: None,
    }
}

impl Fail {
    fn help(mut self, help: impl Into<String>) -> Fail {
        self.help = Some(help.into());
        self
    }

    fn at(self, line: &Line) -> Diagnostic {
        let d = Diagnostic::error(self.code, &line.at(self.at, self.len.max(1)), self.message);
        match self.help {
            Some(h) => d.help(h),
            None => d,
        }
    }
}

/// The line with every expression replaced by what it prints. Every expression that fails is a
/// diagnostic at its place.
pub(crate) fn evaluate(scope: &Scope<'_>, line: &Line) -> Result<String, Vec<Diagnostic>> {
    let mut out = String::new();
    let mut errors = Vec::new();
    for part in &line.parts {
        match &part.kind {
            PartKind::Text(t) => out.push_str(t),
            PartKind::Expr(e) => match expression(scope, e).and_then(|v| printed(&v, e)) {
                Ok(text) => out.push_str(&text.replace(['\n', '\r'], " ")),
                Err(f) => errors.push(f.at(line)),
            },
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// The line as a draft prints it: an expression over a figure not known yet prints as
/// `【待填：热线.本月】`, one that fails as `【有误：…】`; the failures are returned all the same.
pub(crate) fn evaluate_draft(scope: &Scope<'_>, line: &Line) -> (String, Vec<Diagnostic>) {
    let mut out = String::new();
    let mut errors = Vec::new();
    for part in &line.parts {
        match &part.kind {
            PartKind::Text(t) => out.push_str(t),
            PartKind::Expr(e) => {
                let written = written(e);
                if pending(scope, e) {
                    out.push_str(&crate::aggregate::pending_mark(Some(&written)));
                    continue;
                }
                match expression(scope, e).and_then(|v| printed(&v, e)) {
                    Ok(text) => out.push_str(&text.replace(['\n', '\r'], " ")),
                    Err(f) => {
                        errors.push(f.at(line));
                        out.push_str(&format!("【有误：{written}】"));
                    }
                }
            }
        }
    }
    (out, errors)
}

/// What the expression reads, as written (`热线.本月`, `点名`), for its placeholder.
fn written(e: &Expr) -> String {
    let text = match &e.head {
        Head::Path(path) => path.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join("."),
        Head::Named(_) => "点名".to_string(),
    };
    crate::diag::shorten(&text, 30)
}

/// Whether expression `e` reads a figure of this month that is not known yet: a column or
/// headline of its table (any row, or the named unit's), or a rate over one; a whole table read
/// by a filter when any of its figures is pending.
fn pending(scope: &Scope<'_>, e: &Expr) -> bool {
    let Head::Path(path) = &e.head else { return false };
    let Some(spec) = scope.data.table_named(&path[0].text) else {
        return false;
    };
    let Some(table) = scope.month.table(&spec.id) else {
        return false;
    };
    let keys_of = |key: &str| -> Vec<String> {
        match spec.derived(key) {
            Some(d) => d.keys().into_iter().map(str::to_string).collect(),
            None => vec![key.to_string()],
        }
    };
    match path.as_slice() {
        [_] => table.rows.iter().any(|r| !r.pending.is_empty()) || !table.unfilled.is_empty(),
        [_, key] => keys_of(&key.text).iter().any(|k| table.pending(k)),
        [_, unit, key, ..] => {
            let canonical = |u: &str| scope.data.registry.resolve(u).map(|u| u.name.clone());
            let row = table.rows.iter().find(|r| canonical(&r.unit) == canonical(&unit.text));
            row.is_none_or(|r| keys_of(&key.text).iter().any(|k| r.is_pending(k)))
        }
        [] => false,
    }
}

fn expression(scope: &Scope<'_>, e: &Expr) -> Result<Value, Fail> {
    let mut value = match &e.head {
        Head::Path(path) => path_value(scope, path)?,
        Head::Named(names) => named(scope, names)?,
    };
    for call in &e.filters {
        value = apply(scope, call, value)?;
    }
    Ok(value)
}

/// What a value prints.
fn printed(value: &Value, e: &Expr) -> Result<String, Fail> {
    let whole = Word {
        text: String::new(),
        at: e.at,
        len: e.len,
    };
    match value {
        Value::Text(t) => Ok(t.clone()),
        Value::Count(n) => Ok(n.to_string()),
        Value::Units(u) => Ok(u.text()),
        Value::Figure(f) if f.fact.listing_only => Err(listing_only(&f.fact, &whole)),
        Value::Figure(f) => f.fact.printed().ok_or_else(|| {
            fail(
                Code::ExpressionZero,
                &whole,
                format!("“{}”的分母为 0，无法计算", f.fact.label),
            )
            .help("分母为 0 时比率没有意义：请改写这句话，或核对表格数据")
        }),
    }
}

impl Figure {
    /// The amount as printed: a value with its decimals, or a percent with the rate's decimals;
    /// `None` for a rate over nothing.
    fn text(&self, amount: Amount) -> Option<String> {
        self.fact.text(amount)
    }
}

impl Units {
    fn text(&self) -> String {
        if self.items.is_empty() {
            return "无".into();
        }
        self.items
            .iter()
            .map(|item| match &item.figure {
                Some((amount, fig)) if self.with_figures => {
                    let value = fig.text(*amount).unwrap_or_else(|| "—".into());
                    let unit = if matches!(fig.fact.kind, FactKind::Rate(_) | FactKind::Value { percent: true, .. }) {
                        "%".to_string()
                    } else {
                        fig.fact.measure.clone().unwrap_or_default()
                    };
                    format!("{}（{value}{unit}）", item.name)
                }
                _ => item.name.clone(),
            })
            .collect::<Vec<_>>()
            .join(&self.separator)
    }
}

/// `期间`, `年`, `月`, or a table's figure, title or unit.
fn path_value(scope: &Scope<'_>, path: &[Word]) -> Result<Value, Fail> {
    let head = &path[0];
    let period = &scope.agg.period;
    let global = match head.text.as_str() {
        "期间" => Some(period.label()),
        "年" => Some(period.year.to_string()),
        "月" => Some(period.months()),
        _ => None,
    };
    if let Some(text) = global {
        return match path.get(1) {
            None => Ok(Value::Text(text)),
            Some(w) => Err(fail(
                Code::ExpressionName,
                w,
                format!("“{}”后面不能再写“.{}”", head.text, w.text),
            )),
        };
    }
    let spec = scope
        .data
        .table_named(&head.text)
        .ok_or_else(|| unknown_table(scope, head))?;
    let Some(facts) = scope.agg.facts.get(&spec.id) else {
        let file = scope.data.project.table_file(&scope.month.name, &spec.id);
        return Err(fail(
            Code::ExpressionTable,
            head,
            format!("本月没有“{}”（{}）的数据", head.text, spec.name),
        )
        .help(format!("请新建 {}，或删去用到它的句子", file.display())));
    };
    let Some(second) = path.get(1) else {
        let keys = keys(spec);
        return Err(fail(
            Code::ExpressionName,
            head,
            format!("“{}”是一张表，请写出要用的数字", head.text),
        )
        .help(format!(
            "例如 {{{{ {}.{} }}}}；可用的有：{}",
            head.text,
            keys.first().unwrap_or(&"…"),
            quote_list(&keys)
        )));
    };
    let value = if second.text == "标题" {
        Value::Text(facts.title.clone())
    } else if let Some(fact) = facts.facts.get(&second.text) {
        Value::Figure(Box::new(Figure {
            fact: fact.clone(),
            units: Some(Arc::new(facts.units.clone())),
            table: spec.name.clone(),
        }))
    } else if keys(spec).contains(&second.text.as_str()) {
        return Err(fail(
            Code::ExpressionName,
            second,
            format!("本月的{}表没有“{}”的数字", spec.name, second.text),
        )
        .help("请在本月的表格文件中填写它"));
    } else {
        return unit_value(scope, spec, &facts.units, &path[1..]);
    };
    match path.get(2) {
        None => Ok(value),
        Some(w) => Err(fail(
            Code::ExpressionName,
            w,
            format!("“{}.{}”后面不能再写“.{}”", head.text, second.text, w.text),
        )),
    }
}

fn unknown_table(scope: &Scope<'_>, head: &Word) -> Fail {
    let known: Vec<&str> = scope
        .data
        .specs
        .iter()
        .map(|s| s.expression_name())
        .chain(GLOBALS.iter().copied())
        .collect();
    fail(Code::ExpressionName, head, format!("没有名为“{}”的表或数据", head.text)).help(suggest(
        &head.text,
        known.iter().copied(),
        "可以用的有",
    ))
}

/// The keys a table's figures are written with: columns, headlines, rates.
fn keys(spec: &TableSpec) -> Vec<&str> {
    spec.columns
        .iter()
        .map(|c| c.key.as_str())
        .chain(spec.headlines.iter().map(|h| h.key.as_str()))
        .chain(spec.derived.iter().map(|d| d.key.as_str()))
        .chain([crate::load::schema::ROW_COUNT])
        .collect()
}

/// `表.单位` (the unit's name as written) or `表.单位.键` (its figure).
fn unit_value(scope: &Scope<'_>, spec: &TableSpec, units: &[UnitFact], path: &[Word]) -> Result<Value, Fail> {
    let word = &path[0];
    let Some(unit) = scope.data.registry.resolve(&word.text) else {
        return Err(not_a_figure(scope, spec, units, word));
    };
    at_the_time(unit, word, &scope.month.id)?;
    let Some(row) = units.iter().find(|u| u.canonical == unit.name) else {
        return Err(fail(
            Code::ExpressionUnit,
            word,
            format!("本月的{}表中没有“{}”这一行", spec.name, word.text),
        )
        .help("核对单位名称，或在表格数据中加上这一行"));
    };
    let Some(key) = path.get(1) else {
        return Ok(Value::Text(word.text.clone()));
    };
    if let Some(extra) = path.get(2) {
        return Err(fail(
            Code::ExpressionName,
            extra,
            format!("“{}”后面不能再写“.{}”", key.text, extra.text),
        ));
    }
    let fact = row.facts.get(&key.text).ok_or_else(|| {
        let row_keys: Vec<&str> = row.facts.keys().map(String::as_str).collect();
        fail(
            Code::ExpressionName,
            key,
            format!("{}表的单位行没有“{}”", spec.name, key.text),
        )
        .help(suggest(&key.text, row_keys.iter().copied(), "每个单位可用的有"))
    })?;
    Ok(Value::Figure(Box::new(Figure {
        fact: fact.clone(),
        units: None,
        table: spec.name.clone(),
    })))
}

/// A name after the table that is neither a figure, nor 标题, nor a unit of the registry.
fn not_a_figure(scope: &Scope<'_>, spec: &TableSpec, units: &[UnitFact], word: &Word) -> Fail {
    let keys = keys(spec);
    let candidates: Vec<&str> = keys
        .iter()
        .copied()
        .chain(units.iter().map(|u| u.name.as_str()))
        .chain(std::iter::once("标题"))
        .collect();
    let near = suggestions(&word.text, candidates.iter().copied(), 3);
    let registry_near = suggestions(&word.text, scope.data.registry.all_names(), 1);
    let help = if !near.is_empty() {
        format!("是否应为{}？", quote_list(&near))
    } else if !registry_near.is_empty() {
        format!("是否应为{}？", quote_list(&registry_near))
    } else {
        format!("可用的数字有：{}", quote_list(&keys))
    };
    fail(
        Code::ExpressionName,
        word,
        format!(
            "{}表中没有“{}”（既不是列、概况、比率，也不是单位）",
            spec.name, word.text
        ),
    )
    .help(help)
}

/// A unit named in the text must be the unit's name (or an alias, or a former name still in use)
/// at the month's time, and the unit must exist then.
fn at_the_time(unit: &Unit, word: &Word, month: &MonthId) -> Result<(), Fail> {
    let when = |m: &MonthId| format!("{}年{}月", m.year, m.month);
    if let Some(renamed) = unit.renamed_since(&word.text, month) {
        let now = unit.name_at(month);
        return Err(fail(
            Code::UnitRenamed,
            word,
            format!("“{}”已于{}更名为“{now}”", word.text, when(&renamed)),
        )
        .help(format!("{}起请写“{now}”", when(&renamed))));
    }
    match unit.standing(month) {
        Standing::Exists => Ok(()),
        Standing::NotYet(since) => Err(fail(
            Code::UnitNotYet,
            word,
            format!("单位“{}”于{}设立，{}时还不存在", unit.name, when(&since), when(month)),
        )),
        Standing::Gone(until, _) => Err(fail(
            Code::UnitGone,
            word,
            format!("单位“{}”已于{}撤销，{}时已不存在", unit.name, when(&until), when(month)),
        )),
    }
}

/// `点名("甲、乙")`: units named by hand, printed as written.
fn named(scope: &Scope<'_>, names: &[Word]) -> Result<Value, Fail> {
    let registry = &scope.data.registry;
    let mut items = Vec::new();
    for (written, word) in names.iter().enumerate() {
        let Some(unit) = registry.resolve(&word.text) else {
            return Err(fail(
                Code::UnitUnknown,
                word,
                format!("单位“{}”不在单位名录（data/units.yaml）中", word.text),
            )
            .help(suggest(&word.text, registry.all_names(), "名录中的单位有")));
        };
        at_the_time(unit, word, &scope.month.id)?;
        items.push(Item {
            name: word.text.clone(),
            order: unit.order,
            written,
            figure: None,
        });
    }
    Ok(Value::Units(Units {
        items,
        separator: "、".into(),
        with_figures: false,
    }))
}

/// Applies one filter: one arm a filter, no arm for "the others" (a filter added to
/// [`crate::load::expr::FILTERS`] does not compile until it has its arm here). What a filter
/// takes is checked first, from its entry there.
fn apply(scope: &Scope<'_>, call: &Call, value: Value) -> Result<Value, Fail> {
    let threshold = match call.arg {
        Some(Arg::Threshold(t)) => t,
        _ => 0.0,
    };
    match call.filter {
        Filter::Change { against, than, same } => {
            figure(call, value).and_then(|f| changed(scope, call, f, against, (than, same)))
        }
        Filter::Growth { against, word } => figure(call, value).and_then(|f| growth(scope, call, f, against, word)),
        Filter::Earlier { against, .. } => figure(call, value).and_then(|f| earlier(scope, call, f, against)),
        Filter::RoundHalfUp => figure(call, value).and_then(|f| rounded(call, f, Rounding::HalfUp)),
        Filter::RoundDown => figure(call, value).and_then(|f| rounded(call, f, Rounding::Down)),
        Filter::RoundUp => figure(call, value).and_then(|f| rounded(call, f, Rounding::Up)),
        Filter::Most => figure(call, value).and_then(|f| ranked(call, f, true)),
        Filter::Least => figure(call, value).and_then(|f| ranked(call, f, false)),
        Filter::Zero => figure(call, value).and_then(|f| chosen(call, f, |x| x == 0.0)),
        Filter::NonZero => figure(call, value).and_then(|f| chosen(call, f, |x| x != 0.0)),
        Filter::Above => figure(call, value).and_then(|f| chosen(call, f, |x| x > threshold)),
        Filter::Below => figure(call, value).and_then(|f| chosen(call, f, |x| x < threshold)),
        Filter::AtLeast => figure(call, value).and_then(|f| chosen(call, f, |x| x >= threshold)),
        Filter::AtMost => figure(call, value).and_then(|f| chosen(call, f, |x| x <= threshold)),
        Filter::Equal => figure(call, value).and_then(|f| chosen(call, f, |x| (x - threshold).abs() < 1e-9)),
        Filter::RegistryOrder => units(call, value).map(|mut u| {
            u.items.sort_by_key(|i| i.order);
            Value::Units(u)
        }),
        Filter::ByValue => units(call, value).map(|mut u| {
            u.items
                .sort_by(|a, b| item_value(b).total_cmp(&item_value(a)).then(a.order.cmp(&b.order)));
            Value::Units(u)
        }),
        Filter::Reversed => units(call, value).map(|mut u| {
            u.items.reverse();
            Value::Units(u)
        }),
        Filter::AsWritten => units(call, value).map(|mut u| {
            u.items.sort_by_key(|i| i.written);
            Value::Units(u)
        }),
        Filter::Join => units(call, value).map(|mut u| {
            if let Some(Arg::Separator(s)) = &call.arg {
                u.separator = s.clone();
            }
            Value::Units(u)
        }),
        Filter::WithFigures => units(call, value).map(|mut u| {
            u.with_figures = true;
            Value::Units(u)
        }),
        Filter::Count => units(call, value).map(|u| Value::Count(u.items.len())),
    }
}

/// The figure a filter on figures is applied to, or why it cannot be.
fn figure(call: &Call, value: Value) -> Result<Figure, Fail> {
    match value {
        Value::Figure(fig) => Ok(*fig),
        _ => {
            let name = call.filter.name();
            Err(fail(
                Code::ExpressionFilter,
                &call.name,
                format!("“{name}”只能用在数字后面，例如 {{{{ 热线.本月 | {name} }}}}"),
            ))
        }
    }
}

/// The list of units a filter on lists is applied to, or why it cannot be.
fn units(call: &Call, value: Value) -> Result<Units, Fail> {
    match value {
        Value::Units(units) => Ok(units),
        _ => {
            let name = call.filter.name();
            Err(fail(
                Code::ExpressionFilter,
                &call.name,
                format!("“{name}”只能用在单位名单后面，例如 {{{{ 热线.延期 | 最多(2) | {name} }}}}"),
            ))
        }
    }
}

/// A listed unit's figure, for ordering (a unit without one counts as nothing).
fn item_value(item: &Item) -> f64 {
    item.figure.as_ref().map_or(0.0, |(a, _)| a.number())
}

/// The period `what` compares with, in words, and the folder it is read from.
fn compared(scope: &Scope<'_>, what: Compares) -> (&'static str, MonthId) {
    let previous = if scope.agg.period.len() == 1 {
        "上月"
    } else {
        "上期"
    };
    match what {
        Compares::Previous => (previous, scope.month.compared_month(what)),
        Compares::YearAgo => ("去年同期", scope.month.compared_month(what)),
    }
}

/// A column without a total used as a figure.
fn listing_only(fact: &Fact, at: &Word) -> Fail {
    fail(
        Code::ExpressionName,
        at,
        format!(
            "“{}”这一列没有合计（表格定义中“合计: 无”），只能用来列出单位",
            fact.label
        ),
    )
    .help(format!(
        "例如 {{{{ 表.{} | 最多(1) | 带数 }}}}；要用它的合计，在表格定义中给这一列写 合计: 求和",
        fact.key
    ))
}

/// The figure of the month `what` compares with.
fn before(scope: &Scope<'_>, call: &Call, fig: &Figure, what: Compares) -> Result<Amount, Fail> {
    if fig.fact.listing_only {
        return Err(listing_only(&fig.fact, &call.name));
    }
    let (words, month) = compared(scope, what);
    let amount = match what {
        Compares::Previous => fig.fact.prev,
        Compares::YearAgo => fig.fact.year_ago,
    };
    amount.ok_or_else(|| no_data(fig, call, words, month))
}

/// `较上月`, `比去年同期` …: the change in words.
fn changed(scope: &Scope<'_>, call: &Call, fig: Figure, what: Compares, words: (&str, &str)) -> Result<Value, Fail> {
    let amount = before(scope, call, &fig, what)?;
    change(&fig, amount, words, &call.name).map(Value::Text)
}

/// `同比` / `环比`: the change as a percentage of the figure compared with (a rate's in
/// percentage points), to the argument's decimals (default 1).
fn growth(scope: &Scope<'_>, call: &Call, fig: Figure, what: Compares, word: &str) -> Result<Value, Fail> {
    let amount = before(scope, call, &fig, what)?;
    if matches!(fig.fact.kind, FactKind::Rate(_)) {
        return change(&fig, amount, (word, &format!("{word}持平")), &call.name).map(Value::Text);
    }
    let decimals = match call.arg {
        Some(Arg::Decimals(d)) => d,
        _ => 1,
    };
    let value = |a: Amount| match a {
        Amount::Value(n) => Some(n),
        Amount::Ratio { .. } => None,
    };
    let (Some(now), Some(was)) = (value(fig.fact.now), value(amount)) else {
        return Err(fail(
            Code::ExpressionFilter,
            &call.name,
            format!("“{}”不能算增长率", fig.fact.label),
        ));
    };
    let Some(pct) = now.sub(was).abs().percent_of(was, decimals, Rounding::HalfUp) else {
        let (words, month) = compared(scope, what);
        return Err(fail(
            Code::ExpressionZero,
            &call.name,
            format!(
                "{words}（data/{}）的“{}”为 0，无法计算{word}增长的百分比",
                month.name(),
                fig.fact.label
            ),
        )
        .help(format!("改用“较{words}”写增减的数量")));
    };
    let text = if pct.is_zero() {
        format!("{word}持平")
    } else if now < was {
        format!("{word}下降{}%", pct.text())
    } else {
        format!("{word}增长{}%", pct.text())
    };
    Ok(Value::Text(text))
}

/// `上月` / `去年同期`: the figure of that month.
fn earlier(scope: &Scope<'_>, call: &Call, fig: Figure, what: Compares) -> Result<Value, Fail> {
    let amount = before(scope, call, &fig, what)?;
    let mut out = fig;
    out.fact.now = amount;
    out.fact.prev = None;
    out.fact.year_ago = None;
    out.units = None;
    Ok(Value::Figure(Box::new(out)))
}

/// No data for the month a comparison reads.
fn no_data(fig: &Figure, call: &Call, what: &str, month: MonthId) -> Fail {
    fail(
        Code::ExpressionMonth,
        &call.name,
        format!("没有{what}（data/{}）的{}数据，无法比较", month.name(), fig.table),
    )
    .help("先录入那个月的数据（没有通报时只放表格文件即可），或删去这个比较")
}

/// `四舍五入` / `去尾` / `进一`: a rate or a decimal figure to the argument's decimals.
fn rounded(call: &Call, mut fig: Figure, rounding: Rounding) -> Result<Value, Fail> {
    let decimals = match call.arg {
        Some(Arg::Decimals(d)) => d,
        _ => 0,
    };
    match (fig.fact.kind, fig.fact.now) {
        (FactKind::Rate(_), _) => {
            fig.fact.kind = FactKind::Rate(RateRule {
                rounding,
                decimals,
                keep_zeros: true,
            });
        }
        (FactKind::Value { places, percent }, Amount::Value(n)) if places > 0 => {
            fig.fact.now = Amount::Value(n.round(decimals, rounding));
            fig.fact.kind = FactKind::Value {
                places: decimals,
                percent,
            };
        }
        _ => {
            return Err(fail(
                Code::ExpressionFilter,
                &call.name,
                format!(
                    "“{}”是整数，不能用“{}”（只用于比率和带小数的数字）",
                    fig.fact.label,
                    call.filter.name()
                ),
            ));
        }
    }
    fig.fact.stated = None;
    Ok(Value::Figure(Box::new(fig)))
}

/// Every unit of a table-wide figure with its own figure, in the table's order, or why the figure
/// has no units.
fn listed(call: &Call, fig: &Figure) -> Result<Vec<Item>, Fail> {
    let Some(units) = fig.units.clone() else {
        return Err(fail(
            Code::ExpressionFilter,
            &call.name,
            format!(
                "“{}”要用在整张表的列上（如 热线.延期），不能用在某个单位的数字上",
                call.filter.name()
            ),
        ));
    };
    Ok(units
        .iter()
        .enumerate()
        .filter_map(|(written, u)| {
            let fact = u.facts.get(&fig.fact.key)?;
            let mut one = fig.clone();
            one.fact.now = fact.now;
            Some(Item {
                name: u.name.clone(),
                order: u.order,
                written,
                figure: Some((fact.now, one)),
            })
        })
        .collect())
}

/// A list of units, separated as lists are by default.
fn list(items: Vec<Item>) -> Value {
    Value::Units(Units {
        items,
        separator: "、".into(),
        with_figures: false,
    })
}

/// `为零`, `大于(n)` …: the units whose figure `keep` takes, in registry order.
fn chosen(call: &Call, fig: Figure, keep: impl Fn(f64) -> bool) -> Result<Value, Fail> {
    let mut items = listed(call, &fig)?;
    items.retain(|i| keep(i.figure.as_ref().map_or(f64::NAN, |(a, _)| a.number())));
    items.sort_by_key(|i| i.order);
    Ok(list(items))
}

/// `最多(n)` / `最少(n)`: the `n` units with the largest (or smallest) figures; units with nothing
/// to show are not "the most"; ties keep registry order.
fn ranked(call: &Call, fig: Figure, most: bool) -> Result<Value, Fail> {
    let mut items = listed(call, &fig)?;
    let value = |i: &Item| i.figure.as_ref().map_or(f64::NAN, |(a, _)| a.number());
    let n = match call.arg {
        Some(Arg::Count(n)) => n,
        _ => 1,
    };
    items.retain(|i| !most || value(i) > 0.0);
    items.sort_by(|a, b| {
        let (x, y) = (value(a), value(b));
        let by_value = if most { y.total_cmp(&x) } else { x.total_cmp(&y) };
        by_value.then(a.order.cmp(&b.order))
    });
    items.truncate(n);
    Ok(list(items))
}

/// The change between two amounts in words: 增加12件 / 减少3件 / 提高6个百分点 / 持平. `words` are
/// the comparison (`较上月`) and the phrase for no change. Rates and percent figures change in
/// percentage points, other figures in their measure word, each at its own decimals.
fn change(fig: &Figure, before: Amount, words: (&str, &str), at: &Word) -> Result<String, Fail> {
    let (than, same) = words;
    let over_nothing = || {
        fail(
            Code::ExpressionZero,
            at,
            format!("“{}”的分母为 0，无法比较", fig.fact.label),
        )
    };
    let (now, was, places, points) = match fig.fact.kind {
        FactKind::Rate(rule) => {
            let scaled = |a: Amount| match a {
                Amount::Ratio { num, den } => num.percent_of(den, rule.decimals, rule.rounding),
                Amount::Value(n) => Some(n.round(rule.decimals, rule.rounding)),
            };
            let (Some(now), Some(was)) = (scaled(fig.fact.now), scaled(before)) else {
                return Err(over_nothing());
            };
            (now, was, rule.decimals, true)
        }
        FactKind::Value { places, percent } => {
            let value = |a: Amount| match a {
                Amount::Value(n) => Some(n.round(places, Rounding::HalfUp)),
                Amount::Ratio { .. } => None,
            };
            let (Some(now), Some(was)) = (value(fig.fact.now), value(before)) else {
                return Err(over_nothing());
            };
            (now, was, places, percent)
        }
    };
    let (unit, up, down) = if points {
        ("个百分点".to_string(), "提高", "下降")
    } else {
        (fig.fact.measure.clone().unwrap_or_default(), "增加", "减少")
    };
    let diff = now.sub(was).round(places, Rounding::HalfUp);
    Ok(if diff.is_zero() {
        same.to_string()
    } else if diff.is_negative() {
        format!("{than}{down}{}{unit}", diff.abs().text())
    } else {
        format!("{than}{up}{}{unit}", diff.text())
    })
}
