//! The HTTP side of the preview (`watch`) and the workspace (`serve`), on hyper: a small server
//! on 127.0.0.1 that answers each request with a plain function `Request → Response`.
//!
//! What every request meets before a handler sees it, in one place:
//! - the connection is on 127.0.0.1 only, and at most [`Limits::connections`] are open (more
//!   are answered 503 and closed); a client has [`Limits::head_time`] to send a request's head
//!   and [`Limits::body_time`] for its body, capped at [`Limits::body_bytes`] (413), so slow
//!   clients hold a cheap task each and never a thread;
//! - the one `Host:` must name this server (`127.0.0.1:PORT` or `localhost:PORT`, else 421):
//!   a page of another site resolved to 127.0.0.1 (DNS rebinding) is refused;
//! - the request must come from the server's own page or from none ([`own_page`], else 403):
//!   another site, even another port of this machine, can neither read nor post.
//!
//! Handlers run on a bounded pool of threads (they typeset, render and write files); an event
//! stream is a producer function called on its own thread until the client goes away.
//!
//! The one request tongbao itself makes is here too ([`post`]: a timestamp authority's answer,
//! bounded in size and time).

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body as _, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::{Semaphore, mpsc};

/// POSTs `body` to `url` (plain `http://`) as `content_type` and returns the answer's body when
/// it is `200 OK` with `answer_type`: within `timeout` in all and `limit` bytes. Why not, in
/// Chinese.
pub(crate) fn post(
    url: &url::Url,
    content_type: &str,
    body: Vec<u8>,
    answer_type: &str,
    limit: usize,
    timeout: Duration,
) -> Result<Vec<u8>, String> {
    if url.scheme() != "http" {
        return Err(format!("{url} 不是 http:// 地址"));
    }
    let host = url.host_str().ok_or_else(|| format!("{url} 没有主机名"))?.to_string();
    let port = url.port_or_known_default().unwrap_or(80);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::project::io_reason(&e))?;
    let asked = async {
        let stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("无法连接 {host}:{port}：{}", crate::project::io_reason(&e)))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("{host} 的回应不是 HTTP：{e}"))?;
        tokio::spawn(connection);
        let request = hyper::Request::post(&url[url::Position::BeforePath..])
            .header(
                hyper::header::HOST,
                url[url::Position::BeforeHost..url::Position::AfterPort].to_string(),
            )
            .header(hyper::header::CONTENT_TYPE, content_type)
            .body(http_body_util::Full::new(Bytes::from(body)))
            .map_err(|e| e.to_string())?;
        let answer = sender
            .send_request(request)
            .await
            .map_err(|e| format!("{host} 没有回应：{e}"))?;
        if answer.status() != hyper::StatusCode::OK {
            return Err(format!("{host} 回答 {}", answer.status()));
        }
        let kind = answer
            .headers()
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        if kind.is_none_or(|k| !k.starts_with(answer_type)) {
            return Err(format!("{host} 的回应不是 {answer_type}"));
        }
        let bytes = http_body_util::Limited::new(answer.into_body(), limit)
            .collect()
            .await
            .map_err(|_| format!("{host} 的回应超过 {} 或中断了", crate::limits::size(limit as u64)))?;
        Ok(bytes.to_bytes().to_vec())
    };
    runtime.block_on(async {
        tokio::time::timeout(timeout, asked)
            .await
            .unwrap_or_else(|_| Err(format!("{host} 在 {} 秒内没有回应", timeout.as_secs())))
    })
}

/// What the server allows each client.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Connections open at once.
    pub connections: usize,
    /// Event streams open at once (each holds a thread while it waits for the next event).
    pub streams: usize,
    /// Time to send a request's head.
    pub head_time: Duration,
    /// Time to send a request's body, in all.
    pub body_time: Duration,
    /// Largest request body.
    pub body_bytes: usize,
}

/// A request as handlers see it: the request line, the headers that say who asks, and the body.
#[derive(Debug, PartialEq, Default)]
pub(crate) struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    /// The one `Host:` header (`None` when there is none, or more than one).
    pub host: Option<String>,
    /// `Sec-Fetch-Site:` (`same-origin`, `cross-site` …), as browsers send it.
    pub site: Option<String>,
    /// `Origin:`, sent with scripts' requests and every POST.
    pub origin: Option<String>,
    /// `Referer:`, the page that asked.
    pub referer: Option<String>,
    /// Every `Cookie:` header, joined.
    pub cookies: String,
    pub body: Vec<u8>,
}

