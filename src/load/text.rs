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

use super::expr::{self, Expr, Head, Word};
use crate::calendar::Date;
use crate::diag::{Code, Diagnostic, Loc, Source};

/// One line of the text as written, with its place, split into plain text and expressions.
#[derive(Debug, Clone)]
pub(crate) struct Line {
    /// The line as written, trimmed (expressions unevaluated).
    pub text: String,
    /// The line, from the first character of `text`.
    pub loc: Loc,
    /// The line in pieces: text as written and parsed expressions, in order.
    pub parts: Vec<Part>,
}

/// A piece of a line, starting `at` characters into it.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub at: usize,
    pub kind: PartKind,
}

#[derive(Debug, Clone)]
pub(crate) enum PartKind {
    /// Text as written.
    Text(String),
    /// A `{{ … }}`.
    Expr(Expr),
}

impl Line {
    /// A line of `text` at `loc`, with its expressions parsed; problems with them go to `diags`.
    fn new(text: &str, loc: Loc, diags: &mut Vec<Diagnostic>) -> Line {
        let mut line = Line {
            text: text.to_string(),
            loc,
            parts: Vec::new(),
        };
        line.parts = split(&line, diags);
        line
    }

    /// The place of the `char_offset`-th character of `text` (for an expression inside the line).
    pub(crate) fn at(&self, char_offset: usize, len: usize) -> Loc {
        Loc {
            src: self.loc.src.clone(),
            line: self.loc.line,
            col: self.loc.col + char_offset,
            len,
        }
    }

    /// The expressions of the line.
    pub(crate) fn expressions(&self) -> impl Iterator<Item = &Expr> {
        self.parts.iter().filter_map(|p| match &p.kind {
            PartKind::Expr(e) => Some(e),
            PartKind::Text(_) => None,
        })
    }

    /// The plain text of the line, outside expressions, each piece with where it starts.
    pub(crate) fn texts(&self) -> impl Iterator<Item = (usize, &str)> {
        self.parts.iter().filter_map(|p| match &p.kind {
            PartKind::Text(t) => Some((p.at, t.as_str())),
            PartKind::Expr(_) => None,
        })
    }

    /// The line from character `from` on, as its first `len` characters (or all of it): a run-in
    /// heading splits its line outside any expression.
    pub(crate) fn slice(&self, from: usize, len: Option<usize>) -> Line {
        let to = len.map_or(usize::MAX, |n| from + n);
        let parts = self
            .parts
            .iter()
            .filter_map(|p| match &p.kind {
                PartKind::Expr(_) => (p.at >= from && p.at < to).then(|| p.clone()),
                PartKind::Text(t) => {
                    let n = t.chars().count();
                    let (a, b) = (from.max(p.at), to.min(p.at + n));
                    (a < b).then(|| Part {
                        at: a,
                        kind: PartKind::Text(t.chars().skip(a - p.at).take(b - a).collect()),
                    })
                }
            })
            .collect();
        Line {
            text: self.text.chars().skip(from).take(to.saturating_sub(from)).collect(),
            loc: self.at(from, 0),
            parts: parts_from(parts, from),
        }
        .with_len()
    }

    fn with_len(mut self) -> Line {
        self.loc.len = self.text.chars().count();
        self
    }
}

/// Parts re-based so that offsets count from `from` (the start of a sliced line).
fn parts_from(parts: Vec<Part>, from: usize) -> Vec<Part> {
    parts
        .into_iter()
        .map(|mut p| {
            p.at -= from;
            if let PartKind::Expr(e) = &mut p.kind {
                rebase(e, from);
            }
            p
        })
        .collect()
}

fn rebase(e: &mut Expr, from: usize) {
    e.at -= from;
    let words: Vec<&mut Word> = match &mut e.head {
        Head::Path(w) | Head::Named(w) => w.iter_mut().collect(),
    };
    for w in words {
        w.at -= from;
    }
    for c in &mut e.filters {
        c.name.at -= from;
    }
}

