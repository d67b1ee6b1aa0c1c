//! The circular typeset as an office would (issue 20), measured on the laid-out pages of every
//! example month and of a month whose title is written as one long line: titles broken between
//! words in a balanced shape, Chinese punctuation full-width in a Chinese face in every role and
//! compressed by one rule, no single character alone on a line, the signature never on a page
//! without body text, and a tagged PDF with bookmarks.

use tongbao::typeset::inspect::{self, Layout, Run};

use crate::util::{MARCH_TEXT, Project, laid_out, output};

const TOP: f64 = 37.0;
const LEFT: f64 = 28.0;
const WIDTH: f64 = 156.0;
const HEIGHT: f64 = 225.0;
const PT: f64 = 25.4 / 72.0;

/// The shipped months.
const MONTHS: [&str; 4] = ["2023-03", "2023-08", "2023-09", "2023-11"];

/// March's title as the text writes it (one line).
const MARCH_TITLE: &str = "西宁市城中区人民政府办公室关于{{ 期间 }}份“710”政务督办系统运行情况、“12345”民生服务热线情况及政府门户网站信息报送情况的通报";

/// A longer title, written as one line, for the project built in a temporary folder.
const LONG_TITLE: &str = "西宁市城中区人民政府办公室关于{{ 期间 }}份全区“12345”政务服务便民热线工单办理情况、“710”政务督办系统运行情况及下一步工作安排的通报";

/// The Chinese faces the bundled fonts provide (official faces are not installed in tests).
const CHINESE_FACES: [&str; 4] = ["Noto Serif CJK SC", "FandolFang", "Noto Sans CJK SC", "WenKai GB2312"];

/// The punctuation of Chinese text.
const MARKS: &str = "，。、；：？！“”‘’（）《》〈〉【】〔〕「」『』…—·．";

/// Each shipped month and the long-title month, laid out, with the words its title must keep on
/// one line (written here from reading the titles, not from tongbao's segmenter).
fn examples() -> Vec<(String, Layout, Vec<&'static str>)> {
    let shipped = Project::shipped();
    let mut session = shipped.session();
    let keep: [&[&str]; 4] = [
        &[
            "西宁市城中区人民政府办公室",
            "2023年3月份",
            "“710”",
            "督办",
            "运行",
            "“12345”",
            "热线",
            "门户网站",
            "报送",
            "通报",
        ],
        &["西宁市城中区人民政府办公室", "2023年8月份", "政务", "服务", "通报"],
        &[
            "西宁市城中区人民政府办公室",
            "2023年9月份",
            "“12345”",
            "热线",
            "门户网站",
            "报送",
            "通报",
        ],
        &[
            "西宁市城中区人民政府办公室",
            "2023年10-11月份",
            "门户网站",
            "报送",
            "通报",
        ],
    ];
    let mut out: Vec<(String, Layout, Vec<&str>)> = MONTHS
        .iter()
        .zip(keep)
        .map(|(m, k)| (m.to_string(), laid_out(&mut session, m), k.to_vec()))
        .collect();
    let long = Project::shipped();
    long.edit(MARCH_TEXT, MARCH_TITLE, LONG_TITLE);
    let keep = vec![
        "西宁市城中区人民政府办公室",
        "2023年3月份",
        "“12345”",
        "便民",
        "工单",
        "“710”",
        "督办",
        "下一步",
        "安排",
        "通报",
    ];
    out.push(("长标题".to_string(), laid_out(&mut long.session(), "2023-03"), keep));
    out
}

/// The title's lines on page 1 (22 pt), each as its text, left and right edge.
fn title_lines(l: &Layout) -> Vec<(String, f64, f64)> {
    inspect::lines(&l.runs, 1)
        .into_iter()
        .filter(|line| (line[0].size - 22.0).abs() < 0.01)
        .map(|line| {
            let right = line.iter().map(|r| r.x + r.width).fold(f64::MIN, f64::max);
            (inspect::line_text(&line), line[0].x, right)
        })
        .collect()
}

/// A line that is one character, with at most closing marks after it.
fn lone(text: &str) -> bool {
    let kept = text.trim_end_matches(|c: char| "，。、；：？！”’）》〉】」』…".contains(c));
    kept.chars().filter(|c| !c.is_whitespace()).count() == 1
}

