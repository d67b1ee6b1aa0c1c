//! The circular as a Word file (.docx) for units and superiors who work in Word or WPS: the same
//! text and tables as the PDF, on GB/T 9704's page — A4, the margins, Word's document grid of 22
//! lines × 28 characters (so that text typed later stays on the grid), styles named for their role
//! (标题, 正文, 一级标题 …) with the official font names (方正小标宋简体, 仿宋_GB2312, 黑体,
//! 楷体_GB2312), page numbers `— N —` as fields, odd pages right and even pages left, each attachment
//! on a new page with its table's header row repeated. Written with docx-rs.

use std::io::Cursor;

use docx_rs::{
    AlignmentType, BreakType, DocGrid, DocGridType, Docx, FieldCharType, Footer, InstrPAGE, InstrText, LineSpacing,
    LineSpacingType, PageMargin, Paragraph, Run, RunFonts, SpecialIndentType, Style, StyleType, Table, TableCell,
    TableRow, VAlignType, WidthType,
};

use super::{Document, Made};
use crate::load::page::PageSpec;
use crate::render::Circular;
use crate::typeset::Role;

/// The file it writes.
pub(crate) const FILE: &str = "circular.docx";

/// Twips (1/20 pt) per millimetre.
const MM: f64 = 72.0 / 25.4 * 20.0;

/// The faces the Word file names, by role: the first family of each role's preference list (the
/// official face an office's machines have), from the project's configuration.
struct Faces {
    title: String,
    body: String,
    h1: String,
    h2: String,
    page: String,
    latin: String,
}

impl Faces {
    fn of(roles: &[Role]) -> Faces {
        let first = |key: &str, default: &str| {
            roles
                .iter()
                .find(|r| r.key == key)
                .and_then(|r| r.families.first().cloned())
                .unwrap_or_else(|| default.to_string())
        };
        Faces {
            title: first("title", "方正小标宋简体"),
            body: first("body", "仿宋_GB2312"),
            h1: first("heading1", "黑体"),
            h2: first("heading2", "楷体_GB2312"),
            page: first("page", "宋体"),
            latin: first("latin", "Times New Roman"),
        }
    }

    /// A run's fonts: `east_asia` for Chinese, the Latin face for letters and digits.
    fn run(&self, east_asia: &str) -> RunFonts {
        RunFonts::new()
            .east_asia(east_asia)
            .ascii(&self.latin)
            .hi_ansi(&self.latin)
    }

    /// A paragraph style: its role's name, font and size (half-points).
    fn style(&self, id: &str, name: &str, font: &str, half_points: usize) -> Style {
        Style::new(id, StyleType::Paragraph)
            .name(name)
            .fonts(self.run(font))
            .size(half_points)
            .based_on("Normal")
    }
}

/// The page's figures in Word's units.
struct Grid {
    /// One body character (the text block's width over its characters a line), in twips.
    char: i32,
    page: PageSpec,
}

impl Grid {
    fn twips(mm: f64) -> i32 {
        (mm * MM) as i32
    }
}

pub(crate) fn produce(doc: &Document<'_>) -> Made {
    let grid = Grid {
        char: (doc.page.block_width * MM / f64::from(doc.page.chars)) as i32,
        page: doc.page.clone(),
    };
    let bytes = docx(doc.circular, &Faces::of(doc.roles), &grid).map_err(|m| {
        vec![crate::diag::Diagnostic::general(
            crate::diag::Severity::Error,
            "docx",
            m,
        )]
    })?;
    Ok(vec![(FILE, bytes)])
}

fn run(text: &str) -> Run {
    Run::new().add_text(text)
}

/// A paragraph of the body: 2 字 first-line indent, justified, on the grid.
fn para(g: &Grid, style_id: &str, text: &str) -> Paragraph {
    Paragraph::new()
        .style(style_id)
        .add_run(run(text))
        .indent(None, Some(SpecialIndentType::FirstLine(2 * g.char)), None, None)
        .align(AlignmentType::Both)
}

/// The footer with `— PAGE —`, right-aligned 1 字 in (odd pages) or left-aligned 1 字 in (even).
fn page_number(f: &Faces, g: &Grid, odd: bool) -> Footer {
    let field = Run::new()
        .fonts(f.run(&f.page))
        .size((g.page.number_size * 2.0) as usize)
        .add_text("— ")
        .add_field_char(FieldCharType::Begin, false)
        .add_instr_text(InstrText::PAGE(InstrPAGE::new()))
        .add_field_char(FieldCharType::Separate, false)
        .add_text("1")
        .add_field_char(FieldCharType::End, false)
        .add_text(" —");
    let p = Paragraph::new().add_run(field);
    let p = if odd {
        p.align(AlignmentType::Right).indent(None, None, Some(g.char), None)
    } else {
        p.align(AlignmentType::Left).indent(Some(g.char), None, None, None)
    };
    Footer::new().add_paragraph(p)
}

