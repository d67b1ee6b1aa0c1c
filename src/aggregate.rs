//! Stage 3: turn a checked month into plain data: the attachment tables as printed (canonical unit
//! names, totals, rates) and the facts the month's text reads its figures from (each figure with its
//! measure word, last month's and last year's value, and every unit's own value).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::calendar::{MonthId, Period};
use crate::load::expr::Compares;
use crate::load::schema::Rounding;
use crate::load::text::prose;
use crate::load::{Data, MonthTable, TableSpec};

/// The month being printed.
#[derive(Debug, Serialize)]
pub(crate) struct MonthInfo {
    pub 年: i32,
    /// `3`, or `3-4` for a period of two months.
    pub 月: String,
    /// Folder name `YYYY-MM`.
    pub 编号: String,
}

/// A printed row of an attachment table.
#[derive(Debug, Serialize)]
pub(crate) struct RowOut {
    /// 1-based row number.
    pub 序号: usize,
    /// Canonical unit name.
    pub 单位: String,
    /// The printed cells after 序号 and 单位: figures, then rates (“33%”, “—”).
    pub 单元格: Vec<String>,
}

/// An attachment table ready to print.
#[derive(Debug, Serialize)]
pub(crate) struct TableOut {
    pub 编号: String,
    pub 名称: String,
    /// The name the text writes figures with (`热线`).
    pub 简称: String,
    /// Attachment title for this period.
    pub 标题: String,
    /// Headers of all printed columns (序号, 单位, figures, rates).
    pub 表头: Vec<String>,
    /// Rows, in file order or registry order as the description says.
    pub 行: Vec<RowOut>,
    /// The printed 合计 row cells when the description asks for one.
    pub 合计: Option<Vec<String>>,
}

/// A figure's amount: a count, or a ratio printed as a percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Amount {
    Count(u64),
    Ratio { num: u64, den: u64 },
}

/// How a rate is printed: its rounding and decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateRule {
    pub rounding: Rounding,
    pub decimals: u8,
}

/// A figure the text can print: a column's total, a headline figure or a rate, for the whole table
/// or for one unit.
#[derive(Debug, Clone)]
pub(crate) struct Fact {
    pub key: String,
    pub label: String,
    pub measure: Option<String>,
    /// `Some` for rates.
    pub rate: Option<RateRule>,
    pub now: Amount,
    /// The same figure for the period before (`None` when that month has no data).
    pub prev: Option<Amount>,
    /// The same figure a year before.
    pub year_ago: Option<Amount>,
}

/// A unit listed in a table.
#[derive(Debug, Clone)]
pub(crate) struct UnitFact {
    /// The unit's name in the month (a former name while it was in use).
    pub name: String,
    /// Its canonical name.
    pub canonical: String,
    /// Registry order.
    pub order: usize,
    /// Every figure of the unit's row by key (columns and row-level rates).
    pub facts: BTreeMap<String, Fact>,
}

/// What the month's text can read from one table.
#[derive(Debug, Clone)]
pub(crate) struct TableFacts {
    pub title: String,
    /// Column totals, headline figures and rates over them, by key.
    pub facts: BTreeMap<String, Fact>,
    /// The units of the table, in the table's order.
    pub units: Vec<UnitFact>,
}

/// Everything aggregated for one month.
#[derive(Debug)]
pub(crate) struct Aggregate {
    pub month: MonthInfo,
    pub period: Period,
    /// Attachment tables by table id.
    pub tables: BTreeMap<String, TableOut>,
    /// Facts by table id.
    pub facts: BTreeMap<String, Arc<TableFacts>>,
}

/// Aggregates month `id` of `data` (which must have passed the checks without errors).
pub(crate) fn aggregate(data: &Data, id: &str) -> Option<Aggregate> {
    let month = data.month(id)?;
    let period = month.period();
    let prev = data.month(&month.compared_month(Compares::Previous).name());
    let year_ago = data.month(&month.compared_month(Compares::YearAgo).name());
    let mut tables = BTreeMap::new();
    let mut facts = BTreeMap::new();
    for spec in &data.specs {
        let Some(table) = month.table(&spec.id) else {
            continue;
        };
        tables.insert(spec.id.clone(), table_out(data, &period, spec, table));
        let before = prev.and_then(|m| m.table(&spec.id));
        let last_year = year_ago.and_then(|m| m.table(&spec.id));
        facts.insert(
            spec.id.clone(),
            Arc::new(table_facts(data, &period, spec, table, before, last_year)),
        );
    }
    Some(Aggregate {
        month: MonthInfo {
            年: period.year,
            月: period.months(),
            编号: month.name.clone(),
        },
        period,
        tables,
        facts,
    })
}

/// A table row with its unit's registry order, its name as printed in the month (the name in use
/// then) and its canonical name.
type OrderedRow<'t> = (usize, &'t crate::load::month::Row, String, String);

/// Rows in file order, or in registry order when the description asks for it.
fn ordered_rows<'t>(data: &Data, spec: &TableSpec, table: &'t MonthTable, month: &MonthId) -> Vec<OrderedRow<'t>> {
    let mut rows: Vec<_> = table
        .rows
        .iter()
        .map(|r| match data.registry.resolve(&r.unit) {
            Some(u) => (u.order, r, u.name_at(month).to_string(), u.name.clone()),
            None => (usize::MAX, r, r.unit.clone(), r.unit.clone()),
        })
        .collect();
    if spec.registry_order {
        rows.sort_by_key(|(order, ..)| *order);
    }
    rows
}

