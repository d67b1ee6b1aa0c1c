//! An attachment table as the PDF prints it: full width, the PDF's columns (序号 2.4 字, each name
//! column a share, each figure a share of it, [`crate::load::page::PageSpec::table_columns_in`]),
//! rows 25 pt high as one line of 12 pt text with its insets (a wrapped cell grows by a line as in
//! the PDF), the outer rules heavier, the header rows repeated on every page with their groups
//! merged across and down, numbers centred and names flush left, 合计 across the leading cells.

use super::Grid;
use super::xml::Xml;
use crate::aggregate::{PartOut, Role, TableOut, TotalOut};

/// Twips per point.
const PT: f64 = 20.0;

/// The widths of the columns, twips, adding up to the text block's width: the page geometry's
/// columns across the text block, never wider than the PDF's (a cell's text wraps where the
/// PDF's does); what rounding leaves goes to the first column.
pub(super) fn columns(g: &Grid, roles: &[Role]) -> Vec<i32> {
    let mut widths: Vec<i32> = g
        .spec
        .table_columns_in(g.spec.block_width, roles)
        .iter()
        .map(|mm| (mm * super::MM).floor() as i32)
        .collect();
    if let Some(first) = widths.first_mut() {
        *first = 0;
        let rest: i32 = widths.iter().sum();
        widths[0] = g.width - rest;
    }
    if widths.is_empty() {
        widths.push(g.width);
    }
    widths
}

/// Writes one sub-table (`part`) of `t`: the header, its rows, its 合计; `grand` (the 总计) under
/// the last.
pub(super) fn table(x: &mut Xml, t: &TableOut, part: &PartOut, grand: Option<&TotalOut>, g: &Grid) {
    let roles = t.roles();
    let widths = columns(g, &roles);
    let span = |from: usize, n: usize| widths.iter().skip(from).take(n).sum::<i32>();
    x.open("w:tbl", &[]);
    properties(x, g);
    x.open("w:tblGrid", &[]);
    for w in &widths {
        x.leaf("w:gridCol", &[("w:w", &w.to_string())]);
    }
    x.close("w:tblGrid");
    for (level, cells) in t.表头.iter().enumerate() {
        row(x, g, true, |x| {
            // Every grid column gets a cell: the header's own, or the continuation of one from
            // a row above that spans down (a vertical merge).
            let mut col = 0;
            while col < widths.len() {
                if let Some(c) = cells.iter().find(|c| c.列 == col) {
                    let merge = (c.跨行 > 1).then_some("restart");
                    cell_lines(x, span(col, c.跨列), c.跨列, merge, "TableHeader", "center", &c.分行);
                    col += c.跨列;
                } else if let Some(above) = t.表头[..level]
                    .iter()
                    .enumerate()
                    .flat_map(|(l, row)| row.iter().map(move |c| (l, c)))
                    .find(|(l, c)| c.列 == col && l + c.跨行 > level)
                    .map(|(_, c)| c)
                {
                    cell_lines(
                        x,
                        span(col, above.跨列),
                        above.跨列,
                        Some("continue"),
                        "TableHeader",
                        "center",
                        &[],
                    );
                    col += above.跨列;
                } else {
                    cell_lines(x, widths[col], 1, None, "TableHeader", "center", &[]);
                    col += 1;
                }
            }
        });
    }
    for r in &part.行 {
        row(x, g, false, |x| {
            for (i, v) in r.格.iter().enumerate() {
                let align = if roles.get(i) == Some(&Role::Name) {
                    "left"
                } else {
                    "center"
                };
                cell(x, widths.get(i).copied().unwrap_or(0), 1, "TableText", align, v);
            }
        });
    }
    for total in part.合计.iter().chain(grand) {
        row(x, g, false, |x| {
            // 合 and 计 two characters apart, as in the PDF.
            let label = total.spaced();
            cell(x, span(0, total.跨列), total.跨列, "TableHeader", "center", &label);
            for (i, v) in total.格.iter().enumerate() {
                let w = widths.get(i + total.跨列).copied().unwrap_or(0);
                cell(x, w, 1, "TableHeader", "center", v);
            }
        });
    }
    x.close("w:tbl");
}

