//! Where Chinese text may be broken between lines, and how good each place is (GB/T 9704 7.3.3:
//! a title's lines keep the meaning of words whole, 词意完整).
//!
//! The places come from a dictionary word segmenter: jieba's dictionary and method without its HMM
//! for unknown words ([`dict`], the same words as jieba-rs, from a table built into the binary;
//! docs/layout.md, "Title": both candidate segmenters measured). On top of its words:
//! - a number stays with its measure word, and a date stays whole (`2023年3月份`, `10-11月份`, `52项`);
//! - a short quotation stays whole (`“710”`); no line starts with a closing mark or a particle
//!   (`，` `”` `）` `的`) and none ends with an opening mark (`“` `（`);
//! - the project's own names (offices, units and their aliases, the tables' names) are broken only
//!   between their words, and only when nothing else will do.

mod dict;

/// How good a line break is at a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Break {
    /// Inside a word, a number, a date or a short quotation, or against a punctuation rule.
    Never,
    /// Inside one of the project's names, between two of its words.
    Name,
    /// Next to a word of one character that is not a function word: most likely a piece of a
    /// word the dictionary does not know (工 / 单).
    Fragment,
    /// Between two words.
    Word,
    /// Before or after a conjunction (及, 和 …), before 关于, after a date or a number.
    Fair,
    /// After a punctuation mark, after 关于, at either end.
    Good,
}

impl Break {
    /// What a line break here costs the title (in squared characters, as its imbalance).
    pub(crate) fn penalty(self) -> f64 {
        match self {
            Break::Never => f64::INFINITY,
            Break::Name => 36.0,
            Break::Fragment => 24.0,
            Break::Word => 12.0,
            Break::Fair => 3.0,
            Break::Good => 0.0,
        }
    }
}

/// A text with the quality of a line break before each of its characters (and at its end).
#[derive(Debug, Clone)]
pub(crate) struct Segmented {
    pub chars: Vec<char>,
    /// `at[k]`: a break before `chars[k]`; `at.len() == chars.len() + 1`.
    pub at: Vec<Break>,
}

/// Marks no line starts with (GB/T 15834 and clreq's line-start rule), and the ellipsis and dash.
const CLOSING: &str = "，。、；：？！”’）》〉】〕〗」』…—·%％)]}>,.;:?!";
/// Marks no line ends with.
const OPENING: &str = "“‘（《〈【〔〖「『([{<";
/// Marks after which a line break is good.
const PAUSES: &str = "，。、；：？！”’）》〉】〕〗」』";
/// Particles that belong to the word before them.
const PARTICLES: &str = "的地得之等们";
/// Measure words and units that stay with the number before them.
const MEASURES: &str = "年月日号时点分秒份度季周天项件条个次家人名位期批届篇元万亿倍户所处台辆起宗套类种座栋亩米吨岁";
/// Conjunctions a line may end or start with.
const CONJUNCTIONS: &str = "及和与暨并或";
/// Words of one character that stand alone (function words, prepositions, common verbs), so that a
/// break beside them is an ordinary one.
const SINGLE_WORDS: &str = "及和与暨并或的地得之等们对在于为把被将向从由以让给就也都又还再很更最不未已是有了着过关";
/// The longest quotation kept on one line, in characters between the marks.
const SHORT_QUOTE: usize = 8;

/// Whether `c` is a mark no line may start with.
pub(crate) fn is_closing(c: char) -> bool {
    CLOSING.contains(c)
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '–' | '~' | '～' | '/' | '%' | '％' | '+')
}

/// Segments `text`; `names` are the project's names, kept whole where possible.
pub(crate) fn segment(text: &str, names: &[String]) -> Segmented {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    let mut at = vec![Break::Never; n + 1];
    // Whether the word before and the word after each place is a lone Chinese character that is
    // not a word on its own.
    let (mut fragment_before, mut fragment_after) = (vec![false; n + 1], vec![false; n + 1]);
    for word in dict::cut(text) {
        if word.start > 0 && word.start < n {
            at[word.start] = Break::Word;
        }
        if word.len() == 1
            && let Some(&only) = chars.get(word.start)
            && !only.is_ascii()
            && only.is_alphabetic()
            && !SINGLE_WORDS.contains(only)
        {
            fragment_after[word.start] = true;
            fragment_before[word.end.min(n)] = true;
        }
    }
    for (k, quality) in at.iter_mut().enumerate().take(n).skip(1) {
        if forbidden(&chars, k) {
            *quality = Break::Never;
        } else if *quality == Break::Word {
            *quality = grade(&chars, k);
            if *quality == Break::Word && (fragment_before[k] || fragment_after[k]) {
                *quality = Break::Fragment;
            }
        }
    }
    keep_quotes(&chars, &mut at);
    keep_names(&chars, names, &mut at);
    if n > 0 {
        at[0] = Break::Good;
    }
    at[n] = Break::Good;
    Segmented { chars, at }
}

