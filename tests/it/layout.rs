//! GB/T 9704-2012 layout, measured on the laid-out March circular (positions read from Typst's
//! frames): page and text block, the 22 × 28 grid, fonts and sizes by role, page numbers, and
//! attachment pages with repeated table headers.

use tongbao::typeset::inspect::{self, Layout, Run};

use crate::util::{MARCH_TEXT, Project, laid_out};

const TOP: f64 = 37.0;
const LEFT: f64 = 28.0;
const WIDTH: f64 = 156.0;
const HEIGHT: f64 = 225.0;
const PT: f64 = 25.4 / 72.0;
const ADVANCE: f64 = WIDTH / 28.0;

fn build(p: &Project) -> Layout {
    laid_out(&mut p.session(), "2023-03")
}

fn march() -> Layout {
    build(&Project::shipped())
}

fn is_body(r: &Run) -> bool {
    (r.size - 16.0).abs() < 0.01
}

/// Body-size lines of a page inside the text block, as (baseline, text, left, right).
fn body_lines(l: &Layout, page: usize) -> Vec<(f64, String, f64, f64)> {
    inspect::lines(&l.runs, page)
        .into_iter()
        .filter(|line| line.iter().all(|r| is_body(r)) && line[0].baseline < TOP + HEIGHT)
        .map(|line| {
            let right = line.iter().map(|r| r.x + r.width).fold(f64::MIN, f64::max);
            (line[0].baseline, inspect::line_text(&line), line[0].x, right)
        })
        .collect()
}

fn attachment_pages(l: &Layout) -> Vec<usize> {
    l.runs
        .iter()
        .filter(|r| r.text.starts_with("附件") && r.text.len() <= "附件99".len())
        .map(|r| r.page)
        .collect()
}

#[test]
fn page_is_a4_and_text_block_is_where_the_standard_puts_it() {
    let l = march();
    for (w, h) in &l.pages {
        assert!((w - 210.0).abs() < 0.1 && (h - 297.0).abs() < 0.1, "page {w}×{h}");
    }
    // Page 2 is all body text: its first line box starts at the top of the block, flush with the left edge.
    let lines = body_lines(&l, 2);
    let first_top = lines[0].0 - 0.88 * 16.0 * PT;
    assert!((first_top - TOP).abs() < 1.0, "first line top at {first_top} mm");
    let min_left = lines.iter().map(|x| x.2).fold(f64::MAX, f64::min);
    assert!((min_left - LEFT).abs() < 1.0, "left edge at {min_left} mm");
    let max_right = lines.iter().map(|x| x.3).fold(f64::MIN, f64::max);
    assert!((max_right - (LEFT + WIDTH)).abs() < 0.5, "right edge at {max_right} mm");
}

#[test]
fn full_body_pages_hold_22_lines_at_one_pitch() {
    let l = march();
    let first_attachment = attachment_pages(&l)[0];
    let mut full_pages = 0;
    let grid0 = TOP + 0.88 * 16.0 * PT;
    for page in 1..first_attachment {
        let lines = body_lines(&l, page);
        let pitches: Vec<f64> = lines.windows(2).map(|w| w[1].0 - w[0].0).collect();
        let pitch = pitches.iter().cloned().fold(f64::MAX, f64::min);
        assert!(
            (28.9 * PT..=29.7 * PT).contains(&pitch),
            "page {page}: pitch {pitch} mm"
        );
        for (baseline, text, ..) in &lines {
            let k = (baseline - grid0) / pitch;
            assert!(
                (k - k.round()).abs() < 0.01,
                "page {page}: line {text:?} is off the grid ({k})"
            );
        }
        if page > 1 && page + 1 < first_attachment {
            assert_eq!(lines.len(), 22, "page {page} has {} lines", lines.len());
            full_pages += 1;
        }
        let last = lines.last().unwrap().0 + 0.12 * 16.0 * PT;
        assert!(
            last <= TOP + HEIGHT + 0.01,
            "page {page}: text below the block ({last} mm)"
        );
    }
    assert!(full_pages >= 1);
}