#[test]
fn titles_break_between_words_in_a_trapezoid_or_diamond() {
    for (month, l, keep) in examples() {
        let lines = title_lines(&l);
        let whole: String = lines.iter().map(|(t, ..)| t.as_str()).collect();
        assert!(lines.len() >= 2, "{month}: the title is one line: {lines:?}");
        // Where each line ends, in characters of the whole title.
        let mut breaks = Vec::new();
        let mut at = 0;
        for (text, ..) in &lines[..lines.len() - 1] {
            at += text.chars().count();
            breaks.push(at);
        }
        let chars: Vec<char> = whole.chars().collect();
        for word in &keep {
            let w: Vec<char> = word.chars().collect();
            let start = (0..chars.len()).find(|&i| chars[i..].starts_with(&w));
            let start = start.unwrap_or_else(|| panic!("{month}: {word:?} not in {whole:?}"));
            assert!(
                !breaks.iter().any(|&b| b > start && b < start + w.len()),
                "{month}: the title breaks inside {word:?}: {lines:?}"
            );
        }
        let widths: Vec<f64> = lines.iter().map(|(_, a, b)| b - a).collect();
        for (text, a, b) in &lines {
            assert!(!lone(text), "{month}: a title line of one character: {lines:?}");
            assert!(
                *a >= LEFT - 0.01 && *b <= LEFT + WIDTH + 0.01,
                "{month}: {text:?} leaves the block"
            );
            assert!(
                ((a + b) / 2.0 - (LEFT + WIDTH / 2.0)).abs() < 0.5,
                "{month}: {text:?} not centred"
            );
        }
        // No hourglass: no line shorter than both its neighbours (by half a character, 3.9 mm).
        let char_mm = 22.0 * PT;
        for w in widths.windows(3) {
            assert!(
                !(w[1] < w[0] - char_mm / 2.0 && w[1] < w[2] - char_mm / 2.0),
                "{month}: an hourglass {widths:?} {lines:?}"
            );
        }
        let (longest, shortest) = (
            widths.iter().cloned().fold(0.0, f64::max),
            widths.iter().cloned().fold(f64::MAX, f64::min),
        );
        assert!(shortest * 2.0 >= longest, "{month}: unbalanced {widths:?} {lines:?}");
        if lines.len() >= 3 {
            assert!(
                longest - shortest >= char_mm,
                "{month}: a rectangle {widths:?} {lines:?}"
            );
        }
        // As few lines as the words allow: at most one more than the width needs.
        let total: f64 = widths.iter().sum();
        assert!(lines.len() <= (total / WIDTH).ceil() as usize + 1, "{month}: {lines:?}");
    }
}