impl Request {
    /// Builds a request from its line and headers. A header given twice is taken as not given
    /// for Host (which of the two is meant is unknown), and as a foreign value for the others,
    /// so that it is refused.
    pub(crate) fn from_headers<'a>(method: &str, target: &str, headers: &[(&'a str, &'a [u8])]) -> Request {
        let one = |name: &str, twice: Option<&str>| {
            let mut values = headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| String::from_utf8_lossy(v).trim().to_string());
            match (values.next(), values.next()) {
                (Some(v), None) => Some(v),
                (Some(_), Some(_)) => twice.map(str::to_string),
                _ => None,
            }
        };
        let cookies: Vec<String> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
            .map(|(_, v)| String::from_utf8_lossy(v).to_string())
            .collect();
        Request {
            method: method.to_string(),
            target: target.to_string(),
            host: one("host", None),
            site: one("sec-fetch-site", Some("cross-site")),
            origin: one("origin", Some("null")),
            referer: one("referer", Some("null")),
            cookies: cookies.join("; "),
            body: Vec::new(),
        }
    }

    /// The path, without query or fragment.
    pub(crate) fn path(&self) -> &str {
        self.target.split(['?', '#']).next().unwrap_or("")
    }

    /// A query parameter, percent-decoded, within `limit` bytes.
    pub(crate) fn param(&self, name: &str, limit: usize) -> Option<String> {
        let query = self.target.split_once('?')?.1.split('#').next().unwrap_or("");
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
            .map(|v| decoded(v, limit))
    }

    /// The value of cookie `name`, if sent.
    pub(crate) fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .split(';')
            .filter_map(|c| c.trim().split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }

    /// Whether this is a GET or a HEAD (the same answer; HEAD sends no body).
    pub(crate) fn is_read(&self) -> bool {
        self.method == "GET" || self.method == "HEAD"
    }
}

/// `%E6%B1%87` and `+` decoded (a query parameter's value), within `limit` bytes.
pub(crate) fn decoded(value: &str, limit: usize) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() && out.len() < limit {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
                continue;
            }
            (b'+', _) => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A response's body: bytes, or a stream of events produced by a function called again and
/// again (on a thread of its own) until it returns `None` or the client goes away.
pub(crate) enum Body {
    Bytes(Vec<u8>),
    Events(Box<dyn FnMut() -> Option<Vec<u8>> + Send>),
}

/// What a handler answers.
pub(crate) struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

pub(crate) const TEXT: &str = "text/plain; charset=utf-8";
pub(crate) const JSON: &str = "application/json";
pub(crate) const HTML: &str = "text/html; charset=utf-8";

impl Response {
    pub(crate) fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body: Body::Bytes(body.into()),
        }
    }

    pub(crate) fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response::new(200, content_type, body)
    }

    /// A plain-text answer (an error, in Chinese, for the person reading it).
    pub(crate) fn text(status: u16, message: &str) -> Response {
        Response::new(status, TEXT, message.as_bytes().to_vec())
    }

    pub(crate) fn json(value: &impl serde::Serialize) -> Response {
        Response::ok(JSON, serde_json::to_vec(value).unwrap_or_default())
    }

    pub(crate) fn not_found() -> Response {
        Response::text(404, "404 未找到")
    }

    pub(crate) fn events(producer: impl FnMut() -> Option<Vec<u8>> + Send + 'static) -> Response {
        Response {
            status: 200,
            content_type: "text/event-stream",
            headers: Vec::new(),
            body: Body::Events(Box::new(producer)),
        }
    }

    pub(crate) fn header(mut self, name: &'static str, value: String) -> Response {
        self.headers.push((name, value));
        self
    }
}

