//! An attachment as printed: its columns (the number column, 单位, the figures and the rates
//! shown), its header rows with their groups, its rows in order under their sub-tables with the
//! 合计 rows the description asks for, or its paragraphs. One model every output prints from:
//! the PDF, the web page, the Word file and the workbook.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::calendar::{MonthId, Period};
use crate::load::month::{Row, totals_of};
use crate::load::number::{Num, Rounding};
use crate::load::schema::{Column, Form, NumberColumn, Order};
use crate::load::text::prose;
use crate::load::{Data, MonthTable, Registry, TableSpec};

pub(crate) use crate::load::page::Role;

/// A printed column.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ColumnOut {
    /// Its header (`本月投诉（件）`).
    pub 表头: String,
    pub 类: Role,
}

/// A cell of the header: its text, the lines it prints in (filled by render,
/// [`crate::render::break_headers`]), and the columns and header rows it spans.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct HeadCell {
    pub 文字: String,
    pub 分行: Vec<String>,
    /// Its first column (0-based).
    pub 列: usize,
    pub 跨列: usize,
    pub 跨行: usize,
}

/// A printed row: every column's cell.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RowOut {
    pub 格: Vec<String>,
    /// The unit's name as printed (empty in a list), which the layout may break between words.
    pub 单位: String,
}

/// A 合计 (or 总计) row: its label across the leading columns, then the figures' cells.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TotalOut {
    pub 名称: String,
    pub 跨列: usize,
    pub 格: Vec<String>,
}

impl TotalOut {
    /// Its label with two ideographic spaces between two characters (`合　　计`), as the PDF
    /// spaces it, for the outputs that print it as text.
    pub(crate) fn spaced(&self) -> String {
        let chars: Vec<char> = self.名称.chars().collect();
        match chars.as_slice() {
            [a, b] => format!("{a}\u{3000}\u{3000}{b}"),
            _ => self.名称.clone(),
        }
    }
}

/// A sub-table: its caption (none when the attachment is one table), its rows, its 合计.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PartOut {
    pub 标题: Option<String>,
    pub 行: Vec<RowOut>,
    pub 合计: Option<TotalOut>,
}

/// An attachment ready to print.
#[derive(Debug, Serialize)]
pub(crate) struct TableOut {
    pub 编号: String,
    pub 名称: String,
    /// The name the text writes figures with (`热线`).
    pub 简称: String,
    /// Attachment title for this period.
    pub 标题: String,
    /// The printed columns, left to right.
    pub 列: Vec<ColumnOut>,
    /// The header's rows, top to bottom, each with its cells left to right (a cell spanning rows
    /// appears only in its first).
    pub 表头: Vec<Vec<HeadCell>>,
    /// The sub-tables (one, without caption, when the attachment is not split).
    pub 分表: Vec<PartOut>,
    /// The 总计 row under the last sub-table when the attachment is split and asks for one.
    pub 总计: Option<TotalOut>,
    /// The paragraphs of an attachment that is a text (no table then).
    pub 正文: Vec<String>,
    /// Whether the table is set on turned pages (filled by render with the header lines, from
    /// [`crate::load::page::PageSpec::table_turned`]).
    pub 转页: bool,
}

impl TableOut {
    /// Every row of every sub-table.
    pub(crate) fn rows(&self) -> impl Iterator<Item = &RowOut> {
        self.分表.iter().flat_map(|p| &p.行)
    }

    /// The roles of the columns, for the page geometry.
    pub(crate) fn roles(&self) -> Vec<Role> {
        self.列.iter().map(|c| c.类).collect()
    }

    /// Whether it is a table (not a text).
    pub(crate) fn is_table(&self) -> bool {
        !self.列.is_empty()
    }
}

/// What a row of the table prints from: its figures, blanks and texts, and its unit.
struct Line<'t> {
    row: &'t Row,
    /// The unit's name as printed in the month (empty in a list).
    name: String,
    /// The unit's canonical name and kind, when it is one of the registry's.
    unit: Option<&'t crate::load::Unit>,
    /// Its place in the registry (or the file, for names it does not know).
    order: usize,
}

