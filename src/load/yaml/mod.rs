//! A small YAML layer: parse with granit-parser (the pure-Rust YAML 1.2 parser behind serde-saphyr)
//! into a tree where every node knows its file, line and column, then read typed values from it.
//!
//! We do not deserialize with serde: reading the tree by hand lets every problem (wrong type, unknown
//! key with "did you mean", missing key, duplicate key) carry a Chinese message and the exact place,
//! and lets a value keep its place for rules checked later ("办结 exceeds 本月"). Scalars are kept as
//! text and typed by the schema, so `no` is never silently a boolean and `010` never octal.

use std::collections::HashMap;
use std::sync::Arc;

use granit_parser::{Event, Parser, ScalarStyle, ScanError};

use crate::diag::{Code, Diagnostic, Loc, Source};

mod read;
pub(crate) use read::{MapReader, Reader, half_width_digits};

/// A figure (or the date of issue) not yet filled in: what `tongbao new` writes.
pub(crate) const UNFILLED: &str = "待填";

/// Deepest nesting accepted. The project's files need 4 levels; 32 leaves room and refuses abuse.
pub(crate) const MAX_DEPTH: usize = 32;
/// Most nodes a file may expand to (aliases included). The largest shipped file has ~250.
pub(crate) const MAX_NODES: usize = 100_000;

#[derive(Debug, Clone)]
pub(crate) enum Value {
    /// `~`, `null` or nothing.
    Null,
    /// A scalar, as written (after YAML escapes). A plain `~`/`null`/empty scalar is `Null`
    /// instead; quoted, it stays text.
    Scalar {
        text: String,
    },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// A value with its place in the file.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub value: Value,
    pub loc: Loc,
}

impl Node {
    /// Whether the node is null (absent value).
    pub(crate) fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The scalar text, if this is a scalar.
    pub(crate) fn scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    fn size(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::size).sum(),
            Value::Map(pairs) => pairs.iter().map(|(k, v)| k.size() + v.size()).sum(),
            _ => 0,
        }
    }

    /// A short Chinese description of what kind of value this is, for messages.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self.value {
            Value::Null => "空值",
            Value::Scalar { .. } => "单个值",
            Value::Seq(_) => "列表",
            Value::Map(_) => "键值表",
        }
    }
}

enum Frame {
    Seq {
        items: Vec<Node>,
        loc: Loc,
        anchor: usize,
    },
    Map {
        pairs: Vec<(Node, Node)>,
        key: Option<Node>,
        loc: Loc,
        anchor: usize,
    },
}

/// Parses one YAML document. An empty file or one holding only comments gives a `Null` root.
pub(crate) fn parse(src: &Arc<Source>) -> Result<Node, Diagnostic> {
    let mut parser = Parser::new_from_str(&src.text);
    let mut tree = Tree::default();
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| syntax_error(src, &e))?;
        let loc = Loc {
            src: src.clone(),
            line: span.start.line(),
            col: span.start.col() + 1,
            len: span.end.index().saturating_sub(span.start.index()),
        };
        if let Some((node, anchor)) = tree.event(event, loc)? {
            tree.add(node, anchor)?;
        }
    }
    Ok(tree.root.unwrap_or(Node {
        value: Value::Null,
        loc: Loc::file(src),
    }))
}

/// The tree being built from the parser's events, with the budgets that refuse abuse.
#[derive(Default)]
struct Tree {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    nodes: usize,
    documents: usize,
}