/// Whether `host` names this server: `127.0.0.1:PORT` or `localhost:PORT`, nothing else.
pub(crate) fn allowed_host(host: Option<&str>, port: u16) -> bool {
    let Some(host) = host else { return false };
    let Some((name, p)) = host.rsplit_once(':') else {
        return false;
    };
    p == port.to_string() && (name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost"))
}

/// Whether the request comes from the server's own page, or from no page at all (an address
/// typed, a program). Browsers say where a request comes from in `Sec-Fetch-Site`, and in
/// `Origin` / `Referer` (older ones); "same-site" is not enough, since another port of this
/// machine is the same site.
pub(crate) fn own_page(request: &Request, port: u16) -> bool {
    let ours = |url: &str| {
        let rest = url.strip_prefix("http://").unwrap_or("");
        let host = rest.split('/').next().unwrap_or("");
        allowed_host(Some(host), port)
    };
    let site = request
        .site
        .as_deref()
        .is_none_or(|s| s == "same-origin" || s == "none");
    site && request.origin.as_deref().is_none_or(ours) && request.referer.as_deref().is_none_or(ours)
}

/// Where the server listens.
pub(crate) struct Server {
    /// The address it listens on (always on 127.0.0.1).
    pub addr: SocketAddr,
    /// The port asked for, if it was busy and another was chosen.
    pub busy: Option<u16>,
}

/// Why the server could not start.
#[derive(Debug)]
pub(crate) struct StartError(pub String);

/// The function that answers each request.
pub(crate) type Handler = Arc<dyn Fn(Request) -> Response + Send + Sync>;

/// Largest request head, in bytes.
const MAX_HEAD: usize = 16 * 1024;

/// Starts a server on 127.0.0.1:`port` (0 = any free port). With `fallback`, a busy port is
/// replaced by a free one (reported in [`Server::busy`]); without, a busy port is an error.
pub(crate) fn serve(port: u16, fallback: bool, limits: Limits, handler: Handler) -> Result<Server, StartError> {
    let loopback = Ipv4Addr::LOCALHOST;
    let (listener, busy) = match std::net::TcpListener::bind((loopback, port)) {
        Ok(l) => (l, None),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse && fallback => {
            let l = std::net::TcpListener::bind((loopback, 0))
                .map_err(|e| StartError(format!("无法启动本机服务：{}", crate::project::io_reason(&e))))?;
            (l, Some(port))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            return Err(StartError(format!(
                "端口 {port} 已被占用；请用 --port 指定其他端口，或省略 --port 自动选择"
            )));
        }
        Err(e) => {
            return Err(StartError(format!(
                "无法在 127.0.0.1:{port} 启动本机服务：{}",
                crate::project::io_reason(&e)
            )));
        }
    };
    let addr = listener
        .local_addr()
        .map_err(|e| StartError(crate::project::io_reason(&e)))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| StartError(crate::project::io_reason(&e)))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .max_blocking_threads(limits.streams + 16)
        .thread_name("tongbao-http")
        .build()
        .map_err(|e| StartError(format!("无法启动本机服务：{}", crate::project::io_reason(&e))))?;
    std::thread::Builder::new()
        .name("tongbao-http".into())
        .spawn(move || runtime.block_on(accept(listener, addr.port(), limits, handler)))
        .map_err(|e| StartError(format!("无法启动本机服务：{}", crate::project::io_reason(&e))))?;
    Ok(Server { addr, busy })
}

/// Accepts connections for good, each served on a task of its own while a permit is free.
async fn accept(listener: std::net::TcpListener, port: u16, limits: Limits, handler: Handler) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let connections = Arc::new(Semaphore::new(limits.connections));
    let streams = Arc::new(Semaphore::new(limits.streams));
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            // Out of file descriptors, or a connection reset before it was taken: wait a little.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let Ok(permit) = connections.clone().try_acquire_owned() else {
            let _ = stream.try_write(
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n\
                 Content-Length: 16\r\nConnection: close\r\n\r\n503 连接过多"
                    .as_bytes(),
            );
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (handler, streams) = (handler.clone(), streams.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                respond(request, port, limits, handler.clone(), streams.clone())
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.head_time)
                .max_buf_size(MAX_HEAD)
                .serve_connection(TokioIo::new(stream), service);
            let _ = connection.await;
            drop(permit);
        });
    }
}

