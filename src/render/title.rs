//! The title's lines (GB/T 9704 7.3.3): a title written as one line is broken into lines that keep
//! words, names, numbers with their measure words and dates whole ([`super::words`]), of balanced
//! lengths, in a trapezoid or a diamond (never an hourglass, a rectangle only when nothing else
//! fits), no line a single character. A title the office broke by hand keeps its lines, with a
//! warning where a break splits a word (a line too long for the text block is broken again, by
//! words, and warned about).
//!
//! Widths are estimated in title characters (em) as Typst sets them: a Chinese character or
//! full-width mark is one, Latin letters and digits about half (Times New Roman's digits are exactly
//! half), a quarter em between Chinese and Latin text, half an em less for two adjacent marks and
//! for a mark's blank half at a line's ends (quotes excepted, see `untracked` in `gongwen.typ`). A
//! line chosen here is not wrapped again by the layout (`tests/it/typography.rs` checks it on every
//! example).

use super::words::{Break, Segmented, segment};
use crate::diag::{Code, Diagnostic};
use crate::load::text::Line;

/// More lines than this are not balanced (they are filled line by line).
const MAX_LINES: usize = 8;
/// How many line arrangements the search looks at before it settles for the best so far.
const BUDGET: usize = 200_000;
/// Lines differing by less than this (in characters) count as equal for the shape.
const SHAPE_TOLERANCE: f64 = 0.25;
/// What each line more than the fewest possible costs.
const EXTRA_LINE: f64 = 30.0;
/// What a rectangle costs: three or more lines all within a character of each other (GB/T 9704
/// asks for a trapezoid or a diamond).
const RECTANGLE: f64 = 40.0;

/// The lines of a title written as `written` (one line: broken here; several: kept), with warnings
/// about hand breaks that split a word, lines too long for the text block, and one-character lines.
/// `text` is the written lines with their figures filled in.
pub(crate) fn lines(
    text: &[String],
    written: &[Line],
    names: &[String],
    capacity: f64,
) -> (Vec<String>, Vec<Diagnostic>) {
    let whole: String = text.concat();
    let seg = segment(&whole, names);
    if text.len() <= 1 {
        return (balance(&seg, capacity), Vec::new());
    }
    let widths = Widths::new(&seg.chars);
    let mut warnings = Vec::new();
    let mut out = Vec::new();
    let mut offset = 0;
    for (i, line) in text.iter().enumerate() {
        let count = line.chars().count();
        if i > 0
            && let Some(w) = written.get(i)
            && let Some(d) = split_warning(&seg, offset, w)
        {
            warnings.push(d);
        }
        let width = widths.of(offset, offset + count);
        if width > capacity + 0.01 {
            // Too long for the text block: this line is broken again, by words.
            out.extend(balance(&segment(line, names), capacity));
        } else {
            out.push(line.clone());
        }
        if let Some(w) = written.get(i) {
            if width > capacity + 0.01 {
                warnings.push(
                    Diagnostic::warning(
                        Code::TitleLine,
                        &w.loc,
                        format!(
                            "标题这一行约有 {width:.0} 个字宽，一行只能排约 {capacity:.0} 个字，排版时按词再分成几行"
                        ),
                    )
                    .help("把这一行分成两行写，或把标题写成一行，由 tongbao 按词自动分行"),
                );
            } else if lone(&seg.chars[offset..offset + count]) {
                warnings.push(
                    Diagnostic::warning(Code::TitleLine, &w.loc, "标题这一行只有一个字")
                        .help("GB/T 9704 要求标题分行时词意完整、长短适宜：把它并入上一行或下一行"),
                );
            }
        }
        offset += count;
    }
    (out, warnings)
}