/// The title call of the generated source: the lines tongbao decided.
fn decided_title(typ: &str) -> Vec<String> {
    let line = typ
        .lines()
        .find(|l| l.starts_with("#title(fonts, ("))
        .expect("title call");
    let inner = line.trim_start_matches("#title(fonts, (").trim_end_matches("))");
    inner
        .split("\", ")
        .map(|s| s.trim().trim_matches([',', '"', ' ']).to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

#[test]
fn the_decided_title_lines_are_the_laid_out_lines() {
    // The lines reach the templates (DocOut.标题行) and the layout does not wrap them again.
    let p = Project::shipped();
    for month in MONTHS {
        let out = p.run(&["build", month]);
        assert!(out.status.success(), "{}", output(&out));
        let decided = decided_title(&p.read(&format!("out/{month}/circular.typ")));
        let laid: Vec<String> = title_lines(&laid_out(&mut p.session(), month))
            .into_iter()
            .map(|(t, ..)| t)
            .collect();
        assert_eq!(decided, laid, "{month}");
    }
}

/// The `title-break` and `title-line` warnings of `check`.
fn title_warnings(p: &Project) -> Vec<serde_json::Value> {
    let (_, diags) = p.check();
    diags
        .into_iter()
        .filter(|d| d["code"] == "title-break" || d["code"] == "title-line")
        .collect()
}

#[test]
fn hand_breaks_are_kept_and_a_break_inside_a_word_is_warned_at_its_line() {
    let p = Project::shipped();
    let title_line = p
        .read(MARCH_TEXT)
        .lines()
        .position(|l| l.starts_with("西宁市"))
        .unwrap()
        + 1;
    // Four lines that keep every word: kept as written, no warning.
    p.edit(
        MARCH_TEXT,
        MARCH_TITLE,
        "西宁市城中区人民政府办公室关于\n{{ 期间 }}份“710”政务督办系统\n运行情况、“12345”民生服务热线情况及\n政府门户网站信息报送情况的通报",
    );
    assert_eq!(title_warnings(&p), Vec::<serde_json::Value>::new());
    // A break inside the date (the expression ends 2023年3月, the line after starts 份) and one
    // inside 运行: warned at the line that starts with the word's second half.
    p.edit(
        MARCH_TEXT,
        "西宁市城中区人民政府办公室关于\n{{ 期间 }}份“710”政务督办系统\n运行情况",
        "西宁市城中区人民政府办公室关于\n{{ 期间 }}\n份“710”政务督办系统运\n行情况",
    );
    let warnings = title_warnings(&p);
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    let at = |line: usize| {
        warnings
            .iter()
            .find(|d| d["line"] == line)
            .unwrap_or_else(|| panic!("no warning at line {line}: {warnings:#?}"))
    };
    let date = at(title_line + 2);
    assert_eq!(
        (date["file"].as_str(), date["column"].as_u64()),
        (Some(MARCH_TEXT), Some(1))
    );
    assert!(date["message"].as_str().unwrap().contains("2023年3月份"), "{date:#?}");
    assert_eq!(date["severity"], "warning");
    let word = at(title_line + 3);
    assert!(word["message"].as_str().unwrap().contains("运行"), "{word:#?}");
    // The build keeps the office's lines.
    let lines: Vec<String> = title_lines(&laid_out(&mut p.session(), "2023-03"))
        .into_iter()
        .map(|(t, ..)| t)
        .collect();
    assert_eq!(
        lines[..4],
        [
            "西宁市城中区人民政府办公室关于",
            "2023年3月",
            "份“710”政务督办系统运",
            "行情况、“12345”民生服务热线情况及"
        ]
    );

    // A line of one character and a line too long for the block.
    let p = Project::shipped();
    p.edit(MARCH_TEXT, MARCH_TITLE, "西宁市城中区人民政府办公室关于{{ 期间 }}份“710”政务督办系统运行情况、“12345”民生服务热线情况及政府门户网站信息报送情况的通\n报");
    let warnings = title_warnings(&p);
    let codes: Vec<&str> = warnings.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"title-line"), "{warnings:#?}");
    assert!(
        warnings
            .iter()
            .any(|d| d["line"] == title_line && d["message"].as_str().unwrap().contains("一行只能排")),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|d| d["line"] == title_line + 1 && d["message"].as_str().unwrap().contains("只有一个字")),
        "{warnings:#?}"
    );
    assert!(
        warnings
            .iter()
            .any(|d| d["code"] == "title-break" && d["message"].as_str().unwrap().contains("通报")),
        "{warnings:#?}"
    );
    // The hand break is kept; the line too long for the block is broken again, between words.
    let lines = title_lines(&laid_out(&mut p.session(), "2023-03"));
    assert!(lines.len() >= 3, "{lines:?}");
    assert_eq!(lines.last().map(|(t, ..)| t.as_str()), Some("报"));
    assert!(
        lines
            .iter()
            .all(|(_, a, b)| *a >= LEFT - 0.01 && *b <= LEFT + WIDTH + 0.01)
    );
    let first: Vec<&str> = lines.iter().map(|(t, ..)| t.as_str()).collect();
    assert!(
        first.iter().all(|t| !t.starts_with("行") && !t.ends_with("运")),
        "{first:?}"
    );
}

/// A run's glyphs with what is next to each on its line: (glyph, run, previous char, next char,
/// whether it starts or ends a line — or a table cell's line, where a gap separates runs).
struct Placed<'a> {
    c: char,
    em: f64,
    run: &'a Run,
    before: Option<char>,
    after: Option<char>,
    latin: bool,
}