/// Reads a request's body within its limits, checks who asks, and runs the handler.
async fn respond(
    request: hyper::Request<Incoming>,
    port: u16,
    limits: Limits,
    handler: Handler,
    streams: Arc<Semaphore>,
) -> Result<hyper::Response<Out>, Infallible> {
    let (parts, body) = request.into_parts();
    let headers: Vec<(&str, &[u8])> = parts.headers.iter().map(|(n, v)| (n.as_str(), v.as_bytes())).collect();
    let target = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
    let mut request = Request::from_headers(parts.method.as_str(), target, &headers);
    if std::env::var_os("TONGBAO_DEBUG_HTTP").is_some() {
        tell!("http {} {}", request.method, crate::diag::shorten(&request.target, 200));
    }
    if !allowed_host(request.host.as_deref(), port) {
        return Ok(finish(
            Response::text(421, "421 只接受发往 127.0.0.1 或 localhost 的请求"),
            None,
        ));
    }
    if !target.starts_with('/') || !own_page(&request, port) {
        return Ok(finish(Response::text(403, "403 只接受本页面自己的请求"), None));
    }
    let declared = body.size_hint().lower();
    if declared > limits.body_bytes as u64 {
        return Ok(finish(too_large(limits), None));
    }
    let limited = http_body_util::Limited::new(body, limits.body_bytes);
    request.body = match tokio::time::timeout(limits.body_time, limited.collect()).await {
        Ok(Ok(collected)) => collected.to_bytes().to_vec(),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => return Ok(finish(too_large(limits), None)),
        Ok(Err(_)) => return Ok(finish(Response::text(400, "400 请求内容不完整"), None)),
        Err(_) => return Ok(finish(Response::text(408, "408 请求内容发送得太慢"), None)),
    };
    let response = match tokio::task::spawn_blocking(move || handler(request)).await {
        Ok(response) => response,
        Err(_) => Response::text(500, "500 处理请求时出错（内部错误），请重试"),
    };
    Ok(finish(response, Some(streams)))
}

fn too_large(limits: Limits) -> Response {
    Response::text(
        413,
        &format!("413 请求内容超过 {}", crate::limits::size(limits.body_bytes as u64)),
    )
}

/// Turns a handler's response into hyper's, starting the producer of an event stream.
fn finish(response: Response, streams: Option<Arc<Semaphore>>) -> hyper::Response<Out> {
    let Response {
        status,
        content_type,
        headers,
        body,
    } = response;
    let body = match body {
        Body::Bytes(bytes) => Out::Full(Some(Bytes::from(bytes))),
        Body::Events(mut producer) => {
            let Some(Ok(permit)) = streams.map(|s| s.try_acquire_owned()) else {
                return finish(Response::text(503, "503 打开的页面太多，请关闭一些再刷新"), None);
            };
            let (tx, rx) = mpsc::channel::<Bytes>(1);
            tokio::task::spawn_blocking(move || {
                while let Some(chunk) = producer() {
                    if tx.blocking_send(Bytes::from(chunk)).is_err() {
                        break;
                    }
                }
                drop(permit);
            });
            Out::Stream(rx)
        }
    };
    let mut builder = hyper::Response::builder()
        .status(status)
        .header("Content-Type", content_type)
        .header("Cache-Control", "no-store")
        .header("X-Content-Type-Options", "nosniff")
        .header("Referrer-Policy", "same-origin");
    for (name, value) in headers {
        builder = builder.header(name, value);
    }
    builder.body(body).unwrap_or_else(|_| {
        let mut fallback = hyper::Response::new(Out::Full(Some(Bytes::from_static("500".as_bytes()))));
        *fallback.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        fallback
    })
}

/// A response body: bytes sent at once, or chunks from a producer's channel.
enum Out {
    Full(Option<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
}

impl http_body::Body for Out {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            Out::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            Out::Stream(rx) => rx.poll_recv(cx).map(|chunk| chunk.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, Out::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Out::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            Out::Full(None) => SizeHint::with_exact(0),
            Out::Stream(_) => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    fn request(head: &str) -> Request {
        let mut lines = head.lines();
        let mut first = lines.next().unwrap_or("").split(' ');
        let (method, target) = (first.next().unwrap_or(""), first.next().unwrap_or(""));
        let headers: Vec<(&str, &[u8])> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim(), v.trim().as_bytes()))
            .collect();
        Request::from_headers(method, target, &headers)
    }

    #[test]
    fn requests_say_who_asks_and_twice_is_foreign() {
        let r =
            request("GET /page/1.png?w=900&text=%E7%8E%B0+a HTTP/1.1\nHost: 127.0.0.1:7345\nCookie: a=1\ncookie: b=2");
        assert_eq!(r.host.as_deref(), Some("127.0.0.1:7345"));
        assert_eq!(r.path(), "/page/1.png");
        assert_eq!(r.param("w", 10).as_deref(), Some("900"));
        assert_eq!(r.param("text", 10).as_deref(), Some("现 a"));
        assert_eq!(r.param("x", 10), None);
        assert_eq!(
            (r.cookie("a"), r.cookie("b"), r.cookie("c")),
            (Some("1"), Some("2"), None)
        );
        let two = request("GET / HTTP/1.1\nHost: 127.0.0.1:1\nhost: evil.example\nOrigin: a\nOrigin: b");
        assert_eq!(two.host, None);
        assert_eq!(two.origin.as_deref(), Some("null"));
        assert_eq!(decoded("%E7%8E%B0%E5%B0%86+a%zz%", 100), "现将 a%zz%");
    }

