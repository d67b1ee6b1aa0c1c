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

use crate::diag::{Diagnostic, Loc, Source, quote_list, suggestions};

/// Deepest nesting accepted. The project's files need 4 levels; 32 leaves room and refuses abuse.
pub const MAX_DEPTH: usize = 32;
/// Most nodes a file may expand to (aliases included). The largest shipped file has ~250.
pub const MAX_NODES: usize = 100_000;

/// A YAML value.
#[derive(Debug, Clone)]
pub enum Value {
    /// `~`, `null` or nothing.
    Null,
    /// A scalar, as written (after YAML escapes); `plain` is false for quoted and block scalars.
    Scalar {
        /// The text.
        text: String,
        /// Whether the scalar was unquoted.
        plain: bool,
    },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping; keys are kept in file order.
    Map(Vec<(Node, Node)>),
}

/// A value with its place in the file.
#[derive(Debug, Clone)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Where it starts.
    pub loc: Loc,
}

impl Node {
    /// Whether the node is null (absent value).
    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// The scalar text, if this is a scalar.
    pub fn scalar(&self) -> Option<&str> {
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
    pub fn kind_name(&self) -> &'static str {
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
pub fn parse(src: &Arc<Source>) -> Result<Node, Diagnostic> {
    let mut parser = Parser::new_from_str(&src.text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    let mut documents = 0usize;

    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| syntax_error(src, &e))?;
        let loc = Loc {
            src: src.clone(),
            line: span.start.line(),
            col: span.start.col() + 1,
            len: span.end.index().saturating_sub(span.start.index()),
        };
        let (node, anchor) = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => continue,
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(Diagnostic::error("yaml-syntax", &loc, "一个文件只能有一个 YAML 文档")
                        .help("删除多余的“---”分隔线，或把内容拆到另一个文件"));
                }
                continue;
            }
            #[allow(unreachable_patterns)]
            Event::Comment(..) | Event::Anchor(..) => continue,
            Event::Alias(id) => {
                let target = anchors
                    .get(&id)
                    .ok_or_else(|| Diagnostic::error("yaml-syntax", &loc, "别名（*）指向不存在的锚点（&）"))?;
                nodes += target.size();
                if nodes > MAX_NODES {
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
                        plain,
                    }
                };
                (Node { value, loc }, anchor)
            }
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(Diagnostic::error(
                        "yaml-too-deep",
                        &loc,
                        format!("嵌套层次过深（超过 {MAX_DEPTH} 层），文件已拒绝"),
                    )
                    .help("本项目的数据文件最多只需 4 层缩进，请检查缩进或括号是否配对"));
                }
                let is_seq = matches!(event, Event::SequenceStart(..));
                stack.push(if is_seq {
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
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
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
                None => continue,
            },
            _ => continue,
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(too_big(&node.loc));
        }
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { pairs, key, .. }) => match key.take() {
                None => {
                    if node.scalar().is_none() && !node.is_null() {
                        return Err(Diagnostic::error("yaml-syntax", &node.loc, "键必须是简单的文字")
                            .help("键（冒号前面的部分）不能是列表或键值表"));
                    }
                    let name = node.scalar().unwrap_or("");
                    if let Some((first, _)) = pairs.iter().find(|(k, _)| k.scalar().unwrap_or("") == name) {
                        return Err(Diagnostic::error(
                            "yaml-duplicate-key",
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
    }
    Ok(root.unwrap_or(Node {
        value: Value::Null,
        loc: Loc::file(src),
    }))
}

fn too_big(loc: &Loc) -> Diagnostic {
    Diagnostic::error(
        "yaml-too-big",
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
        return Diagnostic::error("yaml-too-deep", &loc, "嵌套层次过深，文件已拒绝")
            .help("本项目的数据文件最多只需 4 层缩进，请检查括号是否配对");
    }
    let message = if detail.contains("tab") {
        "YAML 语法错误：缩进里有制表符（Tab）".to_string()
    } else if detail.contains("mapping values are not allowed") {
        "YAML 语法错误：这里不能出现冒号，可能是缩进不对或冒号后缺少空格".to_string()
    } else if detail.contains("did not find expected") || detail.contains("expected") {
        format!("YAML 语法错误：缩进或括号不配对（{detail}）")
    } else {
        format!("YAML 语法错误：{detail}")
    };
    Diagnostic::error("yaml-syntax", &loc, message)
        .help("检查这一行及上一行的缩进（只能用空格）、冒号后的空格和括号是否配对")
}

/// Reads typed values from a parsed tree, collecting every problem instead of stopping at the first.
pub struct Reader {
    /// Problems found so far.
    pub diags: Vec<Diagnostic>,
}

/// A mapping being read: remembers which keys were used so the rest can be reported as unknown.
pub struct MapReader<'n> {
    node: &'n Node,
    pairs: &'n [(Node, Node)],
    used: Vec<bool>,
}

impl<'n> MapReader<'n> {
    /// The mapping's own place.
    pub fn loc(&self) -> &'n Loc {
        &self.node.loc
    }

    /// The entries, in file order.
    pub fn entries(&self) -> impl Iterator<Item = (&'n str, &'n Node, &'n Node)> + 'n {
        self.pairs.iter().map(|(k, v)| (k.scalar().unwrap_or(""), k, v))
    }

    /// Marks every key as used (for free-form mappings).
    pub fn use_all(&mut self) {
        self.used.iter_mut().for_each(|u| *u = true);
    }

    /// The value under `key`, if present and not null; marks the key as used.
    pub fn opt(&mut self, key: &str) -> Option<&'n Node> {
        let i = self.pairs.iter().position(|(k, _)| k.scalar() == Some(key))?;
        self.used[i] = true;
        let v = &self.pairs[i].1;
        (!v.is_null()).then_some(v)
    }

    /// The key node (for pointing at a key rather than its value).
    pub fn key_node(&self, key: &str) -> Option<&'n Node> {
        self.pairs.iter().find(|(k, _)| k.scalar() == Some(key)).map(|(k, _)| k)
    }
}

