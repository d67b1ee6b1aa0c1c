//! The PDF's line breaks, carried into the Word file.
//!
//! A word processor breaks lines by its own rules: greedily, with its own spacing between Chinese
//! and Latin text, never shrinking a space or a punctuation mark the way Typst's optimal line
//! breaking does. Left to itself it ends a line a character earlier or later than the PDF now and
//! then, and a page then starts elsewhere. So the Word file keeps the PDF's lines: each line of
//! the PDF becomes runs of its own with the character spacing that fills the line in the word
//! processor as the PDF's line fills the text block, a few points short of the edge, so that the
//! line's text fits and the next character does not. Nothing else changes: the paragraph is still
//! one paragraph of plain text, and text typed into it later flows as usual.
//!
//! The word processor's widths are modelled from the fonts the PDF used (the same faces the
//! official names map to) and the rules LibreOffice and Word follow: character spacing after every
//! character but the last of a portion (a stretch of one script in one run), and a fifth of an em
//! between a Chinese character and a Latin letter or digit.

use typst_layout::PagedDocument;

use super::model::Run;
use crate::load::page::PageSpec;
use crate::typeset::inspect;

/// A line as the PDF laid it out.
#[derive(Debug)]
pub(super) struct Line {
    pub page: usize,
    /// Baseline, mm from the top of the page.
    pub baseline: f64,
    /// Left edge, mm from the left of the page.
    pub x: f64,
    /// Font size of its first run, pt.
    pub size: f64,
    /// Its characters, whitespace left out, each with its natural advance, pt.
    pub chars: Vec<(char, f64)>,
}

/// Every line of the PDF inside the text block, page by page, top to bottom; and the baseline of
/// the first page's number (mm), which lies under the block.
pub(super) fn lines(document: &PagedDocument, page: &PageSpec) -> (Vec<Line>, Option<f64>) {
    let layout = inspect::measure_text(document);
    let mut out = Vec::new();
    let mut number = None;
    for p in 1..=layout.pages.len() {
        for line in inspect::lines(&layout.runs, p) {
            let baseline = line[0].baseline;
            if baseline > page.block_bottom() && p == 1 {
                number = Some(baseline);
            }
            if baseline < page.top || baseline > page.block_bottom() {
                continue;
            }
            out.push(Line {
                page: p,
                baseline,
                x: line[0].x,
                size: line[0].size,
                chars: line
                    .iter()
                    .flat_map(|r| r.natural.iter().copied())
                    .filter(|(c, _)| !c.is_whitespace())
                    .collect(),
            });
        }
    }
    (out, number)
}

/// How many lines may lie between one paragraph and the next (a red header's, say).
const LOOKAHEAD: usize = 4;

/// The PDF's lines, read in order as the Word file's paragraphs are written.
pub(super) struct Laid<'a> {
    lines: &'a [Line],
    at: usize,
}

impl<'a> Laid<'a> {
    pub(super) fn new(lines: &'a [Line]) -> Laid<'a> {
        Laid { lines, at: 0 }
    }

    /// The lines the PDF set `text` in: the next lines whose characters, whitespace aside, add
    /// up to it. `None` when it cannot be found (the word processor then breaks the lines itself).
    pub(super) fn take(&mut self, text: &str) -> Option<&'a [Line]> {
        let want: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
        if want.is_empty() {
            return None;
        }
        let last = (self.at + LOOKAHEAD).min(self.lines.len());
        for start in self.at..last {
            let (mut pos, mut end) = (0, start);
            while pos < want.len() && end < self.lines.len() {
                let chars = &self.lines[end].chars;
                let rest = &want[pos..];
                if chars.is_empty() || chars.len() > rest.len() || chars.iter().zip(rest).any(|((c, _), w)| c != w) {
                    break;
                }
                pos += chars.len();
                end += 1;
            }
            if pos == want.len() {
                self.at = end;
                return Some(&self.lines[start..end]);
            }
        }
        None
    }

    /// The line after the last one taken.
    pub(super) fn next(&self) -> Option<&'a Line> {
        self.lines.get(self.at)
    }
}

/// Where a paragraph's lines go in the Word file.
pub(super) struct Measure<'a> {
    /// The width of the first line and of the others, pt.
    pub first: f64,
    pub rest: f64,
    /// Whether the lines are justified (then every line but the last is filled).
    pub justified: bool,
    /// The character spacing of text that needs no fitting, twips.
    pub default: i32,
    /// The face of Chinese text that names none, for the punctuation that must come from it.
    pub cjk: &'a str,
}