    #[test]
    fn only_this_servers_names_are_hosts() {
        for host in ["127.0.0.1:7345", "localhost:7345", "LOCALHOST:7345"] {
            assert!(allowed_host(Some(host), 7345), "{host}");
        }
        for host in [
            "127.0.0.1:7346",
            "evil.example:7345",
            "127.0.0.1",
            "localhost",
            "127.0.0.1:7345.evil.example",
            "[::1]:7345",
            "",
        ] {
            assert!(!allowed_host(Some(host), 7345), "{host}");
        }
        assert!(!allowed_host(None, 7345));
    }

    #[test]
    fn only_the_own_page_may_ask() {
        for own in [
            "GET / HTTP/1.1\nSec-Fetch-Site: none",
            "GET / HTTP/1.1",
            "POST /open HTTP/1.1\nSec-Fetch-Site: same-origin\nOrigin: http://127.0.0.1:7345",
            "GET /page/1.png HTTP/1.1\nReferer: http://localhost:7345/",
        ] {
            assert!(own_page(&request(own), 7345), "{own}");
        }
        for foreign in [
            "GET /circular.pdf HTTP/1.1\nSec-Fetch-Site: cross-site",
            "GET /circular.pdf HTTP/1.1\nSec-Fetch-Site: same-site",
            "POST /open HTTP/1.1\nOrigin: http://127.0.0.1:9999",
            "POST /open HTTP/1.1\nOrigin: null",
            "GET /page/1.png HTTP/1.1\nReferer: http://evil.example/",
            "GET / HTTP/1.1\nSec-Fetch-Site: same-origin\nSec-Fetch-Site: same-origin",
        ] {
            assert!(!own_page(&request(foreign), 7345), "{foreign}");
        }
    }

    const TEST_LIMITS: Limits = Limits {
        connections: 300,
        streams: 4,
        head_time: Duration::from_millis(1500),
        body_time: Duration::from_millis(1500),
        body_bytes: 1000,
    };

    fn echo() -> Server {
        let handler: Handler = Arc::new(|r: Request| {
            if r.path() == "/events" {
                let mut n = 0;
                return Response::events(move || {
                    n += 1;
                    (n < 3).then(|| format!("data: {n}\n\n").into_bytes())
                });
            }
            Response::ok(TEXT, format!("{} {} {}", r.method, r.target, r.body.len()))
        });
        serve(0, false, TEST_LIMITS, handler).unwrap()
    }