#[test]
fn full_lines_hold_28_characters_and_span_the_block() {
    // A full line of Chinese holds 28 characters; punctuation is never squeezed to take a 29th. Where
    // a closing mark may not start the next line, the line holds 27, spaced out to the full width.
    let l = march();
    let first_attachment = attachment_pages(&l)[0];
    let (mut full, mut exact) = (0, 0);
    for page in 1..first_attachment {
        for (_, text, left, right) in body_lines(&l, page) {
            let cjk_only = text.chars().all(|c| !c.is_ascii());
            if (left - LEFT).abs() < 0.1 && (right - (LEFT + WIDTH)).abs() < 0.3 && cjk_only {
                let n = text.chars().count();
                assert!(n == 28 || n == 27, "{n} characters: {text:?}");
                full += 1;
                exact += (n == 28) as usize;
            }
        }
    }
    assert!(full >= 20, "only {full} full lines found");
    assert!(exact * 5 >= full * 4, "{exact} of {full} full lines hold 28 characters");
}

#[test]
fn indent_is_two_characters() {
    let l = march();
    let lines = body_lines(&l, 2);
    let indented: Vec<f64> = lines.iter().map(|x| x.2).filter(|x| (x - LEFT).abs() > 1.0).collect();
    assert!(!indented.is_empty());
    for x in indented {
        assert!((x - (LEFT + 2.0 * ADVANCE)).abs() < 0.2, "indent at {x} mm");
    }
}

#[test]
fn sizes_and_fonts_by_role() {
    let l = march();
    let title: Vec<&Run> = l
        .runs
        .iter()
        .filter(|r| r.page == 1 && r.text.contains("通报"))
        .collect();
    assert!(
        title
            .iter()
            .any(|r| (r.size - 22.0).abs() < 0.01 && r.family == "Noto Serif CJK SC"),
        "{title:#?}"
    );
    let body = l.runs.iter().find(|r| r.text.contains("为切实运用好")).unwrap();
    assert_eq!((body.size, body.family.as_str()), (16.0, "FandolFang"));
    let heading = inspect::lines(&l.runs, 1)
        .into_iter()
        .find(|line| line[0].text.starts_with("一、"))
        .unwrap();
    assert!(
        heading
            .iter()
            .all(|r| r.family == "Noto Sans CJK SC" || r.family == "Liberation Serif"),
        "{heading:#?}"
    );
    let digits = l.runs.iter().find(|r| r.text == "2023" && is_body(r)).unwrap();
    assert_eq!(digits.family, "Liberation Serif");
    for r in &l.runs {
        assert!(r.missing.is_empty(), "missing glyphs {:?} in {:?}", r.missing, r.text);
    }
}

#[test]
fn page_numbers_sit_7mm_below_the_block_alternating_sides() {
    let l = march();
    for page in 1..=l.pages.len() {
        let runs: Vec<&Run> = l
            .runs
            .iter()
            .filter(|r| r.page == page && r.baseline > TOP + HEIGHT)
            .collect();
        let text: String = runs.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(text.replace(' ', ""), format!("—{page}—"), "page {page}");
        assert!(runs.iter().all(|r| (r.size - 14.0).abs() < 0.01));
        let dash = runs.iter().find(|r| r.text.contains('—')).unwrap();
        // The em dash (一字线) is 7 mm below the bottom edge of the text block.
        let gap = dash.ink_top - (TOP + HEIGHT);
        assert!((gap - 7.0).abs() < 0.5, "page {page}: dash {gap} mm below the block");
        let left = runs.iter().map(|r| r.x).fold(f64::MAX, f64::min);
        let right = runs.iter().map(|r| r.x + r.width).fold(f64::MIN, f64::max);
        if page % 2 == 1 {
            assert!(
                (right - (LEFT + WIDTH - ADVANCE)).abs() < 0.3,
                "odd page {page}: right edge {right} mm"
            );
        } else {
            assert!(
                (left - (LEFT + ADVANCE)).abs() < 0.3,
                "even page {page}: left edge {left} mm"
            );
        }
    }
}

