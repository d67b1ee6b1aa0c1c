//! Every official form, measured from the laid-out frames as the plain one is: the seal below the
//! text above and sized by its diameter, joint issuance (red mark, rows of seals), an upward
//! document's 签发人, and the 版记 on the last even page with one 。 after 抄送.

use tongbao::typeset::inspect::{self, ImageBox, Layout, Run};

use crate::util::{MARCH_TEXT, Project, laid_out};

const TOP: f64 = 37.0;
const LEFT: f64 = 28.0;
const WIDTH: f64 = 156.0;
const HEIGHT: f64 = 225.0;
const PT: f64 = 25.4 / 72.0;
const EM: f64 = 16.0 * PT;
const ADVANCE: f64 = WIDTH / 28.0;
const PITCH: f64 = (16.0 + 13.6) * PT;

const SEAL: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="420" height="420" viewBox="0 0 420 420">
<circle cx="210" cy="210" r="200" fill="none" stroke="#e60012" stroke-width="14"/>
<polygon points="210,110 233,180 307,180 247,223 270,293 210,250 150,293 173,223 113,180 187,180" fill="#e60012"/>
</svg>"##;

/// March with `settings` appended to document.yaml and, if given, the signature lines replaced.
fn form(settings: &str, offices: Option<&[&str]>) -> (Project, Layout) {
    let p = Project::march_only();
    std::fs::create_dir(p.path("assets")).unwrap();
    for name in ["a", "b", "c", "d"] {
        p.write(&format!("assets/seal-{name}.svg"), SEAL);
    }
    if let Some(offices) = offices {
        p.edit(
            MARCH_TEXT,
            "西宁市城中区人民政府办公室\n2023年5月5日",
            &format!("{}\n2023年5月5日", offices.join("\n")),
        );
    }
    let doc = p
        .read("data/2023-03/document.yaml")
        .replace("# 发文字号: 城中政办〔2023〕12号", "发文字号: 城中政办〔2023〕12号");
    p.write("data/2023-03/document.yaml", &format!("{doc}版式:\n{settings}"));
    let l = laid_out(&mut p.session(), "2023-03");
    (p, l)
}

fn line_with<'a>(l: &'a Layout, needle: &str) -> Vec<&'a Run> {
    (1..=l.pages.len())
        .flat_map(|p| inspect::lines(&l.runs, p))
        .find(|line| inspect::line_text(line).contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?}"))
}

/// The line whose text is exactly `text` (a signature line, not the title that starts with it).
fn line_exact<'a>(l: &'a Layout, text: &str) -> Vec<&'a Run> {
    (1..=l.pages.len())
        .flat_map(|p| inspect::lines(&l.runs, p))
        .find(|line| inspect::line_text(line).trim() == text)
        .unwrap_or_else(|| panic!("no line {text:?}"))
}

/// The runs of a line that belong to `text` (a line may hold several offices side by side).
fn part<'a>(line: &[&'a Run], text: &str) -> Vec<&'a Run> {
    line.iter()
        .copied()
        .filter(|r| text.contains(r.text.trim()) && !r.text.trim().is_empty())
        .collect()
}

fn span(line: &[&Run]) -> (f64, f64) {
    (line[0].x, line.iter().map(|r| r.x + r.width).fold(f64::MIN, f64::max))
}

fn centre(line: &[&Run]) -> f64 {
    let (a, b) = span(line);
    (a + b) / 2.0
}

fn seals(l: &Layout) -> Vec<&ImageBox> {
    l.images.iter().collect()
}

/// A seal's relation to the text above it and to the office and date it presses.
fn assert_seal_rules(seal: &ImageBox, text_above: &[&Run], office: &[&Run], date: &[&Run]) {
    let text_bottom = text_above[0].baseline + 0.12 * EM;
    let below = seal.y - text_bottom;
    assert!(
        (0.0..=PITCH).contains(&below),
        "seal top {below:.2} mm below the text above (0 … one line)"
    );
    let seal_centre = seal.y + seal.height / 2.0;
    let office_top = office[0].baseline - 0.88 * EM;
    assert!(
        office_top >= seal_centre - 0.5,
        "office in the seal's lower half: top {office_top:.2}, centre {seal_centre:.2}"
    );
    let date_bottom = date[0].baseline + 0.12 * EM;
    assert!(
        date_bottom <= seal.y + seal.height + 0.5,
        "the seal presses on the date"
    );
    assert!(
        (seal.x + seal.width / 2.0 - centre(office)).abs() < 0.5,
        "seal centred on the office"
    );
}

