//! The month's circular as staff type it: `data/YYYY-MM/通报.txt`, laid out as the document reads.
//!
//! ```text
//! 标题（第一段；分几行写就按几行排）
//!
//! 主送机关：
//!
//! 正文，一段一行。
//! 一、一级标题
//! （一）二级标题。可以接着写正文（“（一）……。”用楷体，其后用仿宋）。
//! 1. 三级标题
//! （1）四级标题
//!
//! 附件：1. 附件名称
//!       2. 附件名称
//!
//! 发文机关
//! 2023年5月5日
//! （附注）
//! ```
//!
//! Headings are recognised by their GB/T 9704 numbering alone. Figures are written as expressions
//! between `{{` and `}}`, kept here as written: `check` reads them, `render` evaluates them. `{# … #}`
//! is a comment that is not printed.

use std::sync::Arc;

use crate::calendar::Date;
use crate::diag::{Diagnostic, Loc, Source};

/// One line of the text as written (expressions unevaluated), with its place.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    pub text: String,
    /// The line, from the first character of `text`.
    pub loc: Loc,
}

impl Line {
    /// The place of the `char_offset`-th character of `text` (for an expression inside the line).
    pub(crate) fn at(&self, char_offset: usize, len: usize) -> Loc {
        Loc {
            src: self.loc.src.clone(),
            line: self.loc.line,
            col: self.loc.col + char_offset,
            len,
        }
    }
}

/// A heading's GB/T 9704 level: 一、(1) （一）(2) 1.(3) （1）(4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Level(pub u8);

#[derive(Debug, Clone)]
pub(crate) enum Block {
    Paragraph(Line),
    /// A heading line. `split` is the length in characters of the heading part of a run-in heading
    /// (`（一）……。` followed by body text in the same paragraph); `None` for a heading on its own.
    Heading {
        level: Level,
        /// The number as written, e.g. `三` or `2`.
        number: String,
        line: Line,
        split: Option<usize>,
    },
}

/// An entry of the 附件说明: its number as written (none for a single attachment) and its name.
#[derive(Debug, Clone)]
pub(crate) struct AttachmentLine {
    pub number: Option<u32>,
    pub name: Line,
}

/// The month's text, in its parts.
#[derive(Debug, Clone)]
pub(crate) struct Text {
    pub title: Vec<Line>,
    /// Without the closing colon.
    pub recipients: Option<Line>,
    pub body: Vec<Block>,
    /// Where `附件：` is written, when there is a 附件说明.
    pub attachments_at: Option<Loc>,
    pub attachments: Vec<AttachmentLine>,
    /// The issuing offices, in order (one; two to four when they issue jointly).
    pub issuers: Vec<Line>,
    /// `None` while the date is still `待填`.
    pub date: Option<Date>,
    pub date_loc: Loc,
    /// 附注, without its parentheses.
    pub note: Option<Line>,
    pub src: Arc<Source>,
}

/// The notation's vocabulary (evaluated by `render::text`, checked by `check::text`).
/// The filters and functions the text may use, for `check`'s "did you mean".
pub(crate) const FILTERS: &[&str] = &[
    "较上月",
    "较去年同期",
    "上月",
    "去年同期",
    "四舍五入",
    "去尾",
    "进一",
    "最多",
    "最少",
    "为零",
    "不为零",
    "大于",
    "小于",
    "不小于",
    "不大于",
    "等于",
    "按名录",
    "按数值",
    "连接",
    "带数",
    "个数",
];

/// Names the text may start an expression with besides the tables.
pub(crate) const GLOBALS: &[&str] = &["年", "月", "期间", "点名"];

