//! The circular as a Word file (.docx) for units and superiors who work in Word or WPS: the same
//! text and tables as the PDF, on GB/T 9704's page — A4, the margins, Word's document grid of 22
//! lines × 28 characters (so that text typed later stays on the grid), styles named for their role
//! (标题, 正文, 一级标题 …) with the official font names (方正小标宋简体, 仿宋_GB2312, 黑体,
//! 楷体_GB2312), page numbers `— N —` as fields, odd pages right and even pages left, each attachment
//! on a new page with its table's header row repeated. Written with docx-rs.

use std::io::Cursor;

use docx_rs::{
    AlignmentType, DocGrid, DocGridType, Docx, FieldCharType, Footer, InstrPAGE, InstrText, LineSpacing,
    LineSpacingType, PageMargin, Paragraph, Run, RunFonts, SpecialIndentType, Style, StyleType, Table, TableCell,
    TableRow, VAlignType, WidthType,
};

use crate::render::Circular;

/// Twips (1/20 pt) per millimetre.
const MM: f64 = 72.0 / 25.4 * 20.0;
/// One body character (the text block's width over 28), in twips.
const CHAR: i32 = (156.0 * MM / 28.0) as i32;

const TITLE_FONT: &str = "方正小标宋简体";
const BODY_FONT: &str = "仿宋_GB2312";
const H1_FONT: &str = "黑体";
const H2_FONT: &str = "楷体_GB2312";
const PAGE_FONT: &str = "宋体";
const LATIN_FONT: &str = "Times New Roman";

fn fonts(east_asia: &str) -> RunFonts {
    RunFonts::new()
        .east_asia(east_asia)
        .ascii(LATIN_FONT)
        .hi_ansi(LATIN_FONT)
}

/// A paragraph style: its role's name, font and size (half-points).
fn style(id: &str, name: &str, font: &str, half_points: usize) -> Style {
    Style::new(id, StyleType::Paragraph)
        .name(name)
        .fonts(fonts(font))
        .size(half_points)
        .based_on("Normal")
}

fn run(text: &str) -> Run {
    Run::new().add_text(text)
}

/// A paragraph of the body: 2 字 first-line indent, justified, on the grid.
fn para(style_id: &str, text: &str) -> Paragraph {
    Paragraph::new()
        .style(style_id)
        .add_run(run(text))
        .indent(None, Some(SpecialIndentType::FirstLine(2 * CHAR)), None, None)
        .align(AlignmentType::Both)
}

