//! End to end in real headless Chromium (driven through chromedriver's WebDriver API): open the
//! preview, change a figure in a YAML file and see the page show it; break the file and see the
//! error overlay; fix it and see the overlay go. The page lists what `check` lists, errors and
//! warnings, each marking the characters it is about; its times are Chinese; its icon loads.

use crate::util::Project;
use crate::util::browser::Driver;
use crate::util::watch::Watch;

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
    the_problems_are_checks(&p, &driver, "#list", "2023-03");
    assert_time(&driver, "已更新");
    the_icon_loads(&driver);
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

    // A bad edit: the month is shown as a draft (no error box over it): the state says what is
    // unfinished, the list marks the bad figure where it is, the page prints a placeholder.
    p.write(file, &with(80, "x"));
    driver.wait(
        "the draft",
        "return document.getElementById('state').textContent.startsWith('草稿：1 个错误');",
    );
    assert_eq!(driver.script(OVERLAY_SHOWN), false, "no error box over a draft");
    let marks = driver.script("return [...document.querySelectorAll('#list mark')].map(m => m.textContent);");
    assert!(
        marks.as_array().unwrap().iter().any(|m| m == "80x"),
        "the list marks the bad figure: {marks}"
    );
    the_problems_are_checks(&p, &driver, "#list", "2023-03");
    driver.wait("the placeholder on the page", &page_has("【待填】"));
    assert_eq!(
        driver.script("return document.getElementById('pdf').textContent;"),
        "下载草稿 PDF"
    );

    // The fix: the draft gives way to the circular.
    p.write(file, &with(81, ""));
    driver.wait("the fixed figure", &page_has("共转办城中区工单1174件"));
    assert_time(&driver, "已更新");

    // A template that cannot be laid out: the error box over the last good pages, and it closes.
    let template = p.read("templates/gongwen.typ");
    p.write("templates/gongwen.typ", &format!("{template}\n#let broken = (\n"));
    driver.wait("the error overlay", OVERLAY_SHOWN);
    assert_time(&driver, "生成失败");
    assert_eq!(
        driver.script(&page_has("共转办城中区工单1174件")),
        true,
        "last good pages kept"
    );
    driver.script("document.getElementById('close').click(); return true;");
    driver.wait(
        "the overlay closed",
        "return !document.getElementById('overlay').classList.contains('show');",
    );
    p.write("templates/gongwen.typ", &template);
    driver.wait(
        "the state after the fix",
        "return document.getElementById('state').textContent.startsWith('已更新');",
    );
}

