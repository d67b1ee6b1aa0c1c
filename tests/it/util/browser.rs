//! Headless Chromium driven through chromedriver's WebDriver API.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::watch::http;

pub struct Driver {
    child: Child,
    addr: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Driver {
    pub fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver must be installed (scripts/test installs chromium and chromium-driver)");
        let addr = format!("127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(&addr).is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = serde_json::json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium(),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=1000,1400",
                         format!("--user-data-dir={}", profile.path().display())]
            }
        }}});
        let (status, _, body) = http(&addr, "POST", "/session", Some(&caps.to_string()));
        let reply: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(status, 200, "{reply}");
        let session = reply["value"]["sessionId"].as_str().unwrap().to_string();
        Driver {
            child,
            addr,
            session,
            _profile: profile,
        }
    }

    pub fn call(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let (status, _, reply) = http(
            &self.addr,
            method,
            &format!("/session/{}{path}", self.session),
            Some(&body.to_string()),
        );
        let reply: serde_json::Value = serde_json::from_slice(&reply).unwrap();
        assert_eq!(status, 200, "{reply}");
        reply["value"].clone()
    }

    pub fn script(&self, js: &str) -> serde_json::Value {
        self.call("POST", "/execute/sync", serde_json::json!({"script": js, "args": []}))
    }

    /// Runs `js` as an async script: it calls `done(value)` (its last argument) when finished.
    pub fn script_async(&self, js: &str) -> serde_json::Value {
        let js = format!("const done = arguments[arguments.length - 1]; {js}");
        self.call("POST", "/execute/async", serde_json::json!({"script": js, "args": []}))
    }

    pub fn wait(&self, what: &str, js: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.script(js) != serde_json::Value::Bool(true) {
            if Instant::now() > deadline {
                let state = self.script(
                    "const s = document.getElementById('state') || document.getElementById('say'); \
                     return [document.querySelectorAll('.page').length, document.querySelectorAll('.page > img').length, \
                     s && s.textContent, document.body.dataset.version].join(' ');",
                );
                panic!("the page never showed: {what} (pages, images, state, version: {state})");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The WebDriver id of the first element matching CSS selector `css`.
    pub fn element(&self, css: &str) -> String {
        let found = self.call(
            "POST",
            "/element",
            serde_json::json!({"using": "css selector", "value": css}),
        );
        found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_string()
    }

    /// Types `text` into the element (keys as a person presses them; `\u{E007}` is Enter), or
    /// names the file for a file input.
    pub fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css);
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            serde_json::json!({"text": text}),
        );
    }

    /// Clicks the element as a person would.
    pub fn click(&self, css: &str) {
        let id = self.element(css);
        self.call("POST", &format!("/element/{id}/click"), serde_json::json!({}));
    }

    /// Saves a screenshot of the window when `TONGBAO_SCREENSHOTS` names a folder (for the
    /// notes: what each page looks like).
    pub fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("TONGBAO_SCREENSHOTS") else {
            return;
        };
        let png = self.call("GET", "/screenshot", serde_json::json!({}));
        let bytes = unbase64(png.as_str().unwrap());
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), bytes).unwrap();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = http(&self.addr, "DELETE", &format!("/session/{}", self.session), None);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn chromium() -> &'static str {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .expect("chromium must be installed (scripts/test installs it)")
}

/// Standard base64 (as WebDriver sends screenshots) decoded.
fn unbase64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let values: Vec<u32> = text
        .bytes()
        .filter_map(|b| ALPHABET.iter().position(|&a| a == b).map(|v| v as u32))
        .collect();
    let mut out = Vec::with_capacity(values.len() * 3 / 4);
    for chunk in values.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, v)| n | v << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}