impl Tree {
    /// Handles one event: a finished node (with its anchor id, 0 for none) when it completes one.
    fn event(&mut self, event: Event<'_>, loc: Loc) -> Result<Option<(Node, usize)>, Diagnostic> {
        Ok(Some(match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(
                        Diagnostic::error(Code::YamlSyntax, &loc, "一个文件只能有一个 YAML 文档")
                            .help("删除多余的“---”分隔线，或把内容拆到另一个文件"),
                    );
                }
                return Ok(None);
            }
            Event::Alias(id) => {
                let target = self
                    .anchors
                    .get(&id)
                    .ok_or_else(|| Diagnostic::error(Code::YamlSyntax, &loc, "别名（*）指向不存在的锚点（&）"))?;
                self.nodes += target.size();
                if self.nodes > MAX_NODES {
                    return Err(too_big(&loc));
                }
                let mut node = target.clone();
                node.loc = loc;
                (node, 0)
            }
            Event::Scalar(text, style, anchor, _tag) => {
                let plain = style == ScalarStyle::Plain;
                let value = if plain && matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
                    Value::Null
                } else {
                    Value::Scalar {
                        text: text.into_owned(),
                    }
                };
                (Node { value, loc }, anchor)
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                if self.stack.len() >= MAX_DEPTH {
                    return Err(Diagnostic::error(
                        Code::YamlTooDeep,
                        &loc,
                        format!("嵌套层次过深（超过 {MAX_DEPTH} 层），文件已拒绝"),
                    )
                    .help("本项目的数据文件最多只需 4 层缩进，请检查缩进或括号是否配对"));
                }
                self.stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Frame::Seq {
                        items: Vec::new(),
                        loc,
                        anchor,
                    }
                } else {
                    Frame::Map {
                        pairs: Vec::new(),
                        key: None,
                        loc,
                        anchor,
                    }
                });
                return Ok(None);
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq { items, loc, anchor }) => (
                    Node {
                        value: Value::Seq(items),
                        loc,
                    },
                    anchor,
                ),
                Some(Frame::Map { pairs, loc, anchor, .. }) => (
                    Node {
                        value: Value::Map(pairs),
                        loc,
                    },
                    anchor,
                ),
                None => return Ok(None),
            },
            _ => return Ok(None),
        }))
    }

    /// Puts a finished node where it belongs: the root, a list, or a mapping (as its key, refused
    /// when repeated, or its value).
    fn add(&mut self, node: Node, anchor: usize) -> Result<(), Diagnostic> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(too_big(&node.loc));
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { pairs, key, .. }) => match key.take() {
                None => {
                    if node.scalar().is_none() && !node.is_null() {
                        return Err(Diagnostic::error(Code::YamlSyntax, &node.loc, "键必须是简单的文字")
                            .help("键（冒号前面的部分）不能是列表或键值表"));
                    }
                    let name = node.scalar().unwrap_or("");
                    if let Some((first, _)) = pairs.iter().find(|(k, _)| k.scalar().unwrap_or("") == name) {
                        return Err(Diagnostic::error(
                            Code::YamlDuplicateKey,
                            &node.loc,
                            format!("重复的键“{name}”（第 {} 行已经出现过）", first.loc.line),
                        )
                        .help("同一层里每个键只能出现一次，请删除或合并重复的一行"));
                    }
                    *key = Some(node);
                }
                Some(k) => pairs.push((k, node)),
            },
        }
        Ok(())
    }
}

fn too_big(loc: &Loc) -> Diagnostic {
    Diagnostic::error(
        Code::YamlTooBig,
        loc,
        format!("文件展开后超过 {MAX_NODES} 个值（可能是别名“*”的循环展开），文件已拒绝"),
    )
    .help("数据文件不需要锚点（&）和别名（*），请直接写出数值")
}

