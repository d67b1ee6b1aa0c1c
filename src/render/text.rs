//! The month's text with its figures filled in: every `{{ … }}` of `通报.txt` evaluated by minijinja
//! against the month's facts, line by line, into plain text.
//!
//! The notation is for office staff (README, "通报正文怎么写"): `{{ 督办.交办任务 }}` prints a
//! figure, `{{ 网站.采纳率 | 四舍五入(1) }}` a rate with one decimal, `{{ 热线.本月 | 较上月 }}` the
//! change from last month in words, `{{ 热线.延期 | 最多(2) }}` the two units with the most, and so on.
//! The environment has no loader and no access to files; a fuel limit stops runaway loops. What a
//! figure prints is plain text: a line break in data becomes a space, so data cannot add headings,
//! and the text reaches Typst only as string literals.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use minijinja::value::{Object, ObjectRepr, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};

use crate::aggregate::{Aggregate, Amount, Fact, RateRule, TableFacts, UnitFact};
use crate::diag::Diagnostic;
use crate::load::schema::{Rounding, scaled_text};
use crate::load::text::{Line, normalize_expressions, split_names};
use crate::load::{Registry, TableSpec};

/// Steps one line may take (a figure takes a few dozen): enough for any sentence, not for a loop
/// that never ends.
const FUEL: u64 = 50_000;

/// A figure as the text sees it.
#[derive(Debug, Clone)]
struct Figure {
    fact: Fact,
    /// Every unit's own value of this figure (for lists), when it is a table-wide figure.
    units: Option<Arc<Vec<UnitFact>>>,
}

impl Figure {
    /// The amount as printed: a whole number, or a percent with the rate's decimals.
    fn text(&self, amount: Amount) -> Result<String, Error> {
        match (amount, self.fact.rate) {
            (Amount::Count(n), _) => Ok(n.to_string()),
            (Amount::Ratio { num, den }, rule) => {
                let rule = rule.unwrap_or(RateRule {
                    rounding: Rounding::HalfUp,
                    decimals: 0,
                });
                rule.rounding
                    .percent_text(num, den, rule.decimals)
                    .ok_or_else(|| failure(format!("“{}”的分母为 0，无法计算", self.fact.label)))
            }
        }
    }

    /// The amount as a number (percent for rates), for comparisons.
    fn number(amount: Amount) -> f64 {
        match amount {
            Amount::Count(n) => n as f64,
            Amount::Ratio { num, den } if den > 0 => num as f64 * 100.0 / den as f64,
            Amount::Ratio { .. } => f64::NAN,
        }
    }
}

impl Object for Figure {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The formatter prints figures (it can report a zero denominator); this is for `string`.
        f.write_str(&self.text(self.fact.now).unwrap_or_default())
    }
}

/// A unit in a list: its name as printed, its registry order and the figure it was chosen by
/// (none for units named by hand).
type Item = (String, usize, Option<(Amount, Figure)>);

/// A unit's name, registry order and own value of a figure.
type UnitValue = (String, usize, Amount);

/// A list of units, as the text prints it: names joined by `、`.
#[derive(Debug, Clone)]
struct Units {
    items: Vec<Item>,
    separator: String,
    with_figures: bool,
}

