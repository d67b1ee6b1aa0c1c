//! `tongbao serve [--port N] [--no-open]`: the month in a browser, for staff who never open a
//! terminal. A page on 127.0.0.1 lists the months with their state, edits the text and the
//! tables, shows the draft preview as the clerk types, saves, commits, issues and shows the
//! history.
//!
//! It is `watch` with a workspace page: the same loop rebuilds the month shown (with the unsaved
//! text in place of the file, see [`Live`]), the same preview routes serve its pages, and every
//! action is the command of the same name run on the project (`new`, `import`, `issue`, `log`,
//! `diff`, `build`), so the workspace and the command line can never disagree. Files are written
//! through the project's write gate, and never over a change made outside meanwhile (each save
//! names the content it replaces by its SHA-256).
//!
//! Who may ask: [`crate::http`] refuses other hosts and other sites; on top of that every
//! request carries the token printed in the URL, kept in a cookie named after the port.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value, json};

use super::watch::Live;
use super::{Error, Result};
use crate::args::ServeArgs;
use crate::http::{self, Request, Response};
use crate::load::table_file::{RowText, TableFile};
use crate::preview::{self, State};
use crate::project::{DATA, Project, SCRATCH};

const PAGE: &str = include_str!("../preview/workspace.html");

/// What a workspace allows each client: uploads of a spreadsheet (the import's own limit), a
/// month's text or table.
const LIMITS: http::Limits = http::Limits {
    connections: 256,
    streams: 16,
    head_time: std::time::Duration::from_secs(5),
    body_time: std::time::Duration::from_secs(30),
    body_bytes: crate::limits::SHEET_FILE_BYTES as usize,
};

/// Everything a request handler needs.
struct Workspace {
    project: Project,
    state: Arc<State>,
    live: Arc<Live>,
    token: String,
    /// The cookie that carries the token, named after the port once it is bound.
    cookie: std::sync::OnceLock<String>,
}

/// Runs until Ctrl-C.
pub(crate) fn run(project: &Project, args: &ServeArgs) -> Result {
    let token = token().map_err(Error::Usage)?;
    let state = State::with_editor(preview::Editor::default());
    let month = project.months().last().cloned();
    let live = Live::new(project, month);
    let port = args.port.unwrap_or(super::watch::DEFAULT_PORT + 1);
    let ws = Arc::new(Workspace {
        project: project.clone(),
        state: state.clone(),
        live: live.clone(),
        cookie: std::sync::OnceLock::new(),
        token: token.clone(),
    });
    let handler: http::Handler = {
        let ws = ws.clone();
        Arc::new(move |request| ws.answer(&request))
    };
    let server = http::serve(port, args.port.is_none(), LIMITS, handler).map_err(|e| Error::Usage(e.0))?;
    // The cookie's name carries the port: cookies are not kept apart by port, and another
    // workspace on this machine must not receive this one's token.
    let _ = ws.cookie.set(format!("tongbao-{}", server.addr.port()));
    if let Some(busy) = server.busy {
        tell!("端口 {busy} 已被占用，改用 {}", server.addr.port());
    }
    let url = format!("http://{}/?token={token}", server.addr);
    say!("工作台：{url}");
    say!("（地址中含口令，只在本机有效；按 Ctrl-C 退出）");
    if !args.no_open {
        super::watch::open_browser(&url);
    }
    super::watch::follow(project, false, &state, &live)
}

/// 128 random bits, as hex.
fn token() -> std::result::Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| format!("无法生成工作台的口令：{e}"))?;
    Ok(crate::project::hex(&bytes))
}

fn sha(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    crate::project::hex(&sha2::Sha256::digest(bytes))
}

/// A request's JSON body, or a 400 saying it is not.
fn body<T: for<'de> Deserialize<'de>>(request: &Request) -> std::result::Result<T, Response> {
    serde_json::from_slice(&request.body).map_err(|_| Response::text(400, "400 请求内容不是有效的 JSON"))
}

