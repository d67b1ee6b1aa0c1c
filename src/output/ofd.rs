//! The circular as OFD (GB/T 33190-2016), the format of China's electronic official documents,
//! written from the laid-out pages as the PDF is: the same glyphs at the same positions, with no
//! converter in between.
//!
//! The package is a ZIP file:
//!
//! ```text
//! OFD.xml                       entry: document info (title, author, date of issue) and DocRoot
//! Doc_0/Document.xml            page size, resources, the page list
//! Doc_0/PublicRes.xml           the fonts (each embedded as a subset)
//! Doc_0/DocumentRes.xml         the images (seals), when there are any
//! Doc_0/Res/…                   font and image files
//! Doc_0/Pages/Page_N/Content.xml   one layer of text, path and image objects per page
//! ```
//!
//! Same input, same bytes: IDs are handed out in page order, numbers are printed with fixed
//! precision, and every ZIP entry carries the date of issue as its time.

mod font;
mod page;
mod truetype;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;

use sha2::{Digest, Sha256};
use typst::layout::Size;
use typst::visualize::{ExchangeFormat, Image, ImageKind, RasterFormat};
use typst_layout::PagedDocument;

use super::{Made, Output, Pages};
use crate::diag::{Diagnostic, Severity};

/// The file it writes.
pub(crate) const FILE: &str = "circular.ofd";

const XML_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
const NAMESPACE: &str = "http://www.ofdspec.org/2016";
/// Images other than PNG and JPEG (SVG seals, say) are embedded as PNG at this resolution.
const IMAGE_DPI: f64 = 300.0;

pub(crate) fn produce(pages: &Pages<'_>) -> Made {
    let bytes = export(pages.document, &pages.ident, pages.timestamp)?;
    Ok(vec![(FILE, bytes)])
}

/// What the pages refer to: fonts and images, and the counter of IDs every object takes from.
#[derive(Default)]
struct Resources {
    /// The last ID handed out (`MaxUnitID` at the end).
    next: u32,
    fonts: font::Fonts,
    images: Vec<Media>,
    image_index: HashMap<Image, usize>,
}

/// An embedded image.
struct Media {
    id: u32,
    file: String,
    bytes: Vec<u8>,
}

impl Resources {
    fn id(&mut self) -> u32 {
        self.next += 1;
        self.next
    }

    /// The resource ID of `image` (shown `size` large the first time), embedding it once.
    fn image(&mut self, image: &Image, size: Size) -> Option<u32> {
        if let Some(&i) = self.image_index.get(image) {
            return Some(self.images[i].id);
        }
        let (ext, bytes) = image_file(image, size)?;
        let id = self.id();
        self.images.push(Media {
            id,
            file: format!("image_{id}.{ext}"),
            bytes,
        });
        self.image_index.insert(image.clone(), self.images.len() - 1);
        Some(id)
    }
}

/// An image's file: PNG and JPEG as they are, anything else (SVG, PDF, GIF, WebP, raw pixels)
/// as PNG, so that every reader can show it.
fn image_file(image: &Image, size: Size) -> Option<(&'static str, Vec<u8>)> {
    if let ImageKind::Raster(raster) = image.kind() {
        match raster.format() {
            RasterFormat::Exchange(ExchangeFormat::Png) => return Some(("png", raster.data().to_vec())),
            RasterFormat::Exchange(ExchangeFormat::Jpg) if raster.exif_rotation().is_none_or(|r| r == 1) => {
                return Some(("jpg", raster.data().to_vec()));
            }
            _ => {
                let rgba = raster.dynamic().to_rgba8();
                return png(rgba.width(), rgba.height(), rgba.as_raw()).map(|b| ("png", b));
            }
        }
    }
    let mut frame = typst::layout::Frame::soft(size);
    frame.push(
        typst::layout::Point::zero(),
        typst::layout::FrameItem::Image(image.clone(), size, typst::syntax::Span::detached()),
    );
    let page = typst_layout::Page {
        frame,
        bleed: Default::default(),
        fill: typst::foundations::Smart::Custom(None),
        numbering: None,
        supplement: typst::foundations::Content::empty(),
        number: 1,
    };
    let pixmap = typst_render::render(
        &page,
        &typst_render::RenderOptions {
            pixel_per_pt: (IMAGE_DPI / 72.0).into(),
            render_bleed: false,
        },
    );
    // tiny-skia keeps premultiplied alpha; PNG wants it straight.
    let mut rgba = pixmap.data().to_vec();
    for px in rgba.chunks_exact_mut(4) {
        let a = u16::from(px[3]);
        for c in &mut px[..3] {
            if let Some(straight) = (u16::from(*c) * 255 + a / 2).checked_div(a) {
                *c = straight.min(255) as u8;
            }
        }
    }
    png(pixmap.width(), pixmap.height(), &rgba).map(|b| ("png", b))
}

