//! The modules are layered in the order of the data flow: a module may use only modules of lower
//! layers (or its own submodules), so there is no import cycle and no stage reaches forward.
//! Read from the source text: every `crate::<module>` a file names.

use std::collections::BTreeSet;
use std::path::Path;

/// Lowest first. Foundations, the stages in flow order, then the layers on top.
const LAYERS: &[&[&str]] = &[
    &["args", "background", "calendar", "crash", "diag", "git", "limits"],
    &["project"],
    &["http"],
    &["load"],
    &["check"],
    &["aggregate"],
    &["render"],
    &["typeset"],
    &["output"],
    &["sign"],
    &["provenance"],
    &["pipeline"],
    &[
        "audit", "batch", "issue", "lsp", "preview", "routine", "schemas", "sheet",
    ],
    &["cmd"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// The top-level module a file of `src/` belongs to (`src/load/yaml/read.rs` → `load`).
fn owner(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_string_lossy().to_string();
    Some(first.trim_end_matches(".rs").to_string())
}

/// Every `crate::name` in the text (outside line comments).
fn used(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
        // `use crate::{a, b}` groups.
        if let Some(group) = code.split("use crate::{").nth(1) {
            for part in group.split([',', '}']) {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

#[test]
fn modules_only_use_lower_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    let mut files = 0;
    for entry in walkdir::WalkDir::new(&src).into_iter().filter_map(Result::ok) {
        let path = entry.path();
        if path.extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let rel = path.strip_prefix(&src).unwrap();
        let Some(module) = owner(rel) else { continue };
        if module == "lib" || module == "main" {
            continue;
        }
        files += 1;
        let Some(own) = layer(&module) else {
            problems.push(format!("{}: module {module} is not in LAYERS", rel.display()));
            continue;
        };
        let text = std::fs::read_to_string(path).unwrap();
        for name in used(&text) {
            if name == module {
                continue;
            }
            match layer(&name) {
                Some(l) if l < own => {}
                Some(_) => problems.push(format!(
                    "{}: {module} uses {name}, which is not below it",
                    rel.display()
                )),
                None => problems.push(format!("{}: uses crate::{name}, not in LAYERS", rel.display())),
            }
        }
    }
    assert!(files > 20, "only {files} files read");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The lines of `text` with string and character literals emptied and line comments dropped, so
/// that braces can be counted.
fn code_lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            let mut out = String::new();
            let mut chars = line.chars().peekable();
            let mut in_str = false;
            while let Some(c) = chars.next() {
                match (in_str, c) {
                    (true, '\\') => {
                        chars.next();
                    }
                    (true, '"') => in_str = false,
                    (true, _) => {}
                    (false, '"') => in_str = true,
                    (false, '\'') if chars.clone().nth(1) == Some('\'') => {
                        chars.next();
                        chars.next();
                    }
                    (false, '/') if chars.peek() == Some(&'/') => break,
                    (false, c) => out.push(c),
                }
            }
            out
        })
        .collect()
}

/// Functions short enough to read in one sitting: none over 100 lines outside tests.
#[test]
fn no_function_is_over_100_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut long = Vec::new();
    for entry in walkdir::WalkDir::new(&src).into_iter().filter_map(Result::ok) {
        if entry.path().extension().is_none_or(|x| x != "rs") {
            continue;
        }
        let lines = code_lines(&std::fs::read_to_string(entry.path()).unwrap());
        let mut i = 0;
        while i < lines.len() {
            let t = lines[i].trim_start();
            // A test module runs to the end of its braces: skip it.
            let test_module = t.starts_with("#[cfg(test)]")
                && lines
                    .get(i + 1)
                    .is_some_and(|n| n.trim_start().starts_with("mod ") && n.contains('{'));
            let is_fn = ["fn ", "pub fn ", "pub(crate) fn ", "const fn ", "pub(crate) const fn "]
                .iter()
                .any(|p| t.starts_with(p));
            if !(test_module || is_fn) {
                i += 1;
                continue;
            }
            let (mut depth, mut opened, mut j) = (0i32, false, i);
            while j < lines.len() {
                for c in lines[j].chars() {
                    match c {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                if (opened && depth <= 0) || (!opened && lines[j].trim_end().ends_with(';')) {
                    break;
                }
                j += 1;
            }
            if is_fn && j + 1 - i > 100 {
                let rel = entry.path().strip_prefix(&src).unwrap();
                long.push(format!("src/{}:{} is {} lines", rel.display(), i + 1, j + 1 - i));
            }
            i = if test_module { j + 1 } else { i + 1 };
        }
    }
    assert!(long.is_empty(), "{}", long.join("\n"));
}
