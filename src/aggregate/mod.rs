//! Stage 3: turn a checked month into plain data: the attachment tables as printed (canonical unit
//! names, totals, rates) and the facts the month's text reads its figures from (each figure with its
//! measure word, last month's and last year's value, and every unit's own value).

mod table;

use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) use table::{PartOut, Role, TableOut, TotalOut, pending_mark};

use serde::Serialize;

use crate::calendar::{MonthId, Period};
use crate::load::expr::Compares;
use crate::load::month::Row;
use crate::load::number::{Num, Rounding};
use crate::load::schema::{Kind, shown};
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

/// A figure's amount: a value (a count or a figure with decimals), or a ratio printed as a percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Amount {
    Value(Num),
    Ratio { num: Num, den: Num },
}

impl Amount {
    /// The amount as a number (percent for ratios), for rankings and thresholds; NaN for a ratio
    /// over nothing.
    pub(crate) fn number(self) -> f64 {
        match self {
            Amount::Value(n) => n.to_f64(),
            Amount::Ratio { num, den } if !den.is_zero() => num.to_f64() * 100.0 / den.to_f64(),
            Amount::Ratio { .. } => f64::NAN,
        }
    }
}

/// How a rate is printed: its rounding, decimals and whether trailing zeros stay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RateRule {
    pub rounding: Rounding,
    pub decimals: u8,
    pub keep_zeros: bool,
}

/// What kind of figure a fact is, for printing and comparing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FactKind {
    /// A count or a figure with decimals (`places` of them): compared in its measure word.
    Value { places: u8, percent: bool },
    /// A rate computed by tongbao: compared in percentage points.
    Rate(RateRule),
}

/// A figure the text can print: a column's total, a headline figure or a rate, for the whole table
/// or for one unit.
#[derive(Debug, Clone)]
pub(crate) struct Fact {
    pub key: String,
    pub label: String,
    pub measure: Option<String>,
    pub kind: FactKind,
    pub now: Amount,
    /// The same figure for the period before (`None` when that month has no data).
    pub prev: Option<Amount>,
    /// The same figure a year before.
    pub year_ago: Option<Amount>,
    /// The figure as the month's file states it (`57.10%`), printed as written.
    pub stated: Option<String>,
    /// Whether it is a column without a total (`合计: 无`): its units can be listed (`最多`),
    /// but it has no figure of its own to print or compare (`now` is then 0 and means nothing).
    pub listing_only: bool,
}

impl Fact {
    /// The amount as printed in the text (a rate without its `%`, which the text writes);
    /// `None` for a rate over nothing.
    pub(crate) fn text(&self, amount: Amount) -> Option<String> {
        match (amount, self.kind) {
            (Amount::Value(n), FactKind::Value { places, .. }) => Some(n.round(places, Rounding::HalfUp).text()),
            (Amount::Value(n), FactKind::Rate(_)) => Some(n.text()),
            (Amount::Ratio { num, den }, kind) => {
                let rule = match kind {
                    FactKind::Rate(r) => r,
                    FactKind::Value { places, .. } => RateRule {
                        rounding: Rounding::HalfUp,
                        decimals: places,
                        keep_zeros: true,
                    },
                };
                let v = num.percent_of(den, rule.decimals, rule.rounding)?;
                Some(shown(v, rule.keep_zeros))
            }
        }
    }