/// How far short of the line's end a fitted line stops in the word processor, pt: its text fits
/// with room for the model's error, and the next character (at least a digit, 8 pt) does not.
const SHORT: f64 = 3.75;

/// LibreOffice's and Word's space between a Chinese character and a Latin letter or digit, em.
const AUTOSPACE: f64 = 0.2;

/// The characters the PDF takes from the Chinese face though Latin faces have them too (Typst's
/// `latin-in-cjk`): quotation marks, dashes, the ellipsis, the middle dot.
pub(super) fn from_cjk_face(c: char) -> bool {
    matches!(
        c,
        '\u{00B7}' | '\u{2013}' | '\u{2014}' | '\u{2018}' | '\u{2019}' | '\u{201C}' | '\u{201D}' | '\u{2025}'
            ..='\u{2027}' | '\u{2E3A}'
    )
}

/// Splits `runs` where the PDF's lines end and where a character must come from the Chinese face,
/// and gives each line's runs the spacing that fills it as in the PDF.
pub(super) fn fit(runs: &[Run], lines: &[Line], m: &Measure<'_>) -> Vec<Run> {
    let chars = placed(runs, lines);
    let mut out: Vec<Run> = Vec::new();
    let mut spacing = Vec::new();
    for (line, range) in line_ranges(&chars).into_iter().enumerate() {
        let here = &chars[range];
        let size = lines.get(line).map_or(16.0, |l| l.size);
        let width = if line == 0 { m.first } else { m.rest };
        let last = line + 1 == lines.len();
        spacing.push(line_spacing(here, size, width, m.justified && !last, m.default));
    }
    for p in &chars {
        let forced = from_cjk_face(p.c);
        let base = &runs[p.run];
        let same = out
            .last()
            .is_some_and(|r: &Run| r.spacing == Some(spacing[p.line]) && p.joins);
        if same && let Some(r) = out.last_mut() {
            r.text.push(p.c);
            continue;
        }
        let mut run = base.with_text(p.c.to_string());
        run.br = base.br && p.first_of_run;
        if forced {
            run.face = Some(
                base.face
                    .clone()
                    .or_else(|| base.east_asia.clone())
                    .unwrap_or_else(|| m.cjk.to_string()),
            );
        }
        run.spacing = Some(spacing[p.line]);
        out.push(run);
    }
    out
}

/// A character of the paragraph with what fitting needs to know about it.
struct Placed {
    c: char,
    /// Its run among the paragraph's runs.
    run: usize,
    /// Its line in the PDF.
    line: usize,
    /// Its natural advance, pt.
    advance: f64,
    /// Whether it continues the piece before it (same run, same line, same face class).
    joins: bool,
    first_of_run: bool,
}

/// The paragraph's characters, each with its run, its PDF line and its advance.
fn placed(runs: &[Run], lines: &[Line]) -> Vec<Placed> {
    let mut out: Vec<Placed> = Vec::new();
    let (mut line, mut used) = (0, 0);
    for (r, run) in runs.iter().enumerate() {
        for (i, c) in run.text.chars().enumerate() {
            let mut advance = 4.0;
            if !c.is_whitespace() {
                if lines.get(line).is_some_and(|l| used == l.chars.len()) && line + 1 < lines.len() {
                    line += 1;
                    used = 0;
                }
                advance = lines
                    .get(line)
                    .and_then(|l| l.chars.get(used))
                    .map_or(16.0, |(_, a)| *a);
                used += 1;
            }
            let joins = out
                .last()
                .is_some_and(|p| p.run == r && p.line == line && from_cjk_face(p.c) == from_cjk_face(c));
            out.push(Placed {
                c,
                run: r,
                line,
                advance,
                joins,
                first_of_run: i == 0,
            });
        }
    }
    out
}

/// The characters of each line, as index ranges.
fn line_ranges(chars: &[Placed]) -> Vec<std::ops::Range<usize>> {
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for (i, p) in chars.iter().enumerate() {
        match out.last_mut() {
            Some(r) if chars[r.start].line == p.line => r.end = i + 1,
            _ => out.push(i..i + 1),
        }
    }
    out
}

/// A character's script as word processors see it: the spacing between Chinese and Latin text,
/// and where a portion ends, follow it.
#[derive(Clone, Copy, PartialEq)]
enum Script {
    Chinese,
    Latin,
    /// Punctuation and symbols: the script of the character before.
    Weak,
}

