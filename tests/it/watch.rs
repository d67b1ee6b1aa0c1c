//! `tongbao watch`: rebuilds on saves of every kind, recovers from bad edits, debounces bursts; the
//! preview server answers only its own routes, on loopback only.

use std::time::Duration;

use crate::util::watch::{Watch, http};
use crate::util::{Project, pdftotext};

const FILE: &str = "data/2023-03/12345.yaml";

fn pdf_text(p: &Project) -> String {
    pdftotext(&p.path("out/2023-03/circular.pdf"))
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Waits (up to 20 s) until the PDF's text contains `what`: the preview shows the new pages before
/// the PDF is exported, so a changed status does not yet mean a new PDF.
fn wait_pdf(p: &Project, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !(p.path("out/2023-03/circular.pdf").exists() && pdf_text(p).contains(what)) {
        assert!(
            std::time::Instant::now() < deadline,
            "the PDF never came to contain {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Sets 总寨镇's 本月/办结 to `n` (and the 合计 to match).
fn set_figure(text: &str, n: u32) -> String {
    let row = text.lines().find(|l| l.contains("{单位: 总寨镇政府")).unwrap();
    let total = text.lines().find(|l| l.starts_with("合计:")).unwrap();
    let sum = 1164 - 71 + n;
    text.replace(
        row,
        &format!("  - {{单位: 总寨镇政府, 本月: {n}, 办结: {n}, 延期: 4, 重办: 4}}"),
    )
    .replace(
        total,
        &format!("合计: {{本月: {sum}, 办结: {sum}, 延期: 152, 重办: 53}}"),
    )
}

#[test]
fn an_edited_figure_is_rebuilt() {
    let p = Project::shipped();
    let mut w = Watch::start(&p);
    let before = w.status()["version"].as_u64().unwrap();
    p.write(FILE, &set_figure(&p.read(FILE), 80));
    w.wait_status(|s| s["version"].as_u64() > Some(before) && s["error"].is_null());
    wait_pdf(&p, "共转办城中区工单1173件");
    // The pages were shown before the PDF was exported: the line gives both times.
    let line = w.wait_line(|l| l.contains("已更新（data/2023-03/12345.yaml")).unwrap();
    let ms: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(line.contains("预览") && line.contains("PDF"), "{line}");
    let (shown, pdf) = (ms[ms.len() - 4], ms[ms.len() - 3]);
    assert!(shown <= pdf, "{line}");
}

#[test]
fn an_atomic_rename_save_is_seen_every_time() {
    let p = Project::shipped();
    let mut w = Watch::start(&p);
    for n in [81, 82, 83] {
        let before = w.status()["version"].as_u64().unwrap();
        let tmp = p.path("data/2023-03/.12345.yaml.swp");
        std::fs::write(&tmp, set_figure(&p.read(FILE), n)).unwrap();
        std::fs::rename(&tmp, p.path(FILE)).unwrap();
        w.wait_status(|s| s["version"].as_u64() > Some(before));
        wait_pdf(&p, &format!("工单{}件", 1164 - 71 + n));
    }
    // Each rebuild names the saved file as the change; the swap file's own events never.
    let lines = w.drain(Duration::from_millis(200));
    assert!(
        lines.iter().any(|l| l.contains("data/2023-03/12345.yaml 有改动")),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains(".swp")), "{lines:#?}");
}

#[test]
fn a_deleted_and_recreated_file_fails_then_recovers() {
    let p = Project::shipped();
    let w = Watch::start(&p);
    let good = std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap();
    let text = p.read("data/2023-03/710.yaml");
    std::fs::remove_file(p.path("data/2023-03/710.yaml")).unwrap();
    let s = w.wait_status(|s| s["error"].is_string());
    assert!(
        s["error"]
            .as_str()
            .unwrap()
            .contains("附件要列出“710”政务督办系统，但本月没有它的数据"),
        "{s}"
    );
    assert_eq!(
        std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap(),
        good,
        "last good PDF kept"
    );
    p.write("data/2023-03/710.yaml", &text);
    w.wait_status(|s| s["error"].is_null());
}

#[test]
fn a_bad_edit_shows_a_draft_with_the_diagnostic_and_the_fix_recovers() {
    let p = Project::shipped();
    let mut w = Watch::start(&p);
    let good = std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap();
    let text = p.read(FILE);
    p.write(FILE, &text.replace("本月: 71, 办结: 71", "本月: 71, 办结: 71x"));
    // The month is shown as a draft that says what is wrong; the problem is listed at its place.
    let s = w.wait_status(|s| s["draft"].is_string());
    assert_eq!(s["draft"], "草稿：1 个错误", "{s}");
    assert!(s["error"].is_null(), "no error box over a draft: {s}");
    let problem = s["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["severity"] == "error")
        .unwrap();
    assert!(
        problem["place"]
            .as_str()
            .unwrap()
            .starts_with("data/2023-03/12345.yaml:6:")
            && problem["message"].as_str().unwrap().contains("不是数字"),
        "{problem}"
    );
    w.wait_line(|l| l.contains("显示草稿"));
    // The circular's own PDF is the last good one; the draft is beside it, marked, the unreadable
    // cell and every figure over it in placeholders.
    assert_eq!(std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap(), good);
    let draft = pdftotext(&p.path("out/2023-03/draft.pdf"));
    assert!(draft.contains("草稿") && draft.contains("【待填】"), "{draft}");
    assert!(draft.contains("【待填：热线.办结率】"), "{draft}");
    assert_eq!(w.get("/page/1.png").0, 200);

    p.write(FILE, &set_figure(&text, 90));
    w.wait_status(|s| s["error"].is_null() && s["draft"].is_null());
    wait_pdf(&p, "工单1183件");
}

#[test]
fn a_burst_of_saves_gives_few_rebuilds() {
    let p = Project::shipped();
    let mut w = Watch::start(&p);
    let text = p.read(FILE);
    for n in 1..=20 {
        p.write(FILE, &set_figure(&text, 100 + n));
        std::thread::sleep(Duration::from_millis(5));
    }
    w.wait_status(|s| s["error"].is_null() && s["version"].as_u64() > Some(1));
    std::thread::sleep(Duration::from_millis(600));
    let rebuilds = w
        .drain(Duration::from_millis(300))
        .iter()
        .filter(|l| l.contains("已更新") || l.contains("生成失败"))
        .count()
        - 1;
    assert!((1..=4).contains(&rebuilds), "{rebuilds} rebuilds for 20 saves");
    // The last save wins.
    wait_pdf(&p, &format!("工单{}件", 1164 - 71 + 120));
}

/// Saves that never stop still show their pages: a rebuild that a later save overtakes is dropped,
/// but not for longer than the longest a burst may wait.
#[test]
fn saves_that_never_stop_still_show_pages() {
    let p = Project::shipped();
    let mut w = Watch::start(&p);
    let text = p.read(FILE);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let saving = {
        let (path, stop, text) = (p.root().join(FILE), stop.clone(), text.clone());
        std::thread::spawn(move || {
            // At most 30 s of saves, whatever happens to the test.
            for n in 0..3000 {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let _ = std::fs::write(&path, set_figure(&text, 100 + n % 50));
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    // While the saves go on (every 10 ms, faster than a rebuild), the preview is updated.
    let updated = w.wait_line(|l| l.contains("已更新") && !l.contains("首次生成"));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    saving.join().unwrap();
    assert!(updated.is_some());
}

#[test]
fn server_routes_content_types_and_refusals() {
    let p = Project::shipped();
    let w = Watch::start(&p);
    for (path, status, ty) in [
        ("/", 200, "text/html; charset=utf-8"),
        ("/status.json", 200, "application/json"),
        ("/page/1.png?v=1&w=900", 200, "image/png"),
        ("/page/9.json", 200, "application/json"),
        ("/circular.pdf", 200, "application/pdf"),
        ("/favicon.ico", 200, "image/svg+xml"),
        ("/favicon.svg", 200, "image/svg+xml"),
        ("/page/10.png", 404, "text/plain; charset=utf-8"),
        ("/page/0.png", 404, "text/plain; charset=utf-8"),
        ("/data/units.yaml", 404, "text/plain; charset=utf-8"),
        ("/../../etc/passwd", 404, "text/plain; charset=utf-8"),
        ("/%2e%2e/%2e%2e/etc/passwd", 404, "text/plain; charset=utf-8"),
        ("/page/..%2f..%2fCargo.toml", 404, "text/plain; charset=utf-8"),
        ("/out/2023-03/circular.pdf", 404, "text/plain; charset=utf-8"),
        ("/fonts/", 404, "text/plain; charset=utf-8"),
    ] {
        let (code, content_type, _) = w.get(path);
        assert_eq!((code, content_type.as_str()), (status, ty), "{path}");
    }
    assert_eq!(http(&w.addr, "POST", "/status.json", Some("{}")).0, 405);
    let (_, _, pdf) = w.get("/circular.pdf");
    assert_eq!(pdf, std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap());

    // Server-Sent Events: the stream opens with an update event.
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(&w.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(stream, "GET /events HTTP/1.1\r\nHost: {}\r\n\r\n", w.addr).unwrap();
    let mut buf = vec![0; 512];
    let mut got = String::new();
    while !got.contains("event: update") {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0);
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(
        got.to_ascii_lowercase().contains("content-type: text/event-stream"),
        "{got}"
    );
}

/// Width, height and PNG colour type of a PNG file, from its header.
fn png_header(bytes: &[u8]) -> (u32, u32, u8) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20), bytes[25])
}

#[test]
fn page_images_come_at_a_step_of_the_width_asked_for() {
    let p = Project::shipped();
    let w = Watch::start(&p);
    // Served at the step at or above the width asked for (the browser scales it to its box).
    for (asked, width) in [
        ("w=600", 600),
        ("w=1800", 1800),
        ("w=1700", 1800),
        ("", 1000),
        ("w=abc", 1000),
        ("w=100000", 2400),
    ] {
        let (code, _, png) = w.get(&format!("/page/1.png?v=1&{asked}"));
        assert_eq!(code, 200);
        let (x, y, _) = png_header(&png);
        assert_eq!(x, width, "{asked}");
        // A4 proportions.
        assert!((f64::from(y) / f64::from(x) - 297.0 / 210.0).abs() < 0.01, "{x}×{y}");
    }
    // The plain circular is black on white: sent as grey (colour type 0), a quarter of the bytes.
    assert_eq!(png_header(&w.get("/page/1.png?w=600").2).2, 0);
}

#[test]
fn a_red_page_keeps_its_colour() {
    let p = Project::shipped();
    let settings = p.read("data/2023-03/document.yaml") + "版式:\n  版头: true\n";
    p.write("data/2023-03/document.yaml", &settings);
    let w = Watch::start(&p);
    let (_, _, png) = w.get("/page/1.png?w=600");
    assert_eq!(png_header(&png).2, 6, "RGBA for the red 版头");
}

#[test]
fn server_listens_on_loopback_only() {
    let p = Project::shipped();
    let w = Watch::start(&p);
    let port: u16 = w.addr.rsplit(':').next().unwrap().parse().unwrap();
    assert!(w.addr.starts_with("127.0.0.1:"));
    // The kernel's own table of listening sockets: the preview's is bound to 127.0.0.1 only.
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap()
        + &std::fs::read_to_string("/proc/net/tcp6").unwrap_or_default();
    let listening: Vec<&str> = table
        .lines()
        .filter(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.len() > 3 && cols[3] == "0A" && cols[1].ends_with(&format!(":{port:04X}"))
        })
        .collect();
    assert_eq!(listening.len(), 1, "{listening:?}");
    assert!(
        listening[0].split_whitespace().nth(1).unwrap().starts_with("0100007F:"),
        "{listening:?}"
    );
}

#[test]
fn a_busy_port_is_reported() {
    let p = Project::shipped();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = p.run(&["watch", "--port", &port]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("端口 {port} 已被占用")));
}

#[test]
fn ctrl_c_stops_cleanly() {
    let p = Project::shipped();
    let mut w = Watch::start(&p);
    let pid = w.child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    w.wait_line(|l| l.contains("已停止监视"));
    let status = w.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    p.assert_no_temporaries("out/2023-03");
}

#[test]
fn a_renamed_month_folder_is_followed() {
    // Without a month, watch follows the latest one: renaming the folder makes it April's circular.
    let p = Project::march_only();
    let w = Watch::start_with(&p, &[]);
    assert_eq!(w.status()["month"], "2023-03");
    std::fs::rename(p.path("data/2023-03"), p.path("data/2023-04")).unwrap();
    let s = w.wait_status(|s| s["month"] == "2023-04");
    assert!(s["error"].is_null(), "{s}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !p.path("out/2023-04/circular.pdf").exists() {
        assert!(std::time::Instant::now() < deadline, "April's PDF never written");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }

    // Watching a named month whose folder goes away shows the problem, and recovers when it is back.
    let p = Project::shipped();
    let w = Watch::start(&p);
    std::fs::rename(p.path("data/2023-03"), p.path("data/2023-03-old")).unwrap();
    let s = w.wait_status(|s| s["error"].is_string());
    assert!(
        s["error"].as_str().unwrap().contains("没有找到月份文件夹 data/2023-03"),
        "{s}"
    );
    std::fs::rename(p.path("data/2023-03-old"), p.path("data/2023-03")).unwrap();
    w.wait_status(|s| s["error"].is_null());
}