/// Splits a line into text and expressions: `{{ … }}` is parsed by [`expr::parse`]; braces typed
/// full-width by the input method, a `{{` left open and a statement (`{% … %}`) are errors.
fn split(line: &Line, diags: &mut Vec<Diagnostic>) -> Vec<Part> {
    let chars: Vec<char> = line.text.chars().collect();
    let normal: Vec<char> = normalize_expressions(&line.text).chars().collect();
    let mut parts = Vec::new();
    let mut text_start = 0;
    let mut k = 0;
    let flush = |parts: &mut Vec<Part>, from: usize, to: usize| {
        if to > from {
            parts.push(Part {
                at: from,
                kind: PartKind::Text(chars[from..to].iter().collect()),
            });
        }
    };
    let fail = |diags: &mut Vec<Diagnostic>, at: usize, len: usize, code, message: &str, help: &str| {
        diags.push(Diagnostic::error(code, &line.at(at, len), message).help(help));
    };
    while k + 1 < chars.len() {
        let pair = (normal[k], normal[k + 1]);
        if matches!(pair, ('｛', '｛') | ('｝', '｝') | ('{', '｛') | ('｛', '{')) {
            fail(
                diags,
                k,
                2,
                Code::ExpressionBraces,
                "这里的大括号是全角的“｛｛”，不会被当作数字表达式",
                "输入法切换到英文（半角）后再输入 {{ 和 }}，例如 {{ 热线.本月 }}",
            );
            k += 2;
            continue;
        }
        if pair == ('{', '%') {
            fail(
                diags,
                k,
                2,
                Code::Expression,
                "通报正文里不能写“{% … %}”语句",
                "正文中的数字写成 {{ 表.数字 }}；要按条件写不同的话，请直接改写这句话",
            );
            k += 2;
            continue;
        }
        if pair != ('{', '{') {
            k += 1;
            continue;
        }
        let body = k + 2;
        let Some(end) = (body..normal.len().saturating_sub(1)).find(|&j| normal[j] == '}' && normal[j + 1] == '}')
        else {
            fail(
                diags,
                k,
                2,
                Code::Expression,
                "“{{”没有对应的“}}”",
                "表达式写在 {{ 和 }} 之间，同一行内写完",
            );
            break;
        };
        flush(&mut parts, text_start, k);
        match expr::parse(&normal[body..end], body, (k, end + 2 - k)) {
            Ok(e) => parts.push(Part {
                at: k,
                kind: PartKind::Expr(e),
            }),
            Err(slip) => {
                diags.push(Diagnostic::error(slip.code, &line.at(slip.at, slip.len), slip.message).help(slip.help))
            }
        }
        k = end + 2;
        text_start = k;
    }
    flush(&mut parts, text_start, chars.len());
    parts
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
    /// The date as written when it is in Chinese numerals (printed as written, with a warning).
    pub date_numerals: Option<String>,
    pub date_loc: Loc,
    /// The contact line between the 附件说明 and the signature, without its parentheses.
    pub contact: Option<Line>,
    /// 附注, without its parentheses.
    pub note: Option<Line>,
    pub src: Arc<Source>,
}

impl Text {
    /// Every line that may hold expressions, in the order of the text.
    pub(crate) fn lines(&self) -> impl Iterator<Item = &Line> {
        self.title
            .iter()
            .chain(self.recipients.iter())
            .chain(self.body.iter().map(|b| match b {
                Block::Paragraph(line) | Block::Heading { line, .. } => line,
            }))
            .chain(self.attachments.iter().map(|a| &a.name))
            .chain(self.contact.iter())
            .chain(self.issuers.iter())
            .chain(self.note.iter())
    }
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

/// A line of the file before it is taken apart: its text (trimmed) and its place.
#[derive(Clone)]
struct Raw {
    text: String,
    loc: Loc,
}

impl Raw {
    /// The piece from character `skip` on, trimmed, as a [`Line`] with its expressions parsed.
    fn line(&self, skip: usize, diags: &mut Vec<Diagnostic>) -> Line {
        let rest: String = self.text.chars().skip(skip).collect();
        let lead = rest.chars().take_while(|c| c.is_whitespace()).count();
        let text = rest.trim();
        let loc = Loc {
            col: self.loc.col + skip + lead,
            len: text.chars().count(),
            ..self.loc.clone()
        };
        Line::new(text, loc, diags)
    }

