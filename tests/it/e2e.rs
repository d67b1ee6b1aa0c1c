//! End to end in real headless Chromium (driven through chromedriver's WebDriver API): open the
//! preview, change a figure in a YAML file and see the page show it; break the file and see the
//! error overlay; fix it and see the overlay go.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::Project;
use crate::util::watch::{Watch, http};

struct Driver {
    child: Child,
    addr: String,
    session: String,
    _profile: tempfile::TempDir,
}

impl Driver {
    fn start() -> Driver {
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

    fn call(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
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

    fn script(&self, js: &str) -> serde_json::Value {
        self.call("POST", "/execute/sync", serde_json::json!({"script": js, "args": []}))
    }

    fn wait(&self, what: &str, js: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.script(js) != serde_json::Value::Bool(true) {
            if Instant::now() > deadline {
                let state = self.script(
                    "return [document.querySelectorAll('.page').length, document.querySelectorAll('.page > img').length, \
                     document.getElementById('state').textContent, document.body.dataset.version].join(' ');",
                );
                panic!("the page never showed: {what} (pages, images, state, version: {state})");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = http(&self.addr, "DELETE", &format!("/session/{}", self.session), None);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn chromium() -> &'static str {
    [
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        "/usr/bin/google-chrome",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
    .expect("chromium must be installed (scripts/test installs it)")
}

fn page_has(text: &str) -> String {
    format!("return document.getElementById('pages').textContent.replace(/\\s/g, '').includes({text:?});")
}

const OVERLAY_SHOWN: &str = "return document.getElementById('overlay').classList.contains('show');";

#[test]
fn the_browser_follows_edits_errors_and_fixes() {
    let p = Project::shipped();
    let w = Watch::start(&p);
    let driver = Driver::start();
    driver.call(
        "POST",
        "/url",
        serde_json::json!({"url": format!("http://{}/", w.addr)}),
    );
    driver.wait("the March figures", &page_has("共转办城中区工单1164件"));
    driver.wait(
        "nine pages",
        "return document.querySelectorAll('.page > img').length === 9;",
    );
    assert_eq!(driver.script(OVERLAY_SHOWN), false);
    driver.script("window.scrollTo(0, 2500); return true;");

    // A figure changes in the YAML: the page shows it without a reload, scrolled where it was.
    let file = "data/2023-03/12345.yaml";
    let original = p.read(file);
    // 总寨镇政府's row, and the 合计 that must follow it.
    let with = |n: u32, suffix: &str| {
        original
            .replace(
                "{单位: 总寨镇政府, 本月: 71, 办结: 71,",
                &format!("{{单位: 总寨镇政府, 本月: {n}, 办结: {n}{suffix},"),
            )
            .replace(
                "合计: {本月: 1164, 办结: 1164",
                &format!("合计: {{本月: {0}, 办结: {0}", 1093 + n),
            )
    };
    let good = with(80, "");
    driver.script("window.__marker = 'same page'; return true;");
    p.write(file, &good);
    driver.wait("the new total", &page_has("共转办城中区工单1173件"));
    assert_eq!(
        driver.script("return window.__marker;"),
        "same page",
        "the page was reloaded"
    );
    assert_eq!(driver.script("return window.scrollY;"), 2500);

    // A bad edit: the overlay shows the Chinese diagnostic over the last good pages.
    p.write(file, &with(80, "条"));
    driver.wait("the error overlay", OVERLAY_SHOWN);
    let diag = driver.script("return document.getElementById('diag').textContent;");
    assert!(diag.as_str().unwrap().contains("data/2023-03/12345.yaml:6:"), "{diag}");
    assert!(diag.as_str().unwrap().contains("不是数字"), "{diag}");
    assert_eq!(
        driver.script(&page_has("共转办城中区工单1173件")),
        true,
        "last good pages kept"
    );

    // The fix: the overlay goes away and the page follows.
    p.write(file, &with(81, ""));

    driver.wait(
        "the overlay gone",
        "return !document.getElementById('overlay').classList.contains('show');",
    );
    driver.wait("the fixed figure", &page_has("共转办城中区工单1174件"));
}