impl Workspace {
    /// Checks the token, then answers.
    fn answer(&self, request: &Request) -> Response {
        let path = request.path();
        if path == "/" && request.is_read() && request.param("token", 64).is_some() {
            return self.enter(request);
        }
        let cookie = self.cookie.get().map(String::as_str).unwrap_or("-");
        if request.cookie(cookie) != Some(self.token.as_str()) {
            return Response::text(401, "401 请用 tongbao serve 打印的地址（含口令）打开工作台");
        }
        if !request.is_read() && request.site.as_deref() != Some("same-origin") && request.origin.is_none() {
            // A state-changing request from a browser names its page; none at all is a program,
            // which must say where from as well.
            return Response::text(403, "403 只接受工作台页面自己的请求");
        }
        let fresh = Project::new(self.project.root());
        let result = match (request.method.as_str(), path) {
            ("GET" | "HEAD", "/" | "/index.html") => Ok(Response::ok(http::HTML, PAGE)),
            ("GET", "/api/months") => Ok(self.months(&fresh)),
            ("POST", "/api/show") => self.show(request, &fresh),
            ("GET", "/api/files") => self.files(request, &fresh),
            ("GET", "/api/file") => self.file(request, &fresh),
            ("POST", "/api/file") => self.save(request, &fresh),
            ("POST", "/api/draft") => self.draft(request, &fresh),
            ("POST", "/api/complete") => Ok(self.complete(request, &fresh)),
            ("GET", "/api/tables") => self.tables(request, &fresh),
            ("POST", "/api/table") => self.save_table(request, &fresh),
            ("POST", "/api/run") => self.run_command(request, &fresh),
            ("PUT", "/api/upload") => self.upload(request, &fresh),
            ("GET", "/api/out") => self.download(request, &fresh),
            ("GET", "/api/history") => self.history(request, &fresh),
            ("GET", "/api/revision") => self.revision(request, &fresh),
            _ => Ok(preview::handle(request, &self.state, &self.project)),
        };
        result.unwrap_or_else(|refusal| refusal)
    }

    /// The first visit: the token goes into a cookie and out of the address bar.
    fn enter(&self, request: &Request) -> Response {
        if request.param("token", 64).as_deref() != Some(self.token.as_str()) {
            return Response::text(401, "401 口令不对：请用 tongbao serve 打印的地址打开工作台");
        }
        Response::new(302, http::TEXT, Vec::new())
            .header("Location", "/".into())
            .header(
                "Set-Cookie",
                format!(
                    "{}={}; HttpOnly; SameSite=Strict; Path=/",
                    self.cookie.get().map(String::as_str).unwrap_or("-"),
                    self.token
                ),
            )
    }

    /// Each month with its state: issued (and its edition), draft (待填 and problems) or ready.
    fn months(&self, project: &Project) -> Response {
        let shown = self.live.month();
        let months: Vec<Value> = project
            .months()
            .iter()
            .rev()
            .map(|m| {
                let found = crate::pipeline::check_months(project, std::slice::from_ref(m));
                let pending = found.iter().filter(|d| d.code == crate::diag::Code::Unfilled).count();
                let problems = found.iter().filter(|d| d.is_error()).count() - pending;
                let text = project.present(&project.month_text(m)).unwrap_or(false);
                let state = if project.is_issued(m) {
                    "issued"
                } else if !text {
                    "data"
                } else if pending + problems > 0 {
                    "draft"
                } else {
                    "ready"
                };
                json!({"name": m, "state": state, "pending": pending, "problems": problems,
                       "shown": shown.as_deref() == Some(m.as_str())})
            })
            .collect();
        Response::json(&months)
    }

    fn show(&self, request: &Request, project: &Project) -> std::result::Result<Response, Response> {
        let month = month_param(request, project)?;
        self.live.show(&month);
        Ok(Response::new(204, http::TEXT, Vec::new()))
    }