/// Display width of a text in body characters (ASCII counts half).
fn chars(text: &str) -> i32 {
    let halves: i32 = text.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    (halves + 1) / 2
}

fn cell(text: &str, header: bool, width: usize) -> TableCell {
    let p = Paragraph::new()
        .style(if header { "TableHeader" } else { "TableText" })
        .add_run(run(text))
        .align(AlignmentType::Center);
    TableCell::new()
        .add_paragraph(p)
        .vertical_align(VAlignType::Center)
        .width(width, WidthType::Dxa)
}

/// The Word file's bytes.
fn docx(c: &Circular, f: &Faces, g: &Grid) -> Result<Vec<u8>, String> {
    let mut d = setup(f, g);
    d = body(d, c, f, g);
    d = signature(d, c, g);
    for a in &c.公文.附件 {
        if let Some(t) = c.表.get(&a.表) {
            let label = if c.公文.附件.len() > 1 {
                format!("附件{}", a.序号)
            } else {
                "附件".to_string()
            };
            d = attachment(d, &label, t, g);
        }
    }
    let mut xml = d.build();
    // The header row repeats on every page a table spans (w:tblHeader, which docx-rs does not
    // write): header rows are the only rows marked cantSplit.
    let document = String::from_utf8_lossy(&xml.document).replace("<w:cantSplit />", "<w:cantSplit /><w:tblHeader />");
    xml.document = document.into_bytes();
    let mut out = Cursor::new(Vec::new());
    xml.pack(&mut out).map_err(|e| format!("无法生成 Word 文件：{e}"))?;
    Ok(out.into_inner())
}

/// The page, the grid, the styles and the footers.
fn setup(f: &Faces, g: &Grid) -> Docx {
    let p = &g.page;
    // Word's 文档网格: the page's lines in the text block. The characters a line come from a
    // character spacing in the document defaults (so text typed later has it too), not from a
    // character grid: LibreOffice snaps a 16 pt character to two cells of a 15.8 pt grid.
    let grid = DocGrid::new()
        .grid_type(DocGridType::Lines)
        .line_pitch((p.block_height * MM / f64::from(p.lines)) as usize);
    let size = (p.body_size * 2.0) as usize;
    let mut d = Docx::new()
        .page_size(Grid::twips(p.paper_width) as u32, Grid::twips(p.paper_height) as u32)
        .page_margin(
            PageMargin::new()
                .top(Grid::twips(p.top))
                .left(Grid::twips(p.left))
                .right(Grid::twips(p.right()))
                .bottom(Grid::twips(p.bottom()))
                .footer(Grid::twips(p.bottom() - p.number_drop))
                .header(Grid::twips(15.0)),
        )
        .default_fonts(f.run(&f.body))
        .default_size(size)
        .default_spacing(-5)
        .default_line_spacing(LineSpacing::new().line_rule(LineSpacingType::Auto).line(240))
        .add_style(f.style("Title", "标题", &f.title, 44).align(AlignmentType::Center))
        .add_style(f.style("BodyText", "正文", &f.body, size))
        .add_style(f.style("Heading1", "一级标题", &f.h1, size).outline_lvl(0))
        .add_style(f.style("Heading2", "二级标题", &f.h2, size).outline_lvl(1))
        .add_style(f.style("Heading3", "三级标题", &f.body, size).outline_lvl(2))
        .add_style(f.style("Heading4", "四级标题", &f.body, size).outline_lvl(3))
        .add_style(f.style("Recipients", "主送", &f.body, size))
        .add_style(f.style("Signature", "署名", &f.body, size).align(AlignmentType::Right))
        .add_style(f.style("AttachmentLabel", "附件标识", &f.h1, size))
        .add_style(
            f.style("AttachmentTitle", "附件标题", &f.title, 36)
                .align(AlignmentType::Center),
        )
        .add_style(f.style("TableHeader", "表头", &f.h1, 24))
        .add_style(f.style("TableText", "表格", &f.body, 24))
        .footer(page_number(f, g, true))
        .even_footer(page_number(f, g, false))
        .created_at("2000-01-01T00:00:00Z")
        .updated_at("2000-01-01T00:00:00Z");
    d.document = d.document.doc_grid(grid);
    d
}