/// The printed form of table `spec` in the month of `period`.
pub(crate) fn table_out(data: &Data, period: &Period, spec: &TableSpec, table: &MonthTable) -> TableOut {
    let month = period.end();
    let columns = spec.columns_at(&month);
    let shown: Vec<_> = spec.derived_at(&month).into_iter().filter(|d| d.shown).collect();
    let title = prose(&spec.title_for(period));
    let base = TableOut {
        编号: spec.id.clone(),
        名称: spec.name.clone(),
        简称: spec.expression_name().to_string(),
        标题: title,
        列: Vec::new(),
        表头: Vec::new(),
        分表: Vec::new(),
        总计: None,
        正文: table.paragraphs.iter().map(|p| prose(p)).collect(),
        转页: false,
    };
    if spec.form == Form::Text {
        return base;
    }
    let mut cols = Vec::new();
    if let Some(h) = number_header(spec) {
        cols.push(ColumnOut {
            表头: h.to_string(),
            类: Role::Number,
        });
    }
    if spec.form == Form::Units {
        cols.push(ColumnOut {
            表头: "单位".into(),
            类: Role::Name,
        });
    }
    let lead = cols.len();
    cols.extend(columns.iter().map(|c| ColumnOut {
        表头: period.fill(&c.header_at(&month)),
        类: if c.kind.is_figure() { Role::Figure } else { Role::Name },
    }));
    cols.extend(shown.iter().map(|d| ColumnOut {
        表头: d.header(),
        类: Role::Figure,
    }));
    let header = header_rows(&cols, lead, &columns, period);
    let lines = lines(data, spec, table, &month);
    let printer = Printer {
        spec,
        month: &month,
        columns: &columns,
        shown: &shown,
        unfilled: &table.unfilled,
    };
    let parts = split(spec, &lines, &data.registry);
    let many = parts.len() > 1 || !spec.subtables.is_empty();
    let label_span = lead.max(1);
    let mut out_parts = Vec::new();
    for (caption, members) in parts {
        let rows = ordered(spec, members, &printer);
        let label = if many {
            spec.subtotals.as_deref()
        } else {
            Some("合计")
        };
        let total = label.filter(|_| spec.total_row).map(|label| {
            let rows: Vec<&Row> = rows.iter().map(|(l, _)| l.row).collect();
            printer.total(label, label_span, &rows, &table.headlines_map())
        });
        out_parts.push(PartOut {
            标题: caption.map(|c| period.fill(&c)),
            行: rows.into_iter().map(|(l, number)| printer.row(l, number)).collect(),
            合计: total,
        });
    }
    let grand = (many && spec.total_row).then(|| {
        let rows: Vec<&Row> = lines.iter().map(|l| l.row).collect();
        let name = if spec.subtotals.is_some() { "总计" } else { "合计" };
        printer.total(name, label_span, &rows, &table.headlines_map())
    });
    TableOut {
        列: cols,
        表头: header,
        分表: out_parts,
        总计: grand,
        ..base
    }
}

/// The number column's header, or none.
fn number_header(spec: &TableSpec) -> Option<&'static str> {
    match spec.number {
        NumberColumn::Serial => Some("序号"),
        NumberColumn::Rank { .. } => Some("排名"),
        NumberColumn::None => None,
    }
}

/// The header's rows: the groups (`组`) over runs of side-by-side columns, each column's own
/// header under its groups and down to the last row; the columns before the figures (序号,
/// 单位) and the rates span every row.
fn header_rows(cols: &[ColumnOut], lead: usize, columns: &[&Column], period: &Period) -> Vec<Vec<HeadCell>> {
    let groups = |i: usize| -> &[String] {
        i.checked_sub(lead)
            .and_then(|k| columns.get(k))
            .map_or(&[], |c| c.groups.as_slice())
    };
    let depth = (0..cols.len()).map(|i| groups(i).len()).max().unwrap_or(0);
    let mut rows: Vec<Vec<HeadCell>> = vec![Vec::new(); depth + 1];
    for (level, row) in rows.iter_mut().enumerate().take(depth) {
        let mut i = 0;
        while i < cols.len() {
            let path = groups(i).get(..=level);
            let Some(path) = path else {
                i += 1;
                continue;
            };
            let span = (i..cols.len())
                .take_while(|&j| groups(j).get(..=level) == Some(path))
                .count();
            row.push(HeadCell {
                文字: period.fill(&path[level]),
                分行: Vec::new(),
                列: i,
                跨列: span,
                跨行: 1,
            });
            i += span;
        }
    }
    for (i, c) in cols.iter().enumerate() {
        let top = groups(i).len();
        rows[top].push(HeadCell {
            文字: c.表头.clone(),
            分行: Vec::new(),
            列: i,
            跨列: 1,
            跨行: depth + 1 - top,
        });
    }
    for row in &mut rows {
        row.sort_by_key(|c| c.列);
    }
    rows
}

