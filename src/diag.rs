//! One diagnostic type for every stage, rendered for terminals (Chinese, rustc-style snippet with a
//! caret aligned under CJK text) and as JSON for editors and CI.
//!
//! Stages never print: they return [`Diagnostic`]s, and the command decides how to show them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use unicode_width::UnicodeWidthChar;

mod codes;
pub use codes::Code;

/// A text file read from the project, kept so that diagnostics can quote its lines.
#[derive(Debug)]
pub struct Source {
    /// Path relative to the project root (what users see in messages).
    pub path: PathBuf,
    /// The decoded text (UTF-8, BOM removed, line ends as in the file).
    pub text: String,
    /// A spreadsheet: places are cells (line = row, column = column, both from 1) and are shown as
    /// `B7`; the text holds the rows, one a line, their cells separated by tabs.
    pub sheet: bool,
}

impl Source {
    /// Wraps a file's path and text.
    pub fn new(path: impl Into<PathBuf>, text: impl Into<String>) -> Arc<Source> {
        Arc::new(Source {
            path: path.into(),
            text: text.into(),
            sheet: false,
        })
    }

    /// A spreadsheet's rows as a source (each row a line, cells separated by tabs).
    pub(crate) fn sheet(path: impl Into<PathBuf>, rows: impl IntoIterator<Item = String>) -> Arc<Source> {
        Arc::new(Source {
            path: path.into(),
            text: rows.into_iter().collect::<Vec<_>>().join("\n"),
            sheet: true,
        })
    }

    /// The text of 1-based line `line`, without its line end.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        self.text
            .lines()
            .nth(line.checked_sub(1)?)
            .map(|l| l.trim_end_matches('\r'))
    }

    /// 1-based line and character column of a byte offset.
    pub fn line_col(&self, byte: usize) -> (usize, usize) {
        let byte = byte.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, byte)];
        let line = before.matches('\n').count() + 1;
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[start..].chars().count() + 1)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A place in a source file: 1-based line and column (in characters) and a length in characters.
#[derive(Debug, Clone)]
pub struct Loc {
    pub src: Arc<Source>,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub col: usize,
    /// Length in characters (at least 1 when rendered).
    pub len: usize,
}

impl Loc {
    /// The location of a whole file (line 1, column 1), for problems that have no better place.
    pub fn file(src: &Arc<Source>) -> Loc {
        Loc {
            src: src.clone(),
            line: 1,
            col: 1,
            len: 0,
        }
    }
}

/// How bad a diagnostic is: errors stop a build, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Stops `build`; `check` exits with 1.
    Error,
    /// Printed, but the build goes on.
    Warning,
}