#[test]
fn attachments_start_on_new_pages_with_number_on_line_1_and_title_on_line_3() {
    let l = march();
    let pitch = 16.0 * PT + 13.6 * PT;
    let grid0 = TOP + 0.88 * 16.0 * PT;
    let pages = attachment_pages(&l);
    assert_eq!(pages.len(), 3);
    for (i, page) in pages.iter().enumerate() {
        let lines = inspect::lines(&l.runs, *page);
        assert_eq!(inspect::line_text(&lines[0]), format!("附件{}", i + 1));
        assert!((lines[0][0].baseline - grid0).abs() < 0.2, "附件 label off line 1");
        assert_eq!(lines[0][0].family, "Noto Sans CJK SC");
        assert!((lines[0][0].x - LEFT).abs() < 0.2);
        let title = &lines[1];
        assert!(inspect::line_text(title).ends_with("统计表"));
        assert!(
            (title[0].baseline - (grid0 + 2.0 * pitch)).abs() < 0.2,
            "title off line 3"
        );
        let centre = (title[0].x + title.last().map(|r| r.x + r.width).unwrap()) / 2.0;
        assert!((centre - (LEFT + WIDTH / 2.0)).abs() < 1.0, "title centred at {centre}");
    }
}

#[test]
fn table_headers_repeat_on_continuation_pages() {
    let l = march();
    let starts = attachment_pages(&l);
    let last = l.pages.len();
    for page in starts[0]..=last {
        let has_header = l.runs.iter().any(|r| r.page == page && r.text == "序号");
        assert!(has_header, "page {page} has no table header");
    }
    assert!(last > starts[2], "the last table spans two pages");
}

const SEAL: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="420" height="420" viewBox="0 0 420 420">
<circle cx="210" cy="210" r="200" fill="none" stroke="#e60012" stroke-width="14"/>
<polygon points="210,110 233,180 307,180 247,223 270,293 210,250 150,293 173,223 113,180 187,180" fill="#e60012"/>
</svg>"##;

/// The March circular with every optional part switched on.
fn with_options(seal: bool) -> Layout {
    let p = Project::shipped();
    std::fs::create_dir(p.path("assets")).unwrap();
    p.write("assets/seal.svg", SEAL);
    let mut layout = String::from("版式:\n  版头: true\n  份号: \"000001\"\n  密级: 秘密★1年\n  紧急程度: 特急\n");
    if seal {
        layout += "  印章: assets/seal.svg\n";
    }
    layout += "  附注: 联系人：张三，电话：1234567\n  版记: {抄送: 区委办公室，区人大常委会办公室, 印发机关: 西宁市城中区人民政府办公室, 印发日期: 2023-05-05}\n";
    let doc = p
        .read("data/2023-03/document.yaml")
        .replace("# 发文字号: 城中政办〔2023〕12号", "发文字号: 城中政办〔2023〕12号");
    p.write("data/2023-03/document.yaml", &(doc + &layout));
    build(&p)
}

fn page_of(l: &Layout, needle: &str) -> usize {
    (1..=l.pages.len())
        .find(|&p| {
            inspect::lines(&l.runs, p)
                .iter()
                .any(|line| inspect::line_text(line).contains(needle))
        })
        .unwrap_or_else(|| panic!("{needle:?} not found"))
}

fn line_with<'a>(l: &'a Layout, page: usize, needle: &str) -> Vec<&'a Run> {
    inspect::lines(&l.runs, page)
        .into_iter()
        .find(|line| inspect::line_text(line).contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} on page {page}"))
}

fn span(line: &[&Run]) -> (f64, f64) {
    (line[0].x, line.iter().map(|r| r.x + r.width).fold(f64::MIN, f64::max))
}