#[test]
fn a_seal_sits_within_one_line_below_the_text_and_is_sized_by_its_diameter() {
    for (settings, diameter) in [
        ("  印章: assets/seal-a.svg\n", 42.0),
        ("  印章: {图片: assets/seal-a.svg, 直径: 45}\n", 45.0),
    ] {
        let (_, l) = form(settings, None);
        let s = seals(&l);
        assert_eq!(s.len(), 1);
        assert!(
            (s[0].width - diameter).abs() < 0.5 && (s[0].height - diameter).abs() < 0.5,
            "{:?}",
            s[0]
        );
        let office = line_exact(&l, "西宁市城中区人民政府办公室");
        let date = line_exact(&l, "2023年5月5日");
        let above = line_with(&l, "3．3月网站公开信息报送情况统计表");
        assert_seal_rules(s[0], &above, &office, &date);
        // Date 右空四字, office centred over it; office, date and seal on one page.
        let (_, dr) = span(&date);
        assert!((dr - (LEFT + WIDTH - 4.0 * ADVANCE)).abs() < 0.3, "date ends at {dr}");
        assert!((centre(&office) - centre(&date)).abs() < 0.3);
        assert!(office[0].page == date[0].page && s[0].page == date[0].page);
        // The seal may reach a little under the block's last line, never the page number 7 mm below.
        assert!(
            s[0].y + s[0].height < TOP + HEIGHT + 7.0,
            "the seal clear of the page number"
        );
    }
}

