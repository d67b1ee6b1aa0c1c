//! The unit registry, `data/units.yaml`: every unit's canonical name, its aliases, its kind, and
//! (by its place in the file) its display order.

use std::path::Path;

use super::read_source;
use super::yaml::{self, Reader};
use crate::diag::{Diagnostic, Loc};
use crate::project::{Project, REGISTRY};

/// A unit (a town, a street office, a department …).
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    /// The canonical name, printed in tables.
    pub name: String,
    /// Other names staff write for it.
    pub aliases: Vec<(String, Loc)>,
    /// Its kind, one of the registry's kinds.
    pub kind: String,
    /// Display order (0-based position in the file).
    pub order: usize,
    pub loc: Loc,
    pub kind_loc: Loc,
}

/// The registry of units.
#[derive(Debug, Clone)]
pub(crate) struct Registry {
    /// The allowed kinds, in display order.
    pub kinds: Vec<(String, Loc)>,
    /// The units, in display order.
    pub units: Vec<Unit>,
}

impl Registry {
    /// The unit with this canonical name or alias.
    pub(crate) fn resolve(&self, name: &str) -> Option<&Unit> {
        let name = name.trim();
        self.units
            .iter()
            .find(|u| u.name == name)
            .or_else(|| self.units.iter().find(|u| u.aliases.iter().any(|(a, _)| a == name)))
    }

    /// Every name (canonical and alias) the registry knows, for suggestions.
    pub(crate) fn all_names(&self) -> impl Iterator<Item = &str> {
        self.units
            .iter()
            .flat_map(|u| std::iter::once(u.name.as_str()).chain(u.aliases.iter().map(|(a, _)| a.as_str())))
    }
}

/// Loads `data/units.yaml`.
pub(crate) fn load(project: &Project, diags: &mut Vec<Diagnostic>) -> Option<Registry> {
    let src = read_source(project, Path::new(REGISTRY))
        .map_err(|d| diags.push(d))
        .ok()?;
    parse(&src, diags)
}

/// Parses a registry from its text (e.g. a blob from git history).
pub(crate) fn parse(src: &std::sync::Arc<crate::diag::Source>, diags: &mut Vec<Diagnostic>) -> Option<Registry> {
    super::parse_with(src, diags, read)
}

fn read(r: &mut Reader, tree: &yaml::Node) -> Option<Registry> {
    let mut top = r.map(tree, "单位名录")?;
    let kinds_node = r.req(&mut top, "类别");
    let units_node = r.req(&mut top, "单位");
    r.finish(top, &["类别", "单位"]);
    let kinds: Vec<(String, Loc)> = match kinds_node {
        Some(n) => r.texts(n, "类别"),
        None => Vec::new(),
    };
    let mut units = Vec::new();
    for (order, item) in units_node
        .and_then(|n| r.seq(n, "单位"))
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let Some(mut m) = r.map(item, "单位") else {
            continue;
        };
        let name = r.req(&mut m, "名称").and_then(|n| r.text(n, "名称"));
        let kind_node = r.req(&mut m, "类别");
        let kind = kind_node.and_then(|n| r.text(n, "类别"));
        let aliases = m.opt("别名").map(|n| r.texts(n, "别名")).unwrap_or_default();
        r.finish(m, &["名称", "别名", "类别"]);
        if let (Some(name), Some(kind), Some(kind_node)) = (name, kind, kind_node) {
            units.push(Unit {
                name,
                aliases,
                kind,
                order,
                loc: item.loc.clone(),
                kind_loc: kind_node.loc.clone(),
            });
        }
    }
    Some(Registry { kinds, units })
}