fn placed(l: &Layout) -> Vec<Placed<'_>> {
    let mut out = Vec::new();
    for page in 1..=l.pages.len() {
        for line in inspect::lines(&l.runs, page) {
            // A line of text in one paragraph or cell: runs touching each other.
            let mut pieces: Vec<Vec<&Run>> = Vec::new();
            for run in line {
                match pieces.last_mut() {
                    Some(piece) if (run.x - piece.last().map_or(0.0, |r| r.x + r.width)).abs() < 1.0 => piece.push(run),
                    _ => pieces.push(vec![run]),
                }
            }
            for piece in pieces {
                let glyphs: Vec<(char, f64, &Run)> = piece
                    .iter()
                    .flat_map(|r| r.glyphs.iter().map(move |g| (g.c, g.advance / (r.size * PT), *r)))
                    .collect();
                let latin = glyphs.iter().any(|(c, ..)| c.is_ascii_alphanumeric());
                for (i, &(c, em, run)) in glyphs.iter().enumerate() {
                    out.push(Placed {
                        c,
                        em,
                        run,
                        before: i.checked_sub(1).map(|j| glyphs[j].0),
                        after: glyphs.get(i + 1).map(|g| g.0),
                        latin,
                    });
                }
            }
        }
    }
    out
}

#[test]
fn chinese_marks_are_full_width_in_a_chinese_face_and_compressed_by_one_rule() {
    let mut checked = 0;
    for (month, l, _) in examples() {
        for g in placed(&l).into_iter().filter(|g| MARKS.contains(g.c)) {
            // The page numbers' dashes are not text.
            if g.run.baseline > TOP + HEIGHT {
                continue;
            }
            let what = format!(
                "{month} p{} {:?} in {:?} ({}, {:.3} em)",
                g.run.page, g.c, g.run.text, g.run.family, g.em
            );
            assert!(
                CHINESE_FACES.contains(&g.run.family.as_str()),
                "a mark in a Latin face: {what}"
            );
            // Never narrower than half a character (a Latin quote in 楷体 was 0.35 em).
            assert!(g.em >= 0.49 && g.em <= 1.1, "{what}");
            let pair = g.before.is_some_and(|c| MARKS.contains(c)) || g.after.is_some_and(|c| MARKS.contains(c));
            let edge = g.before.is_none() || g.after.is_none();
            // Full width (up to the body's tracking) unless next to another mark, at a line's
            // start or end, or in a line with Latin text, whose widths justification evens out.
            if !(pair || edge || g.latin) {
                assert!(g.em >= 0.96, "squeezed in a line of Chinese alone: {what}");
            }
            // Quotes are never compressed, in any role (next to a mark or at a line's end alike).
            if "“”‘’".contains(g.c) && !g.latin {
                assert!(g.em >= 0.96, "a quote compressed: {what}");
            }
            checked += 1;
        }
    }
    assert!(checked > 500, "only {checked} marks seen");
}

#[test]
fn quotes_in_kaiti_headings_come_from_a_chinese_face_at_full_width() {
    // WenKai's own quotes are Latin-style (0.35 em); the 楷体 heading's “” come from the body's 仿宋.
    let l = laid_out(&mut Project::shipped().session(), "2023-08");
    let line = inspect::lines(&l.runs, 1)
        .into_iter()
        .find(|line| inspect::line_text(line).starts_with("（一）“710”"))
        .expect("the run-in heading");
    for r in line.iter().filter(|r| r.text.contains(['“', '”'])) {
        assert_eq!(r.family, "FandolFang", "{r:#?}");
        for g in r.glyphs.iter().filter(|g| "“”".contains(g.c)) {
            assert!((g.advance / (16.0 * PT) - 1.0).abs() < 0.03, "{g:?}");
        }
    }
}

/// Lines of the 附件说明 (from 附件： to the line before the signature) on their page.
fn note_lines(l: &Layout) -> Vec<String> {
    for page in 1..=l.pages.len() {
        let lines = inspect::lines(&l.runs, page);
        if let Some(start) = lines
            .iter()
            .position(|line| inspect::line_text(line).starts_with("附件："))
        {
            return lines[start..]
                .iter()
                .take_while(|line| !inspect::line_text(line).starts_with("西宁市"))
                .map(|line| inspect::line_text(line))
                .collect();
        }
    }
    Vec::new()
}

