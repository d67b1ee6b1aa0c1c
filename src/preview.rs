//! The live preview: a small HTTP server on 127.0.0.1 that shows the pages of the last good build
//! as SVG (with an invisible text layer, so the browser can search and select), pushes each rebuild
//! to open pages with Server-Sent Events, and shows the Chinese diagnostics of a failed rebuild over
//! the last good pages.
//!
//! It serves only its own page, the page images, the status and the PDF: no directory listing and
//! no path is ever mapped to the file system.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use serde::Serialize;
use tiny_http::{Header, Method, Request, Response, Server, StatusCode};
use typst_layout::PagedDocument;

use crate::typeset::inspect;

const INDEX: &str = include_str!("preview/index.html");

/// One page of the preview.
#[derive(Clone)]
struct PageImage {
    svg: Arc<String>,
    text: Arc<String>,
    hash: u128,
    version: u64,
}

/// What the preview shows: the last good pages and, after a failed rebuild, its diagnostics.
#[derive(Default)]
struct Snapshot {
    version: u64,
    pages: Vec<PageImage>,
    error: Option<String>,
    pdf: Option<PathBuf>,
    month: String,
}

/// Shared between the build loop and the server threads.
#[derive(Default)]
pub struct State {
    inner: Mutex<Snapshot>,
    changed: Condvar,
}

#[derive(Serialize)]
struct Status<'a> {
    version: u64,
    month: &'a str,
    pages: Vec<u64>,
    error: Option<&'a str>,
}

#[derive(Serialize)]
struct TextRun {
    x: f64,
    y: f64,
    size: f64,
    w: f64,
    text: String,
}

impl State {
    /// A new, empty preview.
    pub fn new() -> Arc<State> {
        Arc::new(State::default())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Snapshot> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Shows a new good build: pages whose content changed get a new version; the error goes away.
    pub fn publish(&self, month: &str, document: &PagedDocument, pdf: PathBuf) {
        let layout = inspect::measure(document);
        let mut snap = self.lock();
        snap.version += 1;
        let version = snap.version;
        let old = std::mem::take(&mut snap.pages);
        snap.pages = document
            .pages()
            .iter()
            .enumerate()
            .map(|(i, page)| {
                let hash = typst::utils::hash128(page);
                match old.get(i) {
                    Some(p) if p.hash == hash => p.clone(),
                    _ => PageImage {
                        svg: Arc::new(typst_svg::svg(page, &typst_svg::SvgOptions::default())),
                        text: Arc::new(text_layer(&layout, i + 1)),
                        hash,
                        version,
                    },
                }
            })
            .collect();
        snap.error = None;
        snap.pdf = Some(pdf);
        snap.month = month.to_string();
        drop(snap);
        self.changed.notify_all();
    }

    /// Shows a failed rebuild's diagnostics over the last good pages.
    pub fn fail(&self, month: &str, diagnostics: String) {
        let mut snap = self.lock();
        snap.version += 1;
        snap.error = Some(diagnostics);
        snap.month = month.to_string();
        drop(snap);
        self.changed.notify_all();
    }

    fn status_json(&self) -> String {
        let snap = self.lock();
        let status = Status {
            version: snap.version,
            month: &snap.month,
            pages: snap.pages.iter().map(|p| p.version).collect(),
            error: snap.error.as_deref(),
        };
        serde_json::to_string(&status).unwrap_or_default()
    }

    fn wait_for_change(&self, seen: u64, timeout: Duration) -> u64 {
        let snap = self.lock();
        let (snap, _) = self
            .changed
            .wait_timeout_while(snap, timeout, |s| s.version == seen)
            .unwrap_or_else(|e| e.into_inner());
        snap.version
    }
}

fn text_layer(layout: &inspect::Layout, page: usize) -> String {
    let runs: Vec<TextRun> = layout
        .runs
        .iter()
        .filter(|r| r.page == page)
        .map(|r| TextRun {
            x: r.x,
            y: r.baseline,
            size: r.size,
            w: r.width,
            text: r.text.clone(),
        })
        .collect();
    serde_json::to_string(&runs).unwrap_or_else(|_| "[]".into())
}

/// A running preview server.
pub struct Preview {
    /// The address it listens on (always on 127.0.0.1).
    pub addr: SocketAddr,
    /// The port asked for, if it was busy and another was chosen.
    pub busy: Option<u16>,
}

/// Why the server could not start.
#[derive(Debug)]
pub struct StartError(pub String);

/// Starts the server on 127.0.0.1:`port` (0 = any free port). With `fallback`, a busy port is
/// replaced by a free one (reported in [`Preview::busy`]); without, a busy port is an error.
pub fn serve(port: u16, fallback: bool, state: Arc<State>, root: PathBuf) -> Result<Preview, StartError> {
    let loopback = Ipv4Addr::LOCALHOST;
    let (listener, busy) = match TcpListener::bind((loopback, port)) {
        Ok(l) => (l, None),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && fallback => {
            let l = TcpListener::bind((loopback, 0)).map_err(|e| StartError(format!("无法启动预览服务：{e}")))?;
            (l, Some(port))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            return Err(StartError(format!(
                "端口 {port} 已被占用；请用 --port 指定其他端口，或省略 --port 自动选择"
            )));
        }
        Err(e) => return Err(StartError(format!("无法在 127.0.0.1:{port} 启动预览服务：{e}"))),
    };
    let addr = listener.local_addr().map_err(|e| StartError(e.to_string()))?;
    let server = Server::from_listener(listener, None).map_err(|e| StartError(format!("无法启动预览服务：{e}")))?;
    let server = Arc::new(server);
    for _ in 0..4 {
        let server = server.clone();
        let state = state.clone();
        let root = root.clone();
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                handle(request, &state, &root);
            }
        });
    }
    Ok(Preview { addr, busy })
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header is valid")
}

