//! The fonts an OFD embeds: each face the pages use, cut down to the glyphs they show.
//!
//! `subsetter` (the subsetter typst's PDF export uses) keeps the outlines, metrics and names of
//! the glyphs and renumbers them, but drops the character map: a PDF brings its own. An OFD
//! reader finds a glyph through the font's `cmap` (GB/T 33190 §11.4) unless the text object maps
//! it explicitly (`CGTransform`), so a `cmap` for the characters shown is added back, with the
//! original `OS/2` table (readers on Windows expect one).

use std::collections::{BTreeMap, HashMap};

use subsetter::GlyphRemapper;
use typst::text::FontInstance;

/// A face as the pages use it.
pub(super) struct FontUse {
    pub font: FontInstance,
    /// Its resource ID in the OFD.
    pub id: u32,
    /// Old glyph IDs to new ones, in the order first used (so the same pages give the same IDs).
    remapper: GlyphRemapper,
    /// Characters whose glyph is the one the font's own `cmap` gives, with their new glyph ID.
    cmap: BTreeMap<char, u16>,
}

impl FontUse {
    pub(super) fn new(font: FontInstance, id: u32) -> FontUse {
        FontUse {
            font,
            id,
            remapper: GlyphRemapper::new(),
            cmap: BTreeMap::new(),
        }
    }

    /// The new ID of glyph `gid`.
    pub(super) fn glyph(&mut self, gid: u16) -> u16 {
        self.remapper.remap(gid)
    }

    /// Whether `c` alone is drawn with glyph `gid` by the font's own `cmap`; if so it is added to
    /// the subset's `cmap` and the reader finds the glyph from the character.
    pub(super) fn maps(&mut self, c: char, gid: u16) -> bool {
        if self.font.ttf().glyph_index(c).map(|g| g.0) != Some(gid) {
            return false;
        }
        let new = self.glyph(gid);
        self.cmap.insert(c, new);
        true
    }

    /// The name a reader shows for it and the family it belongs to.
    pub(super) fn names(&self) -> (String, String) {
        let family = self.font.font().info().family.clone();
        (
            self.font.font().post_script_name().unwrap_or_else(|| family.clone()),
            family,
        )
    }

    /// Whether the face has CFF outlines (an `.otf` file) rather than TrueType ones.
    pub(super) fn is_cff(&self) -> bool {
        self.font.ttf().tables().cff.is_some()
    }

    /// The embedded font file: the subset with a `cmap` (and `OS/2`) added, its outlines as
    /// TrueType ones ([`super::truetype`]: what every OFD reader draws). `None` when the face
    /// cannot be subset (a CFF2 variable font, say). Should a CFF face's glyphs not convert, its
    /// subset is embedded as it is (readers tell the two apart by the file's first bytes).
    pub(super) fn file(&self) -> Option<Vec<u8>> {
        let (data, index) = (self.font.font().data(), self.font.font().index());
        let mut extra = vec![(*b"cmap", cmap_table(&self.cmap))];
        if let Some(os2) = table(data, index, *b"OS/2") {
            extra.push((*b"OS/2", os2.to_vec()));
        }
        if self.is_cff() {
            let gids: Vec<u16> = self.remapper.remapped_gids().collect();
            if let Some(file) = super::truetype::subset(data, index, &gids, extra.clone()) {
                return Some(file);
            }
        }
        let subset = subsetter::subset(data, index, &self.remapper).ok()?;
        add_tables(&subset, extra)
    }
}

/// The faces used, by face, in the order first used.
#[derive(Default)]
pub(super) struct Fonts {
    pub list: Vec<FontUse>,
    index: HashMap<FontInstance, usize>,
}

impl Fonts {
    /// The use of `font`, registered with ID `next()` the first time.
    pub(super) fn get(&mut self, font: &FontInstance, next: impl FnOnce() -> u32) -> &mut FontUse {
        let i = *self.index.entry(font.clone()).or_insert_with(|| {
            self.list.push(FontUse::new(font.clone(), next()));
            self.list.len() - 1
        });
        &mut self.list[i]
    }
}

