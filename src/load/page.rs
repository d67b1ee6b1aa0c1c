//! The GB/T 9704 page, `templates/page.yaml`: paper, text block, lines and characters, where the
//! page number goes. The one place these figures are written: the Typst template library reads the
//! same file (`yaml("page.yaml")` in `gongwen.typ`), the Word producer and the 版记 check read it
//! through [`load`].

use std::path::Path;

use super::yaml::{self, Reader};
use crate::diag::{Diagnostic, Loc};
use crate::project::{PAGE_SPEC, Project};

/// The page, in millimetres and points as the file writes them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PageSpec {
    pub paper_width: f64,
    pub paper_height: f64,
    /// 天头: the text block's top edge from the paper's.
    pub top: f64,
    /// 订口: the text block's left edge from the paper's.
    pub left: f64,
    pub block_width: f64,
    pub block_height: f64,
    pub lines: u32,
    pub chars: u32,
    /// Body size, pt.
    pub body_size: f64,
    /// Space between two lines, pt.
    pub gap: f64,
    /// Title size, pt (2号).
    pub title_size: f64,
    /// Page number size, pt.
    pub number_size: f64,
    /// The page number's dash below the text block, mm.
    pub number_drop: f64,
    /// Attachment tables: text size and the leading between a cell's lines, pt.
    pub table_size: f64,
    pub table_leading: f64,
    /// A cell's inset left and right, and above and below its text, pt.
    pub cell_inset_x: f64,
    pub cell_inset_y: f64,
    /// The 序号 column's width, in body characters.
    pub number_column: f64,
    /// Each figure column's width, as a share of the 单位 column's.
    pub figure_column: f64,
    /// The table's outer rules and the rules between cells, pt.
    pub outer_rule: f64,
    pub inner_rule: f64,
}

impl Default for PageSpec {
    /// GB/T 9704-2012 itself, for a project whose templates/ have no page.yaml.
    fn default() -> PageSpec {
        PageSpec {
            paper_width: 210.0,
            paper_height: 297.0,
            top: 37.0,
            left: 28.0,
            block_width: 156.0,
            block_height: 225.0,
            lines: 22,
            chars: 28,
            body_size: 16.0,
            gap: 13.6,
            title_size: 22.0,
            number_size: 14.0,
            number_drop: 7.0,
            table_size: 12.0,
            table_leading: 4.2,
            cell_inset_x: 4.0,
            cell_inset_y: 6.5,
            number_column: 2.4,
            figure_column: 0.36,
            outer_rule: 1.0,
            inner_rule: 0.5,
        }
    }
}

const KEYS: [&str; 21] = [
    "纸张宽",
    "纸张高",
    "天头",
    "订口",
    "版心宽",
    "版心高",
    "行数",
    "字数",
    "正文字号",
    "行间距",
    "标题字号",
    "页码字号",
    "页码下移",
    "表格字号",
    "表格行距",
    "单元格左右边距",
    "单元格上下边距",
    "序号列宽",
    "数字列宽",
    "表格外框线",
    "表格内线",
];

impl PageSpec {
    /// The right margin, mm.
    pub(crate) fn right(&self) -> f64 {
        self.paper_width - self.left - self.block_width
    }

    /// The bottom margin, mm.
    pub(crate) fn bottom(&self) -> f64 {
        self.paper_height - self.top - self.block_height
    }

    /// How many title characters (full-width, at the title size) a line of the text block holds.
    pub(crate) fn title_capacity(&self) -> f64 {
        self.block_width / (self.title_size * 25.4 / 72.0)
    }

    /// Whether an attachment table of `count` columns is set on turned pages (more than eight
    /// columns: the table runs along the text block's height).
    pub(crate) fn table_turned(count: usize) -> bool {
        count > 8
    }

    /// The widths of an attachment table's `count` columns, mm, as `gongwen.typ` sets them: 序号
    /// `序号列宽` body characters wide, then 单位, then each figure at `数字列宽` of 单位, filling the
    /// text block's width (its height on turned pages).
    pub(crate) fn table_columns(&self, count: usize) -> Vec<f64> {
        let block = if Self::table_turned(count) {
            self.block_height
        } else {
            self.block_width
        };
        self.table_columns_in(block, count)
    }

