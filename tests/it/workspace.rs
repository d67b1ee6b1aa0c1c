//! `tongbao serve`: the workspace in a browser. Who may ask (token, Host, Origin, sizes), the
//! files it edits (saved through the write gate, never over a change made outside), and a whole
//! month done in headless Chromium with no command line.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use crate::util::Project;
use crate::util::browser::Driver;

/// A running `tongbao serve`.
struct Serve {
    child: Child,
    lines: Receiver<String>,
    addr: String,
    token: String,
    _home: tempfile::TempDir,
}

impl Serve {
    /// Starts `tongbao serve --no-open --port 0` in a git repository of the project, with a git
    /// that knows no one (the workspace asks the clerk's name once).
    fn start(root: &Path) -> Serve {
        let home = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tongbao"))
            .args(["serve", "--no-open", "--port", "0", "--root"])
            .arg(root)
            .env("HOME", home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env_remove("GIT_AUTHOR_NAME")
            .env_remove("GIT_COMMITTER_NAME")
            .env_remove("GIT_AUTHOR_EMAIL")
            .env_remove("GIT_COMMITTER_EMAIL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = crate::util::watch::lines_of(&mut child);
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = loop {
            let line = lines
                .recv_timeout(deadline - Instant::now())
                .expect("serve printed no address");
            if let Some(url) = line.strip_prefix("工作台：") {
                break url.to_string();
            }
        };
        let rest = url.strip_prefix("http://").unwrap();
        let (addr, token) = rest.split_once("/?token=").unwrap();
        Serve {
            child,
            lines,
            addr: addr.to_string(),
            token: token.to_string(),
            _home: home,
        }
    }

    fn cookie(&self) -> String {
        let port = self.addr.rsplit(':').next().unwrap();
        format!("tongbao-{port}={}", self.token)
    }

    /// One request with the workspace's cookie and its own Origin.
    fn ask(&self, method: &str, path: &str, body: &[u8]) -> (u16, String) {
        let headers = [("Cookie", self.cookie()), ("Origin", format!("http://{}", self.addr))];
        request(&self.addr, method, path, &headers, body)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        while self.lines.try_recv().is_ok() {}
    }
}

/// One HTTP/1.1 request with the headers given (Host is this server's unless given); the status
/// and the body.
fn request(addr: &str, method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if !headers.iter().any(|(n, _)| *n == "Host") {
        head.push_str(&format!("Host: {addr}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn repository(p: &Project) {
    let git = |args: &[&str]| crate::util::git::git(p.root(), args);
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "建立项目"]);
}

const TEXT: &str = "/api/file?path=data/2023-03/%E9%80%9A%E6%8A%A5.txt";

#[test]
fn only_the_opened_page_may_ask_and_nothing_outside_data() {
    let p = Project::march_only();
    repository(&p);
    let s = Serve::start(p.root());
    // No token, a wrong one, the token in the address: the last sets the cookie and drops it.
    assert_eq!(request(&s.addr, "GET", "/api/months", &[], b"").0, 401);
    assert_eq!(request(&s.addr, "GET", "/", &[], b"").0, 401);
    let wrong = [("Cookie", format!("{}x", s.cookie()))];
    assert_eq!(request(&s.addr, "GET", "/api/months", &wrong, b"").0, 401);
    assert_eq!(request(&s.addr, "GET", "/?token=0123", &[], b"").0, 401);
    let mut stream = TcpStream::connect(&s.addr).unwrap();
    write!(
        stream,
        "GET /?token={} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        s.token, s.addr
    )
    .unwrap();
    let mut entered = String::new();
    stream.read_to_string(&mut entered).unwrap();
    let lower = entered.to_ascii_lowercase();
    assert!(entered.starts_with("HTTP/1.1 302"), "{entered}");
    assert!(lower.contains("location: /\r\n"), "{entered}");
    assert!(
        lower.contains(&format!(
            "set-cookie: {}; httponly; samesite=strict; path=/",
            s.cookie()
        )),
        "{entered}"
    );
    // The cookie opens every route; the preview's pages too.
    assert_eq!(s.ask("GET", "/api/months", b"").0, 200);
    assert_eq!(s.ask("GET", "/status.json", b"").0, 200);
    // A wrong Host (DNS rebinding), a foreign Origin, another local port, a program that names
    // no page: refused before anything is done.
    let cookie = ("Cookie", s.cookie());
    assert_eq!(
        request(
            &s.addr,
            "GET",
            "/api/months",
            &[cookie.clone(), ("Host", "evil.example".into())],
            b""
        )
        .0,
        421
    );
    for origin in ["http://evil.example", "http://127.0.0.1:1", "null"] {
        let headers = [cookie.clone(), ("Origin", origin.to_string())];
        assert_eq!(
            request(&s.addr, "POST", "/api/show?month=2023-03", &headers, b"").0,
            403,
            "{origin}"
        );
    }
    let site = [cookie.clone(), ("Sec-Fetch-Site", "same-site".to_string())];
    assert_eq!(request(&s.addr, "POST", "/api/show?month=2023-03", &site, b"").0, 403);
    assert_eq!(
        request(
            &s.addr,
            "POST",
            "/api/show?month=2023-03",
            std::slice::from_ref(&cookie),
            b""
        )
        .0,
        403
    );
    let same = [cookie.clone(), ("Sec-Fetch-Site", "same-origin".to_string())];
    assert_eq!(request(&s.addr, "POST", "/api/show?month=2023-03", &same, b"").0, 204);
    assert_eq!(s.ask("POST", "/api/show?month=2023-03", b"").0, 204);
    // Too large a body: 413, nothing written.
    let before = p.read("data/2023-03/通报.txt");
    let (status, _) = s.ask("POST", &format!("{TEXT}&base=x"), &vec![b'a'; 40 << 20]);
    assert_eq!(status, 413);
    assert_eq!(p.read("data/2023-03/通报.txt"), before);
    // Only data/'s texts and tables.
    for path in [
        "../etc/passwd",
        "/etc/passwd",
        "templates/circular.typ.j2",
        "data/../../x.txt",
        "out/2023-03/circular.typ",
        "data/2023-03/issued.pdf",
    ] {
        let (status, body) = s.ask("GET", &format!("/api/file?path={path}"), b"");
        assert_eq!(status, 403, "{path}: {body}");
    }
    for file in ["../../data/units.yaml", "circular.typ", "../2023-03/12345.yaml"] {
        assert_eq!(
            s.ask("GET", &format!("/api/out?month=2023-03&file={file}"), b"").0,
            404,
            "{file}"
        );
    }
    let (status, _) = s.ask("PUT", "/api/upload?month=2023-03&name=x.sh", b"#!/bin/sh\n");
    assert_eq!(status, 415);
}

#[test]
fn a_save_never_overwrites_a_change_made_outside() {
    let p = Project::march_only();
    repository(&p);
    let s = Serve::start(p.root());
    let (status, body) = s.ask("GET", TEXT, b"");
    assert_eq!(status, 200);
    let file: serde_json::Value = serde_json::from_str(&body).unwrap();
    let (text, hash) = (file["text"].as_str().unwrap(), file["hash"].as_str().unwrap());
    assert_eq!(text, p.read("data/2023-03/通报.txt"));
    // Changed outside meanwhile (another editor): the save is refused with what the file is now.
    let outside = text.replace("现将", "现把");
    p.write("data/2023-03/通报.txt", &outside);
    let mine = text.replace("现将", "兹将");
    let (status, body) = s.ask("POST", &format!("{TEXT}&base={hash}"), mine.as_bytes());
    assert_eq!(status, 409, "{body}");
    let conflict: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(conflict["text"].as_str().unwrap(), outside);
    assert!(
        conflict["message"].as_str().unwrap().contains("在别处被修改过"),
        "{body}"
    );
    assert_eq!(p.read("data/2023-03/通报.txt"), outside);
    // Chosen: saved over what the clerk has now seen.
    let (status, body) = s.ask(
        "POST",
        &format!("{TEXT}&base={}", conflict["hash"].as_str().unwrap()),
        mine.as_bytes(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(p.read("data/2023-03/通报.txt"), mine);
    p.assert_no_temporaries("data/2023-03");
}

/// The page's visible text of element `id`.
fn text_of(id: &str) -> String {
    format!("return (document.getElementById({id:?}) || {{}}).textContent || '';")
}

/// The preview's pages (in the frame beside the editor), their text without spaces.
const PREVIEW_TEXT: &str = "(() => { const d = document.getElementById('preview').contentDocument; \
    const p = d && d.getElementById('pages'); return p ? p.textContent.replace(/\\s/g, '') : ''; })()";

/// Answers the page's own question dialog.
fn answer(driver: &Driver, text: Option<&str>) {
    driver.wait("the question", "return !document.getElementById('ask').hidden;");
    if let Some(text) = text {
        driver.script("document.getElementById('answer').value = ''; return true;");
        driver.type_into("#answer", text);
    }
    let asked = driver.script(&text_of("askwhat"));
    driver.click("#askok");
    // Closed, or the next question asked.
    driver.wait(
        "the question answered",
        &format!("return document.getElementById('ask').hidden || document.getElementById('askwhat').textContent !== {asked};"),
    );
}

/// Waits until the status line says something containing `what` (the last line a command
/// printed), and returns it.
fn wait_said(driver: &Driver, what: &str) -> String {
    driver.wait(
        what,
        &format!("return document.getElementById('say').textContent.includes({what:?});"),
    );
    driver.script(&text_of("say")).as_str().unwrap().to_string()
}

/// The three grids are on the tab, from the newest load (none still coming to replace them).
const GRIDS_SHOWN: &str = "return document.querySelectorAll('table.grid').length === 3 && \
     !('loading' in document.getElementById('grids').dataset);";

/// A whole month with no command line: create it, import two spreadsheets, fix a misspelt unit
/// in the grid, write a paragraph with a completed expression, watch the draft preview and its
/// problems follow, jump from the page to the source, commit, issue, see a change refused in the
/// circular's terms, revise with a reason, read the history.
#[test]
fn a_whole_month_in_the_browser() {
    let p = Project::march_only();
    // The systems' exports of the month: tongbao's own workbook of March's tables.
    assert!(p.run(&["export", "2023-03"]).status.success());
    let book = p.path("out/2023-03/附件.xlsx");
    let exports = tempfile::tempdir().unwrap();
    let hotline = exports.path().join("热线导出.xlsx");
    let system = exports.path().join("系统导出.xlsx");
    std::fs::copy(&book, &hotline).unwrap();
    std::fs::copy(&book, &system).unwrap();
    std::fs::remove_dir_all(p.path("out")).unwrap();
    repository(&p);
    let s = Serve::start(p.root());
    let driver = Driver::start();
    driver.call(
        "POST",
        "/url",
        serde_json::json!({"url": format!("http://{}/?token={}", s.addr, s.token)}),
    );
    driver.wait(
        "the months",
        "return document.querySelectorAll('#months li').length === 1;",
    );
    driver.wait(
        "March's text",
        "return document.getElementById('area').value.includes('现将');",
    );
    driver.screenshot("workspace-months");

    // 1. The next month, a draft with its 待填 counted.
    driver.click("#new");
    driver.wait(
        "April, a draft",
        "const li = document.querySelector('#months li[data-month=\"2023-04\"]'); \
         return !!li && li.className.includes('draft') && li.textContent.includes('处待填');",
    );
    driver.wait(
        "April's text",
        "return document.getElementById('textfile').textContent.includes('2023-04');",
    );
    assert!(p.path("data/2023-04/通报.txt").exists());

    // 2. Two spreadsheets uploaded: one into the hotline's table, one dropped for the rest.
    driver.click("button[data-tab='tables']");
    driver.wait("the grids", GRIDS_SHOWN);
    driver.type_into("input.import[data-table='热线']", hotline.to_str().unwrap());
    driver.wait(
        "the hotline imported",
        "return document.getElementById('imported').textContent.trim().length > 0;",
    );
    driver.type_into("#upload", system.to_str().unwrap());
    driver.wait(
        "every table imported",
        "return (document.getElementById('imported').textContent.match(/\\n/g) || []).length >= 1 && \
         !document.getElementById('imported').textContent.includes('不是本月任何一张表');",
    );
    let imported = driver.script(&text_of("imported"));
    let hotline_file = p.read("data/2023-04/12345.yaml");
    assert!(
        hotline_file.contains("本月: 71, 办结: 71"),
        "{imported}\n{hotline_file}"
    );
    assert!(p.read("data/2023-04/710.yaml").contains("单位:"), "{imported}");
    driver.wait("the grids again", GRIDS_SHOWN);
    driver.screenshot("workspace-tables");

    // 3. The headlines import does not fill, typed into the grid's fields; a unit misspelt in
    // the grid is a problem at its row until fixed.
    for (table, file) in [("710", "data/2023-03/710.yaml"), ("12345", "data/2023-03/12345.yaml")] {
        let march = p.read(file);
        let line = march.lines().find(|l| l.starts_with("概况:")).unwrap();
        let pairs = line
            .trim_start_matches("概况:")
            .trim()
            .trim_matches(|c| c == '{' || c == '}');
        for pair in pairs.split(", ") {
            let (key, value) = pair.split_once(": ").unwrap();
            driver.script(&format!(
                "document.querySelector(\"div:has(> table.grid[data-id='{table}']) input.headline[data-key='{key}']\").value = ''; return true;"
            ));
            driver.type_into(
                &format!("div:has(> table.grid[data-id='{table}']) input.headline[data-key='{key}']"),
                value,
            );
        }
    }
    let unit = "table.grid[data-id='12345'] tbody tr:first-child td.unit input";
    let first_unit = driver.script(&format!("return document.querySelector(\"{unit}\").value;"));
    let first_unit = first_unit.as_str().unwrap().to_string();
    driver.script(&format!("document.querySelector(\"{unit}\").value = ''; return true;"));
    driver.type_into(unit, "总寨镇人民政付");
    let save_hotline = "div:has(> table.grid[data-id='12345']) .bar button";
    driver.click(save_hotline);
    driver.wait(
        "the misspelt unit's problem",
        "return [...document.querySelectorAll('#grids ul.problems li')].some(li => li.textContent.includes('总寨镇人民政付'));",
    );
    driver.screenshot("workspace-grid-problem");
    driver.script(&format!("document.querySelector(\"{unit}\").value = ''; return true;"));
    driver.type_into(unit, &first_unit);
    driver.click(save_hotline);
    driver.wait(
        "the problem gone",
        "return ![...document.querySelectorAll('#grids ul.problems li')].some(li => li.textContent.includes('总寨镇人民政付'));",
    );
    driver.click("div:has(> table.grid[data-id='710']) .bar button");
    driver.wait(
        "710 saved",
        "return [...document.querySelectorAll('#grids .bar span')].some(s => s.textContent === '已保存');",
    );

    // 4. A paragraph typed with a completed expression: the draft preview shows it before any
    // save; a misspelt expression is underlined and listed, then gone.
    driver.click("button[data-tab='text']");
    driver.script(
        "const a = document.getElementById('area'); a.focus(); \
         const at = a.value.indexOf('\\n', a.value.indexOf('现将')); a.setSelectionRange(at, at); return true;",
    );
    driver.type_into("#area", "\n本月热线共转办{{ 热");
    driver.wait("the completion", "return !document.getElementById('complete').hidden && document.getElementById('complete').textContent.includes('热线');");
    driver.screenshot("workspace-completion");
    driver.type_into("#area", "\u{E007}.本月 }}件。");
    let typed = driver.script("return document.getElementById('area').value;");
    assert!(
        typed.as_str().unwrap().contains("本月热线共转办{{ 热线.本月 }}件。"),
        "{typed}"
    );
    let total: u64 = p
        .read("data/2023-03/12345.yaml")
        .lines()
        .filter(|l| l.contains("{单位:"))
        .map(|l| crate::util::field(l, "本月").parse::<u64>().unwrap())
        .sum();
    let shown = format!("本月热线共转办{total}件。");
    driver.wait(
        "the paragraph in the draft preview",
        &format!("return {PREVIEW_TEXT}.includes({shown:?});"),
    );
    assert!(
        !p.read("data/2023-04/通报.txt").contains("本月热线共转办"),
        "not saved yet"
    );
    driver.type_into("#area", "另有{{ 热线.不存在 }}件。");
    driver.wait(
        "the problem underlined",
        "return [...document.querySelectorAll('#under mark')].some(m => m.textContent.includes('不存在')) && \
         [...document.querySelectorAll('#problems li')].some(li => li.textContent.includes('不存在'));",
    );
    driver.screenshot("workspace-text-problem");
    driver.script(
        "const a = document.getElementById('area'); a.value = a.value.replace('另有{{ 热线.不存在 }}件。', ''); \
         a.dispatchEvent(new Event('input')); return true;",
    );
    driver.wait(
        "the problem cleared",
        "return ![...document.querySelectorAll('#problems li')].some(li => li.textContent.includes('不存在'));",
    );

    // 5. A click on the page's line lands on its source line in the editor.
    let clicked = driver.script(
        "const d = document.getElementById('preview').contentDocument; \
         const s = [...d.querySelectorAll('.text span')].find(s => s.textContent.includes('热线共转办')); \
         s.dispatchEvent(new MouseEvent('click', {bubbles: true})); return s.textContent;",
    );
    driver.wait(
        "the cursor on the typed line",
        "const a = document.getElementById('area'); const line = a.value.slice(0, a.selectionStart).split('\\n').length; \
         return a.value.split('\\n')[line - 1].includes('本月热线共转办');",
    );
    assert!(clicked.as_str().unwrap().contains("热线共转办"), "{clicked}");
    // And back: the cursor's paragraph is marked on the page.
    driver.script("document.getElementById('area').dispatchEvent(new MouseEvent('click')); return true;");
    driver.wait(
        "the cursor's paragraph marked on the page",
        "const d = document.getElementById('preview').contentDocument; \
         const marked = [...d.querySelectorAll('.text span.here')].map(s => s.textContent).join(''); \
         return marked.includes('热线共转办') && !marked.includes('民生服务热线共转办城中区工单');",
    );
    driver.screenshot("workspace-cursor");

    // 6. The date filled, saved, committed (the clerk's name asked once).
    driver.script(
        "const a = document.getElementById('area'); a.value = a.value.replace(/\\n待填\\n/, '\\n2023年6月5日\\n'); \
         a.dispatchEvent(new Event('input')); return true;",
    );
    driver.click("#save");
    driver.wait(
        "saved",
        "return document.getElementById('saved').textContent === '已保存';",
    );
    assert!(
        p.read("data/2023-04/通报.txt")
            .contains("本月热线共转办{{ 热线.本月 }}件。")
    );
    driver.wait(
        "April ready",
        "const li = document.querySelector('#months li[data-month=\"2023-04\"]'); return !!li && li.className.includes('ready');",
    );
    driver.click("#commit");
    answer(&driver, None);
    answer(&driver, Some("王会计"));
    wait_said(&driver, "已提交");
    let log = crate::util::git::git(p.root(), &["log", "-1", "--format=%an %s"]);
    assert_eq!(log, "王会计 2023-04 数据");
    assert!(crate::util::git::git(p.root(), &["status", "--porcelain", "data/2023-04"]).is_empty());

    // 7. Issued; the record committed.
    driver.click("#issue");
    answer(&driver, None);
    driver.wait(
        "issued",
        "return document.getElementById('outputsout').textContent.includes('的通报已发布');",
    );
    driver.screenshot("workspace-issued");
    driver.wait(
        "April issued in the list",
        "const li = document.querySelector('#months li[data-month=\"2023-04\"]'); return !!li && li.className.includes('issued');",
    );
    assert!(p.path("data/2023-04/issued.pdf").exists());
    driver.click("#commit");
    answer(&driver, Some("发布2023-04通报"));
    wait_said(&driver, "已提交");

    // 8. A figure changed: refused in the circular's terms; revised with a reason.
    driver.click("button[data-tab='tables']");
    driver.wait("the grids", GRIDS_SHOWN);
    let cell = "table.grid[data-id='12345'] tbody tr:first-child td:nth-child(2) input";
    driver.script(&format!("document.querySelector(\"{cell}\").value = ''; return true;"));
    driver.type_into(cell, "72");
    driver.click(save_hotline);
    driver.wait(
        "the refusal",
        "return [...document.querySelectorAll('#tables ul.problems li')].some(li => li.textContent.includes('已于') && li.textContent.includes('发布'));",
    );
    driver.screenshot("workspace-refusal");
    driver.click("#commit");
    answer(&driver, Some("更正总寨镇热线数"));
    wait_said(&driver, "已提交");
    driver.click("#revise");
    answer(&driver, Some("总寨镇热线本月数字更正"));
    driver.wait(
        "revised",
        "return document.getElementById('outputsout').textContent.includes('已修订（第 2 版）');",
    );
    assert!(p.read("data/2023-04/issued.yaml").contains("总寨镇热线本月数字更正"));
    driver.click("#commit");
    answer(&driver, Some("发布2023-04通报更正版"));
    wait_said(&driver, "已提交");

    // 9. The history, in the circular's terms.
    driver.click("button[data-tab='history']");
    driver.click("#log");
    driver.wait(
        "the history",
        "return document.getElementById('commits').textContent.includes('总寨镇人民政府 · 本月投诉：71 → 72');",
    );
    let history = driver.script("return document.getElementById('history').textContent;");
    let history = history.as_str().unwrap();
    for said in ["更正总寨镇热线数", "发布2023-04通报", "王会计", "改动了"] {
        assert!(history.contains(said), "{said}: {history}");
    }
    // Each issued edition downloadable as it was issued.
    let editions = driver.script_async(
        "Promise.all([...document.querySelectorAll('#editions a')].map(a => fetch(a.href).then(r => r.arrayBuffer()))) \
         .then(all => done(all.map(b => new TextDecoder().decode(new Uint8Array(b).slice(0, 5)))));",
    );
    assert!(
        editions
            .as_array()
            .is_some_and(|e| e.len() == 2 && e.iter().all(|v| v == "%PDF-")),
        "{editions}"
    );
    driver.screenshot("workspace-history");
}

/// 印发 in the workspace signs with the key file the clerk names and the password typed for it:
/// the password reaches the command in its environment and never comes back in the answer.
#[test]
fn the_workspace_issues_a_signed_circular() {
    let keys = crate::sign::Keys::make();
    let p = Project::march_only();
    repository(&p);
    let s = Serve::start(p.root());
    let key = keys.path("rsa.p12");
    let ask = |password: &str| {
        let body = serde_json::json!({
            "command": "issue", "month": "2023-03", "sign": key.to_str().unwrap(), "password": password,
        });
        s.ask("POST", "/api/run", body.to_string().as_bytes())
    };
    let (status, body) = ask("不对的密码");
    assert_eq!(status, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["ok"], false, "{body}");
    assert!(answer["output"].as_str().unwrap().contains("密码不对"), "{body}");
    assert!(!body.contains("不对的密码"), "the password never comes back: {body}");
    let (_, body) = ask(crate::sign::PASSWORD);
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["ok"], true, "{body}");
    assert!(answer["output"].as_str().unwrap().contains("已签名（PAdES）"), "{body}");
    let report = crate::sign::pdfsig(&p.path("data/2023-03/issued.pdf"));
    assert!(report.contains("Signature is Valid."), "{report}");
}