/// A warning when a hand break before character `k` splits a word, a name, a number or a date, or
/// breaks a punctuation rule.
fn split_warning(seg: &Segmented, k: usize, next: &Line) -> Option<Diagnostic> {
    let quality = *seg.at.get(k)?;
    if quality > Break::Name || k == 0 || k >= seg.chars.len() {
        return None;
    }
    let loc = next.at(0, 1);
    let (prev, first) = (seg.chars[k - 1], seg.chars[k]);
    let message = if "，。、；：？！”’）》〉】〕〗」』".contains(first) {
        format!("标题这一行以“{first}”开头：标点不能排在行首")
    } else if "“‘（《〈【〔〖「『".contains(prev) {
        format!("标题上一行以“{prev}”结尾：引号、括号的前一半不能排在行末")
    } else if quality == Break::Name {
        format!("标题在这里换行，把名称“{}”分在了两行", seg.word_at(k))
    } else {
        format!("标题在“{}”中间换行，把它分在了两行", seg.word_at(k))
    };
    Some(Diagnostic::warning(Code::TitleBreak, &loc, message).help(format!(
        "GB/T 9704 要求标题分行时词意完整：让“{}”整个留在同一行；也可以把标题写成一行，由 tongbao 按词自动分行",
        seg.word_at(k)
    )))
}

/// Whether a line is a single character, with at most closing marks after it (`表`, `报。`): a
/// line no title, heading, 附件说明 or table cell may hold.
pub(crate) fn lone(chars: &[char]) -> bool {
    let end = chars
        .iter()
        .rposition(|c| !super::words::is_closing(*c))
        .map_or(0, |i| i + 1);
    chars[..end].iter().filter(|c| !c.is_whitespace()).nth(1).is_none()
}

/// Estimated widths of a text's characters, of the spacing between Chinese and Latin, and of the
/// compression of adjacent marks, summed from the start so that any piece's width is a few lookups.
struct Widths {
    text: Vec<char>,
    chars: Vec<f64>,
    gaps: Vec<f64>,
}

impl Widths {
    fn new(text: &[char]) -> Widths {
        let mut chars = vec![0.0];
        let mut gaps = vec![0.0];
        for (k, &c) in text.iter().enumerate() {
            chars.push(chars[k] + width(c));
            let mut gap = 0.0;
            if k > 0 {
                let prev = text[k - 1];
                // A quarter em between Chinese (marks included) and Latin letters or digits.
                if wide(prev) != wide(c) && (prev.is_ascii_alphanumeric() || c.is_ascii_alphanumeric()) {
                    gap += 0.25;
                }
                // Two adjacent marks give up half a character between them (GB style).
                if is_mark(prev) && is_mark(c) {
                    gap -= 0.5;
                }
            }
            gaps.push(gaps[k] + gap);
        }
        Widths {
            text: text.to_vec(),
            chars,
            gaps,
        }
    }

    /// Width of characters `i..j` set as one line: no spacing before its first character, and an
    /// opening mark at its start or a closing one at its end gives up its blank half.
    fn of(&self, i: usize, j: usize) -> f64 {
        if j <= i {
            return 0.0;
        }
        let mut w = self.chars[j] - self.chars[i] + self.gaps[j] - self.gaps[i + 1];
        if OPENING_MARKS.contains(self.text[i]) {
            w -= 0.5;
        }
        if CLOSING_MARKS.contains(self.text[j - 1]) {
            w -= 0.5;
        }
        w
    }
}

/// Marks set at the right of their character cell (their left half blank) that Typst compresses.
/// Quotes are not among them: the templates set them as ordinary characters (`untracked` in
/// `gongwen.typ`).
const OPENING_MARKS: &str = "《（『「【〖〔〈［｛";
/// Marks set at the left of their character cell (their right half blank) that Typst compresses.
const CLOSING_MARKS: &str = "，。．、：；？！》）』」】〗〕〉］｝";

fn is_mark(c: char) -> bool {
    OPENING_MARKS.contains(c) || CLOSING_MARKS.contains(c)
}

/// Whether `c` is set one em wide (Chinese, full-width forms, the marks used with Chinese).
fn wide(c: char) -> bool {
    !c.is_ascii() && !matches!(c, '–' | '\u{00a0}')
}

