//! The project: its root folder (the one holding `data/`), and its optional configuration file
//! `tongbao.yaml` (font preferences per role).

use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, Severity};
use crate::load::yaml::{self, Reader};
use crate::typeset::Role;
use crate::typeset::fonts::default_roles;

/// The configuration file's name, at the project root.
pub const CONFIG: &str = "tongbao.yaml";

/// Finds the project root: `start` or the nearest parent holding `data/units.yaml` or `tongbao.yaml`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join("data/units.yaml").is_file() || dir.join(CONFIG).is_file())
        .map(Path::to_path_buf)
}

/// The project's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Font roles with their preference lists.
    pub roles: Vec<Role>,
}

/// Role keys as written in `tongbao.yaml`.
const ROLE_KEYS: [(&str, &str); 6] = [
    ("标题", "title"),
    ("正文", "body"),
    ("一级标题", "heading1"),
    ("二级标题", "heading2"),
    ("页码", "page"),
    ("西文", "latin"),
];

/// Reads `tongbao.yaml` if present; defaults otherwise.
pub fn config(root: &Path, diags: &mut Vec<Diagnostic>) -> Config {
    let mut roles = default_roles();
    let rel = Path::new(CONFIG);
    if !root.join(rel).exists() {
        return Config { roles };
    }
    let src = match crate::load::read_source(root, rel) {
        Ok(s) => s,
        Err(d) => {
            diags.push(d);
            return Config { roles };
        }
    };
    let tree = match yaml::parse(&src) {
        Ok(t) => t,
        Err(d) => {
            diags.push(d);
            return Config { roles };
        }
    };
    let mut r = Reader::new();
    if let Some(mut top) = r.map(&tree, "配置") {
        if let Some(node) = top.opt("字体")
            && let Some(mut m) = r.map(node, "字体")
        {
            for (zh, key) in ROLE_KEYS {
                if let Some(list) = m.opt(zh) {
                    let families: Vec<String> = r.texts(list, zh).into_iter().map(|(t, _)| t).collect();
                    if let Some(role) = roles.iter_mut().find(|x| x.key == key) {
                        role.families = families;
                    }
                }
            }
            r.finish(m, &ROLE_KEYS.map(|(zh, _)| zh));
        }
        r.finish(top, &["字体"]);
    }
    diags.extend(r.diags);
    if diags.iter().any(|d| d.severity == Severity::Error) {
        return Config { roles: default_roles() };
    }
    Config { roles }
}