    /// Sends raw bytes and reads the whole answer.
    pub(crate) fn exchange(addr: SocketAddr, raw: &[u8]) -> String {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = stream.write_all(raw);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).to_string()
    }

    #[test]
    fn the_server_checks_host_origin_and_body_before_any_handler() {
        let server = echo();
        let port = server.addr.port();
        let get = |head: &str| exchange(server.addr, format!("{head}\r\nConnection: close\r\n\r\n").as_bytes());
        let own = format!("Host: 127.0.0.1:{port}");
        assert!(get(&format!("GET /a?b HTTP/1.1\r\n{own}")).ends_with("GET /a?b 0"));
        assert!(get("GET / HTTP/1.1\r\nHost: evil.example").starts_with("HTTP/1.1 421"));
        assert!(get(&format!("GET / HTTP/1.1\r\nHost: evil.example:{port}")).starts_with("HTTP/1.1 421"));
        assert!(get("GET / HTTP/1.1").starts_with("HTTP/1.1 421"));
        let foreign = format!("POST / HTTP/1.1\r\n{own}\r\nOrigin: http://127.0.0.1:1\r\nContent-Length: 0");
        assert!(get(&foreign).starts_with("HTTP/1.1 403"));
        let big = format!(
            "POST / HTTP/1.1\r\n{own}\r\nContent-Length: 5000\r\n\r\n{}",
            "x".repeat(5000)
        );
        assert!(exchange(server.addr, big.as_bytes()).starts_with("HTTP/1.1 413"));
        let chunked = format!(
            "POST / HTTP/1.1\r\n{own}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{}",
            "100\r\n".to_string() + &"y".repeat(256) + "\r\n"
        );
        let chunked = chunked + &("100\r\n".to_string() + &"y".repeat(256) + "\r\n").repeat(5) + "0\r\n\r\n";
        assert!(exchange(server.addr, chunked.as_bytes()).starts_with("HTTP/1.1 413"));
        let fine = format!("POST / HTTP/1.1\r\n{own}\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc");
        assert!(exchange(server.addr, fine.as_bytes()).ends_with("POST / 3"));
        // A body that never comes in full is given up after the body time.
        let started = std::time::Instant::now();
        let slow = format!("POST / HTTP/1.1\r\n{own}\r\nContent-Length: 10\r\n\r\nab");
        assert!(exchange(server.addr, slow.as_bytes()).starts_with("HTTP/1.1 408"));
        assert!(started.elapsed() < Duration::from_secs(5));
        let events = get(&format!("GET /events HTTP/1.1\r\n{own}"));
        assert!(
            events.contains("text/event-stream") && events.contains("data: 1\n\n") && events.contains("data: 2\n\n"),
            "{events}"
        );
    }

    /// 200 clients that send a byte now and then (or nothing) do not keep a real request from
    /// being answered, and each is dropped once its time for the head is over.
    #[test]
    fn slow_clients_block_no_one() {
        let server = echo();
        let own = format!("Host: 127.0.0.1:{}", server.addr.port());
        let mut slow: Vec<TcpStream> = (0..200)
            .map(|i| {
                let mut s = TcpStream::connect(server.addr).unwrap();
                if i % 2 == 0 {
                    let _ = s.write_all(b"GET / HTTP/1.1\r\nHo");
                }
                s
            })
            .collect();
        std::thread::sleep(Duration::from_millis(200));
        let started = std::time::Instant::now();
        let answer = exchange(
            server.addr,
            format!("GET /real HTTP/1.1\r\n{own}\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        assert!(answer.ends_with("GET /real 0"), "{answer}");
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        // A byte now and then does not keep a connection past the head time.
        let started = std::time::Instant::now();
        while started.elapsed() < TEST_LIMITS.head_time + Duration::from_millis(700) {
            for s in slow.iter_mut().step_by(2) {
                let _ = s.write_all(b"s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let closed = slow
            .iter_mut()
            .step_by(2)
            .filter(|s| {
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let mut buf = [0u8; 256];
                // Closed: EOF, an error, or a 408 written before closing.
                matches!((&**s).read(&mut buf), Ok(0) | Err(_)) || buf.starts_with(b"HTTP/1.1 408")
            })
            .count();
        assert_eq!(closed, 100);
    }

    #[test]
    fn connections_beyond_the_limit_are_turned_away() {
        let handler: Handler = Arc::new(|_| Response::ok(TEXT, "ok"));
        let limits = Limits {
            connections: 8,
            ..TEST_LIMITS
        };
        let server = serve(0, false, limits, handler).unwrap();
        let held: Vec<TcpStream> = (0..8).map(|_| TcpStream::connect(server.addr).unwrap()).collect();
        std::thread::sleep(Duration::from_millis(200));
        let own = format!("Host: 127.0.0.1:{}", server.addr.port());
        let turned = exchange(server.addr, format!("GET / HTTP/1.1\r\n{own}\r\n\r\n").as_bytes());
        assert!(turned.starts_with("HTTP/1.1 503"), "{turned}");
        drop(held);
        std::thread::sleep(Duration::from_millis(200));
        let served = exchange(
            server.addr,
            format!("GET / HTTP/1.1\r\n{own}\r\nConnection: close\r\n\r\n").as_bytes(),
        );
        assert!(served.ends_with("ok"), "{served}");
    }

    proptest::proptest! {
        #![proptest_config(crate::limits::fuzz_config(8))]

        /// Any header values: no panic, and a host is allowed only when it is exactly one of the
        /// server's two names.
        #[test]
        fn requests_from_any_bytes_never_panic(
            raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..256),
            host in proptest::prelude::prop_oneof![
                proptest::prelude::Just("127.0.0.1:7345".to_string()),
                proptest::prelude::Just("localhost:7345".to_string()),
                "\\PC{0,40}",
            ],
            target in "/\\PC{0,60}",
        ) {
            let r = Request::from_headers("GET", &target, &[("host", host.as_bytes()), ("cookie", &raw[..]), ("origin", &raw[..])]);
            let _ = (r.path(), r.param("w", 10), r.cookie("x"), own_page(&r, 7345));
            let ok = allowed_host(r.host.as_deref(), 7345);
            let expected = r.host.as_deref().is_some_and(|h| h == "127.0.0.1:7345" || h.eq_ignore_ascii_case("localhost:7345"));
            proptest::prop_assert_eq!(ok, expected);
            let _ = decoded(&String::from_utf8_lossy(&raw), 50);
        }
    }
}
