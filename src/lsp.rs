//! `tongbao lsp`: the Language Server Protocol over stdio, for staff who write the month in an
//! editor (VS Code, Vim, Emacs …). The same functions as the commands answer: the problems of a
//! file are `check`'s for its month, with the editor's unsaved text read in place of the file;
//! completion, hover and go-to-definition read the registry, the descriptions and the month's
//! tables as `build` does.
//!
//! Positions: LSP counts UTF-16 code units (the encoding every client speaks); tongbao counts
//! characters. They are converted here, at the edge, with the line's text.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_server::{Connection, Message, Notification, Request, Response};
use serde_json::{Value, json};

use crate::diag::{Diagnostic, Loc, Severity};
use crate::load::expr::FILTERS;
use crate::project::Project;

/// Runs the server on stdin/stdout until the client says `exit`; the reason when it cannot.
pub(crate) fn run(project: &Project) -> Result<(), String> {
    let (connection, io) = Connection::stdio();
    serve(project, &connection)?;
    drop(connection);
    io.join().map_err(|e| format!("语言服务的输入输出出错：{e}"))
}

/// What the server says it can do.
fn capabilities() -> Value {
    json!({
        "capabilities": {
            "positionEncoding": "utf-16",
            "textDocumentSync": 1,
            "completionProvider": {"triggerCharacters": ["{", ".", "|", " "]},
            "hoverProvider": true,
            "definitionProvider": true,
        },
        "serverInfo": {"name": "tongbao", "version": env!("CARGO_PKG_VERSION")},
    })
}

