//! `tongbao lsp` driven as an editor drives it: JSON-RPC over stdio, with the editor's unsaved
//! text, positions in UTF-16 (tested with a character outside the Basic Multilingual Plane).

use std::io::{BufReader, Write as _};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{Value, json};

use crate::util::Project;

struct Client {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    next: i32,
    /// Notifications seen while waiting for responses.
    notes: Vec<Notification>,
}

impl Client {
    fn start(p: &Project) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tongbao"))
            .args(["lsp", "--root"])
            .arg(p.root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let input = child.stdin.take().unwrap();
        let output = BufReader::new(child.stdout.take().unwrap());
        Client {
            child,
            input,
            output,
            next: 1,
            notes: Vec::new(),
        }
    }

    fn send(&mut self, message: Message) {
        message.write(&mut self.input).unwrap();
        self.input.flush().unwrap();
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = RequestId::from(self.next);
        self.next += 1;
        self.send(Message::Request(Request::new(id.clone(), method.into(), params)));
        loop {
            match Message::read(&mut self.output).unwrap().expect("the server hung up") {
                Message::Response(r) if r.id == id => match r.response_result {
                    Ok(result) => return result,
                    Err(e) => panic!("{method}: {e:?}"),
                },
                Message::Notification(n) => self.notes.push(n),
                _ => {}
            }
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(Message::Notification(Notification::new(method.into(), params)));
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        loop {
            if let Some(at) = self
                .notes
                .iter()
                .position(|n| n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri)
            {
                let note = self.notes.remove(at);
                return note.params["diagnostics"].as_array().cloned().unwrap_or_default();
            }
            match Message::read(&mut self.output).unwrap().expect("the server hung up") {
                Message::Notification(n) => self.notes.push(n),
                other => panic!("unexpected {other:?}"),
            }
        }
    }
}

fn uri(p: &Project, rel: &str) -> String {
    url::Url::from_file_path(p.path(rel)).unwrap().to_string()
}

/// Where `needle` starts in `text`: (line, UTF-16 column), 0-based.
fn position(text: &str, needle: &str) -> (usize, usize) {
    let line = text.lines().position(|l| l.contains(needle)).unwrap();
    let l = text.lines().nth(line).unwrap();
    let before = &l[..l.find(needle).unwrap()];
    (line, before.encode_utf16().count())
}

#[test]
fn the_language_server_checks_completes_hovers_and_jumps() {
    let p = Project::march_only();
    let mut client = Client::start(&p);
    let root = url::Url::from_directory_path(p.root()).unwrap().to_string();
    let init = client.request(
        "initialize",
        json!({"processId": null, "rootUri": root, "capabilities": {"general": {"positionEncodings": ["utf-16"]}}}),
    );
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16", "{init}");
    client.notify("initialized", json!({}));

    // The editor's unsaved text, with a misspelt table after a character of two UTF-16 units.
    let rel = "data/2023-03/通报.txt";
    let doc = uri(&p, rel);
    let saved = p.read(rel);
    let slip = "𠀀转办{{ 热先.本月 }}件。";
    let text = saved.replacen("附件:", &format!("{slip}\n附件:"), 1);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": doc, "languageId": "plaintext", "version": 1, "text": text}}),
    );
    let found = client.diagnostics(&doc);
    let (line, col) = position(&text, "热先");
    let error = found
        .iter()
        .find(|d| d["severity"] == 1 && d["range"]["start"]["line"] == line)
        .unwrap_or_else(|| panic!("{found:#?}"));
    assert!(error["code"].as_str().unwrap().starts_with("expression"), "{error}");
    assert_eq!(
        error["range"]["start"],
        json!({"line": line, "character": col}),
        "{error}"
    );
    assert_eq!(error["severity"], 1);
    assert!(error["message"].as_str().unwrap().contains("热先"), "{error}");
    // Fixed in the editor (not saved): the problem goes.
    let fixed = text.replace("热先", "热线");
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": doc, "version": 2}, "contentChanges": [{"text": fixed}]}),
    );
    let found = client.diagnostics(&doc);
    assert!(!found.iter().any(|d| d["severity"] == 1), "{found:#?}");
    assert_eq!(p.read(rel), saved, "nothing is written");

    // Completion: tables, then a table's columns and units, then filters.
    let (line, col) = position(&fixed, "热线.本月 }}件。");
    let labels = |client: &mut Client, character: usize| -> Vec<String> {
        let items = client.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": doc}, "position": {"line": line, "character": character}}),
        );
        items
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    let tables = labels(&mut client, col);
    assert!(
        tables.contains(&"热线".to_string()) && tables.contains(&"督办".to_string()),
        "{tables:?}"
    );
    let columns = labels(&mut client, col + "热线.".encode_utf16().count());
    assert!(columns.contains(&"本月".to_string()), "{columns:?}");
    assert!(
        columns.contains(&"总寨镇政府".to_string()),
        "the table's units: {columns:?}"
    );
    let (fline, fcol) = position(&fixed, "| 最多(2)");
    let items = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": doc}, "position": {"line": fline, "character": fcol + 2}}),
    );
    assert!(items.to_string().contains("最多"), "{items}");

    // Hover: what the figure is and its value; definition: the figure in the month's table.
    let table = p.read("data/2023-03/12345.yaml");
    let total_line = table.lines().position(|l| l.starts_with("合计:")).unwrap();
    let total = table.lines().nth(total_line).unwrap();
    let value = crate::util::field(total, "本月");
    let at = json!({"textDocument": {"uri": doc}, "position": {"line": line, "character": col + 4}});
    let hover = client.request("textDocument/hover", at.clone());
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        shown.contains("热线") && shown.contains(&format!("= {value}")),
        "{hover}"
    );
    let row = format!("data/2023-03/12345.yaml 第 {} 行", total_line + 1);
    assert!(shown.contains(&row), "{hover}");
    let target = client.request("textDocument/definition", at);
    assert_eq!(target["uri"], uri(&p, "data/2023-03/12345.yaml"), "{target}");
    assert_eq!(target["range"]["start"]["line"], total_line, "{target}");

    // A month's table: a misspelt unit in the unsaved text is found; after `单位:` the units.
    let rel = "data/2023-03/12345.yaml";
    let table_doc = uri(&p, rel);
    let slipped = table.replacen("{单位: 总寨镇政府", "{单位: 总寨镇正府", 1);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": table_doc, "languageId": "yaml", "version": 1, "text": slipped}}),
    );
    let found = client.diagnostics(&table_doc);
    let (uline, ucol) = position(&slipped, "总寨镇正府");
    assert!(
        found
            .iter()
            .any(|d| d["code"] == "unit-unknown" && d["range"]["start"] == json!({"line": uline, "character": ucol})),
        "{found:#?}"
    );
    let items = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": table_doc}, "position": {"line": uline, "character": ucol}}),
    );
    assert!(items.to_string().contains("\"总寨镇人民政府\""), "{items}");

    assert_eq!(client.request("shutdown", Value::Null), Value::Null);
    client.notify("exit", Value::Null);
    let status = client.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