/// RGBA pixels (straight alpha) as a PNG file.
fn png(width: u32, height: u32, rgba: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(rgba).ok()?;
    writer.finish().ok()?;
    Some(out)
}

/// A length or coefficient as OFD writes it: at most four decimals (0.1 µm for millimetres),
/// trailing zeros dropped, never `-0`.
fn num(v: f64) -> String {
    // In ten-thousandths, as integers (the page holds tens of thousands of these: formatting a
    // float each time was a third of the OFD's time).
    let scaled = if v.is_finite() { (v * 10_000.0).round() } else { 0.0 };
    if scaled.abs() >= 1e15 {
        return format!("{:.0}", scaled / 10_000.0);
    }
    let scaled = scaled as i64;
    let (whole, mut part) = (scaled.abs() / 10_000, scaled.abs() % 10_000);
    let sign = if scaled < 0 { "-" } else { "" };
    if part == 0 {
        return format!("{sign}{whole}");
    }
    let mut digits = 4;
    while part % 10 == 0 {
        part /= 10;
        digits -= 1;
    }
    format!("{sign}{whole}.{part:0digits$}")
}

/// Text escaped for an attribute value.
fn attr(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// Text escaped for element content.
fn text_node(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::partial_escape(s)
}

/// The OFD's bytes: every page of `document`, `ident` its identity, `timestamp` its date.
pub(crate) fn export(
    document: &PagedDocument,
    ident: &str,
    timestamp: typst::foundations::Datetime,
) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let mut res = Resources::default();
    let pages = document.pages();
    let ids: Vec<u32> = pages.iter().map(|_| res.id()).collect();
    let first = pages.first().map_or(Size::zero(), |p| p.frame.size());
    let contents: Vec<String> = pages
        .iter()
        .map(|p| {
            let size = p.frame.size();
            let own = (size != first).then_some(size);
            page::content(p, &mut res, own)
        })
        .collect();
    let mut parts: Vec<(String, Vec<u8>)> = vec![
        ("OFD.xml".into(), entry(document, ident, timestamp).into_bytes()),
        (
            "Doc_0/Document.xml".into(),
            root(&ids, first, res.next, !res.images.is_empty()).into_bytes(),
        ),
        ("Doc_0/PublicRes.xml".into(), public_res(&res).into_bytes()),
    ];
    if !res.images.is_empty() {
        parts.push(("Doc_0/DocumentRes.xml".into(), document_res(&res).into_bytes()));
    }
    for (i, content) in contents.into_iter().enumerate() {
        parts.push((format!("Doc_0/Pages/Page_{i}/Content.xml"), content.into_bytes()));
    }
    // The faces are cut down side by side on rayon's threads (each is independent).
    let files: Vec<Option<Vec<u8>>> = {
        use rayon::prelude::*;
        res.fonts.list.par_iter().map(|f| f.file()).collect()
    };
    for (f, file) in res.fonts.list.iter().zip(files) {
        let file = file.ok_or_else(|| {
            vec![Diagnostic::general(
                Severity::Error,
                Output::Ofd.code(),
                format!("生成 OFD 失败：字体“{}”无法嵌入（不支持其字形格式）", f.names().1),
            )]
        })?;
        parts.push((format!("Doc_0/Res/{}", font_file(f)), file));
    }
    for m in &res.images {
        parts.push((format!("Doc_0/Res/{}", m.file), m.bytes.clone()));
    }
    pack(&parts, zip_time(timestamp)).map_err(|e| {
        vec![Diagnostic::general(
            Severity::Error,
            Output::Ofd.code(),
            format!("生成 OFD 失败：{e}"),
        )]
    })
}

fn font_file(f: &font::FontUse) -> String {
    format!("font_{}.ttf", f.id)
}