/// A `cmap` table (GB/T 33190 leaves the font format to OpenType): a Windows Unicode BMP
/// subtable (format 4) for every character and, when some lie beyond the BMP, a full-repertoire
/// one (format 12).
fn cmap_table(map: &BTreeMap<char, u16>) -> Vec<u8> {
    // Runs of consecutive characters on consecutive glyphs.
    let mut runs: Vec<(u32, u32, u16)> = Vec::new();
    for (&c, &g) in map {
        let c = c as u32;
        match runs.last_mut() {
            Some((start, end, first)) if *end + 1 == c && u32::from(*first) + (c - *start) == u32::from(g) => *end = c,
            _ => runs.push((c, c, g)),
        }
    }
    let bmp: Vec<&(u32, u32, u16)> = runs.iter().filter(|r| r.1 <= 0xFFFE).collect();
    let wide = runs.iter().any(|r| r.1 > 0xFFFE);
    let format4 = format4(&bmp);
    let format12 = wide.then(|| format12(&runs));
    let count: u16 = if wide { 2 } else { 1 };
    let mut out = Vec::new();
    push16(&mut out, 0);
    push16(&mut out, count);
    let first = 4 + 8 * u32::from(count);
    push16(&mut out, 3);
    push16(&mut out, 1);
    push32(&mut out, first);
    if let Some(f12) = &format12 {
        push16(&mut out, 3);
        push16(&mut out, 10);
        push32(&mut out, first + format4.len() as u32);
        out.extend_from_slice(&format4);
        out.extend_from_slice(f12);
    } else {
        out.extend_from_slice(&format4);
    }
    out
}

/// Format 4: one segment per run (split at the BMP's end), then the closing 0xFFFF segment.
fn format4(runs: &[&(u32, u32, u16)]) -> Vec<u8> {
    let mut segments: Vec<(u16, u16, u16)> = runs
        .iter()
        .map(|&&(start, end, g)| (start as u16, end.min(0xFFFE) as u16, g))
        .collect();
    segments.push((0xFFFF, 0xFFFF, 1));
    let n = segments.len() as u16;
    let (search, selector) = binary_search_header(n);
    let mut t = Vec::new();
    push16(&mut t, 4);
    push16(&mut t, (16 + 8 * u32::from(n)) as u16);
    push16(&mut t, 0);
    push16(&mut t, n * 2);
    push16(&mut t, search * 2);
    push16(&mut t, selector);
    push16(&mut t, n * 2 - search * 2);
    segments.iter().for_each(|s| push16(&mut t, s.1));
    push16(&mut t, 0);
    segments.iter().for_each(|s| push16(&mut t, s.0));
    // idDelta: glyph = character + delta (mod 65536); the closing segment maps to glyph 0.
    segments.iter().for_each(|s| push16(&mut t, s.2.wrapping_sub(s.0)));
    segments.iter().for_each(|_| push16(&mut t, 0));
    t
}

/// Format 12: sequential groups over the whole repertoire.
fn format12(runs: &[(u32, u32, u16)]) -> Vec<u8> {
    let mut t = Vec::new();
    push16(&mut t, 12);
    push16(&mut t, 0);
    push32(&mut t, 16 + 12 * runs.len() as u32);
    push32(&mut t, 0);
    push32(&mut t, runs.len() as u32);
    for &(start, end, g) in runs {
        push32(&mut t, start);
        push32(&mut t, end);
        push32(&mut t, u32::from(g));
    }
    t
}

fn push16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn push32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn read16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?))
}

fn read32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

/// The offset of face `index`'s table directory in `data` (a collection holds several).
fn directory(data: &[u8], index: u32) -> Option<usize> {
    if data.get(..4)? == b"ttcf" {
        return read32(data, 12 + 4 * index as usize).map(|o| o as usize);
    }
    Some(0)
}

/// The tables of the face at directory `dir`: tag, offset, length.
fn tables(data: &[u8], dir: usize) -> Option<Vec<([u8; 4], usize, usize)>> {
    let count = read16(data, dir + 4)?;
    (0..usize::from(count))
        .map(|i| {
            let rec = dir + 12 + 16 * i;
            let tag: [u8; 4] = data.get(rec..rec + 4)?.try_into().ok()?;
            Some((tag, read32(data, rec + 8)? as usize, read32(data, rec + 12)? as usize))
        })
        .collect()
}