/// Each cell's lines on the attachment pages (12 pt runs grouped by baseline and by the gaps
/// between cells).
fn cell_lines(l: &Layout) -> Vec<String> {
    cells(l).into_iter().map(|(.., text)| text).collect()
}

/// Each cell's lines as (page, baseline, left edge, text).
fn cells(l: &Layout) -> Vec<(usize, f64, f64, String)> {
    let mut out = Vec::new();
    for page in 1..=l.pages.len() {
        for line in inspect::lines(&l.runs, page) {
            let mut cells: Vec<Vec<&Run>> = Vec::new();
            for run in line.into_iter().filter(|r| (r.size - 12.0).abs() < 0.01) {
                match cells.last_mut() {
                    Some(cell) if run.x - cell.last().map_or(0.0, |r| r.x + r.width) < 2.0 => cell.push(run),
                    _ => cells.push(vec![run]),
                }
            }
            out.extend(
                cells
                    .iter()
                    .map(|c| (page, c[0].baseline, c[0].x, inspect::line_text(c))),
            );
        }
    }
    out
}

#[test]
fn no_single_character_alone_on_a_line_of_a_title_heading_note_or_cell() {
    for (month, l, _) in examples() {
        for (text, ..) in title_lines(&l) {
            assert!(!lone(&text), "{month}: title line {text:?}");
        }
        for text in note_lines(&l) {
            assert!(!lone(&text), "{month}: 附件说明 line {text:?}");
        }
        // Figures and the “—” of a rate over nothing are not words; the 合计 label is spaced out
        // on purpose.
        let words = cell_lines(&l)
            .into_iter()
            .filter(|t| t != "合" && t != "计" && t.chars().any(|c| c.is_alphabetic() && !c.is_ascii()));
        for text in words {
            assert!(!lone(&text), "{month}: table cell line {text:?}");
        }
    }
    // 附件说明 names, a heading and a unit's name long enough to wrap one character over.
    let p = Project::shipped();
    // 27 characters: 26 fit after the indent, one would be left over.
    p.edit(
        MARCH_TEXT,
        "三、政府门户网站公开信息报送情况",
        "三、政府门户网站公开信息报送情况和栏目内容更新工作情况",
    );
    // 14 characters where a cell holds 13.
    p.edit(
        "data/units.yaml",
        "{名称: 区城市管理综合行政执法局,",
        "{名称: 区城市管理综合行政执法监督局, 别名: [区城市管理综合行政执法局],",
    );
    let l = laid_out(&mut p.session(), "2023-03");
    let heading: Vec<String> = (1..=l.pages.len())
        .flat_map(|page| inspect::lines(&l.runs, page))
        .filter(|line| {
            line.iter()
                .all(|r| r.family == "Noto Sans CJK SC" || r.family == "Liberation Serif")
                && (line[0].size - 16.0).abs() < 0.01
        })
        .map(|line| inspect::line_text(&line))
        .collect();
    let at = heading
        .iter()
        .position(|t| t.starts_with("三、"))
        .expect("the long heading");
    assert!(
        heading.len() > at + 1 && !heading[at + 1].starts_with("四"),
        "the heading wraps: {heading:?}"
    );
    assert!(!lone(&heading[at + 1]), "{heading:?}");
    // The unit's name, on every attachment page it is on, wraps between words.
    let all = cells(&l);
    let firsts: Vec<&(usize, f64, f64, String)> = all.iter().filter(|c| c.3.starts_with("区城市管理")).collect();
    assert_eq!(firsts.len(), 3, "the unit is in three tables: {firsts:?}");
    for (page, baseline, x, first) in firsts {
        let rest = all
            .iter()
            .filter(|c| c.0 == *page && (c.2 - x).abs() < 0.5 && c.1 > *baseline)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("the name's second line");
        assert_eq!(format!("{first}{}", rest.3), "区城市管理综合行政执法监督局");
        assert!(!lone(&rest.3) && !lone(first), "{first:?} / {:?}", rest.3);
    }
}