fn script(c: char) -> Script {
    let u = c as u32;
    if (0x2E80..=0x9FFF).contains(&u)
        || (0xF900..=0xFAFF).contains(&u)
        || (0xFF00..=0xFFEF).contains(&u)
        || u >= 0x20000
    {
        Script::Chinese
    } else if c.is_ascii_alphanumeric() {
        Script::Latin
    } else {
        Script::Weak
    }
}

fn is_han(c: char) -> bool {
    let u = c as u32;
    (0x3400..=0x9FFF).contains(&u) || (0xF900..=0xFAFF).contains(&u) || u >= 0x20000
}

/// The character spacing (twips) that fills a line of `width` pt: a justified line but the last is
/// filled to [`SHORT`] of its end; any other line keeps `default` unless it would not fit.
///
/// LibreOffice adds a positive spacing after every character, and a negative one after every
/// character but the last of a portion (a stretch of one script and one format), as measured.
fn line_spacing(chars: &[Placed], size: f64, width: f64, fill: bool, default: i32) -> i32 {
    let natural: f64 = chars.iter().map(|p| p.advance).sum();
    let scripts = resolved(chars);
    let mut ends = 1.0;
    let mut autospace = 0.0;
    for (i, pair) in chars.windows(2).enumerate() {
        let (a, b) = (pair[0].c, pair[1].c);
        if scripts[i] != scripts[i + 1] || !pair[1].joins {
            ends += 1.0;
        }
        if (is_han(a) && b.is_ascii_alphanumeric()) || (a.is_ascii_alphanumeric() && is_han(b)) {
            autospace += AUTOSPACE * size;
        }
    }
    let n = chars.len() as f64;
    let base = natural + autospace;
    let width_at = |twips: i32| {
        let spaced = if twips >= 0 { n } else { n - ends };
        base + spaced * f64::from(twips) / 20.0
    };
    if n == 0.0 || (!fill && width_at(default) <= width - 0.5) {
        return default;
    }
    let room = width - SHORT - base;
    let twips = if room >= 0.0 {
        room / n * 20.0
    } else {
        room / (n - ends).max(1.0) * 20.0
    };
    (twips.round() as i32).clamp(-80, 400)
}

/// Each character's script, punctuation taking the script of the character before.
fn resolved(chars: &[Placed]) -> Vec<Script> {
    let mut last = Script::Chinese;
    chars
        .iter()
        .map(|p| {
            if script(p.c) != Script::Weak {
                last = script(p.c);
            }
            last
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str, advance: f64) -> Line {
        Line {
            page: 1,
            baseline: 50.0,
            x: 28.0,
            size: 16.0,
            chars: text.chars().map(|c| (c, advance)).collect(),
        }
    }

    #[test]
    fn a_paragraph_is_found_across_its_lines_and_split_where_they_end() {
        let lines = [line("甲乙丙", 16.0), line("丁戊", 16.0), line("己", 16.0)];
        let mut laid = Laid::new(&lines);
        let found = laid.take("甲乙 丙丁戊").unwrap();
        assert_eq!(found.len(), 2);
        assert!(laid.take("庚").is_none(), "not in the PDF");
        let runs = fit(
            &[Run::new("甲乙 丙丁戊")],
            found,
            &Measure {
                first: 60.0,
                rest: 60.0,
                justified: true,
                default: -5,
                cjk: "仿宋_GB2312",
            },
        );
        let texts: Vec<&str> = runs.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(texts, ["甲乙 丙", "丁戊"]);
        // The first line is filled to SHORT of 60 pt: 3 glyphs of 16 pt, a space of 4 pt, and a
        // (positive) spacing after each of the four characters.
        let s = f64::from(runs[0].spacing.unwrap()) / 20.0;
        assert!((52.0 + 4.0 * s - (60.0 - SHORT)).abs() < 0.1, "{s}");
        // The last line keeps the default.
        assert_eq!(runs[1].spacing, Some(-5));
    }

    #[test]
    fn quotation_marks_come_from_the_chinese_face_and_latin_text_is_spaced() {
        let lines = [line("好“710”政", 16.0)];
        let runs = fit(
            &[Run::new("好“710”政")],
            &lines,
            &Measure {
                first: 442.0,
                rest: 442.0,
                justified: true,
                default: -5,
                cjk: "仿宋_GB2312",
            },
        );
        let quotes: Vec<&Run> = runs
            .iter()
            .filter(|r| r.text.contains('“') || r.text.contains('”'))
            .collect();
        assert!(
            quotes
                .iter()
                .all(|r| r.face.as_deref() == Some("仿宋_GB2312") && r.text.chars().count() == 1)
        );
        assert!(runs.iter().any(|r| r.text == "710" && r.face.is_none()));
    }
}