/// One problem found in the project, with where it is and how to fix it.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable short code (e.g. `unit-unknown`), for scripts and the docs.
    pub code: Code,
    /// What is wrong, in Chinese.
    pub message: String,
    /// File relative to the project root, if the problem is in a file.
    pub file: Option<PathBuf>,
    /// 1-based line, 0 if unknown.
    pub line: usize,
    /// 1-based column in characters, 0 if unknown.
    pub column: usize,
    /// Length of the offending text in characters.
    #[serde(skip)]
    pub len: usize,
    /// The offending line of the file, quoted under the message.
    #[serde(skip)]
    pub snippet: Option<String>,
    /// In a spreadsheet: the cell, as `B7`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<String>,
    /// How to fix it, in Chinese.
    pub help: Option<String>,
    /// What a library (minijinja, Typst, zip, csv …) said, in its own words, kept beside the
    /// Chinese message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, loc: &Loc, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(Severity::Error, code, loc, message)
    }

    pub fn warning(code: Code, loc: &Loc, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(Severity::Warning, code, loc, message)
    }

    /// A diagnostic of the given severity at `loc`.
    pub fn at(severity: Severity, code: Code, loc: &Loc, message: impl Into<String>) -> Diagnostic {
        let sheet = loc.src.sheet;
        Diagnostic {
            severity,
            code,
            message: message.into(),
            file: Some(loc.src.path.clone()),
            // A problem of a whole sheet has no cell to point at.
            line: if sheet && loc.len == 0 { 0 } else { loc.line },
            column: if sheet && loc.len == 0 { 0 } else { loc.col },
            len: loc.len,
            snippet: if sheet {
                None
            } else {
                loc.src.line_text(loc.line).map(str::to_owned)
            },
            cell: (sheet && loc.len > 0 && loc.line > 0 && loc.col > 0)
                .then(|| cell_address(loc.line - 1, loc.col - 1)),
            help: None,
            detail: None,
        }
    }

    /// A diagnostic that belongs to no file (a missing folder, an I/O failure).
    pub fn general(severity: Severity, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            file: None,
            line: 0,
            column: 0,
            len: 0,
            snippet: None,
            cell: None,
            help: None,
            detail: None,
        }
    }

    /// A diagnostic about a file as a whole (no line to point at).
    pub fn in_file(severity: Severity, code: Code, file: &Path, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: Some(file.to_path_buf()),
            ..Diagnostic::general(severity, code, message)
        }
    }

    /// The same diagnostic under another code (a shared message in another context).
    pub fn with_code(mut self, code: Code) -> Diagnostic {
        self.code = code;
        self
    }

    /// Adds a hint on how to fix the problem.
    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Keeps what a library reported, in its own words, beside the Chinese message.
    pub fn detail(mut self, detail: impl Into<String>) -> Diagnostic {
        self.detail = Some(detail.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the diagnostic, rustc style, in Chinese, without colour (for files, the preview
    /// page and tests).
    pub fn render(&self) -> String {
        self.render_with(Paint::PLAIN)
    }

    /// Renders the diagnostic for stderr, coloured when the command line's colour choice
    /// ([`set_colour`]) says so.
    pub(crate) fn to_terminal(&self) -> String {
        self.render_with(Paint::chosen())
    }

    fn render_with(&self, paint: Paint) -> String {
        let mut out = String::new();
        let (label, style) = match self.severity {
            Severity::Error => ("错误", paint.error),
            Severity::Warning => ("警告", paint.warning),
        };
        let bold = paint.bold;
        let _ = writeln!(
            out,
            "{style}{label}[{}]{style:#}：{bold}{}{bold:#}",
            self.code, self.message
        );
        let gutter = paint.gutter;
        if let Some(file) = &self.file {
            let path = file.display().to_string().replace('\\', "/");
            if let Some(cell) = &self.cell {
                let _ = writeln!(out, "  {gutter}-->{gutter:#} {path} 单元格 {cell}");
            } else if self.line > 0 {
                let _ = writeln!(out, "  {gutter}-->{gutter:#} {path}:{}:{}", self.line, self.column);
            } else {
                let _ = writeln!(out, "  {gutter}-->{gutter:#} {path}");
            }
        }
        if let (Some(full), true) = (&self.snippet, self.line > 0) {
            let (snippet, column) = window(full, self.column);
            let snippet = &snippet;
            let num = self.line.to_string();
            let pad = " ".repeat(num.len());
            let _ = writeln!(out, "{gutter}{pad} |{gutter:#}");
            let _ = writeln!(out, "{gutter}{num} |{gutter:#} {}", snippet.replace('\t', " "));
            let (indent, width) = caret_extent(snippet, column, self.len);
            let carets = "^".repeat(width.max(1));
            let _ = writeln!(
                out,
                "{gutter}{pad} |{gutter:#} {}{style}{carets}{style:#}",
                " ".repeat(indent)
            );
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  {gutter}={gutter:#} {}提示{:#}：{help}", paint.help, paint.help);
        }
        if let Some(detail) = &self.detail {
            let _ = writeln!(out, "  = 原文：{}", shorten(&detail.replace('\n', " "), 300));
        }
        out
    }
}

/// The styles of a rendered diagnostic; all plain when colour is off.
#[derive(Clone, Copy)]
pub(crate) struct Paint {
    pub error: anstyle::Style,
    pub warning: anstyle::Style,
    pub bold: anstyle::Style,
    gutter: anstyle::Style,
    help: anstyle::Style,
}

static COLOUR: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sets, once per run, whether what goes to the terminal is coloured (the command line's
/// `--color` resolved with `NO_COLOR` and the terminal test, by `args::colour`).
pub(crate) fn set_colour(on: bool) {
    COLOUR.store(on, std::sync::atomic::Ordering::Relaxed);
}

impl Paint {
    const PLAIN: Paint = Paint {
        error: anstyle::Style::new(),
        warning: anstyle::Style::new(),
        bold: anstyle::Style::new(),
        gutter: anstyle::Style::new(),
        help: anstyle::Style::new(),
    };

    /// The styles for stderr, as the run's colour choice says.
    pub(crate) fn chosen() -> Paint {
        use anstyle::AnsiColor::{Blue, Cyan, Red, Yellow};
        if !COLOUR.load(std::sync::atomic::Ordering::Relaxed) {
            return Paint::PLAIN;
        }
        Paint {
            error: Red.on_default().bold(),
            warning: Yellow.on_default().bold(),
            bold: anstyle::Style::new().bold(),
            gutter: Blue.on_default().bold(),
            help: Cyan.on_default().bold(),
        }
    }
}

/// At most 100 characters of a long line around `column`, with the column adjusted to match.
fn window(line: &str, column: usize) -> (String, usize) {
    const WIDTH: usize = 100;
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= WIDTH {
        return (line.to_string(), column);
    }
    let start = column
        .saturating_sub(1)
        .saturating_sub(WIDTH / 2)
        .min(chars.len() - WIDTH);
    let mut text: String = chars[start..start + WIDTH].iter().collect();
    let mut column = column - start;
    if start > 0 {
        text.insert(0, '…');
        column += 1;
    }
    if start + WIDTH < chars.len() {
        text.push('…');
    }
    (text, column)
}

/// `B7` for row 6, column 1 (0-based): a cell as spreadsheets name it.
pub fn cell_address(row: usize, col: usize) -> String {
    let mut letters = String::new();
    let mut c = col + 1;
    while c > 0 {
        let r = (c - 1) % 26;
        letters.insert(0, (b'A' + r as u8) as char);
        c = (c - 1) / 26;
    }
    format!("{letters}{}", row + 1)
}

/// Display columns before the caret and the caret's width, counting CJK characters as two columns.
fn caret_extent(line: &str, col: usize, len: usize) -> (usize, usize) {
    let width = |c: char| if c == '\t' { 1 } else { c.width().unwrap_or(0) };
    let indent = line.chars().take(col.saturating_sub(1)).map(width).sum();
    let span = line
        .chars()
        .skip(col.saturating_sub(1))
        .take(len.max(1))
        .map(width)
        .sum::<usize>();
    (indent, span.max(1))
}

pub fn counts(diags: &[Diagnostic]) -> (usize, usize) {
    let errors = diags.iter().filter(|d| d.is_error()).count();
    (errors, diags.len() - errors)
}

/// Sorts diagnostics by file, line and column, errors first on the same spot.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| (&a.file, a.line, a.column, a.severity).cmp(&(&b.file, b.line, b.column, b.severity)));
}

/// Renders all diagnostics as a JSON array (one object per diagnostic).
pub fn to_json(diags: &[Diagnostic]) -> String {
    serde_json::to_string_pretty(diags).unwrap_or_else(|_| "[]".into())
}

/// The closest candidates to `word` among `candidates` (edit distance on characters), best first.
pub fn suggestions<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>, max: usize) -> Vec<&'a str> {
    let len = word.chars().count();
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| {
            let dist = strsim::generic_levenshtein(&word.chars().collect::<Vec<_>>(), &c.chars().collect::<Vec<_>>());
            let longest = len.max(c.chars().count()).max(1);
            let common = c.chars().filter(|ch| word.contains(*ch)).count();
            // Distance relative to length, with a bonus for shared characters (Chinese names often
            // differ by an inserted or dropped word, e.g. 区自然资源局 / 区自然资源和林业局).
            (dist as f64 / longest as f64 - common as f64 / (longest as f64 * 4.0), c)
        })
        .filter(|(score, _)| *score < 0.5)
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
    scored.into_iter().take(max).map(|(_, c)| c).collect()
}