/// `OFD.xml`: the document's info and where its root is.
fn entry(document: &PagedDocument, ident: &str, timestamp: typst::foundations::Datetime) -> String {
    let info = typst::model::Document::info(document);
    let digest = Sha256::digest(ident.as_bytes());
    let id: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let date = format!(
        "{:04}-{:02}-{:02}",
        timestamp.year().unwrap_or(1970),
        timestamp.month().unwrap_or(1),
        timestamp.day().unwrap_or(1)
    );
    let mut xml = String::from(XML_HEAD);
    let _ = write!(
        xml,
        r#"<ofd:OFD xmlns:ofd="{NAMESPACE}" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>{id}</ofd:DocID>"#
    );
    if let Some(title) = &info.title {
        let _ = write!(xml, "<ofd:Title>{}</ofd:Title>", text_node(title));
    }
    if !info.author.is_empty() {
        let _ = write!(xml, "<ofd:Author>{}</ofd:Author>", text_node(&info.author.join("、")));
    }
    let _ = write!(
        xml,
        "<ofd:CreationDate>{date}</ofd:CreationDate><ofd:Creator>tongbao</ofd:Creator><ofd:CreatorVersion>{}</ofd:CreatorVersion>\
         <ofd:CustomDatas><ofd:CustomData Name=\"tongbao\">{}</ofd:CustomData></ofd:CustomDatas>\
         </ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        env!("CARGO_PKG_VERSION"),
        text_node(ident)
    );
    xml
}

