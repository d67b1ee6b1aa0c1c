//! The audit views over git history: what changed between two revisions, in terms of figures,
//! units and prose (not lines), and the history of each figure. A thin layer: history comes from
//! [`git`], meaning from the same parsers `check` uses ([`crate::load`]).

pub mod git;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::diag::Source;
use crate::load::{self, Registry, TableSpec};
use git::{GitError, Repo};

/// One table of one month at one revision, with units under their canonical names.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableState {
    /// Figures by unit (canonical name) and column key.
    pub rows: BTreeMap<String, BTreeMap<String, u64>>,
    /// Units in file order.
    pub order: Vec<String>,
    /// Headline figures.
    pub headlines: BTreeMap<String, u64>,
    /// The 合计 row as written, if any.
    pub total: BTreeMap<String, u64>,
}

/// Parses a month's table file into figures by canonical unit name (names the registry does not
/// know are kept as written). Returns None for text that is not a table file.
pub fn table_state(text: &str, path: &str, spec: &TableSpec, registry: Option<&Registry>) -> Option<TableState> {
    let src = Source::new(path, text);
    let table = load::month::parse_table(&src, spec, &mut Vec::new())?;
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

/// A change in the unit registry.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum RegistryChange {
    /// A unit got a new canonical name (one change, not a removal plus an addition).
    Renamed {
        /// The old canonical name.
        from: String,
        /// The new canonical name.
        to: String,
    },
    /// A unit was added.
    Added {
        /// Its canonical name.
        unit: String,
    },
    /// A unit was removed.
    Removed {
        /// Its canonical name.
        unit: String,
    },
    /// Aliases were added or removed.
    Aliases {
        /// The unit.
        unit: String,
        /// New aliases.
        added: Vec<String>,
        /// Aliases no longer listed.
        removed: Vec<String>,
    },
    /// A unit's kind changed.
    Kind {
        /// The unit.
        unit: String,
        /// The old kind.
        from: String,
        /// The new kind.
        to: String,
    },
}

/// Compares two registries. A unit counts as renamed when its old name became an alias of the new
/// one, they share an alias, or it is the only removal and the only addition at the same place.
pub fn registry_changes(old: &Registry, new: &Registry) -> Vec<RegistryChange> {
    let old_names: BTreeSet<&str> = old.units.iter().map(|u| u.name.as_str()).collect();
    let new_names: BTreeSet<&str> = new.units.iter().map(|u| u.name.as_str()).collect();
    let mut removed: Vec<&load::Unit> = old
        .units
        .iter()
        .filter(|u| !new_names.contains(u.name.as_str()))
        .collect();
    let mut added: Vec<&load::Unit> = new
        .units
        .iter()
        .filter(|u| !old_names.contains(u.name.as_str()))
        .collect();
    let mut changes = Vec::new();
    let aliases = |u: &load::Unit| u.aliases.iter().map(|(a, _)| a.clone()).collect::<BTreeSet<String>>();
    let lone_pair = removed.len() == 1 && added.len() == 1 && removed[0].order == added[0].order;
    let mut i = 0;
    while i < removed.len() {
        let r = removed[i];
        let pair = added.iter().position(|a| {
            aliases(a).contains(&r.name)
                || !aliases(a).is_disjoint(&aliases(r))
                || aliases(r).contains(&a.name)
                || lone_pair
        });
        match pair {
            Some(j) => {
                let a = added.remove(j);
                changes.push(RegistryChange::Renamed {
                    from: r.name.clone(),
                    to: a.name.clone(),
                });
                removed.remove(i);
            }
            None => i += 1,
        }
    }
    changes.extend(
        removed
            .into_iter()
            .map(|u| RegistryChange::Removed { unit: u.name.clone() }),
    );
    changes.extend(
        added
            .into_iter()
            .map(|u| RegistryChange::Added { unit: u.name.clone() }),
    );
    for n in &new.units {
        let Some(o) = old.units.iter().find(|o| o.name == n.name) else {
            continue;
        };
        let (oa, na) = (aliases(o), aliases(n));
        if oa != na {
            changes.push(RegistryChange::Aliases {
                unit: n.name.clone(),
                added: na.difference(&oa).cloned().collect(),
                removed: oa.difference(&na).cloned().collect(),
            });
        }
        if o.kind != n.kind {
            changes.push(RegistryChange::Kind {
                unit: n.name.clone(),
                from: o.kind.clone(),
                to: n.kind.clone(),
            });
        }
    }
    changes
}

