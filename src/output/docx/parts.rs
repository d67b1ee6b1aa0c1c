//! The package around the document: styles named for their role with the official faces, the
//! font table, settings, footers with the page number, the section (page, margins, grid), the
//! document's properties, and the content types and relationships that tie them together.

use super::model::{Para, Run};
use super::table;
use super::xml::Xml;
use super::{Face, Faces, Grid, twips};
use crate::render::Circular;

const W: &str = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// The namespaces of the WordprocessingML parts.
pub(super) const NAMESPACES: [(&str, &str); 2] = [("xmlns:w", W), ("xmlns:r", R)];

/// The footers: odd pages, even pages.
const FOOTERS: [(&str, &str, bool); 2] = [("rIdOdd", "footer1.xml", true), ("rIdEven", "footer2.xml", false)];

/// Every part of the package, `document` being `word/document.xml`.
pub(super) fn package(
    c: &Circular,
    f: &Faces,
    g: &Grid,
    document: Vec<u8>,
    when: &typst::foundations::Datetime,
) -> Vec<(&'static str, Vec<u8>)> {
    let mut parts = vec![
        ("[Content_Types].xml", content_types()),
        ("_rels/.rels", package_rels()),
        ("docProps/core.xml", core(c, when)),
        ("docProps/app.xml", app(c)),
        ("word/_rels/document.xml.rels", document_rels()),
        ("word/document.xml", document),
        ("word/styles.xml", styles(f, g)),
        ("word/settings.xml", settings()),
        ("word/fontTable.xml", font_table(f)),
    ];
    for (_, file, odd) in FOOTERS {
        let name = if odd { "word/footer1.xml" } else { "word/footer2.xml" };
        debug_assert!(name.ends_with(file));
        parts.push((name, footer(f, g, odd)));
    }
    parts
}

fn content_types() -> Vec<u8> {
    let mut x = Xml::new();
    let t = "application/vnd.openxmlformats-officedocument.wordprocessingml";
    x.open(
        "Types",
        &[("xmlns", "http://schemas.openxmlformats.org/package/2006/content-types")],
    );
    x.leaf(
        "Default",
        &[
            ("Extension", "rels"),
            (
                "ContentType",
                "application/vnd.openxmlformats-package.relationships+xml",
            ),
        ],
    );
    x.leaf("Default", &[("Extension", "xml"), ("ContentType", "application/xml")]);
    let overrides = [
        ("/word/document.xml", format!("{t}.document.main+xml")),
        ("/word/styles.xml", format!("{t}.styles+xml")),
        ("/word/settings.xml", format!("{t}.settings+xml")),
        ("/word/fontTable.xml", format!("{t}.fontTable+xml")),
        ("/word/footer1.xml", format!("{t}.footer+xml")),
        ("/word/footer2.xml", format!("{t}.footer+xml")),
        (
            "/docProps/core.xml",
            "application/vnd.openxmlformats-package.core-properties+xml".to_string(),
        ),
        (
            "/docProps/app.xml",
            "application/vnd.openxmlformats-officedocument.extended-properties+xml".to_string(),
        ),
    ];
    for (part, kind) in &overrides {
        x.leaf("Override", &[("PartName", part), ("ContentType", kind)]);
    }
    x.close("Types");
    x.into_bytes()
}

fn relationships(rels: &[(&str, String, &str)]) -> Vec<u8> {
    let mut x = Xml::new();
    x.open(
        "Relationships",
        &[("xmlns", "http://schemas.openxmlformats.org/package/2006/relationships")],
    );
    for (id, kind, target) in rels {
        x.leaf("Relationship", &[("Id", id), ("Type", kind), ("Target", target)]);
    }
    x.close("Relationships");
    x.into_bytes()
}

fn package_rels() -> Vec<u8> {
    relationships(&[
        ("rId1", format!("{REL}/officeDocument"), "word/document.xml"),
        (
            "rId2",
            "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties".into(),
            "docProps/core.xml",
        ),
        ("rId3", format!("{REL}/extended-properties"), "docProps/app.xml"),
    ])
}

fn document_rels() -> Vec<u8> {
    let mut rels = vec![
        ("rIdStyles", format!("{REL}/styles"), "styles.xml"),
        ("rIdSettings", format!("{REL}/settings"), "settings.xml"),
        ("rIdFonts", format!("{REL}/fontTable"), "fontTable.xml"),
    ];
    for (id, file, _) in FOOTERS {
        rels.push((id, format!("{REL}/footer"), file));
    }
    relationships(&rels)
}