    /// What the text prints for the figure now: the stated figure as written (without `%`),
    /// else the computed one.
    pub(crate) fn printed(&self) -> Option<String> {
        match &self.stated {
            Some(s) => Some(s.trim_end_matches('%').to_string()),
            None => self.text(self.now),
        }
    }
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
    for spec in data.specs.iter() {
        let Some(table) = month.table(&spec.id) else {
            continue;
        };
        tables.insert(spec.id.clone(), table::table_out(data, &period, spec, table));
        let others = Others {
            prev: prev.and_then(|m| m.table(&spec.id).map(|t| (t, m.id.clone()))),
            year_ago: year_ago.and_then(|m| m.table(&spec.id).map(|t| (t, m.id.clone()))),
        };
        facts.insert(
            spec.id.clone(),
            Arc::new(table_facts(data, &period, spec, table, &others)),
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

/// The same table in the months compared with, and their months.
struct Others<'d> {
    prev: Option<(&'d MonthTable, MonthId)>,
    year_ago: Option<(&'d MonthTable, MonthId)>,
}

/// A table row with its unit's registry order, its name as printed in the month (the name in use
/// then) and its canonical name.
type OrderedRow<'t> = (usize, &'t Row, String, String);

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
    if spec.order == crate::load::schema::Order::Registry {
        rows.sort_by_key(|(order, ..)| *order);
    }
    rows.retain(|(_, r, ..)| !r.unit.is_empty());
    rows
}

/// Every figure of a set of values (column figures, optionally headlines): the values and the
/// rates whose parts are present.
fn amounts(spec: &TableSpec, month: &MonthId, values: &BTreeMap<String, Num>) -> BTreeMap<String, Amount> {
    let mut out: BTreeMap<String, Amount> = values.iter().map(|(k, v)| (k.clone(), Amount::Value(*v))).collect();
    for d in spec.derived_at(month) {
        if let Some((num, den)) = d.parts(&|k| values.get(k).copied()) {
            out.insert(d.key.clone(), Amount::Ratio { num, den });
        }
    }
    out
}

/// Totals and headlines of a table, with the rates over them.
fn table_amounts(spec: &TableSpec, table: &MonthTable, month: &MonthId) -> BTreeMap<String, Amount> {
    let mut values = table.totals(spec, month);
    values.extend(table.headlines.iter().map(|f| (f.key.clone(), f.value)));
    amounts(spec, month, &values)
}

fn row_values(row: &Row) -> BTreeMap<String, Num> {
    row.values.iter().map(|f| (f.key.clone(), f.value)).collect()
}

fn describe(spec: &TableSpec, key: &str, month: &MonthId) -> (String, Option<String>, FactKind) {
    if let Some(c) = spec.column(key) {
        let kind = FactKind::Value {
            places: c.kind.places(),
            percent: matches!(c.kind, Kind::Percent { .. }),
        };
        return (c.label_at(month).to_string(), c.measure.clone(), kind);
    }
    if let Some(h) = spec.headline(key) {
        return (
            h.label.clone(),
            h.measure.clone(),
            FactKind::Value {
                places: 0,
                percent: false,
            },
        );
    }
    if let Some(d) = spec.derived(key) {
        let rule = RateRule {
            rounding: d.rounding,
            decimals: d.decimals,
            keep_zeros: d.keep_zeros,
        };
        return (d.label.clone(), None, FactKind::Rate(rule));
    }
    (
        key.to_string(),
        None,
        FactKind::Value {
            places: 0,
            percent: false,
        },
    )
}

fn facts_of(
    spec: &TableSpec,
    month: &MonthId,
    now: BTreeMap<String, Amount>,
    prev: Option<&BTreeMap<String, Amount>>,
    year_ago: Option<&BTreeMap<String, Amount>>,
    row: Option<&Row>,
) -> BTreeMap<String, Fact> {
    now.into_iter()
        .map(|(key, amount)| {
            let (label, measure, kind) = describe(spec, &key, month);
            let fact = Fact {
                label,
                measure,
                kind,
                now: amount,
                prev: prev.and_then(|p| p.get(&key).copied()),
                year_ago: year_ago.and_then(|p| p.get(&key).copied()),
                stated: row.and_then(|r| r.stated(&key)).map(|s| s.text.clone()),
                key: key.clone(),
                listing_only: false,
            };
            (key, fact)
        })
        .collect()
}

fn table_facts(data: &Data, period: &Period, spec: &TableSpec, table: &MonthTable, others: &Others<'_>) -> TableFacts {
    let month = period.end();
    let all = |other: &Option<(&MonthTable, MonthId)>| other.as_ref().map(|(t, m)| table_amounts(spec, t, m));
    let (prev_all, year_all) = (all(&others.prev), all(&others.year_ago));
    // A unit's row in another month, found by canonical name.
    let row_in = |other: &Option<(&MonthTable, MonthId)>, name: &str| -> Option<BTreeMap<String, Amount>> {
        let (t, m) = other.as_ref()?;
        let row = t.rows.iter().find(|r| {
            data.registry
                .resolve(&r.unit)
                .map_or(r.unit.as_str(), |u| u.name.as_str())
                == name
        })?;
        Some(amounts(spec, m, &row_values(row)))
    };
    let units = ordered_rows(data, spec, table, &month)
        .into_iter()
        .map(|(order, row, name, canonical)| UnitFact {
            facts: facts_of(
                spec,
                &month,
                amounts(spec, &month, &row_values(row)),
                row_in(&others.prev, &canonical).as_ref(),
                row_in(&others.year_ago, &canonical).as_ref(),
                Some(row),
            ),
            name,
            canonical,
            order,
        })
        .collect();
    let mut facts = facts_of(
        spec,
        &month,
        table_amounts(spec, table, &month),
        prev_all.as_ref(),
        year_all.as_ref(),
        None,
    );
    // A column without a total still lists its units (`{{ 信息.得分 | 最多(1) }}`).
    for c in spec.columns_at(&month).into_iter().filter(|c| c.kind.is_figure()) {
        if !facts.contains_key(&c.key) {
            let mut fact = facts_of(
                spec,
                &month,
                BTreeMap::from([(c.key.clone(), Amount::Value(Num::int(0)))]),
                None,
                None,
                None,
            );
            if let Some(mut f) = fact.remove(&c.key) {
                f.listing_only = true;
                facts.insert(c.key.clone(), f);
            }
        }
    }
    let rows = crate::load::schema::ROW_COUNT;
    let mut count = facts_of(
        spec,
        &month,
        BTreeMap::from([(rows.to_string(), Amount::Value(Num::int(table.rows.len() as i128)))]),
        None,
        None,
        None,
    );
    facts.extend(count.remove(rows).map(|f| (rows.to_string(), f)));
    TableFacts {
        title: prose(&spec.title_for(period)),
        facts,
        units,
    }
}