impl Default for Reader {
    fn default() -> Self {
        Reader::new()
    }
}

impl Reader {
    /// A reader with no problems yet.
    pub fn new() -> Reader {
        Reader { diags: Vec::new() }
    }

    /// Records a problem.
    pub fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Reads `node` as a mapping; `what` names it in the message ("单位名录").
    pub fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<MapReader<'n>> {
        match &node.value {
            Value::Map(pairs) => Some(MapReader {
                node,
                pairs,
                used: vec![false; pairs.len()],
            }),
            _ => {
                self.push(
                    Diagnostic::error(
                        "type",
                        &node.loc,
                        format!("{what}应当是键值表（“键: 值”），这里是{}", node.kind_name()),
                    )
                    .help("写成“键: 值”的形式，每行一个，或写成 {键: 值, 键: 值}"),
                );
                None
            }
        }
    }

    /// Reads `node` as a list.
    pub fn seq<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            _ => {
                self.push(
                    Diagnostic::error(
                        "type",
                        &node.loc,
                        format!("{what}应当是列表，这里是{}", node.kind_name()),
                    )
                    .help("列表的每一项以“- ”开头，或写成 [甲, 乙]"),
                );
                None
            }
        }
    }

    /// A required key of a mapping; reports it missing (at the mapping) if absent or empty.
    pub fn req<'n>(&mut self, m: &mut MapReader<'n>, key: &str) -> Option<&'n Node> {
        let v = m.opt(key);
        if v.is_none() {
            let at = m.key_node(key).unwrap_or(m.node);
            self.push(
                Diagnostic::error("missing-field", &at.loc, format!("缺少“{key}”")).help(format!("请补上“{key}: …”")),
            );
        }
        v
    }

    /// Reports keys of `m` that were never used as unknown, with the nearest known key.
    pub fn finish(&mut self, m: MapReader<'_>, known: &[&str]) {
        for (i, (k, _)) in m.pairs.iter().enumerate() {
            if m.used[i] {
                continue;
            }
            let name = k.scalar().unwrap_or("");
            let near = suggestions(name, known.iter().copied(), 1);
            let mut d = Diagnostic::error("unknown-field", &k.loc, format!("未知的键“{name}”"));
            d = if near.is_empty() {
                d.help(format!("这里可用的键有：{}", quote_list(known)))
            } else {
                d.help(format!("是否应为{}？", quote_list(&near)))
            };
            self.push(d);
        }
    }

    /// Reads a non-empty text value.
    pub fn text(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Scalar { text, .. } if !text.trim().is_empty() => Some(text.trim().to_string()),
            Value::Scalar { .. } | Value::Null => {
                self.push(Diagnostic::error("type", &node.loc, format!("{what}不能为空")));
                None
            }
            _ => {
                self.push(
                    Diagnostic::error(
                        "type",
                        &node.loc,
                        format!("{what}应当是一段文字，这里是{}", node.kind_name()),
                    )
                    .help("文字中含有冒号加空格、# 等符号时，请整段加引号"),
                );
                None
            }
        }
    }

    /// Reads a list of texts (a single text is accepted as a one-item list).
    pub fn texts(&mut self, node: &Node, what: &str) -> Vec<(String, Loc)> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|n| self.text(n, what).map(|t| (t, n.loc.clone())))
                .collect(),
            _ => self
                .text(node, what)
                .map(|t| vec![(t, node.loc.clone())])
                .unwrap_or_default(),
        }
    }

    /// Reads a count: a non-negative whole number written in plain decimal digits.
    pub fn count(&mut self, node: &Node, what: &str) -> Option<u64> {
        match parse_count(node) {
            Ok(n) => Some(n),
            Err((msg, help)) => {
                self.push(Diagnostic::error("type", &node.loc, format!("{what}：{msg}")).help(help));
                None
            }
        }
    }

    /// Reads a percentage: `33%` or `33`.
    pub fn percent(&mut self, node: &Node, what: &str) -> Option<u64> {
        if let Some(text) = node.scalar() {
            let t = text.trim().trim_end_matches(['%', '％']).trim();
            let stripped = Node {
                value: Value::Scalar {
                    text: t.to_string(),
                    plain: true,
                },
                loc: node.loc.clone(),
            };
            return self.count(&stripped, what);
        }
        self.count(node, what)
    }

    /// Reads `true`/`false` (also 是/否).
    pub fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.scalar().map(str::trim) {
            Some("true" | "是") => Some(true),
            Some("false" | "否") => Some(false),
            other => {
                let shown = other.unwrap_or(node.kind_name());
                self.push(
                    Diagnostic::error(
                        "type",
                        &node.loc,
                        format!("{what}应当是 true 或 false，这里是“{shown}”"),
                    )
                    .help("YAML 1.2 只认 true/false；yes/no/on/off 不是布尔值，也可写 是/否"),
                );
                None
            }
        }
    }

    /// Reads a date written `2023-05-05` or `2023年5月5日`.
    pub fn date(&mut self, node: &Node, what: &str) -> Option<Date> {
        let text = self.text(node, what)?;
        match Date::parse(&text) {
            Some(d) => Some(d),
            None => {
                self.push(
                    Diagnostic::error("type", &node.loc, format!("{what}“{text}”不是有效日期"))
                        .help("请写成 2023-05-05 或 2023年5月5日"),
                );
                None
            }
        }
    }
}