/// Names in a `点名` argument: separated by `、`, `，`, `,` or spaces.
pub(crate) fn split_names(arg: &str) -> impl Iterator<Item = &str> {
    arg.split(['、', '，', ',', ' ', '　'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The text with full-width punctuation an input method types inside `{{ … }}` (“ ” （ ） ， ｜
/// ．) made ASCII, character for character (so places stay the same). Outside expressions nothing
/// changes.
pub(crate) fn normalize_expressions(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut inside = false;
    for (k, &c) in chars.iter().enumerate() {
        let next = chars.get(k + 1).copied();
        if !inside && c == '{' && next == Some('{') {
            inside = true;
        } else if inside && c == '}' && next == Some('}') {
            inside = false;
        }
        out.push(if inside {
            match c {
                '“' | '”' => '"',
                '‘' | '’' => '\'',
                '（' => '(',
                '）' => ')',
                '，' => ',',
                '｜' => '|',
                '．' => '.',
                '\u{3000}' => ' ',
                c => c,
            }
        } else {
            c
        });
    }
    out
}

const CHINESE_DIGITS: &str = "一二三四五六七八九十";

/// Parses the text of `src`. Problems of form (no title, no signature and date at the end) are
/// errors; everything else is for `check`.
pub(crate) fn parse(src: &Arc<Source>, diags: &mut Vec<Diagnostic>) -> Option<Text> {
    let stripped = strip_comments(&src.text);
    let lines: Vec<Line> = stripped
        .lines()
        .enumerate()
        .map(|(i, raw)| {
            let raw = raw.trim_end_matches('\r');
            let lead = raw.chars().take_while(|c| c.is_whitespace()).count();
            Line {
                text: raw.trim().to_string(),
                loc: Loc {
                    src: src.clone(),
                    line: i + 1,
                    col: lead + 1,
                    len: raw.trim().chars().count(),
                },
            }
        })
        .collect();
    let file_error = |message: &str, help: &str| Diagnostic::error("text-form", &Loc::file(src), message).help(help);

    let mut i = 0;
    let skip_blank = |i: &mut usize| {
        while *i < lines.len() && lines[*i].text.is_empty() {
            *i += 1;
        }
    };
    skip_blank(&mut i);
    let mut title = Vec::new();
    while i < lines.len() && !lines[i].text.is_empty() {
        title.push(lines[i].clone());
        i += 1;
    }
    if title.is_empty() {
        diags.push(file_error(
            "通报正文是空的",
            "第一段写标题，空一行后写主送机关（以冒号结尾），再写正文，最后两行写发文机关和成文日期",
        ));
        return None;
    }
    skip_blank(&mut i);
    let mut recipients = None;
    if let Some(line) = lines.get(i)
        && (line.text.ends_with('：') || line.text.ends_with(':'))
    {
        let mut line = line.clone();
        line.text = line.text.trim_end_matches(['：', ':']).to_string();
        line.loc.len = line.text.chars().count();
        recipients = Some(line);
        i += 1;
    }

    // The end: 发文机关, 成文日期 and an optional 附注, the last non-empty lines.
    let mut end = lines.len();
    while end > i && lines[end - 1].text.is_empty() {
        end -= 1;
    }
    let mut note = None;
    if end > i {
        let last = &lines[end - 1];
        let inner = last
            .text
            .strip_prefix('（')
            .and_then(|t| t.strip_suffix('）'))
            .or_else(|| last.text.strip_prefix('(').and_then(|t| t.strip_suffix(')')));
        if let Some(inner) = inner
            && end >= 2
            && is_date_line(&lines[end - 2].text)
        {
            let mut line = last.clone();
            line.text = inner.to_string();
            line.loc.col += 1;
            line.loc.len = inner.chars().count();
            note = Some(line);
            end -= 1;
        }
    }
    let date_line = (end > i).then(|| &lines[end - 1]);
    let Some((date, date_line)) = date_line
        .filter(|l| is_date_line(&l.text))
        .map(|l| (Date::parse(&l.text), l))
    else {
        let at = date_line.map_or_else(|| Loc::file(src), |l| l.loc.clone());
        diags.push(
            Diagnostic::error("text-form", &at, "通报的最后两行应是发文机关和成文日期")
                .help("例如最后两行写“西宁市城中区人民政府办公室”和“2023年5月5日”（日期用阿拉伯数字，年份写全）"),
        );
        return None;
    };
    let date_loc = date_line.loc.clone();
    end -= 1;
    while end > i && lines[end - 1].text.is_empty() {
        end -= 1;
    }
    if end <= i {
        diags.push(
            Diagnostic::error("text-form", &date_loc, "成文日期前面应是发文机关")
                .help("在日期的上一行写发文机关的全称"),
        );
        return None;
    }
    // The offices: the lines right above the date, up to a blank line (joint issuance lists
    // several, the lead office first); a line of the body or the 附件说明 ends them.
    let mut issuers = Vec::new();
    while end > i {
        let line = &lines[end - 1];
        let t = &line.text;
        let body_like = t.ends_with(['。', '：', ':', '；'])
            || t.starts_with("附件")
            || t.chars().next().is_some_and(|c| c.is_ascii_digit());
        if t.is_empty() || (body_like && !issuers.is_empty()) {
            break;
        }
        issuers.insert(0, line.clone());
        end -= 1;
    }

    // The 附件说明: from the line starting with 附件： to the signature.
    let mut body_end = end;
    let mut attachments_at = None;
    let mut attachments = Vec::new();
    if let Some(start) = (i..end).find(|&k| {
        let t = &lines[k].text;
        t.starts_with("附件：") || t.starts_with("附件:")
    }) {
        body_end = start;
        let first = &lines[start];
        attachments_at = Some(first.at(0, 3));
        let skip = "附件：".chars().count();
        let mut head = first.clone();
        head.text = first.text.chars().skip(skip).collect::<String>();
        let lead = head.text.chars().take_while(|c| c.is_whitespace()).count();
        head.text = head.text.trim().to_string();
        head.loc.col += skip + lead;
        for line in std::iter::once(head).chain(lines[start + 1..end].iter().cloned()) {
            if line.text.is_empty() {
                continue;
            }
            attachments.push(attachment_line(line));
        }
    }

    let mut body = Vec::new();
    for line in &lines[i..body_end] {
        if line.text.is_empty() {
            continue;
        }
        body.push(block(line.clone()));
    }
    Some(Text {
        title,
        recipients,
        body,
        attachments_at,
        attachments,
        issuers,
        date,
        date_loc,
        note,
        src: src.clone(),
    })
}

/// A date of issue, or the mark of one not yet set.
fn is_date_line(text: &str) -> bool {
    text == crate::load::yaml::UNFILLED || Date::parse(text).is_some()
}

/// Removes `{# … #}` comments, keeping line breaks so that places stay right.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{#") {
        out.push_str(&rest[..start]);
        match rest[start..].find("#}") {
            Some(len) => {
                let comment = &rest[start..start + len + 2];
                out.extend(comment.chars().filter(|c| *c == '\n'));
                rest = &rest[start + len + 2..];
            }
            None => {
                // An unclosed comment is left in place: rendering reports it.
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `1.名称`, `2．名称`, `3、名称` or a bare name.
fn attachment_line(mut line: Line) -> AttachmentLine {
    let digits: String = line.text.chars().take_while(char::is_ascii_digit).collect();
    let after = line.text[digits.len()..].chars().next();
    if !digits.is_empty()
        && let Some(sep @ ('.' | '．' | '、')) = after
    {
        let number = digits.parse().ok();
        let skip = digits.len() + 1;
        let rest = &line.text[digits.len() + sep.len_utf8()..];
        let lead = rest.chars().take_while(|c| c.is_whitespace()).count();
        line.text = rest.trim().to_string();
        line.loc.col += skip + lead;
        line.loc.len = line.text.chars().count();
        return AttachmentLine { number, name: line };
    }
    AttachmentLine {
        number: None,
        name: line,
    }
}

/// The heading number at the start of a line, its level and its length in characters.
pub(crate) fn heading_number(text: &str) -> Option<(Level, String, usize)> {
    let chinese: String = text.chars().take_while(|c| CHINESE_DIGITS.contains(*c)).collect();
    if !chinese.is_empty() && text[chinese.len()..].starts_with('、') {
        let n = chinese.chars().count();
        return Some((Level(1), chinese, n + 1));
    }
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let Some(rest) = text.strip_prefix(open) {
            let inner: String = rest.chars().take_while(|c| *c != close).collect();
            if !rest[inner.len()..].starts_with(close) || inner.is_empty() {
                continue;
            }
            let n = inner.chars().count() + 2;
            if inner.chars().all(|c| CHINESE_DIGITS.contains(c)) {
                return Some((Level(2), inner, n));
            }
            if inner.chars().all(|c| c.is_ascii_digit()) {
                return Some((Level(4), inner, n));
            }
        }
    }
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    if !digits.is_empty() {
        let rest = &text[digits.len()..];
        let next_is_digit = rest.chars().nth(1).is_some_and(|c| c.is_ascii_digit());
        if (rest.starts_with('.') || rest.starts_with('．')) && !next_is_digit {
            return Some((Level(3), digits.clone(), digits.chars().count() + 1));
        }
    }
    None
}

fn block(line: Line) -> Block {
    let Some((level, number, _)) = heading_number(&line.text) else {
        return Block::Paragraph(line);
    };
    // A run-in heading: the heading ends with the first 。 and the paragraph goes on after it.
    // Expressions are skipped when looking for it (a 。 inside `{{ }}` is not the heading's end).
    let split = first_stop_outside_expressions(&line.text).filter(|&at| at + 1 < line.text.chars().count());
    Block::Heading {
        level,
        number,
        line,
        split: split.map(|at| at + 1),
    }
}

fn first_stop_outside_expressions(text: &str) -> Option<usize> {
    let chars: Vec<char> = text.chars().collect();
    let mut depth = 0;
    let mut k = 0;
    while k < chars.len() {
        if chars[k] == '{' && chars.get(k + 1) == Some(&'{') {
            depth += 1;
            k += 2;
            continue;
        }
        if chars[k] == '}' && chars.get(k + 1) == Some(&'}') && depth > 0 {
            depth -= 1;
            k += 2;
            continue;
        }
        if depth == 0 && chars[k] == '。' {
            return Some(k);
        }
        k += 1;
    }
    None
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF | 0x2018..=0x201D | 0x2014 | 0x2026)
}

/// Normalises prose for typesetting, without changing its words:
/// line breaks inside a paragraph are dropped between Chinese characters (kept as one space between
/// Latin words), and ASCII punctuation `, : ; ? ! ( )` written next to Chinese text becomes the
/// full-width form a circular uses (`http://…` and `3.5` are left alone).
pub(crate) fn prose(text: &str) -> String {
    let chars: Vec<char> = text.trim().chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut open_parens: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() && c != '\u{3000}' {
            while i < chars.len() && chars[i].is_whitespace() && chars[i] != '\u{3000}' {
                i += 1;
            }
            let prev = out.last().copied();
            let next = chars.get(i).copied();
            let keep = match (prev, next) {
                (Some(p), Some(n)) => !(is_cjk(p) || is_cjk(n)),
                _ => false,
            };
            if keep {
                out.push(' ');
            }
            continue;
        }
        let prev = out.last().copied();
        let next = chars.get(i + 1).copied();
        let after_cjk = prev.is_some_and(is_cjk);
        let before_cjk = next.is_some_and(is_cjk);
        let converted = match c {
            ',' if after_cjk => '，',
            ':' if after_cjk && next.is_none_or(|n| n != '/') => '：',
            ';' if after_cjk => '；',
            '?' if after_cjk => '？',
            '!' if after_cjk => '！',
            '(' => {
                let wide = after_cjk || before_cjk;
                open_parens.push(wide);
                if wide { '（' } else { '(' }
            }
            ')' => {
                let wide = open_parens.pop().unwrap_or(after_cjk || before_cjk);
                if wide { '）' } else { ')' }
            }
            _ => c,
        };
        out.push(converted);
        i += 1;
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Text {
        let mut diags = Vec::new();
        let t = parse(&Source::new("data/2023-08/通报.txt", s), &mut diags);
        assert!(diags.is_empty(), "{diags:#?}");
        t.unwrap()
    }

    const SAMPLE: &str = "关于2023年8月份\n工作情况的通报\n\n各单位：\n\n现将情况通报如下：\n一、工作开展情况\n（一）“710”政务督办系统运行情况。2023年8月，交办{{ 督办.交办任务 }}项。\n1. 要点\n（1）细则。内容\n附件：1. 甲表\n      2．乙表\n\n西宁市城中区人民政府办公室\n2023年9月5日\n（联系人：张三）\n";

    #[test]
    fn parts_are_found_where_staff_put_them() {
        let t = text(SAMPLE);
        assert_eq!(
            t.title.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["关于2023年8月份", "工作情况的通报"]
        );
        assert_eq!(t.recipients.as_ref().unwrap().text, "各单位");
        assert_eq!(
            t.issuers.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["西宁市城中区人民政府办公室"]
        );
        assert_eq!(t.date.map(|d| d.chinese()).as_deref(), Some("2023年9月5日"));
        assert_eq!(t.note.as_ref().unwrap().text, "联系人：张三");
        let names: Vec<(Option<u32>, &str)> = t.attachments.iter().map(|a| (a.number, a.name.text.as_str())).collect();
        assert_eq!(names, [(Some(1), "甲表"), (Some(2), "乙表")]);
        assert_eq!(t.attachments[1].name.loc.line, 12);
        assert_eq!(t.body.len(), 5);
    }

    #[test]
    fn headings_by_their_numbering_run_in_or_alone() {
        let t = text(SAMPLE);
        let shapes: Vec<(u8, Option<usize>)> = t
            .body
            .iter()
            .filter_map(|b| match b {
                Block::Heading { level, split, .. } => Some((level.0, *split)),
                Block::Paragraph(_) => None,
            })
            .collect();
        // （一）“710”政务督办系统运行情况。 is 19 characters, 。 included.
        assert_eq!(shapes, [(1, None), (2, Some(19)), (3, None), (4, Some(6))]);
        assert!(heading_number("3.5万元").is_none());
        assert!(heading_number("一是加强").is_none());
        assert_eq!(
            heading_number("十二、其他").map(|h| (h.0, h.1)),
            Some((Level(1), "十二".into()))
        );
    }

    #[test]
    fn full_width_punctuation_inside_expressions_is_made_ascii() {
        assert_eq!(
            normalize_expressions("如：{{ 热线.延期｜最多（2）｜连接（“，”） }}。（注）"),
            "如：{{ 热线.延期|最多(2)|连接(\",\") }}。（注）"
        );
    }

    #[test]
    fn comments_are_dropped_and_places_kept() {
        let t = text("{# 说明\n两行 #}标题\n\n主送：\n\n正文{# 注 #}。\n机关\n2023年9月5日\n");
        assert_eq!(t.title[0].text, "标题");
        assert_eq!(t.title[0].loc.line, 2);
        match &t.body[0] {
            Block::Paragraph(l) => assert_eq!((l.text.as_str(), l.loc.line), ("正文。", 6)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_missing_signature_is_an_error_at_the_last_line() {
        let mut diags = Vec::new();
        assert!(parse(&Source::new("t.txt", "标题\n\n主送：\n正文。\n"), &mut diags).is_none());
        assert_eq!((diags[0].code, diags[0].line), ("text-form", 4));
    }

    #[test]
    fn prose_uses_full_width_punctuation_next_to_chinese() {
        assert_eq!(
            prose("总寨镇政府、各街道办事处,区政府各部门"),
            "总寨镇政府、各街道办事处，区政府各部门"
        );
        assert_eq!(prose("工作如下:一是"), "工作如下：一是");
        assert_eq!(
            prose("栏目(http://www.xncz.gov.cn/zwgk/bmxxgk.htm)公布的本单位信息, 及时上报"),
            "栏目（http://www.xncz.gov.cn/zwgk/bmxxgk.htm）公布的本单位信息，及时上报"
        );
        assert_eq!(prose("第一行\n  第二行"), "第一行第二行");
        assert_eq!(prose("see the\nmanual, 3.5"), "see the manual, 3.5");
    }
}