fn syntax_error(src: &Arc<Source>, err: &ScanError) -> Diagnostic {
    let mark = err.marker();
    let loc = Loc {
        src: src.clone(),
        line: mark.line().max(1),
        col: mark.col() + 1,
        len: 1,
    };
    let detail = err.info();
    if detail.contains("recursion limit") {
        return Diagnostic::error(Code::YamlTooDeep, &loc, "嵌套层次过深，文件已拒绝")
            .help("本项目的数据文件最多只需 4 层缩进，请检查括号是否配对");
    }
    // A bracket left open is found where it opens: the parser notices it only lines later.
    let structural = !detail.contains("tab") && !detail.contains("mapping values are not allowed");
    if let Some((line, col, open)) = unclosed(&src.text, loc.line).filter(|_| structural) {
        let close = if open == '{' { '}' } else { ']' };
        let at = Loc {
            src: src.clone(),
            line,
            col,
            len: 1,
        };
        return Diagnostic::error(
            Code::YamlSyntax,
            &at,
            format!("YAML 语法错误：这一行的“{open}”没有配对的“{close}”"),
        )
        .help(format!(
            "在这一行末尾补上“{close}”（每一行的括号成对，如 - {{单位: 甲, 本月: 1}}）"
        ));
    }
    let message = if detail.contains("tab") {
        "YAML 语法错误：缩进里有制表符（Tab）"
    } else if detail.contains("mapping values are not allowed") {
        "YAML 语法错误：这里不能出现冒号，可能是缩进不对或冒号后缺少空格"
    } else if detail.contains("only valid inside a block") || detail.contains("block") {
        "YAML 语法错误：这里不能开始新的一项（“- ”），可能是上一行的缩进或括号不对"
    } else if detail.contains("quote") || detail.contains("quoted") {
        "YAML 语法错误：引号没有配对"
    } else {
        "YAML 语法错误：缩进或括号不配对"
    };
    Diagnostic::error(Code::YamlSyntax, &loc, message)
        .help("检查这一行及上一行的缩进（只能用空格）、冒号后的空格和括号是否配对")
}

/// The first line up to `last` (1-based) that opens a bracket (`{`, `[`) it does not close,
/// outside quotes and comments: (line, column of the bracket, the bracket).
fn unclosed(text: &str, last: usize) -> Option<(usize, usize, char)> {
    for (i, line) in text.lines().take(last).enumerate() {
        let mut open: Vec<(usize, char)> = Vec::new();
        let mut quote = None;
        for (col, c) in line.chars().enumerate() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '"' | '\'') => quote = Some(c),
                (None, '#') if col == 0 || line.chars().nth(col - 1).is_some_and(char::is_whitespace) => break,
                (None, '{' | '[') => open.push((col, c)),
                (None, '}' | ']') => {
                    open.pop();
                }
                _ => {}
            }
        }
        if let Some((col, c)) = open.first() {
            return Some((i + 1, col + 1, *c));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bracket_left_open_is_found_where_it_opens_in_chinese() {
        let src = Source::new(
            "t.yaml",
            "行:\n  - {单位: 甲, 本月: 1\n  - {单位: 乙, 本月: 2}\n  - {单位: 丙, 本月: 3}\n",
        );
        let err = parse(&src).unwrap_err();
        assert_eq!((err.line, err.column), (2, 5), "{}", err.message);
        assert!(err.message.contains("“{”没有配对的“}”"), "{}", err.message);
        assert!(
            err.message
                .replace("YAML", "")
                .chars()
                .all(|c| !c.is_ascii_alphabetic()),
            "no English: {}",
            err.message
        );
    }

    #[test]
    fn duplicate_keys_are_refused_with_both_lines() {
        let src = Source::new("t.yaml", "a: 1\nb: 2\na: 3\n");
        let err = parse(&src).unwrap_err();
        assert_eq!((err.line, err.column), (3, 1));
        assert!(err.message.contains("第 1 行"), "{}", err.message);
    }

    #[test]
    fn alias_bombs_are_refused_quickly() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text += &format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n");
        }
        let started = std::time::Instant::now();
        let err = parse(&Source::new("bomb.yaml", text)).unwrap_err();
        assert_eq!(err.code, Code::YamlTooBig);
        assert!(started.elapsed().as_secs() < 2);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("v: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse(&Source::new("deep.yaml", text)).unwrap_err();
        assert_eq!(err.code, Code::YamlTooDeep);
    }

    #[test]
    fn syntax_errors_have_a_place() {
        let err = parse(&Source::new("t.yaml", "a: [1, 2\nb: 3\n")).unwrap_err();
        assert_eq!(err.code, Code::YamlSyntax);
        // The unclosed `[` runs into the next line, where the parser notices; it is named where it
        // opens.
        assert_eq!((err.line, err.column), (1, 4), "{err:?}");
    }
}