const NOV_TEXT: &str = "data/2023-11/通报.txt";
const NOV_DATE: &str = "2023年12月8日";
const OFFICE: &str = "西宁市城中区人民政府办公室";

const SEAL: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="420" height="420" viewBox="0 0 420 420">
<circle cx="210" cy="210" r="200" fill="none" stroke="#e60012" stroke-width="14"/>
</svg>"##;

/// November (the shortest month) in a form: `settings` under 版式, the offices that sign, and
/// whether it has a 附件说明.
fn november(settings: &str, offices: &[&str], note: bool) -> Project {
    let p = Project::shipped();
    std::fs::create_dir(p.path("assets")).unwrap();
    for name in ["a", "b"] {
        p.write(&format!("assets/seal-{name}.svg"), SEAL);
    }
    if !offices.is_empty() {
        p.edit(
            NOV_TEXT,
            &format!("{OFFICE}\n{NOV_DATE}"),
            &format!("{}\n{NOV_DATE}", offices.join("\n")),
        );
    }
    if !note {
        p.edit(NOV_TEXT, "附件：{{ 网站.标题 }}\n\n", "");
        p.edit("data/2023-11/document.yaml", "附件: [网站]\n", "");
    }
    if !settings.is_empty() {
        let doc = p.read("data/2023-11/document.yaml");
        p.write("data/2023-11/document.yaml", &format!("{doc}版式:\n{settings}"));
    }
    p
}

/// Asserts that the page with the date has body text above the 附件说明 and the signature, and
/// that no text left the text block. Returns the date's page.
fn assert_body_above_signature(l: &Layout, offices: &[&str], what: &str) -> usize {
    let page = (1..=l.pages.len())
        .find(|&p| {
            inspect::lines(&l.runs, p)
                .iter()
                .any(|line| inspect::line_text(line).contains(NOV_DATE))
        })
        .unwrap_or_else(|| panic!("{what}: no date"));
    let lines: Vec<String> = inspect::lines(&l.runs, page)
        .into_iter()
        .filter(|line| (line[0].size - 16.0).abs() < 0.01 && line[0].baseline < TOP + HEIGHT)
        .map(|line| inspect::line_text(&line))
        .collect();
    let tail = lines
        .iter()
        .position(|t| t.starts_with("附件：") || offices.iter().any(|o| t.contains(o)) || t.contains(NOV_DATE))
        .unwrap_or_else(|| panic!("{what}: no signature on page {page}: {lines:?}"));
    let body: Vec<&String> = lines[..tail].iter().filter(|t| !t.ends_with("部门：")).collect();
    assert!(
        !body.is_empty(),
        "{what}: the signature's page {page} has no body text above it: {lines:?}"
    );
    for r in l.runs.iter().filter(|r| (r.size - 16.0).abs() < 0.01) {
        assert!(
            r.baseline + 0.12 * 16.0 * PT <= TOP + HEIGHT + 0.01,
            "{what}: {:?} below the block",
            r.text
        );
    }
    page
}

