//! The audit views over git history: what changed between two revisions, in terms of figures,
//! units and prose (not lines), and the history of each figure. A thin layer: history comes from
//! [`repo`], meaning from the same parsers `check` uses ([`crate::load`]).

mod history;
mod printed;
mod registry;
pub(crate) mod repo;
mod tables;
mod texts;

use std::collections::BTreeMap;

use serde::Serialize;

pub(crate) use history::{BlameEntry, Filter, blame, log};
pub(crate) use registry::RegistryChange;
use registry::{registry_changes, renames};
use repo::{GitError, Repo};
pub(crate) use tables::TableDiff;
use tables::{table_diff, table_state};
pub(crate) use texts::TextChange;
use texts::document_diff;

use crate::calendar::MonthId;
use crate::diag::Source;
use crate::load::{self, Registry, TableSpec};
use crate::project::{DATA, DOCUMENT, REGISTRY, TABLES, TEXT};

/// Everything that changed in the data between two revisions.
#[derive(Debug, Serialize)]
pub(crate) struct Diff {
    pub from: String,
    pub to: String,
    pub registry: Vec<RegistryChange>,
    /// Table changes, by month and table.
    pub tables: Vec<TableDiff>,
    /// Text changes, in the source.
    pub texts: Vec<TextChange>,
    /// How the circulars read differently: their paragraphs as printed at both revisions, the
    /// expressions evaluated against each revision's data.
    pub printed: Vec<TextChange>,
    /// Other data files that changed (table descriptions, unreadable files).
    pub other: Vec<String>,
}

/// Registry and table descriptions at a revision.
pub(crate) struct Schema {
    pub registry: Option<Registry>,
    pub specs: Vec<TableSpec>,
}

/// The tables known at `rev` (its descriptions): for naming a table on the command line.
pub(crate) fn tables_at(repo: &mut Repo, rev: &str) -> Result<Vec<TableSpec>, GitError> {
    Ok(schema_at(repo, rev)?.specs)
}

/// Reads the registry and the table descriptions at `rev`.
pub(crate) fn schema_at(repo: &mut Repo, rev: &str) -> Result<Schema, GitError> {
    let mut registry = None;
    let mut specs = Vec::new();
    for (path, blob) in repo.tree(rev, DATA)? {
        if path == REGISTRY {
            if let Some(text) = repo.blob(&blob)? {
                registry = load::registry::parse(&Source::new(path.as_str(), text), &mut Vec::new());
            }
        } else if let Some(name) = spec_id(&path)
            && let Some(text) = repo.blob(&blob)?
            && let Some(spec) =
                load::schema::parse(&Source::new(path.as_str(), text), name.to_string(), &mut Vec::new())
        {
            specs.push(spec);
        }
    }
    Ok(Schema { registry, specs })
}

/// How month `month`'s tables on disk differ from the commit `rev` (the one that recorded its
/// issue): each changed figure by table, unit and column, as `diff` names it, against the
/// registry and descriptions of that commit.
pub(crate) fn tables_since(
    repo: &mut Repo,
    project: &crate::project::Project,
    rev: &str,
    month: &str,
) -> Result<Vec<TableDiff>, GitError> {
    let then = schema_at(repo, rev)?;
    let at_rev: BTreeMap<String, String> = repo.tree(rev, &format!("{DATA}/{month}"))?.into_iter().collect();
    let mut out = Vec::new();
    for spec in &then.specs {
        let path = format!("{DATA}/{month}/{}.yaml", spec.id);
        let old = match at_rev.get(&path) {
            Some(blob) => repo.blob(blob)?,
            None => None,
        };
        let new = project
            .read(std::path::Path::new(&path))
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        if old == new {
            continue;
        }
        let d = changed_table(
            spec,
            &path,
            month,
            (old.as_deref(), new.as_deref()),
            (then.registry.as_ref(), then.registry.as_ref()),
            &BTreeMap::new(),
        );
        if !d.is_empty() {
            out.push(d);
        }
    }
    Ok(out)
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

/// `data/tables/<id>.yaml` → id.
fn spec_id(path: &str) -> Option<&str> {
    path.strip_prefix(TABLES)?.strip_prefix('/')?.strip_suffix(".yaml")
}

/// The file name of a month's text file (its circular text or its settings), given the name
/// `month_file` returns.
fn text_file(file: &str) -> Option<&'static str> {
    [TEXT, DOCUMENT].into_iter().find(|f| *f == file)
}

/// `data/<month>/<file>` → (month, file name; `.yaml` dropped for table files).
pub(crate) fn month_file(path: &str) -> Option<(&str, &str)> {
    let rest = path.strip_prefix(DATA)?.strip_prefix('/')?;
    let (month, file) = rest.split_once('/')?;
    MonthId::parse(month)?;
    if text_file(file).is_some() {
        return Some((month, file));
    }
    Some((month, file.strip_suffix(".yaml")?))
}

/// The semantic difference of the data between two revisions, optionally for one month and one
/// table (its 简称, id or file name).
pub(crate) fn diff(
    repo: &mut Repo,
    from: &str,
    to: &str,
    month: Option<&str>,
    table: Option<&str>,
) -> Result<Diff, GitError> {
    let (from, to) = (repo.resolve(from)?, repo.resolve(to)?);
    let changed = repo.changed(&from, &to, DATA)?;
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
        printed: Vec::new(),
        other: Vec::new(),
    };
    let mut touched: Vec<String> = Vec::new();
    for (path, old_blob, new_blob) in changed {
        let Some((m, file)) = month_file(&path) else {
            if path != REGISTRY {
                out.other.push(path);
            }
            continue;
        };
        if month.is_some_and(|want| want != m) {
            continue;
        }
        let spec = new.specs.iter().chain(&old.specs).find(|s| s.id == file);
        if let Some(t) = table
            && !spec.is_some_and(|s| load::names_table(s, t))
        {
            continue;
        }
        if !touched.iter().any(|t| t == m) {
            touched.push(m.to_string());
        }
        let (old_text, new_text) = both_sides(repo, old_blob.as_ref(), new_blob.as_ref())?;
        if let Some(name) = text_file(file) {
            out.texts
                .extend(document_diff(m, name, old_text.as_deref(), new_text.as_deref()));
            continue;
        }
        let Some(spec) = spec else {
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
    for m in &touched {
        let old = printed::printed_at(repo, &from, m)?.unwrap_or_default();
        let new = printed::printed_at(repo, &to, m)?.unwrap_or_default();
        out.printed.extend(printed::printed_diff(m, &old, &new));
    }
    Ok(out)
}
