//! The unit registry, `data/units.yaml`: every unit's canonical name, its aliases, its kind, (by
//! its place in the file) its display order, and its history: the month it was set up (`设立`), the
//! month from which it no longer exists (`撤销`, with `并入` when merged into another unit), and its
//! former names with the last month each was used (`曾用名: [{名称: …, 至: 2019-02}]`).

use std::path::Path;

use super::read_source;
use super::yaml::{self, Reader};
use crate::calendar::MonthId;
use crate::diag::{Code, Diagnostic, Loc};
use crate::project::{Project, REGISTRY};

/// A former name and the last month it was the unit's name.
#[derive(Debug, Clone)]
pub(crate) struct Former {
    pub name: String,
    pub until: MonthId,
    pub loc: Loc,
}

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
    /// The first month it exists (`设立`), if it was set up during the registry's time.
    pub since: Option<MonthId>,
    /// The first month it no longer exists (`撤销`).
    pub until: Option<MonthId>,
    /// The unit it was merged into (`并入`).
    pub merged_into: Option<(String, Loc)>,
    /// Its former names, oldest first.
    pub former: Vec<Former>,
}

/// How a unit stood in a month.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Standing {
    Exists,
    /// Set up later, in this month.
    NotYet(MonthId),
    /// Abolished from this month on (merged into the unit named, if any).
    Gone(MonthId, Option<String>),
}

impl Unit {
    /// Whether the unit existed in `month`.
    pub(crate) fn standing(&self, month: &MonthId) -> Standing {
        match (&self.since, &self.until) {
            (Some(s), _) if month < s => Standing::NotYet(s.clone()),
            (_, Some(u)) if month >= u => Standing::Gone(u.clone(), self.merged_into.as_ref().map(|(n, _)| n.clone())),
            _ => Standing::Exists,
        }
    }

    /// The unit's name in `month`: a former name while it was in use, else the canonical name.
    pub(crate) fn name_at(&self, month: &MonthId) -> &str {
        self.former
            .iter()
            .find(|f| month <= &f.until)
            .map_or(self.name.as_str(), |f| f.name.as_str())
    }

    /// If `written` is a former name no longer in use in `month`: the month it was renamed.
    pub(crate) fn renamed_since(&self, written: &str, month: &MonthId) -> Option<MonthId> {
        self.former
            .iter()
            .find(|f| f.name == written && month > &f.until)
            .map(|f| f.until.plus(1))
    }
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
            .or_else(|| self.units.iter().find(|u| u.former.iter().any(|f| f.name == name)))
    }

    /// Every name (canonical and alias) the registry knows, for suggestions.
    pub(crate) fn all_names(&self) -> impl Iterator<Item = &str> {
        self.units.iter().flat_map(|u| {
            std::iter::once(u.name.as_str())
                .chain(u.aliases.iter().map(|(a, _)| a.as_str()))
                .chain(u.former.iter().map(|f| f.name.as_str()))
        })
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
    let items = units_node.and_then(|n| r.seq(n, "单位")).unwrap_or_default();
    if let Some(beyond) = items.get(crate::limits::UNITS) {
        r.push(
            Diagnostic::error(
                Code::RegistryTooLong,
                &beyond.loc,
                format!("单位名录有 {} 个单位，最多 {} 个", items.len(), crate::limits::UNITS),
            )
            .help("单位名录每个单位一项：请检查是否粘贴了多余的内容"),
        );
    }
    for (order, item) in items.iter().take(crate::limits::UNITS).enumerate() {
        let Some(mut m) = r.map(item, "单位") else {
            continue;
        };
        let name = r.req(&mut m, "名称").and_then(|n| r.text(n, "名称"));
        let kind_node = r.req(&mut m, "类别");
        let kind = kind_node.and_then(|n| r.text(n, "类别"));
        let aliases = m.opt("别名").map(|n| r.texts(n, "别名")).unwrap_or_default();
        let since = m.opt("设立").and_then(|n| month(r, n, "设立"));
        let until = m.opt("撤销").and_then(|n| month(r, n, "撤销"));
        let merged_into = m
            .opt("并入")
            .and_then(|n| r.text(n, "并入").map(|t| (t, n.loc.clone())));
        let mut former = Vec::new();
        if let Some(items) = m.opt("曾用名").and_then(|n| r.seq(n, "曾用名")) {
            for item in items {
                let Some(mut f) = r.map(item, "曾用名") else {
                    continue;
                };
                let fname = r.req(&mut f, "名称").and_then(|n| r.text(n, "名称"));
                let funtil = r.req(&mut f, "至").and_then(|n| month(r, n, "至"));
                r.finish(f, &["名称", "至"]);
                if let (Some(name), Some(until)) = (fname, funtil) {
                    former.push(Former {
                        name,
                        until,
                        loc: item.loc.clone(),
                    });
                }
            }
        }
        former.sort_by(|a, b| a.until.cmp(&b.until));
        r.finish(m, &["名称", "别名", "类别", "设立", "撤销", "并入", "曾用名"]);
        if let (Some(name), Some(kind), Some(kind_node)) = (name, kind, kind_node) {
            units.push(Unit {
                name,
                aliases,
                kind,
                order,
                loc: item.loc.clone(),
                kind_loc: kind_node.loc.clone(),
                since,
                until,
                merged_into,
                former,
            });
        }
    }
    Some(Registry { kinds, units })
}

/// A month written `2023-03` (or `2023年3月`).
pub(crate) fn month(r: &mut Reader, node: &yaml::Node, what: &str) -> Option<MonthId> {
    let text = r.text(node, what)?;
    let parsed = MonthId::parse(&text).or_else(|| {
        crate::calendar::Period::parse(&text)
            .filter(|p| p.first == p.last)
            .map(|p| p.end())
    });
    if parsed.is_none() {
        r.push(
            Diagnostic::error(Code::Type, &node.loc, format!("{what}“{text}”不是月份"))
                .help("写成 2023-03 或 2023年3月"),
        );
    }
    parsed
}
