//! A month's table file as text: the one writer of month-table YAML (`import`, `new`, `init` all
//! write through [`TableFile::to_yaml`], with one quoting rule), and the reading of an existing
//! file's parts that a rewrite keeps (its comments, its 概况, each unit's comment). What the
//! writer writes, [`super::month::parse_table`] reads back as the same units and figures (tested
//! below, round trip).
//!
//! ```yaml
//! # yaml-language-server: $schema=…        ← header: comment lines, kept
//! 概况: {交办任务: 59, 按期办结: 59}
//! 行:
//!   - {单位: 区教育局, 本月: 12, 办结: 12}  # a unit's comment, kept with the unit
//! 合计: {本月: 1164}                        ← a stated total
//! ```

use std::collections::BTreeMap;

/// A month table file's parts, each value as the file writes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct TableFile {
    /// The comment lines before the figures (a schema modeline, what the file is).
    pub header: Vec<String>,
    /// The 概况 figures (key, value as written).
    pub headlines: Vec<(String, String)>,
    pub rows: Vec<RowText>,
    /// A stated 合计 (key, value as written), if any.
    pub total: Vec<(String, String)>,
    /// Comment lines after the rows.
    pub tail: Vec<String>,
}

/// One row: the unit, its cells (key, value as written) and a comment after it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct RowText {
    pub unit: String,
    pub cells: Vec<(String, String)>,
    pub comment: Option<String>,
}

impl TableFile {
    /// Reads the parts of a table file in the form tongbao writes (flow mappings one a line):
    /// comments before and after the rows, 概况, each row with its comment, 合计. Lines in another
    /// form are left out.
    pub(crate) fn read(text: &str) -> TableFile {
        let mut file = TableFile::default();
        let mut section = Section::Header;
        for line in text.lines() {
            let t = line.trim();
            if let Some(rest) = t.strip_prefix("概况:") {
                file.headlines = pairs(rest).0;
            } else if let Some(rest) = t.strip_prefix("合计:") {
                file.total = pairs(rest).0;
                section = Section::Tail;
            } else if t.starts_with("行:") {
                section = Section::Rows;
            } else if section == Section::Rows && t.starts_with("- ") {
                let (cells, comment) = pairs(&t[2..]);
                let mut row = RowText {
                    comment,
                    ..RowText::default()
                };
                for (k, v) in cells {
                    if k == UNIT {
                        row.unit = v;
                    } else {
                        row.cells.push((k, v));
                    }
                }
                file.rows.push(row);
            } else if t.starts_with('#') || t.is_empty() {
                match section {
                    Section::Header => file.header.push(line.to_string()),
                    Section::Rows | Section::Tail if !file.rows.is_empty() => file.tail.push(line.to_string()),
                    Section::Rows | Section::Tail => {}
                }
            } else if section == Section::Rows {
                section = Section::Tail;
            }
        }
        file
    }

    /// The file's text: the one way a month table is written.
    pub(crate) fn to_yaml(&self) -> String {
        let mut out = String::new();
        for line in &self.header {
            out.push_str(line);
            out.push('\n');
        }
        if !self.headlines.is_empty() {
            out.push_str(&format!("概况: {}\n", flow(&self.headlines)));
        }
        out.push_str("行:\n");
        for row in &self.rows {
            let mut cells = vec![(UNIT.to_string(), row.unit.clone())];
            cells.extend(row.cells.iter().cloned());
            let comment = row
                .comment
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(|c| format!("  # {}", c.replace(['\n', '\r'], " ")))
                .unwrap_or_default();
            out.push_str(&format!("  - {}{comment}\n", flow(&cells)));
        }
        if !self.total.is_empty() {
            out.push_str(&format!("合计: {}\n", flow(&self.total)));
        }
        for line in &self.tail {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    /// Each unit's comment, by unit as written.
    pub(crate) fn comments(&self) -> BTreeMap<String, String> {
        self.rows
            .iter()
            .filter_map(|r| r.comment.clone().map(|c| (r.unit.clone(), c)))
            .collect()
    }
}

/// The key of a row's unit.
const UNIT: &str = "单位";

#[derive(Clone, Copy, PartialEq)]
enum Section {
    Header,
    Rows,
    Tail,
}

/// `{k: v, k: v}` with the values as YAML scalars.
fn flow(pairs: &[(String, String)]) -> String {
    let cells: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}: {}", scalar(k), scalar(v)))
        .collect();
    format!("{{{}}}", cells.join(", "))
}

/// A YAML scalar: plain when it reads back as the same text (figures, names), else double-quoted
/// (JSON's string syntax is YAML's). The one quoting rule of the files tongbao writes.
pub(crate) fn scalar(text: &str) -> String {
    let special = |c: char| ":#{}[],&*!|>'\"%@`?".contains(c) || c.is_control();
    let plain_figure = text
        .parse::<f64>()
        .is_ok_and(|n| n.is_finite() && !text.contains(['e', 'E']));
    let percent = text
        .strip_suffix(['%', '％'])
        .is_some_and(|n| n.parse::<f64>().is_ok_and(f64::is_finite));
    let looks_typed = ["true", "false", "null", "yes", "no", "on", "off", "~", ".nan", ".inf"]
        .contains(&text.to_ascii_lowercase().as_str());
    let edges = text.starts_with(['-', ' ', '\u{3000}']) || text.ends_with([' ', '\u{3000}']);
    if plain_figure || percent || (!text.is_empty() && !text.chars().any(special) && !looks_typed && !edges) {
        text.to_string()
    } else {
        serde_json::to_string(text).unwrap_or_default()
    }
}

/// The `k: v` pairs of a flow mapping at the start of `text` (values unquoted), and the comment
/// after it.
fn pairs(text: &str) -> (Vec<(String, String)>, Option<String>) {
    let text = text.trim();
    let Some(body) = text.strip_prefix('{') else {
        return (Vec::new(), None);
    };
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        rest = rest.trim_start_matches([' ', ',']);
        if let Some(after) = rest.strip_prefix('}') {
            let comment = after
                .trim()
                .strip_prefix('#')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty());
            return (out, comment);
        }
        let (key, after) = token(rest);
        let Some(after) = after.trim_start().strip_prefix(':') else {
            return (out, None);
        };
        let (value, after) = token(after.trim_start());
        out.push((key, value));
        rest = after;
        if rest.is_empty() {
            return (out, None);
        }
    }
}