    /// A file of the project the workspace may edit: a month's text or table, the registry, a
    /// table description. Nothing outside `data/`, nothing that is not an input.
    fn editable(&self, request: &Request, project: &Project) -> std::result::Result<PathBuf, Response> {
        let rel = PathBuf::from(request.param("path", 300).unwrap_or_default());
        let plain = rel.components().all(|c| matches!(c, std::path::Component::Normal(_)));
        let ext = rel.extension().and_then(|e| e.to_str()).unwrap_or("");
        if !plain || !rel.starts_with(DATA) || !project.is_input(&rel) || !matches!(ext, "yaml" | "txt") {
            return Err(Response::text(403, "403 工作台只能编辑 data/ 中的正文和表格"));
        }
        Ok(rel)
    }

    /// The files of a month the text tab can open: its text and settings, then what every month
    /// shares (the registry, the table descriptions).
    fn files(&self, request: &Request, project: &Project) -> std::result::Result<Response, Response> {
        let month = month_param(request, project)?;
        let mut files = vec![project.month_text(&month), project.document(&month)];
        files.push(PathBuf::from(crate::project::REGISTRY));
        let tables = project.path(crate::project::TABLES);
        let mut described: Vec<PathBuf> = std::fs::read_dir(tables)
            .map(|dir| {
                dir.filter_map(std::result::Result::ok)
                    .map(|e| Path::new(crate::project::TABLES).join(e.file_name()))
                    .filter(|rel| project.is_input(rel))
                    .collect()
            })
            .unwrap_or_default();
        described.sort();
        files.extend(described);
        let listed: Vec<String> = files
            .iter()
            .filter(|rel| project.present(rel).unwrap_or(false))
            .map(|rel| crate::pipeline::slashed(rel))
            .collect();
        Ok(Response::json(&listed))
    }

    fn file(&self, request: &Request, project: &Project) -> std::result::Result<Response, Response> {
        let rel = self.editable(request, project)?;
        let bytes = match project.present(&rel) {
            Ok(true) => project.read(&rel).map_err(|e| Response::text(422, &e.reason()))?,
            _ => Vec::new(),
        };
        Ok(Response::json(&json!({
            "path": crate::pipeline::slashed(&rel),
            "text": String::from_utf8_lossy(&bytes),
            "hash": sha(&bytes),
        })))
    }

    /// Saves a file through the write gate, unless it changed since the page read it (409 with
    /// what it is now, so the clerk sees both and chooses).
    fn save(&self, request: &Request, project: &Project) -> std::result::Result<Response, Response> {
        let rel = self.editable(request, project)?;
        let base = request.param("base", 64).unwrap_or_default();
        self.write_checked(project, &rel, &base, &request.body)?;
        self.live.edit(&rel, None);
        Ok(Response::json(&json!({"hash": sha(&request.body)})))
    }

    fn write_checked(
        &self,
        project: &Project,
        rel: &Path,
        base: &str,
        bytes: &[u8],
    ) -> std::result::Result<(), Response> {
        let now = match project.present(rel) {
            Ok(true) => project.read(rel).map_err(|e| Response::text(422, &e.reason()))?,
            _ => Vec::new(),
        };
        if sha(&now) != base {
            let mut conflict = Response::json(&json!({
                "message": format!("{} 在别处被修改过：请比较两份内容，选定后再保存", crate::pipeline::slashed(rel)),
                "text": String::from_utf8_lossy(&now),
                "hash": sha(&now),
            }));
            conflict.status = 409;
            return Err(conflict);
        }
        project
            .write(rel, bytes)
            .map_err(|e| Response::text(422, &format!("无法保存 {}：{e}", crate::pipeline::slashed(rel))))
    }