fn respond<R: Read>(request: Request, response: Response<R>) {
    let _ = request.respond(response.with_header(header("Cache-Control", "no-store")));
}

fn text(request: Request, status: u16, content_type: &str, body: impl Into<Vec<u8>>) {
    let response = Response::from_data(body.into())
        .with_status_code(StatusCode(status))
        .with_header(header("Content-Type", content_type))
        .with_header(header("X-Content-Type-Options", "nosniff"));
    respond(request, response);
}

fn not_found(request: Request) {
    text(request, 404, "text/plain; charset=utf-8", "404 未找到");
}

/// Routes one request. Only GET/HEAD of the fixed routes below are answered.
fn handle(request: Request, state: &Arc<State>, root: &std::path::Path) {
    if !matches!(request.method(), Method::Get | Method::Head) {
        return text(request, 405, "text/plain; charset=utf-8", "405 不支持的请求方法");
    }
    let url = request.url().to_string();
    let path = url.split(['?', '#']).next().unwrap_or("");
    match path {
        "/" | "/index.html" => text(request, 200, "text/html; charset=utf-8", INDEX),
        "/status.json" => text(request, 200, "application/json", state.status_json()),
        "/events" => events(request, state.clone()),
        "/circular.pdf" => {
            let pdf = state.lock().pdf.clone();
            match pdf.and_then(|p| std::fs::read(root.join(p)).ok()) {
                Some(bytes) => text(request, 200, "application/pdf", bytes),
                None => not_found(request),
            }
        }
        _ => match page_route(path) {
            Some((index, kind)) => {
                let page = state.lock().pages.get(index).cloned();
                match (page, kind) {
                    (Some(p), "svg") => text(request, 200, "image/svg+xml", p.svg.as_bytes()),
                    (Some(p), "json") => text(request, 200, "application/json", p.text.as_bytes()),
                    _ => not_found(request),
                }
            }
            None => not_found(request),
        },
    }
}

/// `/page/3.svg` → (2, "svg"); digits only, so nothing else can be named.
fn page_route(path: &str) -> Option<(usize, &str)> {
    let rest = path.strip_prefix("/page/")?;
    let (num, ext) = rest.split_once('.')?;
    if num.is_empty() || num.len() > 4 || !num.bytes().all(|b| b.is_ascii_digit()) || !matches!(ext, "svg" | "json") {
        return None;
    }
    let n: usize = num.parse().ok()?;
    n.checked_sub(1).map(|i| (i, ext))
}

/// Server-Sent Events: one `update` event per new version, a comment every 15 s to keep it open.
fn events(request: Request, state: Arc<State>) {
    std::thread::spawn(move || {
        let mut out = request.into_writer();
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: keep-alive\r\n\r\n";
        if out.write_all(head.as_bytes()).and_then(|_| out.flush()).is_err() {
            return;
        }
        let mut seen = u64::MAX;
        loop {
            let version = state.wait_for_change(seen, Duration::from_secs(15));
            let message = if version == seen {
                ": keep-alive\n\n".to_string()
            } else {
                format!("event: update\ndata: {version}\n\n")
            };
            seen = version;
            if out.write_all(message.as_bytes()).and_then(|_| out.flush()).is_err() {
                return;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_numbered_pages_are_routes() {
        assert_eq!(page_route("/page/1.svg"), Some((0, "svg")));
        assert_eq!(page_route("/page/12.json"), Some((11, "json")));
        assert_eq!(page_route("/page/0.svg"), None);
        assert_eq!(page_route("/page/../etc/passwd"), None);
        assert_eq!(page_route("/page/1.svg/../../x"), None);
        assert_eq!(page_route("/page/%2e%2e.svg"), None);
        assert_eq!(page_route("/page/1.html"), None);
    }
}