/// Whether a line may never break before `chars[k]` (0 < k < len).
fn forbidden(chars: &[char], k: usize) -> bool {
    let (prev, next) = (chars[k - 1], chars[k]);
    let before = |i: usize| i.checked_sub(1).map(|j| chars[j]);
    CLOSING.contains(next)
        || OPENING.contains(prev)
        || PARTICLES.contains(next)
        || (is_latin(prev) && is_latin(next))
        // A number and its measure word: 52项, 2023年, 100%.
        || (prev.is_ascii_digit() && MEASURES.contains(next))
        // A date: 2023年3月5日, 10-11月份.
        || (matches!(prev, '年' | '月') && next.is_ascii_digit() && before(k - 1).is_some_and(|c| c.is_ascii_digit()))
        || (prev == '月' && next == '份')
        || (prev == '第' && (next.is_ascii_digit() || "一二三四五六七八九十".contains(next)))
}

/// The quality of a break the segmenter allows between two words.
fn grade(chars: &[char], k: usize) -> Break {
    let (prev, next) = (chars[k - 1], chars[k]);
    let ends = |s: &str| {
        let s: Vec<char> = s.chars().collect();
        k >= s.len() && chars[k - s.len()..k] == s[..]
    };
    let starts = |s: &str| {
        let s: Vec<char> = s.chars().collect();
        chars.len() >= k + s.len() && chars[k..k + s.len()] == s[..]
    };
    if PAUSES.contains(prev) || ends("关于") {
        Break::Good
    } else if starts("关于")
        || CONJUNCTIONS.contains(prev)
        || CONJUNCTIONS.contains(next)
        || ends("以及")
        || starts("以及")
        || (MEASURES.contains(prev) && k >= 2 && (chars[k - 2].is_ascii_digit() || chars[k - 2] == '月'))
    {
        Break::Fair
    } else {
        Break::Word
    }
}

/// No break inside a short quotation (`“710”`, `“邻里牵手”`).
fn keep_quotes(chars: &[char], at: &mut [Break]) {
    let pairs = [('“', '”'), ('‘', '’'), ('《', '》'), ('（', '）')];
    for (i, &c) in chars.iter().enumerate() {
        let Some(&(_, close)) = pairs.iter().find(|(o, _)| *o == c) else {
            continue;
        };
        let end = chars[i + 1..].iter().take(SHORT_QUOTE + 1).position(|&d| d == close);
        if let Some(len) = end {
            for b in &mut at[i + 1..=i + 1 + len] {
                *b = Break::Never;
            }
        }
    }
}

/// Each of the project's names that occurs in the text is broken only between its words, at a
/// high cost; a break before and after it is allowed where the punctuation rules allow one.
fn keep_names(chars: &[char], names: &[String], at: &mut [Break]) {
    let mut names: Vec<Vec<char>> = names
        .iter()
        .map(|n| n.chars().collect::<Vec<char>>())
        .filter(|n| n.len() >= 2)
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    names.dedup();
    let mut covered = vec![false; chars.len() + 1];
    for name in &names {
        let mut i = 0;
        while i + name.len() <= chars.len() {
            if chars[i..i + name.len()] != name[..] || covered[i + 1..i + name.len()].iter().any(|&c| c) {
                i += 1;
                continue;
            }
            for k in i + 1..i + name.len() {
                covered[k] = true;
                at[k] = at[k].min(Break::Name);
            }
            for k in [i, i + name.len()] {
                if k > 0 && k < chars.len() && at[k] == Break::Never && !forbidden(chars, k) {
                    at[k] = grade(chars, k);
                }
            }
            i += name.len();
        }
    }
}

