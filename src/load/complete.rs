//! The figures a month's file need not write: computed columns (`计算`, from the row's other
//! figures) and cumulative ones (`累计`, the same unit's figures of the year so far, from the
//! earlier months' data). Filled in once every month a build reads is loaded, oldest first, so a
//! month's cumulative figures read the earlier months' completed ones. A figure the file writes
//! stays as written (it is what the office published); what tongbao computes for it is kept
//! beside it for `check` to compare.

use super::Registry;
use super::month::{Figure, Month, MonthTable, Row};
use super::number::Num;
use super::schema::{Column, Form, Source, TableSpec};
use crate::calendar::{MonthId, Period};

/// The month folders of `period`'s year before it, newest first, that a cumulative figure adds
/// up, and the months no folder covers. `exists` says whether a folder has the data, `period_of`
/// which months it covers (a quarter's folder covers three).
pub(crate) fn year_so_far(
    period: &Period,
    exists: impl Fn(&str) -> bool,
    mut period_of: impl FnMut(&str) -> Option<Period>,
) -> (Vec<String>, Vec<MonthId>) {
    let (mut folders, mut missing) = (Vec::new(), Vec::new());
    let mut month = period.first;
    while month > 1 {
        let id = MonthId {
            year: period.year,
            month: month - 1,
        };
        let name = id.name();
        if !exists(&name) {
            missing.push(id);
            month -= 1;
            continue;
        }
        let first = period_of(&name).map_or(id.month, |p| p.first);
        folders.push(name);
        month = first.min(id.month);
    }
    (folders, missing)
}

/// Completes every month of `months` (oldest first) against the months before it.
pub(crate) fn complete(months: &mut [Month], specs: &[TableSpec], registry: &Registry) {
    for i in 0..months.len() {
        let (earlier, rest) = months.split_at_mut(i);
        let month = &mut rest[0];
        let period = month.period();
        for table in &mut month.tables {
            let Some(spec) = specs.iter().find(|s| s.id == table.id) else {
                continue;
            };
            let order = spec.computing_order().unwrap_or_default();
            if order.is_empty() {
                continue;
            }
            let before: Vec<&MonthTable> = if spec.cumulative() {
                let has = |n: &str| earlier.iter().any(|m| m.name == n && m.table(&spec.id).is_some());
                let (folders, missing) = year_so_far(&period, has, |n| {
                    earlier.iter().find(|m| m.name == n).map(Month::period)
                });
                table.missing = missing;
                folders
                    .iter()
                    .filter_map(|n| earlier.iter().find(|m| &m.name == n)?.table(&spec.id))
                    .collect()
            } else {
                Vec::new()
            };
            complete_table(spec, &period.end(), table, &before, registry);
        }
    }
}

/// Completes the rows of one table; `before` holds the same table in the earlier months of the
/// year a cumulative column adds up.
pub(crate) fn complete_table(
    spec: &TableSpec,
    month: &MonthId,
    table: &mut MonthTable,
    before: &[&MonthTable],
    registry: &Registry,
) {
    let order: Vec<&Column> = spec
        .computing_order()
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.exists(month))
        .collect();
    let canonical = |unit: &str| registry.resolve(unit).map_or(unit, |u| u.name.as_str()).to_string();
    for row in &mut table.rows {
        let unit = canonical(&row.unit);
        for col in &order {
            let value = match &col.source {
                Source::Computed(f) => f.eval(&|k| row.value(k), col.kind.places(), col.rounding),
                Source::Cumulative { of } if spec.form == Form::Units => {
                    let earlier = before
                        .iter()
                        .filter_map(|t| t.rows.iter().find(|r| canonical(&r.unit) == unit))
                        .filter_map(|r| r.value(of));
                    let all: Vec<Num> = row.value(of).into_iter().chain(earlier).collect();
                    (!all.is_empty()).then(|| all.into_iter().fold(Num::int(0), Num::add))
                }
                _ => None,
            };
            // Nothing is computed from a figure not known yet.
            let inputs = match &col.source {
                Source::Computed(f) => f.keys(),
                Source::Cumulative { of } => vec![of.as_str()],
                Source::Stated => Vec::new(),
            };
            let earlier_pending = matches!(&col.source, Source::Cumulative { of } if before
                .iter()
                .filter_map(|t| t.rows.iter().find(|r| canonical(&r.unit) == unit))
                .any(|r| r.is_pending(of)));
            if earlier_pending || inputs.iter().any(|k| row.is_pending(k)) {
                row.pending.push(col.key.clone());
                continue;
            }
            settle(row, col, value);
        }
    }
}

/// Records what column `col` computes to in `row`; a cell the file does not write takes it (or is
/// blank when there is nothing to compute from).
fn settle(row: &mut Row, col: &Column, value: Option<Num>) {
    if let Some(v) = value {
        row.computed.push(Figure {
            key: col.key.clone(),
            value: v,
            loc: row.loc.clone(),
        });
    }
    if row.value(&col.key).is_some() || row.is_blank(&col.key) {
        return;
    }
    match value {
        Some(v) => row.values.push(Figure {
            key: col.key.clone(),
            value: v,
            loc: row.loc.clone(),
        }),
        None => row.blanks.push(col.key.clone()),
    }
}
