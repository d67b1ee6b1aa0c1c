//! One page's `Content.xml`: the laid-out frame walked as `typeset::inspect` walks it, each text
//! run a text object at typst's glyph positions, each shape a path, each image an image object.
//!
//! Coordinates are millimetres from the page's top-left corner (GB/T 33190 §8.1). A text run's
//! characters sit where typst put its glyphs (`DeltaX` between them, `DeltaY` only when they move
//! vertically); a glyph that is not the one the font's own `cmap` gives for its character (a
//! ligature, a localised form, a missing glyph) is named explicitly by a `CGTransform`. Objects
//! under a rotation or scale carry it as their `CTM`; paths are written already transformed.

use std::fmt::Write;

use typst::layout::{Abs, Frame, FrameItem, Point, Size, Transform};
use typst::text::{Glyph, TextItem};
use typst::visualize::{Curve, CurveItem, FillRule, FixedStroke, Geometry, LineCap, LineJoin, Paint, Shape};

use super::{Resources, attr, num, text_node};

/// The `Content.xml` of `page`, numbering its objects from `res`.
pub(super) fn content(page: &typst_layout::Page, res: &mut Resources, area: Option<Size>) -> String {
    let mut w = Walk {
        res,
        out: String::new(),
    };
    let layer = w.res.id();
    let size = page.frame.size();
    if let typst::foundations::Smart::Custom(Some(fill)) = &page.fill {
        let shape = Shape {
            geometry: Geometry::Rect(size),
            fill: Some(fill.clone()),
            fill_rule: FillRule::NonZero,
            stroke: None,
        };
        w.shape(&shape, Transform::identity());
    }
    w.walk(&page.frame, Transform::identity());
    let mut xml = String::from(super::XML_HEAD);
    xml.push_str(r#"<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016">"#);
    if let Some(size) = area {
        let _ = write!(
            xml,
            "<ofd:Area><ofd:PhysicalBox>0 0 {} {}</ofd:PhysicalBox></ofd:Area>",
            num(size.x.to_mm()),
            num(size.y.to_mm())
        );
    }
    let _ = write!(xml, r#"<ofd:Content><ofd:Layer ID="{layer}" Type="Body">"#);
    xml.push_str(&w.out);
    xml.push_str("</ofd:Layer></ofd:Content></ofd:Page>");
    xml
}

struct Walk<'a> {
    res: &'a mut Resources,
    out: String,
}

/// An axis-aligned box in page millimetres: left, top, right, bottom.
#[derive(Clone, Copy)]
struct Bounds(f64, f64, f64, f64);

impl Bounds {
    /// The box around `points` (page millimetres), grown by `margin` on every side.
    fn around(points: impl IntoIterator<Item = (f64, f64)>, margin: f64) -> Bounds {
        let mut b = Bounds(f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY);
        for (x, y) in points {
            b = Bounds(b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
        }
        if !b.0.is_finite() {
            return Bounds(0.0, 0.0, 0.0, 0.0);
        }
        Bounds(b.0 - margin, b.1 - margin, b.2 + margin, b.3 + margin)
    }

    /// `Boundary="x y w h"`.
    fn attr(self) -> String {
        format!(
            "{} {} {} {}",
            num(self.0),
            num(self.1),
            num(self.2 - self.0),
            num(self.3 - self.1)
        )
    }
}

/// `ts` applied to a point in points, in page millimetres.
fn mm(ts: Transform, x: Abs, y: Abs) -> (f64, f64) {
    let p = Point::new(x, y).transform(ts);
    (p.x.to_mm(), p.y.to_mm())
}

/// Whether `ts` only moves things.
fn translation_only(ts: Transform) -> bool {
    ts.sx.get() == 1.0 && ts.sy.get() == 1.0 && ts.kx.get() == 0.0 && ts.ky.get() == 0.0
}

/// `CTM` mapping an object's own millimetres into its boundary box `b`.
fn ctm(ts: Transform, b: Bounds) -> String {
    format!(
        "{} {} {} {} {} {}",
        num(ts.sx.get()),
        num(ts.ky.get()),
        num(ts.kx.get()),
        num(ts.sy.get()),
        num(ts.tx.to_mm() - b.0),
        num(ts.ty.to_mm() - b.1)
    )
}

/// A paint as an OFD colour (sRGB, 0–255) and its opacity. A gradient is written as its first
/// stop and a tiling as black: circulars use neither, and OFD's shadings are a different model.
fn color(paint: &Paint) -> ([u8; 3], u8) {
    let c = match paint {
        Paint::Solid(c) => c.clone(),
        Paint::Gradient(g) => g
            .stops_ref()
            .first()
            .map_or(typst::visualize::Color::BLACK, |s| s.0.clone()),
        Paint::Tiling(_) => typst::visualize::Color::BLACK,
    };
    let hex = c.to_hex();
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0);
    let alpha = if hex.len() > 7 { byte(7) } else { 255 };
    ([byte(1), byte(3), byte(5)], alpha)
}

fn color_node(name: &str, rgb: [u8; 3]) -> String {
    format!(r#"<ofd:{name} Value="{} {} {}"/>"#, rgb[0], rgb[1], rgb[2])
}

/// A glyph cluster of a text run: its characters, its glyphs, and where its pen starts (points,
/// in the run's own coordinates, y down).
struct Cluster<'t> {
    text: &'t str,
    glyphs: &'t [Glyph],
    x: Abs,
    y: Abs,
    advance: Abs,
}

/// The clusters of a run, without the blank ones at either end (XML readers trim them).
fn clusters(t: &TextItem) -> Vec<Cluster<'_>> {
    let mut out = Vec::new();
    let (mut x, mut y) = (Abs::zero(), Abs::zero());
    let mut i = 0;
    while i < t.glyphs.len() {
        let range = t.glyphs[i].range();
        let j = i + t.glyphs[i..].iter().take_while(|g| g.range() == range).count();
        let glyphs = &t.glyphs[i..j];
        let advance: Abs = glyphs.iter().map(|g| g.x_advance.at(t.size)).sum();
        out.push(Cluster {
            text: t.text.get(range).unwrap_or(""),
            glyphs,
            x: x + glyphs[0].x_offset.at(t.size),
            y: -(y + glyphs[0].y_offset.at(t.size)),
            advance,
        });
        x += advance;
        y += glyphs.iter().map(|g| g.y_advance.at(t.size)).sum();
        i = j;
    }
    let blank = |c: &Cluster| c.text.chars().all(char::is_whitespace);
    let start = out.iter().position(|c| !blank(c)).unwrap_or(out.len());
    let end = out.iter().rposition(|c| !blank(c)).map_or(start, |e| e + 1);
    out.drain(end..);
    out.drain(..start);
    out
}