impl Segmented {
    /// The text in words: pieces between places where a line may break.
    pub(crate) fn words(&self) -> Vec<String> {
        let mut words = Vec::new();
        let mut start = 0;
        for k in 1..=self.chars.len() {
            if self.at[k] > Break::Never {
                words.push(self.chars[start..k].iter().collect());
                start = k;
            }
        }
        words
    }

    /// The word around place `k` that a break there would split (from the nearest places where a
    /// break is fine on either side).
    pub(crate) fn word_at(&self, k: usize) -> String {
        let fine = |b: Break| b > Break::Name;
        let start = (0..k).rev().find(|&i| fine(self.at[i])).unwrap_or(0);
        let end = (k + 1..=self.chars.len())
            .find(|&i| fine(self.at[i]))
            .unwrap_or(self.chars.len());
        self.chars[start..end].iter().collect()
    }
}

/// Closing marks that may follow a lone character on its line (`局。` is still one character).
const TRAILING: &str = "，。、；：？！”’）》〉】」』…)%";

/// Opening marks, which never end a line.
const LEADING: &str = "“‘（《〈【「『(";

/// Whether `line` is a single character, with at most closing marks after it.
fn lone(line: &str) -> bool {
    line.trim().trim_end_matches(|c| TRAILING.contains(c)).chars().count() == 1
}

/// The width of `text` at `size` pt as a table cell sets it: a Chinese character or mark a full
/// em, Latin letters and figures half, a quarter em between Chinese and Latin.
pub(crate) fn width(text: &str, size: f64) -> f64 {
    let mut w = 0.0;
    let mut prev: Option<bool> = None;
    for c in text.chars() {
        let latin = c.is_ascii();
        w += if latin { size / 2.0 } else { size };
        if prev.is_some_and(|p| p != latin) && c.is_alphanumeric() {
            w += size / 4.0;
        }
        prev = Some(latin);
    }
    w
}

/// `words` in the lines a cell `room` pt wide holds at `size` pt: filled word by word (a word
/// wider than the cell broken between its characters, never before a closing mark or after an
/// opening one), and no line of a single character: the word before it moves down when the two
/// fit, else a character of the line before. The PDF, the Word file and the workbook all print a
/// table's header in these lines.
pub(crate) fn cell_lines(words: &[String], room: f64, size: f64) -> Vec<String> {
    let pieces: Vec<String> = words.iter().flat_map(|w| fitting(w, room, size)).collect();
    let mut lines: Vec<Vec<String>> = vec![Vec::new()];
    for w in pieces {
        let last = lines.last_mut().expect("one line at least");
        if !last.is_empty() && width(&(last.concat() + &w), size) > room {
            lines.push(vec![w]);
        } else {
            last.push(w);
        }
    }
    for k in 1..lines.len() {
        if !lone(&lines[k].concat()) {
            continue;
        }
        let word_down = lines[k - 1].len() > 1;
        let moved = if word_down {
            lines[k - 1].last().cloned().unwrap_or_default()
        } else {
            // One word above: its last character comes down instead.
            lines[k - 1]
                .concat()
                .chars()
                .last()
                .map(String::from)
                .unwrap_or_default()
        };
        let above = lines[k - 1].concat().chars().count();
        if width(&(moved.clone() + &lines[k].concat()), size) > room || (!word_down && above < 3) {
            continue;
        }
        if word_down {
            lines[k - 1].pop();
        } else {
            let keep: String = lines[k - 1].concat().chars().take(above - 1).collect();
            lines[k - 1] = vec![keep];
        }
        lines[k].insert(0, moved);
    }
    lines
        .into_iter()
        .map(|l| l.concat())
        .filter(|l| !l.is_empty())
        .collect()
}