fn properties(x: &mut Xml, g: &Grid) {
    let s = &g.spec;
    let eighths = |pt: f64| ((pt * 8.0).round() as i32).to_string();
    let (outer, inner) = (eighths(s.outer_rule), eighths(s.inner_rule));
    x.open("w:tblPr", &[]);
    x.leaf("w:tblW", &[("w:w", &g.width.to_string()), ("w:type", "dxa")]);
    x.open("w:tblBorders", &[]);
    for (side, size) in [
        ("w:top", &outer),
        ("w:left", &outer),
        ("w:bottom", &outer),
        ("w:right", &outer),
        ("w:insideH", &inner),
        ("w:insideV", &inner),
    ] {
        x.leaf(
            side,
            &[
                ("w:val", "single"),
                ("w:sz", size),
                ("w:space", "0"),
                ("w:color", "000000"),
            ],
        );
    }
    x.close("w:tblBorders");
    x.val("w:tblLayout", "fixed");
    // Above and below the text: the inset less half the leading, which the exact line height of
    // a cell's paragraph holds, and less the rule under the row, which word processors add to
    // its height (one line: 4.15 + 16.2 + 4.15 + 0.5 = 25 pt, as in the PDF).
    let vertical = s.cell_inset_y - s.table_leading / 2.0 - s.inner_rule / 2.0;
    let vertical = ((vertical * PT).round() as i32).to_string();
    let horizontal = ((s.cell_inset_x * PT).round() as i32).to_string();
    x.open("w:tblCellMar", &[]);
    for (side, w) in [
        ("w:top", &vertical),
        ("w:left", &horizontal),
        ("w:bottom", &vertical),
        ("w:right", &horizontal),
    ] {
        x.leaf(side, &[("w:w", w), ("w:type", "dxa")]);
    }
    x.close("w:tblCellMar");
    x.close("w:tblPr");
}

/// The height of a one-line row, twips: the text and the insets above and below it.
pub(super) fn row_height(g: &Grid) -> i32 {
    ((g.spec.table_size + 2.0 * g.spec.cell_inset_y) * PT).round() as i32
}

/// The exact height of a line in a cell, twips: the text and the leading.
pub(super) fn cell_line(g: &Grid) -> i32 {
    ((g.spec.table_size + g.spec.table_leading) * PT).round() as i32
}

fn row(x: &mut Xml, g: &Grid, header: bool, cells: impl FnOnce(&mut Xml)) {
    x.open("w:tr", &[]);
    x.open("w:trPr", &[]).leaf("w:cantSplit", &[]);
    x.leaf(
        "w:trHeight",
        &[("w:val", &row_height(g).to_string()), ("w:hRule", "atLeast")],
    );
    if header {
        x.leaf("w:tblHeader", &[]);
    }
    x.close("w:trPr");
    cells(x);
    x.close("w:tr");
}

fn cell(x: &mut Xml, width: i32, span: usize, style: &str, align: &str, text: &str) {
    cell_lines(x, width, span, None, style, align, &[text.to_string()]);
}

/// A cell of `lines`, each after the first on a line of its own (as the PDF breaks a header);
/// `merge` starts or continues a cell that spans rows.
fn cell_lines(x: &mut Xml, width: i32, span: usize, merge: Option<&str>, style: &str, align: &str, lines: &[String]) {
    x.open("w:tc", &[]).open("w:tcPr", &[]);
    x.leaf("w:tcW", &[("w:w", &width.to_string()), ("w:type", "dxa")]);
    if span > 1 {
        x.val("w:gridSpan", &span.to_string());
    }
    if let Some(m) = merge {
        x.val("w:vMerge", m);
    }
    x.val("w:vAlign", "center").close("w:tcPr");
    x.open("w:p", &[]).open("w:pPr", &[]).val("w:pStyle", style);
    x.val("w:jc", align).close("w:pPr");
    for (i, line) in lines.iter().enumerate().filter(|(_, l)| !l.is_empty()) {
        x.open("w:r", &[]);
        if i > 0 {
            x.leaf("w:br", &[]);
        }
        x.element("w:t", &[("xml:space", "preserve")], line);
        x.close("w:r");
    }
    x.close("w:p").close("w:tc");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::page::PageSpec;

    #[test]
    fn columns_fill_the_block_as_in_the_pdf() {
        let g = Grid::of(&PageSpec::default());
        let w = columns(
            &g,
            &[
                Role::Number,
                Role::Name,
                Role::Figure,
                Role::Figure,
                Role::Figure,
                Role::Figure,
            ],
        );
        assert_eq!(w.iter().sum::<i32>(), g.width);
        // 序号: 2.4 characters of 156 mm / 28; each figure 0.36 of 单位; none wider than the PDF's.
        assert!((f64::from(w[0]) - 2.4 * g.char).abs() < 8.0, "{w:?}");
        assert!((f64::from(w[2]) / f64::from(w[1]) - 0.36).abs() < 0.001, "{w:?}");
        let pdf_unit = (156.0 * super::super::MM * (1.0 - 2.4 / 28.0)) / (1.0 + 0.36 * 4.0);
        assert!(
            f64::from(w[1]) <= pdf_unit && f64::from(w[1]) > pdf_unit - 1.0,
            "{w:?} {pdf_unit}"
        );
        assert_eq!(row_height(&g), 500, "25 pt");
        assert_eq!(cell_line(&g), 324, "16.2 pt");
    }
}