    /// [`Self::table_columns`] across a block `block` mm wide (the Word file, which does not turn
    /// its pages, sets every table across the text block's width).
    pub(crate) fn table_columns_in(&self, block: f64, count: usize) -> Vec<f64> {
        let number = self.number_column * self.block_width / f64::from(self.chars.max(1));
        let figures = count.saturating_sub(2);
        let unit = (block - number) / (1.0 + self.figure_column * figures as f64);
        let mut out = vec![number, unit];
        out.extend(std::iter::repeat_n(unit * self.figure_column, figures));
        out.truncate(count);
        out
    }

    /// The room for text in an attachment table's cells, pt: each column's width less its insets.
    pub(crate) fn table_rooms(&self, count: usize) -> Vec<f64> {
        let pt = 72.0 / 25.4;
        self.table_columns(count)
            .into_iter()
            .map(|w| w * pt - 2.0 * self.cell_inset_x)
            .collect()
    }

    /// The text block's bottom edge from the paper's top, mm.
    pub(crate) fn block_bottom(&self) -> f64 {
        self.top + self.block_height
    }
}

/// Reads `templates/page.yaml`; without it (or with errors, reported in `diags`) the standard's
/// own figures.
pub(crate) fn load(project: &Project, diags: &mut Vec<Diagnostic>) -> PageSpec {
    let rel = Path::new(PAGE_SPEC);
    if !project.path(rel).exists() {
        return PageSpec::default();
    }
    let mut problems = Vec::new();
    let spec = super::read_source(project, rel)
        .map_err(|d| problems.push(d))
        .ok()
        .and_then(|src| super::parse_with(&src, &mut problems, read));
    let failed = problems.iter().any(Diagnostic::is_error);
    diags.append(&mut problems);
    if failed {
        PageSpec::default()
    } else {
        spec.unwrap_or_default()
    }
}

fn read(r: &mut Reader, tree: &yaml::Node) -> Option<PageSpec> {
    let mut top = r.map(tree, "页面")?;
    let mut values = [0.0f64; 21];
    for (value, key) in values.iter_mut().zip(KEYS) {
        let node = r.req(&mut top, key)?;
        *value = number(r, node, key)?;
    }
    r.finish(top, &KEYS);
    let [
        paper_width,
        paper_height,
        top,
        left,
        block_width,
        block_height,
        lines,
        chars,
        body_size,
        gap,
        title_size,
        number_size,
        number_drop,
        table_size,
        table_leading,
        cell_inset_x,
        cell_inset_y,
        number_column,
        figure_column,
        outer_rule,
        inner_rule,
    ] = values;
    Some(PageSpec {
        paper_width,
        paper_height,
        top,
        left,
        block_width,
        block_height,
        lines: lines as u32,
        chars: chars as u32,
        body_size,
        gap,
        title_size,
        number_size,
        number_drop,
        table_size,
        table_leading,
        cell_inset_x,
        cell_inset_y,
        number_column,
        figure_column,
        outer_rule,
        inner_rule,
    })
}

/// A positive number of at most 1000.
fn number(r: &mut Reader, node: &yaml::Node, key: &str) -> Option<f64> {
    let text = node.scalar()?.trim().to_string();
    match text.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 1000.0 => Some(v),
        _ => {
            r.push(bad(&node.loc, key, &text));
            None
        }
    }
}

fn bad(loc: &Loc, key: &str, text: &str) -> Diagnostic {
    Diagnostic::error("type", loc, format!("“{key}”应当是正数，这里是“{text}”"))
        .help("长度写毫米数，字号、行间距和线宽写磅数，列宽写字数或比例，如 156 或 13.6")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_page_is_the_standard() {
        let project = Project::new(Path::new(env!("CARGO_MANIFEST_DIR")));
        let mut diags = Vec::new();
        assert_eq!(load(&project, &mut diags), PageSpec::default());
        assert!(diags.is_empty(), "{diags:?}");
    }
}
