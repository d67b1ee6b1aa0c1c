//! Rules on the registry and on the table descriptions.

use std::collections::HashMap;

use crate::diag::{Code, Diagnostic, Loc, quote_list};
use crate::load::schema::{Column, Derived, Form, NumberColumn, Order, ROW_COUNT, Source, Total};
use crate::load::{Registry, TableSpec};

/// Every name (canonical or alias) names one unit; every unit has a known kind.
pub(crate) fn check_registry(registry: &Registry, diags: &mut Vec<Diagnostic>) {
    let kinds: Vec<&str> = registry.kinds.iter().map(|(k, _)| k.as_str()).collect();
    let mut seen: HashMap<&str, (&str, &Loc)> = HashMap::new();
    for unit in &registry.units {
        if !kinds.contains(&unit.kind.as_str()) {
            diags.push(
                Diagnostic::error(Code::UnitKind, &unit.kind_loc, format!("未知的单位类别“{}”", unit.kind))
                    .help(format!("类别须是名录开头“类别”中的一项：{}", quote_list(&kinds))),
            );
        }
        let names = std::iter::once((unit.name.as_str(), &unit.loc))
            .chain(unit.aliases.iter().map(|(a, l)| (a.as_str(), l)))
            .chain(unit.former.iter().map(|f| (f.name.as_str(), &f.loc)));
        for (name, loc) in names {
            if let Some((owner, first)) = seen.get(name) {
                let msg = if *owner == unit.name {
                    format!("“{name}”在同一单位下重复出现")
                } else {
                    format!(
                        "名称“{name}”已用于单位“{owner}”（第 {} 行），不能再指另一个单位",
                        first.line
                    )
                };
                diags.push(
                    Diagnostic::error(Code::UnitDuplicateName, loc, msg).help("每个名称（含别名）只能指向一个单位"),
                );
            } else {
                seen.insert(name, (unit.name.as_str(), loc));
            }
        }
    }
}

/// A unit's history holds together: 撤销 after 设立, 并入 names a unit and comes with 撤销.
pub(crate) fn check_history(registry: &Registry, diags: &mut Vec<Diagnostic>) {
    for unit in &registry.units {
        if let (Some(s), Some(u)) = (&unit.since, &unit.until)
            && u <= s
        {
            diags.push(
                Diagnostic::error(
                    Code::UnitHistory,
                    &unit.loc,
                    format!("单位“{}”的撤销月份不在设立月份之后", unit.name),
                )
                .help("“设立”是开始存在的月份，“撤销”是不再存在的第一个月"),
            );
        }
        if let Some((into, loc)) = &unit.merged_into {
            if unit.until.is_none() {
                diags.push(
                    Diagnostic::error(
                        Code::UnitHistory,
                        loc,
                        format!("单位“{}”写了并入，却没有写撤销月份", unit.name),
                    )
                    .help("并入另一单位时，写明从哪个月起撤销：撤销: 2024-07"),
                );
            }
            if registry.resolve(into).is_none() {
                diags.push(
                    Diagnostic::error(Code::UnitHistory, loc, format!("并入的单位“{into}”不在名录中"))
                        .help("并入的单位须在 data/units.yaml 中登记"),
                );
            }
        }
    }
}

/// One table, one short name, for ever: two descriptions claiming the same name (a 简称, or a
/// 简称 that is another table's id) are an error at both places, so that no month's text can mean
/// one table in one month and another in the next. A table whose columns change over the years
/// keeps its description, with `设立`, `撤销` and `曾用名` on the columns.
pub(crate) fn check_short_names(specs: &[TableSpec], diags: &mut Vec<Diagnostic>) {
    for (i, a) in specs.iter().enumerate() {
        for b in specs.iter().skip(i + 1) {
            let clash = a.expression_name() == b.expression_name()
                || a.expression_name() == b.id
                || b.expression_name() == a.id;
            if !clash {
                continue;
            }
            let name = if a.expression_name() == b.expression_name() {
                a.expression_name()
            } else {
                &b.id
            };
            for (this, other) in [(a, b), (b, a)] {
                let loc = this.short.as_ref().map_or_else(|| this.loc.clone(), |(_, l)| l.clone());
                diags.push(
                    Diagnostic::error(
                        Code::SpecShort,
                        &loc,
                        format!(
                            "简称“{name}”也被 {} 使用，正文中的“{name}”会指两张表",
                            other.loc.src.path.display()
                        ),
                    )
                    .help(
                        "每张表的简称只能有一个主人；列随年份变化时不必另写定义，在原定义的列上写“设立”“撤销”“曾用名”",
                    ),
                );
            }
        }
    }
}