/// The problems the page lists under `list` are those `tongbao check MONTH` gives, in its order,
/// and each marks the characters `check` points at: the quoted line is the file's line, the mark
/// begins at the diagnostic's column, and in the browser it sits right after the text before it,
/// on the same line (so it is under those characters whatever the font).
fn the_problems_are_checks(p: &Project, driver: &Driver, list: &str, month: &str) {
    let out = p.run(&["check", month, "--format", "json"]);
    let checked: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let warnings = checked.iter().filter(|d| d["severity"] == "warning").count();
    assert!(warnings > 0, "the month has warnings to show");
    driver.wait(
        "the problems listed",
        &format!(
            "return document.querySelectorAll('{list} > .problem').length === {};",
            checked.len()
        ),
    );
    let shown = driver.script(&format!(
        "return [...document.querySelectorAll('{list} > .problem')].map(li => {{
           const code = li.querySelector('.quote code'), mark = li.querySelector('mark');
           const item = {{ severity: li.classList.contains('error') ? 'error' : 'warning',
                           head: li.querySelector('.head').textContent,
                           place: (li.querySelector('.where') || {{}}).textContent || null }};
           if (code) {{
             const before = document.createRange();
             before.selectNodeContents(code);
             before.setEndBefore(mark);
             const b = before.getBoundingClientRect(), m = mark.getBoundingClientRect();
             Object.assign(item, {{ line: code.textContent, before: before.toString(), marked: mark.textContent,
                                    gap: m.left - b.right, rise: m.bottom - b.bottom, width: m.width }});
           }}
           return item;
         }});"
    ));
    let shown = shown.as_array().unwrap();
    for (d, s) in checked.iter().zip(shown) {
        let severity = d["severity"].as_str().unwrap();
        let label = if severity == "error" { "错误" } else { "警告" };
        assert_eq!(s["severity"], severity, "{s}");
        assert_eq!(
            s["head"],
            format!(
                "{label}[{}]：{}",
                d["code"].as_str().unwrap(),
                d["message"].as_str().unwrap()
            )
        );
        let (file, line, column) = (
            d["file"].as_str(),
            d["line"].as_u64().unwrap() as usize,
            d["column"].as_u64().unwrap() as usize,
        );
        if line == 0 || d["cell"].is_string() {
            continue;
        }
        let file = file.unwrap();
        assert_eq!(s["place"], format!("位置：{file}:{line}:{column}"));
        let text = p.read(file);
        let quoted = text.lines().nth(line - 1).unwrap().trim_end_matches('\r');
        assert_eq!(s["line"], quoted, "the line quoted is the file's");
        let before: String = quoted.chars().take(column - 1).collect();
        assert_eq!(
            s["before"], before,
            "the mark begins at column {column} of {file}:{line}"
        );
        let marked = s["marked"].as_str().unwrap();
        assert!(
            !marked.is_empty() && quoted.chars().skip(column - 1).collect::<String>().starts_with(marked),
            "{s}"
        );
        assert!(
            s["gap"].as_f64().unwrap().abs() < 0.5,
            "the mark follows the text before it: {s}"
        );
        assert!(s["rise"].as_f64().unwrap().abs() < 0.5, "on the same line: {s}");
        assert!(s["width"].as_f64().unwrap() > 1.0, "{s}");
    }
    // Two known marks: the stated figure, the attachment's name as written.
    let marks: Vec<&str> = shown.iter().filter_map(|s| s["marked"].as_str()).collect();
    assert!(marks.contains(&"3月城中区710政府督办情况统计表"), "{marks:?}");
}

/// The state line says `what` and the server's time, in Chinese (`13时05分09秒`), not the
/// browser's locale.
fn assert_time(driver: &Driver, what: &str) {
    let pattern = format!("^{what} [0-2][0-9]时[0-5][0-9]分[0-5][0-9]秒$");
    driver.wait(
        "the time in Chinese",
        &format!("return new RegExp({pattern:?}).test(document.getElementById('state').textContent);"),
    );
}

/// The page's icon (and the one browsers ask for unbidden) loads as an image.
fn the_icon_loads(driver: &Driver) {
    let loaded = driver.script_async(
        "const link = document.querySelector('link[rel=icon]');
         Promise.all([link.href, '/favicon.ico'].map(url => fetch(url).then(r => [r.status, r.headers.get('content-type')])))
           .then(replies => { const i = new Image(); i.onload = () => done([replies, i.naturalWidth]); i.onerror = () => done([replies, 0]); i.src = link.href; })
           .catch(e => done(String(e)));",
    );
    assert_eq!(
        loaded,
        serde_json::json!([[[200, "image/svg+xml"], [200, "image/svg+xml"]], 32]),
        "the icon is served and decodes"
    );
}