fn table_out(data: &Data, period: &Period, spec: &TableSpec, table: &MonthTable) -> TableOut {
    let cells = |values: &BTreeMap<String, u64>| -> Vec<String> {
        spec.columns
            .iter()
            .map(|c| values.get(&c.key).map_or(String::new(), u64::to_string))
            .chain(spec.derived.iter().filter(|d| d.shown).map(|d| {
                let (n, den) = (values.get(&d.numerator.0), values.get(&d.denominator.0));
                n.zip(den)
                    .and_then(|(n, den)| d.rounding.percent_text(*n, *den, d.decimals))
                    .map_or("—".to_string(), |v| format!("{v}%"))
            }))
            .collect()
    };
    let rows = ordered_rows(data, spec, table, &period.end())
        .into_iter()
        .enumerate()
        .map(|(i, (_, row, name, _))| {
            let values: BTreeMap<String, u64> = row.values.iter().map(|f| (f.key.clone(), f.value)).collect();
            RowOut {
                序号: i + 1,
                单位: name,
                单元格: cells(&values),
            }
        })
        .collect();
    let mut all = table.totals(spec);
    all.extend(table.headlines.iter().map(|f| (f.key.clone(), f.value)));
    TableOut {
        编号: spec.id.clone(),
        名称: spec.name.clone(),
        简称: spec.expression_name().to_string(),
        标题: prose(&spec.title_for(period)),
        表头: ["序号".to_string(), "单位".to_string()]
            .into_iter()
            .chain(spec.columns.iter().map(|c| c.header()))
            .chain(spec.derived.iter().filter(|d| d.shown).map(|d| d.label.clone()))
            .collect(),
        行: rows,
        合计: spec.total_row.then(|| cells(&all)),
    }
}

/// Every figure of a set of values (column figures, optionally headlines): counts and the rates
/// whose parts are present.
fn amounts(spec: &TableSpec, values: &BTreeMap<String, u64>) -> BTreeMap<String, Amount> {
    let mut out: BTreeMap<String, Amount> = values.iter().map(|(k, v)| (k.clone(), Amount::Count(*v))).collect();
    for d in &spec.derived {
        if let (Some(num), Some(den)) = (values.get(&d.numerator.0), values.get(&d.denominator.0)) {
            out.insert(d.key.clone(), Amount::Ratio { num: *num, den: *den });
        }
    }
    out
}

/// Totals and headlines of a table, with the rates over them.
fn table_amounts(spec: &TableSpec, table: &MonthTable) -> BTreeMap<String, Amount> {
    let mut values = table.totals(spec);
    values.extend(table.headlines.iter().map(|f| (f.key.clone(), f.value)));
    amounts(spec, &values)
}

fn row_values(row: &crate::load::month::Row) -> BTreeMap<String, u64> {
    row.values.iter().map(|f| (f.key.clone(), f.value)).collect()
}

fn describe(spec: &TableSpec, key: &str) -> (String, Option<String>, Option<RateRule>) {
    if let Some(c) = spec.column(key) {
        return (c.label.clone(), c.measure.clone(), None);
    }
    if let Some(h) = spec.headline(key) {
        return (h.label.clone(), h.measure.clone(), None);
    }
    if let Some(d) = spec.derived(key) {
        let rule = RateRule {
            rounding: d.rounding,
            decimals: d.decimals,
        };
        return (d.label.clone(), None, Some(rule));
    }
    (key.to_string(), None, None)
}

fn facts_of(
    spec: &TableSpec,
    now: BTreeMap<String, Amount>,
    prev: Option<&BTreeMap<String, Amount>>,
    year_ago: Option<&BTreeMap<String, Amount>>,
) -> BTreeMap<String, Fact> {
    now.into_iter()
        .map(|(key, amount)| {
            let (label, measure, rate) = describe(spec, &key);
            let fact = Fact {
                label,
                measure,
                rate,
                now: amount,
                prev: prev.and_then(|p| p.get(&key).copied()),
                year_ago: year_ago.and_then(|p| p.get(&key).copied()),
                key: key.clone(),
            };
            (key, fact)
        })
        .collect()
}

fn table_facts(
    data: &Data,
    period: &Period,
    spec: &TableSpec,
    table: &MonthTable,
    prev: Option<&MonthTable>,
    year_ago: Option<&MonthTable>,
) -> TableFacts {
    let prev_all = prev.map(|t| table_amounts(spec, t));
    let year_all = year_ago.map(|t| table_amounts(spec, t));
    // A unit's row in another month, found by canonical name.
    let row_in = |other: Option<&MonthTable>, name: &str| -> Option<BTreeMap<String, Amount>> {
        let row = other?.rows.iter().find(|r| {
            data.registry
                .resolve(&r.unit)
                .map_or(r.unit.as_str(), |u| u.name.as_str())
                == name
        })?;
        Some(amounts(spec, &row_values(row)))
    };
    let units = ordered_rows(data, spec, table, &period.end())
        .into_iter()
        .map(|(order, row, name, canonical)| UnitFact {
            facts: facts_of(
                spec,
                amounts(spec, &row_values(row)),
                row_in(prev, &canonical).as_ref(),
                row_in(year_ago, &canonical).as_ref(),
            ),
            name,
            canonical,
            order,
        })
        .collect();
    TableFacts {
        title: prose(&spec.title_for(period)),
        facts: facts_of(spec, table_amounts(spec, table), prev_all.as_ref(), year_all.as_ref()),
        units,
    }
}
