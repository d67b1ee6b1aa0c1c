//! Rules on the month's text (`通报.txt`) beyond its expressions (which `load::expr` parses and
//! `render::text` evaluates, so a name that does not exist is found by the same code in `check`
//! and `build`): headings are numbered in order without skipping a level; the months and years the
//! text names are the period's; and a number typed by hand that the data holds (or contradicts) is
//! pointed out with the expression that would print it.

use crate::calendar::{self, Period};
use crate::diag::{Code, Diagnostic};
use crate::load::text::{Block, Line, Text};
use crate::load::{Data, Month};

pub(crate) fn check_text(data: &Data, month: &Month, diags: &mut Vec<Diagnostic>) {
    let Some(text) = &month.text else { return };
    let facts = Facts::of(data, month);
    check_headings(text, diags);
    let period = month.period();
    for (line, part) in lines(text) {
        if part != Part::Signature {
            check_periods(line, &period, diags);
            check_comparison_words(line, &period, diags);
        }
        if matches!(part, Part::Body | Part::Title) {
            check_numbers(line, &facts, diags);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Title,
    Body,
    Other,
    Signature,
}

fn lines(text: &Text) -> Vec<(&Line, Part)> {
    let mut out: Vec<(&Line, Part)> = text.title.iter().map(|l| (l, Part::Title)).collect();
    out.extend(text.recipients.iter().map(|l| (l, Part::Other)));
    for block in &text.body {
        let line = match block {
            Block::Paragraph(line) | Block::Heading { line, .. } => line,
        };
        out.push((line, Part::Body));
    }
    out.extend(text.attachments.iter().map(|a| (&a.name, Part::Other)));
    out.extend(text.contact.iter().map(|l| (l, Part::Other)));
    out.extend(text.issuers.iter().map(|l| (l, Part::Signature)));
    out.extend(text.note.iter().map(|l| (l, Part::Other)));
    out
}

const CHINESE: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

/// The Chinese numeral of 1–99 as headings write it (十一, 二十).
fn chinese_number(n: usize) -> String {
    match n {
        1..=10 => CHINESE[n - 1].to_string(),
        11..=19 => format!("十{}", CHINESE[n - 11]),
        20..=99 => format!(
            "{}十{}",
            CHINESE[n / 10 - 1],
            if n.is_multiple_of(10) { "" } else { CHINESE[n % 10 - 1] }
        ),
        _ => n.to_string(),
    }
}

/// Headings go 一、 → （一） → 1. → （1）, each level numbered from one, without skipping a level.
fn check_headings(text: &Text, diags: &mut Vec<Diagnostic>) {
    let mut counters = [0usize; 5];
    let mut deepest_open = 0u8;
    for block in &text.body {
        let Block::Heading {
            level, number, line, ..
        } = block
        else {
            continue;
        };
        let l = usize::from(level.0);
        if level.0 > 1 && deepest_open < level.0 - 1 {
            let parent = ["一、", "（一）", "1.", "（1）"][l - 2];
            diags.push(
                Diagnostic::warning(
                    Code::HeadingLevel,
                    &line.at(0, number.chars().count() + 2),
                    format!("这个标题前面没有上一级标题（{parent}）"),
                )
                .help("标题层次依次为 一、（一）1.（1），不能越级"),
            );
        }
        counters[l] += 1;
        for c in counters.iter_mut().skip(l + 1) {
            *c = 0;
        }
        deepest_open = level.0;
        let n = counters[l];
        let expected = if l == 1 || l == 2 {
            chinese_number(n)
        } else {
            n.to_string()
        };
        if *number != expected {
            diags.push(
                Diagnostic::warning(
                    Code::HeadingNumber,
                    &line.at(0, number.chars().count() + 2),
                    format!("标题编号应为“{expected}”，这里是“{number}”"),
                )
                .help("删去或调整章节后，请按顺序重新编号"),
            );
            // Go on from the number written, so one gap gives one warning.
            if let Some(k) = (1..100).find(|k| {
                let s = if l <= 2 { chinese_number(*k) } else { k.to_string() };
                s == *number
            }) {
                counters[l] = k;
            }
        }
    }
}

/// Words after a month that make it a deliberate reference to another time (`2023年4月起`).
const REFERENCES: [&str; 12] = [
    "起", "以来", "以前", "以后", "前", "后", "底", "初", "中旬", "上旬", "下旬", "至今",
];

/// Months and years written in the text must be the period's: `2023年3月` or `3月份` left from last
/// month is the slip staff make most often.
fn check_periods(line: &Line, period: &Period, diags: &mut Vec<Diagnostic>) {
    for (at, text) in line.texts() {
        let chars: Vec<char> = text.chars().collect();
        for m in calendar::mentions(text) {
            let rest: String = chars[m.at + m.len..].iter().take(2).collect();
            if REFERENCES.iter().any(|r| rest.starts_with(r)) {
                continue;
            }
            let year_ok = m.year.is_none_or(|y| y == period.year);
            let months_ok = m.first == period.first && m.last == period.last;
            // A single month inside a longer period (`4月`) may be named on purpose.
            let inside = m.first == m.last && period.contains(m.year.unwrap_or(period.year), m.first);
            if year_ok && (months_ok || (inside && !m.fen)) {
                continue;
            }
            let written: String = chars[m.at..m.at + m.len].iter().collect();
            diags.push(
                Diagnostic::warning(
                    Code::PeriodMismatch,
                    &line.at(at + m.at, m.len),
                    format!("这里写的是“{written}”，但本期通报是{}", period.label()),
                )
                .help(format!(
                    "复制上月文件后忘了改？可写成 {{{{ 期间 }}}}（{}）或 {{{{ 年 }}}}年{{{{ 月 }}}}月，随期间自动变化",
                    period.label()
                )),
            );
        }
    }
}

/// A comparison with "last month" in a circular of several months reads the period before, which
/// is not a month: said, with the word that fits (`较上期`).
fn check_comparison_words(line: &Line, period: &Period, diags: &mut Vec<Diagnostic>) {
    if period.len() == 1 {
        return;
    }
    for e in line.expressions() {
        for call in e.filters.iter().filter(|c| c.filter.name().contains("上月")) {
            let better = call.filter.name().replace("上月", "上期");
            diags.push(
                Diagnostic::warning(
                    Code::ExpressionFilter,
                    &line.at(call.name.at, call.name.len),
                    format!(
                        "本期是{}，“{}”比较的是上一期，不是上个月",
                        period.label(),
                        call.filter.name()
                    ),
                )
                .help(format!("写作“{better}”")),
            );
        }
    }
}

/// What the data holds: each table-wide figure's printed value, measure word and label.
struct Facts {
    /// (expression, label, measure or "%", printed value)
    all: Vec<(String, String, String, String)>,
}

impl Facts {
    fn of(data: &Data, month: &Month) -> Facts {
        let mut all = Vec::new();
        let at = month.period().end();
        for spec in data.specs.iter() {
            let Some(table) = month.table(&spec.id) else { continue };
            let name = spec.expression_name();
            let mut values = table.totals(spec, &at);
            for c in spec.columns_at(&at) {
                if let Some(v) = values.get(&c.key) {
                    let measure = c.measure.clone().unwrap_or_default();
                    all.push((
                        format!("{name}.{}", c.key),
                        c.label_at(&at).to_string(),
                        measure,
                        v.text(),
                    ));
                }
            }
            for h in &spec.headlines {
                if let Some(f) = table.headline(&h.key) {
                    values.insert(h.key.clone(), f.value);
                    all.push((
                        format!("{name}.{}", h.key),
                        h.label.clone(),
                        h.measure.clone().unwrap_or_default(),
                        f.value.text(),
                    ));
                }
            }
            for d in spec.derived_at(&at) {
                if let Some((n, den)) = d.parts(&|k| values.get(k).copied())
                    && let Some(v) = n.percent_of(den, d.decimals, d.rounding)
                {
                    let v = crate::load::schema::shown(v, d.keep_zeros);
                    all.push((format!("{name}.{}", d.key), d.label.clone(), "%".into(), v));
                }
            }
        }
        Facts { all }
    }

    fn measures(&self) -> Vec<&str> {
        let mut m: Vec<&str> = self
            .all
            .iter()
            .map(|f| f.2.as_str())
            .filter(|m| !m.is_empty())
            .collect();
        m.sort();
        m.dedup();
        m
    }
}

/// A number typed by hand with a measure word (`59项`, `40%`): if the data holds it, the expression
/// is offered; if the words before it name a figure whose value differs, the difference is shown.
fn check_numbers(line: &Line, facts: &Facts, diags: &mut Vec<Diagnostic>) {
    let measures = facts.measures();
    for (at, text) in line.texts() {
        let chars: Vec<char> = text.chars().collect();
        let mut k = 0;
        while k < chars.len() {
            if !chars[k].is_ascii_digit() || (k > 0 && (chars[k - 1].is_ascii_digit() || chars[k - 1] == '.')) {
                k += 1;
                continue;
            }
            let len = chars[k..]
                .iter()
                .take_while(|c| c.is_ascii_digit() || **c == '.')
                .count();
            let number: String = chars[k..k + len].iter().collect();
            let after: String = chars[k + len..].iter().take(3).collect();
            if let Some(measure) = measures.iter().copied().find(|m| after.trim_start().starts_with(m)) {
                let before: String = chars[k.saturating_sub(14)..k].iter().collect();
                if let Some(d) = typed_figure(facts, &number, measure, &before, &line.at(at + k, len)) {
                    diags.push(d);
                }
            }
            k += len;
        }
    }
}

/// The warning for `number` typed with `measure` after the words `before`, if the data says
/// something about it.
fn typed_figure(
    facts: &Facts,
    number: &str,
    measure: &str,
    before: &str,
    loc: &crate::diag::Loc,
) -> Option<Diagnostic> {
    let same_measure = || facts.all.iter().filter(|f| f.2 == measure);
    let named: Vec<_> = same_measure()
        .filter(|f| before.contains(&f.1) || before.ends_with(&f.1))
        .collect();
    if let Some(f) = named.iter().find(|f| f.3 == number) {
        return Some(
            Diagnostic::warning(
                Code::TypedFigure,
                loc,
                format!("数字 {number}{measure} 是手写的，数据中“{}”正是 {}", f.1, f.3),
            )
            .help(format!("写成 {{{{ {} }}}}，数据改了这里会跟着变", f.0)),
        );
    }
    if let Some(f) = named.first() {
        return Some(
            Diagnostic::warning(
                Code::TypedFigureDiffers,
                loc,
                format!("这里写 {number}{measure}，但数据中“{}”是 {}{measure}", f.1, f.3),
            )
            .help(format!("请核对；写成 {{{{ {} }}}} 就与数据一致", f.0)),
        );
    }
    let f = same_measure().find(|f| f.3 == number).filter(|_| number.len() >= 2)?;
    Some(
        Diagnostic::warning(
            Code::TypedFigure,
            loc,
            format!("数字 {number}{measure} 是手写的，数据中“{}”正是 {}", f.1, f.3),
        )
        .help(format!("如果说的是它，写成 {{{{ {} }}}}", f.0)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numbers() {
        assert_eq!(chinese_number(3), "三");
        assert_eq!(chinese_number(12), "十二");
        assert_eq!(chinese_number(20), "二十");
        assert_eq!(chinese_number(23), "二十三");
    }
}