/// A scalar at the start of `text` (double- or single-quoted, or plain up to `,` `:` `}`), and
/// what follows it.
fn token(text: &str) -> (String, &str) {
    if text.starts_with('"') {
        let mut escaped = false;
        for (i, c) in text.char_indices().skip(1) {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    let value = serde_json::from_str(&text[..=i]).unwrap_or_default();
                    return (value, &text[i + 1..]);
                }
                _ => escaped = false,
            }
        }
        return (text.to_string(), "");
    }
    if let Some(body) = text.strip_prefix('\'') {
        let mut value = String::new();
        let mut chars = body.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                    chars.next();
                    value.push('\'');
                } else {
                    return (value, &body[i + 1..]);
                }
            } else {
                value.push(c);
            }
        }
        return (value, "");
    }
    let end = text
        .char_indices()
        .find(|(i, c)| matches!(c, ',' | '}') || (*c == ':' && text[i + 1..].starts_with([' ', '\t'])))
        .map_or(text.len(), |(i, _)| i);
    (text[..end].trim().to_string(), &text[end..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_what_tongbao_writes_and_keeps_comments() {
        let text = "# 注释\n概况: {交办任务: 59, 按期办结: 待填}\n行:\n  - {单位: 甲, 本月: 2, 办结: 2, 采纳率: 100%}  # 说明\n  - {单位: \"a: b\", 本月: 3}\n合计: {本月: 5}\n# 尾注\n";
        let file = TableFile::read(text);
        assert_eq!(file.header, ["# 注释"]);
        assert_eq!(file.headlines[1], ("按期办结".to_string(), "待填".to_string()));
        assert_eq!(file.rows[0].comment.as_deref(), Some("说明"));
        assert_eq!(file.rows[1].unit, "a: b");
        assert_eq!(file.total, [("本月".to_string(), "5".to_string())]);
        assert_eq!(file.tail, ["# 尾注"]);
        assert_eq!(file.to_yaml(), text);
    }

    /// The shipped month table (12345) of March, as a description to read written files back with.
    fn spec() -> (crate::load::Data, crate::load::TableSpec) {
        let project = crate::project::Project::new(std::path::Path::new(env!("CARGO_MANIFEST_DIR")));
        let (data, _) = crate::load::load(&project, &[]);
        let data = data.expect("the shipped tables load");
        let spec = data.spec("12345").expect("the 12345 table").clone();
        (data, spec)
    }

    proptest! {
        #![proptest_config(crate::limits::fuzz_config(4))]

        /// Whatever the units are called and whatever the figures are, the loader reads back
        /// what the writer wrote, and the reader of parts gives the same file.
        #[test]
        fn what_is_written_loads_back(
            units in prop::collection::vec(
                "[区镇街道局a-z0-9:#{}\\[\\],&*!|>'\"%@`?\\-]([区镇街道局a-z0-9:#{}\\[\\],&*!|>'\"%@`?\\- ]{0,10}[区镇局a-z0-9:#}\\],&*!|>'\"%@`?\\-])?",
                1..6,
            ),
            figures in prop::collection::vec((0u32..100_000, 0u32..100_000), 6),
            comment in proptest::option::of("[说明注a-z]([说明注a-z ]{0,8}[说明注a-z])?"),
        ) {
            let (_, spec) = spec();
            let month = crate::calendar::MonthId { year: 2023, month: 3 };
            let columns: Vec<&crate::load::schema::Column> = spec
                .columns_at(&month)
                .into_iter()
                .filter(|c| c.kind == crate::load::schema::Kind::Count)
                .collect();
            let mut file = TableFile {
                header: vec!["# 测试".into()],
                ..TableFile::default()
            };
            for (unit, (a, b)) in units.iter().zip(&figures) {
                let mut row = RowText { unit: unit.clone(), comment: comment.clone(), ..RowText::default() };
                for (k, col) in columns.iter().enumerate() {
                    row.cells.push((col.key.clone(), (if k % 2 == 0 { a } else { b }).to_string()));
                }
                file.rows.push(row);
            }
            let text = file.to_yaml();
            prop_assert_eq!(&TableFile::read(&text), &file, "{}", text);
            let src = crate::diag::Source::new("data/2023-03/12345.yaml", text.clone());
            let mut diags = Vec::new();
            let table = crate::load::month::parse_table(&src, &spec, &month, &mut diags);
            let table = table.ok_or_else(|| TestCaseError::fail(format!("{diags:?}\n{text}")))?;
            prop_assert_eq!(table.rows.len(), file.rows.len());
            for (read, written) in table.rows.iter().zip(&file.rows) {
                prop_assert_eq!(&read.unit, &written.unit);
                for (key, value) in &written.cells {
                    prop_assert_eq!(read.value(key).map(|n| n.text()), Some(value.clone()));
                }
            }
        }
    }
}
