//! The PDF, from the laid-out pages. Same input, same bytes: the timestamp comes from the data or
//! `SOURCE_DATE_EPOCH` and the document id from the month, never from the clock or the machine.
//!
//! A file the PDF carries but does not show (the provenance manifest) is attached when the PDF is
//! written, not laid out: it is added to the laid-out pages as the element Typst itself would have
//! placed there, so the pages are laid out once whatever the manifest says, and the other outputs
//! made from the same pages can be named in it.

use typst::foundations::{Bytes, Derived, NativeElement, PathOrStr, Smart};
use typst::introspection::{Location, Tag, TagFlags};
use typst::layout::{FrameItem, Point};
use typst::pdf::AttachElem;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, Timestamp};

use super::{Made, Pages, PdfStandard, Plan};
use crate::diag::{Code, Diagnostic, Severity};

/// The file it writes.
pub(crate) const FILE: &str = "circular.pdf";

pub(crate) fn produce(pages: &Pages<'_>) -> Made {
    let bytes = export(
        pages.document,
        &pages.ident,
        pages.timestamp,
        pages.plan,
        pages.attachment.as_ref(),
    )?;
    Ok(vec![(FILE, bytes)])
}

/// A file attached to the PDF as it is written (a JSON document), not laid out.
#[derive(Debug, Clone)]
pub(crate) struct Attachment {
    /// Its file name, as `pdf.attach` in the generated source would give it.
    pub name: &'static str,
    /// Where it is, root-relative: beside the generated source (`out/2023-03/…`), as Typst
    /// resolves that name.
    pub path: String,
    pub json: String,
    /// What a PDF reader shows about it.
    pub description: &'static str,
}

/// The PDF's bytes. `plan.tagged` adds the structure tree (accessibility); `plan.pdf_standard`
/// makes an archival PDF, which typst validates while writing it; `attachment` is attached where
/// the standard allows attachments (PDF/A-2 does not).
pub(crate) fn export(
    document: &PagedDocument,
    ident: &str,
    timestamp: typst::foundations::Datetime,
    plan: &Plan,
    attachment: Option<&Attachment>,
) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let attached;
    let document = match attachment.filter(|_| plan.pdf_standard.is_none_or(PdfStandard::allows_attachments)) {
        Some(a) => {
            attached = attach(document, a);
            &attached
        }
        None => document,
    };
    let standards = match plan.pdf_standard {
        None => typst_pdf::PdfStandards::default(),
        Some(standard) => typst_pdf::PdfStandards::new(&[typst_standard(standard)]).map_err(|e| {
            vec![Diagnostic::general(
                Severity::Error,
                Code::Pdf,
                format!("不支持的 PDF 标准 {}：{}", standard.name(), e.message()),
            )]
        })?,
    };
    let options = PdfOptions {
        standards,
        ident: Smart::Custom(ident.to_string()),
        creator: Smart::Custom(Some(format!("tongbao {}", env!("CARGO_PKG_VERSION")))),
        timestamp: Some(Timestamp::new_utc(timestamp)),
        tagged: plan.tagged,
        ..PdfOptions::default()
    };
    typst_pdf::pdf(document, &options).map_err(|errors| {
        errors
            .iter()
            .map(|e| Diagnostic::general(Severity::Error, Code::Pdf, "生成 PDF 失败").detail(e.message.to_string()))
            .collect()
    })
}

/// Typst's name for a standard.
fn typst_standard(standard: PdfStandard) -> typst_pdf::PdfStandard {
    match standard {
        PdfStandard::A2b => typst_pdf::PdfStandard::A_2b,
        PdfStandard::A3b => typst_pdf::PdfStandard::A_3b,
        PdfStandard::A2a => typst_pdf::PdfStandard::A_2a,
        PdfStandard::A3a => typst_pdf::PdfStandard::A_3a,
        PdfStandard::Ua1 => typst_pdf::PdfStandard::Ua_1,
    }
}

/// The pages with `attachment` among their elements, as `#pdf.attach(…)` at the end of the
/// document would have put it: an element between a start and an end tag on the last page, which
/// draws nothing.
fn attach(document: &PagedDocument, attachment: &Attachment) -> PagedDocument {
    let path = Derived::new(PathOrStr::Str(attachment.name.into()), attachment.path.as_str().into());
    let elem = AttachElem::new(path, Bytes::from_string(attachment.json.clone()))
        .with_mime_type(Some("application/json".into()))
        .with_description(Some(attachment.description.into()));
    let mut content = elem.pack();
    let key = typst::utils::hash128(&content);
    let location = Location::new(typst::utils::hash128(&("tongbao-attachment", attachment.name)));
    content.set_location(location);
    content.mark_prepared();
    let flags = TagFlags {
        introspectable: true,
        tagged: false,
    };
    let mut pages: typst::ecow::EcoVec<typst_layout::Page> = document.pages().iter().cloned().collect();
    if let Some(last) = pages.make_mut().last_mut() {
        let at = Point::zero();
        last.frame.push(at, FrameItem::Tag(Tag::Start(content, flags)));
        last.frame.push(at, FrameItem::Tag(Tag::End(location, key, flags)));
    }
    use typst::model::Document as _;
    PagedDocument::new(pages, document.info().clone())
}