/// The table's rows with their units.
fn lines<'t>(data: &'t Data, spec: &TableSpec, table: &'t MonthTable, month: &MonthId) -> Vec<Line<'t>> {
    table
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let unit = (spec.form == Form::Units)
                .then(|| data.registry.resolve(&row.unit))
                .flatten();
            Line {
                row,
                name: unit.map_or_else(|| row.unit.clone(), |u| u.name_at(month).to_string()),
                order: unit.map_or(usize::MAX - table.rows.len() + i, |u| u.order),
                unit,
            }
        })
        .collect()
}

/// The rows of each sub-table with its caption (one part without caption when the attachment is
/// not split). A unit no sub-table holds goes nowhere (`check` refuses it).
fn split<'l, 't>(
    spec: &TableSpec,
    lines: &'l [Line<'t>],
    registry: &Registry,
) -> Vec<(Option<String>, Vec<&'l Line<'t>>)> {
    if spec.subtables.is_empty() {
        return vec![(None, lines.iter().collect())];
    }
    spec.subtables
        .iter()
        .map(|sub| {
            let members = lines
                .iter()
                .filter(|l| l.unit.is_some_and(|u| sub.holds(u, registry)))
                .collect();
            (Some(prose(&sub.caption)), members)
        })
        .collect()
}

/// A sub-table's rows in the description's order, each with its number (序号 or 排名; ties share
/// a rank).
fn ordered<'l, 't>(spec: &TableSpec, mut rows: Vec<&'l Line<'t>>, p: &Printer<'_>) -> Vec<(&'l Line<'t>, String)> {
    let ranks: Option<Vec<Option<usize>>> = match &spec.number {
        NumberColumn::Rank { by, ascending } => Some(rank(&rows, |l| p.sort_value(l.row, by), *ascending)),
        _ => None,
    };
    let by_column = match &spec.order {
        Order::By { key, ascending } => Some(rank(&rows, |l| p.sort_value(l.row, key), *ascending)),
        _ => None,
    };
    let mut indexed: Vec<(usize, &Line<'_>)> = rows.drain(..).enumerate().collect();
    match (&spec.order, ranks.as_ref().or(by_column.as_ref())) {
        (Order::Registry, _) => indexed.sort_by_key(|(_, l)| l.order),
        (Order::Rank | Order::By { .. }, Some(r)) => indexed.sort_by_key(|(i, _)| (r[*i].unwrap_or(usize::MAX), *i)),
        _ => {}
    }
    indexed
        .into_iter()
        .enumerate()
        .map(|(n, (i, l))| {
            let number = match &ranks {
                Some(r) => r[i].map_or(String::new(), |k| k.to_string()),
                None => (n + 1).to_string(),
            };
            (l, number)
        })
        .collect()
}

/// Competition ranks (1, 2, 2, 4) of `rows` by `value`, highest first unless `ascending`; a row
/// without a value has none.
fn rank<T>(rows: &[T], value: impl Fn(&T) -> Option<Num>, ascending: bool) -> Vec<Option<usize>> {
    let values: Vec<Option<Num>> = rows.iter().map(value).collect();
    values
        .iter()
        .map(|v| {
            let v = (*v)?;
            let better = values
                .iter()
                .flatten()
                .filter(|o| if ascending { **o < v } else { **o > v })
                .count();
            Some(better + 1)
        })
        .collect()
}

/// Prints cells of one table in one month.
struct Printer<'a> {
    spec: &'a TableSpec,
    month: &'a MonthId,
    columns: &'a [&'a Column],
    shown: &'a [&'a crate::load::schema::Derived],
    /// The headlines still `待填`.
    unfilled: &'a [(String, crate::diag::Loc)],
}

