//! Rules on one month's table: unit names, column rules, rates, the 合计 row and headline figures.

use std::collections::HashMap;

use super::resolve_unit;
use crate::calendar::MonthId;
use crate::diag::quote_list;
use crate::diag::{Code, Diagnostic, Severity};
use crate::load::month::{MonthTable, Row, Stated};
use crate::load::number::Num;
use crate::load::registry::Standing;
use crate::load::schema::{Derived, Form, Source};
use crate::load::{Registry, TableSpec};

/// Checks one table of one month against its description and the registry.
pub(crate) fn check_table(
    spec: &TableSpec,
    table: &MonthTable,
    registry: &Registry,
    month: &MonthId,
    diags: &mut Vec<Diagnostic>,
) {
    for (key, loc) in &table.unfilled {
        diags.push(
            Diagnostic::error(Code::Unfilled, loc, format!("概况“{key}”尚未填写")).help("填入本期的数字（没有时填 0）"),
        );
    }
    check_rows(spec, table, registry, month, diags);
}

/// The rows alone (what `export` needs): units, column rules, stated rates, the 合计 row; and,
/// when every headline is filled in, the headline figures.
pub(crate) fn check_rows(
    spec: &TableSpec,
    table: &MonthTable,
    registry: &Registry,
    month: &MonthId,
    diags: &mut Vec<Diagnostic>,
) {
    if spec.form == Form::Units {
        check_units(spec, table, registry, month, diags);
        check_subtables(spec, table, registry, diags);
    }
    check_missing_months(spec, table, diags);
    for row in &table.rows {
        check_row(spec, row, diags);
        check_computed(spec, row, month, diags);
    }
    if table.incomplete {
        // Some figure could not be read: sums would only repeat that problem.
        return;
    }
    check_totals(spec, table, month, diags);
}

/// A column's or a headline's label, for messages.
fn label(spec: &TableSpec, key: &str) -> String {
    spec.column(key)
        .map(|c| c.label.clone())
        .or_else(|| spec.headline(key).map(|h| h.label.clone()))
        .unwrap_or_else(|| key.to_string())
}

/// One row: the column rules hold, and a stated rate is the computed one.
fn check_row(spec: &TableSpec, row: &Row, diags: &mut Vec<Diagnostic>) {
    for rule in spec.rules.iter().filter(|r| spec.column(&r.left).is_some()) {
        let (Some(a), Some(b)) = (row.value(&rule.left), row.value(&rule.right)) else {
            continue;
        };
        // A blank is nothing, not zero, even where it counts as zero.
        if row.is_blank(&rule.left) || row.is_blank(&rule.right) {
            continue;
        }
        if !rule.op.holds(a, b) {
            let at = row
                .values
                .iter()
                .find(|f| f.key == rule.left)
                .map(|f| &f.loc)
                .unwrap_or(&row.loc);
            diags.push(
                Diagnostic::error(
                    Code::Rule,
                    at,
                    format!(
                        "{}：“{}”为 {a}，{}“{}”（{b}）",
                        row.unit,
                        label(spec, &rule.left),
                        rule.op.words(),
                        label(spec, &rule.right)
                    ),
                )
                .help(format!(
                    "规则“{} {} {}”见 {}；请核对这一行的数字",
                    rule.left,
                    op_symbol(rule.op),
                    rule.right,
                    spec.loc.src.path.display()
                )),
            );
        }
    }
    for stated in &row.stated {
        if let Some(d) = spec.derived(&stated.key) {
            check_stated(d, row, stated, diags);
        }
    }
}

/// Who a row is, for messages: its unit, or its line in a list.
fn who(row: &Row) -> String {
    if row.unit.is_empty() {
        format!("第 {} 行", row.loc.line)
    } else {
        row.unit.clone()
    }
}

/// A computed or cumulative figure the file writes must be what tongbao computes (at the column's
/// decimals); a difference quotes both, as the column's `不符时` says (a warning by default: the
/// published figure is the office's).
fn check_computed(spec: &TableSpec, row: &Row, month: &MonthId, diags: &mut Vec<Diagnostic>) {
    for computed in &row.computed {
        let (Some(col), Some(written)) = (spec.column(&computed.key), row.figure(&computed.key)) else {
            continue;
        };
        if written.value == computed.value || !col.exists(month) {
            continue;
        }
        let how = match &col.source {
            Source::Computed(f) => format!("按“{}”计算为 {}", f.text, computed.value),
            Source::Cumulative { of } => format!("“{}”本年逐月累计为 {}", label(spec, of), computed.value),
            Source::Stated => continue,
        };
        diags.push(
            Diagnostic::at(
                col.mismatch,
                Code::ComputedDiffers,
                &written.loc,
                format!("{}：“{}”写作 {}，{how}", who(row), col.label, written.value),
            )
            .help(format!(
                "写明的数字照原样印出；如是笔误请改正，或删去“{}”由 tongbao 计算",
                col.key
            )),
        );
    }
}