    /// The clerk's unsaved text (or, with `forget`, none): the preview and the problems follow it.
    fn draft(&self, request: &Request, project: &Project) -> std::result::Result<Response, Response> {
        let rel = self.editable(request, project)?;
        // The clerk gave the unsaved text up: the file again.
        let text = (request.param("forget", 2).is_none()).then(|| Arc::from(request.body.as_slice()));
        self.live.edit(&rel, text);
        Ok(Response::new(204, http::TEXT, Vec::new()))
    }

    /// Completions for the text before the cursor (the body), as `tongbao lsp` gives them.
    fn complete(&self, request: &Request, project: &Project) -> Response {
        let month = request.param("month", 16);
        let before = String::from_utf8_lossy(&request.body);
        let items = crate::lsp::completion(project, month.as_deref(), &before);
        Response::json(&items)
    }

    /// The month's tables as grids: units in the file's order, the description's columns (the
    /// computed ones marked), each cell as written.
    fn tables(&self, request: &Request, project: &Project) -> std::result::Result<Response, Response> {
        let month = month_param(request, project)?;
        let mut diags = Vec::new();
        let base = crate::load::base(project, &mut diags).ok_or_else(|| problems(&diags))?;
        let tables: Vec<Value> = base
            .specs
            .iter()
            .filter_map(|spec| {
                let rel = project.table_file(&month, &spec.id);
                let bytes = project.read(&rel).ok()?;
                let file = TableFile::read(&String::from_utf8_lossy(&bytes));
                let columns: Vec<Value> = spec
                    .columns
                    .iter()
                    .map(|c| json!({"key": c.key, "label": c.label, "computed": false}))
                    .chain(
                        spec.derived
                            .iter()
                            .map(|d| json!({"key": d.key, "label": d.label, "computed": true})),
                    )
                    .collect();
                let rows: Vec<Value> = file
                    .rows
                    .iter()
                    .map(|r| json!({"unit": r.unit, "cells": r.cells.iter().map(|(k, v)| (k.clone(), Value::from(v.clone()))).collect::<serde_json::Map<_, _>>()}))
                    .collect();
                let written: std::collections::HashMap<&str, &str> =
                    file.headlines.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let headlines: Vec<Value> = spec
                    .headlines
                    .iter()
                    .map(|h| json!({"key": h.key, "label": h.label, "value": written.get(h.key.as_str())}))
                    .collect();
                Some(json!({"id": spec.id, "name": spec.name, "short": spec.expression_name(),
                            "path": crate::pipeline::slashed(&rel), "hash": sha(&bytes),
                            "headlines": headlines, "columns": columns, "rows": rows}))
            })
            .collect();
        Ok(Response::json(&tables))
    }