/// Largest figure accepted in a table: beyond this a figure is almost surely a typing slip.
pub const MAX_FIGURE: u64 = 100_000_000;

fn parse_count(node: &Node) -> Result<u64, (String, String)> {
    let text = match &node.value {
        Value::Scalar { text, .. } => text.trim(),
        Value::Null => return Err(("缺少数值".into(), "没有数据时请填 0".into())),
        _ => {
            return Err((
                format!("应当是数字，这里是{}", node.kind_name()),
                "请只填写一个数字".into(),
            ));
        }
    };
    let plain_digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if plain_digits(text) {
        if text.len() > 1 && text.starts_with('0') {
            return Err((
                format!("“{text}”以 0 开头"),
                format!("请写成 {}", text.trim_start_matches('0').parse::<u64>().unwrap_or(0)),
            ));
        }
        return match text.parse::<u64>() {
            Ok(n) if n <= MAX_FIGURE => Ok(n),
            _ => Err((
                format!("“{text}”过大"),
                format!("数值不能超过 {MAX_FIGURE}，请检查是否多输入了数字"),
            )),
        };
    }
    let lower = text.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "no" | "yes" | "on" | "off" | "true" | "false" | "y" | "n"
    ) {
        return Err((
            format!("“{text}”不是数字（在一些 YAML 工具里它会被当成布尔值“是/否”）"),
            "请填写数字，没有数据时填 0".into(),
        ));
    }
    if let Some(rest) = text.strip_prefix('-')
        && plain_digits(rest)
    {
        return Err((format!("“{text}”是负数"), "统计数不能为负，请检查正负号".into()));
    }
    if text.contains('.') && text.replace('.', "").chars().all(|c| c.is_ascii_digit()) {
        return Err((format!("“{text}”不是整数"), "统计数必须是整数".into()));
    }
    if text.chars().any(|c| ('０'..='９').contains(&c)) {
        let half: String = text
            .chars()
            .map(|c| {
                if ('０'..='９').contains(&c) {
                    char::from(b'0' + (c as u32 - '０' as u32) as u8)
                } else {
                    c
                }
            })
            .collect();
        return Err((format!("“{text}”用了全角数字"), format!("请改为半角数字 {half}")));
    }
    if text.contains(',') || text.contains('_') {
        return Err((
            format!("“{text}”含有分隔符"),
            "不要使用千分位逗号或下划线，直接写数字".into(),
        ));
    }
    let digits: String = text.chars().take_while(|c| c.is_ascii_digit()).collect();
    if !digits.is_empty() {
        let rest = &text[digits.len()..];
        return Err((
            format!("“{text}”不是数字，多了“{rest}”"),
            format!("只填数字 {digits}，量词和单位由表头给出"),
        ));
    }
    Err((format!("“{text}”不是数字"), "请填写一个不带单位的整数".into()))
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Date {
    /// Full year.
    pub year: i32,
    /// 1–12.
    pub month: u8,
    /// 1–31.
    pub day: u8,
}