impl Printer<'_> {
    /// The value a row is ranked by, as printed (a rate at its decimals): a column or a rate.
    fn sort_value(&self, row: &Row, key: &str) -> Option<Num> {
        if let Some(c) = self.spec.column(key) {
            return row.value(key).map(|v| v.round(c.kind.places(), Rounding::HalfUp));
        }
        let d = self.spec.derived(key)?;
        let (n, den) = d.parts(&|k| row.value(k))?;
        n.percent_of(den, d.decimals, d.rounding)
    }

    fn row(&self, line: &Line<'_>, number: String) -> RowOut {
        let mut cells = Vec::new();
        if number_header(self.spec).is_some() {
            cells.push(number);
        }
        if self.spec.form == Form::Units {
            cells.push(line.name.clone());
        }
        let row = line.row;
        for c in self.columns {
            cells.push(match row.text(&c.key) {
                Some(t) => prose(t),
                None if row.is_pending(&c.key) => pending_mark(None),
                None if row.is_blank(&c.key) => blank_mark(c),
                None => figure_cell(c, row.value(&c.key)),
            });
        }
        let values: BTreeMap<String, Num> = row.values.iter().map(|f| (f.key.clone(), f.value)).collect();
        for d in self.shown {
            cells.push(match row.stated(&d.key) {
                Some(stated) => stated.text.clone(),
                None if row.is_pending(&d.key) || d.keys().iter().any(|k| row.is_pending(k)) => pending_mark(None),
                None => rate_cell(d, &values),
            });
        }
        RowOut {
            格: cells,
            单位: line.name.clone(),
        }
    }

    /// A 合计 row over `rows` (with the headlines, which a rate over them reads).
    fn total(&self, name: &str, span: usize, rows: &[&Row], headlines: &BTreeMap<String, Num>) -> TotalOut {
        let mut all = totals_of(self.spec, self.month, rows);
        all.extend(headlines.iter().map(|(k, v)| (k.clone(), *v)));
        let pending = |k: &str| rows.iter().any(|r| r.is_pending(k)) || self.unfilled.iter().any(|(u, _)| u == k);
        let mut cells: Vec<String> = self
            .columns
            .iter()
            .map(|c| match all.get(&c.key) {
                _ if pending(&c.key) && !matches!(c.total, crate::load::schema::Total::None) => pending_mark(None),
                Some(v) => figure_cell(c, Some(*v)),
                None if c.kind.is_figure() && !matches!(c.total, crate::load::schema::Total::None) => blank_mark(c),
                None => String::new(),
            })
            .collect();
        cells.extend(self.shown.iter().map(|d| match d.keys().iter().any(|k| pending(k)) {
            true => pending_mark(None),
            false => rate_cell(d, &all),
        }));
        TotalOut {
            名称: name.into(),
            跨列: span,
            格: cells,
        }
    }
}

/// What a draft prints for a figure not known yet (a cell still `待填`, or computed from one):
/// `【待填】`, or with what it stands for, `【待填：热线.本月】`. Only a draft prints it.
pub(crate) fn pending_mark(what: Option<&str>) -> String {
    match what {
        Some(w) => format!("【待填：{w}】"),
        None => "【待填】".to_string(),
    }
}

/// What a blank cell of column `c` prints.
fn blank_mark(c: &Column) -> String {
    c.blank.as_ref().map_or(String::new(), |b| b.mark.clone())
}

/// A column's cell: the figure with the column's decimals; empty when there is none.
fn figure_cell(col: &Column, value: Option<Num>) -> String {
    value.map_or_else(
        || blank_mark(col),
        |v| v.round(col.kind.places(), Rounding::HalfUp).text(),
    )
}

/// A rate's cell over `values`: the rate, what a rate over nothing prints, or nothing when a part
/// has no figure.
fn rate_cell(d: &crate::load::schema::Derived, values: &BTreeMap<String, Num>) -> String {
    match d.parts(&|k| values.get(k).copied()) {
        Some((n, den)) => d.cell(n.percent_of(den, d.decimals, d.rounding)),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_share_ties_and_skip_after_them() {
        let n = |v: i128| Some(Num::int(v));
        let values = [n(90), n(95), n(90), None, n(80)];
        assert_eq!(
            rank(&values, |v| *v, false),
            vec![Some(2), Some(1), Some(2), None, Some(4)]
        );
        assert_eq!(
            rank(&values, |v| *v, true),
            vec![Some(2), Some(4), Some(2), None, Some(1)]
        );
    }
}