/// A cumulative column needs every earlier month of the year.
fn check_missing_months(spec: &TableSpec, table: &MonthTable, diags: &mut Vec<Diagnostic>) {
    if table.missing.is_empty() {
        return;
    }
    let cols: Vec<&str> = spec
        .columns
        .iter()
        .filter(|c| matches!(c.source, Source::Cumulative { .. }))
        .map(|c| c.label.as_str())
        .collect();
    let months: Vec<String> = table
        .missing
        .iter()
        .rev()
        .map(|m| format!("{}年{}月", m.year, m.month))
        .collect();
    let first = table.missing.last().map(MonthId::name).unwrap_or_default();
    diags.push(
        Diagnostic::error(
            Code::CumulativeMonth,
            &table.loc,
            format!(
                "{}要累计本年此前各月的数据，但没有{}的“{}”表",
                quote_list(&cols),
                months.join("、"),
                spec.name
            ),
        )
        .help(format!(
            "把那个月的表格放在 data/{first}/{}.yaml（只放表格、没有 通报.txt 也可以）",
            spec.id
        )),
    );
}

/// Each unit of a table split into sub-tables belongs to exactly one of them.
fn check_subtables(spec: &TableSpec, table: &MonthTable, registry: &Registry, diags: &mut Vec<Diagnostic>) {
    if spec.subtables.is_empty() {
        return;
    }
    for row in &table.rows {
        let Some(unit) = registry.resolve(&row.unit) else {
            continue;
        };
        let holders: Vec<&str> = spec
            .subtables
            .iter()
            .filter(|s| s.holds(unit, registry))
            .map(|s| s.caption.as_str())
            .collect();
        let problem = match holders.len() {
            1 => continue,
            0 => format!("“{}”（{}）不属于任何分表", unit.name, unit.kind),
            _ => format!("“{}”同时属于分表{}", unit.name, quote_list(&holders)),
        };
        diags.push(Diagnostic::error(Code::Subtable, &row.unit_loc, problem).help(format!(
            "分表按单位的类别或名称收单位，见 {}",
            spec.loc.src.path.display()
        )));
    }
}

/// A rate the file states as printed must be the computed one at the precision it is written
/// with (trailing zeros not counted as precision: `57.10%` agrees with 57.1); a `0` or `—` for a
/// rate over nothing agrees. A disagreement quotes both, as a warning unless the description
/// makes it an error (the published figure is the office's).
fn check_stated(d: &Derived, row: &Row, stated: &Stated, diags: &mut Vec<Diagnostic>) {
    let Some((num, den)) = d.parts(&|k| row.value(k)) else {
        return;
    };
    let at = |places: u8| num.percent_of(den, places, d.rounding);
    let agrees = match stated.value {
        None => den.is_zero(),
        Some(v) if den.is_zero() => v.is_zero(),
        Some(v) => {
            let trimmed = Num::parse(&v.text_trimmed()).unwrap_or(v);
            at(v.scale) == Some(v) || at(trimmed.scale) == Some(trimmed)
        }
    };
    if agrees {
        return;
    }
    let places = stated.value.map_or(d.decimals, |v| v.scale);
    let computed = at(places).map_or("无法计算（分母为 0）".to_string(), |c| {
        format!("{}%", c.text())
    });
    diags.push(
        Diagnostic::at(
            d.stated,
            Code::StatedRate,
            &stated.loc,
            format!(
                "{}：“{}”写作 {}，按 {num}/{den} 计算为 {computed}",
                row.unit, d.label, stated.text
            ),
        )
        .help(format!(
            "写明的比率照原样印出（以发布的数字为准）；如是笔误请改正，或删去“{}”由 tongbao 计算",
            d.key
        )),
    );
}

