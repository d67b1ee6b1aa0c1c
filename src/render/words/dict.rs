//! The word segmenter: jieba's dictionary segmentation without its HMM for unknown words (the
//! method and dictionary of jieba-rs, whose `cut(text, false)` this gives word for word; a test
//! compares the two), over a table the build makes from the dictionary (`build.rs`), so nothing is
//! loaded when a run starts: loading jieba-rs's own dictionary took about 100 ms of every `check`
//! and `build`.
//!
//! How jieba segments: the text is split into runs of Chinese characters, ASCII letters and
//! digits and `+#&._%-` (everything else is a word of one character, `\r\n` one of two); in a run,
//! every dictionary word starting at each character is an edge of a graph, and the path through the
//! run with the largest sum of the words' log-frequencies is taken (a character starting no word is
//! a word of frequency 1). Single ASCII letters and digits the path leaves next to each other are
//! joined into one word.

use std::ops::Range;

/// The table `build.rs` writes: counts, then offsets, frequencies and the words' bytes.
static TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/dict.bin"));

/// The dictionary table, read in place.
struct Dict {
    count: usize,
    /// The longest word, in characters.
    longest: usize,
    /// ln of the sum of all frequencies.
    log_total: f64,
    offsets: &'static [u8],
    freqs: &'static [u8],
    words: &'static [u8],
}

fn u32_at(bytes: &[u8], i: usize) -> u32 {
    let at = i * 4;
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

impl Dict {
    fn get() -> Dict {
        let head = |at: usize| u32_at(&TABLE[at..], 0) as usize;
        let count = head(0);
        let longest = head(4);
        let mut total = [0u8; 8];
        total.copy_from_slice(&TABLE[8..16]);
        let offsets_at = 16;
        let freqs_at = offsets_at + (count + 1) * 4;
        let words_at = freqs_at + count * 4;
        Dict {
            count,
            longest,
            log_total: (u64::from_le_bytes(total) as f64).ln(),
            offsets: &TABLE[offsets_at..freqs_at],
            freqs: &TABLE[freqs_at..words_at],
            words: &TABLE[words_at..],
        }
    }

    fn word(&self, i: usize) -> &'static [u8] {
        &self.words[u32_at(self.offsets, i) as usize..u32_at(self.offsets, i + 1) as usize]
    }

    /// The words of `text` starting at its first byte, as (end, frequency), shortest first: the
    /// table's range of words beginning with the text's first characters narrows a character at a
    /// time (the words are sorted by their bytes), and stops as soon as no word begins so.
    fn prefixes(&self, text: &[u8], ends: impl Iterator<Item = usize>) -> Vec<(usize, u32)> {
        let mut found = Vec::new();
        let (mut lo, mut hi) = (0, self.count);
        for end in ends {
            let prefix = &text[..end];
            // The first word not below the prefix, and the first past every word it begins.
            lo += self.partition(lo, hi, |w| w < prefix);
            hi = lo + self.partition(lo, hi, |w| w.starts_with(prefix) || w < prefix);
            if lo == hi {
                break;
            }
            if self.word(lo) == prefix {
                found.push((end, u32_at(self.freqs, lo)));
            }
        }
        found
    }

    /// How many words of `lo..hi` (sorted) come before the first for which `before` is false.
    fn partition(&self, lo: usize, hi: usize, before: impl Fn(&[u8]) -> bool) -> usize {
        let (mut a, mut b) = (lo, hi);
        while a < b {
            let mid = a + (b - a) / 2;
            if before(self.word(mid)) {
                a = mid + 1;
            } else {
                b = mid;
            }
        }
        a - lo
    }
}

/// Characters that make up the runs segmented by the dictionary (jieba's `RE_HAN_DEFAULT`).
fn in_run(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || matches!(c, '+' | '#' | '&' | '.' | '_' | '%' | '-');
    }
    matches!(c,
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2A6DF}'
        | '\u{2A700}'..='\u{2B73F}'
        | '\u{2B740}'..='\u{2B81F}'
        | '\u{2B820}'..='\u{2CEAF}'
        | '\u{2CEB0}'..='\u{2EBEF}'
        | '\u{2F800}'..='\u{2FA1F}'
    )
}

