//! A CFF face, cut down to the glyphs the pages show, with TrueType outlines. OFD readers draw
//! embedded fonts through libraries that often read only `glyf` outlines (reportlab refuses CFF,
//! so easyofd and ofd2img draw no text from an `.otf`); GB/T 33190 leaves the format to OpenType,
//! and TrueType is what every reader draws. The face is made straight from the original: each
//! glyph shown is drawn from its CFF outline (cubic curves become quadratic ones within a unit of
//! the em, 1/1000 of it for these faces) and written as a `glyf` glyph under its new ID, with its
//! advance; `head`, `hhea`, `maxp` and `post` describe the new glyphs, `name` and the tables the
//! caller adds (`cmap`, `OS/2`) complete it. Cutting the CFF down first and converting that took
//! twice as long (the body face has 5 MB of CFF).

use kurbo::{BezPath, CubicBez, Point};
use skrifa::instance::{LocationRef, Size};
use skrifa::outline::{DrawSettings, OutlineGlyphCollection, OutlinePen};
use skrifa::raw::TableProvider as _;
use skrifa::{FontRef, GlyphId, MetadataProvider as _};
use write_fonts::FontBuilder;
use write_fonts::from_obj::ToOwnedTable as _;
use write_fonts::tables::glyf::{GlyfLocaBuilder, Glyph, SimpleGlyph};
use write_fonts::tables::head::Head;
use write_fonts::tables::hhea::Hhea;
use write_fonts::tables::hmtx::{Hmtx, LongMetric};
use write_fonts::tables::maxp::Maxp;
use write_fonts::types::Tag;

/// How far (in font units) a quadratic curve may stray from the cubic it replaces.
const ACCURACY: f64 = 1.0;

/// Face `index` of `data` with only the glyphs `gids` (the original IDs, in their new order: new
/// ID `i` is `gids[i]`), TrueType outlines, and the tables `extra` (tag, bytes) added; `None`
/// when a glyph cannot be drawn or written.
pub(super) fn subset(data: &[u8], index: u32, gids: &[u16], extra: Vec<([u8; 4], Vec<u8>)>) -> Option<Vec<u8>> {
    let font = FontRef::from_index(data, index).ok()?;
    let glyphs = convert(&font, gids)?;
    let metrics = font.glyph_metrics(Size::unscaled(), LocationRef::default());
    let mut builder = GlyfLocaBuilder::new();
    let (mut points, mut contours) = (0usize, 0usize);
    let mut hmtx = Vec::with_capacity(gids.len());
    for (gid, glyph) in gids.iter().zip(&glyphs) {
        let advance = metrics.advance_width(GlyphId::new(u32::from(*gid))).unwrap_or(0.0);
        let lsb = match glyph {
            Glyph::Simple(simple) => {
                points = points.max(simple.contours.iter().map(|c| c.len()).sum());
                contours = contours.max(simple.contours.len());
                simple.bbox.x_min
            }
            _ => 0,
        };
        hmtx.push(LongMetric::new(advance.round() as u16, lsb));
        builder.add_glyph(glyph).ok()?;
    }
    let (glyf, loca, format) = builder.build();
    let count = u16::try_from(gids.len()).ok()?;
    let mut head: Head = font.head().ok()?.to_owned_table();
    head.index_to_loc_format = format as i16;
    let mut hhea: Hhea = font.hhea().ok()?.to_owned_table();
    hhea.number_of_h_metrics = count;
    hhea.advance_width_max = hmtx.iter().map(|m| m.advance).max().unwrap_or(0).into();
    let mut out = FontBuilder::new();
    out.add_table(&glyf).ok()?;
    out.add_table(&loca).ok()?;
    out.add_table(&head).ok()?;
    out.add_table(&hhea).ok()?;
    out.add_table(&Hmtx::new(hmtx, Vec::new())).ok()?;
    out.add_table(&maxp(count, points, contours)?).ok()?;
    // `post` version 3: no glyph names (the original's header, its version changed).
    let mut post = font.data_for_tag(Tag::new(b"post"))?.as_bytes().get(..32)?.to_vec();
    post[..4].copy_from_slice(&[0, 3, 0, 0]);
    out.add_raw(Tag::new(b"post"), post);
    if let Some(name) = font.data_for_tag(Tag::new(b"name")) {
        out.add_raw(Tag::new(b"name"), name.as_bytes().to_vec());
    }
    for (tag, bytes) in extra {
        out.add_raw(Tag::new(&tag), bytes);
    }
    Some(out.build())
}

/// The glyphs `gids` as TrueType glyphs, drawn side by side on rayon's threads (already running,
/// their memory already touched: threads of our own, each new, cost more than the drawing).
fn convert(font: &FontRef, gids: &[u16]) -> Option<Vec<Glyph>> {
    use rayon::prelude::*;
    let chunk = gids.len().div_ceil(rayon::current_num_threads()).max(32);
    let parts: Vec<Option<Vec<Glyph>>> = gids
        .par_chunks(chunk)
        .map(|part| {
            let outlines = font.outline_glyphs();
            part.iter().map(|g| glyph(&outlines, *g)).collect()
        })
        .collect();
    parts
        .into_iter()
        .try_fold(Vec::with_capacity(gids.len()), |mut all, part| {
            all.extend(part?);
            Some(all)
        })
}