#[test]
fn red_header_mark_number_and_rule() {
    let l = with_options(false);
    let pitch = (16.0 + 13.6) * PT;
    let grid0 = TOP + 0.88 * 16.0 * PT;
    let on_grid = |baseline: f64| {
        let k = (baseline - grid0) / pitch;
        (k - k.round()).abs() < 0.01
    };
    // 份号, 密级, 紧急程度: top left, one per line, from line 1.
    for (i, item) in ["000001", "秘密★1年", "特急"].iter().enumerate() {
        let line = line_with(&l, 1, item);
        assert!((line[0].x - LEFT).abs() < 0.2, "{item} at x {}", line[0].x);
        assert!(
            (line[0].baseline - (grid0 + i as f64 * pitch)).abs() < 0.2,
            "{item} not on line {}",
            i + 1
        );
    }
    // 发文机关标志: red, centred, its top edge 35 mm below the top of the block.
    let mark = line_with(&l, 1, "文件");
    assert!(mark.iter().all(|r| r.color == "#e60012"), "{mark:#?}");
    let top = mark.iter().map(|r| r.ink_top).fold(f64::MAX, f64::min);
    assert!((top - (TOP + 35.0)).abs() < 0.5, "mark top at {top} mm");
    let (l0, r0) = span(&mark);
    assert!(((l0 + r0) / 2.0 - (LEFT + WIDTH / 2.0)).abs() < 1.0);
    let mark_bottom = mark.iter().map(|r| r.ink_bottom).fold(f64::MIN, f64::max);
    // 发文字号: centred, on the grid, two blank lines under the mark.
    let number = line_with(&l, 1, "城中政办〔2023〕12号");
    let (nl, nr) = span(&number);
    assert!(((nl + nr) / 2.0 - (LEFT + WIDTH / 2.0)).abs() < 0.5);
    assert!(on_grid(number[0].baseline));
    assert!(number[0].baseline - 0.88 * 16.0 * PT - mark_bottom >= 2.0 * pitch - 0.1);
    // The red rule: as wide as the block, 4 mm under the 发文字号.
    let rule = l
        .shapes
        .iter()
        .find(|s| s.page == 1 && s.color == "#e60012")
        .expect("red rule");
    assert!(
        (rule.width - WIDTH).abs() < 0.1 && (rule.x - LEFT).abs() < 0.1,
        "{rule:?}"
    );
    let number_bottom = number[0].baseline + 0.12 * 16.0 * PT;
    assert!(
        (rule.y - number_bottom - 4.0).abs() < 0.3,
        "rule {} mm under the number",
        rule.y - number_bottom
    );
    // The title two blank lines under the rule, and the body back on the grid.
    let title = l
        .runs
        .iter()
        .filter(|r| r.page == 1 && (r.size - 22.0).abs() < 0.01)
        .map(|r| r.baseline)
        .fold(f64::MAX, f64::min);
    assert!(
        title - 22.0 * 0.88 * PT - rule.y >= 2.0 * pitch - 0.5,
        "title too close to the rule"
    );
    let recipients = line_with(&l, 1, "区政府各部门");
    assert!(on_grid(recipients[0].baseline));
}

#[test]
fn unsealed_signature_and_date_positions() {
    let l = march();
    let page = page_of(&l, "2023年5月5日");
    let office = line_with(&l, page, "西宁市城中区人民政府办公室");
    let date = line_with(&l, page, "2023年5月5日");
    let (ox, or) = span(&office);
    let (dx, _) = span(&date);
    assert!(
        (or - (LEFT + WIDTH - 2.0 * ADVANCE)).abs() < 0.3,
        "office ends at {or} mm (右空二字)"
    );
    assert!(
        (dx - (ox + 2.0 * ADVANCE)).abs() < 0.3,
        "date starts at {dx} mm, office at {ox} mm"
    );
    let pitch = (16.0 + 13.6) * PT;
    assert!((date[0].baseline - office[0].baseline - pitch).abs() < 0.1);
    // One blank line between the 附件说明 and the signature.
    let note = line_with(&l, page, "3．3月网站公开信息报送情况统计表");
    assert!((office[0].baseline - note[0].baseline - 2.0 * pitch).abs() < 0.1);
}