impl Object for Units {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn is_true(self: &Arc<Self>) -> bool {
        !self.items.is_empty()
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl Units {
    fn text(&self) -> String {
        if self.items.is_empty() {
            return "无".into();
        }
        self.items
            .iter()
            .map(|(name, _, figure)| match figure {
                Some((amount, fig)) if self.with_figures => {
                    let value = fig.text(*amount).unwrap_or_default();
                    let unit = if fig.fact.rate.is_some() {
                        "%".to_string()
                    } else {
                        fig.fact.measure.clone().unwrap_or_default()
                    };
                    format!("{name}（{value}{unit}）")
                }
                _ => name.clone(),
            })
            .collect::<Vec<_>>()
            .join(&self.separator)
    }
}

/// A table: its figures by key, its units by name or alias, its title.
#[derive(Debug)]
struct Table {
    facts: Arc<TableFacts>,
    units: Arc<Vec<UnitFact>>,
    /// Every name and alias → canonical name and registry order.
    names: Arc<BTreeMap<String, (String, usize)>>,
}

impl Object for Table {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let key = key.as_str()?;
        if key == "标题" {
            return Some(Value::from(self.facts.title.clone()));
        }
        if let Some(fact) = self.facts.facts.get(key) {
            return Some(Value::from_object(Figure {
                fact: fact.clone(),
                units: Some(self.units.clone()),
            }));
        }
        let (canonical, _) = self.names.get(key)?;
        let unit = self.units.iter().find(|u| &u.canonical == canonical)?;
        Some(Value::from_object(UnitRow {
            written: key.to_string(),
            unit: unit.clone(),
        }))
    }
}

/// One unit's row: prints the unit's name as written; `.键` gives its figures.
#[derive(Debug)]
struct UnitRow {
    written: String,
    unit: UnitFact,
}

impl Object for UnitRow {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let fact = self.unit.facts.get(key.as_str()?)?;
        Some(Value::from_object(Figure {
            fact: fact.clone(),
            units: None,
        }))
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.written)
    }
}