#[test]
fn joint_issuance_in_rows_of_seals_and_a_stacked_red_mark() {
    // Names no wider than a seal, so three seals fit a row (a longer name widens its place).
    let offices = ["城中区政府办", "城中区发改局", "城中区财政局", "城中区统计局"];
    let settings =
        "  版头: true\n  印章: [assets/seal-a.svg, assets/seal-b.svg, assets/seal-c.svg, assets/seal-d.svg]\n";
    let (_, l) = form(settings, Some(&offices));
    let mut s = seals(&l);
    assert_eq!(s.len(), 4, "one seal per office");
    s.sort_by(|a, b| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    // A row of three, then the fourth alone, centred; seals never touch and stay inside the block.
    assert!((s[0].y - s[1].y).abs() < 0.1 && (s[1].y - s[2].y).abs() < 0.1);
    assert!(
        s[3].y > s[0].y + s[0].height,
        "the second row below the first, not touching"
    );
    // Each row's office line on the grid, five lines apart.
    let row_line = |o: &str| {
        (1..=l.pages.len())
            .flat_map(|p| inspect::lines(&l.runs, p))
            .find(|line| inspect::line_text(line).contains(o) && (line[0].size - 16.0).abs() < 0.01)
            .unwrap()[0]
            .baseline
    };
    assert!((row_line(offices[3]) - row_line(offices[0]) - 5.0 * PITCH).abs() < 0.1);
    for pair in s[..3].windows(2) {
        let gap = pair[1].x - (pair[0].x + pair[0].width);
        assert!(gap > 0.0 && gap <= 3.0, "seals 0–3 mm apart: {gap:.2}");
    }
    for seal in &s {
        assert!(
            seal.x >= LEFT - 0.1 && seal.x + seal.width <= LEFT + WIDTH + 0.1,
            "inside the block: {seal:?}"
        );
    }
    let row_centre = (s[0].x + s[2].x + s[2].width) / 2.0;
    assert!(
        (row_centre - (LEFT + WIDTH / 2.0)).abs() < 0.5,
        "the first row is centred"
    );
    assert!(
        (s[3].x + s[3].width / 2.0 - (LEFT + WIDTH / 2.0)).abs() < 0.5,
        "the last seal alone is centred"
    );
    // Each office centred under its seal, in order; the date under the last seal.
    let above = line_with(&l, "3．3月网站公开信息报送情况统计表");
    let date = line_with(&l, "2023年5月5日");
    let office_lines: Vec<Vec<&Run>> = offices
        .iter()
        .map(|o| {
            (1..=l.pages.len())
                .flat_map(|p| inspect::lines(&l.runs, p))
                .find(|line| inspect::line_text(line).contains(o) && (line[0].size - 16.0).abs() < 0.01)
                .unwrap()
        })
        .collect();
    for ((seal, office), line) in s.iter().zip(offices).zip(&office_lines) {
        let name = part(line, office);
        assert!(
            (seal.x + seal.width / 2.0 - centre(&name)).abs() < 0.6,
            "{office} under its seal"
        );
    }
    let first = part(&office_lines[0], offices[0]);
    assert_seal_rules(s[0], &above, &first, &first);
    assert!(
        (s[3].x + s[3].width / 2.0 - centre(&date)).abs() < 0.5,
        "the date under the last seal"
    );
    // The red mark stacks the offices, with 文件 at their right, centred on them.
    let mark: Vec<&Run> = l.runs.iter().filter(|r| r.page == 1 && r.color == "#e60012").collect();
    let names: Vec<&&Run> = mark.iter().filter(|r| r.text.contains("城中区")).collect();
    let wenjian = mark.iter().find(|r| r.text.contains("文件")).expect("文件 in the mark");
    assert_eq!(names.len(), 4, "{mark:#?}");
    let tops: Vec<f64> = names.iter().map(|r| r.ink_top).collect();
    assert!(tops.windows(2).all(|w| w[1] > w[0] + 5.0), "names stacked, lead first");
    let middle = (names[0].ink_top + names[3].ink_bottom) / 2.0;
    let wj = (wenjian.ink_top + wenjian.ink_bottom) / 2.0;
    assert!(
        (wj - middle).abs() < 2.0,
        "文件 centred on the names: {wj:.1} vs {middle:.1}"
    );
    assert!(
        wenjian.x > names.iter().map(|r| r.x + r.width).fold(0.0, f64::max) - 0.1,
        "文件 at their right"
    );
    assert!(
        (names[0].ink_top - (TOP + 35.0)).abs() < 0.5,
        "the mark's top 35 mm below the block top"
    );
}

#[test]
fn joint_issuance_without_seals_stacks_the_names() {
    let offices = ["西宁市城中区人民政府办公室", "西宁市城中区财政局"];
    let (_, l) = form("  版头: false\n", Some(&offices));
    let a = line_exact(&l, offices[0]);
    let b = line_exact(&l, offices[1]);
    let date = line_exact(&l, "2023年5月5日");
    assert!(
        (b[0].baseline - a[0].baseline - PITCH).abs() < 0.1 && (date[0].baseline - b[0].baseline - PITCH).abs() < 0.1
    );
    for line in [&a, &b] {
        assert!((span(line).1 - (LEFT + WIDTH - 2.0 * ADVANCE)).abs() < 0.3, "右空二字");
    }
}

#[test]
fn an_upward_document_puts_its_signers_beside_the_number() {
    let settings = "  版头: true\n  行文: 上行\n  签发人: [张三, 李四, 王五]\n";
    let (_, l) = form(settings, None);
    // 签发人: label 仿宋, names 楷体, two a line; the first line ends 1 字 from the right.
    let first = line_with(&l, "签发人：");
    let label = first.iter().find(|r| r.text.contains("签发人")).unwrap();
    assert_eq!(label.family, "FandolFang");
    assert!(
        first
            .iter()
            .filter(|r| r.text.contains("张三") || r.text.contains("李四"))
            .all(|r| r.family == "WenKai GB2312")
    );
    assert!(
        (span(&first).1 - (LEFT + WIDTH - ADVANCE)).abs() < 0.3,
        "居右空一字: {}",
        span(&first).1
    );
    // The 发文字号 on the line of the last names, 1 字 from the left; those names start under the
    // first name.
    let number = line_with(&l, "城中政办〔2023〕12号");
    assert!(
        (number[0].baseline - first[0].baseline - PITCH).abs() < 0.1,
        "the number on the last signer line"
    );
    assert!(
        (number[0].x - (LEFT + ADVANCE)).abs() < 0.3,
        "发文字号 居左空一字: {}",
        number[0].x
    );
    let last_name = number
        .iter()
        .find(|r| r.text.contains("王五"))
        .expect("王五 beside the number");
    assert_eq!(last_name.family, "WenKai GB2312");
    let first_name = first.iter().find(|r| r.text.contains("张三")).unwrap();
    assert!(
        (last_name.x - first_name.x).abs() < 0.3,
        "names aligned under the first: {} vs {}",
        last_name.x,
        first_name.x
    );
}

#[test]
fn the_colophon_is_on_the_last_even_page_with_one_full_stop() {
    let settings = "  版记: {抄送: 区委办公室，区人大常委会办公室，区政协办公室。, 印发机关: 西宁市城中区人民政府办公室, 印发日期: 2023-05-05}\n";
    for attachments in ["[督办, 热线, 网站]", "[督办, 热线]", "[督办]"] {
        let p = Project::march_only();
        p.edit(
            "data/2023-03/document.yaml",
            "附件: [督办, 热线, 网站]",
            &format!("附件: {attachments}"),
        );
        let lines: Vec<&str> = match attachments {
            "[督办]" => vec!["    1.3月城中区710政府督办情况统计表"],
            "[督办, 热线]" => vec![
                "    1.3月城中区710政府督办情况统计表",
                "    2.3月城中区12345投诉情况统计表",
            ],
            _ => vec![],
        };
        if !lines.is_empty() {
            let text = p.read(MARCH_TEXT);
            let start = text.find("附件:").unwrap();
            let end = text[start..].find("\n\n").unwrap() + start;
            let note = if lines.len() == 1 {
                "附件:3月城中区710政府督办情况统计表".to_string()
            } else {
                format!("附件:{}", lines.join("\n").trim_start())
            };
            p.write(MARCH_TEXT, &format!("{}{note}{}", &text[..start], &text[end..]));
        }
        let doc = p.read("data/2023-03/document.yaml");
        p.write("data/2023-03/document.yaml", &format!("{doc}版式:\n{settings}"));
        let l = laid_out(&mut p.session(), "2023-03");
        let last = l.pages.len();
        assert_eq!(last % 2, 0, "{attachments}: the 版记 is on an even page ({last} pages)");
        let copies = line_with(&l, "抄送：");
        assert_eq!(copies[0].page, last);
        let text = inspect::line_text(&copies);
        assert!(
            text.ends_with("区政协办公室。") && !text.contains("。。"),
            "one 。: {text}"
        );
        let printed = line_with(&l, "印发");
        assert!(inspect::line_text(&printed).ends_with("2023年5月5日印发"));
        // The 版记 page and a blank page before it carry no number; the pages before do.
        let numbered: Vec<usize> = (1..=last)
            .filter(|p| l.runs.iter().any(|r| r.page == *p && r.baseline > TOP + HEIGHT))
            .collect();
        let content_end = (1..=last)
            .filter(|p| l.runs.iter().any(|r| r.page == *p && r.text == "序号"))
            .max()
            .unwrap();
        assert_eq!(
            numbered,
            (1..=content_end).filter(|p| *p != last).collect::<Vec<_>>(),
            "{attachments}"
        );
        let rules: Vec<_> = l
            .shapes
            .iter()
            .filter(|s| s.page == last && (s.width - WIDTH).abs() < 0.1 && s.height < 0.5)
            .collect();
        let bottom = rules.iter().map(|r| r.y).fold(f64::MIN, f64::max);
        assert!(
            (bottom - (TOP + HEIGHT)).abs() < 0.3,
            "the last rule on the block's bottom edge"
        );
    }
}

#[test]
fn contradictory_choices_are_refused_with_their_place() {
    let p = Project::march_only();
    p.edit("data/2023-03/document.yaml", "附件:", "版式: {联合行文: true}\n附件:");
    let (_, errors) = p.errors();
    assert!(
        errors
            .iter()
            .any(|d| d["code"] == "form" && d["message"].as_str().unwrap().contains("至少要有两个发文机关")),
        "{errors:#?}"
    );

    let p = Project::march_only();
    p.edit("data/2023-03/document.yaml", "附件:", "版式: {签发人: 张三}\n附件:");
    let (_, errors) = p.errors();
    let d = errors
        .iter()
        .find(|d| d["code"] == "form")
        .expect("签发人 on a downward document");
    assert!(d["message"].as_str().unwrap().contains("签发人只用于上行文"), "{d:#?}");
    assert_eq!(d["file"], "data/2023-03/document.yaml");

    let p = Project::march_only();
    p.write("assets-not-an-image.txt", "x");
    p.edit(
        "data/2023-03/document.yaml",
        "附件:",
        "版式: {印章: assets/none.png}\n附件:",
    );
    let (_, errors) = p.errors();
    assert!(
        errors
            .iter()
            .any(|d| d["code"] == "seal" && d["message"].as_str().unwrap().contains("找不到印章图片")),
        "{errors:#?}"
    );
    p.edit(
        "data/2023-03/document.yaml",
        "版式: {印章: assets/none.png}",
        "版式: {印章: assets-not-an-image.txt}",
    );
    let (_, errors) = p.errors();
    assert!(
        errors
            .iter()
            .any(|d| d["code"] == "seal" && d["message"].as_str().unwrap().contains("不是图片")),
        "{errors:#?}"
    );
}