/// Keys are unique and every reference in a description names something that exists.
pub(crate) fn check_spec(spec: &TableSpec, registry: &Registry, diags: &mut Vec<Diagnostic>) {
    let mut keys: HashMap<&str, &Loc> = HashMap::new();
    let declared = spec
        .columns
        .iter()
        .map(|c| (c.key.as_str(), &c.loc))
        .chain(spec.headlines.iter().map(|h| (h.key.as_str(), &h.loc)))
        .chain(spec.derived.iter().map(|d| (d.key.as_str(), &d.loc)));
    for (key, loc) in declared {
        if key == "单位" && spec.form == Form::Units {
            diags.push(Diagnostic::error(Code::SpecKey, loc, "“单位”是保留的键，不能用作列名").help("请换一个键名"));
        }
        if key == ROW_COUNT {
            diags.push(
                Diagnostic::error(
                    Code::SpecKey,
                    loc,
                    format!("“{ROW_COUNT}”是保留的键（表格的行数），不能用作列名"),
                )
                .help("请换一个键名"),
            );
        }
        if let Some(first) = keys.insert(key, loc) {
            diags.push(
                Diagnostic::error(
                    Code::SpecKey,
                    loc,
                    format!("键“{key}”重复（第 {} 行已定义）", first.line),
                )
                .help("列、概况和派生的键在一张表里必须各不相同"),
            );
        }
    }
    let is_col = |k: &str| spec.column(k).is_some();
    let is_head = |k: &str| spec.headline(k).is_some();
    for d in &spec.derived {
        check_derived(spec, d, diags);
    }
    check_columns(spec, diags);
    check_layout(spec, registry, diags);
    check_placeholders(spec, diags);
    for rule in &spec.rules {
        for k in [&rule.left, &rule.right] {
            if !is_col(k) && !is_head(k) {
                diags.push(unknown_key(spec, k, &rule.loc));
            }
        }
        if is_col(&rule.left) != is_col(&rule.right)
            && (is_col(&rule.left) || is_head(&rule.left))
            && (is_col(&rule.right) || is_head(&rule.right))
        {
            diags.push(Diagnostic::error(
                Code::SpecRule,
                &rule.loc,
                "规则两边必须同为列或同为概况",
            ));
        }
    }
    for h in &spec.headlines {
        if let Some((col, loc)) = &h.equals_total {
            match spec.column(col) {
                None => diags.push(unknown_key(spec, col, loc)),
                Some(c) if c.measure.is_some() && h.measure.is_some() && c.measure != h.measure => diags.push(
                    Diagnostic::warning(
                        Code::MeasureMismatch,
                        loc,
                        format!(
                            "概况“{}”以“{}”计，而它应等于的列“{}”以“{}”计",
                            h.label,
                            h.measure.as_deref().unwrap_or_default(),
                            c.label,
                            c.measure.as_deref().unwrap_or_default()
                        ),
                    )
                    .help("正文与附件的量词应一致；如统计口径不同，请核对列名"),
                ),
                Some(_) => {}
            }
        }
    }
    let kinds: Vec<&str> = registry.kinds.iter().map(|(k, _)| k.as_str()).collect();
    for (kind, loc) in &spec.required_kinds {
        if !kinds.contains(&kind.as_str()) {
            diags.push(
                Diagnostic::error(Code::UnitKind, loc, format!("未知的单位类别“{kind}”"))
                    .help(format!("可用的类别：{}", quote_list(&kinds))),
            );
        }
    }
}

