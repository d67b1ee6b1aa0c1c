//! The circular as a Word file (.docx) for units and superiors who work in Word or WPS: the same
//! text and tables as the PDF, laid out by the PDF's decisions.
//!
//! - The page and the grid from [`PageSpec`] (the figures `gongwen.typ` lays the PDF out with):
//!   A4, the GB/T margins, Word's document grid of 22 lines a page, and 28 characters a line
//!   through a character spacing in the document defaults (a character grid would be honoured by
//!   Word, but LibreOffice snaps a 16 pt character to two cells of a 15.8 pt grid).
//! - The PDF's lines: made from the laid-out pages, each paragraph breaks where the PDF's does
//!   ([`fit`]), so every page starts and ends with the same characters as the PDF's; the title's
//!   lines are `标题行` as laid out, with explicit breaks, and take as many grid lines as in the PDF.
//! - What stays together in the PDF stays together: headings with what follows, the 附件说明 with
//!   the signature, the signature in one piece; no widow or orphan control (the PDF has none).
//! - Tables with the PDF's columns, row heights, insets, rules and alignment, the header row
//!   repeated; page numbers `— N —` as PAGE fields where the PDF has them, odd pages right and even
//!   pages left.
//! - Styles named for their role (标题, 正文, 一级标题 …) and the font table with the official
//!   East Asian faces (方正小标宋简体, 仿宋_GB2312, 黑体, 楷体_GB2312, 宋体), language zh-CN, and the
//!   document's properties from the data: its title, the issuing office as author, the date of
//!   issue (or SOURCE_DATE_EPOCH).
//!
//! Written as WordprocessingML by hand ([`xml`]): every element the layout needs
//! (`w:snapToGrid`, `w:tblHeader`, `w:overflowPunct`, the font table's charsets) is written as the
//! schema orders it.

mod body;
mod fit;
mod model;
mod parts;
mod table;
mod xml;

use super::{Made, Output, Pages};
use crate::load::page::PageSpec;
use crate::typeset::Role;

/// The file it writes.
pub(crate) const FILE: &str = "circular.docx";

/// Twips (1/20 pt) per millimetre.
const MM: f64 = 72.0 / 25.4 * 20.0;

/// Millimetres to twips.
fn twips(mm: f64) -> i32 {
    (mm * MM).round() as i32
}

/// A face the Word file names: its name and an alternative name Word and WPS also know it by.
#[derive(Debug, Clone)]
struct Face {
    name: String,
    alt: Option<String>,
}

/// The faces the Word file names, by role: the first family of each role's preference list (the
/// official face an office's machines have), from the project's configuration.
struct Faces {
    title: Face,
    body: Face,
    h1: Face,
    h2: Face,
    page: Face,
    latin: Face,
}

impl Faces {
    fn of(roles: &[Role]) -> Faces {
        let first = |key: &str, default: &str| {
            let families = roles
                .iter()
                .find(|r| r.key == key)
                .map(|r| r.families.as_slice())
                .unwrap_or_default();
            let name = families.first().cloned().unwrap_or_else(|| default.to_string());
            // The official face's Latin name, where the list gives one next to it.
            let alt = families
                .iter()
                .skip(1)
                .take(2)
                .find(|f| f.is_ascii() && !name.is_ascii() && !crate::typeset::fonts::is_standin(f))
                .cloned();
            Face { name, alt }
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

    fn all(&self) -> [&Face; 6] {
        [&self.title, &self.body, &self.h1, &self.h2, &self.page, &self.latin]
    }
}

/// The page in Word's units.
struct Grid {
    spec: PageSpec,
    /// The margins, twips.
    top: i32,
    left: i32,
    right: i32,
    bottom: i32,
    /// The text block's width, twips.
    width: i32,
    /// One body character: the block's width over the characters of a line, twips.
    char: f64,
    /// Word's line pitch: the block's height over its lines, twips.
    pitch: i32,
    /// The PDF's line pitch (a line and the gap after it), twips.
    pdf_pitch: f64,
    /// The character spacing of body text, twips, at which a line holds the page's characters
    /// ([`PageSpec::body_tracking`]: -5, 16 pt less a quarter point each, 441 pt of the block's 442.2).
    spacing: i32,
}

impl Grid {
    fn of(spec: &PageSpec) -> Grid {
        let (top, left) = (twips(spec.top), twips(spec.left));
        let (right, bottom) = (twips(spec.right()), twips(spec.bottom()));
        let width = twips(spec.paper_width) - left - right;
        let height = twips(spec.paper_height) - top - bottom;
        Grid {
            top,
            left,
            right,
            bottom,
            width,
            char: f64::from(width) / f64::from(spec.chars.max(1)),
            pitch: height / spec.lines.max(1) as i32,
            pdf_pitch: (spec.body_size + spec.gap) * 20.0,
            spacing: (spec.body_tracking() * 20.0).round() as i32,
            spec: spec.clone(),
        }
    }

    /// `n` body characters, twips.
    fn chars(&self, n: f64) -> i32 {
        (n * self.char).round() as i32
    }

    /// The text block's width, pt.
    fn width_pt(&self) -> f64 {
        f64::from(self.width) / 20.0
    }
}

pub(crate) fn produce(pages: &Pages<'_>) -> Made {
    let doc = pages.rendered;
    let grid = Grid::of(doc.page);
    let faces = Faces::of(doc.roles);
    let (lines, number) = fit::lines(pages.document, doc.page);
    let document = body::document(doc.circular, &faces, &grid, &lines, number);
    let parts = parts::package(doc.circular, &faces, &grid, document, &pages.timestamp);
    let bytes = xml::pack(&parts).map_err(|m| {
        vec![crate::diag::Diagnostic::general(
            crate::diag::Severity::Error,
            Output::Docx.code(),
            m,
        )]
    })?;
    Ok(vec![(FILE, bytes)])
}