fn failure(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

fn figure(value: &Value, filter: &str) -> Result<Arc<Figure>, Error> {
    value.downcast_object::<Figure>().ok_or_else(|| {
        failure(format!(
            "“{filter}”只能用在数字后面，例如 {{{{ 热线.本月 | {filter} }}}}"
        ))
    })
}

fn units_of(value: &Value, filter: &str) -> Result<Arc<Units>, Error> {
    if let Some(u) = value.downcast_object::<Units>() {
        return Ok(u);
    }
    Err(failure(format!(
        "“{filter}”只能用在单位名单后面，例如 {{{{ 热线.延期 | 最多(2) | {filter} }}}}"
    )))
}

/// The units of a table-wide figure with their own values of it.
fn per_unit(value: &Value, filter: &str) -> Result<(Arc<Figure>, Vec<UnitValue>), Error> {
    let fig = figure(value, filter)?;
    let Some(units) = &fig.units else {
        return Err(failure(format!(
            "“{filter}”要用在整张表的列上（如 热线.延期），不能用在某个单位的数字上"
        )));
    };
    let list = units
        .iter()
        .filter_map(|u| u.facts.get(&fig.fact.key).map(|f| (u.name.clone(), u.order, f.now)))
        .collect();
    Ok((fig, list))
}

fn unit_list(fig: &Arc<Figure>, list: Vec<UnitValue>) -> Value {
    Value::from_object(Units {
        items: list
            .into_iter()
            .map(|(name, order, amount)| {
                let mut one = (**fig).clone();
                one.fact.now = amount;
                (name, order, Some((amount, one)))
            })
            .collect(),
        separator: "、".into(),
        with_figures: false,
    })
}

/// The change between two amounts in words: 增加12件 / 减少3件 / 提高6个百分点 / 持平. `words` are
/// the comparison (`较上月`), the phrase for no change and the period compared with (`上月`).
fn change(fig: &Figure, before: Option<Amount>, words: (&str, &str, &str)) -> Result<String, Error> {
    let (than, same, what) = words;
    let before = before.ok_or_else(|| failure(format!("没有{what}的“{}”可比", fig.fact.label)))?;
    let (now, was, unit, up, down) = match fig.fact.rate {
        Some(rule) => {
            let scaled = |a: Amount| match a {
                Amount::Ratio { num, den } => rule.rounding.scaled_percent(num, den, rule.decimals),
                Amount::Count(n) => Some(i128::from(n) * 10i128.pow(u32::from(rule.decimals))),
            };
            let (Some(now), Some(was)) = (scaled(fig.fact.now), scaled(before)) else {
                return Err(failure(format!("“{}”的分母为 0，无法比较", fig.fact.label)));
            };
            (now, was, "个百分点".to_string(), "提高", "下降")
        }
        None => {
            let count = |a: Amount| match a {
                Amount::Count(n) => i128::from(n),
                Amount::Ratio { .. } => 0,
            };
            let unit = fig.fact.measure.clone().unwrap_or_default();
            (count(fig.fact.now), count(before), unit, "增加", "减少")
        }
    };
    let decimals = fig.fact.rate.map_or(0, |r| r.decimals);
    let diff = now - was;
    Ok(match diff.cmp(&0) {
        std::cmp::Ordering::Equal => same.to_string(),
        std::cmp::Ordering::Greater => format!("{than}{up}{}{unit}", scaled_text(diff, decimals)),
        std::cmp::Ordering::Less => format!("{than}{down}{}{unit}", scaled_text(-diff, decimals)),
    })
}

fn threshold(arg: &Value) -> Result<f64, Error> {
    match arg.kind() {
        ValueKind::Number => f64::try_from(arg.clone()).map_err(|_| failure("应当是数字")),
        _ => Err(failure(format!("“{arg}”应当是数字，例如 大于(10)"))),
    }
}

fn select(value: &Value, name: &str, keep: impl Fn(f64) -> bool) -> Result<Value, Error> {
    let (fig, mut list) = per_unit(value, name)?;
    list.retain(|(_, _, a)| keep(Figure::number(*a)));
    list.sort_by_key(|(_, order, _)| *order);
    Ok(unit_list(&fig, list))
}

fn ranked(value: &Value, name: &str, n: i64, most: bool) -> Result<Value, Error> {
    let (fig, mut list) = per_unit(value, name)?;
    if n < 1 {
        return Err(failure(format!("“{name}”后面的个数应当至少为 1")));
    }
    // Units with nothing to show are not "the most"; ties keep registry order.
    list.retain(|(_, _, a)| !most || Figure::number(*a) > 0.0);
    list.sort_by(|a, b| {
        let (x, y) = (Figure::number(a.2), Figure::number(b.2));
        let by_value = if most { y.total_cmp(&x) } else { x.total_cmp(&y) };
        by_value.then(a.1.cmp(&b.1))
    });
    list.truncate(n as usize);
    Ok(unit_list(&fig, list))
}

fn with_rule(value: &Value, name: &str, rounding: Rounding, decimals: Option<i64>) -> Result<Value, Error> {
    let fig = figure(value, name)?;
    if fig.fact.rate.is_none() {
        return Err(failure(format!("“{}”不是比率，不能用“{name}”", fig.fact.label)));
    }
    let decimals = decimals.unwrap_or(0);
    if !(0..=3).contains(&decimals) {
        return Err(failure("小数位应为 0 到 3"));
    }
    let mut out = (*fig).clone();
    out.fact.rate = Some(RateRule {
        rounding,
        decimals: decimals as u8,
    });
    Ok(Value::from_object(out))
}

/// The environment for month texts: the filters, the `点名` function, strict undefined values, a
/// fuel limit, and a formatter that prints plain text.
pub(crate) fn environment(registry: &Registry) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    env.set_formatter(|out, _state: &mut State, value| {
        let text = if let Some(fig) = value.downcast_object_ref::<Figure>() {
            fig.text(fig.fact.now)?
        } else if value.is_undefined() || value.is_none() {
            String::new()
        } else {
            value.to_string()
        };
        out.write_str(&text.replace(['\n', '\r'], " "))?;
        Ok(())
    });
    env.add_filter("较上月", |v: Value| -> Result<String, Error> {
        let fig = figure(&v, "较上月")?;
        change(&fig, fig.fact.prev, ("较上月", "与上月持平", "上月"))
    });
    env.add_filter("较去年同期", |v: Value| -> Result<String, Error> {
        let fig = figure(&v, "较去年同期")?;
        change(&fig, fig.fact.year_ago, ("较去年同期", "与去年同期持平", "去年同期"))
    });
    fn earlier(v: &Value, name: &str, pick: fn(&Fact) -> Option<Amount>, what: &str) -> Result<Value, Error> {
        let fig = figure(v, name)?;
        let amount = pick(&fig.fact).ok_or_else(|| failure(format!("没有{what}的“{}”", fig.fact.label)))?;
        let mut out = (*fig).clone();
        out.fact.now = amount;
        out.fact.prev = None;
        out.fact.year_ago = None;
        out.units = None;
        Ok(Value::from_object(out))
    }
    env.add_filter("上月", |v: Value| earlier(&v, "上月", |f| f.prev, "上月"));
    env.add_filter("去年同期", |v: Value| {
        earlier(&v, "去年同期", |f| f.year_ago, "去年同期")
    });
    env.add_filter("四舍五入", |v: Value, d: Option<i64>| {
        with_rule(&v, "四舍五入", Rounding::HalfUp, d)
    });
    env.add_filter("去尾", |v: Value, d: Option<i64>| {
        with_rule(&v, "去尾", Rounding::Down, d)
    });
    env.add_filter("进一", |v: Value, d: Option<i64>| {
        with_rule(&v, "进一", Rounding::Up, d)
    });
    env.add_filter("最多", |v: Value, n: Option<i64>| {
        ranked(&v, "最多", n.unwrap_or(1), true)
    });
    env.add_filter("最少", |v: Value, n: Option<i64>| {
        ranked(&v, "最少", n.unwrap_or(1), false)
    });
    env.add_filter("为零", |v: Value| select(&v, "为零", |x| x == 0.0));
    env.add_filter("不为零", |v: Value| select(&v, "不为零", |x| x != 0.0));
    env.add_filter("大于", |v: Value, t: Value| {
        let t = threshold(&t)?;
        select(&v, "大于", |x| x > t)
    });
    env.add_filter("小于", |v: Value, t: Value| {
        let t = threshold(&t)?;
        select(&v, "小于", |x| x < t)
    });
    env.add_filter("不小于", |v: Value, t: Value| {
        let t = threshold(&t)?;
        select(&v, "不小于", |x| x >= t)
    });
    env.add_filter("不大于", |v: Value, t: Value| {
        let t = threshold(&t)?;
        select(&v, "不大于", |x| x <= t)
    });
    env.add_filter("等于", |v: Value, t: Value| {
        let t = threshold(&t)?;
        select(&v, "等于", |x| (x - t).abs() < 1e-9)
    });
    env.add_filter("按名录", |v: Value| -> Result<Value, Error> {
        let mut u = (*units_of(&v, "按名录")?).clone();
        u.items.sort_by_key(|(_, order, _)| *order);
        Ok(Value::from_object(u))
    });
    env.add_filter("按数值", |v: Value| -> Result<Value, Error> {
        let mut u = (*units_of(&v, "按数值")?).clone();
        u.items.sort_by(|a, b| {
            let n = |x: &Option<(Amount, Figure)>| x.as_ref().map_or(0.0, |(a, _)| Figure::number(*a));
            n(&b.2).total_cmp(&n(&a.2)).then(a.1.cmp(&b.1))
        });
        Ok(Value::from_object(u))
    });
    env.add_filter("连接", |v: Value, sep: String| -> Result<Value, Error> {
        let mut u = (*units_of(&v, "连接")?).clone();
        u.separator = sep;
        Ok(Value::from_object(u))
    });
    env.add_filter("带数", |v: Value| -> Result<Value, Error> {
        let mut u = (*units_of(&v, "带数")?).clone();
        u.with_figures = true;
        Ok(Value::from_object(u))
    });
    env.add_filter("个数", |v: Value| -> Result<usize, Error> {
        Ok(units_of(&v, "个数")?.items.len())
    });
    let names = Arc::new(registry_names(registry));
    env.add_function(
        "点名",
        move |args: minijinja::value::Rest<String>| -> Result<Value, Error> {
            let mut items = Vec::new();
            for arg in args.iter() {
                for name in split_names(arg) {
                    let Some((_, order)) = names.get(name) else {
                        return Err(failure(format!("单位“{name}”不在单位名录中")));
                    };
                    items.push((name.to_string(), *order, None));
                }
            }
            Ok(Value::from_object(Units {
                items,
                separator: "、".into(),
                with_figures: false,
            }))
        },
    );
    env
}

