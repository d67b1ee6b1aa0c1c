//! Read positions back from a laid-out document: text runs, filled shapes and images, in millimetres
//! from the page's top-left corner. Used by the layout tests and `examples/measure.rs` (to measure
//! the GB/T 9704 figures) and by the preview (its invisible, searchable text layer).

use typst::layout::{Abs, FrameItem, Point, Transform};
use typst::visualize::{Geometry, Paint};
use typst_layout::PagedDocument;

/// Points to millimetres.
pub fn mm(abs: Abs) -> f64 {
    abs.to_mm()
}

/// A run of text as laid out.
#[derive(Debug, Clone)]
pub struct Run {
    /// 1-based page number (physical).
    pub page: usize,
    /// Left edge of the first glyph's advance, mm.
    pub x: f64,
    /// Baseline, mm from the top of the page.
    pub baseline: f64,
    /// Sum of advances, mm.
    pub width: f64,
    /// Font size, pt.
    pub size: f64,
    /// Font family.
    pub family: String,
    pub text: String,
    /// Characters shaped with the font's "missing glyph".
    pub missing: Vec<char>,
    /// Fill colour as `#rrggbb`.
    pub color: String,
    /// Top of the glyphs' ink, mm from the top of the page.
    pub ink_top: f64,
    /// Bottom of the glyphs' ink, mm from the top of the page.
    pub ink_bottom: f64,
    /// Each glyph: its character, left edge and advance (as laid out, after justification), mm.
    pub glyphs: Vec<GlyphBox>,
    /// Each character with its glyph's natural advance from the font's metrics, pt: without
    /// tracking, justification or CJK–Latin spacing (a character shaped with the one before it
    /// advances 0). What another layout engine starts from (the Word file's line fitting).
    pub natural: Vec<(char, f64)>,
}

/// A glyph as laid out.
#[derive(Debug, Clone)]
pub struct GlyphBox {
    /// The (first) character it shows.
    pub c: char,
    /// Left edge of its advance, mm from the page's left edge.
    pub x: f64,
    /// Its advance, mm.
    pub advance: f64,
}

/// A filled or stroked shape's bounding box.
#[derive(Debug, Clone)]
pub struct ShapeBox {
    /// 1-based page.
    pub page: usize,
    /// Left, mm.
    pub x: f64,
    /// Top, mm.
    pub y: f64,
    /// Width, mm.
    pub width: f64,
    /// Height, mm (for a stroked line: the stroke thickness).
    pub height: f64,
    /// Fill or stroke colour as `#rrggbb`.
    pub color: String,
}

/// An image's bounding box.
#[derive(Debug, Clone)]
pub struct ImageBox {
    /// 1-based page.
    pub page: usize,
    /// Left, mm.
    pub x: f64,
    /// Top, mm.
    pub y: f64,
    /// Width, mm.
    pub width: f64,
    /// Height, mm.
    pub height: f64,
}

/// Everything measured on the pages.
#[derive(Debug, Default)]
pub struct Layout {
    /// Page sizes (width, height) in mm.
    pub pages: Vec<(f64, f64)>,
    /// Text runs, in paint order.
    pub runs: Vec<Run>,
    /// Shapes.
    pub shapes: Vec<ShapeBox>,
    /// Images.
    pub images: Vec<ImageBox>,
}

fn color(paint: &Paint) -> String {
    match paint {
        Paint::Solid(c) => c.to_hex().to_string(),
        _ => "pattern".to_string(),
    }
}

/// Measures a laid-out document, with the ink of every glyph.
pub fn measure(doc: &PagedDocument) -> Layout {
    measure_all(doc, Ink::Measured)
}

/// Measures a laid-out document without the glyphs' ink (a run's ink is its baseline): what the
/// outputs that follow the PDF's lines need, at a fraction of the cost (a glyph's bounds are
/// found by reading its outline).
pub(crate) fn measure_text(doc: &PagedDocument) -> Layout {
    measure_all(doc, Ink::Skipped)
}

/// Whether the glyphs' ink is measured.
#[derive(Clone, Copy, PartialEq)]
enum Ink {
    Measured,
    Skipped,
}

fn measure_all(doc: &PagedDocument, ink: Ink) -> Layout {
    let mut layout = Layout::default();
    for (i, page) in doc.pages().iter().enumerate() {
        measure_into(page, i + 1, ink, &mut layout);
    }
    layout
}

/// Measures one page (numbered `number` in the result), without the glyphs' ink.
pub fn measure_page(page: &typst_layout::Page, number: usize) -> Layout {
    let mut layout = Layout::default();
    measure_into(page, number, Ink::Skipped, &mut layout);
    layout
}

fn measure_into(page: &typst_layout::Page, number: usize, ink: Ink, layout: &mut Layout) {
    layout.pages.push((mm(page.frame.width()), mm(page.frame.height())));
    walk(&page.frame, Transform::identity(), number, ink, layout);
}