/// A W3C date-time from Typst's timestamp (midnight when it has no time).
fn w3c(when: &typst::foundations::Datetime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        when.year().unwrap_or(2000),
        when.month().unwrap_or(1),
        when.day().unwrap_or(1),
        when.hour().unwrap_or(0),
        when.minute().unwrap_or(0),
        when.second().unwrap_or(0)
    )
}

/// The document's properties: its title, the issuing office as author, the date of issue.
fn core(c: &Circular, when: &typst::foundations::Datetime) -> Vec<u8> {
    let doc = &c.公文;
    let date = w3c(when);
    let mut x = Xml::new();
    x.open(
        "cp:coreProperties",
        &[
            (
                "xmlns:cp",
                "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
            ),
            ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
            ("xmlns:dcterms", "http://purl.org/dc/terms/"),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
        ],
    );
    x.element("dc:title", &[], &doc.标题);
    x.element("dc:creator", &[], &doc.发文机关);
    x.element("dc:language", &[], "zh-CN");
    x.element("cp:lastModifiedBy", &[], &doc.发文机关);
    x.element("cp:revision", &[], "1");
    let typed = [("xsi:type", "dcterms:W3CDTF")];
    x.element("dcterms:created", &typed, &date);
    x.element("dcterms:modified", &typed, &date);
    x.close("cp:coreProperties");
    x.into_bytes()
}

fn app(c: &Circular) -> Vec<u8> {
    let mut x = Xml::new();
    x.open(
        "Properties",
        &[(
            "xmlns",
            "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties",
        )],
    );
    x.element("Application", &[], "tongbao");
    x.element("DocSecurity", &[], "0");
    x.element("Company", &[], &c.公文.发文机关);
    x.close("Properties");
    x.into_bytes()
}

fn settings() -> Vec<u8> {
    let mut x = Xml::new();
    x.open("w:settings", &NAMESPACES);
    x.leaf("w:zoom", &[("w:percent", "100")]);
    x.val("w:defaultTabStop", "420");
    // Odd pages number on the right, even pages on the left.
    x.leaf("w:evenAndOddHeaders", &[]);
    // Punctuation is not squeezed (the PDF does not squeeze it to take a 29th character).
    x.val("w:characterSpacingControl", "doNotCompress");
    x.open("w:compat", &[]).leaf(
        "w:compatSetting",
        &[
            ("w:name", "compatibilityMode"),
            ("w:uri", "http://schemas.microsoft.com/office/word"),
            ("w:val", "15"),
        ],
    );
    x.close("w:compat");
    x.leaf("w:themeFontLang", &[("w:val", "zh-CN"), ("w:eastAsia", "zh-CN")]);
    x.close("w:settings");
    x.into_bytes()
}

/// The font table: each face the document names, Chinese faces with the GB 2312 character set
/// and the Latin name Word and WPS also know them by.
fn font_table(f: &Faces) -> Vec<u8> {
    let mut x = Xml::new();
    x.open("w:fonts", &NAMESPACES);
    let mut seen: Vec<&str> = Vec::new();
    for face in f.all() {
        if seen.contains(&face.name.as_str()) {
            continue;
        }
        seen.push(&face.name);
        font(&mut x, face);
    }
    x.close("w:fonts");
    x.into_bytes()
}

fn font(x: &mut Xml, face: &Face) {
    let chinese = !face.name.is_ascii();
    x.open("w:font", &[("w:name", &face.name)]);
    if let Some(alt) = &face.alt {
        x.val("w:altName", alt);
    }
    x.val("w:charset", if chinese { "86" } else { "00" });
    x.val("w:family", if chinese { "modern" } else { "roman" });
    x.val("w:pitch", "variable");
    x.close("w:font");
}

/// Run fonts: the Latin face for letters and digits, `east_asia` for Chinese.
fn run_fonts(x: &mut Xml, f: &Faces, east_asia: &str) {
    let latin = f.latin.name.as_str();
    x.leaf(
        "w:rFonts",
        &[
            ("w:ascii", latin),
            ("w:hAnsi", latin),
            ("w:eastAsia", east_asia),
            ("w:cs", latin),
        ],
    );
}