fn serve(project: &Project, connection: &Connection) -> Result<(), String> {
    let fail = |e: lsp_server::ProtocolError| format!("语言服务的握手失败：{e}");
    let (id, _params) = connection.initialize_start().map_err(fail)?;
    connection.initialize_finish(id, capabilities()).map_err(fail)?;
    let mut open: HashMap<String, String> = HashMap::new();
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request).map_err(fail)? {
                    return Ok(());
                }
                const ANSWERED: [&str; 3] = [
                    "textDocument/completion",
                    "textDocument/hover",
                    "textDocument/definition",
                ];
                let response = if ANSWERED.contains(&request.method.as_str()) {
                    Response::new_ok(request.id.clone(), answer(project, &open, &request))
                } else {
                    let code = lsp_server::ErrorCode::MethodNotFound as i32;
                    Response::new_err(request.id.clone(), code, format!("tongbao 不回答 {}", request.method))
                };
                connection.sender.send(response.into()).map_err(|e| e.to_string())?;
            }
            Message::Notification(note) => {
                for (uri, diagnostics) in notice(project, &mut open, &note) {
                    let params = json!({"uri": uri, "diagnostics": diagnostics});
                    let out = Notification::new("textDocument/publishDiagnostics".into(), params);
                    connection.sender.send(out.into()).map_err(|e| e.to_string())?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

/// A document opened, changed or closed: the open texts updated, and the diagnostics to publish
/// (for every open document of the months the change touches).
fn notice(project: &Project, open: &mut HashMap<String, String>, note: &Notification) -> Vec<(String, Value)> {
    let doc = &note.params["textDocument"];
    let Some(uri) = doc["uri"].as_str().map(str::to_string) else {
        return Vec::new();
    };
    match note.method.as_str() {
        "textDocument/didOpen" => {
            open.insert(uri.clone(), doc["text"].as_str().unwrap_or_default().to_string());
        }
        "textDocument/didChange" => {
            if let Some(text) = note.params["contentChanges"].as_array().and_then(|c| c.last()) {
                open.insert(uri.clone(), text["text"].as_str().unwrap_or_default().to_string());
            }
        }
        "textDocument/didClose" => {
            open.remove(&uri);
            return vec![(uri, json!([]))];
        }
        _ => return Vec::new(),
    }
    diagnostics(project, open)
}

/// The project-relative path of a `file://` URI under the project's folder.
fn relative(project: &Project, uri: &str) -> Option<PathBuf> {
    let path = url::Url::parse(uri).ok()?.to_file_path().ok()?;
    path.strip_prefix(project.root()).ok().map(Path::to_path_buf)
}

/// The month a file belongs to (`data/2023-03/…`), if it is a month's.
fn month_of(rel: &Path) -> Option<String> {
    let mut parts = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned());
    (parts.next()? == crate::project::DATA).then_some(())?;
    let month = parts.next()?;
    crate::calendar::MonthId::parse(&month).map(|_| month)
}

/// A fresh look at the project with the editor's unsaved texts in place of the files.
fn overlaid(project: &Project, open: &HashMap<String, String>) -> Project {
    let fresh = Project::new(project.root());
    for (uri, text) in open {
        if let Some(rel) = relative(project, uri) {
            fresh.overlay(&rel, Arc::from(text.as_bytes()));
        }
    }
    fresh
}

/// `check`'s problems for the months of the open documents (every month for a shared file),
/// each open document's own.
fn diagnostics(project: &Project, open: &HashMap<String, String>) -> Vec<(String, Value)> {
    let view = overlaid(project, open);
    let rels: Vec<(String, PathBuf)> = open
        .keys()
        .filter_map(|uri| relative(project, uri).map(|rel| (uri.clone(), rel)))
        .collect();
    let mut months: Vec<String> = rels.iter().filter_map(|(_, rel)| month_of(rel)).collect();
    if rels.iter().any(|(_, rel)| month_of(rel).is_none()) {
        months = view.months();
    }
    months.sort();
    months.dedup();
    let found = crate::pipeline::check_months(&view, &months);
    rels.into_iter()
        .map(|(uri, rel)| {
            let text = open.get(&uri).map(String::as_str).unwrap_or_default();
            let mine: Vec<Value> = found
                .iter()
                .filter(|d| d.file.as_deref() == Some(rel.as_path()))
                .map(|d| diagnostic(d, text))
                .collect();
            (uri, Value::Array(mine))
        })
        .collect()
}

/// A diagnostic as LSP has it: the place in UTF-16 units, the message with its hint.
fn diagnostic(d: &Diagnostic, text: &str) -> Value {
    let line = d.line.saturating_sub(1);
    let start = d.column.saturating_sub(1);
    let range = range_of(text, line, start, d.len.max(1));
    let message = match &d.help {
        Some(help) => format!("{}\n提示：{help}", d.message),
        None => d.message.clone(),
    };
    json!({
        "range": range,
        "severity": if d.severity == Severity::Error { 1 } else { 2 },
        "code": d.code.as_str(),
        "source": "tongbao",
        "message": message,
    })
}

/// The LSP range of `len` characters from character `col` of line `line` (0-based) of `text`.
fn range_of(text: &str, line: usize, col: usize, len: usize) -> Value {
    let units = |chars: usize| -> usize {
        text.lines()
            .nth(line)
            .map_or(chars, |l| l.chars().take(chars).map(char::len_utf16).sum())
    };
    json!({
        "start": {"line": line, "character": units(col)},
        "end": {"line": line, "character": units(col + len)},
    })
}

/// The character offset in `line_text` of UTF-16 unit `units`.
fn char_at(line_text: &str, units: usize) -> usize {
    let mut seen = 0;
    for (i, c) in line_text.chars().enumerate() {
        if seen >= units {
            return i;
        }
        seen += c.len_utf16();
    }
    line_text.chars().count()
}

/// Answers a request (completion, hover, definition); `null` for what it does not know.
fn answer(project: &Project, open: &HashMap<String, String>, request: &Request) -> Value {
    let params = &request.params;
    let Some(uri) = params["textDocument"]["uri"].as_str() else {
        return Value::Null;
    };
    let line = params["position"]["line"].as_u64().unwrap_or(0) as usize;
    let units = params["position"]["character"].as_u64().unwrap_or(0) as usize;
    let text = open.get(uri).cloned().unwrap_or_default();
    let line_text = text.lines().nth(line).unwrap_or_default();
    let at = char_at(line_text, units);
    let before: String = line_text.chars().take(at).collect();
    let view = overlaid(project, open);
    let month = relative(project, uri).as_deref().and_then(month_of);
    match request.method.as_str() {
        "textDocument/completion" => Value::Array(completion(&view, month.as_deref(), &before)),
        "textDocument/hover" | "textDocument/definition" => {
            let word = expression_at(line_text, at);
            let Some((path, word_at)) = word else {
                return Value::Null;
            };
            let found = lookup(&view, month.as_deref(), &path);
            if request.method == "textDocument/hover" {
                found.map_or(Value::Null, |f| {
                    let range = range_of(&text, line, word_at, path.last().map_or(1, |w| w.chars().count()));
                    json!({"contents": {"kind": "plaintext", "value": f.about}, "range": range})
                })
            } else {
                found
                    .and_then(|f| f.loc)
                    .map_or(Value::Null, |loc| location(project, &loc))
            }
        }
        _ => Value::Null,
    }
}

/// The `{{ … }}` around character `at` of a line: the dotted path up to and including the word
/// under the cursor, and where that word starts.
fn expression_at(line: &str, at: usize) -> Option<(Vec<String>, usize)> {
    let chars: Vec<char> = line.chars().collect();
    if chars.is_empty() {
        return None;
    }
    let open = (0..=at.min(chars.len().saturating_sub(1)))
        .rev()
        .find(|&i| chars[i] == '{' && i > 0 && chars[i - 1] == '{')?;
    let close = (open..chars.len()).find(|&i| chars[i] == '}').unwrap_or(chars.len());
    if at > close {
        return None;
    }
    let body: String = chars[open + 1..close].iter().collect();
    let head = body.split('|').next().unwrap_or_default();
    let head_start = open + 1 + head.chars().take_while(|c| c.is_whitespace()).count();
    let words: Vec<&str> = head.trim().split('.').collect();
    let mut start = head_start;
    let mut path = Vec::new();
    for w in words {
        let end = start + w.chars().count();
        path.push(w.trim().to_string());
        if at <= end {
            return Some((path, start));
        }
        start = end + 1;
    }
    None
}

/// What a path of an expression names: words for the hover, and where it is written.
struct Found {
    about: String,
    loc: Option<Loc>,
}

/// Looks up `表`, `表.列` or `表.单位.列` in the month's data.
fn lookup(project: &Project, month: Option<&str>, path: &[String]) -> Option<Found> {
    let month = month?;
    let (data, _) = crate::load::load_month(project, month);
    let data = data?;
    let spec = data.table_named(path.first()?)?;
    let table = data.month(month)?.tables.iter().find(|t| t.id == spec.id);
    let mut about = format!("{}（{}）", spec.expression_name(), spec.name);
    let Some(second) = path.get(1) else {
        return Some(Found {
            about,
            loc: table.map(|t| t.loc.clone()).or(Some(spec.loc.clone())),
        });
    };
    let row = table.and_then(|t| {
        let unit = data.registry.resolve(second)?;
        t.rows
            .iter()
            .find(|r| data.registry.resolve(&r.unit).is_some_and(|u| u.name == unit.name))
    });
    let key = if row.is_some() { path.get(2)? } else { second };
    let column = spec.columns.iter().find(|c| c.key == *key || c.label == *key);
    let headline = spec.headlines.iter().find(|h| h.key == *key || h.label == *key);
    let key = column.map(|c| c.key.clone()).or(headline.map(|h| h.key.clone()))?;
    let label = column.map(|c| c.label.clone()).or(headline.map(|h| h.label.clone()))?;
    let figure = match row {
        Some(r) => r.values.iter().find(|f| f.key == key),
        None => table.and_then(|t| {
            t.headline(&key)
                .or_else(|| t.total.as_ref().and_then(|total| total.iter().find(|f| f.key == key)))
        }),
    };
    if let Some(r) = row {
        about.push_str(&format!(" · {}", r.unit));
    }
    about.push_str(&format!(" · {label}"));
    if let Some(f) = figure {
        about.push_str(&format!(" = {}", f.value));
    }
    let loc = figure.map(|f| f.loc.clone()).or(row.map(|r| r.unit_loc.clone()));
    if let Some(loc) = &loc {
        // Where the figure is written: the row the value comes from.
        about.push_str(&format!(
            "\n{} 第 {} 行",
            crate::pipeline::slashed(&loc.src.path),
            loc.line
        ));
    }
    Some(Found { about, loc })
}

/// A place as an LSP location (a `file://` URI and a range).
fn location(project: &Project, loc: &Loc) -> Value {
    let path = project.path(&loc.src.path);
    let Ok(uri) = url::Url::from_file_path(&path) else {
        return Value::Null;
    };
    json!({
        "uri": uri.as_str(),
        "range": range_of(&loc.src.text, loc.line.saturating_sub(1), loc.col.saturating_sub(1), loc.len.max(1)),
    })
}

/// Completion items for the text before the cursor: in `{{ … }}`, the tables, then their
/// columns, headlines and units, and after `|` the filters; in a month's table file after
/// `单位:`, the registry's units.
pub(crate) fn completion(project: &Project, month: Option<&str>, before: &str) -> Vec<Value> {
    let mut diags = Vec::new();
    let Some(base) = crate::load::base(project, &mut diags) else {
        return Vec::new();
    };
    let item = |label: &str, detail: &str, kind: u8| json!({"label": label, "detail": detail, "kind": kind});
    let units = || -> Vec<Value> { base.registry.units.iter().map(|u| item(&u.name, &u.kind, 9)).collect() };
    let Some(open) = before.rfind("{{") else {
        let tail = before.trim_end();
        return if tail.ends_with("单位:") || tail.ends_with("单位：") {
            units()
        } else {
            Vec::new()
        };
    };
    let inside = &before[open + 2..];
    if inside.contains("}}") {
        return Vec::new();
    }
    if inside.contains('|') {
        return FILTERS
            .iter()
            .map(|f| item(f.name, &crate::load::expr::usage(f), 3))
            .collect();
    }
    let path: Vec<&str> = inside.trim_start().split('.').collect();
    match path.as_slice() {
        [_] => base
            .specs
            .iter()
            .map(|s| item(s.expression_name(), &s.name, 7))
            .collect(),
        [table, rest @ ..] => {
            let Some(spec) = base.specs.iter().find(|s| crate::load::names_table(s, table)) else {
                return Vec::new();
            };
            let mut items: Vec<Value> = spec
                .columns
                .iter()
                .map(|c| item(&c.key, &c.label, 5))
                .chain(spec.headlines.iter().map(|h| item(&h.key, &h.label, 5)))
                .chain(spec.derived.iter().map(|d| item(&d.key, &d.label, 5)))
                .collect();
            if rest.len() == 1 {
                items.extend(
                    listed_units(project, month, &spec.id)
                        .iter()
                        .map(|u| item(u, "单位", 9)),
                );
            }
            items
        }
        [] => Vec::new(),
    }
}

/// The units month `month`'s table `id` lists, in its order.
fn listed_units(project: &Project, month: Option<&str>, id: &str) -> Vec<String> {
    let Some(month) = month else { return Vec::new() };
    let Some(data) = crate::load::load_month(project, month).0 else {
        return Vec::new();
    };
    let Some(m) = data.month(month) else { return Vec::new() };
    m.tables
        .iter()
        .filter(|t| t.id == id)
        .flat_map(|t| t.rows.iter().map(|r| r.unit.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn positions_convert_between_characters_and_utf16() {
        let line = "𠀀转办{{ 热线.本月 }}件";
        assert_eq!(char_at(line, 2), 1, "𠀀 is two UTF-16 units");
        assert_eq!(char_at(line, 999), line.chars().count());
        let range = range_of(line, 0, 5, 2);
        assert_eq!(range["start"]["character"], 6);
        assert_eq!(range["end"]["character"], 8);
        assert_eq!(
            expression_at(line, 9),
            Some((vec!["热线".to_string(), "本月".to_string()], 9))
        );
        assert_eq!(expression_at(line, 7), Some((vec!["热线".to_string()], 6)));
        assert_eq!(expression_at("没有表达式", 2), None);
        assert_eq!(expression_at("", 0), None);
    }

    proptest! {
        #[test]
        fn any_line_and_position_never_panics(line in "[{}|.热线本月 a𠀀\\-]{0,40}", at in 0usize..60) {
            let _ = expression_at(&line, at);
            let _ = char_at(&line, at);
            let _ = range_of(&line, 0, at, 3);
        }
    }
}