/// `Document.xml`: the page area, the resources and the pages.
fn root(ids: &[u32], size: Size, max: u32, images: bool) -> String {
    let mut xml = String::from(XML_HEAD);
    let _ = write!(
        xml,
        "<ofd:Document xmlns:ofd=\"{NAMESPACE}\"><ofd:CommonData><ofd:MaxUnitID>{max}</ofd:MaxUnitID>\
         <ofd:PageArea><ofd:PhysicalBox>0 0 {} {}</ofd:PhysicalBox></ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes>",
        num(size.x.to_mm()),
        num(size.y.to_mm())
    );
    if images {
        xml.push_str("<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes>");
    }
    xml.push_str("</ofd:CommonData><ofd:Pages>");
    for (i, id) in ids.iter().enumerate() {
        let _ = write!(xml, r#"<ofd:Page ID="{id}" BaseLoc="Pages/Page_{i}/Content.xml"/>"#);
    }
    xml.push_str("</ofd:Pages></ofd:Document>");
    xml
}

/// `PublicRes.xml`: the fonts.
fn public_res(res: &Resources) -> String {
    let mut xml = String::from(XML_HEAD);
    let _ = write!(xml, r#"<ofd:Res xmlns:ofd="{NAMESPACE}" BaseLoc="Res"><ofd:Fonts>"#);
    for f in &res.fonts.list {
        let (name, family) = f.names();
        let variant = f.font.font().info().variant;
        let _ = write!(
            xml,
            r#"<ofd:Font ID="{}" FontName="{}" FamilyName="{}""#,
            f.id,
            attr(&name),
            attr(&family)
        );
        if variant.weight.to_number() >= 600 {
            xml.push_str(r#" Bold="true""#);
        }
        if variant.style != typst::text::FontStyle::Normal {
            xml.push_str(r#" Italic="true""#);
        }
        let _ = write!(xml, "><ofd:FontFile>{}</ofd:FontFile></ofd:Font>", font_file(f));
    }
    xml.push_str("</ofd:Fonts></ofd:Res>");
    xml
}

/// `DocumentRes.xml`: the images.
fn document_res(res: &Resources) -> String {
    let mut xml = String::from(XML_HEAD);
    let _ = write!(
        xml,
        r#"<ofd:Res xmlns:ofd="{NAMESPACE}" BaseLoc="Res"><ofd:MultiMedias>"#
    );
    for m in &res.images {
        let _ = write!(
            xml,
            r#"<ofd:MultiMedia ID="{}" Type="Image"><ofd:MediaFile>{}</ofd:MediaFile></ofd:MultiMedia>"#,
            m.id, m.file
        );
    }
    xml.push_str("</ofd:MultiMedias></ofd:Res>");
    xml
}

/// A ZIP entry's time: the day of `timestamp`, at midnight (within what ZIP can say).
fn zip_time(timestamp: typst::foundations::Datetime) -> zip::DateTime {
    zip::DateTime::from_date_and_time(
        timestamp
            .year()
            .and_then(|y| u16::try_from(y).ok())
            .unwrap_or(1980)
            .clamp(1980, 2107),
        timestamp.month().unwrap_or(1),
        timestamp.day().unwrap_or(1),
        0,
        0,
        0,
    )
    .unwrap_or_default()
}

/// An OFD package's files in their order, and the time its entries carry.
pub(crate) struct Package {
    pub parts: Vec<(String, Vec<u8>)>,
    pub time: zip::DateTime,
}

/// The ZIP container, every entry dated `time`; images are stored, fonts deflated at the
/// fastest level (their outlines give up a fifth of their size at any level; at the default level
/// they took half of the OFD's time), the rest deflated. The parts are compressed side by side
/// (rayon), each into an archive of its own, whose entry is then copied as it is.
pub(crate) fn pack(parts: &[(String, Vec<u8>)], time: zip::DateTime) -> zip::result::ZipResult<Vec<u8>> {
    use rayon::prelude::*;
    let each: Vec<zip::result::ZipResult<Vec<u8>>> = parts
        .par_iter()
        .map(|(name, bytes)| compressed(name, bytes, time))
        .collect();
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for ((name, _), one) in parts.iter().zip(each) {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(one?))?;
        writer.raw_copy_file_rename(archive.by_index_raw(0)?, name)?;
    }
    Ok(writer.finish()?.into_inner())
}

/// `bytes` as the one entry `name` of an archive of its own, compressed as [`pack`] says.
fn compressed(name: &str, bytes: &[u8], time: zip::DateTime) -> zip::result::ZipResult<Vec<u8>> {
    let stored = name.ends_with(".png") || name.ends_with(".jpg");
    let options = zip::write::SimpleFileOptions::default()
        .last_modified_time(time)
        .unix_permissions(0o644)
        .compression_method(if stored {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        })
        .compression_level(name.contains("/Res/font_").then_some(1));
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer.start_file(name, options)?;
    writer.write_all(bytes)?;
    Ok(writer.finish()?.into_inner())
}

/// The files of an OFD package (anyone's: read within [`OFD_PARTS`] entries and
/// [`OFD_INFLATED_BYTES`] inflated, whatever its directory claims), or why it cannot be read.
///
/// [`OFD_PARTS`]: crate::limits::OFD_PARTS
/// [`OFD_INFLATED_BYTES`]: crate::limits::OFD_INFLATED_BYTES
pub(crate) fn unpack(bytes: &[u8]) -> Result<Package, String> {
    use crate::limits::{OFD_INFLATED_BYTES, OFD_PARTS, size};
    use std::io::Read as _;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|_| "不是 OFD 文件（无法作为 ZIP 包读取）".to_string())?;
    if archive.len() > OFD_PARTS {
        return Err(format!("包内文件超过 {OFD_PARTS} 个，不是通报的 OFD"));
    }
    let mut left = OFD_INFLATED_BYTES;
    let mut parts = Vec::with_capacity(archive.len());
    let mut time = None;
    for i in 0..archive.len() {
        let entry = archive
            .by_index(i)
            .map_err(|e| format!("包内第 {} 个文件已损坏：{e}", i + 1))?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map_err(|e| format!("包内第 {} 个文件的名称已损坏：{e}", i + 1))?
            .trim_start_matches('/')
            .to_string();
        time = time.or(entry.last_modified());
        let mut data = Vec::new();
        entry
            .take(left + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("包内文件 {name} 已损坏：{e}"))?;
        left = left
            .checked_sub(data.len() as u64)
            .ok_or_else(|| format!("解压后超过 {}，不是通报的 OFD", size(OFD_INFLATED_BYTES)))?;
        parts.push((name, data));
    }
    Ok(Package {
        parts,
        time: time.unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_fixed_precision_and_no_negative_zero() {
        assert_eq!(num(5.58830001), "5.5883");
        assert_eq!(num(210.0), "210");
        assert_eq!(num(-0.00001), "0");
        assert_eq!(num(-1.25), "-1.25");
        assert_eq!(num(f64::NAN), "0");
    }
}
