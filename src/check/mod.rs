//! Stage 2: rules that relate loaded values to each other (arithmetic, unit names, dates), each
//! problem as a [`Diagnostic`] pointing at the offending value.
//!
//! One file per family of rules: [`registry`] (the registry and the table descriptions), [`tables`]
//! (a month's figures, also run on an imported spreadsheet), [`document`] (a month's settings, date
//! of issue, attachments and form), [`text`] (the month's text beyond its expressions: headings,
//! periods, numbers typed by hand). The expressions themselves are parsed in `load::expr` and
//! evaluated in `render::text`, the same code for `check` and `build`.

pub(crate) mod document;
pub(crate) mod registry;
pub(crate) mod tables;
pub(crate) mod text;

use crate::diag::{Code, Diagnostic, quote_list, suggest, suggestions};
use crate::load::{Data, Month, Registry, Unit};

/// Runs every rule on the loaded data; the months checked are those in `data.months` whose name is
/// in `months` (the others were loaded only to compare with).
pub(crate) fn check(data: &Data, months: &[String]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    registry::check_registry(&data.registry, &mut diags);
    registry::check_history(&data.registry, &mut diags);
    for spec in data.specs.iter() {
        registry::check_spec(spec, &data.registry, &mut diags);
    }
    registry::check_short_names(&data.specs[..], &mut diags);
    for month in &data.months {
        if months.contains(&month.name) {
            check_month(data, month, &mut diags);
        } else {
            // A month loaded for another to compare with: its tables must hold, or the month that
            // reads them cannot be built; its warnings belong to its own check.
            let mut theirs = Vec::new();
            check_tables(data, month, &mut theirs);
            diags.extend(theirs.into_iter().filter(Diagnostic::is_error));
        }
    }
    diags
}

fn check_tables(data: &Data, month: &Month, diags: &mut Vec<Diagnostic>) {
    for table in &month.tables {
        if let Some(spec) = data.spec(&table.id) {
            tables::check_table(spec, table, &data.registry, &month.id, diags);
        }
    }
}

fn check_month(data: &Data, month: &Month, diags: &mut Vec<Diagnostic>) {
    check_tables(data, month, diags);
    document::check_document(data, month, diags);
    text::check_text(data, month, diags);
}

/// What stands between a month and its issue, from its diagnostics: every error, the sample
/// figures `init` made, and every warning of a kind the office declares blocking
/// (`发布前须解决` in `tongbao.yaml`), each as an error at its place. Empty: the month may be
/// issued. One rule for `check --ready` and `issue`.
pub(crate) fn not_ready(diagnostics: &[Diagnostic], blocking: &[crate::diag::Code]) -> Vec<Diagnostic> {
    diagnostics
        .iter()
        .filter_map(|d| {
            if d.is_error() {
                return Some(d.clone());
            }
            let sample = d.code == crate::diag::Code::SampleFigures;
            (sample || blocking.contains(&d.code)).then(|| {
                let mut d = d.clone();
                d.severity = crate::diag::Severity::Error;
                if !sample {
                    d.message = format!("发布前须解决：{}", d.message);
                }
                d
            })
        })
        .collect()
}

/// Resolves a unit name, or reports it unknown with the nearest registry names.
pub(crate) fn resolve_unit<'r>(
    registry: &'r Registry,
    name: &str,
    loc: &crate::diag::Loc,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'r Unit> {
    let unit = registry.resolve(name);
    if unit.is_none() {
        let near = suggestions(name, registry.all_names(), 3);
        let mut d = Diagnostic::error(
            Code::UnitUnknown,
            loc,
            format!("单位“{name}”不在单位名录（data/units.yaml）中"),
        );
        d = if near.is_empty() {
            d.help("如果是新单位，请先在 data/units.yaml 中登记；如果是已有单位的另一种写法，请加到它的“别名”里")
        } else {
            d.help(format!(
                "是否应为{}？如果是新单位，请先在 data/units.yaml 中登记；如果是另一种写法，请加到“别名”里",
                quote_list(&near)
            ))
        };
        diags.push(d);
    }
    unit
}
