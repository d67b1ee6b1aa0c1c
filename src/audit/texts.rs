//! The month's text across revisions, compared piece by piece with an inline character diff.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::diag::Source;
use crate::load;
use crate::project::{DATA, DOCUMENT};

/// A changed text of a month's document.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TextChange {
    pub month: String,
    /// Which text (`标题`, `正文.热线分析`, `点名.审核表未报` …).
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

fn document_texts(text: &str, path: &str) -> BTreeMap<String, String> {
    let src = Source::new(path, text);
    let Some(doc) = load::month::parse_document(&src, &mut Vec::new()) else {
        return BTreeMap::new();
    };
    let mut texts = BTreeMap::new();
    texts.insert("标题".to_string(), doc.title.concat());
    texts.insert("发文机关".to_string(), doc.issuer.clone());
    texts.insert("主送".to_string(), doc.recipients.clone());
    texts.insert("成文日期".to_string(), doc.date.chinese());
    if let Some(n) = &doc.number {
        texts.insert("发文字号".to_string(), n.clone());
    }
    for t in &doc.texts {
        texts.insert(
            format!("正文.{}", t.key),
            t.paragraphs
                .iter()
                .map(|(p, _)| p.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    for (k, names) in &doc.named {
        texts.insert(
            format!("点名.{k}"),
            names.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join("、"),
        );
    }
    for a in &doc.attachments {
        texts.insert(format!("附件.{}", a.table), a.name.clone());
    }
    texts
}

/// Compares two versions of a month's document, text by text.
pub(crate) fn document_diff(month: &str, old: Option<&str>, new: Option<&str>) -> Vec<TextChange> {
    let path = format!("{DATA}/{month}/{DOCUMENT}");
    let before = old.map(|t| document_texts(t, &path)).unwrap_or_default();
    let after = new.map(|t| document_texts(t, &path)).unwrap_or_default();
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| {
            let (o, n) = (before.get(k).cloned(), after.get(k).cloned());
            TextChange {
                month: month.to_string(),
                key: k.clone(),
                inline: inline_diff(o.as_deref().unwrap_or(""), n.as_deref().unwrap_or("")),
                old: o,
                new: n,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_diffs_mark_changes() {
        assert_eq!(inline_diff("满意率较低", "满意率很低"), "满意率[-较-]{+很+}低");
        assert_eq!(inline_diff("", "新"), "{+新+}");
    }
}
