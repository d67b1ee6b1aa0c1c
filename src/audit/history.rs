//! The history of the figures: `log` walks the commits that changed data, `blame` follows one
//! figure back through them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::load::number::Num;

use super::registry::{RegistryChange, registry_changes, renames};
use super::repo::{GitError, Repo};
use super::tables::TableDiff;
use super::texts::{TextChange, document_diff};
use super::{both_sides, changed_table, month_file, text_file};
use crate::diag::Source;
use crate::load::{self, Registry, TableSpec};
use crate::project::{DATA, REGISTRY};

/// One commit of the history of the figures.
#[derive(Debug, Serialize)]
pub(crate) struct LogEntry {
    pub commit: String,
    pub author: String,
    /// Date (ISO 8601).
    pub date: String,
    /// Commit message (subject line).
    pub message: String,
    pub registry: Vec<RegistryChange>,
    pub tables: Vec<TableDiff>,
    pub texts: Vec<TextChange>,
    /// The commit is the edge of a shallow clone: what it shows is everything there was then,
    /// not what it changed, and who made the figures before it is not known here.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub boundary: bool,
}

/// What to show in the history.
#[derive(Debug, Default, Clone)]
pub(crate) struct Filter {
    pub month: Option<String>,
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
            if path == REGISTRY {
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
            } else if let Some(id) = super::spec_id(path) {
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

/// Every name unit `u` went by, from a first pass over the registry's history: its names and
/// aliases in any version, and every name it was renamed from or to.
fn unit_names(repo: &mut Repo, commits: &[super::repo::Commit], u: &str) -> Result<BTreeSet<String>, GitError> {
    let mut unit_names: BTreeSet<String> = BTreeSet::new();
    unit_names.insert(u.to_string());
    let mut walker = Walker {
        registry: None,
        specs: BTreeMap::new(),
    };
    let mut pairs = Vec::new();
    for commit in commits.iter().filter(|c| c.changes.iter().any(|(p, ..)| p == REGISTRY)) {
        let registry_only: Vec<_> = commit.changes.iter().filter(|(p, ..)| p == REGISTRY).cloned().collect();
        pairs.extend(renames(&walker.advance(repo, &registry_only)?));
        if let Some(unit) = walker.registry.as_ref().and_then(|r| r.resolve(u)) {
            unit_names.insert(unit.name.clone());
            unit_names.extend(unit.former.iter().map(|f| f.name.clone()));
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
    Ok(unit_names)
}

/// The history of the figures, newest first: each commit that changed data matching `filter`,
/// with the changed figures.
pub(crate) fn log(repo: &mut Repo, filter: &Filter) -> Result<Vec<LogEntry>, GitError> {
    let commits = repo.log(DATA)?;
    let boundary = repo.shallow_boundary();
    let unit_names = match &filter.unit {
        Some(u) => unit_names(repo, &commits, u)?,
        None => BTreeSet::new(),
    };
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
            boundary: boundary.contains(&commit.hash),
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
            let other_table = filter
                .table
                .as_deref()
                .is_some_and(|t| !walker.specs.get(file).is_some_and(|s| load::names_table(s, t)));
            if filter.month.as_deref().is_some_and(|m| m != month) || other_table {
                continue;
            }
            let (old_text, new_text) = both_sides(repo, old_blob.as_ref(), new_blob.as_ref())?;
            if let Some(name) = text_file(file) {
                if filter.unit.is_none() && filter.table.is_none() {
                    entry
                        .texts
                        .extend(document_diff(month, name, old_text.as_deref(), new_text.as_deref()));
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
pub(crate) struct BlameEntry {
    pub commit: String,
    pub author: String,
    pub date: String,
    pub message: String,
    /// The value it set (None: the figure was removed).
    pub value: Option<Num>,
    /// The commit is the edge of a shallow clone: the value was set there or earlier, by someone
    /// this history cannot name.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub boundary: bool,
}

/// Who set a figure, newest first: the first entry is the current value's commit.
pub(crate) fn blame(
    repo: &mut Repo,
    month: &str,
    table: &str,
    unit: &str,
    column: &str,
) -> Result<Vec<BlameEntry>, GitError> {
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
                boundary: entry.boundary,
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
