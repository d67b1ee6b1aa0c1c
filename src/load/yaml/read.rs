//! Reading typed values from a parsed tree: mappings with their known keys, lists, texts, counts,
//! percentages, booleans and dates, each problem a Chinese diagnostic at the value's place.

use super::{Node, Value};
use crate::calendar::Date;
use crate::diag::{Code, Diagnostic, Loc, quote_list, suggestions};
use crate::load::number::Num;
use crate::load::schema::Kind;

/// Reads typed values from a parsed tree, collecting every problem instead of stopping at the first.
pub(crate) struct Reader {
    pub diags: Vec<Diagnostic>,
}

/// A mapping being read: remembers which keys were used so the rest can be reported as unknown.
pub(crate) struct MapReader<'n> {
    node: &'n Node,
    pairs: &'n [(Node, Node)],
    used: Vec<bool>,
}

impl<'n> MapReader<'n> {
    /// The mapping's own place.
    pub(crate) fn loc(&self) -> &'n Loc {
        &self.node.loc
    }

    /// The value under `key`, if present and not null; marks the key as used.
    pub(crate) fn opt(&mut self, key: &str) -> Option<&'n Node> {
        let i = self.pairs.iter().position(|(k, _)| k.scalar() == Some(key))?;
        self.used[i] = true;
        let v = &self.pairs[i].1;
        (!v.is_null()).then_some(v)
    }

    /// The key node (for pointing at a key rather than its value).
    pub(crate) fn key_node(&self, key: &str) -> Option<&'n Node> {
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
    pub(crate) fn new() -> Reader {
        Reader { diags: Vec::new() }
    }

    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// Reads `node` as a mapping; `what` names it in the message ("单位名录").
    pub(crate) fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<MapReader<'n>> {
        match &node.value {
            Value::Map(pairs) => Some(MapReader {
                node,
                pairs,
                used: vec![false; pairs.len()],
            }),
            _ => {
                self.push(
                    Diagnostic::error(
                        Code::Type,
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
    pub(crate) fn seq<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            _ => {
                self.push(
                    Diagnostic::error(
                        Code::Type,
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
    pub(crate) fn req<'n>(&mut self, m: &mut MapReader<'n>, key: &str) -> Option<&'n Node> {
        let v = m.opt(key);
        if v.is_none() {
            let at = m.key_node(key).unwrap_or(m.node);
            self.push(
                Diagnostic::error(Code::MissingField, &at.loc, format!("缺少“{key}”"))
                    .help(format!("请补上“{key}: …”")),
            );
        }
        v
    }

    /// Reports keys of `m` that were never used as unknown, with the nearest known key.
    pub(crate) fn finish(&mut self, m: MapReader<'_>, known: &[&str]) {
        for (i, (k, _)) in m.pairs.iter().enumerate() {
            if m.used[i] {
                continue;
            }
            let name = k.scalar().unwrap_or("");
            let near = suggestions(name, known.iter().copied(), 1);
            let mut d = Diagnostic::error(Code::UnknownField, &k.loc, format!("未知的键“{name}”"));
            d = if near.is_empty() {
                d.help(format!("这里可用的键有：{}", quote_list(known)))
            } else {
                d.help(format!("是否应为{}？", quote_list(&near)))
            };
            self.push(d);
        }
    }

    /// Reads a non-empty text value.
    pub(crate) fn text(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Scalar { text, .. } if !text.trim().is_empty() => Some(text.trim().to_string()),
            Value::Scalar { .. } | Value::Null => {
                self.push(Diagnostic::error(Code::Type, &node.loc, format!("{what}不能为空")));
                None
            }
            _ => {
                self.push(
                    Diagnostic::error(
                        Code::Type,
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
    pub(crate) fn texts(&mut self, node: &Node, what: &str) -> Vec<(String, Loc)> {
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
    pub(crate) fn count(&mut self, node: &Node, what: &str) -> Option<u64> {
        if node.scalar().map(str::trim) == Some(super::UNFILLED) {
            self.push(
                Diagnostic::error(Code::Unfilled, &node.loc, format!("{what}尚未填写"))
                    .help("填入本期的数字（没有时填 0），或用 tongbao import 从系统导出的表格导入"),
            );
            return None;
        }
        match parse_count(node) {
            Ok(n) => Some(n),
            Err((msg, help)) => {
                self.push(Diagnostic::error(Code::Type, &node.loc, format!("{what}：{msg}")).help(help));
                None
            }
        }
    }

    /// Reads a figure of a column of `kind`: a count, or a number with at most the column's
    /// decimals (a percent may carry its `%`).
    pub(crate) fn figure(&mut self, node: &Node, what: &str, kind: Kind) -> Option<Num> {
        self.figure_of(node, what, kind, None)
    }

    /// [`Reader::figure`] for a column with measure word `measure`: a figure written as a system
    /// exports it (`12件`, `１２`, `1,234`) is read as `import` reads it, with the same warning.
    pub(crate) fn figure_of(&mut self, node: &Node, what: &str, kind: Kind, measure: Option<&str>) -> Option<Num> {
        if let Some(written) = node.scalar()
            && written.trim() != super::UNFILLED
            && let (tidied, Some(dropped)) = crate::load::number::tidy(written, measure)
        {
            let number = Node {
                value: Value::Scalar { text: tidied.clone() },
                loc: node.loc.clone(),
            };
            let mut quiet = Reader::default();
            if let Some(n) = quiet.figure_of(&number, what, kind, None) {
                let (message, help) = crate::load::number::tidied_warning(written, &tidied, &dropped);
                self.push(Diagnostic::warning(Code::Type, &node.loc, format!("{what}：{message}")).help(help));
                return Some(n);
            }
        }
        let places = match kind {
            Kind::Count | Kind::Text => return self.count(node, what).map(|n| Num::int(i128::from(n))),
            Kind::Decimal { places } | Kind::Percent { places } => places,
        };
        if node.scalar().map(str::trim) == Some(super::UNFILLED) {
            return self.count(node, what).map(|n| Num::int(i128::from(n)));
        }
        let text = node.scalar().unwrap_or("").trim();
        let t = if matches!(kind, Kind::Percent { .. }) {
            text.trim_end_matches(['%', '％']).trim()
        } else {
            text
        };
        match Num::parse(t) {
            Some(n) if n.is_negative() => self.push(
                Diagnostic::error(Code::Type, &node.loc, format!("{what}：“{text}”是负数"))
                    .help("统计数不能为负，请检查正负号"),
            ),
            Some(n) if n.scale > places => self.push(
                Diagnostic::error(Code::Type, &node.loc, format!("{what}：“{text}”有 {} 位小数", n.scale))
                    .help(format!("这一列最多保留 {places} 位小数（见表格定义的“小数位”）")),
            ),
            Some(n) if n.to_f64() > MAX_FIGURE as f64 => self.push(
                Diagnostic::error(Code::Type, &node.loc, format!("{what}：“{text}”过大"))
                    .help(format!("数值不能超过 {MAX_FIGURE}")),
            ),
            Some(n) => return Some(n),
            None => self.push(
                Diagnostic::error(Code::Type, &node.loc, format!("{what}：“{text}”不是数字"))
                    .help(format!("请填写一个数（最多 {places} 位小数），不带单位")),
            ),
        }
        None
    }

    /// Reads a stated rate as the office printed it: `57.10%`, `50%`, `0` or, for a rate over
    /// nothing, `—` (also `-`, `无`). Returns the text as written and its value in percent.
    pub(crate) fn stated(&mut self, node: &Node, what: &str) -> Option<(String, Option<Num>)> {
        const STATED_HELP: &str = "照发布的样子写，如 57.10%、50%、0；无法计算的写 —";
        let Some(text) = node.scalar().map(|t| half_width_digits(t.trim())) else {
            self.push(Diagnostic::error(
                Code::Type,
                &node.loc,
                format!("“{what}”应当是一个比率，如 57.10%"),
            ));
            return None;
        };
        match crate::load::number::stated_rate(&text) {
            Ok(rate) => Some(rate),
            Err(why) => {
                self.push(Diagnostic::error(Code::Type, &node.loc, format!("“{what}”写的{why}")).help(STATED_HELP));
                None
            }
        }
    }

    /// Reads `true`/`false` (also 是/否).
    pub(crate) fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.scalar().map(str::trim) {
            Some("true" | "是") => Some(true),
            Some("false" | "否") => Some(false),
            other => {
                let shown = other.unwrap_or(node.kind_name());
                self.push(
                    Diagnostic::error(
                        Code::Type,
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
    pub(crate) fn date(&mut self, node: &Node, what: &str) -> Option<Date> {
        let text = self.text(node, what)?;
        match Date::parse(&text) {
            Some(d) => Some(d),
            None => {
                let shown = crate::diag::shorten(&text, 30);
                let d = match Date::impossible(&text) {
                    Some(why) => Diagnostic::error(Code::Date, &node.loc, format!("{what}“{shown}”不存在：{why}"))
                        .help("请改为实际的日期，例如 2023-05-05"),
                    None => Diagnostic::error(Code::Type, &node.loc, format!("{what}“{shown}”不是有效日期"))
                        .help("请写成 2023-05-05 或 2023年5月5日"),
                };
                self.push(d);
                None
            }
        }
    }
}

/// Largest figure accepted in a table: beyond this a figure is almost surely a typing slip.
pub(crate) const MAX_FIGURE: u64 = 100_000_000;

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
        let half = half_width_digits(text);
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

/// `text` with full-width digits (`０`–`９`, as Chinese input methods type them) made ASCII.
pub(crate) fn half_width_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            _ => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use crate::diag::Source;

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
}