/// Every canonical name and alias → canonical name and registry order.
fn registry_names(registry: &Registry) -> BTreeMap<String, (String, usize)> {
    let mut names = BTreeMap::new();
    for u in &registry.units {
        names.insert(u.name.clone(), (u.name.clone(), u.order));
        for (a, _) in &u.aliases {
            names.insert(a.clone(), (u.name.clone(), u.order));
        }
    }
    names
}

/// The values the text's expressions start from: the period and one object per table, under its
/// short name and its id.
pub(crate) fn context(agg: &Aggregate, specs: &[TableSpec], registry: &Registry) -> Value {
    let names = Arc::new(registry_names(registry));
    let mut map: BTreeMap<String, Value> = BTreeMap::new();
    map.insert("年".into(), Value::from(agg.period.year));
    map.insert("月".into(), Value::from(agg.period.months()));
    map.insert("期间".into(), Value::from(agg.period.label()));
    for spec in specs {
        let Some(facts) = agg.facts.get(&spec.id) else { continue };
        let table = Value::from_object(Table {
            units: Arc::new(facts.units.clone()),
            facts: facts.clone(),
            names: names.clone(),
        });
        map.insert(spec.id.clone(), table.clone());
        map.insert(spec.expression_name().to_string(), table);
    }
    Value::from(map)
}