/// How a style's paragraphs sit.
#[derive(Clone, Copy)]
enum Shape {
    Plain,
    /// Justified, the first line two characters in.
    Indented,
    /// Indented, kept with what follows, at an outline level.
    Heading(&'static str),
    Left,
    Centre,
    /// A table cell's: off the grid, lines of exact height, centred.
    Cell,
}

/// A paragraph style: id, name, face, size (half-points), character spacing (twips; None: the
/// document's), shape.
type Style<'a> = (&'a str, &'a str, &'a str, u32, Option<i32>, Shape);

fn style(x: &mut Xml, f: &Faces, g: &Grid, s: Style<'_>) {
    let (id, name, face, size, spacing, shape) = s;
    let default = id == "Normal";
    let mut attrs = vec![("w:type", "paragraph"), ("w:styleId", id)];
    if default {
        attrs.push(("w:default", "1"));
    }
    x.open("w:style", &attrs).val("w:name", name);
    if !default {
        x.val("w:basedOn", "Normal");
    }
    x.leaf("w:qFormat", &[]);
    x.open("w:pPr", &[]);
    let indent = g.chars(2.0).to_string();
    match shape {
        Shape::Plain => {}
        Shape::Indented => {
            x.leaf("w:ind", &[("w:firstLine", &indent)]).val("w:jc", "both");
        }
        Shape::Heading(level) => {
            x.leaf("w:keepNext", &[]).leaf("w:ind", &[("w:firstLine", &indent)]);
            x.val("w:jc", "both").val("w:outlineLvl", level);
        }
        Shape::Left => {
            x.val("w:jc", "left");
        }
        Shape::Centre => {
            x.val("w:jc", "center");
        }
        Shape::Cell => {
            let line = table::cell_line(g).to_string();
            x.val("w:snapToGrid", "0")
                .leaf("w:spacing", &[("w:line", &line), ("w:lineRule", "exact")])
                .val("w:jc", "center");
        }
    }
    x.close("w:pPr").open("w:rPr", &[]);
    run_fonts(x, f, face);
    if let Some(sp) = spacing {
        x.val("w:spacing", &sp.to_string());
    }
    let size = size.to_string();
    x.val("w:sz", &size).val("w:szCs", &size);
    x.close("w:rPr").close("w:style");
}

fn styles(f: &Faces, g: &Grid) -> Vec<u8> {
    let mut x = Xml::new();
    x.open("w:styles", &NAMESPACES);
    defaults(&mut x, f, g);
    let half = |pt: f64| (pt * 2.0).round() as u32;
    let (body, table, number) = (
        half(g.spec.body_size),
        half(g.spec.table_size),
        half(g.spec.number_size),
    );
    let (b, t, h1, h2) = (&f.body.name, &f.title.name, &f.h1.name, &f.h2.name);
    let list: [Style<'_>; 16] = [
        ("Normal", "Normal", b, body, None, Shape::Plain),
        ("Title", "标题", t, half(g.spec.title_size), Some(0), Shape::Centre),
        ("BodyText", "正文", b, body, None, Shape::Indented),
        ("Heading1", "一级标题", h1, body, None, Shape::Heading("0")),
        ("Heading2", "二级标题", h2, body, None, Shape::Heading("1")),
        ("Heading3", "三级标题", b, body, None, Shape::Heading("2")),
        ("Heading4", "四级标题", b, body, None, Shape::Heading("3")),
        ("Recipients", "主送", b, body, None, Shape::Left),
        ("AttachmentNote", "附件说明", b, body, None, Shape::Left),
        ("Signature", "署名", b, body, None, Shape::Left),
        ("AttachmentLabel", "附件标识", h1, body, None, Shape::Left),
        (
            "AttachmentTitle",
            "附件标题",
            t,
            half(g.spec.attachment_title_size),
            Some(0),
            Shape::Centre,
        ),
        ("TableCaption", "分表标题", h2, body, None, Shape::Left),
        ("TableHeader", "表头", h1, table, Some(0), Shape::Cell),
        ("TableText", "表格", b, table, Some(0), Shape::Cell),
        ("Footer", "页码", b, number, Some(0), Shape::Plain),
    ];
    for s in list {
        style(&mut x, f, g, s);
    }
    x.close("w:styles");
    x.into_bytes()
}

