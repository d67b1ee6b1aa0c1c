//! Stage 3: turn a checked month into the plain data the templates print: canonical unit names in
//! registry order, totals, rates, rankings and changes from last month.
//!
//! Keys are Chinese because office staff and their IT people edit the templates that read them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::load::{Data, Month, MonthTable, TableSpec};

/// The month being printed.
#[derive(Debug, Serialize)]
pub(crate) struct MonthInfo {
    pub 年: i32,
    pub 月: u8,
    /// Folder name `YYYY-MM`.
    pub 编号: String,
}

/// A column header.
#[derive(Debug, Serialize)]
pub(crate) struct ColumnOut {
    pub 键: String,
    pub 名称: String,
    pub 量词: Option<String>,
    /// Printed header, e.g. 本月投诉（条）.
    pub 表头: String,
}

/// A printed row.
#[derive(Debug, Serialize)]
pub(crate) struct RowOut {
    /// 1-based row number.
    pub 序号: usize,
    /// Canonical unit name.
    pub 单位: String,
    pub 类别: String,
    /// Column figures by key.
    pub 值: BTreeMap<String, u64>,
    /// Derived rates by key (None when the denominator is 0).
    pub 比率: BTreeMap<String, Option<u64>>,
    /// The printed cells after 序号 and 单位: figures, then rates (“33%”, “—”).
    pub 单元格: Vec<String>,
}

/// A unit in a ranking.
#[derive(Debug, Serialize)]
pub(crate) struct Ranked {
    pub 单位: String,
    pub 值: u64,
    /// Registry display order (to list ranked units in the customary order).
    pub 序: usize,
}

/// A figure this month and last month.
#[derive(Debug, Serialize)]
pub(crate) struct Change {
    pub 上月: u64,
    pub 本月: u64,
    /// Difference (this − last).
    pub 增减: i64,
}

/// A table ready to print.
#[derive(Debug, Serialize)]
pub(crate) struct TableOut {
    pub 编号: String,
    pub 名称: String,
    /// Attachment title for this month.
    pub 标题: String,
    /// Headers of all printed columns (序号, 单位, figures, rates).
    pub 表头: Vec<String>,
    /// Figure columns.
    pub 列: Vec<ColumnOut>,
    /// Rows, in file order or registry order as the description says.
    pub 行: Vec<RowOut>,
    /// Column totals by key (always computed).
    pub 合计值: BTreeMap<String, u64>,
    /// The printed 合计 row cells when the description asks for one.
    pub 合计: Option<Vec<String>>,
    /// Headline figures by key.
    pub 概况: BTreeMap<String, u64>,
    /// Derived rates over headlines and over column totals, by key.
    pub 比率: BTreeMap<String, Option<u64>>,
    /// Per column, units with a non-zero figure, largest first (ties in registry order).
    pub 排名: BTreeMap<String, Vec<Ranked>>,
    /// Changes from last month of headlines and column totals, when last month exists.
    pub 变化: BTreeMap<String, Change>,
}

/// An entry of the 附件说明.
#[derive(Debug, Serialize)]
pub(crate) struct AttachmentOut {
    pub 序号: usize,
    pub 名称: String,
    pub 表: String,
}