    /// The line without its last `n` characters.
    fn without_last(&self, n: usize) -> Raw {
        let keep = self.text.chars().count().saturating_sub(n);
        Raw {
            text: self.text.chars().take(keep).collect(),
            loc: Loc {
                len: keep,
                ..self.loc.clone()
            },
        }
    }
}

/// Parses the text of `src`. Problems of form (no title, no signature and date at the end) and
/// expressions outside the notation are errors; everything else is for `check`.
pub(crate) fn parse(src: &Arc<Source>, diags: &mut Vec<Diagnostic>) -> Option<Text> {
    let stripped = strip_comments(src, diags);
    let lines: Vec<Raw> = stripped
        .lines()
        .enumerate()
        .map(|(i, raw)| {
            let raw = raw.trim_end_matches('\r');
            let lead = raw.chars().take_while(|c| c.is_whitespace()).count();
            Raw {
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
    if !within_budget(&lines, diags) {
        return None;
    }
    let mut i = skip_blank(&lines, 0);
    let title_end = (i..lines.len())
        .find(|&k| lines[k].text.is_empty())
        .unwrap_or(lines.len());
    let title: Vec<Line> = lines[i..title_end].iter().map(|l| l.line(0, diags)).collect();
    if title.is_empty() {
        diags.push(
            Diagnostic::error(Code::TextForm, &Loc::file(src), "通报正文是空的")
                .help("第一段写标题，空一行后写主送机关（以冒号结尾），再写正文，最后两行写发文机关和成文日期"),
        );
        return None;
    }
    i = skip_blank(&lines, title_end);
    let mut recipients = None;
    if let Some(line) = lines.get(i)
        && (line.text.ends_with('：') || line.text.ends_with(':'))
    {
        recipients = Some(line.without_last(1).line(0, diags));
        i += 1;
    }
    let end = Ending::find(&lines, i, src, diags)?;
    let (body, attachments_at, attachments) = body_and_attachments(&lines[i..end.issuers_from], diags);
    Some(Text {
        title,
        recipients,
        body,
        attachments_at,
        attachments,
        issuers: end.issuers.iter().map(|l| l.line(0, diags)).collect(),
        date: end.date,
        date_numerals: end.date_numerals,
        date_loc: end.date_loc,
        contact: end.contact.map(|l| l.without_last(1).line(1, diags)),
        note: end.note,
        src: src.clone(),
    })
}

/// Whether the text keeps to the budget of a circular ([`crate::limits`]): at most
/// `TEXT_PARAGRAPHS` paragraphs of at most `PARAGRAPH_CHARS` characters, `TEXT_CHARS` in all
/// (comments not counted). The first paragraph that breaks each limit is an error at its place:
/// typesetting more would take minutes and gigabytes for a document no office issues.
fn within_budget(lines: &[Raw], diags: &mut Vec<Diagnostic>) -> bool {
    use crate::limits::{PARAGRAPH_CHARS, TEXT_CHARS, TEXT_PARAGRAPHS};
    let (mut paragraphs, mut chars) = (0usize, 0usize);
    let mut found = [false; 3];
    for line in lines.iter().filter(|l| !l.text.is_empty()) {
        paragraphs += 1;
        chars += line.loc.len;
        let broken = [
            (line.loc.len > PARAGRAPH_CHARS)
                .then(|| format!("这一段有 {} 个字，一段最多 {PARAGRAPH_CHARS} 个字", line.loc.len)),
            (paragraphs == TEXT_PARAGRAPHS + 1)
                .then(|| format!("通报正文超过 {TEXT_PARAGRAPHS} 段（这是第 {paragraphs} 段）")),
            (chars > TEXT_CHARS && !found[2]).then(|| format!("通报正文到这一段已超过 {TEXT_CHARS} 个字")),
        ];
        for (k, message) in broken.into_iter().enumerate() {
            if let Some(message) = message
                && !std::mem::replace(&mut found[k], true)
            {
                let at = Loc {
                    len: 1,
                    ..line.loc.clone()
                };
                diags.push(Diagnostic::error(Code::TextTooLong, &at, message).help(
                    "一份通报只有几页：请检查是否粘贴了多余的内容，或一段话中缺了换行；确有大量材料请作为附件另行印发",
                ));
            }
        }
    }
    !found.iter().any(|f| *f)
}

fn skip_blank(lines: &[Raw], mut i: usize) -> usize {
    while i < lines.len() && lines[i].text.is_empty() {
        i += 1;
    }
    i
}

/// The end of the text: an optional contact line, the issuing offices (none when the date stands
/// alone), the date of issue and an optional 附注.
struct Ending {
    /// Where the contact line or the offices begin (the body and the 附件说明 end there).
    issuers_from: usize,
    /// `（联系人：…，电话：…）` between the 附件说明 and the signature.
    contact: Option<Raw>,
    issuers: Vec<Raw>,
    date: Option<Date>,
    /// The date as written when it is in Chinese numerals (printed so, with a warning).
    date_numerals: Option<String>,
    date_loc: Loc,
    note: Option<Line>,
}

/// Most offices a signature names (joint issuance).
const MOST_ISSUERS: usize = 4;

impl Ending {
    /// The last non-empty lines from `start` on; `None` (with an error) when they are not there or
    /// cannot be told apart.
    fn find(lines: &[Raw], start: usize, src: &Arc<Source>, diags: &mut Vec<Diagnostic>) -> Option<Ending> {
        let mut end = lines.len();
        while end > start && lines[end - 1].text.is_empty() {
            end -= 1;
        }
        let mut note = None;
        // A 附注 follows the date (also one that does not exist, which is then named as such).
        let dated = |t: &str| is_date_line(t) || Date::impossible(t).is_some();
        if end > start + 1 && dated(&lines[end - 2].text) {
            let last = &lines[end - 1];
            let wrapped = |open, close| last.text.starts_with(open) && last.text.ends_with(close);
            if last.text.chars().count() >= 2 && (wrapped('（', '）') || wrapped('(', ')')) {
                note = Some(last.without_last(1).line(1, diags));
                end -= 1;
            }
        }
        let date_line = (end > start).then(|| &lines[end - 1]).filter(|l| is_date_line(&l.text));
        let Some(date_line) = date_line else {
            let at = if end > start {
                lines[end - 1].loc.clone()
            } else {
                Loc::file(src)
            };
            let last = if end > start { lines[end - 1].text.as_str() } else { "" };
            diags.push(not_a_date(&at, last));
            return None;
        };
        let date_loc = date_line.loc.clone();
        end -= 1;
        if end > start && lines[end - 1].text.is_empty() {
            diags.push(
                Diagnostic::error(Code::TextForm, &date_loc, "成文日期与上面的内容之间空了行，分不清落款")
                    .help("发文机关写在成文日期的上一行，中间不空行；只署成文日期时，日期紧接在正文或附件说明之后"),
            );
            return None;
        }
        // The offices: the lines right above the date that read as names (joint issuance lists
        // several, the lead office first); a line of the body, the 附件说明 or the contact line
        // ends them, and when the first line above the date is one, the date stands alone.
        let mut issuers = Vec::new();
        while end > start && is_office_line(&lines[end - 1].text) {
            issuers.insert(0, lines[end - 1].clone());
            end -= 1;
        }
        if issuers.len() > MOST_ISSUERS {
            diags.push(
                Diagnostic::error(
                    Code::TextForm,
                    &issuers[0].loc,
                    format!("成文日期上方有 {} 行像是发文机关，分不清落款从哪里开始", issuers.len()),
                )
                .help("正文的最后一段以句号结尾，与发文机关之间空一行；联合行文最多四个发文机关"),
            );
            return None;
        }
        // The contact line: the last thing before the signature, in parentheses.
        let mut k = end;
        while k > start && lines[k - 1].text.is_empty() {
            k -= 1;
        }
        let contact = (k > start && is_contact_line(&lines[k - 1].text)).then(|| {
            end = k - 1;
            lines[k - 1].clone()
        });
        let (date, date_numerals) = match Date::parse_numerals(&date_line.text) {
            Some(d) => (Some(d), Some(date_line.text.clone())),
            None => (Date::parse(&date_line.text), None),
        };
        Some(Ending {
            issuers_from: end,
            contact,
            issuers,
            date,
            date_numerals,
            date_loc,
            note,
        })
    }
}

/// Whether a line above the date reads as an office's name: not a sentence, not the 附件说明, not
/// a heading or a numbered line, not in parentheses, short. (`（代章）` after a name is part of it.)
fn is_office_line(t: &str) -> bool {
    let name = t.strip_suffix(SEAL_BY_PROXY).unwrap_or(t);
    !name.is_empty()
        && name.chars().count() <= 40
        && !name.ends_with(['。', '：', ':', '；', ';', '，', ',', '！', '？', '）', ')'])
        && !name.starts_with(['附', '（', '(', '【'])
        && !name.chars().next().is_some_and(|c| c.is_ascii_digit())
        && !name.chars().take(3).skip(1).any(|c| c == '、')
}

/// What an office line ends with when another office's seal stands for it.
pub(crate) const SEAL_BY_PROXY: &str = "（代章）";

/// `（联系人：张三，联系电话：1234567）`.
fn is_contact_line(t: &str) -> bool {
    let inner = t
        .strip_prefix('（')
        .and_then(|r| r.strip_suffix('）'))
        .or_else(|| t.strip_prefix('(').and_then(|r| r.strip_suffix(')')));
    inner.is_some_and(|i| i.starts_with("联系"))
}

/// The error for a last line that is not a date of issue: a date that does not exist is named as
/// such; anything else is the wrong shape of the end.
fn not_a_date(at: &Loc, last: &str) -> Diagnostic {
    if let Some(why) = Date::impossible(last) {
        return Diagnostic::error(Code::Date, at, format!("成文日期“{last}”不存在：{why}"))
            .help("请改为实际的成文日期，例如 2023年5月5日");
    }
    Diagnostic::error(Code::TextForm, at, "通报的最后两行应是发文机关和成文日期")
        .help("例如最后两行写“西宁市城中区人民政府办公室”和“2023年5月5日”（日期用阿拉伯数字，年份写全）")
}

/// The body's blocks and the 附件说明 (from the line starting with 附件：), from `lines`.
fn body_and_attachments(lines: &[Raw], diags: &mut Vec<Diagnostic>) -> (Vec<Block>, Option<Loc>, Vec<AttachmentLine>) {
    let start = lines
        .iter()
        .position(|l| l.text.starts_with("附件：") || l.text.starts_with("附件:"));
    let body_end = start.unwrap_or(lines.len());
    let body = lines[..body_end]
        .iter()
        .filter(|l| !l.text.is_empty())
        .map(|l| block(l.line(0, diags)))
        .collect();
    let Some(start) = start else {
        return (body, None, Vec::new());
    };
    let first = &lines[start];
    let at = Loc {
        len: 3,
        ..first.loc.clone()
    };
    let skip = "附件：".chars().count();
    let items = std::iter::once((first, skip))
        .chain(lines[start + 1..].iter().map(|l| (l, 0)))
        .filter(|(l, skip)| l.text.chars().count() > *skip)
        .map(|(l, skip)| attachment_line(l, skip, diags))
        .collect();
    (body, Some(at), items)
}

/// A date of issue (in Arabic or Chinese numerals), or the mark of one not yet set.
fn is_date_line(text: &str) -> bool {
    text == crate::load::yaml::UNFILLED || Date::parse(text).is_some() || Date::parse_numerals(text).is_some()
}

/// Removes `{# … #}` comments, keeping line breaks so that places stay right; a comment left open
/// is an error at its start.
fn strip_comments(src: &Arc<Source>, diags: &mut Vec<Diagnostic>) -> String {
    let text = &src.text;
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(start) = rest.find("{#") {
        out.push_str(&rest[..start]);
        match rest[start..].find("#}") {
            Some(len) => {
                let comment = &rest[start..start + len + 2];
                out.extend(comment.chars().filter(|c| *c == '\n'));
                rest = &rest[start + len + 2..];
            }
            None => {
                let (line, col) = src.line_col(text.len() - rest.len() + start);
                let loc = Loc {
                    src: src.clone(),
                    line,
                    col,
                    len: 2,
                };
                diags.push(
                    Diagnostic::error(Code::Expression, &loc, "注释“{#”没有对应的“#}”")
                        .help("注释写在 {# 和 #} 之间；不要的注释整段删去"),
                );
                out.extend(rest[start..].chars().filter(|c| *c == '\n'));
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `1.名称`, `2．名称`, `3、名称` or a bare name, from character `skip` of the line on.
fn attachment_line(raw: &Raw, skip: usize, diags: &mut Vec<Diagnostic>) -> AttachmentLine {
    let rest: String = raw.text.chars().skip(skip).collect();
    let lead = rest.chars().take_while(|c| c.is_whitespace()).count();
    let trimmed: String = rest.chars().skip(lead).collect();
    let digits: String = trimmed.chars().take_while(char::is_ascii_digit).collect();
    let after = trimmed[digits.len()..].chars().next();
    if !digits.is_empty()
        && let Some('.' | '．' | '、') = after
    {
        return AttachmentLine {
            number: digits.parse().ok(),
            name: raw.line(skip + lead + digits.len() + 1, diags),
        };
    }
    AttachmentLine {
        number: None,
        name: raw.line(skip, diags),
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
    // A run-in heading: the heading ends with the first 。 outside an expression and the
    // paragraph goes on after it.
    let stop = line
        .texts()
        .find_map(|(at, t)| t.chars().position(|c| c == '。').map(|k| at + k));
    let split = stop.filter(|&at| at + 1 < line.text.chars().count()).map(|at| at + 1);
    Block::Heading {
        level,
        number,
        line,
        split,
    }
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
        // After a percent sign, or a number before Chinese text, a comma or semicolon is Chinese
        // punctuation too (`办结率99%，其中`).
        let after_figure =
            prev.is_some_and(|p| p == '%' || p == '％') || (before_cjk && prev.is_some_and(|p| p.is_ascii_digit()));
        let converted = match c {
            ',' if after_cjk || after_figure => '，',
            ';' if after_figure => '；',
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
        assert_eq!((diags[0].code, diags[0].line), (Code::TextForm, 4));
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

    #[test]
    fn commas_after_a_percent_or_a_number_before_chinese_are_chinese() {
        assert_eq!(prose("办结率99%,其中12件;另有3%;"), "办结率99%，其中12件；另有3%；");
        assert_eq!(prose("共12,其中1,234条"), "共12，其中1,234条");
    }

    /// The signature of a text that ends with `ending` after a body and a 附件说明.
    fn ending(ending: &str) -> Result<Text, Vec<Diagnostic>> {
        let src = format!("标题\n\n各单位：\n\n正文。\n\n附件：1. 甲表\n      2. 乙表\n{ending}");
        let mut diags = Vec::new();
        let t = parse(&Source::new("data/2023-08/通报.txt", &src), &mut diags);
        match t {
            Some(t) if diags.is_empty() => Ok(t),
            _ => Err(diags),
        }
    }

    #[test]
    fn the_date_may_stand_alone_and_is_never_the_attachment_note_again() {
        let t = ending("2023年9月5日\n").unwrap();
        assert!(t.issuers.is_empty());
        assert_eq!(t.attachments.len(), 2);
        assert_eq!(t.date.map(|d| d.chinese()), Some("2023年9月5日".into()));
        // Without a 附件说明, the last paragraph stays in the body.
        let mut diags = Vec::new();
        let t = parse(
            &Source::new("a/通报.txt", "标题\n\n正文一。\n最后一段。\n2023年9月5日\n"),
            &mut diags,
        )
        .unwrap();
        assert!(t.issuers.is_empty() && t.body.len() == 2, "{:?}", t.issuers);
    }

    #[test]
    fn a_contact_line_stands_between_the_attachments_and_the_signature() {
        let t = ending("\n（联系人：张三，联系电话：1234567）\n\n某某局\n2023年9月5日\n").unwrap();
        assert_eq!(
            t.contact.as_ref().map(|l| l.text.as_str()),
            Some("联系人：张三，联系电话：1234567")
        );
        assert_eq!(t.attachments.len(), 2);
        assert_eq!(
            t.issuers.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(),
            ["某某局"]
        );
    }

    #[test]
    fn offices_with_a_seal_by_proxy_and_dates_in_chinese_numerals() {
        let t = ending("\n某某县财政局\n某某县教育局（代章）\n二○一一年一月十八日\n").unwrap();
        assert_eq!(t.issuers.len(), 2);
        assert_eq!(t.issuers[1].text, "某某县教育局（代章）");
        assert_eq!(t.date_numerals.as_deref(), Some("二○一一年一月十八日"));
        assert_eq!(t.date.map(|d| d.chinese()), Some("2011年1月18日".into()));
    }

    #[test]
    fn an_ending_that_cannot_be_placed_is_refused() {
        // A blank line between the office and the date: which is the signature?
        let diags = ending("\n某某局\n\n2023年9月5日\n").unwrap_err();
        assert!(diags.iter().any(|d| d.code == Code::TextForm), "{diags:?}");
        // Five lines that read as offices.
        let diags = ending("\n甲局\n乙局\n丙局\n丁局\n戊局\n2023年9月5日\n").unwrap_err();
        assert!(diags.iter().any(|d| d.code == Code::TextForm), "{diags:?}");
    }
}
