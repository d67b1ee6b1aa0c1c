//! A CFF face's outlines as TrueType ones. OFD readers draw embedded fonts through libraries that
//! often read only `glyf` outlines (reportlab refuses CFF, so easyofd and ofd2img draw no text
//! from an `.otf`); GB/T 33190 leaves the format to OpenType, and TrueType is what every reader
//! draws. Each glyph's cubic curves become quadratic ones within a unit of the em (1/1000 of it
//! for these faces), the `glyf`/`loca` tables replace `CFF `, `head` says where the glyphs are
//! and `maxp` becomes the TrueType version; every other table is kept as it was.

use kurbo::{BezPath, CubicBez, Point};
use skrifa::instance::{LocationRef, Size};
use skrifa::outline::{DrawSettings, OutlinePen};
use skrifa::raw::TableProvider as _;
use skrifa::{FontRef, GlyphId, MetadataProvider as _};
use write_fonts::FontBuilder;
use write_fonts::from_obj::ToOwnedTable as _;
use write_fonts::tables::glyf::{GlyfLocaBuilder, Glyph, SimpleGlyph};
use write_fonts::tables::head::Head;
use write_fonts::tables::maxp::Maxp;
use write_fonts::types::Tag;

/// How far (in font units) a quadratic curve may stray from the cubic it replaces.
const ACCURACY: f64 = 1.0;

/// The font with TrueType outlines, or `None` when a glyph cannot be drawn or written.
pub(super) fn truetype(data: &[u8]) -> Option<Vec<u8>> {
    let font = FontRef::new(data).ok()?;
    let outlines = font.outline_glyphs();
    let count = font.maxp().ok()?.num_glyphs();
    let mut glyphs = GlyfLocaBuilder::new();
    let (mut points, mut contours) = (0usize, 0usize);
    for gid in 0..count {
        let mut pen = Pen::default();
        if let Some(glyph) = outlines.get(GlyphId::new(u32::from(gid))) {
            let settings = DrawSettings::unhinted(Size::unscaled(), LocationRef::default());
            glyph.draw(settings, &mut pen).ok()?;
        }
        let glyph = if pen.path.elements().is_empty() {
            Glyph::Empty
        } else {
            let simple = SimpleGlyph::from_bezpath(&pen.path).ok()?;
            points = points.max(simple.contours.iter().map(|c| c.len()).sum());
            contours = contours.max(simple.contours.len());
            Glyph::Simple(simple)
        };
        glyphs.add_glyph(&glyph).ok()?;
    }
    let (glyf, loca, format) = glyphs.build();
    let mut head: Head = font.head().ok()?.to_owned_table();
    head.index_to_loc_format = format as i16;
    let maxp = Maxp {
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
    };
    let mut out = FontBuilder::new();
    out.add_table(&glyf).ok()?;
    out.add_table(&loca).ok()?;
    out.add_table(&head).ok()?;
    out.add_table(&maxp).ok()?;
    let dropped = [Tag::new(b"CFF "), Tag::new(b"CFF2"), Tag::new(b"VORG")];
    for record in font.table_directory.table_records() {
        let tag = record.tag();
        if !dropped.contains(&tag)
            && !out.contains(tag)
            && let Some(bytes) = font.data_for_tag(tag)
        {
            out.add_raw(tag, bytes.as_bytes().to_vec());
        }
    }
    Some(out.build())
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
    /// advances.
    #[test]
    fn a_cff_subset_becomes_a_truetype_face_with_the_same_glyphs() {
        let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/fonts/FandolFang-Regular.otf")).unwrap();
        let cff = FontRef::new(&data).unwrap();
        let mut remapper = subsetter::GlyphRemapper::new();
        for c in "通报第一二三〇，。".chars() {
            let gid = cff.charmap().map(c).unwrap();
            remapper.remap(gid.to_u32() as u16);
        }
        let subset = subsetter::subset(&data, 0, &remapper).unwrap();
        let converted = truetype(&subset).expect("converted");
        let (before, after) = (FontRef::new(&subset).unwrap(), FontRef::new(&converted).unwrap());
        assert!(after.data_for_tag(Tag::new(b"glyf")).is_some());
        assert!(after.data_for_tag(Tag::new(b"CFF ")).is_none());
        assert_eq!(&converted[..4], &[0, 1, 0, 0], "a TrueType sfnt");
        let ttf = ttf_parser::Face::parse(&converted, 0).expect("ttf-parser reads it");
        assert_eq!(ttf.number_of_glyphs(), before.maxp().unwrap().num_glyphs());
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
        for gid in 1..u32::from(ttf.number_of_glyphs()) {
            let (a, b) = (area(&before, gid), area(&after, gid));
            assert!(a > 100.0 && (a - b).abs() / a < 0.01, "glyph {gid}: {a} → {b}");
            let advance = |f: &FontRef| {
                f.glyph_metrics(Size::unscaled(), LocationRef::default())
                    .advance_width(GlyphId::new(gid))
            };
            assert_eq!(advance(&before), advance(&after));
        }
    }
}