/// A character's estimated advance in em.
fn width(c: char) -> f64 {
    match c {
        _ if wide(c) => 1.0,
        '0'..='9' => 0.5,
        'A'..='Z' => 0.72,
        'm' | 'w' => 0.78,
        'a'..='z' => 0.5,
        ' ' | '.' | ',' | ':' | ';' | '/' | '\'' => 0.28,
        '-' | '(' | ')' | '–' => 0.34,
        '%' => 0.84,
        _ => 0.6,
    }
}

/// A title written as one line, in balanced lines.
fn balance(seg: &Segmented, capacity: f64) -> Vec<String> {
    let n = seg.chars.len();
    let widths = Widths::new(&seg.chars);
    let whole: String = seg.chars.iter().collect();
    let total = widths.of(0, n);
    if total <= capacity || capacity <= 0.0 || n < 4 {
        return vec![whole];
    }
    let least = ((total / capacity).ceil() as usize).max(2);
    let mut search = Search {
        seg,
        widths: &widths,
        candidates: (1..n).filter(|&k| seg.at[k] != Break::Never).collect(),
        capacity,
        least,
        extra: 0.0,
        budget: BUDGET,
        best: None,
    };
    for count in least..=(least + 2).min(MAX_LINES) {
        search.extra = EXTRA_LINE * (count - least) as f64;
        search.go(0, count, &mut Vec::new(), 0.0);
    }
    let breaks = match search.best {
        Some((_, breaks)) => breaks,
        None => fill(seg, &widths, capacity),
    };
    let mut out = Vec::new();
    let mut start = 0;
    for k in breaks.into_iter().chain([n]) {
        out.push(seg.chars[start..k].iter().collect());
        start = k;
    }
    out
}

/// The search over line arrangements: every combination of allowed breaks into `count` lines that
/// fit, scored by [`Search::score`], within a budget.
struct Search<'a> {
    seg: &'a Segmented,
    widths: &'a Widths,
    candidates: Vec<usize>,
    capacity: f64,
    least: usize,
    /// What the lines beyond the fewest cost the arrangements now searched.
    extra: f64,
    budget: usize,
    best: Option<(f64, Vec<usize>)>,
}

impl Search<'_> {
    fn go(&mut self, start: usize, lines_left: usize, breaks: &mut Vec<usize>, penalty: f64) {
        let n = self.seg.chars.len();
        if self.budget == 0 {
            return;
        }
        // Branch and bound: an arrangement costs at least its breaks and its extra lines, so one
        // that cannot beat the best so far is not followed (the best found is the same).
        if self
            .best
            .as_ref()
            .is_some_and(|(best, _)| penalty + self.extra >= *best - 1e-9)
        {
            return;
        }
        self.budget -= 1;
        if lines_left == 1 {
            if self.widths.of(start, n) <= self.capacity && !lone(&self.seg.chars[start..]) {
                self.score(breaks, penalty);
            }
            return;
        }
        let from = self.candidates.partition_point(|&k| k <= start);
        for idx in from..self.candidates.len() {
            let k = self.candidates[idx];
            if self.widths.of(start, k) > self.capacity {
                break;
            }
            let rest = self.widths.of(k, n);
            if lone(&self.seg.chars[start..k]) || rest > (lines_left - 1) as f64 * self.capacity {
                continue;
            }
            breaks.push(k);
            self.go(k, lines_left - 1, breaks, penalty + self.seg.at[k].penalty());
            breaks.pop();
        }
    }

    /// Scores a complete arrangement: the squared shortfall of each line against the longest, the
    /// breaks' penalties, and extra lines; an hourglass (a line shorter than both its neighbours)
    /// is refused.
    fn score(&mut self, breaks: &[usize], penalty: f64) {
        let n = self.seg.chars.len();
        let bounds: Vec<usize> = [0].into_iter().chain(breaks.iter().copied()).chain([n]).collect();
        let w: Vec<f64> = bounds.windows(2).map(|b| self.widths.of(b[0], b[1])).collect();
        let top = w.iter().copied().fold(0.0, f64::max);
        let peak = w.iter().position(|&x| x == top).unwrap_or(0);
        let rising = w[..=peak].windows(2).all(|p| p[1] >= p[0] - SHAPE_TOLERANCE);
        let falling = w[peak..].windows(2).all(|p| p[1] <= p[0] + SHAPE_TOLERANCE);
        if !(rising && falling) {
            return;
        }
        let shortfall: f64 = w.iter().map(|x| (top - x) * (top - x)).sum();
        let bottom = w.iter().copied().fold(f64::INFINITY, f64::min);
        let rectangle = if w.len() >= 3 && top - bottom < 1.0 {
            RECTANGLE
        } else {
            0.0
        };
        let cost = shortfall + penalty + rectangle + EXTRA_LINE * (w.len() - self.least) as f64;
        if self.best.as_ref().is_none_or(|(c, _)| cost < *c - 1e-9) {
            self.best = Some((cost, breaks.to_vec()));
        }
    }
}

