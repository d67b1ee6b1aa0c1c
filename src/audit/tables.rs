//! Tables across revisions: a month's table file read into figures by canonical unit name, and
//! two such states compared figure by figure (a renamed unit is one unit, a moved row no change).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::calendar::MonthId;
use crate::diag::Source;
use crate::load::number::Num;
use crate::load::{self, Registry, TableSpec};

/// One table of one month at one revision, with units under their canonical names.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TableState {
    /// Figures by unit (canonical name) and column key.
    pub rows: BTreeMap<String, BTreeMap<String, Num>>,
    /// Units in file order.
    pub order: Vec<String>,
    pub headlines: BTreeMap<String, Num>,
    /// The 合计 row as written, if any.
    pub total: BTreeMap<String, Num>,
}

/// Parses a month's table file into figures by canonical unit name (names the registry does not
/// know are kept as written). Returns None for text that is not a table file.
pub(crate) fn table_state(text: &str, path: &str, spec: &TableSpec, registry: Option<&Registry>) -> Option<TableState> {
    let src = Source::new(path, text);
    // The month is the file's folder (`data/2023-03/12345.yaml`): its columns are those of its time.
    let month = path.split('/').find_map(MonthId::parse)?;
    let table = load::month::parse_table(&src, spec, &month, &mut Vec::new())?;
    let canonical = |name: &str| {
        registry
            .and_then(|r| r.resolve(name))
            .map_or(name.to_string(), |u| u.name.clone())
    };
    let mut state = TableState::default();
    for row in &table.rows {
        let unit = canonical(&row.unit);
        state.order.push(unit.clone());
        state
            .rows
            .insert(unit, row.values.iter().map(|f| (f.key.clone(), f.value)).collect());
    }
    state.headlines = table.headlines.iter().map(|f| (f.key.clone(), f.value)).collect();
    state.total = table.total.iter().flatten().map(|f| (f.key.clone(), f.value)).collect();
    Some(state)
}

/// One figure that changed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct FigureChange {
    /// The unit (canonical, as of the newer revision); "概况" for headline figures, "合计" for the
    /// stated total row.
    pub unit: String,
    /// Column or headline key.
    pub key: String,
    /// Its label.
    pub label: String,
    /// Old value (None: not there before).
    pub old: Option<Num>,
    /// New value (None: gone).
    pub new: Option<Num>,
}

/// How one table of one month changed.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct TableDiff {
    pub month: String,
    pub table: String,
    pub name: String,
    /// Figures that changed.
    pub figures: Vec<FigureChange>,
    /// Units added to the table.
    pub added: Vec<String>,
    /// Units removed from the table.
    pub removed: Vec<String>,
    /// Whether the order of the remaining units changed.
    pub reordered: bool,
}

impl TableDiff {
    /// Whether anything changed.
    pub(crate) fn is_empty(&self) -> bool {
        self.figures.is_empty() && self.added.is_empty() && self.removed.is_empty() && !self.reordered
    }
}

/// Compares two states of a table; `renamed` maps old canonical names to new ones.
pub(crate) fn table_diff(
    spec: &TableSpec,
    old: &TableState,
    new: &TableState,
    renamed: &BTreeMap<String, String>,
) -> TableDiff {
    let rename = |u: &String| renamed.get(u).cloned().unwrap_or_else(|| u.clone());
    let old_rows: BTreeMap<String, &BTreeMap<String, Num>> = old.rows.iter().map(|(u, v)| (rename(u), v)).collect();
    let label = |k: &str| {
        spec.column(k)
            .map(|c| c.label.clone())
            .or_else(|| spec.headline(k).map(|h| h.label.clone()))
            .unwrap_or_else(|| k.to_string())
    };
    let mut diff = TableDiff {
        table: spec.id.clone(),
        name: spec.name.clone(),
        ..TableDiff::default()
    };
    let mut compare = |unit: &str, before: &BTreeMap<String, Num>, after: &BTreeMap<String, Num>, keys: Vec<String>| {
        for k in keys {
            let (o, n) = (before.get(&k).copied(), after.get(&k).copied());
            if o != n {
                diff.figures.push(FigureChange {
                    unit: unit.to_string(),
                    key: k.clone(),
                    label: label(&k),
                    old: o,
                    new: n,
                });
            }
        }
    };
    let columns: Vec<String> = spec.columns.iter().map(|c| c.key.clone()).collect();
    let heads: Vec<String> = spec.headlines.iter().map(|h| h.key.clone()).collect();
    compare("概况", &old.headlines, &new.headlines, heads);
    let nothing = BTreeMap::new();
    // Every unit of either side, in the new order then the removed ones: added units show their
    // figures as new, removed ones as gone.
    let removed_units: Vec<String> = old
        .order
        .iter()
        .map(rename)
        .filter(|u| !new.rows.contains_key(u))
        .collect();
    for unit in new.order.iter().chain(&removed_units) {
        let before = old_rows.get(unit).copied().unwrap_or(&nothing);
        let after = new.rows.get(unit).unwrap_or(&nothing);
        compare(unit, before, after, columns.clone());
    }
    compare("合计", &old.total, &new.total, columns);
    diff.added = new
        .order
        .iter()
        .filter(|u| !old_rows.contains_key(*u))
        .cloned()
        .collect();
    diff.removed = old
        .order
        .iter()
        .map(rename)
        .filter(|u| !new.rows.contains_key(u))
        .collect();
    let common_old: Vec<String> = old
        .order
        .iter()
        .map(rename)
        .filter(|u| new.rows.contains_key(u))
        .collect();
    let common_new: Vec<&String> = new.order.iter().filter(|u| old_rows.contains_key(*u)).collect();
    diff.reordered = common_old.iter().ne(common_new);
    diff
}