/// Old canonical name → new canonical name, from the registry changes.
pub fn renames(changes: &[RegistryChange]) -> BTreeMap<String, String> {
    changes
        .iter()
        .filter_map(|c| match c {
            RegistryChange::Renamed { from, to } => Some((from.clone(), to.clone())),
            _ => None,
        })
        .collect()
}

/// One figure that changed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FigureChange {
    /// The unit (canonical, as of the newer revision); "概况" for headline figures, "合计" for the
    /// stated total row.
    pub unit: String,
    /// Column or headline key.
    pub key: String,
    /// Its label.
    pub label: String,
    /// Old value (None: not there before).
    pub old: Option<u64>,
    /// New value (None: gone).
    pub new: Option<u64>,
}

/// How one table of one month changed.
#[derive(Debug, Clone, Serialize, Default)]
pub struct TableDiff {
    /// Month folder.
    pub month: String,
    /// Table id.
    pub table: String,
    /// Table name.
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
    pub fn is_empty(&self) -> bool {
        self.figures.is_empty() && self.added.is_empty() && self.removed.is_empty() && !self.reordered
    }
}

/// Compares two states of a table; `renamed` maps old canonical names to new ones.
pub fn table_diff(
    spec: &TableSpec,
    old: &TableState,
    new: &TableState,
    renamed: &BTreeMap<String, String>,
) -> TableDiff {
    let rename = |u: &String| renamed.get(u).cloned().unwrap_or_else(|| u.clone());
    let old_rows: BTreeMap<String, &BTreeMap<String, u64>> = old.rows.iter().map(|(u, v)| (rename(u), v)).collect();
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
    let mut compare = |unit: &str, before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>, keys: Vec<String>| {
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

/// A changed text of a month's document.
#[derive(Debug, Clone, Serialize)]
pub struct TextChange {
    /// Month folder.
    pub month: String,
    /// Which text (`标题`, `正文.热线分析`, `点名.审核表未报` …).
    pub key: String,
    /// Old text.
    pub old: Option<String>,
    /// New text.
    pub new: Option<String>,
    /// Inline diff: `[-removed-]{+added+}` marks within the text.
    pub inline: String,
}

/// Inline character diff of two texts.
pub fn inline_diff(old: &str, new: &str) -> String {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::from_chars(old, new);
    let mut out = String::new();
    let mut tag = ChangeTag::Equal;
    for change in diff.iter_all_changes() {
        if change.tag() != tag {
            out.push_str(match tag {
                ChangeTag::Delete => "-]",
                ChangeTag::Insert => "+}",
                ChangeTag::Equal => "",
            });
            out.push_str(match change.tag() {
                ChangeTag::Delete => "[-",
                ChangeTag::Insert => "{+",
                ChangeTag::Equal => "",
            });
            tag = change.tag();
        }
        out.push_str(change.value());
    }
    out.push_str(match tag {
        ChangeTag::Delete => "-]",
        ChangeTag::Insert => "+}",
        ChangeTag::Equal => "",
    });
    out
}

fn document_texts(text: &str, path: &str) -> BTreeMap<String, String> {
    let src = Source::new(path, text);
    let Some(doc) = load::month::parse_document(&src, &mut Vec::new()) else {
        return BTreeMap::new();
    };
    let mut texts = BTreeMap::new();
    texts.insert("标题".to_string(), doc.title.concat());
    texts.insert("发文机关".to_string(), doc.issuer.clone());
    texts.insert("主送".to_string(), doc.recipients.clone());
    texts.insert("成文日期".to_string(), doc.date.chinese());
    if let Some(n) = &doc.number {
        texts.insert("发文字号".to_string(), n.clone());
    }
    for t in &doc.texts {
        texts.insert(
            format!("正文.{}", t.key),
            t.paragraphs
                .iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    for (k, names) in &doc.named {
        texts.insert(
            format!("点名.{k}"),
            names.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join("、"),
        );
    }
    for a in &doc.attachments {
        texts.insert(format!("附件.{}", a.table), a.name.clone());
    }
    texts
}

/// Compares two versions of a month's document, text by text.
pub fn document_diff(month: &str, old: Option<&str>, new: Option<&str>) -> Vec<TextChange> {
    let path = format!("data/{month}/document.yaml");
    let before = old.map(|t| document_texts(t, &path)).unwrap_or_default();
    let after = new.map(|t| document_texts(t, &path)).unwrap_or_default();
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| {
            let (o, n) = (before.get(k).cloned(), after.get(k).cloned());
            TextChange {
                month: month.to_string(),
                key: k.clone(),
                inline: inline_diff(o.as_deref().unwrap_or(""), n.as_deref().unwrap_or("")),
                old: o,
                new: n,
            }
        })
        .collect()
}

/// Everything that changed in the data between two revisions.
#[derive(Debug, Serialize)]
pub struct Diff {
    /// From this commit.
    pub from: String,
    /// To this commit.
    pub to: String,
    /// Registry changes.
    pub registry: Vec<RegistryChange>,
    /// Table changes, by month and table.
    pub tables: Vec<TableDiff>,
    /// Text changes.
    pub texts: Vec<TextChange>,
    /// Other data files that changed (table descriptions, unreadable files).
    pub other: Vec<String>,
}

/// Registry and table descriptions at a revision.
pub struct Schema {
    /// The registry (None if unreadable).
    pub registry: Option<Registry>,
    /// The descriptions.
    pub specs: Vec<TableSpec>,
}

/// Reads the registry and the table descriptions at `rev`.
pub fn schema_at(repo: &mut Repo, rev: &str) -> Result<Schema, GitError> {
    let mut registry = None;
    let mut specs = Vec::new();
    for (path, blob) in repo.tree(rev, "data")? {
        if path == load::registry::PATH {
            if let Some(text) = repo.blob(&blob)? {
                registry = load::registry::parse(&Source::new(path.as_str(), text), &mut Vec::new());
            }
        } else if let Some(name) = path.strip_prefix("data/tables/").and_then(|n| n.strip_suffix(".yaml"))
            && let Some(text) = repo.blob(&blob)?
            && let Some(spec) =
                load::schema::parse(&Source::new(path.as_str(), text), name.to_string(), &mut Vec::new())
        {
            specs.push(spec);
        }
    }
    Ok(Schema { registry, specs })
}

/// The texts of both sides of a changed file.
fn both_sides(
    repo: &mut Repo,
    old: Option<&String>,
    new: Option<&String>,
) -> Result<(Option<String>, Option<String>), GitError> {
    let mut side = |blob: Option<&String>| match blob {
        Some(b) => repo.blob(b),
        None => Ok(None),
    };
    Ok((side(old)?, side(new)?))
}

/// Both states of a changed month table file, parsed against their registries, compared.
fn changed_table(
    spec: &TableSpec,
    path: &str,
    month: &str,
    texts: (Option<&str>, Option<&str>),
    registries: (Option<&Registry>, Option<&Registry>),
    renamed: &BTreeMap<String, String>,
) -> TableDiff {
    let state = |text: Option<&str>, reg: Option<&Registry>| {
        text.and_then(|t| table_state(t, path, spec, reg)).unwrap_or_default()
    };
    let mut d = table_diff(
        spec,
        &state(texts.0, registries.0),
        &state(texts.1, registries.1),
        renamed,
    );
    d.month = month.to_string();
    d
}

/// `data/<month>/<table>.yaml` → (month, table).
pub fn month_file(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix("data/")?;
    let (month, file) = rest.split_once('/')?;
    load::month::MonthId::parse(month)?;
    Some((month, file.strip_suffix(".yaml")?))
}

/// The semantic difference of the data between two revisions, optionally for one month.
pub fn diff(repo: &mut Repo, from: &str, to: &str, month: Option<&str>) -> Result<Diff, GitError> {
    let (from, to) = (repo.resolve(from)?, repo.resolve(to)?);
    let changed = repo.changed(&from, &to, "data")?;
    let old = schema_at(repo, &from)?;
    let new = schema_at(repo, &to)?;
    let registry = match (&old.registry, &new.registry) {
        (Some(o), Some(n)) => registry_changes(o, n),
        _ => Vec::new(),
    };
    let renamed = renames(&registry);
    let mut out = Diff {
        from: from.clone(),
        to: to.clone(),
        registry,
        tables: Vec::new(),
        texts: Vec::new(),
        other: Vec::new(),
    };
    for (path, old_blob, new_blob) in changed {
        let Some((m, file)) = month_file(&path) else {
            if path != load::registry::PATH {
                out.other.push(path);
            }
            continue;
        };
        if month.is_some_and(|want| want != m) {
            continue;
        }
        let (old_text, new_text) = both_sides(repo, old_blob.as_ref(), new_blob.as_ref())?;
        if file == "document" {
            out.texts
                .extend(document_diff(m, old_text.as_deref(), new_text.as_deref()));
            continue;
        }
        let Some(spec) = new.specs.iter().chain(&old.specs).find(|s| s.id == file) else {
            out.other.push(path);
            continue;
        };
        let d = changed_table(
            spec,
            &path,
            m,
            (old_text.as_deref(), new_text.as_deref()),
            (old.registry.as_ref(), new.registry.as_ref()),
            &renamed,
        );
        if !d.is_empty() {
            out.tables.push(d);
        }
    }
    Ok(out)
}

/// One commit of the history of the figures.
#[derive(Debug, Serialize)]
pub struct LogEntry {
    /// Commit hash.
    pub commit: String,
    /// Author.
    pub author: String,
    /// Date (ISO 8601).
    pub date: String,
    /// Commit message (subject line).
    pub message: String,
    /// Registry changes in this commit.
    pub registry: Vec<RegistryChange>,
    /// Figures changed in this commit.
    pub tables: Vec<TableDiff>,
    /// Texts changed in this commit.
    pub texts: Vec<TextChange>,
}

/// What to show in the history.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Only this month.
    pub month: Option<String>,
    /// Only this table.
    pub table: Option<String>,
    /// Only this unit (any of its names, across renames).
    pub unit: Option<String>,
}

struct Walker {
    registry: Option<Registry>,
    specs: BTreeMap<String, TableSpec>,
}

impl Walker {
    /// Applies a commit's changes to the registry and descriptions; returns the registry changes.
    fn advance(
        &mut self,
        repo: &mut Repo,
        changes: &[(String, Option<String>, Option<String>)],
    ) -> Result<Vec<RegistryChange>, GitError> {
        let mut reg_changes = Vec::new();
        for (path, _, new) in changes {
            if path == load::registry::PATH {
                let next = match new {
                    Some(b) => repo
                        .blob(b)?
                        .and_then(|t| load::registry::parse(&Source::new(path.as_str(), t), &mut Vec::new())),
                    None => None,
                };
                if let (Some(old), Some(new)) = (&self.registry, &next) {
                    reg_changes = registry_changes(old, new);
                }
                if next.is_some() {
                    self.registry = next;
                }
            } else if let Some(id) = path.strip_prefix("data/tables/").and_then(|n| n.strip_suffix(".yaml")) {
                match new {
                    Some(b) => {
                        if let Some(spec) = repo.blob(b)?.and_then(|t| {
                            load::schema::parse(&Source::new(path.as_str(), t), id.to_string(), &mut Vec::new())
                        }) {
                            self.specs.insert(id.to_string(), spec);
                        }
                    }
                    None => {
                        self.specs.remove(id);
                    }
                }
            }
        }
        Ok(reg_changes)
    }
}

/// The history of the figures, newest first: each commit that changed data matching `filter`,
/// with the changed figures.
pub fn log(repo: &mut Repo, filter: &Filter) -> Result<Vec<LogEntry>, GitError> {
    let commits = repo.log("data")?;
    // First pass over the registry's history: every name the unit went by (its names and aliases
    // in any version, and every name it was renamed from or to).
    let mut unit_names: BTreeSet<String> = BTreeSet::new();
    if let Some(u) = &filter.unit {
        unit_names.insert(u.clone());
        let mut walker = Walker {
            registry: None,
            specs: BTreeMap::new(),
        };
        let mut pairs = Vec::new();
        for commit in commits
            .iter()
            .filter(|c| c.changes.iter().any(|(p, ..)| p == load::registry::PATH))
        {
            let registry_only: Vec<_> = commit
                .changes
                .iter()
                .filter(|(p, ..)| p == load::registry::PATH)
                .cloned()
                .collect();
            pairs.extend(renames(&walker.advance(repo, &registry_only)?));
            if let Some(unit) = walker.registry.as_ref().and_then(|r| r.resolve(u)) {
                unit_names.insert(unit.name.clone());
            }
        }
        loop {
            let before = unit_names.len();
            for (from, to) in &pairs {
                if unit_names.contains(from) || unit_names.contains(to) {
                    unit_names.insert(from.clone());
                    unit_names.insert(to.clone());
                }
            }
            if unit_names.len() == before {
                break;
            }
        }
    }
    let mut walker = Walker {
        registry: None,
        specs: BTreeMap::new(),
    };
    let mut entries = Vec::new();
    for commit in commits {
        let before = walker.registry.clone();
        let registry = walker.advance(repo, &commit.changes)?;
        let renamed = renames(&registry);
        let mut entry = LogEntry {
            commit: commit.hash.clone(),
            author: commit.author.clone(),
            date: commit.date.clone(),
            message: commit.subject.clone(),
            registry: registry
                .into_iter()
                .filter(|c| filter.unit.is_none() || registry_mentions(c, &unit_names))
                .filter(|_| filter.table.is_none() && filter.month.is_none() || filter.unit.is_some())
                .collect(),
            tables: Vec::new(),
            texts: Vec::new(),
        };
        for (path, old_blob, new_blob) in &commit.changes {
            let Some((month, file)) = month_file(path) else {
                continue;
            };
            if filter.month.as_deref().is_some_and(|m| m != month) || filter.table.as_deref().is_some_and(|t| t != file)
            {
                continue;
            }
            let (old_text, new_text) = both_sides(repo, old_blob.as_ref(), new_blob.as_ref())?;
            if file == "document" {
                if filter.unit.is_none() && filter.table.is_none() {
                    entry
                        .texts
                        .extend(document_diff(month, old_text.as_deref(), new_text.as_deref()));
                }
                continue;
            }
            let Some(spec) = walker.specs.get(file) else { continue };
            let mut d = changed_table(
                spec,
                path,
                month,
                (old_text.as_deref(), new_text.as_deref()),
                (before.as_ref(), walker.registry.as_ref()),
                &renamed,
            );
            if filter.unit.is_some() {
                d.figures.retain(|f| unit_names.contains(&f.unit));
                d.added.retain(|u| unit_names.contains(u));
                d.removed.retain(|u| unit_names.contains(u));
                d.reordered = false;
            }
            if !d.is_empty() {
                entry.tables.push(d);
            }
        }
        if !entry.tables.is_empty() || !entry.texts.is_empty() || !entry.registry.is_empty() {
            entries.push(entry);
        }
    }
    entries.reverse();
    Ok(entries)
}

fn registry_mentions(change: &RegistryChange, names: &BTreeSet<String>) -> bool {
    match change {
        RegistryChange::Renamed { from, to } => names.contains(from) || names.contains(to),
        RegistryChange::Added { unit } | RegistryChange::Removed { unit } => names.contains(unit),
        RegistryChange::Aliases { unit, .. } | RegistryChange::Kind { unit, .. } => names.contains(unit),
    }
}

/// One value a figure had.
#[derive(Debug, Serialize)]
pub struct BlameEntry {
    /// The commit that set it.
    pub commit: String,
    /// Author.
    pub author: String,
    /// Date.
    pub date: String,
    /// Commit message.
    pub message: String,
    /// The value it set (None: the figure was removed).
    pub value: Option<u64>,
}

/// Who set a figure, newest first: the first entry is the current value's commit.
pub fn blame(repo: &mut Repo, month: &str, table: &str, unit: &str, column: &str) -> Result<Vec<BlameEntry>, GitError> {
    let filter = Filter {
        month: Some(month.to_string()),
        table: Some(table.to_string()),
        unit: Some(unit.to_string()),
    };
    let mut history = Vec::new();
    for entry in log(repo, &filter)? {
        let change = entry
            .tables
            .iter()
            .flat_map(|t| &t.figures)
            .find(|f| f.key == column || f.label == column);
        let added = entry.tables.iter().any(|t| !t.added.is_empty());
        let removed = entry.tables.iter().any(|t| !t.removed.is_empty());
        let value = match change {
            Some(f) => Some(f.new),
            None if removed && !added => Some(None),
            None => None,
        };
        if let Some(value) = value {
            history.push(BlameEntry {
                commit: entry.commit,
                author: entry.author,
                date: entry.date,
                message: entry.message,
                value,
            });
        }
    }
    Ok(history)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_diffs_mark_changes() {
        assert_eq!(inline_diff("满意率较低", "满意率很低"), "满意率[-较-]{+很+}低");
        assert_eq!(inline_diff("", "新"), "{+新+}");
    }
}