/// Deltas as GB/T 33190 §11.2 writes them, a run of equal ones as `g N value`.
fn deltas(values: &[String]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let n = values[i..].iter().take_while(|v| **v == values[i]).count();
        if n > 2 {
            out.push(format!("g {n} {}", values[i]));
        } else {
            out.extend(values[i..i + n].iter().cloned());
        }
        i += n;
    }
    out.join(" ")
}

impl Walk<'_> {
    fn walk(&mut self, frame: &Frame, ts: Transform) {
        for (pos, item) in frame.items() {
            let here = ts.pre_concat(Transform::translate(pos.x, pos.y));
            match item {
                FrameItem::Group(group) => self.walk(&group.frame, here.pre_concat(group.transform)),
                FrameItem::Text(text) => self.text(text, here),
                FrameItem::Shape(shape, _) => self.shape(shape, here),
                FrameItem::Image(image, size, _) => self.image(image, *size, here),
                FrameItem::Link(..) | FrameItem::Tag(_) => {}
            }
        }
    }

    /// A text run as one text object, its baseline origin at `ts`.
    fn text(&mut self, t: &TextItem, ts: Transform) {
        let clusters = clusters(t);
        if clusters.is_empty() {
            return;
        }
        let id = self.res.id();
        let next = &mut self.res.next;
        let font = self.res.fonts.get(&t.font, || {
            *next += 1;
            *next
        });
        let (mut chars, mut xs, mut ys) = (String::new(), Vec::new(), Vec::new());
        let mut transforms = String::new();
        let mut count = 0;
        for c in &clusters {
            let n = c.text.chars().count();
            if n == 0 {
                continue;
            }
            let simple = n == 1 && c.glyphs.len() == 1 && c.text.chars().all(|ch| font.maps(ch, c.glyphs[0].id));
            if !simple {
                let glyphs: Vec<String> = c.glyphs.iter().map(|g| font.glyph(g.id).to_string()).collect();
                let _ = write!(
                    transforms,
                    r#"<ofd:CGTransform CodePosition="{count}" CodeCount="{n}" GlyphCount="{}"><ofd:Glyphs>{}</ofd:Glyphs></ofd:CGTransform>"#,
                    glyphs.len(),
                    glyphs.join(" ")
                );
            }
            for (k, ch) in c.text.chars().enumerate() {
                chars.push(ch);
                xs.push((c.x + c.advance * (k as f64 / n as f64)).to_mm());
                ys.push(c.y.to_mm());
            }
            count += n;
        }
        if chars.is_empty() {
            // Glyphs with no characters (nothing a reader could show as text).
            return;
        }
        let font_id = font.id;
        let last = clusters.last().map_or(Abs::zero(), |c| c.x + c.advance);
        let b = text_bounds(t, xs[0], last, &ys, ts);
        let (dx, dy) = if translation_only(ts) {
            (ts.tx.to_mm() - b.0, ts.ty.to_mm() - b.1)
        } else {
            (0.0, 0.0)
        };
        let _ = write!(self.out, r#"<ofd:TextObject ID="{id}" Boundary="{}""#, b.attr());
        if !translation_only(ts) {
            let _ = write!(self.out, r#" CTM="{}""#, ctm(ts, b));
        }
        let _ = write!(self.out, r#" Font="{font_id}" Size="{}""#, num(t.size.to_mm()));
        let (fill, alpha) = color(&t.fill);
        if let Some(stroke) = &t.stroke {
            let _ = write!(
                self.out,
                r#" Stroke="true" LineWidth="{}""#,
                num(stroke.thickness.to_mm())
            );
        }
        if alpha < 255 {
            let _ = write!(self.out, r#" Alpha="{alpha}""#);
        }
        self.out.push('>');
        self.out.push_str(&color_node("FillColor", fill));
        if let Some(stroke) = &t.stroke {
            self.out.push_str(&color_node("StrokeColor", color(&stroke.paint).0));
        }
        self.out.push_str(&transforms);
        let step = |v: &[f64]| -> Vec<String> { v.windows(2).map(|w| num(w[1] - w[0])).collect() };
        let _ = write!(
            self.out,
            r#"<ofd:TextCode X="{}" Y="{}""#,
            num(xs[0] + dx),
            num(ys[0] + dy)
        );
        if xs.len() > 1 {
            let _ = write!(self.out, r#" DeltaX="{}""#, deltas(&step(&xs)));
        }
        if ys.iter().any(|y| *y != ys[0]) {
            let _ = write!(self.out, r#" DeltaY="{}""#, deltas(&step(&ys)));
        }
        let _ = write!(self.out, ">{}</ofd:TextCode></ofd:TextObject>", text_node(&chars));
    }

    /// A shape as a path object, its points transformed onto the page.
    fn shape(&mut self, shape: &Shape, ts: Transform) {
        let items = match &shape.geometry {
            Geometry::Line(p) => vec![CurveItem::Move(Point::zero()), CurveItem::Line(*p)],
            Geometry::Rect(s) => vec![
                CurveItem::Move(Point::zero()),
                CurveItem::Line(Point::new(s.x, Abs::zero())),
                CurveItem::Line(Point::new(s.x, s.y)),
                CurveItem::Line(Point::new(Abs::zero(), s.y)),
                CurveItem::Close,
            ],
            Geometry::Curve(Curve(items)) => items.clone(),
        };
        let fill = shape
            .fill
            .as_ref()
            .filter(|_| !matches!(shape.geometry, Geometry::Line(_)));
        if fill.is_none() && shape.stroke.is_none() {
            return;
        }
        let scale = (ts.sx.get() * ts.sy.get() - ts.kx.get() * ts.ky.get()).abs().sqrt();
        let width = shape.stroke.as_ref().map_or(0.0, |s| s.thickness.to_mm() * scale);
        let points = items.iter().flat_map(|i| match i {
            CurveItem::Move(p) | CurveItem::Line(p) => vec![*p],
            CurveItem::Cubic(a, b, c) => vec![*a, *b, *c],
            CurveItem::Close => vec![],
        });
        let b = Bounds::around(points.map(|p| mm(ts, p.x, p.y)), width / 2.0 + 0.1);
        let at = |p: &Point| {
            let (x, y) = mm(ts, p.x, p.y);
            format!("{} {}", num(x - b.0), num(y - b.1))
        };
        let data: Vec<String> = items
            .iter()
            .map(|i| match i {
                CurveItem::Move(p) => format!("M {}", at(p)),
                CurveItem::Line(p) => format!("L {}", at(p)),
                CurveItem::Cubic(p, q, r) => format!("B {} {} {}", at(p), at(q), at(r)),
                CurveItem::Close => "C".to_string(),
            })
            .collect();
        let id = self.res.id();
        let _ = write!(self.out, r#"<ofd:PathObject ID="{id}" Boundary="{}""#, b.attr());
        let mut alpha = 255;
        match &shape.stroke {
            Some(stroke) => {
                self.out.push_str(&stroke_attrs(stroke, width, scale, &shape.geometry));
                alpha = color(&stroke.paint).1;
            }
            None => self.out.push_str(r#" Stroke="false""#),
        }
        if let Some(paint) = fill {
            self.out.push_str(r#" Fill="true""#);
            if shape.fill_rule == FillRule::EvenOdd {
                self.out.push_str(r#" Rule="Even-Odd""#);
            }
            alpha = alpha.min(color(paint).1);
        }
        if alpha < 255 {
            let _ = write!(self.out, r#" Alpha="{alpha}""#);
        }
        self.out.push('>');
        if let Some(stroke) = &shape.stroke {
            self.out.push_str(&color_node("StrokeColor", color(&stroke.paint).0));
        }
        if let Some(paint) = fill {
            self.out.push_str(&color_node("FillColor", color(paint).0));
        }
        let _ = write!(
            self.out,
            "<ofd:AbbreviatedData>{}</ofd:AbbreviatedData></ofd:PathObject>",
            data.join(" ")
        );
    }

    /// An image `size` large as an image object: the unit square mapped onto it by its `CTM`.
    fn image(&mut self, image: &typst::visualize::Image, size: Size, ts: Transform) {
        let Some(resource) = self.res.image(image, size) else {
            return;
        };
        let corners = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)];
        let b = Bounds::around(corners.map(|(u, v)| mm(ts, size.x * u, size.y * v)), 0.0);
        let (w, h) = (size.x.to_mm(), size.y.to_mm());
        let unit = format!(
            "{} {} {} {} {} {}",
            num(ts.sx.get() * w),
            num(ts.ky.get() * w),
            num(ts.kx.get() * h),
            num(ts.sy.get() * h),
            num(ts.tx.to_mm() - b.0),
            num(ts.ty.to_mm() - b.1)
        );
        let id = self.res.id();
        let _ = write!(
            self.out,
            r#"<ofd:ImageObject ID="{id}" Boundary="{}" CTM="{}" ResourceID="{resource}"/>"#,
            b.attr(),
            unit
        );
    }
}

/// The box of a text run on the page: from its first character to its pen's end (`first`,
/// `last`, mm and points along the run), from the font's ascender to its descender around the
/// baselines `ys`, with a fifth of an em to spare for ink beyond the advances.
fn text_bounds(t: &TextItem, first: f64, last: Abs, ys: &[f64], ts: Transform) -> Bounds {
    let metrics = t.font.metrics();
    let (low, high) = ys.iter().fold((0.0f64, 0.0f64), |(l, h), y| (l.min(*y), h.max(*y)));
    let top = -metrics.ascender.at(t.size).to_mm() + low;
    let bottom = -metrics.descender.at(t.size).to_mm() + high;
    let corners = [
        (first, top),
        (last.to_mm(), top),
        (first, bottom),
        (last.to_mm(), bottom),
    ];
    Bounds::around(
        corners.map(|(x, y)| mm(ts, Abs::mm(x), Abs::mm(y))),
        t.size.to_mm() * 0.2,
    )
}

/// A stroke's attributes (line width already scaled), defaults left out.
fn stroke_attrs(stroke: &FixedStroke, width: f64, scale: f64, geometry: &Geometry) -> String {
    let mut out = format!(r#" LineWidth="{}""#, num(width));
    match stroke.cap {
        LineCap::Butt => {}
        LineCap::Round => out.push_str(r#" Cap="Round""#),
        LineCap::Square => out.push_str(r#" Cap="Square""#),
    }
    match stroke.join {
        LineJoin::Miter if !matches!(geometry, Geometry::Line(_)) => {
            let _ = write!(out, r#" MiterLimit="{}""#, num(stroke.miter_limit.get()));
        }
        LineJoin::Miter => {}
        LineJoin::Round => out.push_str(r#" Join="Round""#),
        LineJoin::Bevel => out.push_str(r#" Join="Bevel""#),
    }
    if let Some(dash) = &stroke.dash {
        let array: Vec<String> = dash.array.iter().map(|d| num(d.to_mm() * scale)).collect();
        if !array.is_empty() {
            let _ = write!(
                out,
                r#" DashOffset="{}" DashPattern="{}""#,
                num(dash.phase.to_mm() * scale),
                attr(&array.join(" "))
            );
        }
    }
    out
}