#[test]
fn sealed_signature_note_and_colophon() {
    let l = with_options(true);
    let page = page_of(&l, "2023年5月5日");
    let office = line_with(&l, page, "西宁市城中区人民政府办公室");
    let date = line_with(&l, page, "2023年5月5日");
    let (ox, or) = span(&office);
    let (dx, dr) = span(&date);
    assert!(
        (dr - (LEFT + WIDTH - 4.0 * ADVANCE)).abs() < 0.3,
        "date ends at {dr} mm (右空四字)"
    );
    assert!(
        ((ox + or) / 2.0 - (dx + dr) / 2.0).abs() < 0.3,
        "office not centred over the date"
    );
    let seal = l.images.iter().find(|i| i.page == page).expect("seal image");
    assert!(
        seal.y < office[0].baseline && seal.y + seal.height > date[0].baseline,
        "seal does not press on both lines: {seal:?}"
    );
    assert!(((seal.x + seal.width / 2.0) - (dx + dr) / 2.0).abs() < 0.5);
    // 附注: in parentheses, 2 字 in, on the line after the date.
    let note = line_with(&l, page, "联系人");
    assert!(inspect::line_text(&note).starts_with('（') && inspect::line_text(&note).ends_with('）'));
    assert!((note[0].x - (LEFT + 2.0 * ADVANCE)).abs() < 0.3);
    assert!((note[0].baseline - date[0].baseline - (16.0 + 13.6) * PT).abs() < 0.1);

    // 版记 on the last page: rules as wide as the block, the last one on its bottom edge.
    let last = l.pages.len();
    let rules: Vec<_> = l
        .shapes
        .iter()
        .filter(|s| s.page == last && (s.width - WIDTH).abs() < 0.1 && s.height < 0.5)
        .collect();
    assert_eq!(rules.len(), 3, "{rules:#?}");
    let bottom = rules.iter().map(|r| r.y).fold(f64::MIN, f64::max);
    assert!((bottom - (TOP + HEIGHT)).abs() < 0.3, "last rule at {bottom} mm");
    let thick: Vec<f64> = rules.iter().map(|r| (r.height * 100.0).round() / 100.0).collect();
    assert_eq!(thick, vec![0.35, 0.25, 0.35]);
    let copies = line_with(&l, last, "抄送：");
    assert!(inspect::line_text(&copies).ends_with('。'));
    assert!(copies.iter().all(|r| (r.size - 14.0).abs() < 0.01));
    assert!((copies[0].x - (LEFT + ADVANCE)).abs() < 0.3, "抄送 1 字 in");
    let printed = line_with(&l, last, "印发");
    let (_, pr) = span(&printed);
    assert!(
        (pr - (LEFT + WIDTH - ADVANCE)).abs() < 0.3,
        "印发日期 1 字 in from the right: {pr}"
    );
    assert!(inspect::line_text(&printed).ends_with("2023年5月5日印发"));
    // No page number on the 版记 page; the others keep theirs.
    assert!(
        !l.runs.iter().any(|r| r.page == last && r.baseline > TOP + HEIGHT),
        "page number on the 版记 page"
    );
    assert!(l.runs.iter().any(|r| r.page == last - 1 && r.baseline > TOP + HEIGHT));
}

fn title_lines(l: &Layout) -> Vec<String> {
    inspect::lines(&l.runs, 1)
        .into_iter()
        .filter(|line| (line[0].size - 22.0).abs() < 0.01)
        .map(|line| {
            let (a, b) = span(&line);
            assert!(
                ((a + b) / 2.0 - (LEFT + WIDTH / 2.0)).abs() < 0.5,
                "title line not centred"
            );
            inspect::line_text(&line)
        })
        .collect()
}

#[test]
fn a_long_title_is_balanced_and_manual_breaks_are_kept() {
    let lines = title_lines(&march());
    assert_eq!(
        lines.concat(),
        "西宁市城中区人民政府办公室关于2023年3月份“710”政务督办系统运行情况、“12345”民生服务热线情况及政府门户网站信息报送情况的通报"
    );
    assert!(lines.len() >= 3);
    let counts: Vec<usize> = lines.iter().map(|l| l.chars().count()).collect();
    let longest = *counts.iter().max().unwrap();
    // Balanced: no line much shorter than the others, never a lone character at the end.
    assert!(
        counts.iter().all(|c| c * 3 >= longest * 2),
        "unbalanced title lines {counts:?}"
    );

    let p = Project::shipped();
    // The title written on four lines in the text: printed on those four lines.
    p.edit(
        MARCH_TEXT,
        "西宁市城中区人民政府办公室关于{{ 期间 }}份“710”政务督办系统运行情况、“12345”民生服务热线情况及政府门户网站信息报送情况的通报",
        "西宁市城中区人民政府办公室关于\n{{ 期间 }}份“710”政务督办系统\n运行情况、“12345”民生服务热线情况及\n政府门户网站信息报送情况的通报",
    );
    let lines = title_lines(&build(&p));
    assert_eq!(
        lines,
        [
            "西宁市城中区人民政府办公室关于",
            "2023年3月份“710”政务督办系统",
            "运行情况、“12345”民生服务热线情况及",
            "政府门户网站信息报送情况的通报"
        ]
    );
}