impl Date {
    /// Parses `2023-05-05`, `2023-5-5` or `2023年5月5日`, and checks the day exists.
    pub fn parse(text: &str) -> Option<Date> {
        let t = text.trim();
        let parts: Vec<&str> = if t.contains('年') {
            let t = t.strip_suffix('日')?;
            let (y, rest) = t.split_once('年')?;
            let (m, d) = rest.split_once('月')?;
            vec![y, m, d]
        } else {
            t.split('-').collect()
        };
        let [y, m, d] = parts.as_slice() else {
            return None;
        };
        let date = Date {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
            day: d.parse().ok()?,
        };
        (date.year >= 1900
            && date.year <= 9999
            && (1..=12).contains(&date.month)
            && date.day >= 1
            && date.day <= days_in_month(date.year, date.month))
        .then_some(date)
    }

    /// Written the way GB/T 9704 wants it: 2023年5月5日 (no leading zeros).
    pub fn chinese(&self) -> String {
        format!("{}年{}月{}日", self.year, self.month, self.day)
    }
}

/// Number of days in a month of the Gregorian calendar.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(text: &str) -> Node {
        let src = Source::new("t.yaml", format!("v: {text}\n"));
        let root = parse(&src).unwrap();
        match root.value {
            Value::Map(mut pairs) => pairs.remove(0).1,
            _ => panic!("not a map"),
        }
    }

    fn count_err(text: &str) -> String {
        let mut r = Reader::new();
        assert_eq!(r.count(&node(text), "数"), None, "{text} should be refused");
        let d = &r.diags[0];
        format!("{} {}", d.message, d.help.clone().unwrap_or_default())
    }

    #[test]
    fn counts_accept_plain_decimal_only() {
        let mut r = Reader::new();
        assert_eq!(r.count(&node("12"), "数"), Some(12));
        assert_eq!(r.count(&node("0"), "数"), Some(0));
        assert_eq!(r.count(&node("\"7\""), "数"), Some(7));
        assert!(count_err("12条").contains("多了“条”"));
        assert!(count_err("3.5").contains("不是整数"));
        assert!(count_err("-1").contains("负数"));
        assert!(count_err("99999999999999999999").contains("过大"));
        assert!(count_err("no").contains("布尔值"));
        assert!(count_err("010").contains("以 0 开头"));
        assert!(count_err("１２").contains("半角数字 12"));
        assert!(count_err("1,000").contains("千分位"));
        assert!(count_err("~").contains("填 0"));
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
        assert_eq!(err.code, "yaml-too-big");
        assert!(started.elapsed().as_secs() < 2);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("v: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
        let err = parse(&Source::new("deep.yaml", text)).unwrap_err();
        assert_eq!(err.code, "yaml-too-deep");
    }

    #[test]
    fn syntax_errors_have_a_place() {
        let err = parse(&Source::new("t.yaml", "a: [1, 2\nb: 3\n")).unwrap_err();
        assert_eq!(err.code, "yaml-syntax");
        assert!(err.line >= 1);
    }

    #[test]
    fn dates() {
        assert_eq!(
            Date::parse("2023-05-05").map(|d| d.chinese()),
            Some("2023年5月5日".into())
        );
        assert_eq!(Date::parse("2023年5月5日"), Date::parse("2023-5-5"));
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("2024-02-29").map(|d| d.day), Some(29));
        assert_eq!(Date::parse("五月"), None);
    }
}