/// The title, 主送, the body with its headings and the 附件说明.
fn body(mut d: Docx, c: &Circular, f: &Faces, g: &Grid) -> Docx {
    let doc = &c.公文;
    // The title in the lines the PDF sets it in (DocOut.标题行), one line break between them.
    let mut title = Run::new();
    for (i, line) in doc.标题行.iter().enumerate() {
        if i > 0 {
            title = title.add_break(BreakType::TextWrapping);
        }
        title = title.add_text(line);
    }
    d = d.add_paragraph(Paragraph::new().style("Title").add_run(title));
    d = d.add_paragraph(Paragraph::new().style("BodyText"));
    if let Some(r) = &doc.主送 {
        d = d.add_paragraph(Paragraph::new().style("Recipients").add_run(run(&format!("{r}："))));
    }
    for b in &doc.正文 {
        let style_id = match b.级别 {
            0 => "BodyText",
            1 => "Heading1",
            2 => "Heading2",
            3 => "Heading3",
            _ => "Heading4",
        };
        let p = match (&b.标题, &b.正文) {
            (None, Some(text)) => para(g, style_id, text),
            (Some(head), None) => para(g, style_id, head).keep_next(true),
            (Some(head), Some(text)) => {
                // A run-in heading: the heading part in its face, the rest in the body face.
                let font = match b.级别 {
                    1 => &f.h1,
                    2 => &f.h2,
                    _ => &f.body,
                };
                para(g, "BodyText", "")
                    .add_run(run(head).fonts(f.run(font)))
                    .add_run(run(text))
            }
            (None, None) => continue,
        };
        d = d.add_paragraph(p);
    }
    if doc.附件.is_empty() {
        return d;
    }
    d = d.add_paragraph(Paragraph::new().style("BodyText"));
    let single = doc.附件.len() == 1;
    for (i, a) in doc.附件.iter().enumerate() {
        // 附件说明: 2 字 in; further items under the first item's number, wrapped names under
        // the first character of the name.
        let (text, left, hanging) = match (single, i) {
            (true, _) => (format!("附件：{}", a.名称), 5, 3),
            (false, 0) => (format!("附件：{}．{}", a.序号, a.名称), 7, 5),
            (false, _) => (format!("{}．{}", a.序号, a.名称), 7, 2),
        };
        let p = Paragraph::new().style("BodyText").add_run(run(&text)).indent(
            Some(left * g.char),
            Some(SpecialIndentType::Hanging(hanging * g.char)),
            None,
            None,
        );
        d = d.add_paragraph(p);
    }
    d
}

/// The offices 右空二字, the date under them (2 字 right of the office's start), the 附注.
fn signature(mut d: Docx, c: &Circular, g: &Grid) -> Docx {
    let doc = &c.公文;
    d = d.add_paragraph(Paragraph::new().style("BodyText"));
    let widest = doc.署名.iter().map(|s| chars(s)).max().unwrap_or(0);
    for office in &doc.署名 {
        d = d.add_paragraph(Paragraph::new().style("Signature").add_run(run(office)).indent(
            None,
            None,
            Some(2 * g.char + (widest - chars(office)) * g.char),
            None,
        ));
    }
    let date_end = (2 + widest - 2 - chars(&doc.成文日期)).max(2);
    d = d.add_paragraph(Paragraph::new().style("Signature").add_run(run(&doc.成文日期)).indent(
        None,
        None,
        Some(date_end * g.char),
        None,
    ));
    if let Some(note) = &doc.附注 {
        d = d.add_paragraph(para(g, "BodyText", &format!("（{note}）")));
    }
    d
}

/// An attachment on a new page: its label, its title and its table.
fn attachment(mut d: Docx, label: &str, t: &crate::aggregate::TableOut, g: &Grid) -> Docx {
    d = d.add_paragraph(
        Paragraph::new()
            .style("AttachmentLabel")
            .add_run(run(label))
            .page_break_before(true),
    );
    d = d.add_paragraph(Paragraph::new().style("BodyText"));
    d = d.add_paragraph(Paragraph::new().style("AttachmentTitle").add_run(run(&t.标题)));
    d = d.add_paragraph(Paragraph::new().style("BodyText"));
    let block = Grid::twips(g.page.block_width) as usize;
    let char = g.char as usize;
    let first = 2 * char + char / 2;
    let figures = t.表头.len().saturating_sub(2).max(1);
    let unit = (block - first) * 40 / (40 + 14 * figures);
    let other = (block - first - unit) / figures;
    let width = |i: usize| match i {
        0 => first,
        1 => unit,
        _ => other,
    };
    let header = TableRow::new(
        t.表头
            .iter()
            .enumerate()
            .map(|(i, h)| cell(h, true, width(i)))
            .collect(),
    )
    .cant_split();
    let mut rows = vec![header];
    for r in &t.行 {
        let mut cells = vec![
            cell(&r.序号.to_string(), false, width(0)),
            cell(&r.单位, false, width(1)),
        ];
        cells.extend(r.单元格.iter().enumerate().map(|(i, v)| cell(v, false, width(i + 2))));
        rows.push(TableRow::new(cells));
    }
    if let Some(total) = &t.合计 {
        let mut cells = vec![cell("合计", true, width(0) + width(1)).grid_span(2)];
        cells.extend(total.iter().enumerate().map(|(i, v)| cell(v, true, width(i + 2))));
        rows.push(TableRow::new(cells));
    }
    d.add_table(Table::new(rows).width(block, WidthType::Dxa))
}