/// Line by line, as full as the text block allows, breaking where allowed (or, for an unbreakable
/// piece wider than a line, anywhere): for titles no balanced arrangement fits.
fn fill(seg: &Segmented, widths: &Widths, capacity: f64) -> Vec<usize> {
    let n = seg.chars.len();
    let mut breaks = Vec::new();
    let mut start = 0;
    while widths.of(start, n) > capacity {
        let fits = |k: usize| widths.of(start, k) <= capacity;
        let allowed = (start + 2..n).rev().find(|&k| seg.at[k] != Break::Never && fits(k));
        let k = allowed.unwrap_or_else(|| (start + 1..n).take_while(|&k| fits(k)).last().unwrap_or(start + 1));
        breaks.push(k);
        start = k;
    }
    breaks
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFICE: &str = "西宁市城中区人民政府办公室";

    fn auto(title: &str) -> Vec<String> {
        let names = [OFFICE.to_string()];
        balance(&segment(title, &names), 20.1)
    }

    #[test]
    fn a_long_title_keeps_dates_and_words_whole_in_a_balanced_shape() {
        let lines = auto("西宁市城中区人民政府办公室关于2023年10-11月份政府门户网站信息报送情况的通报");
        assert!(lines.len() >= 2, "{lines:?}");
        assert!(lines.iter().any(|l| l.contains("2023年10-11月份")), "{lines:?}");
        let lines = auto("西宁市城中区人民政府办公室关于2023年8月份政务服务工作情况的通报");
        assert_eq!(
            lines,
            ["西宁市城中区人民政府办公室关于", "2023年8月份政务服务工作情况的通报"]
        );
    }

    #[test]
    fn short_titles_stay_on_one_line_and_nothing_is_lost() {
        assert_eq!(auto("关于表扬的通报"), ["关于表扬的通报"]);
        for title in [
            "",
            "通",
            "“”“”“”“”“”“”“”“”“”“”“”“”“”“”“”“”“”“”“”“”“”",
            &"长".repeat(400),
            &"1".repeat(300),
        ] {
            let lines = auto(title);
            assert_eq!(lines.concat(), title);
        }
    }

    #[test]
    fn widths_count_halves_for_latin_and_spacing_between() {
        let chars: Vec<char> = "2023年".chars().collect();
        let w = Widths::new(&chars);
        assert!((w.of(0, chars.len()) - 3.25).abs() < 1e-9);
        assert!((w.of(4, 5) - 1.0).abs() < 1e-9, "no spacing at a line's start");
        let chars: Vec<char> = "情况、（710）政务".chars().collect();
        let w = Widths::new(&chars);
        // 2 + 1 + 1 − ½ (、（) + ¼ + 1½ + ¼ + 1 + 2.
        assert!((w.of(0, chars.len()) - 8.5).abs() < 1e-9, "{}", w.of(0, chars.len()));
        // （ at a line's start and ） at its end give up their blank halves.
        assert!((w.of(3, 8) - 3.0).abs() < 1e-9, "{}", w.of(3, 8));
        // Quotes are ordinary characters: 、“ takes two, not 1½.
        let chars: Vec<char> = "、“".chars().collect();
        assert!((Widths::new(&chars).of(0, 2) - 2.0).abs() < 1e-9);
    }
}