/// The 版记.
#[derive(Debug, Serialize)]
pub(crate) struct ColophonOut {
    pub 抄送: Option<String>,
    pub 印发机关: Option<String>,
    /// 印发日期, written 2023年5月5日.
    pub 印发日期: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct LayoutOut {
    pub 版头: bool,
    pub 发文机关标志: String,
    pub 份号: Option<String>,
    pub 密级: Option<String>,
    pub 紧急程度: Option<String>,
    /// Seal image path (root-relative, with a leading slash for Typst).
    pub 印章: Option<String>,
    pub 附注: Option<String>,
    pub 版记: Option<ColophonOut>,
}

/// The document's text.
#[derive(Debug, Serialize)]
pub(crate) struct DocOut {
    pub 发文机关: String,
    pub 发文字号: Option<String>,
    /// 标题, in one piece.
    pub 标题: String,
    /// 标题 as the lines the office asked for (one entry: balance automatically).
    pub 标题行: Vec<String>,
    pub 主送: String,
    /// 成文日期, written 2023年5月5日.
    pub 成文日期: String,
    /// Prose: key → paragraphs.
    pub 正文: BTreeMap<String, Vec<String>>,
    /// Named units: key → canonical names as written in the prose.
    pub 点名: BTreeMap<String, Vec<String>>,
    /// 附件说明.
    pub 附件: Vec<AttachmentOut>,
    pub 版式: LayoutOut,
}

/// Everything the templates see.
#[derive(Debug, Serialize)]
pub(crate) struct Circular {
    pub 月份: MonthInfo,
    pub 公文: DocOut,
    pub 表: BTreeMap<String, TableOut>,
}

/// Aggregates month `id` of `data` (which must have passed the checks without errors).
pub(crate) fn aggregate(data: &Data, id: &str) -> Option<Circular> {
    let month = data.month(id)?;
    let doc = month.document.as_ref()?;
    let previous = data.month(&month.id.previous().name());
    let mut tables = BTreeMap::new();
    for spec in &data.specs {
        let Some(table) = month.table(&spec.id) else {
            continue;
        };
        let prev = previous.and_then(|p| p.table(&spec.id));
        tables.insert(spec.id.clone(), table_out(data, month, spec, table, prev));
    }
    let layout = &doc.layout;
    Some(Circular {
        月份: MonthInfo {
            年: month.id.year,
            月: month.id.month,
            编号: month.name.clone(),
        },
        公文: DocOut {
            发文机关: prose(&doc.issuer),
            发文字号: doc.number.clone(),
            标题: prose(&doc.title.concat()),
            标题行: doc.title.iter().map(|t| prose(t)).collect(),
            主送: prose(&doc.recipients),
            成文日期: doc.date.chinese(),
            正文: doc
                .texts
                .iter()
                .map(|t| (t.key.clone(), t.paragraphs.iter().map(|(p, _)| prose(p)).collect()))
                .collect(),
            点名: doc
                .named
                .iter()
                .map(|(k, names)| (k.clone(), names.iter().map(|(n, _)| n.clone()).collect()))
                .collect(),
            附件: doc
                .attachments
                .iter()
                .enumerate()
                .map(|(i, a)| AttachmentOut {
                    序号: i + 1,
                    名称: prose(&a.name),
                    表: a.table.clone(),
                })
                .collect(),
            版式: LayoutOut {
                版头: layout.red_header,
                发文机关标志: layout
                    .header_mark
                    .clone()
                    .unwrap_or_else(|| format!("{}文件", doc.issuer)),
                份号: layout.copy_number.clone(),
                密级: layout.secrecy.clone(),
                紧急程度: layout.urgency.clone(),
                印章: layout
                    .seal
                    .as_ref()
                    .map(|(p, _)| format!("/{}", p.trim_start_matches('/'))),
                附注: layout.note.as_ref().map(|n| prose(n)),
                版记: layout.colophon.as_ref().map(|c| ColophonOut {
                    抄送: c.copies.as_ref().map(|s| prose(s)),
                    印发机关: c.printer.clone(),
                    印发日期: c.printed.map(|d| d.chinese()),
                }),
            },
        },
        表: tables,
    })
}

fn table_out(data: &Data, month: &Month, spec: &TableSpec, table: &MonthTable, prev: Option<&MonthTable>) -> TableOut {
    let registry = &data.registry;
    // Rows in file order, or in registry order when the description asks for it.
    let mut rows: Vec<(usize, &crate::load::month::Row, String, String)> = table
        .rows
        .iter()
        .map(|r| match registry.resolve(&r.unit) {
            Some(u) => (u.order, r, u.name.clone(), u.kind.clone()),
            None => (usize::MAX, r, r.unit.clone(), String::new()),
        })
        .collect();
    if spec.registry_order {
        rows.sort_by_key(|(order, ..)| *order);
    }

    let rate_cell = |v: Option<u64>| v.map_or("—".to_string(), |v| format!("{v}%"));
    let totals = table.totals(spec);
    let rates_over = |values: &BTreeMap<String, u64>| -> BTreeMap<String, Option<u64>> {
        spec.derived
            .iter()
            .filter_map(|d| {
                let (n, den) = (values.get(&d.numerator.0)?, values.get(&d.denominator.0)?);
                Some((d.key.clone(), d.rounding.percent(*n, *den)))
            })
            .collect()
    };
    let cells = |values: &BTreeMap<String, u64>, rates: &BTreeMap<String, Option<u64>>| -> Vec<String> {
        spec.columns
            .iter()
            .map(|c| values.get(&c.key).map_or(String::new(), u64::to_string))
            .chain(
                spec.derived
                    .iter()
                    .filter(|d| d.shown)
                    .map(|d| rate_cell(rates.get(&d.key).copied().flatten())),
            )
            .collect()
    };

    let rows_out: Vec<RowOut> = rows
        .iter()
        .enumerate()
        .map(|(i, (_, row, name, kind))| {
            let values: BTreeMap<String, u64> = row.values.iter().map(|f| (f.key.clone(), f.value)).collect();
            let rates = rates_over(&values);
            RowOut {
                序号: i + 1,
                单位: name.clone(),
                类别: kind.clone(),
                单元格: cells(&values, &rates),
                值: values,
                比率: rates,
            }
        })
        .collect();

    let headlines: BTreeMap<String, u64> = table.headlines.iter().map(|f| (f.key.clone(), f.value)).collect();
    let mut all = totals.clone();
    all.extend(headlines.clone());
    let rates = rates_over(&all);

    let mut ranks = BTreeMap::new();
    for c in &spec.columns {
        let mut list: Vec<Ranked> = rows_out
            .iter()
            .zip(&rows)
            .filter_map(|(r, (order, ..))| {
                let v = *r.值.get(&c.key)?;
                (v > 0).then(|| Ranked {
                    单位: r.单位.clone(),
                    值: v,
                    序: *order,
                })
            })
            .collect();
        list.sort_by(|a, b| b.值.cmp(&a.值).then(a.序.cmp(&b.序)));
        ranks.insert(c.key.clone(), list);
    }

    let mut changes = BTreeMap::new();
    if let Some(prev) = prev {
        let mut before = prev.totals(spec);
        before.extend(prev.headlines.iter().map(|f| (f.key.clone(), f.value)));
        for (k, now) in &all {
            if let Some(was) = before.get(k) {
                changes.insert(
                    k.clone(),
                    Change {
                        上月: *was,
                        本月: *now,
                        增减: *now as i64 - *was as i64,
                    },
                );
            }
        }
    }

    TableOut {
        编号: spec.id.clone(),
        名称: spec.name.clone(),
        标题: prose(&spec.title_for(month.id.year, month.id.month)),
        表头: ["序号".to_string(), "单位".to_string()]
            .into_iter()
            .chain(spec.columns.iter().map(|c| c.header()))
            .chain(spec.derived.iter().filter(|d| d.shown).map(|d| d.label.clone()))
            .collect(),
        列: spec
            .columns
            .iter()
            .map(|c| ColumnOut {
                键: c.key.clone(),
                名称: c.label.clone(),
                量词: c.measure.clone(),
                表头: c.header(),
            })
            .collect(),
        行: rows_out,
        合计: spec.total_row.then(|| cells(&totals, &rates)),
        合计值: totals,
        概况: headlines,
        比率: rates,
        排名: ranks,
        变化: changes,
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF | 0x2018..=0x201D | 0x2014 | 0x2026)
}

/// Normalises prose for typesetting, without changing its words:
/// line breaks inside a paragraph are dropped between Chinese characters (kept as one space between
/// Latin words), and ASCII punctuation `, : ; ? ! ( )` written next to Chinese text becomes the
/// full-width form a circular uses (`http://…` and `3.5` are left alone).
pub(crate) fn prose(text: &str) -> String {
    let chars: Vec<char> = text.trim().chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut open_parens: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() && c != '\u{3000}' {
            while i < chars.len() && chars[i].is_whitespace() && chars[i] != '\u{3000}' {
                i += 1;
            }
            let prev = out.last().copied();
            let next = chars.get(i).copied();
            let keep = match (prev, next) {
                (Some(p), Some(n)) => !(is_cjk(p) || is_cjk(n)),
                _ => false,
            };
            if keep {
                out.push(' ');
            }
            continue;
        }
        let prev = out.last().copied();
        let next = chars.get(i + 1).copied();
        let after_cjk = prev.is_some_and(is_cjk);
        let before_cjk = next.is_some_and(is_cjk);
        let converted = match c {
            ',' if after_cjk => '，',
            ':' if after_cjk && next.is_none_or(|n| n != '/') => '：',
            ';' if after_cjk => '；',
            '?' if after_cjk => '？',
            '!' if after_cjk => '！',
            '(' => {
                let wide = after_cjk || before_cjk;
                open_parens.push(wide);
                if wide { '（' } else { '(' }
            }
            ')' => {
                let wide = open_parens.pop().unwrap_or(after_cjk || before_cjk);
                if wide { '）' } else { ')' }
            }
            _ => c,
        };
        out.push(converted);
        i += 1;
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prose_uses_full_width_punctuation_next_to_chinese() {
        assert_eq!(
            prose("总寨镇政府、各街道办事处,区政府各部门"),
            "总寨镇政府、各街道办事处，区政府各部门"
        );
        assert_eq!(prose("工作如下:一是"), "工作如下：一是");
        assert_eq!(
            prose("栏目(http://www.xncz.gov.cn/zwgk/bmxxgk.htm)公布的本单位信息, 及时上报"),
            "栏目（http://www.xncz.gov.cn/zwgk/bmxxgk.htm）公布的本单位信息，及时上报"
        );
        assert_eq!(prose("第一行\n  第二行"), "第一行第二行");
        assert_eq!(prose("see the\nmanual, 3.5"), "see the manual, 3.5");
    }
}