/// The document defaults: body face and size, 28 characters a line, Chinese, no widow or orphan
/// control (the PDF has none), no punctuation hanging into the margin.
fn defaults(x: &mut Xml, f: &Faces, g: &Grid) {
    let size = ((g.spec.body_size * 2.0).round() as u32).to_string();
    x.open("w:docDefaults", &[])
        .open("w:rPrDefault", &[])
        .open("w:rPr", &[]);
    run_fonts(x, f, &f.body.name);
    x.val("w:spacing", &g.spacing.to_string());
    x.val("w:sz", &size).val("w:szCs", &size);
    x.leaf("w:lang", &[("w:val", "zh-CN"), ("w:eastAsia", "zh-CN")]);
    x.close("w:rPr").close("w:rPrDefault");
    x.open("w:pPrDefault", &[]).open("w:pPr", &[]);
    x.val("w:widowControl", "0").val("w:overflowPunct", "0");
    x.leaf("w:spacing", &[("w:line", "240"), ("w:lineRule", "auto")]);
    x.close("w:pPr").close("w:pPrDefault").close("w:docDefaults");
}

/// How far up from its line's bottom LibreOffice puts the baseline of a line of exact height,
/// as a share of the height (the page number face's descent: 0.2 for the bundled 宋体 stand-in).
const BASELINE_RISE: f64 = 0.2;

/// The footer: `— N —` in 宋体, 1 字 in from the right on odd pages and from the left on even
/// ones.
fn footer(f: &Faces, g: &Grid, odd: bool) -> Vec<u8> {
    let s = &g.spec;
    let size = (s.number_size * 2.0).round() as u32;
    let dash = |t: &str| Run::new(t).face(&f.page.name).size(size);
    let mut number = Run::new("1").size(size);
    number.page_field = true;
    let mut p = Para::new("Footer")
        .run(dash("—"))
        .run(Run::new(" ").size(size))
        .run(number)
        .run(Run::new(" ").size(size))
        .run(dash("—"));
    for r in &mut p.runs {
        r.spacing = Some(0);
    }
    p.exact = Some((s.number_size * 20.0).round() as i32);
    let inset = g.chars(1.0);
    p = if odd {
        p.indent(0, inset, 0)
    } else {
        p.indent(inset, 0, 0)
    };
    p.align = Some(if odd { "right" } else { "left" });
    let mut x = Xml::new();
    x.open("w:ftr", &NAMESPACES);
    p.write(&mut x);
    x.close("w:ftr");
    x.into_bytes()
}

/// The baseline of the PDF's page numbers, mm from the top of the page, as laid out; where it
/// cannot be read, the dash's top `页码下移` below the text block and 0.3 em above the baseline.
fn number_baseline(g: &Grid, laid: Option<f64>) -> f64 {
    let s = &g.spec;
    laid.unwrap_or(s.block_bottom() + s.number_drop + 0.3 * s.number_size * 25.4 / 72.0)
}

/// The section: page size, margins, the footers, the document grid (22 lines a page).
pub(super) fn section(x: &mut Xml, g: &Grid, number: Option<f64>) {
    let s = &g.spec;
    let line = (s.number_size * 20.0).round();
    let footer = twips(s.paper_height - number_baseline(g, number)) - (BASELINE_RISE * line).round() as i32;
    x.open("w:sectPr", &[]);
    for (id, _, odd) in FOOTERS {
        let kind = if odd { "default" } else { "even" };
        x.leaf("w:footerReference", &[("w:type", kind), ("r:id", id)]);
    }
    x.leaf(
        "w:pgSz",
        &[
            ("w:w", &twips(s.paper_width).to_string()),
            ("w:h", &twips(s.paper_height).to_string()),
        ],
    );
    x.leaf(
        "w:pgMar",
        &[
            ("w:top", &g.top.to_string()),
            ("w:right", &g.right.to_string()),
            ("w:bottom", &g.bottom.to_string()),
            ("w:left", &g.left.to_string()),
            ("w:header", &twips(15.0).to_string()),
            ("w:footer", &footer.to_string()),
            ("w:gutter", "0"),
        ],
    );
    x.leaf(
        "w:docGrid",
        &[("w:type", "lines"), ("w:linePitch", &g.pitch.to_string())],
    );
    x.close("w:sectPr");
}