#[test]
fn the_signature_never_stands_on_a_page_without_body_text_in_any_form() {
    let joint = ["西宁市城中区人民政府办公室", "西宁市城中区财政局"];
    let forms: [(&str, &str, &[&str], bool); 6] = [
        ("plain", "", &[], true),
        ("no 附件说明", "", &[], false),
        ("sealed", "  印章: assets/seal-a.svg\n", &[], true),
        (
            "joint, sealed",
            "  印章: [assets/seal-a.svg, assets/seal-b.svg]\n",
            &joint,
            true,
        ),
        ("joint", "", &joint, true),
        (
            "附注 and 版记",
            "  附注: 联系人：张三，电话：1234567\n  版记: {抄送: 区委办公室, 印发机关: 西宁市城中区人民政府办公室, 印发日期: 2023-12-08}\n",
            &[],
            true,
        ),
    ];
    for (name, settings, offices, note) in forms {
        let p = november(settings, offices, note);
        let offices: Vec<&str> = if offices.is_empty() {
            vec![OFFICE]
        } else {
            offices.to_vec()
        };
        let original = p.read(NOV_TEXT);
        let mut session = p.session();
        let (mut tightened, mut carried) = (0, 0);
        // Push the text down a line at a time through a whole page, so that the signature lands
        // at every place of it.
        for extra in 0..=22 {
            let filler = "通报内容".repeat(7 * extra);
            p.write(
                NOV_TEXT,
                &original.replacen(
                    "{{ 年 }}年{{ 月 }}月份",
                    &format!("{filler}{{{{ 年 }}}}年{{{{ 月 }}}}月份"),
                    1,
                ),
            );
            let l = laid_out(&mut session, "2023-11");
            assert_body_above_signature(&l, &offices, &format!("{name}, {extra} lines more"));
            // The decision reached the layout as an input, which the generated source records at
            // its end (and nowhere else: the source itself is never patched).
            let typ = p.read("out/2023-11/circular.typ");
            let decided = typ.lines().last().unwrap_or_default();
            assert!(!typ.contains("#fit-signature(("), "{name}: the source was patched");
            tightened += decided.contains("\"carry\":false") as usize;
            carried += decided.contains("\"carry\":true") as usize;
        }
        if name == "plain" {
            // Both remedies were needed somewhere in the sweep.
            assert!(
                tightened > 0 && carried > 0,
                "{name}: tightened {tightened}, carried {carried}"
            );
        }
    }
}

/// The PDF's bookmarks as (page, title), read with poppler's `pdftohtml -xml`.
fn bookmarks(pdf: &std::path::Path) -> Vec<(usize, String)> {
    let out = std::process::Command::new("pdftohtml")
        .args(["-xml", "-i", "-stdout"])
        .arg(pdf)
        .output()
        .expect("pdftohtml (poppler-utils) must be installed; scripts/test installs it");
    let xml = String::from_utf8_lossy(&out.stdout);
    let outline = xml
        .split("<outline>")
        .nth(1)
        .unwrap_or("")
        .split("</outline>")
        .next()
        .unwrap_or("");
    outline
        .split("<item page=\"")
        .skip(1)
        .filter_map(|item| {
            let (page, rest) = item.split_once("\">")?;
            Some((page.parse().ok()?, rest.split("</item>").next()?.to_string()))
        })
        .collect()
}