/// The words of `text`, as ranges of character indices, in order and covering the text.
pub(crate) fn cut(text: &str) -> Vec<Range<usize>> {
    let dict = Dict::get();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut words = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let run = in_run(chars[start].1);
        let end = (start..chars.len())
            .find(|&k| in_run(chars[k].1) != run)
            .unwrap_or(chars.len());
        if run {
            cut_run(&dict, text, &chars, start..end, &mut words);
        } else {
            let mut k = start;
            while k < end {
                let pair = chars[k].1 == '\r' && k + 1 < end && chars[k + 1].1 == '\n';
                let next = k + if pair { 2 } else { 1 };
                words.push(k..next);
                k = next;
            }
        }
        start = end;
    }
    words
}

/// One step of the best path: where the word starting here ends, and the path's score from here.
#[derive(Clone, Copy)]
struct Step {
    score: f64,
    end: usize,
}

/// Segments the run `run` (character indices into `chars`) by the best path through its words.
fn cut_run(dict: &Dict, text: &str, chars: &[(usize, char)], run: Range<usize>, words: &mut Vec<Range<usize>>) {
    let byte = |k: usize| chars.get(k).map_or(text.len(), |(b, _)| *b);
    let (first, n) = (run.start, run.end);
    let mut route = vec![Step { score: 0.0, end: n }; n - first + 1];
    let at = |k: usize| k - first;
    for idx in (first..n).rev() {
        let mut best: Option<Step> = None;
        let from = byte(idx);
        let ends = (idx + 1..=n.min(idx + dict.longest)).map(|end| byte(end) - from);
        for (len, freq) in dict.prefixes(&text.as_bytes()[from..], ends) {
            let end = chars.partition_point(|(b, _)| *b < from + len);
            let score = f64::from(freq).ln() - dict.log_total + route[at(end)].score;
            if best.is_none_or(|b| score > b.score || (score == b.score && end > b.end)) {
                best = Some(Step { score, end });
            }
        }
        route[at(idx)] = best.unwrap_or(Step {
            score: -dict.log_total + route[at(idx + 1)].score,
            end: idx + 1,
        });
    }
    // Single ASCII letters and digits next to each other on the path make one word.
    let mut x = first;
    let mut letters: Option<usize> = None;
    while x < n {
        let y = route[at(x)].end;
        if y - x == 1 && chars[x].1.is_ascii_alphanumeric() {
            letters.get_or_insert(x);
        } else {
            if let Some(from) = letters.take() {
                words.push(from..x);
            }
            words.push(x..y);
        }
        x = y;
    }
    if let Some(from) = letters {
        words.push(from..n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words as jieba-rs cuts them with its own dictionary, without the HMM.
    fn jieba(text: &str) -> Vec<Range<usize>> {
        static JIEBA: std::sync::LazyLock<jieba_rs::Jieba> = std::sync::LazyLock::new(jieba_rs::Jieba::new);
        JIEBA.cut(text, false).into_iter().map(|t| t.start..t.end).collect()
    }

    fn words(text: &str, cut: &[Range<usize>]) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        cut.iter().map(|r| chars[r.clone()].iter().collect()).collect()
    }

    /// Every line of the seed circular and of the shipped months' texts and tables, cut as jieba-rs
    /// cuts them.
    #[test]
    fn cuts_the_shipped_texts_as_jieba_does() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut lines = 0;
        let files = walkdir::WalkDir::new(root.join("data"))
            .into_iter()
            .chain(walkdir::WalkDir::new(root.join("tests/fixtures")))
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file());
        for entry in files {
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            for line in text.lines() {
                lines += 1;
                assert_eq!(words(line, &cut(line)), words(line, &jieba(line)), "{line}");
            }
        }
        assert!(lines > 500, "{lines} lines");
    }

    #[test]
    fn joins_letters_and_keeps_line_ends() {
        for text in [
            "ABC12计划",
            "a\r\nb",
            "“710”政务督办系统",
            "2023年3-4月份",
            "x+y=z",
            "",
            "　",
        ] {
            assert_eq!(words(text, &cut(text)), words(text, &jieba(text)), "{text}");
        }
    }

    proptest::proptest! {
        #![proptest_config(crate::limits::fuzz_config(8))]

        /// Random texts of Chinese words and characters, letters, digits and marks.
        #[test]
        fn cuts_any_text_as_jieba_does(
            text in "([区镇街道办事处政府人民办公室关于工作情况的通报热线网站信息采发率城中西宁市和及与年月份项件条一二三四五六七八九十]|[a-zA-Z0-9]|[，。、“”（）：；\\-+#&._% \\n]){0,60}"
        ) {
            proptest::prop_assert_eq!(words(&text, &cut(&text)), words(&text, &jieba(&text)));
        }
    }
}