/// One glyph's outline as a TrueType glyph.
fn glyph(outlines: &OutlineGlyphCollection, gid: u16) -> Option<Glyph> {
    let mut pen = Pen::default();
    if let Some(outline) = outlines.get(GlyphId::new(u32::from(gid))) {
        let settings = DrawSettings::unhinted(Size::unscaled(), LocationRef::default());
        outline.draw(settings, &mut pen).ok()?;
    }
    if pen.path.elements().is_empty() {
        return Some(Glyph::Empty);
    }
    SimpleGlyph::from_bezpath(&pen.path).ok().map(Glyph::Simple)
}

/// `maxp` version 1.0 (TrueType's) for `count` glyphs of at most `points` points in `contours`
/// contours, without instructions.
fn maxp(count: u16, points: usize, contours: usize) -> Option<Maxp> {
    Some(Maxp {
        max_points: Some(u16::try_from(points).ok()?),
        max_contours: Some(u16::try_from(contours).ok()?),
        max_composite_points: Some(0),
        max_composite_contours: Some(0),
        max_zones: Some(1),
        max_twilight_points: Some(0),
        max_storage: Some(0),
        max_function_defs: Some(0),
        max_instruction_defs: Some(0),
        max_stack_elements: Some(0),
        max_size_of_instructions: Some(0),
        max_component_elements: Some(0),
        max_component_depth: Some(0),
        ..Maxp::new(count)
    })
}

/// Collects a glyph's outline, its cubic curves as quadratic ones.
#[derive(Default)]
struct Pen {
    path: BezPath,
    at: Point,
}

impl OutlinePen for Pen {
    fn move_to(&mut self, x: f32, y: f32) {
        self.at = Point::new(x.into(), y.into());
        self.path.move_to(self.at);
    }

    fn line_to(&mut self, x: f32, y: f32) {
        self.at = Point::new(x.into(), y.into());
        self.path.line_to(self.at);
    }

    fn quad_to(&mut self, cx0: f32, cy0: f32, x: f32, y: f32) {
        self.at = Point::new(x.into(), y.into());
        self.path.quad_to(Point::new(cx0.into(), cy0.into()), self.at);
    }

    fn curve_to(&mut self, cx0: f32, cy0: f32, cx1: f32, cy1: f32, x: f32, y: f32) {
        let to = Point::new(x.into(), y.into());
        let cubic = CubicBez::new(
            self.at,
            Point::new(cx0.into(), cy0.into()),
            Point::new(cx1.into(), cy1.into()),
            to,
        );
        for (_, _, quad) in cubic.to_quads(ACCURACY) {
            self.path.quad_to(quad.p1, quad.p2);
        }
        self.at = to;
    }

    fn close(&mut self) {
        self.path.close_path();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped CFF face, cut to a few glyphs as an OFD embeds it, becomes a TrueType face whose
    /// glyphs cover the same area as the originals (to a fraction of a unit) and keep their
    /// advances, under their new IDs.
    #[test]
    fn a_cff_face_becomes_a_truetype_subset_with_the_same_glyphs() {
        let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fonts/FandolFang-Regular.otf")).unwrap();
        let cff = FontRef::new(&data).unwrap();
        let mut gids = vec![0u16];
        for c in "通报第一二三〇，。".chars() {
            gids.push(cff.charmap().map(c).unwrap().to_u32() as u16);
        }
        let converted = subset(&data, 0, &gids, vec![(*b"OS/2", vec![])]).expect("converted");
        let after = FontRef::new(&converted).unwrap();
        assert!(after.data_for_tag(Tag::new(b"glyf")).is_some());
        assert!(after.data_for_tag(Tag::new(b"CFF ")).is_none());
        assert_eq!(&converted[..4], &[0, 1, 0, 0], "a TrueType sfnt");
        let ttf = ttf_parser::Face::parse(&converted, 0).expect("ttf-parser reads it");
        assert_eq!(usize::from(ttf.number_of_glyphs()), gids.len());
        let area = |font: &FontRef, gid: u32| {
            let mut pen = Pen::default();
            let settings = DrawSettings::unhinted(Size::unscaled(), LocationRef::default());
            font.outline_glyphs()
                .get(GlyphId::new(gid))
                .unwrap()
                .draw(settings, &mut pen)
                .unwrap();
            kurbo::Shape::area(&pen.path).abs()
        };
        let advance = |f: &FontRef, gid: u32| {
            f.glyph_metrics(Size::unscaled(), LocationRef::default())
                .advance_width(GlyphId::new(gid))
                .unwrap()
        };
        for (new, old) in gids.iter().enumerate().skip(1) {
            let (old, new) = (u32::from(*old), new as u32);
            let (a, b) = (area(&cff, old), area(&after, new));
            assert!(a > 100.0 && (a - b).abs() / a < 0.01, "glyph {old} → {new}: {a} → {b}");
            assert_eq!(advance(&cff, old), advance(&after, new));
            assert_eq!(
                ttf.glyph_bounding_box(ttf_parser::GlyphId(new as u16)).unwrap().x_min,
                ttf.glyph_hor_side_bearing(ttf_parser::GlyphId(new as u16)).unwrap(),
                "lsb is xMin"
            );
        }
    }
}
