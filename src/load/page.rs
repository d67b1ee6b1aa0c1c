//! The GB/T 9704 page, `templates/page.yaml`: paper, text block, lines and characters, where the
//! page number goes. The one place these figures are written: the Typst template library reads the
//! same file (`yaml("page.yaml")` in `gongwen.typ`), the Word producer and the 版记 check read it
//! through [`load`].

use std::path::Path;

use super::yaml::{self, Reader};
use crate::diag::{Code, Diagnostic, Loc};
use crate::project::{PAGE_SPEC, Project};

/// The page's figures: each field, its key in `page.yaml`, the standard's value (used when the key,
/// or the file, is absent) and what it is. The one list of them: the struct, its defaults and the
/// reader are made from it.
macro_rules! page_spec {
    ($( $(#[$doc:meta])* $field:ident: $ty:ty = $key:literal, $default:expr; )*) => {
        /// The page, in millimetres and points as the file writes them.
        #[derive(Debug, Clone, PartialEq)]
        pub(crate) struct PageSpec {
            $( $(#[$doc])* pub $field: $ty, )*
        }

        impl Default for PageSpec {
            /// GB/T 9704-2012 itself, for a project whose templates/ have no page.yaml.
            fn default() -> PageSpec {
                PageSpec { $( $field: $default, )* }
            }
        }

        /// The keys of `page.yaml`.
        const KEYS: &[&str] = &[$($key,)*];

        /// Reads the figures; a key left out keeps the standard's value.
        fn read(r: &mut Reader, tree: &yaml::Node) -> Option<PageSpec> {
            let mut top = r.map(tree, "页面")?;
            let mut spec = PageSpec::default();
            $(
                if let Some(node) = top.opt($key) {
                    spec.$field = number(r, node, $key)? as $ty;
                }
            )*
            r.finish(top, KEYS);
            Some(spec)
        }
    };
}

page_spec! {
    paper_width: f64 = "纸张宽", 210.0;
    paper_height: f64 = "纸张高", 297.0;
    /// 天头: the text block's top edge from the paper's.
    top: f64 = "天头", 37.0;
    /// 订口: the text block's left edge from the paper's.
    left: f64 = "订口", 28.0;
    block_width: f64 = "版心宽", 156.0;
    block_height: f64 = "版心高", 225.0;
    lines: u32 = "行数", 22;
    chars: u32 = "字数", 28;
    /// Body size, pt.
    body_size: f64 = "正文字号", 16.0;
    /// Space between two lines, pt.
    gap: f64 = "行间距", 13.6;
    /// Title size, pt (2号).
    title_size: f64 = "标题字号", 22.0;
    /// Page number size, pt.
    number_size: f64 = "页码字号", 14.0;
    /// The page number's dash below the text block, mm.
    number_drop: f64 = "页码下移", 7.0;
    /// Attachment tables: text size and the leading between a cell's lines, pt.
    table_size: f64 = "表格字号", 12.0;
    table_leading: f64 = "表格行距", 4.2;
    /// A cell's inset left and right, and above and below its text, pt.
    cell_inset_x: f64 = "单元格左右边距", 4.0;
    cell_inset_y: f64 = "单元格上下边距", 6.5;
    /// The 序号 column's width, in body characters.
    number_column: f64 = "序号列宽", 2.4;
    /// Each figure column's width, as a share of the 单位 column's.
    figure_column: f64 = "数字列宽", 0.36;
    /// The table's outer rules and the rules between cells, pt.
    outer_rule: f64 = "表格外框线", 1.0;
    inner_rule: f64 = "表格内线", 0.5;
    /// An attachment's title, pt (小2号).
    attachment_title_size: f64 = "附件标题字号", 18.0;
    /// The 版记 (抄送, 印发机关 and 印发日期), pt (4号).
    colophon_size: f64 = "版记字号", 14.0;
    /// The 版记's first and last rules, and the rules between its lines, mm.
    colophon_rule: f64 = "版记首末线粗", 0.35;
    colophon_inner_rule: f64 = "版记中线粗", 0.25;
    /// The red header's 发文机关标志: its size, pt, and its top edge below the text block's, mm.
    mark_size: f64 = "发文机关标志字号", 36.0;
    mark_top: f64 = "发文机关标志上距", 35.0;
    /// The red rule under the red header, mm.
    red_rule: f64 = "分隔线粗", 0.35;
}

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

    /// The widths of an attachment table's columns, mm, as `gongwen.typ` sets them: the number
    /// column `序号列宽` body characters wide, each name column (单位, a text) one share, each
    /// figure `数字列宽` of a share, filling the text block's width (its height on turned pages).
    pub(crate) fn table_columns(&self, roles: &[Role]) -> Vec<f64> {
        let block = if Self::table_turned(roles.len()) {
            self.block_height
        } else {
            self.block_width
        };
        self.table_columns_in(block, roles)
    }

    /// [`Self::table_columns`] across a block `block` mm wide (the Word file, which does not turn
    /// its pages, sets every table across the text block's width).
    pub(crate) fn table_columns_in(&self, block: f64, roles: &[Role]) -> Vec<f64> {
        let number = self.number_column * self.block_width / f64::from(self.chars.max(1));
        let count = |r: Role| roles.iter().filter(|x| **x == r).count() as f64;
        let shares = count(Role::Name) + self.figure_column * count(Role::Figure);
        let share = (block - number * count(Role::Number)).max(0.0) / shares.max(f64::MIN_POSITIVE);
        roles
            .iter()
            .map(|r| match r {
                Role::Number => number,
                Role::Name => share,
                Role::Figure => share * self.figure_column,
            })
            .collect()
    }

    /// The room for text in an attachment table's cells, pt: each column's width less its insets.
    pub(crate) fn table_rooms(&self, roles: &[Role]) -> Vec<f64> {
        let pt = 72.0 / 25.4;
        self.table_columns(roles)
            .into_iter()
            .map(|w| w * pt - 2.0 * self.cell_inset_x)
            .collect()
    }

    /// The text block's bottom edge from the paper's top, mm.
    pub(crate) fn block_bottom(&self) -> f64 {
        self.top + self.block_height
    }

    /// The character spacing that sets `chars` body characters a line in a word processor, pt: the
    /// widest spacing, in whole twips, at which they still fit the text block's width (rounded
    /// down: a line one twip too long would push its last character onto the next line).
    pub(crate) fn body_tracking(&self) -> f64 {
        let per_char = self.block_width * 72.0 / 25.4 / f64::from(self.chars.max(1));
        ((per_char - self.body_size) * 20.0).floor() / 20.0
    }
}

/// What a column of an attachment table holds, for its width and alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub(crate) enum Role {
    /// 序号 or 排名: a fixed width.
    #[serde(rename = "序号")]
    Number,
    /// The unit's name, or a text of a list: a share of the width, flush left.
    #[serde(rename = "名称")]
    Name,
    /// A figure or a rate: `数字列宽` of a share, centred.
    #[serde(rename = "数字")]
    Figure,
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
    Diagnostic::error(Code::Type, loc, format!("“{key}”应当是正数，这里是“{text}”"))
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

    #[test]
    fn a_key_left_out_keeps_the_standards_value_and_an_unknown_one_is_refused() {
        let src = crate::diag::Source::new("templates/page.yaml", "正文字号: 16\n版心宽: 156\n页码: 3\n");
        let mut diags = Vec::new();
        let spec = crate::load::parse_with(&src, &mut diags, read).unwrap();
        assert_eq!(spec.attachment_title_size, 18.0);
        assert_eq!(spec.colophon_size, 14.0);
        assert!(diags.iter().any(|d| d.message.contains("页码")), "{diags:?}");
    }

    /// Word sets 28 characters a line with the widest whole-twip spacing that fits: 16 pt less a
    /// quarter point each (441 pt of the block's 442.2); a narrower block needs a tighter one.
    #[test]
    fn the_body_tracking_fits_the_characters_of_a_line() {
        let spec = PageSpec::default();
        assert_eq!((spec.body_tracking() * 20.0).round(), -5.0);
        let narrow = PageSpec {
            block_width: 150.0,
            ..PageSpec::default()
        };
        let per_char = 150.0 * 72.0 / 25.4 / 28.0;
        assert!(narrow.body_tracking() <= per_char - 16.0 && per_char - 16.0 - narrow.body_tracking() < 0.05);
    }
}