/// Evaluates one line (or a part of one, from character `from` on, `len` characters). An error is
/// a diagnostic at the expression that failed.
pub(crate) fn evaluate(
    env: &Environment<'static>,
    ctx: &Value,
    line: &Line,
    from: usize,
    len: Option<usize>,
) -> Result<String, Diagnostic> {
    let normal = normalize_expressions(&line.text);
    let part: String = match len {
        Some(n) => normal.chars().skip(from).take(n).collect(),
        None => normal.chars().skip(from).collect(),
    };
    if !part.contains("{{") && !part.contains("{%") {
        return Ok(part);
    }
    let name = line.loc.src.path.display().to_string();
    env.render_named_str(&name, &part, ctx.clone()).map_err(|e| {
        let (col, width) = e
            .range()
            .map(|r| {
                let start = part.get(..r.start).map_or(0, |s| s.chars().count());
                let width = part.get(r).map_or(1, |s| s.chars().count());
                (start, width)
            })
            .unwrap_or((0, part.chars().count()));
        let detail = e.detail().map(str::to_string).unwrap_or_else(|| e.to_string());
        let message = match e.kind() {
            ErrorKind::UndefinedError => "表达式里的名称不存在".to_string(),
            ErrorKind::SyntaxError => format!("表达式写法有误：{detail}"),
            ErrorKind::UnknownFilter => format!("没有这个写法：{detail}"),
            ErrorKind::UnknownFunction => format!("没有这个函数：{detail}"),
            ErrorKind::OutOfFuel => "表达式太复杂（循环太多），已停止".to_string(),
            _ => detail,
        };
        Diagnostic::error("expression", &line.at(from + col, width.max(1)), message)
            .help("表达式写在 {{ 和 }} 之间，例如 {{ 热线.本月 }}、{{ 网站.采纳率 | 四舍五入(1) }}；写法见 README“通报正文怎么写”")
    })
}