    /// Saves a grid: the rows' units and cells replace the file's, through the one writer of
    /// month tables (comments and 概况 kept).
    fn save_table(&self, request: &Request, project: &Project) -> std::result::Result<Response, Response> {
        #[derive(Deserialize)]
        struct Grid {
            #[serde(default)]
            headlines: Vec<(String, String)>,
            rows: Vec<GridRow>,
        }
        #[derive(Deserialize)]
        struct GridRow {
            unit: String,
            cells: Vec<(String, String)>,
        }
        let month = month_param(request, project)?;
        let id = request.param("id", 64).unwrap_or_default();
        let rel = project.table_file(&month, &id);
        if !project.present(&rel).unwrap_or(false) {
            return Err(Response::not_found());
        }
        let grid: Grid = body(request)?;
        let old = project.read(&rel).map_err(|e| Response::text(422, &e.reason()))?;
        let mut file = TableFile::read(&String::from_utf8_lossy(&old));
        let comments: std::collections::HashMap<String, Option<String>> =
            file.rows.iter().map(|r| (r.unit.clone(), r.comment.clone())).collect();
        file.rows = grid
            .rows
            .into_iter()
            .filter(|r| !r.unit.trim().is_empty())
            .map(|r| RowText {
                comment: comments.get(&r.unit).cloned().flatten(),
                unit: r.unit.trim().to_string(),
                cells: r.cells.into_iter().filter(|(_, v)| !v.trim().is_empty()).collect(),
            })
            .collect();
        for (key, value) in grid.headlines {
            let value = value.trim().to_string();
            match file.headlines.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None if !value.is_empty() => file.headlines.push((key, value)),
                None => {}
            }
        }
        file.headlines.retain(|(_, v)| !v.is_empty());
        let text = file.to_yaml();
        let base = request.param("base", 64).unwrap_or_default();
        self.write_checked(project, &rel, &base, text.as_bytes())?;
        self.live.nudge(rel);
        Ok(Response::json(&json!({"hash": sha(text.as_bytes())})))
    }

    /// Runs one of the commands on the project and answers with what it printed.
    fn run_command(&self, request: &Request, project: &Project) -> std::result::Result<Response, Response> {
        #[derive(Deserialize)]
        struct Asked {
            command: String,
            month: Option<String>,
            reason: Option<String>,
            message: Option<String>,
            name: Option<String>,
            /// `issue`/`revise`: the signing key file (or `pkcs11:LABEL`), its password, and an
            /// electronic seal with the key it is applied with; each optional.
            sign: Option<String>,
            password: Option<String>,
            seal: Option<String>,
            seal_key: Option<String>,
        }
        let asked: Asked = body(request)?;
        let month = || -> std::result::Result<String, Response> {
            let m = asked.month.clone().unwrap_or_default();
            project
                .months()
                .contains(&m)
                .then_some(m)
                .ok_or_else(|| Response::text(404, "404 没有这个月份"))
        };
        let mut args: Vec<String> = match asked.command.as_str() {
            "new" => vec!["new".into()],
            "check" => vec!["check".into(), month()?],
            "build" => vec!["build".into(), month()?, "--outputs".into(), "all".into()],
            "issue" => vec!["issue".into(), month()?],
            "revise" => {
                let reason = asked.reason.clone().unwrap_or_default();
                if reason.trim().is_empty() {
                    return Err(Response::text(422, "更正须写明原因"));
                }
                vec!["issue".into(), month()?, "--revise".into(), reason]
            }
            "log" => vec!["log".into(), month()?],
            "diff" => vec!["diff".into()],
            "commit" => return Ok(self.commit(project, &month()?, &asked.message, &asked.name)),
            _ => return Err(Response::text(404, "404 没有这个操作")),
        };
        // Signing on issue: the same options as on the command line; the password goes to the
        // child in its environment, never on a command line or in what is answered.
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        if matches!(asked.command.as_str(), "issue" | "revise") {
            if let Some(key) = given(&asked.sign) {
                args.extend(["--sign".into(), key]);
            }
            if let (Some(seal), Some(key)) = (given(&asked.seal), given(&asked.seal_key)) {
                args.extend(["--seal".into(), seal, "--seal-key".into(), key]);
            }
        }
        let password = asked.password.clone().unwrap_or_default();
        let (ok, mut output) = self.tongbao(&args, &password);
        if !password.is_empty() {
            output = output.replace(&password, "******");
        }
        if asked.command == "new"
            && let Some(m) = Project::new(project.root()).months().last()
        {
            self.live.show(m);
        }
        Ok(Response::json(&json!({"ok": ok, "output": output})))
    }

    /// Runs this program on the project: the command line's own functions and words; `password`
    /// (a signing key's, when not empty) in its environment.
    fn tongbao(&self, args: &[String], password: &str) -> (bool, String) {
        let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("tongbao"));
        let mut command = std::process::Command::new(exe);
        command
            .args(args)
            .arg("--root")
            .arg(self.project.root())
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::null());
        if !password.is_empty() {
            command.env("TONGBAO_KEY_PASSWORD", password);
        }
        let output = command.output();
        match output {
            Ok(out) => {
                let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
                text.push_str(&String::from_utf8_lossy(&out.stderr));
                (out.status.success(), text)
            }
            Err(e) => (false, format!("无法运行 tongbao：{}", crate::project::io_reason(&e))),
        }
    }

    /// Commits the month's files with a message (the clerk's name asked once when git has none).
    fn commit(&self, project: &Project, month: &str, message: &Option<String>, name: &Option<String>) -> Response {
        let root = project.root();
        let message = message.as_deref().map(str::trim).filter(|m| !m.is_empty());
        let Some(message) = message else {
            return Response::text(422, "请写一句提交说明（如“3月数据”）");
        };
        let known = crate::git::ask(root, &["config", "user.name"]).is_some_and(|n| !n.trim().is_empty());
        if !known {
            match name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                Some(name) => {
                    let email = format!("{}@localhost", "tongbao");
                    let set = crate::git::run(root, &["config", "user.name", name])
                        .and_then(|_| crate::git::run(root, &["config", "user.email", &email]));
                    if let Err(e) = set {
                        return Response::json(&json!({"ok": false, "output": e.to_string()}));
                    }
                }
                None => {
                    return Response::json(&json!({"ok": false, "needName": true,
                        "output": "第一次提交：请填写您的姓名（记入修改历史）"}));
                }
            }
        }
        let dir = crate::pipeline::slashed(&project.month_dir(month));
        let added = crate::git::run(root, &["add", "--all", "--", &dir]);
        let committed = added.and_then(|_| crate::git::run(root, &["commit", "-q", "-m", message, "--", &dir]));
        match committed {
            Ok(_) => Response::json(&json!({"ok": true, "output": format!("已提交 {dir}：{message}")})),
            Err(e) => Response::json(&json!({"ok": false, "output": e.to_string()})),
        }
    }

    /// A spreadsheet dropped on the page: kept in the scratch folder while `import` reads it.
    fn upload(&self, request: &Request, project: &Project) -> std::result::Result<Response, Response> {
        let month = month_param(request, project)?;
        let name = request.param("name", 200).unwrap_or_default();
        let ext = Path::new(&name)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        if !matches!(ext.as_str(), "xlsx" | "xls" | "ods" | "csv") {
            return Err(Response::text(415, "只能导入 .xlsx、.xls、.ods 或 .csv 文件"));
        }
        static UPLOADS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = UPLOADS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let scratch = Path::new(SCRATCH).join(format!("{}-upload-{n}.{ext}", std::process::id()));
        project
            .write_unsynced(&scratch, &request.body)
            .map_err(|e| Response::text(422, &format!("无法保存上传的文件：{e}")))?;
        let file = project.path(&scratch).display().to_string();
        // The table named, or each of the month's tables in turn: an export matches one.
        let tables: Vec<String> = match request.param("table", 64).filter(|t| !t.is_empty()) {
            Some(table) => vec![table],
            None => {
                let mut diags = Vec::new();
                let base = crate::load::base(project, &mut diags).ok_or_else(|| problems(&diags))?;
                base.specs
                    .iter()
                    .filter(|s| project.present(&project.table_file(&month, &s.id)).unwrap_or(false))
                    .map(|s| s.expression_name().to_string())
                    .collect()
            }
        };
        let mut said = Vec::new();
        let mut imported = false;
        for table in &tables {
            let (ok, output) = self.tongbao(
                &[
                    "import".into(),
                    table.clone(),
                    file.clone(),
                    "--month".into(),
                    month.clone(),
                ],
                "",
            );
            if ok || tables.len() == 1 {
                said.push(output);
            }
            imported |= ok;
        }
        if !imported && tables.len() > 1 {
            said.push(format!(
                "{name} 不是本月任何一张表的导出：请在表格下方用该表的“导入”按钮选择文件，看具体原因"
            ));
        }
        let (ok, output) = (imported, said.join("\n"));
        let _ = std::fs::remove_file(project.path(&scratch));
        let output = output.replace(&project.path(&scratch).display().to_string(), &name);
        Ok(Response::json(&json!({"ok": ok, "output": output})))
    }

    /// The month's history: each commit with the figures it changed (old → new) as `tongbao log`
    /// gives it, and each issued edition (the commits that changed `issued.pdf`) to download.
    fn history(&self, request: &Request, project: &Project) -> std::result::Result<Response, Response> {
        let month = month_param(request, project)?;
        let (ok, output) = self.tongbao(&["log".into(), month.clone(), "--format".into(), "json".into()], "");
        let Ok(entries) = serde_json::from_str::<Value>(&output) else {
            return Ok(Response::json(&json!({"ok": false, "output": output})));
        };
        let issued = crate::pipeline::slashed(&crate::issue::pdf_path(project, &month));
        let listed = crate::git::run(
            project.root(),
            &["log", "--format=%H%x09%an%x09%aI%x09%s", "-n", "200", "--", &issued],
        )
        .unwrap_or_default();
        let editions: Vec<Value> = listed
            .lines()
            .filter_map(|l| {
                let mut f = l.splitn(4, '\t');
                let (commit, author, date, subject) = (f.next()?, f.next()?, f.next()?, f.next()?);
                Some(json!({"commit": commit, "author": author, "date": date, "message": subject}))
            })
            .collect();
        Ok(Response::json(
            &json!({"ok": ok, "entries": entries, "editions": editions}),
        ))
    }

    /// The circular issued at a commit (`issued.pdf` as that commit holds it), to download.
    fn revision(&self, request: &Request, project: &Project) -> std::result::Result<Response, Response> {
        let month = month_param(request, project)?;
        let commit = request.param("commit", 64).unwrap_or_default();
        if commit.len() != 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Response::not_found());
        }
        let spec = format!(
            "{commit}:{}",
            crate::pipeline::slashed(&crate::issue::pdf_path(project, &month))
        );
        let git = |args: &[&str]| {
            crate::git::command(project.root())
                .args(args)
                .output()
                .ok()
                .filter(|o| o.status.success())
        };
        let size: u64 = git(&["cat-file", "-s", &spec])
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .ok_or_else(Response::not_found)?;
        if size > crate::limits::PDF_BYTES {
            return Err(Response::text(422, "这一版的 PDF 过大，未读取"));
        }
        let pdf = git(&["cat-file", "blob", &spec]).ok_or_else(Response::not_found)?;
        let name = format!("{month}-{}.pdf", &commit[..8]);
        Ok(Response::ok("application/pdf", pdf.stdout).header(
            "Content-Disposition",
            format!("attachment; filename*=UTF-8''{}", percent(&name)),
        ))
    }

    /// An output of a month from `out/`: only the files the outputs make.
    fn download(&self, request: &Request, project: &Project) -> std::result::Result<Response, Response> {
        let month = month_param(request, project)?;
        let file = request.param("file", 64).unwrap_or_default();
        let known = crate::output::Output::all()
            .iter()
            .any(|o| o.files().contains(&file.as_str()));
        if !known {
            return Err(Response::not_found());
        }
        let bytes = project
            .read(&project.out_dir(&month).join(&file))
            .map_err(|_| Response::not_found())?;
        Ok(Response::ok("application/octet-stream", bytes).header(
            "Content-Disposition",
            format!("attachment; filename*=UTF-8''{}", percent(&format!("{month}-{file}"))),
        ))
    }
}

/// The `month=` parameter, a month of the project.
fn month_param(request: &Request, project: &Project) -> std::result::Result<String, Response> {
    let month = request.param("month", 16).unwrap_or_default();
    if project.months().contains(&month) {
        Ok(month)
    } else {
        Err(Response::text(404, "404 没有这个月份"))
    }
}

fn problems(diags: &[crate::diag::Diagnostic]) -> Response {
    let text: Vec<String> = diags.iter().take(super::SHOWN).map(|d| d.render()).collect();
    Response::text(422, &text.join("\n"))
}

fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