/// The 合计 row is the sum of the rows; headline figures agree with their columns and rules.
fn check_totals(spec: &TableSpec, table: &MonthTable, month: &MonthId, diags: &mut Vec<Diagnostic>) {
    let sums = table.totals(spec, month);
    for stated in table.total.iter().flatten() {
        // A column that has no total (a figure with decimals, 合计: 无) prints what is written.
        let Some(sum) = sums.get(&stated.key).copied() else {
            continue;
        };
        if stated.value != sum {
            diags.push(
                Diagnostic::error(
                    Code::Total,
                    &stated.loc,
                    format!(
                        "合计“{}”写的是 {}，各行相加为 {sum}",
                        label(spec, &stated.key),
                        stated.value
                    ),
                )
                .help("合计由 tongbao 自动计算，可以删去；保留时须与各行之和一致，请核对合计或各行数字"),
            );
        }
    }
    for h in &spec.headlines {
        let Some(fig) = table.headline(&h.key) else {
            continue;
        };
        if let Some((col, _)) = &h.equals_total
            && let Some(sum) = sums.get(col)
            && *sum != fig.value
        {
            let help = match (&h.note, h.severity) {
                (Some(note), _) => note.clone(),
                (None, Severity::Warning) => "这是提醒，不影响生成；请确认统计口径".to_string(),
                (None, Severity::Error) => "正文数字与附件表格必须一致，请核对".to_string(),
            };
            diags.push(
                Diagnostic::at(
                    h.severity,
                    Code::Headline,
                    &fig.loc,
                    format!(
                        "概况“{}”为 {}，但附件中“{}”合计为 {sum}",
                        h.label,
                        fig.value,
                        label(spec, col)
                    ),
                )
                .help(help),
            );
        }
    }
    for rule in spec.rules.iter().filter(|r| spec.headline(&r.left).is_some()) {
        let (Some(a), Some(b)) = (table.headline(&rule.left), table.headline(&rule.right)) else {
            continue;
        };
        if !rule.op.holds(a.value, b.value) {
            diags.push(Diagnostic::error(
                Code::Rule,
                &a.loc,
                format!(
                    "概况“{}”为 {}，{}“{}”（{}）",
                    label(spec, &rule.left),
                    a.value,
                    rule.op.words(),
                    label(spec, &rule.right),
                    b.value
                ),
            ));
        }
    }
}

fn op_symbol(op: crate::load::schema::Op) -> &'static str {
    use crate::load::schema::Op;
    match op {
        Op::Le => "<=",
        Op::Lt => "<",
        Op::Eq => "=",
        Op::Ge => ">=",
    }
}

fn check_units(
    spec: &TableSpec,
    table: &MonthTable,
    registry: &Registry,
    month: &MonthId,
    diags: &mut Vec<Diagnostic>,
) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let when = |m: &MonthId| format!("{}年{}月", m.year, m.month);
    for row in &table.rows {
        let Some(unit) = resolve_unit(registry, &row.unit, &row.unit_loc, diags) else {
            continue;
        };
        match unit.standing(month) {
            Standing::Exists => {}
            Standing::NotYet(since) => diags.push(
                Diagnostic::error(
                    Code::UnitNotYet,
                    &row.unit_loc,
                    format!("单位“{}”于{}设立，{}时还不存在", unit.name, when(&since), when(month)),
                )
                .help("核对月份或单位；单位的设立、撤销和更名记在 data/units.yaml"),
            ),
            Standing::Gone(until, merged) => {
                let into = merged.map(|m| format!("，并入“{m}”")).unwrap_or_default();
                diags.push(
                    Diagnostic::error(
                        Code::UnitGone,
                        &row.unit_loc,
                        format!(
                            "单位“{}”已于{}撤销{into}，{}时已不存在",
                            unit.name,
                            when(&until),
                            when(month)
                        ),
                    )
                    .help("删去这一行，或把数字计入承接它的单位"),
                );
            }
        }
        if let Some(renamed) = unit.renamed_since(row.unit.trim(), month) {
            diags.push(
                Diagnostic::error(
                    Code::UnitRenamed,
                    &row.unit_loc,
                    format!(
                        "“{}”已于{}更名为“{}”",
                        row.unit.trim(),
                        when(&renamed),
                        unit.name_at(month)
                    ),
                )
                .help(format!("{}起请写“{}”", when(&renamed), unit.name_at(month))),
            );
        }
        if let Some(line) = seen.insert(unit.name.as_str(), row.unit_loc.line) {
            let also = if row.unit == unit.name {
                String::new()
            } else {
                format!("（“{}”是“{}”的别名）", row.unit, unit.name)
            };
            diags.push(
                Diagnostic::error(
                    Code::UnitTwice,
                    &row.unit_loc,
                    format!("单位“{}”在表中出现了两次{also}，第 {line} 行已有", unit.name),
                )
                .help("每个单位只占一行，请合并两行的数字或删去重复的一行"),
            );
        }
    }
    for (kind, _) in &spec.required_kinds {
        let missing: Vec<&str> = registry
            .units
            .iter()
            .filter(|u| &u.kind == kind && u.standing(month) == Standing::Exists && !seen.contains_key(u.name.as_str()))
            .map(|u| u.name.as_str())
            .collect();
        if !missing.is_empty() {
            diags.push(
                Diagnostic::error(
                    Code::UnitMissing,
                    &table.loc,
                    format!("{}缺少{}类单位：{}", spec.name, kind, missing.join("、")),
                )
                .help(format!("表格定义要求列出所有“{kind}”；本月没有数据的单位请填一行 0")),
            );
        }
    }
}
