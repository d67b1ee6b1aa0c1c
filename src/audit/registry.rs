//! Registry changes between two revisions: renames (one change, not a removal and an addition),
//! additions, removals, aliases and kinds.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::load::{self, Registry};

/// A change in the unit registry.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub(crate) enum RegistryChange {
    /// A unit got a new canonical name (one change, not a removal plus an addition).
    Renamed { from: String, to: String },
    /// A unit was added.
    Added { unit: String },
    /// A unit was removed.
    Removed { unit: String },
    /// Aliases were added or removed.
    Aliases {
        unit: String,
        added: Vec<String>,
        /// Aliases no longer listed.
        removed: Vec<String>,
    },
    /// A unit's kind changed.
    Kind { unit: String, from: String, to: String },
}

/// Compares two registries. A unit counts as renamed when its old name became an alias of the new
/// one, they share an alias, or it is the only removal and the only addition at the same place.
pub(crate) fn registry_changes(old: &Registry, new: &Registry) -> Vec<RegistryChange> {
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
pub(crate) fn renames(changes: &[RegistryChange]) -> BTreeMap<String, String> {
    changes
        .iter()
        .filter_map(|c| match c {
            RegistryChange::Renamed { from, to } => Some((from.clone(), to.clone())),
            _ => None,
        })
        .collect()
}
