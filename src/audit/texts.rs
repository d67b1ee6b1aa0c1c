//! The month's text across revisions, compared piece by piece with an inline character diff.

use serde::Serialize;

/// A changed text of a month's document.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TextChange {
    pub month: String,
    /// Which file and line (`通报.txt 第12行`).
    pub key: String,
    pub old: Option<String>,
    pub new: Option<String>,
    /// Inline diff: `[-removed-]{+added+}` marks within the text.
    pub inline: String,
}

/// Inline character diff of two texts.
pub(crate) fn inline_diff(old: &str, new: &str) -> String {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::from_chars(old, new);
    let mut out = String::new();
    let mut tag = ChangeTag::Equal;
    for change in diff.iter_all_changes() {
        if change.tag() != tag {
            out.push_str(match tag {
                ChangeTag::Delete => "-]",
                ChangeTag::Insert => "+}",
                ChangeTag::Equal => "",
            });
            out.push_str(match change.tag() {
                ChangeTag::Delete => "[-",
                ChangeTag::Insert => "{+",
                ChangeTag::Equal => "",
            });
            tag = change.tag();
        }
        out.push_str(change.value());
    }
    out.push_str(match tag {
        ChangeTag::Delete => "-]",
        ChangeTag::Insert => "+}",
        ChangeTag::Equal => "",
    });
    out
}

/// Compares two versions of one of a month's text files (`通报.txt`, `document.yaml`) line by
/// line: each changed line is one change, keyed by file and line number, with an inline diff.
pub(crate) fn document_diff(month: &str, file: &str, old: Option<&str>, new: Option<&str>) -> Vec<TextChange> {
    use similar::{DiffOp, TextDiff};
    let (old, new) = (old.unwrap_or(""), new.unwrap_or(""));
    let diff = TextDiff::from_lines(old, new);
    let (before, after): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let mut out = Vec::new();
    let mut push = |line: usize, o: Option<&str>, n: Option<&str>| {
        let (o, n) = (
            o.map(str::trim).filter(|s| !s.is_empty()),
            n.map(str::trim).filter(|s| !s.is_empty()),
        );
        if o.is_none() && n.is_none() {
            return;
        }
        out.push(TextChange {
            month: month.to_string(),
            key: format!("{file} 第{line}行"),
            inline: inline_diff(o.unwrap_or(""), n.unwrap_or("")),
            old: o.map(str::to_string),
            new: n.map(str::to_string),
        });
    };
    for op in diff.ops() {
        match *op {
            DiffOp::Equal { .. } => {}
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } => {
                for i in 0..old_len {
                    push(new_index + 1, before.get(old_index + i).copied(), None);
                }
            }
            DiffOp::Insert { new_index, new_len, .. } => {
                for i in 0..new_len {
                    push(new_index + i + 1, None, after.get(new_index + i).copied());
                }
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                for i in 0..old_len.max(new_len) {
                    let o = (i < old_len).then(|| before.get(old_index + i).copied()).flatten();
                    let n = (i < new_len).then(|| after.get(new_index + i).copied()).flatten();
                    push(new_index + i.min(new_len.saturating_sub(1)) + 1, o, n);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_lines_are_changes() {
        let d = document_diff(
            "2023-03",
            "通报.txt",
            Some("标题\n\n满意率较低。\n其他\n"),
            Some("标题\n\n满意率很低。\n其他\n新段。\n"),
        );
        let got: Vec<(&str, &str)> = d.iter().map(|c| (c.key.as_str(), c.inline.as_str())).collect();
        assert_eq!(
            got,
            [
                ("通报.txt 第3行", "满意率[-较-]{+很+}低。"),
                ("通报.txt 第5行", "{+新段。+}")
            ]
        );
    }

    #[test]
    fn inline_diffs_mark_changes() {
        assert_eq!(inline_diff("满意率较低", "满意率很低"), "满意率[-较-]{+很+}低");
        assert_eq!(inline_diff("", "新"), "{+新+}");
    }
}