fn unknown_key(spec: &TableSpec, key: &str, loc: &Loc) -> Diagnostic {
    let known: Vec<&str> = spec
        .columns
        .iter()
        .map(|c| c.key.as_str())
        .chain(spec.headlines.iter().map(|h| h.key.as_str()))
        .collect();
    let near = crate::diag::suggestions(key, known.iter().copied(), 1);
    let help = if near.is_empty() {
        format!("可用的键：{}", quote_list(&known))
    } else {
        format!("是否应为{}？", quote_list(&near))
    };
    Diagnostic::error(Code::SpecKey, loc, format!("表格“{}”中没有键“{key}”", spec.name)).help(help)
}

/// A rate's numerator and denominator read columns of one row, or headline figures, not both.
fn check_derived(spec: &TableSpec, d: &Derived, diags: &mut Vec<Diagnostic>) {
    let is_col = |k: &str| spec.column(k).is_some();
    let is_head = |k: &str| spec.headline(k).is_some();
    for (f, loc) in [&d.numerator, &d.denominator] {
        for k in f.keys() {
            match spec.column(k) {
                Some(c) if !c.kind.is_figure() => diags.push(text_in_formula(c, loc)),
                Some(_) => {}
                None if is_head(k) => {}
                None => diags.push(unknown_key(spec, k, loc)),
            }
        }
    }
    let keys = d.keys();
    if keys.iter().any(|k| is_col(k)) && keys.iter().any(|k| is_head(k)) {
        diags.push(
            Diagnostic::error(Code::SpecDerived, &d.loc, "分子和分母必须同为列或同为概况")
                .help("比率只能在同一行的列之间，或概况数之间计算"),
        );
    }
}

fn text_in_formula(c: &Column, loc: &Loc) -> Diagnostic {
    Diagnostic::error(Code::SpecFormula, loc, format!("“{}”是文字列，不能参与计算", c.key))
        .help("算式只能用数字列；文字列照写照印")
}

/// Computed and cumulative columns read figures of the row that exist; no two compute each other;
/// a blank column's declaration is consistent; a text column is never totalled or ranked.
fn check_columns(spec: &TableSpec, diags: &mut Vec<Diagnostic>) {
    for c in &spec.columns {
        match &c.source {
            Source::Computed(f) => {
                for k in f.keys() {
                    match spec.column(k) {
                        Some(other) if !other.kind.is_figure() => diags.push(text_in_formula(other, &c.loc)),
                        Some(_) => {}
                        None => diags.push(
                            unknown_key(spec, k, &c.loc)
                                .with_code(Code::SpecFormula)
                                .help("计算列的算式只能用同一行的列（概况数在正文中计算）"),
                        ),
                    }
                }
            }
            Source::Cumulative { of } => match spec.column(of) {
                Some(other) if other.key == c.key || !other.kind.is_figure() => diags.push(
                    Diagnostic::error(Code::SpecFormula, &c.loc, format!("“{}”不能累计“{of}”", c.key))
                        .help("累计的应是另一列数字，如 累计: 得分"),
                ),
                Some(_) => {}
                None => diags.push(unknown_key(spec, of, &c.loc).with_code(Code::SpecFormula)),
            },
            Source::Stated => {}
        }
        if !c.kind.is_figure() && !matches!(c.total, Total::None) {
            diags.push(
                Diagnostic::error(Code::SpecKey, &c.loc, format!("文字列“{}”没有合计", c.key))
                    .help("删去这一列的“合计”"),
            );
        }
        if let Total::Weighted(w) = &c.total
            && spec.column(w).is_none()
        {
            diags.push(unknown_key(spec, w, &c.loc));
        }
    }
    if let Err(circle) = spec.computing_order() {
        diags.push(
            Diagnostic::error(
                Code::SpecFormula,
                &spec.loc,
                format!("计算列互相引用：{}", quote_list(&circle)),
            )
            .help("每个计算列只能由其他列算出，不能绕回自己"),
        );
    }
    let rank = match &spec.number {
        NumberColumn::Rank { by, .. } => Some((by, "排名依据应是一列数字或一个比率")),
        _ => None,
    };
    let order = match &spec.order {
        Order::By { key, .. } => Some((key, "排序依据应是一列数字或一个比率")),
        _ => None,
    };
    for (by, help) in rank.into_iter().chain(order) {
        if spec.column(by).is_none_or(|c| !c.kind.is_figure()) && spec.derived(by).is_none() {
            diags.push(unknown_key(spec, by, &spec.loc).with_code(Code::SpecKey).help(help));
        }
    }
    check_groups(spec, diags);
}