/// The footer with `— PAGE —`, right-aligned 1 字 in (odd pages) or left-aligned 1 字 in (even).
fn page_number(odd: bool) -> Footer {
    let field = Run::new()
        .fonts(fonts(PAGE_FONT))
        .size(28)
        .add_text("— ")
        .add_field_char(FieldCharType::Begin, false)
        .add_instr_text(InstrText::PAGE(InstrPAGE::new()))
        .add_field_char(FieldCharType::Separate, false)
        .add_text("1")
        .add_field_char(FieldCharType::End, false)
        .add_text(" —");
    let p = Paragraph::new().add_run(field);
    let p = if odd {
        p.align(AlignmentType::Right).indent(None, None, Some(CHAR), None)
    } else {
        p.align(AlignmentType::Left).indent(Some(CHAR), None, None, None)
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
pub(crate) fn docx(c: &Circular) -> Result<Vec<u8>, String> {
    let doc = &c.公文;
    // Word's 文档网格: 22 lines in the 225 mm block. The 28 characters a line come from a character
    // spacing of −0.25 pt in the document defaults (so text typed later has it too), not from a
    // character grid: LibreOffice snaps a 16 pt character to two cells of a 15.8 pt grid.
    let grid = DocGrid::new()
        .grid_type(DocGridType::Lines)
        .line_pitch((225.0 * MM / 22.0) as usize);
    let mut d = Docx::new()
        .page_size((210.0 * MM) as u32, (297.0 * MM) as u32)
        .page_margin(
            PageMargin::new()
                .top((37.0 * MM) as i32)
                .left((28.0 * MM) as i32)
                .right((26.0 * MM) as i32)
                .bottom((35.0 * MM) as i32)
                .footer((28.0 * MM) as i32)
                .header((15.0 * MM) as i32),
        )
        .default_fonts(fonts(BODY_FONT))
        .default_size(32)
        .default_spacing(-5)
        .default_line_spacing(LineSpacing::new().line_rule(LineSpacingType::Auto).line(240))
        .add_style(style("Title", "标题", TITLE_FONT, 44).align(AlignmentType::Center))
        .add_style(style("BodyText", "正文", BODY_FONT, 32))
        .add_style(style("Heading1", "一级标题", H1_FONT, 32).outline_lvl(0))
        .add_style(style("Heading2", "二级标题", H2_FONT, 32).outline_lvl(1))
        .add_style(style("Heading3", "三级标题", BODY_FONT, 32).outline_lvl(2))
        .add_style(style("Heading4", "四级标题", BODY_FONT, 32).outline_lvl(3))
        .add_style(style("Recipients", "主送", BODY_FONT, 32))
        .add_style(style("Signature", "署名", BODY_FONT, 32).align(AlignmentType::Right))
        .add_style(style("AttachmentLabel", "附件标识", H1_FONT, 32))
        .add_style(style("AttachmentTitle", "附件标题", TITLE_FONT, 36).align(AlignmentType::Center))
        .add_style(style("TableHeader", "表头", H1_FONT, 24))
        .add_style(style("TableText", "表格", BODY_FONT, 24))
        .footer(page_number(true))
        .even_footer(page_number(false))
        .created_at("2000-01-01T00:00:00Z")
        .updated_at("2000-01-01T00:00:00Z");
    d.document = d.document.doc_grid(grid);
    d = d.add_paragraph(Paragraph::new().style("Title").add_run(run(&doc.标题)));
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
            (None, Some(text)) => para(style_id, text),
            (Some(head), None) => para(style_id, head).keep_next(true),
            (Some(head), Some(text)) => {
                // A run-in heading: the heading part in its face, the rest in the body face.
                let font = match b.级别 {
                    1 => H1_FONT,
                    2 => H2_FONT,
                    _ => BODY_FONT,
                };
                para("BodyText", "")
                    .add_run(run(head).fonts(fonts(font)))
                    .add_run(run(text))
            }
            (None, None) => continue,
        };
        d = d.add_paragraph(p);
    }
    if !doc.附件.is_empty() {
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
                Some(left * CHAR),
                Some(SpecialIndentType::Hanging(hanging * CHAR)),
                None,
                None,
            );
            d = d.add_paragraph(p);
        }
    }
    // Signature: the offices 右空二字, the date under them (2 字 right of the office's start).
    d = d.add_paragraph(Paragraph::new().style("BodyText"));
    let widest = doc.署名.iter().map(|s| chars(s)).max().unwrap_or(0);
    for office in &doc.署名 {
        d = d.add_paragraph(Paragraph::new().style("Signature").add_run(run(office)).indent(
            None,
            None,
            Some(2 * CHAR + (widest - chars(office)) * CHAR),
            None,
        ));
    }
    let date_end = (2 + widest - 2 - chars(&doc.成文日期)).max(2);
    d = d.add_paragraph(Paragraph::new().style("Signature").add_run(run(&doc.成文日期)).indent(
        None,
        None,
        Some(date_end * CHAR),
        None,
    ));
    if let Some(note) = &doc.附注 {
        d = d.add_paragraph(para("BodyText", &format!("（{note}）")));
    }
    for a in &doc.附件 {
        let Some(t) = c.表.get(&a.表) else { continue };
        let label = if doc.附件.len() > 1 {
            format!("附件{}", a.序号)
        } else {
            "附件".to_string()
        };
        d = d.add_paragraph(
            Paragraph::new()
                .style("AttachmentLabel")
                .add_run(run(&label))
                .page_break_before(true),
        );
        d = d.add_paragraph(Paragraph::new().style("BodyText"));
        d = d.add_paragraph(Paragraph::new().style("AttachmentTitle").add_run(run(&t.标题)));
        d = d.add_paragraph(Paragraph::new().style("BodyText"));
        let block = (156.0 * MM) as usize;
        let first = 2 * CHAR as usize + CHAR as usize / 2;
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
        d = d.add_table(Table::new(rows).width(block, WidthType::Dxa));
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