fn walk(frame: &typst::layout::Frame, ts: Transform, page: usize, ink: Ink, out: &mut Layout) {
    for (pos, item) in frame.items() {
        let at = |p: Point| p.transform(ts);
        match item {
            FrameItem::Group(group) => {
                let inner = ts
                    .pre_concat(Transform::translate(pos.x, pos.y))
                    .pre_concat(group.transform);
                walk(&group.frame, inner, page, ink, out);
            }
            FrameItem::Text(text) => {
                let origin = at(*pos);
                let missing = text
                    .glyphs
                    .iter()
                    .filter(|g| g.id == 0)
                    .filter_map(|g| text.text.get(g.range()).and_then(|s| s.chars().next()))
                    .collect();
                let font = &text.font;
                let to_mm = |units: i16| mm(text.size * font.to_em(units).get());
                let (mut top, mut bottom) = (f64::INFINITY, f64::NEG_INFINITY);
                for g in text.glyphs.iter().filter(|_| ink == Ink::Measured) {
                    if let Some(b) = font.ttf().glyph_bounding_box(ttf_parser::GlyphId(g.id)) {
                        top = top.min(mm(origin.y) - to_mm(b.y_max));
                        bottom = bottom.max(mm(origin.y) - to_mm(b.y_min));
                    }
                }
                let mut x = mm(origin.x);
                let glyphs = text
                    .glyphs
                    .iter()
                    .filter_map(|g| {
                        let c = text.text.get(g.range()).and_then(|s| s.chars().next())?;
                        let advance = mm(g.x_advance.at(text.size)) * ts.sx.get();
                        let glyph = GlyphBox { c, x, advance };
                        x += advance;
                        Some(glyph)
                    })
                    .collect();
                let mut natural = Vec::new();
                for g in &text.glyphs {
                    let advance = font.ttf().glyph_hor_advance(ttf_parser::GlyphId(g.id)).unwrap_or(0);
                    let pt = text.size.to_pt() * font.to_em(advance).get();
                    let chars = text.text.get(g.range()).unwrap_or_default().chars();
                    natural.extend(chars.enumerate().map(|(i, c)| (c, if i == 0 { pt } else { 0.0 })));
                }
                out.runs.push(Run {
                    page,
                    x: mm(origin.x),
                    baseline: mm(origin.y),
                    width: mm(text.width()) * ts.sx.get(),
                    size: text.size.to_pt(),
                    family: font.font().info().family.clone(),
                    text: text.text.to_string(),
                    missing,
                    color: color(&text.fill),
                    ink_top: if top.is_finite() { top } else { mm(origin.y) },
                    ink_bottom: if bottom.is_finite() { bottom } else { mm(origin.y) },
                    glyphs,
                    natural,
                });
            }
            FrameItem::Shape(shape, _) => {
                let (w, h) = match &shape.geometry {
                    Geometry::Line(p) => (p.x, p.y),
                    Geometry::Rect(size) => (size.x, size.y),
                    Geometry::Curve(curve) => {
                        let b = curve.bbox(None);
                        (b.max.x - b.min.x, b.max.y - b.min.y)
                    }
                };
                let top_left = at(*pos);
                let thickness = shape.stroke.as_ref().map_or(Abs::zero(), |s| s.thickness);
                let paint = shape.fill.as_ref().or(shape.stroke.as_ref().map(|s| &s.paint));
                out.shapes.push(ShapeBox {
                    page,
                    x: mm(top_left.x),
                    y: mm(top_left.y),
                    width: mm(w.abs()) * ts.sx.get().abs(),
                    height: mm(if h.abs() > Abs::zero() { h.abs() } else { thickness }) * ts.sy.get().abs(),
                    color: paint.map(color).unwrap_or_default(),
                });
            }
            FrameItem::Image(_, size, _) => {
                let top_left = at(*pos);
                out.images.push(ImageBox {
                    page,
                    x: mm(top_left.x),
                    y: mm(top_left.y),
                    width: mm(size.x) * ts.sx.get().abs(),
                    height: mm(size.y) * ts.sy.get().abs(),
                });
            }
            FrameItem::Link(..) | FrameItem::Tag(_) => {}
        }
    }
}

/// Groups runs of one page into lines by baseline (within 0.2 mm), top to bottom; each line's runs
/// are sorted left to right.
pub fn lines(runs: &[Run], page: usize) -> Vec<Vec<&Run>> {
    let mut on_page: Vec<&Run> = runs.iter().filter(|r| r.page == page).collect();
    on_page.sort_by(|a, b| a.baseline.total_cmp(&b.baseline).then(a.x.total_cmp(&b.x)));
    let mut lines: Vec<Vec<&Run>> = Vec::new();
    for run in on_page {
        match lines.last_mut() {
            Some(line) if (line[0].baseline - run.baseline).abs() < 0.2 => line.push(run),
            _ => lines.push(vec![run]),
        }
    }
    for line in &mut lines {
        line.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    lines
}

/// The text of a line.
pub fn line_text(line: &[&Run]) -> String {
    line.iter().map(|r| r.text.as_str()).collect()
}