/// Columns under one header group stand side by side (a group's cell spans a run of columns).
fn check_groups(spec: &TableSpec, diags: &mut Vec<Diagnostic>) {
    let depth = spec.columns.iter().map(|c| c.groups.len()).max().unwrap_or(0);
    for level in 0..depth {
        let mut seen: Vec<&[String]> = Vec::new();
        let mut previous: Option<&[String]> = None;
        for c in &spec.columns {
            let path = c.groups.get(..=level);
            if path.is_some() && path != previous {
                let path = path.unwrap_or_default();
                if seen.contains(&path) {
                    diags.push(
                        Diagnostic::error(
                            Code::SpecKey,
                            &c.loc,
                            format!("“{}”组的列不相邻：表头中同一组的列应排在一起", path.join("／")),
                        )
                        .help("把这一组的列移到一起，或给它们不同的组名"),
                    );
                }
                seen.push(path);
            }
            previous = path;
        }
    }
}

/// Sub-tables name kinds and units of the registry; a list or a text has no units to split or rank.
fn check_layout(spec: &TableSpec, registry: &Registry, diags: &mut Vec<Diagnostic>) {
    let kinds: Vec<&str> = registry.kinds.iter().map(|(k, _)| k.as_str()).collect();
    for sub in &spec.subtables {
        for k in sub.kinds.iter().filter(|k| !kinds.contains(&k.as_str())) {
            diags.push(
                Diagnostic::error(
                    Code::Subtable,
                    &sub.loc,
                    format!("分表“{}”的类别“{k}”不在单位名录中", sub.caption),
                )
                .help(format!("可用的类别：{}", quote_list(&kinds))),
            );
        }
        for u in sub.units.iter().filter(|u| registry.resolve(u).is_none()) {
            diags.push(
                Diagnostic::error(
                    Code::Subtable,
                    &sub.loc,
                    format!("分表“{}”的单位“{u}”不在单位名录中", sub.caption),
                )
                .help("写名录中的单位名称或别名"),
            );
        }
    }
    if spec.form != Form::Units && (!spec.subtables.is_empty() || matches!(spec.number, NumberColumn::Rank { .. })) {
        diags.push(
            Diagnostic::error(Code::SpecKey, &spec.loc, "列表和文字形式的附件不按单位分表，也不排名")
                .help("删去“分表”“排名”，或把“形式”改为 单位"),
        );
    }
}

/// A `{…}` in a title, a header or a caption that is not a placeholder prints as written: said
/// where it is written.
fn check_placeholders(spec: &TableSpec, diags: &mut Vec<Diagnostic>) {
    let texts = std::iter::once((spec.title.as_str(), &spec.loc))
        .chain(spec.former_titles.iter().map(|(t, _)| (t.as_str(), &spec.loc)))
        .chain(spec.columns.iter().flat_map(|c| {
            std::iter::once(c.label.as_str())
                .chain(c.groups.iter().map(String::as_str))
                .chain(c.former.iter().map(|f| f.label.as_str()))
                .map(move |t| (t, &c.loc))
        }))
        .chain(spec.subtables.iter().map(|s| (s.caption.as_str(), &s.loc)));
    for (text, loc) in texts {
        for unknown in crate::calendar::unknown_placeholders(text) {
            let known: Vec<&str> = crate::calendar::PLACEHOLDERS.iter().map(|(p, _)| *p).collect();
            diags.push(
                Diagnostic::warning(
                    Code::Placeholder,
                    loc,
                    format!("“{text}”中的“{unknown}”不是占位符，会照原样印出"),
                )
                .help(format!("可用的占位符：{}", known.join(" "))),
            );
        }
    }
}