/// Whether the PDF's bytes hold `needle`.
fn has(pdf: &[u8], needle: &str) -> bool {
    pdf.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// How often a structure type is used in a PDF (krilla writes structure elements uncompressed).
fn tags(pdf: &[u8], kind: &str) -> usize {
    let needle = format!("/Type/StructElem/S/{kind}/");
    pdf.windows(needle.len()).filter(|w| *w == needle.as_bytes()).count()
}

/// The structure tree as poppler reads it: one structure element a line, indented.
fn structure(pdf: &std::path::Path) -> String {
    let out = std::process::Command::new("pdfinfo")
        .arg("-struct-text")
        .arg(pdf)
        .output()
        .expect("pdfinfo");
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn the_pdf_is_tagged_by_default_with_title_headings_tables_language_and_bookmarks() {
    let p = Project::shipped();
    for month in MONTHS {
        let out = p.run(&["build", month]);
        assert!(out.status.success(), "{}", output(&out));
        let path = p.path(&format!("out/{month}/circular.pdf"));
        let pdf = std::fs::read(&path).unwrap();
        let l = laid_out(&mut p.session(), month);
        let text = p.read(&format!("data/{month}/通报.txt"));
        let level1 = text
            .lines()
            .filter(|line| {
                let n = line.chars().take_while(|c| "一二三四五六七八九十".contains(*c)).count();
                n > 0 && line.chars().nth(n) == Some('、')
            })
            .count();
        // Attachment pages: 附件 or 附件N alone on their first line.
        let attachments: Vec<(usize, String)> = (1..=l.pages.len())
            .filter_map(|page| {
                let lines = inspect::lines(&l.runs, page);
                let first = inspect::line_text(lines.first()?);
                (first.starts_with("附件") && first.chars().count() <= 4)
                    .then(|| (page, format!("{first} {}", inspect::line_text(&lines[1]))))
            })
            .collect();
        assert!(has(&pdf, "/StructTreeRoot"), "{month}: not tagged");
        assert!(has(&pdf, "/Lang(zh-CN)"), "{month}: no language");
        assert_eq!(tags(&pdf, "Title"), 1, "{month}: the title");
        assert_eq!(
            tags(&pdf, "H1"),
            level1 + attachments.len(),
            "{month}: headings 一、 and attachment titles"
        );
        // Every header cell of every table (the repeated headers on later pages are artifacts).
        let header_cells = l.runs.iter().filter(|r| r.text == "序号").count();
        assert!(
            header_cells >= attachments.len() && tags(&pdf, "TH") >= 5 * attachments.len(),
            "{month}: header cells"
        );
        let title: String = title_lines(&l).into_iter().map(|(t, ..)| t).collect();
        let mut expected = vec![(1, title)];
        expected.extend(attachments);
        assert_eq!(bookmarks(&path), expected, "{month}: bookmarks");
    }

    // Headings standing alone at every level are H1–H4, in order, with their text.
    let p = Project::shipped();
    p.edit(
        MARCH_TEXT,
        "一、“710”政务督办系统运行情况\n",
        "一、“710”政务督办系统运行情况\n（一）督办情况\n1. 交办任务\n（1）任务数量\n",
    );
    let out = p.run(&["build", "2023-03"]);
    assert!(out.status.success(), "{}", output(&out));
    let tree = structure(&p.path("out/2023-03/circular.pdf"));
    // Each heading element and the text right under it.
    let mut headings: Vec<(String, String)> = Vec::new();
    let mut open = false;
    for line in tree.lines().map(str::trim) {
        if line.len() > 1 && line.starts_with('H') && line.as_bytes()[1].is_ascii_digit() {
            headings.push((line[..2].to_string(), String::new()));
            open = true;
        } else if open && line.starts_with('"') {
            if let Some(h) = headings.last_mut() {
                h.1.push_str(line.trim_matches('"'));
            }
        } else {
            open = false;
        }
    }
    let find = |kind: &str| {
        headings
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, t)| t.trim().to_string())
    };
    assert_eq!(find("H1").as_deref(), Some("一、“710”政务督办系统运行情况"), "{tree}");
    assert_eq!(find("H2").as_deref(), Some("（一）督办情况"), "{tree}");
    assert_eq!(find("H3").as_deref(), Some("1.交办任务"), "{tree}");
    assert_eq!(find("H4").as_deref(), Some("（1）任务数量"), "{tree}");

    // --untagged: no structure, a smaller file; an accessible standard needs the tags.
    let tagged = std::fs::metadata(p.path("out/2023-03/circular.pdf")).unwrap().len();
    let out = p.run(&["build", "2023-03", "--untagged"]);
    assert!(out.status.success(), "{}", output(&out));
    let untagged = std::fs::read(p.path("out/2023-03/circular.pdf")).unwrap();
    assert!(!has(&untagged, "/StructTreeRoot"));
    assert!((untagged.len() as u64) < tagged);
    assert_eq!(
        bookmarks(&p.path("out/2023-03/circular.pdf")).len(),
        4,
        "bookmarks without tags too"
    );
    let out = p.run(&["build", "2023-03", "--untagged", "--pdf-standard", "ua-1"]);
    assert_eq!(out.status.code(), Some(2), "{}", output(&out));
    assert!(output(&out).contains("--untagged"), "{}", output(&out));
}

#[test]
fn the_accessible_standards_pass_typst_validation() {
    // Typst validates the document against the standard while writing it and refuses one that
    // does not conform: the shipped March and a sealed form (the seal has an alternative text).
    let p = november("  印章: assets/seal-a.svg\n", &[], true);
    for standard in ["a-2a", "a-3a", "ua-1"] {
        for month in ["2023-03", "2023-11"] {
            let out = p.run(&["build", month, "--pdf-standard", standard]);
            assert!(out.status.success(), "{month} {standard}: {}", output(&out));
            let pdf = std::fs::read(p.path(&format!("out/{month}/circular.pdf"))).unwrap();
            assert!(has(&pdf, "/StructTreeRoot"), "{month} {standard}");
        }
    }
}