/// A click on the page's text says where it comes from: a paragraph's line of 通报.txt, a table
/// row's line of its month file (told apart from the other tables listing the unit by its
/// figures), as an editor's link.
#[test]
fn a_click_on_the_page_names_its_source_line() {
    let p = Project::shipped();
    let w = Watch::start(&p);
    let driver = Driver::start();
    driver.call(
        "POST",
        "/url",
        serde_json::json!({"url": format!("http://{}/", w.addr)}),
    );
    driver.wait(
        "every page's text",
        "return document.body.dataset.complete && document.querySelectorAll('.page .text').length === 9;",
    );
    let line_of = |file: &str, needle: &str| {
        p.read(file)
            .lines()
            .position(|l| l.contains(needle))
            .map(|i| i + 1)
            .unwrap()
    };
    let row = p
        .read("data/2023-03/12345.yaml")
        .lines()
        .find(|l| l.contains("{单位: 南滩街道办事处"))
        .unwrap()
        .to_string();
    let figures: String = row
        .split(", ")
        .skip(1)
        .take(2)
        .map(|c| c.rsplit(": ").next().unwrap())
        .collect();
    for (needle, context, file, line) in [
        (
            "现将",
            String::new(),
            "data/2023-03/通报.txt",
            line_of("data/2023-03/通报.txt", "现将"),
        ),
        (
            "南滩街道办事处",
            figures,
            "data/2023-03/12345.yaml",
            line_of("data/2023-03/12345.yaml", "{单位: 南滩街道办事处"),
        ),
    ] {
        // A run holding the words whose printed line also holds `context` (a row's figures).
        let clicked = driver.script(&format!(
            "const lineOf = s => [...s.parentElement.children].filter(t => Math.abs(t.dataset.y - s.dataset.y) < 0.5).map(t => t.textContent).join('');
             const s = [...document.querySelectorAll('.text span')].find(s => s.textContent.includes({needle:?}) && lineOf(s).includes({context:?}));
             s.dispatchEvent(new MouseEvent('click', {{bubbles: true}}));
             return lineOf(s);"
        ));
        driver.wait(
            "the source named",
            &format!("const a = document.getElementById('source'); return !a.hidden && a.dataset.file === {file:?};"),
        );
        let shown = driver
            .script("const a = document.getElementById('source'); return [a.dataset.line, a.textContent, a.href];");
        assert_eq!(shown[0], line.to_string(), "{clicked}: {shown}");
        assert!(shown[2].as_str().unwrap().starts_with("vscode://file/"), "{shown}");
        driver.script("document.getElementById('source').hidden = true; return true;");
    }
    // Scrolled to page 2: where its first line comes from.
    driver.script("document.querySelectorAll('.page')[1].scrollIntoView(); window.scrollBy(0, 10); return true;");
    driver.wait(
        "the page's source",
        "const a = document.getElementById('source'); return !a.hidden && a.textContent.startsWith('本页始于 data/2023-03/通报.txt');",
    );
}

/// `watch --editor` with a command: the source link runs it with the file and the line, and
/// nothing else (no shell reads the path).
#[test]
fn the_source_link_runs_the_configured_editor() {
    let p = Project::shipped();
    let opened = p.path("opened.txt");
    let editor = format!("sh -c 'printf %s \"$0:$1\" > {}' {{文件}} {{行}}", opened.display());
    let w = Watch::start_with(&p, &["2023-03", "--editor", &editor]);
    let driver = Driver::start();
    driver.call(
        "POST",
        "/url",
        serde_json::json!({"url": format!("http://{}/", w.addr)}),
    );
    driver.wait(
        "the first page's text",
        "return Boolean(document.body.dataset.complete && document.querySelector('.page .text span'));",
    );
    driver.script(
        "const s = [...document.querySelectorAll('.text span')].find(s => s.textContent.includes('现将'));
         s.dispatchEvent(new MouseEvent('click', {bubbles: true})); return true;",
    );
    driver.wait("the source link", "return !document.getElementById('source').hidden;");
    driver.script("document.getElementById('source').click(); return true;");
    let text = p.path("data/2023-03/通报.txt");
    let line = p
        .read("data/2023-03/通报.txt")
        .lines()
        .position(|l| l.contains("现将"))
        .unwrap()
        + 1;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !opened.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(100));
    let said = std::fs::read_to_string(&opened).unwrap_or_default();
    assert_eq!(said, format!("{}:{line}", text.display()));
}

/// A page of another site cannot load the preview's pages as images (issue 30: its requests
/// grew the preview's memory and could read the circular).
#[test]
fn another_site_cannot_load_the_previews_images() {
    let p = Project::shipped();
    let w = Watch::start(&p);
    let driver = Driver::start();
    // The preview's own page shows its images.
    driver.call(
        "POST",
        "/url",
        serde_json::json!({"url": format!("http://{}/", w.addr)}),
    );
    driver.wait(
        "an image of a page",
        "return [...document.images].some(i => i.complete && i.naturalWidth > 0);",
    );
    // A page elsewhere (here: another origin, a data: page) gets nothing.
    let html = format!(
        "<img onload=\"document.title='loaded'\" onerror=\"document.title='refused'\" src='http://{}/page/1.png?w=777'>",
        w.addr
    );
    let url = format!("data:text/html;charset=utf-8,{}", html.replace('#', "%23"));
    driver.call("POST", "/url", serde_json::json!({ "url": url }));
    driver.wait("the image settled", "return document.title !== '';");
    let title = driver.script("return document.title;");
    assert_eq!(title, "refused");
}