/// Table `tag` of face `index`.
fn table(data: &[u8], index: u32, tag: [u8; 4]) -> Option<&[u8]> {
    let (_, offset, len) = tables(data, directory(data, index)?)?
        .into_iter()
        .find(|t| t.0 == tag)?;
    data.get(offset..offset + len)
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// The font `font` (a single face) with the tables `extra` added (replacing any of the same tag),
/// its directory sorted and every checksum, `head`'s whole-font adjustment included, recomputed.
fn add_tables(font: &[u8], extra: Vec<([u8; 4], Vec<u8>)>) -> Option<Vec<u8>> {
    let mut all: Vec<([u8; 4], Vec<u8>)> = tables(font, 0)?
        .into_iter()
        .filter(|t| !extra.iter().any(|e| e.0 == t.0))
        .map(|(tag, offset, len)| Some((tag, font.get(offset..offset + len)?.to_vec())))
        .collect::<Option<_>>()?;
    all.extend(extra);
    all.sort_by_key(|t| t.0);
    let n = all.len() as u16;
    let (search, selector) = binary_search_header(n);
    let mut out = font.get(..4)?.to_vec();
    push16(&mut out, n);
    push16(&mut out, search * 16);
    push16(&mut out, selector);
    push16(&mut out, n * 16 - search * 16);
    let mut offset = 12 + 16 * all.len();
    let mut head = None;
    for (tag, data) in &mut all {
        if tag == b"head" && data.len() >= 12 {
            data[8..12].fill(0);
            head = Some(offset + 8);
        }
        out.extend_from_slice(tag);
        push32(&mut out, checksum(data));
        push32(&mut out, offset as u32);
        push32(&mut out, data.len() as u32);
        offset += data.len().next_multiple_of(4);
    }
    for (_, data) in &all {
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(4), 0);
    }
    if let Some(at) = head {
        let adjust = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        out[at..at + 4].copy_from_slice(&adjust.to_be_bytes());
    }
    Some(out)
}

/// The largest power of two not above `n` (at least 1) and its base-2 logarithm: the
/// `searchRange` and `entrySelector` of an OpenType binary-search header, before their scaling.
fn binary_search_header(n: u16) -> (u16, u16) {
    let selector = if n < 2 { 0 } else { 15 - n.leading_zeros() as u16 };
    (1 << selector, selector)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_added_cmap_maps_each_character_to_its_new_glyph() {
        let map: BTreeMap<char, u16> = [('一', 1), ('丁', 2), ('七', 3), ('通', 9), ('A', 4), ('😀', 5)].into();
        let table = cmap_table(&map);
        let cmap = ttf_parser::cmap::Table::parse(&table).expect("a cmap table");
        let subtables: Vec<_> = cmap.subtables.into_iter().collect();
        assert_eq!(subtables.len(), 2, "format 4 and, for 😀, format 12");
        for (c, g) in &map {
            let found = subtables.iter().find_map(|s| s.glyph_index(*c as u32));
            assert_eq!(found.map(|g| g.0), Some(*g), "{c}");
        }
        assert_eq!(subtables[0].glyph_index('二' as u32), None);
    }

    #[test]
    fn a_subset_with_the_added_tables_is_a_valid_font() {
        let data = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fonts/LiberationSerif-Regular.ttf"
        ))
        .unwrap();
        let face = ttf_parser::Face::parse(&data, 0).unwrap();
        let font = typst::text::Font::new(typst::foundations::Bytes::new(data.clone()), 0)
            .unwrap()
            .instantiate(Default::default(), typst::layout::Abs::pt(12.0), &Default::default());
        let mut used = FontUse::new(font, 1);
        for c in ['t', 'o', 'n', 'g'] {
            let gid = face.glyph_index(c).unwrap().0;
            assert!(used.maps(c, gid));
        }
        assert!(
            !used.maps('x', face.glyph_index('y').unwrap().0),
            "not the cmap's glyph"
        );
        let file = used.file().expect("subset");
        assert!(file.len() < data.len() / 10);
        let sub = ttf_parser::Face::parse(&file, 0).expect("parses");
        let n = sub.glyph_index('n').expect("mapped");
        assert_eq!(
            sub.glyph_hor_advance(n),
            face.glyph_hor_advance(face.glyph_index('n').unwrap())
        );
        assert!(sub.tables().os2.is_some() && sub.glyph_index('x').is_none());
        // Whole-font checksum: the sum over the file equals the magic number.
        assert_eq!(checksum(&file), 0xB1B0_AFBA);
    }

    #[test]
    fn the_binary_search_header_is_the_largest_power_of_two_not_above_n() {
        for (n, want) in [
            (0, (1, 0)),
            (1, (1, 0)),
            (2, (2, 1)),
            (3, (2, 1)),
            (9, (8, 3)),
            (16, (16, 4)),
        ] {
            assert_eq!(binary_search_header(n), want, "{n}");
        }
    }
}