/// A word in pieces that fit `room`: itself when it fits, else its characters in runs as long as
/// fit, a closing mark kept with the character before it and an opening mark with the one after.
fn fitting(word: &str, room: f64, size: f64) -> Vec<String> {
    if width(word, size) <= room {
        return vec![word.to_string()];
    }
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for c in word.chars() {
        let tied = TRAILING.contains(c) || line.chars().last().is_some_and(|p| LEADING.contains(p));
        if !line.is_empty() && !tied && width(&format!("{line}{c}"), size) > room {
            out.push(std::mem::take(&mut line));
        }
        line.push(c);
    }
    out.push(line);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str, names: &[&str]) -> Vec<String> {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        segment(text, &names).words()
    }

    #[test]
    fn numbers_dates_and_quotations_stay_whole() {
        let w = words("关于2023年10-11月份“710”政务督办系统运行情况的通报", &[]);
        assert!(w.contains(&"2023年10-11月份".to_string()), "{w:?}");
        assert!(w.iter().any(|w| w.starts_with("“710”")), "{w:?}");
        assert!(w.contains(&"运行".to_string()), "{w:?}");
        // A particle never starts a line, a closing mark never does.
        assert!(w.iter().all(|w| !w.starts_with('的') && !w.starts_with('”')), "{w:?}");
        let w = words("交办工作任务52项，按期办结率100%。", &[]);
        assert!(w.iter().any(|w| w.starts_with("52项")), "{w:?}");
        assert!(w.iter().any(|w| w.starts_with("100%")), "{w:?}");
    }

    #[test]
    fn a_word_wider_than_its_cell_breaks_without_a_lone_character() {
        let ws = |t: &[&str]| t.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        // Two characters a line: 县市区 would leave 区 alone, 所属县市区 too.
        assert_eq!(cell_lines(&ws(&["县市区"]), 25.0, 12.0), ["县市", "区"]);
        assert_eq!(cell_lines(&ws(&["所属", "县市区"]), 38.0, 12.0), ["所属", "县市区"]);
        assert_eq!(cell_lines(&ws(&["政府组成部门"]), 38.0, 12.0), ["政府组", "成部门"]);
        assert_eq!(cell_lines(&ws(&["单位名称代号"]), 51.6, 12.0), ["单位名称", "代号"]);
        assert_eq!(cell_lines(&ws(&["单位名称号"]), 51.6, 12.0), ["单位名", "称号"]);
        // A closing mark stays with its character.
        assert_eq!(cell_lines(&ws(&["（县市区）"]), 38.0, 12.0), ["（县", "市区）"]);
    }

    #[test]
    fn a_cell_fills_its_lines_by_words_and_leaves_no_character_alone() {
        let ws = |t: &[&str]| t.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        // Three characters a line: 平均用 / 时 would leave 时 alone.
        assert_eq!(
            cell_lines(&ws(&["平均", "用", "时", "（天）"]), 38.0, 12.0),
            ["平均", "用时", "（天）"]
        );
        assert_eq!(
            cell_lines(&ws(&["本月", "投诉", "（条）"]), 38.0, 12.0),
            ["本月", "投诉", "（条）"]
        );
        assert_eq!(cell_lines(&ws(&["满意率", "（%）"]), 38.0, 12.0), ["满意率", "（%）"]);
        assert_eq!(cell_lines(&ws(&["序号"]), 38.0, 12.0), ["序号"]);
        assert_eq!(cell_lines(&ws(&["延期数", "（条）"]), 38.0, 12.0), ["延期数", "（条）"]);
    }

    #[test]
    fn names_break_only_between_their_words_and_dearly() {
        let office = "西宁市城中区人民政府办公室";
        let s = segment(&format!("{office}关于印发通知的通报"), &[office.to_string()]);
        let inside: Vec<Break> = s.at[1..office.chars().count()].to_vec();
        assert!(inside.iter().all(|b| *b <= Break::Name), "{inside:?}");
        assert!(inside.contains(&Break::Name), "{inside:?}");
        assert_eq!(s.at[office.chars().count() + 2], Break::Good, "after 关于");
        assert_eq!(s.word_at(3), office);
    }

    #[test]
    fn a_break_beside_a_lone_character_is_dearer_than_between_words() {
        // jieba's dictionary has no 工单: 工 / 单 is a fragment, not a word boundary.
        let s = segment("热线工单办理情况", &[]);
        let chars: Vec<char> = s.chars.clone();
        let at = |word: &str| {
            let w: Vec<char> = word.chars().collect();
            (0..chars.len()).find(|&i| chars[i..].starts_with(&w)).unwrap()
        };
        assert_eq!(s.at[at("单")], Break::Fragment);
        assert_eq!(s.at[at("办理")], Break::Fragment, "after 单");
        assert_eq!(s.at[at("情况")], Break::Word);
    }

    #[test]
    fn any_text_segments_without_panicking() {
        for text in ["", "“", "（（（", "2023年", "a", "通报”“", "\u{0}x", "第", "年3"] {
            let s = segment(text, &[text.to_string()]);
            assert_eq!(s.at.len(), s.chars.len() + 1);
            assert_eq!(s.words().concat(), text);
        }
    }
}