#[test]
fn attachment_note_hangs_numbers_and_wrapped_names() {
    let p = Project::shipped();
    p.edit(
        MARCH_TEXT,
        "3.3月网站公开信息报送情况统计表",
        "3.3月网站公开信息报送情况统计表及各单位政府信息公开栏目更新情况和审核表报送情况汇总",
    );
    let l = build(&p);
    let page = page_of(&l, "附件：");
    let lines = inspect::lines(&l.runs, page);
    let at = |needle: &str| {
        lines
            .iter()
            .position(|line| inspect::line_text(line).contains(needle))
            .unwrap()
    };
    let first = &lines[at("附件：")];
    assert!((first[0].x - (LEFT + 2.0 * ADVANCE)).abs() < 0.2, "附件说明 2 字 in");
    let number_x = |line: &Vec<&Run>| {
        line.iter()
            .find(|r| r.text.starts_with(['1', '2', '3']))
            .map(|r| r.x)
            .unwrap()
    };
    let one = number_x(first);
    let two = &lines[at("2．")];
    let three = &lines[at("3．")];
    assert!(
        (number_x(two) - one).abs() < 0.2 && (number_x(three) - one).abs() < 0.2,
        "items aligned under the first number"
    );
    // The long name wraps; its second line starts under the first character of the name.
    let name_x = three.iter().find(|r| r.text.contains("月网站")).map(|r| r.x).unwrap() - 2.8;
    let wrapped = &lines[at("3．") + 1];
    assert!(!inspect::line_text(wrapped).contains('．'));
    assert!(
        (wrapped[0].x - name_x).abs() < 1.0,
        "wrapped name at {} mm, name starts at {name_x} mm",
        wrapped[0].x
    );
}

#[test]
fn a_table_too_wide_for_portrait_is_turned_and_keeps_its_page_number() {
    let p = Project::shipped();
    let extra = ["甲", "乙", "丙", "丁"];
    let columns: String = extra
        .iter()
        .map(|k| format!("  - {{键: {k}, 名称: 指标{k}}}\n"))
        .collect();
    p.edit(
        "data/tables/portal.yaml",
        "  - {键: 采纳, 名称: 采纳数}\n",
        &format!("  - {{键: 采纳, 名称: 采纳数}}\n{columns}"),
    );
    let text = p.read("data/2023-03/portal.yaml");
    let cells: String = extra.iter().map(|k| format!(", {k}: 1")).collect();
    p.write(
        "data/2023-03/portal.yaml",
        &text.lines().map(|l| if l.starts_with("  - {单位:") { l.replacen(", 采纳率:", &format!("{cells}, 采纳率:"), 1) } else { l.to_string() } + "\n").collect::<String>(),
    );
    let l = build(&p);
    let start = page_of(&l, "3月网站公开信息报送情况统计表");
    for page in start..=l.pages.len() {
        assert!(
            (l.pages[page - 1].0 - 210.0).abs() < 0.1,
            "the page itself stays portrait"
        );
        let number: String = l
            .runs
            .iter()
            .filter(|r| r.page == page && r.baseline > TOP + HEIGHT)
            .map(|r| r.text.as_str())
            .collect();
        assert_eq!(
            number.replace(' ', ""),
            format!("—{page}—"),
            "page number where it is on portrait pages"
        );
    }
    assert!(
        l.pages.len() > start,
        "28 rows of a turned table take more than one page"
    );
}

#[test]
fn a_heading_is_never_the_last_line_of_a_page() {
    // Push the text down one line at a time through a whole page: wherever a heading lands, the
    // line after it is on the same page.
    let p = Project::shipped();
    let original = p.read(MARCH_TEXT);
    let mut session = p.session();
    for extra in 0..22 {
        let filler = "通报内容".repeat(7 * extra);
        p.write(MARCH_TEXT, &original.replacen("为切实", &format!("{filler}为切实"), 1));
        let l = laid_out(&mut session, "2023-03");
        for page in 1..=l.pages.len() {
            let lines = body_lines(&l, page);
            if let Some((_, text, ..)) = lines.last() {
                assert!(
                    !["一、", "二、", "三、"].iter().any(|h| text.starts_with(h)),
                    "with {extra} extra lines, heading {text:?} is the last line of page {page}"
                );
            }
        }
    }
}