/// A hint naming the nearest candidates ("是否应为…？"), or listing them all under `label`.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>, label: &str) -> String {
    let all: Vec<&str> = candidates.into_iter().collect();
    let near = suggestions(word, all.iter().copied(), 3);
    if near.is_empty() {
        format!("{label}：{}", quote_list(&all))
    } else {
        format!("是否应为{}？", quote_list(&near))
    }
}

/// A path for a message: at most `max` characters, the middle cut out (the file name at the end
/// is what tells files apart).
pub fn shorten_path(path: &Path, max: usize) -> String {
    let text = path.display().to_string();
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= max {
        return text;
    }
    let keep = max.saturating_sub(1) / 2;
    let head: String = chars[..keep].iter().collect();
    let tail: String = chars[chars.len() - keep..].iter().collect();
    format!("{head}…{tail}")
}

/// At most `max` characters of `text`, with `…` where it was cut: user input quoted in a message
/// (an argument, a cell) never floods the terminal.
/// Names joined with 、, at most `max` of them, then how many there are in all (`甲、乙 等 7 个`).
pub(crate) fn listing(items: &[String], max: usize) -> String {
    if items.len() > max {
        format!("{} 等 {} 个", items[..max].join("、"), items.len())
    } else {
        items.join("、")
    }
}

pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Formats suggestions as “甲”、“乙”.
pub fn quote_list(items: &[&str]) -> String {
    items.iter().map(|s| format!("“{s}”")).collect::<Vec<_>>().join("、")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes are written as `Code` variants, never as strings: no string literal in `src/` is a
    /// code's name (but the table's own), so a code cannot be misspelt past the compiler.
    #[test]
    fn codes_are_never_strings() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let names: std::collections::BTreeSet<&str> = Code::ALL
            .iter()
            .map(|c| c.as_str())
            .filter(|c| c.contains('-'))
            .collect();
        let mut found = Vec::new();
        for entry in walkdir::WalkDir::new(src).into_iter().filter_map(Result::ok) {
            let path = entry.path();
            if path.extension().is_none_or(|x| x != "rs") || path.ends_with("diag/codes.rs") {
                continue;
            }
            let text = std::fs::read_to_string(path).unwrap();
            for literal in text.split('"').skip(1).step_by(2) {
                if names.contains(literal) {
                    found.push(format!("{}: \"{literal}\"", path.display()));
                }
            }
        }
        assert!(found.is_empty(), "codes written as strings: {found:?}");
    }

    #[test]
    fn every_code_has_a_name_and_an_explanation() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert!(!code.name().is_empty() && code.about().ends_with('。'), "{code}");
        }
    }

    #[test]
    fn caret_is_aligned_under_cjk_text() {
        let src = Source::new("data/x.yaml", "  - {单位: 区自然资源和农业局, 邮箱: 1}\n");
        let loc = Loc {
            src,
            line: 1,
            col: 10,
            len: 9,
        };
        let text = Diagnostic::error(Code::UnitUnknown, &loc, "单位不在名录中").render();
        let lines: Vec<&str> = text.lines().collect();
        // "  - {单位: " is 6 ASCII + 2 CJK (4 columns) + ": " = 10 display columns before the name.
        assert_eq!(lines[3], "1 | ".to_string() + "  - {单位: 区自然资源和农业局, 邮箱: 1}");
        assert_eq!(lines[4], format!("  | {}{}", " ".repeat(11), "^".repeat(18)));
    }

    #[test]
    fn suggests_nearest_unit_names() {
        let names = ["区自然资源和林业局", "区农业农村和乡村振兴局", "区财政局", "区教育局"];
        let got = suggestions("区自然资源和农业局", names, 3);
        assert_eq!(got.first(), Some(&"区自然资源和林业局"));
        assert!(suggestions("完全无关的名字", names, 3).is_empty());
    }

    #[test]
    fn line_col_counts_characters() {
        let src = Source::new("a", "甲乙\n丙丁x");
        let byte = "甲乙\n丙丁".len();
        assert_eq!(src.line_col(byte), (2, 3));
    }
}
