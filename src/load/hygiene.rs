//! What no text tongbao reads may hold, whatever the file: the marks git leaves in a file when a
//! merge conflicts, characters that print as nothing or reorder what is around them, and line
//! ends of a single carriage return. Each would be printed (or break the lines) without a word;
//! [`first_problem`] finds the first and counts the rest, for every reader of text to refuse.

use crate::diag::Code;

/// One problem of a text: where it is (1-based line and column in characters) and what to say.
#[derive(Debug, PartialEq)]
pub(crate) struct Problem {
    pub code: Code,
    pub line: usize,
    pub col: usize,
    pub len: usize,
    pub message: String,
    pub help: &'static str,
}

/// The lines git writes around the two sides of a conflict (`|||||||` with diff3).
const MARKERS: [&str; 4] = ["<<<<<<<", "|||||||", "=======", ">>>>>>>"];

/// A line git wrote to mark a conflict: a marker alone or followed by a space and a name.
fn is_marker(line: &str) -> bool {
    let line = line.trim_end_matches('\r');
    MARKERS.iter().any(|m| {
        line.strip_prefix(m)
            .is_some_and(|rest| rest.is_empty() || (*m != "=======" && rest.starts_with(' ')))
    })
}

/// The Chinese name of an invisible or direction-changing character, or `None` for any other.
fn invisible(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{200B}' => "零宽空格",
        '\u{200C}' => "零宽不连字",
        '\u{200D}' => "零宽连字",
        '\u{200E}' | '\u{200F}' | '\u{061C}' => "方向标记",
        '\u{2028}' => "行分隔符",
        '\u{2029}' => "段分隔符",
        '\u{202A}'..='\u{202E}' => "文字方向控制符",
        '\u{2060}' => "零宽不换行符",
        '\u{2061}'..='\u{2064}' => "不可见的数学符号",
        '\u{2066}'..='\u{2069}' => "文字方向隔离符",
        '\u{FEFF}' => "零宽不换行空格（BOM）",
        '\u{00AD}' => "软连字符",
        _ => return None,
    })
}

/// The first problem of `text` (a BOM at its very start is not one), with how many there are in
/// all; `None` for a clean text.
pub(crate) fn first_problem(text: &str) -> Option<Problem> {
    let body = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let offset = text.len() - body.len();
    if let Some(p) = markers(body) {
        return Some(p);
    }
    if let Some(p) = invisibles(text, offset) {
        return Some(p);
    }
    lone_carriage_return(text)
}

/// The first problem of a file read by another reader (a template), as one line of Chinese
/// naming the file and the line, for readers that report a message rather than a diagnostic.
pub(crate) fn refusal(rel: &std::path::Path, text: &str) -> Option<String> {
    let p = first_problem(text)?;
    let at = if p.line > 0 {
        format!(" 第 {} 行", p.line)
    } else {
        String::new()
    };
    Some(format!("{}{at}：{}；{}", rel.display(), p.message, p.help))
}

fn markers(text: &str) -> Option<Problem> {
    let mut found = text.split('\n').enumerate().filter(|(_, l)| is_marker(l));
    let (at, line) = found.next()?;
    let more = found.count();
    let marker = line.trim_end_matches('\r');
    Some(Problem {
        code: Code::ConflictMarker,
        line: at + 1,
        col: 1,
        len: marker.chars().count(),
        message: format!(
            "这里是 git 合并冲突留下的标记“{}”{}：冲突还没有解决，两边的文字都还在文件里",
            crate::diag::shorten(marker, 30),
            if more > 0 {
                format!("（另有 {more} 行）")
            } else {
                String::new()
            }
        ),
        help: "对照 <<<<<<< 与 ======= 之间（自己的）和 ======= 与 >>>>>>> 之间（别人的）两段文字，留下正确的一段，删去另一段和这三行标记，再提交",
    })
}

fn invisibles(text: &str, from: usize) -> Option<Problem> {
    let mut found = text
        .char_indices()
        .filter(|&(i, c)| i >= from && invisible(c).is_some());
    let (at, c) = found.next()?;
    let more = found.count();
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Some(Problem {
        code: Code::InvisibleChar,
        line,
        col,
        len: 1,
        message: format!(
            "这里有一个看不见的字符 U+{:04X}（{}）{}：它不显示，却会让名称、数字与名录和表格对不上，或打乱文字的顺序",
            c as u32,
            invisible(c).unwrap_or_default(),
            if more > 0 {
                format!("，全文共 {} 个", more + 1)
            } else {
                String::new()
            }
        ),
        help: "删去它（光标移到这里，按退格或删除键，直到前后的字紧挨着）；从网页或聊天软件复制的文字常带有这类字符",
    })
}

fn lone_carriage_return(text: &str) -> Option<Problem> {
    let bytes = text.as_bytes();
    let at = (0..bytes.len()).find(|&i| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'))?;
    let before = &text[..at];
    // A file of CR line ends is one line to everyone else: the message says so.
    let whole = !text.contains('\n');
    Some(Problem {
        code: Code::LineEnds,
        line: before.matches('\n').count() + 1,
        col: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
        len: 1,
        message: if whole {
            "文件用单独的回车符（CR）分行，这是老式 Mac 的格式，读出来全文只有一行".into()
        } else {
            "这里有一个单独的回车符（CR），不是正常的换行".into()
        },
        help: "在编辑器中把换行符改为 LF（或 Windows 的 CRLF）后保存",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_markers_are_found_at_their_line() {
        let text = "一、总体情况\n<<<<<<< HEAD\n本月共受理12件。\n=======\n本月共受理11件。\n>>>>>>> 更正\n";
        let p = first_problem(text).unwrap();
        assert_eq!((p.code, p.line, p.col, p.len), (Code::ConflictMarker, 2, 1, 12));
        assert!(p.message.contains("另有 2 行"), "{}", p.message);
        assert!(first_problem("=======\r\n").is_some(), "CRLF files too");
        assert!(first_problem("||||||| 共同祖先\n").is_some(), "diff3's base marker");
        for clean in [
            "========\n",
            "<<<<<<<<<< 箭头\n",
            "a =======\n",
            "<<<<<<<x\n",
            "标题\n——\n",
        ] {
            assert_eq!(first_problem(clean), None, "{clean}");
        }
    }

    #[test]
    fn invisible_and_direction_characters_are_named() {
        let p = first_problem("单位：\n东关街道\u{200B}办事处\u{200B}\n").unwrap();
        assert_eq!((p.code, p.line, p.col), (Code::InvisibleChar, 2, 5));
        assert!(
            p.message.contains("U+200B（零宽空格）") && p.message.contains("共 2 个"),
            "{}",
            p.message
        );
        let p = first_problem("12\u{202E}34").unwrap();
        assert!(p.message.contains("U+202E（文字方向控制符）"), "{}", p.message);
        assert_eq!(first_problem("\u{FEFF}文件开头的 BOM 不算\n"), None);
        assert!(first_problem("中间的\u{FEFF}BOM\n").is_some());
        assert_eq!(first_problem("普通的文字、全角空格　和 tab\t都可以\n"), None);
    }

    #[test]
    fn lone_carriage_returns_are_named() {
        let p = first_problem("第一行\r第二行\r").unwrap();
        assert_eq!((p.code, p.line, p.col), (Code::LineEnds, 1, 4));
        assert!(p.message.contains("老式 Mac"), "{}", p.message);
        let p = first_problem("第一行\r\n第二\r行\r\n").unwrap();
        assert_eq!((p.line, p.col, p.len), (2, 3, 1));
        assert_eq!(first_problem("第一行\r\n第二行\r\n"), None);
    }
}
